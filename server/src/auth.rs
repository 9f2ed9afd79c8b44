//! Passwords, tokens and the extractors that turn a bearer token into an [`Account`].
//!
//! Passwords are argon2 hashes, computed on the blocking pool so a login never stalls the async
//! threads, and at most N at a time ([`Hasher`]). Tokens and SSE tickets are random 256-bit values; the database keeps only their SHA-256,
//! so a copy of it opens no session. Nothing here ever logs a secret.

use argon2::password_hash::{PasswordHasher, SaltString};
use std::sync::Arc;
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use ucclient_core::api::Role;
use ucclient_core::licence;

use crate::AppState;
use crate::error::ApiError;
use crate::store::Account;

/// Longest bearer token accepted before hashing (ours are 43 characters).
const MAX_TOKEN_LEN: usize = 256;

/// A new random 256-bit secret, URL-safe base64 (a token or a ticket).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret: its SHA-256, hex.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random id for new rows (128 bits, hex).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Hashes a password with argon2 on the blocking pool.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Hashes a password with argon2id and explicit costs (memory in KiB, passes). For tests and
/// tools that need many cheap hashes; verification reads the costs from the hash itself.
pub fn hash_password_with_costs(
    password: &str,
    memory_kib: u32,
    passes: u32,
) -> anyhow::Result<String> {
    let params = argon2::Params::new(memory_kib, passes, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// The hash every login with an unknown email is checked against: computed once per process
/// with the same costs as real hashes ([`hash_password`]), so an unknown email costs exactly one
/// verification, like a known one (not a hash *and* a verification, which told them apart).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(b"not anybody's password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Verifies `password` against `hash` (or, with no hash, against the dummy hash). Blocking.
fn verify_blocking(password: &str, hash: Option<&str>) -> bool {
    let known = hash.is_some();
    let ok = PasswordHash::new(hash.unwrap_or_else(|| dummy_hash()))
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    known && ok
}

/// Seconds a login refused for want of a hashing slot is told to wait.
pub const HASH_BUSY_RETRY_SECS: u64 = 1;

/// Password checks, at most N at a time: each argon2 run holds ~19 MiB, so a login flood must
/// queue (briefly) or be refused, never grow memory without bound.
pub struct Hasher {
    /// One permit per concurrent hash.
    permits: Arc<Semaphore>,
    /// How long a login waits for a permit before it is answered 503.
    wait: Duration,
}

impl Hasher {
    /// A hasher running `concurrency` hashes at once (0: one per CPU core), whose callers wait at
    /// most `wait` for their turn.
    pub fn new(concurrency: usize, wait: Duration) -> Hasher {
        let n = if concurrency == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            concurrency
        };
        Hasher {
            permits: Arc::new(Semaphore::new(n)),
            wait,
        }
    }

    /// Computes the dummy hash on the blocking pool now, so the first unknown email does not pay
    /// for it.
    pub fn warm_up() {
        tokio::task::spawn_blocking(|| {
            dummy_hash();
        });
    }

    /// Takes a hashing slot, waiting at most the configured bound; the slot is freed when dropped.
    /// For tests and tools that need to fill the slots.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::Busy(HASH_BUSY_RETRY_SECS)),
        }
    }

    /// Checks a password against a stored hash on the blocking pool, in turn with the other
    /// checks. With no hash (unknown email) it does the same work against the dummy hash, so
    /// timing does not tell the two apart. 503 `unavailable` when no slot frees up in time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let permit = self.slot().await?;
        // The permit moves into the blocking task: a client that hangs up does not free the slot
        // while its hash is still running.
        tokio::task::spawn_blocking(move || {
            let ok = verify_blocking(&password, hash.as_deref());
            drop(permit);
            ok
        })
        .await
        .map_err(|e| ApiError::Internal(format!("password check: {e}")))
    }
}

/// A request with a valid bearer token: the account, and the token's hash (for logout).
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is calling.
    pub account: Account,
    /// The SHA-256 of their token.
    pub token_hash: String,
}

/// The bearer token of a request, if it has one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_TOKEN_LEN)
        .then_some(token)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        let token_hash = digest(token);
        let now = chrono::Utc::now().timestamp_millis();
        let user_id = state
            .store
            .session_user(&token_hash, now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let account = state
            .store
            .account(&user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Session {
            account,
            token_hash,
        })
    }
}

/// A session whose user holds the `crm_client` permission; every endpoint but login, logout and
/// `/me` takes one, so an unlicensed user gets `client_not_licensed` everywhere else.
#[derive(Debug, Clone)]
pub struct Licensed(pub Account);

impl Licensed {
    /// Checks the licence of an account.
    pub fn check(account: Account) -> Result<Licensed, ApiError> {
        if licence::has_crm_client(&account.permissions) {
            Ok(Licensed(account))
        } else {
            Err(ApiError::ClientNotLicensed)
        }
    }
}

impl FromRequestParts<AppState> for Licensed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        Licensed::check(session.account)
    }
}

/// Whether the account administers its customer.
pub fn is_admin(account: &Account) -> bool {
    matches!(account.role, Role::CustomerAdmin | Role::ResellerAdmin)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown email costs one verification against the same dummy hash every time (no fresh
    /// hash per login, which made unknown emails slower than known ones), with the costs of real
    /// hashes, and never verifies.
    #[test]
    fn unknown_emails_verify_against_one_dummy_hash_with_real_costs() {
        let first = dummy_hash();
        assert!(std::ptr::eq(first, dummy_hash()), "computed once");
        let dummy = PasswordHash::new(first).unwrap();
        let real = argon2::Params::default();
        assert_eq!(dummy.params.get_decimal("m"), Some(real.m_cost()));
        assert_eq!(dummy.params.get_decimal("t"), Some(real.t_cost()));
        assert!(!verify_blocking("not anybody's password", None));
        let stored = hash_password_with_costs("pw", 64, 1).unwrap();
        assert!(verify_blocking("pw", Some(&stored)));
        assert!(!verify_blocking("other", Some(&stored)));
    }
}
