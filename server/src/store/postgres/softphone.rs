//! Softphone registrations on PostgreSQL ([`SoftphoneStore`], issue 17). Every write that logs an
//! event holds its customer's lock ([`Lock::Customer`]), so a replacement, an end and an expiry of
//! one user's registration run one after the other on any node and each end is logged once; the
//! keep-alive is one conditional `UPDATE`, its row the arbiter.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use ucclient_core::api::SoftphoneState;

use super::{Lock, PgStore, log_events};
use crate::store::{SoftphoneStore, StoreResult, StoredRegistration, softphone_event};

/// The columns [`registration`] reads.
const COLUMNS: &str = "id, user_id, customer_id, device_id, expires_ms";

fn registration(r: &PgRow) -> StoredRegistration {
    StoredRegistration {
        id: r.get("id"),
        user_id: r.get("user_id"),
        customer_id: r.get("customer_id"),
        device_id: r.get("device_id"),
        expires_ms: r.get("expires_ms"),
    }
}

#[async_trait]
impl SoftphoneStore for PgStore {
    async fn register_softphone(
        &self,
        reg: &StoredRegistration,
        now_ms: i64,
    ) -> StoreResult<Option<StoredRegistration>> {
        let mut tx = self.write(Lock::Customer(&reg.customer_id)).await?;
        let old = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM softphone_registrations WHERE user_id = $1"
        ))
        .bind(&reg.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| registration(&r));
        sqlx::query(
            "INSERT INTO softphone_registrations
                 (user_id, id, customer_id, device_id, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id) DO UPDATE SET id = excluded.id,
                 customer_id = excluded.customer_id, device_id = excluded.device_id,
                 created_ms = excluded.created_ms, expires_ms = excluded.expires_ms",
        )
        .bind(&reg.user_id)
        .bind(&reg.id)
        .bind(&reg.customer_id)
        .bind(&reg.device_id)
        .bind(now_ms)
        .bind(reg.expires_ms)
        .execute(&mut *tx)
        .await?;
        if let Some(old) = &old {
            let state = if old.expires_ms <= now_ms {
                SoftphoneState::Expired
            } else {
                SoftphoneState::Replaced
            };
            log_events(&mut tx, &[softphone_event(old, state)]).await?;
        }
        tx.commit().await?;
        Ok(old)
    }

    async fn keep_softphone_alive(
        &self,
        user_id: &str,
        id: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<bool> {
        // One statement: a sweep or an end deleting the row first leaves it nothing to update.
        Ok(sqlx::query(
            "UPDATE softphone_registrations SET expires_ms = $1
             WHERE user_id = $2 AND id = $3 AND expires_ms > $4",
        )
        .bind(expires_ms)
        .bind(user_id)
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn end_softphone(&self, user_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        let Some(mut tx) = self.write_for_user(user_id).await? else {
            return Ok(false);
        };
        let ended = sqlx::query(&format!(
            "DELETE FROM softphone_registrations WHERE user_id = $1 AND id = $2 AND expires_ms > $3
             RETURNING {COLUMNS}"
        ))
        .bind(user_id)
        .bind(id)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| registration(&r));
        if let Some(reg) = &ended {
            log_events(&mut tx, &[softphone_event(reg, SoftphoneState::Ended)]).await?;
        }
        tx.commit().await?;
        Ok(ended.is_some())
    }

    async fn softphone_registration(
        &self,
        user_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<StoredRegistration>> {
        Ok(sqlx::query(&format!(
            "SELECT {COLUMNS} FROM softphone_registrations WHERE user_id = $1 AND expires_ms > $2"
        ))
        .bind(user_id)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| registration(&r)))
    }

    async fn expire_softphones(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredRegistration>> {
        // The customers with expired registrations, then each customer's under its lock: the
        // DELETE repeats the condition on the row itself (re-checked on a row a keep-alive updated
        // meanwhile), so a keep-alive or another node's sweep that came first leaves it nothing.
        let customers: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT customer_id FROM softphone_registrations WHERE expires_ms <= $1
             LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut expired = Vec::new();
        for customer in customers {
            let left = limit - expired.len() as i64;
            if left <= 0 {
                break;
            }
            let mut tx = self.write(Lock::Customer(&customer)).await?;
            let mut gone: Vec<StoredRegistration> = sqlx::query(&format!(
                "DELETE FROM softphone_registrations WHERE user_id IN (
                     SELECT user_id FROM softphone_registrations
                     WHERE customer_id = $1 AND expires_ms <= $2 ORDER BY expires_ms LIMIT $3)
                 AND expires_ms <= $2
                 RETURNING {COLUMNS}"
            ))
            .bind(&customer)
            .bind(now_ms)
            .bind(left)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(registration)
            .collect();
            // In expiry order (RETURNING's order is not defined), like every engine's answer.
            gone.sort_by(|a, b| (a.expires_ms, &a.id).cmp(&(b.expires_ms, &b.id)));
            let events: Vec<_> = gone
                .iter()
                .map(|r| softphone_event(r, SoftphoneState::Expired))
                .collect();
            log_events(&mut tx, &events).await?;
            tx.commit().await?;
            expired.extend(gone);
        }
        expired.sort_by(|a, b| (a.expires_ms, &a.id).cmp(&(b.expires_ms, &b.id)));
        Ok(expired)
    }
}
