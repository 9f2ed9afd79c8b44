//! [`Store`](crate::store::Store) on PostgreSQL (issue 16): the store and the durable per-customer
//! event log of several stateless backend nodes. Migrations from `server/migrations/postgres/` run
//! at start-up under sqlx's advisory lock, so nodes starting together apply them once.
//!
//! One file per concern trait of `store`, like the SQLite engine; this one opens the pool, hands
//! out write transactions with their locks ([`Lock`]) and logs events with per-customer ids.
//!
//! # Write transactions and their locks
//! SQLite has one writer at a time, and the store's operations were written for that: many read,
//! decide and write in one transaction ("replace this call if its state is still X"). PostgreSQL
//! runs writers at once (READ COMMITTED), so every write transaction here first takes a lock that
//! restores that reasoning where it matters, without making every customer wait for every other:
//! - [`Lock::Customer`]: the customer's own lock (an advisory lock on its id) plus a *shared* hold
//!   of the all-customers lock. Two writers of one customer run one after the other; writers of
//!   different customers run at once. Almost every write is one customer's.
//! - [`Lock::All`]: the all-customers lock, exclusive: it waits for every running write and holds
//!   off every other (the administration of resellers and customers, pruning).
//!
//! The locks are transaction-scoped: they end with the commit or rollback, and with the
//! connection if a node dies. The all-customers lock is always taken before a customer's, so two
//! writers never wait for each other in a cycle.
//!
//! # Event ids
//! [`log_events`] takes each customer's ids from its row in `event_counters` in the transaction of
//! the change, so a customer's ids are contiguous and commit in id order: a reader that has seen id
//! n has seen every id below it. A `bigserial` would let id 2 commit before id 1 and a reader that
//! resumed after 2 would lose 1.

mod accounts;
mod admin;
mod calls;
mod events;
mod idempotency;
mod limits;
mod orgs;
mod pbx;
mod presence;
mod softphone;
mod sso;
mod voice;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

#[allow(unused_imports)]
use crate::store::codec::{
    colours_of, conflict, enum_str, from_json, parse_enum, profile, to_json, user_of,
};
use crate::store::location::PostgresUrl;
use crate::store::{CallStep, NewEvent, StoreError, StoreResult};

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    /// The connection pool.
    pool: PgPool,
    /// The node this store serves (its calls are stamped with it), when it serves one.
    node: Option<std::sync::Arc<str>>,
}

/// Most connections one node opens (PostgreSQL's default `max_connections` is 100: three nodes,
/// the admin commands and a `psql` fit).
pub const MAX_CONNECTIONS: u32 = 24;

/// The all-customers advisory lock's key (any constant; a customer's key is the 64-bit hash of
/// its id, which could only collide with it harmlessly: one more wait).
const ALL_CUSTOMERS: i64 = 0x7563_636c_6965_6e74; // "ucclient"

/// Which writers a write transaction holds off until it ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// The writers of this customer.
    Customer(&'a str),
    /// Every writer.
    All,
}

/// A write transaction (see the module's documentation for its lock).
pub(crate) type WriteTx = Transaction<'static, Postgres>;

impl PgStore {
    /// Connects to the database at `url`, failing a wait for a connection after
    /// `acquire_timeout`, and applies the migrations that are not applied yet.
    pub async fn open(url: &PostgresUrl, acquire_timeout: Duration) -> StoreResult<PgStore> {
        let options: PgConnectOptions = url
            .expose()
            .parse()
            .map_err(|e: sqlx::Error| StoreError::Data(format!("database URL: {e}")))?;
        let options = options.application_name("ucclient-server");
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(acquire_timeout)
            // A connection PostgreSQL dropped (a restart) is found before use, not by a request.
            .test_before_acquire(true)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Data(format!("migrations: {e}")))?;
        Ok(PgStore { pool, node: None })
    }

    /// This store as node `node`'s: the calls it creates are stamped with it (see `nodes`).
    pub fn with_node(mut self, node: std::sync::Arc<str>) -> PgStore {
        self.node = Some(node);
        self
    }

    /// Stamps a call created in `tx` with this store's node.
    pub(crate) async fn own_call(&self, tx: &mut PgConnection, call_id: &str) -> StoreResult<()> {
        if let Some(node) = &self.node {
            sqlx::query("UPDATE calls SET node = $1 WHERE id = $2")
                .bind(&**node)
                .bind(call_id)
                .execute(tx)
                .await?;
        }
        Ok(())
    }

    /// Stores `step` in `tx` as the call's next step (replacing any), played by this store's node.
    pub(crate) async fn put_step(&self, tx: &mut PgConnection, step: &CallStep) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO call_steps (call_id, kind, since_ms, node, message, message_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (call_id) DO UPDATE SET kind = excluded.kind,
                 since_ms = excluded.since_ms, node = excluded.node,
                 message = excluded.message, message_ms = excluded.message_ms",
        )
        .bind(&step.call_id)
        .bind(enum_str(&step.kind))
        .bind(step.since_ms)
        .bind(self.node.as_deref())
        .bind(step.message.as_ref().map(|m| m.wav.as_slice()))
        .bind(step.message.as_ref().map(|m| i64::from(m.duration_ms)))
        .execute(tx)
        .await?;
        Ok(())
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction holding `lock` (see the module's documentation).
    pub(crate) async fn write(&self, lock: Lock<'_>) -> StoreResult<WriteTx> {
        let mut tx = self.pool.begin().await?;
        match lock {
            Lock::Customer(customer_id) => {
                // Left to right: the shared all-customers hold first, then the customer's own.
                sqlx::query(
                    "SELECT pg_advisory_xact_lock_shared($1), \
                            pg_advisory_xact_lock(hashtextextended($2, 0))",
                )
                .bind(ALL_CUSTOMERS)
                .bind(customer_id)
                .execute(&mut *tx)
                .await?;
            }
            Lock::All => {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ALL_CUSTOMERS)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(tx)
    }

    /// Begins a write transaction holding the lock of the customer of `user_id`; `None` when there
    /// is no such user (nothing to write).
    pub(crate) async fn write_for_user(&self, user_id: &str) -> StoreResult<Option<WriteTx>> {
        let customer: Option<String> =
            sqlx::query_scalar("SELECT customer_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        match customer {
            // A user never changes customer, so the lock read outside the transaction is theirs.
            Some(c) => Ok(Some(self.write(Lock::Customer(&c)).await?)),
            None => Ok(None),
        }
    }
}

/// Logs events in the transaction of the change they record, each customer's with the next ids of
/// its counter row (whose lock the transaction then holds until it commits).
pub(crate) async fn log_events(tx: &mut PgConnection, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let now = Utc::now().timestamp_millis();
    let mut per_customer: HashMap<&str, i64> = HashMap::new();
    for e in events {
        *per_customer.entry(e.customer_id.as_str()).or_default() += 1;
    }
    // The first id each customer's events take, in the order they are given.
    let mut next: HashMap<&str, i64> = HashMap::with_capacity(per_customer.len());
    for (customer, n) in per_customer {
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO event_counters (customer_id, last_id) VALUES ($1, $2)
             ON CONFLICT (customer_id) DO UPDATE SET last_id = event_counters.last_id + $2
             RETURNING last_id",
        )
        .bind(customer)
        .bind(n)
        .fetch_one(&mut *tx)
        .await?;
        next.insert(customer, last - n + 1);
    }
    for e in events {
        let id = next.get_mut(e.customer_id.as_str()).expect("counted above");
        sqlx::query(
            "INSERT INTO events (customer_id, id, audience_user, kind, data, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&e.customer_id)
        .bind(*id)
        .bind(&e.audience)
        .bind(e.kind)
        .bind(&e.data)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        *id += 1;
    }
    Ok(())
}
