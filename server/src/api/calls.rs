//! Click-to-dial, call history, answer, decline, hang-up, hold, resume, blind and warm transfer,
//! and the missed-call count.

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, Uri, header};
use serde::Deserialize;
use ucclient_core::api::{
    AnswerRequest, Call, ClaimRequest, ClaimResponse, CrmRecord, MediaAnswer, MediaOffer,
    MissedCalls, PlaceCallRequest, TransferRequest, WrapUp,
};

use crate::AppState;
use crate::auth::Licensed;
use crate::calls::{self, MAX_HISTORY};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};

/// `POST /calls` → 201.
#[utoipa::path(post, path = "/calls", tag = "calls", security(("bearer" = [])), request_body(content = ucclient_core::api::PlaceCallRequest, content_type = "application/json", description = "{\"to\", \"context\"?, \"device\"?}: device, one of the user's devices the call is placed from (the softphone when the agent chose it; default: the desk phone, as before)"), responses((status = 201, description = "Call", body = ucclient_core::api::Call), (status = 400, description = "bad_request: malformed JSON, wrong types, context too long (413 when the body is too large)", body = ucclient_core::api::ErrorBody), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_number: not a number core can normalise with the customer's country, or (with reason unknown_extension) shaped like an extension that nobody of the customer has; decided by core::phone::dial_target, as the widget's preview. unknown_device: the device named is not one of the user's", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over --calls-per-minute or the user's write budget", body = ucclient_core::api::ErrorBody), (status = 500, description = "internal", body = ucclient_core::api::ErrorBody), (status = 503, description = "unavailable, with Retry-After: no database connection within the bound", body = ucclient_core::api::ErrorBody)))]
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
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
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

/// Refuses call ids longer than any we issue, before touching the store.
fn bounded(id: &str) -> ApiResult<()> {
    if id.len() > 64 {
        return Err(ApiError::NotFound("there is no such call"));
    }
    Ok(())
}

/// `POST /calls/<id>/answer` `{"device"?}`: the PBX connects the ringing inbound call to that
/// device (the body may be left out: the first device ringing).
#[utoipa::path(post, path = "/calls/{id}/answer", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), request_body(content = Option<ucclient_core::api::AnswerRequest>, content_type = "application/json", description = "{\"device\"?}; the body may be left out"), responses((status = 200, description = "Call, connected, with answered_on", body = ucclient_core::api::Call), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_ringing: not an inbound call ringing now", body = ucclient_core::api::ErrorBody), (status = 422, description = "unknown_device: not one of the user's devices", body = ucclient_core::api::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    let body = if request.headers().contains_key(header::CONTENT_TYPE) {
        // `null` is the schema's "no body" too (the body is optional): the default.
        ApiJson::<Option<AnswerRequest>>::from_request(request, &state)
            .await?
            .0
            .unwrap_or_default()
    } else {
        AnswerRequest::default()
    };
    Ok(ApiJson(calls::answer(&state, &a, &id, body).await?))
}

/// `POST /calls/<id>/decline`: the ringing inbound call is rejected.
#[utoipa::path(post, path = "/calls/{id}/decline", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), responses((status = 200, description = "Call, failed with outcome declined", body = ucclient_core::api::Call), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_ringing: not an inbound call ringing now", body = ucclient_core::api::ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::decline(&state, &a, &id).await?))
}

/// `POST /calls/<id>/hold`: the user's connected call goes on hold (`held` true, still connected).
#[utoipa::path(post, path = "/calls/{id}/hold", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), responses((status = 200, description = "Call, connected, with held true", body = ucclient_core::api::Call), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_connected: not connected, or on hold already", body = ucclient_core::api::ErrorBody)))]
pub async fn hold(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::set_held(&state, &a, &id, true).await?))
}

/// `POST /calls/<id>/media` `{"registration", "sdp"}`: the softphone's WebRTC offer for the
/// user's own call, answered by this node's media endpoint (ICE-lite, one host candidate).
#[utoipa::path(
    post,
    path = "/calls/{id}/media",
    tag = "calls",
    security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "call id")),
    request_body(content = ucclient_core::api::MediaOffer, content_type = "application/json", description = "{\"registration\": the panel's softphone registration, \"sdp\": the browser's SDP offer (audio, at most 16384 bytes)}"),
    responses(
        (status = 200, description = "MediaAnswer {sdp}: the SDP answer (ICE-lite, one host candidate; Opus, PCMU, telephone-event). The media then follows the call: a colleague's softphone is bridged, the simulated outside party plays a tone, hold stops both ways, the call's end closes it", body = ucclient_core::api::MediaAnswer),
        (status = 400, description = "bad_request: malformed JSON or wrong types (413 when the body is too large)", body = ucclient_core::api::ErrorBody),
        (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody),
        (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody),
        (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody),
        (status = 409, description = "call_ended: the call is over; softphone_not_registered: the registration is not the user's current softphone", body = ucclient_core::api::ErrorBody),
        (status = 422, description = "invalid_sdp: longer than 16384 bytes, does not parse, has no audio section, or cannot be answered", body = ucclient_core::api::ErrorBody),
        (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody),
        (status = 500, description = "internal: the media endpoint could not start (its socket)", body = ucclient_core::api::ErrorBody),
        (status = 503, description = "unavailable: the node's media endpoint holds as many sessions as it takes, or no database connection within the bound", body = ucclient_core::api::ErrorBody),
    )
)]
pub async fn media(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MediaOffer>,
) -> ApiResult<ApiJson<MediaAnswer>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::offer_media(&state, &a, &id, req).await?))
}

/// `POST /calls/<id>/resume`: the user's held call is taken off hold.
#[utoipa::path(post, path = "/calls/{id}/resume", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), responses((status = 200, description = "Call, connected, not held", body = ucclient_core::api::Call), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_held: not on hold", body = ucclient_core::api::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::set_held(&state, &a, &id, false).await?))
}

/// `POST /calls/<id>/transfer` `{"to"}`: a blind transfer of the user's connected call.
#[utoipa::path(post, path = "/calls/{id}/transfer", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), request_body(content = ucclient_core::api::TransferRequest, content_type = "application/json", description = "{\"to\"}: an extension or a number"), responses((status = 200, description = "Call, the user's, ended with outcome transferred; the target colleague gets a ringing inbound call from the other party", body = ucclient_core::api::Call), (status = 400, description = "bad_request: malformed JSON, wrong types (413 when the body is too large)", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_connected: the call is not connected", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_number: not a number core can normalise with the customer's country, or with reason unknown_extension (nobody has it) or transfer_to_self (the user's own extension or the other party's)", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over --calls-per-minute or the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::transfer(&state, &a, &id, req).await?))
}

/// `PUT /calls/<id>/wrapup` `{"notes", "disposition"?}`: the agent's after-call work on their own
/// call once it is over.
#[utoipa::path(put, path = "/calls/{id}/wrapup", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), request_body(content = ucclient_core::api::WrapUp, content_type = "application/json", description = "{\"notes\", \"disposition\"?}: notes of at most 2000 characters, a code of the customer's dispositions (GET /me's wrap_up)"), responses((status = 200, description = "Call, with wrap_up; a call event carries it to the user's other streams", body = ucclient_core::api::Call), (status = 400, description = "bad_request: malformed JSON, wrong types (413 when the body is too large)", body = ucclient_core::api::ErrorBody), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_ended: the call is not over yet", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_wrap_up, with reason unknown_disposition (not one of the customer's codes), notes_too_long (over 2000 characters) or invalid_notes (control characters)", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody), (status = 500, description = "internal", body = ucclient_core::api::ErrorBody), (status = 503, description = "unavailable, with Retry-After: no database connection within the bound", body = ucclient_core::api::ErrorBody)))]
pub async fn wrap_up(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WrapUp>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::save_wrap_up(&state, &a, &id, req).await?))
}

/// `PUT /calls/<id>/crm-record` `{"crm", "id"}`: the page that logged the call on the CRM reports
/// the record it created, so a wrap-up saved from any page updates that record.
#[utoipa::path(put, path = "/calls/{id}/crm-record", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id")), request_body(content = ucclient_core::api::CrmRecord, content_type = "application/json", description = "{\"crm\": \"salesforce\"|\"dynamics\", \"id\"}"), responses((status = 200, description = "Call, with crm_record; a call event carries it to the user's other streams", body = ucclient_core::api::Call), (status = 400, description = "bad_request: malformed JSON, wrong types, unknown crm (413 when the body is too large)", body = ucclient_core::api::ErrorBody), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_ended: the call is not over yet", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_wrap_up with reason invalid_crm_record: the standalone page, or an id that is not 1-64 of A-Z a-z 0-9 - { }", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody), (status = 500, description = "internal", body = ucclient_core::api::ErrorBody), (status = 503, description = "unavailable, with Retry-After: no database connection within the bound", body = ucclient_core::api::ErrorBody)))]
pub async fn crm_record(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CrmRecord>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::set_crm_record(&state, &a, &id, req).await?))
}

// --- Issue 13, transfer: warm transfer (consultation) and missed calls ---

/// `POST /calls/<id>/consult` `{"to"}` → 201: the call goes on hold and a consultation leg dials
/// the target.
#[utoipa::path(post, path = "/calls/{id}/consult", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id: the user's connected call to transfer")), request_body(content = ucclient_core::api::TransferRequest, content_type = "application/json", description = "{\"to\"}: an extension or a number"), responses((status = 201, description = "Call: the consultation leg (outbound, dialing, consult_of the id); the first call is now held", body = ucclient_core::api::Call), (status = 400, description = "bad_request: malformed JSON, wrong types (413 when the body is too large)", body = ucclient_core::api::ErrorBody), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "call_not_connected: the call is not connected; already_consulting: it has a consultation already, or is one", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_number: not a number core can normalise with the customer's country, or with reason unknown_extension (nobody has it) or transfer_to_self (the user's own extension or the other party's)", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over --calls-per-minute or the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn consult(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> ApiResult<(StatusCode, ApiJson<Call>)> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(calls::consult(&state, &a, &id, req).await?),
    ))
}

/// `POST /calls/<id>/consult/complete`: the held party goes to the consulted target.
#[utoipa::path(post, path = "/calls/{id}/consult/complete", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id: the held call the consultation is about")), responses((status = 200, description = "Call: the first call, ended with outcome transferred and transferred_to the target; the consultation leg ends the same way", body = ucclient_core::api::Call), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "not_consulting: no consultation, or its target has not answered yet; call_not_connected: the first call is over", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn complete_consult(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::complete_consult(&state, &a, &id).await?))
}

/// `POST /calls/<id>/consult/cancel`: the consultation leg ends; the first call stays held.
#[utoipa::path(post, path = "/calls/{id}/consult/cancel", tag = "calls", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "call id: the held call the consultation is about")), responses((status = 200, description = "Call: the first call, still connected and held", body = ucclient_core::api::Call), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found: no such call of this user", body = ucclient_core::api::ErrorBody), (status = 409, description = "not_consulting: the call has no consultation", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn cancel_consult(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Call>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    bounded(&id)?;
    Ok(ApiJson(calls::cancel_consult(&state, &a, &id).await?))
}

/// `GET /calls/missed`: the user's missed calls not seen yet.
#[utoipa::path(get, path = "/calls/missed", tag = "calls", security(("bearer" = [])), responses((status = 200, description = "MissedCalls {count}: inbound calls that ended missed since the user last opened their history", body = ucclient_core::api::MissedCalls), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody)))]
pub async fn missed(
    State(state): State<AppState>,
    Licensed(a): Licensed,
) -> ApiResult<ApiJson<MissedCalls>> {
    Ok(ApiJson(calls::missed(&state, &a).await?))
}

/// `POST /calls/missed/seen`: the user saw their missed calls (opened History).
#[utoipa::path(post, path = "/calls/missed/seen", tag = "calls", security(("bearer" = [])), responses((status = 200, description = "MissedCalls {count: 0}; a missed event with the count 0 reaches every stream of the user", body = ucclient_core::api::MissedCalls), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's write budget", body = ucclient_core::api::ErrorBody)))]
pub async fn missed_seen(
    State(state): State<AppState>,
    Licensed(a): Licensed,
) -> ApiResult<ApiJson<MissedCalls>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    Ok(ApiJson(calls::missed_seen(&state, &a).await?))
}
