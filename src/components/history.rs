//! The call history: recent calls with direction, number, duration, and redial.

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::api::CallDirection;

use crate::app::Ctx;
use crate::i18n::{T, call_outcome, direction_text, tr};
use crate::state::{format_duration, talk_seconds};

/// The list of finished calls, newest first.
#[component]
pub fn History() -> impl IntoView {
    let ctx = Ctx::current();
    let rows = move || {
        let lang = ctx.lang;
        let calls = {
            let s = ctx.store.read();
            s.history.clone()
        };
        if calls.is_empty() {
            return view! { <p class="uc-empty">{tr(lang, T::NoCalls)}</p> }.into_any();
        }
        calls
            .into_iter()
            .map(|c| {
                let number = match c.direction {
                    CallDirection::Outbound => c.to.clone(),
                    CallDirection::Inbound => c.from.clone(),
                };
                let arrow = match c.direction {
                    CallDirection::Outbound => "↗",
                    CallDirection::Inbound => "↙",
                };
                let duration = match talk_seconds(&c) {
                    Some(s) => format_duration(s),
                    None => tr(lang, T::NotAnswered).to_owned(),
                };
                let redial = number.clone();
                let outcome = call_outcome(lang, &c);
                view! {
                    <li class="uc-call" data-test="history-row">
                        <span class="uc-dir" aria-hidden="true">{arrow}</span>
                        <div class="uc-call-text">
                            <span class="uc-name">{number.clone()}</span>
                            <span class="uc-detail">
                                {tr(lang, direction_text(c.direction))} " · "
                                {outcome} " · " {duration}
                            </span>
                        </div>
                        <button
                            class="uc-button"
                            aria-label={std::sync::Arc::<str>::from(format!("{} {number}", tr(lang, T::Redial)))}
                            on:click=h(move |_| ctx.dial(redial.clone(), None))
                        >
                            "↻"
                        </button>
                    </li>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
            .into_any()
    };
    view! { <ul class="uc-list uc-history" data-test="history" role="list">{dyn_view(rows)}</ul> }
}
