//! The answers of writes sent with an `Idempotency-Key` on PostgreSQL ([`IdempotencyStore`]).
//!
//! A key is won by exactly one request on every node: the claim is one
//! `INSERT … ON CONFLICT DO UPDATE … WHERE` whose conflict waits for a concurrent claim of the
//! same key to commit and then decides on the row as that claim left it; a claim that loses
//! still locks the row, so reading it back in the same transaction sees what it lost to.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PgStore;
use crate::store::{IdempotencyClaim, IdempotencyStore, IdempotentAnswer, StoreResult};

/// A live row as a claim that lost sees it.
fn taken(r: &PgRow) -> IdempotencyClaim {
    let status: Option<i32> = r.get("status");
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
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
        abandoned_before_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<IdempotencyClaim> {
        let mut tx = self.pool.begin().await?;
        // One statement decides: a new key is inserted; an expired one, or an unanswered claim
        // of the same request left by a process that died, is taken over; a live one is left
        // alone (no row returned, but locked) and read back in the same transaction.
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO idempotency_keys
                (scope, key, fingerprint, claimed_ms, expires_ms, status, content_type, body)
             VALUES ($1, $2, $3, $4, $6, NULL, NULL, NULL)
             ON CONFLICT (scope, key) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, claimed_ms = EXCLUDED.claimed_ms,
                expires_ms = EXCLUDED.expires_ms, status = NULL, content_type = NULL, body = NULL
             WHERE idempotency_keys.expires_ms <= $4
                OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_ms < $5
                    AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
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
                     WHERE scope = $1 AND key = $2",
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
             WHERE scope = $1 AND key = $2 AND expires_ms > $3",
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
        // Conditional on the claim still being this one's and unanswered: one statement.
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3
             WHERE scope = $4 AND key = $5 AND claimed_ms = $6 AND status IS NULL",
        )
        .bind(i32::from(answer.status))
        .bind(&answer.content_type)
        .bind(&answer.body)
        .bind(scope)
        .bind(key)
        .bind(claimed_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        claimed_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE scope = $1 AND key = $2 AND claimed_ms = $3 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(claimed_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn prune_idempotency_keys(&self, now_ms: i64, limit: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN
                (SELECT scope, key FROM idempotency_keys WHERE expires_ms <= $1 LIMIT $2)",
        )
        .bind(now_ms)
        .bind(limit.max(0))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
