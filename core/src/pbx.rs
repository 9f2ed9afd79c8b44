//! What a profile change asks of the PBX (SPEC §4, §5): nothing in passive mode; in active mode the
//! profile's DND, forwarding and find-me/follow-me, and the user's extension list if they have one.
//!
//! These functions compute the *desired* PBX state. Storing it, and applying it until the PBX agrees,
//! is the backend's job; talking to a PBX is its connector's.
//!
//! What an extension list holds, and what Do Not Disturb does to it, are SPEC §5's judgment calls
//! and live in `crate::ring::policy`; this module only decides whether the user has a list.

use serde::{Deserialize, Serialize};

use crate::ring::policy::extension_list_devices;
use crate::settings::{Forwarding, ProfileSettings, RingStep, Routing};

/// The mode of a reseller (SPEC §4); customers inherit it and cannot change it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Profiles are purely visual (the default).
    #[default]
    Passive,
    /// A profile change also reconfigures the user's PBX services.
    Active,
}

impl Mode {
    /// The wire name (`passive` / `active`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Passive => "passive",
            Mode::Active => "active",
        }
    }

    /// The mode with this wire name.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "passive" => Some(Mode::Passive),
            "active" => Some(Mode::Active),
            _ => None,
        }
    }
}

/// Find-me/follow-me (personal routing) as the PBX holds it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindMeFollowMe {
    /// The steps, in order.
    pub steps: Vec<RingStep>,
}

/// A user extension list (SPEC §5): the devices a group rings for a member given as this list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionList {
    /// The list's id on the PBX.
    pub id: String,
    /// Device ids, in ring order.
    pub devices: Vec<String>,
}

/// Everything the PBX holds for one user (the body of `GET /api/v1/pbx/users/<id>`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PbxUserState {
    /// Do Not Disturb.
    pub dnd: bool,
    /// Call forwarding.
    pub forwarding: Forwarding,
    /// Personal routing; `None` means every device rings at once.
    pub find_me_follow_me: Option<FindMeFollowMe>,
    /// The user's extension list, once they have one.
    pub extension_list: Option<ExtensionList>,
}

/// The id of a user's extension list: one list per user, named after them, so creating it twice
/// cannot make two.
pub fn extension_list_id(user_id: &str) -> String {
    format!("xl-{user_id}")
}

/// Whether saving `customised` creates the user's extension list: the reseller has the feature on,
/// the user has none yet, and the change customises device routing (SPEC §5).
pub fn creates_extension_list(
    extension_lists_enabled: bool,
    current: &PbxUserState,
    customised: &ProfileSettings,
) -> bool {
    extension_lists_enabled && current.extension_list.is_none() && customised.customises_routing()
}

/// What the user's PBX state should become once `settings` are the current profile's effective
/// settings, in `mode`. `None` in passive mode: no PBX change at all. While the reseller has
/// extension lists enabled, an existing list follows the profile and `create_extension_list` (see
/// [`creates_extension_list`]) makes one; with the feature off the user has no list (an existing
/// one is removed — judgment call: the backend can no longer keep it up to date, and "no list"
/// rings all of the user's devices). `devices` are the user's device ids in their natural order.
pub fn desired_state<S: AsRef<str>>(
    mode: Mode,
    extension_lists_enabled: bool,
    user_id: &str,
    settings: &ProfileSettings,
    devices: &[S],
    current: &PbxUserState,
    create_extension_list: bool,
) -> Option<PbxUserState> {
    if mode == Mode::Passive {
        return None;
    }
    let find_me_follow_me = match &settings.routing {
        Routing::All => None,
        Routing::Selected { steps } => Some(FindMeFollowMe {
            steps: steps.clone(),
        }),
    };
    let has_list = current.extension_list.is_some() || create_extension_list;
    let extension_list = (extension_lists_enabled && has_list).then(|| ExtensionList {
        id: extension_list_id(user_id),
        devices: extension_list_devices(settings, devices),
    });
    Some(PbxUserState {
        dnd: settings.dnd,
        forwarding: settings.forwarding.clone(),
        find_me_follow_me,
        extension_list,
    })
}

/// What the PBX holds for a user once their reseller leaves active mode. SPEC §4 only says passive
/// profiles are "purely visual"; it is silent on what the PBX keeps. Judgment call: the backend
/// releases what it managed — DND off, forwarding off, every device rings, no extension list (a
/// group member given as the list then rings all the user's devices) — so that nobody is left
/// unreachable behind a setting no client can change any more.
pub fn released_state() -> PbxUserState {
    PbxUserState::default()
}

/// What the PBX should hold for a user after an operator changed what their state depends on (the
/// reseller's mode or extension-list feature, the user's licence or devices), given the current
/// profile's effective `settings` and what the PBX holds now (`current`). Passive mode: the
/// [`released_state`]. Active mode: [`desired_state`] (so an existing extension list is removed
/// when the reseller has the feature off). Never creates a list: that happens only when the user
/// customises routing (SPEC §5).
pub fn reconciled_state<S: AsRef<str>>(
    mode: Mode,
    extension_lists_enabled: bool,
    user_id: &str,
    settings: &ProfileSettings,
    devices: &[S],
    current: &PbxUserState,
) -> PbxUserState {
    if mode == Mode::Passive {
        return released_state();
    }
    desired_state(
        mode,
        extension_lists_enabled,
        user_id,
        settings,
        devices,
        current,
        false,
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ProfileId, Status};
    use crate::settings::default_settings;

    const DEVICES: [&str; 3] = ["desk", "soft", "mobile"];

    fn desk_then_mobile() -> ProfileSettings {
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
                        devices: vec!["mobile".into()],
                        after_seconds: 15,
                    },
                ],
            },
        }
    }

    #[test]
    fn passive_mode_changes_nothing_on_the_pbx() {
        for p in ProfileId::ALL {
            let s = default_settings(p);
            assert_eq!(
                desired_state(
                    Mode::Passive,
                    true,
                    "u",
                    &s,
                    &DEVICES,
                    &PbxUserState::default(),
                    true
                ),
                None
            );
        }
    }

    #[test]
    fn active_mode_applies_the_seeds_table_for_every_profile() {
        for p in ProfileId::ALL {
            let s = default_settings(p);
            let d = desired_state(
                Mode::Active,
                true,
                "u",
                &s,
                &DEVICES,
                &PbxUserState::default(),
                false,
            )
            .unwrap();
            assert_eq!(d.dnd, p.status() == Status::Unavailable, "{p}");
            assert!(!d.forwarding.enabled, "{p}");
            assert_eq!(d.find_me_follow_me, None, "{p}: ring all");
            assert_eq!(d.extension_list, None, "{p}: nobody customised");
        }
    }

    #[test]
    fn the_extension_list_lifecycle() {
        let none = PbxUserState::default();
        // DND or forwarding alone never create a list; customising routing does, if enabled.
        let mut dnd_only = default_settings(ProfileId::Available);
        dnd_only.dnd = true;
        assert!(!creates_extension_list(true, &none, &dnd_only));
        assert!(!creates_extension_list(false, &none, &desk_then_mobile()));
        assert!(creates_extension_list(true, &none, &desk_then_mobile()));

        // Created: holds the customised profile's devices when that profile is current.
        let created = desired_state(
            Mode::Active,
            true,
            "ana",
            &desk_then_mobile(),
            &DEVICES,
            &none,
            true,
        )
        .unwrap();
        let list = created.extension_list.clone().unwrap();
        assert_eq!(list.id, "xl-ana");
        assert_eq!(list.devices, ["desk", "mobile"]);
        assert!(
            !creates_extension_list(true, &created, &desk_then_mobile()),
            "only once"
        );

        // It follows the current profile: Ring all → every device.
        let avail = desired_state(
            Mode::Active,
            true,
            "ana",
            &default_settings(ProfileId::OnTheRoad),
            &DEVICES,
            &created,
            false,
        )
        .unwrap();
        assert_eq!(avail.extension_list.unwrap().devices, DEVICES);

        // Under DND it is emptied, and it comes back when DND is off.
        let lunch = desired_state(
            Mode::Active,
            true,
            "ana",
            &default_settings(ProfileId::Lunch),
            &DEVICES,
            &created,
            false,
        )
        .unwrap();
        assert_eq!(
            lunch.extension_list.as_ref().unwrap().devices,
            Vec::<String>::new()
        );
        let back = desired_state(
            Mode::Active,
            true,
            "ana",
            &desk_then_mobile(),
            &DEVICES,
            &lunch,
            false,
        )
        .unwrap();
        assert_eq!(back.extension_list.unwrap().devices, ["desk", "mobile"]);
    }

    #[test]
    fn a_profile_change_keeps_no_extension_list_while_the_feature_is_off() {
        let with_list = desired_state(
            Mode::Active,
            true,
            "ana",
            &desk_then_mobile(),
            &DEVICES,
            &PbxUserState::default(),
            true,
        )
        .unwrap();
        assert!(with_list.extension_list.is_some());
        // The reseller turned the feature off: neither an existing list nor a first customisation
        // gives the user one; everything else still follows the profile.
        for (current, create) in [(&with_list, false), (&PbxUserState::default(), true)] {
            let d = desired_state(
                Mode::Active,
                false,
                "ana",
                &default_settings(ProfileId::Lunch),
                &DEVICES,
                current,
                create,
            )
            .unwrap();
            assert_eq!(d.extension_list, None);
            assert!(d.dnd, "Lunch's DND still applies");
        }
    }

    #[test]
    fn forwarding_does_not_change_the_extension_list() {
        let mut s = desk_then_mobile();
        s.forwarding = Forwarding {
            enabled: true,
            to: Some("+351912345678".into()),
        };
        assert_eq!(extension_list_devices(&s, &DEVICES), ["desk", "mobile"]);
    }

    #[test]
    fn a_removed_device_leaves_the_extension_list() {
        assert_eq!(
            extension_list_devices(&desk_then_mobile(), &["desk"]),
            ["desk"]
        );
    }

    #[test]
    fn reconciling_follows_the_mode_and_the_extension_list_feature() {
        let with_list = desired_state(
            Mode::Active,
            true,
            "ana",
            &desk_then_mobile(),
            &DEVICES,
            &PbxUserState::default(),
            true,
        )
        .unwrap();
        // Passive: everything the backend managed is released.
        for p in ProfileId::ALL {
            let s = default_settings(p);
            assert_eq!(
                reconciled_state(Mode::Passive, true, "ana", &s, &DEVICES, &with_list),
                PbxUserState::default(),
                "{p}"
            );
        }
        // Active: the profile's state; the list is kept and follows the profile while enabled.
        let lunch = default_settings(ProfileId::Lunch);
        let kept = reconciled_state(Mode::Active, true, "ana", &lunch, &DEVICES, &with_list);
        assert!(kept.dnd);
        assert_eq!(kept.extension_list.unwrap().devices, Vec::<String>::new());
        // Active with the feature off: the list goes; nothing else changes.
        let dropped = reconciled_state(
            Mode::Active,
            false,
            "ana",
            &desk_then_mobile(),
            &DEVICES,
            &with_list,
        );
        assert_eq!(dropped.extension_list, None);
        assert_eq!(
            dropped.find_me_follow_me, with_list.find_me_follow_me,
            "routing unchanged"
        );
        // Never creates a list, even for customised routing with the feature on.
        let none = reconciled_state(
            Mode::Active,
            true,
            "bruno",
            &desk_then_mobile(),
            &DEVICES,
            &PbxUserState::default(),
        );
        assert_eq!(none.extension_list, None);
        // A new device joins a Ring-all list; a gone one leaves it.
        let avail = default_settings(ProfileId::Available);
        let more = reconciled_state(
            Mode::Active,
            true,
            "ana",
            &avail,
            &["desk", "soft", "mobile", "tablet"],
            &with_list,
        );
        assert_eq!(
            more.extension_list.unwrap().devices,
            ["desk", "soft", "mobile", "tablet"]
        );
        let fewer = reconciled_state(Mode::Active, true, "ana", &avail, &["desk"], &with_list);
        assert_eq!(fewer.extension_list.unwrap().devices, ["desk"]);
    }
}
