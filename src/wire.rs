//! Core's wire types ⇄ JSON, by hand: a reader from a [`Json`] value for every answer and event the
//! widget reads, and a JSON writer for every body it sends.
//!
//! These replace serde's derives in the module (its visitors, its buffering of tagged enums and a
//! deserializer over JavaScript values cost ~65 KB of wasm). They are exactly as strict as core's
//! derives: a missing required field, a wrong type or an unknown enum name is a [`Mismatch`];
//! unknown fields are skipped except where core says `deny_unknown_fields`; optional fields may be
//! missing or `null`. The writers write serde_json's bytes. The unit tests hold both to serde_json
//! over every wire type and every enum name; the browser tests run them over the browser's values.

use ucclient_core::api::{
    Call, CallContext, CallDirection, CallOutcome, CallState, CrmKind, CustomerRef, Device,
    DeviceKind, DirectoryEntry, ErrorBody, ErrorCode, Event, EventTicket, Forwarding, LoginRequest,
    LoginResponse, Me, Mode, PbxSync, PlaceCallRequest, Presence, PresenceUpdate, Profile,
    ProfileSettings, RingStep, Role, Routing, SetPresenceRequest, Snapshot, Timestamp, User,
};
use ucclient_core::api::{HexColour, PresenceColours};
use ucclient_core::{Colour, ProfileId, Status};

use crate::json::{self, Json};

/// The value does not have the shape of the type read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch;

/// What a reader returns.
pub type Read<T> = Result<T, Mismatch>;

/// A reader of one wire type.
pub type Reader<T> = fn(&Json) -> Read<T>;

// ---- Primitives -------------------------------------------------------------------------------

/// A string.
fn string(v: &Json) -> Read<String> {
    json::as_string(v).ok_or(Mismatch)
}

/// `true` or `false`.
fn boolean(v: &Json) -> Read<bool> {
    json::as_bool(v).ok_or(Mismatch)
}

/// A whole number `>= 0`.
fn unsigned(v: &Json) -> Read<u64> {
    json::as_u64(v).ok_or(Mismatch)
}

/// A whole number that fits a `u32`.
fn unsigned32(v: &Json) -> Read<u32> {
    u32::try_from(unsigned(v)?).map_err(|_| Mismatch)
}

/// An RFC 3339 timestamp.
fn timestamp(v: &Json) -> Read<Timestamp> {
    Timestamp::parse(&string(v)?).map_err(|_| Mismatch)
}

/// An array, each element read by `read`.
fn list<T>(v: &Json, read: Reader<T>) -> Read<Vec<T>> {
    json::items(v).ok_or(Mismatch)?.iter().map(read).collect()
}

/// The one `null` of an answer without content (`POST /logout`'s empty body reads as `null`).
pub fn unit(v: &Json) -> Read<()> {
    if json::is_null(v) {
        Ok(())
    } else {
        Err(Mismatch)
    }
}

/// An enum's wire name, one of `names`.
fn one_of<T: Copy>(v: &Json, names: &[(&str, T)]) -> Read<T> {
    let name = string(v)?;
    names
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or(Mismatch)
}

/// The wire name of `value` in `names` (every table below lists every variant; the tests check).
fn name_of<T: PartialEq>(value: T, names: &[(&'static str, T)]) -> &'static str {
    names
        .iter()
        .find(|(_, t)| *t == value)
        .map_or("", |(n, _)| n)
}

/// The fields of a JSON object.
struct Fields<'a>(&'a Json);

impl<'a> Fields<'a> {
    /// `v` when it is an object.
    fn of(v: &'a Json) -> Read<Fields<'a>> {
        if json::is_object(v) {
            Ok(Fields(v))
        } else {
            Err(Mismatch)
        }
    }

    /// `v` when it is an object with no field but `known` (core's `deny_unknown_fields`).
    fn only(v: &'a Json, known: &[&str]) -> Read<Fields<'a>> {
        let keys = json::keys(v).ok_or(Mismatch)?;
        if keys.iter().all(|k| known.contains(&k.as_str())) {
            Ok(Fields(v))
        } else {
            Err(Mismatch)
        }
    }

    /// A required field.
    fn req<T>(&self, name: &str, read: Reader<T>) -> Read<T> {
        read(&json::get(self.0, name).ok_or(Mismatch)?)
    }

    /// A field with `#[serde(default)]`: missing is the default, `null` is read like any value.
    fn def<T: Default>(&self, name: &str, read: Reader<T>) -> Read<T> {
        json::get(self.0, name).map_or(Ok(T::default()), |v| read(&v))
    }

    /// An optional field: missing or `null` is `None`.
    fn opt<T>(&self, name: &str, read: Reader<T>) -> Read<Option<T>> {
        match json::get(self.0, name) {
            Some(v) if !json::is_null(&v) => read(&v).map(Some),
            _ => Ok(None),
        }
    }
}

// ---- Enums ------------------------------------------------------------------------------------

const ERROR_CODES: [(&str, ErrorCode); 16] = [
    ("bad_request", ErrorCode::BadRequest),
    ("unauthenticated", ErrorCode::Unauthenticated),
    ("invalid_credentials", ErrorCode::InvalidCredentials),
    ("client_not_licensed", ErrorCode::ClientNotLicensed),
    ("forbidden", ErrorCode::Forbidden),
    ("not_found", ErrorCode::NotFound),
    ("unknown_profile", ErrorCode::UnknownProfile),
    ("invalid_number", ErrorCode::InvalidNumber),
    ("unknown_extension", ErrorCode::UnknownExtension),
    ("unknown_device", ErrorCode::UnknownDevice),
    ("call_not_ringing", ErrorCode::CallNotRinging),
    ("invalid_settings", ErrorCode::InvalidSettings),
    ("active_mode_required", ErrorCode::ActiveModeRequired),
    ("rate_limited", ErrorCode::RateLimited),
    ("unavailable", ErrorCode::Unavailable),
    ("internal", ErrorCode::Internal),
];
const STATUSES: [(&str, Status); 2] = [
    ("available", Status::Available),
    ("unavailable", Status::Unavailable),
];
const COLOURS: [(&str, Colour); 3] = [
    ("available", Colour::Available),
    ("away", Colour::Away),
    ("busy", Colour::Busy),
];
const PBX_SYNCS: [(&str, PbxSync); 4] = [
    ("not_applicable", PbxSync::NotApplicable),
    ("pending", PbxSync::Pending),
    ("applied", PbxSync::Applied),
    ("failed", PbxSync::Failed),
];
const ROLES: [(&str, Role); 3] = [
    ("user", Role::User),
    ("customer_admin", Role::CustomerAdmin),
    ("reseller_admin", Role::ResellerAdmin),
];
const CRM_KINDS: [(&str, CrmKind); 3] = [
    ("salesforce", CrmKind::Salesforce),
    ("dynamics", CrmKind::Dynamics),
    ("standalone", CrmKind::Standalone),
];
const DIRECTIONS: [(&str, CallDirection); 2] = [
    ("outbound", CallDirection::Outbound),
    ("inbound", CallDirection::Inbound),
];
const CALL_STATES: [(&str, CallState); 5] = [
    ("dialing", CallState::Dialing),
    ("ringing", CallState::Ringing),
    ("connected", CallState::Connected),
    ("ended", CallState::Ended),
    ("failed", CallState::Failed),
];

const OUTCOMES: [(&str, CallOutcome); 4] = [
    ("missed", CallOutcome::Missed),
    ("declined", CallOutcome::Declined),
    ("forwarded", CallOutcome::Forwarded),
    ("answered_elsewhere", CallOutcome::AnsweredElsewhere),
];

fn outcome(v: &Json) -> Read<CallOutcome> {
    one_of(v, &OUTCOMES)
}

fn error_code(v: &Json) -> Read<ErrorCode> {
    one_of(v, &ERROR_CODES)
}

fn status(v: &Json) -> Read<Status> {
    one_of(v, &STATUSES)
}

fn colour(v: &Json) -> Read<Colour> {
    one_of(v, &COLOURS)
}

fn pbx_sync(v: &Json) -> Read<PbxSync> {
    one_of(v, &PBX_SYNCS)
}

fn role(v: &Json) -> Read<Role> {
    one_of(v, &ROLES)
}

fn crm_kind(v: &Json) -> Read<CrmKind> {
    one_of(v, &CRM_KINDS)
}

fn direction(v: &Json) -> Read<CallDirection> {
    one_of(v, &DIRECTIONS)
}

fn call_state(v: &Json) -> Read<CallState> {
    one_of(v, &CALL_STATES)
}

fn profile_id(v: &Json) -> Read<ProfileId> {
    ProfileId::parse(&string(v)?).ok_or(Mismatch)
}

fn mode(v: &Json) -> Read<Mode> {
    Mode::parse(&string(v)?).ok_or(Mismatch)
}

fn device_kind(v: &Json) -> Read<DeviceKind> {
    DeviceKind::parse(&string(v)?).ok_or(Mismatch)
}

// ---- Answers ----------------------------------------------------------------------------------

/// Longest error sentence kept, in characters.
const MAX_ERROR_MESSAGE_CHARS: usize = 300;

/// Every 4xx/5xx body; the sentence is cut to 300 characters.
pub fn error_body(v: &Json) -> Read<ErrorBody> {
    let f = Fields::of(v)?;
    Ok(ErrorBody {
        error: f.req("error", error_code)?,
        message: f
            .req("message", string)?
            .chars()
            .take(MAX_ERROR_MESSAGE_CHARS)
            .collect(),
        reason: f.opt("reason", error_code)?,
    })
}

fn user(v: &Json) -> Read<User> {
    let f = Fields::of(v)?;
    Ok(User {
        id: f.req("id", string)?,
        name: f.req("name", string)?,
        email: f.req("email", string)?,
        extension: f.req("extension", string)?,
    })
}

fn customer(v: &Json) -> Read<CustomerRef> {
    let f = Fields::of(v)?;
    Ok(CustomerRef {
        id: f.req("id", string)?,
        name: f.req("name", string)?,
        country: f.def("country", string)?,
        log_internal_calls: f.def("log_internal_calls", boolean)?,
    })
}

fn device(v: &Json) -> Read<Device> {
    let f = Fields::of(v)?;
    Ok(Device {
        id: f.req("id", string)?,
        kind: f.req("kind", device_kind)?,
        label: f.req("label", string)?,
        number: f.req("number", string)?,
    })
}

/// A user's presence.
pub fn presence(v: &Json) -> Read<Presence> {
    let f = Fields::of(v)?;
    Ok(Presence {
        profile: f.req("profile", profile_id)?,
        status: f.req("status", status)?,
        colour: f.req("colour", colour)?,
        on_call: f.req("on_call", boolean)?,
        since: f.req("since", timestamp)?,
        pbx_sync: f.req("pbx_sync", pbx_sync)?,
        pbx_error: f.opt("pbx_error", string)?,
    })
}

/// `GET /me`.
pub fn me(v: &Json) -> Read<Me> {
    let f = Fields::of(v)?;
    Ok(Me {
        user: f.req("user", user)?,
        customer: f.req("customer", customer)?,
        permissions: f.req("permissions", |v| list(v, string))?,
        mode: f.req("mode", mode)?,
        extension_lists_enabled: f.req("extension_lists_enabled", boolean)?,
        presence: f.req("presence", presence)?,
        devices: f.req("devices", |v| list(v, device))?,
        // `#[serde(default)]`: missing is the default, `null` is not a role.
        role: match json::get(v, "role") {
            Some(r) => role(&r)?,
            None => Role::default(),
        },
        // `#[serde(default)]` too.
        colours: match json::get(v, "colours") {
            Some(c) => presence_colours(&c)?,
            None => PresenceColours::default(),
        },
    })
}

fn ring_step(v: &Json) -> Read<RingStep> {
    let f = Fields::only(v, &["devices", "after_seconds"])?;
    Ok(RingStep {
        devices: f.req("devices", |v| list(v, string))?,
        after_seconds: f.req("after_seconds", unsigned32)?,
    })
}

/// `{"ring": "all"}` or `{"ring": "selected", "steps": [...]}`. (As core's derive: an internally
/// tagged unit variant skips any other field, `deny_unknown_fields` notwithstanding.)
fn routing(v: &Json) -> Read<Routing> {
    match Fields::of(v)?.req("ring", string)?.as_str() {
        "all" => Ok(Routing::All),
        "selected" => Ok(Routing::Selected {
            steps: Fields::only(v, &["ring", "steps"])?.req("steps", |v| list(v, ring_step))?,
        }),
        _ => Err(Mismatch),
    }
}

fn forwarding(v: &Json) -> Read<Forwarding> {
    let f = Fields::only(v, &["enabled", "to"])?;
    Ok(Forwarding {
        enabled: f.req("enabled", boolean)?,
        to: f.opt("to", string)?,
    })
}

/// A profile's active-mode settings.
pub fn settings(v: &Json) -> Read<ProfileSettings> {
    let f = Fields::only(v, &["dnd", "forwarding", "routing"])?;
    Ok(ProfileSettings {
        dnd: f.req("dnd", boolean)?,
        forwarding: f.req("forwarding", forwarding)?,
        routing: f.req("routing", routing)?,
    })
}

/// A profile with the user's settings (also the `profile` event).
pub fn profile(v: &Json) -> Read<Profile> {
    let f = Fields::of(v)?;
    Ok(Profile {
        id: f.req("id", profile_id)?,
        name: f.req("name", string)?,
        status: f.req("status", status)?,
        colour: f.req("colour", colour)?,
        settings: f.req("settings", settings)?,
        customised: f.req("customised", boolean)?,
    })
}

/// `GET /profiles`.
pub fn profiles(v: &Json) -> Read<Vec<Profile>> {
    list(v, profile)
}

/// One row of `GET /directory`.
fn directory_entry(v: &Json) -> Read<DirectoryEntry> {
    let f = Fields::of(v)?;
    Ok(DirectoryEntry {
        user: f.req("user", user)?,
        presence: f.req("presence", presence)?,
    })
}

/// `GET /directory`.
pub fn directory(v: &Json) -> Read<Vec<DirectoryEntry>> {
    list(v, directory_entry)
}

/// `POST /events/ticket`.
pub fn event_ticket(v: &Json) -> Read<EventTicket> {
    let f = Fields::of(v)?;
    Ok(EventTicket {
        ticket: f.req("ticket", string)?,
        expires_in: f.req("expires_in", unsigned)?,
    })
}

/// `POST /login`.
pub fn login_response(v: &Json) -> Read<LoginResponse> {
    let f = Fields::of(v)?;
    Ok(LoginResponse {
        token: f.req("token", string)?,
        expires_at: f.req("expires_at", timestamp)?,
        user: f.req("user", user)?,
    })
}

fn call_context(v: &Json) -> Read<CallContext> {
    let f = Fields::of(v)?;
    Ok(CallContext {
        crm: f.req("crm", crm_kind)?,
        record_id: f.opt("record_id", string)?,
        object_type: f.opt("object_type", string)?,
    })
}

/// A call (also the `call` event).
pub fn call(v: &Json) -> Read<Call> {
    let f = Fields::of(v)?;
    Ok(Call {
        id: f.req("id", string)?,
        direction: f.req("direction", direction)?,
        from: f.req("from", string)?,
        to: f.req("to", string)?,
        state: f.req("state", call_state)?,
        started_at: f.req("started_at", timestamp)?,
        answered_at: f.opt("answered_at", timestamp)?,
        ended_at: f.opt("ended_at", timestamp)?,
        context: f.opt("context", call_context)?,
        internal: f.def("internal", boolean)?,
        outcome: f.opt("outcome", outcome)?,
        answered_on: f.opt("answered_on", string)?,
        forwarded_to: f.opt("forwarded_to", string)?,
    })
}

/// `GET /calls`.
pub fn calls(v: &Json) -> Read<Vec<Call>> {
    list(v, call)
}

fn presence_update(v: &Json) -> Read<PresenceUpdate> {
    let f = Fields::of(v)?;
    Ok(PresenceUpdate {
        user_id: f.req("user_id", string)?,
        presence: f.req("presence", presence)?,
    })
}

fn snapshot(v: &Json) -> Read<Snapshot> {
    let f = Fields::of(v)?;
    Ok(Snapshot {
        presence: f.req("presence", |v| list(v, presence_update))?,
        calls: f.req("calls", calls)?,
        colours: f.opt("colours", presence_colours)?,
    })
}

/// An event of the live stream from its SSE name and `data:` text (`None` for a name this client
/// does not know, or data that is not that event's JSON).
pub fn event(name: &str, data: &str) -> Option<Event> {
    let v = json::parse(data)?;
    let event = match name {
        "snapshot" => snapshot(&v).map(Event::Snapshot),
        "presence" => presence_update(&v).map(Event::Presence),
        "call" => call(&v).map(Event::Call),
        "profile" => profile(&v).map(Event::Profile),
        "colours" => presence_colours(&v).map(Event::Colours),
        _ => return None,
    };
    event.ok()
}

/// A `#rrggbb` colour (anything else is a mismatch, as for core's derive).
fn hex_colour(v: &Json) -> Read<HexColour> {
    HexColour::parse(&string(v)?).map_err(|_| Mismatch)
}

/// The reseller's presence colours (in `/me`, the `snapshot` and the `colours` event).
pub fn presence_colours(v: &Json) -> Read<PresenceColours> {
    let f = Fields::of(v)?;
    Ok(PresenceColours {
        available: f.req("available", hex_colour)?,
        away: f.req("away", hex_colour)?,
        busy: f.req("busy", hex_colour)?,
    })
}

// ---- Bodies -----------------------------------------------------------------------------------

/// A value the widget sends as JSON.
pub trait ToJson {
    /// Appends this value's JSON, as serde_json writes it.
    fn write(&self, out: &mut String);

    /// This value's JSON text.
    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

impl ToJson for &str {
    fn write(&self, out: &mut String) {
        json::write_str(out, self);
    }
}

impl ToJson for String {
    fn write(&self, out: &mut String) {
        json::write_str(out, self);
    }
}

impl ToJson for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToJson for u32 {
    fn write(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl ToJson for Timestamp {
    fn write(&self, out: &mut String) {
        json::write_str(out, &self.to_string());
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(v) => v.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write(out);
        }
        out.push(']');
    }
}

/// Writes an object from its fields, in order.
fn object(out: &mut String, fields: &[(&str, &dyn ToJson)]) {
    out.push('{');
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(out, name);
        out.push(':');
        value.write(out);
    }
    out.push('}');
}

impl ToJson for LoginRequest {
    fn write(&self, out: &mut String) {
        object(out, &[("email", &self.email), ("password", &self.password)]);
    }
}

impl ToJson for SetPresenceRequest {
    fn write(&self, out: &mut String) {
        object(out, &[("profile", &self.profile)]);
    }
}

impl ToJson for RingStep {
    fn write(&self, out: &mut String) {
        object(
            out,
            &[
                ("devices", &self.devices),
                ("after_seconds", &self.after_seconds),
            ],
        );
    }
}

impl ToJson for Routing {
    fn write(&self, out: &mut String) {
        match self {
            Routing::All => object(out, &[("ring", &"all")]),
            Routing::Selected { steps } => object(out, &[("ring", &"selected"), ("steps", steps)]),
        }
    }
}

impl ToJson for Forwarding {
    fn write(&self, out: &mut String) {
        object(out, &[("enabled", &self.enabled), ("to", &self.to)]);
    }
}

impl ToJson for ProfileSettings {
    fn write(&self, out: &mut String) {
        object(
            out,
            &[
                ("dnd", &self.dnd),
                ("forwarding", &self.forwarding),
                ("routing", &self.routing),
            ],
        );
    }
}

impl ToJson for CallContext {
    fn write(&self, out: &mut String) {
        object(
            out,
            &[
                ("crm", &name_of(self.crm, &CRM_KINDS)),
                ("record_id", &self.record_id),
                ("object_type", &self.object_type),
            ],
        );
    }
}

impl ToJson for PlaceCallRequest {
    fn write(&self, out: &mut String) {
        object(out, &[("to", &self.to), ("context", &self.context)]);
    }
}

/// A call as the standalone page's `ucclient:call-log` event carries it.
impl ToJson for Call {
    fn write(&self, out: &mut String) {
        object(
            out,
            &[
                ("id", &self.id),
                ("direction", &name_of(self.direction, &DIRECTIONS)),
                ("from", &self.from),
                ("to", &self.to),
                ("state", &name_of(self.state, &CALL_STATES)),
                ("started_at", &self.started_at),
                ("answered_at", &self.answered_at),
                ("ended_at", &self.ended_at),
                ("context", &self.context),
                ("internal", &self.internal),
                ("outcome", &self.outcome.map(|o| name_of(o, &OUTCOMES))),
                ("answered_on", &self.answered_on),
            ],
        );
        // `forwarded_to` is written only when set (`skip_serializing_if`): into the object.
        if let Some(to) = &self.forwarded_to {
            out.pop();
            out.push_str(",\"forwarded_to\":");
            to.write(out);
            out.push('}');
        }
    }
}

/// Native only: the readers are held to serde_json's values there.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
