//! `/admin/orgs`: a customer administrator registers the CRM orgs that may embed the widget for
//! their company (an extension of API.md; the rules are in `crate::orgs`). Only the caller's own
//! customer's orgs are listed or removed; another customer's org id answers 404 like an unknown one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ucclient_core::api::{CrmOrg, NewCrmOrg};

use crate::AppState;
use crate::api::admin::{ClientSource, audit_customer as record};
use crate::auth::{Session, is_admin};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::orgs::{self, MAX_ORGS_PER_CUSTOMER, OrgKey};
use crate::store::{Account, AddOrg};

fn admin(session: Session) -> ApiResult<Account> {
    if is_admin(&session.account) {
        Ok(session.account)
    } else {
        Err(ApiError::Forbidden(
            "only customer administrators may manage the CRM orgs",
        ))
    }
}

/// `GET /admin/orgs`: the caller's customer's registered CRM orgs, oldest first.
#[utoipa::path(get, path = "/admin/orgs", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the customer's registered CRM orgs, oldest first", body = Vec<ucclient_core::api::CrmOrg>),
    (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 500, description = "internal", body = ucclient_core::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<Vec<CrmOrg>>> {
    let a = admin(session)?;
    let rows = state.store.orgs(Some(&a.customer_id)).await?;
    Ok(ApiJson(rows.iter().map(orgs::to_wire).collect()))
}

/// `POST /admin/orgs`: registers a CRM org for the caller's customer.
#[utoipa::path(post, path = "/admin/orgs", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::NewCrmOrg, content_type = "application/json",
        description = "{\"crm\": \"salesforce\", \"org\": \"<My Domain>\", \"org_id\"?} or {\"crm\": \"dynamics\", \"org\": \"https://<org>.crm<N>.dynamics.com\"}"),
    responses(
    (status = 201, description = "registered", body = ucclient_core::api::CrmOrg),
    (status = 400, description = "bad_request: malformed JSON or unknown fields", body = ucclient_core::api::ErrorBody),
    (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "org_taken (registered already, to this or another customer) or too_many_orgs (50 per customer)", body = ucclient_core::api::ErrorBody),
    (status = 413, description = "bad_request: body too large", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_org: not a My Domain name, org id or Dynamics 365 org URL", body = ucclient_core::api::ErrorBody),
    (status = 500, description = "internal", body = ucclient_core::api::ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(new): ApiJson<NewCrmOrg>,
) -> ApiResult<(StatusCode, ApiJson<CrmOrg>)> {
    let a = admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let registration = orgs::parse_new_org(&new).map_err(|e| ApiError::InvalidOrg(e.0))?;
    let stored = registration.to_stored(crate::auth::new_id(), &a.customer_id);
    match state.store.add_org(&stored, MAX_ORGS_PER_CUSTOMER).await? {
        AddOrg::Added => {}
        AddOrg::Taken => return Err(ApiError::OrgTaken),
        AddOrg::TooMany => return Err(ApiError::TooManyOrgs(MAX_ORGS_PER_CUSTOMER)),
        AddOrg::UnknownCustomer => return Err(ApiError::Internal("customer gone".into())),
    }
    state.orgs.forget(&registration.key);
    let detail = serde_json::json!({"crm": stored.crm.as_str(), "org": stored.name, "org_id": stored.org_id});
    record(&state, &a, &from, "org.add", &stored.id, detail).await?;
    tracing::info!(customer = %a.customer_id, org = %stored.org_key, "CRM org registered");
    Ok((StatusCode::CREATED, ApiJson(orgs::to_wire(&stored))))
}

/// `DELETE /admin/orgs/{id}`: the org may no longer embed the widget (this server at once, others
/// within the registry's cache life).
#[utoipa::path(delete, path = "/admin/orgs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "registered org id")),
    responses(
    (status = 204, description = "removed"),
    (status = 401, description = "unauthenticated", body = ucclient_core::api::ErrorBody),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such org of this customer", body = ucclient_core::api::ErrorBody),
    (status = 500, description = "internal", body = ucclient_core::api::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let a = admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if id.len() > 64 {
        return Err(ApiError::NotFound("there is no such CRM org"));
    }
    let key = state
        .store
        .remove_org(Some(&a.customer_id), &id)
        .await?
        .ok_or(ApiError::NotFound("there is no such CRM org"))?;
    let detail = serde_json::json!({"org": key});
    state.orgs.forget(&OrgKey::from_stored(key));
    record(&state, &a, &from, "org.remove", &id, detail).await?;
    tracing::info!(customer = %a.customer_id, org = %id, "CRM org removed");
    Ok(StatusCode::NO_CONTENT)
}
