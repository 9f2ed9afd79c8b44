//! PBX work, the embedded PBX's tables and hunt groups on PostgreSQL ([`PbxStore`]).
//!
//! # One node per user: the claim lease
//! Several nodes run the sync worker (`presence::run_sync_worker`) on one database. SQLite's
//! `due_syncs` only reads the due rows; here it *claims* them: in one statement it takes the due
//! rows no other node is claiming (`FOR UPDATE SKIP LOCKED`) and moves their `next_attempt_ms`
//! [`CLAIM_LEASE_MS`] ahead, so they are not due for anyone else meanwhile. A row locked by a
//! claim in flight is skipped, and one claimed a moment ago is no longer due when PostgreSQL
//! re-checks it, so two nodes never take the same user. The claiming node then applies each
//! user (`presence::sync_user`) and `record_sync` replaces the lease with the outcome: applied
//! or failed (no next attempt), or a retry at its own time. A node that dies holding claims
//! leaves nothing orphaned: its rows are due again when the lease ends, for any node.
//!
//! Why the lease cannot lose or repeat work:
//! - A newer desired state is never lost: `set_presence`/`set_override` (and the admin's
//!   reconciles) write a new version with its own `next_attempt_ms`, replacing a lease, and
//!   `record_sync` of the claimed (older) version changes nothing when the version moved on
//!   (`WHERE desired_version = $2`), so it neither marks the newer state applied nor delays it.
//! - A healthy apply is not run twice: the lease (30 s) is far longer than one `sync_user`
//!   (at most two PBX calls of `--pbx-timeout-ms`, 5 s by default, and a few statements), and a
//!   claimed row is due again only if `record_sync` was not called by then. The worker applies
//!   its batch (up to [`CLAIM_BATCH`] users) one after the other, so the lease covers the batch
//!   while applies average under 300 ms; a PBX that times out on many users can outlast it, and
//!   then another node may attempt a user the first has not reached yet — attempts of a failing
//!   PBX, whose outcomes `record_sync` still keeps per version.
//! - An apply of an older version that lands after a newer one is put right. The request that
//!   writes a new desired state applies it on its own node at once (`sync_user`; the per-user
//!   turn that orders applies is per process), so while node A applies version n, node B may
//!   write and apply n + 1 and A's apply may reach the PBX last. When A's `record_sync(n)` then
//!   finds n + 1 already applied, its apply may have overwritten it: the row is made pending
//!   and due again (same version n + 1), and a worker applies it once more. (A single node
//!   never gets here: its turn orders the two applies.)
//! - A change made through a node is applied at once by that node (the request calls
//!   `sync_user`), so `set_presence`/`set_override` write it claimed by the writer for the
//!   same lease rather than due now (SQLite: due now), where another node's worker would apply
//!   it as well.
//! - `make_pending_due` (a node starting) makes every pending row due now, as on SQLite: what a
//!   dead process left is applied at once, a backed-off retry included. A lease looks like any
//!   other `next_attempt_ms`, so this also ends the live claims of other nodes: a user another
//!   node is applying at that moment may be applied a second time by the starting node — the
//!   same desired version, so the PBX ends in the same state and `record_sync` records it for
//!   that version (its event may come twice). Only a node's start does this.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;
use ucclient_core::api::{HuntGroup, PbxSync, PbxUserState};
use ucclient_core::ring::GroupMember;

use super::{PgStore, enum_str, from_json, log_events, to_json};
use crate::store::{NewEvent, PbxStore, StoreResult, SyncOutcome};

/// How long a claimed PBX apply stays with the node that claimed it (ms): the row is due again
/// after it unless that node recorded an outcome (see the module's documentation).
pub(crate) const CLAIM_LEASE_MS: i64 = 30_000;

/// Most users one `due_syncs` claims (as many as SQLite's `due_syncs` returns).
const CLAIM_BATCH: i64 = 100;

#[async_trait]
impl PbxStore for PgStore {
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
        let Some(mut tx) = self.write_for_user(user_id).await? else {
            return Ok(false); // no such user: no row to update (as SQLite finds none)
        };
        // The version check is the UPDATE's own condition, on the row's current version.
        let done = sqlx::query(
            "UPDATE presence SET pbx_sync = $3, pbx_error = $4, next_attempt_ms = $5,
                sync_attempts = sync_attempts + $6
             WHERE user_id = $1 AND desired_version = $2",
        )
        .bind(user_id)
        .bind(version)
        .bind(enum_str(&sync))
        .bind(error)
        .bind(next)
        .bind(i64::from(failed_attempt))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            log_events(&mut tx, events).await?;
        } else if !failed_attempt {
            // This older state reached the PBX, perhaps after the newer one was applied by
            // another node: that one is applied again (see the module's documentation).
            sqlx::query(
                "UPDATE presence SET pbx_sync = 'pending', next_attempt_ms = $3
                 WHERE user_id = $1 AND desired_version > $2 AND pbx_sync = 'applied'",
            )
            .bind(user_id)
            .bind(version)
            .bind(Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn make_pending_due(&self, now_ms: i64) -> StoreResult<u64> {
        // Claims of other nodes included (see the module's documentation).
        Ok(
            sqlx::query("UPDATE presence SET next_attempt_ms = $1 WHERE pbx_sync = 'pending'")
                .bind(now_ms)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn due_syncs(&self, now_ms: i64) -> StoreResult<Vec<String>> {
        // Claims them (see the module's documentation); oldest due first, as SQLite orders them.
        Ok(sqlx::query_scalar(
            "WITH due AS (
                SELECT user_id, next_attempt_ms FROM presence
                WHERE pbx_sync = 'pending' AND (next_attempt_ms IS NULL OR next_attempt_ms <= $1)
                ORDER BY next_attempt_ms NULLS FIRST LIMIT $3
                FOR UPDATE SKIP LOCKED
             ), claimed AS (
                UPDATE presence p SET next_attempt_ms = $1 + $2
                FROM due WHERE p.user_id = due.user_id
                RETURNING p.user_id, due.next_attempt_ms AS was_due
             )
             SELECT user_id FROM claimed ORDER BY was_due NULLS FIRST, user_id",
        )
        .bind(now_ms)
        .bind(CLAIM_LEASE_MS)
        .bind(CLAIM_BATCH)
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
            "UPDATE presence SET desired_pbx = $3
             WHERE user_id = $1 AND desired_version = $2 AND desired_pbx IS NULL
                AND pbx_sync = 'pending'",
        )
        .bind(user_id)
        .bind(version)
        .bind(to_json(desired)?)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn pbx_state(&self, user_id: &str) -> StoreResult<Option<PbxUserState>> {
        let s: Option<String> =
            sqlx::query_scalar("SELECT state FROM pbx_user_state WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        s.map(|s| from_json(&s)).transpose()
    }

    async fn put_pbx_state(&self, user_id: &str, state: &PbxUserState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pbx_user_state (user_id, state) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET state = $2",
        )
        .bind(user_id)
        .bind(to_json(state)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn groups(&self, customer_id: &str) -> StoreResult<Vec<HuntGroup>> {
        // `COLLATE "C"`: byte order, as SQLite sorts.
        let rows = sqlx::query(
            "SELECT g.id, g.name, g.extension, g.voicemail, m.kind, m.user_id FROM hunt_groups g
             LEFT JOIN hunt_group_members m ON m.group_id = g.id
             WHERE g.customer_id = $1
             ORDER BY g.name COLLATE \"C\", g.id COLLATE \"C\", m.position",
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
                    voicemail: r.get("voicemail"),
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

    async fn claim_apply(
        &self,
        user_id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<bool> {
        // One conditional UPDATE: the row's lock decides between nodes claiming at once.
        Ok(sqlx::query(
            "UPDATE presence SET apply_holder = $2, apply_until_ms = $4
             WHERE user_id = $1
               AND (apply_holder IS NULL OR apply_holder = $2 OR apply_until_ms <= $3)",
        )
        .bind(user_id)
        .bind(holder)
        .bind(now_ms)
        .bind(until_ms)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn release_apply(
        &self,
        user_id: &str,
        holder: &str,
        version: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE presence SET apply_holder = NULL, apply_until_ms = NULL,
                next_attempt_ms = CASE
                    WHEN pbx_sync = 'pending' AND desired_version > $3
                    THEN LEAST(COALESCE(next_attempt_ms, $4), $4)
                    ELSE next_attempt_ms END
             WHERE user_id = $1 AND apply_holder = $2",
        )
        .bind(user_id)
        .bind(holder)
        .bind(version)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
