//! The CRM orgs tab: the Salesforce and Dynamics 365 orgs registered to the customer (whose pages
//! may embed the widget and sign this customer's users in), with add and remove.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::api::{CrmOrg, NewCrmOrg, OrgCrm};

use crate::api;
use crate::app::{Change, Ctx, Loaded, field, load, loaded_view};
use crate::users::clear;

/// The orgs' path.
const ORGS: &str = "/admin/orgs";

/// What a CRM is called.
fn crm_label(crm: OrgCrm) -> &'static str {
    match crm {
        OrgCrm::Salesforce => "Salesforce",
        OrgCrm::Dynamics => "Dynamics 365",
    }
}

/// Checks the add form: the org is given, and a Salesforce org id, when given, looks like one.
pub fn check_new_org(crm: OrgCrm, org: &str, org_id: &str) -> Result<NewCrmOrg, String> {
    let org = org.trim();
    if org.is_empty() || org.len() > 200 {
        return Err(match crm {
            OrgCrm::Salesforce => "Give the org's My Domain name (acme) or one of its URLs.",
            OrgCrm::Dynamics => "Give the org's URL (https://acme.crm4.dynamics.com).",
        }
        .to_owned());
    }
    if crm == OrgCrm::Dynamics && !org.starts_with("https://") {
        return Err("A Dynamics 365 org is given by its https:// URL.".to_owned());
    }
    let org_id = org_id.trim();
    let id_ok = crm == OrgCrm::Dynamics
        || org_id.is_empty()
        || (matches!(org_id.len(), 15 | 18)
            && org_id.starts_with("00D")
            && org_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !id_ok {
        return Err(
            "A Salesforce org id has 15 or 18 letters and digits and starts with 00D.".to_owned(),
        );
    }
    Ok(NewCrmOrg {
        crm,
        org: org.to_owned(),
        org_id: (crm == OrgCrm::Salesforce && !org_id.is_empty()).then(|| org_id.to_owned()),
    })
}

/// The origins an org allows: one shown as it is, several folded under their count (a Salesforce
/// org allows some twenty: its sandboxes, Visualforce and Lightning domains).
fn origins(list: Vec<String>) -> AnyView {
    if list.len() <= 1 {
        return view! { <span>{list.join("")}</span> }.into_any();
    }
    let count = format!("{} origins", list.len());
    view! {
        <details>
            <summary>{count}</summary>
            <ul class="origins">{list.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}</ul>
        </details>
    }
    .into_any()
}

/// The tab.
#[component]
pub fn Orgs() -> impl IntoView {
    let ctx = Ctx::current();
    let orgs: Loaded<Vec<CrmOrg>> = RwSignal::new(None);
    let refresh = move || load(ctx, ORGS.to_owned(), orgs);
    refresh();
    let change = Change::new();
    let row = move |o: CrmOrg| {
        let (id, org) = (o.id.clone(), o.org.clone());
        view! {
            <tr data-org=o.org.clone()>
                <td>{crm_label(o.crm)}</td>
                <th scope="row" class="org">{o.org.clone()}</th>
                <td>{o.org_id.clone().unwrap_or_else(|| "—".to_owned())}</td>
                <td class="wrap">{origins(o.origins)}</td>
                <td class="nowrap">{o.created_at.to_string().chars().take(10).collect::<String>()}</td>
                <td class="actions">
                    <button type="button" aria-label=format!("Remove {org}") on:click=move |_| {
                        change.run(
                            ctx,
                            Method::DELETE,
                            format!("{ORGS}/{id}"),
                            None,
                            format!("{org} removed: its pages can no longer embed the widget."),
                            move |()| refresh(),
                        );
                    }>"Remove"</button>
                </td>
            </tr>
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let crm = if field("org-crm") == "dynamics" {
            OrgCrm::Dynamics
        } else {
            OrgCrm::Salesforce
        };
        let body = match check_new_org(crm, &field("org-name"), &field("org-id")) {
            Ok(b) => b,
            Err(why) => return change.refuse(why),
        };
        change.run(
            ctx,
            Method::POST,
            ORGS.to_owned(),
            api::json(&body),
            format!("{} registered.", body.org),
            move |_: CrmOrg| {
                clear("org-name");
                clear("org-id");
                refresh();
            },
        );
    };
    view! {
        <section aria-labelledby="orgs-h">
            <h2 id="orgs-h">"CRM orgs"</h2>
            <p class="muted">"The pages of these orgs may embed the widget and sign your users in."</p>
            {change.outcome()}
            {loaded_view(orgs, move |list: Vec<CrmOrg>| {
                if list.is_empty() {
                    return view! { <p class="muted" data-test="no-orgs">"No CRM org registered yet."</p> }.into_any();
                }
                view! {
                    <div class="scroll">
                        <table data-test="orgs">
                            <thead>
                                <tr>
                                    <th scope="col">"CRM"</th>
                                    <th scope="col">"Org"</th>
                                    <th scope="col">"Org id"</th>
                                    <th scope="col">"Allowed origins"</th>
                                    <th scope="col">"Registered"</th>
                                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
            <form class="card" data-test="new-org" on:submit=submit novalidate>
                <h3>"Register an org"</h3>
                <div class="grid">
                    <div>
                        <label for="org-crm">"CRM"</label>
                        <select id="org-crm">
                            <option value="salesforce">"Salesforce"</option>
                            <option value="dynamics">"Dynamics 365"</option>
                        </select>
                    </div>
                    <div>
                        <label for="org-name">"Org"</label>
                        <input id="org-name" maxlength="200" aria-describedby="org-name-hint"/>
                        <p id="org-name-hint" class="hint">"Salesforce: the My Domain name (acme). Dynamics 365: the org URL."</p>
                    </div>
                    <div>
                        <label for="org-id">"Salesforce org id"</label>
                        <input id="org-id" maxlength="18" placeholder="optional"/>
                    </div>
                </div>
                <button type="submit" class="primary" disabled=move || change.busy.get()>"Register"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_add_form_is_checked() {
        let ok = check_new_org(OrgCrm::Salesforce, " acme ", "00D000000000001AAA").unwrap();
        assert_eq!(ok.org, "acme");
        assert!(ok.org_id.is_some());
        assert!(check_new_org(OrgCrm::Salesforce, "", "").is_err());
        assert!(check_new_org(OrgCrm::Salesforce, "acme", "12345").is_err());
        assert!(check_new_org(OrgCrm::Dynamics, "acme.crm4.dynamics.com", "").is_err());
        let d =
            check_new_org(OrgCrm::Dynamics, "https://acme.crm4.dynamics.com", "00Dxxx").unwrap();
        assert_eq!(d.org_id, None);
    }
}
