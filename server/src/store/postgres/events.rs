//! The event log on PostgreSQL ([`EventStore`]).
//!
//! Ids are per customer, taken from `event_counters` by [`log_events`] in the transaction of the
//! change, so a customer's ids commit in order and are never reused: the newest id of a stream
//! is its counter's `last_id`, which pruning leaves alone (SQLite reads `MAX(id)` and its global
//! sequence instead).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;

use super::{Lock, PgStore, log_events};
use crate::store::{EventStore, LoggedEvent, NewEvent, StoreResult, StoredEvent};

#[async_trait]
impl EventStore for PgStore {
    async fn append_events(&self, events: &[NewEvent]) -> StoreResult<()> {
        let customers: BTreeSet<&str> = events.iter().map(|e| e.customer_id.as_str()).collect();
        let mut tx = match customers.first() {
            None => return Ok(()),
            Some(c) if customers.len() == 1 => self.write(Lock::Customer(c)).await?,
            // Events of several customers: their counter rows are locked in no set order, so
            // every other writer is held off rather than risking two such writes waiting on
            // each other.
            Some(_) => self.write(Lock::All).await?,
        };
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
             WHERE customer_id = $1 AND id > $2 AND (audience_user IS NULL OR audience_user = $3)
             ORDER BY id LIMIT $4",
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
             WHERE customer_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(customer_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        // A later statement, so a later snapshot: a prune that committed after the events were
        // read shows here (the caller then takes a snapshot it did not need), never the reverse.
        let pruned: Option<i64> =
            sqlx::query_scalar("SELECT pruned_through FROM event_retention WHERE customer_id = $1")
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
        // One statement: both read from one snapshot.
        let (last, pruned): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT last_id FROM event_counters WHERE customer_id = $1),
                    (SELECT pruned_through FROM event_retention WHERE customer_id = $1)",
        )
        .bind(customer_id)
        .fetch_one(&self.pool)
        .await?;
        let pruned = pruned.unwrap_or(0);
        Ok((last.unwrap_or(0).max(pruned), pruned))
    }

    async fn prune_events(&self, older_than_ms: i64, keep: i64) -> StoreResult<u64> {
        // Every customer with a log has a counter row.
        let customers: Vec<String> =
            sqlx::query_scalar("SELECT customer_id FROM event_counters ORDER BY customer_id")
                .fetch_all(&self.pool)
                .await?;
        let mut removed = 0;
        // One transaction per customer under that customer's lock (not `Lock::All`: a prune of
        // every log would hold off every node's writes for its whole length). Each customer's
        // deletion and its `pruned_through` commit together, which is all a reader relies on;
        // new events take ids above the counter, never below what is dropped.
        for c in customers {
            let mut tx = self.write(Lock::Customer(&c)).await?;
            // The newest id to drop: anything too old, or beyond the newest `keep`.
            let by_age: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM events WHERE customer_id = $1 AND created_ms < $2",
            )
            .bind(&c)
            .bind(older_than_ms)
            .fetch_one(&mut *tx)
            .await?;
            let by_count: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM events WHERE customer_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
            )
            .bind(&c)
            .bind(keep)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(through) = by_age.max(by_count) else {
                continue;
            };
            removed += sqlx::query("DELETE FROM events WHERE customer_id = $1 AND id <= $2")
                .bind(&c)
                .bind(through)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "INSERT INTO event_retention (customer_id, pruned_through) VALUES ($1, $2)
                 ON CONFLICT (customer_id) DO UPDATE
                 SET pruned_through = GREATEST(event_retention.pruned_through, EXCLUDED.pruned_through)",
            )
            .bind(&c)
            .bind(through)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        let now = Utc::now().timestamp_millis();
        sqlx::query("DELETE FROM event_tickets WHERE expires_at_ms < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM rate_limits WHERE window_start_ms < $1")
            .bind(now - 3_600_000)
            .execute(&self.pool)
            .await?;
        Ok(removed)
    }
}
