//! Rate-limit windows on SQLite ([`LimitStore`]).

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::{LimitStore, StoreResult};

#[async_trait]
impl LimitStore for SqliteStore {
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
}
