//! The Hunt groups tab: the customer's groups, and one form that creates or edits a group — name,
//! extension, voicemail, and members in ring order, each a user (their own ring) or a user's
//! extension list (all their devices). Delete asks for a second click.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::api::GroupMember;

use crate::api::{self, AdminGroup, AdminGroupInput, AdminUserView};
use crate::app::{Change, Ctx, Loaded, checked, field, focus_later, load};
use crate::validate;

/// The groups' path.
const GROUPS: &str = "/admin/groups";

/// A member as the administrator reads it, with the user's name when known.
pub fn member_label(member: &GroupMember, users: &[AdminUserView]) -> String {
    let id = member.user_id();
    let name = users
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_owned(), |u| u.name.clone());
    match member {
        GroupMember::User(_) => name,
        GroupMember::ExtensionListOf(_) => format!("{name}'s extension list"),
    }
}

/// The tab.
#[component]
pub fn Groups() -> impl IntoView {
    let ctx = Ctx::current();
    let groups: Loaded<Vec<AdminGroup>> = RwSignal::new(None);
    let users: Loaded<Vec<AdminUserView>> = RwSignal::new(None);
    let refresh = move || load(ctx, GROUPS.to_owned(), groups);
    refresh();
    load(ctx, "/admin/users".to_owned(), users);
    let editing: RwSignal<Option<AdminGroup>> = RwSignal::new(None);
    let confirming: RwSignal<Option<String>> = RwSignal::new(None);
    let change = Change::new();
    let user_list = move || users.get().and_then(Result::ok).unwrap_or_default();

    let row = move |g: AdminGroup| {
        let people = user_list();
        let members = g
            .members
            .iter()
            .map(|m| member_label(m, &people))
            .collect::<Vec<_>>()
            .join(", ");
        let (id, name) = (g.id.clone(), g.name.clone());
        let edit = g.clone();
        let delete = {
            let (id, name) = (id.clone(), name.clone());
            move |_| {
                if confirming.get_untracked().as_deref() != Some(id.as_str()) {
                    confirming.set(Some(id.clone()));
                    return;
                }
                confirming.set(None);
                change.run(
                    ctx,
                    Method::DELETE,
                    format!("{GROUPS}/{id}"),
                    None,
                    format!("{name} deleted."),
                    move |()| refresh(),
                );
            }
        };
        let asking = StoredValue::new(id.clone());
        let asking =
            move || asking.with_value(|id| confirming.get().as_deref() == Some(id.as_str()));
        view! {
            <tr data-group=id>
                <th scope="row">{g.name.clone()}</th>
                <td>{g.extension.clone().unwrap_or_else(|| "—".to_owned())}</td>
                <td>{if g.voicemail { "Yes" } else { "No" }}</td>
                <td class="wrap">{members}</td>
                <td class="actions">
                    <button type="button" on:click=move |_| {
                        editing.set(Some(edit.clone()));
                        focus_later("group-name".to_owned());
                    }>"Edit"</button>
                    <button type="button" data-test="delete" class:danger=asking on:click=delete>
                        {move || if asking() { format!("Really delete {name}?") } else { "Delete".to_owned() }}
                    </button>
                </td>
            </tr>
        }
    };

    view! {
        <section aria-labelledby="groups-h">
            <h2 id="groups-h">"Hunt groups"</h2>
            {change.outcome()}
            {crate::app::loaded_view(groups, move |list: Vec<AdminGroup>| {
                if list.is_empty() {
                    return view! { <p class="muted">"No hunt groups yet."</p> }.into_any();
                }
                view! {
                    <div class="scroll">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Extension"</th>
                                    <th scope="col">"Voicemail"</th>
                                    <th scope="col">"Members, in ring order"</th>
                                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
            <button type="button" class="primary" data-test="new-group" on:click=move |_| {
                editing.set(Some(AdminGroup {
                    id: String::new(),
                    name: String::new(),
                    extension: None,
                    voicemail: false,
                    members: Vec::new(),
                }));
                focus_later("group-name".to_owned());
            }>"New hunt group"</button>
            {move || editing.get().map(|g| view! {
                <GroupForm group=g users=user_list() editing=editing saved=change refresh=refresh/>
            })}
        </section>
    }
}

/// Creates (empty id) or edits a group; once saved it closes and says so through the tab's `saved`.
#[component]
fn GroupForm(
    group: AdminGroup,
    users: Vec<AdminUserView>,
    editing: RwSignal<Option<AdminGroup>>,
    saved: Change,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = Ctx::current();
    let change = Change::new();
    let members = RwSignal::new(group.members.clone());
    let users = StoredValue::new(users);
    let id = group.id.clone();
    let is_new = id.is_empty();

    let add = move |_| {
        let choice = field("group-add");
        let member = match choice.split_once(':') {
            Some(("user", u)) => GroupMember::User(u.to_owned()),
            Some(("list", u)) => GroupMember::ExtensionListOf(u.to_owned()),
            _ => return change.refuse("Choose a member to add.".to_owned()),
        };
        if members.with_untracked(|m| m.contains(&member)) {
            return change.refuse("That member is in the group already.".to_owned());
        }
        change.error.set(None);
        members.update(|m| m.push(member));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked_fields = (|| {
            let name = validate::name("group's name", &field("group-name"))?;
            let extension = validate::optional_extension(&field("group-extension"))?;
            let list = members.get_untracked();
            if list.is_empty() {
                return Err("Add at least one member.".to_owned());
            }
            Ok(AdminGroupInput {
                name,
                extension,
                voicemail: checked("group-voicemail"),
                members: list.into_iter().map(Into::into).collect(),
            })
        })();
        let body = match checked_fields {
            Ok(b) => b,
            Err(why) => return change.refuse(why),
        };
        let (method, path) = if is_new {
            (Method::POST, GROUPS.to_owned())
        } else {
            (Method::PUT, format!("{GROUPS}/{id}"))
        };
        change.run(
            ctx,
            method,
            path,
            api::json(&body),
            format!("{} saved.", body.name),
            move |g: AdminGroup| {
                saved.error.set(None);
                saved.done.set(Some(format!("{} saved.", g.name)));
                editing.set(None);
                refresh();
            },
        );
    };
    let member_rows = move || {
        let list = members.get();
        if list.is_empty() {
            return view! { <li class="muted">"No members yet."</li> }.into_any();
        }
        list.into_iter()
            .enumerate()
            .map(|(i, m)| {
                let label = users.with_value(|u| member_label(&m, u));
                let up_label = format!("Move {label} up");
                let remove_label = format!("Remove {label}");
                view! {
                    <li>
                        <span>{format!("{}. {label}", i + 1)}</span>
                        <button type="button" aria-label=up_label disabled=i == 0 on:click=move |_| {
                            members.update(|m| m.swap(i - 1, i));
                        }>"Up"</button>
                        <button type="button" aria-label=remove_label on:click=move |_| {
                            members.update(|m| {
                                m.remove(i);
                            });
                        }>"Remove"</button>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    let options = users.with_value(|list| {
        list.iter()
            .flat_map(|u| {
                [
                    (format!("user:{}", u.id), u.name.clone()),
                    (
                        format!("list:{}", u.id),
                        format!("{}'s extension list (all their devices)", u.name),
                    ),
                ]
            })
            .map(|(value, text)| view! { <option value=value>{text}</option> })
            .collect_view()
    });
    view! {
        <form class="card" data-test="group-form" on:submit=submit novalidate>
            <h3>{if is_new { "New hunt group".to_owned() } else { format!("Edit {}", group.name) }}</h3>
            <div class="grid">
                <div>
                    <label for="group-name">"Name"</label>
                    <input id="group-name" maxlength="100" value=group.name.clone()/>
                </div>
                <div>
                    <label for="group-extension">"Extension"</label>
                    <input
                        id="group-extension"
                        inputmode="numeric"
                        maxlength="6"
                        value=group.extension.clone().unwrap_or_default()
                        aria-describedby="group-extension-hint"
                    />
                    <p id="group-extension-hint" class="hint">"Optional: 2 to 6 digits, to dial or transfer to the group."</p>
                </div>
                <div class="check">
                    <input id="group-voicemail" type="checkbox" checked=group.voicemail/>
                    <label for="group-voicemail">"Unanswered calls go to voicemail"</label>
                </div>
            </div>
            <h4 id="group-members-h">"Members, in ring order"</h4>
            <ol class="members" aria-labelledby="group-members-h">{member_rows}</ol>
            <div class="inline">
                <label for="group-add">"Add a member"</label>
                <select id="group-add">{options}</select>
                <button type="button" data-test="add-member" on:click=add>"Add"</button>
            </div>
            <div class="buttons">
                <button type="submit" class="primary" disabled=move || change.busy.get()>"Save group"</button>
                <button type="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
            {change.outcome()}
        </form>
    }
}
