//! The PBX as the backend sees it (API.md): what it holds for a user, who rings for a call, the hunt
//! groups, and inbound calls of the embedded PBX.
//!
//! Who may look: a licensed user may always read their own `/pbx/users/<self>` (the widget's
//! active-mode view); everything else here is for customer administrators, or for every licensed
//! user of the customer when the server runs with `--pbx-view-for-all` (the `demo` command does).
//! Ids of another customer answer 404, exactly like ids that do not exist.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use serde::Deserialize;
use ucclient_core::api::{Call, HuntGroup, InboundCallRequest, PbxUserState, RingResponse};
use ucclient_core::ring::{UserLine, ring_group, ring_user};

use crate::AppState;
use crate::auth::{Licensed, is_admin};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::presence;
use crate::store::Account;

fn may_view(state: &AppState, a: &Account) -> ApiResult<()> {
    if state.config.pbx_view_for_all || is_admin(a) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only customer administrators may see the phone system",
        ))
    }
}

async fn pbx_state(state: &AppState, user_id: &str) -> ApiResult<PbxUserState> {
    state
        .pbx
        .user_state(user_id)
        .await
        .map_err(|e| ApiError::Internal(format!("pbx read: {e}")))
}

/// `GET /pbx/users/<id>`.
#[utoipa::path(get, path = "/pbx/users/{id}", tag = "pbx", security(("bearer" = [])), params(("id" = String, Path, max_length = 64, description = "user id")), responses((status = 200, description = "PbxUserState", body = ucclient_core::api::PbxUserState), (status = 403, description = "client_not_licensed, or forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found", body = ucclient_core::api::ErrorBody)))]
pub async fn user(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PbxUserState>> {
    state
        .store
        .customer_user(&a.customer_id, &id)
        .await?
        .ok_or(ApiError::NotFound("there is no such user"))?;
    if id != a.user.id {
        may_view(&state, &a)?;
    }
    Ok(ApiJson(pbx_state(&state, &id).await?))
}

#[derive(Debug, Deserialize)]
struct RingQuery {
    user: Option<String>,
    group: Option<String>,
}

/// `GET /pbx/ring?user=` or `?group=`.
#[utoipa::path(get, path = "/pbx/ring", tag = "pbx", security(("bearer" = [])), params(("user" = Option<String>, Query, max_length = 64, description = "a user id; exactly one of user and group (400 otherwise: OpenAPI cannot say this of two query parameters)"), ("group" = Option<String>, Query, max_length = 64, description = "a hunt group id; exactly one of user and group")), responses((status = 200, description = "{devices, forwarded_to}", body = ucclient_core::api::RingResponse), (status = 403, description = "client_not_licensed, or forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody), (status = 400, description = "bad_request", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found", body = ucclient_core::api::ErrorBody)))]
pub async fn ring(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    uri: Uri,
) -> ApiResult<ApiJson<RingResponse>> {
    let q: RingQuery = super::query(&uri)?;
    match (q.user, q.group) {
        (Some(user), None) => {
            state
                .store
                .customer_user(&a.customer_id, &user)
                .await?
                .ok_or(ApiError::NotFound("there is no such user"))?;
            if user != a.user.id {
                may_view(&state, &a)?;
            }
            let devices = presence::device_ids(&state, &user).await?;
            let pbx = pbx_state(&state, &user).await?;
            Ok(ApiJson(ring_user(UserLine {
                devices: &devices,
                pbx: &pbx,
            })))
        }
        (None, Some(group)) => {
            let group = state
                .store
                .groups(&a.customer_id)
                .await?
                .into_iter()
                .find(|g| g.id == group)
                .ok_or(ApiError::NotFound("there is no such group"))?;
            may_view(&state, &a)?;
            let mut lines: HashMap<String, (Vec<String>, PbxUserState)> = HashMap::new();
            for m in &group.members {
                let id = m.user_id().to_owned();
                if let std::collections::hash_map::Entry::Vacant(slot) = lines.entry(id) {
                    let id = slot.key().clone();
                    let devices = presence::device_ids(&state, &id).await?;
                    let pbx = pbx_state(&state, &id).await?;
                    slot.insert((devices, pbx));
                }
            }
            Ok(ApiJson(ring_group(&group.members, |id| {
                lines
                    .get(id)
                    .map(|(devices, pbx)| UserLine { devices, pbx })
            })))
        }
        _ => Err(ApiError::bad_request(
            "ask about exactly one of user or group",
        )),
    }
}

/// `GET /pbx/groups`.
#[utoipa::path(get, path = "/pbx/groups", tag = "pbx", security(("bearer" = [])), responses((status = 200, description = "[HuntGroup]", body = [ucclient_core::api::HuntGroup]), (status = 403, description = "client_not_licensed, or forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn groups(
    State(state): State<AppState>,
    Licensed(a): Licensed,
) -> ApiResult<ApiJson<Vec<HuntGroup>>> {
    may_view(&state, &a)?;
    Ok(ApiJson(state.store.groups(&a.customer_id).await?))
}

/// `POST /pbx/calls/inbound` → 201.
#[utoipa::path(post, path = "/pbx/calls/inbound", tag = "pbx", security(("bearer" = [])), request_body(content = ucclient_core::api::InboundCallRequest, content_type = "application/json", description = "{\"from\", \"to_user\", \"message_wav\"?}: message_wav, base64 of a PCM WAV (at most 512 KiB and 60 s), is what the caller says if the call goes to voicemail; the body may be up to 764588 bytes"), responses((status = 201, description = "Call; outcome voicemail when it went to the user's mailbox at once", body = ucclient_core::api::Call), (status = 403, description = "client_not_licensed, or forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody), (status = 404, description = "not_found", body = ucclient_core::api::ErrorBody), (status = 422, description = "invalid_number, or invalid_audio: message_wav is not base64 of a PCM WAV within the bounds (the message says why)", body = ucclient_core::api::ErrorBody)))]
pub async fn inbound(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    ApiJson(req): ApiJson<InboundCallRequest>,
) -> ApiResult<(StatusCode, ApiJson<Call>)> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if req.to_user.len() > 64 {
        return Err(ApiError::NotFound("there is no such user"));
    }
    state
        .store
        .customer_user(&a.customer_id, &req.to_user)
        .await?
        .ok_or(ApiError::NotFound("there is no such user"))?;
    may_view(&state, &a)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(crate::calls::inbound(&state, &a, req).await?),
    ))
}
