//! The event log on SQLite ([`EventStore`]).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;

use super::{SqliteStore, log_events};
use crate::store::{EventStore, LoggedEvent, NewEvent, StoreResult, StoredEvent};

#[async_trait]
impl EventStore for SqliteStore {
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
}
