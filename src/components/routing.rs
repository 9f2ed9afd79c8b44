//! The routing editor (active mode): per profile, which devices ring in which step and after how
//! many seconds, forwarding on/off and its number, and reset to defaults; the extension-list effect
//! explained. The server validates (core's `ProfileSettings::validated`) and answers in its words.

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::ProfileId;
use ucclient_core::pbx::Mode;
use ucclient_core::settings::{
    MAX_AFTER_SECONDS, MAX_STEPS, ProfileSettings, RingStep, Routing, default_settings,
};

use crate::app::Ctx;
use crate::i18n::{T, tr};

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

/// The editor's state.
struct Edit {
    /// The profile chosen.
    profile: ProfileId,
    /// Its settings as edited.
    draft: ProfileSettings,
}

/// The editor.
#[component]
pub fn RoutingEditor() -> impl IntoView {
    let ctx = Ctx::current();
    let first = ctx
        .store
        .with_untracked(|s| s.my_presence().map(|p| p.profile))
        .filter(|p| *p != ProfileId::Unknown)
        .unwrap_or_default();
    // The profile chosen and its settings as edited, in one signal (code size).
    let ed = RwSignal::new(Edit {
        profile: first,
        draft: default_settings(first),
    });
    // Loads a profile's stored settings (or its defaults) into the editor.
    let load = move |id: ProfileId| {
        let s = {
            let s = ctx.store.read();
            s.profiles
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.settings.clone())
        };
        let mut e = ed.write();
        e.profile = id;
        e.draft = s.unwrap_or_else(|| default_settings(id));
    };
    // Reload whenever the stored profiles change (the choice reloads in its own handler).
    Effect::new(move |_| {
        let id = ed.read_untracked().profile;
        load(id);
    });
    let devices = move || {
        let s = ctx.store.read();
        s.me.as_ref().map(|m| m.devices.clone()).unwrap_or_default()
    };
    let active = move || {
        let s = ctx.store.read();
        s.me.as_ref().map(|m| m.mode) == Some(Mode::Active)
    };
    let lists = move || {
        let s = ctx.store.read();
        s.me.as_ref().is_some_and(|m| m.extension_lists_enabled)
    };
    let customised = move || {
        let s = ctx.store.read();
        s.profiles
            .iter()
            .any(|p| p.id == ed.read().profile && p.customised)
    };
    let steps_view = move || {
        let lang = ctx.lang;
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
                                    prop:checked=checked
                                    on:change=h(move |ev| {
                                        let on = event_target_checked(&ev);
                                        let mut s = ed.write();
                                        if let Routing::Selected { steps } = &mut s.draft.routing {
                                            toggle_device(steps, i, &did, on);
                                        }
                                    })
                                />
                                {d.label.clone()}
                            </label>
                        }
                    })
                    .map(IntoAny::into_any).collect_view();
                let after_id = format!("uc-after-{i}");
                view! {
                    <fieldset class="uc-step" data-test="step">
                        <legend>{format!("{} {}", tr(lang, T::Step), i + 1)}</legend>
                        {boxes}
                        <label for={std::sync::Arc::<str>::from(after_id.clone())}>{tr(lang, T::StartsAfter)}</label>
                        <div class="uc-row">
                            <input
                                id={std::sync::Arc::<str>::from(after_id)}
                                type="number"
                                min="0"
                                max={std::sync::Arc::<str>::from(MAX_AFTER_SECONDS.to_string())}
                                prop:value={std::sync::Arc::<str>::from(step.after_seconds.to_string())}
                                on:change=h(move |ev| {
                                    let v = event_target_value(&ev).parse::<u32>().unwrap_or(0);
                                    let mut s = ed.write();
                                    if let Routing::Selected { steps } = &mut s.draft.routing
                                        && let Some(st) = steps.get_mut(i)
                                    {
                                        st.after_seconds = v.min(MAX_AFTER_SECONDS);
                                    }
                                })
                            />
                            <button
                                type="button"
                                class="uc-link"
                                on:click=h(move |_| {
                                    let mut s = ed.write();
                                    if let Routing::Selected { steps } = &mut s.draft.routing && steps.len() > 1 {
                                        steps.remove(i);
                                    }
                                })
                            >
                                {tr(lang, T::RemoveStep)}
                            </button>
                        </div>
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
                    on:click=h(move |_| {
                        let mut s = ed.write();
                        if let Routing::Selected { steps } = &mut s.draft.routing {
                            add_step(steps);
                        }
                    })
                >
                    {tr(lang, T::AddStep)}
                </button>
            }
            .into_any(),
        )
    };
    let set_routing_all = move |all: bool| {
        let mut s = ed.write();
        s.draft.routing = if all {
            Routing::All
        } else {
            let every: Vec<String> = devices().into_iter().map(|d| d.id).collect();
            Routing::Selected {
                steps: vec![RingStep {
                    devices: every,
                    after_seconds: 0,
                }],
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut s: ProfileSettings = ed.read_untracked().draft.clone();
        s.forwarding.to = s
            .forwarding
            .to
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        let id = ed.read_untracked().profile;
        ctx.save_settings(id, Some(s));
    };
    let editor = move || {
        if !active() {
            return view! { <p class="uc-info">{ctx.t(T::PassiveMode)}</p> }.into_any();
        }
        view! {
            <form class="uc-routing" data-test="routing" on:submit=h(submit)>
                <p class="uc-detail">{ctx.t(T::RoutingIntro)}</p>
                <label for="uc-routing-profile">{ctx.t(T::Profile)}</label>
                <select
                    id="uc-routing-profile"
                    on:change=h(move |ev| {
                        if let Some(p) = ProfileId::parse(&event_target_value(&ev)) {
                            load(p);
                        }
                    })
                >
                    {dyn_view(move || {
                        let lang = ctx.lang;
                        ProfileId::ALL
                            .into_iter()
                            .map(|p| view! {
                                <option value=p.as_str() selected=move || ed.read().profile == p>
                                    {p.name(lang)}
                                </option>
                            })
                            .map(IntoAny::into_any).collect_view()
                    })}
                </select>
                {dyn_view(move || customised().then(|| view! { <span class="uc-tag">{ctx.t(T::Customised)}</span> }.into_any()))}
                <label class="uc-check">
                    <input
                        type="checkbox"
                        data-test="dnd"
                        prop:checked=move || ed.read().draft.dnd
                        on:change=h(move |ev| ed.write().draft.dnd = event_target_checked(&ev))
                    />
                    {ctx.t(T::DndOn)}
                </label>
                <label class="uc-check">
                    <input
                        type="checkbox"
                        data-test="forwarding"
                        prop:checked=move || ed.read().draft.forwarding.enabled
                        on:change=h(move |ev| ed.write().draft.forwarding.enabled = event_target_checked(&ev))
                    />
                    {ctx.t(T::Forwarding)}
                </label>
                <label for="uc-forward-to">{ctx.t(T::ForwardTo)}</label>
                <input
                    id="uc-forward-to"
                    type="tel"
                    maxlength="64"
                    prop:value=move || ed.read().draft.forwarding.to.clone().unwrap_or_default()
                    on:input=h(move |ev| {
                        let v = event_target_value(&ev);
                        ed.write().draft.forwarding.to = Some(v);
                    })
                />
                <fieldset class="uc-ring">
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
                {dyn_view(move || lists().then(|| view! { <p class="uc-info">{ctx.t(T::ExtensionListNote)}</p> }.into_any()))}
                <div class="uc-row">
                    <button class="uc-button uc-primary" type="submit" disabled=move || ctx.ui.read().busy>
                        {ctx.t(T::Save)}
                    </button>
                    <button
                        class="uc-button"
                        type="button"
                        on:click=h(move |_| {
                            let id = ed.read_untracked().profile;
                            ctx.save_settings(id, None);
                        })
                    >
                        {ctx.t(T::ResetDefaults)}
                    </button>
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
}
