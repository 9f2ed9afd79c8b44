//! What a profile does to the user's calls, as core resolves it: the effect the profile switcher
//! and the routing editor describe ("Calls go to voicemail", "Calls ring desk phone, then mobile
//! after 15 s", "Calls forward to +351 912 000 999", and what group calls do where extension lists
//! are on). A structured value, never text: each language of the widget words it.
//!
//! It owns no rule of its own: the PBX state comes from [`crate::pbx::desired_state`], what
//! rings from [`crate::ring::policy`] and where an unanswered call goes from [`crate::voicemail`], so the description cannot drift from what the PBX does.

use crate::api::CallOutcome;
use crate::pbx::{self, Mode, PbxUserState};
use crate::ring::{RingTargets, UserLine, policy};
use crate::settings::{ProfileSettings, RingStep};
use crate::voicemail;

/// What happens to a direct call to the user while the profile is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectCalls {
    /// Every device of the user rings at once.
    AllDevices,
    /// The user's devices ring in these steps (only their own devices; steps left empty dropped),
    /// each from `after_seconds` after the start of the call.
    Steps(Vec<RingStep>),
    /// Call forwarding sends the call to this E.164 number; no device rings.
    ForwardTo(String),
    /// Nothing rings (Do Not Disturb, or no device left to ring); the call goes to voicemail.
    Voicemail,
    /// Nothing rings and there is no voicemail: the call is missed.
    Missed,
}

/// What happens to a hunt-group call for the member given as the user's extension list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCalls {
    /// Every device of the user rings (no list yet, or the list holds them all).
    AllDevices,
    /// Only these devices ring, in this order.
    Devices(Vec<String>),
    /// The group skips the user (Do Not Disturb, or an empty list).
    Skipped,
}

/// The effect of a profile's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileEffect {
    /// Direct calls to the user.
    pub direct: DirectCalls,
    /// Group calls, where the reseller has extension lists on (active mode only); `None` otherwise.
    pub group: Option<GroupCalls>,
}

/// The facts about the user's line that the effect depends on besides the profile's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFacts {
    /// The reseller's mode: passive profiles are purely visual (SPEC §4).
    pub mode: Mode,
    /// Whether the reseller has user extension lists on (SPEC §5).
    pub extension_lists_enabled: bool,
    /// Whether the user has an extension list already.
    pub has_extension_list: bool,
    /// Whether the user has a voicemail box that takes calls nothing answers (SPEC §8).
    pub voicemail: bool,
}

/// What `settings` do to the user's calls once they are the current profile's, for a user whose
/// devices are `devices` (ids in natural order).
pub fn profile_effect<S: AsRef<str>>(
    settings: &ProfileSettings,
    devices: &[S],
    line: LineFacts,
) -> ProfileEffect {
    let devices: Vec<String> = devices.iter().map(|d| d.as_ref().to_owned()).collect();
    let current = PbxUserState {
        extension_list: line.has_extension_list.then(|| pbx::ExtensionList {
            id: String::new(),
            devices: Vec::new(),
        }),
        ..PbxUserState::default()
    };
    let create = pbx::creates_extension_list(line.extension_lists_enabled, &current, settings);
    // Passive mode: the PBX is released (every device rings), whatever the profile says.
    let state = pbx::desired_state(
        line.mode,
        line.extension_lists_enabled,
        "",
        settings,
        &devices,
        &current,
        create,
    )
    .unwrap_or_else(pbx::released_state);
    let ringing = UserLine {
        devices: &devices,
        pbx: &state,
    };
    let RingTargets {
        devices: rung,
        forwarded_to,
    } = policy::direct_call(ringing);
    let direct = if let Some(to) = forwarded_to {
        DirectCalls::ForwardTo(to)
    } else if rung.is_empty() {
        // The voicemail rule decides, as the PBX will when such a call arrives.
        let outcome = voicemail::unanswered_outcome(
            line.voicemail,
            voicemail::CallRoute::Direct,
            voicemail::NotAnswered::NothingRang,
        );
        if outcome == CallOutcome::Voicemail {
            DirectCalls::Voicemail
        } else {
            DirectCalls::Missed
        }
    } else if let Some(fm) = &state.find_me_follow_me {
        DirectCalls::Steps(
            fm.steps
                .iter()
                .map(|s| RingStep {
                    devices: s
                        .devices
                        .iter()
                        .filter(|d| devices.contains(d))
                        .cloned()
                        .collect(),
                    after_seconds: s.after_seconds,
                })
                .filter(|s| !s.devices.is_empty())
                .collect(),
        )
    } else {
        DirectCalls::AllDevices
    };
    let group = (line.mode == Mode::Active && line.extension_lists_enabled).then(|| {
        let rung = policy::group_call_to_extension_list(ringing);
        if rung.is_empty() {
            GroupCalls::Skipped
        } else if rung == devices {
            GroupCalls::AllDevices
        } else {
            GroupCalls::Devices(rung)
        }
    });
    ProfileEffect { direct, group }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ProfileId, Status};
    use crate::settings::{Forwarding, Routing, default_settings};

    const DEVICES: [&str; 3] = ["desk", "soft", "mobile"];

    fn active(has_extension_list: bool) -> LineFacts {
        LineFacts {
            mode: Mode::Active,
            extension_lists_enabled: true,
            has_extension_list,
            voicemail: true,
        }
    }

    fn desk_then_mobile_after_15s() -> ProfileSettings {
        ProfileSettings {
            dnd: false,
            forwarding: Forwarding::default(),
            routing: Routing::Selected {
                steps: vec![
                    RingStep {
                        devices: vec!["desk".into()],
                        after_seconds: 0,
                    },
                    RingStep {
                        devices: vec!["mobile".into(), "gone".into()],
                        after_seconds: 15,
                    },
                ],
            },
        }
    }

    #[test]
    fn the_seed_table_in_active_mode() {
        // SPEC §4: Available-status profiles ring every device; the Unavailable ones have DND on,
        // so a direct call rings nothing and goes to voicemail, and groups skip the user; "Ring
        // all" in the table changes neither.
        for p in ProfileId::ALL {
            let effect = profile_effect(&default_settings(p), &DEVICES, active(true));
            let expected = match p.status() {
                Status::Available => ProfileEffect {
                    direct: DirectCalls::AllDevices,
                    group: Some(GroupCalls::AllDevices),
                },
                Status::Unavailable => ProfileEffect {
                    direct: DirectCalls::Voicemail,
                    group: Some(GroupCalls::Skipped),
                },
            };
            assert_eq!(effect, expected, "{p:?}");
        }
        let without_voicemail = LineFacts {
            voicemail: false,
            ..active(false)
        };
        assert_eq!(
            profile_effect(
                &default_settings(ProfileId::Lunch),
                &DEVICES,
                without_voicemail
            )
            .direct,
            DirectCalls::Missed
        );
    }

    #[test]
    fn passive_profiles_are_purely_visual() {
        let passive = LineFacts {
            mode: Mode::Passive,
            ..active(true)
        };
        for p in ProfileId::ALL {
            assert_eq!(
                profile_effect(&default_settings(p), &DEVICES, passive),
                ProfileEffect {
                    direct: DirectCalls::AllDevices,
                    group: None
                }
            );
        }
    }

    #[test]
    fn customised_routing_rings_in_steps_and_the_group_follows_the_list() {
        let e = profile_effect(&desk_then_mobile_after_15s(), &DEVICES, active(false));
        assert_eq!(
            e.direct,
            DirectCalls::Steps(vec![
                RingStep {
                    devices: vec!["desk".into()],
                    after_seconds: 0
                },
                RingStep {
                    devices: vec!["mobile".into()],
                    after_seconds: 15
                },
            ]),
            "a device the user no longer has is left out"
        );
        // The customisation creates the list (SPEC §5), so groups ring only its devices.
        assert_eq!(
            e.group,
            Some(GroupCalls::Devices(vec!["desk".into(), "mobile".into()]))
        );
        // Without the feature there is no group effect to describe.
        let off = LineFacts {
            extension_lists_enabled: false,
            ..active(false)
        };
        assert_eq!(
            profile_effect(&desk_then_mobile_after_15s(), &DEVICES, off).group,
            None
        );
    }

    #[test]
    fn forwarding_takes_direct_calls_but_not_group_calls_and_dnd_beats_it() {
        let mut s = default_settings(ProfileId::OnTheRoad);
        s.forwarding = Forwarding {
            enabled: true,
            to: Some("+351912000999".into()),
        };
        assert_eq!(
            profile_effect(&s, &DEVICES, active(true)),
            ProfileEffect {
                direct: DirectCalls::ForwardTo("+351912000999".into()),
                group: Some(GroupCalls::AllDevices),
            }
        );
        s.dnd = true;
        assert_eq!(
            profile_effect(&s, &DEVICES, active(true)),
            ProfileEffect {
                direct: DirectCalls::Voicemail,
                group: Some(GroupCalls::Skipped),
            }
        );
        // A user with no device: nothing can ring.
        assert_eq!(
            profile_effect(
                &default_settings(ProfileId::Available),
                &[] as &[&str],
                active(true)
            )
            .direct,
            DirectCalls::Voicemail
        );
    }
}
