//! The administration API (issue 15): customer administrators manage their users, devices, hunt
//! groups and after-call work; reseller administrators their customers and the presence mode. Both
//! read the audit log of their changes.
//!
//! Every endpoint checks the caller's role on the server: *customer endpoints* need
//! `customer_admin` or `reseller_admin` ([`is_admin`]) and act only on the caller's own customer
//! (another customer's user, device or group answers 404 like an unknown one); *reseller
//! endpoints* need `reseller_admin` and act only on the caller's reseller. An agent gets 403
//! `forbidden`. Writes spend the caller's write budget, go through the same functions as the
//! operator's commands ([`crate::admin_live`], so they take effect live the same way), and each
//! successful change appends one row to the audit log ([`crate::audit`]) with the caller and their
//! address.

use std::collections::HashSet;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde::Deserialize;
use serde_json::{Value, json};
use ucclient_core::api::AdminGroupMember;
use ucclient_core::api::{
    AdminGroup, AdminGroupInput, AdminPassword, AdminUserPatch, AdminUserView, AuditEntry, Device,
    DeviceKind, NewAdminDevice, NewAdminUser, NewResellerCustomer, ResellerCustomer,
    ResellerModeRequest, ResellerView, Role, WrapUpSettings,
};
use ucclient_core::crm_presence::CrmPresenceMap;
use ucclient_core::licence::{self, CRM_CLIENT};
use ucclient_core::ring::GroupMember;

use crate::AppState;
use crate::admin_live;
use crate::audit::{self, Actor};
use crate::auth::{self, Session, is_admin};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::limits::{self, Budget};
use crate::store::{Account, AuditScope, ManagedUser, NewUser, ResellerInfo, StoreError};

/// Longest id accepted in a path (ours are 32 hex characters); longer ones name nothing: 404.
pub const MAX_ID_LEN: usize = 64;
/// Longest display name, group name or customer name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest login email, in bytes.
pub const MAX_EMAIL_LEN: usize = 254;
/// Shortest password an administrator may set, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in characters (argon2's work is bounded by it).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest device label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// Longest device number or SIP address, in characters.
pub const MAX_NUMBER_CHARS: usize = 128;
/// Most devices one user has.
pub const MAX_DEVICES_PER_USER: usize = 20;
/// Most members of one hunt group.
pub const MAX_GROUP_MEMBERS: usize = 100;
/// Most hunt groups of one customer.
pub const MAX_GROUPS_PER_CUSTOMER: usize = 200;
/// Most users of one customer created through the API.
pub const MAX_USERS_PER_CUSTOMER: usize = 10_000;
/// Most customers of one reseller created through the API.
pub const MAX_CUSTOMERS_PER_RESELLER: usize = 1_000;
/// Audit entries per page by default, and at most.
pub const AUDIT_PAGE: i64 = 50;
/// Most audit entries per page.
pub const MAX_AUDIT_PAGE: i64 = 100;

/// Where a request comes from, as the audit log records it: the client's address (the TCP
/// peer's, or behind a `--trusted-proxy` the address `X-Forwarded-For` names, as the rate limits
/// read it), or `unknown` when the router is driven without a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSource(pub String);

impl FromRequestParts<AppState> for ClientSource {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(ClientSource(match peer {
            Some(ip) => limits::forwarded_client(ip, &parts.headers, &state.config.trusted_proxies)
                .to_string(),
            None => "unknown".to_owned(),
        }))
    }
}

/// A request body of the admin API: a JSON object (serde would read a struct from an array too),
/// whose integral numbers may be written `17.0` (JSON Schema's `integer` allows it).
#[derive(Debug, Clone)]
pub struct Body<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Body<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut v = Value::deserialize(d)?;
        if !v.is_object() {
            return Err(D::Error::custom("expected a JSON object"));
        }
        integral(&mut v);
        T::deserialize(v).map(Body).map_err(D::Error::custom)
    }
}

/// Rewrites numbers with no fraction (`17.0`) as integers, everywhere in `v`.
fn integral(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| !n.is_i64() && !n.is_u64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = json!(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral),
        Value::Object(map) => map.values_mut().for_each(integral),
        _ => {}
    }
}

/// The caller, if they administer their customer.
fn customer_admin(session: Session) -> ApiResult<Account> {
    if is_admin(&session.account) {
        Ok(session.account)
    } else {
        Err(ApiError::Forbidden(
            "only customer administrators may do this",
        ))
    }
}

/// The caller, if they administer their reseller.
fn reseller_admin(session: Session) -> ApiResult<Account> {
    if session.account.role == Role::ResellerAdmin {
        Ok(session.account)
    } else {
        Err(ApiError::Forbidden(
            "only reseller administrators may do this",
        ))
    }
}

/// Appends the audit row of a change to the caller's customer (also `/admin/orgs`).
pub(crate) async fn audit_customer(
    state: &AppState,
    a: &Account,
    from: &ClientSource,
    action: &str,
    target: &str,
    detail: Value,
) -> ApiResult<()> {
    let actor = Actor::user(a, from.0.clone());
    let scope = AuditScope::Customer(a.customer_id.clone());
    audit::record(&*state.store, &actor, scope, action, target, detail).await?;
    Ok(())
}

/// Wakes what shows a change at once: the customer's live streams and the PBX sync worker.
async fn announce(state: &AppState, customer_id: &str) {
    state.hub.notify(customer_id).await;
    state.sync_wakeup.notify_one();
}

fn view(u: ManagedUser) -> AdminUserView {
    AdminUserView {
        crm_client: licence::has_crm_client(&u.permissions),
        id: u.user.id,
        name: u.user.name,
        email: u.user.email,
        extension: u.user.extension,
        role: u.role,
        active: u.active,
        devices: u.devices,
    }
}

/// The customer's user `id` (404 for an unknown or over-long id, or another customer's user).
async fn managed(state: &AppState, a: &Account, id: &str) -> ApiResult<ManagedUser> {
    if id.len() > MAX_ID_LEN {
        return Err(ApiError::NotFound("there is no such user"));
    }
    state
        .store
        .managed_users(&a.customer_id, Some(id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound("there is no such user"))
}

/// A reseller administrator's account is changed only by a reseller administrator.
fn may_change(a: &Account, target: &ManagedUser) -> ApiResult<()> {
    if target.role == Role::ResellerAdmin && a.role != Role::ResellerAdmin {
        return Err(ApiError::Forbidden(
            "only a reseller administrator may change a reseller administrator's account",
        ));
    }
    Ok(())
}

// ---- validation: every sentence says what is allowed ----

/// A display or group name: at most 100 characters as given, no control characters, something
/// besides spaces (stored trimmed).
fn check_name(raw: &str, what: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || raw.chars().count() > MAX_NAME_CHARS || raw.chars().any(char::is_control)
    {
        return Err(format!(
            "{what} must be 1 to {MAX_NAME_CHARS} characters without control characters"
        ));
    }
    Ok(name.to_owned())
}

/// A login email: trimmed and lower-cased, at most 254 bytes, `local@domain.tld` without spaces.
fn check_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let bad = || {
        format!(
            "the email must be an address such as name@example.com, at most {MAX_EMAIL_LEN} characters"
        )
    };
    if email.is_empty() || email.len() > MAX_EMAIL_LEN {
        return Err(bad());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(bad());
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@\"(),:;<>[\\]".contains(c));
    let domain_ok = domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(bad())
    }
}

/// An extension: 2 to 6 digits, nothing else.
fn check_extension(raw: &str) -> Result<String, String> {
    match ucclient_core::phone::as_extension(raw) {
        Some(ext) if ext == raw => Ok(ext.to_owned()),
        _ => Err("the extension must be 2 to 6 digits".to_owned()),
    }
}

/// A password an administrator sets: 8 to 1024 characters.
fn check_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "the password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        ))
    }
}

/// A role an administrator may give: `user` or `customer_admin`.
fn check_role(role: Role) -> Result<Role, String> {
    match role {
        Role::User | Role::CustomerAdmin => Ok(role),
        Role::ResellerAdmin => Err(
            "the role must be user or customer_admin (reseller administrators are made by the \
             operator)"
                .to_owned(),
        ),
    }
}

/// Hashes a password on the blocking pool, in turn with the sign-ins' password checks.
async fn hash(state: &AppState, password: String) -> ApiResult<String> {
    let _slot = state.hasher.slot().await?;
    auth::hash_password(password)
        .await
        .map_err(|e| ApiError::Internal(format!("hashing: {e}")))
}

// ---- customer administrators: users ----

/// `GET /admin/users`: the caller's customer's users, by name.
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the customer's users, ordered by name", body = Vec<ucclient_core::api::AdminUserView>),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<Vec<AdminUserView>>> {
    let a = customer_admin(session)?;
    let users = state.store.managed_users(&a.customer_id, None).await?;
    Ok(ApiJson(users.into_iter().map(view).collect()))
}

/// `POST /admin/users`: creates a user of the caller's customer (without a password: an invited
/// user, who signs in with the company's identity provider or after a password reset).
#[utoipa::path(post, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::NewAdminUser, content_type = "application/json"),
    responses(
    (status = 201, description = "created", body = ucclient_core::api::AdminUserView),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "email_taken (another user's login already) or extension_taken (a user's or hunt group's of the customer already)", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_user: the name, email, extension, role or password is not valid (the message says which and what is allowed)", body = ucclient_core::api::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(new)): ApiJson<Body<NewAdminUser>>,
) -> ApiResult<(StatusCode, ApiJson<AdminUserView>)> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let name = check_name(&new.name, "the name").map_err(ApiError::InvalidUser)?;
    let email = check_email(&new.email).map_err(ApiError::InvalidUser)?;
    let extension = check_extension(&new.extension).map_err(ApiError::InvalidUser)?;
    let role = check_role(new.role.unwrap_or_default()).map_err(ApiError::InvalidUser)?;
    if let Some(pw) = &new.password {
        check_password(pw).map_err(ApiError::InvalidUser)?;
    }
    if state.store.email_taken(&email).await? {
        return Err(ApiError::EmailTaken);
    }
    if state
        .store
        .extension_taken(&a.customer_id, &extension, None)
        .await?
    {
        return Err(ApiError::ExtensionTaken);
    }
    let count = state.store.managed_users(&a.customer_id, None).await?.len();
    if count >= MAX_USERS_PER_CUSTOMER {
        return Err(ApiError::InvalidUser(format!(
            "a customer has at most {MAX_USERS_PER_CUSTOMER} users"
        )));
    }
    let invited = new.password.is_none();
    // An invited user's hash is of a random secret nobody knows: no password signs them in, and
    // checking one costs what checking a real one does.
    let password = new.password.unwrap_or_else(auth::new_secret);
    let password_hash = hash(&state, password).await?;
    let id = auth::new_id();
    let created = state
        .store
        .create_user(&NewUser {
            id: id.clone(),
            customer_id: a.customer_id.clone(),
            name: name.clone(),
            email: email.clone(),
            extension: extension.clone(),
            password_hash,
            role,
            permissions: if new.crm_client {
                vec![CRM_CLIENT.to_owned()]
            } else {
                Vec::new()
            },
        })
        .await;
    match created {
        Ok(()) => {}
        // Taken between the checks and the insert.
        Err(StoreError::Conflict(m)) if m.contains("email") => return Err(ApiError::EmailTaken),
        Err(StoreError::Conflict(_)) => return Err(ApiError::ExtensionTaken),
        Err(e) => return Err(e.into()),
    }
    announce(&state, &a.customer_id).await;
    audit_customer(
        &state,
        &a,
        &from,
        "user.create",
        &id,
        json!({"name": name, "email": email, "extension": extension, "role": role,
               "crm_client": new.crm_client, "invited": invited}),
    )
    .await?;
    tracing::info!(customer = %a.customer_id, user = %id, by = %a.user.id, "user created");
    let user = managed(&state, &a, &id).await?;
    Ok((StatusCode::CREATED, ApiJson(view(user))))
}

/// `PATCH /admin/users/{id}`: renames, (de)activates, grants or revokes `crm_client`, or changes
/// the role of a user of the caller's customer; only the fields given change. Deactivation ends
/// the user's sessions and live streams; revoking `crm_client` shows "not enabled" in their
/// widget live.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "user id")),
    request_body(content = ucclient_core::api::AdminUserPatch, content_type = "application/json"),
    responses(
    (status = 200, description = "the user as changed", body = ucclient_core::api::AdminUserView),
    (status = 403, description = "forbidden: not a customer administrator, or a reseller administrator's account changed by someone who is not one", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such user of this customer", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "own_account: administrators may not deactivate or demote themselves", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_user: the name or role is not valid", body = ucclient_core::api::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
    ApiJson(Body(patch)): ApiJson<Body<AdminUserPatch>>,
) -> ApiResult<ApiJson<AdminUserView>> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let target = managed(&state, &a, &id).await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| check_name(n, "the name"))
        .transpose()
        .map_err(ApiError::InvalidUser)?;
    let role = patch
        .role
        .map(check_role)
        .transpose()
        .map_err(ApiError::InvalidUser)?;
    // Only what really changes is written and audited.
    let name = name.filter(|n| *n != target.user.name);
    let role = role.filter(|r| *r != target.role);
    let active = patch.active.filter(|on| *on != target.active);
    let crm_client = patch
        .crm_client
        .filter(|on| *on != licence::has_crm_client(&target.permissions));
    if name.is_none() && role.is_none() && active.is_none() && crm_client.is_none() {
        return Ok(ApiJson(view(target)));
    }
    may_change(&a, &target)?;
    if target.user.id == a.user.id && (active == Some(false) || role.is_some()) {
        return Err(ApiError::OwnAccount);
    }
    let gone = || ApiError::NotFound("there is no such user");
    let mut detail = serde_json::Map::new();
    if let Some(n) = &name {
        if !state.store.set_user_name(&a.customer_id, &id, n).await? {
            return Err(gone());
        }
        detail.insert("name".into(), json!({"from": target.user.name, "to": n}));
    }
    if let Some(r) = role {
        if !state.store.set_role(&id, r).await? {
            return Err(gone());
        }
        detail.insert("role".into(), json!({"from": target.role, "to": r}));
    }
    if let Some(on) = crm_client {
        if !admin_live::permission(&*state.store, &id, CRM_CLIENT, on).await? {
            return Err(gone());
        }
        detail.insert("crm_client".into(), json!(on));
    }
    if let Some(on) = active {
        if !admin_live::set_active(&*state.store, &a.customer_id, &id, on).await? {
            return Err(gone());
        }
        detail.insert("active".into(), json!(on));
    }
    announce(&state, &a.customer_id).await;
    audit_customer(&state, &a, &from, "user.update", &id, Value::Object(detail)).await?;
    tracing::info!(customer = %a.customer_id, user = %id, by = %a.user.id, "user changed");
    Ok(ApiJson(view(managed(&state, &a, &id).await?)))
}

/// `PUT /admin/users/{id}/password`: sets a user's password; their sessions and live streams end.
#[utoipa::path(put, path = "/admin/users/{id}/password", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "user id")),
    request_body(content = ucclient_core::api::AdminPassword, content_type = "application/json"),
    responses(
    (status = 204, description = "set; the user's sessions ended"),
    (status = 403, description = "forbidden: not a customer administrator, or a reseller administrator's password set by someone who is not one", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such user of this customer", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "passwords_off: the customer switched password sign-in off", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_user: the password is not 8 to 1024 characters", body = ucclient_core::api::ErrorBody)))]
pub async fn set_password(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
    ApiJson(Body(body)): ApiJson<Body<AdminPassword>>,
) -> ApiResult<StatusCode> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let target = managed(&state, &a, &id).await?;
    check_password(&body.password).map_err(ApiError::InvalidUser)?;
    may_change(&a, &target)?;
    // A password nobody may use (`/login` refuses the customer's users) is not set.
    if !crate::sso::password_login_allowed(&state, &a.customer_id).await? {
        return Err(ApiError::PasswordsOff);
    }
    let password_hash = hash(&state, body.password).await?;
    if !state.store.set_password(&id, &password_hash).await? {
        return Err(ApiError::NotFound("there is no such user"));
    }
    announce(&state, &a.customer_id).await;
    audit_customer(&state, &a, &from, "user.password", &id, json!({})).await?;
    tracing::info!(customer = %a.customer_id, user = %id, by = %a.user.id, "password set");
    Ok(StatusCode::NO_CONTENT)
}

// ---- customer administrators: devices ----

/// `POST /admin/users/{id}/devices`: adds a device at the end of a user's list (live: in active
/// mode their PBX state is reconciled when it depends on their devices).
#[utoipa::path(post, path = "/admin/users/{id}/devices", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "user id")),
    request_body(content = ucclient_core::api::NewAdminDevice, content_type = "application/json"),
    responses(
    (status = 201, description = "added", body = ucclient_core::api::Device),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such user of this customer", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_device: an unknown kind, a label or number that is not valid, or the user has 20 devices already", body = ucclient_core::api::ErrorBody)))]
pub async fn add_device(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
    ApiJson(Body(new)): ApiJson<Body<NewAdminDevice>>,
) -> ApiResult<(StatusCode, ApiJson<Device>)> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let target = managed(&state, &a, &id).await?;
    let default_label = match new.kind {
        DeviceKind::Desk => "Desk phone",
        DeviceKind::Softphone => "Softphone",
        DeviceKind::Mobile => "Mobile",
        DeviceKind::Other => {
            return Err(ApiError::InvalidDevice(
                "the kind must be desk, softphone or mobile".into(),
            ));
        }
    };
    let raw_label = new.label.as_deref().unwrap_or_default();
    if raw_label.chars().count() > MAX_LABEL_CHARS || raw_label.chars().any(char::is_control) {
        return Err(ApiError::InvalidDevice(format!(
            "the label must be at most {MAX_LABEL_CHARS} characters without control characters"
        )));
    }
    let label = Some(raw_label.trim())
        .filter(|l| !l.is_empty())
        .unwrap_or(default_label)
        .to_owned();
    let number = new
        .number
        .clone()
        .unwrap_or_else(|| target.user.extension.clone());
    let n = number.chars().count();
    if n == 0 || n > MAX_NUMBER_CHARS || number.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::InvalidDevice(format!(
            "the number must be a phone number or SIP address of 1 to {MAX_NUMBER_CHARS} \
             characters without spaces"
        )));
    }
    if target.devices.len() >= MAX_DEVICES_PER_USER {
        return Err(ApiError::InvalidDevice(format!(
            "a user has at most {MAX_DEVICES_PER_USER} devices"
        )));
    }
    let device = Device {
        id: auth::new_id(),
        kind: new.kind,
        label,
        number,
    };
    if !admin_live::add_device(&*state.store, &id, &device).await? {
        return Err(ApiError::NotFound("there is no such user"));
    }
    announce(&state, &a.customer_id).await;
    audit_customer(
        &state,
        &a,
        &from,
        "device.add",
        &device.id,
        json!({"user": id, "kind": device.kind, "label": device.label, "number": device.number}),
    )
    .await?;
    tracing::info!(customer = %a.customer_id, device = %device.id, by = %a.user.id, "device added");
    Ok((StatusCode::CREATED, ApiJson(device)))
}

/// `DELETE /admin/devices/{id}`: removes a device of a user of the caller's customer (live: it
/// leaves the user's routing, and in active mode their PBX state is reconciled).
#[utoipa::path(delete, path = "/admin/devices/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "device id")),
    responses(
    (status = 204, description = "removed"),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such device of this customer's users", body = ucclient_core::api::ErrorBody)))]
pub async fn remove_device(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let none = || ApiError::NotFound("there is no such device");
    if id.len() > MAX_ID_LEN {
        return Err(none());
    }
    let owner = state.store.device_owner(&id).await?.ok_or_else(none)?;
    let user = managed(&state, &a, &owner).await.map_err(|_| none())?;
    let device = user.devices.iter().find(|d| d.id == id).cloned();
    if !admin_live::remove_device(&*state.store, &id).await? {
        return Err(none());
    }
    announce(&state, &a.customer_id).await;
    let mut detail = json!({"user": owner});
    if let Some(d) = device {
        detail["kind"] = json!(d.kind);
        detail["label"] = json!(d.label);
    }
    audit_customer(&state, &a, &from, "device.remove", &id, detail).await?;
    tracing::info!(customer = %a.customer_id, device = %id, by = %a.user.id, "device removed");
    Ok(StatusCode::NO_CONTENT)
}

// ---- customer administrators: hunt groups ----

fn group_view(g: ucclient_core::api::HuntGroup) -> AdminGroup {
    AdminGroup {
        id: g.id,
        name: g.name,
        extension: g.extension,
        voicemail: g.voicemail,
        members: g.members,
    }
}

/// `GET /admin/groups`: the caller's customer's hunt groups, by name.
#[utoipa::path(get, path = "/admin/groups", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the customer's hunt groups, ordered by name", body = Vec<ucclient_core::api::AdminGroup>),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<Vec<AdminGroup>>> {
    let a = customer_admin(session)?;
    let groups = state.store.groups(&a.customer_id).await?;
    Ok(ApiJson(groups.into_iter().map(group_view).collect()))
}

/// Checks a group to write (`id`: the group it replaces, if any) and writes it; the group as
/// stored.
async fn write_group(
    state: &AppState,
    a: &Account,
    from: &ClientSource,
    id: &str,
    input: AdminGroupInput,
) -> ApiResult<AdminGroup> {
    let name = check_name(&input.name, "the group's name").map_err(ApiError::InvalidGroup)?;
    let extension = input
        .extension
        .as_deref()
        .map(check_extension)
        .transpose()
        .map_err(ApiError::InvalidGroup)?;
    if input.members.len() > MAX_GROUP_MEMBERS {
        return Err(ApiError::InvalidGroup(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    let users: HashSet<String> = state
        .store
        .managed_users(&a.customer_id, None)
        .await?
        .into_iter()
        .map(|u| u.user.id)
        .collect();
    let members: Vec<GroupMember> = input
        .members
        .iter()
        .map(AdminGroupMember::to_member)
        .collect::<Option<_>>()
        .ok_or_else(|| {
            ApiError::InvalidGroup(
                "each member is {\"user\": id} or {\"extension_list_of\": id}".into(),
            )
        })?;
    let mut seen = HashSet::new();
    for m in &members {
        let user = m.user_id();
        if !users.contains(user) {
            return Err(ApiError::InvalidGroup(
                "every member must be a user of your company".into(),
            ));
        }
        if !seen.insert(user) {
            return Err(ApiError::InvalidGroup(
                "a user is a member of a group once".into(),
            ));
        }
    }
    if let Some(ext) = &extension
        && state
            .store
            .extension_taken(&a.customer_id, ext, Some(id))
            .await?
    {
        return Err(ApiError::ExtensionTaken);
    }
    admin_live::put_group(
        &*state.store,
        &a.customer_id,
        id,
        &name,
        &members,
        extension.as_deref(),
        input.voicemail,
    )
    .await?;
    announce(state, &a.customer_id).await;
    audit_customer(
        state,
        a,
        from,
        "group.put",
        id,
        json!({"name": name, "extension": extension, "voicemail": input.voicemail,
               "members": members}),
    )
    .await?;
    tracing::info!(customer = %a.customer_id, group = %id, by = %a.user.id, "group written");
    let stored = state
        .store
        .groups(&a.customer_id)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError::Internal("group gone".into()))?;
    Ok(group_view(stored))
}

/// Whether the caller's customer has the group `id`.
async fn own_group(state: &AppState, a: &Account, id: &str) -> ApiResult<bool> {
    if id.len() > MAX_ID_LEN {
        return Ok(false);
    }
    Ok(state
        .store
        .groups(&a.customer_id)
        .await?
        .iter()
        .any(|g| g.id == id))
}

/// `POST /admin/groups`: creates a hunt group of the caller's customer.
#[utoipa::path(post, path = "/admin/groups", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::AdminGroupInput, content_type = "application/json"),
    responses(
    (status = 201, description = "created", body = ucclient_core::api::AdminGroup),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "extension_taken: the extension is a user's or another group's", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_group: the name or extension is not valid, a member is not a user of the customer or is given twice, or the customer has 200 groups already", body = ucclient_core::api::ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(input)): ApiJson<Body<AdminGroupInput>>,
) -> ApiResult<(StatusCode, ApiJson<AdminGroup>)> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if state.store.groups(&a.customer_id).await?.len() >= MAX_GROUPS_PER_CUSTOMER {
        return Err(ApiError::InvalidGroup(format!(
            "a customer has at most {MAX_GROUPS_PER_CUSTOMER} hunt groups"
        )));
    }
    let id = auth::new_id();
    let group = write_group(&state, &a, &from, &id, input).await?;
    Ok((StatusCode::CREATED, ApiJson(group)))
}

/// `PUT /admin/groups/{id}`: replaces a hunt group of the caller's customer.
#[utoipa::path(put, path = "/admin/groups/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "hunt group id")),
    request_body(content = ucclient_core::api::AdminGroupInput, content_type = "application/json"),
    responses(
    (status = 200, description = "replaced", body = ucclient_core::api::AdminGroup),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such group of this customer", body = ucclient_core::api::ErrorBody),
    (status = 409, description = "extension_taken: the extension is a user's or another group's", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_group: the name or extension is not valid, or a member is not a user of the customer or is given twice", body = ucclient_core::api::ErrorBody)))]
pub async fn put_group(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
    ApiJson(Body(input)): ApiJson<Body<AdminGroupInput>>,
) -> ApiResult<ApiJson<AdminGroup>> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if !own_group(&state, &a, &id).await? {
        return Err(ApiError::NotFound("there is no such hunt group"));
    }
    Ok(ApiJson(write_group(&state, &a, &from, &id, input).await?))
}

/// `DELETE /admin/groups/{id}`: deletes a hunt group of the caller's customer.
#[utoipa::path(delete, path = "/admin/groups/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, max_length = 64, description = "hunt group id")),
    responses(
    (status = 204, description = "deleted"),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 404, description = "not_found: no such group of this customer", body = ucclient_core::api::ErrorBody)))]
pub async fn delete_group(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    if !own_group(&state, &a, &id).await? || !state.store.delete_group(&id).await? {
        return Err(ApiError::NotFound("there is no such hunt group"));
    }
    announce(&state, &a.customer_id).await;
    audit_customer(&state, &a, &from, "group.delete", &id, json!({})).await?;
    tracing::info!(customer = %a.customer_id, group = %id, by = %a.user.id, "group deleted");
    Ok(StatusCode::NO_CONTENT)
}

// ---- customer administrators: after-call work ----

/// `GET /admin/wrap-up`: the caller's customer's dispositions and wrap-up time limit.
#[utoipa::path(get, path = "/admin/wrap-up", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the customer's after-call work settings", body = ucclient_core::api::WrapUpSettings),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn get_wrap_up(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<WrapUpSettings>> {
    let a = customer_admin(session)?;
    Ok(ApiJson(state.store.wrap_up_settings(&a.customer_id).await?))
}

/// `PUT /admin/wrap-up`: sets the caller's customer's dispositions and wrap-up time limit
/// (widgets use them from their next `/me`).
#[utoipa::path(put, path = "/admin/wrap-up", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::WrapUpSettings, content_type = "application/json"),
    responses(
    (status = 200, description = "the settings as stored", body = ucclient_core::api::WrapUpSettings),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_settings: 1 to 20 dispositions with unique codes of 1-32 a-z 0-9 _ and labels of 1-64 characters without control characters; 10 to 3600 seconds", body = ucclient_core::api::ErrorBody)))]
pub async fn put_wrap_up(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(settings)): ApiJson<Body<WrapUpSettings>>,
) -> ApiResult<ApiJson<WrapUpSettings>> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    ucclient_core::wrapup::check_dispositions(&settings.dispositions)
        .and_then(|()| ucclient_core::wrapup::check_seconds(settings.seconds))
        .map_err(|e| ApiError::InvalidSettings(e.to_string()))?;
    if !admin_live::set_wrap_up(
        &*state.store,
        &a.customer_id,
        Some(Some(&settings.dispositions)),
        Some(Some(settings.seconds)),
    )
    .await?
    {
        return Err(ApiError::Internal("customer gone".into()));
    }
    let codes: Vec<&str> = settings
        .dispositions
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    audit_customer(
        &state,
        &a,
        &from,
        "wrap_up.put",
        &a.customer_id,
        json!({"dispositions": codes, "seconds": settings.seconds}),
    )
    .await?;
    tracing::info!(customer = %a.customer_id, by = %a.user.id, "wrap-up settings set");
    Ok(ApiJson(state.store.wrap_up_settings(&a.customer_id).await?))
}

// ---- the audit log ----

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// Reads `?before=&limit=` (400 outside their bounds).
fn audit_page(uri: &Uri) -> ApiResult<(Option<i64>, i64)> {
    let q: AuditQuery = super::query(uri)?;
    let limit = q.limit.unwrap_or(AUDIT_PAGE);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_AUDIT_PAGE}"
        )));
    }
    if q.before.is_some_and(|b| b < 1) {
        return Err(ApiError::bad_request(
            "before must be an entry id, at least 1",
        ));
    }
    Ok((q.before, limit))
}

/// `GET /admin/audit?before=&limit=`: the caller's customer's audit log, newest first.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", security(("bearer" = [])),
    params(
        ("before" = Option<i64>, Query, minimum = 1, description = "only entries with a smaller id (the next page: the last id of this one)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1..=100, default 50")),
    responses(
    (status = 200, description = "audit entries, newest first", body = Vec<ucclient_core::api::AuditEntry>),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn customer_audit(
    State(state): State<AppState>,
    session: Session,
    uri: Uri,
) -> ApiResult<ApiJson<Vec<AuditEntry>>> {
    let a = customer_admin(session)?;
    let (before, limit) = audit_page(&uri)?;
    let scope = AuditScope::Customer(a.customer_id);
    Ok(ApiJson(state.store.audit(&scope, before, limit).await?))
}

// ---- reseller administrators ----

fn reseller_view(r: ResellerInfo) -> ResellerView {
    ResellerView {
        id: r.id,
        name: r.name,
        mode: r.mode,
        extension_lists: r.extension_lists,
        customers: r.customers,
    }
}

async fn reseller_of(state: &AppState, a: &Account) -> ApiResult<ResellerInfo> {
    state
        .store
        .reseller_info(&a.reseller_id)
        .await?
        .ok_or_else(|| ApiError::Internal("reseller gone".into()))
}

/// Appends the audit row of a change to the caller's reseller.
async fn audit_reseller(
    state: &AppState,
    a: &Account,
    from: &ClientSource,
    action: &str,
    target: &str,
    detail: Value,
) -> ApiResult<()> {
    let actor = Actor::user(a, from.0.clone());
    let scope = AuditScope::Reseller(a.reseller_id.clone());
    audit::record(&*state.store, &actor, scope, action, target, detail).await?;
    Ok(())
}

/// `GET /admin/reseller`: the caller's reseller, its mode and its customers.
#[utoipa::path(get, path = "/admin/reseller", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the reseller with its customers and their user counts", body = ucclient_core::api::ResellerView),
    (status = 403, description = "forbidden: not a reseller administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn reseller(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<ResellerView>> {
    let a = reseller_admin(session)?;
    Ok(ApiJson(reseller_view(reseller_of(&state, &a).await?)))
}

/// `PUT /admin/reseller/mode`: sets the reseller's presence mode and extension-list feature
/// (live: every user's PBX state is reconciled, as with the operator's `reseller mode`).
#[utoipa::path(put, path = "/admin/reseller/mode", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::ResellerModeRequest, content_type = "application/json"),
    responses(
    (status = 200, description = "the reseller as changed", body = ucclient_core::api::ResellerView),
    (status = 403, description = "forbidden: not a reseller administrator", body = ucclient_core::api::ErrorBody),
    (status = 503, description = "unavailable, with Retry-After: users kept changing their presence meanwhile; try again", body = ucclient_core::api::ErrorBody)))]
pub async fn reseller_mode(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(req)): ApiJson<Body<ResellerModeRequest>>,
) -> ApiResult<ApiJson<ResellerView>> {
    let a = reseller_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let before = reseller_of(&state, &a).await?;
    match admin_live::reseller_mode(&*state.store, &a.reseller_id, req.mode, req.extension_lists)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::Internal("reseller gone".into())),
        Err(StoreError::Conflict(_)) => return Err(ApiError::Busy(1)),
        Err(e) => return Err(e.into()),
    }
    for c in &before.customers {
        announce(&state, &c.id).await;
    }
    audit_reseller(
        &state,
        &a,
        &from,
        "reseller.mode",
        &a.reseller_id,
        json!({"mode": {"from": before.mode, "to": req.mode},
               "extension_lists": {"from": before.extension_lists, "to": req.extension_lists}}),
    )
    .await?;
    tracing::info!(reseller = %a.reseller_id, mode = req.mode.as_str(), by = %a.user.id, "reseller mode set");
    Ok(ApiJson(reseller_view(reseller_of(&state, &a).await?)))
}

/// `POST /admin/reseller/customers`: creates a customer of the caller's reseller.
#[utoipa::path(post, path = "/admin/reseller/customers", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::api::NewResellerCustomer, content_type = "application/json"),
    responses(
    (status = 201, description = "created", body = ucclient_core::api::ResellerCustomer),
    (status = 403, description = "forbidden: not a reseller administrator", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_customer: the name is not 1 to 100 characters, the country not one whose numbers the service can normalise, or the reseller has 1000 customers already", body = ucclient_core::api::ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(new)): ApiJson<Body<NewResellerCustomer>>,
) -> ApiResult<(StatusCode, ApiJson<ResellerCustomer>)> {
    let a = reseller_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    let name = check_name(&new.name, "the customer's name").map_err(ApiError::InvalidCustomer)?;
    let country = new.country.to_ascii_uppercase();
    let letters = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    if !letters || ucclient_core::phone::country(&country).is_none() {
        return Err(ApiError::InvalidCustomer(
            "the country must be an ISO 3166-1 alpha-2 code whose phone numbers the service can \
             normalise (such as PT, BR, GB, US)"
                .into(),
        ));
    }
    if reseller_of(&state, &a).await?.customers.len() >= MAX_CUSTOMERS_PER_RESELLER {
        return Err(ApiError::InvalidCustomer(format!(
            "a reseller has at most {MAX_CUSTOMERS_PER_RESELLER} customers"
        )));
    }
    let id = auth::new_id();
    state
        .store
        .create_customer(&id, &a.reseller_id, &name, &country)
        .await?;
    audit_reseller(
        &state,
        &a,
        &from,
        "customer.create",
        &id,
        json!({"name": name, "country": country}),
    )
    .await?;
    tracing::info!(reseller = %a.reseller_id, customer = %id, by = %a.user.id, "customer created");
    Ok((
        StatusCode::CREATED,
        ApiJson(ResellerCustomer {
            id,
            name,
            country,
            users: 0,
        }),
    ))
}

/// `GET /admin/reseller/audit?before=&limit=`: the reseller's own audit log (its mode, its new
/// customers), newest first.
#[utoipa::path(get, path = "/admin/reseller/audit", tag = "admin", security(("bearer" = [])),
    params(
        ("before" = Option<i64>, Query, minimum = 1, description = "only entries with a smaller id (the next page: the last id of this one)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1..=100, default 50")),
    responses(
    (status = 200, description = "audit entries, newest first", body = Vec<ucclient_core::api::AuditEntry>),
    (status = 403, description = "forbidden: not a reseller administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn reseller_audit(
    State(state): State<AppState>,
    session: Session,
    uri: Uri,
) -> ApiResult<ApiJson<Vec<AuditEntry>>> {
    let a = reseller_admin(session)?;
    let (before, limit) = audit_page(&uri)?;
    let scope = AuditScope::Reseller(a.reseller_id);
    Ok(ApiJson(state.store.audit(&scope, before, limit).await?))
}

// ---- presence-server: the customer's CRM presence map (issue 14) ----

/// `GET /admin/crm-presence`: the caller's customer's map between the CRMs' agent statuses and
/// presence profiles (core's default until one is stored).
#[utoipa::path(get, path = "/admin/crm-presence", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "the customer's CRM presence map", body = ucclient_core::crm_presence::CrmPresenceMap),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody)))]
pub async fn get_crm_presence(
    State(state): State<AppState>,
    session: Session,
) -> ApiResult<ApiJson<CrmPresenceMap>> {
    let a = customer_admin(session)?;
    Ok(ApiJson(state.store.crm_presence(&a.customer_id).await?))
}

/// `PUT /admin/crm-presence`: replaces the caller's customer's CRM presence map, status names
/// trimmed (widgets use it from their next `/me`).
#[utoipa::path(put, path = "/admin/crm-presence", tag = "admin", security(("bearer" = [])),
    request_body(content = ucclient_core::crm_presence::CrmPresenceMap, content_type = "application/json"),
    responses(
    (status = 200, description = "the map as stored (status names trimmed)", body = ucclient_core::crm_presence::CrmPresenceMap),
    (status = 403, description = "forbidden: not a customer administrator", body = ucclient_core::api::ErrorBody),
    (status = 422, description = "invalid_crm_presence: at most 64 rules per CRM, status names of 1 to 80 characters without control characters, no status twice in one CRM (ignoring case, spaces, _ and -), known profiles only; the message says which", body = ucclient_core::api::ErrorBody)))]
pub async fn put_crm_presence(
    State(state): State<AppState>,
    session: Session,
    from: ClientSource,
    ApiJson(Body(map)): ApiJson<Body<CrmPresenceMap>>,
) -> ApiResult<ApiJson<CrmPresenceMap>> {
    let a = customer_admin(session)?;
    limits::spend(&state, &a.user.id, Budget::Writes).await?;
    map.check().map_err(ApiError::InvalidCrmPresence)?;
    let map = map.trimmed();
    if !admin_live::set_crm_presence(&*state.store, &a.customer_id, Some(&map)).await? {
        return Err(ApiError::Internal("customer gone".into()));
    }
    let detail = admin_live::crm_presence_detail(&map);
    audit_customer(
        &state,
        &a,
        &from,
        "crm_presence.put",
        &a.customer_id,
        detail,
    )
    .await?;
    tracing::info!(customer = %a.customer_id, by = %a.user.id, "CRM presence map set");
    Ok(ApiJson(state.store.crm_presence(&a.customer_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        assert_eq!(
            check_email("  Ana@Acme.Example ").as_deref(),
            Ok("ana@acme.example")
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@acme.example",
            "ana@acme",
            "a b@acme.example",
            "ana@acme..example",
            "ana@ac me.example",
            "ana@@acme.example",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
        assert!(check_email(&format!("{}@acme.example", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_extensions_passwords_and_roles_have_bounds() {
        assert_eq!(check_name("  Ana  ", "x").as_deref(), Ok("Ana"));
        assert!(check_name("   ", "x").is_err());
        assert!(check_name("a\u{7}b", "x").is_err());
        assert!(check_name(&"ã".repeat(100), "x").is_ok());
        assert!(check_name(&"ã".repeat(101), "x").is_err());
        assert!(check_name(&format!("{} ", "a".repeat(100)), "x").is_err());
        assert_eq!(check_extension("205").as_deref(), Ok("205"));
        assert!(check_extension(" 205").is_err());
        assert!(check_extension("2").is_err() && check_extension("1234567").is_err());
        assert!(check_extension("20a").is_err());
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password(&"é".repeat(1024)).is_ok());
        assert!(check_password(&"é".repeat(1025)).is_err());
        assert!(check_role(Role::ResellerAdmin).is_err());
        assert_eq!(check_role(Role::CustomerAdmin), Ok(Role::CustomerAdmin));
    }
}
