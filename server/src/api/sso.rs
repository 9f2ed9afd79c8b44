//! Single sign-on endpoints (issue 15; the flow is in `crate::sso`): the widget's discovery before
//! the click, the start that answers the popup's authorization URL, the callback page that hands
//! the result to the opener by `postMessage` to its exact origin, and `GET/PUT /admin/sso`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ucclient_core::api::{
    SsoClientAuth, SsoDiscovery, SsoMessage, SsoSettings, SsoSettingsUpdate, SsoStart,
    SsoStartRequest,
};

use crate::AppState;
use crate::auth::{Session, is_admin};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget, ClientAddr};
use crate::orgs;
use crate::sso;

/// Starts and callbacks allowed per client address and minute.
pub const SSO_PER_MINUTE: i64 = 30;
/// Discoveries allowed per client address and minute (each sign-in view asks, and each email typed).
pub const DISCOVERIES_PER_MINUTE: i64 = 120;

/// `GET /sso/discovery` query.
#[derive(Debug, Default, Deserialize)]
struct DiscoveryQuery {
    email: Option<String>,
    crm_origin: Option<String>,
}

/// `GET /sso/discovery`: whether to show "Sign in with <company>" and the password form.
#[utoipa::path(get, path = "/sso/discovery", tag = "sso",
    params(
        ("email" = Option<String>, Query, max_length = 254, description = "the email typed so far: its domain may name a company"),
        ("crm_origin" = Option<String>, Query, max_length = 200, description = "the origin of the CRM org the widget runs in (hosted pages)")),
    responses(
    (status = 200, description = "SsoDiscovery: the company with single sign-on for the request's Origin, crm_origin or the email's domain, if any", body = ucclient_core::api::SsoDiscovery),
    (status = 400, description = "bad_request: email or crm_origin too long", body = ucclient_core::api::ErrorBody),
    (status = 429, description = "rate_limited: too many discoveries from this address", body = ucclient_core::api::ErrorBody)))]
pub async fn discovery(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<ApiJson<SsoDiscovery>> {
    limits::per_minute(
        &state,
        &format!("sso-discovery:{}", addr.0),
        DISCOVERIES_PER_MINUTE,
    )
    .await?;
    let q: DiscoveryQuery = serde_urlencoded_query(raw.as_deref());
    if q.email.as_ref().is_some_and(|e| e.len() > 254)
        || q.crm_origin
            .as_ref()
            .is_some_and(|o| o.len() > orgs::MAX_ORG_TEXT)
    {
        return Err(ApiError::bad_request(
            "email is at most 254 characters, crm_origin at most 200",
        ));
    }
    let mut origins: Vec<String> = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(orgs::normalise_origin)
        .into_iter()
        .collect();
    if let Some(o) = q
        .crm_origin
        .as_deref()
        .filter(|o| o.len() <= orgs::MAX_ORG_TEXT)
        .and_then(orgs::normalise_origin)
    {
        origins.push(o);
    }
    let email = q.email.as_deref().filter(|e| e.len() <= 254);
    Ok(ApiJson(sso::discover(&state, &origins, email).await?))
}

fn serde_urlencoded_query<T: serde::de::DeserializeOwned + Default>(raw: Option<&str>) -> T {
    let uri = format!("/?{}", raw.unwrap_or(""));
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| super::query::<T>(&u).ok())
        .unwrap_or_default()
}

/// `POST /sso/start`: a sign-in with the customer's identity provider, for the window of the
/// request's `Origin`.
#[utoipa::path(post, path = "/sso/start", tag = "sso",
    request_body(content = ucclient_core::api::SsoStartRequest, content_type = "application/json", description = "{\"customer\"}: from the discovery"),
    responses(
    (status = 200, description = "SsoStart {authorization_url}: where the popup goes", body = ucclient_core::api::SsoStart),
    (status = 403, description = "sso_origin: the request's Origin is not this backend's, an operator-listed one or one of the customer's registered CRM orgs", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "sso_not_configured: the customer has no single sign-on switched on", body = ucclient_core::api::ErrorBody),
    (status = 429, description = "rate_limited: too many sign-ins from this address", body = ucclient_core::api::ErrorBody),
    (status = 502, description = "sso_provider: the identity provider's discovery could not be read", body = ucclient_core::api::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SsoStartRequest>,
) -> ApiResult<ApiJson<SsoStart>> {
    if req.customer.is_empty() || req.customer.len() > 64 {
        return Err(ApiError::SsoNotConfigured);
    }
    limits::per_minute(&state, &format!("sso:{}", addr.0), SSO_PER_MINUTE).await?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let url = sso::start(&state, &headers, &req.customer, origin).await?;
    Ok(ApiJson(SsoStart {
        authorization_url: url,
    }))
}

/// `GET /sso/callback`: where the identity provider sends the popup back. An HTML page that
/// exchanges the code, posts the session (or the error) to the window that started the sign-in,
/// at the origin recorded at the start and no other, and closes on success.
#[utoipa::path(get, path = "/sso/callback", tag = "sso",
    params(
        ("code" = Option<String>, Query, max_length = 1024, description = "the authorization code"),
        ("state" = Option<String>, Query, max_length = 128, description = "the attempt's state"),
        ("error" = Option<String>, Query, max_length = 64, description = "the provider's error code"),
        ("iss" = Option<String>, Query, max_length = 300, description = "the issuer (RFC 9207)")),
    responses(
    (status = 200, description = "signed in: the page posts {login: LoginResponse} to the opener and closes", content_type = "text/html", body = String),
    (status = 400, description = "sso_state: unknown, used or expired attempt (nothing is posted), or a malformed query", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 401, description = "sso_token (the ID token failed a check) or sso_denied (cancelled at the provider): posted as {error, message}", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 403, description = "sso_unknown_user or sso_domain: posted as {error, message}", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 404, description = "sso_not_configured: single sign-on was switched off meanwhile", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 429, description = "rate_limited: too many sign-ins from this address", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 500, description = "internal", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 502, description = "sso_provider: the provider could not be reached or refused the code", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json"))),
    (status = 503, description = "unavailable", content((String = "text/html"), (ucclient_core::api::ErrorBody = "application/json")))))]
pub async fn callback(
    State(state): State<AppState>,
    addr: ClientAddr,
    RawQuery(raw): RawQuery,
) -> Response {
    let q: sso::Callback = serde_urlencoded_query(raw.as_deref());
    if let Err(e) = limits::per_minute(&state, &format!("sso:{}", addr.0), SSO_PER_MINUTE).await {
        return page(None, Err(e));
    }
    let (opener, result) = sso::finish(&state, &q).await;
    page(opener.as_deref(), result)
}

/// The callback page: the sentence for the person, and the message for the opener.
fn page(opener: Option<&str>, result: ApiResult<ucclient_core::api::LoginResponse>) -> Response {
    let (status, sentence, message) = match result {
        Ok(login) => (
            StatusCode::OK,
            "Signed in. This window closes by itself.".to_owned(),
            SsoMessage {
                login: Some(login),
                error: None,
                message: None,
            },
        ),
        Err(e) => {
            let (status, code) = e.status_and_code();
            if let ApiError::Internal(cause) = &e {
                tracing::error!(%cause, "internal error");
            }
            let sentence = e.to_string();
            (
                status,
                sentence.clone(),
                SsoMessage {
                    login: None,
                    error: Some(code),
                    message: Some(sentence),
                },
            )
        }
    };
    let nonce = crate::auth::new_secret();
    // JSON inside <script type="application/json">: `<` escaped so no text closes the element.
    let data = serde_json::to_string(&message)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let origin = serde_json::to_string(opener.unwrap_or(""))
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let close = status == StatusCode::OK;
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>UcClient sign-in</title></head><body \
         style=\"font:16px system-ui,sans-serif;margin:2rem\"><p id=\"sentence\">{}</p>\
         <script type=\"application/json\" id=\"result\">{data}</script>\
         <script nonce=\"{nonce}\">(function(){{var o={origin};\
         var d=JSON.parse(document.getElementById('result').textContent);\
         if(o&&window.opener){{window.opener.postMessage(d,o);}}\
         {}}})();</script></body></html>",
        escape_html(&sentence),
        if close { "window.close();" } else { "" }
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(csp) = HeaderValue::from_str(&format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn admin(session: Session) -> ApiResult<crate::store::Account> {
    if is_admin(&session.account) {
        Ok(session.account)
    } else {
        Err(ApiError::Forbidden(
            "only customer administrators may manage single sign-on",
        ))
    }
}

/// `GET /admin/sso`: the caller's customer's identity provider (never the client secret).
#[utoipa::path(get, path = "/admin/sso", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "SsoSettings (client_secret_set says whether a secret is stored; redirect_uri is what to register at the provider)", body = ucclient_core::api::SsoSettings),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
) -> ApiResult<ApiJson<SsoSettings>> {
    let a = admin(session)?;
    wire(&state, &headers, &a.customer_id).await
}

/// The stored settings as the admin API answers them: the JWKS URL while a key exists.
async fn wire(
    state: &AppState,
    headers: &HeaderMap,
    customer: &str,
) -> ApiResult<ApiJson<SsoSettings>> {
    let stored = state.store.sso_settings(customer).await?;
    let jwks_uri = state
        .store
        .sso_key(customer)
        .await?
        .map(|_| sso::jwks_uri(state, headers, customer));
    Ok(ApiJson(sso::to_wire(
        stored.as_ref(),
        sso::redirect_uri(state, headers),
        jwks_uri,
    )))
}

/// JWKS documents allowed per client address and minute (identity providers fetch them).
pub const JWKS_PER_MINUTE: i64 = 120;

/// `GET /sso/{customer}/jwks.json`: the public key UcClient signs its `private_key_jwt` client
/// assertions with for this customer (the identity provider's `jwks_uri` for the client). Only
/// the public half: the private key never leaves the server.
#[utoipa::path(get, path = "/sso/{customer}/jwks.json", tag = "sso",
    params(("customer" = String, Path, max_length = 64, description = "the customer's id")),
    responses(
    (status = 200, description = "a JWK Set (RFC 7517) holding the customer's current RS256 public key", content_type = "application/json", body = Object),
    (status = 404, description = "not_found: no such customer, or it has no key (it is made when private_key_jwt is chosen)", body = ucclient_core::api::ErrorBody),
    (status = 429, description = "rate_limited: too many fetches from this address", body = ucclient_core::api::ErrorBody)))]
pub async fn jwks(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(customer): Path<String>,
) -> ApiResult<Response> {
    limits::per_minute(&state, &format!("sso-jwks:{}", addr.0), JWKS_PER_MINUTE).await?;
    // An unknown customer and one without a key look the same.
    let set = if customer.is_empty() || customer.len() > 64 {
        None
    } else {
        sso::jwks(&state, &customer).await?
    };
    let set = set.ok_or(ApiError::NotFound("no such key set"))?;
    let mut response = axum::Json(set).into_response();
    let h = response.headers_mut();
    // Short: a rotated key reaches the provider within a minute or so.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// `PUT /admin/sso`: replaces the caller's customer's identity provider settings.
#[utoipa::path(put, path = "/admin/sso", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::SsoSettingsUpdate, content_type = "application/json",
        description = "the settings; client_secret is write-only (absent: kept; empty: cleared); client_auth private_key_jwt makes the customer's key pair if it has none, rotate_key a new one"),
    responses(
    (status = 200, description = "stored", body = ucclient_core::api::SsoSettings),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_sso: the sentence says what is wrong (issuer not https, a domain another company claimed, password sign-in off without single sign-on, …)", body = ucclient_core::api::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    from: super::admin::ClientSource,
    session: Session,
    ApiJson(update): ApiJson<SsoSettingsUpdate>,
) -> ApiResult<ApiJson<SsoSettings>> {
    let a = admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let current = state.store.sso_settings(&a.customer_id).await?;
    let (settings, secret) =
        sso::check_update(&state.sso, &a.customer_id, current.as_ref(), &update)?;
    let secret_changed = secret.is_some();
    // A key pair is made when private_key_jwt is chosen and there is none, or on rotation: made
    // before the settings are stored (so refused settings cost no key) and stored right after them.
    let new_key = if settings.client_auth == SsoClientAuth::PrivateKeyJwt
        && (update.rotate_key || state.store.sso_key(&a.customer_id).await?.is_none())
    {
        Some(sso::new_key().await?)
    } else {
        None
    };
    sso::put(&state, &settings, secret).await?;
    let key_created = new_key.is_some();
    if let Some(key) = new_key {
        state.store.set_sso_key(&a.customer_id, &key).await?;
        tracing::info!(customer = %a.customer_id, kid = %key.kid, "sso client-assertion key made");
    }
    // The audit row names what changed, never the secret: only whether one was given.
    super::admin::audit_customer(
        &state,
        &a,
        &from,
        "sso.put",
        &a.customer_id,
        serde_json::json!({
            "enabled": settings.enabled,
            "issuer": settings.issuer,
            "client_id": settings.client_id,
            "allowed_domains": settings.allowed_domains,
            "user_claim": settings.user_claim,
            "password_login": settings.password_login,
            "jit": settings.jit,
            "client_secret_changed": secret_changed,
            "client_auth": settings.client_auth,
            "key_rotated": key_created,
        }),
    )
    .await?;
    tracing::info!(customer = %a.customer_id, enabled = settings.enabled, "sso settings changed");
    wire(&state, &headers, &a.customer_id).await
}
