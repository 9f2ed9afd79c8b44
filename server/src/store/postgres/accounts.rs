//! Accounts, sessions and SSE tickets on PostgreSQL ([`AccountStore`]).
//!
//! Text is ordered with `COLLATE "C"` (byte order), as SQLite's default BINARY collation orders
//! it, so both engines list users and permissions alike whatever the database's locale.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{PgPool, Row};
use ucclient_core::api::{AccessEndReason, Device, DeviceKind, User};

use super::{Lock, PgStore, colours_of, log_events, parse_enum, user_of};
use crate::store::{
    Account, AccountStore, StoreError, StoreResult, Ticket, end_of_access, session_key,
};

#[async_trait]
impl AccountStore for PgStore {
    async fn login_lookup(&self, email: &str) -> StoreResult<Option<(String, String)>> {
        // A deactivated user is not found: their login fails like an unknown email's. Emails
        // compare case-insensitively (the unique index is on lower(email), SQLite's NOCASE).
        let row = sqlx::query(
            "SELECT id, password_hash FROM users WHERE lower(email) = lower($1) AND active",
        )
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
             WHERE u.id = $1",
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
            extension_lists_enabled: r.get("extension_lists_enabled"),
            colours: colours_of(&r),
            default_country: r.get("default_country"),
            log_internal_calls: r.get("log_internal_calls"),
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
        // Expired sessions are swept here, so the table stays as small as the live sessions. The
        // sweep waits for nobody: rows another node is sweeping (or deleting) are skipped, so two
        // sweeps cannot deadlock. It is its own statement, committed before the insert, so no
        // transaction holds swept rows while its insert waits for the user's row.
        sqlx::query(
            "DELETE FROM sessions WHERE token_hash IN (
                 SELECT token_hash FROM sessions WHERE expires_at_ms < $1 FOR UPDATE SKIP LOCKED)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, expires_at_ms) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND u.active",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn revoke_session(&self, token_hash: &str) -> StoreResult<Option<String>> {
        // The session's customer first, for its lock (a user never changes customer); no session,
        // nothing to revoke.
        let customer: Option<String> = sqlx::query_scalar(
            "SELECT u.customer_id FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(customer) = customer else {
            return Ok(None);
        };
        let mut tx = self.write(Lock::Customer(&customer)).await?;
        // DELETE … RETURNING: of two nodes revoking the same session, one logs its end.
        let user: Option<String> =
            sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(user) = user else {
            return Ok(None);
        };
        let end = end_of_access(
            &customer,
            &user,
            AccessEndReason::SignedOut,
            Some(session_key(token_hash)),
        );
        log_events(&mut tx, &[end]).await?;
        tx.commit().await?;
        Ok(Some(customer))
    }

    async fn session_expiry(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT expires_at_ms FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn devices(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        let rows = sqlx::query(
            "SELECT id, kind, label, number FROM devices WHERE user_id = $1
             ORDER BY position, id COLLATE \"C\"",
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
        // ILIKE: SQLite's LIKE ignores (ASCII) case too.
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.extension,
                    ARRAY(SELECT permission FROM permissions p WHERE p.user_id = u.id) AS perms
             FROM users u WHERE u.customer_id = $1
               AND ($2::text IS NULL OR u.name ILIKE $2 ESCAPE '\\' OR u.email ILIKE $2 ESCAPE '\\'
                    OR u.extension ILIKE $2 ESCAPE '\\')
             ORDER BY u.name COLLATE \"C\", u.id COLLATE \"C\" LIMIT $3",
        )
        .bind(customer_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut perms: Vec<String> = r.get("perms");
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
            "SELECT id, name, email, extension FROM users WHERE customer_id = $1 AND id = $2",
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
            "SELECT id, name, email, extension FROM users WHERE customer_id = $1 AND extension = $2",
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
            "INSERT INTO event_tickets (ticket_hash, user_id, session_hash, expires_at_ms)
             VALUES ($1, $2, $3, $4)",
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
        // DELETE … RETURNING makes the ticket single-use even when two nodes race: the second
        // waits for the first's row lock and then finds no row.
        let row = sqlx::query(
            "DELETE FROM event_tickets WHERE ticket_hash = $1
             RETURNING user_id, session_hash, expires_at_ms",
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

/// A user's permissions, in byte order (SQLite's BINARY collation).
async fn permissions_of(pool: &PgPool, user_id: &str) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM permissions WHERE user_id = $1 ORDER BY permission COLLATE \"C\"",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}
