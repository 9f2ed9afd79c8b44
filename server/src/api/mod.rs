//! The HTTP API, version 1 (`API.md`): one module per resource, merged into [`router`].

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod calls;
pub(crate) mod directory;
pub(crate) mod orgs;
pub(crate) mod pbx;
pub(crate) mod profiles;
pub(crate) mod softphone;
pub(crate) mod sso;
pub(crate) mod voicemail;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};

use crate::AppState;
use crate::error::ApiError;

/// Longest query string accepted.
pub const MAX_QUERY_LEN: usize = 2048;
/// Most bytes of a simulated inbound call's body: room for a caller's message of
/// `MAX_MESSAGE_BYTES` in base64 besides the other fields (every other body keeps
/// [`crate::MAX_BODY_BYTES`]).
pub const MAX_INBOUND_CALL_BODY_BYTES: usize =
    ucclient_core::api::MAX_MESSAGE_BASE64_LEN + crate::MAX_BODY_BYTES;
/// The one path that takes [`MAX_INBOUND_CALL_BODY_BYTES`].
pub(crate) const INBOUND_CALL_PATH: &str = "/api/v1/pbx/calls/inbound";

/// Most bytes of all request headers together.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Every route of `/api/v1`, with unknown paths answering 404 in the API's error shape, and the
/// `Idempotency-Key` middleware ([`crate::idempotency`]) on every route with a write method.
pub fn router(state: &AppState) -> Router<AppState> {
    // The `Idempotency-Key` middleware on each route's methods (a method a path does not have is
    // answered 405 before any key is looked at).
    let keyed = |m: MethodRouter<AppState>| {
        m.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::idempotency::layer,
        ))
    };
    Router::new()
        .route("/login", keyed(post(account::login)))
        .route("/logout", keyed(post(account::logout)))
        .route("/me", get(account::me))
        .route("/profiles", get(profiles::list))
        .route("/me/presence", keyed(put(profiles::set_presence)))
        .route(
            "/me/profiles/{id}/settings",
            keyed(put(profiles::put_settings).delete(profiles::delete_settings)),
        )
        .route("/directory", get(directory::list))
        .route("/directory/groups", get(directory::groups))
        .route("/events/ticket", keyed(post(crate::events::ticket)))
        .route("/events", get(crate::events::stream))
        .route("/calls", keyed(post(calls::place).get(calls::history)))
        .route("/calls/{id}/hangup", keyed(post(calls::hangup)))
        .route("/calls/{id}/claims", keyed(post(calls::claim)))
        .route("/calls/{id}/answer", keyed(post(calls::answer)))
        .route("/calls/{id}/decline", keyed(post(calls::decline)))
        .route("/calls/{id}/hold", keyed(post(calls::hold)))
        .route("/calls/{id}/resume", keyed(post(calls::resume)))
        .route("/calls/{id}/media", keyed(post(calls::media)))
        .route("/calls/{id}/transfer", keyed(post(calls::transfer)))
        .route("/calls/{id}/wrapup", keyed(put(calls::wrap_up)))
        .route("/calls/{id}/crm-record", keyed(put(calls::crm_record)))
        .route("/calls/{id}/consult", keyed(post(calls::consult)))
        .route(
            "/calls/{id}/consult/complete",
            keyed(post(calls::complete_consult)),
        )
        .route(
            "/calls/{id}/consult/cancel",
            keyed(post(calls::cancel_consult)),
        )
        .route("/calls/missed", get(calls::missed))
        .route("/calls/missed/seen", keyed(post(calls::missed_seen)))
        .route("/pbx/users/{id}", get(pbx::user))
        .route("/pbx/ring", get(pbx::ring))
        .route("/pbx/groups", get(pbx::groups))
        .route(
            "/pbx/calls/inbound",
            keyed(post(pbx::inbound).layer(DefaultBodyLimit::max(MAX_INBOUND_CALL_BODY_BYTES))),
        )
        .route("/voicemail", get(voicemail::mailbox))
        .route("/voicemail/settings", keyed(put(voicemail::settings)))
        .route(
            "/voicemail/{id}",
            keyed(axum::routing::delete(voicemail::delete)),
        )
        .route("/voicemail/{id}/audio", get(voicemail::audio))
        .route("/voicemail/{id}/heard", keyed(post(voicemail::heard)))
        .route("/admin/orgs", keyed(get(orgs::list).post(orgs::add)))
        .route(
            "/admin/orgs/{id}",
            keyed(axum::routing::delete(orgs::remove)),
        )
        .route(
            "/admin/users",
            keyed(get(admin::list_users).post(admin::create_user)),
        )
        .route(
            "/admin/users/{id}",
            keyed(axum::routing::patch(admin::update_user)),
        )
        .route(
            "/admin/users/{id}/password",
            keyed(put(admin::set_password)),
        )
        .route("/admin/users/{id}/devices", keyed(post(admin::add_device)))
        .route(
            "/admin/devices/{id}",
            keyed(axum::routing::delete(admin::remove_device)),
        )
        .route(
            "/admin/groups",
            keyed(get(admin::list_groups).post(admin::create_group)),
        )
        .route(
            "/admin/groups/{id}",
            keyed(put(admin::put_group).delete(admin::delete_group)),
        )
        .route(
            "/admin/wrap-up",
            keyed(get(admin::get_wrap_up).put(admin::put_wrap_up)),
        )
        .route("/admin/audit", get(admin::customer_audit))
        .route("/admin/reseller", get(admin::reseller))
        .route("/admin/reseller/mode", keyed(put(admin::reseller_mode)))
        .route(
            "/admin/reseller/customers",
            keyed(post(admin::create_customer)),
        )
        .route("/admin/reseller/audit", get(admin::reseller_audit))
        // --- sso: single sign-on (issue 15) ---
        .route("/sso/discovery", get(sso::discovery))
        .route("/sso/start", keyed(post(sso::start)))
        .route("/sso/callback", get(sso::callback))
        .route("/sso/{customer}/jwks.json", get(sso::jwks))
        .route(
            "/admin/sso",
            keyed(get(sso::get_settings).put(sso::put_settings)),
        )
        // --- presence-server: the customer's CRM presence map (issue 14) ---
        .route(
            "/admin/crm-presence",
            keyed(get(admin::get_crm_presence).put(admin::put_crm_presence)),
        )
        // --- soft-server: the softphone registration (issue 17) ---
        .route("/softphone", keyed(put(softphone::register)))
        .route(
            "/softphone/{registration}",
            keyed(axum::routing::delete(softphone::end)),
        )
        .route(
            "/softphone/{registration}/keepalive",
            keyed(post(softphone::keep_alive)),
        )
        .route("/openapi.json", get(crate::openapi::document))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(bound_query))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("there is nothing at this address")
}

async fn method_not_allowed() -> Response {
    let mut r = ApiError::bad_request("this method is not allowed here").into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// Refuses over-long query strings before any handler parses them.
async fn bound_query(req: Request, next: Next) -> Response {
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_LEN) {
        return ApiError::bad_request("the query string is too long").into_response();
    }
    next.run(req).await
}

/// Most bytes of an over-long body read and thrown away before answering 413, so the client is
/// not cut off while still sending and does read the answer.
const MAX_DRAINED_BYTES: usize = 4 << 20;

/// Answers 413 to a body whose declared length is over [`crate::MAX_BODY_BYTES`] (or
/// [`MAX_INBOUND_CALL_BODY_BYTES`] for a simulated inbound call; after draining
/// it, up to [`MAX_DRAINED_BYTES`]); bodies without a length are bounded by the extractors.
pub async fn bound_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared
        && len > max_body_bytes(req.uri().path())
    {
        if len <= MAX_DRAINED_BYTES {
            let _ = axum::body::to_bytes(req.into_body(), MAX_DRAINED_BYTES).await;
        }
        return body_too_large().into_response();
    }
    next.run(req).await
}

/// The most bytes a request body to `path` may have: [`MAX_INBOUND_CALL_BODY_BYTES`] for a
/// simulated inbound call, [`crate::MAX_BODY_BYTES`] for every other path.
pub fn max_body_bytes(path: &str) -> usize {
    if path == INBOUND_CALL_PATH {
        MAX_INBOUND_CALL_BODY_BYTES
    } else {
        crate::MAX_BODY_BYTES
    }
}

/// The 413 answer to a body over [`max_body_bytes`].
pub fn body_too_large() -> ApiError {
    ApiError::BadRequest {
        message: "the request body is too large".into(),
        too_large: true,
    }
}

/// Refuses requests whose headers together exceed [`MAX_HEADER_BYTES`] (431).
pub async fn bound_headers(req: Request, next: Next) -> Response {
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        let mut r = ApiError::bad_request("the request headers are too large").into_response();
        *r.status_mut() = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
        return r;
    }
    next.run(req).await
}

/// The language of a request's `Accept-Language` (English by default).
pub fn language(headers: &axum::http::HeaderMap) -> ucclient_core::Language {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(ucclient_core::Language::from_accept_language)
        .unwrap_or_default()
}

/// Parses a query string into `T`, answering `bad_request` in the API's shape.
pub fn query<T: serde::de::DeserializeOwned>(uri: &axum::http::Uri) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("the query is not valid: {}", e.body_text())))
}
