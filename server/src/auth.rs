//! Passwords, tokens and the extractors that turn a bearer token into an [`Account`].
//!
//! Passwords are argon2 hashes, computed on the blocking pool so a login never stalls the async
//! threads. Tokens and SSE tickets are random 256-bit values; the database keeps only their SHA-256,
//! so a copy of it opens no session. Nothing here ever logs a secret.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
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

/// Checks a password against a stored hash on the blocking pool. With no hash (unknown email) it
/// still does the same work against a throw-away hash, so timing does not tell the two apart.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(b"not a password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .unwrap_or(false)
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
