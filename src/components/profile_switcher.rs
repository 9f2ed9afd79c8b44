//! The profile switcher: the eleven profiles grouped Available / Unavailable, the current one
//! checked, and in active mode what each does to the agent's calls, worded from core's
//! [`profile_effect`] by [`effect_text`] (the routing editor's preview says the same).
//!
//! Keyboard: the list is one WAI-ARIA radio group, one tab stop (the current profile). The arrow
//! keys, Home and End move the **focus only**; Enter or Space applies the focused profile. This
//! departs from the radio pattern's "arrows also check" on purpose: applying a profile
//! reconfigures the agent's phone on the PBX, so passing over "Out of office" on the way to
//! "Lunch" must not apply it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{dyn_view, h};
use ucclient_core::api::{Device, Me, Profile};
use ucclient_core::effect::{DirectCalls, GroupCalls, LineFacts, ProfileEffect, profile_effect};
use ucclient_core::pbx::Mode;
use ucclient_core::phone::format_for_reading;
use ucclient_core::settings::ProfileSettings;
use ucclient_core::{Language, ProfileId, Status};

use crate::app::Ctx;
use crate::components::badge::colour_class;
use crate::i18n::{T, device_name, tr};

/// The facts about the agent's line that core's [`profile_effect`] needs besides the settings,
/// from `/me` and the profiles: an extension list exists once a profile customises routing
/// (SPEC §5; a lower bound, as a reset profile may leave the list in place).
pub fn line_facts(me: &Me, profiles: &[Profile]) -> LineFacts {
    LineFacts {
        mode: me.mode,
        extension_lists_enabled: me.extension_lists_enabled,
        has_extension_list: profiles.iter().any(|p| p.settings.customises_routing()),
        voicemail: me.voicemail,
    }
}

/// What `settings` do to the agent's calls, in words: core's effect for the agent's devices and
/// line. `None` in passive mode, where profiles only show presence.
pub fn settings_effect_text(
    lang: Language,
    settings: &ProfileSettings,
    me: &Me,
    profiles: &[Profile],
) -> Option<String> {
    let ids: Vec<&str> = me.devices.iter().map(|d| d.id.as_str()).collect();
    (me.mode == Mode::Active).then(|| {
        let effect = profile_effect(settings, &ids, line_facts(me, profiles));
        effect_text(lang, &effect, &me.devices)
    })
}

/// Appends the names of `ids` ("Desk phone and Mobile"), by the agent's device labels.
fn push_devices(out: &mut String, lang: Language, ids: &[String], devices: &[Device]) {
    for (k, id) in ids.iter().enumerate() {
        if k > 0 {
            out.push_str(if k + 1 == ids.len() {
                tr(lang, T::EffectAnd)
            } else {
                ", "
            });
        }
        out.push_str(
            devices
                .iter()
                .find(|d| &d.id == id)
                .map_or(id.as_str(), |d| device_name(lang, d)),
        );
    }
}

/// The one wording of a profile's effect, for the switcher and the routing editor's preview:
/// "Calls ring Desk phone, then Mobile after 15 s. Group calls ring all your devices." Built by
/// appending to one string (no `join` or `format!`: their generic code measured larger).
pub fn effect_text(lang: Language, effect: &ProfileEffect, devices: &[Device]) -> String {
    // The usual case in one sentence rather than the same words twice.
    if effect.direct == DirectCalls::AllDevices && effect.group == Some(GroupCalls::AllDevices) {
        let mut out = tr(lang, T::EffectAllBoth).to_owned();
        out.push('.');
        return out;
    }
    let mut out = String::new();
    match &effect.direct {
        DirectCalls::AllDevices => out.push_str(tr(lang, T::EffectAll)),
        DirectCalls::Steps(steps) => {
            out.push_str(tr(lang, T::EffectRing));
            for (n, st) in steps.iter().enumerate() {
                if n > 0 {
                    out.push_str(tr(lang, T::EffectThen));
                }
                out.push(' ');
                push_devices(&mut out, lang, &st.devices, devices);
                if st.after_seconds != 0 {
                    out.push(' ');
                    out.push_str(tr(lang, T::EffectAfter));
                    out.push(' ');
                    out.push_str(&st.after_seconds.to_string());
                    out.push_str(" s");
                }
            }
        }
        DirectCalls::ForwardTo(to) => {
            out.push_str(tr(lang, T::EffectForward));
            out.push(' ');
            out.push_str(&format_for_reading(to));
        }
        DirectCalls::Voicemail => out.push_str(tr(lang, T::EffectVoicemail)),
        DirectCalls::Missed => out.push_str(tr(lang, T::EffectMissed)),
    }
    out.push('.');
    if let Some(group) = &effect.group {
        out.push(' ');
        match group {
            GroupCalls::AllDevices => out.push_str(tr(lang, T::EffectGroupAll)),
            GroupCalls::Devices(ids) => {
                out.push_str(tr(lang, T::EffectGroupRing));
                out.push(' ');
                push_devices(&mut out, lang, ids, devices);
            }
            GroupCalls::Skipped => out.push_str(tr(lang, T::EffectGroupSkip)),
        }
        out.push('.');
    }
    out
}

/// The profiles in the order the switcher shows them: the Available group, then the Unavailable.
fn shown_order() -> impl Iterator<Item = ProfileId> {
    [Status::Available, Status::Unavailable]
        .into_iter()
        .flat_map(|s| ProfileId::ALL.into_iter().filter(move |p| p.status() == s))
}

/// The profile a key moves the focus to from `from` in the radio group (arrows wrap around, Home
/// and End jump to the ends), or `None` for any other key. Only the focus: Enter or Space applies.
pub fn radio_key(key: &str, from: ProfileId) -> Option<ProfileId> {
    let order: Vec<ProfileId> = shown_order().collect();
    crate::components::roving_key(key, from, &order)
}

/// The dot of a profile in the switcher: the colour the backend gives the profile, and a plain
/// dot until the profiles have come (never a colour guessed from the status: "In a meeting" is
/// Unavailable yet shows Busy).
pub fn profile_dot(profile: Option<&Profile>) -> &'static str {
    profile.map_or("uc-dot", |p| colour_class(p.colour))
}

/// The switcher.
#[component]
pub fn ProfileSwitcher() -> impl IntoView {
    let ctx = Ctx::current();
    let group = move |status: Status, key: T| {
        let items = move || {
            let lang = ctx.lang;
            {
                let s = ctx.store.read();
                let current = s.my_presence().map(|p| p.profile);
                // The one tab stop: the current profile, else the first.
                let stop = current
                    .filter(|p| *p != ProfileId::Unknown)
                    .unwrap_or(ProfileId::Available);
                ProfileId::ALL
                .into_iter()
                .filter(|p| p.status() == status)
                .map(|id| {
                    let is_current = current == Some(id);
                    let profile = s.profiles.iter().find(|p| p.id == id);
                    let colour = profile_dot(profile);
                    let effect = profile.zip(s.me.as_ref()).and_then(|(p, me)| {
                        settings_effect_text(lang, &p.settings, me, &s.profiles)
                    });
                    view! {
                        <li role="none">
                            <button
                                class="uc-profile"
                                role="radio"
                                data-profile=id.as_str()
                                aria-checked=is_current.to_string()
                                tabindex=move || if id == stop { "0" } else { "-1" }
                                on:click=h(move |_| ctx.set_presence(id))
                            >
                                <span class=colour aria-hidden="true"></span>
                                <span class="uc-profile-name">{id.name(lang)}</span>
                                {is_current.then(|| view! {
                                    <span class="uc-current">{tr(lang, T::Current)}</span>
                                }.into_any())}
                                {effect.map(|e| view! { <span class="uc-effect">{e}</span> }.into_any())}
                            </button>
                        </li>
                    }
                })
                .map(IntoAny::into_any)
                .collect_view()
            }
        };
        view! {
            <h3 class="uc-group">{ctx.t(key)}</h3>
            <ul class="uc-profiles" role="none">{dyn_view(items)}</ul>
        }
    };
    // Arrows move the focus along the radios (see the module's note); Enter/Space click.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Some(to) = target
            .get_attribute("data-profile")
            .and_then(|p| ProfileId::parse(&p))
            .and_then(|from| radio_key(&ev.key(), from))
        else {
            return;
        };
        ev.prevent_default();
        let mut sel = String::from("[data-profile=");
        sel.push_str(to.as_str());
        sel.push(']');
        if let Some(button) = target
            .closest("[role=radiogroup]")
            .ok()
            .flatten()
            .and_then(|g| g.query_selector(&sel).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = button.focus();
        }
    };
    let passive = move || {
        let s = ctx.store.read();
        (s.me.as_ref().map(|m| m.mode) == Some(Mode::Passive))
            .then(|| view! { <p class="uc-info">{ctx.t(T::PassiveMode)}</p> }.into_any())
    };
    view! {
        {dyn_view(passive)}
        <div
            class="uc-switcher"
            data-test="profiles"
            role="radiogroup"
            aria-label={std::sync::Arc::<str>::from(ctx.t(T::ChangePresence))}
            on:keydown=h(on_key)
        >
            {group(Status::Available, T::GroupAvailable)}
            {group(Status::Unavailable, T::GroupUnavailable)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::DeviceKind;
    use ucclient_core::settings::{RingStep, default_settings};

    fn profile(settings: ProfileSettings) -> Profile {
        Profile {
            id: ProfileId::Lunch,
            name: "Lunch".into(),
            status: Status::Unavailable,
            colour: ucclient_core::Colour::Away,
            settings,
            customised: true,
        }
    }

    fn devices() -> Vec<Device> {
        [
            ("desk", DeviceKind::Desk, "Desk phone"),
            ("soft", DeviceKind::Softphone, "Softphone"),
            ("mobile", DeviceKind::Mobile, "Mobile"),
        ]
        .into_iter()
        .map(|(id, kind, label)| Device {
            id: id.into(),
            kind,
            label: label.into(),
            number: "201".into(),
        })
        .collect()
    }

    fn steps() -> DirectCalls {
        DirectCalls::Steps(vec![
            RingStep {
                devices: vec!["desk".into(), "soft".into()],
                after_seconds: 0,
            },
            RingStep {
                devices: vec!["mobile".into()],
                after_seconds: 15,
            },
        ])
    }

    fn say(lang: Language, direct: DirectCalls, group: Option<GroupCalls>) -> String {
        effect_text(lang, &ProfileEffect { direct, group }, &devices())
    }

    #[test]
    fn a_profiles_dot_is_the_backends_colour_and_never_guessed() {
        let meeting = Profile {
            id: ProfileId::InAMeeting,
            status: Status::Unavailable,
            colour: ucclient_core::Colour::Busy,
            ..profile(default_settings(ProfileId::InAMeeting))
        };
        assert_eq!(profile_dot(Some(&meeting)), "uc-dot uc-busy");
        assert_eq!(profile_dot(None), "uc-dot");
    }

    #[test]
    fn effects_are_worded_in_english() {
        use Language::En;
        assert_eq!(
            say(En, DirectCalls::AllDevices, Some(GroupCalls::AllDevices)),
            "All your devices ring, for direct and group calls."
        );
        assert_eq!(
            say(
                En,
                steps(),
                Some(GroupCalls::Devices(vec!["desk".into(), "mobile".into()]))
            ),
            "Calls ring Desk phone and Softphone, then Mobile after 15 s. Group calls ring Desk phone and Mobile."
        );
        assert_eq!(
            say(En, DirectCalls::ForwardTo("+351912000999".into()), None),
            "Calls forward to +351 912 000 999."
        );
        assert_eq!(
            say(En, DirectCalls::Voicemail, Some(GroupCalls::Skipped)),
            "Calls go to voicemail. Group calls skip you."
        );
        assert_eq!(
            say(En, DirectCalls::Missed, None),
            "No device rings: calls are missed."
        );
    }

    #[test]
    fn effects_are_worded_in_european_portuguese() {
        use Language::PtPt;
        assert_eq!(
            say(PtPt, steps(), Some(GroupCalls::Skipped)),
            "As chamadas tocam em Telefone de secretária e Softphone, depois em Telemóvel após 15 s. As chamadas de grupo não tocam para si."
        );
        assert_eq!(
            say(
                PtPt,
                DirectCalls::ForwardTo("+351912000999".into()),
                Some(GroupCalls::AllDevices)
            ),
            "As chamadas são reencaminhadas para +351 912 000 999. As chamadas de grupo tocam em todos os seus dispositivos."
        );
        assert_eq!(
            say(PtPt, DirectCalls::Voicemail, None),
            "As chamadas vão para o correio de voz."
        );
        assert_eq!(
            say(PtPt, DirectCalls::Missed, None),
            "Nenhum dispositivo toca: as chamadas ficam perdidas."
        );
        assert_eq!(
            say(PtPt, DirectCalls::AllDevices, None),
            "As chamadas tocam em todos os seus dispositivos."
        );
    }

    #[test]
    fn effects_are_worded_in_brazilian_portuguese() {
        use Language::PtBr;
        assert_eq!(
            say(
                PtBr,
                steps(),
                Some(GroupCalls::Devices(vec!["soft".into()]))
            ),
            "As ligações tocam em Telefone de mesa e Softphone, depois em Celular após 15 s. As ligações de grupo tocam em Softphone."
        );
        assert_eq!(
            say(
                PtBr,
                DirectCalls::ForwardTo("+5511987654321".into()),
                Some(GroupCalls::Skipped)
            ),
            "As ligações são encaminhadas para +55 11 98765-4321. As ligações de grupo pulam você."
        );
        assert_eq!(
            say(PtBr, DirectCalls::Voicemail, None),
            "As ligações vão para a caixa postal."
        );
        assert_eq!(
            say(PtBr, DirectCalls::Missed, None),
            "Nenhum dispositivo toca: as ligações ficam perdidas."
        );
        assert_eq!(
            say(PtBr, DirectCalls::AllDevices, None),
            "As ligações tocam em todos os seus dispositivos."
        );
        assert_eq!(
            say(PtBr, DirectCalls::AllDevices, Some(GroupCalls::AllDevices)),
            "Tocam todos os seus dispositivos, nas ligações diretas e de grupo."
        );
    }

    fn me(mode: Mode) -> Me {
        let json = serde_json::json!({
            "user": {"id": "ana", "name": "Ana", "email": "ana@acme.example", "extension": "201"},
            "customer": {"id": "acme", "name": "Acme", "country": "PT"},
            "permissions": ["crm_client"],
            "mode": mode,
            "extension_lists_enabled": true,
            "presence": {"profile": "available", "status": "available", "colour": "available",
                "on_call": false, "since": "2024-01-01T00:00:00Z", "pbx_sync": "applied"},
            "devices": [{"id": "desk", "kind": "desk", "label": "Desk phone", "number": "201"}],
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_seed_tables_dnd_profiles_say_nothing_rings_not_ring_all() {
        // Lunch has DND and "Ring all" in the seed's table: what happens is that nothing rings.
        let lunch = default_settings(ProfileId::Lunch);
        assert_eq!(
            settings_effect_text(Language::En, &lunch, &me(Mode::Active), &[]).as_deref(),
            Some("No device rings: calls are missed. Group calls skip you.")
        );
        assert_eq!(
            settings_effect_text(
                Language::En,
                &default_settings(ProfileId::Available),
                &me(Mode::Active),
                &[]
            )
            .as_deref(),
            Some("All your devices ring, for direct and group calls.")
        );
        // With a mailbox (`/me`'s `voicemail`), what nothing answers goes there.
        let mut boxed = me(Mode::Active);
        boxed.voicemail = true;
        assert_eq!(
            settings_effect_text(Language::En, &lunch, &boxed, &[]).as_deref(),
            Some("Calls go to voicemail. Group calls skip you.")
        );
        // Passive: profiles only show presence (the switcher says so once, not per profile).
        assert_eq!(
            settings_effect_text(Language::En, &lunch, &me(Mode::Passive), &[]),
            None
        );
    }

    #[test]
    fn arrows_move_along_the_groups_and_wrap() {
        let order: Vec<ProfileId> = shown_order().collect();
        assert_eq!(order.len(), 11);
        assert!(order[..5].iter().all(|p| p.status() == Status::Available));
        assert_eq!(
            radio_key("ArrowDown", order[4]),
            Some(order[5]),
            "into the next group"
        );
        assert_eq!(radio_key("ArrowDown", order[10]), Some(order[0]));
        assert_eq!(radio_key("ArrowUp", order[0]), Some(order[10]));
        assert_eq!(radio_key("Home", order[7]), Some(order[0]));
        assert_eq!(radio_key("End", order[0]), Some(order[10]));
        assert_eq!(
            radio_key("Enter", order[0]),
            None,
            "Enter applies, it does not move"
        );
        assert_eq!(radio_key(" ", order[0]), None);
    }
}
