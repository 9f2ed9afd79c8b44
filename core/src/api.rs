//! The wire types of the backend's HTTP API, version 1 (`API.md`). The backend serialises these and
//! the widget deserialises them, so the two cannot disagree.

use serde::{Deserialize, Serialize};

pub use crate::pbx::{ExtensionList, FindMeFollowMe, Mode, PbxUserState};
use crate::profile::{Colour, ProfileId, Status};
pub use crate::profile::{HexColour, PresenceColours};
pub use crate::ring::{GroupMember, RingTargets};
pub use crate::settings::{Forwarding, ProfileSettings, RingStep, Routing};
pub use crate::time::Timestamp;

/// The path prefix of version 1.
pub const API_PREFIX: &str = "/api/v1";

/// Longest CRM record id or object type of a call's context, in characters.
pub const MAX_CONTEXT_LEN: usize = 256;

/// Every 4xx/5xx body: a stable code and a sentence for a person.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub error: ErrorCode,
    /// A sentence for a person; never anything internal.
    pub message: String,
    /// A more specific code within `error`, for clients that know it (`unknown_extension` within
    /// `invalid_number`); absent otherwise (an extension of API.md, whose codes stay as they are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorCode>,
}

/// The stable error codes of API.md.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed JSON, wrong types, body too large (400/413).
    BadRequest,
    /// No valid token (401).
    Unauthenticated,
    /// Wrong email or password (401).
    InvalidCredentials,
    /// No `crm_client` permission (403).
    ClientNotLicensed,
    /// Not allowed for this user (403).
    Forbidden,
    /// Nothing there, or not visible to this user (404).
    NotFound,
    /// Unknown profile id (422).
    UnknownProfile,
    /// A number that cannot be normalised (422).
    InvalidNumber,
    /// A dialled extension that nobody of the customer has: the `reason` of a 422
    /// `invalid_number` (an extension of API.md).
    UnknownExtension,
    /// A device that is not one of the user's (422; an extension of API.md).
    UnknownDevice,
    /// Answer or decline of a call that is not ringing for the user (409; an extension of API.md).
    CallNotRinging,
    /// Hold of a call that is not connected or is on hold already, or transfer of a call that is
    /// not connected (409; an extension of API.md).
    CallNotConnected,
    /// Resume of a call that is not on hold (409; an extension of API.md).
    CallNotHeld,
    /// A transfer to the user's own extension, or to the party they are talking to: the `reason`
    /// of a 422 `invalid_number` (an extension of API.md).
    TransferToSelf,
    /// Settings that cannot be applied (422; an extension of API.md).
    InvalidSettings,
    /// The operation needs active mode (409).
    ActiveModeRequired,
    /// Too many requests (429, with `Retry-After`).
    RateLimited,
    /// Too many live connections (503; an extension of API.md).
    Unavailable,
    /// Signing in from a CRM org registered to another customer (403; an extension of API.md).
    OrgNotAllowed,
    /// A CRM org to register that is not a valid My Domain name, org id or Dynamics 365 org URL
    /// (422; an extension of API.md).
    InvalidOrg,
    /// The CRM org is already registered, to this customer or another (409; an extension of API.md).
    OrgTaken,
    /// The customer has registered as many CRM orgs as allowed (409; an extension of API.md).
    TooManyOrgs,
    /// Audio that is not a short PCM WAV within the bounds (422; an extension of API.md).
    InvalidAudio,
    /// A wrap-up of a call that is not over yet (409; an extension of API.md).
    CallNotEnded,
    /// A wrap-up or CRM record that cannot be stored (422; an extension of API.md); its `reason`
    /// says why: `unknown_disposition`, `notes_too_long`, `invalid_notes` or `invalid_crm_record`.
    InvalidWrapUp,
    /// A disposition that is not one of the customer's: the `reason` of a 422 `invalid_wrap_up`.
    UnknownDisposition,
    /// Notes over [`crate::wrapup::MAX_NOTES_CHARS`]: the `reason` of a 422 `invalid_wrap_up`.
    NotesTooLong,
    /// Notes with control characters: the `reason` of a 422 `invalid_wrap_up`.
    InvalidNotes,
    /// A CRM record that is not a Salesforce or Dynamics id: the `reason` of a 422
    /// `invalid_wrap_up`.
    InvalidCrmRecord,
    /// A consultation asked for while the call already has one, or from a consultation leg
    /// (409; an extension of API.md).
    AlreadyConsulting,
    /// Completing or cancelling a consultation the call does not have, or completing one whose
    /// target has not answered yet (409; an extension of API.md).
    NotConsulting,
    /// The email is another user's already (409; admin API).
    EmailTaken,
    /// The extension is another user's or hunt group's of the customer already (409; admin API).
    ExtensionTaken,
    /// A user to create or change that is not valid: name, email, extension, role or password
    /// (422; admin API).
    InvalidUser,
    /// An administrator deactivating or demoting themselves (409; admin API).
    OwnAccount,
    /// A password set while the customer has password sign-in switched off (409; admin API).
    PasswordsOff,
    /// A device to add that is not valid, or one too many (422; admin API).
    InvalidDevice,
    /// A hunt group that is not valid: name, extension or members (422; admin API).
    InvalidGroup,
    /// A customer to create that is not valid: name or country (422; admin API).
    InvalidCustomer,
    // --- sso: single sign-on (issue 15) ---
    /// Password sign-in is switched off for the user's company: sign in with the company's
    /// identity provider (403; an extension of API.md).
    PasswordLoginOff,
    /// The company has no single sign-on switched on (404; an extension of API.md).
    SsoNotConfigured,
    /// Single sign-on settings that cannot be stored (422; an extension of API.md).
    InvalidSso,
    /// A single sign-on attempt that is unknown, used already or expired (400).
    SsoState,
    /// The identity provider could not be reached, or refused the code (502).
    SsoProvider,
    /// The identity provider's ID token failed a check: signature, issuer, audience, expiry or
    /// nonce (401).
    SsoToken,
    /// The identity provider's user has no UcClient account in the company (403).
    SsoUnknownUser,
    /// The identity provider's user is of an email domain the company does not allow (403).
    SsoDomain,
    /// The user cancelled, or the identity provider refused them (401).
    SsoDenied,
    /// A single sign-on started from a page the company did not register (403).
    SsoOrigin,
    // --- presence-server: the customer's CRM presence map (issue 14) ---
    /// A CRM presence map that cannot be stored: too many rules, a bad or repeated status name, an
    /// unknown profile (422; admin API).
    InvalidCrmPresence,
    // --- idempotency: the `Idempotency-Key` header of writes (issue 16) ---
    /// An `Idempotency-Key` header that is not 1-255 visible ASCII characters, or given twice
    /// (400; an extension of API.md).
    InvalidIdempotencyKey,
    /// An `Idempotency-Key` used before by the same session for a different request: another
    /// method, path, query or body (422; an extension of API.md).
    IdempotencyKeyReused,
    /// An `Idempotency-Key` whose first request is still being processed (409; an extension of
    /// API.md): retry a little later to get its answer.
    IdempotencyKeyInFlight,
    // --- the softphone (issue 17) ---
    /// The panel's softphone registration is not the user's current one: another tab or CRM took
    /// it over, or it expired (409; an extension of API.md).
    SoftphoneNotRegistered,
    /// A media offer that is not an SDP audio offer the media endpoint can answer, or longer than
    /// [`MAX_SDP_LEN`] (422; an extension of API.md).
    InvalidSdp,
    /// The call is over: it can no longer carry media (409; an extension of API.md).
    CallEnded,
    /// Something failed inside; nothing more is said (500).
    Internal,
    /// A code this build does not know (a newer backend's), as a client reads it: the widget shows a
    /// general sentence and the body's message. Never written, and not part of the API's schema.
    #[serde(other, skip_serializing)]
    Other,
}

/// A user as others see them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Internal extension.
    pub extension: String,
}

/// Whether the PBX holds what the user's profile asks of it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PbxSync {
    /// Passive mode: nothing to apply.
    #[default]
    NotApplicable,
    /// Stored, not yet confirmed by the PBX (being retried).
    Pending,
    /// The PBX holds the desired state.
    Applied,
    /// The PBX refused it after every retry.
    Failed,
}

/// A user's presence as everyone sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The current profile.
    pub profile: ProfileId,
    /// The profile's status.
    pub status: Status,
    /// The colour shown, busy overlay included.
    pub colour: Colour,
    /// Whether the user is on a call now.
    pub on_call: bool,
    /// When the profile was chosen.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub since: Timestamp,
    /// Whether the PBX has applied the profile's settings.
    pub pbx_sync: PbxSync,
    /// Why the PBX is pending or failed, when it is (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pbx_error: Option<String>,
}

/// A profile with this user's effective settings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable id.
    pub id: ProfileId,
    /// Name in the requested language.
    pub name: String,
    /// Status.
    pub status: Status,
    /// Colour (without the busy overlay).
    pub colour: Colour,
    /// The settings that apply in active mode.
    pub settings: ProfileSettings,
    /// Whether the user overrode the defaults.
    pub customised: bool,
}

/// The kind of a device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A desk phone.
    Desk,
    /// A softphone on a computer.
    Softphone,
    /// A mobile phone.
    Mobile,
    /// A kind this build does not know (a newer backend's), as a client reads it; never parsed from
    /// a request nor written.
    #[serde(other, skip_serializing)]
    Other,
}

impl DeviceKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Desk => "desk",
            DeviceKind::Softphone => "softphone",
            DeviceKind::Mobile => "mobile",
            DeviceKind::Other => "other",
        }
    }

    /// The kind with this wire name (never [`DeviceKind::Other`]).
    pub fn parse(s: &str) -> Option<DeviceKind> {
        match s {
            "desk" => Some(DeviceKind::Desk),
            "softphone" => Some(DeviceKind::Softphone),
            "mobile" => Some(DeviceKind::Mobile),
            _ => None,
        }
    }
}

/// One of a user's phones.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Stable id.
    pub id: String,
    /// Kind.
    pub kind: DeviceKind,
    /// A label for people ("Desk phone").
    pub label: String,
    /// The device's number or SIP address.
    pub number: String,
}

/// `POST /login` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Email.
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    /// Password.
    #[cfg_attr(feature = "openapi", schema(max_length = 1024))]
    pub password: String,
    /// The origin of the CRM org the widget runs in, when it knows it (an extension of API.md):
    /// `https://acme.lightning.force.com`, `https://acme.crm4.dynamics.com`. A sign-in from an org
    /// registered to another customer is refused with `org_not_allowed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub crm_origin: Option<String>,
}

/// `POST /login` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token.
    pub token: String,
    /// When the token stops working.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// The signed-in user.
    pub user: User,
}

/// A customer as its users see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The default country of phone numbers (ISO 3166-1 alpha-2, `PT`): what
    /// `phone::dial_target` takes, in the widget's preview as in the server (an extension of
    /// API.md; empty from an older server).
    #[serde(default)]
    pub country: String,
    /// Whether calls between colleagues are logged on CRM records like customer calls (off by
    /// default; an extension of API.md).
    #[serde(default)]
    pub log_internal_calls: bool,
}

/// `GET /me` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The user.
    pub user: User,
    /// Their company.
    pub customer: CustomerRef,
    /// Their permissions (`crm_client`, …).
    pub permissions: Vec<String>,
    /// The reseller's mode.
    pub mode: Mode,
    /// Whether the reseller enabled user extension lists.
    pub extension_lists_enabled: bool,
    /// Their presence.
    pub presence: Presence,
    /// Their devices.
    pub devices: Vec<Device>,
    /// Their role (an extension of API.md).
    #[serde(default)]
    pub role: Role,
    /// How the reseller paints the three presence colours (an extension of API.md); a
    /// `colours` event carries a change.
    #[serde(default)]
    pub colours: PresenceColours,
    /// Whether the user's voicemail box takes the calls nobody answers (an extension of API.md;
    /// absent from an older backend: no voicemail, such calls are missed).
    #[serde(default)]
    pub voicemail: bool,
    /// The customer's after-call work: dispositions and time limit (an extension of API.md;
    /// absent from an older backend: no wrap-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<WrapUpSettings>,
    /// The customer's map between the CRMs' own agent statuses and profiles (an extension of
    /// API.md; absent from an older backend: the CRM's status and the profile are not kept in step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_presence: Option<crate::crm_presence::CrmPresenceMap>,
}

/// What a user may administer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An agent.
    #[default]
    User,
    /// Manages their customer's users' permissions and devices.
    CustomerAdmin,
    /// Sets the reseller's mode.
    ResellerAdmin,
}

/// `PUT /me/presence` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPresenceRequest {
    /// The profile id as sent (validated by the server, so an unknown one gets `unknown_profile`);
    /// the document lists the eleven ids.
    #[cfg_attr(feature = "openapi", schema(value_type = ProfileId))]
    pub profile: String,
}

/// One row of `GET /directory`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The colleague.
    pub user: User,
    /// Their presence.
    pub presence: Presence,
}

/// `POST /events/ticket` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTicket {
    /// One-use ticket for `GET /events`.
    pub ticket: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// The `event:` name of the last event a stream sends when the backend ends it because the
/// subscriber's access ended ([`AccessEnded`]). An extension of API.md: clients that do not know
/// it see the stream end, and their next ticket request tells them 401 or 403.
pub const ACCESS_ENDED_EVENT: &str = "access_ended";

/// Why the backend ended a subscriber's live streams.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessEndReason {
    /// The session signed out (`POST /logout`), perhaps in another tab or window.
    SignedOut,
    /// The session's token expired.
    Expired,
    /// The user's password was changed, which ends all of their sessions.
    PasswordChanged,
    /// The user lost the `crm_client` permission.
    NotLicensed,
    /// The user was deleted.
    UserDeleted,
}

impl AccessEndReason {
    /// Every reason, in declaration order.
    pub const ALL: [AccessEndReason; 5] = [
        AccessEndReason::SignedOut,
        AccessEndReason::Expired,
        AccessEndReason::PasswordChanged,
        AccessEndReason::NotLicensed,
        AccessEndReason::UserDeleted,
    ];

    /// The wire name (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessEndReason::SignedOut => "signed_out",
            AccessEndReason::Expired => "expired",
            AccessEndReason::PasswordChanged => "password_changed",
            AccessEndReason::NotLicensed => "not_licensed",
            AccessEndReason::UserDeleted => "user_deleted",
        }
    }
}

/// The data of the `access_ended` event ([`ACCESS_ENDED_EVENT`]).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEnded {
    /// Why the stream ended.
    pub reason: AccessEndReason,
}

/// What a page claims for a call: writing its CRM activity (`log`) or opening its record
/// (`pop`). The backend grants each to one page per call, so an agent with two tabs, or two
/// CRMs open, gets one activity and one screen pop.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Logging the call (Salesforce Task, Dynamics phonecall).
    Log,
    /// The screen pop of an inbound call.
    Pop,
}

impl ClaimKind {
    /// The wire name (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Log => "log",
            ClaimKind::Pop => "pop",
        }
    }
}

/// Longest page id of a claim ([`ClaimRequest::client`]).
pub const MAX_CLAIM_CLIENT_LEN: usize = 64;

/// `POST /calls/<id>/claims` body (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// What is claimed.
    pub kind: ClaimKind,
    /// A random id the page made for itself when it loaded: 1 to 64 of `A-Z a-z 0-9 - _`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]{1,64}$")
    )]
    pub client: String,
}

impl ClaimRequest {
    /// Whether the page id is well formed (what the schema says of it).
    pub fn client_is_valid(&self) -> bool {
        (1..=MAX_CLAIM_CLIENT_LEN).contains(&self.client.len())
            && self
                .client
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

/// `POST /calls/<id>/claims` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimResponse {
    /// True for the one page that does it (the first to claim, again on every repeat of its own
    /// claim); false for every other page.
    pub granted: bool,
}

/// The CRM a call was placed from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmKind {
    /// Salesforce Lightning (Open CTI).
    Salesforce,
    /// Dynamics 365 (CIF).
    Dynamics,
    /// A plain page.
    Standalone,
}

/// The CRM record a call relates to, for logging it there.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// Which CRM.
    pub crm: CrmKind,
    /// The record's id, if the CRM gave one (at most [`MAX_CONTEXT_LEN`] characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub record_id: Option<String>,
    /// The record's type (`Contact`, `contact`, …; at most [`MAX_CONTEXT_LEN`] characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub object_type: Option<String>,
    /// The record's display name (`Rita Lopes`) when the CRM gave one with a click-to-dial: the
    /// name the call card, the history and the CRM log show for the other party (at most
    /// [`MAX_CONTEXT_LEN`] characters; an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub record_name: Option<String>,
}

/// `POST /calls` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceCallRequest {
    /// The number as typed or delivered by the CRM, or a colleague's extension: the shape of
    /// [`crate::phone::NUMBER_PATTERN`], at most [`crate::phone::MAX_INPUT_LEN`] characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 64,
            pattern = r"^ *(tel:)?[ ()./-]*\+?[0-9 ()./-]*[0-9][0-9 ()./-]*$"
        )
    )]
    pub to: String,
    /// Where the call came from.
    #[serde(default)]
    pub context: Option<CallContext>,
    /// The id of the user's device the call is placed from (the softphone when the agent chose
    /// it); `None`: the user's desk phone, as before (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub device: Option<String>,
}

/// Direction of a call.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// Placed by the user.
    Outbound,
    /// Received by the user.
    Inbound,
}

/// State of a call. A call only moves forward: dialing → ringing → connected → ended, or to failed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// The PBX is ringing the user's own device(s).
    Dialing,
    /// The other side is ringing.
    Ringing,
    /// Talking.
    Connected,
    /// Over.
    Ended,
    /// Never connected.
    Failed,
}

impl CallState {
    /// Whether the call is over.
    pub fn is_final(self) -> bool {
        matches!(self, CallState::Ended | CallState::Failed)
    }

    /// Whether the user counts as "on a call" for the busy overlay (SPEC §3): while talking.
    pub fn is_on_call(self) -> bool {
        self == CallState::Connected
    }

    /// Whether a call may move from `self` to `next`.
    pub fn can_become(self, next: CallState) -> bool {
        use CallState::*;
        matches!(
            (self, next),
            (Dialing, Ringing | Connected | Ended | Failed)
                | (Ringing, Connected | Ended | Failed)
                | (Connected, Ended)
        )
    }
}

/// A call in the user's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Stable id.
    pub id: String,
    /// Direction.
    pub direction: CallDirection,
    /// Calling number or extension.
    pub from: String,
    /// Called number (E.164) or extension.
    pub to: String,
    /// State.
    pub state: CallState,
    /// When it started.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// When it was answered.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub answered_at: Option<Timestamp>,
    /// When it ended.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<Timestamp>,
    /// The CRM record it relates to.
    pub context: Option<CallContext>,
    /// Whether the other side is a colleague of the same customer (an extension dialled, or an
    /// extension calling): such calls are not logged on CRM records unless the customer's
    /// `log_internal_calls` is on (an extension of API.md).
    #[serde(default)]
    pub internal: bool,
    /// How a call that was not simply talked through ended; `None` otherwise (an extension of
    /// API.md).
    #[serde(default)]
    pub outcome: Option<CallOutcome>,
    /// The id of the device an inbound call was answered on, when answered from the panel (an
    /// extension of API.md).
    #[serde(default)]
    pub answered_on: Option<String>,
    /// For an inbound call the PBX sent on to the user's forwarding number instead of their
    /// devices: that number (E.164). Such a call is `ended`, never answered here, and its
    /// `outcome` is `forwarded`: the two are set together, always (`outcome` says what happened,
    /// `forwarded_to` where it went; an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_to: Option<String>,
    /// Whether the user put this connected call on hold (`POST /calls/<id>/hold`, until
    /// `/resume`). A flag beside `state`, not a state of its own: the call is still `connected`
    /// (the user is still busy) for every client, and one that does not know the field reads the
    /// call as it did before. Written only when true (an extension of API.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub held: bool,
    /// The agent's wrap-up of the ended call (`PUT /calls/<id>/wrapup`), once saved; absent
    /// before (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<WrapUp>,
    /// The CRM record the call was logged on (`PUT /calls/<id>/crm-record`), once the page that
    /// logged it reported it; absent before (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_record: Option<CrmRecord>,
    /// Where the user transferred this call (blind, or warm on completing a consultation): the
    /// target as dialled (a colleague's extension or an E.164 number). Set with the outcome
    /// `transferred`; absent otherwise (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_to: Option<String>,
    /// For a consultation leg (`POST /calls/<id>/consult`): the id of the user's call it consults
    /// about, held meanwhile. Absent on every other call (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult_of: Option<String>,
    /// For an inbound call that rang: the ids of the user's devices it rings on, in ring order
    /// (find-me/follow-me's first step first), as the PBX's ring resolution said when it arrived,
    /// and kept once it stopped ringing. Empty (left out) on outbound calls and on one that rang
    /// nothing. A panel that is the user's softphone rings only for a call that lists its device
    /// (an extension of API.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rings_on: Vec<String>,
    /// Whether this connected call is the caller's side of a call that went to a colleague's
    /// voicemail, placed from the caller's softphone: the PBX answered it with the mailbox's
    /// beep and records what the caller says as the message, until they hang up or
    /// [`MAX_RECORDED_MS`] passes. Written only when true (an extension of API.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub leaving_message: bool,
}

/// Whether a flag is off: serde leaves such a flag out of the JSON.
fn is_false(b: &bool) -> bool {
    !*b
}

impl Call {
    /// Whether the widget's host bridge logs this call on the CRM record (SPEC §8): every call
    /// with an outside party, and calls between colleagues only when the customer turned that on.
    pub fn is_logged_on_crm(&self, customer: &CustomerRef) -> bool {
        !self.internal || customer.log_internal_calls
    }
}

/// How a call ended when it was not talked through. For an outbound call to a colleague it is
/// what happened on the colleague's side.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Nobody answered: it rang out, the caller gave up, or nothing rang (Do Not Disturb, no
    /// device), and the user's mailbox did not take it ([`crate::voicemail`]).
    Missed,
    /// The user declined it and their mailbox did not take it.
    Declined,
    /// Call forwarding sent it to another number, the one in [`Call::forwarded_to`] (always set
    /// with this outcome).
    Forwarded,
    /// Another member of a hunt group answered it.
    AnsweredElsewhere,
    /// It went to the user's voicemail (rang out, nothing rang, or declined, with the mailbox
    /// on: [`crate::voicemail::unanswered_outcome`]); an extension of API.md.
    Voicemail,
    /// The user blind-transferred it (`POST /calls/<id>/transfer`): their part of the call ended
    /// there and the other party went on to the transfer target.
    Transferred,
    /// An outcome this build does not know (a newer backend's), as a client reads it: worded like
    /// a call that simply ended. Never written, and not part of the API's schema.
    #[serde(other, skip_serializing)]
    Other,
}

/// `POST /calls/<id>/transfer` body (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequest {
    /// Where the other party goes: a colleague's extension or a number, as for `POST /calls` (the
    /// shape of [`crate::phone::NUMBER_PATTERN`], at most [`crate::phone::MAX_INPUT_LEN`]
    /// characters), decided by [`crate::phone::dial_target`] with the customer's country.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 64,
            pattern = r"^ *(tel:)?[ ()./-]*\+?[0-9 ()./-]*[0-9][0-9 ()./-]*$"
        )
    )]
    pub to: String,
}

/// `POST /calls/<id>/answer` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AnswerRequest {
    /// The id of the user's device to connect the call to; `None`: the first device ringing.
    #[serde(default)]
    pub device: Option<String>,
}

/// Longest SDP offer `POST /calls/<id>/media` accepts, in bytes.
pub const MAX_SDP_LEN: usize = 16 * 1024;

/// `PUT /softphone` body (an extension of API.md): registers the open panel as the user's
/// softphone device.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SoftphoneRegisterRequest {
    /// The user's device of kind `softphone` to register as; `None`: their first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub device: Option<String>,
}

/// `PUT /softphone` answer: the panel's registration (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftphoneRegistration {
    /// The registration's id, for keep-alives, media offers and the end of the registration.
    pub id: String,
    /// The softphone device the panel now is.
    pub device: String,
    /// Seconds the registration lives without a keep-alive.
    pub expires_in: u32,
}

/// What became of a softphone registration, in a `softphone` event (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftphoneState {
    /// Another panel of the same user registered: this one is no longer the softphone.
    Replaced,
    /// No keep-alive came within its lifetime.
    Expired,
    /// The panel ended it (`DELETE /softphone/<id>`).
    Ended,
    /// A state this build does not know (a newer backend's): read as the end of the
    /// registration. Never written, and not part of the API's schema.
    #[serde(other, skip_serializing)]
    Other,
}

/// The `softphone` event: sent to the user's own streams when one of their registrations ends
/// (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftphoneEvent {
    /// The registration that ended.
    pub registration: String,
    /// Why.
    pub state: SoftphoneState,
}

/// `POST /calls/<id>/media` body (an extension of API.md): the softphone's WebRTC offer for its
/// leg of the call. The browser always offers; the backend's media endpoint answers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaOffer {
    /// The panel's current softphone registration.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub registration: String,
    /// The SDP offer (audio), at most [`MAX_SDP_LEN`] bytes.
    #[cfg_attr(feature = "openapi", schema(max_length = 16384))]
    pub sdp: String,
}

/// `POST /calls/<id>/media` answer (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaAnswer {
    /// The SDP answer (ICE-lite, one host candidate).
    pub sdp: String,
}

/// One user's presence inside a snapshot or a `presence` event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    /// The user.
    pub user_id: String,
    /// Their presence.
    pub presence: Presence,
}

/// The `snapshot` event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every user of the customer.
    pub presence: Vec<PresenceUpdate>,
    /// The subscriber's live calls.
    pub calls: Vec<Call>,
    /// The reseller's presence colours (an extension of API.md), so a stream that could not
    /// resume misses no `colours` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colours: Option<PresenceColours>,
    /// How many of the subscriber's voicemail messages are not heard yet (an extension of
    /// API.md), so a stream that could not resume misses no `voicemail` event's count; absent from
    /// an older backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_unheard: Option<u32>,
}

/// An event of the live stream, by its `event:` name.
// A `call` (with its after-call work) is larger than the other events; they live one at a time,
// from the parse to the store, so boxing it would cost every match for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `snapshot`.
    Snapshot(Snapshot),
    /// `presence`.
    Presence(PresenceUpdate),
    /// `call`.
    Call(Call),
    /// `profile`.
    Profile(Profile),
    /// `colours`: the reseller changed its presence colours (an extension of API.md).
    Colours(PresenceColours),
    /// `voicemail`: the subscriber's mailbox changed (a message left, heard or deleted), with the
    /// unheard count after it; sent to the mailbox's owner only (an extension of API.md).
    Voicemail(VoicemailEvent),
    /// `missed`: the user's count of missed calls not yet seen changed (an extension of API.md).
    Missed(MissedCalls),
}

impl Event {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Snapshot(_) => "snapshot",
            Event::Presence(_) => "presence",
            Event::Call(_) => "call",
            Event::Profile(_) => "profile",
            Event::Colours(_) => "colours",
            Event::Voicemail(_) => "voicemail",
            Event::Missed(_) => "missed",
        }
    }

    /// The SSE `data:` JSON.
    pub fn data_json(&self) -> String {
        let r = match self {
            Event::Snapshot(s) => serde_json::to_string(s),
            Event::Presence(p) => serde_json::to_string(p),
            Event::Call(c) => serde_json::to_string(c),
            Event::Profile(p) => serde_json::to_string(p),
            Event::Colours(c) => serde_json::to_string(c),
            Event::Voicemail(v) => serde_json::to_string(v),
            Event::Missed(m) => serde_json::to_string(m),
        };
        r.unwrap_or_default()
    }

    /// Parses an event from its SSE name and data.
    pub fn parse(name: &str, data: &str) -> Result<Event, EventParseError> {
        let mut de = serde_json::Deserializer::from_str(data);
        let event = Event::deserialize_named(name, &mut de)?
            .ok_or_else(|| EventParseError::UnknownName(name.to_owned()))?;
        de.end()?;
        Ok(event)
    }

    /// Reads the data of the event called `name` from any serde deserializer (the widget's is the
    /// browser's `JSON.parse`); `Ok(None)` for a name this client does not know, data untouched.
    pub fn deserialize_named<'de, D: serde::Deserializer<'de>>(
        name: &str,
        data: D,
    ) -> Result<Option<Event>, D::Error> {
        Ok(Some(match name {
            "snapshot" => Event::Snapshot(Deserialize::deserialize(data)?),
            "presence" => Event::Presence(Deserialize::deserialize(data)?),
            "call" => Event::Call(Deserialize::deserialize(data)?),
            "profile" => Event::Profile(Deserialize::deserialize(data)?),
            "colours" => Event::Colours(Deserialize::deserialize(data)?),
            "voicemail" => Event::Voicemail(Deserialize::deserialize(data)?),
            "missed" => Event::Missed(Deserialize::deserialize(data)?),
            _ => return Ok(None),
        }))
    }
}

/// Why an SSE event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventParseError {
    /// An `event:` name this client does not know.
    #[error("unknown event {0}")]
    UnknownName(String),
    /// Data that is not the event's JSON.
    #[error("malformed event data: {0}")]
    Data(#[from] serde_json::Error),
}

/// `GET /pbx/ring` answer.
pub type RingResponse = RingTargets;

/// A hunt group (`GET /pbx/groups`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntGroup {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members in ring order.
    pub members: Vec<GroupMember>,
    /// The group's extension, when it can be dialled (an extension of API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Whether a call nobody in the group answers goes to voicemail — the mailbox of its first
    /// member ([`crate::voicemail::group_route`]); else it is missed (an extension of API.md).
    #[serde(default, skip_serializing_if = "is_false")]
    pub voicemail: bool,
}

/// The CRM of a registered org.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgCrm {
    /// A Salesforce org, known by its My Domain name.
    Salesforce,
    /// A Dynamics 365 org, known by its URL.
    Dynamics,
}

impl OrgCrm {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgCrm::Salesforce => "salesforce",
            OrgCrm::Dynamics => "dynamics",
        }
    }
}

/// A CRM org registered to the caller's customer (`GET /admin/orgs`, an extension of API.md):
/// its pages may frame the widget, call the API and sign this customer's users in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmOrg {
    /// Stable id.
    pub id: String,
    /// Which CRM.
    pub crm: OrgCrm,
    /// Salesforce: the My Domain name (`acme`); Dynamics 365: the org's origin
    /// (`https://acme.crm4.dynamics.com`).
    pub org: String,
    /// Salesforce: the 18-character org id, when it was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The origins it allows; `*` stands for a sandbox or package name
    /// (`https://acme--*.vf.force.com`).
    pub origins: Vec<String>,
    /// When it was registered.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// `POST /admin/orgs` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCrmOrg {
    /// Which CRM.
    pub crm: OrgCrm,
    /// Salesforce: the My Domain name (`acme`, or any of its URLs such as
    /// `https://acme.my.salesforce.com`); Dynamics 365: the org URL
    /// (`https://acme.crm4.dynamics.com`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub org: String,
    /// Salesforce only, optional: the org id (15 or 18 characters, starting `00D`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^00D[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$")
    )]
    pub org_id: Option<String>,
}

/// `POST /pbx/calls/inbound` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundCallRequest {
    /// Calling number: the shape of [`crate::phone::NUMBER_PATTERN`], at most
    /// [`crate::phone::MAX_INPUT_LEN`] characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 64,
            pattern = r"^ *(tel:)?[ ()./-]*\+?[0-9 ()./-]*[0-9][0-9 ()./-]*$"
        )
    )]
    pub from: String,
    /// The user called (an id of at most 64 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub to_user: String,
    /// What the caller says if the call goes to voicemail: a PCM WAV file (RIFF/WAVE, at most
    /// [`MAX_MESSAGE_BYTES`] and [`MAX_MESSAGE_MS`]), base64 (standard alphabet, padded). Absent:
    /// the embedded PBX makes up a short spoken-like sample. An extension of API.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 699052,
            content_encoding = "base64",
            content_media_type = "audio/wav"
        )
    )]
    pub message_wav: Option<String>,
}

/// Most bytes of a voicemail message's WAV file.
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024;
/// Longest voicemail message, in milliseconds.
pub const MAX_MESSAGE_MS: u32 = 60_000;
/// Longest message the PBX records from a softphone caller (`Call::leaving_message`): 30 s of
/// 8 kHz 16-bit mono is 480,000 bytes of WAV, inside [`MAX_MESSAGE_BYTES`] and [`MAX_MESSAGE_MS`].
pub const MAX_RECORDED_MS: u32 = 30_000;
const _: () = assert!(44 + MAX_RECORDED_MS as usize * 16 <= MAX_MESSAGE_BYTES);
const _: () = assert!(MAX_RECORDED_MS <= MAX_MESSAGE_MS);
/// Longest base64 text of a message of [`MAX_MESSAGE_BYTES`] (4 characters per 3 bytes, padded).
pub const MAX_MESSAGE_BASE64_LEN: usize = MAX_MESSAGE_BYTES.div_ceil(3) * 4;

/// A voicemail message as its mailbox's owner sees it (the audio is fetched apart, with the token).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailMessage {
    /// Stable id.
    pub id: String,
    /// The call that left it (one of the owner's calls, outcome `voicemail`).
    pub call_id: String,
    /// Calling number (E.164) or extension.
    pub from: String,
    /// When it was left.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Its length in milliseconds.
    pub duration_ms: u32,
    /// Whether the owner has marked it heard.
    pub heard: bool,
}

/// `GET /voicemail` answer: the user's mailbox.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// Whether the mailbox takes calls the user does not answer (on by default).
    pub enabled: bool,
    /// How many messages are not heard yet (the message-waiting count).
    pub unheard: u32,
    /// The messages, newest first.
    pub messages: Vec<VoicemailMessage>,
}

/// `PUT /voicemail/settings` body and answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailSettings {
    /// Whether the mailbox takes calls the user does not answer.
    pub enabled: bool,
}

/// The `voicemail` event, to the mailbox's owner only: the count after a change and what changed
/// (a new or newly heard message, or a deleted one's id).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailEvent {
    /// How many messages are not heard now.
    pub unheard: u32,
    /// The message that arrived or was marked heard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<VoicemailMessage>,
    /// The id of the message deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
}

// ---- After-call work (issue 13: wrap-up notes and dispositions) ----

/// One outcome a customer's agents can pick for a call they wrapped up (`connected`, "Connected").
/// The customer's list is set with the admin CLI; [`crate::wrapup`] holds its rules and defaults.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    /// Stable short code (1-32 of `a-z 0-9 _`), stored on the call and sent to the CRM.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 32, pattern = r"^[a-z0-9_]{1,32}$")
    )]
    pub code: String,
    /// What the agent reads in the list (1-64 characters, no control characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub label: String,
}

/// The customer's after-call work settings, in `GET /me` (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUpSettings {
    /// The dispositions an agent picks from, in the customer's order (1 to
    /// [`crate::wrapup::MAX_DISPOSITIONS`]).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20))]
    pub dispositions: Vec<Disposition>,
    /// How long a wrap-up stays open after the call ends before the widget saves what was typed,
    /// in seconds ([`crate::wrapup::MIN_WRAP_UP_SECONDS`]..=[`crate::wrapup::MAX_WRAP_UP_SECONDS`]).
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 3600))]
    pub seconds: u32,
}

impl Default for WrapUpSettings {
    fn default() -> Self {
        WrapUpSettings {
            dispositions: crate::wrapup::default_dispositions(),
            seconds: crate::wrapup::DEFAULT_WRAP_UP_SECONDS,
        }
    }
}

/// `PUT /calls/<id>/wrapup` body, and the wrap-up stored on the [`Call`] (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WrapUp {
    /// The agent's notes: at most [`crate::wrapup::MAX_NOTES_CHARS`] characters, no control
    /// characters but line breaks and tabs.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub notes: String,
    /// The code of one of the customer's dispositions, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 32))]
    pub disposition: Option<String>,
}

/// `PUT /calls/<id>/crm-record` body, and the record stored on the [`Call`]: the CRM record the
/// page that logged the call created (a Salesforce Task, a Dynamics phonecall), so a wrap-up saved
/// from any page of the agent updates that record instead of logging a second (an extension of
/// API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRecord {
    /// Which CRM (`salesforce` or `dynamics`).
    pub crm: CrmKind,
    /// The record's id (1-64 of `A-Z a-z 0-9 - { }`: a Salesforce id or a Dynamics GUID).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9{}-]{1,64}$")
    )]
    pub id: String,
}

// --- Issue 13, transfer: warm transfer (consultation) and missed calls ---

/// `GET /calls/missed` answer and the `missed` event (to the user's own streams): how many of the
/// user's inbound calls ended `missed` since they last opened their history (`POST
/// /calls/missed/seen`). A call that went to voicemail is counted by the mailbox instead, and a
/// declined one was the user's own choice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MissedCalls {
    /// Missed calls not seen yet.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 200))]
    pub count: u32,
}

/// A dialable hunt group as every agent's directory lists it (`GET /directory/groups`, an
/// extension of API.md): dialling or consulting its extension rings its members.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    /// Id.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub id: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: String,
    /// The extension that rings it.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 6, pattern = "^[0-9]{2,6}$")
    )]
    pub extension: String,
}

impl Call {
    /// Whether this is a missed call for the user's missed-call count: inbound, and it ended
    /// `missed` (nobody answered and the mailbox did not take it).
    pub fn is_missed(&self) -> bool {
        self.direction == CallDirection::Inbound && self.outcome == Some(CallOutcome::Missed)
    }
}

// ---- Administration (issue 15): the admin API's wire types ----

/// A user as their customer's administrators see them (`GET /admin/users`, an extension of
/// API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserView {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Internal extension.
    pub extension: String,
    /// What the user may administer.
    pub role: Role,
    /// Whether the user may sign in (a deactivated user has no sessions and no live streams).
    pub active: bool,
    /// Whether the user holds the `crm_client` permission (may use the widget).
    pub crm_client: bool,
    /// The user's phones, in their order.
    pub devices: Vec<Device>,
}

/// `POST /admin/users` body: a new user of the caller's customer. Without a password the user is
/// invited: they sign in with the company's identity provider (or after a password reset).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAdminUser {
    /// Display name (1-100 characters, not only spaces, no control characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Login email, unique across the service.
    #[cfg_attr(feature = "openapi", schema(min_length = 3, max_length = 254))]
    pub email: String,
    /// Extension (2 to 6 digits), unique within the customer (users and hunt groups).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 6, pattern = "^[0-9]{2,6}$")
    )]
    pub extension: String,
    /// `user` (default) or `customer_admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Grants the `crm_client` permission (default false).
    #[serde(default)]
    pub crm_client: bool,
    /// An initial password (8-1024 characters); absent: an invited user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: Option<String>,
}

/// `PATCH /admin/users/{id}` body: only the fields given change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUserPatch {
    /// A new display name (1-100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// false deactivates the user (their sessions and live streams end); true reactivates them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Grants or revokes the `crm_client` permission (live: the widget shows "not enabled").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_client: Option<bool>,
    /// `user` or `customer_admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `PUT /admin/users/{id}/password` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminPassword {
    /// The new password (8-1024 characters); the user's sessions end.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
}

/// `POST /admin/users/{id}/devices` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAdminDevice {
    /// desk, softphone or mobile.
    pub kind: DeviceKind,
    /// A label for people (at most 64 characters); default: the kind's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub label: Option<String>,
    /// The device's number or SIP address (1-128 characters, no spaces); default: the user's
    /// extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub number: Option<String>,
}

/// A hunt group as its customer's administrators see it (`GET /admin/groups`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGroup {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The group's own extension when it can be dialled, else null.
    pub extension: Option<String>,
    /// Whether a call nobody answers goes to the first member's voicemail.
    pub voicemail: bool,
    /// Members in ring order.
    pub members: Vec<GroupMember>,
}

/// `POST /admin/groups` and `PUT /admin/groups/{id}` body (the id is the path's, or new).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGroupInput {
    /// Name (1-100 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// The group's own extension (2 to 6 digits, nobody else's), or null: not dialable.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 6, pattern = "^[0-9]{2,6}$")
    )]
    pub extension: Option<String>,
    /// Whether a call nobody answers goes to the first member's voicemail (default false).
    #[serde(default)]
    pub voicemail: bool,
    /// Members in ring order (at most 100, each a user of the customer, none twice).
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub members: Vec<AdminGroupMember>,
}

/// A hunt-group member as an administrator writes it: `{"user": id}` (the user, all of their
/// devices) or `{"extension_list_of": id}` (the user's extension list) — core's [`GroupMember`]
/// on the wire, with exactly one of the two fields.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(max_properties = 1))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminGroupMember {
    /// The user, directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub user: Option<String>,
    /// The user's extension list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub extension_list_of: Option<String>,
}

impl AdminGroupMember {
    /// Core's member, when exactly one of the two fields is given.
    pub fn to_member(&self) -> Option<GroupMember> {
        match (&self.user, &self.extension_list_of) {
            (Some(u), None) => Some(GroupMember::User(u.clone())),
            (None, Some(u)) => Some(GroupMember::ExtensionListOf(u.clone())),
            _ => None,
        }
    }
}

impl From<GroupMember> for AdminGroupMember {
    fn from(m: GroupMember) -> Self {
        match m {
            GroupMember::User(u) => AdminGroupMember {
                user: Some(u),
                extension_list_of: None,
            },
            GroupMember::ExtensionListOf(u) => AdminGroupMember {
                user: None,
                extension_list_of: Some(u),
            },
        }
    }
}

/// Who made an audited change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditActor {
    /// The user id (`operator` for the command line).
    pub id: String,
    /// Their name when they made it.
    pub name: String,
}

/// One change in the audit log (`GET /admin/audit`, `GET /admin/reseller/audit`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increasing id (page with `before`).
    pub id: i64,
    /// When, in milliseconds since the epoch.
    pub at: i64,
    /// Who.
    pub actor: AuditActor,
    /// What: `user.create`, `user.update`, `user.password`, `device.add`, `device.remove`,
    /// `group.put`, `group.delete`, `wrap_up.put`, `org.add`, `org.remove`, `sso.put`,
    /// `reseller.mode`, `customer.create`, …
    pub action: String,
    /// The id of what changed (a user, device, group, org, customer or reseller).
    pub target: String,
    /// A short description of the change (never a secret).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    /// From where: the client's address, or `cli`.
    pub from: String,
}

/// One of a reseller's customers (`GET /admin/reseller`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerCustomer {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Default country of phone numbers (ISO 3166-1 alpha-2).
    pub country: String,
    /// How many users it has.
    pub users: u32,
}

/// `GET /admin/reseller` answer: the caller's reseller.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Presence mode.
    pub mode: Mode,
    /// Whether user extension lists are enabled.
    pub extension_lists: bool,
    /// Its customers, by name.
    pub customers: Vec<ResellerCustomer>,
}

/// `PUT /admin/reseller/mode` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResellerModeRequest {
    /// passive or active.
    pub mode: Mode,
    /// Whether user extension lists are enabled.
    pub extension_lists: bool,
}

/// `POST /admin/reseller/customers` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewResellerCustomer {
    /// Name (1-100 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Default country of phone numbers (ISO 3166-1 alpha-2, one the service can normalise).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")
    )]
    pub country: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_states_only_move_forward() {
        use CallState::*;
        let all = [Dialing, Ringing, Connected, Ended, Failed];
        for s in all {
            assert!(!s.can_become(s));
            if s.is_final() {
                assert!(all.iter().all(|n| !s.can_become(*n)));
            }
        }
        assert!(
            Dialing.can_become(Ringing)
                && Ringing.can_become(Connected)
                && Connected.can_become(Ended)
        );
        assert!(!Connected.can_become(Failed) && !Ringing.can_become(Dialing));
        assert!(Connected.is_on_call() && !Ringing.is_on_call());
    }

    /// What a newer backend may send an older client: values and fields this build does not know.
    /// The client reads them into the `Unknown`/`Other` arms, skips unknown fields and events.
    #[test]
    fn what_a_newer_backend_adds_is_read_not_refused() {
        let presence = serde_json::json!({
            "profile": "focus_time", "status": "unavailable", "colour": "purple",
            "on_call": false, "since": "2023-11-14T22:13:20Z", "pbx_sync": "applied",
            "mood": {"emoji": "x"}
        });
        let update = serde_json::json!({"user_id": "u1", "presence": presence, "team": "t"});
        let e = Event::parse("presence", &update.to_string()).unwrap();
        let Event::Presence(p) = e else {
            panic!("{e:?}")
        };
        assert_eq!(p.presence.profile, ProfileId::Unknown);
        assert_eq!(p.presence.colour, Colour::Unknown);
        assert_eq!(p.presence.status, Status::Unavailable);
        let snapshot = serde_json::json!({"presence": [update], "calls": [], "parked": 3});
        assert!(matches!(
            Event::parse("snapshot", &snapshot.to_string()),
            Ok(Event::Snapshot(s)) if s.presence.len() == 1 && s.voicemail_unheard.is_none()
        ));
        assert!(matches!(
            Event::parse("callback_queue", "{}"),
            Err(EventParseError::UnknownName(_))
        ));
        let profile = serde_json::json!({
            "id": "focus_time", "name": "Focus time", "status": "unavailable", "colour": "away",
            "settings": {"dnd": true, "forwarding": {"enabled": false, "to": null, "when": "busy"},
                         "routing": {"ring": "all", "ring_tone": 2}, "quiet_hours": []},
            "customised": false, "icon": "moon"
        });
        let p: Profile = serde_json::from_value(profile).unwrap();
        assert_eq!((p.id, p.name.as_str()), (ProfileId::Unknown, "Focus time"));
        assert!(p.settings.dnd);
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"quota_exceeded","message":"Too many","hint":1}"#)
                .unwrap();
        assert_eq!(body.error, ErrorCode::Other);
        let device: Device = serde_json::from_str(
            r#"{"id":"d","kind":"webrtc","label":"Browser","number":"209","codec":"opus"}"#,
        )
        .unwrap();
        assert_eq!(device.kind, DeviceKind::Other);
        let outcome: CallOutcome = serde_json::from_str(r#""callback_requested""#).unwrap();
        assert_eq!(outcome, CallOutcome::Other);
        assert!(serde_json::to_string(&CallOutcome::Other).is_err());
        let voicemail: CallOutcome = serde_json::from_str(r#""voicemail""#).unwrap();
        assert_eq!(voicemail, CallOutcome::Voicemail);
        assert_eq!(DeviceKind::parse("webrtc"), None);
        assert!(serde_json::to_string(&ErrorCode::Other).is_err());
    }

    /// Requests stay as strict as API.md: what a client sends with an unknown value is refused.
    #[test]
    fn requests_keep_refusing_unknown_values() {
        assert!(
            serde_json::from_str::<PlaceCallRequest>(r#"{"to":"201","context":{"crm":"zoho"}}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<ProfileSettings>(
                r#"{"dnd":true,"forwarding":{"enabled":false,"to":null},"routing":{"ring":"some"}}"#
            )
            .is_err()
        );
        assert_eq!(ProfileId::parse("focus_time"), None);
    }

    #[test]
    fn calls_and_customers_of_an_older_server_still_read() {
        let call: Call = serde_json::from_value(serde_json::json!({
            "id": "c1", "direction": "inbound", "from": "+351912345678", "to": "201",
            "state": "ringing", "started_at": "2026-01-01T10:00:00Z", "answered_at": null,
            "ended_at": null, "context": null
        }))
        .unwrap();
        assert!(!call.internal && call.outcome.is_none() && call.answered_on.is_none());
        let mut declined = call.clone();
        declined.outcome = Some(CallOutcome::Declined);
        declined.answered_on = Some("ana-desk".into());
        let json = serde_json::to_value(&declined).unwrap();
        assert_eq!(json["outcome"], "declined");
        assert_eq!(json["answered_on"], "ana-desk");
        assert_eq!(serde_json::from_value::<Call>(json).unwrap(), declined);
        let c: CustomerRef = serde_json::from_str(r#"{"id":"acme","name":"Acme"}"#).unwrap();
        assert_eq!((c.country.as_str(), c.log_internal_calls), ("", false));
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"invalid_number","message":"m"}"#).unwrap();
        assert_eq!(body.reason, None);
        assert_eq!(
            serde_json::to_value(ErrorBody {
                reason: Some(ErrorCode::UnknownExtension),
                ..body
            })
            .unwrap()["reason"],
            "unknown_extension"
        );
    }

    /// A held call is written with `held`, any other without it (API.md's Call shape); a newer
    /// backend's outcome reads as `Other` instead of failing the whole call.
    #[test]
    fn hold_is_a_flag_written_only_when_set_and_unknown_outcomes_still_read() {
        let mut call: Call = serde_json::from_value(serde_json::json!({
            "id": "c1", "direction": "inbound", "from": "+351912345678", "to": "201",
            "state": "connected", "started_at": "2026-01-01T10:00:00Z", "answered_at": null,
            "ended_at": null, "context": null, "outcome": "parked"
        }))
        .unwrap();
        assert_eq!(call.outcome, Some(CallOutcome::Other));
        assert!(!call.held);
        call.outcome = None;
        assert!(serde_json::to_value(&call).unwrap().get("held").is_none());
        call.held = true;
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(json["held"], true);
        assert_eq!(json["state"], "connected");
        assert_eq!(serde_json::from_value::<Call>(json).unwrap(), call);
        call.outcome = Some(CallOutcome::Transferred);
        assert_eq!(
            serde_json::to_value(&call).unwrap()["outcome"],
            "transferred"
        );
        assert!(serde_json::to_string(&CallOutcome::Other).is_err());
    }

    #[test]
    fn internal_calls_are_logged_on_the_crm_only_when_the_customer_says_so() {
        let mut call: Call = serde_json::from_value(serde_json::json!({
            "id": "c1", "direction": "outbound", "from": "202", "to": "201",
            "state": "ended", "started_at": "2026-01-01T10:00:00Z", "answered_at": null,
            "ended_at": null, "context": null, "internal": true
        }))
        .unwrap();
        let mut acme = CustomerRef {
            id: "acme".into(),
            name: "Acme".into(),
            country: "PT".into(),
            log_internal_calls: false,
        };
        assert!(!call.is_logged_on_crm(&acme), "off by default");
        acme.log_internal_calls = true;
        assert!(call.is_logged_on_crm(&acme));
        call.internal = false;
        acme.log_internal_calls = false;
        assert!(call.is_logged_on_crm(&acme), "customer calls always are");
    }

    #[test]
    fn events_round_trip_through_their_sse_form() {
        let p = PresenceUpdate {
            user_id: "u1".into(),
            presence: Presence {
                profile: ProfileId::Lunch,
                status: Status::Unavailable,
                colour: Colour::Away,
                on_call: false,
                since: Timestamp::from_unix(1_700_000_000, 0).unwrap(),
                pbx_sync: PbxSync::Pending,
                pbx_error: None,
            },
        };
        let e = Event::Presence(p);
        let json: serde_json::Value = serde_json::from_str(&e.data_json()).unwrap();
        assert_eq!(json["presence"]["since"], "2023-11-14T22:13:20Z");
        assert_eq!(json["presence"]["pbx_sync"], "pending");
        assert_eq!(Event::parse(e.name(), &e.data_json()).unwrap(), e);
        assert!(Event::parse("nope", "{}").is_err());
        assert_eq!(
            serde_json::to_value(ErrorCode::ClientNotLicensed).unwrap(),
            "client_not_licensed"
        );
    }

    /// The `voicemail` event reads back as written; a snapshot carries the unheard count only
    /// when the backend gives one.
    #[test]
    fn voicemail_events_and_the_snapshot_count_round_trip() {
        let e = Event::Voicemail(VoicemailEvent {
            unheard: 2,
            message: Some(VoicemailMessage {
                id: "m1".into(),
                call_id: "c1".into(),
                from: "+351912345678".into(),
                created_at: Timestamp::from_unix(1_700_000_000, 0).unwrap(),
                duration_ms: 2_000,
                heard: false,
            }),
            deleted: None,
        });
        assert_eq!(e.name(), "voicemail");
        let json: serde_json::Value = serde_json::from_str(&e.data_json()).unwrap();
        assert!(json.get("deleted").is_none());
        assert_eq!(Event::parse(e.name(), &e.data_json()).unwrap(), e);
        let deleted = Event::parse("voicemail", r#"{"unheard":0,"deleted":"m1"}"#).unwrap();
        assert!(matches!(deleted, Event::Voicemail(v) if v.deleted.as_deref() == Some("m1")));
        let snap = Snapshot {
            presence: vec![],
            calls: vec![],
            colours: None,
            voicemail_unheard: Some(3),
        };
        let json = serde_json::to_value(&snap).unwrap();
        assert_eq!(json["voicemail_unheard"], 3);
        let none = Snapshot {
            voicemail_unheard: None,
            ..snap
        };
        assert!(
            serde_json::to_value(&none)
                .unwrap()
                .get("voicemail_unheard")
                .is_none()
        );
    }

    #[test]
    fn access_end_reasons_are_named_as_serde_names_them() {
        for r in AccessEndReason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(serde_json::from_value(r.as_str().into()).ok(), Some(r));
        }
        assert!(serde_json::from_str::<AccessEndReason>("\"nope\"").is_err());
        let data = serde_json::to_string(&AccessEnded {
            reason: AccessEndReason::PasswordChanged,
        })
        .unwrap();
        assert_eq!(data, r#"{"reason":"password_changed"}"#);
    }

    /// `rings_on` (issue 17): left out when empty, so API.md's `Call` is what an older client
    /// reads; read back in order when present.
    #[test]
    fn the_devices_a_call_rings_on_are_written_only_when_it_rang() {
        let json = serde_json::json!({
            "id": "c1", "direction": "inbound", "from": "+351912345678", "to": "201",
            "state": "ringing", "started_at": "2023-11-14T22:13:20Z", "answered_at": null,
            "ended_at": null, "context": null
        });
        let mut call: Call = serde_json::from_value(json).unwrap();
        assert!(call.rings_on.is_empty());
        assert!(
            serde_json::to_value(&call)
                .unwrap()
                .get("rings_on")
                .is_none()
        );
        call.rings_on = vec!["d-soft".into(), "d-desk".into()];
        let written = serde_json::to_value(&call).unwrap();
        assert_eq!(written["rings_on"], serde_json::json!(["d-soft", "d-desk"]));
        assert_eq!(serde_json::from_value::<Call>(written).unwrap(), call);
    }

    // --- Issue 13, transfer ---

    /// API.md's `Call` as an older client reads it: the transfer fields only when set; a missed
    /// call is an inbound one that ended `missed`, nothing else; the `missed` event round-trips.
    #[test]
    fn transfer_fields_and_missed_calls() {
        let json = serde_json::json!({
            "id": "c1", "direction": "inbound", "from": "+351912345678", "to": "201",
            "state": "failed", "started_at": "2023-11-14T22:13:20Z", "answered_at": null,
            "ended_at": "2023-11-14T22:13:50Z", "context": null, "outcome": "missed"
        });
        let mut call: Call = serde_json::from_value(json).unwrap();
        assert_eq!(
            (call.transferred_to.as_deref(), call.consult_of.as_deref()),
            (None, None)
        );
        assert!(call.is_missed());
        let written = serde_json::to_value(&call).unwrap();
        assert!(written.get("transferred_to").is_none() && written.get("consult_of").is_none());
        for outcome in [
            CallOutcome::Declined,
            CallOutcome::Voicemail,
            CallOutcome::Transferred,
        ] {
            call.outcome = Some(outcome);
            assert!(!call.is_missed(), "{outcome:?}");
        }
        call.outcome = Some(CallOutcome::Missed);
        call.direction = CallDirection::Outbound;
        assert!(
            !call.is_missed(),
            "a call the user made is never theirs to have missed"
        );
        call.transferred_to = Some("600".into());
        assert_eq!(
            serde_json::to_value(&call).unwrap()["transferred_to"],
            "600"
        );

        let e = Event::Missed(MissedCalls { count: 2 });
        assert_eq!(
            (e.name(), e.data_json().as_str()),
            ("missed", r#"{"count":2}"#)
        );
        assert_eq!(Event::parse("missed", r#"{"count":2}"#).unwrap(), e);
    }
}

// --- sso: single sign-on (issue 15) ---

/// `GET /sso/discovery` answer: whether the widget shows "Sign in with <company>", and the password
/// form (an extension of API.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SsoDiscovery {
    /// The company with single sign-on on, found from the CRM org or the email domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<SsoCompany>,
    /// Whether signing in with a password is allowed (false only for such a company that switched
    /// it off).
    pub password_login: bool,
}

/// A company whose users may sign in with its identity provider.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoCompany {
    /// The customer's id (what `POST /sso/start` takes).
    pub customer: String,
    /// The company's name ("Sign in with Acme").
    pub name: String,
}

/// `POST /sso/start` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoStartRequest {
    /// The customer whose identity provider signs the user in.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub customer: String,
}

/// `POST /sso/start` answer: where the popup goes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoStart {
    /// The identity provider's authorization URL (code flow, PKCE S256, state and nonce).
    pub authorization_url: String,
}

/// What the single sign-on callback page posts to the widget that opened it (`postMessage`, to
/// that window's exact origin): the signed-in session, or an error code and its sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoMessage {
    /// The session, as `POST /login` answers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginResponse>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// The failure's sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /admin/sso` answer: a customer's identity provider (the client secret is never returned).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    /// Whether the company's users may sign in with it.
    pub enabled: bool,
    /// The issuer URL (its `/.well-known/openid-configuration` is read).
    pub issuer: String,
    /// UcClient's client id at the identity provider.
    pub client_id: String,
    /// Whether a client secret is stored.
    pub client_secret_set: bool,
    /// The email domains allowed (empty: any).
    pub allowed_domains: Vec<String>,
    /// The ID token claim that names the user, matched with their UcClient email.
    pub user_claim: String,
    /// Whether password sign-in stays allowed.
    pub password_login: bool,
    /// Whether an unknown user is created at first sign-in (without the `crm_client` permission).
    pub jit: bool,
    /// The redirect URI to register at the identity provider.
    pub redirect_uri: String,
    /// How UcClient authenticates at the token endpoint (default `client_secret`).
    #[serde(default)]
    pub client_auth: SsoClientAuth,
    /// Where the identity provider reads UcClient's public key for `private_key_jwt` (a JWKS
    /// document; absent while the customer has no key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
}

/// How UcClient authenticates as the client at the identity provider's token endpoint.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoClientAuth {
    /// The client secret (`client_secret_basic`, or `client_secret_post`).
    #[default]
    ClientSecret,
    /// An RS256 client assertion signed with the customer's key (RFC 7523, OIDC Core §9).
    PrivateKeyJwt,
}

/// `PUT /admin/sso` body: the settings, with the client secret write-only.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettingsUpdate {
    /// Whether the company's users may sign in with it.
    pub enabled: bool,
    /// The issuer URL (https).
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub issuer: String,
    /// UcClient's client id at the identity provider.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub client_id: String,
    /// A new client secret; absent keeps the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 1024))]
    pub client_secret: Option<String>,
    /// The email domains allowed (empty: any), each claimed by one company only.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub allowed_domains: Vec<String>,
    /// The ID token claim that names the user (default `email`).
    #[serde(default = "default_user_claim")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub user_claim: String,
    /// Whether password sign-in stays allowed (default true).
    #[serde(default = "default_true")]
    pub password_login: bool,
    /// Whether an unknown user is created at first sign-in (default false).
    #[serde(default)]
    pub jit: bool,
    /// How UcClient authenticates at the token endpoint (default `client_secret`); switching to
    /// `private_key_jwt` creates the customer's key pair if it has none.
    #[serde(default)]
    pub client_auth: SsoClientAuth,
    /// Replaces the customer's `private_key_jwt` key pair with a new one (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rotate_key: bool,
}

fn default_user_claim() -> String {
    "email".to_owned()
}

fn default_true() -> bool {
    true
}
