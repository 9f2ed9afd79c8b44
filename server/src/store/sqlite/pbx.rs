//! PBX work, the embedded PBX's tables and hunt groups on SQLite ([`PbxStore`]).

use async_trait::async_trait;
use sqlx::Row;
use ucclient_core::api::{HuntGroup, PbxSync, PbxUserState};
use ucclient_core::ring::GroupMember;

use super::{SqliteStore, enum_str, from_json, log_events, to_json};
use crate::store::{NewEvent, PbxStore, StoreResult, SyncOutcome};

#[async_trait]
impl PbxStore for SqliteStore {
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

    async fn claim_apply(
        &self,
        user_id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let won = sqlx::query(
            "UPDATE presence SET apply_holder = ?2, apply_until_ms = ?4
             WHERE user_id = ?1
               AND (apply_holder IS NULL OR apply_holder = ?2 OR apply_until_ms <= ?3)",
        )
        .bind(user_id)
        .bind(holder)
        .bind(now_ms)
        .bind(until_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(won)
    }

    async fn release_apply(
        &self,
        user_id: &str,
        holder: &str,
        version: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE presence SET apply_holder = NULL, apply_until_ms = NULL,
                next_attempt_ms = CASE
                    WHEN pbx_sync = 'pending' AND desired_version > ?3
                    THEN MIN(COALESCE(next_attempt_ms, ?4), ?4)
                    ELSE next_attempt_ms END
             WHERE user_id = ?1 AND apply_holder = ?2",
        )
        .bind(user_id)
        .bind(holder)
        .bind(version)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
