//! [`Store`](crate::store::Store) on SQLite (the embedded default): one file, WAL, migrations from
//! `server/migrations/` run at start-up. Write transactions start with `BEGIN IMMEDIATE` so two
//! writers queue on the busy timeout instead of failing on a lock upgrade.
//!
//! One file per concern trait of `store` (`accounts.rs` implements `AccountStore`, …); this one
//! opens the database, hands out the writer's turn (`WriteTx`) and holds the helpers several of
//! them share.

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
#[cfg(test)]
mod tests;
mod voice;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

#[allow(unused_imports)]
use crate::store::codec::{
    colours_of, conflict, enum_str, from_json, parse_enum, profile, to_json, user_of,
};
use crate::store::{CallStep, NewEvent, StoreError, StoreResult};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The connection pool (WAL: many readers, one writer at a time).
    pool: SqlitePool,
    /// This process's writers take turns here before they take a connection: waiting writers
    /// then hold no connection (readers keep theirs) and queue without SQLite's busy handler,
    /// which sleeps 1, 2, 5, 10… ms between tries. Other processes (admin commands) still meet
    /// the busy timeout.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// How long a request waits for a connection (or for the writer's turn) before it fails with
    /// `PoolTimedOut`, which the API answers 503: under overload we fail fast, not queue for ever.
    acquire_timeout: Duration,
    /// The node this store serves (its calls are stamped with it), when it serves one.
    node: Option<Arc<str>>,
}

/// A write transaction holding this process's writer turn until it commits or drops.
struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl WriteTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// Most connections in the pool.
pub const MAX_CONNECTIONS: u32 = 8;
/// How long a request waits for a connection by default (`--db-acquire-timeout-ms`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations, with the default
    /// acquire bound ([`DEFAULT_ACQUIRE_TIMEOUT`]).
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// Opens the database like [`SqliteStore::open`], failing a wait for a connection (or for
    /// this process's writer turn) after `acquire_timeout`.
    pub async fn open_with(path: &Path, acquire_timeout: Duration) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit is in the WAL (the OS's file cache) before it is
            // acknowledged, so a crash of this process (kill -9, panic, OOM) loses nothing
            // acknowledged, and the file is never corrupted; only a power loss or kernel crash
            // can drop the last commits before a checkpoint. FULL would fsync every commit
            // (serialised, one fsync per presence change), far below 2,000 changes/s here; for
            // presence, which every client re-reads on reconnect, NORMAL is the right trade.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // No reaping or ageing of idle connections (an idle SQLite file handle costs nothing), and
        // no ping before use: a local file cannot have hung up.
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(acquire_timeout)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Data(format!("migrations: {e}")))?;
        Ok(SqliteStore {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            acquire_timeout,
            node: None,
        })
    }

    /// This store as node `node`'s: the calls it creates are stamped with it (see `nodes`).
    pub fn with_node(mut self, node: Arc<str>) -> SqliteStore {
        self.node = Some(node);
        self
    }

    /// Stamps a call created in `tx` with this store's node.
    async fn own_call(&self, tx: &mut WriteTx, call_id: &str) -> StoreResult<()> {
        if let Some(node) = &self.node {
            sqlx::query("UPDATE calls SET node = ? WHERE id = ?")
                .bind(&**node)
                .bind(call_id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Stores `step` in `tx` as the call's next step (replacing any), played by this store's node.
    async fn put_step(&self, tx: &mut WriteTx, step: &CallStep) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO call_steps (call_id, kind, since_ms, node, message, message_ms)
             VALUES (?, ?, ?, ?, ?, ?)
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
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The connection pool (tests hold its connections to simulate overload).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool (the WAL is checkpointed by SQLite).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write(&self) -> StoreResult<WriteTx> {
        // The writer's turn is bounded like a connection: a queue of writers behind a slow
        // one fails fast instead of growing.
        let turn = tokio::time::timeout(self.acquire_timeout, self.writer.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Db(sqlx::Error::PoolTimedOut))?;
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }
}

async fn log_events(tx: &mut WriteTx, events: &[NewEvent]) -> StoreResult<()> {
    let now = Utc::now().timestamp_millis();
    for e in events {
        sqlx::query(
            "INSERT INTO events (customer_id, audience_user, kind, data, created_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&e.customer_id)
        .bind(&e.audience)
        .bind(e.kind)
        .bind(&e.data)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
