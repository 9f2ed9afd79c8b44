//! The client store: everything the widget knows, and the pure transitions that change it.
//!
//! REST answers and live events both go through the functions here, so the rules "a snapshot
//! replaces, deltas apply in id order, nothing is applied twice" live in one place and are tested
//! natively. This module does no I/O and knows nothing of Leptos.

use ucclient_core::api::{
    Call, CallDirection, CallState, DirectoryEntry, Event, GroupEntry, Mailbox, Me, Presence,
    PresenceUpdate, Profile, User, VoicemailEvent, VoicemailMessage,
};
use ucclient_core::phone::{DialError, DialTarget, dial_target, format_for_reading};
use ucclient_core::time::Timestamp;
use ucclient_core::wrapup;

/// Most calls kept in the history list.
pub const MAX_HISTORY: usize = 50;
/// Most colleagues kept (the API answers at most 200 rows).
pub const MAX_DIRECTORY: usize = 200;

/// How long the card of a call that ended stays as its summary ("Call ended · 0:23"), in
/// milliseconds: long enough to read, short enough not to stand in the way of the next call.
pub const SUMMARY_MS: u64 = 4_000;

/// The state of the live connection, as the agent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    /// Not connected yet, or signed out.
    #[default]
    Connecting,
    /// Events are flowing.
    Live,
    /// The stream dropped; retrying.
    Reconnecting,
    /// Several attempts failed in a row; still retrying, less often.
    Offline,
}

impl Connection {
    /// The lowercase name, as the `data-state` of the connection indicator.
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Live => "live",
            Connection::Reconnecting => "reconnecting",
            Connection::Offline => "offline",
        }
    }
}

/// Everything the widget knows about the signed-in agent and their colleagues.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientState {
    /// `GET /me`, once loaded.
    pub me: Option<Me>,
    /// The eleven profiles with this agent's settings (`GET /profiles`, `profile` events).
    pub profiles: Vec<Profile>,
    /// Colleagues (the agent included) from `GET /directory`, as the last search found them.
    pub colleagues: Vec<User>,
    /// Every colleague of the whole directory (its last unfiltered load): whose an extension is,
    /// for the dial preview and for naming calls, whatever the directory tab searched since.
    pub everyone: Vec<User>,
    /// Everyone's presence by user id, from the directory, snapshots and `presence` events.
    pub presence: PresenceById,
    /// The agent's calls that are not over yet.
    pub live_calls: Vec<Call>,
    /// Finished calls, newest first.
    pub history: Vec<Call>,
    /// Ids of calls that ended while on a card: the card stays as a summary of the call ("Call
    /// ended · 0:23", "Missed") until the widget forgets it ([`ClientState::forget_ended`]).
    pub just_ended: Vec<String>,
    /// The id of the last live event applied; sent as `last_event_id` on reconnection.
    pub last_event_id: Option<u64>,
    /// The live connection's state.
    pub connection: Connection,
    /// The agent's voicemail messages, newest first (`GET /voicemail`, `voicemail` events).
    pub voicemail: Vec<VoicemailMessage>,
    /// How many of them are not heard yet: the message-waiting count (the backend's figure, from
    /// the mailbox, each `voicemail` event and each snapshot).
    pub voicemail_unheard: u32,
    /// The agent's missed calls not seen yet (`GET /calls/missed`, `missed` events): the count on
    /// the History tab.
    pub missed: u32,
    /// The customer's dialable hunt groups (`GET /directory/groups`): their extensions dial like
    /// a colleague's.
    pub groups: Vec<GroupEntry>,
}

/// What applying an event changed that the UI must react to beyond re-rendering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// Whether the event was applied at all (false: a duplicate or an older delta).
    pub applied: bool,
    /// Calls whose state changed (after the change), for announcements, screen pops and logging.
    pub calls_changed: Vec<Call>,
}

impl ClientState {
    /// The signed-in agent's id.
    pub fn my_id(&self) -> Option<&str> {
        self.me.as_ref().map(|m| m.user.id.as_str())
    }

    /// Whether a finished call goes to the host's CRM log (core's `Call::is_logged_on_crm`):
    /// calls between colleagues only when the customer logs them; before `/me` is known, none of
    /// them.
    pub fn logs_on_crm(&self, call: &Call) -> bool {
        self.me
            .as_ref()
            .map_or(!call.internal, |me| call.is_logged_on_crm(&me.customer))
    }

    /// The agent's own presence: the live one when known, else the one `/me` gave.
    pub fn my_presence(&self) -> Option<&Presence> {
        let me = self.me.as_ref()?;
        self.presence.get(&me.user.id).or(Some(&me.presence))
    }

    /// Stores `/me`, keeping the newest presence.
    pub fn set_me(&mut self, me: Me) {
        if self.presence.get(&me.user.id).is_none() {
            self.presence
                .insert(me.user.id.clone(), me.presence.clone());
        }
        self.me = Some(me);
    }

    /// Stores the whole directory (an unfiltered load): the colleagues shown and [`Self::everyone`].
    pub fn set_directory(&mut self, rows: Vec<DirectoryEntry>) {
        self.set_search_result(rows);
        self.everyone = self.colleagues.clone();
    }

    /// Stores the colleagues a search found; presence already known from events is newer and wins
    /// only when it is at least as recent (`since`) as the directory's.
    pub fn set_search_result(&mut self, rows: Vec<DirectoryEntry>) {
        self.colleagues.clear();
        for row in rows.into_iter().take(MAX_DIRECTORY) {
            merge_presence(&mut self.presence, row.user.id.clone(), row.presence);
            self.colleagues.push(row.user);
        }
    }

    /// Whose extension `ext` is, by name: a colleague's or a hunt group's.
    pub fn extension_name(&self, ext: &str) -> Option<&str> {
        self.colleague(ext).map(|u| u.name.as_str()).or_else(|| {
            self.groups
                .iter()
                .find(|g| g.extension == ext)
                .map(|g| g.name.as_str())
        })
    }

    /// The colleague whose extension `ext` is, if the directory has them.
    pub fn colleague(&self, ext: &str) -> Option<&User> {
        self.everyone.iter().find(|u| u.extension == ext)
    }

    /// The customer's default country of phone numbers (from `/me`; empty before it).
    pub fn country(&self) -> &str {
        self.me.as_ref().map_or("", |m| m.customer.country.as_str())
    }

    /// What dialling `input` does: core's `dial_target` with the customer's country and the
    /// directory's extensions, as the server decides it for `POST /calls`.
    pub fn dial_target(&self, input: &str) -> Result<DialTarget, DialError> {
        dial_target(input, self.country(), |e| self.extension_name(e).is_some())
    }

    /// Whether a call is in progress (dialling, ringing or connected): one at a time.
    pub fn on_a_call(&self) -> bool {
        !self.live_calls.is_empty()
    }

    /// Who the other party of `call` is, as the agent reads it: the CRM record's name when the
    /// host passed one, else the colleague with that extension, else the number formatted for
    /// reading (`+351 912 345 678`).
    pub fn party_name(&self, call: &Call) -> String {
        if let Some(name) = record_name(call) {
            return name.to_owned();
        }
        let number = match call.direction {
            CallDirection::Outbound => &call.to,
            CallDirection::Inbound => &call.from,
        };
        self.name_of(number)
    }

    /// The live consultation leg about the agent's call `call_id` (a warm transfer under way).
    pub fn consultation_of(&self, call_id: &str) -> Option<&Call> {
        self.live_calls
            .iter()
            .find(|c| c.consult_of.as_deref() == Some(call_id))
    }

    /// Who an extension or number is, as the agent reads it: the colleague's name, else the
    /// number formatted for reading.
    pub fn name_of(&self, number: &str) -> String {
        self.extension_name(number)
            .map_or_else(|| format_for_reading(number), str::to_owned)
    }

    /// The calls whose wrap-up card is open at `now` (milliseconds since the epoch): over, logged
    /// on the CRM, awaiting the agent's wrap-up (core's [`wrapup::awaits_wrap_up`]) and not past
    /// the customer's time limit. None from a backend without after-call work.
    pub fn open_wrap_ups(&self, now_ms: i64) -> Vec<&Call> {
        self.awaiting_wrap_up(now_ms, false).collect()
    }

    /// The calls awaiting a wrap-up whose time ran out by `now` (milliseconds since the epoch):
    /// what the agent typed for them is saved as it is.
    pub fn expired_wrap_ups(&self, now_ms: i64) -> Vec<Call> {
        self.awaiting_wrap_up(now_ms, true).cloned().collect()
    }

    /// The calls awaiting a wrap-up whose time limit has (`expired`) or has not passed at `now`.
    fn awaiting_wrap_up(&self, now_ms: i64, expired: bool) -> impl Iterator<Item = &Call> {
        let seconds = self
            .me
            .as_ref()
            .and_then(|m| m.wrap_up.as_ref())
            .map(|w| w.seconds);
        self.history.iter().filter(move |c| {
            let Some(seconds) = seconds else {
                return false;
            };
            wrapup::awaits_wrap_up(c)
                && self.logs_on_crm(c)
                && wrapup::wrap_up_deadline(c, seconds)
                    .is_some_and(|d| (d.as_millis() <= now_ms) == expired)
        })
    }

    /// Forgets the summary of an ended call (its card goes).
    pub fn forget_ended(&mut self, id: &str) {
        self.just_ended.retain(|c| c != id);
    }

    /// Stores the profile list.
    pub fn set_profiles(&mut self, profiles: Vec<Profile>) {
        self.profiles = profiles;
    }

    /// Stores one profile (answer of a settings change).
    pub fn upsert_profile(&mut self, profile: Profile) {
        match self.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(p) => *p = profile,
            None => self.profiles.push(profile),
        }
    }

    /// Stores the agent's own presence (answer of `PUT /me/presence`).
    pub fn set_my_presence(&mut self, presence: Presence) {
        if let Some(id) = self.my_id().map(str::to_owned) {
            self.presence.insert(id, presence);
        }
    }

    /// Stores the call history (`GET /calls`); live ones go to `live_calls`.
    pub fn set_history(&mut self, calls: Vec<Call>) {
        for call in calls {
            self.upsert_call(call);
        }
    }

    /// Stores a call the agent just placed or hung up (REST answers); events may have been faster,
    /// so a call never moves backwards. Hold and resume move no state: a connected call that
    /// comes back connected is taken when its hold changed.
    pub fn upsert_call(&mut self, call: Call) -> bool {
        let known = self
            .live_calls
            .iter()
            .chain(self.history.iter())
            .find(|c| c.id == call.id);
        if let Some(k) = known
            && !k.state.can_become(call.state)
            && !(k.state == CallState::Connected
                && call.state == k.state
                && (call.held != k.held || call.from != k.from))
        {
            // An over call changes only by its after-call work (a wrap-up saved in any tab, the
            // CRM record reported): taken in place, and not a change of state (nothing announced
            // or logged again).
            if k.state == call.state
                && (k.wrap_up != call.wrap_up || k.crm_record != call.crm_record)
                && let Some(h) = self.history.iter_mut().find(|c| c.id == call.id)
            {
                h.wrap_up = call.wrap_up;
                h.crm_record = call.crm_record;
            }
            return false;
        }
        let was_live = self.live_calls.iter().any(|c| c.id == call.id);
        self.live_calls.retain(|c| c.id != call.id);
        self.history.retain(|c| c.id != call.id);
        if call.state.is_final() {
            if was_live {
                self.just_ended.push(call.id.clone());
            }
            let at = self
                .history
                .iter()
                .position(|c| c.started_at < call.started_at)
                .unwrap_or(self.history.len());
            self.history.insert(at, call);
            self.history.truncate(MAX_HISTORY);
        } else {
            self.live_calls.push(call);
        }
        true
    }

    /// Applies one live event with its SSE id. A snapshot always replaces (the server sends one when
    /// a resume is impossible, and after a restart its ids may start over); a delta applies only when
    /// its id is newer than the last one applied.
    pub fn apply_event(&mut self, id: Option<u64>, event: Event) -> Applied {
        let mut out = Applied::default();
        if !matches!(event, Event::Snapshot(_))
            && let (Some(new), Some(last)) = (id, self.last_event_id)
            && new <= last
        {
            return out;
        }
        match event {
            Event::Snapshot(snap) => {
                // A snapshot lists each user once: taken as it is, without a search per row.
                self.presence = PresenceById(
                    snap.presence
                        .into_iter()
                        .map(|PresenceUpdate { user_id, presence }| (user_id, presence))
                        .collect(),
                );
                let mut before: Vec<Call> = std::mem::take(&mut self.live_calls);
                for call in snap.calls {
                    before.retain(|c| c.id != call.id);
                    if self.upsert_call(call.clone()) {
                        out.calls_changed.push(call);
                    }
                }
                // Calls we thought live that the snapshot does not list ended while we were away.
                for mut call in before {
                    call.state = CallState::Ended;
                    self.upsert_call(call.clone());
                    out.calls_changed.push(call);
                }
                if let (Some(c), Some(me)) = (snap.colours, &mut self.me) {
                    me.colours = c;
                }
                if let Some(n) = snap.voicemail_unheard {
                    self.voicemail_unheard = n;
                }
            }
            Event::Voicemail(v) => self.apply_voicemail(v),
            Event::Colours(c) => {
                if let Some(me) = &mut self.me {
                    me.colours = c;
                }
            }
            Event::Presence(p) => {
                self.presence.insert(p.user_id, p.presence);
            }
            Event::Call(call) => {
                if self.upsert_call(call.clone()) {
                    out.calls_changed.push(call);
                }
            }
            Event::Profile(p) => self.upsert_profile(p),
            Event::Missed(m) => self.missed = m.count,
        }
        if id.is_some() {
            self.last_event_id = id;
        }
        out.applied = true;
        out
    }

    /// Stores the mailbox (`GET /voicemail`).
    pub fn set_mailbox(&mut self, mailbox: Mailbox) {
        self.voicemail = mailbox.messages;
        self.voicemail_unheard = mailbox.unheard;
        if let Some(me) = &mut self.me {
            me.voicemail = mailbox.enabled;
        }
    }

    /// Takes a `voicemail` event (or the answer of heard): the new count, the message that came
    /// or changed (kept newest first), the one deleted.
    pub fn apply_voicemail(&mut self, v: VoicemailEvent) {
        self.voicemail_unheard = v.unheard;
        if let Some(m) = v.message {
            self.upsert_voicemail(m);
        }
        if let Some(id) = v.deleted {
            self.voicemail.retain(|m| m.id != id);
        }
    }

    /// Stores one message in its place, newest first (an answer of `POST /voicemail/<id>/heard`
    /// or an event; the count is the backend's and comes with events).
    pub fn upsert_voicemail(&mut self, m: VoicemailMessage) {
        self.voicemail.retain(|k| k.id != m.id);
        let at = self
            .voicemail
            .iter()
            .position(|k| k.created_at < m.created_at)
            .unwrap_or(self.voicemail.len());
        self.voicemail.insert(at, m);
    }

    /// Forgets a message the backend no longer has (deleted here, or gone: 404); one not heard
    /// leaves the count at once (the `voicemail` event then brings the backend's figure).
    pub fn forget_voicemail(&mut self, id: &str) {
        if self.voicemail.iter().any(|m| m.id == id && !m.heard) {
            self.voicemail_unheard = self.voicemail_unheard.saturating_sub(1);
        }
        self.voicemail.retain(|m| m.id != id);
    }

    /// Takes the answer of `POST /voicemail/<id>/heard`: the message, and the count one lower
    /// when it was not heard here yet (the `voicemail` event then brings the backend's figure).
    pub fn take_heard(&mut self, m: VoicemailMessage) {
        if m.heard && self.voicemail.iter().any(|k| k.id == m.id && !k.heard) {
            self.voicemail_unheard = self.voicemail_unheard.saturating_sub(1);
        }
        self.upsert_voicemail(m);
    }

    /// The message the call `call_id` left, if it is known.
    pub fn voicemail_of_call(&self, call_id: &str) -> Option<&VoicemailMessage> {
        self.voicemail.iter().find(|m| m.call_id == call_id)
    }

    /// Who left a message, as the agent reads it: the colleague with that extension, else the
    /// CRM record's name for that call (`found`: the name the host's screen pop found, when it
    /// did; or the call's own record name), else the number formatted for reading.
    pub fn caller_name(&self, m: &VoicemailMessage, found: Option<String>) -> String {
        if let Some(u) = self.colleague(&m.from) {
            return u.name.clone();
        }
        let of_call = self
            .history
            .iter()
            .find(|c| c.id == m.call_id)
            .and_then(record_name)
            .map(str::to_owned);
        of_call
            .or(found)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format_for_reading(&m.from))
    }

    /// Forgets everything (sign-out).
    pub fn clear(&mut self) {
        *self = ClientState::default();
    }
}

/// Presence by user id: a plain list searched in order. A customer's directory is bounded
/// ([`MAX_DIRECTORY`]) and an event touches one entry, so a scan costs nothing noticeable, and it
/// keeps a whole ordered-map implementation (~1 KB gzip) out of the module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PresenceById(Vec<(String, Presence)>);

impl PresenceById {
    /// The presence of `user`.
    pub fn get(&self, user: &str) -> Option<&Presence> {
        self.0.iter().find(|(id, _)| id == user).map(|(_, p)| p)
    }

    /// Sets the presence of `user`.
    pub fn insert(&mut self, user: String, presence: Presence) {
        match self.0.iter_mut().find(|(id, _)| *id == user) {
            Some((_, p)) => *p = presence,
            None => self.0.push((user, presence)),
        }
    }

    /// Forgets everyone.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Whether nobody's presence is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the presence of `user` is known.
    pub fn contains_key(&self, user: &str) -> bool {
        self.get(user).is_some()
    }
}

impl std::ops::Index<&str> for PresenceById {
    type Output = Presence;

    fn index(&self, user: &str) -> &Presence {
        self.get(user).expect("a known user")
    }
}

/// Keeps the more recent of two presences for a user (ties: the new one).
fn merge_presence(map: &mut PresenceById, user: String, new: Presence) {
    match map.get(&user) {
        Some(old) if old.since > new.since => {}
        _ => {
            map.insert(user, new);
        }
    }
}

/// The longest the live loop waits while the browser reports no network before it tries anyway
/// (the browser's `online` event normally ends the wait first).
pub const OFFLINE_RETRY_MS: u32 = 30_000;

/// After `failures` failed attempts in a row: the state to show and how long to wait before the
/// next attempt (any wait ends early when the browser's network comes back). When the browser
/// itself says it is offline the widget says so at once and waits for the network instead of
/// backing off blindly.
pub fn after_failures(failures: u32, browser_online: bool, random: f64) -> (Connection, u32) {
    if browser_online {
        (
            connection_after_failures(failures),
            backoff_delay_ms(failures.saturating_sub(1), random),
        )
    } else {
        (Connection::Offline, OFFLINE_RETRY_MS)
    }
}

/// The delay before reconnection attempt `attempt` (0 = first retry): exponential from 500 ms,
/// capped at 30 s, with `random` in `[0, 1)` spreading it over 50–100 % so that many widgets
/// restarted by one backend restart do not come back in lockstep.
pub fn backoff_delay_ms(attempt: u32, random: f64) -> u32 {
    const BASE_MS: u32 = 500;
    const CAP_MS: u32 = 30_000;
    let exp = BASE_MS.saturating_mul(1u32 << attempt.min(16)).min(CAP_MS);
    let spread = random.clamp(0.0, 1.0) * 0.5 + 0.5;
    ((exp as f64) * spread) as u32
}

/// How many failed attempts in a row make the widget say "offline" rather than "reconnecting".
pub const OFFLINE_AFTER_ATTEMPTS: u32 = 3;

/// The connection state to show after `failures` consecutive failed attempts.
pub fn connection_after_failures(failures: u32) -> Connection {
    if failures >= OFFLINE_AFTER_ATTEMPTS {
        Connection::Offline
    } else {
        Connection::Reconnecting
    }
}

/// The name of the CRM record a call was placed from, when the host passed one (not blank).
pub fn record_name(call: &Call) -> Option<&str> {
    call.context
        .as_ref()?
        .record_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
}

/// Whole seconds between two instants, never negative.
pub fn seconds_between(from: Timestamp, to: Timestamp) -> u64 {
    to.seconds_since(from).max(0) as u64
}

/// `m:ss` or `h:mm:ss`, for call timers and durations.
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A finished call's talk time (answer to end), if it was answered.
pub fn talk_seconds(call: &Call) -> Option<u64> {
    Some(seconds_between(call.answered_at?, call.ended_at?))
}

/// How long a click-to-dial that arrived before sign-in stays offered, in milliseconds.
pub const EARLY_DIAL_TTL_MS: f64 = 60_000.0;

/// The click-to-dial that arrived before the agent signed in. Only the latest is kept (a burst of
/// clicks made while the panel was not ready is one intention, the last one), for
/// [`EARLY_DIAL_TTL_MS`]; after sign-in the agent is asked to confirm it, the widget never dials
/// it by itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EarlyDial<T> {
    /// The latest click and when it arrived (milliseconds since the epoch).
    latest: Option<(T, f64)>,
}

impl<T> EarlyDial<T> {
    /// Keeps `click`, arrived at `now_ms`, in place of any earlier one.
    pub fn offer(&mut self, click: T, now_ms: f64) {
        self.latest = Some((click, now_ms));
    }

    /// The click, if still fresh at `now_ms`.
    pub fn fresh(&self, now_ms: f64) -> Option<&T> {
        let (click, at) = self.latest.as_ref()?;
        (now_ms >= *at && now_ms < at + EARLY_DIAL_TTL_MS).then_some(click)
    }

    /// The click if still fresh at `now_ms`, forgetting it either way.
    pub fn take(&mut self, now_ms: f64) -> Option<T> {
        let fresh = self.fresh(now_ms).is_some();
        self.latest.take().filter(|_| fresh).map(|(click, _)| click)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::{CallDirection, CustomerRef, Mode, PbxSync, Role, Snapshot, WrapUp};
    use ucclient_core::profile::Colour;
    use ucclient_core::{ProfileId, Status};

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix(1_700_000_000 + s, 0).unwrap()
    }

    fn presence(profile: ProfileId, on_call: bool, since: i64) -> Presence {
        Presence {
            profile,
            status: profile.status(),
            colour: if on_call {
                Colour::Busy
            } else {
                Colour::Available
            },
            on_call,
            since: t(since),
            pbx_sync: PbxSync::NotApplicable,
            pbx_error: None,
        }
    }

    fn user(id: &str) -> User {
        User {
            id: id.into(),
            name: id.into(),
            email: format!("{id}@acme.example"),
            extension: "201".into(),
        }
    }

    fn call(id: &str, state: CallState, start: i64) -> Call {
        Call {
            id: id.into(),
            direction: CallDirection::Outbound,
            from: "201".into(),
            to: "+351912345678".into(),
            state,
            started_at: t(start),
            answered_at: None,
            ended_at: None,
            context: None,
            internal: false,
            outcome: None,
            answered_on: None,
            forwarded_to: None,
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        }
    }

    fn me() -> Me {
        Me {
            user: user("ana"),
            customer: CustomerRef {
                id: "acme".into(),
                name: "Acme".into(),
                country: "PT".into(),
                log_internal_calls: false,
            },
            permissions: vec!["crm_client".into()],
            mode: Mode::Active,
            extension_lists_enabled: true,
            presence: presence(ProfileId::Available, false, 0),
            devices: vec![],
            role: Role::User,
            colours: Default::default(),
            voicemail: false,
            wrap_up: None,
            crm_presence: None,
        }
    }

    fn pres_event(user: &str, profile: ProfileId, since: i64) -> Event {
        Event::Presence(PresenceUpdate {
            user_id: user.into(),
            presence: presence(profile, false, since),
        })
    }

    #[test]
    fn internal_calls_reach_the_crm_log_only_when_the_customer_logs_them() {
        let outside = call("c1", CallState::Ended, 0);
        let internal = Call {
            internal: true,
            to: "202".into(),
            ..outside.clone()
        };
        let mut s = ClientState::default();
        assert!(s.logs_on_crm(&outside));
        assert!(!s.logs_on_crm(&internal), "before /me: not logged");
        s.set_me(me());
        assert!(s.logs_on_crm(&outside));
        assert!(!s.logs_on_crm(&internal));
        let mut logging = me();
        logging.customer.log_internal_calls = true;
        s.set_me(logging);
        assert!(s.logs_on_crm(&internal));
    }

    #[test]
    fn deltas_apply_in_id_order_and_never_twice() {
        let mut s = ClientState::default();
        s.set_me(me());
        assert!(
            s.apply_event(Some(5), pres_event("bruno", ProfileId::Lunch, 1))
                .applied
        );
        assert!(
            !s.apply_event(Some(5), pres_event("bruno", ProfileId::Away, 2))
                .applied
        );
        assert!(
            !s.apply_event(Some(4), pres_event("bruno", ProfileId::Away, 2))
                .applied
        );
        assert_eq!(s.presence["bruno"].profile, ProfileId::Lunch);
        assert!(
            s.apply_event(Some(6), pres_event("bruno", ProfileId::Away, 3))
                .applied
        );
        assert_eq!(s.presence["bruno"].profile, ProfileId::Away);
        assert_eq!(s.last_event_id, Some(6));
    }

    #[test]
    fn the_resellers_colours_come_with_me_and_follow_events_and_snapshots() {
        use ucclient_core::api::{HexColour, PresenceColours};
        let hex = |s: &str| HexColour::parse(s).unwrap();
        let mut s = ClientState::default();
        s.set_me(me());
        let purple_busy = PresenceColours {
            busy: hex("#800080"),
            ..PresenceColours::default()
        };
        assert!(
            s.apply_event(Some(1), Event::Colours(purple_busy.clone()))
                .applied
        );
        assert_eq!(s.me.as_ref().unwrap().colours, purple_busy);
        // A snapshot carries them too (a stream that could not resume missed the event); one
        // without them keeps what is known.
        let snap = |colours| {
            Event::Snapshot(Snapshot {
                presence: vec![],
                calls: vec![],
                colours,
                voicemail_unheard: None,
            })
        };
        s.apply_event(Some(2), snap(None));
        assert_eq!(s.me.as_ref().unwrap().colours, purple_busy);
        s.apply_event(Some(3), snap(Some(PresenceColours::default())));
        assert_eq!(s.me.as_ref().unwrap().colours, PresenceColours::default());
    }

    #[test]
    fn a_snapshot_replaces_even_with_a_lower_id_after_a_restart() {
        let mut s = ClientState::default();
        s.set_me(me());
        s.apply_event(Some(40), pres_event("bruno", ProfileId::Lunch, 1));
        s.apply_event(Some(41), Event::Call(call("c1", CallState::Connected, 1)));
        let snap = Event::Snapshot(Snapshot {
            presence: vec![PresenceUpdate {
                user_id: "bruno".into(),
                presence: presence(ProfileId::InAMeeting, false, 9),
            }],
            calls: vec![],
            colours: None,
            voicemail_unheard: None,
        });
        let out = s.apply_event(Some(2), snap);
        assert!(out.applied);
        assert_eq!(s.presence["bruno"].profile, ProfileId::InAMeeting);
        assert!(
            !s.presence.contains_key("ana") || s.presence["ana"].profile == ProfileId::Available
        );
        assert_eq!(s.last_event_id, Some(2));
        // The call the snapshot no longer lists ended while we were away.
        assert!(s.live_calls.is_empty());
        assert_eq!(s.history[0].state, CallState::Ended);
        assert_eq!(out.calls_changed.len(), 1);
        // Later deltas after the new id apply again.
        assert!(
            s.apply_event(Some(3), pres_event("bruno", ProfileId::Available, 10))
                .applied
        );
    }

    #[test]
    fn calls_only_move_forward_and_finish_into_history() {
        let mut s = ClientState::default();
        assert!(s.upsert_call(call("c1", CallState::Dialing, 1)));
        assert!(s.upsert_call(call("c1", CallState::Connected, 1)));
        assert!(!s.upsert_call(call("c1", CallState::Ringing, 1)));
        assert_eq!(s.live_calls[0].state, CallState::Connected);
        assert!(s.upsert_call(call("c1", CallState::Ended, 1)));
        assert!(s.live_calls.is_empty());
        assert!(!s.upsert_call(call("c1", CallState::Connected, 1)));
        s.upsert_call(call("c0", CallState::Failed, 0));
        s.upsert_call(call("c2", CallState::Ended, 2));
        let ids: Vec<&str> = s.history.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c2", "c1", "c0"]);
    }

    #[test]
    fn hold_and_resume_change_a_connected_call_and_nothing_else_moves_back() {
        let mut s = ClientState::default();
        assert!(s.upsert_call(call("c1", CallState::Connected, 1)));
        assert!(
            !s.upsert_call(call("c1", CallState::Connected, 1)),
            "no change"
        );
        let mut held = call("c1", CallState::Connected, 1);
        held.held = true;
        assert!(s.upsert_call(held.clone()));
        assert!(s.live_calls[0].held);
        assert!(
            s.upsert_call(call("c1", CallState::Connected, 1)),
            "resumed"
        );
        assert!(!s.live_calls[0].held);
        assert!(s.upsert_call(call("c1", CallState::Ended, 1)));
        assert!(!s.upsert_call(held), "an ended call is not held again");
        assert!(s.live_calls.is_empty());
    }

    #[test]
    fn a_call_that_ends_on_a_card_stays_as_a_summary_until_forgotten() {
        let mut s = ClientState::default();
        s.upsert_call(call("c1", CallState::Connected, 1));
        assert!(s.on_a_call());
        s.upsert_call(call("c1", CallState::Ended, 1));
        assert!(!s.on_a_call());
        assert_eq!(s.just_ended, ["c1"]);
        // A call that was never on a card (history, a snapshot) leaves no summary.
        s.upsert_call(call("c0", CallState::Failed, 0));
        assert_eq!(s.just_ended, ["c1"]);
        s.forget_ended("c1");
        assert!(s.just_ended.is_empty());
    }

    #[test]
    fn an_over_call_takes_its_wrap_up_in_place_and_its_card_closes() {
        let mut s = ClientState::default();
        let mut agent = me();
        agent.wrap_up = Some(Default::default());
        s.set_me(agent);
        let mut over = call("c1", CallState::Ended, 1);
        over.answered_at = Some(t(2));
        over.ended_at = Some(t(60));
        s.upsert_call(over.clone());
        let at = |secs: i64| t(secs).as_millis();
        assert_eq!(s.open_wrap_ups(at(100)).len(), 1, "within the 120 s");
        assert!(s.expired_wrap_ups(at(100)).is_empty());
        assert!(s.open_wrap_ups(at(180)).is_empty(), "the limit");
        assert_eq!(s.expired_wrap_ups(at(180)).len(), 1);
        // Another tab saved it: taken in place, not a change of state (nothing announced again).
        let mut saved = over.clone();
        saved.wrap_up = Some(WrapUp {
            notes: "n".into(),
            disposition: None,
        });
        assert!(!s.upsert_call(saved));
        assert_eq!(
            s.history[0].wrap_up.as_ref().map(|w| w.notes.as_str()),
            Some("n")
        );
        assert!(s.open_wrap_ups(at(100)).is_empty() && s.expired_wrap_ups(at(180)).is_empty());
        // A call between colleagues the customer does not log gets none.
        let mut internal = call("c2", CallState::Ended, 1);
        internal.internal = true;
        internal.answered_at = Some(t(2));
        internal.ended_at = Some(t(60));
        s.upsert_call(internal);
        assert!(s.open_wrap_ups(at(100)).is_empty());
    }

    fn entry(id: &str, name: &str, ext: &str) -> DirectoryEntry {
        DirectoryEntry {
            user: User {
                name: name.into(),
                extension: ext.into(),
                ..user(id)
            },
            presence: presence(ProfileId::Available, false, 0),
        }
    }

    #[test]
    fn dialling_is_decided_with_the_customers_country_and_the_whole_directory() {
        let mut s = ClientState::default();
        let mut globex = me();
        globex.customer.country = "BR".into();
        s.set_me(globex);
        s.set_directory(vec![entry("ana", "Ana Silva", "201")]);
        // A search narrows the list shown, not the extensions that exist.
        s.set_search_result(vec![]);
        assert_eq!(
            s.dial_target("201"),
            Ok(DialTarget::Extension("201".into()))
        );
        assert_eq!(
            s.dial_target("(11) 98765-4321")
                .map(DialTarget::into_string),
            Ok("+5511987654321".into())
        );
        assert!(matches!(
            s.dial_target("912345678"),
            Err(DialError::InvalidNumber(_))
        ));
        assert!(matches!(
            s.dial_target("123"),
            Err(DialError::UnknownExtension(_))
        ));
    }

    #[test]
    fn the_other_party_is_named_by_the_crm_then_the_directory_then_the_number() {
        let mut s = ClientState::default();
        s.set_directory(vec![entry("bruno", "Bruno Costa", "202")]);
        let mut c = call("c1", CallState::Dialing, 1);
        assert_eq!(s.party_name(&c), "+351 912 345 678");
        c.context = Some(ucclient_core::api::CallContext {
            crm: ucclient_core::api::CrmKind::Salesforce,
            record_id: Some("003A".into()),
            object_type: None,
            record_name: Some("Rita Lopes".into()),
        });
        assert_eq!(s.party_name(&c), "Rita Lopes");
        c.context = None;
        c.direction = CallDirection::Inbound;
        c.from = "202".into();
        assert_eq!(s.party_name(&c), "Bruno Costa");
    }

    #[test]
    fn directory_presence_never_overwrites_a_newer_live_one() {
        let mut s = ClientState::default();
        s.apply_event(Some(1), pres_event("bruno", ProfileId::Lunch, 10));
        s.set_directory(vec![DirectoryEntry {
            user: user("bruno"),
            presence: presence(ProfileId::Available, false, 5),
        }]);
        assert_eq!(s.presence["bruno"].profile, ProfileId::Lunch);
        assert_eq!(s.colleagues.len(), 1);
        assert_eq!(s.presence["bruno"].status, Status::Unavailable);
    }

    #[test]
    fn my_presence_follows_events() {
        let mut s = ClientState::default();
        assert!(s.my_presence().is_none());
        s.set_me(me());
        assert_eq!(s.my_presence().unwrap().profile, ProfileId::Available);
        s.apply_event(Some(1), pres_event("ana", ProfileId::OnHoliday, 3));
        assert_eq!(s.my_presence().unwrap().profile, ProfileId::OnHoliday);
        s.clear();
        assert!(s.me.is_none() && s.presence.is_empty());
    }

    #[test]
    fn a_browser_without_network_is_offline_at_once_and_waits_for_it() {
        assert_eq!(
            after_failures(1, false, 0.5),
            (Connection::Offline, OFFLINE_RETRY_MS)
        );
        assert_eq!(
            after_failures(1, true, 1.0),
            (Connection::Reconnecting, 500)
        );
        assert_eq!(after_failures(4, true, 1.0), (Connection::Offline, 4000));
        assert_eq!(after_failures(0, true, 1.0).1, 500);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        assert_eq!(backoff_delay_ms(0, 1.0), 500);
        assert_eq!(backoff_delay_ms(0, 0.0), 250);
        assert_eq!(backoff_delay_ms(3, 1.0), 4000);
        assert_eq!(backoff_delay_ms(10, 1.0), 30_000);
        assert_eq!(backoff_delay_ms(u32::MAX, 0.0), 15_000);
        assert!(backoff_delay_ms(2, 0.3) < backoff_delay_ms(2, 0.9));
        assert_eq!(connection_after_failures(1), Connection::Reconnecting);
        assert_eq!(connection_after_failures(3), Connection::Offline);
    }

    #[test]
    fn durations_read_like_clocks() {
        assert_eq!(format_duration(0), "0:00");
        assert_eq!(format_duration(75), "1:15");
        assert_eq!(format_duration(3723), "1:02:03");
        let mut c = call("c", CallState::Ended, 0);
        assert_eq!(talk_seconds(&c), None);
        c.answered_at = Some(t(10));
        c.ended_at = Some(t(52));
        assert_eq!(talk_seconds(&c), Some(42));
        assert_eq!(seconds_between(t(5), t(1)), 0);
    }

    fn message(id: &str, call_id: &str, from: &str, at: i64) -> VoicemailMessage {
        VoicemailMessage {
            id: id.into(),
            call_id: call_id.into(),
            from: from.into(),
            created_at: t(at),
            duration_ms: 2_000,
            heard: false,
        }
    }

    #[test]
    fn the_mailbox_follows_events_newest_first_and_snapshots_carry_the_count() {
        let mut s = ClientState::default();
        s.set_me(me());
        s.set_mailbox(Mailbox {
            enabled: true,
            unheard: 1,
            messages: vec![message("m1", "c1", "+351912345678", 10)],
        });
        assert!(s.me.as_ref().unwrap().voicemail);
        let new = VoicemailEvent {
            unheard: 2,
            message: Some(message("m2", "c2", "202", 20)),
            deleted: None,
        };
        assert!(s.apply_event(Some(1), Event::Voicemail(new)).applied);
        assert_eq!(s.voicemail_unheard, 2);
        let ids: Vec<&str> = s.voicemail.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m2", "m1"], "newest first");
        let mut heard = message("m1", "c1", "+351912345678", 10);
        heard.heard = true;
        s.apply_event(
            Some(2),
            Event::Voicemail(VoicemailEvent {
                unheard: 1,
                message: Some(heard),
                deleted: None,
            }),
        );
        assert_eq!((s.voicemail_unheard, s.voicemail.len()), (1, 2));
        assert!(s.voicemail[1].heard);
        s.apply_event(
            Some(3),
            Event::Voicemail(VoicemailEvent {
                unheard: 0,
                message: None,
                deleted: Some("m2".into()),
            }),
        );
        assert_eq!((s.voicemail_unheard, s.voicemail.len()), (0, 1));
        assert_eq!(s.voicemail_of_call("c1").map(|m| m.id.as_str()), Some("m1"));
        // The answers of heard and delete move the count at once, once.
        s.apply_event(
            Some(6),
            Event::Voicemail(VoicemailEvent {
                unheard: 2,
                message: Some(message("m3", "c3", "202", 30)),
                deleted: None,
            }),
        );
        s.upsert_voicemail(message("m4", "c4", "202", 40));
        let mut heard = message("m3", "c3", "202", 30);
        heard.heard = true;
        s.take_heard(heard.clone());
        s.take_heard(heard);
        assert_eq!(s.voicemail_unheard, 1);
        s.forget_voicemail("m4");
        s.forget_voicemail("m4");
        assert_eq!(s.voicemail_unheard, 0);
        assert_eq!(s.voicemail.len(), 2);
        // A snapshot with the count sets it; one without (an older backend) keeps it.
        let snap = |n| {
            Event::Snapshot(Snapshot {
                presence: vec![],
                calls: vec![],
                colours: None,
                voicemail_unheard: n,
            })
        };
        s.apply_event(Some(7), snap(Some(4)));
        assert_eq!(s.voicemail_unheard, 4);
        s.apply_event(Some(8), snap(None));
        assert_eq!(s.voicemail_unheard, 4);
        s.clear();
        assert!(s.voicemail.is_empty() && s.voicemail_unheard == 0);
    }

    #[test]
    fn a_caller_is_named_by_the_directory_then_the_crm_record_then_the_number() {
        let mut s = ClientState::default();
        s.set_directory(vec![entry("bruno", "Bruno Costa", "202")]);
        assert_eq!(
            s.caller_name(&message("m", "c", "202", 0), Some("Rita".into())),
            "Bruno Costa"
        );
        let outside = message("m", "c", "+351912345678", 0);
        assert_eq!(
            s.caller_name(&outside, Some("Rita Lopes".into())),
            "Rita Lopes"
        );
        assert_eq!(
            s.caller_name(&outside, Some(" ".into())),
            "+351 912 345 678"
        );
        assert_eq!(s.caller_name(&outside, None), "+351 912 345 678");
    }

    #[test]
    fn only_the_latest_early_dial_is_kept_and_only_for_a_minute() {
        let mut early = EarlyDial::default();
        assert_eq!(early.take(0.0), None);
        early.offer("first", 1_000.0);
        early.offer("second", 2_000.0);
        // The latest only; looking does not take it; taken once.
        assert_eq!(early.fresh(32_000.0), Some(&"second"));
        assert_eq!(early.take(61_999.0), Some("second"));
        assert_eq!(early.take(32_000.0), None);
        // A minute old: gone, and forgotten once looked at.
        early.offer("third", 10_000.0);
        assert_eq!(early.fresh(10_000.0 + EARLY_DIAL_TTL_MS), None);
        assert_eq!(early.take(10_000.0 + EARLY_DIAL_TTL_MS), None);
        assert_eq!(early.take(10_000.0), None);
        // A clock that went back does not keep it forever.
        early.offer("fourth", 50_000.0);
        assert_eq!(early.take(40_000.0), None);
    }
}
