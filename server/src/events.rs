//! Live events: the per-customer wake-up hub, stream caps, snapshots and the SSE stream.
//!
//! The event log lives in the store; this module keeps only what is local to one process: a wake-up
//! signal per customer for the streams connected here, and the count of those streams. A stream
//! reads the log from its cursor at its own pace, so a slow subscriber never loses an event; if
//! retention pruned past its cursor it gets a fresh `snapshot` instead. Other nodes' writes are
//! picked up by a periodic re-read as well as the local wake-up.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::watch;
use ucclient_core::api::{EventTicket, PresenceUpdate, Snapshot};

use crate::AppState;
use crate::auth::{self, Licensed};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::presence;
use crate::store::Account;

/// Seconds an SSE ticket lives.
pub const TICKET_SECS: u64 = 30;
/// Events read from the log at a time.
const PAGE: i64 = 100;
/// How often an idle stream re-reads the log even without a local wake-up: the safety net for
/// writes this process was not told about (admin commands, other nodes sharing the database).
const POLL: Duration = Duration::from_secs(10);

/// Wake-ups and connection counts of the streams of this process.
pub struct Hub {
    /// The newest event id announced per customer; streams wait on changes.
    customers: tokio::sync::Mutex<HashMap<String, watch::Sender<i64>>>,
    /// Live streams per user, per customer, and in total.
    counts: Mutex<Counts>,
    /// Flips to true when the server shuts down, ending every stream.
    shutdown: watch::Receiver<bool>,
    /// Caps: per user, per customer, total.
    caps: (usize, usize, usize),
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
            customers: tokio::sync::Mutex::new(HashMap::new()),
            counts: Mutex::new(Counts::default()),
            shutdown,
            caps,
        }
    }

    /// Wakes the customer's streams (after a commit that logged events).
    pub async fn notify(&self, customer_id: &str) {
        let customers = self.customers.lock().await;
        if let Some(tx) = customers.get(customer_id) {
            tx.send_modify(|n| *n += 1);
        }
    }

    async fn subscribe(&self, customer_id: &str) -> watch::Receiver<i64> {
        let mut customers = self.customers.lock().await;
        customers
            .entry(customer_id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
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
#[utoipa::path(post, path = "/events/ticket", tag = "events", security(("bearer" = [])), responses((status = 200, description = "{ticket, expires_in}"), (status = 403, description = "client_not_licensed")))]
pub async fn ticket(
    State(state): State<AppState>,
    Licensed(account): Licensed,
) -> ApiResult<ApiJson<EventTicket>> {
    let ticket = auth::new_secret();
    let expires = chrono::Utc::now().timestamp_millis() + (TICKET_SECS * 1000) as i64;
    state
        .store
        .create_ticket(&auth::digest(&ticket), &account.user.id, expires)
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

/// The snapshot of a customer as one subscriber sees it: every colleague's presence, own live calls.
pub async fn snapshot(state: &AppState, account: &Account) -> ApiResult<Snapshot> {
    let users = state
        .store
        .customer_users(&account.customer_id, None, i64::MAX)
        .await?;
    let ids: Vec<(String, Vec<String>)> = users
        .iter()
        .map(|(u, p)| (u.id.clone(), p.clone()))
        .collect();
    let presences = presence::of_users(state, &account.customer_id, &ids).await?;
    let calls = state
        .store
        .live_calls(Some(&account.user.id))
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
    })
}

/// `GET /events`: the live stream.
#[utoipa::path(get, path = "/events", tag = "events", params(("ticket" = String, Query, description = "one-use ticket"), ("last_event_id" = Option<i64>, Query, description = "resume after this id"), ("Last-Event-ID" = Option<i64>, Header, description = "resume after this id")), responses((status = 200, description = "text/event-stream: snapshot, presence, call, profile"), (status = 401, description = "unauthenticated"), (status = 503, description = "unavailable")))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    let ticket = q
        .ticket
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or(ApiError::Unauthenticated)?;
    let now = chrono::Utc::now().timestamp_millis();
    let user_id = state
        .store
        .take_ticket(&auth::digest(&ticket), now)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let account = state
        .store
        .account(&user_id)
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
        Some(id) if id <= state.store.max_event_id().await? => Some(id),
        _ => None,
    };
    let slot = state
        .hub
        .slot(&account.user.id, &account.customer_id)
        .ok_or(ApiError::Unavailable)?;
    let keep_alive = Duration::from_secs(state.config.keep_alive_secs);
    let rx = state.hub.subscribe(&account.customer_id).await;
    let stream = EventStream {
        state,
        account,
        cursor: cursor.unwrap_or(0),
        needs_snapshot: cursor.is_none(),
        buffer: VecDeque::new(),
        rx,
        _slot: slot,
    };
    Ok(Sse::new(stream.into_stream())
        .keep_alive(KeepAlive::new().interval(keep_alive).text(""))
        .into_response())
}

/// One subscriber's position in its customer's stream.
struct EventStream {
    state: AppState,
    account: Account,
    cursor: i64,
    needs_snapshot: bool,
    buffer: VecDeque<SseEvent>,
    rx: watch::Receiver<i64>,
    /// This stream's place under the caps.
    _slot: StreamSlot,
}

impl EventStream {
    fn into_stream(self) -> impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static {
        async_stream(self)
    }

    /// The next event, waiting for one; `None` ends the stream (shutdown or store failure).
    async fn next(&mut self) -> Option<SseEvent> {
        let mut shutdown = self.state.hub.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return None;
            }
            if let Some(e) = self.buffer.pop_front() {
                return Some(e);
            }
            match self.fill().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "event stream");
                    return None;
                }
            }
            tokio::select! {
                _ = self.rx.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return None,
            }
        }
    }

    /// Reads what is due into the buffer; false when there was nothing.
    async fn fill(&mut self) -> ApiResult<bool> {
        self.rx.borrow_and_update();
        let (last, pruned) = self
            .state
            .store
            .stream_bounds(&self.account.customer_id)
            .await?;
        if self.needs_snapshot || self.cursor < pruned {
            let snap = snapshot(&self.state, &self.account).await?;
            self.cursor = last;
            self.needs_snapshot = false;
            let data =
                serde_json::to_string(&snap).map_err(|e| ApiError::Internal(e.to_string()))?;
            self.buffer.push_back(
                SseEvent::default()
                    .event("snapshot")
                    .id(last.to_string())
                    .data(data),
            );
            return Ok(true);
        }
        let events = self
            .state
            .store
            .events_after(
                &self.account.customer_id,
                &self.account.user.id,
                self.cursor,
                PAGE,
            )
            .await?;
        if events.is_empty() {
            // Nothing visible to this user up to `last`: skip past it.
            self.cursor = self.cursor.max(last);
            return Ok(false);
        }
        for e in events {
            self.cursor = e.id;
            self.buffer.push_back(
                SseEvent::default()
                    .event(e.kind)
                    .id(e.id.to_string())
                    .data(e.data),
            );
        }
        Ok(true)
    }
}

/// Turns the stream state into a `Stream`, holding the connection's place under the caps for as
/// long as it lives.
fn async_stream(
    es: EventStream,
) -> impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static {
    futures::stream::unfold(es, |mut es| async move {
        let e = es.next().await?;
        Some((Ok(e), es))
    })
}
