//! Calls, voicemail and after-call work on PostgreSQL ([`CallStore`]), the twin of
//! `store/sqlite/calls.rs`.
//!
//! Every write that reads before it decides (is the mailbox full, is another call of the user
//! still connected, how many calls did the user miss) holds its customer's lock
//! ([`Lock::Customer`]) from its first statement on, so the writers of one customer run one after
//! the other as they do on SQLite's single writer, on any node. Each statement after the lock reads
//! what the writers before it committed (READ COMMITTED takes a snapshot per statement).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row};
use ucclient_core::api::{
    Call, CallContext, CallState, Disposition, Timestamp, VoicemailEvent, VoicemailMessage,
    WrapUpSettings,
};

use super::{Lock, PgStore, WriteTx, log_events};
use crate::store::calls_rules::{bounded_count, missed_event, missed_owners, writes_call};
use crate::store::codec::{
    STEP_COLUMNS, enum_str, from_json, parse_enum, rings_on_column, rings_on_of, step_of, to_json,
};
use crate::store::{
    CallStep, CallStore, MAX_MESSAGES, NewEvent, NewVoicemail, Overlay, OwnedCall, StoreError,
    StoreResult, StoredStep,
};

#[async_trait]
impl CallStore for PgStore {
    async fn write_calls(
        &self,
        updates: &[(OwnedCall, CallState)],
        inserts: &[OwnedCall],
        events: &[NewEvent],
        overlays: &[Overlay],
        messages: &[NewVoicemail],
        steps: &[CallStep],
    ) -> StoreResult<bool> {
        let customers = updates
            .iter()
            .map(|(c, _)| c)
            .chain(inserts)
            .map(|c| c.customer_id.as_str())
            .chain(events.iter().map(|e| e.customer_id.as_str()))
            .chain(overlays.iter().map(|o| o.event.customer_id.as_str()))
            .chain(messages.iter().map(|m| m.customer_id.as_str()));
        let mut tx = self.write_of(customers).await?;
        for (owned, expected) in updates {
            let call = &owned.call;
            // Conditional on the state: even without the lock, a racing UPDATE of the row makes
            // this one re-check `state` on the row it committed, and match nothing.
            let done = sqlx::query(
                "UPDATE calls SET state = $1, answered_at = $2, ended_at = $3, outcome = $4,
                        answered_on = $5, forwarded_to = $6, peer_call_id = $7, held = $8,
                        transferred_to = $9, from_number = $10, internal = $11,
                        leaving_message = $12
                 WHERE id = $13 AND state = $14",
            )
            .bind(enum_str(&call.state))
            .bind(call.answered_at.map(time_text))
            .bind(call.ended_at.map(time_text))
            .bind(call.outcome.as_ref().map(enum_str))
            .bind(&call.answered_on)
            .bind(&call.forwarded_to)
            .bind(&owned.peer)
            .bind(call.held)
            .bind(&call.transferred_to)
            .bind(&call.from)
            .bind(call.internal)
            .bind(call.leaving_message)
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
                sqlx::query("DELETE FROM call_steps WHERE call_id = $1")
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
        // calls at once (on any node) queue on the customer's lock, so the second sees the first's
        // new states and exactly one of them announces the change of the busy overlay.
        for overlay in overlays {
            let connected: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM calls WHERE user_id = $1 AND state = 'connected'",
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
        let row = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"))
            .bind(call_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(call_of).transpose()
    }

    async fn mailbox_state(&self, user_id: &str) -> StoreResult<(bool, u32)> {
        let row = sqlx::query(
            "SELECT voicemail, (SELECT COUNT(*) FROM voicemails v WHERE v.user_id = u.id) AS held
             FROM users u WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map_or((false, 0), |r| {
            (
                r.get::<bool, _>("voicemail"),
                u32::try_from(r.get::<i64, _>("held")).unwrap_or(u32::MAX),
            )
        }))
    }

    async fn set_mailbox(&self, user_id: &str, enabled: bool) -> StoreResult<()> {
        // One statement that decides nothing: no lock needed.
        sqlx::query("UPDATE users SET voicemail = $1 WHERE id = $2")
            .bind(enabled)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn voicemails(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<(u32, Vec<VoicemailMessage>)> {
        // SQLite breaks a tie of `created_at` by `rowid` (the insertion order); voicemails have
        // no such column here, so a tie goes by the order of their calls (`calls.seq`). The
        // times compare bytewise (`COLLATE "C"`), as SQLite compares text.
        let rows = sqlx::query(
            "SELECT v.id, v.call_id, v.caller, v.created_at, v.duration_ms, v.heard
             FROM voicemails v LEFT JOIN calls c ON c.id = v.call_id
             WHERE v.user_id = $1 AND v.customer_id = $2
             ORDER BY v.created_at COLLATE \"C\" DESC, c.seq DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(customer_id)
        .bind(i64::from(MAX_MESSAGES))
        .fetch_all(self.pool())
        .await?;
        let messages = rows
            .iter()
            .map(voicemail_of)
            .collect::<StoreResult<Vec<_>>>()?;
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
            "SELECT audio FROM voicemails WHERE id = $1 AND user_id = $2 AND customer_id = $3",
        )
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?)
    }

    async fn mark_voicemail_heard(
        &self,
        customer_id: &str,
        user_id: &str,
        id: &str,
    ) -> StoreResult<Option<VoicemailMessage>> {
        // The lock keeps the unheard count of the event in step with the order of the events.
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        let changed = sqlx::query(
            "UPDATE voicemails SET heard = TRUE
             WHERE id = $1 AND user_id = $2 AND customer_id = $3 AND NOT heard",
        )
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let row = sqlx::query(&format!(
            "SELECT {VOICEMAIL_COLUMNS} FROM voicemails
             WHERE id = $1 AND user_id = $2 AND customer_id = $3"
        ))
        .bind(id)
        .bind(user_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let message = row.as_ref().map(voicemail_of).transpose()?;
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
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        let deleted = sqlx::query(
            "DELETE FROM voicemails WHERE id = $1 AND user_id = $2 AND customer_id = $3",
        )
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
        // No such user: the call is not theirs.
        let Some(mut tx) = self.write_for_user(user_id).await? else {
            return Ok(None);
        };
        let own: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM calls WHERE id = $1 AND user_id = $2")
                .bind(call_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        if own.is_none() {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO call_claims (call_id, kind, client) VALUES ($1, $2, $3)
             ON CONFLICT (call_id, kind) DO NOTHING",
        )
        .bind(call_id)
        .bind(kind)
        .bind(client)
        .execute(&mut *tx)
        .await?;
        let holder: String =
            sqlx::query_scalar("SELECT client FROM call_claims WHERE call_id = $1 AND kind = $2")
                .bind(call_id)
                .bind(kind)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Some(holder == client))
    }

    async fn calls_of(&self, user_id: &str, limit: i64) -> StoreResult<Vec<Call>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE user_id = $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| call_of(r).map(|c| c.call)).collect()
    }

    async fn node_alive(&self, node: &str, now_ms: i64, forget_before_ms: i64) -> StoreResult<()> {
        // Two statements deciding nothing: no lock (each node writes only its own row).
        sqlx::query(
            "INSERT INTO nodes (id, seen_ms) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET seen_ms = $2",
        )
        .bind(node)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        sqlx::query("DELETE FROM nodes WHERE seen_ms < $1")
            .bind(forget_before_ms)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn node_gone(&self, node: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM nodes WHERE id = $1")
            .bind(node)
            .execute(self.pool())
            .await?;
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
        .fetch_all(self.pool())
        .await?;
        let orphans = rows.iter().map(call_of).collect::<StoreResult<Vec<_>>>()?;
        if orphans.is_empty() {
            return Ok(Vec::new());
        }
        let mut adopted = Vec::new();
        for call in orphans {
            // One transaction per call, taking its `calls` row before its step as every write of
            // calls does: no lock cycle with a write of the same calls.
            let mut tx = self.pool().begin().await?;
            // The call and its step are each taken by the condition on its own row, again: of
            // several nodes sweeping at once, the first to update a row takes it (the others'
            // updates wait for its row lock, re-check the row, and match nothing).
            let call_taken = sqlx::query(
                "UPDATE calls SET node = $2 WHERE id = $3
                   AND state IN ('dialing', 'ringing', 'connected')
                   AND (node IS NULL OR node NOT IN (SELECT id FROM nodes WHERE seen_ms >= $1))",
            )
            .bind(stale_before_ms)
            .bind(node)
            .bind(&call.call.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let step = sqlx::query(&format!(
                "UPDATE call_steps SET node = $2 WHERE call_id = $3
                   AND (node IS NULL OR node NOT IN (SELECT id FROM nodes WHERE seen_ms >= $1))
                 RETURNING {STEP_COLUMNS}"
            ))
            .bind(stale_before_ms)
            .bind(node)
            .bind(&call.call.id)
            .fetch_optional(&mut *tx)
            .await?;
            let step = step.as_ref().map(step_of).transpose()?.map(|s| s.step);
            tx.commit().await?;
            if call_taken || step.is_some() {
                adopted.push((call, step));
            }
        }
        Ok(adopted)
    }

    async fn call_step(&self, call_id: &str) -> StoreResult<Option<StoredStep>> {
        let row = sqlx::query(&format!(
            "SELECT {STEP_COLUMNS} FROM call_steps WHERE call_id = $1"
        ))
        .bind(call_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(step_of).transpose()
    }

    async fn live_calls(&self, user_id: Option<&str>) -> StoreResult<Vec<OwnedCall>> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls
             WHERE state NOT IN ('ended', 'failed') AND ($1::TEXT IS NULL OR user_id = $1)
             ORDER BY seq"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(call_of).collect()
    }

    async fn unheard_voicemails(&self, user_id: &str) -> StoreResult<u32> {
        unheard_count(self.pool(), user_id).await
    }

    async fn wrap_up_settings(&self, customer_id: &str) -> StoreResult<WrapUpSettings> {
        let row = sqlx::query("SELECT dispositions, wrap_up_seconds FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(self.pool())
            .await?;
        let mut settings = WrapUpSettings::default();
        if let Some(r) = row {
            if let Some(list) = r.get::<Option<String>, _>("dispositions") {
                settings.dispositions = from_json(&list)?;
            }
            if let Some(secs) = r.get::<Option<i32>, _>("wrap_up_seconds") {
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
            sqlx::query("UPDATE customers SET dispositions = $1 WHERE id = $2")
                .bind(dispositions.map(|d| to_json(&d)).transpose()?)
                .bind(customer_id)
                .execute(self.pool())
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
        // The column is INTEGER (the caller keeps it within 10–3600).
        let seconds = seconds
            .map(|s| i32::try_from(s).map_err(|_| StoreError::Data(format!("wrap-up seconds {s}"))))
            .transpose()?;
        Ok(
            sqlx::query("UPDATE customers SET wrap_up_seconds = $1 WHERE id = $2")
                .bind(seconds)
                .bind(customer_id)
                .execute(self.pool())
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
        let customers = std::iter::once(owned.customer_id.as_str())
            .chain(events.iter().map(|e| e.customer_id.as_str()));
        let mut tx = self.write_of(customers).await?;
        let call = &owned.call;
        let done = sqlx::query(
            "UPDATE calls SET wrap_up = $1, crm_record = $2
             WHERE id = $3 AND user_id = $4 AND state IN ('ended', 'failed')",
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
            .fetch_one(self.pool())
            .await?;
        Ok(bounded_count(n))
    }

    async fn mark_missed_seen(&self, customer_id: &str, user_id: &str) -> StoreResult<()> {
        // Under the lock no call of the customer is inserted meanwhile, so every call up to the
        // highest `seq` read here is in (identity values are taken before their rows commit).
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        sqlx::query(
            "UPDATE users SET missed_seen_seq =
                (SELECT COALESCE(MAX(seq), 0) FROM calls WHERE user_id = $1)
             WHERE id = $1",
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
            "SELECT {CALL_COLUMNS} FROM calls WHERE peer_call_id = $1 ORDER BY seq"
        ))
        .bind(peer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(call_of).collect()
    }
}

impl PgStore {
    /// Begins a write of the rows of `customers`: with its customer's lock when it is one (every
    /// write of calls is: a call, its peer and its events are one customer's), with every
    /// writer's ([`Lock::All`]) if it ever spanned several, so two such writes cannot wait for
    /// each other's customers in a cycle; without a lock when it writes nothing.
    async fn write_of<'a>(&self, customers: impl Iterator<Item = &'a str>) -> StoreResult<WriteTx> {
        let customers: BTreeSet<&str> = customers.collect();
        let mut only = customers.iter();
        match (only.next(), only.next()) {
            (None, _) => Ok(self.pool().begin().await?),
            (Some(customer), None) => self.write(Lock::Customer(customer)).await,
            (Some(_), Some(_)) => self.write(Lock::All).await,
        }
    }
}

/// A time as stored: RFC 3339 text, as SQLite's driver writes a `DateTime<Utc>`.
fn time_text(t: Timestamp) -> String {
    DateTime::<Utc>::from(t).to_rfc3339()
}

/// A stored time read back.
fn time_of(s: &str) -> StoreResult<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc).into())
        .map_err(|e| StoreError::Data(format!("time {s}: {e}")))
}

/// How many of the user's inbound calls ended `missed` after the last one they saw (at most
/// [`crate::calls::MAX_HISTORY`], the most one history answer holds).
async fn missed_count(tx: &mut PgConnection, user_id: &str) -> StoreResult<u32> {
    let n: i64 = sqlx::query_scalar(MISSED_COUNT)
        .bind(user_id)
        .fetch_one(tx)
        .await?;
    Ok(bounded_count(n))
}

/// The user's missed calls after the last they saw.
const MISSED_COUNT: &str = "SELECT COUNT(*) FROM calls c JOIN users u ON u.id = c.user_id
     WHERE c.user_id = $1 AND c.direction = 'inbound' AND c.outcome = 'missed'
       AND c.seq > u.missed_seen_seq";

fn call_of(r: &PgRow) -> StoreResult<OwnedCall> {
    let context: Option<CallContext> = r
        .get::<Option<String>, _>("context")
        .map(|c| from_json(&c))
        .transpose()?;
    Ok(OwnedCall {
        user_id: r.get("user_id"),
        customer_id: r.get("customer_id"),
        call: Call {
            id: r.get("id"),
            direction: parse_enum(r.get::<&str, _>("direction"))?,
            from: r.get("from_number"),
            to: r.get("to_number"),
            state: parse_enum(r.get::<&str, _>("state"))?,
            started_at: time_of(r.get::<&str, _>("started_at"))?,
            answered_at: r
                .get::<Option<&str>, _>("answered_at")
                .map(time_of)
                .transpose()?,
            ended_at: r
                .get::<Option<&str>, _>("ended_at")
                .map(time_of)
                .transpose()?,
            context,
            internal: r.get("internal"),
            outcome: r
                .get::<Option<&str>, _>("outcome")
                .map(parse_enum)
                .transpose()?,
            answered_on: r.get("answered_on"),
            forwarded_to: r.get("forwarded_to"),
            held: r.get("held"),
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
            leaving_message: r.get("leaving_message"),
        },
        peer: r.get("peer_call_id"),
        from_device: r.get("from_device"),
    })
}

async fn insert_call_row(tx: &mut PgConnection, owned: &OwnedCall) -> StoreResult<()> {
    let c = &owned.call;
    sqlx::query(&format!(
        "INSERT INTO calls ({CALL_COLUMNS}) VALUES
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
          $21, $22, $23, $24)"
    ))
    .bind(&c.id)
    .bind(&owned.user_id)
    .bind(&owned.customer_id)
    .bind(enum_str(&c.direction))
    .bind(&c.from)
    .bind(&c.to)
    .bind(enum_str(&c.state))
    .bind(time_text(c.started_at))
    .bind(c.answered_at.map(time_text))
    .bind(c.ended_at.map(time_text))
    .bind(c.context.as_ref().map(to_json).transpose()?)
    .bind(c.internal)
    .bind(c.outcome.as_ref().map(enum_str))
    .bind(&c.answered_on)
    .bind(&c.forwarded_to)
    .bind(&owned.peer)
    .bind(c.held)
    .bind(c.wrap_up.as_ref().map(to_json).transpose()?)
    .bind(c.crm_record.as_ref().map(to_json).transpose()?)
    .bind(&c.transferred_to)
    .bind(&c.consult_of)
    .bind(&owned.from_device)
    .bind(rings_on_column(&c.rings_on)?)
    .bind(c.leaving_message)
    .execute(tx)
    .await?;
    Ok(())
}

/// Stores a message unless its mailbox is full (checked here, inside the write that holds the
/// customer's lock, so racing calls on any node cannot overfill it), and logs the owner's
/// `voicemail` event with the new count.
async fn insert_voicemail(tx: &mut PgConnection, m: &NewVoicemail) -> StoreResult<()> {
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM voicemails WHERE user_id = $1")
        .bind(&m.user_id)
        .fetch_one(&mut *tx)
        .await?;
    if held >= i64::from(MAX_MESSAGES) {
        tracing::warn!(user = %m.user_id, "mailbox full; message dropped");
        return Ok(());
    }
    let v = &m.message;
    sqlx::query(
        "INSERT INTO voicemails (id, customer_id, user_id, call_id, caller, created_at, duration_ms, heard, audio)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&v.id)
    .bind(&m.customer_id)
    .bind(&m.user_id)
    .bind(&v.call_id)
    .bind(&v.from)
    .bind(time_text(v.created_at))
    .bind(i64::from(v.duration_ms))
    .bind(v.heard)
    .bind(&m.audio)
    .execute(&mut *tx)
    .await?;
    log_voicemail_event(tx, &m.customer_id, &m.user_id, Some(v.clone()), None).await
}

/// Logs a `voicemail` event for the mailbox's owner only, with the unheard count as it is inside
/// this transaction.
async fn log_voicemail_event(
    tx: &mut PgConnection,
    customer_id: &str,
    user_id: &str,
    message: Option<VoicemailMessage>,
    deleted: Option<String>,
) -> StoreResult<()> {
    let unheard = unheard_count(&mut *tx, user_id).await?;
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
    conn: impl sqlx::Executor<'_, Database = Postgres>,
    user_id: &str,
) -> StoreResult<u32> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM voicemails WHERE user_id = $1 AND NOT heard")
            .bind(user_id)
            .fetch_one(conn)
            .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

const VOICEMAIL_COLUMNS: &str = "id, call_id, caller, created_at, duration_ms, heard";

fn voicemail_of(r: &PgRow) -> StoreResult<VoicemailMessage> {
    Ok(VoicemailMessage {
        id: r.get("id"),
        call_id: r.get("call_id"),
        from: r.get("caller"),
        created_at: time_of(r.get::<&str, _>("created_at"))?,
        duration_ms: u32::try_from(r.get::<i64, _>("duration_ms")).unwrap_or(0),
        heard: r.get("heard"),
    })
}

const CALL_COLUMNS: &str = "id, user_id, customer_id, direction, from_number, to_number, state, started_at, answered_at, ended_at, context, internal, outcome, answered_on, forwarded_to, peer_call_id, held, wrap_up, crm_record, transferred_to, consult_of, from_device, rings_on, leaving_message";

/// Whether a call (`calls`) is an orphan, with the oldest heartbeat of a live node bound as
/// `$1`: live, and its node not alive (none, stopped or stale), or its step stamped with a node
/// that is not (a step its node was storing as another node adopted the call). The live states by
/// name, not `NOT IN` the final ones: the `calls_live` index then serves the sweep, which every
/// node runs with each heartbeat.
const ORPHANED: &str = "calls.state IN ('dialing', 'ringing', 'connected')
    AND (calls.node IS NULL
         OR calls.node NOT IN (SELECT id FROM nodes WHERE seen_ms >= $1)
         OR EXISTS (SELECT 1 FROM call_steps s WHERE s.call_id = calls.id
                    AND s.node NOT IN (SELECT id FROM nodes WHERE seen_ms >= $1)))";
