//! Active-mode settings of a profile (SPEC §4): the seed's defaults, and the overrides a user makes,
//! validated before anything stores or applies them.

use serde::{Deserialize, Serialize};

use crate::phone::{self, PhoneError};
use crate::profile::ProfileId;

/// Most find-me/follow-me steps a user may define for one profile.
pub const MAX_STEPS: usize = 8;
/// Most devices in one step.
pub const MAX_DEVICES_PER_STEP: usize = 16;
/// Latest a step may start, in seconds from the start of the call.
pub const MAX_AFTER_SECONDS: u32 = 300;

/// What the PBX does for a user while a profile is current (`ProfileSettings` of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    /// Do Not Disturb.
    pub dnd: bool,
    /// Call forwarding of direct calls.
    pub forwarding: Forwarding,
    /// Personal routing (find-me/follow-me).
    pub routing: Routing,
}

/// Call forwarding: direct calls go to `to` instead of the user's devices while enabled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forwarding {
    /// Whether forwarding is on.
    pub enabled: bool,
    /// The E.164 number calls are forwarded to; kept while forwarding is off so it can be turned back on.
    /// Sent as typed (the shape of [`phone::NUMBER_PATTERN`], or blank for none), stored normalised.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 64,
            pattern = r"^( *| *(tel:)?[ ()./-]*\+?[0-9 ()./-]*[0-9][0-9 ()./-]*)$"
        )
    )]
    pub to: Option<String>,
}

/// Which of the user's devices ring, and when.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "ring", rename_all = "snake_case", deny_unknown_fields)]
pub enum Routing {
    /// Every device rings at once (the seed's "Ring all").
    #[default]
    All,
    /// The chosen devices ring in steps.
    Selected {
        /// Steps in order; each step's devices ring together (1 to [`MAX_STEPS`]).
        #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 8))]
        steps: Vec<RingStep>,
    },
}

/// One find-me/follow-me step.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingStep {
    /// Ids of the user's devices that ring in this step (1 to [`MAX_DEVICES_PER_STEP`], each once).
    // A set in the schema: `uniqueItems` (utoipa has no attribute for it).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = std::collections::BTreeSet<String>, min_items = 1, max_items = 16)
    )]
    pub devices: Vec<String>,
    /// Seconds from the start of the call when this step starts ringing (at most
    /// [`MAX_AFTER_SECONDS`], later than the step before).
    #[cfg_attr(feature = "openapi", schema(maximum = 300))]
    #[serde(deserialize_with = "whole_number")]
    pub after_seconds: u32,
}

/// Reads a `u32` written as a JSON integer or as a float with no fraction (`5.0`): the OpenAPI
/// document says `integer`, and JSON Schema's `integer` includes both.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::{Error, Unexpected, Visitor};
    struct Whole;
    impl Visitor<'_> for Whole {
        type Value = u32;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number from 0 to 4294967295")
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<u32, E> {
            if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) {
                Ok(v as u32)
            } else {
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(Whole)
}

/// The seed's active-mode defaults (SPEC §4): the Available-status profiles have DND off, the
/// Unavailable-status ones DND on; forwarding is off and routing is "Ring all" for every profile.
pub fn default_settings(profile: ProfileId) -> ProfileSettings {
    ProfileSettings {
        dnd: profile.default_dnd(),
        forwarding: Forwarding::default(),
        routing: Routing::All,
    }
}

/// Why an override was refused. The `Display` text is the sentence a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `ring: selected` with no step.
    #[error("selected routing needs at least one step")]
    NoSteps,
    /// More than [`MAX_STEPS`].
    #[error("at most {MAX_STEPS} routing steps are allowed")]
    TooManySteps,
    /// A step without devices, or with more than [`MAX_DEVICES_PER_STEP`].
    #[error("routing step {0} must name between 1 and {MAX_DEVICES_PER_STEP} devices")]
    BadStepSize(usize),
    /// A device that is not one of the user's own.
    #[error("device {0} is not one of your devices")]
    UnknownDevice(String),
    /// The same device in two places.
    #[error("device {0} appears more than once in the routing")]
    DuplicateDevice(String),
    /// A delay above [`MAX_AFTER_SECONDS`].
    #[error("a routing step may start at most {MAX_AFTER_SECONDS} seconds into the call")]
    DelayTooLong,
    /// Steps whose delays do not increase.
    #[error("each routing step must start later than the one before it")]
    DelaysOutOfOrder,
    /// Forwarding on without a number.
    #[error("forwarding needs a number to forward to")]
    ForwardingNumberMissing,
    /// A forwarding number that is not a valid phone number.
    #[error("the forwarding number is not valid: {0}")]
    InvalidForwardingNumber(PhoneError),
}

impl ProfileSettings {
    /// Checks an override against the user's own devices and returns it normalised (forwarding
    /// number in E.164). Only what passes here is ever stored or sent to a PBX.
    pub fn validated<S: AsRef<str>>(
        mut self,
        own_devices: &[S],
        default_country: &str,
    ) -> Result<ProfileSettings, SettingsError> {
        if let Routing::Selected { steps } = &self.routing {
            if steps.is_empty() {
                return Err(SettingsError::NoSteps);
            }
            if steps.len() > MAX_STEPS {
                return Err(SettingsError::TooManySteps);
            }
            let mut seen: Vec<&str> = Vec::new();
            let mut previous: Option<u32> = None;
            for (i, step) in steps.iter().enumerate() {
                if step.devices.is_empty() || step.devices.len() > MAX_DEVICES_PER_STEP {
                    return Err(SettingsError::BadStepSize(i + 1));
                }
                if step.after_seconds > MAX_AFTER_SECONDS {
                    return Err(SettingsError::DelayTooLong);
                }
                if previous.is_some_and(|p| step.after_seconds <= p) {
                    return Err(SettingsError::DelaysOutOfOrder);
                }
                previous = Some(step.after_seconds);
                for d in &step.devices {
                    if !own_devices.iter().any(|o| o.as_ref() == d) {
                        return Err(SettingsError::UnknownDevice(d.clone()));
                    }
                    if seen.contains(&d.as_str()) {
                        return Err(SettingsError::DuplicateDevice(d.clone()));
                    }
                    seen.push(d);
                }
            }
        }
        // Bounded before trimming, as the OpenAPI document's `maxLength` counts.
        if self
            .forwarding
            .to
            .as_ref()
            .is_some_and(|t| t.len() > phone::MAX_INPUT_LEN)
        {
            return Err(SettingsError::InvalidForwardingNumber(PhoneError::TooLong));
        }
        self.forwarding.to = match self.forwarding.to.as_deref().map(str::trim) {
            None | Some("") if self.forwarding.enabled => {
                return Err(SettingsError::ForwardingNumberMissing);
            }
            None | Some("") => None,
            Some(n) => Some(
                phone::normalise(n, default_country)
                    .map_err(SettingsError::InvalidForwardingNumber)?
                    .into_string(),
            ),
        };
        Ok(self)
    }

    /// Whether these settings customise device routing — what creates a user's extension list
    /// (SPEC §5). DND or forwarding alone do not.
    pub fn customises_routing(&self) -> bool {
        matches!(self.routing, Routing::Selected { .. })
    }

    /// These settings once the user's device `device_id` is gone (an operator removed it): it
    /// leaves every routing step, a step left without devices goes, and routing left without steps
    /// is "Ring all" (judgment call: the remaining devices keep ringing rather than none). What
    /// comes out still passes [`ProfileSettings::validated`] for the remaining devices.
    pub fn without_device(&self, device_id: &str) -> ProfileSettings {
        let mut out = self.clone();
        if let Routing::Selected { steps } = &mut out.routing {
            for step in steps.iter_mut() {
                step.devices.retain(|d| d != device_id);
            }
            steps.retain(|s| !s.devices.is_empty());
            if steps.is_empty() {
                out.routing = Routing::All;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICES: [&str; 3] = ["desk", "soft", "mobile"];

    fn selected(steps: &[(&[&str], u32)]) -> ProfileSettings {
        ProfileSettings {
            dnd: false,
            forwarding: Forwarding::default(),
            routing: Routing::Selected {
                steps: steps
                    .iter()
                    .map(|(d, a)| RingStep {
                        devices: d.iter().map(|s| s.to_string()).collect(),
                        after_seconds: *a,
                    })
                    .collect(),
            },
        }
    }

    /// SPEC §4's default table, as data: the profiles with DND on.
    const DND_ON: [ProfileId; 6] = [
        ProfileId::Away,
        ProfileId::ComfortBreak,
        ProfileId::InAMeeting,
        ProfileId::Lunch,
        ProfileId::OnHoliday,
        ProfileId::OutOfOffice,
    ];

    #[test]
    fn defaults_are_the_seeds_table() {
        for p in ProfileId::ALL {
            let s = default_settings(p);
            assert_eq!(s.dnd, DND_ON.contains(&p), "{p}");
            assert_eq!(
                s.forwarding,
                Forwarding {
                    enabled: false,
                    to: None
                }
            );
            assert_eq!(s.routing, Routing::All);
            assert!(!s.customises_routing());
        }
    }

    #[test]
    fn the_wire_shape_is_api_md() {
        let s = selected(&[(&["desk", "soft"], 0), (&["mobile"], 15)]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
              "routing": {"ring": "selected", "steps": [{"devices": ["desk","soft"], "after_seconds": 0},
                                                         {"devices": ["mobile"], "after_seconds": 15}]}})
        );
        let all: ProfileSettings = serde_json::from_value(serde_json::json!(
            {"dnd": true, "forwarding": {"enabled": true, "to": "+351912345678"}, "routing": {"ring": "all"}}))
        .unwrap();
        assert_eq!(all.routing, Routing::All);
        assert!(serde_json::from_value::<ProfileSettings>(serde_json::json!(
            {"dnd": true, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "some"}})).is_err());
        // Delays are whole numbers, written as JSON Schema's `integer` allows.
        let step = |after: serde_json::Value| {
            serde_json::from_value::<RingStep>(
                serde_json::json!({"devices": ["desk"], "after_seconds": after}),
            )
            .map(|s| s.after_seconds)
            .ok()
        };
        assert_eq!(step(serde_json::json!(15)), Some(15));
        assert_eq!(step(serde_json::json!(15.0)), Some(15));
        assert_eq!(step(serde_json::json!(4_294_967_295u64)), Some(u32::MAX));
        for refused in [
            serde_json::json!(1.5),
            serde_json::json!(-1),
            serde_json::json!(-1.0),
            serde_json::json!(4_294_967_296u64),
            serde_json::json!(4_294_967_296.0),
            serde_json::json!("15"),
            serde_json::json!(null),
        ] {
            assert_eq!(step(refused.clone()), None, "{refused}");
        }
    }

    #[test]
    fn valid_overrides_pass_and_are_normalised() {
        let s = selected(&[(&["desk", "soft"], 0), (&["mobile"], 15)]);
        assert_eq!(s.clone().validated(&DEVICES, "PT"), Ok(s));
        let mut f = default_settings(ProfileId::Lunch);
        f.forwarding = Forwarding {
            enabled: true,
            to: Some("912 345 678".into()),
        };
        let v = f.validated(&DEVICES, "PT").unwrap();
        assert_eq!(v.forwarding.to.as_deref(), Some("+351912345678"));
    }

    #[test]
    fn invalid_overrides_are_refused_with_the_reason() {
        use SettingsError as E;
        let cases: Vec<(ProfileSettings, E)> = vec![
            (selected(&[]), E::NoSteps),
            (selected(&[(&[], 0)]), E::BadStepSize(1)),
            (
                selected(&[(&["desk"], 0), (&["someone-elses"], 5)]),
                E::UnknownDevice("someone-elses".into()),
            ),
            (
                selected(&[(&["desk"], 0), (&["desk"], 5)]),
                E::DuplicateDevice("desk".into()),
            ),
            (selected(&[(&["desk"], 301)]), E::DelayTooLong),
            (
                selected(&[(&["desk"], 10), (&["soft"], 10)]),
                E::DelaysOutOfOrder,
            ),
            (selected(&[(&["desk"][..], 0u32); 9]), E::TooManySteps),
        ];
        for (s, e) in cases {
            assert_eq!(s.validated(&DEVICES, "PT"), Err(e));
        }
        let mut f = default_settings(ProfileId::Available);
        f.forwarding.enabled = true;
        assert_eq!(
            f.clone().validated(&DEVICES, "PT"),
            Err(E::ForwardingNumberMissing)
        );
        f.forwarding.to = Some("12".into());
        assert!(matches!(
            f.clone().validated(&DEVICES, "PT"),
            Err(E::InvalidForwardingNumber(_))
        ));
        // Blank is no number when forwarding is off, but only up to the documented length.
        f.forwarding.enabled = false;
        f.forwarding.to = Some(" ".repeat(phone::MAX_INPUT_LEN));
        assert_eq!(
            f.clone().validated(&DEVICES, "PT").unwrap().forwarding.to,
            None
        );
        f.forwarding.to = Some(" ".repeat(phone::MAX_INPUT_LEN + 1));
        assert_eq!(
            f.validated(&DEVICES, "PT"),
            Err(E::InvalidForwardingNumber(PhoneError::TooLong))
        );
    }

    #[test]
    fn a_removed_device_leaves_the_routing() {
        let s = selected(&[(&["desk", "soft"], 0), (&["mobile"], 15)]);
        let no_soft = s.without_device("soft");
        assert_eq!(no_soft, selected(&[(&["desk"], 0), (&["mobile"], 15)]));
        assert!(no_soft.clone().validated(&["desk", "mobile"], "PT").is_ok());
        let no_mobile = s.without_device("mobile");
        assert_eq!(no_mobile, selected(&[(&["desk", "soft"], 0)]));
        // The last device of the routing gone: every remaining device rings.
        let only = selected(&[(&["mobile"], 0)]).without_device("mobile");
        assert_eq!(only.routing, Routing::All);
        assert_eq!(s.without_device("unknown"), s, "another device: unchanged");
    }
}
