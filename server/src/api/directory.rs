//! The colleague directory: the caller's own customer only.

use axum::extract::State;
use axum::http::Uri;
use serde::Deserialize;
use ucclient_core::api::{DirectoryEntry, GroupEntry};

use crate::AppState;
use crate::auth::Licensed;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::presence;

/// Most rows of one answer.
pub const MAX_ROWS: i64 = 200;
/// Longest search text, in characters (as the OpenAPI document's `maxLength` counts them), spaces
/// around it included.
pub const MAX_Q_LEN: usize = 100;

#[derive(Debug, Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
}

/// `GET /directory?q=`.
#[utoipa::path(get, path = "/directory", tag = "directory", security(("bearer" = [])), params(("q" = Option<String>, Query, max_length = 100, description = "name, email or extension, at most 100 characters")), responses((status = 200, description = "[{user, presence}], at most 200", body = [ucclient_core::api::DirectoryEntry])))]
pub async fn list(
    State(state): State<AppState>,
    Licensed(a): Licensed,
    uri: Uri,
) -> ApiResult<ApiJson<Vec<DirectoryEntry>>> {
    limits::spend(&state, &a.user.id, Budget::Searches).await?;
    let q: DirectoryQuery = super::query(&uri)?;
    if q.q.as_ref().is_some_and(|t| t.chars().count() > MAX_Q_LEN) {
        return Err(ApiError::bad_request("the search text is too long"));
    }
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let users = state
        .store
        .customer_users(&a.customer_id, text, MAX_ROWS)
        .await?;
    let ids: Vec<(String, Vec<String>)> = users
        .iter()
        .map(|(u, p)| (u.id.clone(), p.clone()))
        .collect();
    let presences = presence::of_users(&state, &a.customer_id, &ids).await?;
    Ok(ApiJson(
        users
            .into_iter()
            .zip(presences)
            .map(|((user, _), presence)| DirectoryEntry { user, presence })
            .collect(),
    ))
}

// --- Issue 13, transfer: dialable hunt groups ---

/// `GET /directory/groups`: the customer's hunt groups that have an extension, by name — what an
/// agent may dial, transfer to or consult (the members are the administrators' `GET /pbx/groups`).
#[utoipa::path(get, path = "/directory/groups", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "[GroupEntry {id, name, extension}], by name", body = [ucclient_core::api::GroupEntry]), (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody), (status = 403, description = "client_not_licensed", body = ucclient_core::api::ErrorBody)))]
pub async fn groups(
    State(state): State<AppState>,
    Licensed(a): Licensed,
) -> ApiResult<ApiJson<Vec<GroupEntry>>> {
    limits::spend(&state, &a.user.id, Budget::Searches).await?;
    Ok(ApiJson(
        state
            .store
            .groups(&a.customer_id)
            .await?
            .into_iter()
            .filter_map(|g| {
                Some(GroupEntry {
                    extension: g.extension?,
                    id: g.id,
                    name: g.name,
                })
            })
            .collect(),
    ))
}
