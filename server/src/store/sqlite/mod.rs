//! [`Store`] on SQLite (the embedded default): one file, WAL, migrations from `server/migrations/`
//! run at start-up. Write transactions start with `BEGIN IMMEDIATE` so two writers queue on the busy
//! timeout instead of failing on a lock upgrade.

use std::collections::{HashMap, HashSet};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};
use ucclient_core::ProfileId;
use ucclient_core::api::{
    AccessEndReason, Call, CallContext, CallState, Device, DeviceKind, HexColour, HuntGroup,
    PbxSync, PbxUserState, PresenceColours, ProfileSettings, Role, User, VoicemailEvent,
    VoicemailMessage,
};
use ucclient_core::api::{AuditActor, AuditEntry, ResellerCustomer};
use ucclient_core::api::{Disposition, WrapUpSettings};
use ucclient_core::pbx::Mode;
use ucclient_core::ring::GroupMember;

use super::{
    Account, AddOrg, AdminChange, AdminUser, AdminWrite, LoggedEvent, MAX_MESSAGES, NewEvent,
    NewUser, NewVoicemail, Overlay, OwnedCall, PbxWork, PresenceChange, PresenceRow, PutSso,
    SsoAttempt, SsoKey, Store, StoreError, StoreResult, StoredEvent, StoredOrg, StoredSso,
    SyncOutcome, Ticket, end_of_access, session_key,
};
use super::{AuditScope, ManagedUser, NewAudit, ResellerInfo};
use super::{VoiceKey, VoiceSettings};

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
        })
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

fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn parse_enum<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StoreError::Data(format!("{s}: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Data(e.to_string()))
}

fn from_json<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Data(e.to_string()))
}

fn profile(s: &str) -> StoreResult<ProfileId> {
    ProfileId::parse(s).ok_or_else(|| StoreError::Data(format!("profile {s}")))
}

fn conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("unknown reference: {}", d.message()))
        }
        _ => StoreError::Db(e),
    }
}

fn user_of(r: &sqlx::sqlite::SqliteRow) -> User {
    User {
        id: r.get("id"),
        name: r.get("name"),
        email: r.get("email"),
        extension: r.get("extension"),
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

/// How many of the user's inbound calls ended `missed` after the last one they saw (at most
/// [`crate::calls::MAX_HISTORY`], the most one history answer holds).
async fn missed_count(tx: &mut WriteTx, user_id: &str) -> StoreResult<u32> {
    let n: i64 = sqlx::query_scalar(MISSED_COUNT)
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(bounded_count(n))
}

/// The user's missed calls after the last they saw.
const MISSED_COUNT: &str = "SELECT COUNT(*) FROM calls c JOIN users u ON u.id = c.user_id
     WHERE c.user_id = ? AND c.direction = 'inbound' AND c.outcome = 'missed'
       AND c.seq > u.missed_seen_seq";

fn bounded_count(n: i64) -> u32 {
    u32::try_from(n.clamp(0, crate::calls::MAX_HISTORY)).unwrap_or(0)
}

/// The `missed` event with the user's count, to their own streams.
fn missed_event(customer_id: &str, user_id: &str, count: u32) -> NewEvent {
    NewEvent {
        customer_id: customer_id.to_owned(),
        audience: Some(user_id.to_owned()),
        kind: "missed",
        data: serde_json::to_string(&ucclient_core::api::MissedCalls { count }).unwrap_or_default(),
    }
}

/// Logs an end-of-access marker for every open stream of the user (nothing if the user is
/// unknown).
async fn end_access(tx: &mut WriteTx, user_id: &str, reason: AccessEndReason) -> StoreResult<()> {
    let customer: Option<String> = sqlx::query_scalar("SELECT customer_id FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
    match customer {
        Some(customer) => log_events(tx, &[end_of_access(&customer, user_id, reason, None)]).await,
        None => Ok(()),
    }
}

async fn permissions_of(pool: &SqlitePool, user_id: &str) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM permissions WHERE user_id = ? ORDER BY permission",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}

fn call_of(r: &sqlx::sqlite::SqliteRow) -> StoreResult<OwnedCall> {
    let context: Option<String> = r.get("context");
    let context: Option<CallContext> = match context {
        Some(c) => Some(from_json(&c)?),
        None => None,
    };
    Ok(OwnedCall {
        user_id: r.get("user_id"),
        customer_id: r.get("customer_id"),
        call: Call {
            id: r.get("id"),
            direction: parse_enum(r.get::<&str, _>("direction"))?,
            from: r.get("from_number"),
            to: r.get("to_number"),
            state: parse_enum(r.get::<&str, _>("state"))?,
            started_at: r.get::<DateTime<Utc>, _>("started_at").into(),
            answered_at: r
                .get::<Option<DateTime<Utc>>, _>("answered_at")
                .map(Into::into),
            ended_at: r
                .get::<Option<DateTime<Utc>>, _>("ended_at")
                .map(Into::into),
            context,
            internal: r.get::<i64, _>("internal") != 0,
            outcome: r
                .get::<Option<&str>, _>("outcome")
                .map(parse_enum)
                .transpose()?,
            answered_on: r.get("answered_on"),
            forwarded_to: r.get("forwarded_to"),
            held: r.get::<i64, _>("held") != 0,
            wrap_up: r
                .get::<Option<String>, _>("wrap_up")
                .map(|w| from_json(&w))
                .transpose()?,
            crm_record: r
                .get::<Option<String>, _>("crm_record")
                .map(|w| from_json(&w))
                .transpose()?,
            transferred_to: r.get("transferred_to"),
            consult_of: r.get("consult_of"),
        },
        peer: r.get("peer_call_id"),
    })
}

/// A reseller's presence colours from its row; an unset (or unreadable) colour is core's default.
fn colours_of(r: &sqlx::sqlite::SqliteRow) -> PresenceColours {
    let defaults = PresenceColours::default();
    let read = |column: &str, default: HexColour| {
        r.get::<Option<String>, _>(column)
            .and_then(|c| HexColour::parse(&c).ok())
            .unwrap_or(default)
    };
    PresenceColours {
        available: read("colour_available", defaults.available),
        away: read("colour_away", defaults.away),
        busy: read("colour_busy", defaults.busy),
    }
}

async fn insert_call_row(tx: &mut WriteTx, owned: &OwnedCall) -> StoreResult<()> {
    let c = &owned.call;
    sqlx::query(&format!(
        "INSERT INTO calls ({CALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&c.id)
    .bind(&owned.user_id)
    .bind(&owned.customer_id)
    .bind(enum_str(&c.direction))
    .bind(&c.from)
    .bind(&c.to)
    .bind(enum_str(&c.state))
    .bind(DateTime::<Utc>::from(c.started_at))
    .bind(c.answered_at.map(DateTime::<Utc>::from))
    .bind(c.ended_at.map(DateTime::<Utc>::from))
    .bind(c.context.as_ref().map(to_json).transpose()?)
    .bind(i64::from(c.internal))
    .bind(c.outcome.as_ref().map(enum_str))
    .bind(&c.answered_on)
    .bind(&c.forwarded_to)
    .bind(&owned.peer)
    .bind(i64::from(c.held))
    .bind(c.wrap_up.as_ref().map(to_json).transpose()?)
    .bind(c.crm_record.as_ref().map(to_json).transpose()?)
    .bind(&c.transferred_to)
    .bind(&c.consult_of)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a message unless its mailbox is full (checked here, inside the write, so racing calls
/// cannot overfill it), and logs the owner's `voicemail` event with the new count.
async fn insert_voicemail(tx: &mut WriteTx, m: &NewVoicemail) -> StoreResult<()> {
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM voicemails WHERE user_id = ?")
        .bind(&m.user_id)
        .fetch_one(&mut **tx)
        .await?;
    if held >= i64::from(MAX_MESSAGES) {
        tracing::warn!(user = %m.user_id, "mailbox full; message dropped");
        return Ok(());
    }
    let v = &m.message;
    sqlx::query(
        "INSERT INTO voicemails (id, customer_id, user_id, call_id, caller, created_at, duration_ms, heard, audio)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&v.id)
    .bind(&m.customer_id)
    .bind(&m.user_id)
    .bind(&v.call_id)
    .bind(&v.from)
    .bind(DateTime::<Utc>::from(v.created_at))
    .bind(i64::from(v.duration_ms))
    .bind(v.heard)
    .bind(&m.audio)
    .execute(&mut **tx)
    .await?;
    log_voicemail_event(tx, &m.customer_id, &m.user_id, Some(v.clone()), None).await
}

/// Logs a `voicemail` event for the mailbox's owner only, with the unheard count as it is inside
/// this transaction.
async fn log_voicemail_event(
    tx: &mut WriteTx,
    customer_id: &str,
    user_id: &str,
    message: Option<VoicemailMessage>,
    deleted: Option<String>,
) -> StoreResult<()> {
    let unheard = unheard_count(&mut **tx, user_id).await?;
    let event = VoicemailEvent {
        unheard,
        message,
        deleted,
    };
    let data = serde_json::to_string(&event).map_err(|e| StoreError::Data(e.to_string()))?;
    log_events(
        tx,
        &[NewEvent {
            customer_id: customer_id.to_owned(),
            audience: Some(user_id.to_owned()),
            kind: "voicemail",
            data,
        }],
    )
    .await
}

async fn unheard_count(
    conn: impl sqlx::Executor<'_, Database = Sqlite>,
    user_id: &str,
) -> StoreResult<u32> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM voicemails WHERE user_id = ? AND heard = 0")
            .bind(user_id)
            .fetch_one(conn)
            .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

const VOICEMAIL_COLUMNS: &str = "id, call_id, caller, created_at, duration_ms, heard";

fn voicemail_of(r: &sqlx::sqlite::SqliteRow) -> VoicemailMessage {
    VoicemailMessage {
        id: r.get("id"),
        call_id: r.get("call_id"),
        from: r.get("caller"),
        created_at: r.get::<DateTime<Utc>, _>("created_at").into(),
        duration_ms: u32::try_from(r.get::<i64, _>("duration_ms")).unwrap_or(0),
        heard: r.get::<i64, _>("heard") != 0,
    }
}

const CALL_COLUMNS: &str = "id, user_id, customer_id, direction, from_number, to_number, state, started_at, answered_at, ended_at, context, internal, outcome, answered_on, forwarded_to, peer_call_id, held, wrap_up, crm_record, transferred_to, consult_of";

#[async_trait]
impl Store for SqliteStore {
    async fn login_lookup(&self, email: &str) -> StoreResult<Option<(String, String)>> {
        // A deactivated user is not found: their login fails like an unknown email's.
        let row = sqlx::query("SELECT id, password_hash FROM users WHERE email = ? AND active = 1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("id"), r.get("password_hash"))))
    }

    async fn account(&self, user_id: &str) -> StoreResult<Option<Account>> {
        let Some(r) = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension, u.role, c.id AS customer_id, c.name AS customer_name,
                    c.default_country, c.log_internal_calls, r.id AS reseller_id, r.mode,
                    r.extension_lists_enabled, r.colour_available, r.colour_away, r.colour_busy
             FROM users u JOIN customers c ON c.id = u.customer_id JOIN resellers r ON r.id = c.reseller_id
             WHERE u.id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Account {
            user: user_of(&r),
            customer_id: r.get("customer_id"),
            customer_name: r.get("customer_name"),
            reseller_id: r.get("reseller_id"),
            mode: parse_enum(r.get::<&str, _>("mode"))?,
            extension_lists_enabled: r.get::<i64, _>("extension_lists_enabled") != 0,
            colours: colours_of(&r),
            default_country: r.get("default_country"),
            log_internal_calls: r.get::<i64, _>("log_internal_calls") != 0,
            role: parse_enum(r.get::<&str, _>("role"))?,
            permissions: permissions_of(&self.pool, user_id).await?,
        }))
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        // Expired sessions are swept here, so the table stays as small as the live sessions.
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms < ?")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at_ms) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.expires_at_ms > ? AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn revoke_session(&self, token_hash: &str) -> StoreResult<Option<String>> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "DELETE FROM sessions WHERE token_hash = ?
             RETURNING user_id, (SELECT customer_id FROM users WHERE users.id = sessions.user_id) AS customer_id",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let customer = match row {
            Some(r) => {
                let (user, customer): (String, Option<String>) =
                    (r.get("user_id"), r.get("customer_id"));
                if let Some(customer) = &customer {
                    let end = end_of_access(
                        customer,
                        &user,
                        AccessEndReason::SignedOut,
                        Some(session_key(token_hash)),
                    );
                    log_events(&mut tx, &[end]).await?;
                }
                customer
            }
            None => None,
        };
        tx.commit().await?;
        Ok(customer)
    }

    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT expires_at_ms FROM sessions WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn devices(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        let rows = sqlx::query(
            "SELECT id, kind, label, number FROM devices WHERE user_id = ? ORDER BY position, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Device {
                    id: r.get("id"),
                    kind: DeviceKind::parse(r.get("kind"))
                        .ok_or_else(|| StoreError::Data("device kind".into()))?,
                    label: r.get("label"),
                    number: r.get("number"),
                })
            })
            .collect()
    }

    async fn customer_users(
        &self,
        customer_id: &str,
        q: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(User, Vec<String>)>> {
        let pattern = q.map(|q| {
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension,
                    (SELECT group_concat(permission) FROM permissions p WHERE p.user_id = u.id) AS perms
             FROM users u WHERE u.customer_id = ?1
               AND (?2 IS NULL OR u.name LIKE ?2 ESCAPE '\\' OR u.email LIKE ?2 ESCAPE '\\' OR u.extension LIKE ?2 ESCAPE '\\')
             ORDER BY u.name, u.id LIMIT ?3",
        )
        .bind(customer_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                let mut perms: Vec<String> = perms
                    .map(|p| p.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                perms.sort();
                (user_of(r), perms)
            })
            .collect())
    }

    async fn customer_user(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<(User, Vec<String>)>> {
        let row = sqlx::query(
            "SELECT id, name, email, extension FROM users WHERE customer_id = ? AND id = ?",
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((
                user_of(&r),
                permissions_of(&self.pool, user_id).await?,
            ))),
            None => Ok(None),
        }
    }

    async fn user_by_extension(
        &self,
        customer_id: &str,
        extension: &str,
    ) -> StoreResult<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, email, extension FROM users WHERE customer_id = ? AND extension = ?",
        )
        .bind(customer_id)
        .bind(extension)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(user_of))
    }

    async fn presence_rows(&self, user_ids: &[String]) -> StoreResult<Vec<PresenceRow>> {
        let mut out = Vec::with_capacity(user_ids.len());
        // One query per chunk keeps the bind count under SQLite's limit.
        for chunk in user_ids.chunks(200) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT user_id, profile, since, pbx_sync, pbx_error, desired_pbx, desired_version, sync_attempts
                 FROM presence WHERE user_id IN ({placeholders})"
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let desired: Option<String> = r.get("desired_pbx");
                out.push(PresenceRow {
                    user_id: r.get("user_id"),
                    profile: profile(r.get("profile"))?,
                    since: r.get("since"),
                    pbx_sync: parse_enum(r.get::<&str, _>("pbx_sync"))?,
                    pbx_error: r.get("pbx_error"),
                    desired: match desired {
                        Some(d) => Some(from_json(&d)?),
                        None => None,
                    },
                    desired_version: r.get("desired_version"),
                    sync_attempts: r.get("sync_attempts"),
                });
            }
        }
        Ok(out)
    }

    async fn users_on_call(&self, customer_id: &str) -> StoreResult<HashSet<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM calls WHERE customer_id = ? AND state = 'connected'",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().collect())
    }

    async fn set_presence(
        &self,
        user_id: &str,
        profile: ProfileId,
        since: DateTime<Utc>,
        sync: PbxSync,
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<i64> {
        let desired = desired.map(to_json).transpose()?;
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO presence (user_id, profile, since, pbx_sync, pbx_error, desired_pbx, desired_version, sync_attempts, next_attempt_ms)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, 1, 0, ?6)
             ON CONFLICT (user_id) DO UPDATE SET profile = ?2, since = ?3, pbx_sync = ?4, pbx_error = NULL,
                desired_pbx = ?5, desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = ?6
             RETURNING desired_version",
        )
        .bind(user_id)
        .bind(profile.as_str())
        .bind(since)
        .bind(enum_str(&sync))
        .bind(desired)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn overrides(&self, user_id: &str) -> StoreResult<HashMap<ProfileId, ProfileSettings>> {
        let rows = sqlx::query("SELECT profile, settings FROM profile_overrides WHERE user_id = ?")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((profile(r.get("profile"))?, from_json(r.get("settings"))?)))
            .collect()
    }

    async fn set_override(
        &self,
        user_id: &str,
        profile: ProfileId,
        settings: Option<&ProfileSettings>,
        devices: &[String],
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<Option<i64>> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        let current: Vec<String> =
            sqlx::query_scalar("SELECT id FROM devices WHERE user_id = ? ORDER BY position, id")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        if current != devices {
            return Ok(None);
        }
        match settings {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO profile_overrides (user_id, profile, settings) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, profile) DO UPDATE SET settings = ?3",
                )
                .bind(user_id)
                .bind(profile.as_str())
                .bind(to_json(s)?)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM profile_overrides WHERE user_id = ? AND profile = ?")
                    .bind(user_id)
                    .bind(profile.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let version: i64 = match desired {
            Some(d) => {
                sqlx::query_scalar(
                    "UPDATE presence SET pbx_sync = 'pending', pbx_error = NULL, desired_pbx = ?2,
                        desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = ?3
                     WHERE user_id = ?1 RETURNING desired_version",
                )
                .bind(user_id)
                .bind(to_json(d)?)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT desired_version FROM presence WHERE user_id = ?")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or(0)
            }
        };
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(Some(version))
    }

    async fn record_sync(
        &self,
        user_id: &str,
        version: i64,
        outcome: &SyncOutcome,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        let (sync, error, next): (PbxSync, Option<&str>, Option<i64>) = match outcome {
            SyncOutcome::Applied => (PbxSync::Applied, None, None),
            SyncOutcome::Retry {
                error,
                next_attempt_ms,
            } => (PbxSync::Pending, Some(error), Some(*next_attempt_ms)),
            SyncOutcome::Failed { error } => (PbxSync::Failed, Some(error), None),
            SyncOutcome::Released => (PbxSync::NotApplicable, None, None),
        };
        let failed_attempt = !matches!(outcome, SyncOutcome::Applied | SyncOutcome::Released);
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE presence SET pbx_sync = ?3, pbx_error = ?4, next_attempt_ms = ?5,
                sync_attempts = sync_attempts + ?6
             WHERE user_id = ?1 AND desired_version = ?2",
        )
        .bind(user_id)
        .bind(version)
        .bind(enum_str(&sync))
        .bind(error)
        .bind(next)
        .bind(failed_attempt as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            log_events(&mut tx, events).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn make_pending_due(&self, now_ms: i64) -> StoreResult<u64> {
        Ok(
            sqlx::query("UPDATE presence SET next_attempt_ms = ? WHERE pbx_sync = 'pending'")
                .bind(now_ms)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn due_syncs(&self, now_ms: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM presence WHERE pbx_sync = 'pending' AND (next_attempt_ms IS NULL OR next_attempt_ms <= ?)
             ORDER BY next_attempt_ms LIMIT 100",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_desired(
        &self,
        user_id: &str,
        version: i64,
        desired: &PbxUserState,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE presence SET desired_pbx = ?3
             WHERE user_id = ?1 AND desired_version = ?2 AND desired_pbx IS NULL AND pbx_sync = 'pending'",
        )
        .bind(user_id)
        .bind(version)
        .bind(to_json(desired)?)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn append_events(&self, events: &[NewEvent]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn events_after(
        &self,
        customer_id: &str,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT id, kind, data FROM events
             WHERE customer_id = ? AND id > ? AND (audience_user IS NULL OR audience_user = ?)
             ORDER BY id LIMIT ?",
        )
        .bind(customer_id)
        .bind(after)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| StoredEvent {
                id: r.get("id"),
                kind: r.get("kind"),
                data: r.get("data"),
            })
            .collect())
    }

    async fn log_after(
        &self,
        customer_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<(Vec<LoggedEvent>, i64)> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT id, audience_user, kind, data FROM events
             WHERE customer_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(customer_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let pruned: Option<i64> =
            sqlx::query_scalar("SELECT pruned_through FROM event_retention WHERE customer_id = ?")
                .bind(customer_id)
                .fetch_optional(&mut *conn)
                .await?;
        let events = rows
            .iter()
            .map(|r| LoggedEvent {
                id: r.get("id"),
                audience: r.get("audience_user"),
                kind: r.get("kind"),
                data: r.get("data"),
            })
            .collect();
        Ok((events, pruned.unwrap_or(0)))
    }

    async fn stream_bounds(&self, customer_id: &str) -> StoreResult<(i64, i64)> {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM events WHERE customer_id = ?")
                .bind(customer_id)
                .fetch_one(&self.pool)
                .await?;
        let pruned: Option<i64> =
            sqlx::query_scalar("SELECT pruned_through FROM event_retention WHERE customer_id = ?")
                .bind(customer_id)
                .fetch_optional(&self.pool)
                .await?;
        let pruned = pruned.unwrap_or(0);
        Ok((last.unwrap_or(0).max(pruned), pruned))
    }

    async fn max_event_id(&self) -> StoreResult<i64> {
        // sqlite_sequence keeps the highest id ever given, even after the rows are pruned.
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(seq.unwrap_or(0))
    }

    async fn prune_events(&self, older_than_ms: i64, keep: i64) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let customers: Vec<String> = sqlx::query_scalar("SELECT DISTINCT customer_id FROM events")
            .fetch_all(&mut *tx)
            .await?;
        let mut removed = 0;
        for c in customers {
            // The newest id to drop: anything too old, or beyond the newest `keep`.
            let by_age: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM events WHERE customer_id = ? AND created_ms < ?",
            )
            .bind(&c)
            .bind(older_than_ms)
            .fetch_one(&mut *tx)
            .await?;
            let by_count: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM events WHERE customer_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
            )
            .bind(&c)
            .bind(keep)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(through) = by_age.max(by_count) else {
                continue;
            };
            removed += sqlx::query("DELETE FROM events WHERE customer_id = ? AND id <= ?")
                .bind(&c)
                .bind(through)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "INSERT INTO event_retention (customer_id, pruned_through) VALUES (?1, ?2)
                 ON CONFLICT (customer_id) DO UPDATE SET pruned_through = MAX(pruned_through, ?2)",
            )
            .bind(&c)
            .bind(through)
            .execute(&mut *tx)
            .await?;
        }
        let now = Utc::now().timestamp_millis();
        sqlx::query("DELETE FROM event_tickets WHERE expires_at_ms < ?")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM rate_limits WHERE window_start_ms < ?")
            .bind(now - 3_600_000)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn create_ticket(
        &self,
        ticket_hash: &str,
        user_id: &str,
        session_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO event_tickets (ticket_hash, user_id, session_hash, expires_at_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(ticket_hash)
        .bind(user_id)
        .bind(session_hash)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_ticket(&self, ticket_hash: &str, now_ms: i64) -> StoreResult<Option<Ticket>> {
        // DELETE … RETURNING makes the ticket single-use even when two requests race.
        let row = sqlx::query(
            "DELETE FROM event_tickets WHERE ticket_hash = ? RETURNING user_id, session_hash, expires_at_ms",
        )
        .bind(ticket_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            (r.get::<i64, _>("expires_at_ms") > now_ms).then(|| Ticket {
                user_id: r.get("user_id"),
                session_hash: r.get("session_hash"),
            })
        }))
    }

    async fn hit_rate_limit(
        &self,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> StoreResult<(i64, i64)> {
        // The window opens at the key's first hit, not at a clock boundary: a burst straddling a
        // minute boundary cannot get twice the allowance, and `Retry-After` is exact. Every
        // request of a limited endpoint writes here, so it takes the writer's turn like any
        // write rather than meeting SQLite's busy handler.
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO rate_limits (key, window_start_ms, count) VALUES (?1, ?2, 1)
             ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN window_start_ms > ?2 - ?3 THEN count + 1 ELSE 1 END,
                window_start_ms = CASE WHEN window_start_ms > ?2 - ?3 THEN window_start_ms ELSE ?2 END
             RETURNING count, window_start_ms",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_ms.max(1))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((row.get("count"), row.get("window_start_ms")))
    }

    async fn peek_rate_limit(&self, key: &str) -> StoreResult<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT count, window_start_ms FROM rate_limits WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("count"), r.get("window_start_ms"))))
    }

    async fn note_failure(&self, key: &str, forget_ms: i64, now_ms: i64) -> StoreResult<i64> {
        let mut tx = self.write().await?;
        let count = sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start_ms, count) VALUES (?1, ?2, 1)
             ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN window_start_ms > ?2 - ?3 THEN count + 1 ELSE 1 END,
                window_start_ms = ?2
             RETURNING count",
        )
        .bind(key)
        .bind(now_ms)
        .bind(forget_ms.max(1))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM rate_limits WHERE key = ?")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_call(&self, call: &OwnedCall, events: &[NewEvent]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_call_row(&mut tx, call).await?;
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_calls(
        &self,
        updates: &[(OwnedCall, CallState)],
        inserts: &[OwnedCall],
        events: &[NewEvent],
        overlays: &[Overlay],
        messages: &[NewVoicemail],
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        for (owned, expected) in updates {
            let call = &owned.call;
            let done = sqlx::query(
                "UPDATE calls SET state = ?, answered_at = ?, ended_at = ?, outcome = ?,
                        answered_on = ?, forwarded_to = ?, peer_call_id = ?, held = ?,
                        transferred_to = ?, from_number = ?, internal = ?
                 WHERE id = ? AND state = ?",
            )
            .bind(enum_str(&call.state))
            .bind(call.answered_at.map(DateTime::<Utc>::from))
            .bind(call.ended_at.map(DateTime::<Utc>::from))
            .bind(call.outcome.as_ref().map(enum_str))
            .bind(&call.answered_on)
            .bind(&call.forwarded_to)
            .bind(&owned.peer)
            .bind(i64::from(call.held))
            .bind(&call.transferred_to)
            .bind(&call.from)
            .bind(i64::from(call.internal))
            .bind(&call.id)
            .bind(enum_str(expected))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !done {
                // Dropping the transaction rolls back whatever was written before.
                return Ok(false);
            }
        }
        for owned in inserts {
            insert_call_row(&mut tx, owned).await?;
        }
        log_events(&mut tx, events).await?;
        for m in messages {
            insert_voicemail(&mut tx, m).await?;
        }
        // A call that becomes missed with this write changes its owner's missed count: counted
        // here, inside the write, so the `missed` event always carries the stored count.
        let mut missed_owners: Vec<(&str, &str)> = updates
            .iter()
            .filter(|(c, expected)| !expected.is_final() && c.call.state.is_final())
            .map(|(c, _)| c)
            .chain(inserts.iter().filter(|c| c.call.state.is_final()))
            .filter(|c| c.call.is_missed())
            .map(|c| (c.customer_id.as_str(), c.user_id.as_str()))
            .collect();
        missed_owners.sort_unstable();
        missed_owners.dedup();
        for (customer_id, user_id) in missed_owners {
            let count = missed_count(&mut tx, user_id).await?;
            log_events(&mut tx, &[missed_event(customer_id, user_id, count)]).await?;
        }
        // "Still busy on another call?" is asked here, inside the write: two writes of the user's
        // calls at once queue on the write lock, so the second sees the first's new states and
        // exactly one of them announces the change of the busy overlay.
        let written = |id: &str| {
            updates
                .iter()
                .map(|(c, _)| c)
                .chain(inserts)
                .any(|c| c.call.id == id)
        };
        for overlay in overlays {
            let connected: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM calls WHERE user_id = ? AND state = 'connected'",
            )
            .bind(&overlay.user_id)
            .fetch_all(&mut *tx)
            .await?;
            if connected.iter().all(|id| written(id)) {
                log_events(&mut tx, std::slice::from_ref(&overlay.event)).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn call(&self, call_id: &str) -> StoreResult<Option<OwnedCall>> {
        let row = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = ?"))
            .bind(call_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(call_of).transpose()
    }

    async fn mailbox_state(&self, user_id: &str) -> StoreResult<(bool, u32)> {
        let row = sqlx::query(
            "SELECT voicemail, (SELECT COUNT(*) FROM voicemails v WHERE v.user_id = u.id) AS held
             FROM users u WHERE id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map_or((false, 0), |r| {
            (
                r.get::<i64, _>("voicemail") != 0,
                u32::try_from(r.get::<i64, _>("held")).unwrap_or(u32::MAX),
            )
        }))
    }

    async fn set_mailbox(&self, user_id: &str, enabled: bool) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET voicemail = ? WHERE id = ?")
            .bind(enabled)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn voicemails(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<(u32, Vec<VoicemailMessage>)> {
        let rows = sqlx::query(&format!(
            "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE user_id = ? AND customer_id = ?
             ORDER BY created_at DESC, rowid DESC LIMIT ?"
        ))
        .bind(user_id)
        .bind(customer_id)
        .bind(i64::from(MAX_MESSAGES))
        .fetch_all(&self.pool)
        .await?;
        let messages: Vec<VoicemailMessage> = rows.iter().map(voicemail_of).collect();
        let unheard = u32::try_from(messages.iter().filter(|m| !m.heard).count()).unwrap_or(0);
        Ok((unheard, messages))
    }

    async fn voicemail_audio(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT audio FROM voicemails WHERE id = ? AND user_id = ? AND customer_id = ?",
        )
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn mark_voicemail_heard(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<VoicemailMessage>> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE voicemails SET heard = 1
             WHERE id = ? AND user_id = ? AND customer_id = ? AND heard = 0",
        )
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let row = sqlx::query(&format!(
            "SELECT {VOICEMAIL_COLUMNS} FROM voicemails WHERE id = ? AND user_id = ? AND customer_id = ?"
        ))
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let message = row.as_ref().map(voicemail_of);
        if changed {
            log_voicemail_event(&mut tx, customer_id, user_id, message.clone(), None).await?;
        }
        tx.commit().await?;
        Ok(message)
    }

    async fn delete_voicemail(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted =
            sqlx::query("DELETE FROM voicemails WHERE id = ? AND user_id = ? AND customer_id = ?")
                .bind(id)
                .bind(user_id)
                .bind(customer_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if deleted {
            log_voicemail_event(&mut tx, customer_id, user_id, None, Some(id.to_owned())).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    async fn claim_call(
        &self,
        user_id: &str,
        call_id: &str,
        kind: &str,
        client: &str,
    ) -> StoreResult<Option<bool>> {
        let mut tx = self.write().await?;
        let own: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM calls WHERE id = ? AND user_id = ?")
                .bind(call_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if own.is_none() {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO call_claims (call_id, kind, client) VALUES (?, ?, ?)
             ON CONFLICT (call_id, kind) DO NOTHING",
        )
        .bind(call_id)
        .bind(kind)
        .bind(client)
        .execute(&mut *tx)
        .await?;
        let holder: String =
            sqlx::query_scalar("SELECT client FROM call_claims WHERE call_id = ? AND kind = ?")
                .bind(call_id)
                .bind(kind)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Some(holder == client))
    }

    async fn calls_of(&self, user_id: &str, limit: i64) -> StoreResult<Vec<Call>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE user_id = ? ORDER BY seq DESC LIMIT ?"
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| call_of(r).map(|c| c.call)).collect()
    }

    async fn live_calls(&self, user_id: Option<&str>) -> StoreResult<Vec<OwnedCall>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE state NOT IN ('ended', 'failed') AND (?1 IS NULL OR user_id = ?1) ORDER BY seq"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(call_of).collect()
    }

    async fn pbx_state(&self, user_id: &str) -> StoreResult<Option<PbxUserState>> {
        let s: Option<String> =
            sqlx::query_scalar("SELECT state FROM pbx_user_state WHERE user_id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        s.map(|s| from_json(&s)).transpose()
    }

    async fn put_pbx_state(&self, user_id: &str, state: &PbxUserState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pbx_user_state (user_id, state) VALUES (?1, ?2)
             ON CONFLICT (user_id) DO UPDATE SET state = ?2",
        )
        .bind(user_id)
        .bind(to_json(state)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn groups(&self, customer_id: &str) -> StoreResult<Vec<HuntGroup>> {
        let rows = sqlx::query(
            "SELECT g.id, g.name, g.extension, g.voicemail, m.kind, m.user_id FROM hunt_groups g
             LEFT JOIN hunt_group_members m ON m.group_id = g.id
             WHERE g.customer_id = ? ORDER BY g.name, g.id, m.position",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut groups: Vec<HuntGroup> = Vec::new();
        for r in rows {
            let id: String = r.get("id");
            if groups.last().is_none_or(|g| g.id != id) {
                groups.push(HuntGroup {
                    id: id.clone(),
                    name: r.get("name"),
                    members: Vec::new(),
                    extension: r.get("extension"),
                    voicemail: r.get::<i64, _>("voicemail") != 0,
                });
            }
            let kind: Option<String> = r.get("kind");
            let user: Option<String> = r.get("user_id");
            if let (Some(kind), Some(user), Some(g)) = (kind, user, groups.last_mut()) {
                g.members.push(if kind == "user" {
                    GroupMember::User(user)
                } else {
                    GroupMember::ExtensionListOf(user)
                });
            }
        }
        Ok(groups)
    }

    async fn create_reseller(
        &self,
        id: &str,
        name: &str,
        mode: Mode,
        extension_lists: bool,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO resellers (id, name, mode, extension_lists_enabled) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(name)
        .bind(mode.as_str())
        .bind(extension_lists as i64)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    async fn list_resellers(&self) -> StoreResult<Vec<(String, String, Mode, bool)>> {
        let rows = sqlx::query(
            "SELECT id, name, mode, extension_lists_enabled FROM resellers ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.get("id"),
                    r.get("name"),
                    parse_enum(r.get::<&str, _>("mode"))?,
                    r.get::<i64, _>("extension_lists_enabled") != 0,
                ))
            })
            .collect()
    }

    async fn create_customer(
        &self,
        id: &str,
        reseller_id: &str,
        name: &str,
        country: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO customers (id, reseller_id, name, default_country) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(reseller_id)
        .bind(name)
        .bind(country)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    async fn list_customers(&self) -> StoreResult<Vec<(String, String, String, String)>> {
        let rows =
            sqlx::query("SELECT id, reseller_id, name, default_country FROM customers ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get("id"),
                    r.get("reseller_id"),
                    r.get("name"),
                    r.get("default_country"),
                )
            })
            .collect())
    }

    async fn set_log_internal_calls(&self, customer_id: &str, on: bool) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE customers SET log_internal_calls = ? WHERE id = ?")
                .bind(i64::from(on))
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn create_user(&self, user: &NewUser) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO users (id, customer_id, name, email, extension, password_hash, role) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(&user.customer_id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.extension)
        .bind(&user.password_hash)
        .bind(enum_str(&user.role))
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        for p in &user.permissions {
            sqlx::query("INSERT OR IGNORE INTO permissions (user_id, permission) VALUES (?, ?)")
                .bind(&user.id)
                .bind(p)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO presence (user_id, profile, since) VALUES (?, 'available', ?)")
            .bind(&user.id)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_users(&self, customer_id: Option<&str>) -> StoreResult<Vec<AdminUser>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension, u.customer_id, u.role,
                    (SELECT group_concat(permission) FROM permissions p WHERE p.user_id = u.id) AS perms
             FROM users u WHERE ?1 IS NULL OR u.customer_id = ?1 ORDER BY u.customer_id, u.extension",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                Ok(AdminUser {
                    user: user_of(r),
                    customer_id: r.get("customer_id"),
                    role: parse_enum(r.get::<&str, _>("role"))?,
                    permissions: perms
                        .map(|p| p.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        end_access(&mut tx, user_id, AccessEndReason::PasswordChanged).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn set_role(&self, user_id: &str, role: Role) -> StoreResult<bool> {
        Ok(sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(enum_str(&role))
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        end_access(&mut tx, user_id, AccessEndReason::UserDeleted).await?;
        let done = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn add_device(&self, user_id: &str, device: &Device) -> StoreResult<()> {
        insert_device(user_id, device)
            .execute(&self.pool)
            .await
            .map_err(conflict)?;
        Ok(())
    }

    async fn put_group(
        &self,
        customer_id: &str,
        id: &str,
        name: &str,
        members: &[GroupMember],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO hunt_groups (id, customer_id, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = ?3 WHERE customer_id = ?2",
        )
        .bind(id)
        .bind(customer_id)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        sqlx::query("DELETE FROM hunt_group_members WHERE group_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, m) in members.iter().enumerate() {
            let kind = match m {
                GroupMember::User(_) => "user",
                GroupMember::ExtensionListOf(_) => "extension_list_of",
            };
            let in_customer: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE id = ? AND customer_id = ?")
                    .bind(m.user_id())
                    .bind(customer_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if in_customer.is_none() {
                return Err(StoreError::Conflict(format!(
                    "user {} is not in customer {customer_id}",
                    m.user_id()
                )));
            }
            sqlx::query("INSERT INTO hunt_group_members (group_id, position, kind, user_id) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(i as i64)
                .bind(kind)
                .bind(m.user_id())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_group(&self, id: &str) -> StoreResult<bool> {
        Ok(sqlx::query("DELETE FROM hunt_groups WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    async fn org_owner(&self, org_key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT customer_id FROM crm_orgs WHERE org_key = ?")
                .bind(org_key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn orgs(&self, customer_id: Option<&str>) -> StoreResult<Vec<StoredOrg>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, crm, org_key, name, org_id, created_at FROM crm_orgs \
             WHERE ?1 IS NULL OR customer_id = ?1 ORDER BY created_at, id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredOrg {
                    id: r.get("id"),
                    customer_id: r.get("customer_id"),
                    crm: parse_enum(r.get::<&str, _>("crm"))?,
                    org_key: r.get("org_key"),
                    name: r.get("name"),
                    org_id: r.get("org_id"),
                    created_at: r.get("created_at"),
                })
            })
            .collect()
    }

    async fn add_org(&self, org: &StoredOrg, max_per_customer: usize) -> StoreResult<AddOrg> {
        let mut tx = self.write().await?;
        let customer: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
            .bind(&org.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if customer.is_none() {
            return Ok(AddOrg::UnknownCustomer);
        }
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM crm_orgs WHERE org_key = ? OR (org_id IS NOT NULL AND org_id = ?)",
        )
        .bind(&org.org_key)
        .bind(&org.org_id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Ok(AddOrg::Taken);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM crm_orgs WHERE customer_id = ?")
            .bind(&org.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize >= max_per_customer {
            return Ok(AddOrg::TooMany);
        }
        let inserted = sqlx::query(
            "INSERT INTO crm_orgs (id, customer_id, crm, org_key, name, org_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&org.id)
        .bind(&org.customer_id)
        .bind(org.crm.as_str())
        .bind(&org.org_key)
        .bind(&org.name)
        .bind(&org.org_id)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict);
        match inserted {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Ok(AddOrg::Taken),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(AddOrg::Added)
    }

    async fn remove_org(&self, customer_id: Option<&str>, id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM crm_orgs WHERE id = ?1 AND (?2 IS NULL OR customer_id = ?2) RETURNING org_key",
        )
        .bind(id)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn reseller_user_ids(&self, reseller_id: &str) -> StoreResult<Option<Vec<String>>> {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM resellers WHERE id = ?")
            .bind(reseller_id)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar(
                "SELECT u.id FROM users u JOIN customers c ON c.id = u.customer_id
                 WHERE c.reseller_id = ? ORDER BY u.id",
            )
            .bind(reseller_id)
            .fetch_all(&self.pool)
            .await?,
        ))
    }

    async fn reseller_colours(
        &self,
        reseller_id: &str,
    ) -> StoreResult<Option<(PresenceColours, Vec<String>)>> {
        let Some(row) = sqlx::query(
            "SELECT colour_available, colour_away, colour_busy FROM resellers WHERE id = ?",
        )
        .bind(reseller_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let customers =
            sqlx::query_scalar("SELECT id FROM customers WHERE reseller_id = ? ORDER BY id")
                .bind(reseller_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(Some((colours_of(&row), customers)))
    }

    async fn device_owner(&self, device_id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM devices WHERE id = ?")
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn admin_change(
        &self,
        change: &AdminChange,
        consequences: &[PresenceChange],
        events: &[NewEvent],
    ) -> StoreResult<AdminWrite> {
        let mut tx = self.write().await?;
        if !write_admin_change(&mut tx, change).await? {
            return Ok(AdminWrite::Unknown);
        }
        for c in consequences {
            if !write_presence_change(&mut tx, c).await? {
                // Dropping the transaction rolls the change back too.
                return Ok(AdminWrite::Stale);
            }
        }
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(AdminWrite::Done)
    }

    async fn unheard_voicemails(&self, user_id: &str) -> StoreResult<u32> {
        unheard_count(&self.pool, user_id).await
    }

    async fn wrap_up_settings(&self, customer_id: &str) -> StoreResult<WrapUpSettings> {
        let row = sqlx::query("SELECT dispositions, wrap_up_seconds FROM customers WHERE id = ?")
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        let mut settings = WrapUpSettings::default();
        if let Some(r) = row {
            if let Some(list) = r.get::<Option<String>, _>("dispositions") {
                settings.dispositions = from_json(&list)?;
            }
            if let Some(secs) = r.get::<Option<i64>, _>("wrap_up_seconds") {
                settings.seconds = u32::try_from(secs).unwrap_or(settings.seconds);
            }
        }
        Ok(settings)
    }

    async fn set_dispositions(
        &self,
        customer_id: &str,
        dispositions: Option<&[Disposition]>,
    ) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE customers SET dispositions = ? WHERE id = ?")
                .bind(dispositions.map(|d| to_json(&d)).transpose()?)
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn set_wrap_up_seconds(
        &self,
        customer_id: &str,
        seconds: Option<u32>,
    ) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE customers SET wrap_up_seconds = ? WHERE id = ?")
                .bind(seconds.map(i64::from))
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn set_after_call_work(
        &self,
        owned: &OwnedCall,
        events: &[NewEvent],
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let call = &owned.call;
        let done = sqlx::query(
            "UPDATE calls SET wrap_up = ?, crm_record = ?
             WHERE id = ? AND user_id = ? AND state IN ('ended', 'failed')",
        )
        .bind(call.wrap_up.as_ref().map(to_json).transpose()?)
        .bind(call.crm_record.as_ref().map(to_json).transpose()?)
        .bind(&call.id)
        .bind(&owned.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !done {
            return Ok(false);
        }
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    // --- issue 13, transfer: missed calls ---

    async fn missed_calls(&self, user_id: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(MISSED_COUNT)
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(bounded_count(n))
    }

    async fn mark_missed_seen(&self, customer_id: &str, user_id: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE users SET missed_seen_seq =
                (SELECT COALESCE(MAX(seq), 0) FROM calls WHERE user_id = ?1)
             WHERE id = ?1",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        log_events(&mut tx, &[missed_event(customer_id, user_id, 0)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_group_dialling(
        &self,
        customer_id: &str,
        group_id: &str,
        extension: Option<&str>,
        voicemail: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if let Some(ext) = extension {
            let user: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE customer_id = ? AND extension = ?",
            )
            .bind(customer_id)
            .bind(ext)
            .fetch_one(&mut *tx)
            .await?;
            if user > 0 {
                return Err(StoreError::Data(format!(
                    "extension {ext} is a user's already"
                )));
            }
        }
        let done = sqlx::query(
            "UPDATE hunt_groups SET extension = ?, voicemail = ? WHERE id = ? AND customer_id = ?",
        )
        .bind(extension)
        .bind(i64::from(voicemail))
        .bind(group_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn calls_with_peer(&self, peer_id: &str) -> StoreResult<Vec<OwnedCall>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE peer_call_id = ? ORDER BY seq"
        ))
        .bind(peer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(call_of).collect()
    }

    // --- admin-api: the administration API and its audit log (issue 15) ---

    async fn append_audit(&self, e: &NewAudit) -> StoreResult<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (customer_id, reseller_id, at_ms, actor_id, actor_name, action, target, detail, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&e.customer_id)
        .bind(&e.reseller_id)
        .bind(e.at_ms)
        .bind(&e.actor_id)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.target)
        .bind(to_json(&e.detail)?)
        .bind(&e.source)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn audit(
        &self,
        scope: &AuditScope,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let (column, owner) = match scope {
            AuditScope::Customer(c) => ("customer_id", c),
            AuditScope::Reseller(r) => ("reseller_id", r),
        };
        let rows = sqlx::query(&format!(
            "SELECT id, at_ms, actor_id, actor_name, action, target, detail, source FROM audit_log
             WHERE {column} = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))
        .bind(owner)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get("id"),
                    at: r.get("at_ms"),
                    actor: AuditActor {
                        id: r.get("actor_id"),
                        name: r.get("actor_name"),
                    },
                    action: r.get("action"),
                    target: r.get("target"),
                    detail: from_json(r.get::<&str, _>("detail"))?,
                    from: r.get("source"),
                })
            })
            .collect()
    }

    async fn managed_users(
        &self,
        customer_id: &str,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<ManagedUser>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension, u.role, u.active,
                    (SELECT group_concat(permission) FROM permissions p WHERE p.user_id = u.id) AS perms
             FROM users u WHERE u.customer_id = ?1 AND (?2 IS NULL OR u.id = ?2)
             ORDER BY u.name, u.id",
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let devices = sqlx::query(
            "SELECT d.id, d.user_id, d.kind, d.label, d.number FROM devices d
             JOIN users u ON u.id = d.user_id
             WHERE u.customer_id = ?1 AND (?2 IS NULL OR u.id = ?2)
             ORDER BY d.user_id, d.position, d.id",
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_user: HashMap<String, Vec<Device>> = HashMap::new();
        for r in &devices {
            let Some(kind) = DeviceKind::parse(r.get("kind")) else {
                return Err(StoreError::Data("device kind".into()));
            };
            by_user.entry(r.get("user_id")).or_default().push(Device {
                id: r.get("id"),
                kind,
                label: r.get("label"),
                number: r.get("number"),
            });
        }
        rows.iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                let mut permissions: Vec<String> = perms
                    .map(|p| p.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                permissions.sort();
                let user = user_of(r);
                Ok(ManagedUser {
                    devices: by_user.remove(&user.id).unwrap_or_default(),
                    role: parse_enum(r.get::<&str, _>("role"))?,
                    active: r.get::<i64, _>("active") != 0,
                    permissions,
                    user,
                })
            })
            .collect()
    }

    async fn set_user_name(
        &self,
        customer_id: &str,
        user_id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE users SET name = ? WHERE id = ? AND customer_id = ?")
                .bind(name)
                .bind(user_id)
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn set_user_active(
        &self,
        customer_id: &str,
        user_id: &str,
        active: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET active = ? WHERE id = ? AND customer_id = ?")
            .bind(i64::from(active))
            .bind(user_id)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done && !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM event_tickets WHERE user_id = ?")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            end_access(&mut tx, user_id, AccessEndReason::UserDeleted).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn email_taken(&self, email: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = ?")
            .bind(email)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn extension_taken(
        &self,
        customer_id: &str,
        extension: &str,
        except_group: Option<&str>,
    ) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users WHERE customer_id = ?1 AND extension = ?2)
                  + (SELECT COUNT(*) FROM hunt_groups WHERE customer_id = ?1 AND extension = ?2
                       AND (?3 IS NULL OR id <> ?3))",
        )
        .bind(customer_id)
        .bind(extension)
        .bind(except_group)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn reseller_info(&self, reseller_id: &str) -> StoreResult<Option<ResellerInfo>> {
        let Some(r) = sqlx::query(
            "SELECT id, name, mode, extension_lists_enabled FROM resellers WHERE id = ?",
        )
        .bind(reseller_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let customers = sqlx::query(
            "SELECT c.id, c.name, c.default_country,
                    (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id) AS users
             FROM customers c WHERE c.reseller_id = ? ORDER BY c.name, c.id",
        )
        .bind(reseller_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(ResellerInfo {
            id: r.get("id"),
            name: r.get("name"),
            mode: parse_enum(r.get::<&str, _>("mode"))?,
            extension_lists: r.get::<i64, _>("extension_lists_enabled") != 0,
            customers: customers
                .iter()
                .map(|c| ResellerCustomer {
                    id: c.get("id"),
                    name: c.get("name"),
                    country: c.get("default_country"),
                    users: u32::try_from(c.get::<i64, _>("users")).unwrap_or(u32::MAX),
                })
                .collect(),
        }))
    }

    // --- sso: single sign-on (issue 15) ---

    async fn sso_settings(&self, customer_id: &str) -> StoreResult<Option<StoredSso>> {
        let Some(r) = sqlx::query(
            "SELECT s.enabled, s.issuer, s.client_id, s.client_secret, s.user_claim,
                    s.password_login, s.jit, s.client_auth, c.name AS customer_name
             FROM sso_settings s JOIN customers c ON c.id = s.customer_id WHERE s.customer_id = ?",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let domains: Vec<String> = sqlx::query_scalar(
            "SELECT domain FROM sso_domains WHERE customer_id = ? ORDER BY domain",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(StoredSso {
            customer_id: customer_id.to_owned(),
            customer_name: r.get("customer_name"),
            enabled: r.get("enabled"),
            issuer: r.get("issuer"),
            client_id: r.get("client_id"),
            client_secret: r.get("client_secret"),
            allowed_domains: domains,
            user_claim: r.get("user_claim"),
            password_login: r.get("password_login"),
            jit: r.get("jit"),
            client_auth: if r.get::<String, _>("client_auth") == "private_key_jwt" {
                ucclient_core::api::SsoClientAuth::PrivateKeyJwt
            } else {
                ucclient_core::api::SsoClientAuth::ClientSecret
            },
        }))
    }

    async fn put_sso_settings(
        &self,
        s: &StoredSso,
        secret: Option<&Option<String>>,
    ) -> StoreResult<PutSso> {
        let mut tx = self.write().await?;
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
            .bind(&s.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Ok(PutSso::UnknownCustomer);
        }
        sqlx::query(
            "INSERT INTO sso_settings (customer_id, enabled, issuer, client_id, client_secret,
                                       user_claim, password_login, jit, client_auth)
             VALUES (?1, ?2, ?3, ?4, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (customer_id) DO UPDATE SET enabled = ?2, issuer = ?3, client_id = ?4,
                 client_secret = CASE WHEN ?5 THEN ?6 ELSE client_secret END,
                 user_claim = ?7, password_login = ?8, jit = ?9, client_auth = ?10",
        )
        .bind(&s.customer_id)
        .bind(s.enabled)
        .bind(&s.issuer)
        .bind(&s.client_id)
        .bind(secret.is_some())
        .bind(secret.and_then(|s| s.as_deref()))
        .bind(&s.user_claim)
        .bind(s.password_login)
        .bind(s.jit)
        .bind(match s.client_auth {
            ucclient_core::api::SsoClientAuth::ClientSecret => "client_secret",
            ucclient_core::api::SsoClientAuth::PrivateKeyJwt => "private_key_jwt",
        })
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sso_domains WHERE customer_id = ?")
            .bind(&s.customer_id)
            .execute(&mut *tx)
            .await?;
        for d in &s.allowed_domains {
            let inserted = sqlx::query(
                "INSERT INTO sso_domains (domain, customer_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(d)
            .bind(&s.customer_id)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                // Dropping the transaction rolls it back.
                return Ok(PutSso::DomainTaken(d.clone()));
            }
        }
        tx.commit().await?;
        Ok(PutSso::Done)
    }

    async fn sso_key(&self, customer_id: &str) -> StoreResult<Option<SsoKey>> {
        let r = sqlx::query(
            "SELECT kid, private_key_pem, created_ms FROM sso_keys WHERE customer_id = ?",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| SsoKey {
            kid: r.get("kid"),
            private_key_pem: r.get("private_key_pem"),
            created_ms: r.get("created_ms"),
        }))
    }

    async fn set_sso_key(&self, customer_id: &str, key: &SsoKey) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO sso_keys (customer_id, kid, private_key_pem, created_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (customer_id) DO UPDATE SET kid = ?2, private_key_pem = ?3, created_ms = ?4",
        )
        .bind(customer_id)
        .bind(&key.kid)
        .bind(&key.private_key_pem)
        .bind(key.created_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sso_customer_by_domain(&self, domain: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT customer_id FROM sso_domains WHERE domain = ?")
                .bind(domain)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_sso_attempt(&self, a: &SsoAttempt, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sso_attempts WHERE expires_at_ms <= ?")
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sso_attempts (state_hash, customer_id, nonce, pkce_verifier, redirect_uri,
                                       opener_origin, expires_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&a.state_hash)
        .bind(&a.customer_id)
        .bind(&a.nonce)
        .bind(&a.pkce_verifier)
        .bind(&a.redirect_uri)
        .bind(&a.opener_origin)
        .bind(a.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_sso_attempt(
        &self,
        state_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SsoAttempt>> {
        // DELETE … RETURNING: used once even when two callbacks race.
        let row = sqlx::query(
            "DELETE FROM sso_attempts WHERE state_hash = ?
             RETURNING customer_id, nonce, pkce_verifier, redirect_uri, opener_origin, expires_at_ms",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            let expires_at_ms: i64 = r.get("expires_at_ms");
            (expires_at_ms > now_ms).then(|| SsoAttempt {
                state_hash: state_hash.to_owned(),
                customer_id: r.get("customer_id"),
                nonce: r.get("nonce"),
                pkce_verifier: r.get("pkce_verifier"),
                redirect_uri: r.get("redirect_uri"),
                opener_origin: r.get("opener_origin"),
                expires_at_ms,
            })
        }))
    }

    async fn sso_user(&self, customer_id: &str, email: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM users WHERE customer_id = ? AND email = ? AND active = 1",
        )
        .bind(customer_id)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn create_sso_user(
        &self,
        customer_id: &str,
        name: &str,
        email: &str,
    ) -> StoreResult<String> {
        let id = crate::auth::new_id();
        let mut tx = self.write().await?;
        // The next number above every numeric extension of the customer's users and groups.
        let extension: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(n), 99) + 1 FROM (
                 SELECT CAST(extension AS INTEGER) AS n FROM users
                 WHERE customer_id = ?1 AND extension GLOB '[0-9]*' AND extension NOT GLOB '*[^0-9]*'
                 UNION ALL
                 SELECT CAST(extension AS INTEGER) FROM hunt_groups
                 WHERE customer_id = ?1 AND extension GLOB '[0-9]*' AND extension NOT GLOB '*[^0-9]*')",
        )
        .bind(customer_id)
        .fetch_one(&mut *tx)
        .await?;
        // `!sso`: no argon2 hash parses from it, so no password ever signs this user in.
        sqlx::query(
            "INSERT INTO users (id, customer_id, name, email, extension, password_hash, role)
             VALUES (?, ?, ?, ?, ?, '!sso', 'user')",
        )
        .bind(&id)
        .bind(customer_id)
        .bind(name)
        .bind(email)
        .bind(extension.to_string())
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        sqlx::query("INSERT INTO presence (user_id, profile, since) VALUES (?, 'available', ?)")
            .bind(&id)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    // --- voice-server: Salesforce Voice settings, key pair and VoiceCall ids (issue 14) ---

    async fn voice_settings(&self, customer_id: &str) -> StoreResult<Option<VoiceSettings>> {
        let row = sqlx::query(
            "SELECT customer_id, scrt_base_url, call_center_api_name, org_id, phone_number
             FROM voice_settings WHERE customer_id = ?",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| VoiceSettings {
            customer_id: r.get("customer_id"),
            scrt_base_url: r.get("scrt_base_url"),
            call_center_api_name: r.get("call_center_api_name"),
            org_id: r.get("org_id"),
            phone_number: r.get("phone_number"),
        }))
    }

    async fn set_voice_settings(&self, settings: &VoiceSettings, now_ms: i64) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = ?")
            .bind(&settings.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO voice_settings
                 (customer_id, scrt_base_url, call_center_api_name, org_id, phone_number,
                  updated_ms)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id) DO UPDATE SET scrt_base_url = excluded.scrt_base_url,
                 call_center_api_name = excluded.call_center_api_name,
                 org_id = excluded.org_id, phone_number = excluded.phone_number,
                 updated_ms = excluded.updated_ms",
        )
        .bind(&settings.customer_id)
        .bind(&settings.scrt_base_url)
        .bind(&settings.call_center_api_name)
        .bind(&settings.org_id)
        .bind(&settings.phone_number)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn clear_voice_settings(&self, customer_id: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query("DELETE FROM voice_settings WHERE customer_id = ?")
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn voice_key(&self, customer_id: &str) -> StoreResult<Option<VoiceKey>> {
        let row = sqlx::query(
            "SELECT private_key_pem, certificate_pem, created_ms FROM voice_keys
             WHERE customer_id = ?",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| VoiceKey {
            private_key_pem: r.get("private_key_pem"),
            certificate_pem: r.get("certificate_pem"),
            created_ms: r.get("created_ms"),
        }))
    }

    async fn set_voice_key(
        &self,
        customer_id: &str,
        key: &VoiceKey,
        replace: bool,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = ?")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Ok(false);
        }
        let sql = if replace {
            "INSERT INTO voice_keys (customer_id, private_key_pem, certificate_pem, created_ms)
             VALUES (?, ?, ?, ?)
             ON CONFLICT (customer_id) DO UPDATE SET private_key_pem = excluded.private_key_pem,
                 certificate_pem = excluded.certificate_pem, created_ms = excluded.created_ms"
        } else {
            "INSERT INTO voice_keys (customer_id, private_key_pem, certificate_pem, created_ms)
             VALUES (?, ?, ?, ?) ON CONFLICT (customer_id) DO NOTHING"
        };
        let done = sqlx::query(sql)
            .bind(customer_id)
            .bind(&key.private_key_pem)
            .bind(&key.certificate_pem)
            .bind(key.created_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn set_voice_call_id(
        &self,
        call_id: &str,
        customer_id: &str,
        voice_call_id: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO voice_calls (call_id, customer_id, voice_call_id, created_ms)
             VALUES (?, ?, ?, ?)
             ON CONFLICT (call_id) DO UPDATE SET voice_call_id = excluded.voice_call_id",
        )
        .bind(call_id)
        .bind(customer_id)
        .bind(voice_call_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn voice_call_id(&self, call_id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT voice_call_id FROM voice_calls WHERE call_id = ?")
                .bind(call_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn claim_voice_call_end(&self, call_id: &str) -> StoreResult<Option<String>> {
        let mut tx = self.write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE voice_calls SET end_sent = 1 WHERE call_id = ? AND end_sent = 0
             RETURNING voice_call_id",
        )
        .bind(call_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The operator's change itself, inside an [`Store::admin_change`] transaction; false if its target
/// is unknown.
async fn write_admin_change(tx: &mut WriteTx, change: &AdminChange) -> StoreResult<bool> {
    let affected = match change {
        AdminChange::ResellerMode {
            id,
            mode,
            extension_lists,
        } => sqlx::query("UPDATE resellers SET mode = ?, extension_lists_enabled = ? WHERE id = ?")
            .bind(mode.as_str())
            .bind(*extension_lists as i64)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        AdminChange::Permission {
            user_id,
            permission,
            granted,
        } => {
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = ?")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
            if exists.is_none() {
                return Ok(false);
            }
            let sql = if *granted {
                "INSERT OR IGNORE INTO permissions (user_id, permission) VALUES (?, ?)"
            } else {
                "DELETE FROM permissions WHERE user_id = ? AND permission = ?"
            };
            sqlx::query(sql)
                .bind(user_id)
                .bind(permission)
                .execute(&mut **tx)
                .await?;
            1
        }
        AdminChange::AddDevice { user_id, device } => insert_device(user_id, device)
            .execute(&mut **tx)
            .await
            .map_err(conflict)?
            .rows_affected(),
        AdminChange::RemoveDevice { device_id } => sqlx::query("DELETE FROM devices WHERE id = ?")
            .bind(device_id)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        AdminChange::ResellerColours { id, colours } => {
            // `None` writes NULLs: back to core's defaults.
            let [available, away, busy] = match colours {
                Some(c) => [&c.available, &c.away, &c.busy].map(|h| Some(h.as_str().to_owned())),
                None => [None, None, None],
            };
            sqlx::query(
                "UPDATE resellers SET colour_available = ?, colour_away = ?, colour_busy = ?
                 WHERE id = ?",
            )
            .bind(available)
            .bind(away)
            .bind(busy)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
        }
    };
    Ok(affected == 1)
}

/// One user's consequence inside an [`Store::admin_change`] transaction; false if stale.
async fn write_presence_change(tx: &mut WriteTx, c: &PresenceChange) -> StoreResult<bool> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT desired_version FROM presence WHERE user_id = ?")
            .bind(&c.user_id)
            .fetch_optional(&mut **tx)
            .await?;
    if version != Some(c.expected_version) {
        return Ok(false);
    }
    if let Some((profile, since)) = c.profile {
        sqlx::query("UPDATE presence SET profile = ?, since = ? WHERE user_id = ?")
            .bind(profile.as_str())
            .bind(since)
            .bind(&c.user_id)
            .execute(&mut **tx)
            .await?;
    }
    if c.pbx == PbxWork::Reconcile {
        sqlx::query(
            "UPDATE presence SET pbx_sync = 'pending', pbx_error = NULL, desired_pbx = NULL,
                desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = ?2
             WHERE user_id = ?1",
        )
        .bind(&c.user_id)
        .bind(Utc::now().timestamp_millis())
        .execute(&mut **tx)
        .await?;
    }
    for o in &c.overrides {
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT settings FROM profile_overrides WHERE user_id = ? AND profile = ?",
        )
        .bind(&c.user_id)
        .bind(o.profile.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let stored: Option<ProfileSettings> = stored.map(|j| from_json(&j)).transpose()?;
        if stored.as_ref() != Some(&o.was) {
            // The user saved this profile's routing meanwhile.
            return Ok(false);
        }
        let profile = &o.profile;
        match &o.now {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO profile_overrides (user_id, profile, settings) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, profile) DO UPDATE SET settings = ?3",
                )
                .bind(&c.user_id)
                .bind(profile.as_str())
                .bind(to_json(s)?)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM profile_overrides WHERE user_id = ? AND profile = ?")
                    .bind(&c.user_id)
                    .bind(profile.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(true)
}

/// The insert of a user's device, last in their ring order (the store's `add_device` and the
/// admin command's transactional change share it).
fn insert_device<'q>(
    user_id: &'q str,
    device: &'q Device,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    sqlx::query(
        "INSERT INTO devices (id, user_id, kind, label, number, position)
         VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(position), 0) + 1 FROM devices WHERE user_id = ?2))",
    )
    .bind(&device.id)
    .bind(user_id)
    .bind(device.kind.as_str())
    .bind(&device.label)
    .bind(&device.number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OverrideChange;

    /// A store in `dir` with reseller `r` (in `mode`), customer `c` and user `u`.
    async fn store_with_user(
        dir: &tempfile::TempDir,
        mode: Mode,
        extension_lists: bool,
    ) -> SqliteStore {
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        store
            .create_reseller("r", "R", mode, extension_lists)
            .await
            .unwrap();
        store.create_customer("c", "r", "C", "PT").await.unwrap();
        store
            .create_user(&NewUser {
                id: "u".into(),
                customer_id: "c".into(),
                name: "U".into(),
                email: "u@c.example".into(),
                extension: "100".into(),
                password_hash: "x".into(),
                role: Role::User,
                permissions: vec![],
            })
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn both_sides_of_a_call_move_together_or_not_at_all() {
        use ucclient_core::api::{CallDirection, CallOutcome};
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_user(&dir, Mode::Passive, false).await;
        let leg = |id: &str, peer: &str, direction| OwnedCall {
            user_id: "u".into(),
            customer_id: "c".into(),
            call: Call {
                id: id.into(),
                direction,
                from: "100".into(),
                to: "100".into(),
                state: CallState::Ringing,
                started_at: Utc::now().into(),
                answered_at: None,
                ended_at: None,
                context: None,
                internal: true,
                outcome: None,
                answered_on: None,
                forwarded_to: None,
                held: false,
                wrap_up: None,
                crm_record: None,
                transferred_to: None,
                consult_of: None,
            },
            peer: Some(peer.into()),
        };
        let out = leg("out", "in", CallDirection::Outbound);
        let inbound = leg("in", "out", CallDirection::Inbound);
        store.insert_call(&out, &[]).await.unwrap();
        let event = NewEvent {
            customer_id: "c".into(),
            audience: None,
            kind: "call",
            data: "{}".into(),
        };
        // Inserted with the caller's change, in one transaction.
        assert!(
            store
                .write_calls(
                    &[(out.clone(), CallState::Ringing)],
                    std::slice::from_ref(&inbound),
                    std::slice::from_ref(&event),
                    &[],
                    &[],
                )
                .await
                .unwrap()
        );
        let declined = |c: &OwnedCall| {
            let mut c = c.clone();
            c.call.state = CallState::Failed;
            c.call.outcome = Some(CallOutcome::Declined);
            c.call.answered_on = Some("desk".into());
            c
        };
        // One side had moved on (it is not connected): nothing is written, not even the other.
        let (events_before, _) = store.stream_bounds("c").await.unwrap();
        assert!(
            !store
                .write_calls(
                    &[
                        (declined(&inbound), CallState::Ringing),
                        (declined(&out), CallState::Connected)
                    ],
                    &[],
                    std::slice::from_ref(&event),
                    &[],
                    &[],
                )
                .await
                .unwrap()
        );
        assert_eq!(
            store.call("in").await.unwrap().unwrap().call.state,
            CallState::Ringing
        );
        assert_eq!(
            store.stream_bounds("c").await.unwrap().0,
            events_before,
            "no event either"
        );
        assert!(
            store
                .write_calls(
                    &[
                        (declined(&inbound), CallState::Ringing),
                        (declined(&out), CallState::Ringing)
                    ],
                    &[],
                    &[event],
                    &[],
                    &[],
                )
                .await
                .unwrap()
        );
        let stored = store.call("in").await.unwrap().unwrap();
        assert_eq!(
            stored.call,
            declined(&inbound).call,
            "every new field round-trips"
        );
        assert_eq!(stored.peer.as_deref(), Some("out"));
    }

    #[tokio::test]
    async fn the_busy_overlay_is_logged_only_when_no_other_call_of_the_user_is_connected() {
        use ucclient_core::api::{CallDirection, CallOutcome};
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_user(&dir, Mode::Passive, false).await;
        let connected = |id: &str| OwnedCall {
            user_id: "u".into(),
            customer_id: "c".into(),
            call: Call {
                id: id.into(),
                direction: CallDirection::Outbound,
                from: "100".into(),
                to: "+351912345678".into(),
                state: CallState::Connected,
                started_at: Utc::now().into(),
                answered_at: Some(Utc::now().into()),
                ended_at: None,
                context: None,
                internal: false,
                outcome: Some(CallOutcome::Forwarded),
                answered_on: None,
                forwarded_to: Some("+351912000001".into()),
                held: false,
                wrap_up: None,
                crm_record: None,
                transferred_to: None,
                consult_of: None,
            },
            peer: None,
        };
        let ended = |c: &OwnedCall| {
            let mut c = c.clone();
            c.call.state = CallState::Ended;
            (c, CallState::Connected)
        };
        let overlay = Overlay {
            user_id: "u".into(),
            event: NewEvent {
                customer_id: "c".into(),
                audience: None,
                kind: "presence",
                data: "{}".into(),
            },
        };
        let (a, b, c) = (connected("a"), connected("b"), connected("c"));
        for call in [&a, &b, &c] {
            store.insert_call(call, &[]).await.unwrap();
        }
        assert_eq!(
            store.call("a").await.unwrap().unwrap().call,
            a.call,
            "forwarded_to round-trips"
        );
        let presence_events = async || {
            let (events, _) = store.log_after("c", 0, 100).await.unwrap();
            events.iter().filter(|e| e.kind == "presence").count()
        };
        // "b" and "c" are still connected: no overlay.
        let write = [ended(&a)];
        assert!(
            store
                .write_calls(&write, &[], &[], std::slice::from_ref(&overlay), &[])
                .await
                .unwrap()
        );
        assert_eq!(presence_events().await, 0);
        // "b" and "c" end in one write: nothing else connected, the overlay is logged once.
        let write = [ended(&b), ended(&c)];
        assert!(
            store
                .write_calls(&write, &[], &[], std::slice::from_ref(&overlay), &[])
                .await
                .unwrap()
        );
        assert_eq!(presence_events().await, 1);
    }

    #[tokio::test]
    async fn an_admin_change_is_all_or_nothing_and_refuses_stale_consequences() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_user(&dir, Mode::Passive, false).await;
        let row = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
        let change = AdminChange::ResellerMode {
            id: "r".into(),
            mode: Mode::Active,
            extension_lists: true,
        };
        let event = NewEvent {
            customer_id: "c".into(),
            audience: None,
            kind: "presence",
            data: "{}".into(),
        };
        let consequence = |version| PresenceChange {
            user_id: "u".into(),
            expected_version: version,
            profile: None,
            pbx: PbxWork::Reconcile,
            overrides: vec![],
        };
        // Computed from an older version: nothing at all is written, not even the change.
        let stale = store
            .admin_change(
                &change,
                &[consequence(row.desired_version - 1)],
                std::slice::from_ref(&event),
            )
            .await
            .unwrap();
        assert_eq!(stale, AdminWrite::Stale);
        assert_eq!(store.list_resellers().await.unwrap()[0].2, Mode::Passive);
        assert_eq!(store.stream_bounds("c").await.unwrap().0, 0, "no event");
        assert!(store.due_syncs(i64::MAX).await.unwrap().is_empty());
        // Current: the change, the pending reconcile (due now) and the event, together.
        let done = store
            .admin_change(
                &change,
                &[consequence(row.desired_version)],
                std::slice::from_ref(&event),
            )
            .await
            .unwrap();
        assert_eq!(done, AdminWrite::Done);
        assert_eq!(store.list_resellers().await.unwrap()[0].2, Mode::Active);
        assert_eq!(store.stream_bounds("c").await.unwrap().0, 1);
        assert_eq!(store.due_syncs(i64::MAX).await.unwrap(), ["u"]);
        let after = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
        assert_eq!(after.pbx_sync, PbxSync::Pending);
        assert_eq!(after.desired, None);
        assert_eq!(after.desired_version, row.desired_version + 1);
        // The worker's computed state lands only on that version, once.
        let d = PbxUserState::default();
        assert!(
            !store
                .set_desired("u", row.desired_version, &d)
                .await
                .unwrap()
        );
        assert!(
            store
                .set_desired("u", after.desired_version, &d)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_desired("u", after.desired_version, &d)
                .await
                .unwrap()
        );
        // An unknown target writes nothing either.
        let unknown = AdminChange::RemoveDevice {
            device_id: "nope".into(),
        };
        assert_eq!(
            store.admin_change(&unknown, &[], &[event]).await.unwrap(),
            AdminWrite::Unknown
        );
        assert_eq!(store.stream_bounds("c").await.unwrap().0, 1);
    }

    #[tokio::test]
    async fn a_routing_save_and_a_device_removal_never_overwrite_each_other() {
        use ucclient_core::settings::default_settings;
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_user(&dir, Mode::Active, true).await;
        let device = |id: &str| Device {
            id: id.into(),
            kind: DeviceKind::Desk,
            label: id.into(),
            number: "201".into(),
        };
        store.add_device("u", &device("d1")).await.unwrap();
        let lunch = ProfileId::Lunch;
        let mut saved = default_settings(lunch);
        saved.dnd = !saved.dnd;

        // The user's save was validated against devices an operator changed since: not written.
        let stale_devices = ["d1".to_owned(), "gone".to_owned()];
        let written = store
            .set_override("u", lunch, Some(&saved), &stale_devices, None, &[])
            .await
            .unwrap();
        assert_eq!(written, None);
        assert!(store.overrides("u").await.unwrap().is_empty());
        let written = store
            .set_override("u", lunch, Some(&saved), &["d1".to_owned()], None, &[])
            .await
            .unwrap();
        assert!(written.is_some());

        // The operator's rewrite was computed from an override the user has replaced since:
        // nothing is written (the caller recomputes from the new one).
        let row = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
        let rewrite = |was: ProfileSettings| PresenceChange {
            user_id: "u".into(),
            expected_version: row.desired_version,
            profile: None,
            pbx: PbxWork::Keep,
            overrides: vec![OverrideChange {
                profile: lunch,
                was,
                now: Some(default_settings(lunch)),
            }],
        };
        let removal = AdminChange::RemoveDevice {
            device_id: "d1".into(),
        };
        let stale = store
            .admin_change(&removal, &[rewrite(default_settings(lunch))], &[])
            .await
            .unwrap();
        assert_eq!(stale, AdminWrite::Stale);
        assert_eq!(store.overrides("u").await.unwrap()[&lunch], saved);
        assert_eq!(store.devices("u").await.unwrap().len(), 1, "not removed");
        let done = store
            .admin_change(&removal, &[rewrite(saved)], &[])
            .await
            .unwrap();
        assert_eq!(done, AdminWrite::Done);
        assert_eq!(
            store.overrides("u").await.unwrap()[&lunch],
            default_settings(lunch)
        );
    }

    #[tokio::test]
    async fn a_rate_limit_window_opens_at_the_first_hit() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        // Three hits straddling a minute boundary of the clock stay in one window.
        let t0 = 59_000;
        assert_eq!(
            store.hit_rate_limit("k", 60_000, t0).await.unwrap(),
            (1, t0)
        );
        assert_eq!(
            store.hit_rate_limit("k", 60_000, t0 + 2_000).await.unwrap(),
            (2, t0)
        );
        assert_eq!(
            store
                .hit_rate_limit("k", 60_000, t0 + 59_999)
                .await
                .unwrap(),
            (3, t0)
        );
        // The window closes a full window after its first hit; the next hit opens a new one.
        assert_eq!(
            store
                .hit_rate_limit("k", 60_000, t0 + 60_000)
                .await
                .unwrap(),
            (1, t0 + 60_000)
        );
        // Keys are independent.
        assert_eq!(
            store.hit_rate_limit("other", 60_000, t0 + 1).await.unwrap(),
            (1, t0 + 1)
        );
    }
}
