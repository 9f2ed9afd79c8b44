//! The routing editor (active mode), in plain words: per profile (chosen from the switcher's
//! Available / Unavailable groups), what rings when someone calls the agent (all devices, or chosen
//! devices in steps after so many seconds), Do Not Disturb and forwarding (and how they interact),
//! and a live preview of the effect in the switcher's words. Fields are checked with core's
//! `ProfileSettings::validated` (the server's rule) and each error is shown next to its field;
//! nothing out of range is clamped. Unsaved edits are never thrown away without a question in the
//! panel (switching profile, leaving the tab), Reset asks too, and Save stays visible.

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::api::Device;
use ucclient_core::pbx::Mode;
use ucclient_core::phone;
use ucclient_core::settings::{
    MAX_AFTER_SECONDS, MAX_STEPS, ProfileSettings, RingStep, Routing, SettingsError,
    default_settings,
};
use ucclient_core::{ProfileId, Status};

use crate::app::{Ctx, Unloaded};
use crate::components::profile_switcher::settings_effect_text;
use crate::i18n::{T, device_name, phone_error_text, tr};
/// Turns a step's device on or off.
pub fn toggle_device(steps: &mut [RingStep], step: usize, device: &str, on: bool) {
    if let Some(s) = steps.get_mut(step) {
        s.devices.retain(|d| d != device);
        if on {
            s.devices.push(device.to_owned());
        }
    }
}

/// A new step after the last one, starting 15 s later.
pub fn add_step(steps: &mut Vec<RingStep>) {
    if steps.len() < MAX_STEPS {
        let after = steps.last().map(|s| s.after_seconds + 15).unwrap_or(0);
        steps.push(RingStep {
            devices: vec![],
            after_seconds: after.min(MAX_AFTER_SECONDS),
        });
    }
}

/// Where an error of the settings is shown: next to its field, or by Save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The forwarding number.
    ForwardTo,
    /// The delay of step `n` (from 0).
    Delay(usize),
    /// The devices of step `n` (from 0).
    Step(usize),
    /// The settings as a whole.
    Form,
}

/// Checks `draft` with core's rule for the agent's `devices` and customer `country` (what the
/// server applies), returning the settings to send, or the first problem and where it belongs.
/// A number left in the disabled "Forward to" that is not valid is dropped rather than refused.
pub fn check<S: AsRef<str>>(
    draft: &ProfileSettings,
    devices: &[S],
    country: &str,
) -> Result<ProfileSettings, (Field, T)> {
    let mut s = draft.clone();
    if !s.forwarding.enabled
        && s.forwarding
            .to
            .as_deref()
            .is_some_and(|t| phone::normalise(t, country).is_err())
    {
        s.forwarding.to = None;
    }
    let steps: &[RingStep] = match &draft.routing {
        Routing::Selected { steps } => steps,
        Routing::All => &[],
    };
    s.validated(devices, country).map_err(|e| match e {
        SettingsError::BadStepSize(n) => (Field::Step(n.saturating_sub(1)), T::ErrStepDevices),
        SettingsError::DuplicateDevice(d) => (
            Field::Step(
                steps
                    .iter()
                    .rposition(|st| st.devices.contains(&d))
                    .unwrap_or(0),
            ),
            T::ErrDeviceTwice,
        ),
        SettingsError::DelayTooLong => (
            Field::Delay(
                steps
                    .iter()
                    .position(|st| st.after_seconds > MAX_AFTER_SECONDS)
                    .unwrap_or(0),
            ),
            T::ErrDelayRange,
        ),
        SettingsError::DelaysOutOfOrder => (
            Field::Delay(
                steps
                    .windows(2)
                    .position(|w| w[1].after_seconds <= w[0].after_seconds)
                    .map_or(0, |i| i + 1),
            ),
            T::ErrDelayOrder,
        ),
        SettingsError::ForwardingNumberMissing => (Field::ForwardTo, T::ErrForwardMissing),
        SettingsError::InvalidForwardingNumber(p) => (Field::ForwardTo, phone_error_text(&p)),
        SettingsError::UnknownDevice(_) => (Field::Form, T::ErrUnknownDevice),
        SettingsError::NoSteps | SettingsError::TooManySteps => {
            (Field::Form, T::ErrInvalidSettings)
        }
    })
}

/// An error's sentence, with core's delay limit where it says `{max}`.
pub fn error_sentence(lang: ucclient_core::Language, key: T) -> String {
    tr(lang, key).replace("{max}", &MAX_AFTER_SECONDS.to_string())
}

/// A question the editor asks before it throws edits away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Switch the editor to this profile, discarding the edits.
    Switch(ProfileId),
    /// Reset the profile to its defaults.
    Reset,
}

/// The editor's state.
struct Edit {
    /// The profile chosen.
    profile: ProfileId,
    /// Its settings as edited.
    draft: ProfileSettings,
    /// Its settings as loaded: the edits are unsaved while `draft` differs.
    base: ProfileSettings,
    /// Whether errors are shown (after a Save or a field's change, not while typing first).
    checked: bool,
    /// Whether the last save of this profile succeeded (shown until the next edit).
    saved: bool,
    /// The question shown, if any.
    ask: Option<Ask>,
}

/// What the editor shows of the signed-in agent (`/me`). The client store changes many times a
/// minute (colleagues' presence, calls, the agent's own presence), and a form rebuilt for each
/// change would take the keyboard focus and the half-typed text from the field being edited: the
/// form reacts only when this changes.
#[derive(Clone, PartialEq, Default)]
struct Agent {
    /// Whether the agent is in active mode (the editor is shown only then).
    active: bool,
    /// Whether the customer's extension lists are on (a note under the steps).
    lists: bool,
    /// The agent's devices, chosen per step.
    devices: Vec<Device>,
    /// The customer's country, which forwarding numbers are read in.
    country: String,
}

/// The agent's part of the store that the editor shows.
fn agent_of(s: &crate::state::ClientState) -> Agent {
    s.me.as_ref()
        .map(|m| Agent {
            active: m.mode == Mode::Active,
            lists: m.extension_lists_enabled,
            devices: m.devices.clone(),
            country: m.customer.country.clone(),
        })
        .unwrap_or_default()
}

/// The Routing tab's panel, for [`crate::app::lazy_panel`]: like
/// [`crate::components::voicemail::voicemail_panel`], an async `lazy` function whose code is a wasm
/// chunk of its own with the `split` feature, a plain function without it.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(routing_panel_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn routing_panel() -> Result<AnyView, Unloaded> {
    Ok(view! { <RoutingEditor /> }.into_any())
}

/// The editor.
#[component]
pub fn RoutingEditor() -> impl IntoView {
    let ctx = Ctx::current();
    let lang = ctx.lang;
    let first = ctx
        .store
        .with_untracked(|s| s.my_presence().map(|p| p.profile))
        .filter(|p| *p != ProfileId::Unknown)
        .unwrap_or_default();
    // The profile chosen and its settings as edited, in one signal (code size).
    let ed = RwSignal::new(Edit {
        profile: first,
        draft: default_settings(first),
        base: default_settings(first),
        checked: false,
        saved: false,
        ask: None,
    });
    // A profile's stored settings (or its defaults).
    let stored = move |id: ProfileId| {
        let s = ctx.store.read();
        s.profiles
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| default_settings(id), |p| p.settings.clone())
    };
    // Loads a profile's stored settings into the editor, dropping any edit.
    let load = move |id: ProfileId| {
        let s = stored(id);
        ed.set(Edit {
            profile: id,
            draft: s.clone(),
            base: s,
            checked: false,
            saved: false,
            ask: None,
        });
    };
    // Reload when the stored profile changes (a save, another tab), unless edits would be lost.
    Effect::new(move |_| {
        let id = ed.read_untracked().profile;
        let s = stored(id);
        let reload = {
            let e = ed.read_untracked();
            e.draft == e.base && e.base != s
        };
        if reload {
            load(id);
        }
    });
    // Leaving the tab asks while there are unsaved edits (`Ctx::choose_tab`).
    Effect::new(move |_| {
        let dirty = {
            let e = ed.read();
            e.draft != e.base
        };
        if ctx.ui.read_untracked().unsaved != dirty {
            ctx.ui.update(|u| u.unsaved = dirty);
        }
    });
    on_cleanup(move || {
        ctx.ui.try_update(|u| {
            u.unsaved = false;
            u.leave_to = None;
        });
    });
    // The form and its fields read the agent through `agent`, which reacts to `agent_changed`
    // only, never to the store itself (see `Agent`); only the "Customised" tag, the preview's text
    // and the reload above track the store, and none of them rebuilds a field. A memo's job, done
    // by an effect and a trigger the widget already has: a `Memo<Agent>` measured 1.0 KB gzip
    // more (216.0 against 215.1 KB).
    let agent_changed = Trigger::new();
    Effect::new(move |prev: Option<Agent>| {
        let a = agent_of(&ctx.store.read());
        if prev.is_some_and(|p| p != a) {
            agent_changed.notify();
        }
        a
    });
    let agent = move || {
        agent_changed.track();
        agent_of(&ctx.store.read_untracked())
    };
    let devices = move || agent().devices;
    let customised = move || {
        let s = ctx.store.read();
        s.profiles
            .iter()
            .any(|p| p.id == ed.read().profile && p.customised)
    };
    // The draft checked: the settings to send, or the first problem and its field.
    let checked = move || {
        let a = agent();
        let ids: Vec<&str> = a.devices.iter().map(|d| d.id.as_str()).collect();
        check(&ed.read().draft, &ids, &a.country)
    };
    // The problem shown next to `field`, once errors are shown.
    let error_at = move |field: Field| {
        let shown = ed.read().checked;
        checked()
            .err()
            .filter(|(f, _)| shown && *f == field)
            .map(|(_, key)| error_sentence(lang, key))
    };
    let error_view = move |field: Field| {
        dyn_view(move || {
            error_at(field)
                .map(|text| view! { <p class="uc-field-error" data-test="field-error">{text}</p> })
        })
    };
    // Every edit: the draft changes and any "Saved" goes.
    let edit = move |f: &mut dyn FnMut(&mut ProfileSettings)| {
        let mut e = ed.write();
        f(&mut e.draft);
        e.saved = false;
    };
    let steps_view = move || {
        let Routing::Selected { steps } = ed.read().draft.routing.clone() else {
            return None;
        };
        let devs = devices();
        let rows = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let boxes = devs
                    .iter()
                    .map(|d| {
                        let did = d.id.clone();
                        let checked = step.devices.contains(&d.id);
                        view! {
                            <label class="uc-check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || checked
                                    on:change=h(move |ev| {
                                        let on = event_target_checked(&ev);
                                        edit(&mut |d| {
                                            if let Routing::Selected { steps } = &mut d.routing {
                                                toggle_device(steps, i, &did, on);
                                            }
                                        });
                                    })
                                />
                                {device_name(lang, d).to_owned()}
                            </label>
                        }
                    })
                    .map(IntoAny::into_any).collect_view();
                let after_id = format!("uc-after-{i}");
                let after = step.after_seconds;
                view! {
                    <fieldset class="uc-step" data-test="step">
                        <legend>{format!("{} {}", tr(lang, T::Step), i + 1)}</legend>
                        {boxes}
                        {error_view(Field::Step(i))}
                        <label for=after_id.clone()>{tr(lang, T::StartsAfter)}</label>
                        <div class="uc-row">
                            <input
                                id={std::sync::Arc::<str>::from(after_id)}
                                type="number"
                                min="0"
                                max=MAX_AFTER_SECONDS.to_string()
                                prop:ariaInvalid=move || error_at(Field::Delay(i)).is_some().to_string()
                                prop:value=move || if after == u32::MAX { String::new() } else { after.to_string() }
                                on:change=h(move |ev| {
                                    // As typed: out of range is refused with a message, never
                                    // clamped; what is not a number is out of range.
                                    let v = event_target_value(&ev).trim().parse::<u32>().unwrap_or(u32::MAX);
                                    edit(&mut |d| {
                                        if let Routing::Selected { steps } = &mut d.routing
                                            && let Some(st) = steps.get_mut(i)
                                        {
                                            st.after_seconds = v;
                                        }
                                    });
                                    ed.write().checked = true;
                                })
                            />
                            <button
                                type="button"
                                class="uc-link"
                                on:click=h(move |_| edit(&mut |d| {
                                    if let Routing::Selected { steps } = &mut d.routing && steps.len() > 1 {
                                        steps.remove(i);
                                    }
                                }))
                            >
                                {tr(lang, T::RemoveStep)}
                            </button>
                        </div>
                        {error_view(Field::Delay(i))}
                    </fieldset>
                }
            })
            .map(IntoAny::into_any).collect_view();
        Some(
            view! {
                {rows}
                <button
                    type="button"
                    class="uc-button"
                    on:click=h(move |_| edit(&mut |d| {
                        if let Routing::Selected { steps } = &mut d.routing {
                            add_step(steps);
                        }
                    }))
                >
                    {tr(lang, T::AddStep)}
                </button>
            }
            .into_any(),
        )
    };
    let set_routing_all = move |all: bool| {
        let every: Vec<String> = devices().into_iter().map(|d| d.id).collect();
        edit(&mut |d| {
            d.routing = if all {
                Routing::All
            } else {
                Routing::Selected {
                    steps: vec![RingStep {
                        devices: every.clone(),
                        after_seconds: 0,
                    }],
                }
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ed.write().checked = true;
        if let Ok(s) = checked() {
            let id = ed.read_untracked().profile;
            ctx.save_settings(
                id,
                Some(s),
                Box::new(move || {
                    load(id);
                    ed.write().saved = true;
                }),
            );
        }
    };
    // The question shown: leaving the tab first, else switching profile or resetting.
    let question = move || {
        let leave = ctx.ui.read().leave_to;
        let ask = ed.read().ask;
        let (text, yes, no) = match (leave, ask) {
            (Some(_), _) | (None, Some(Ask::Switch(_))) => (T::Unsaved, T::Discard, T::KeepEditing),
            (None, Some(Ask::Reset)) => (T::ResetConfirm, T::ResetDefaults, T::Cancel),
            (None, None) => return None,
        };
        Some(view! {
            <div class="uc-confirm" role="alert" data-test="confirm">
                <p>{tr(lang, text)}</p>
                <div class="uc-row">
                    <button
                        type="button"
                        class="uc-button uc-primary"
                        data-test="confirm-yes"
                        on:click=h(move |_| {
                            let leave = ctx.ui.read_untracked().leave_to;
                            if let Some(tab) = leave {
                                ctx.ui.update(|u| {
                                    u.unsaved = false;
                                    u.leave_to = None;
                                });
                                ctx.tab.set(tab);
                                return;
                            }
                            let (id, ask) = {
                                let e = ed.read_untracked();
                                (e.profile, e.ask)
                            };
                            match ask {
                                Some(Ask::Switch(p)) => load(p),
                                Some(Ask::Reset) => {
                                    ed.write().ask = None;
                                    ctx.save_settings(id, None, Box::new(move || {
                                        load(id);
                                        ed.write().saved = true;
                                    }));
                                }
                                None => {}
                            }
                        })
                    >
                        {tr(lang, yes)}
                    </button>
                    <button
                        type="button"
                        class="uc-button"
                        data-test="confirm-no"
                        on:click=h(move |_| {
                            ctx.ui.update(|u| u.leave_to = None);
                            ed.write().ask = None;
                        })
                    >
                        {tr(lang, no)}
                    </button>
                </div>
            </div>
        })
    };
    let options = move |status: Status| {
        ProfileId::ALL
            .into_iter()
            .filter(|p| p.status() == status)
            .map(|p| {
                view! {
                    <option value=p.as_str() prop:selected=move || ed.read().profile == p>
                        {p.name(lang)}
                    </option>
                }
            })
            .map(IntoAny::into_any)
            .collect_view()
    };
    let editor = move || {
        if !agent().active {
            return view! { <p class="uc-info">{ctx.t(T::PassiveMode)}</p> }.into_any();
        }
        view! {
            <form class="uc-routing" data-test="routing" prop:noValidate=true on:submit=h(submit)>
                <p class="uc-detail">{ctx.t(T::RoutingIntro)}</p>
                <label for="uc-routing-profile">{ctx.t(T::Profile)}</label>
                <select
                    id="uc-routing-profile"
                    on:change=h(move |ev| {
                        if let Some(p) = ProfileId::parse(&event_target_value(&ev)) {
                            let dirty = {
                                let e = ed.read_untracked();
                                e.draft != e.base
                            };
                            if dirty {
                                // The select shows the edited profile again until answered.
                                ed.write().ask = Some(Ask::Switch(p));
                            } else {
                                load(p);
                            }
                        }
                    })
                >
                    <optgroup prop:label=ctx.t(T::GroupAvailable).to_owned()>{options(Status::Available)}</optgroup>
                    <optgroup prop:label=ctx.t(T::GroupUnavailable).to_owned()>{options(Status::Unavailable)}</optgroup>
                </select>
                {dyn_view(move || customised().then(|| view! { <span class="uc-tag">{ctx.t(T::Customised)}</span> }))}
                <label class="uc-check">
                    <input
                        type="checkbox"
                        data-test="dnd"
                        prop:checked=move || ed.read().draft.dnd
                        on:change=h(move |ev| {
                            let on = event_target_checked(&ev);
                            edit(&mut |d| d.dnd = on);
                        })
                    />
                    {ctx.t(T::DndOn)}
                </label>
                <label class="uc-check">
                    <input
                        type="checkbox"
                        data-test="forwarding"
                        prop:checked=move || ed.read().draft.forwarding.enabled
                        on:change=h(move |ev| {
                            let on = event_target_checked(&ev);
                            edit(&mut |d| d.forwarding.enabled = on);
                        })
                    />
                    {ctx.t(T::Forwarding)}
                </label>
                <label for="uc-forward-to">{ctx.t(T::ForwardTo)}</label>
                <input
                    id="uc-forward-to"
                    type="tel"
                    maxlength="64"
                    disabled=move || !ed.read().draft.forwarding.enabled
                    prop:ariaInvalid=move || error_at(Field::ForwardTo).is_some().to_string()
                    prop:value=move || ed.read().draft.forwarding.to.clone().unwrap_or_default()
                    on:input=h(move |ev| {
                        let v = event_target_value(&ev);
                        edit(&mut |d| d.forwarding.to = (!v.is_empty()).then(|| v.clone()));
                    })
                    on:change=h(move |_| ed.write().checked = true)
                />
                {error_view(Field::ForwardTo)}
                <p class="uc-detail">{ctx.t(T::DndForwardNote)}</p>
                <fieldset class="uc-ring">
                    <legend>{ctx.t(T::RoutingDirect)}</legend>
                    <label class="uc-check">
                        <input
                            type="radio"
                            name="uc-ring"
                            prop:checked=move || matches!(ed.read().draft.routing, Routing::All)
                            on:change=h(move |_| set_routing_all(true))
                        />
                        {ctx.t(T::RingAll)}
                    </label>
                    <label class="uc-check">
                        <input
                            type="radio"
                            name="uc-ring"
                            data-test="ring-selected"
                            prop:checked=move || matches!(ed.read().draft.routing, Routing::Selected { .. })
                            on:change=h(move |_| set_routing_all(false))
                        />
                        {ctx.t(T::RingSelected)}
                    </label>
                </fieldset>
                {dyn_view(steps_view)}
                {dyn_view(move || agent().lists.then(|| view! { <p class="uc-info">{ctx.t(T::ExtensionListNote)}</p> }))}
                <p class="uc-preview" data-test="preview">
                    <strong>{ctx.t(T::PreviewTitle)}</strong>
                    " "
                    {dyn_view(move || {
                        let draft = checked().unwrap_or_else(|_| ed.read().draft.clone());
                        let s = ctx.store.read();
                        s.me.as_ref().and_then(|me| settings_effect_text(lang, &draft, me, &s.profiles))
                    })}
                </p>
                <div class="uc-actions">
                    {dyn_view(question)}
                    {error_view(Field::Form)}
                    <div class="uc-row">
                        <button class="uc-button uc-primary" type="submit" disabled=move || ctx.ui.read().busy>
                            {ctx.t(T::Save)}
                        </button>
                        <button
                            class="uc-button"
                            type="button"
                            data-test="reset"
                            on:click=h(move |_| ed.write().ask = Some(Ask::Reset))
                        >
                            {ctx.t(T::ResetDefaults)}
                        </button>
                        <span class="uc-saved" role="status" data-test="saved">
                            {dyn_view(move || {
                                let e = ed.read();
                                (e.saved && e.draft == e.base).then(|| ctx.t(T::Saved))
                            })}
                        </span>
                    </div>
                </div>
            </form>
        }
        .into_any()
    };
    view! { <div class="uc-routing-wrap">{dyn_view(editor)}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_edited_without_duplicates_and_bounded() {
        let mut steps = vec![];
        add_step(&mut steps);
        toggle_device(&mut steps, 0, "desk", true);
        toggle_device(&mut steps, 0, "desk", true);
        assert_eq!(steps[0].devices, ["desk"]);
        add_step(&mut steps);
        assert_eq!(steps[1].after_seconds, 15);
        toggle_device(&mut steps, 0, "desk", false);
        assert!(steps[0].devices.is_empty());
        for _ in 0..20 {
            add_step(&mut steps);
        }
        assert_eq!(steps.len(), MAX_STEPS);
        toggle_device(&mut steps, 99, "x", true);
    }

    fn steps(delays: &[u32]) -> ProfileSettings {
        ProfileSettings {
            routing: Routing::Selected {
                steps: delays
                    .iter()
                    .zip(["desk", "mobile"])
                    .map(|(&after_seconds, d)| RingStep {
                        devices: vec![d.into()],
                        after_seconds,
                    })
                    .collect(),
            },
            ..default_settings(ProfileId::Available)
        }
    }

    #[test]
    fn each_problem_is_placed_next_to_its_field_and_nothing_is_clamped() {
        const DEVICES: [&str; 2] = ["desk", "mobile"];
        assert!(check(&steps(&[0, 15]), &DEVICES, "PT").is_ok());
        assert_eq!(
            check(&steps(&[0, 999]), &DEVICES, "PT").unwrap_err(),
            (Field::Delay(1), T::ErrDelayRange)
        );
        assert_eq!(
            check(&steps(&[20, 15]), &DEVICES, "PT").unwrap_err(),
            (Field::Delay(1), T::ErrDelayOrder)
        );
        let mut s = steps(&[0]);
        if let Routing::Selected { steps } = &mut s.routing {
            steps[0].devices.clear();
        }
        assert_eq!(
            check(&s, &DEVICES, "PT").unwrap_err(),
            (Field::Step(0), T::ErrStepDevices)
        );
        let mut s = default_settings(ProfileId::Available);
        s.forwarding.enabled = true;
        assert_eq!(
            check(&s, &DEVICES, "PT").unwrap_err(),
            (Field::ForwardTo, T::ErrForwardMissing)
        );
        // The customer's country, not the language: a Portuguese mobile is fine in Portugal.
        s.forwarding.to = Some("912 000 999".into());
        assert_eq!(
            check(&s, &DEVICES, "PT").unwrap().forwarding.to.as_deref(),
            Some("+351912000999")
        );
        s.forwarding.to = Some("12345".into());
        assert_eq!(
            check(&s, &DEVICES, "PT").unwrap_err(),
            (Field::ForwardTo, T::PhoneLength)
        );
        // Off, a bad number left in the disabled field is dropped, not refused.
        s.forwarding.enabled = false;
        assert_eq!(check(&s, &DEVICES, "PT").unwrap().forwarding.to, None);
        assert_eq!(
            error_sentence(ucclient_core::Language::En, T::ErrDelayRange),
            "Type a number of seconds from 0 to 300."
        );
    }
}
