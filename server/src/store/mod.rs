//! The store: the one interface between the backend's logic and its database.
//!
//! Handlers and services never see SQL; they call [`Store`], whose methods are whole operations
//! ("set this presence and log these events"), each one transaction. That keeps every change
//! durable before it is acknowledged or announced, and lets another engine (PostgreSQL) implement
//! the same trait without touching a handler. [`sqlite::SqliteStore`] is the embedded default.

pub mod audit;
pub(crate) mod calls_rules;
pub(crate) mod codec;
pub mod engine;
pub mod location;
pub mod postgres;
pub mod sqlite;
pub mod sso;

pub use sso::{PutSso, SsoAttempt, SsoKey, StoredSso};
pub mod voice;

pub use audit::{AuditScope, ManagedUser, NewAudit, ResellerInfo};
pub use voice::{VoiceKey, VoiceSettings};

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ucclient_core::ProfileId;
use ucclient_core::api::{
    AccessEndReason, Call, CallState, Device, Disposition, HuntGroup, OrgCrm, PbxSync,
    PbxUserState, PresenceColours, ProfileSettings, Role, User, VoicemailMessage, WrapUpSettings,
};
use ucclient_core::pbx::Mode;
use ucclient_core::ring::GroupMember;

/// A store failure: always a 500 to the client, the cause only in the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored JSON column did not parse.
    #[error("stored data: {0}")]
    Data(String),
    /// A uniqueness rule was broken (admin commands report it).
    #[error("already exists: {0}")]
    Conflict(String),
}

/// Store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything about a signed-in user that requests need: who, which tenant, what they may do.
#[derive(Debug, Clone)]
pub struct Account {
    /// The user.
    pub user: User,
    /// Their customer's id.
    pub customer_id: String,
    /// Their customer's name.
    pub customer_name: String,
    /// Their customer's reseller.
    pub reseller_id: String,
    /// The reseller's mode.
    pub mode: Mode,
    /// Whether the reseller enabled user extension lists.
    pub extension_lists_enabled: bool,
    /// How the reseller paints the presence colours.
    pub colours: PresenceColours,
    /// The customer's default country for phone numbers (ISO alpha-2).
    pub default_country: String,
    /// Whether the customer logs calls between colleagues on CRM records.
    pub log_internal_calls: bool,
    /// What the user may administer.
    pub role: Role,
    /// Granted permissions, sorted.
    pub permissions: Vec<String>,
}

/// Most messages one mailbox holds; a full mailbox takes no more calls (they are missed).
pub const MAX_MESSAGES: u32 = 100;

/// A voicemail message to store with the write that ends its call.
#[derive(Debug, Clone)]
pub struct NewVoicemail {
    /// The mailbox owner's customer.
    pub customer_id: String,
    /// The mailbox owner.
    pub user_id: String,
    /// The message as its owner will see it.
    pub message: VoicemailMessage,
    /// The validated WAV bytes.
    pub audio: Vec<u8>,
}

/// A user's stored presence: the chosen profile and the state of its PBX application.
#[derive(Debug, Clone)]
pub struct PresenceRow {
    /// The user.
    pub user_id: String,
    /// The profile as chosen (before the licence rule).
    pub profile: ProfileId,
    /// When it was chosen.
    pub since: DateTime<Utc>,
    /// How far applying it on the PBX got.
    pub pbx_sync: PbxSync,
    /// Why the PBX is pending or failed.
    pub pbx_error: Option<String>,
    /// The PBX state the profile asks for (active mode).
    pub desired: Option<PbxUserState>,
    /// Bumped on every new desired state, so an old apply cannot confirm a newer one.
    pub desired_version: i64,
    /// Failed applies of the current desired state.
    pub sync_attempts: i64,
}

/// The kind of an internal event that is never sent as itself: it ends the live streams its user
/// opened before it (logout of one session, a new password, the user losing every client
/// permission or being deleted). Those streams send an `access_ended` event with the reason
/// instead, and end. Its data is [`EndOfAccess`] as JSON.
pub const END_OF_ACCESS: &str = "end_of_access";

/// What an end-of-access marker says: why, and whether it ends one session's streams only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EndOfAccess {
    /// Why access ended (sent to the streams it ends).
    pub reason: AccessEndReason,
    /// `Some(key)`: only the streams of that session ([`session_key`]); `None`: every stream of
    /// the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl EndOfAccess {
    /// Reads a marker's data. Markers logged before reasons existed have none: they read as the
    /// user's access ending for every session.
    pub fn parse(data: &str) -> EndOfAccess {
        serde_json::from_str(data).unwrap_or(EndOfAccess {
            reason: AccessEndReason::NotLicensed,
            session: None,
        })
    }

    /// Whether the marker ends a stream of the session with this key.
    pub fn ends(&self, session: &str) -> bool {
        self.session.as_deref().is_none_or(|s| s == session)
    }
}

/// The key naming a session in the event log: a hash of its token's hash, so the log holds
/// nothing that looks a session up.
pub fn session_key(token_hash: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(token_hash.as_bytes())[..16])
}

/// An end-of-access marker for `user_id` of `customer_id` (see [`END_OF_ACCESS`]): every session
/// of the user, or only the one with the key `session`.
pub fn end_of_access(
    customer_id: &str,
    user_id: &str,
    reason: AccessEndReason,
    session: Option<String>,
) -> NewEvent {
    NewEvent {
        customer_id: customer_id.to_owned(),
        audience: Some(user_id.to_owned()),
        kind: END_OF_ACCESS,
        data: serde_json::to_string(&EndOfAccess { reason, session }).unwrap_or_default(),
    }
}

/// A consumed SSE ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Whose it was.
    pub user_id: String,
    /// The token hash of the session it was taken for (`None` for tickets from before sessions
    /// were recorded).
    pub session_hash: Option<String>,
}

/// An event to log in the same transaction as the change it announces.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The customer whose stream carries it.
    pub customer_id: String,
    /// `None`: every subscriber of the customer; `Some(user)`: only that user's streams.
    pub audience: Option<String>,
    /// The SSE `event:` name.
    pub kind: &'static str,
    /// The SSE `data:` JSON.
    pub data: String,
}

/// An event as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its id in the customer's stream.
    pub id: i64,
    /// The `event:` name.
    pub kind: String,
    /// The `data:` JSON.
    pub data: String,
}

/// An event as logged, with its audience: what the shared tail of a customer's log caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Its id in the customer's stream.
    pub id: i64,
    /// `None`: every subscriber of the customer; `Some(user)`: only that user's streams.
    pub audience: Option<String>,
    /// The `event:` name.
    pub kind: String,
    /// The `data:` JSON.
    pub data: String,
}

/// How one attempt to apply a desired PBX state ended.
#[derive(Debug, Clone)]
pub enum SyncOutcome {
    /// The PBX holds it.
    Applied,
    /// It failed; try again at `next_attempt_ms`.
    Retry {
        /// Why, for people.
        error: String,
        /// When to try again (Unix ms).
        next_attempt_ms: i64,
    },
    /// It failed for the last time.
    Failed {
        /// Why, for people.
        error: String,
    },
    /// The PBX holds the released state of a user whose reseller left active mode: the PBX is
    /// no longer managed, so `pbx_sync` becomes `not_applicable`.
    Released,
}

/// A call with its owner.
#[derive(Debug, Clone)]
pub struct OwnedCall {
    /// The user whose call it is.
    pub user_id: String,
    /// Their customer.
    pub customer_id: String,
    /// The call.
    pub call: Call,
    /// For a call between colleagues, the id of the other side's call (the caller's outbound call
    /// or the callee's inbound call).
    pub peer: Option<String>,
    /// For an outbound call placed with `PlaceCallRequest.device`: the user's device it was placed
    /// from (the softphone, when the agent chose it; issue 17). Written when the call is inserted,
    /// never changed; not on the wire (the `Call` an inbound call answers with has `answered_on`).
    pub from_device: Option<String>,
}

/// What the embedded PBX does next to a live call when its time comes. Stored with the call
/// (`call_steps`) in the write that schedules it, by the node that plays it: if that node dies,
/// another adopts the call and plays the step from the stored time on ([`CallStore::adopt_orphans`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// DIAL is over for a dialling call: the callee's side starts ringing.
    Dial,
    /// RING is over: the simulated far side (an outside party, or a user without a panel) answers.
    Answer,
    /// TALK is over: the simulated far side hangs up a connected call.
    HangUp,
    /// The ring timeout is over for a ringing inbound call: it goes to voicemail or is missed.
    RingOut,
    /// The longest message is over for a caller leaving one (`Call::leaving_message`): the
    /// mailbox hangs up, and what was recorded is the message.
    MessageEnds,
}

/// A call's next step ([`StepKind`]), timed from `since_ms` (Unix milliseconds, when the phase
/// before it began).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStep {
    /// The call it moves.
    pub call_id: String,
    /// What happens.
    pub kind: StepKind,
    /// When the phase it ends began.
    pub since_ms: i64,
    /// The message the caller of a ringing inbound call would leave if it goes to voicemail
    /// (kept with the call while it rings, so whichever node ends it stores the caller's words).
    pub message: Option<crate::voicemail::CallerMessage>,
}

/// A stored step and the node that plays it (`None`: a store serving no node wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStep {
    /// The step.
    pub step: CallStep,
    /// Its node.
    pub node: Option<String>,
}

/// The `presence` event announcing that a user's busy overlay changes with a write of calls
/// ([`CallStore::write_calls`]), logged only if no other call of the user is connected.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The user whose overlay changes.
    pub user_id: String,
    /// The `presence` event.
    pub event: NewEvent,
}

/// An operator's change (admin command) that alters what users show or what the PBX must hold;
/// [`AdminStore::admin_change`] writes it together with its [`PresenceChange`]s and events.
#[derive(Debug, Clone)]
pub enum AdminChange {
    /// A reseller's mode and extension-list feature.
    ResellerMode {
        /// Reseller id.
        id: String,
        /// The new mode.
        mode: Mode,
        /// Whether user extension lists are enabled.
        extension_lists: bool,
    },
    /// A permission granted or revoked.
    Permission {
        /// User id.
        user_id: String,
        /// The permission.
        permission: String,
        /// Granted (true) or revoked.
        granted: bool,
    },
    /// A device added to a user.
    AddDevice {
        /// Its user.
        user_id: String,
        /// The device.
        device: Device,
    },
    /// A device removed.
    RemoveDevice {
        /// Device id.
        device_id: String,
    },
    /// A reseller's presence colours.
    ResellerColours {
        /// Reseller id.
        id: String,
        /// The new colours; `None` goes back to core's defaults.
        colours: Option<PresenceColours>,
    },
}

/// What happens to a user's PBX sync in a [`PresenceChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PbxWork {
    /// Nothing (the row's sync state stays as it is).
    Keep,
    /// The server's sync worker must recompute the desired state from the user's current profile
    /// and apply it: `pbx_sync` pending and due now, desired state cleared, version bumped.
    Reconcile,
}

/// The consequence of an operator's change for one user's stored presence.
#[derive(Debug, Clone)]
pub struct PresenceChange {
    /// The user.
    pub user_id: String,
    /// The desired version the change was computed from; if it moved meanwhile (the user changed
    /// profile), nothing is written and the caller recomputes.
    pub expected_version: i64,
    /// A new stored profile and since (the licence rule: Available when client access goes).
    pub profile: Option<(ProfileId, DateTime<Utc>)>,
    /// What the PBX sync must do.
    pub pbx: PbxWork,
    /// Overrides to replace (`Some`) or drop (`None`), each only if it is still as it was when the
    /// change was computed (else nothing is written and the caller recomputes).
    pub overrides: Vec<OverrideChange>,
}

/// One override rewritten by an operator's change.
#[derive(Debug, Clone)]
pub struct OverrideChange {
    /// The profile.
    pub profile: ProfileId,
    /// The override the change was computed from.
    pub was: ProfileSettings,
    /// Its replacement (`None`: dropped).
    pub now: Option<ProfileSettings>,
}

/// How [`AdminStore::admin_change`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminWrite {
    /// Written, with its consequences and events.
    Done,
    /// The reseller, user or device does not exist; nothing written.
    Unknown,
    /// A user's presence moved since the consequences were computed; nothing written.
    Stale,
}

/// A user as the admin commands list them.
#[derive(Debug, Clone)]
pub struct AdminUser {
    /// The user.
    pub user: User,
    /// Their customer.
    pub customer_id: String,
    /// Their role.
    pub role: Role,
    /// Their permissions.
    pub permissions: Vec<String>,
}

/// A new user for [`AdminStore::create_user`].
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Id (random unless the demo chooses a readable one).
    pub id: String,
    /// Customer.
    pub customer_id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Extension.
    pub extension: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Permissions.
    pub permissions: Vec<String>,
}

/// A CRM org registered to a customer (see `crate::orgs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrg {
    /// Id.
    pub id: String,
    /// The customer it belongs to.
    pub customer_id: String,
    /// Which CRM.
    pub crm: OrgCrm,
    /// The key unique across customers (`salesforce:<my domain>`, `dynamics:<host>`).
    pub org_key: String,
    /// Salesforce: the My Domain name; Dynamics 365: the org's origin.
    pub name: String,
    /// Salesforce: the 18-character org id.
    pub org_id: Option<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// How [`OrgStore::add_org`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOrg {
    /// Registered.
    Added,
    /// The org (its key or its org id) is registered already, to this customer or another.
    Taken,
    /// The customer has as many orgs as allowed.
    TooMany,
    /// No such customer.
    UnknownCustomer,
}

/// Accounts, sessions and SSE tickets: who signs in, which user a token or ticket stands for, and the
/// directory of a customer's users.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The user id and password hash behind a login email (of an active user only).
    async fn login_lookup(&self, email: &str) -> StoreResult<Option<(String, String)>>;
    /// Everything about a user that requests need.
    async fn account(&self, user_id: &str) -> StoreResult<Option<Account>>;
    /// Stores a session under the token's hash.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// The user of a live session, while that user is active.
    async fn session_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>>;
    /// Ends a session at once, logging an end of access for its open streams in the same
    /// commit; the customer whose log got the marker, if the session existed.
    async fn revoke_session(&self, token_hash: &str) -> StoreResult<Option<String>>;
    /// When a session's token expires (milliseconds since the epoch), if the session exists.
    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<i64>>;
    /// A user's devices in their natural order.
    async fn devices(&self, user_id: &str) -> StoreResult<Vec<Device>>;
    /// Users of a customer (with permissions), optionally matching `q` on name, email or extension.
    async fn customer_users(
        &self,
        customer_id: &str,
        q: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(User, Vec<String>)>>;
    /// A user of this customer by id (`None` for another customer's user: tenants never mix).
    async fn customer_user(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<(User, Vec<String>)>>;
    /// A user of this customer by extension.
    async fn user_by_extension(
        &self,
        customer_id: &str,
        extension: &str,
    ) -> StoreResult<Option<User>>;
    /// Stores a one-use SSE ticket under its hash, for the session with `session_hash`.
    async fn create_ticket(
        &self,
        ticket_hash: &str,
        user_id: &str,
        session_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// Consumes a ticket: its user and session if it existed and had not expired.
    async fn take_ticket(&self, ticket_hash: &str, now_ms: i64) -> StoreResult<Option<Ticket>>;
}

/// Rate-limit windows and failure counters, kept in the store so that they hold across processes.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Counts one hit in the key's window of `window_ms`, which opens at the first hit after the
    /// previous window closed: (hits in this window including this one, the window's start).
    async fn hit_rate_limit(
        &self,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> StoreResult<(i64, i64)>;
    /// The key's (hits, window start) as [`LimitStore::hit_rate_limit`] left them, without counting one.
    async fn peek_rate_limit(&self, key: &str) -> StoreResult<Option<(i64, i64)>>;
    /// Counts one more failure under `key`, stamped `now_ms` (the row's window start becomes the
    /// time of the last failure); failures older than `forget_ms` before this one are forgotten
    /// first. Returns the failures counted, this one included. For growing-delay throttles.
    async fn note_failure(&self, key: &str, forget_ms: i64, now_ms: i64) -> StoreResult<i64>;
    /// Forgets a key's hits.
    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()>;
}

/// Users' stored presence (profile chosen, its PBX sync state) and their routing overrides.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// The stored presence of users (missing users are left out).
    async fn presence_rows(&self, user_ids: &[String]) -> StoreResult<Vec<PresenceRow>>;
    /// Users of the customer who are on a call now.
    async fn users_on_call(&self, customer_id: &str) -> StoreResult<HashSet<String>>;
    /// Stores a new profile choice with its desired PBX state (bumping the version), and logs events.
    async fn set_presence(
        &self,
        user_id: &str,
        profile: ProfileId,
        since: DateTime<Utc>,
        sync: PbxSync,
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<i64>;
    /// The user's overrides by profile.
    async fn overrides(&self, user_id: &str) -> StoreResult<HashMap<ProfileId, ProfileSettings>>;
    /// Stores or clears one override; with `desired`, also a new desired PBX state (pending,
    /// version bumped). Logs events. Returns the desired version, or `None` (nothing written)
    /// when the user's device ids are no longer `devices`, those it was validated against (an
    /// operator added or removed one meanwhile): the caller validates again.
    async fn set_override(
        &self,
        user_id: &str,
        profile: ProfileId,
        settings: Option<&ProfileSettings>,
        devices: &[String],
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<Option<i64>>;

    // --- presence-server: the customer's CRM presence map (issue 14) ---

    /// The customer's map between the CRMs' agent statuses and profiles: the one stored, or
    /// core's default when the customer set none.
    async fn crm_presence(
        &self,
        customer_id: &str,
    ) -> StoreResult<ucclient_core::crm_presence::CrmPresenceMap>;
    /// Replaces the customer's map (`None`: back to core's default); false if there is no such
    /// customer. Checked and trimmed by the caller (`CrmPresenceMap::check`, `trimmed`).
    async fn set_crm_presence(
        &self,
        customer_id: &str,
        map: Option<&ucclient_core::crm_presence::CrmPresenceMap>,
    ) -> StoreResult<bool>;
}

/// PBX work: the sync worker's desired states and attempts, the embedded PBX's own tables and the
/// hunt groups it rings.
#[async_trait]
pub trait PbxStore: Send + Sync {
    /// Records the outcome of applying desired state `version`; does nothing (false) when a newer
    /// desired state replaced it meanwhile. Events are logged only when it applied.
    async fn record_sync(
        &self,
        user_id: &str,
        version: i64,
        outcome: &SyncOutcome,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
    /// Makes every pending apply due now (start-up reconciliation: whatever the last process left
    /// pending is tried at once).
    async fn make_pending_due(&self, now_ms: i64) -> StoreResult<u64>;
    /// Users whose desired PBX state is pending and due for an attempt.
    async fn due_syncs(&self, now_ms: i64) -> StoreResult<Vec<String>>;
    /// Stores the desired state the sync worker computed for a pending reconcile (desired state
    /// cleared by [`PbxWork::Reconcile`]) of version `version`; false if a newer one replaced it.
    async fn set_desired(
        &self,
        user_id: &str,
        version: i64,
        desired: &PbxUserState,
    ) -> StoreResult<bool>;
    /// What the embedded PBX holds for a user.
    async fn pbx_state(&self, user_id: &str) -> StoreResult<Option<PbxUserState>>;
    /// Replaces what the embedded PBX holds for a user.
    async fn put_pbx_state(&self, user_id: &str, state: &PbxUserState) -> StoreResult<()>;
    /// A customer's hunt groups.
    async fn groups(&self, customer_id: &str) -> StoreResult<Vec<HuntGroup>>;
    /// Takes (or renews) the claim to apply the user's PBX state for `holder` (a node) until
    /// `until_ms`: true when the claim was free, had lapsed by `now_ms`, or was already the
    /// holder's; false when another node holds it (that node hands over when it releases).
    async fn claim_apply(
        &self,
        user_id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<bool>;
    /// Releases the holder's claim after the outcome of applying `version` was recorded, and makes
    /// a newer desired state written meanwhile (whose own apply could not take the claim) due at
    /// `now_ms`, so a node applies it at once.
    async fn release_apply(
        &self,
        user_id: &str,
        holder: &str,
        version: i64,
        now_ms: i64,
    ) -> StoreResult<()>;
}

/// The durable per-customer event log the live streams are fed from.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Logs events alone.
    async fn append_events(&self, events: &[NewEvent]) -> StoreResult<()>;
    /// Events of the customer after `after` that `user_id` may see, oldest first.
    async fn events_after(
        &self,
        customer_id: &str,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Every event of the customer after `after` (whatever its audience), oldest first, at most
    /// `limit`; and the id the customer's log was pruned through, read after them (so when it is
    /// not past `after`, nothing after `after` was missing).
    async fn log_after(
        &self,
        customer_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<(Vec<LoggedEvent>, i64)>;
    /// The newest event id of the customer's stream (0 when empty) and the id it was pruned through.
    async fn stream_bounds(&self, customer_id: &str) -> StoreResult<(i64, i64)>;
    /// Drops events older than `older_than_ms`, and beyond the newest `keep` of each customer.
    async fn prune_events(&self, older_than_ms: i64, keep: i64) -> StoreResult<u64>;
}

/// Calls (their transitions, claims and history, missed calls), voicemail and after-call work.
#[async_trait]
pub trait CallStore: Send + Sync {
    /// Replaces calls (with their peer links) if each one's state is still the state given with
    /// it, and inserts new ones, logging events — all or nothing: false, and nothing written, when
    /// any call had moved on (so racing transitions cannot go backwards, and the two sides of a
    /// call between colleagues always move together). Each of `overlays` announces that its
    /// user's busy overlay changes with this write's calls; it is logged too unless another call
    /// of that user (one this write does not touch) is connected, which is checked inside the same
    /// transaction.
    ///
    /// Each of `messages` is stored with it (a call that went to voicemail), and a `voicemail`
    /// event with its owner's new unheard count is logged for it, counted inside the same
    /// transaction; a mailbox already holding [`MAX_MESSAGES`] keeps what it has (the message is
    /// dropped, logged as a warning).
    ///
    /// A call whose state changes loses its stored step; each of `steps` is then stored (replacing
    /// the call's step), stamped with this store's node, which plays it.
    async fn write_calls(
        &self,
        updates: &[(OwnedCall, CallState)],
        inserts: &[OwnedCall],
        events: &[NewEvent],
        overlays: &[Overlay],
        messages: &[NewVoicemail],
        steps: &[CallStep],
    ) -> StoreResult<bool>;
    /// The next step of the call `call_id`, if one is stored.
    async fn call_step(&self, call_id: &str) -> StoreResult<Option<StoredStep>>;
    /// One call with its owner.
    async fn call(&self, call_id: &str) -> StoreResult<Option<OwnedCall>>;
    /// Whether the user's mailbox is on, and how many messages it holds.
    async fn mailbox_state(&self, user_id: &str) -> StoreResult<(bool, u32)>;
    /// Turns the user's mailbox on or off.
    async fn set_mailbox(&self, user_id: &str, enabled: bool) -> StoreResult<()>;
    /// The user's messages (of their customer only), newest first, and the unheard count.
    async fn voicemails(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<(u32, Vec<VoicemailMessage>)>;
    /// The WAV bytes of the user's message `id`; `None` if it is not theirs or does not exist.
    async fn voicemail_audio(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Marks the user's message heard, logging a `voicemail` event for the owner in the same
    /// transaction when it was not heard yet; the message, or `None` if it is not theirs.
    async fn mark_voicemail_heard(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<VoicemailMessage>>;
    /// Deletes the user's message with a `voicemail` event for the owner; false if it is not
    /// theirs or does not exist.
    async fn delete_voicemail(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<bool>;
    /// Claims `kind` of the call `call_id` for the page `client`, if the call is `user_id`'s:
    /// `None` when it is not (or does not exist); else whether this page holds the claim (the
    /// first claim wins and stays; a page repeating its own claim is granted again).
    async fn claim_call(
        &self,
        user_id: &str,
        call_id: &str,
        kind: &str,
        client: &str,
    ) -> StoreResult<Option<bool>>;
    /// A user's calls, newest first.
    async fn calls_of(&self, user_id: &str, limit: i64) -> StoreResult<Vec<Call>>;
    /// Calls not yet over (optionally only one user's).
    async fn live_calls(&self, user_id: Option<&str>) -> StoreResult<Vec<OwnedCall>>;
    /// How many of the user's voicemail messages are not heard yet (the snapshot's count).
    async fn unheard_voicemails(&self, user_id: &str) -> StoreResult<u32>;
    /// The customer's wrap-up settings, core's defaults where it set none.
    async fn wrap_up_settings(&self, customer_id: &str) -> StoreResult<WrapUpSettings>;
    /// Sets the customer's dispositions (`None`: back to core's defaults); false if no such
    /// customer. Validated by the caller (`core::wrapup::check_dispositions`).
    async fn set_dispositions(
        &self,
        customer_id: &str,
        dispositions: Option<&[Disposition]>,
    ) -> StoreResult<bool>;
    /// Sets the customer's wrap-up time limit (`None`: back to the default); false if no such
    /// customer. Validated by the caller (`core::wrapup::check_seconds`).
    async fn set_wrap_up_seconds(
        &self,
        customer_id: &str,
        seconds: Option<u32>,
    ) -> StoreResult<bool>;
    /// Writes the wrap-up and CRM record of `owned.call` with its events, only while the call is
    /// over and still its owner's; false, with nothing written, otherwise.
    async fn set_after_call_work(
        &self,
        owned: &OwnedCall,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
    /// How many of the user's inbound calls ended `missed` since they last saw them (at most
    /// [`crate::calls::MAX_HISTORY`]).
    async fn missed_calls(&self, user_id: &str) -> StoreResult<u32>;
    /// Marks every missed call of the user so far as seen, and logs a `missed` event with the
    /// count 0 to their streams (so every tab of theirs clears it), in one transaction.
    async fn mark_missed_seen(&self, customer_id: &str, user_id: &str) -> StoreResult<()>;
    /// Every call (live or over) whose peer link names `peer_id`: the other side of a call
    /// between colleagues, or every member's leg of a hunt-group call.
    async fn calls_with_peer(&self, peer_id: &str) -> StoreResult<Vec<OwnedCall>>;
    /// Records that node `node` is alive at `now_ms` (its heartbeat), and forgets nodes not seen
    /// since `forget_before_ms`.
    async fn node_alive(&self, node: &str, now_ms: i64, forget_before_ms: i64) -> StoreResult<()>;
    /// Forgets node `node` (it stopped): its live calls are orphans from now on.
    async fn node_gone(&self, node: &str) -> StoreResult<()>;
    /// Live calls whose node is not alive (played by no node, or by one not seen since
    /// `stale_before_ms`: stopped or killed), or whose stored step's node is not, taken over by
    /// this store's node, oldest first, each with its step when this node took that (a step is
    /// played by its node only). Each call and each step goes to exactly one adopter, however many
    /// nodes sweep at once; a store serving no node adopts nothing.
    async fn adopt_orphans(
        &self,
        stale_before_ms: i64,
    ) -> StoreResult<Vec<(OwnedCall, Option<CallStep>)>>;
}

/// Administration: resellers, customers, users, devices and hunt groups (the CLI and the
/// administration API), operators' changes with live consequences, and the audit log.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates a reseller.
    async fn create_reseller(
        &self,
        id: &str,
        name: &str,
        mode: Mode,
        extension_lists: bool,
    ) -> StoreResult<()>;
    /// Lists resellers: (id, name, mode, extension lists).
    async fn list_resellers(&self) -> StoreResult<Vec<(String, String, Mode, bool)>>;
    /// Creates a customer.
    async fn create_customer(
        &self,
        id: &str,
        reseller_id: &str,
        name: &str,
        country: &str,
    ) -> StoreResult<()>;
    /// Lists customers: (id, reseller, name, country).
    async fn list_customers(&self) -> StoreResult<Vec<(String, String, String, String)>>;
    /// Turns the logging of calls between colleagues on CRM records on or off; false if unknown.
    async fn set_log_internal_calls(&self, customer_id: &str, on: bool) -> StoreResult<bool>;
    /// Creates a user with an Available presence.
    async fn create_user(&self, user: &NewUser) -> StoreResult<()>;
    /// Lists users, optionally of one customer.
    async fn list_users(&self, customer_id: Option<&str>) -> StoreResult<Vec<AdminUser>>;
    /// Replaces a password hash and ends the user's sessions; false if unknown.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<bool>;
    /// Sets a role; false if unknown.
    async fn set_role(&self, user_id: &str, role: Role) -> StoreResult<bool>;
    /// Deletes a user; false if unknown.
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool>;
    /// Adds a device at the end of the user's list.
    async fn add_device(&self, user_id: &str, device: &Device) -> StoreResult<()>;
    /// Creates or replaces a hunt group with its members in order.
    async fn put_group(
        &self,
        customer_id: &str,
        id: &str,
        name: &str,
        members: &[GroupMember],
    ) -> StoreResult<()>;
    /// Deletes a hunt group; false if unknown.
    async fn delete_group(&self, id: &str) -> StoreResult<bool>;
    /// The users of every customer of a reseller (`None`: no such reseller).
    async fn reseller_user_ids(&self, reseller_id: &str) -> StoreResult<Option<Vec<String>>>;
    /// A reseller's presence colours and the ids of its customers (`None`: no such reseller).
    async fn reseller_colours(
        &self,
        reseller_id: &str,
    ) -> StoreResult<Option<(PresenceColours, Vec<String>)>>;
    /// The user a device belongs to.
    async fn device_owner(&self, device_id: &str) -> StoreResult<Option<String>>;
    /// Makes an operator's change, the presence consequences computed for it and the events that
    /// announce them, in one transaction; nothing if a consequence is stale or the target unknown.
    async fn admin_change(
        &self,
        change: &AdminChange,
        consequences: &[PresenceChange],
        events: &[NewEvent],
    ) -> StoreResult<AdminWrite>;
    /// Gives a customer's hunt group an extension (`None`: not dialable) and its voicemail
    /// setting; false if the group is unknown. An extension a user of the customer has, or
    /// another group's, is refused (an error).
    async fn set_group_dialling(
        &self,
        customer_id: &str,
        group_id: &str,
        extension: Option<&str>,
        voicemail: bool,
    ) -> StoreResult<bool>;
    /// Appends an audit row; its id.
    async fn append_audit(&self, entry: &NewAudit) -> StoreResult<i64>;
    /// The audit rows of a customer or a reseller, newest first, with ids below `before` when
    /// given, at most `limit`.
    async fn audit(
        &self,
        scope: &AuditScope,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<ucclient_core::api::AuditEntry>>;
    /// The users of a customer as its administrators see them, by name (only `user_id` when
    /// given: `None`/empty for another customer's user, tenants never mix).
    async fn managed_users(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<ManagedUser>>;
    /// Renames a user of the customer; false if there is no such user of it.
    async fn set_user_name(
        &self,
        customer_id: &str,
        user_id: &str,
        name: &str,
    ) -> StoreResult<bool>;
    /// Activates or deactivates a user of the customer; deactivating deletes their sessions and
    /// tickets and ends their live streams (`user_deleted`) in the same transaction. False if
    /// there is no such user of it.
    async fn set_user_active(
        &self,
        customer_id: &str,
        user_id: &str,
        active: bool,
    ) -> StoreResult<bool>;
    /// Whether a login email is any user's (case-insensitive).
    async fn email_taken(&self, email: &str) -> StoreResult<bool>;
    /// Whether an extension of the customer is a user's or a hunt group's (other than the group
    /// `except_group`).
    async fn extension_taken(
        &self,
        customer_id: &str,
        extension: &str,
        except_group: Option<&str>,
    ) -> StoreResult<bool>;
    /// A reseller with its customers and their user counts (`None`: no such reseller).
    async fn reseller_info(&self, reseller_id: &str) -> StoreResult<Option<ResellerInfo>>;
}

/// The CRM orgs registered to customers (which orgs may embed the widget).
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// The customer the org of this key is registered to.
    async fn org_owner(&self, org_key: &str) -> StoreResult<Option<String>>;
    /// The orgs of one customer (or of all), oldest first.
    async fn orgs(&self, customer_id: Option<&str>) -> StoreResult<Vec<StoredOrg>>;
    /// Registers an org unless it is taken or the customer already has `max_per_customer`.
    async fn add_org(&self, org: &StoredOrg, max_per_customer: usize) -> StoreResult<AddOrg>;
    /// Removes an org (only if it is `customer_id`'s, when given); its key if it existed.
    async fn remove_org(&self, customer_id: Option<&str>, id: &str) -> StoreResult<Option<String>>;
}

/// Single sign-on: a customer's identity provider settings, key pair, sign-in attempts and the users
/// it creates.
#[async_trait]
pub trait SsoStore: Send + Sync {
    /// A customer's identity provider settings, with the customer's name.
    async fn sso_settings(&self, customer_id: &str) -> StoreResult<Option<StoredSso>>;
    /// Creates or replaces a customer's settings and allowed domains (`secret`: `None` keeps the
    /// stored client secret, `Some(None)` clears it); nothing if a domain is another customer's.
    async fn put_sso_settings(
        &self,
        settings: &StoredSso,
        secret: Option<&Option<String>>,
    ) -> StoreResult<PutSso>;
    /// The customer that claimed an email domain.
    async fn sso_customer_by_domain(&self, domain: &str) -> StoreResult<Option<String>>;
    /// Stores a sign-in attempt, pruning expired ones.
    async fn create_sso_attempt(&self, attempt: &SsoAttempt, now_ms: i64) -> StoreResult<()>;
    /// Takes (deletes) an attempt by its state's hash: `None` if unknown, taken or expired.
    async fn take_sso_attempt(
        &self,
        state_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SsoAttempt>>;
    /// The user of a customer with this email.
    async fn sso_user(&self, customer_id: &str, email: &str) -> StoreResult<Option<String>>;
    /// Creates a user of a customer at first single sign-on: role `user`, no permission, no
    /// password, the next free numeric extension; their id.
    async fn create_sso_user(
        &self,
        customer_id: &str,
        name: &str,
        email: &str,
    ) -> StoreResult<String>;
    /// The customer's `private_key_jwt` key pair, if it has one.
    async fn sso_key(&self, customer_id: &str) -> StoreResult<Option<SsoKey>>;
    /// Sets (replaces: rotation) the customer's `private_key_jwt` key pair.
    async fn set_sso_key(&self, customer_id: &str, key: &SsoKey) -> StoreResult<()>;
}

/// Salesforce Voice: a customer's settings and key pair, and the VoiceCall ids of calls.
#[async_trait]
pub trait VoiceStore: Send + Sync {
    /// The customer's Salesforce Voice settings, if set.
    async fn voice_settings(&self, customer_id: &str) -> StoreResult<Option<VoiceSettings>>;
    /// Sets (replaces) the customer's Salesforce Voice settings; false if there is no such customer.
    async fn set_voice_settings(&self, settings: &VoiceSettings, now_ms: i64) -> StoreResult<bool>;
    /// Removes the customer's settings (and so turns VoiceCall creation off); false if none.
    async fn clear_voice_settings(&self, customer_id: &str) -> StoreResult<bool>;
    /// The customer's key pair, if made.
    async fn voice_key(&self, customer_id: &str) -> StoreResult<Option<VoiceKey>>;
    /// Stores the customer's key pair, replacing an older one only when `replace`; false if there
    /// is no such customer, or a pair exists and `replace` is false.
    async fn set_voice_key(
        &self,
        customer_id: &str,
        key: &VoiceKey,
        replace: bool,
    ) -> StoreResult<bool>;
    /// Records the Salesforce VoiceCall id created for a call.
    async fn set_voice_call_id(
        &self,
        call_id: &str,
        customer_id: &str,
        voice_call_id: &str,
        now_ms: i64,
    ) -> StoreResult<()>;
    /// The Salesforce VoiceCall id of a call, if one was created.
    async fn voice_call_id(&self, call_id: &str) -> StoreResult<Option<String>>;
    /// Claims the one end-of-call update of a call's VoiceCall: its id the first time (the
    /// caller sends the update), `None` when there is no VoiceCall or it was claimed already.
    async fn claim_voice_call_end(&self, call_id: &str) -> StoreResult<Option<String>>;
}

/// An answer stored under an `Idempotency-Key`, replayed to a retry of the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type` header, if it had one.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// What a claim of an `Idempotency-Key` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is this request's now: process it, then store its answer or release the key.
    Claimed {
        /// When it was claimed (what storing and releasing name it by).
        claimed_ms: i64,
    },
    /// The key is live already (claimed and not expired).
    Taken {
        /// The fingerprint of the request it was claimed for.
        fingerprint: String,
        /// Its answer; `None` while that request is still being processed.
        answer: Option<IdempotentAnswer>,
    },
}

/// The answers of writes sent with an `Idempotency-Key` (`crate::idempotency`), per session.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` of `scope` for a request with `fingerprint`, atomically: a new key (or one
    /// expired at `now_ms`, or an unanswered claim of the same fingerprint older than
    /// `abandoned_before_ms`, whose process died) becomes this request's until `expires_ms`;
    /// a live one is returned as it is.
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
        abandoned_before_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<IdempotencyClaim>;
    /// The live (not expired at `now_ms`) entry of `key`, as a claim that lost would see it.
    async fn idempotency_entry(
        &self,
        scope: &str,
        key: &str,
        now_ms: i64,
    ) -> StoreResult<Option<IdempotencyClaim>>;
    /// Stores the answer of the claim made at `claimed_ms`.
    async fn store_idempotent_answer(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()>;
    /// Drops the unanswered claim made at `claimed_ms` (its answer is not kept: a retry is
    /// processed again).
    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
    ) -> StoreResult<()>;
    /// Drops at most `limit` keys expired at `now_ms`; how many.
    async fn prune_idempotency_keys(&self, now_ms: i64, limit: i64) -> StoreResult<u64>;
}

// --- soft-server: the softphone registration (issue 17) ---

/// The SSE `event:` name of a softphone registration's end ([`softphone_event`]).
pub const SOFTPHONE_EVENT: &str = "softphone";

/// A user's softphone registration as stored: the panel that is their softphone device now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    /// The registration's id (what the panel names it by).
    pub id: String,
    /// Whose it is.
    pub user_id: String,
    /// Their customer (whose log carries the registration's events).
    pub customer_id: String,
    /// The user's device of kind `softphone` the panel is.
    pub device_id: String,
    /// When it expires unless kept alive (Unix milliseconds).
    pub expires_ms: i64,
}

/// The `softphone` event announcing that `reg` ended `state` (replaced, expired, ended), to its
/// user's own streams only, like `call` events.
pub fn softphone_event(
    reg: &StoredRegistration,
    state: ucclient_core::api::SoftphoneState,
) -> NewEvent {
    NewEvent {
        customer_id: reg.customer_id.clone(),
        audience: Some(reg.user_id.clone()),
        kind: SOFTPHONE_EVENT,
        data: serde_json::to_string(&ucclient_core::api::SoftphoneEvent {
            registration: reg.id.clone(),
            state,
        })
        .unwrap_or_default(),
    }
}

/// Softphone registrations (issue 17): one per user, so that one holds across every node sharing
/// the database. Every end of a registration (replaced, ended, expired) is logged once, as a
/// [`softphone_event`], in the transaction that ends it.
#[async_trait]
pub trait SoftphoneStore: Send + Sync {
    /// Makes `reg` its user's registration, replacing the one they had, in one transaction that
    /// also logs the replaced one's end (`replaced`; `expired` when it had expired by `now_ms`
    /// without being swept yet). The replaced registration, if there was one.
    async fn register_softphone(
        &self,
        reg: &StoredRegistration,
        now_ms: i64,
    ) -> StoreResult<Option<StoredRegistration>>;
    /// Moves the expiry of the user's registration `id` to `expires_ms`, if it is still theirs and
    /// not expired at `now_ms`; false (nothing written) otherwise.
    async fn keep_softphone_alive(
        &self,
        user_id: &str,
        id: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<bool>;
    /// Ends the user's registration `id` if it is still theirs and not expired at `now_ms`,
    /// logging its end (`ended`) in the same transaction; false (nothing written) otherwise.
    async fn end_softphone(&self, user_id: &str, id: &str, now_ms: i64) -> StoreResult<bool>;
    /// The user's registration, unless it expired by `now_ms`.
    async fn softphone_registration(
        &self,
        user_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<StoredRegistration>>;
    /// Deletes at most `limit` registrations expired by `now_ms`, logging each one's end
    /// (`expired`) in the transaction that deletes it; those it deleted. However many nodes sweep
    /// at once, each registration is deleted, and its end logged, once.
    async fn expire_softphones(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredRegistration>>;
}

/// The operations the backend needs from a database, each one transaction: the union of the
/// concern traits above, implemented for every type that implements them all. Callers hold an
/// `Arc<dyn Store>` and call any method through it; an engine (SQLite here, PostgreSQL next)
/// implements the concern traits, one file each. Code calling a concrete engine imports
/// [`prelude`].
pub trait Store:
    AccountStore
    + LimitStore
    + PresenceStore
    + PbxStore
    + EventStore
    + CallStore
    + AdminStore
    + OrgStore
    + SsoStore
    + VoiceStore
    + IdempotencyStore
    + SoftphoneStore
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + LimitStore
        + PresenceStore
        + PbxStore
        + EventStore
        + CallStore
        + AdminStore
        + OrgStore
        + SsoStore
        + VoiceStore
        + IdempotencyStore
        + SoftphoneStore
        + 'static
{
}

/// The store's traits, for code that calls methods on a concrete engine (`SqliteStore`) rather
/// than through `dyn Store`.
pub mod prelude {
    pub use super::{
        AccountStore, AdminStore, CallStore, EventStore, IdempotencyStore, LimitStore, OrgStore,
        PbxStore, PresenceStore, SoftphoneStore, SsoStore, Store, VoiceStore,
    };
}
