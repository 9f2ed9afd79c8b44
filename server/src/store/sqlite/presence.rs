//! Stored presence and routing overrides on SQLite ([`PresenceStore`]).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use ucclient_core::ProfileId;
use ucclient_core::api::{PbxSync, PbxUserState, ProfileSettings};

use super::{SqliteStore, enum_str, from_json, log_events, parse_enum, profile, to_json};
use crate::store::{NewEvent, PresenceRow, PresenceStore, StoreResult};

#[async_trait]
impl PresenceStore for SqliteStore {
    async fn presence_rows(&self, user_ids: &[String]) -> StoreResult<Vec<PresenceRow>> {
        let mut out = Vec::with_capacity(user_ids.len());
        // One query per chunk keeps the bind count under SQLite's limit.
        for chunk in user_ids.chunks(200) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT user_id, profile, since, pbx_sync, pbx_error, desired_pbx, desired_version, sync_attempts
                 FROM presence WHERE user_id IN ({placeholders})"
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let desired: Option<String> = r.get("desired_pbx");
                out.push(PresenceRow {
                    user_id: r.get("user_id"),
                    profile: profile(r.get("profile"))?,
                    since: r.get("since"),
                    pbx_sync: parse_enum(r.get::<&str, _>("pbx_sync"))?,
                    pbx_error: r.get("pbx_error"),
                    desired: match desired {
                        Some(d) => Some(from_json(&d)?),
                        None => None,
                    },
                    desired_version: r.get("desired_version"),
                    sync_attempts: r.get("sync_attempts"),
                });
            }
        }
        Ok(out)
    }

    async fn users_on_call(&self, customer_id: &str) -> StoreResult<HashSet<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM calls WHERE customer_id = ? AND state = 'connected'",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().collect())
    }

    async fn set_presence(
        &self,
        user_id: &str,
        profile: ProfileId,
        since: DateTime<Utc>,
        sync: PbxSync,
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<i64> {
        let desired = desired.map(to_json).transpose()?;
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO presence (user_id, profile, since, pbx_sync, pbx_error, desired_pbx, desired_version, sync_attempts, next_attempt_ms)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, 1, 0, ?6)
             ON CONFLICT (user_id) DO UPDATE SET profile = ?2, since = ?3, pbx_sync = ?4, pbx_error = NULL,
                desired_pbx = ?5, desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = ?6
             RETURNING desired_version",
        )
        .bind(user_id)
        .bind(profile.as_str())
        .bind(since)
        .bind(enum_str(&sync))
        .bind(desired)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn overrides(&self, user_id: &str) -> StoreResult<HashMap<ProfileId, ProfileSettings>> {
        let rows = sqlx::query("SELECT profile, settings FROM profile_overrides WHERE user_id = ?")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((profile(r.get("profile"))?, from_json(r.get("settings"))?)))
            .collect()
    }

    async fn set_override(
        &self,
        user_id: &str,
        profile: ProfileId,
        settings: Option<&ProfileSettings>,
        devices: &[String],
        desired: Option<&PbxUserState>,
        events: &[NewEvent],
    ) -> StoreResult<Option<i64>> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        let current: Vec<String> =
            sqlx::query_scalar("SELECT id FROM devices WHERE user_id = ? ORDER BY position, id")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        if current != devices {
            return Ok(None);
        }
        match settings {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO profile_overrides (user_id, profile, settings) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, profile) DO UPDATE SET settings = ?3",
                )
                .bind(user_id)
                .bind(profile.as_str())
                .bind(to_json(s)?)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM profile_overrides WHERE user_id = ? AND profile = ?")
                    .bind(user_id)
                    .bind(profile.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let version: i64 = match desired {
            Some(d) => {
                sqlx::query_scalar(
                    "UPDATE presence SET pbx_sync = 'pending', pbx_error = NULL, desired_pbx = ?2,
                        desired_version = desired_version + 1, sync_attempts = 0, next_attempt_ms = ?3
                     WHERE user_id = ?1 RETURNING desired_version",
                )
                .bind(user_id)
                .bind(to_json(d)?)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT desired_version FROM presence WHERE user_id = ?")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or(0)
            }
        };
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(Some(version))
    }

    // --- presence-server: the customer's CRM presence map (issue 14) ---

    async fn crm_presence(
        &self,
        customer_id: &str,
    ) -> StoreResult<ucclient_core::crm_presence::CrmPresenceMap> {
        let row = sqlx::query(
            "SELECT enabled, salesforce, dynamics FROM crm_presence WHERE customer_id = ?",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => ucclient_core::crm_presence::CrmPresenceMap::default(),
            Some(r) => ucclient_core::crm_presence::CrmPresenceMap {
                enabled: r.get::<i64, _>("enabled") != 0,
                salesforce: from_json(&r.get::<String, _>("salesforce"))?,
                dynamics: from_json(&r.get::<String, _>("dynamics"))?,
            },
        })
    }

    async fn set_crm_presence(
        &self,
        customer_id: &str,
        map: Option<&ucclient_core::crm_presence::CrmPresenceMap>,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE id = ?")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Ok(false);
        }
        match map {
            None => {
                sqlx::query("DELETE FROM crm_presence WHERE customer_id = ?")
                    .bind(customer_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(m) => {
                sqlx::query(
                    "INSERT INTO crm_presence (customer_id, enabled, salesforce, dynamics)
                     VALUES (?, ?, ?, ?)
                     ON CONFLICT (customer_id) DO UPDATE SET enabled = excluded.enabled,
                         salesforce = excluded.salesforce, dynamics = excluded.dynamics",
                )
                .bind(customer_id)
                .bind(m.enabled)
                .bind(to_json(&m.salesforce)?)
                .bind(to_json(&m.dynamics)?)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}
