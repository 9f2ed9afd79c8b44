//! Click-to-dial, call history and hang-up.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use serde::Deserialize;
use ucclient_core::api::{Call, ClaimRequest, ClaimResponse, PlaceCallRequest};

use crate::AppState;
use crate::auth::Licensed;
use crate::calls::{self, MAX_HISTORY};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};

/// `POST /calls` → 201.
#[utoipa::path(post, path = "/calls", tag = "calls", security(("bearer" = [])), request_body(content = ucclient_core::api::PlaceCallRequest, content_type = "application/json", description = "{\"to\", \"context\"?}"), responses((status = 201, description = "Call", body = ucclient_core::api::Call), (status = 422, description = "invalid_number", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over --calls-per-minute or the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    ApiJson(req): ApiJson<PlaceCallRequest>,
) -> ApiResult<(StatusCode, ApiJson<Call>)> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(calls::place(&state, &a, req).await?),
    ))
}

#[derive(Debug, Deserialize)]
struct HistoryQuery {
    limit: Option<i64>,
}

/// `GET /calls?limit=`: newest first, 50 by default, at most 200.
#[utoipa::path(get, path = "/calls", tag = "calls", security(("bearer" = [])), params(("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "1..=200, default 50")), responses((status = 200, description = "[Call], newest first", body = [ucclient_core::api::Call])))]
pub async fn history(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    uri: Uri,
) -> ApiResult<ApiJson<Vec<Call>>> {
    let q: HistoryQuery = super::query(&uri)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_HISTORY}"
        )));
    }
    Ok(ApiJson(calls::history(&state, &a, limit).await?))
}

/// `POST /calls/<id>/hangup`.
#[utoipa::path(post, path = "/calls/{id}/hangup", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), responses((status = 200, description = "Call", body = ucclient_core::api::Call), (status = 404, description = "not_found", body = ucclient_core::api::ErrorBody)))]
pub async fn hangup(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if id.len() > 64 {
        return Err(ApiError::NotFound("there is no such call"));
    }
    Ok(ApiJson(calls::hangup(&state, &a, &id).await?))
}

/// `POST /calls/<id>/claims`: grants logging (or popping) the call to one page of the agent.
#[utoipa::path(
    post,
    path = "/calls/{id}/claims",
    tag = "calls",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "call id (at most 64 characters)")),
    request_body(content = ucclient_core::api::ClaimRequest, content_type = "application/json", description = "{\"kind\": \"log\"|\"pop\", \"client\": page id}"),
    responses(
        (status = 200, description = "ClaimResponse {granted}: true for the one page that does it, on every repeat of its claim too", body = ucclient_core::api::ClaimResponse),
        (status = 400, description = "bad_request: malformed JSON, unknown kind, or a page id that is not 1-64 of A-Z a-z 0-9 - _", body = ucclient_core::api::ErrorBody),
        (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody),
        (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody),
        (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody),
        (status = 413, description = "bad_request: body too large", body = ucclient_core::api::ErrorBody),
        (status = 500, description = "internal", body = ucclient_core::api::ErrorBody),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ClaimRequest>,
) -> ApiResult<ApiJson<ClaimResponse>> {
    if !req.client_is_valid() {
        return Err(ApiError::bad_request(
            "client must be 1 to 64 letters, digits, - or _",
        ));
    }
    if id.len() > 64 {
        return Err(ApiError::NotFound("there is no such call"));
    }
    let granted = state
        .store
        .claim_call(&a.user.id, &id, req.kind.as_str(), &req.client)
        .await?
        .ok_or(ApiError::NotFound("there is no such call"))?;
    Ok(ApiJson(ClaimResponse { granted }))
}
