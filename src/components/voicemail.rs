//! Voicemail (issue 13): the message-waiting count beside the agent's badge and on the Voicemail
//! tab, and the tab itself: the messages newest first (who, when, how long, new or heard), each
//! played in the panel (its audio fetched with the bearer token into an object URL, revoked when
//! replaced or gone), marked heard once played, and deleted.

use std::sync::{Arc, Mutex};

use leptos::prelude::*;

use crate::app::{Ctx, Tab};
use crate::components::history::when;
use crate::components::{dyn_view, h};
use crate::i18n::T;
use crate::state::format_duration;

/// The message-waiting count: in the header (`in_tab` false) a button beside the badge that opens
/// the Voicemail tab, in the tab's label a count; the number is shown, its sentence ("2 new
/// voicemail messages") is what assistive technology reads. Hidden while nothing is unheard.
#[component]
pub fn MessageWaiting(
    /// Whether this is the count inside the Voicemail tab's label.
    in_tab: bool,
) -> impl IntoView {
    let ctx = Ctx::current();
    let count = move || ctx.store.read().voicemail_unheard;
    let number = move || count().to_string();
    let sentence = move || ctx.unheard_text(count());
    if in_tab {
        return view! {
            <span class="uc-count" data-test="vm-tab-count" hidden=move || count() == 0>
                <span aria-hidden="true">{dyn_view(number)}</span>
                <span class="uc-sr">" (" {dyn_view(sentence)} ")"</span>
            </span>
        }
        .into_any();
    }
    view! {
        <button
            class="uc-mwi"
            data-test="mwi"
            hidden=move || count() == 0
            aria-label=move || ctx.unheard_text(count())
            title=move || ctx.unheard_text(count())
            on:click=h(move |_| {
                ctx.choose_tab(Tab::Voicemail);
            })
        >
            <span aria-hidden="true">"✉ " {dyn_view(number)}</span>
        </button>
    }
    .into_any()
}

/// Revokes an object URL made for a message's audio.
fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// The Voicemail tab.
#[component]
pub fn Voicemail() -> impl IntoView {
    let ctx = Ctx::current();
    // The message playing and its object URL; the URL also kept apart for the cleanup, which
    // runs when the signal may be gone already.
    let playing: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let current: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let swap = {
        let current = current.clone();
        move |next: Option<String>| {
            let mut slot = current.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(old) = std::mem::replace(&mut *slot, next) {
                revoke(&old);
            }
        }
    };
    let swap2 = swap.clone();
    on_cleanup(move || swap2(None));
    // A message deleted (here, in another tab, or gone) stops playing, its URL revoked.
    let swap3 = swap.clone();
    Effect::new(move |_| {
        let Some((id, _)) = playing.get() else {
            return;
        };
        let gone = !ctx.store.read().voicemail.iter().any(|m| m.id == id);
        if gone {
            swap3(None);
            playing.set(None);
        }
    });
    let play = move |id: String| {
        let swap = swap.clone();
        ctx.voicemail_audio(
            id.clone(),
            Box::new(move |url: String| {
                swap(Some(url.clone()));
                if playing.try_set(Some((id, url))).is_some() {
                    // The tab closed while the audio came: nothing plays it.
                    swap(None);
                }
            }),
        );
    };
    let player = move || {
        playing.get().map(|(id, url)| {
            let name = {
                let m = ctx
                    .store
                    .read_untracked()
                    .voicemail
                    .iter()
                    .find(|m| m.id == id)
                    .cloned();
                m.map(|m| ctx.caller_name(&m)).unwrap_or_default()
            };
            view! {
                <div class="uc-player" data-test="vm-player">
                    <span class="uc-name">{name}</span>
                    <audio
                        controls
                        autoplay
                        src=url
                        data-test="vm-audio"
                        on:play=h(move |_| ctx.voicemail_heard(id.clone()))
                    ></audio>
                </div>
            }
        })
    };
    let list = Memo::new(move |_| ctx.store.read().voicemail.clone());
    let rows = move || {
        let lang = ctx.lang;
        let messages = list.get();
        if messages.is_empty() {
            let off = !ctx
                .store
                .read_untracked()
                .me
                .as_ref()
                .is_none_or(|m| m.voicemail);
            return view! {
                <li class="uc-empty" data-test="vm-empty">
                    {ctx.t(T::VmEmpty)}
                    {off.then(|| view! { " " {ctx.t(T::VmOff)} })}
                </li>
            }
            .into_any();
        }
        messages
            .into_iter()
            .map(|m| {
                let name = ctx.caller_name(&m);
                let (play_id, delete_id) = (m.id.clone(), m.id.clone());
                let play = play.clone();
                let status = if m.heard {
                    view! { <span class="uc-vm-heard">{ctx.t(T::VmHeard)}</span> }.into_any()
                } else {
                    view! { <strong class="uc-vm-new">{ctx.t(T::VmNew)}</strong> }.into_any()
                };
                let play_label = format!("{} {name}", ctx.t(T::VmPlay));
                let delete_label = format!("{} {name}", ctx.t(T::VmDelete));
                view! {
                    <li
                        class="uc-call uc-vm"
                        data-test="vm-row"
                        data-heard=if m.heard { "true" } else { "false" }
                    >
                        <span class="uc-dir" aria-hidden="true">"✉"</span>
                        <div class="uc-call-text">
                            <span class="uc-name">{name}</span>
                            <span class="uc-detail">
                                <span data-test="when">{when(lang, m.created_at)}</span>
                                " · "
                                <span data-test="length">
                                    {format_duration(u64::from(m.duration_ms.div_ceil(1000)))}
                                </span>
                                " · "
                                {status}
                            </span>
                        </div>
                        <button
                            class="uc-button"
                            data-test="vm-play"
                            title=play_label.clone()
                            aria-label=play_label
                            on:click=h(move |_| play(play_id.clone()))
                        >
                            "▶"
                        </button>
                        <button
                            class="uc-button uc-vm-delete"
                            data-test="vm-delete"
                            title=delete_label.clone()
                            aria-label=delete_label
                            on:click=h(move |_| ctx.delete_voicemail(delete_id.clone()))
                        >
                            "✕"
                        </button>
                    </li>
                }
                .into_any()
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div data-test="voicemail">
            {dyn_view(player)}
            <ul class="uc-list uc-history" role="list" aria-label=ctx.t(T::TabVoicemail)>
                {dyn_view(rows)}
            </ul>
        </div>
    }
}
