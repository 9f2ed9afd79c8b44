//! Presence kept in step with the CRM's own agent status (issue 14): Salesforce Omni-Channel's
//! presence statuses (through Salesforce Voice) and Dynamics 365's presences (through Channel
//! Integration Framework 2.0), mapped to presence profiles both ways by a per-customer table.
//!
//! The one place these rules live: the backend validates and stores a customer's [`CrmPresenceMap`]
//! and hands it to the widget in `GET /me`; the widget's CRM bridges ask [`CrmPresenceMap::sync_from_crm`]
//! what a CRM change does to the profile and [`CrmPresenceMap::sync_to_crm`] what a profile change
//! publishes to the CRM. Both answer `None` when the other side already agrees, which is what keeps
//! a change from being sent back to the side it came from (no loops, no flapping).

use serde::{Deserialize, Serialize};

use crate::api::CrmKind;
use crate::profile::ProfileId;

/// Most rules per CRM in a customer's map.
pub const MAX_RULES: usize = 64;
/// Longest CRM status name in a rule, in characters.
pub const MAX_STATUS_CHARS: usize = 80;

/// One row of a customer's map: a CRM status, by its name, and the profile it stands for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmStatusRule {
    /// The CRM's status as the CRM names it: an Omni-Channel presence status's API name
    /// (`Available_for_Voice`) or label, a Dynamics 365 presence's text (`Busy - DND`). Compared
    /// ignoring case, spaces, `_` and `-` ([`same_status`]).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub status: String,
    /// The profile the status sets, and that sets it back (the first rule naming a profile is the
    /// status published for that profile).
    pub profile: ProfileId,
}

/// A customer's two-way map between the CRMs' agent statuses and presence profiles, in `GET /me`
/// and `GET/PUT /admin/crm-presence` (extensions of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmPresenceMap {
    /// Whether the widget keeps the CRM's agent status and the profile in step; off, each keeps its own.
    pub enabled: bool,
    /// Salesforce Omni-Channel presence statuses ↔ profiles, in order (at most [`MAX_RULES`]).
    #[cfg_attr(feature = "openapi", schema(max_items = 64))]
    pub salesforce: Vec<CrmStatusRule>,
    /// Dynamics 365 presences ↔ profiles, in order (at most [`MAX_RULES`]).
    #[cfg_attr(feature = "openapi", schema(max_items = 64))]
    pub dynamics: Vec<CrmStatusRule>,
}

/// Why a map is refused: the `reason` of a 422 `invalid_crm_presence`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmPresenceError {
    /// More than [`MAX_RULES`] rules for one CRM.
    #[error("at most {MAX_RULES} rules per CRM")]
    TooManyRules,
    /// A status name that is empty, too long or has control characters.
    #[error(
        "a CRM status name is 1 to {MAX_STATUS_CHARS} characters without control characters: {0:?}"
    )]
    BadStatus(String),
    /// The same CRM status twice in one CRM's rules.
    #[error("the CRM status {0:?} is mapped twice")]
    Duplicate(String),
    /// A profile this build does not know.
    #[error("unknown profile in a rule")]
    UnknownProfile,
}

/// Whether two CRM status names are the same status: equal ignoring ASCII case, spaces, `_` and
/// `-` (`Busy_DND`, `busy - dnd` and `Busy DND` are one status).
pub fn same_status(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    key(a) == key(b)
}

fn rule(status: &str, profile: ProfileId) -> CrmStatusRule {
    CrmStatusRule {
        status: status.to_owned(),
        profile,
    }
}

impl Default for CrmPresenceMap {
    /// The map of a customer that configured none: the statuses a new org ships with.
    /// Omni-Channel: Available/Online ↔ Available, Busy ↔ In a meeting, Away, Break ↔ Comfort
    /// break, Lunch, Offline ↔ Out of office. Dynamics 365 (Customer Service workspace's
    /// presences): Available, Busy ↔ In a meeting, Busy - DND ↔ On holiday, Away, Offline ↔ Out
    /// of office.
    fn default() -> Self {
        use ProfileId::*;
        CrmPresenceMap {
            enabled: true,
            salesforce: vec![
                rule("Available", Available),
                rule("Online", Available),
                rule("Busy", InAMeeting),
                rule("Away", Away),
                rule("Break", ComfortBreak),
                rule("Lunch", Lunch),
                rule("Offline", OutOfOffice),
            ],
            dynamics: vec![
                rule("Available", Available),
                rule("Busy", InAMeeting),
                rule("Busy - DND", OnHoliday),
                rule("Away", Away),
                rule("Offline", OutOfOffice),
            ],
        }
    }
}

impl CrmPresenceMap {
    /// The rules for `crm` (none for a plain page).
    pub fn rules(&self, crm: CrmKind) -> &[CrmStatusRule] {
        match crm {
            CrmKind::Salesforce => &self.salesforce,
            CrmKind::Dynamics => &self.dynamics,
            CrmKind::Standalone => &[],
        }
    }

    /// The profile a CRM status stands for: the first rule matching any of `names` (the status's
    /// API name first, then its label), tried in the order given.
    pub fn profile_for(&self, crm: CrmKind, names: &[&str]) -> Option<ProfileId> {
        let rules = self.rules(crm);
        names.iter().find_map(|name| {
            rules
                .iter()
                .find(|r| same_status(&r.status, name))
                .map(|r| r.profile)
        })
    }

    /// The CRM status published for `profile`: the first rule naming it.
    pub fn status_for(&self, crm: CrmKind, profile: ProfileId) -> Option<&str> {
        self.rules(crm)
            .iter()
            .find(|r| r.profile == profile)
            .map(|r| r.status.as_str())
    }

    /// What a change of the CRM's status (known by `names`) does to the profile: the profile to
    /// set, or `None` when the map is off, the status is not mapped, or the agent's profile
    /// (`current`) already is the one it stands for — the echo of a change we published.
    pub fn sync_from_crm(
        &self,
        crm: CrmKind,
        names: &[&str],
        current: Option<ProfileId>,
    ) -> Option<ProfileId> {
        if !self.enabled {
            return None;
        }
        self.profile_for(crm, names).filter(|&p| Some(p) != current)
    }

    /// What a change of the agent's profile to `profile` publishes to the CRM: the status to set,
    /// or `None` when the map is off, no rule names the profile, or the CRM's status (known by
    /// `crm_names`) already stands for that profile — so a change that came from the CRM is not
    /// sent back to it, even when several statuses map to one profile.
    pub fn sync_to_crm(
        &self,
        crm: CrmKind,
        profile: ProfileId,
        crm_names: &[&str],
    ) -> Option<&str> {
        if !self.enabled || self.profile_for(crm, crm_names) == Some(profile) {
            return None;
        }
        self.status_for(crm, profile)
    }

    /// Checks the map before it is stored: at most [`MAX_RULES`] rules per CRM, names of 1 to
    /// [`MAX_STATUS_CHARS`] characters without control characters, no status twice in one CRM,
    /// known profiles only. Names are stored trimmed ([`CrmPresenceMap::trimmed`]).
    pub fn check(&self) -> Result<(), CrmPresenceError> {
        for rules in [&self.salesforce, &self.dynamics] {
            if rules.len() > MAX_RULES {
                return Err(CrmPresenceError::TooManyRules);
            }
            for (i, r) in rules.iter().enumerate() {
                let name = r.status.trim();
                if name.is_empty()
                    || name.chars().count() > MAX_STATUS_CHARS
                    || name.chars().any(char::is_control)
                {
                    return Err(CrmPresenceError::BadStatus(
                        r.status.chars().take(MAX_STATUS_CHARS).collect(),
                    ));
                }
                if r.profile == ProfileId::Unknown {
                    return Err(CrmPresenceError::UnknownProfile);
                }
                if rules[..i].iter().any(|o| same_status(&o.status, name)) {
                    return Err(CrmPresenceError::Duplicate(name.to_owned()));
                }
            }
        }
        Ok(())
    }

    /// The same map with every status name trimmed of surrounding white space.
    pub fn trimmed(mut self) -> Self {
        for r in self.salesforce.iter_mut().chain(self.dynamics.iter_mut()) {
            r.status = r.status.trim().to_owned();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProfileId::*;

    const SF: CrmKind = CrmKind::Salesforce;
    const D: CrmKind = CrmKind::Dynamics;

    #[test]
    fn names_match_ignoring_case_spaces_and_separators() {
        assert!(same_status("Busy - DND", "busy_dnd"));
        assert!(same_status("Available_for_Voice", "available for voice"));
        assert!(!same_status("Busy", "Busy DND"));
    }

    #[test]
    fn the_default_map_follows_the_issue() {
        let m = CrmPresenceMap::default();
        assert!(m.check().is_ok());
        assert_eq!(m.profile_for(SF, &["Online"]), Some(Available));
        assert_eq!(m.profile_for(SF, &["Busy"]), Some(InAMeeting));
        assert_eq!(m.profile_for(SF, &["Offline"]), Some(OutOfOffice));
        assert_eq!(m.status_for(SF, Available), Some("Available"));
        assert_eq!(m.profile_for(D, &["busy - dnd"]), Some(OnHoliday));
        assert_eq!(m.status_for(D, OutOfOffice), Some("Offline"));
        assert_eq!(m.status_for(D, WorkingFromHome), None);
        assert!(m.rules(CrmKind::Standalone).is_empty());
    }

    #[test]
    fn the_api_name_is_tried_before_the_label() {
        let m = CrmPresenceMap {
            salesforce: vec![rule("Phone", Available), rule("Busy_Calls", InAMeeting)],
            ..CrmPresenceMap::default()
        };
        assert_eq!(
            m.profile_for(SF, &["Busy_Calls", "Phone"]),
            Some(InAMeeting)
        );
        assert_eq!(m.profile_for(SF, &["Nope", "Phone"]), Some(Available));
        assert_eq!(m.profile_for(SF, &["Nope"]), None);
    }

    #[test]
    fn a_crm_change_sets_the_profile_once_and_is_not_sent_back() {
        let m = CrmPresenceMap::default();
        // Omni goes Busy while the agent is Available: the profile follows.
        assert_eq!(
            m.sync_from_crm(SF, &["Busy"], Some(Available)),
            Some(InAMeeting)
        );
        // The profile's change event then arrives: Omni already says Busy, nothing is published.
        assert_eq!(m.sync_to_crm(SF, InAMeeting, &["Busy"]), None);
        // Unmapped statuses leave the profile alone.
        assert_eq!(m.sync_from_crm(SF, &["Training"], Some(Available)), None);
    }

    #[test]
    fn a_profile_change_is_published_once_and_its_echo_does_nothing() {
        let m = CrmPresenceMap::default();
        assert_eq!(m.sync_to_crm(SF, Lunch, &["Available"]), Some("Lunch"));
        // Salesforce answers with setAgentStatus(Lunch): the profile already is Lunch.
        assert_eq!(m.sync_from_crm(SF, &["Lunch"], Some(Lunch)), None);
        // A profile no rule names is not published.
        assert_eq!(m.sync_to_crm(SF, OnTheRoad, &["Available"]), None);
    }

    #[test]
    fn several_statuses_for_one_profile_do_not_flap() {
        let m = CrmPresenceMap::default();
        // "Online" and "Available" both stand for Available; Omni on "Online" is left there.
        assert_eq!(
            m.sync_from_crm(SF, &["Online"], Some(Lunch)),
            Some(Available)
        );
        assert_eq!(m.sync_to_crm(SF, Available, &["Online"]), None);
    }

    #[test]
    fn a_map_that_is_off_syncs_nothing() {
        let m = CrmPresenceMap {
            enabled: false,
            ..CrmPresenceMap::default()
        };
        assert_eq!(m.sync_from_crm(D, &["Busy"], Some(Available)), None);
        assert_eq!(m.sync_to_crm(D, InAMeeting, &["Available"]), None);
    }

    #[test]
    fn bad_maps_are_refused_with_a_reason() {
        let mut m = CrmPresenceMap::default();
        m.dynamics.push(rule("busy", Lunch));
        assert_eq!(m.check(), Err(CrmPresenceError::Duplicate("busy".into())));
        let mut m = CrmPresenceMap::default();
        m.salesforce.push(rule(" ", Lunch));
        assert!(matches!(m.check(), Err(CrmPresenceError::BadStatus(_))));
        let mut m = CrmPresenceMap::default();
        m.salesforce.push(rule("a\u{7}", Lunch));
        assert!(matches!(m.check(), Err(CrmPresenceError::BadStatus(_))));
        let mut m = CrmPresenceMap::default();
        m.salesforce.push(rule(&"x".repeat(81), Lunch));
        assert!(matches!(m.check(), Err(CrmPresenceError::BadStatus(_))));
        let m = CrmPresenceMap {
            salesforce: (0..65).map(|i| rule(&format!("s{i}"), Lunch)).collect(),
            ..CrmPresenceMap::default()
        };
        assert_eq!(m.check(), Err(CrmPresenceError::TooManyRules));
        let mut m = CrmPresenceMap::default();
        m.salesforce.push(rule("New", Unknown));
        assert_eq!(m.check(), Err(CrmPresenceError::UnknownProfile));
        let m = CrmPresenceMap {
            salesforce: vec![rule("  Busy ", Lunch)],
            ..CrmPresenceMap::default()
        }
        .trimmed();
        assert_eq!(m.salesforce[0].status, "Busy");
    }

    #[test]
    fn the_map_reads_and_writes_its_wire_form() {
        let m = CrmPresenceMap::default();
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["salesforce"][0]["status"], "Available");
        assert_eq!(json["dynamics"][2]["profile"], "on_holiday");
        let back: CrmPresenceMap = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }
}
