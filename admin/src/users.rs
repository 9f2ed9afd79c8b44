//! The Users tab: the customer's users in a table (role, active, the CRM client permission,
//! devices), one user's devices, name and password in a panel below it, and the form that creates
//! or invites a user. Every change is one request, then the table is fetched again.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::api::{Device, DeviceKind, Role};

use crate::api::{self, AdminUserView, NewDevice, NewUser, PasswordReset, UserPatch};
use crate::app::{Change, Ctx, Loaded, checked, field, focus_later, load};
use crate::validate;

/// The users' path.
const USERS: &str = "/admin/users";

/// What a role is called in the table.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::User => "Agent",
        Role::CustomerAdmin => "Customer administrator",
        Role::ResellerAdmin => "Reseller administrator",
    }
}

/// What a device kind is called.
pub fn kind_label(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Desk => "Desk phone",
        DeviceKind::Softphone => "Softphone",
        DeviceKind::Mobile => "Mobile",
        DeviceKind::Other => "Other",
    }
}

/// The tab. `me` is the signed-in administrator's id: their own row cannot be deactivated or
/// demoted (the server refuses it too, `own_account`).
#[component]
pub fn Users(me: String) -> impl IntoView {
    let ctx = Ctx::current();
    let users: Loaded<Vec<AdminUserView>> = RwSignal::new(None);
    let refresh = move || load(ctx, USERS.to_owned(), users);
    refresh();
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    let rows_change = Change::new();
    let me = StoredValue::new(me);

    let rows = move || {
        users
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|u| (api::json(&u).unwrap_or_default(), u))
            .collect::<Vec<_>>()
    };
    let patch = move |id: String, body: UserPatch, done: String, focus: String| {
        rows_change.run(
            ctx,
            Method::PATCH,
            format!("{USERS}/{id}"),
            api::json(&body),
            done,
            move |_: AdminUserView| {
                refresh();
                focus_later(focus);
            },
        );
    };
    let row = move |u: AdminUserView| {
        let own = me.with_value(|m| *m == u.id);
        let id = u.id.clone();
        let crm_id = format!("crm-{}", u.id);
        let active_id = format!("active-{}", u.id);
        let role_id = format!("role-{}", u.id);
        let name = u.name.clone();
        let toggle_crm = {
            let (id, name, focus) = (id.clone(), name.clone(), crm_id.clone());
            move |_| {
                let on = checked(&focus);
                let done = if on {
                    format!("{name} may use the CRM client.")
                } else {
                    format!("{name} may no longer use the CRM client.")
                };
                let body = UserPatch {
                    crm_client: Some(on),
                    ..UserPatch::default()
                };
                patch(id.clone(), body, done, focus.clone());
            }
        };
        let toggle_active = {
            let (id, name, focus, active) = (id.clone(), name.clone(), active_id.clone(), u.active);
            move |_| {
                let done = if active {
                    format!("{name} is deactivated: their sessions have ended.")
                } else {
                    format!("{name} is active again.")
                };
                let body = UserPatch {
                    active: Some(!active),
                    ..UserPatch::default()
                };
                patch(id.clone(), body, done, focus.clone());
            }
        };
        let change_role = {
            let (id, name, focus) = (id.clone(), name.clone(), role_id.clone());
            move |_| {
                let role = match field(&focus).as_str() {
                    "customer_admin" => Role::CustomerAdmin,
                    _ => Role::User,
                };
                let body = UserPatch {
                    role: Some(role),
                    ..UserPatch::default()
                };
                let done = format!("{name} is now: {}.", role_label(role).to_lowercase());
                patch(id.clone(), body, done, focus.clone());
            }
        };
        let role_cell = if u.role == Role::ResellerAdmin {
            view! { <span>{role_label(u.role)}</span> }.into_any()
        } else {
            view! {
                <select
                    id=role_id
                    aria-label=format!("Role of {}", u.name)
                    disabled=own
                    on:change=change_role
                >
                    <option value="user" selected=u.role == Role::User>"Agent"</option>
                    <option value="customer_admin" selected=u.role == Role::CustomerAdmin>
                        "Customer admin"
                    </option>
                </select>
            }
            .into_any()
        };
        let devices = if u.devices.is_empty() {
            "none".to_owned()
        } else {
            u.devices
                .iter()
                .map(|d| d.label.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let select_id = id.clone();
        view! {
            <tr data-user=u.id.clone() data-email=u.email.clone() class:inactive=!u.active>
                <th scope="row">
                    {u.name.clone()}
                    {(!u.active).then(|| view! { <span class="tag">"Deactivated"</span> })}
                </th>
                <td class="email">{email_view(&u.email)}</td>
                <td>{u.extension.clone()}</td>
                <td>{role_cell}</td>
                <td class="center">
                    <input
                        type="checkbox"
                        id=crm_id
                        data-test="crm-client"
                        aria-label=format!("CRM client for {}", u.name)
                        checked=u.crm_client
                        on:change=toggle_crm
                    />
                </td>
                <td class="devices">{devices}</td>
                <td class="actions">
                    <button
                        type="button"
                        data-test="manage"
                        aria-label=format!("Manage {}: devices, name, password", u.name)
                        on:click=move |_| {
                            selected.set(Some(select_id.clone()));
                            focus_later("user-panel".to_owned());
                        }
                    >
                        "Manage"
                    </button>
                    <button
                        type="button"
                        id=active_id
                        data-test="active"
                        disabled=own
                        title=own.then_some("You cannot deactivate your own account.")
                        on:click=toggle_active
                    >
                        {if u.active { "Deactivate" } else { "Reactivate" }}
                    </button>
                </td>
            </tr>
        }
    };

    view! {
        <section aria-labelledby="users-h">
            <h2 id="users-h">"Users"</h2>
            {move || match users.get() {
                None => Some(view! { <p class="muted" role="status">"Loading…"</p> }.into_any()),
                Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.message}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            {rows_change.outcome()}
            <div class="scroll" hidden=move || !users.with(|u| matches!(u, Some(Ok(list)) if !list.is_empty()))>
                <table class="users">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Ext."</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"CRM client"</th>
                            <th scope="col">"Devices"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=rows key=|(key, _)| key.clone() children=move |(_, u)| row(u)/>
                    </tbody>
                </table>
            </div>
            // Made again only when another user is chosen: a refreshed list updates the panel in
            // place, so its confirmation stays on screen.
            {move || selected.get().map(|id| view! {
                <UserPanel id=id users=users selected=selected refresh=refresh/>
            })}
            <NewUserForm refresh=refresh/>
        </section>
    }
}

/// One user's (`id`'s) devices (add, remove), name and password, read from `users` as it is
/// refreshed.
#[component]
fn UserPanel(
    id: String,
    users: Loaded<Vec<AdminUserView>>,
    selected: RwSignal<Option<String>>,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = Ctx::current();
    let change = Change::new();
    let id = StoredValue::new(id);
    let user = move || {
        users
            .get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|u| id.with_value(|id| u.id == *id)))
    };
    let name = untrack(user).map(|u| u.name).unwrap_or_default();

    let device_row = move |d: Device| {
        let label = d.label.clone();
        let device = d.id.clone();
        view! {
            <li>
                <span>{device_text(&d)} " · " <code>{d.number.clone()}</code></span>
                <button type="button" aria-label=format!("Remove {label}") on:click=move |_| {
                    change.run(
                        ctx,
                        Method::DELETE,
                        format!("/admin/devices/{device}"),
                        None,
                        format!("{label} removed."),
                        move |()| refresh(),
                    );
                }>"Remove"</button>
            </li>
        }
    };
    let add_device = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = DeviceKind::parse(&field("device-kind")).unwrap_or(DeviceKind::Desk);
        let label = field("device-label").trim().to_owned();
        let number = field("device-number").trim().to_owned();
        if label.chars().count() > 64 || number.chars().count() > 64 {
            return change.refuse("A label or number has at most 64 characters.".to_owned());
        }
        let body = NewDevice {
            kind,
            label: (!label.is_empty()).then_some(label),
            number: (!number.is_empty()).then_some(number),
        };
        change.run(
            ctx,
            Method::POST,
            format!("{USERS}/{}/devices", id.get_value()),
            api::json(&body),
            format!("{} added.", kind_label(kind)),
            move |_: Device| refresh(),
        );
    };
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = match validate::name("name", &field("user-name")) {
            Ok(n) => n,
            Err(why) => return change.refuse(why),
        };
        let body = UserPatch {
            name: Some(name.clone()),
            ..UserPatch::default()
        };
        change.run(
            ctx,
            Method::PATCH,
            format!("{USERS}/{}", id.get_value()),
            api::json(&body),
            format!("Renamed to {name}."),
            move |_: AdminUserView| refresh(),
        );
    };
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = match validate::password(&field("new-password")) {
            Ok(p) => p,
            Err(why) => return change.refuse(why),
        };
        if field("new-password-again") != password {
            return change.refuse("The two passwords differ.".to_owned());
        }
        change.run(
            ctx,
            Method::PUT,
            format!("{USERS}/{}/password", id.get_value()),
            api::json(&PasswordReset { password }),
            "Password set; the user's other sessions have ended.".to_owned(),
            move |()| {
                for f in ["new-password", "new-password-again"] {
                    clear(f);
                }
            },
        );
    };
    let devices = move || {
        let devices = user().map(|u| u.devices).unwrap_or_default();
        if devices.is_empty() {
            view! { <p class="muted">"No devices."</p> }.into_any()
        } else {
            view! { <ul class="devices">{devices.into_iter().map(device_row).collect_view()}</ul> }
                .into_any()
        }
    };
    view! {
        <section id="user-panel" class="card panel" tabindex="-1" aria-labelledby="user-panel-h" data-test="user-panel">
            <div class="panel-head">
                <h3 id="user-panel-h">
                    {move || user().map(|u| u.name).unwrap_or_default()} " — devices and password"
                </h3>
                <button type="button" on:click=move |_| selected.set(None)>"Close"</button>
            </div>
            {change.outcome()}
            <h4>"Devices"</h4>
            {devices}
            <form class="fields" on:submit=add_device novalidate>
                <div>
                    <label for="device-kind">"Kind"</label>
                    <select id="device-kind">
                        <option value="desk">"Desk phone"</option>
                        <option value="softphone">"Softphone"</option>
                        <option value="mobile">"Mobile"</option>
                    </select>
                </div>
                <div>
                    <label for="device-label">"Label"</label>
                    <input id="device-label" maxlength="64" placeholder="optional"/>
                </div>
                <div>
                    <label for="device-number">"Number"</label>
                    <input id="device-number" maxlength="64" placeholder="optional"/>
                </div>
                <button type="submit" disabled=move || change.busy.get()>"Add device"</button>
            </form>
            <div class="columns">
                <form on:submit=rename novalidate>
                    <h4>"Rename"</h4>
                    <label for="user-name">"Name"</label>
                    <input id="user-name" maxlength="100" value=name/>
                    <button type="submit" disabled=move || change.busy.get()>"Rename"</button>
                </form>
                <form on:submit=reset novalidate>
                    <h4>"Reset the password"</h4>
                    <label for="new-password">"New password"</label>
                    <input id="new-password" type="password" autocomplete="new-password" maxlength="1024"/>
                    <label for="new-password-again">"The same again"</label>
                    <input id="new-password-again" type="password" autocomplete="new-password" maxlength="1024"/>
                    <button type="submit" disabled=move || change.busy.get()>"Set password"</button>
                </form>
            </div>
        </section>
    }
}

/// A device as the list reads it: its label, and its kind when the label does not say it.
fn device_text(d: &Device) -> String {
    let kind = kind_label(d.kind);
    if d.label.eq_ignore_ascii_case(kind) {
        d.label.clone()
    } else {
        format!("{} ({})", d.label, kind.to_lowercase())
    }
}

/// An email address that may break only before its `@` (not in the middle of a word).
fn email_view(email: &str) -> impl IntoView + use<> {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let domain = (!domain.is_empty()).then(|| format!("@{domain}"));
    view! { {local.to_owned()}<wbr/>{domain} }
}

/// Empties the text field `id`.
pub fn clear(id: &str) {
    if let Some(input) = document()
        .get_element_by_id(id)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok())
    {
        input.set_value("");
    }
}

/// Creates a user, or invites one (no password: they sign in by single sign-on, or after a reset).
#[component]
fn NewUserForm(refresh: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ctx = Ctx::current();
    let change = Change::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let checked_fields = (|| {
            Ok::<_, String>(NewUser {
                name: validate::name("name", &field("new-name"))?,
                email: validate::email(&field("new-email"))?,
                extension: validate::extension(&field("new-extension"))?,
                role: Some(if field("new-role") == "customer_admin" {
                    Role::CustomerAdmin
                } else {
                    Role::User
                }),
                crm_client: checked("new-crm"),
                password: validate::optional_password(&field("new-user-password"))?,
            })
        })();
        let user = match checked_fields {
            Ok(u) => u,
            Err(why) => return change.refuse(why),
        };
        let done = if user.password.is_some() {
            format!("{} created.", user.name)
        } else {
            format!(
                "{} invited: they sign in by single sign-on, or after you set a password.",
                user.name
            )
        };
        change.run(
            ctx,
            Method::POST,
            USERS.to_owned(),
            api::json(&user),
            done,
            move |_: AdminUserView| {
                for f in [
                    "new-name",
                    "new-email",
                    "new-extension",
                    "new-user-password",
                ] {
                    clear(f);
                }
                refresh();
            },
        );
    };
    view! {
        <form class="card" data-test="new-user" on:submit=submit novalidate>
            <h3>"Create or invite a user"</h3>
            <div class="grid">
                <div>
                    <label for="new-name">"Name"</label>
                    <input id="new-name" maxlength="100" autocomplete="off"/>
                </div>
                <div>
                    <label for="new-email">"Email"</label>
                    <input id="new-email" type="email" maxlength="254" autocomplete="off"/>
                </div>
                <div>
                    <label for="new-extension">"Extension"</label>
                    <input id="new-extension" inputmode="numeric" maxlength="6" autocomplete="off"/>
                </div>
                <div>
                    <label for="new-role">"Role"</label>
                    <select id="new-role">
                        <option value="user">"Agent"</option>
                        <option value="customer_admin">"Customer administrator"</option>
                    </select>
                </div>
                <div>
                    <label for="new-user-password">"First password"</label>
                    <input id="new-user-password" type="password" autocomplete="new-password" maxlength="1024" aria-describedby="new-password-hint"/>
                    <p id="new-password-hint" class="hint">"Leave empty to invite: the user signs in by single sign-on, or after you set a password."</p>
                </div>
                <div class="check">
                    <input id="new-crm" type="checkbox" checked/>
                    <label for="new-crm">"May use the CRM client"</label>
                </div>
            </div>
            <button type="submit" class="primary" disabled=move || change.busy.get()>"Create user"</button>
            {change.outcome()}
        </form>
    }
}
