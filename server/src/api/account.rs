//! Login, logout and `/me`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use ucclient_core::api::{CustomerRef, LoginRequest, LoginResponse, Me};

use crate::AppState;
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::presence;

/// Longest email accepted.
const MAX_EMAIL_LEN: usize = 254;
/// Longest password accepted (argon2 work is bounded by it).
const MAX_PASSWORD_LEN: usize = 1024;
/// The window failed logins are counted in.
const LOGIN_WINDOW_MS: i64 = 60_000;

/// `POST /login`.
#[utoipa::path(post, path = "/login", tag = "auth", request_body(content = ucclient_core::api::LoginRequest, content_type = "application/json", description = "{\"email\", \"password\"}"), responses((status = 200, description = "LoginResponse {token, expires_at, user}", body = ucclient_core::api::LoginResponse), (status = 401, description = "invalid_credentials", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After", body = ucclient_core::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    if req.email.len() > MAX_EMAIL_LEN || req.password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::InvalidCredentials);
    }
    let email = req.email.trim().to_lowercase();
    let key = format!("login:{email}");
    let now = Utc::now().timestamp_millis();
    let (count, start) = state
        .store
        .hit_rate_limit(&key, LOGIN_WINDOW_MS, now)
        .await?;
    if count > state.config.login_failures_per_minute {
        let secs = ((start + LOGIN_WINDOW_MS - now) as u64)
            .div_ceil(1000)
            .max(1);
        return Err(ApiError::RateLimited(secs));
    }
    let found = state.store.login_lookup(&email).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    if !auth::verify_password(req.password, hash).await {
        return Err(ApiError::InvalidCredentials);
    }
    let user_id = user_id.ok_or(ApiError::InvalidCredentials)?;
    state.store.clear_rate_limit(&key).await?;
    let account = state
        .store
        .account(&user_id)
        .await?
        .ok_or(ApiError::InvalidCredentials)?;
    let token = auth::new_secret();
    let expires_at = Utc::now() + Duration::hours(state.config.token_hours as i64);
    state
        .store
        .create_session(
            &auth::digest(&token),
            &user_id,
            expires_at.timestamp_millis(),
        )
        .await?;
    tracing::info!(user = %user_id, "login");
    Ok(ApiJson(LoginResponse {
        token,
        expires_at: expires_at.into(),
        user: account.user,
    }))
}

/// `POST /logout`: the token stops working at once.
#[utoipa::path(post, path = "/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "the token stops working at once"), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, session: Session) -> ApiResult<StatusCode> {
    state.store.revoke_session(&session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /me`: answers every valid token, licensed or not.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])), responses((status = 200, description = "Me {user, customer {id, name, country, log_internal_calls}, permissions, mode, extension_lists_enabled, presence, devices, role}", body = ucclient_core::api::Me), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody)))]
pub async fn me(State(state): State<AppState>, session: Session) -> ApiResult<ApiJson<Me>> {
    let a = session.account;
    let presence = presence::current(&state, &a).await?;
    let devices = state.store.devices(&a.user.id).await?;
    Ok(ApiJson(Me {
        customer: CustomerRef {
            id: a.customer_id.clone(),
            name: a.customer_name.clone(),
            country: a.default_country.clone(),
            log_internal_calls: a.log_internal_calls,
        },
        permissions: a.permissions.clone(),
        mode: a.mode,
        extension_lists_enabled: a.extension_lists_enabled,
        presence,
        devices,
        role: a.role,
        user: a.user,
    }))
}
