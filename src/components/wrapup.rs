//! After-call work (issue 13): the wrap-up form on the card of a call that ended (notes, the
//! customer's dispositions, Save, the time left), and its draft in the browser's `localStorage`.
//!
//! The draft is written on every keystroke under the agent's id and the call's id, so a reload of
//! the panel (or of the CRM page around it) shows what was typed; it is removed once the backend
//! stored the wrap-up. When the customer's time limit runs out, what was typed is saved as it is
//! ([`expire`], on the call cards' clock) and the card closes: nothing typed is lost.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use ucclient_core::Language;
use ucclient_core::api::{Call, Disposition, WrapUp};
use ucclient_core::wrapup::{self, DEFAULT_DISPOSITIONS};

use crate::app::{Ctx, Unloaded};
use crate::components::{dyn_view, h};
use crate::i18n::{T, tr};
use crate::state::format_duration;

/// The `localStorage` key of a draft: per agent and call, never anything secret.
fn draft_key(user: &str, call_id: &str) -> String {
    format!("ucclient-wrapup:{user}:{call_id}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The draft typed for `call_id` by `user`, if any.
pub fn load_draft(user: &str, call_id: &str) -> Option<WrapUp> {
    let text = storage()?.get_item(&draft_key(user, call_id)).ok()??;
    crate::api::from_json(&text)
}

/// Keeps what was typed (a full or blocked storage only costs the draft, never the form).
pub fn save_draft(user: &str, call_id: &str, draft: &WrapUp) {
    if let (Some(s), Some(text)) = (storage(), crate::api::to_json(draft)) {
        let _ = s.set_item(&draft_key(user, call_id), &text);
    }
}

/// Forgets the draft once the backend stored the wrap-up.
pub fn forget_draft(user: &str, call_id: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&draft_key(user, call_id));
    }
}

/// Whether a draft holds anything worth saving.
pub fn has_content(draft: &WrapUp) -> bool {
    !draft.notes.trim().is_empty() || draft.disposition.is_some()
}

/// Most call ids [`SENT`] remembers: more than the history keeps ([`crate::state::MAX_HISTORY`]).
const MAX_SENT: usize = 2 * crate::state::MAX_HISTORY;

thread_local! {
    /// Calls whose expired draft this page already sent (not sent again each second while the
    /// request runs, nor after a refusal: the draft stays for the agent).
    static SENT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The notes' `maxlength`: [`ucclient_core::wrapup::MAX_NOTES_CHARS`] written as a literal (a
/// `String` attribute value would cost the module one more attribute type; a test keeps them equal).
const MAX_NOTES_ATTR: &str = "2000";

/// Saves, once, the draft of every call whose wrap-up time ran out: on the cards' clock.
pub fn expire(ctx: Ctx) {
    let now = js_sys::Date::now() as i64;
    let Some((user, expired)) = ctx.store.try_with_untracked(|s| {
        (
            s.my_id().unwrap_or_default().to_owned(),
            s.expired_wrap_ups(now),
        )
    }) else {
        return;
    };
    for call in expired {
        let first = SENT.with(|sent| {
            let mut sent = sent.borrow_mut();
            let new = !sent.contains(&call.id);
            if new {
                sent.push(call.id.clone());
                // Bounded: more than the history holds, so a call still listed is never retried.
                if sent.len() > MAX_SENT {
                    sent.remove(0);
                }
            }
            new
        });
        if !first {
            continue;
        }
        if let Some(draft) = load_draft(&user, &call.id)
            && has_content(&draft)
        {
            ctx.save_wrap_up(call.id.clone(), draft);
        }
    }
}

/// A disposition's label in the agent's language: the translation of core's defaults while the
/// customer kept their English label, else the label the customer gave.
pub fn disposition_label(lang: Language, d: &Disposition) -> &str {
    let key = match DEFAULT_DISPOSITIONS
        .iter()
        .position(|(code, label)| d.code == *code && d.label == *label)
    {
        Some(0) => T::DispConnected,
        Some(1) => T::DispLeftVoicemail,
        Some(2) => T::DispNoAnswer,
        Some(3) => T::DispWrongNumber,
        Some(4) => T::DispFollowUp,
        _ => return &d.label,
    };
    tr(lang, key)
}

/// The wrap-up form of the ended `call` (see [`form`]) as a panel for [`crate::app::lazy_panel`]:
/// with the `split` feature (every release build) an async split function like
/// [`crate::components::voicemail::voicemail_panel`], its code a wasm chunk of its own, fetched
/// when a CRM panel first shows a wrap-up (the standalone page never does: it logs nowhere); a
/// plain function without it (tests, `--dev` builds).
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(form_panel_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn form_panel(ctx: Ctx, lang: Language, call: Call, now: Trigger) -> Result<AnyView, Unloaded> {
    Ok(form(ctx, lang, &call, now).into_any())
}

/// The wrap-up form of the ended `call`: notes, the customer's dispositions, Save, and the time
/// left before it saves itself. `now` is the cards' one-second clock.
pub fn form(ctx: Ctx, lang: Language, call: &Call, now: Trigger) -> impl IntoView + use<> {
    let (user, settings) = ctx.store.with_untracked(|s| {
        (
            s.my_id().unwrap_or_default().to_owned(),
            s.me.as_ref().and_then(|m| m.wrap_up.clone()),
        )
    });
    let settings = settings.unwrap_or_default();
    let id = call.id.clone();
    // Not a signal: nothing shown reacts to it (the fields hold what is typed), and a signal of
    // another type would cost its own instantiation of the reactive code.
    let draft = Rc::new(RefCell::new(load_draft(&user, &id).unwrap_or_default()));
    let keep = {
        let (user, id, draft) = (user.clone(), id.clone(), draft.clone());
        move |change: &dyn Fn(&mut WrapUp)| {
            change(&mut draft.borrow_mut());
            save_draft(&user, &id, &draft.borrow());
        }
    };
    let keep_notes = keep.clone();
    let deadline = wrapup::wrap_up_deadline(call, settings.seconds).map(|d| d.as_millis());
    let left = move || {
        now.track();
        let ms = deadline.unwrap_or(0) - js_sys::Date::now() as i64;
        let mut text = tr(lang, T::WrapUpSavesIn).to_owned();
        text.push(' ');
        text.push_str(&format_duration((ms.max(0) as u64).div_ceil(1000)));
        text
    };
    let (chosen, typed) = {
        let d = draft.borrow();
        (d.disposition.clone(), d.notes.clone())
    };
    let options = settings
        .dispositions
        .iter()
        .map(|d| {
            let selected = chosen.as_deref() == Some(d.code.as_str());
            // `prop:` values and an `Arc<str>` id: attribute types the routing editor has already.
            view! { <option prop:value=d.code.clone() prop:selected=move || selected>{disposition_label(lang, d).to_owned()}</option> }
                .into_any()
        })
        .collect_view();
    let none = chosen.is_none();
    let (notes_id, outcome_id) = (
        format!("uc-wrapup-notes-{id}"),
        format!("uc-wrapup-outcome-{id}"),
    );
    view! {
        <form
            class="uc-wrapup"
            data-test="wrap-up"
            on:submit=h(move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                ctx.save_wrap_up(id.clone(), draft.borrow().clone());
            })
        >
            <label for=notes_id.clone()>{tr(lang, T::WrapUpNotes)}</label>
            <textarea
                id={Arc::<str>::from(notes_id)}
                data-test="wrap-up-notes"
                rows="3"
                maxlength=MAX_NOTES_ATTR
                prop:value=move || typed.clone()
                on:input=h(move |ev| {
                    let notes = event_target_value(&ev);
                    keep_notes(&move |d| d.notes = notes.clone());
                })
            ></textarea>
            <label for=outcome_id.clone()>{tr(lang, T::WrapUpOutcome)}</label>
            <select
                id={Arc::<str>::from(outcome_id)}
                data-test="wrap-up-outcome"
                on:change=h(move |ev| {
                    let v = event_target_value(&ev);
                    keep(&move |d| d.disposition = (!v.is_empty()).then(|| v.clone()));
                })
            >
                <option value="" prop:selected=move || none>{tr(lang, T::WrapUpNoOutcome)}</option>
                {options}
            </select>
            <div class="uc-row">
                <p class="uc-hint" data-test="wrap-up-left">{dyn_view(left)}</p>
                <button class="uc-button uc-primary" type="submit" data-test="wrap-up-save">
                    {tr(lang, T::Save)}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_notes_field_is_bounded_like_the_server() {
        assert_eq!(
            super::MAX_NOTES_ATTR,
            ucclient_core::wrapup::MAX_NOTES_CHARS.to_string()
        );
    }
}
