//! Calls, voicemail and after-call work on SQLite ([`CallStore`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, Sqlite};
use ucclient_core::api::{
    Call, CallContext, CallState, Disposition, VoicemailEvent, VoicemailMessage, WrapUpSettings,
};

use super::{SqliteStore, WriteTx, enum_str, from_json, log_events, parse_enum, to_json};
use crate::store::calls_rules::{bounded_count, missed_event, missed_owners, writes_call};
use crate::store::codec::{STEP_COLUMNS, rings_on_column, rings_on_of, step_of};
use crate::store::{
    CallStep, CallStore, MAX_MESSAGES, NewEvent, NewVoicemail, Overlay, OwnedCall, StoreError,
    StoreResult, StoredStep,
};

#[async_trait]
impl CallStore for SqliteStore {
    async fn write_calls(
        &self,
        updates: &[(OwnedCall, CallState)],
        inserts: &[OwnedCall],
        events: &[NewEvent],
        overlays: &[Overlay],
        messages: &[NewVoicemail],
        steps: &[CallStep],
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        for (owned, expected) in updates {
            let call = &owned.call;
            let done = sqlx::query(
                "UPDATE calls SET state = ?, answered_at = ?, ended_at = ?, outcome = ?,
                        answered_on = ?, forwarded_to = ?, peer_call_id = ?, held = ?,
                        transferred_to = ?, from_number = ?, internal = ?,
                        leaving_message = ?
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
            .bind(i64::from(call.leaving_message))
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
            if call.state != *expected {
                // What was to happen next belonged to the state the call leaves.
                sqlx::query("DELETE FROM call_steps WHERE call_id = ?")
                    .bind(&call.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for owned in inserts {
            insert_call_row(&mut tx, owned).await?;
            self.own_call(&mut tx, &owned.call.id).await?;
        }
        for step in steps {
            self.put_step(&mut tx, step).await?;
        }
        log_events(&mut tx, events).await?;
        for m in messages {
            insert_voicemail(&mut tx, m).await?;
        }
        // A call that becomes missed with this write changes its owner's missed count: counted
        // here, inside the write, so the `missed` event always carries the stored count.
        let missed_owners = missed_owners(updates, inserts);
        for (customer_id, user_id) in missed_owners {
            let count = missed_count(&mut tx, user_id).await?;
            log_events(&mut tx, &[missed_event(customer_id, user_id, count)]).await?;
        }
        // "Still busy on another call?" is asked here, inside the write: two writes of the user's
        // calls at once queue on the write lock, so the second sees the first's new states and
        // exactly one of them announces the change of the busy overlay.
        for overlay in overlays {
            let connected: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM calls WHERE user_id = ? AND state = 'connected'",
            )
            .bind(&overlay.user_id)
            .fetch_all(&mut *tx)
            .await?;
            if connected.iter().all(|id| writes_call(updates, inserts, id)) {
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

    async fn node_alive(&self, node: &str, now_ms: i64, forget_before_ms: i64) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO nodes (id, seen_ms) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET seen_ms = ?2",
        )
        .bind(node)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM nodes WHERE seen_ms < ?")
            .bind(forget_before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn node_gone(&self, node: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM nodes WHERE id = ?")
            .bind(node)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn adopt_orphans(
        &self,
        stale_before_ms: i64,
    ) -> StoreResult<Vec<(OwnedCall, Option<CallStep>)>> {
        let Some(node) = self.node.as_deref() else {
            return Ok(Vec::new());
        };
        // Read first, without a write: most sweeps find nothing.
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE {ORPHANED} ORDER BY seq"
        ))
        .bind(stale_before_ms)
        .fetch_all(&self.pool)
        .await?;
        let orphans = rows.iter().map(call_of).collect::<StoreResult<Vec<_>>>()?;
        if orphans.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let mut adopted = Vec::new();
        for call in orphans {
            // The call and its step are each taken by the condition on its own row, again: of
            // several nodes sweeping at once, the first to write takes it (writes queue on
            // SQLite's one writer).
            let call_taken = sqlx::query(
                "UPDATE calls SET node = ?2 WHERE id = ?3
                   AND state IN ('dialing', 'ringing', 'connected')
                   AND (node IS NULL OR node NOT IN (SELECT id FROM nodes WHERE seen_ms >= ?1))",
            )
            .bind(stale_before_ms)
            .bind(node)
            .bind(&call.call.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let step = sqlx::query(&format!(
                "UPDATE call_steps SET node = ?2 WHERE call_id = ?3
                   AND (node IS NULL OR node NOT IN (SELECT id FROM nodes WHERE seen_ms >= ?1))
                 RETURNING {STEP_COLUMNS}"
            ))
            .bind(stale_before_ms)
            .bind(node)
            .bind(&call.call.id)
            .fetch_optional(&mut *tx)
            .await?;
            let step = step.as_ref().map(step_of).transpose()?.map(|s| s.step);

            if call_taken || step.is_some() {
                adopted.push((call, step));
            }
        }
        tx.commit().await?;
        Ok(adopted)
    }

    async fn call_step(&self, call_id: &str) -> StoreResult<Option<StoredStep>> {
        let row = sqlx::query(&format!(
            "SELECT {STEP_COLUMNS} FROM call_steps WHERE call_id = ?"
        ))
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(step_of).transpose()
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

    async fn calls_with_peer(&self, peer_id: &str) -> StoreResult<Vec<OwnedCall>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE peer_call_id = ? ORDER BY seq"
        ))
        .bind(peer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(call_of).collect()
    }
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
            rings_on: rings_on_of(r.get("rings_on"))?,
            leaving_message: r.get::<i64, _>("leaving_message") != 0,
        },
        peer: r.get("peer_call_id"),
        from_device: r.get("from_device"),
    })
}

async fn insert_call_row(tx: &mut WriteTx, owned: &OwnedCall) -> StoreResult<()> {
    let c = &owned.call;
    sqlx::query(&format!(
        "INSERT INTO calls ({CALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
    .bind(&owned.from_device)
    .bind(rings_on_column(&c.rings_on)?)
    .bind(i64::from(c.leaving_message))
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

const CALL_COLUMNS: &str = "id, user_id, customer_id, direction, from_number, to_number, state, started_at, answered_at, ended_at, context, internal, outcome, answered_on, forwarded_to, peer_call_id, held, wrap_up, crm_record, transferred_to, consult_of, from_device, rings_on, leaving_message";

/// Whether a call (`calls`) is an orphan, with the oldest heartbeat of a live node bound as
/// `?1`: live, and its node not alive (none, stopped or stale), or its step stamped with a node
/// that is not (a step its node was storing as another node adopted the call). The live states by
/// name, not `NOT IN` the final ones: the `calls_live` index then serves the sweep, which every
/// node runs with each heartbeat.
const ORPHANED: &str = "calls.state IN ('dialing', 'ringing', 'connected')
    AND (calls.node IS NULL
         OR calls.node NOT IN (SELECT id FROM nodes WHERE seen_ms >= ?1)
         OR EXISTS (SELECT 1 FROM call_steps s WHERE s.call_id = calls.id
                    AND s.node NOT IN (SELECT id FROM nodes WHERE seen_ms >= ?1)))";
