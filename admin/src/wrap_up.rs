//! The After-call work tab: the dispositions agents pick from (code and label, in order) and how
//! long a wrap-up stays open, checked by core's own wrap-up rules before it is sent.

use gloo_net::http::Method;
use leptos::prelude::*;
use ucclient_core::api::WrapUpSettings;
use ucclient_core::wrapup;

use crate::api;
use crate::app::{Change, Ctx, Loaded, field, load, loaded_view};
use crate::validate;

/// The settings' path.
const WRAP_UP: &str = "/admin/wrap-up";

/// The tab.
#[component]
pub fn WrapUpTab() -> impl IntoView {
    let ctx = Ctx::current();
    let settings: Loaded<WrapUpSettings> = RwSignal::new(None);
    let refresh = move || load(ctx, WRAP_UP.to_owned(), settings);
    refresh();
    // The tab's, not the form's: the form is drawn again from the refreshed settings.
    let change = Change::new();
    view! {
        <section aria-labelledby="wrap-up-h">
            <h2 id="wrap-up-h">"After-call work"</h2>
            <p class="muted">
                "After a call an agent picks one of these dispositions and may type notes; the wrap-up "
                "closes by itself after the time below."
            </p>
            {loaded_view(settings, move |s: WrapUpSettings| view! { <WrapUpForm settings=s change=change refresh=refresh/> })}
        </section>
    }
}

/// The editable list and time.
#[component]
fn WrapUpForm(
    settings: WrapUpSettings,
    change: Change,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = Ctx::current();
    // Each row has a stable number (its key and the ids of its fields) so that typing never
    // re-renders a row; the values are read from the fields when the form is sent.
    let next = StoredValue::new(settings.dispositions.len());
    let rows: RwSignal<Vec<(usize, String, String)>> = RwSignal::new(
        settings
            .dispositions
            .iter()
            .enumerate()
            .map(|(i, d)| (i, d.code.clone(), d.label.clone()))
            .collect(),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed: Vec<(String, String)> = rows.with_untracked(|r| {
            r.iter()
                .map(|(n, _, _)| (field(&format!("code-{n}")), field(&format!("label-{n}"))))
                .collect()
        });
        let body = match validate::wrap_up(&typed, &field("wrap-up-seconds")) {
            Ok(b) => b,
            Err(why) => return change.refuse(why),
        };
        change.run(
            ctx,
            Method::PUT,
            WRAP_UP.to_owned(),
            api::json(&body),
            "After-call work saved.".to_owned(),
            move |_: WrapUpSettings| refresh(),
        );
    };
    let add = move |_| {
        if rows.with_untracked(Vec::len) >= wrapup::MAX_DISPOSITIONS {
            return change.refuse(format!(
                "At most {} dispositions.",
                wrapup::MAX_DISPOSITIONS
            ));
        }
        let n = next.get_value();
        next.set_value(n + 1);
        rows.update(|r| r.push((n, String::new(), String::new())));
        crate::app::focus_later(format!("code-{n}"));
    };
    view! {
        <form class="card" data-test="wrap-up" on:submit=submit novalidate>
            <table class="dispositions">
                <thead>
                    <tr>
                        <th scope="col">"Code"</th>
                        <th scope="col">"Label agents read"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|(n, _, _)| *n children=move |(n, code, label)| {
                        view! {
                            <tr>
                                <td>
                                    <input id=format!("code-{n}") aria-label="Code" maxlength="32" value=code/>
                                </td>
                                <td>
                                    <input id=format!("label-{n}") aria-label="Label" maxlength="64" value=label/>
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
            <p class="hint">"Codes are 1 to 32 of a-z, 0-9 and _; they are stored on the call and sent to the CRM."</p>
            <div class="buttons">
                <button type="button" on:click=add>"Add a disposition"</button>
            </div>
            <div class="inline">
                <label for="wrap-up-seconds">"Wrap-up time (seconds)"</label>
                <input
                    id="wrap-up-seconds"
                    type="number"
                    min=wrapup::MIN_WRAP_UP_SECONDS
                    max=wrapup::MAX_WRAP_UP_SECONDS
                    value=settings.seconds
                />
            </div>
            <button type="submit" class="primary" disabled=move || change.busy.get()>"Save"</button>
            {change.outcome()}
        </form>
    }
}
