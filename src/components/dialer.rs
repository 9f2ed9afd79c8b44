//! The dialer (number field with immediate feedback, dial) and the call cards: the live call with its
//! state, timer and hang-up, and the incoming-call card.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::Language;
use ucclient_core::api::{Call, CallDirection, CallState, Timestamp};
use ucclient_core::phone::{as_extension, normalise};

use crate::api::CallAction;
use crate::app::Ctx;
use crate::i18n::{T, call_state_text, phone_error_text, tr};
use crate::state::{format_duration, seconds_between};

/// What the dialer says about the number typed so far: `(is_problem, sentence)`. Only a hint — the
/// customer's default country is the server's to apply — so the country is guessed from the language.
pub fn number_hint(lang: Language, input: &str) -> Option<(bool, String)> {
    if input.trim().is_empty() {
        return None;
    }
    if let Some(ext) = as_extension(input) {
        return Some((false, format!("{} {ext}", tr(lang, T::InternalExtension))));
    }
    let country = if lang == Language::PtBr { "BR" } else { "PT" };
    Some(match normalise(input, country) {
        Ok(n) => (false, format!("{} {n}", tr(lang, T::WillDial))),
        Err(e) => (true, tr(lang, phone_error_text(&e)).to_owned()),
    })
}

/// The number field and the dial button.
#[component]
pub fn Dialer() -> impl IntoView {
    let ctx = Ctx::current();
    let hint = move || number_hint(ctx.lang, &ctx.ui.read().dial_input);
    let invalid = move || hint().is_some_and(|(bad, _)| bad);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = ctx.ui.read_untracked().dial_input.clone();
        if !n.trim().is_empty() {
            ctx.dial(n.trim().to_owned(), None);
        }
    };
    view! {
        <form class="uc-dialer" data-test="dialer" on:submit=h(submit)>
            <label for="uc-number">{ctx.t(T::Number)}</label>
            <div class="uc-row">
                <input
                    id="uc-number"
                    type="tel"
                    inputmode="tel"
                    autocomplete="off"
                    maxlength="64"
                    aria-describedby="uc-number-hint"
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    prop:value=move || ctx.ui.read().dial_input.clone()
                    on:input=h(move |ev| ctx.ui.update(|u| u.dial_input = event_target_value(&ev)))
                />
                <button
                    class="uc-button uc-primary"
                    type="submit"
                    disabled=move || { let u = ctx.ui.read(); u.busy || u.dial_input.trim().is_empty() }
                >
                    {ctx.t(T::Call)}
                </button>
            </div>
            <p
                id="uc-number-hint"
                class=move || if invalid() { "uc-hint uc-invalid" } else { "uc-hint" }
                aria-live="polite"
            >
                {dyn_view(move || hint().map(|(_, s)| s))}
            </p>
        </form>
    }
}

/// The cards of the calls in progress (outgoing and incoming), shown above every tab.
#[component]
pub fn CallCards() -> impl IntoView {
    let ctx = Ctx::current();
    // A tick each second re-reads the clock (a trigger, not a signal of the time: code size).
    let now = Trigger::new();
    if let Ok(h) = set_interval_with_handle(move || now.notify(), Duration::from_secs(1)) {
        on_cleanup(move || h.clear());
    }
    let cards = move || {
        let lang = ctx.lang;
        let calls: Vec<Call> = {
            let s = ctx.store.read();
            s.live_calls.clone()
        };
        calls
            .into_iter()
            .map(|call| card(ctx, lang, call, now))
            .map(IntoAny::into_any)
            .collect_view()
    };
    view! { <div class="uc-calls" data-test="calls">{dyn_view(cards)}</div> }
}

/// The lowercase name of a call state, as the call card's `data-state`.
pub fn state_name(state: CallState) -> &'static str {
    match state {
        CallState::Dialing => "dialing",
        CallState::Ringing => "ringing",
        CallState::Connected => "connected",
        CallState::Ended => "ended",
        CallState::Failed => "failed",
    }
}

fn card(ctx: Ctx, lang: Language, call: Call, now: Trigger) -> impl IntoView {
    let incoming = call.direction == CallDirection::Inbound;
    let (title, number) = if incoming {
        (T::IncomingCall, call.from.clone())
    } else {
        (T::OutgoingCall, call.to.clone())
    };
    let from = call.answered_at.unwrap_or(call.started_at);
    let timer = move || {
        now.track();
        let now = Timestamp::from_millis(js_sys::Date::now() as i64).unwrap_or(from);
        format_duration(seconds_between(from, now))
    };
    let id = call.id.clone();
    let state = call.state;
    view! {
        <div
            class=if incoming { "uc-card uc-incoming" } else { "uc-card" }
            data-test="call-card"
            data-state=state_name(state)
            role="group"
            aria-label=tr(lang, title)
        >
            <div class="uc-card-text">
                <span class="uc-card-title">{tr(lang, title)}</span>
                <span class="uc-card-number">{number}</span>
                <span class="uc-card-state">
                    {tr(lang, call_state_text(state))}
                    {(state == CallState::Connected).then(|| view! { " · " <span class="uc-timer">{dyn_view(timer)}</span> }.into_any())}
                </span>
            </div>
            {if incoming && state == CallState::Ringing {
                let (answer, decline) = (id.clone(), id);
                view! {
                    <div class="uc-card-actions">
                    <button class="uc-button" data-test="answer" on:click=h(move |_| ctx.call_action(answer.clone(), CallAction::Answer))>
                        {tr(lang, T::Answer)}
                    </button>
                    <button class="uc-button uc-danger" data-test="decline" on:click=h(move |_| ctx.call_action(decline.clone(), CallAction::Decline))>
                        {tr(lang, T::Decline)}
                    </button>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <button class="uc-button uc-danger" data-test="hangup" on:click=h(move |_| ctx.hangup(id.clone()))>
                        {tr(lang, T::HangUp)}
                    </button>
                }
                .into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_number_as_typed() {
        assert_eq!(number_hint(Language::En, " "), None);
        assert_eq!(
            number_hint(Language::En, "202"),
            Some((false, "Internal extension 202".into()))
        );
        assert_eq!(
            number_hint(Language::En, "912 345 678"),
            Some((false, "Will dial +351912345678".into()))
        );
        assert_eq!(
            number_hint(Language::PtBr, "(11) 98765-4321"),
            Some((false, "Vai discar +5511987654321".into()))
        );
        assert_eq!(
            number_hint(Language::En, "9123456").map(|h| h.0),
            Some(true)
        );
        assert_eq!(
            number_hint(Language::PtPt, "call me"),
            Some((true, "Use só algarismos, espaços e + - . / ( ).".into()))
        );
    }
}
