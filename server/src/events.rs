//! Live events: the per-customer wake-up hub, stream caps, snapshots and the SSE stream.
//!
//! The event log lives in the store. In memory this module keeps only what is local to one
//! process: the shared tail of each customer's log ([`crate::fanout`], a cache filled by reading
//! the store back after every local commit and every few seconds), and the count of live streams.
//! A stream sends what is due after its cursor from that tail, coalesced into one write; when it
//! is further behind than the tail reaches (a slow subscriber, an old resume) it reads the log from
//! the store at its own pace, so it never loses an event; if retention pruned past its cursor it
//! gets a fresh `snapshot` instead, then the events still logged.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use ucclient_core::api::{
    ACCESS_ENDED_EVENT, AccessEndReason, AccessEnded, EventTicket, PresenceUpdate, Snapshot,
};

use crate::AppState;
use crate::auth::{self, Licensed, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::fanout::{Tail, Tails, Take, frame};
use crate::limits::{self, Budget};
use crate::presence;
use crate::store::{END_OF_ACCESS, EndOfAccess, session_key};

/// Seconds an SSE ticket lives.
pub const TICKET_SECS: u64 = 30;
/// Events read from the store at a time by a stream that is behind the shared tail.
const PAGE: i64 = 100;
/// Bytes of frames coalesced into one write at most (one larger frame still goes alone).
const MAX_CHUNK: usize = 64 * 1024;
/// A comment line: keeps an idle stream alive.
const KEEP_ALIVE: &[u8] = b":\n\n";

/// The shared tails and connection counts of the streams of this process.
pub struct Hub {
    /// Per customer, the shared tail of its log and its reader.
    tails: Arc<Tails>,
    /// Live streams per user, per customer, and in total.
    counts: Mutex<Counts>,
    /// Flips to true when the server shuts down, ending every stream.
    shutdown: watch::Receiver<bool>,
    /// Caps: per user, per customer, total.
    caps: (usize, usize, usize),
    /// Rings the other nodes after a local wake-up (pg-doorbell; none with SQLite alone).
    doorbell: std::sync::OnceLock<crate::doorbell::Doorbell>,
}

#[derive(Default)]
struct Counts {
    users: HashMap<String, usize>,
    customers: HashMap<String, usize>,
    total: usize,
}

/// Holds one stream's place under the caps; dropping it frees the place.
pub struct StreamSlot {
    hub: Arc<Hub>,
    user: String,
    customer: String,
}

impl Hub {
    /// A hub with these caps (per user, per customer, total) ending streams when `shutdown` flips.
    pub fn new(caps: (usize, usize, usize), shutdown: watch::Receiver<bool>) -> Hub {
        Hub {
            tails: Arc::new(Tails::default()),
            counts: Mutex::new(Counts::default()),
            shutdown,
            caps,
            doorbell: std::sync::OnceLock::new(),
        }
    }

    /// Wakes the reader of the customer's tail (after a commit that logged events); it reads the
    /// new rows once and wakes the customer's streams. Then rings the other nodes, if there is a
    /// doorbell, so their readers do the same.
    pub async fn notify(&self, customer_id: &str) {
        self.tails.notify(customer_id);
        if let Some(doorbell) = self.doorbell.get() {
            doorbell.ring(customer_id);
        }
    }

    // --- pg-doorbell: the cross-node doorbell (issue 16) ---

    /// The tails of this process: what the doorbell wakes for the other nodes' rings.
    pub fn tails(&self) -> Arc<Tails> {
        self.tails.clone()
    }

    /// Rings `doorbell` after every local wake-up from now on (set once, when the backend starts;
    /// a second one is refused and returned).
    pub fn set_doorbell(
        &self,
        doorbell: crate::doorbell::Doorbell,
    ) -> Result<(), crate::doorbell::Doorbell> {
        self.doorbell.set(doorbell)
    }

    fn slot(self: &Arc<Self>, user: &str, customer: &str) -> Option<StreamSlot> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let (per_user, per_customer, total) = self.caps;
        if c.total >= total
            || c.users.get(user).copied().unwrap_or(0) >= per_user
            || c.customers.get(customer).copied().unwrap_or(0) >= per_customer
        {
            return None;
        }
        c.total += 1;
        *c.users.entry(user.to_owned()).or_default() += 1;
        *c.customers.entry(customer.to_owned()).or_default() += 1;
        Some(StreamSlot {
            hub: self.clone(),
            user: user.to_owned(),
            customer: customer.to_owned(),
        })
    }

    /// Live streams in this process.
    pub fn live_streams(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut guard = self.hub.counts.lock().unwrap_or_else(|e| e.into_inner());
        let c = &mut *guard;
        c.total = c.total.saturating_sub(1);
        for (map, key) in [
            (&mut c.users, &self.user),
            (&mut c.customers, &self.customer),
        ] {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

/// `POST /events/ticket`.
#[utoipa::path(post, path = "/events/ticket", tag = "events", security(("bearer" = [])), responses((status = 200, description = "{ticket, expires_in}", body = ucclient_core::api::EventTicket), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's per-minute budget", body = ucclient_core::api::ErrorBody)))]
pub async fn ticket(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<EventTicket>> {
    let Licensed(account) = Licensed::check(session.account)?;
    limits::spend(&state, &account.user.id, Budget::Tickets).await?;
    let ticket = auth::new_secret();
    let expires = chrono::Utc::now().timestamp_millis() + (TICKET_SECS * 1000) as i64;
    // The ticket names its session: the stream ends with that session (logout, expiry).
    state
        .store
        .create_ticket(
            &auth::digest(&ticket),
            &account.user.id,
            &session.token_hash,
            expires,
        )
        .await?;
    Ok(ApiJson(EventTicket {
        ticket,
        expires_in: TICKET_SECS,
    }))
}

/// Query of `GET /events`.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// The one-use ticket.
    ticket: Option<String>,
    /// Resume after this id (for EventSource, which cannot set headers on a new connection).
    last_event_id: Option<String>,
}

/// The snapshot of a customer as one of its users sees it: every colleague's presence, own live
/// calls, the reseller's presence colours, and the user's unheard voicemail count.
pub async fn snapshot(state: &AppState, customer_id: &str, user_id: &str) -> ApiResult<Snapshot> {
    let colours = state.store.account(user_id).await?.map(|a| a.colours);
    let users = state
        .store
        .customer_users(customer_id, None, i64::MAX)
        .await?;
    let ids: Vec<(String, Vec<String>)> = users
        .iter()
        .map(|(u, p)| (u.id.clone(), p.clone()))
        .collect();
    let presences = presence::of_users(state, customer_id, &ids).await?;
    let calls = state
        .store
        .live_calls(Some(user_id))
        .await?
        .into_iter()
        .map(|c| c.call)
        .collect();
    Ok(Snapshot {
        presence: ids
            .into_iter()
            .zip(presences)
            .map(|((user_id, _), presence)| PresenceUpdate { user_id, presence })
            .collect(),
        calls,
        colours,
        voicemail_unheard: Some(state.store.unheard_voicemails(user_id).await?),
    })
}

/// `GET /events`: the live stream.
#[utoipa::path(get, path = "/events", tag = "events", params(("ticket" = String, Query, max_length = 256, description = "one-use ticket"), ("last_event_id" = Option<i64>, Query, description = "resume after this id"), ("Last-Event-ID" = Option<i64>, Header, description = "resume after this id")), responses((status = 200, description = "text/event-stream: snapshot, presence, call, profile, colours, voicemail (to the mailbox's owner only: VoicemailEvent {unheard, message?, deleted?}), softphone (to the registration's user only: SoftphoneEvent {registration, state: replaced|expired|ended}, when one of their softphone registrations ends); and, when the session's access ends (logout of this session, token expiry, password change, crm_client removed, user deleted), a last `access_ended` event whose data is AccessEnded {reason}, then the stream ends (each event's data is described by its schema: Snapshot, PresenceUpdate, Call, Profile, PresenceColours, VoicemailEvent, SoftphoneEvent, AccessEnded)"), (status = 401, description = "unauthenticated: the ticket is missing, unknown, used or expired", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    // Parsed here rather than by axum's `Query`, whose rejection is plain text, not the API's error.
    let q: StreamQuery = crate::api::query(&uri)?;
    let ticket = q
        .ticket
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or(ApiError::Unauthenticated)?;
    let now = chrono::Utc::now().timestamp_millis();
    let taken = state
        .store
        .take_ticket(&auth::digest(&ticket), now)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    // The session must still be live (a logout between ticket and stream ends it here); its
    // expiry ends the stream.
    let session_hash = taken.session_hash.ok_or(ApiError::Unauthenticated)?;
    let expires_ms = state
        .store
        .session_expiry(&session_hash)
        .await?
        .filter(|e| *e > now)
        .ok_or(ApiError::Unauthenticated)?;
    let customer_id = state
        .store
        .account(&taken.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?
        .customer_id;
    // The newest id of the customer's stream (ids are per customer: on PostgreSQL each customer
    // counts its own), read before the licence check: an end of access committed after this id
    // ends the stream, one committed before it fails the check on the account read below.
    let (opened, _) = state.store.stream_bounds(&customer_id).await?;
    let account = state
        .store
        .account(&taken.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let Licensed(account) = Licensed::check(account)?;
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.last_event_id)
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0);
    // A cursor past every id ever given (another database) cannot be resumed from.
    let cursor = match last_id {
        Some(id) if id <= opened => Some(id),
        _ => None,
    };
    let slot = state
        .hub
        .slot(&account.user.id, &account.customer_id)
        .ok_or(ApiError::Unavailable)?;
    let tail = state
        .hub
        .tails
        .get(&state.store, &account.customer_id)
        .await?;
    let keep_alive = Duration::from_secs(state.config.keep_alive_secs.max(1));
    let subscriber = Subscriber {
        head: tail.subscribe(),
        shutdown: state.hub.shutdown.clone(),
        state,
        tail,
        cursor: cursor.unwrap_or(0),
        needs_snapshot: cursor.is_none(),
        // The first read always goes to the store: it checks the cursor against retention.
        from_store: true,
        opened,
        ended: false,
        keep_alive,
        last_sent: Instant::now(),
        timer: Box::pin(tokio::time::sleep(keep_alive)),
        // Measured on the monotonic clock from now, so a paused test clock moves it too.
        expiry: Box::pin(tokio::time::sleep(Duration::from_millis(
            u64::try_from(expires_ms - now).unwrap_or(0),
        ))),
        session: session_key(&session_hash),
        slot,
    };
    let mut response = Body::from_stream(subscriber.into_stream()).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies (nginx) must pass each event on at once rather than buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The frames due before an end of access, then the `access_ended` event saying why (without an
/// `id:`, so a client's last event id stays that of the last real event).
fn with_end(chunk: Option<Bytes>, reason: AccessEndReason) -> Bytes {
    let data = serde_json::to_string(&AccessEnded { reason }).unwrap_or_default();
    let mut b = chunk.map(|c| c.to_vec()).unwrap_or_default();
    b.extend_from_slice(b"event: ");
    b.extend_from_slice(ACCESS_ENDED_EVENT.as_bytes());
    b.extend_from_slice(b"\ndata: ");
    b.extend_from_slice(data.as_bytes());
    b.extend_from_slice(b"\n\n");
    Bytes::from(b)
}

/// One subscriber's position in its customer's stream.
struct Subscriber {
    state: AppState,
    /// The customer's shared tail.
    tail: Arc<Tail>,
    /// Changes of the tail's head.
    head: watch::Receiver<i64>,
    shutdown: watch::Receiver<bool>,
    /// The id of the last event sent (or skipped as not this user's).
    cursor: i64,
    needs_snapshot: bool,
    /// Read the store next (the cursor may be older than the tail's window).
    from_store: bool,
    /// The log's newest id when the stream opened: the user's end-of-access markers after it
    /// end the stream.
    opened: i64,
    /// An end of access was met: the stream ends after what was due before it and the
    /// `access_ended` event.
    ended: bool,
    /// The key of the session the stream was opened for ([`session_key`]).
    session: String,
    /// Fires when the session's token expires: the stream then ends.
    expiry: Pin<Box<Sleep>>,
    keep_alive: Duration,
    /// When bytes were last sent.
    last_sent: Instant,
    /// Fires at the latest when a keep-alive may be due (it is not moved on every event: when
    /// it fires early it is set again from `last_sent`).
    timer: Pin<Box<Sleep>>,
    /// This stream's place under the caps (and its user and customer).
    slot: StreamSlot,
}

impl Subscriber {
    fn into_stream(self) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        futures::stream::unfold(self, |mut s| async move {
            let chunk = s.next_chunk().await?;
            Some((Ok(chunk), s))
        })
    }

    /// The next bytes to send, waiting for some; `None` ends the stream (shutdown or store
    /// failure).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if *self.shutdown.borrow() || self.ended {
                return None;
            }
            // Checked here too, so a stream that is never idle still ends on time.
            if self.expiry.is_elapsed() {
                self.ended = true;
                return Some(with_end(None, AccessEndReason::Expired));
            }
            // Seen before reading, so an append made after this wakes the wait below.
            self.head.borrow_and_update();
            let due = if self.from_store {
                // Boxed: the store path (with the snapshot) is a large future; held inline it would
                // make every idle stream as large as its biggest moment.
                Box::pin(self.read_store()).await
            } else {
                match self.tail.take(
                    &self.slot.user,
                    &self.session,
                    self.cursor,
                    MAX_CHUNK,
                    self.opened,
                ) {
                    Take::Behind => {
                        self.from_store = true;
                        continue;
                    }
                    Take::Ended { chunk, reason } => {
                        self.ended = true;
                        Ok(Some(with_end(chunk, reason)))
                    }
                    Take::Ready { chunk, cursor } => {
                        self.cursor = cursor;
                        Ok(chunk)
                    }
                }
            };
            match due {
                Ok(Some(chunk)) => {
                    self.last_sent = Instant::now();
                    return Some(chunk);
                }
                Ok(None) if self.ended => return None,
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(error = %e, "event stream");
                    return None;
                }
            }
            tokio::select! {
                changed = self.head.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = self.timer.as_mut() => {
                    let due = self.last_sent + self.keep_alive;
                    if Instant::now() >= due {
                        self.last_sent = Instant::now();
                        self.timer.as_mut().reset(self.last_sent + self.keep_alive);
                        return Some(Bytes::from_static(KEEP_ALIVE));
                    }
                    self.timer.as_mut().reset(due);
                }
                _ = self.expiry.as_mut() => {
                    self.ended = true;
                    return Some(with_end(None, AccessEndReason::Expired));
                }
                _ = self.shutdown.changed() => return None,
            }
        }
    }

    /// Reads what is due from the store: a snapshot when needed (no cursor, or retention pruned
    /// past it), else the next page of events after the cursor as one chunk; `None` when nothing
    /// was due. Goes back to the tail once the cursor is inside its window.
    async fn read_store(&mut self) -> ApiResult<Option<Bytes>> {
        let store = &self.state.store;
        let (customer, user) = (&self.slot.customer, &self.slot.user);
        let (last, pruned) = store.stream_bounds(customer).await?;
        let chunk = if self.needs_snapshot || self.cursor < pruned {
            let snap = snapshot(&self.state, customer, user).await?;
            let data =
                serde_json::to_string(&snap).map_err(|e| ApiError::Internal(e.to_string()))?;
            // A new stream starts after the newest id. A stream whose cursor retention pruned
            // past starts after the pruned id instead: the events still logged follow the
            // snapshot in order (each carries whole state, so replaying them over the snapshot
            // ends in the same state), and it never waits for a change to reach the present.
            // A new stream replays what was logged between its opening and the snapshot (little,
            // and harmless for the same reason), so an end of access in between is not missed.
            self.cursor = if self.needs_snapshot {
                last.min(self.opened)
            } else {
                pruned
            };
            self.needs_snapshot = false;
            Some(frame("snapshot", self.cursor, &data))
        } else {
            let mut joined = Vec::new();
            // A page of nothing but older end-of-access markers (never sent) reads on.
            while joined.is_empty() && !self.ended {
                let events = store
                    .events_after(customer, user, self.cursor, PAGE)
                    .await?;
                if events.is_empty() {
                    // Nothing visible to this user up to `last`: skip past it.
                    self.cursor = self.cursor.max(last);
                    break;
                }
                for e in events {
                    if e.kind == END_OF_ACCESS {
                        let end = EndOfAccess::parse(&e.data);
                        if e.id > self.opened && end.ends(&self.session) {
                            self.ended = true;
                            joined = with_end(Some(Bytes::from(joined)), end.reason).to_vec();
                            break;
                        }
                    } else {
                        joined.extend_from_slice(&frame(&e.kind, e.id, &e.data));
                    }
                    self.cursor = e.id;
                }
            }
            (!joined.is_empty()).then(|| Bytes::from(joined))
        };
        self.from_store = self.cursor < self.tail.floor();
        Ok(chunk)
    }
}
