//! The CRM presence tab (issue 14): the customer's map between the CRMs' agent statuses
//! (Salesforce Omni-Channel presence statuses, Dynamics 365 presences) and presence profiles, as
//! two tables of rows (status name, profile) switched on or off as a whole, checked by core's own
//! rules before it is sent.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::crm_presence::{self, CrmPresenceMap, CrmStatusRule};
use ucclient_core::{Language, ProfileId};

use crate::api;
use crate::app::{Change, Ctx, Loaded, checked, field, load, loaded_view};
use crate::validate;

/// The map's path.
const CRM_PRESENCE: &str = "/admin/crm-presence";

/// One table's rows: a stable number (its key and the ids of its fields), the status name and the
/// profile as the server sent them. Typing never re-renders a row; the values are read from the
/// fields when the form is sent.
type Rows = RwSignal<Vec<(usize, String, ProfileId)>>;

/// The tab.
#[component]
pub fn CrmPresenceTab() -> impl IntoView {
    let ctx = Ctx::current();
    let map: Loaded<CrmPresenceMap> = RwSignal::new(None);
    let refresh = move || load(ctx, CRM_PRESENCE.to_owned(), map);
    refresh();
    // The tab's, not the form's: the form is drawn again from the refreshed map.
    let change = Change::new();
    view! {
        <section aria-labelledby="crm-presence-h">
            <h2 id="crm-presence-h">"CRM presence"</h2>
            <p class="muted">
                "When an agent's status changes in the CRM, their profile changes to the one it maps to; "
                "when their profile changes, the CRM's status changes to the first status mapped to it. "
                "Statuses not listed leave the other side alone. Agents' widgets use this map from their "
                "next sign-in or page load."
            </p>
            {loaded_view(map, move |m: CrmPresenceMap| view! { <CrmPresenceForm map=m change=change refresh=refresh/> })}
        </section>
    }
}

/// The rows of one CRM's rules, numbered from `first`.
fn rows_of(rules: &[CrmStatusRule], first: usize) -> Vec<(usize, String, ProfileId)> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| (first + i, r.status.clone(), r.profile))
        .collect()
}

/// What the administrator typed in one table: (status, profile id) per row, in order.
fn typed(crm: &str, rows: Rows) -> Vec<(String, String)> {
    rows.with_untracked(|r| {
        r.iter()
            .map(|(n, _, _)| {
                (
                    field(&format!("{crm}-status-{n}")),
                    field(&format!("{crm}-profile-{n}")),
                )
            })
            .collect()
    })
}

/// The switch and the two tables.
#[component]
fn CrmPresenceForm(
    map: CrmPresenceMap,
    change: Change,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = Ctx::current();
    let first_dynamics = map.salesforce.len();
    let next = StoredValue::new(first_dynamics + map.dynamics.len());
    let salesforce: Rows = RwSignal::new(rows_of(&map.salesforce, 0));
    let dynamics: Rows = RwSignal::new(rows_of(&map.dynamics, first_dynamics));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match validate::crm_presence(
            checked("crm-presence-enabled"),
            &typed("salesforce", salesforce),
            &typed("dynamics", dynamics),
        ) {
            Ok(b) => b,
            Err(why) => return change.refuse(why),
        };
        change.run(
            ctx,
            Method::PUT,
            CRM_PRESENCE.to_owned(),
            api::json(&body),
            "CRM presence saved.".to_owned(),
            move |_: CrmPresenceMap| refresh(),
        );
    };
    view! {
        <form class="card" data-test="crm-presence" on:submit=submit novalidate>
            <div class="inline">
                <input id="crm-presence-enabled" type="checkbox" checked=map.enabled/>
                <label for="crm-presence-enabled">"Keep the CRM's agent status and the profile in step"</label>
            </div>
            <RuleTable
                crm="salesforce"
                title="Salesforce Omni-Channel presence statuses"
                hint="The status's API name (Available_for_Voice) or its label; case, spaces, _ and - do not matter."
                rows=salesforce
                next=next
                change=change
            />
            <RuleTable
                crm="dynamics"
                title="Dynamics 365 presences"
                hint="The presence's text as agents see it (Busy - DND); case, spaces, _ and - do not matter."
                rows=dynamics
                next=next
                change=change
            />
            <button type="submit" class="primary" disabled=move || change.busy.get()>"Save"</button>
            {change.outcome()}
        </form>
    }
}

/// One CRM's rules: a row per status with its profile, rows added and removed here.
#[component]
fn RuleTable(
    crm: &'static str,
    title: &'static str,
    hint: &'static str,
    rows: Rows,
    next: StoredValue<usize>,
    change: Change,
) -> impl IntoView {
    let heading = format!("{crm}-rules-h");
    let add = move |_| {
        if rows.with_untracked(Vec::len) >= crm_presence::MAX_RULES {
            return change.refuse(format!(
                "At most {} statuses per CRM.",
                crm_presence::MAX_RULES
            ));
        }
        let n = next.get_value();
        next.set_value(n + 1);
        rows.update(|r| r.push((n, String::new(), ProfileId::Available)));
        crate::app::focus_later(format!("{crm}-status-{n}"));
    };
    view! {
        <h3 id=heading.clone()>{title}</h3>
        <table class="dispositions" aria-labelledby=heading data-test=format!("{crm}-rules")>
            <thead>
                <tr>
                    <th scope="col">"CRM status"</th>
                    <th scope="col">"Profile"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|(n, _, _)| *n children=move |(n, status, profile)| {
                    let options = ProfileId::ALL
                        .iter()
                        .map(|&p| view! {
                            <option value=p.as_str() selected=p == profile>{p.name(Language::En)}</option>
                        })
                        .collect_view();
                    view! {
                        <tr>
                            <td>
                                <input
                                    id=format!("{crm}-status-{n}")
                                    aria-label="CRM status"
                                    maxlength=crm_presence::MAX_STATUS_CHARS
                                    value=status
                                />
                            </td>
                            <td>
                                <select id=format!("{crm}-profile-{n}") aria-label="Profile">{options}</select>
                            </td>
                            <td>
                                <button type="button" on:click=move |_| rows.update(|r| r.retain(|(m, _, _)| *m != n))>
                                    "Remove"
                                </button>
                            </td>
                        </tr>
                    }
                }/>
            </tbody>
        </table>
        <p class="hint">{hint}</p>
        <div class="buttons">
            <button type="button" data-test=format!("{crm}-add") on:click=add>"Add a status"</button>
        </div>
    }
}
