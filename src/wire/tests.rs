//! The hand-written readers and writers held to serde_json and core's derives: every enum name
//! serde knows, every wire type round-tripped, and every answer mutated field by field (missing,
//! `null`, wrong type, unknown field) to check the readers accept exactly what serde accepts.

use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::{Value, json};
use ucclient_core::api::*;
use ucclient_core::settings::default_settings;
use ucclient_core::{Colour, ProfileId, Status};

use super::*;

// ---- Enum names -------------------------------------------------------------------------------

/// The variant names core's derive gives `T`, as serde hands them to a deserializer.
fn serde_variants<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(VariantNames) {
        Err(Captured(names)) => names,
        Ok(_) => panic!("not an enum"),
    }
}

/// A deserializer that only records the variant names of the enum asked for.
struct VariantNames;

#[derive(Debug)]
struct Captured(&'static [&'static str]);

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Captured(&[])
    }
}

impl<'de> de::Deserializer<'de> for VariantNames {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
        Err(Captured(&[]))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Captured> {
        Err(Captured(variants))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// Every name serde knows for `T` is read to the variant serde reads, and nothing else is.
fn reads_every_name<T>(read: Reader<T>)
where
    T: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let names = serde_variants::<T>();
    assert!(!names.is_empty(), "{}", std::any::type_name::<T>());
    for name in names {
        let expected: T = serde_json::from_value(json!(name)).unwrap();
        assert_eq!(read(&json!(name)), Ok(expected), "{name}");
    }
    for odd in [
        json!("nope"),
        json!(names[0].to_uppercase()),
        json!(1),
        json!(null),
    ] {
        assert_eq!(read(&odd), Err(Mismatch), "{odd}");
    }
}

/// A table lists exactly serde's names, in order, and writes each as serde_json does.
fn table_is_complete<T>(table: &[(&'static str, T)])
where
    T: DeserializeOwned + serde::Serialize + Copy + PartialEq + std::fmt::Debug,
{
    let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, serde_variants::<T>());
    for (name, value) in table {
        assert_eq!(json!(name), serde_json::to_value(value).unwrap());
        assert_eq!(name_of(*value, table), *name);
    }
}

#[test]
fn every_enum_name_serde_knows_is_read_and_written_alike() {
    table_is_complete(&ERROR_CODES);
    table_is_complete(&STATUSES);
    table_is_complete(&COLOURS);
    table_is_complete(&PBX_SYNCS);
    table_is_complete(&ROLES);
    table_is_complete(&CRM_KINDS);
    table_is_complete(&DIRECTIONS);
    table_is_complete(&CALL_STATES);
    table_is_complete(&OUTCOMES);
    reads_every_name(error_code);
    reads_every_name(status);
    reads_every_name(colour);
    reads_every_name(pbx_sync);
    reads_every_name(role);
    reads_every_name(crm_kind);
    reads_every_name(direction);
    reads_every_name(call_state);
    reads_every_name(outcome);
    reads_every_name(profile_id);
    reads_every_name(mode);
    reads_every_name(device_kind);
}

// ---- Samples ----------------------------------------------------------------------------------

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix(1_700_000_000 + s, 0).unwrap()
}

fn a_user(id: &str) -> User {
    User {
        id: id.into(),
        name: format!("Name \"{id}\" — Olá"),
        email: format!("{id}@acme.example"),
        extension: "201".into(),
    }
}

fn a_presence(profile: ProfileId, pbx_sync: PbxSync, pbx_error: Option<&str>) -> Presence {
    Presence {
        profile,
        status: profile.status(),
        colour: Colour::Away,
        on_call: true,
        since: Timestamp::from_unix(1_700_000_000, 500_000_000).unwrap(),
        pbx_sync,
        pbx_error: pbx_error.map(str::to_owned),
    }
}

fn a_me(role: Role, mode: Mode) -> Me {
    Me {
        user: a_user("ana"),
        customer: CustomerRef {
            id: "acme".into(),
            name: "Acme\n".into(),
            country: "PT".into(),
            log_internal_calls: role == Role::User,
        },
        permissions: vec!["crm_client".into(), "other".into()],
        mode,
        extension_lists_enabled: true,
        presence: a_presence(ProfileId::InAMeeting, PbxSync::Failed, Some("refused")),
        devices: vec![
            Device {
                id: "d1".into(),
                kind: DeviceKind::Desk,
                label: "Desk phone".into(),
                number: "201".into(),
            },
            Device {
                id: "d2".into(),
                kind: DeviceKind::Mobile,
                label: "Mobile".into(),
                number: "+351912345678".into(),
            },
        ],
        role,
        colours: PresenceColours {
            available: HexColour::parse("#00aa00").unwrap(),
            ..PresenceColours::default()
        },
    }
}

fn selected() -> ProfileSettings {
    ProfileSettings {
        dnd: true,
        forwarding: Forwarding {
            enabled: true,
            to: Some("+351912345678".into()),
        },
        routing: Routing::Selected {
            steps: vec![
                RingStep {
                    devices: vec!["d1".into(), "d2".into()],
                    after_seconds: 0,
                },
                RingStep {
                    devices: vec!["d3".into()],
                    after_seconds: 15,
                },
            ],
        },
    }
}

fn a_profile(settings: ProfileSettings) -> Profile {
    Profile {
        id: ProfileId::Lunch,
        name: "Almoço".into(),
        status: Status::Unavailable,
        colour: Colour::Away,
        settings,
        customised: true,
    }
}

fn a_call(context: Option<CallContext>) -> Call {
    Call {
        id: "c1".into(),
        direction: CallDirection::Inbound,
        from: "+351912345678".into(),
        to: "201".into(),
        state: CallState::Ended,
        started_at: t(0),
        answered_at: Some(t(3)),
        ended_at: Some(Timestamp::from_unix(1_700_000_070, 123_000_000).unwrap()),
        context,
        internal: false,
        outcome: None,
        answered_on: Some("d1".into()),
        forwarded_to: None,
    }
}

fn forwarded() -> Call {
    Call {
        answered_at: None,
        answered_on: None,
        outcome: Some(CallOutcome::Forwarded),
        forwarded_to: Some("+351912345678".into()),
        ..a_call(None)
    }
}

fn ringing() -> Call {
    Call {
        answered_at: None,
        ended_at: None,
        state: CallState::Ringing,
        direction: CallDirection::Outbound,
        internal: true,
        answered_on: None,
        ..a_call(None)
    }
}

fn context(record_id: Option<&str>) -> CallContext {
    CallContext {
        crm: CrmKind::Dynamics,
        record_id: record_id.map(str::to_owned),
        object_type: Some("contact".into()),
    }
}

// ---- Readers ----------------------------------------------------------------------------------

/// `value` as serde_json writes it reads back to `value`; then, for every object in it, each field
/// missing, `null`, or of another type, and an unknown field added, and every array element
/// replaced: the reader accepts exactly when core's derive does, and reads the same value.
fn reads_as_serde<T>(read: Reader<T>, value: &T)
where
    T: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let v = serde_json::to_value(value).unwrap();
    assert_eq!(read(&v).as_ref(), Ok(value));
    let mut variants = Vec::new();
    mutations(&v, &mut |m| variants.push(m), &|m| m);
    assert!(variants.len() > 5);
    for m in variants {
        let ours = read(&m).ok();
        let serde = serde_json::from_value::<T>(m.clone()).ok();
        assert_eq!(ours, serde, "{m}");
    }
    for odd in [json!(null), json!([]), json!("x"), json!(1), json!({})] {
        assert_eq!(read(&odd).ok(), serde_json::from_value::<T>(odd).ok());
    }
}

/// Values a field or element is replaced by.
fn replacements() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(5),
        json!(-1),
        json!(1.5),
        json!(4_294_967_296u64),
        json!("x"),
        json!("2023-11-14T22:13:20Z"),
        json!("available"),
        json!([]),
        json!(["x"]),
        json!({}),
    ]
}

/// Every one-step mutation of `v`, each given whole (rebuilt by `wrap`) to `out`.
fn mutations(v: &Value, out: &mut dyn FnMut(Value), wrap: &dyn Fn(Value) -> Value) {
    match v {
        Value::Object(map) => {
            let mut extra = map.clone();
            extra.insert("later_field".into(), json!([1, {"a": null}]));
            out(wrap(Value::Object(extra)));
            for (key, field) in map {
                let mut missing = map.clone();
                missing.remove(key);
                out(wrap(Value::Object(missing)));
                let with = |f: Value| {
                    let mut m = map.clone();
                    m.insert(key.clone(), f);
                    wrap(Value::Object(m))
                };
                for r in replacements() {
                    out(with(r));
                }
                mutations(field, out, &with);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let with = |e: Value| {
                    let mut a = items.clone();
                    a[i] = e;
                    wrap(Value::Array(a))
                };
                for r in replacements() {
                    out(with(r));
                }
                mutations(item, out, &with);
            }
        }
        _ => {}
    }
}

#[test]
fn answers_read_exactly_what_the_derives_read() {
    for code in ERROR_CODES.map(|(_, c)| c) {
        reads_as_serde(
            error_body,
            &ErrorBody {
                error: code,
                message: "A sentence".into(),
                reason: None,
            },
        );
    }
    reads_as_serde(
        error_body,
        &ErrorBody {
            error: ErrorCode::InvalidNumber,
            message: "A sentence".into(),
            reason: Some(ErrorCode::UnknownExtension),
        },
    );
    reads_as_serde(me, &a_me(Role::User, Mode::Passive));
    reads_as_serde(me, &a_me(Role::ResellerAdmin, Mode::Active));
    reads_as_serde(
        presence,
        &a_presence(ProfileId::Away, PbxSync::Pending, None),
    );
    reads_as_serde(settings, &selected());
    reads_as_serde(settings, &default_settings(ProfileId::Available));
    reads_as_serde(
        profiles,
        &vec![
            a_profile(selected()),
            a_profile(default_settings(ProfileId::Lunch)),
        ],
    );
    reads_as_serde(
        directory,
        &vec![DirectoryEntry {
            user: a_user("rui"),
            presence: a_presence(ProfileId::WorkingFromHome, PbxSync::NotApplicable, None),
        }],
    );
    reads_as_serde(
        event_ticket,
        &EventTicket {
            ticket: "t-1".into(),
            expires_in: 60,
        },
    );
    reads_as_serde(
        login_response,
        &LoginResponse {
            token: "tok".into(),
            expires_at: t(3600),
            user: a_user("ana"),
        },
    );
    reads_as_serde(calls, &vec![a_call(Some(context(Some("003A")))), ringing()]);
    reads_as_serde(call, &a_call(Some(context(None))));
    reads_as_serde(call, &forwarded());
    for outcome in OUTCOMES.map(|(_, o)| o) {
        reads_as_serde(
            call,
            &Call {
                outcome: Some(outcome),
                ..ringing()
            },
        );
    }
    assert_eq!(unit(&json!(null)), Ok(()));
    for odd in [json!({}), json!([]), json!(0), json!("")] {
        assert_eq!(unit(&odd), Err(Mismatch));
    }
}

#[test]
fn the_derives_defaults_and_bounds_hold() {
    // `role` may be missing (the default), never `null`; `pbx_error` may be either.
    let mut v = serde_json::to_value(a_me(Role::CustomerAdmin, Mode::Active)).unwrap();
    v.as_object_mut().unwrap().remove("role");
    assert_eq!(me(&v).unwrap().role, Role::User);
    v["role"] = json!(null);
    assert_eq!(me(&v), Err(Mismatch));
    // `colours` likewise: missing is the default colours; `null` or a colour that is not
    // `#rrggbb` (which would reach a style attribute) is refused.
    v["role"] = json!("user");
    v.as_object_mut().unwrap().remove("colours");
    assert_eq!(me(&v).unwrap().colours, PresenceColours::default());
    for bad in [
        json!(null),
        json!({"available": "#fff", "away": "#ffffff", "busy": "#ffffff"}),
        json!({"available": "#ffffff;x:y", "away": "#ffffff", "busy": "#ffffff"}),
    ] {
        v["colours"] = bad;
        assert_eq!(me(&v), Err(Mismatch));
    }
    // `selected` needs steps and nothing else; `all` skips whatever else comes (as serde does).
    let ring = |r: Value| routing(&r);
    assert_eq!(ring(json!({"ring": "all", "steps": [1]})), Ok(Routing::All));
    assert_eq!(
        ring(json!({"ring": "selected", "steps": [], "x": 1})),
        Err(Mismatch)
    );
    assert_eq!(ring(json!({"ring": "selected"})), Err(Mismatch));
    assert_eq!(ring(json!({"ring": "some"})), Err(Mismatch));
    assert_eq!(ring(json!({"steps": []})), Err(Mismatch));
    // phone's fields with `#[serde(default)]`: missing is the default, `null` is refused for the
    // non-optional ones (as serde does).
    let mut v = serde_json::to_value(a_call(None)).unwrap();
    for field in ["internal", "outcome", "answered_on"] {
        v.as_object_mut().unwrap().remove(field);
    }
    let read = call(&v).unwrap();
    assert_eq!(
        (read.internal, read.outcome, read.answered_on),
        (false, None, None)
    );
    v["internal"] = json!(null);
    assert_eq!(call(&v), Err(Mismatch));
    let mut v = serde_json::to_value(a_me(Role::User, Mode::Active)).unwrap();
    v["customer"] = json!({"id": "acme", "name": "Acme"});
    let read = me(&v).unwrap().customer;
    assert_eq!(
        (read.country.as_str(), read.log_internal_calls),
        ("", false)
    );
    v["customer"]["country"] = json!(null);
    assert_eq!(me(&v), Err(Mismatch));
    // Error sentences are cut to 300 characters.
    let long = json!({"error": "internal", "message": "é".repeat(400)});
    assert_eq!(error_body(&long).unwrap().message.chars().count(), 300);
    // Counts beyond JavaScript's safe integers are not read.
    let ticket = |n: Value| event_ticket(&json!({"ticket": "t", "expires_in": n}));
    assert!(ticket(json!(9_007_199_254_740_991u64)).is_ok());
    assert_eq!(ticket(json!(9_007_199_254_740_992u64)), Err(Mismatch));
}

#[test]
fn events_are_read_by_name() {
    let answered = a_call(Some(context(Some("003A"))));
    let events = [
        Event::Snapshot(Snapshot {
            presence: vec![PresenceUpdate {
                user_id: "ana".into(),
                presence: a_presence(ProfileId::OnTheRoad, PbxSync::Applied, None),
            }],
            calls: vec![answered.clone(), ringing()],
            colours: Some(PresenceColours::default()),
        }),
        Event::Snapshot(Snapshot {
            presence: vec![],
            calls: vec![forwarded()],
            colours: None,
        }),
        Event::Colours(PresenceColours {
            busy: HexColour::parse("#800080").unwrap(),
            ..PresenceColours::default()
        }),
        Event::Presence(PresenceUpdate {
            user_id: "rui".into(),
            presence: a_presence(ProfileId::OutOfOffice, PbxSync::Failed, Some("no")),
        }),
        Event::Call(answered),
        Event::Profile(a_profile(selected())),
    ];
    for e in events {
        assert_eq!(event(e.name(), &e.data_json()), Some(e.clone()));
        assert_eq!(event("later_event", &e.data_json()), None);
        assert_eq!(event(e.name(), "{}"), None);
        assert_eq!(event(e.name(), "not json"), None);
    }
}

// ---- Writers ----------------------------------------------------------------------------------

/// `value`'s JSON is serde_json's, byte for byte.
fn writes_as_serde<T: ToJson + serde::Serialize>(value: &T) {
    assert_eq!(value.to_json(), serde_json::to_string(value).unwrap());
}

#[test]
fn bodies_are_written_as_serde_json_writes_them() {
    writes_as_serde(&LoginRequest {
        email: "ana@acme.example".into(),
        password: "p\"\\\u{1}é".into(),
    });
    writes_as_serde(&SetPresenceRequest {
        profile: "in_a_meeting".into(),
    });
    writes_as_serde(&selected());
    for p in ProfileId::ALL {
        writes_as_serde(&default_settings(p));
    }
    writes_as_serde(&PlaceCallRequest {
        to: "+351 912 345 678".into(),
        context: None,
    });
    for crm in CRM_KINDS.map(|(_, c)| c) {
        writes_as_serde(&PlaceCallRequest {
            to: "201".into(),
            context: Some(CallContext {
                crm,
                ..context(Some("003A"))
            }),
        });
    }
    writes_as_serde(&a_call(Some(context(None))));
    writes_as_serde(&forwarded());
    for state in CALL_STATES.map(|(_, s)| s) {
        writes_as_serde(&Call { state, ..ringing() });
    }
    for outcome in OUTCOMES.map(|(_, o)| o) {
        writes_as_serde(&Call {
            outcome: Some(outcome),
            ..ringing()
        });
    }
}

#[test]
fn the_badge_colour_names_are_the_wire_names() {
    for (name, c) in COLOURS {
        assert_eq!(crate::components::badge::colour_name(c), name);
    }
}
