//! The user's own voicemail: the mailbox, a message's audio, heard, delete, and the mailbox
//! setting. Everything is the signed-in user's only: another user's message, or another
//! customer's, answers 404 exactly like one that does not exist.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ucclient_core::api::{Mailbox, VoicemailMessage, VoicemailSettings};

use crate::AppState;
use crate::auth::Licensed;
use crate::error::{ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::voicemail;

/// `GET /voicemail`: the mailbox, newest first, with the unheard count.
#[utoipa::path(get, path = "/voicemail", tag = "voicemail", security(("bearer" = [])), responses((status = 200, description = "Mailbox {enabled, unheard, messages}, newest first (at most 100)", body = ucclient_core::api::Mailbox)))]
pub async fn mailbox(
    State(state): State<AppState>,
    Licensed(a): Licensed,
) -> ApiResult<ApiJson<Mailbox>> {
    Ok(ApiJson(voicemail::mailbox(&state, &a).await?))
}

/// `GET /voicemail/<id>/audio`: the message's WAV bytes (with the bearer token, never a token in
/// the URL).
#[utoipa::path(get, path = "/voicemail/{id}/audio", tag = "voicemail", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "message id")), responses((status = 200, description = "the WAV file, exactly as left", content_type = "audio/wav", body = Vec<u8>), (status = 404, description = "not_found: no such message of this user", body = ucclient_core::api::ErrorBody)))]
pub async fn audio(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let wav = voicemail::audio(&state, &a, &id).await?;
    let mut response = wav.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    // Someone's voice: no shared cache keeps it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// `POST /voicemail/<id>/heard`.
#[utoipa::path(post, path = "/voicemail/{id}/heard", tag = "voicemail", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "message id")), responses((status = 200, description = "VoicemailMessage, heard; a voicemail event carries the new count to the user's streams", body = ucclient_core::api::VoicemailMessage), (status = 404, description = "not_found: no such message of this user", body = ucclient_core::api::ErrorBody)))]
pub async fn heard(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<VoicemailMessage>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    Ok(ApiJson(voicemail::heard(&state, &a, &id).await?))
}

/// `DELETE /voicemail/<id>` → 204.
#[utoipa::path(delete, path = "/voicemail/{id}", tag = "voicemail", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "message id")), responses((status = 204, description = "deleted; a voicemail event carries the new count to the user's streams"), (status = 404, description = "not_found: no such message of this user", body = ucclient_core::api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    voicemail::delete(&state, &a, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /voicemail/settings` `{"enabled"}`: turns the user's mailbox on or off.
#[utoipa::path(put, path = "/voicemail/settings", tag = "voicemail", security(("bearer" = [])), request_body(content = ucclient_core::api::VoicemailSettings, content_type = "application/json", description = "{\"enabled\": bool}"), responses((status = 200, description = "VoicemailSettings as stored", body = ucclient_core::api::VoicemailSettings)))]
pub async fn settings(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    ApiJson(req): ApiJson<VoicemailSettings>,
) -> ApiResult<ApiJson<VoicemailSettings>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    state.store.set_mailbox(&a.user.id, req.enabled).await?;
    Ok(ApiJson(req))
}
