//! Ring resolution: which devices ring for a direct call to a user or for a hunt-group call, and
//! where a forwarded direct call goes. What the embedded PBX answers to `/pbx/ring`.

use serde::{Deserialize, Serialize};

use crate::pbx::PbxUserState;

/// A hunt-group member: a user (all of their devices, as the platform does by default) or a user's
/// extension list (only the devices they chose). Wire shape `{"user": id}` / `{"extension_list_of": id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupMember {
    /// The user, directly.
    User(String),
    /// The user's extension list.
    ExtensionListOf(String),
}

impl GroupMember {
    /// The id of the user behind the member.
    pub fn user_id(&self) -> &str {
        match self {
            GroupMember::User(u) | GroupMember::ExtensionListOf(u) => u,
        }
    }
}

/// One user's line as ring resolution needs it.
#[derive(Debug, Clone, Copy)]
pub struct UserLine<'a> {
    /// Every device of the user, in their natural order.
    pub devices: &'a [String],
    /// What the PBX holds for the user.
    pub pbx: &'a PbxUserState,
}

/// The outcome of a call: the devices that ring and, for a forwarded direct call, the number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RingTargets {
    /// Device ids that ring, in order (first step first for find-me/follow-me).
    pub devices: Vec<String>,
    /// For a direct call with forwarding on, the E.164 number the call goes to instead.
    pub forwarded_to: Option<String>,
}

/// The judgment calls SPEC §5 leaves open, together in one place so they are easy to change: what
/// Do Not Disturb silences, what a group rings for each kind of member, and what a user's extension
/// list holds. Ring resolution (below) and the PBX's desired state (`crate::pbx`) only call these.
pub mod policy {
    use super::{RingTargets, UserLine};
    use crate::settings::{ProfileSettings, Routing};

    /// **The DND rule**, the one place it is stated: while Do Not Disturb is on, nothing of the
    /// user rings — a direct call rings no device and is not forwarded either, a group call skips
    /// the user whichever way they are a member, and the user's extension list holds no device
    /// until DND is off again. Every path below goes through it.
    pub fn under_dnd(dnd: bool, targets: RingTargets) -> RingTargets {
        if dnd { RingTargets::default() } else { targets }
    }

    /// A direct call: forwarding on → the forwarding number instead of the devices;
    /// find-me/follow-me → its devices in step order; otherwise every device; then [`under_dnd`].
    pub fn direct_call(line: UserLine<'_>) -> RingTargets {
        let targets = if line.pbx.forwarding.enabled
            && let Some(to) = &line.pbx.forwarding.to
        {
            RingTargets {
                devices: Vec::new(),
                forwarded_to: Some(to.clone()),
            }
        } else {
            let devices = match &line.pbx.find_me_follow_me {
                Some(fm) => fm
                    .steps
                    .iter()
                    .flat_map(|s| s.devices.iter())
                    .filter(|d| line.devices.contains(d))
                    .cloned()
                    .collect(),
                None => line.devices.to_vec(),
            };
            RingTargets {
                devices,
                forwarded_to: None,
            }
        };
        under_dnd(line.pbx.dnd, targets)
    }

    /// A group call to a member given as the user: every device, even with find-me/follow-me or
    /// forwarding on (the platform's default, SPEC §5); then [`under_dnd`].
    pub fn group_call_to_user(line: UserLine<'_>) -> Vec<String> {
        under_dnd(line.pbx.dnd, ring(line.devices.to_vec())).devices
    }

    /// A group call to a member given as the user's extension list: no list yet → every device
    /// of the user; otherwise the list's devices (which [`extension_list_devices`] already
    /// emptied under DND); then [`under_dnd`], which also covers a user under DND with no list.
    pub fn group_call_to_extension_list(line: UserLine<'_>) -> Vec<String> {
        let devices = match &line.pbx.extension_list {
            Some(list) => list
                .devices
                .iter()
                .filter(|d| line.devices.contains(d))
                .cloned()
                .collect(),
            None => line.devices.to_vec(),
        };
        under_dnd(line.pbx.dnd, ring(devices)).devices
    }

    /// The devices a user's extension list holds under these settings: every device for "Ring
    /// all", otherwise the devices of every step in ring order — forwarding ignored (SPEC §5);
    /// then [`under_dnd`]. `devices` are the user's device ids in their natural order.
    pub fn extension_list_devices<S: AsRef<str>>(
        settings: &ProfileSettings,
        devices: &[S],
    ) -> Vec<String> {
        let chosen = match &settings.routing {
            Routing::All => devices.iter().map(|d| d.as_ref().to_owned()).collect(),
            Routing::Selected { steps } => steps
                .iter()
                .flat_map(|s| s.devices.iter())
                .filter(|d| devices.iter().any(|o| o.as_ref() == d.as_str()))
                .cloned()
                .collect(),
        };
        under_dnd(settings.dnd, ring(chosen)).devices
    }

    fn ring(devices: Vec<String>) -> RingTargets {
        RingTargets {
            devices,
            forwarded_to: None,
        }
    }
}

/// What happens now to a direct call to the user.
pub fn ring_user(line: UserLine<'_>) -> RingTargets {
    policy::direct_call(line)
}

/// What happens now to a call to a hunt group: the devices of every member, in member order, each
/// device once. `line_of` finds a member's line by user id; unknown users ring nothing.
pub fn ring_group<'a>(
    members: &[GroupMember],
    line_of: impl Fn(&str) -> Option<UserLine<'a>>,
) -> RingTargets {
    let mut devices: Vec<String> = Vec::new();
    for member in members {
        let Some(line) = line_of(member.user_id()) else {
            continue;
        };
        let ringing = match member {
            GroupMember::User(_) => policy::group_call_to_user(line),
            GroupMember::ExtensionListOf(_) => policy::group_call_to_extension_list(line),
        };
        for d in ringing {
            if !devices.contains(&d) {
                devices.push(d);
            }
        }
    }
    RingTargets {
        devices,
        forwarded_to: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pbx::{ExtensionList, FindMeFollowMe};
    use crate::settings::{Forwarding, RingStep};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn direct_calls() {
        let devices = ids(&["desk", "soft", "mobile"]);
        let mut pbx = PbxUserState::default();
        let line = |pbx: &PbxUserState| {
            ring_user(UserLine {
                devices: &devices,
                pbx,
            })
        };
        assert_eq!(line(&pbx).devices, devices, "ring all");

        pbx.find_me_follow_me = Some(FindMeFollowMe {
            steps: vec![
                RingStep {
                    devices: ids(&["mobile"]),
                    after_seconds: 0,
                },
                RingStep {
                    devices: ids(&["desk"]),
                    after_seconds: 10,
                },
            ],
        });
        assert_eq!(line(&pbx).devices, ["mobile", "desk"], "step order");

        pbx.forwarding = Forwarding {
            enabled: true,
            to: Some("+351912345678".into()),
        };
        assert_eq!(
            line(&pbx),
            RingTargets {
                devices: vec![],
                forwarded_to: Some("+351912345678".into())
            }
        );

        pbx.dnd = true;
        assert_eq!(
            line(&pbx),
            RingTargets::default(),
            "DND: nothing rings, not even forwarding"
        );
    }

    #[test]
    fn the_demo_sales_group() {
        // Sales = ana's extension list + bruno directly (API.md demo data).
        let ana_devices = ids(&["ana-desk", "ana-soft", "ana-mobile"]);
        let bruno_devices = ids(&["bruno-desk", "bruno-mobile"]);
        let members = vec![
            GroupMember::ExtensionListOf("ana".into()),
            GroupMember::User("bruno".into()),
        ];
        let mut ana = PbxUserState::default();
        let mut bruno = PbxUserState::default();
        let ring = |ana: &PbxUserState, bruno: &PbxUserState| {
            let lines: HashMap<&str, UserLine> = HashMap::from([
                (
                    "ana",
                    UserLine {
                        devices: &ana_devices,
                        pbx: ana,
                    },
                ),
                (
                    "bruno",
                    UserLine {
                        devices: &bruno_devices,
                        pbx: bruno,
                    },
                ),
            ]);
            ring_group(&members, |u| lines.get(u).copied()).devices
        };
        // No list yet: all of ana's devices ring.
        assert_eq!(
            ring(&ana, &bruno),
            ids(&[
                "ana-desk",
                "ana-soft",
                "ana-mobile",
                "bruno-desk",
                "bruno-mobile"
            ])
        );
        // After customisation: only the list's devices; bruno's forwarding does not matter to groups.
        ana.extension_list = Some(ExtensionList {
            id: "xl-ana".into(),
            devices: ids(&["ana-soft"]),
        });
        bruno.forwarding = Forwarding {
            enabled: true,
            to: Some("+351912345678".into()),
        };
        assert_eq!(
            ring(&ana, &bruno),
            ids(&["ana-soft", "bruno-desk", "bruno-mobile"])
        );
        // DND skips the member.
        bruno.dnd = true;
        assert_eq!(ring(&ana, &bruno), ids(&["ana-soft"]));
        ana.dnd = true;
        assert_eq!(ring(&ana, &bruno), Vec::<String>::new());
    }

    /// One row of [`spec_section_5_judgment_calls`]'s table.
    type Row = (
        bool,
        bool,
        bool,
        bool,
        &'static [&'static str],
        Option<&'static str>,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );

    /// SPEC §5's judgment calls as a table: what rings for a direct call, a group call to the user,
    /// and a group call to the user's extension list, and what the list holds — for each of DND,
    /// forwarding and a customised routing (desk, then mobile), with and without a list.
    #[test]
    fn spec_section_5_judgment_calls() {
        use crate::settings::{ProfileSettings, Routing};
        const FWD: &str = "+351912345678";
        let devices = ids(&["desk", "soft", "mobile"]);
        let routing = Routing::Selected {
            steps: vec![
                RingStep {
                    devices: ids(&["desk"]),
                    after_seconds: 0,
                },
                RingStep {
                    devices: ids(&["mobile"]),
                    after_seconds: 15,
                },
            ],
        };
        #[rustfmt::skip]
        let table: [Row; 10] = [
            // dnd, fwd, custom, list | direct devices, forwarded | group: user, ext. list | list holds
            (false, false, false, false, &["desk", "soft", "mobile"], None, &["desk", "soft", "mobile"], &["desk", "soft", "mobile"], &["desk", "soft", "mobile"]),
            (false, false, true, false, &["desk", "mobile"], None, &["desk", "soft", "mobile"], &["desk", "soft", "mobile"], &["desk", "mobile"]),
            (false, false, true, true, &["desk", "mobile"], None, &["desk", "soft", "mobile"], &["desk", "mobile"], &["desk", "mobile"]),
            (false, true, false, false, &[], Some(FWD), &["desk", "soft", "mobile"], &["desk", "soft", "mobile"], &["desk", "soft", "mobile"]),
            (false, true, true, true, &[], Some(FWD), &["desk", "soft", "mobile"], &["desk", "mobile"], &["desk", "mobile"]),
            (true, false, false, false, &[], None, &[], &[], &[]),
            (true, false, true, true, &[], None, &[], &[], &[]),
            (true, true, false, false, &[], None, &[], &[], &[]),
            (true, true, true, true, &[], None, &[], &[], &[]),
            (true, false, false, true, &[], None, &[], &[], &[]),
        ];
        for (n, (dnd, fwd, custom, list, direct, forwarded, group_user, group_list, holds)) in
            table.into_iter().enumerate()
        {
            let settings = ProfileSettings {
                dnd,
                forwarding: Forwarding {
                    enabled: fwd,
                    to: Some(FWD.into()),
                },
                routing: if custom {
                    routing.clone()
                } else {
                    Routing::All
                },
            };
            let held = policy::extension_list_devices(&settings, &devices);
            assert_eq!(held, ids(holds), "row {n}: the list holds");
            let pbx = PbxUserState {
                dnd,
                forwarding: settings.forwarding.clone(),
                find_me_follow_me: match &settings.routing {
                    Routing::All => None,
                    Routing::Selected { steps } => Some(FindMeFollowMe {
                        steps: steps.clone(),
                    }),
                },
                extension_list: list.then(|| ExtensionList {
                    id: "xl".into(),
                    devices: held.clone(),
                }),
            };
            let line = UserLine {
                devices: &devices,
                pbx: &pbx,
            };
            assert_eq!(
                ring_user(line),
                RingTargets {
                    devices: ids(direct),
                    forwarded_to: forwarded.map(str::to_owned)
                },
                "row {n}: direct call"
            );
            let group = |m: GroupMember| ring_group(&[m], |_| Some(line)).devices;
            assert_eq!(
                group(GroupMember::User("u".into())),
                ids(group_user),
                "row {n}"
            );
            assert_eq!(
                group(GroupMember::ExtensionListOf("u".into())),
                ids(group_list),
                "row {n}"
            );
        }
    }

    #[test]
    fn members_serialise_as_api_md_says() {
        let m = vec![
            GroupMember::ExtensionListOf("a".into()),
            GroupMember::User("b".into()),
        ];
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!([{"extension_list_of": "a"}, {"user": "b"}])
        );
    }

    fn arb_state(devices: Vec<String>) -> impl Strategy<Value = PbxUserState> {
        let n = devices.len();
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(proptest::sample::subsequence(devices.clone(), 0..=n)),
            proptest::option::of(proptest::sample::subsequence(devices, 0..=n)),
        )
            .prop_map(|(dnd, fwd, fm, xl)| PbxUserState {
                dnd,
                forwarding: Forwarding {
                    enabled: fwd,
                    to: Some("+351912345678".into()),
                },
                find_me_follow_me: fm.map(|d| FindMeFollowMe {
                    steps: vec![RingStep {
                        devices: d,
                        after_seconds: 0,
                    }],
                }),
                extension_list: xl.map(|d| ExtensionList {
                    id: "xl".into(),
                    devices: d,
                }),
            })
    }

    fn user_devices(u: usize) -> Vec<String> {
        (0..3).map(|d| format!("u{u}-d{d}")).collect()
    }

    proptest! {
        #[test]
        fn dnd_means_nothing_rings_for_a_direct_call(state in arb_state(user_devices(0))) {
            let devices = user_devices(0);
            let r = ring_user(UserLine { devices: &devices, pbx: &state });
            if state.dnd {
                prop_assert!(r.devices.is_empty() && r.forwarded_to.is_none());
            }
            if r.forwarded_to.is_some() { prop_assert!(r.devices.is_empty()); }
            prop_assert!(r.devices.iter().all(|d| devices.contains(d)));
        }

        #[test]
        fn a_group_rings_only_its_members_devices_and_never_a_dnd_member(
            states in proptest::collection::vec(arb_state(user_devices(0)), 4),
            members in proptest::collection::vec((0usize..4, any::<bool>()), 0..6),
        ) {
            let devs: Vec<Vec<String>> = (0..4).map(user_devices).collect();
            // Each user's state, re-labelled onto that user's own devices.
            let states: Vec<PbxUserState> = states.into_iter().enumerate().map(|(u, mut s)| {
                let relabel = |d: &mut String| *d = d.replacen("u0", &format!("u{u}"), 1);
                if let Some(fm) = &mut s.find_me_follow_me { fm.steps.iter_mut().flat_map(|st| st.devices.iter_mut()).for_each(relabel); }
                if let Some(xl) = &mut s.extension_list { xl.devices.iter_mut().for_each(relabel); }
                s
            }).collect();
            let members: Vec<GroupMember> = members.iter().map(|(u, list)| {
                if *list { GroupMember::ExtensionListOf(format!("{u}")) } else { GroupMember::User(format!("{u}")) }
            }).collect();
            let r = ring_group(&members, |id| {
                let u: usize = id.parse().ok()?;
                Some(UserLine { devices: &devs[u], pbx: &states[u] })
            });
            prop_assert!(r.forwarded_to.is_none());
            for d in &r.devices {
                let owner: usize = d[1..2].parse().unwrap();
                prop_assert!(members.iter().any(|m| m.user_id() == owner.to_string()), "outsider {d}");
                prop_assert!(!states[owner].dnd, "DND member rang: {d}");
            }
            let unique: std::collections::HashSet<&String> = r.devices.iter().collect();
            prop_assert_eq!(unique.len(), r.devices.len());
        }

        #[test]
        fn an_extension_list_only_holds_its_owners_devices(
            steps in proptest::collection::vec(proptest::collection::vec("[a-z]{1,6}", 1..4), 1..4),
            dnd in any::<bool>(),
        ) {
            use crate::settings::{ProfileSettings, Routing};
            let own = ids(&["desk", "soft", "mobile"]);
            let s = ProfileSettings {
                dnd,
                forwarding: Forwarding::default(),
                routing: Routing::Selected { steps: steps.into_iter().enumerate().map(|(i, d)| RingStep { devices: d, after_seconds: i as u32 }).collect() },
            };
            let list = policy::extension_list_devices(&s, &own);
            prop_assert!(list.iter().all(|d| own.contains(d)));
            if dnd { prop_assert!(list.is_empty()); }
        }
    }
}
