//! Softphone registrations on SQLite ([`SoftphoneStore`], issue 17): every write takes the
//! writer's turn, so a read and the write that depends on it see no other writer between them.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use ucclient_core::api::SoftphoneState;

use super::{SqliteStore, log_events};
use crate::store::{SoftphoneStore, StoreResult, StoredRegistration, softphone_event};

/// The columns [`registration`] reads.
const COLUMNS: &str = "id, user_id, customer_id, device_id, expires_ms";

fn registration(r: &SqliteRow) -> StoredRegistration {
    StoredRegistration {
        id: r.get("id"),
        user_id: r.get("user_id"),
        customer_id: r.get("customer_id"),
        device_id: r.get("device_id"),
        expires_ms: r.get("expires_ms"),
    }
}

#[async_trait]
impl SoftphoneStore for SqliteStore {
    async fn register_softphone(
        &self,
        reg: &StoredRegistration,
        now_ms: i64,
    ) -> StoreResult<Option<StoredRegistration>> {
        let mut tx = self.write().await?;
        let old = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM softphone_registrations WHERE user_id = ?"
        ))
        .bind(&reg.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| registration(&r));
        sqlx::query(
            "INSERT INTO softphone_registrations
                 (user_id, id, customer_id, device_id, created_ms, expires_ms)
             VALUES (?, ?, ?, ?, ?, ?)
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
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE softphone_registrations SET expires_ms = ?
             WHERE user_id = ? AND id = ? AND expires_ms > ?",
        )
        .bind(expires_ms)
        .bind(user_id)
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn end_softphone(&self, user_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let ended = sqlx::query(&format!(
            "DELETE FROM softphone_registrations WHERE user_id = ? AND id = ? AND expires_ms > ?
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
            "SELECT {COLUMNS} FROM softphone_registrations WHERE user_id = ? AND expires_ms > ?"
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
        let mut tx = self.write().await?;
        let mut expired: Vec<StoredRegistration> = sqlx::query(&format!(
            "DELETE FROM softphone_registrations WHERE user_id IN (
                 SELECT user_id FROM softphone_registrations WHERE expires_ms <= ?
                 ORDER BY expires_ms LIMIT ?)
             RETURNING {COLUMNS}"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(registration)
        .collect();
        // In expiry order (RETURNING's order is not defined), like every engine's answer.
        expired.sort_by(|a, b| (a.expires_ms, &a.id).cmp(&(b.expires_ms, &b.id)));
        let events: Vec<_> = expired
            .iter()
            .map(|r| softphone_event(r, SoftphoneState::Expired))
            .collect();
        log_events(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(expired)
    }
}
