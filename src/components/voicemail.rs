//! Voicemail (issue 13): the message-waiting count beside the agent's badge and on the Voicemail
//! tab, and the tab itself: the messages newest first (who, when, how long, new or heard), each
//! played in the panel (its audio fetched with the bearer token into an object URL, revoked when
//! replaced or gone), marked heard once played, and deleted.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::app::{Ctx, Tab, Unloaded};
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
    let inside = move || {
        view! {
            <span aria-hidden="true">{if in_tab { "" } else { "✉ " }} {dyn_view(move || count().to_string())}</span>
            <span class="uc-sr">{if in_tab { ", " } else { "" }} {dyn_view(move || ctx.unheard_text(count()))}</span>
        }
    };
    if in_tab {
        return view! {
            <span class="uc-count" data-test="vm-tab-count" hidden=move || count() == 0>
                {inside()}
            </span>
        }
        .into_any();
    }
    view! {
        <button
            class="uc-mwi"
            data-test="mwi"
            hidden=move || count() == 0
            on:click=h(move |_| {
                ctx.choose_tab(Tab::Voicemail);
            })
        >
            {inside()}
        </button>
    }
    .into_any()
}

/// The message playing: its id, its object URL, and the listener that marks it heard.
struct Playing {
    id: String,
    url: String,
    player: web_sys::Element,
    _on_play: Closure<dyn FnMut()>,
}

thread_local! {
    /// What the panel's player plays, if anything (one player per page).
    static PLAYING: RefCell<Option<Playing>> = const { RefCell::new(None) };
}

/// The id of the message playing.
fn playing_id() -> Option<String> {
    PLAYING.with(|p| p.borrow().as_ref().map(|p| p.id.clone()))
}

/// Stops the player: its object URL revoked, its elements removed.
fn stop() {
    if let Some(p) = PLAYING.with(|p| p.borrow_mut().take()) {
        let _ = web_sys::Url::revoke_object_url(&p.url);
        p.player.set_inner_html("");
    }
}

/// The player of the Voicemail tab a click came from.
fn player_of(ev: &web_sys::MouseEvent) -> Option<web_sys::Element> {
    ev.target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-test=voicemail]")
        .ok()??
        .query_selector(".uc-player")
        .ok()?
}

/// Plays the message `id` from `url` in the panel's player, under the caller's `name`, replacing
/// what played (its URL revoked); its first `play` marks it heard. Built outside the reactive view,
/// so that no re-render of the list interrupts it (and the widget carries no view code for it).
fn play(ctx: Ctx, id: String, url: String, name: &str, player: web_sys::Element) -> Option<()> {
    stop();
    if !player.is_connected() {
        // The tab closed while the audio came: nothing plays it.
        let _ = web_sys::Url::revoke_object_url(&url);
        return None;
    }
    let doc = document();
    let label = doc.create_element("span").ok()?;
    label.set_class_name("uc-name");
    label.set_text_content(Some(name));
    let audio = doc.create_element("audio").ok()?;
    for (k, v) in [
        ("controls", ""),
        ("autoplay", ""),
        ("data-test", "vm-audio"),
        ("src", url.as_str()),
    ] {
        audio.set_attribute(k, v).ok()?;
    }
    let heard = id.clone();
    let on_play = Closure::<dyn FnMut()>::new(move || ctx.voicemail_heard(heard.clone()));
    audio
        .add_event_listener_with_callback("play", on_play.as_ref().unchecked_ref())
        .ok()?;
    player.append_child(&label).ok()?;
    player.append_child(&audio).ok()?;
    PLAYING.with(|p| {
        *p.borrow_mut() = Some(Playing {
            id,
            url,
            player,
            _on_play: on_play,
        })
    });
    Some(())
}

/// The Voicemail tab's panel, for [`crate::app::lazy_panel`]. With the crate's `split` feature
/// (every release build) this is a split function (wasm-split's, as Leptos's `lazy` makes them,
/// but `fallible`), async: the tab's code is a wasm chunk of its own, fetched the first time the
/// tab opens, and a fetch that fails is an [`Unloaded`] the panel says (never a panic, which would
/// stop the whole module); without it, a plain function that is always `Ok`.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(voicemail_panel_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn voicemail_panel() -> Result<AnyView, Unloaded> {
    Ok(view! { <Voicemail /> }.into_any())
}

/// The Voicemail tab.
#[component]
pub fn Voicemail() -> impl IntoView {
    let ctx = Ctx::current();
    // Leaving the tab stops the player and revokes its URL.
    on_cleanup(stop);
    let rows = move || {
        let lang = ctx.lang;
        let (messages, off) = {
            let s = ctx.store.read();
            let off = !s.me.as_ref().is_none_or(|m| m.voicemail);
            (s.voicemail.clone(), off)
        };
        // A message deleted (here, in another tab, or gone) stops playing.
        if let Some(id) = playing_id()
            && !messages.iter().any(|m| m.id == id)
        {
            stop();
        }
        if messages.is_empty() {
            return view! {
                <li class="uc-empty" data-test="vm-empty">
                    {ctx.t(T::VmEmpty)}
                    {off.then(|| [" ", ctx.t(T::VmOff)])}
                </li>
            }
            .into_any();
        }
        messages
            .into_iter()
            .map(|m| {
                let name = ctx.caller_name(&m);
                let (play_id, delete_id, who) = (m.id.clone(), m.id.clone(), name.clone());
                let (status, class) = if m.heard {
                    (T::VmHeard, "uc-vm-heard")
                } else {
                    (T::VmNew, "uc-vm-new")
                };
                view! {
                    <li
                        class="uc-call uc-vm"
                        data-test="vm-row"
                        data-heard=if m.heard { "true" } else { "false" }
                    >
                        <span class="uc-dir" aria-hidden="true">"✉"</span>
                        <div class="uc-call-text">
                            <span class="uc-name">{name.clone()}</span>
                            <span class="uc-detail">
                                <span data-test="when">{when(lang, m.created_at)}</span>
                                " · "
                                {format_duration(u64::from(m.duration_ms.div_ceil(1000)))}
                                " · "
                                <span class=class>{ctx.t(status)}</span>
                            </span>
                        </div>
                        <button
                            class="uc-button"
                            data-test="vm-play"
                            aria-label={std::sync::Arc::<str>::from(format!("{} {name}", ctx.t(T::VmPlay)))}
                            on:click=h(move |ev: leptos::ev::MouseEvent| {
                                let Some(player) = player_of(&ev) else {
                                    return;
                                };
                                let (id, who) = (play_id.clone(), who.clone());
                                ctx.voicemail_audio(
                                    id.clone(),
                                    Box::new(move |url: String| {
                                        play(ctx, id, url, &who, player);
                                    }),
                                );
                            })
                        >
                            "▶"
                        </button>
                        <button
                            class="uc-button uc-vm-delete"
                            data-test="vm-delete"
                            aria-label={std::sync::Arc::<str>::from(format!("{} {name}", ctx.t(T::VmDelete)))}
                            on:click=h(move |_| ctx.delete_voicemail(delete_id.clone()))
                        >
                            "✕"
                        </button>
                    </li>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
            .into_any()
    };
    view! {
        <div data-test="voicemail">
            <div class="uc-player" data-test="vm-player"></div>
            <ul class="uc-list uc-history" role="list">
                {dyn_view(rows)}
            </ul>
        </div>
    }
}
