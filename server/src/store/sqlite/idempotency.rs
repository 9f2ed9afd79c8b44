//! The answers of writes sent with an `Idempotency-Key` on SQLite ([`IdempotencyStore`]).

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::{IdempotencyClaim, IdempotencyStore, IdempotentAnswer, StoreResult};

/// A live row as a claim that lost sees it.
fn taken(r: &sqlx::sqlite::SqliteRow) -> IdempotencyClaim {
    let status: Option<i64> = r.get("status");
    IdempotencyClaim::Taken {
        fingerprint: r.get("fingerprint"),
        answer: status.map(|status| IdempotentAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: r.get("content_type"),
            body: r.get::<Option<Vec<u8>>, _>("body").unwrap_or_default(),
        }),
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
        abandoned_before_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<IdempotencyClaim> {
        let mut tx = self.write().await?;
        // One statement decides: a new key is inserted; an expired one, or an unanswered claim
        // of the same request left by a process that died, is taken over; a live one is left
        // alone (no row returned) and read back in the same transaction.
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO idempotency_keys
                (scope, key, fingerprint, claimed_ms, expires_ms, status, content_type, body)
             VALUES (?1, ?2, ?3, ?4, ?6, NULL, NULL, NULL)
             ON CONFLICT (scope, key) DO UPDATE SET
                fingerprint = excluded.fingerprint, claimed_ms = excluded.claimed_ms,
                expires_ms = excluded.expires_ms, status = NULL, content_type = NULL, body = NULL
             WHERE idempotency_keys.expires_ms <= ?4
                OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_ms < ?5
                    AND idempotency_keys.fingerprint = excluded.fingerprint)
             RETURNING claimed_ms",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(now_ms)
        .bind(abandoned_before_ms)
        .bind(expires_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let result = match claimed {
            Some(claimed_ms) => IdempotencyClaim::Claimed { claimed_ms },
            None => {
                let row = sqlx::query(
                    "SELECT fingerprint, status, content_type, body FROM idempotency_keys
                     WHERE scope = ? AND key = ?",
                )
                .bind(scope)
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                taken(&row)
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    async fn idempotency_entry(
        &self,
        scope: &str,
        key: &str,
        now_ms: i64,
    ) -> StoreResult<Option<IdempotencyClaim>> {
        let row = sqlx::query(
            "SELECT fingerprint, status, content_type, body FROM idempotency_keys
             WHERE scope = ? AND key = ? AND expires_ms > ?",
        )
        .bind(scope)
        .bind(key)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(taken))
    }

    async fn store_idempotent_answer(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
        answer: &IdempotentAnswer,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ?
             WHERE scope = ? AND key = ? AND claimed_ms = ? AND status IS NULL",
        )
        .bind(i64::from(answer.status))
        .bind(&answer.content_type)
        .bind(&answer.body)
        .bind(scope)
        .bind(key)
        .bind(claimed_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE scope = ? AND key = ? AND claimed_ms = ? AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(claimed_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_idempotency_keys(&self, now_ms: i64, limit: i64) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE rowid IN
                (SELECT rowid FROM idempotency_keys WHERE expires_ms <= ? LIMIT ?)",
        )
        .bind(now_ms)
        .bind(limit.max(0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
