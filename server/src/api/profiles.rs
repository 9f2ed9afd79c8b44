//! Profiles, presence and per-profile settings.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use ucclient_core::ProfileId;
use ucclient_core::api::{Presence, Profile, ProfileSettings, SetPresenceRequest};

use super::language;
use crate::AppState;
use crate::auth::Licensed;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::presence;

fn profile_id(id: &str) -> ApiResult<ProfileId> {
    ProfileId::parse(id).ok_or_else(|| ApiError::UnknownProfile(id.chars().take(64).collect()))
}

/// `GET /profiles`: the eleven profiles in SPEC order with this user's effective settings.
#[utoipa::path(get, path = "/profiles", tag = "me", security(("bearer" = [])), params(("Accept-Language" = Option<String>, Header, description = "language of the names")), responses((status = 200, description = "[Profile] in SPEC order", body = [ucclient_core::api::Profile]), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    headers: HeaderMap,
) -> ApiResult<ApiJson<Vec<Profile>>> {
    let lang = language(&headers);
    let overrides = state.store.overrides(&a.user.id).await?;
    Ok(ApiJson(
        ProfileId::ALL
            .iter()
            .map(|p| presence::profile_view(&state, *p, &overrides, lang))
            .collect(),
    ))
}

/// `PUT /me/presence`.
#[utoipa::path(put, path = "/me/presence", tag = "me", security(("bearer" = [])), request_body(content = ucclient_core::api::SetPresenceRequest, content_type = "application/json", description = "{\"profile\": id}"), responses((status = 200, description = "Presence", body = ucclient_core::api::Presence), (status = 422, description = "unknown_profile", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody), (status = 429, description = "rate_limited, with Retry-After: over the user's per-minute budget", body = ucclient_core::api::ErrorBody)))]
pub async fn set_presence(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    ApiJson(req): ApiJson<SetPresenceRequest>,
) -> ApiResult<ApiJson<Presence>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let profile = profile_id(&req.profile)?;
    Ok(ApiJson(presence::set_profile(&state, &a, profile).await?))
}

/// `PUT /me/profiles/<id>/settings`.
#[utoipa::path(put, path = "/me/profiles/{id}/settings", tag = "me", security(("bearer" = [])), params(("id" = ucclient_core::ProfileId, Path, description = "profile id")), request_body(content = ucclient_core::api::ProfileSettings, content_type = "application/json", description = "ProfileSettings"), responses((status = 200, description = "Profile (customised)", body = ucclient_core::api::Profile), (status = 409, description = "active_mode_required", body = ucclient_core::api::ErrorBody), (status = 422, description = "unknown_profile or invalid_settings", body = ucclient_core::api::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(settings): ApiJson<ProfileSettings>,
) -> ApiResult<ApiJson<Profile>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let profile = profile_id(&id)?;
    let lang = language(&headers);
    Ok(ApiJson(
        presence::put_settings(&state, &a, profile, Some(settings), lang).await?,
    ))
}

/// `DELETE /me/profiles/<id>/settings`: back to the defaults.
#[utoipa::path(delete, path = "/me/profiles/{id}/settings", tag = "me", security(("bearer" = [])), params(("id" = ucclient_core::ProfileId, Path, description = "profile id")), responses((status = 200, description = "Profile back to defaults", body = ucclient_core::api::Profile), (status = 409, description = "active_mode_required", body = ucclient_core::api::ErrorBody), (status = 422, description = "unknown_profile", body = ucclient_core::api::ErrorBody)))]
pub async fn delete_settings(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<ApiJson<Profile>> {
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let profile = profile_id(&id)?;
    let lang = language(&headers);
    Ok(ApiJson(
        presence::put_settings(&state, &a, profile, None, lang).await?,
    ))
}
