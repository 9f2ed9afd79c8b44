//! Rate-limit windows on PostgreSQL ([`LimitStore`]).
//!
//! Several nodes count into the same rows, so every count is one `INSERT … ON CONFLICT … DO
//! UPDATE … RETURNING`: PostgreSQL takes the row's lock for it, and of two nodes hitting a key at
//! once the second updates the row the first left, so both hits count.

use async_trait::async_trait;
use sqlx::Row;

use super::PgStore;
use crate::store::{LimitStore, StoreResult};

#[async_trait]
impl LimitStore for PgStore {
    async fn hit_rate_limit(
        &self,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> StoreResult<(i64, i64)> {
        // The window opens at the key's first hit, not at a clock boundary: a burst straddling a
        // minute boundary cannot get twice the allowance, and `Retry-After` is exact. (Both SET
        // expressions read the row as it was before this hit.)
        let row = sqlx::query(
            "INSERT INTO rate_limits (key, window_start_ms, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN rate_limits.window_start_ms > $2 - $3
                             THEN rate_limits.count + 1 ELSE 1 END,
                window_start_ms = CASE WHEN rate_limits.window_start_ms > $2 - $3
                                       THEN rate_limits.window_start_ms ELSE $2 END
             RETURNING count, window_start_ms",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_ms.max(1))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get("count"), row.get("window_start_ms")))
    }

    async fn peek_rate_limit(&self, key: &str) -> StoreResult<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT count, window_start_ms FROM rate_limits WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("count"), r.get("window_start_ms"))))
    }

    async fn note_failure(&self, key: &str, forget_ms: i64, now_ms: i64) -> StoreResult<i64> {
        // A failure within `forget_ms` of the last one counts on; an older count is forgotten.
        Ok(sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start_ms, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN rate_limits.window_start_ms > $2 - $3
                             THEN rate_limits.count + 1 ELSE 1 END,
                window_start_ms = $2
             RETURNING count",
        )
        .bind(key)
        .bind(now_ms)
        .bind(forget_ms.max(1))
        .fetch_one(&self.pool)
        .await?)
    }

    async fn clear_rate_limit(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
