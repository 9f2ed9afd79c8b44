//! The softphone's controls: "Use this panel as my phone" with its state, the microphone and
//! speaker (in the Presence tab), and mute and the DTMF keypad on the card of the call the panel
//! carries. Written for size like the rest of the views (`h`, `dyn_view`, `Arc<str>` attributes).
//!
//! Their few styles are set here (`prop:style`, CSSOM, which a CSP without `'unsafe-inline'` lets
//! through) rather than in `widget.css`: the stylesheet is in every host's download, and the CRM
//! hosts, which have no softphone, are at their size ceiling.

use std::sync::Arc;

use leptos::prelude::*;

use super::{Act, S, media, start, ts};
use crate::app::Ctx;
use crate::components::{dyn_view, h};

/// The keys of the DTMF keypad, in its 3 × 4 order.
pub const KEYPAD: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

/// One device `select` (microphone or speaker): the browser's default first, then each device by
/// its label (numbered when the browser gives none); choosing one calls `chose` with its id.
fn device_select(
    ctx: Ctx,
    id: &'static str,
    label: S,
    list: Vec<(String, String)>,
    chosen: String,
    chose: Box<dyn FnMut(leptos::ev::Event)>,
) -> AnyView {
    let lang = ctx.lang;
    let options = std::iter::once((String::new(), ts(lang, S::DefaultDevice).to_owned()))
        .chain(list.into_iter().enumerate().map(|(i, (dev, name))| {
            let name = if name.is_empty() {
                format!("{} {}", ts(lang, label), i + 1)
            } else {
                name
            };
            (dev, name)
        }))
        .map(|(dev, name)| {
            let selected = dev == chosen;
            let value: Arc<str> = Arc::from(dev);
            view! { <option value=value prop:selected=move || selected>{name}</option> }
        })
        .collect_view();
    view! {
        <label for=id>{ts(lang, label)}</label>
        <select id=id data-test=id on:change=chose>{options}</select>
    }
    .into_any()
}

/// The Presence tab's softphone controls (inside [`super::section`]).
pub fn controls(ctx: Ctx) -> AnyView {
    let lang = ctx.lang;
    let status = move || {
        let p = ctx.phone.read();
        p.said
            .or_else(|| p.registration.as_ref().map(|_| ts(lang, S::IsPhone)))
            .or_else(|| p.on.then(|| ts(lang, S::Registering)))
    };
    let settings = move || {
        let p = ctx.phone.read();
        p.registration.as_ref()?;
        let (mics, speakers, mic, speaker, outgoing) = (
            p.mics.clone(),
            p.speakers.clone(),
            p.mic.clone(),
            p.speaker.clone(),
            p.outgoing,
        );
        let choose_mic = h(move |ev| {
            let device = event_target_value(&ev);
            ctx.phone.update(|p| p.mic = device.clone());
            leptos::task::spawn_local(async move {
                let sending = ctx.phone.with_untracked(|p| !p.muted);
                if let Err(why) = media::change_microphone(&device, sending).await {
                    ctx.phone.update(|p| p.said = Some(ts(ctx.lang, why)));
                }
            });
        });
        let choose_speaker = h(move |ev| {
            let device = event_target_value(&ev);
            media::change_speaker(&device);
            ctx.phone.update(|p| p.speaker = device);
        });
        Some(view! {
            <label class="uc-check">
                <input
                    type="checkbox"
                    data-test="softphone-outgoing"
                    prop:checked=move || outgoing
                    on:change=h(move |ev| {
                        let on = event_target_checked(&ev);
                        ctx.phone.update(|p| p.outgoing = on);
                    })
                />
                {ts(lang, S::PlaceCalls)}
            </label>
            {device_select(ctx, "uc-mic", S::Microphone, mics, mic, choose_mic)}
            {(!speakers.is_empty()).then(|| device_select(ctx, "uc-speaker", S::Speaker, speakers, speaker, choose_speaker))}
        })
    };
    view! {
        <div id="uc-softphone-controls">
            <label class="uc-check">
                <input
                    type="checkbox"
                    data-test="softphone-toggle"
                    prop:checked=move || ctx.phone.read().on
                    on:change=h(move |ev| {
                        start(ctx, if event_target_checked(&ev) { Act::Enable } else { Act::Disable });
                    })
                />
                {ts(lang, S::UsePanel)}
            </label>
            <p class="uc-hint" role="status" data-test="softphone-status">{dyn_view(status)}</p>
            {dyn_view(settings)}
        </div>
    }
    .into_any()
}

/// Mute and the keypad, on the card of the call whose media the panel carries.
pub fn call_controls(ctx: Ctx) -> AnyView {
    let lang = ctx.lang;
    let mute = h(move |_| {
        let muted = !ctx.phone.read_untracked().muted;
        ctx.phone.update(|p| p.muted = muted);
        super::start(ctx, super::Act::Mute(muted));
    });
    let keypad = move || {
        ctx.phone.read().keypad.then(|| {
            let keys = KEYPAD
                .iter()
                .map(|&k| {
                    view! {
                        <button class="uc-button uc-key" data-digit=k on:click=h(move |_| media::dtmf(k))>{k}</button>
                    }
                })
                .collect_view();
            let label: Arc<str> = Arc::from(ts(lang, S::Keypad));
            view! {
                <div
                    class="uc-keypad"
                    prop:style="display:grid;grid-template-columns:repeat(3,1fr);gap:4px;flex-basis:100%"
                    role="group"
                    data-test="keypad"
                    aria-label=label
                >
                    {keys}
                </div>
            }
        })
    };
    view! {
        <div class="uc-card-actions" data-test="softphone-call">
            <button
                class="uc-button"
                data-test="mute"
                aria-pressed=move || if ctx.phone.read().muted { "true" } else { "false" }
                on:click=mute
            >
                {dyn_view(move || ts(lang, if ctx.phone.read().muted { S::Unmute } else { S::Mute }))}
            </button>
            <button
                class="uc-button"
                data-test="keypad-toggle"
                aria-expanded=move || if ctx.phone.read().keypad { "true" } else { "false" }
                on:click=h(move |_| ctx.phone.update(|p| p.keypad = !p.keypad))
            >
                {ts(lang, S::Keypad)}
            </button>
        </div>
        {dyn_view(keypad)}
    }
    .into_any()
}
