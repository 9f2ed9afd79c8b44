//! Login, logout and `/me`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{Duration, Utc};
use ucclient_core::api::{CustomerRef, LoginRequest, LoginResponse, Me};

use crate::AppState;
use crate::auth::{self, Session};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{ClientAddr, LoginThrottle};
use crate::orgs;
use crate::presence;

/// Longest email accepted.
const MAX_EMAIL_LEN: usize = 254;
/// Longest password accepted (argon2 work is bounded by it).
const MAX_PASSWORD_LEN: usize = 1024;

/// `POST /login`.
#[utoipa::path(post, path = "/login", tag = "auth", request_body(content = ucclient_core::api::LoginRequest, content_type = "application/json", description = "{\"email\", \"password\"}"), responses((status = 200, description = "LoginResponse {token, expires_at, user}", body = ucclient_core::api::LoginResponse), (status = 400, description = "bad_request: malformed body", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_org: a crm_origin that is not an origin", body = ucclient_core::api::ErrorBody), (status = 401, description = "invalid_credentials", body = ucclient_core::api::ErrorBody), (status = 403, description = "org_not_allowed: signing in from a CRM org (the request's Origin, or crm_origin) registered to another customer; password_login_off: the customer signs in with its identity provider only", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: too many failures from this address, or of this account from this address", body = ucclient_core::api::ErrorBody), (status = 503, description = "unavailable, with Retry-After: every password-hashing slot is busy", body = ucclient_core::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    if req.email.len() > MAX_EMAIL_LEN || req.password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::InvalidCredentials);
    }
    let crm_origins = crm_origins(&headers, req.crm_origin.as_deref())?;
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
    for origin in &crm_origins {
        if let Some(key) = orgs::key_of_origin(origin)
            && let Some(owner) = state.orgs.owner(&key).await?
            && owner != account.customer_id
        {
            tracing::info!(user = %user_id, org = %key.as_str(), "login refused: another customer's CRM org");
            return Err(ApiError::OrgNotAllowed);
        }
    }
    // sso: checked only once the password is right, so it tells nothing about unknown emails.
    if !crate::sso::password_login_allowed(&state, &account.customer_id).await? {
        tracing::info!(user = %user_id, "login refused: the customer signs in with its identity provider");
        return Err(ApiError::PasswordLoginOff);
    }
    let response = issue_session(&state, &user_id, account.user).await?;
    tracing::info!(user = %user_id, "login");
    Ok(ApiJson(response))
}

/// A new session for a user who proved who they are (password, or single sign-on).
pub(crate) async fn issue_session(
    state: &AppState,
    user_id: &str,
    user: ucclient_core::api::User,
) -> ApiResult<LoginResponse> {
    let token = auth::new_secret();
    let expires_at = Utc::now() + Duration::hours(state.config.token_hours as i64);
    state
        .store
        .create_session(
            &auth::digest(&token),
            user_id,
            expires_at.timestamp_millis(),
        )
        .await?;
    Ok(LoginResponse {
        token,
        expires_at: expires_at.into(),
        user,
    })
}

/// The CRM origins a sign-in comes from: the request's `Origin` (set by the browser: the org's own
/// origin when the widget runs in a package's page there) and the widget's `crm_origin` (the org
/// that frames the backend's hosted page, whose own origin is this backend). A `crm_origin` that is
/// not an origin is refused; an `Origin` that is not one is ignored (it is not an org's).
fn crm_origins(headers: &HeaderMap, crm_origin: Option<&str>) -> ApiResult<Vec<String>> {
    let mut origins: Vec<String> = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(orgs::normalise_origin)
        .into_iter()
        .collect();
    if let Some(raw) = crm_origin {
        let origin = orgs::normalise_origin(raw).filter(|_| raw.contains("://"));
        match origin {
            Some(o) => origins.push(o),
            None => {
                // 422, not 400: the body is well-formed, its value is not an origin.
                return Err(ApiError::InvalidOrg(format!(
                    "crm_origin must be an origin such as https://acme.lightning.force.com, at most \
                     {} characters",
                    orgs::MAX_ORG_TEXT
                )));
            }
        }
    }
    Ok(origins)
}

/// `POST /logout`: the token stops working at once, and the streams opened with it end (their
/// last event says `signed_out`).
#[utoipa::path(post, path = "/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "the token stops working at once"), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, session: Session) -> ApiResult<StatusCode> {
    if let Some(customer) = state.store.revoke_session(&session.token_hash).await? {
        state.hub.notify(&customer).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /me`: answers every valid token, licensed or not.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])), responses((status = 200, description = "Me {user, customer {id, name, country, log_internal_calls}, permissions, mode, extension_lists_enabled, presence, devices, role, colours, voicemail, wrap_up {dispositions, seconds}, crm_presence {enabled, salesforce, dynamics}}", body = ucclient_core::api::Me), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody)))]
pub async fn me(State(state): State<AppState>, session: Session) -> ApiResult<ApiJson<Me>> {
    let a = session.account;
    let presence = presence::current(&state, &a).await?;
    let devices = state.store.devices(&a.user.id).await?;
    let (voicemail, _) = state.store.mailbox_state(&a.user.id).await?;
    let wrap_up = Some(state.store.wrap_up_settings(&a.customer_id).await?);
    Ok(ApiJson(Me {
        voicemail,
        wrap_up,
        // The customer's own map, core's default until an administrator stores one.
        crm_presence: Some(state.store.crm_presence(&a.customer_id).await?),
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
