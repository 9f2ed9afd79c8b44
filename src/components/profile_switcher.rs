//! The profile switcher: the eleven profiles grouped Available / Unavailable, the current one marked,
//! and in active mode what each does to the agent's phone (DND, forwarding, which devices ring).

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::api::{Device, Profile};
use ucclient_core::pbx::Mode;
use ucclient_core::settings::Routing;
use ucclient_core::{Language, ProfileId, Status};

use crate::app::Ctx;
use crate::components::badge::colour_class;
use crate::i18n::{T, tr};

/// One line saying what a profile does in active mode. Built by appending to one string (no
/// `join` or `format!`: their generic code measured larger than these few pushes).
pub fn effect_summary(lang: Language, profile: &Profile, devices: &[Device]) -> String {
    let s = &profile.settings;
    let mut out = String::new();
    let part = |out: &mut String, text: &str| {
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(text);
    };
    if s.dnd {
        part(&mut out, tr(lang, T::DndOn));
    }
    if s.forwarding.enabled {
        part(&mut out, tr(lang, T::ForwardsTo));
        out.push(' ');
        out.push_str(s.forwarding.to.as_deref().unwrap_or("?"));
    }
    match &s.routing {
        Routing::All => part(&mut out, tr(lang, T::RingsAll)),
        Routing::Selected { steps } => {
            part(&mut out, tr(lang, T::Rings));
            out.push_str(": ");
            for (n, st) in steps.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                for (k, id) in st.devices.iter().enumerate() {
                    if k > 0 {
                        out.push_str(" + ");
                    }
                    let label = devices
                        .iter()
                        .find(|d| &d.id == id)
                        .map_or(id, |d| &d.label);
                    out.push_str(label);
                }
                if st.after_seconds != 0 {
                    out.push(' ');
                    out.push_str(tr(lang, T::After));
                    out.push(' ');
                    out.push_str(&st.after_seconds.to_string());
                    out.push_str(tr(lang, T::Seconds));
                }
            }
        }
    }
    out
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
                let active = s.me.as_ref().map(|m| m.mode) == Some(Mode::Active);
                let devices = s.me.as_ref().map(|m| m.devices.clone()).unwrap_or_default();
                ProfileId::ALL
                .into_iter()
                .filter(|p| p.status() == status)
                .map(|id| {
                    let is_current = current == Some(id);
                    let profile = s.profiles.iter().find(|p| p.id == id);
                    let colour = profile_dot(profile);
                    let effect = profile
                        .filter(|_| active)
                        .map(|p| effect_summary(lang, p, &devices));
                    view! {
                        <li>
                            <button
                                class="uc-profile"
                                data-profile=id.as_str()
                                aria-pressed={std::sync::Arc::<str>::from(is_current.to_string())}
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
            <ul class="uc-profiles" role="list">{dyn_view(items)}</ul>
        }
    };
    view! {
        <div class="uc-switcher" data-test="profiles" role="group" aria-label=ctx.t(T::ChangePresence)>
            {group(Status::Available, T::GroupAvailable)}
            {group(Status::Unavailable, T::GroupUnavailable)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::DeviceKind;
    use ucclient_core::settings::{Forwarding, ProfileSettings, RingStep, default_settings};

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
    fn summaries_say_what_the_phone_will_do() {
        let devices = vec![Device {
            id: "d1".into(),
            kind: DeviceKind::Desk,
            label: "Desk phone".into(),
            number: "201".into(),
        }];
        let p = profile(default_settings(ProfileId::Lunch));
        assert_eq!(
            effect_summary(Language::En, &p, &devices),
            "Do not disturb · All devices ring"
        );
        let p = profile(ProfileSettings {
            dnd: false,
            forwarding: Forwarding {
                enabled: true,
                to: Some("+351912345678".into()),
            },
            routing: Routing::Selected {
                steps: vec![
                    RingStep {
                        devices: vec!["d1".into()],
                        after_seconds: 0,
                    },
                    RingStep {
                        devices: vec!["m9".into()],
                        after_seconds: 15,
                    },
                ],
            },
        });
        assert_eq!(
            effect_summary(Language::PtPt, &p, &devices),
            "Reencaminha para +351912345678 · Toca: Desk phone, m9 após 15s"
        );
    }
}
