//! Stored presence and routing overrides on PostgreSQL ([`PresenceStore`]).
//!
//! Like SQLite's, except for when a new desired PBX state is due for the sync worker: the node
//! that writes it applies it at once itself (`presence::set_presence` and `put_settings` call
//! `sync_user` right after), so the row is written claimed by that node for [`CLAIM_LEASE_MS`]
//! (see [`super::pbx`]) instead of due now, where another node's worker would apply it a second
//! time while the writer does. If the writer dies first, the row is due when the lease ends.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use ucclient_core::ProfileId;
use ucclient_core::api::{PbxSync, PbxUserState, ProfileSettings};
use ucclient_core::crm_presence::CrmPresenceMap;

use super::pbx::CLAIM_LEASE_MS;
use super::{
    Lock, PgStore, WriteTx, enum_str, from_json, log_events, parse_enum, profile, to_json,
};
use crate::store::{NewEvent, PresenceRow, PresenceStore, StoreError, StoreResult};

/// A time stored as RFC 3339 text (as sqlx's SQLite encoding of a `DateTime` writes it).
fn parse_time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Data(format!("time {s}: {e}")))
}

impl PgStore {
    /// A write transaction under the lock of the user's customer; for an unknown user, one
    /// without a lock, whose writes then fail on the missing user as SQLite's do.
    async fn write_user(&self, user_id: &str) -> StoreResult<WriteTx> {
        match self.write_for_user(user_id).await? {
            Some(tx) => Ok(tx),
            None => Ok(self.pool.begin().await?),
        }
    }
}

#[async_trait]
impl PresenceStore for PgStore {
    async fn presence_rows(&self, user_ids: &[String]) -> StoreResult<Vec<PresenceRow>> {
        let rows = sqlx::query(
            "SELECT user_id, profile, since, pbx_sync, pbx_error, desired_pbx, desired_version,
                    sync_attempts
             FROM presence WHERE user_id = ANY($1)",
        )
        .bind(user_ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let desired: Option<String> = r.get("desired_pbx");
                Ok(PresenceRow {
                    user_id: r.get("user_id"),
                    profile: profile(r.get("profile"))?,
                    since: parse_time(r.get("since"))?,
                    pbx_sync: parse_enum(r.get::<&str, _>("pbx_sync"))?,
                    pbx_error: r.get("pbx_error"),
                    desired: desired.as_deref().map(from_json).transpose()?,
                    desired_version: r.get("desired_version"),
                    sync_attempts: r.get("sync_attempts"),
                })
            })
            .collect()
    }

    async fn users_on_call(&self, customer_id: &str) -> StoreResult<HashSet<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM calls WHERE customer_id = $1 AND state = 'connected'",
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
        // Claimed by this node, which applies it next (see the module's documentation).
        let due = Utc::now().timestamp_millis() + CLAIM_LEASE_MS;
        let mut tx = self.write_user(user_id).await?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO presence (user_id, profile, since, pbx_sync, pbx_error, desired_pbx,
                desired_version, sync_attempts, next_attempt_ms)
             VALUES ($1, $2, $3, $4, NULL, $5, 1, 0, $6)
             ON CONFLICT (user_id) DO UPDATE SET profile = $2, since = $3, pbx_sync = $4,
                pbx_error = NULL, desired_pbx = $5, desired_version = presence.desired_version + 1,
                sync_attempts = 0, next_attempt_ms = $6
             RETURNING desired_version",
        )
        .bind(user_id)
        .bind(profile.as_str())
        .bind(since.to_rfc3339())
        .bind(enum_str(&sync))
        .bind(desired)
        .bind(due)
        .fetch_one(&mut *tx)
        .await?;
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn overrides(&self, user_id: &str) -> StoreResult<HashMap<ProfileId, ProfileSettings>> {
        let rows =
            sqlx::query("SELECT profile, settings FROM profile_overrides WHERE user_id = $1")
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
        // Claimed by this node, which applies it next (see the module's documentation).
        let due = Utc::now().timestamp_millis() + CLAIM_LEASE_MS;
        // The device check and the write under the customer's lock: an operator's device change
        // (same lock) comes wholly before or after.
        let mut tx = self.write_user(user_id).await?;
        // `COLLATE "C"`: byte order, as SQLite sorts.
        let current: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM devices WHERE user_id = $1 ORDER BY position, id COLLATE \"C\"",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        if current != devices {
            return Ok(None);
        }
        match settings {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO profile_overrides (user_id, profile, settings) VALUES ($1, $2, $3)
                     ON CONFLICT (user_id, profile) DO UPDATE SET settings = $3",
                )
                .bind(user_id)
                .bind(profile.as_str())
                .bind(to_json(s)?)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM profile_overrides WHERE user_id = $1 AND profile = $2")
                    .bind(user_id)
                    .bind(profile.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let version: i64 = match desired {
            Some(d) => {
                sqlx::query_scalar(
                    "UPDATE presence SET pbx_sync = 'pending', pbx_error = NULL, desired_pbx = $2,
                        desired_version = desired_version + 1, sync_attempts = 0,
                        next_attempt_ms = $3
                     WHERE user_id = $1 RETURNING desired_version",
                )
                .bind(user_id)
                .bind(to_json(d)?)
                .bind(due)
                .fetch_one(&mut *tx)
                .await?
            }
            None => sqlx::query_scalar("SELECT desired_version FROM presence WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0),
        };
        log_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(Some(version))
    }

    // --- presence-server: the customer's CRM presence map (issue 14) ---

    async fn crm_presence(&self, customer_id: &str) -> StoreResult<CrmPresenceMap> {
        let row = sqlx::query(
            "SELECT enabled, salesforce, dynamics FROM crm_presence WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => CrmPresenceMap::default(),
            Some(r) => CrmPresenceMap {
                enabled: r.get("enabled"),
                salesforce: from_json(r.get("salesforce"))?,
                dynamics: from_json(r.get("dynamics"))?,
            },
        })
    }

    async fn set_crm_presence(
        &self,
        customer_id: &str,
        map: Option<&CrmPresenceMap>,
    ) -> StoreResult<bool> {
        // The existence check and the write under the customer's lock (deleting a customer
        // holds every lock).
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)")
                .bind(customer_id)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            return Ok(false);
        }
        match map {
            None => {
                sqlx::query("DELETE FROM crm_presence WHERE customer_id = $1")
                    .bind(customer_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(m) => {
                sqlx::query(
                    "INSERT INTO crm_presence (customer_id, enabled, salesforce, dynamics)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (customer_id) DO UPDATE SET enabled = EXCLUDED.enabled,
                         salesforce = EXCLUDED.salesforce, dynamics = EXCLUDED.dynamics",
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
