//! The softphone registration (issue 17, an extension of API.md): the panel registers as the
//! user's softphone device, keeps the registration alive, and ends it when the page goes away.
//! The rules are in [`crate::softphone`].

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use serde_json::Value;
use ucclient_core::api::{SoftphoneRegisterRequest, SoftphoneRegistration};

use crate::AppState;
use crate::auth::Licensed;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::softphone;

/// `PUT /softphone` `{"device"?}` → 200: the panel is the user's softphone now.
#[utoipa::path(
    put,
    path = "/softphone",
    tag = "softphone",
    security(("bearer" = [])),
    request_body(content = Option<ucclient_core::api::SoftphoneRegisterRequest>, content_type = "application/json", description = "{\"device\"?}: one of the user's devices of kind softphone (default: their first); the body may be left out"),
    responses(
        (status = 200, description = "SoftphoneRegistration {id, device, expires_in}: the panel is the user's softphone device until it ends the registration or sends no keep-alive for expires_in (30) seconds. A registration the user had is replaced: a `softphone` event SoftphoneEvent {registration: <its id>, state: replaced} goes to the user's own streams", body = ucclient_core::api::SoftphoneRegistration),
        (status = 422, description = "unknown_device: the user has no device of kind softphone, or the device named is not one of their softphones", body = ucclient_core::api::ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    request: Request,
) -> ApiResult<ApiJson<SoftphoneRegistration>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let body = if request.headers().contains_key(header::CONTENT_TYPE) {
        // `null` is the schema's "no body" too (the body is optional): the default. Only an object
        // is the request itself: serde would also read a struct of optional fields from an array
        // (`[]` as `{}`), which the schema does not allow.
        match ApiJson::<Value>::from_request(request, &state).await?.0 {
            Value::Null => SoftphoneRegisterRequest::default(),
            body @ Value::Object(_) => serde_json::from_value(body).map_err(|e| {
                ApiError::bad_request(format!("the request body is not valid: {e}"))
            })?,
            _ => {
                return Err(ApiError::bad_request(
                    "the request body must be a JSON object",
                ));
            }
        }
    } else {
        SoftphoneRegisterRequest::default()
    };
    Ok(ApiJson(softphone::register(&state, &a, body).await?))
}

/// `POST /softphone/<registration>/keepalive` → 204.
#[utoipa::path(
    post,
    path = "/softphone/{registration}/keepalive",
    tag = "softphone",
    security(("bearer" = [])),
    params(("registration" = String, Path, max_length = 64, description = "the registration's id")),
    responses(
        (status = 204, description = "kept alive: it lives expires_in (30) seconds from now (the widget sends one every 10 s)"),
        (status = 404, description = "not_found: not the user's current registration (replaced, ended or expired; the `softphone` event said which)", body = ucclient_core::api::ErrorBody),
    )
)]
pub async fn keep_alive(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(registration): Path<String>,
) -> ApiResult<StatusCode> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    softphone::keep_alive(&state, &a, &registration).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /softphone/<registration>` → 204.
#[utoipa::path(
    delete,
    path = "/softphone/{registration}",
    tag = "softphone",
    security(("bearer" = [])),
    params(("registration" = String, Path, max_length = 64, description = "the registration's id")),
    responses(
        (status = 204, description = "ended (the page is going away): a `softphone` event SoftphoneEvent {registration, state: ended} goes to the user's own streams"),
        (status = 404, description = "not_found: not the user's current registration (replaced, ended or expired)", body = ucclient_core::api::ErrorBody),
    )
)]
pub async fn end(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(registration): Path<String>,
) -> ApiResult<StatusCode> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    softphone::end(&state, &a, &registration).await?;
    Ok(StatusCode::NO_CONTENT)
}
