//! Salesforce Voice on PostgreSQL ([`VoiceStore`]).

use async_trait::async_trait;
use sqlx::Row;

use super::{Lock, PgStore};
use crate::store::{StoreResult, VoiceKey, VoiceSettings, VoiceStore};

#[async_trait]
impl VoiceStore for PgStore {
    async fn voice_settings(&self, customer_id: &str) -> StoreResult<Option<VoiceSettings>> {
        let row = sqlx::query(
            "SELECT customer_id, scrt_base_url, call_center_api_name, org_id, phone_number
             FROM voice_settings WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| VoiceSettings {
            customer_id: r.get("customer_id"),
            scrt_base_url: r.get("scrt_base_url"),
            call_center_api_name: r.get("call_center_api_name"),
            org_id: r.get("org_id"),
            phone_number: r.get("phone_number"),
        }))
    }

    async fn set_voice_settings(&self, settings: &VoiceSettings, now_ms: i64) -> StoreResult<bool> {
        // The customer's lock: the customer found here is still there when the row is written.
        let mut tx = self.write(Lock::Customer(&settings.customer_id)).await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = $1")
            .bind(&settings.customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO voice_settings
                 (customer_id, scrt_base_url, call_center_api_name, org_id, phone_number,
                  updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (customer_id) DO UPDATE SET scrt_base_url = excluded.scrt_base_url,
                 call_center_api_name = excluded.call_center_api_name,
                 org_id = excluded.org_id, phone_number = excluded.phone_number,
                 updated_ms = excluded.updated_ms",
        )
        .bind(&settings.customer_id)
        .bind(&settings.scrt_base_url)
        .bind(&settings.call_center_api_name)
        .bind(&settings.org_id)
        .bind(&settings.phone_number)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn clear_voice_settings(&self, customer_id: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query("DELETE FROM voice_settings WHERE customer_id = $1")
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn voice_key(&self, customer_id: &str) -> StoreResult<Option<VoiceKey>> {
        let row = sqlx::query(
            "SELECT private_key_pem, certificate_pem, created_ms FROM voice_keys
             WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| VoiceKey {
            private_key_pem: r.get("private_key_pem"),
            certificate_pem: r.get("certificate_pem"),
            created_ms: r.get("created_ms"),
        }))
    }

    async fn set_voice_key(
        &self,
        customer_id: &str,
        key: &VoiceKey,
        replace: bool,
    ) -> StoreResult<bool> {
        // The customer's lock, as for the settings. Without `replace`, of two nodes making the
        // first key at once one stores it (DO NOTHING) and the other learns it lost.
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Ok(false);
        }
        let sql = if replace {
            "INSERT INTO voice_keys (customer_id, private_key_pem, certificate_pem, created_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (customer_id) DO UPDATE SET private_key_pem = excluded.private_key_pem,
                 certificate_pem = excluded.certificate_pem, created_ms = excluded.created_ms"
        } else {
            "INSERT INTO voice_keys (customer_id, private_key_pem, certificate_pem, created_ms)
             VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO NOTHING"
        };
        let done = sqlx::query(sql)
            .bind(customer_id)
            .bind(&key.private_key_pem)
            .bind(&key.certificate_pem)
            .bind(key.created_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(done)
    }

    async fn set_voice_call_id(
        &self,
        call_id: &str,
        customer_id: &str,
        voice_call_id: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO voice_calls (call_id, customer_id, voice_call_id, created_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (call_id) DO UPDATE SET voice_call_id = excluded.voice_call_id",
        )
        .bind(call_id)
        .bind(customer_id)
        .bind(voice_call_id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn voice_call_id(&self, call_id: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT voice_call_id FROM voice_calls WHERE call_id = $1")
                .bind(call_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn claim_voice_call_end(&self, call_id: &str) -> StoreResult<Option<String>> {
        // One conditional UPDATE: a second caller (on any node) waits for the first's row lock,
        // then re-reads `end_sent` as TRUE and gets no row. Exactly one caller wins.
        Ok(sqlx::query_scalar(
            "UPDATE voice_calls SET end_sent = TRUE WHERE call_id = $1 AND NOT end_sent
             RETURNING voice_call_id",
        )
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
