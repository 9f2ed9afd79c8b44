//! Accounts, sessions and SSE tickets on SQLite ([`AccountStore`]).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Row, SqlitePool};
use ucclient_core::api::{AccessEndReason, Device, DeviceKind, User};

use super::{SqliteStore, colours_of, log_events, parse_enum, user_of};
use crate::store::{
    Account, AccountStore, StoreError, StoreResult, Ticket, end_of_access, session_key,
};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn login_lookup(&self, email: &str) -> StoreResult<Option<(String, String)>> {
        // A deactivated user is not found: their login fails like an unknown email's.
        let row = sqlx::query("SELECT id, password_hash FROM users WHERE email = ? AND active = 1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("id"), r.get("password_hash"))))
    }

    async fn account(&self, user_id: &str) -> StoreResult<Option<Account>> {
        let Some(r) = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension, u.role, c.id AS customer_id, c.name AS customer_name,
                    c.default_country, c.log_internal_calls, r.id AS reseller_id, r.mode,
                    r.extension_lists_enabled, r.colour_available, r.colour_away, r.colour_busy
             FROM users u JOIN customers c ON c.id = u.customer_id JOIN resellers r ON r.id = c.reseller_id
             WHERE u.id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Account {
            user: user_of(&r),
            customer_id: r.get("customer_id"),
            customer_name: r.get("customer_name"),
            reseller_id: r.get("reseller_id"),
            mode: parse_enum(r.get::<&str, _>("mode"))?,
            extension_lists_enabled: r.get::<i64, _>("extension_lists_enabled") != 0,
            colours: colours_of(&r),
            default_country: r.get("default_country"),
            log_internal_calls: r.get::<i64, _>("log_internal_calls") != 0,
            role: parse_enum(r.get::<&str, _>("role"))?,
            permissions: permissions_of(&self.pool, user_id).await?,
        }))
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.write().await?;
        // Expired sessions are swept here, so the table stays as small as the live sessions.
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms < ?")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at_ms) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.expires_at_ms > ? AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn revoke_session(&self, token_hash: &str) -> StoreResult<Option<String>> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "DELETE FROM sessions WHERE token_hash = ?
             RETURNING user_id, (SELECT customer_id FROM users WHERE users.id = sessions.user_id) AS customer_id",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let customer = match row {
            Some(r) => {
                let (user, customer): (String, Option<String>) =
                    (r.get("user_id"), r.get("customer_id"));
                if let Some(customer) = &customer {
                    let end = end_of_access(
                        customer,
                        &user,
                        AccessEndReason::SignedOut,
                        Some(session_key(token_hash)),
                    );
                    log_events(&mut tx, &[end]).await?;
                }
                customer
            }
            None => None,
        };
        tx.commit().await?;
        Ok(customer)
    }

    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT expires_at_ms FROM sessions WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn devices(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        let rows = sqlx::query(
            "SELECT id, kind, label, number FROM devices WHERE user_id = ? ORDER BY position, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Device {
                    id: r.get("id"),
                    kind: DeviceKind::parse(r.get("kind"))
                        .ok_or_else(|| StoreError::Data("device kind".into()))?,
                    label: r.get("label"),
                    number: r.get("number"),
                })
            })
            .collect()
    }

    async fn customer_users(
        &self,
        customer_id: &str,
        q: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<(User, Vec<String>)>> {
        let pattern = q.map(|q| {
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension,
                    (SELECT group_concat(permission) FROM permissions p WHERE p.user_id = u.id) AS perms
             FROM users u WHERE u.customer_id = ?1
               AND (?2 IS NULL OR u.name LIKE ?2 ESCAPE '\\' OR u.email LIKE ?2 ESCAPE '\\' OR u.extension LIKE ?2 ESCAPE '\\')
             ORDER BY u.name, u.id LIMIT ?3",
        )
        .bind(customer_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let perms: Option<String> = r.get("perms");
                let mut perms: Vec<String> = perms
                    .map(|p| p.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                perms.sort();
                (user_of(r), perms)
            })
            .collect())
    }

    async fn customer_user(
        &self,
        customer_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<(User, Vec<String>)>> {
        let row = sqlx::query(
            "SELECT id, name, email, extension FROM users WHERE customer_id = ? AND id = ?",
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((
                user_of(&r),
                permissions_of(&self.pool, user_id).await?,
            ))),
            None => Ok(None),
        }
    }

    async fn user_by_extension(
        &self,
        customer_id: &str,
        extension: &str,
    ) -> StoreResult<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, email, extension FROM users WHERE customer_id = ? AND extension = ?",
        )
        .bind(customer_id)
        .bind(extension)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(user_of))
    }

    async fn create_ticket(
        &self,
        ticket_hash: &str,
        user_id: &str,
        session_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO event_tickets (ticket_hash, user_id, session_hash, expires_at_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(ticket_hash)
        .bind(user_id)
        .bind(session_hash)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_ticket(&self, ticket_hash: &str, now_ms: i64) -> StoreResult<Option<Ticket>> {
        // DELETE … RETURNING makes the ticket single-use even when two requests race.
        let row = sqlx::query(
            "DELETE FROM event_tickets WHERE ticket_hash = ? RETURNING user_id, session_hash, expires_at_ms",
        )
        .bind(ticket_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            (r.get::<i64, _>("expires_at_ms") > now_ms).then(|| Ticket {
                user_id: r.get("user_id"),
                session_hash: r.get("session_hash"),
            })
        }))
    }
}

async fn permissions_of(pool: &SqlitePool, user_id: &str) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM permissions WHERE user_id = ? ORDER BY permission",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}
