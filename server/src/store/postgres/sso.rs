//! Single sign-on on PostgreSQL ([`SsoStore`]).
//!
//! Domains and emails compare case-insensitively through `lower(…)`, which the unique indexes
//! are on (SQLite: `COLLATE NOCASE`).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;
use ucclient_core::api::SsoClientAuth;

use super::{Lock, PgStore, conflict};
use crate::store::{PutSso, SsoAttempt, SsoKey, SsoStore, StoreResult, StoredSso};

#[async_trait]
impl SsoStore for PgStore {
    async fn sso_settings(&self, customer_id: &str) -> StoreResult<Option<StoredSso>> {
        let Some(r) = sqlx::query(
            "SELECT s.enabled, s.issuer, s.client_id, s.client_secret, s.user_claim,
                    s.password_login, s.jit, s.client_auth, c.name AS customer_name
             FROM sso_settings s JOIN customers c ON c.id = s.customer_id WHERE s.customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        // SQLite's column is NOCASE: ordered by the lower-cased bytes (unique that way too).
        let domains: Vec<String> = sqlx::query_scalar(
            "SELECT domain FROM sso_domains WHERE customer_id = $1
             ORDER BY lower(domain) COLLATE \"C\"",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(StoredSso {
            customer_id: customer_id.to_owned(),
            customer_name: r.get("customer_name"),
            enabled: r.get("enabled"),
            issuer: r.get("issuer"),
            client_id: r.get("client_id"),
            client_secret: r.get("client_secret"),
            allowed_domains: domains,
            user_claim: r.get("user_claim"),
            password_login: r.get("password_login"),
            jit: r.get("jit"),
            client_auth: if r.get::<&str, _>("client_auth") == "private_key_jwt" {
                SsoClientAuth::PrivateKeyJwt
            } else {
                SsoClientAuth::ClientSecret
            },
        }))
    }

    async fn put_sso_settings(
        &self,
        s: &StoredSso,
        secret: Option<&Option<String>>,
    ) -> StoreResult<PutSso> {
        // The customer's lock: its settings and domains are replaced as one. Another customer
        // claiming a domain at once meets the unique index (its insert waits for ours).
        let mut tx = self.write(Lock::Customer(&s.customer_id)).await?;
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(&s.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Ok(PutSso::UnknownCustomer);
        }
        sqlx::query(
            "INSERT INTO sso_settings (customer_id, enabled, issuer, client_id, client_secret,
                                       user_claim, password_login, jit, client_auth)
             VALUES ($1, $2, $3, $4, $6, $7, $8, $9, $10)
             ON CONFLICT (customer_id) DO UPDATE SET enabled = $2, issuer = $3, client_id = $4,
                 client_secret = CASE WHEN $5 THEN $6 ELSE sso_settings.client_secret END,
                 user_claim = $7, password_login = $8, jit = $9, client_auth = $10",
        )
        .bind(&s.customer_id)
        .bind(s.enabled)
        .bind(&s.issuer)
        .bind(&s.client_id)
        .bind(secret.is_some())
        .bind(secret.and_then(|s| s.as_deref()))
        .bind(&s.user_claim)
        .bind(s.password_login)
        .bind(s.jit)
        .bind(match s.client_auth {
            SsoClientAuth::ClientSecret => "client_secret",
            SsoClientAuth::PrivateKeyJwt => "private_key_jwt",
        })
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sso_domains WHERE customer_id = $1")
            .bind(&s.customer_id)
            .execute(&mut *tx)
            .await?;
        for d in &s.allowed_domains {
            // No conflict target: the primary key and the unique index on lower(domain) both
            // count as taken.
            let inserted = sqlx::query(
                "INSERT INTO sso_domains (domain, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(d)
            .bind(&s.customer_id)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                // Dropping the transaction rolls it back.
                return Ok(PutSso::DomainTaken(d.clone()));
            }
        }
        tx.commit().await?;
        Ok(PutSso::Done)
    }

    async fn sso_key(&self, customer_id: &str) -> StoreResult<Option<SsoKey>> {
        let r = sqlx::query(
            "SELECT kid, private_key_pem, created_ms FROM sso_keys WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| SsoKey {
            kid: r.get("kid"),
            private_key_pem: r.get("private_key_pem"),
            created_ms: r.get("created_ms"),
        }))
    }

    async fn set_sso_key(&self, customer_id: &str, key: &SsoKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_keys (customer_id, kid, private_key_pem, created_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (customer_id) DO UPDATE SET kid = $2, private_key_pem = $3, created_ms = $4",
        )
        .bind(customer_id)
        .bind(&key.kid)
        .bind(&key.private_key_pem)
        .bind(key.created_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sso_customer_by_domain(&self, domain: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT customer_id FROM sso_domains WHERE lower(domain) = lower($1)",
        )
        .bind(domain)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn create_sso_attempt(&self, a: &SsoAttempt, now_ms: i64) -> StoreResult<()> {
        // Expired attempts are swept as sessions are: skipping rows another node holds, in a
        // statement of its own before the insert.
        sqlx::query(
            "DELETE FROM sso_attempts WHERE state_hash IN (
                 SELECT state_hash FROM sso_attempts WHERE expires_at_ms <= $1
                 FOR UPDATE SKIP LOCKED)",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "INSERT INTO sso_attempts (state_hash, customer_id, nonce, pkce_verifier, redirect_uri,
                                       opener_origin, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&a.state_hash)
        .bind(&a.customer_id)
        .bind(&a.nonce)
        .bind(&a.pkce_verifier)
        .bind(&a.redirect_uri)
        .bind(&a.opener_origin)
        .bind(a.expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_sso_attempt(
        &self,
        state_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SsoAttempt>> {
        // DELETE … RETURNING: used once even when two callbacks race on two nodes.
        let row = sqlx::query(
            "DELETE FROM sso_attempts WHERE state_hash = $1
             RETURNING customer_id, nonce, pkce_verifier, redirect_uri, opener_origin, expires_at_ms",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            let expires_at_ms: i64 = r.get("expires_at_ms");
            (expires_at_ms > now_ms).then(|| SsoAttempt {
                state_hash: state_hash.to_owned(),
                customer_id: r.get("customer_id"),
                nonce: r.get("nonce"),
                pkce_verifier: r.get("pkce_verifier"),
                redirect_uri: r.get("redirect_uri"),
                opener_origin: r.get("opener_origin"),
                expires_at_ms,
            })
        }))
    }

    async fn sso_user(&self, customer_id: &str, email: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM users WHERE customer_id = $1 AND lower(email) = lower($2) AND active",
        )
        .bind(customer_id)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn create_sso_user(
        &self,
        customer_id: &str,
        name: &str,
        email: &str,
    ) -> StoreResult<String> {
        let id = crate::auth::new_id();
        // The customer's lock: the extension chosen below is still free when it is written.
        let mut tx = self.write(Lock::Customer(customer_id)).await?;
        // The next number above every numeric extension of the customer's users and groups
        // (NUMERIC: a long digit string cannot overflow the cast).
        let extension: i64 = sqlx::query_scalar(
            "SELECT (COALESCE(MAX(n), 99) + 1)::BIGINT FROM (
                 SELECT CAST(extension AS NUMERIC) AS n FROM users
                 WHERE customer_id = $1 AND extension ~ '^[0-9]+$'
                 UNION ALL
                 SELECT CAST(extension AS NUMERIC) FROM hunt_groups
                 WHERE customer_id = $1 AND extension ~ '^[0-9]+$') AS numeric_extensions",
        )
        .bind(customer_id)
        .fetch_one(&mut *tx)
        .await?;
        // `!sso`: no argon2 hash parses from it, so no password ever signs this user in.
        sqlx::query(
            "INSERT INTO users (id, customer_id, name, email, extension, password_hash, role)
             VALUES ($1, $2, $3, $4, $5, '!sso', 'user')",
        )
        .bind(&id)
        .bind(customer_id)
        .bind(name)
        .bind(email)
        .bind(extension.to_string())
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        sqlx::query("INSERT INTO presence (user_id, profile, since) VALUES ($1, 'available', $2)")
            .bind(&id)
            .bind(Utc::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }
}
