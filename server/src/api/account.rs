//! Login, logout and `/me`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use ucclient_core::api::{CustomerRef, LoginRequest, LoginResponse, Me};

use crate::AppState;
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{ClientAddr, LoginThrottle};
use crate::presence;

/// Longest email accepted.
const MAX_EMAIL_LEN: usize = 254;
/// Longest password accepted (argon2 work is bounded by it).
const MAX_PASSWORD_LEN: usize = 1024;

/// `POST /login`.
#[utoipa::path(post, path = "/login", tag = "auth", request_body(content = ucclient_core::api::LoginRequest, content_type = "application/json", description = "{\"email\", \"password\"}"), responses((status = 200, description = "LoginResponse {token, expires_at, user}", body = ucclient_core::api::LoginResponse), (status = 401, description = "invalid_credentials", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: too many failures from this address, or of this account from this address", body = ucclient_core::api::ErrorBody), (status = 503, description = "unavailable, with Retry-After: every password-hashing slot is busy", body = ucclient_core::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    if req.email.len() > MAX_EMAIL_LEN || req.password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::InvalidCredentials);
    }
    let email = req.email.trim().to_lowercase();
    let throttle = LoginThrottle::new(&email, addr);
    throttle.check(&state).await?;
    let found = state.store.login_lookup(&email).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let verified = state.hasher.verify(req.password, hash).await?;
    let Some(user_id) = user_id.filter(|_| verified) else {
        throttle.failed(&state).await?;
        return Err(ApiError::InvalidCredentials);
    };
    throttle.succeeded(&state).await?;
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
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])), responses((status = 200, description = "Me {user, customer {id, name, country, log_internal_calls}, permissions, mode, extension_lists_enabled, presence, devices, role, colours}", body = ucclient_core::api::Me), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody)))]
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
        colours: a.colours,
        user: a.user,
    }))
}
