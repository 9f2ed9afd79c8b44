//! The cross-node doorbell (issue 16): after a commit that logged events, a node rings the other
//! nodes sharing its database, so their readers re-read that customer's log at once instead of at
//! their next [`POLL`](crate::fanout::POLL).
//!
//! A ring carries which customer changed and which node rang (so a node skips its own rings,
//! whose wake-up it already did), never data: every node reads the events from the store's log,
//! the only source of truth. A lost ring costs latency, never an event, as the readers' POLL
//! re-reads the log anyway.
//!
//! - PostgreSQL (`--database postgres://…` without `--bus`): rings are `pg_notify` on the pool;
//!   each node keeps one connection `LISTEN`ing on [`CHANNEL`]. When that connection drops, the
//!   listener reconnects with backoff and then wakes every reader, as rings sent meanwhile were
//!   lost.
//! - NATS (`--bus nats://…`): rings are messages on the core subject [`SUBJECT`]. The client
//!   reconnects by itself; rings while it is disconnected are dropped (the readers' POLL delivers),
//!   and on reconnecting every reader is woken.
//! - Otherwise (SQLite, one process): no doorbell.
//!
//! A ring never makes a request wait for the bus: it adds its customer to a set and one sender
//! task per node sends the set (one statement on PostgreSQL), so a burst of changes of one customer
//! is one ring.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{BusCredentials, BusUrl};
use crate::fanout::Tails;
use crate::store::engine::Engine;

/// The PostgreSQL channel rings are sent on.
pub const CHANNEL: &str = "ucclient_events";
/// The NATS subject rings are published on.
pub const SUBJECT: &str = "ucclient.events";
/// First wait before reconnecting a lost listener; it doubles up to [`RECONNECT_MAX`].
const RECONNECT_MIN: Duration = Duration::from_millis(100);
/// Longest wait between reconnection attempts (about one [`POLL`](crate::fanout::POLL)).
pub const RECONNECT_MAX: Duration = Duration::from_secs(2);
/// At most one log line about dropped rings per this long.
const DROPPED_LOG_EVERY: Duration = Duration::from_secs(10);

/// What a doorbell wakes in this process: the readers of the customers' tails.
pub trait Wake: Send + Sync + 'static {
    /// Wakes the reader of one customer's tail (another node rang for it).
    fn wake(&self, customer_id: &str);
    /// Wakes every reader (rings may have been lost while the doorbell was disconnected).
    fn wake_all(&self);
}

impl Wake for Tails {
    fn wake(&self, customer_id: &str) {
        self.notify(customer_id);
    }

    fn wake_all(&self) {
        self.notify_all();
    }
}

/// A node's doorbell: rings the other nodes, and wakes this node's readers for their rings.
/// Clones share it; [`Doorbell::stop`], or dropping the last clone, ends its tasks.
#[derive(Clone)]
pub struct Doorbell {
    inner: Arc<Inner>,
}

struct Inner {
    /// The customers rung and not sent yet.
    queue: Arc<Queue>,
    /// The sender and the listener.
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// What carries the rings, for messages.
    kind: &'static str,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in self
            .tasks
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            t.abort();
        }
    }
}

/// Customers rung since the sender last took them.
#[derive(Default)]
struct Queue {
    pending: Mutex<HashSet<String>>,
    rung: Notify,
}

impl Queue {
    fn push(&self, customer_id: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !pending.contains(customer_id) {
            pending.insert(customer_id.to_owned());
        }
        drop(pending);
        self.rung.notify_one();
    }

    /// Waits for rings, then takes every pending one.
    async fn take(&self) -> Vec<String> {
        loop {
            {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                if !pending.is_empty() {
                    return pending.drain().collect();
                }
            }
            self.rung.notified().await;
        }
    }
}

/// The customer of a ring that wakes every reader (an admin command, which knows no tails).
const EVERYONE: &str = "*";

/// Rings every node listening on this PostgreSQL database to wake all its readers: what a
/// process without a doorbell of its own (an admin command) sends after its commit.
pub async fn ring_everyone(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload(&node_id(), EVERYONE))
        .execute(pool)
        .await?;
    Ok(())
}

/// Wakes what a ring from another node for `customer` asks for: its reader, or every reader.
fn answer(wake: &dyn Wake, customer: &str) {
    if customer == EVERYONE {
        wake.wake_all();
    } else {
        wake.wake(customer);
    }
}

/// A ring's payload: the ringing node, a space, the customer.
fn payload(node: &str, customer_id: &str) -> String {
    format!("{node} {customer_id}")
}

/// The customer of a ring from another node (`None` for this node's own rings and for payloads
/// that are not rings).
fn theirs<'a>(node: &str, payload: &'a str) -> Option<&'a str> {
    let (from, customer) = payload.split_once(' ')?;
    (from != node && !customer.is_empty()).then_some(customer)
}

/// A fresh id for this node's rings.
fn node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Counts rings that could not be sent and logs them at debug, at most once per
/// [`DROPPED_LOG_EVERY`] (a bus that is down would otherwise log every change).
struct Dropped {
    count: u64,
    logged: Option<Instant>,
}

impl Dropped {
    fn new() -> Dropped {
        Dropped {
            count: 0,
            logged: None,
        }
    }

    fn note(&mut self, rings: usize, kind: &str, why: &dyn std::fmt::Display) {
        self.count += rings as u64;
        if self
            .logged
            .is_none_or(|at| at.elapsed() >= DROPPED_LOG_EVERY)
        {
            tracing::debug!(
                dropped = self.count,
                doorbell = kind,
                reason = %why,
                "rings dropped; other nodes see the changes at their next poll"
            );
            self.count = 0;
            self.logged = Some(Instant::now());
        }
    }
}

impl Doorbell {
    /// The doorbell of a node whose store is this PostgreSQL pool: rings with `pg_notify`, and
    /// listens on one connection of the pool, waking `wake` for the other nodes' rings.
    pub fn postgres(pool: PgPool, wake: Arc<dyn Wake>) -> Doorbell {
        let node: Arc<str> = node_id().into();
        let queue = Arc::new(Queue::default());
        let tasks = vec![
            tokio::spawn(send_postgres(pool.clone(), node.clone(), queue.clone())),
            tokio::spawn(listen_postgres(pool, node, wake)),
        ];
        Doorbell {
            inner: Arc::new(Inner {
                queue,
                tasks: Mutex::new(tasks),
                kind: "postgres",
            }),
        }
    }

    /// The doorbell on the NATS server at `bus`: rings are published on [`SUBJECT`], and the
    /// other nodes' rings wake `wake`. It returns at once even when the server cannot be reached
    /// yet: the client keeps connecting and reconnecting by itself, and rings wait for no one.
    pub async fn nats(bus: &BusUrl, wake: Arc<dyn Wake>) -> anyhow::Result<Doorbell> {
        let node: Arc<str> = node_id().into();
        let address = bus.address();
        let server = async_nats::ServerAddr::from_url(address)
            .map_err(|e| anyhow::anyhow!("--bus {bus}: {e}"))?;
        let events_wake = wake.clone();
        let shown = bus.to_string();
        let mut options = async_nats::ConnectOptions::new()
            .name("ucclient-server")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(RECONNECT_MAX)
            .reconnect_delay_callback(|attempts| backoff(attempts.saturating_sub(1)))
            .event_callback(move |event| {
                let wake = events_wake.clone();
                let shown = shown.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!(bus = %shown, "doorbell connected to NATS");
                            // Rings from others while this node was away were lost.
                            wake.wake_all();
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!(
                                bus = %shown,
                                "doorbell disconnected from NATS; reconnecting, changes from other \
                                 nodes arrive at the next poll meanwhile"
                            );
                        }
                        other => tracing::debug!(bus = %shown, event = %other, "doorbell"),
                    }
                }
            });
        options = match bus.credentials() {
            Some(BusCredentials::UserPassword(user, password)) => {
                options.user_and_password(user, password)
            }
            Some(BusCredentials::Token(token)) => options.token(token),
            None => options,
        };
        let client = options
            .connect(server)
            .await
            .map_err(|e| anyhow::anyhow!("--bus {bus}: {e}"))?;
        let subscriber = client
            .subscribe(SUBJECT)
            .await
            .map_err(|e| anyhow::anyhow!("--bus {bus}: subscribing to {SUBJECT}: {e}"))?;
        let queue = Arc::new(Queue::default());
        let tasks = vec![
            tokio::spawn(send_nats(client, node.clone(), queue.clone())),
            tokio::spawn(listen_nats(subscriber, node, wake)),
        ];
        Ok(Doorbell {
            inner: Arc::new(Inner {
                queue,
                tasks: Mutex::new(tasks),
                kind: "nats",
            }),
        })
    }

    /// The doorbell `--bus` and `--database` call for: NATS with `--bus`, else LISTEN/NOTIFY
    /// on a PostgreSQL store; none for SQLite alone (one process, nobody to ring).
    pub async fn for_backend(
        engine: &Engine,
        bus: Option<&BusUrl>,
        wake: Arc<dyn Wake>,
    ) -> anyhow::Result<Option<Doorbell>> {
        Ok(match (bus, engine) {
            (Some(bus), _) => Some(Doorbell::nats(bus, wake).await?),
            (None, Engine::Postgres(store)) => Some(Doorbell::postgres(store.pool().clone(), wake)),
            (None, Engine::Sqlite(_)) => None,
        })
    }

    /// Rings the other nodes for `customer_id` (after a local commit that logged its events).
    /// Never waits: the ring is sent in the background, merged with pending rings of the
    /// customer.
    pub fn ring(&self, customer_id: &str) {
        self.inner.queue.push(customer_id);
    }

    /// What carries the rings: `postgres` or `nats`.
    pub fn kind(&self) -> &'static str {
        self.inner.kind
    }

    /// Ends its sender and listener (on shutdown); rings after it go nowhere.
    pub fn stop(&self) {
        for t in self
            .inner
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            t.abort();
        }
    }
}

/// The wait before reconnection attempt `n` (0 first): [`RECONNECT_MIN`] doubling up to
/// [`RECONNECT_MAX`].
fn backoff(n: usize) -> Duration {
    RECONNECT_MIN
        .saturating_mul(1 << n.min(16))
        .min(RECONNECT_MAX)
}

/// Sends the pending rings with `pg_notify`, all pending customers in one statement.
async fn send_postgres(pool: PgPool, node: Arc<str>, queue: Arc<Queue>) {
    let mut dropped = Dropped::new();
    loop {
        let customers = queue.take().await;
        let payloads: Vec<String> = customers.iter().map(|c| payload(&node, c)).collect();
        let sent = sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(CHANNEL)
            .bind(&payloads)
            .execute(&pool)
            .await;
        match sent {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => dropped.note(payloads.len(), "postgres", &e),
        }
    }
}

/// Keeps one connection `LISTEN`ing on [`CHANNEL`] and wakes `wake` for the other nodes' rings;
/// when the connection drops it reconnects with backoff, then wakes every reader.
async fn listen_postgres(pool: PgPool, node: Arc<str>, wake: Arc<dyn Wake>) {
    let mut attempt = 0;
    // Every connection but the very first follows a time without one, when rings were lost.
    let mut first = true;
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&pool).await?;
            // A lost connection ends `try_recv` with `Ok(None)`; reconnecting is ours to do.
            l.eager_reconnect(false);
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        match listener {
            Ok(mut listener) => {
                if !first {
                    tracing::info!("doorbell listening on PostgreSQL again; waking every reader");
                    wake.wake_all();
                }
                attempt = 0;
                loop {
                    match listener.try_recv().await {
                        Ok(Some(ring)) => {
                            if let Some(customer) = theirs(&node, ring.payload()) {
                                answer(&*wake, customer);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!(
                                "doorbell: the PostgreSQL listening connection was lost"
                            );
                            break;
                        }
                        Err(sqlx::Error::PoolClosed) => return,
                        Err(e) => {
                            tracing::warn!(error = %e, "doorbell: listening on PostgreSQL");
                            break;
                        }
                    }
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => {
                if attempt == 0 {
                    tracing::warn!(error = %e, "doorbell: cannot listen on PostgreSQL; retrying");
                } else {
                    tracing::debug!(error = %e, attempt, "doorbell: cannot listen on PostgreSQL");
                }
            }
        }
        first = false;
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// Publishes the pending rings while the client is connected, and drops them while it is not
/// (its own buffer would hold them, and then a publish would wait, until it reconnects).
async fn send_nats(client: async_nats::Client, node: Arc<str>, queue: Arc<Queue>) {
    let mut dropped = Dropped::new();
    loop {
        let customers = queue.take().await;
        let state = client.connection_state();
        if state != async_nats::connection::State::Connected {
            dropped.note(customers.len(), "nats", &format_args!("{state}"));
            continue;
        }
        for c in &customers {
            if let Err(e) = client
                .publish(SUBJECT, payload(&node, c).into_bytes().into())
                .await
            {
                dropped.note(1, "nats", &e);
            }
        }
    }
}

/// Wakes `wake` for the other nodes' rings (the client resubscribes by itself on reconnecting).
async fn listen_nats(mut subscriber: async_nats::Subscriber, node: Arc<str>, wake: Arc<dyn Wake>) {
    use futures::StreamExt;
    while let Some(message) = subscriber.next().await {
        if let Some(customer) = std::str::from_utf8(&message.payload)
            .ok()
            .and_then(|p| theirs(&node, p))
        {
            answer(&*wake, customer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_skips_its_own_rings_and_reads_the_others() {
        let ring = payload("a1", "acme corp");
        assert_eq!(theirs("b2", &ring), Some("acme corp"));
        assert_eq!(theirs("a1", &ring), None);
        assert_eq!(theirs("b2", "garbage"), None);
        assert_eq!(theirs("b2", "a1 "), None);
        assert_ne!(node_id(), node_id());
    }

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(0), RECONNECT_MIN);
        assert_eq!(backoff(1), RECONNECT_MIN * 2);
        assert_eq!(backoff(5), RECONNECT_MAX);
        assert_eq!(backoff(usize::MAX), RECONNECT_MAX);
    }

    #[tokio::test]
    async fn rings_of_one_customer_merge_until_they_are_sent() {
        let q = Queue::default();
        q.push("acme");
        q.push("globex");
        q.push("acme");
        let mut taken = q.take().await;
        taken.sort();
        assert_eq!(taken, ["acme", "globex"]);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), q.take())
                .await
                .is_err(),
            "nothing pending"
        );
    }
}
