//! The `Idempotency-Key` header of writes (issue 16): a client that retries a change after a lost
//! answer gets the first answer again instead of a second change.
//!
//! Semantics (after Stripe's and the IETF httpapi draft "The Idempotency-Key HTTP Header Field"):
//! an optional header on `POST`, `PUT`, `PATCH` and `DELETE` of `/api/v1` with a bearer token;
//! 1-255 visible ASCII characters, else 400 `invalid_idempotency_key`. Keys are the caller's
//! session's ([`crate::store::session_key`] of its token's hash): one agent's key never meets
//! another's. The first request with a key claims it atomically in the store, is processed as
//! usual, and its answer (status, `content-type`, body) is stored when it is a 2xx or a 4xx other
//! than 429; a 5xx or 429 releases the key, so a retry is processed again. For
//! [`Config::idempotency_ttl_secs`](crate::Config) (24 h) the same key then answers:
//! - the same request (method, path and query, body's SHA-256): the stored answer, with the header
//!   `Idempotent-Replayed: true`, and nothing applied again;
//! - another request: 422 `idempotency_key_reused`;
//! - while the first is still processed: 409 `idempotency_key_in_flight`.
//!
//! Without the header, or without a bearer token of a live session (login, single sign-on; a
//! wrong token is answered 401 by the handler as always), a request is processed exactly as
//! before. The handler runs in its own task, so a client hanging up (the usual lost answer) does
//! not cancel it between its change and the storing of its answer. A process dying there leaves
//! an unanswered claim: after [`ABANDONED_AFTER`] a retry of the same request takes it over and is
//! processed again (ARCHITECTURE.md, "Idempotent writes", says why that is acceptable).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::store::{IdempotencyClaim, IdempotentAnswer, session_key};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header of a replayed answer (value `true`).
pub const REPLAYED: &str = "idempotent-replayed";
/// Longest key.
pub const MAX_KEY_LEN: usize = 255;
/// How long an unanswered claim holds its key: past it, the claim's process is taken for dead and a
/// retry of the same request is processed again. Every handler answers well within it (database
/// waits are bounded by seconds, PBX calls by `--pbx-timeout-ms`).
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);
/// Most bytes of an answer stored (writes answer a few KiB of JSON at most).
pub const MAX_STORED_ANSWER_BYTES: usize = 1 << 20;
/// Most expired keys dropped by one periodic sweep.
pub const SWEEP_LIMIT: i64 = 10_000;

/// Whether `value` is a valid key: 1-255 visible ASCII characters (`%x21-7E`).
pub fn valid_key(value: &[u8]) -> bool {
    (1..=MAX_KEY_LEN).contains(&value.len()) && value.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// The fingerprint of a request: SHA-256 (hex) of its method, path and query, and body's SHA-256.
pub fn fingerprint(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(Sha256::digest(body));
    hex::encode(h.finalize())
}

/// Whether an answer of this status is stored (and replayed): 2xx and 4xx but 429.
pub fn stored_status(status: u16) -> bool {
    (200..300).contains(&status) || ((400..500).contains(&status) && status != 429)
}

/// The middleware (on the methods of every route of `/api/v1` with a write method, see
/// `api::router`; it acts on writes only).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return next.run(req).await;
    }
    let mut values = req.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return next.run(req).await;
    };
    if values.next().is_some() || !valid_key(value.as_bytes()) {
        return ApiError::InvalidIdempotencyKey.into_response();
    }
    let key = String::from_utf8_lossy(value.as_bytes()).into_owned();
    let (parts, body) = req.into_parts();
    let Some(token) = crate::auth::bearer(&parts) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let token_hash = crate::auth::digest(token);
    let scope = session_key(&token_hash);
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let Ok(bytes) = axum::body::to_bytes(body, crate::api::max_body_bytes(uri.path())).await else {
        return crate::api::body_too_large().into_response();
    };
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let print = fingerprint(&parts.method, path_and_query, &bytes);
    let req = Request::from_parts(parts, Body::from(bytes));
    match decide(&state, &token_hash, &scope, &key, &print).await {
        Ok(Decision::Process { claimed_ms }) => {
            // Its own task: a client hanging up must not cancel the handler between its change and
            // the storing of its answer.
            let task = tokio::spawn(async move {
                let response = next.run(req).await;
                finish(&state, &scope, &key, claimed_ms, response).await
            });
            match task.await {
                Ok(response) => response,
                Err(e) => ApiError::Internal(format!("idempotent request: {e}")).into_response(),
            }
        }
        Ok(Decision::PassThrough) => next.run(req).await,
        Ok(Decision::Answer(answer)) => replay(answer),
        Err(e) => e.into_response(),
    }
}

enum Decision {
    /// The key is this request's: process it and store its answer.
    Process { claimed_ms: i64 },
    /// No live session: processed as without a key (the handler answers 401).
    PassThrough,
    /// The stored answer of the same request.
    Answer(IdempotentAnswer),
}

async fn decide(
    state: &AppState,
    token_hash: &str,
    scope: &str,
    key: &str,
    print: &str,
) -> Result<Decision, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let found = if state.store.session_user(token_hash, now).await?.is_some() {
        let ttl_ms = i64::try_from(state.config.idempotency_ttl_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000);
        let abandoned_before = now - ABANDONED_AFTER.as_millis() as i64;
        state
            .store
            .claim_idempotency_key(
                scope,
                key,
                print,
                now,
                abandoned_before,
                now.saturating_add(ttl_ms),
            )
            .await?
    } else {
        // A session that ended (a retried logout, for one) still gets its stored answers; nothing
        // new is claimed for it.
        match state.store.idempotency_entry(scope, key, now).await? {
            Some(entry) => entry,
            None => return Ok(Decision::PassThrough),
        }
    };
    match found {
        IdempotencyClaim::Claimed { claimed_ms } => Ok(Decision::Process { claimed_ms }),
        IdempotencyClaim::Taken { fingerprint, .. } if fingerprint != print => {
            Err(ApiError::IdempotencyKeyReused)
        }
        IdempotencyClaim::Taken { answer: None, .. } => Err(ApiError::IdempotencyKeyInFlight),
        IdempotencyClaim::Taken {
            answer: Some(answer),
            ..
        } => Ok(Decision::Answer(answer)),
    }
}

/// Stores the answer of a claimed key (or releases the key), and hands the answer on.
async fn finish(
    state: &AppState,
    scope: &str,
    key: &str,
    claimed_ms: i64,
    response: Response,
) -> Response {
    let status = response.status().as_u16();
    if !stored_status(status) {
        if let Err(e) = state
            .store
            .release_idempotency_key(scope, key, claimed_ms)
            .await
        {
            tracing::warn!(error = %e, "releasing an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_STORED_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            let _ = state
                .store
                .release_idempotency_key(scope, key, claimed_ms)
                .await;
            return ApiError::Internal(format!("reading an answer to store: {e}")).into_response();
        }
    };
    let answer = IdempotentAnswer {
        status,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    if let Err(e) = state
        .store
        .store_idempotent_answer(scope, key, claimed_ms, &answer)
        .await
    {
        // The change is made and the client gets its answer; a retry within the abandonment
        // bound gets 409, after it the request is processed again.
        tracing::warn!(error = %e, "storing an idempotent answer");
    }
    Response::from_parts(parts, Body::from(body))
}

/// The stored answer, marked as replayed.
fn replay(answer: IdempotentAnswer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = axum::http::StatusCode::from_u16(answer.status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = answer
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(valid_key(b"a"));
        assert!(valid_key(b"8e03978e-40d5-43e8-bc93-6894a57f9324"));
        assert!(valid_key(&[b'~'; 255]));
        assert!(!valid_key(b""));
        assert!(!valid_key(&[b'k'; 256]));
        assert!(!valid_key(b"with space"));
        assert!(!valid_key(b"tab\there"));
        assert!(!valid_key("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn only_2xx_and_4xx_but_429_are_stored() {
        for s in [200, 201, 204, 400, 401, 404, 409, 422] {
            assert!(stored_status(s), "{s}");
        }
        for s in [429, 500, 502, 503, 101, 302] {
            assert!(!stored_status(s), "{s}");
        }
    }

    #[test]
    fn fingerprints_differ_by_method_path_and_body() {
        let a = fingerprint(&Method::POST, "/calls", b"{}");
        assert_eq!(a, fingerprint(&Method::POST, "/calls", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/calls", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/calls?x=1", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/calls", b"{ }"));
    }
}
