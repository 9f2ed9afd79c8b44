//! The call history: recent calls with whom (named as the call card names them), when, direction,
//! what they came to (a transfer with its target), and redial — "Call back" on a missed call.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::components::{dyn_view, h};
use ucclient_core::Language;
use ucclient_core::api::{CallDirection, Timestamp};

use crate::app::{Ctx, Unloaded};
use crate::host::interop::Payload;
use crate::i18n::{T, call_summary_named, direction_text, tr};

/// Days from the local day of `then_ms` to the local day of `now_ms` (milliseconds since the
/// epoch), each with its own offset from UTC in minutes as `Date.getTimezoneOffset` gives it
/// (west of UTC positive; the two differ across a daylight-saving change): 0 today, 1 yesterday.
pub fn days_ago(then_ms: f64, then_offset: f64, now_ms: f64, now_offset: f64) -> i64 {
    let day = |ms: f64, offset: f64| ((ms - offset * 60_000.0) / 86_400_000.0).floor() as i64;
    day(now_ms, now_offset) - day(then_ms, then_offset)
}

/// When a call started, as its history row says it, by the browser's calendar in the agent's
/// language: the time today ("14:05"), "Yesterday 14:05", else the date ("04/12/2026"). English
/// is written the British way ("14:05"), as the widget's English is British.
pub fn when(lang: Language, started: Timestamp) -> String {
    let ms = started.as_millis() as f64;
    let at = js_sys::Date::new(&JsValue::from_f64(ms));
    let now = js_sys::Date::new_0();
    let tag = if lang == Language::En {
        "en-GB"
    } else {
        lang.tag()
    };
    let days = days_ago(
        ms,
        at.get_timezone_offset(),
        now.get_time(),
        now.get_timezone_offset(),
    );
    if days > 1 {
        return at.to_locale_date_string(tag, &JsValue::UNDEFINED).into();
    }
    let hh_mm = Payload::default()
        .with("hour", "2-digit")
        .with("minute", "2-digit")
        .to_js();
    let time: String = at.to_locale_time_string_with_options(tag, &hh_mm).into();
    if days == 1 {
        format!("{} {time}", tr(lang, T::Yesterday))
    } else {
        time
    }
}

/// The History tab's panel, for [`crate::app::lazy_panel`]: like
/// [`crate::components::voicemail::voicemail_panel`], an async `lazy` function whose code is a wasm
/// chunk of its own with the `split` feature, a plain function without it.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(history_panel_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn history_panel() -> Result<AnyView, Unloaded> {
    Ok(view! { <History /> }.into_any())
}

/// The list of finished calls, newest first.
#[component]
pub fn History() -> impl IntoView {
    let ctx = Ctx::current();
    let rows = move || {
        let lang = ctx.lang;
        let calls: Vec<_> = {
            let s = ctx.store.read();
            s.history
                .iter()
                .map(|c| (c.clone(), s.party_name(c), call_summary_named(lang, &s, c)))
                .collect()
        };
        if calls.is_empty() {
            return view! { <p class="uc-empty">{tr(lang, T::NoCalls)}</p> }.into_any();
        }
        calls
            .into_iter()
            .map(|(c, name, summary)| {
                let (arrow, redial) = match c.direction {
                    CallDirection::Outbound => ("↗", c.to.clone()),
                    CallDirection::Inbound => ("↙", c.from.clone()),
                };
                // A missed call says so and is called back in one click (a named button).
                let missed = c.is_missed();
                let (label, face) = if missed {
                    (T::CallBack, tr(lang, T::CallBack))
                } else {
                    (T::Redial, "✆")
                };
                view! {
                    <li class=if missed { "uc-call uc-missed" } else { "uc-call" } data-test="history-row">
                        <span class="uc-dir" aria-hidden="true">{arrow}</span>
                        <div class="uc-call-text">
                            <span class="uc-name">{name.clone()}</span>
                            <span class="uc-detail">
                                <span data-test="when">{when(lang, c.started_at)}</span> " · "
                                {tr(lang, direction_text(c.direction))} " · "
                                {summary}
                            </span>
                        </div>
                        <button
                            class="uc-button"
                            data-test=if missed { "call-back" } else { "redial" }
                            aria-label={std::sync::Arc::<str>::from(format!("{} {name}", tr(lang, label)))}
                            disabled=move || ctx.store.read().on_a_call()
                            on:click=h(move |_| ctx.dial(redial.clone(), None))
                        >
                            {face}
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

#[cfg(test)]
mod tests {
    use super::days_ago;

    const DAY: f64 = 86_400_000.0;

    #[test]
    fn days_are_counted_on_the_local_calendar() {
        // 2026-12-06T00:30Z and 23:30Z: the same day in London, two days in São Paulo (UTC-3,
        // offset +180): 00:30Z is still the 5th there.
        let midnight = 1_796_515_200_000.0;
        let (early, late) = (midnight + 0.5 * DAY / 24.0, midnight + 23.5 * DAY / 24.0);
        assert_eq!(days_ago(early, 0.0, late, 0.0), 0);
        assert_eq!(days_ago(early, 180.0, late, 180.0), 1);
        assert_eq!(days_ago(late - DAY, 0.0, early, 0.0), 1);
        assert_eq!(days_ago(early - 3.0 * DAY, 0.0, early, 0.0), 3);
        // Across a daylight-saving change (Lisbon: +0 in winter, -60 in summer).
        assert_eq!(
            days_ago(
                midnight - 0.5 * DAY / 24.0,
                -60.0,
                midnight + DAY / 2.0,
                0.0
            ),
            0
        );
    }
}
