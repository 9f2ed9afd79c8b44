//! The reseller administrator's tabs: Customers (with their user counts, and a form to create
//! one) and Presence mode (passive or active, and user extension lists), which takes effect live
//! for every user of every customer.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::api::Mode;

use crate::api::{self, CustomerSummary, ModeUpdate, NewCustomer, ResellerView};
use crate::app::{Change, Ctx, Loaded, checked, field, load, loaded_view};
use crate::users::clear;
use crate::validate;

/// The reseller's path.
const RESELLER: &str = "/admin/reseller";

/// The Customers tab.
#[component]
pub fn Customers() -> impl IntoView {
    let ctx = Ctx::current();
    let reseller: Loaded<ResellerView> = RwSignal::new(None);
    let refresh = move || load(ctx, RESELLER.to_owned(), reseller);
    refresh();
    let change = Change::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body =
            match validate::name("customer's name", &field("customer-name")).and_then(|name| {
                Ok(NewCustomer {
                    name,
                    country: validate::country(&field("customer-country"))?,
                })
            }) {
                Ok(b) => b,
                Err(why) => return change.refuse(why),
            };
        change.run(
            ctx,
            Method::POST,
            format!("{RESELLER}/customers"),
            api::json(&body),
            format!("{} created.", body.name),
            move |_: CustomerSummary| {
                clear("customer-name");
                refresh();
            },
        );
    };
    view! {
        <section aria-labelledby="customers-h">
            <h2 id="customers-h">"Customers"</h2>
            {change.outcome()}
            {loaded_view(reseller, |r: ResellerView| {
                let rows = r
                    .customers
                    .into_iter()
                    .map(|c| view! {
                        <tr data-customer=c.id>
                            <th scope="row">{c.name}</th>
                            <td>{c.country}</td>
                            <td class="number">{c.users}</td>
                        </tr>
                    })
                    .collect_view();
                view! {
                    <p class="muted">{format!("Customers of {}.", r.name)}</p>
                    <div class="scroll">
                        <table data-test="customers">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Country"</th>
                                    <th scope="col" class="number">"Users"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
            })}
            <form class="card" data-test="new-customer" on:submit=submit novalidate>
                <h3>"Create a customer"</h3>
                <div class="grid">
                    <div>
                        <label for="customer-name">"Name"</label>
                        <input id="customer-name" maxlength="100"/>
                    </div>
                    <div>
                        <label for="customer-country">"Country"</label>
                        <input id="customer-country" maxlength="2" aria-describedby="customer-country-hint"/>
                        <p id="customer-country-hint" class="hint">"Two letters (PT, BR): how its users' numbers are read."</p>
                    </div>
                </div>
                <button type="submit" class="primary" disabled=move || change.busy.get()>"Create customer"</button>
            </form>
        </section>
    }
}

/// The Presence mode tab.
#[component]
pub fn PresenceMode() -> impl IntoView {
    let ctx = Ctx::current();
    let reseller: Loaded<ResellerView> = RwSignal::new(None);
    let refresh = move || load(ctx, RESELLER.to_owned(), reseller);
    refresh();
    let change = Change::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mode = if checked("mode-active") {
            Mode::Active
        } else {
            Mode::Passive
        };
        let extension_lists = checked("mode-lists");
        if extension_lists && mode == Mode::Passive {
            return change.refuse("User extension lists need active mode.".to_owned());
        }
        change.run(
            ctx,
            Method::PUT,
            format!("{RESELLER}/mode"),
            api::json(&ModeUpdate {
                mode,
                extension_lists,
            }),
            format!("Mode set to {}: every widget shows it now.", mode.as_str()),
            move |v: ResellerView| reseller.set(Some(Ok(v))),
        );
    };
    view! {
        <section aria-labelledby="mode-h">
            <h2 id="mode-h">"Presence mode"</h2>
            {loaded_view(reseller, move |r: ResellerView| view! {
                <form class="card" data-test="mode" on:submit=submit novalidate>
                    <fieldset>
                        <legend>{format!("Mode of {} and all its customers", r.name)}</legend>
                        <div class="check">
                            <input type="radio" name="mode" id="mode-passive" checked=r.mode == Mode::Passive/>
                            <label for="mode-passive">"Passive: profiles are only shown"</label>
                        </div>
                        <div class="check">
                            <input type="radio" name="mode" id="mode-active" checked=r.mode == Mode::Active/>
                            <label for="mode-active">"Active: a profile also sets the user's phone services"</label>
                        </div>
                    </fieldset>
                    <div class="check">
                        <input type="checkbox" id="mode-lists" checked=r.extension_lists/>
                        <label for="mode-lists">"User extension lists (active mode)"</label>
                    </div>
                    <button type="submit" class="primary" disabled=move || change.busy.get()>"Save"</button>
                    {change.outcome()}
                </form>
            })}
        </section>
    }
}
