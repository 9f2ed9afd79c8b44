//! The softphone registration (issue 17): the open panel registered as the user's softphone
//! device, one per user across every node (the registration is stored: [`SoftphoneStore`]).
//!
//! - [`register`] (`PUT /softphone`) makes the panel the user's softphone, replacing any other
//!   panel's registration; the replaced one's end is logged as a `softphone` event
//!   (`SoftphoneEvent {registration, state: replaced}`) to the user's own streams only.
//! - [`keep_alive`] (`POST /softphone/{id}/keepalive`, every 10 s from the widget) moves its
//!   expiry [`EXPIRES_IN_SECS`] on; [`sweep`], run with every node heartbeat, expires the
//!   registrations nobody kept alive (`expired`), each once however many nodes sweep.
//! - [`end`] (`DELETE /softphone/{id}`, the page going away) ends it (`ended`).
//! - [`current`] and [`require`] are for the rest of the server: whether the user has a softphone
//!   registration now, and whether a request names it (the media endpoint's check).
//!
//! Registration ids are random (128 bits, hex) and say nothing by themselves: every route also
//! takes the user's bearer token, and a registration is only ever looked up as that user's.
//!
//! [`SoftphoneStore`]: crate::store::SoftphoneStore

use ucclient_core::api::{DeviceKind, SoftphoneRegisterRequest, SoftphoneRegistration};

use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::store::{Account, StoredRegistration};

/// Seconds a registration lives without a keep-alive (the widget sends one every 10 s). A
/// registration is swept within a node heartbeat (5 s) after it expires; until then it already
/// reads as gone ([`current`], keep-alive and end answer as for a replaced one).
pub const EXPIRES_IN_SECS: u32 = 30;
/// Longest registration or device id accepted (ours are 32 characters); a longer one is refused
/// before the store is asked.
pub const MAX_ID_LEN: usize = 64;
/// Most expired registrations one sweep deletes (the next heartbeat takes the rest).
pub const SWEEP_LIMIT: i64 = 1_000;

/// A user's current softphone registration (see [`current`]).
pub type Registration = StoredRegistration;

/// The answer of a 404 for a registration that is not the user's current one.
const NOT_CURRENT: ApiError =
    ApiError::NotFound("this panel is not your softphone any more: it was replaced or expired");

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn expiry(now_ms: i64) -> i64 {
    now_ms + i64::from(EXPIRES_IN_SECS) * 1000
}

/// `PUT /softphone`: registers the panel as the user's softphone device — `req.device` when it is
/// one of the user's devices of kind `softphone`, else (none given) their first such device; 422
/// `unknown_device` otherwise. A registration the user had is replaced, and its end announced to
/// their streams in the same commit.
pub async fn register(
    state: &AppState,
    account: &Account,
    req: SoftphoneRegisterRequest,
) -> ApiResult<SoftphoneRegistration> {
    if req.device.as_ref().is_some_and(|d| d.len() > MAX_ID_LEN) {
        return Err(ApiError::UnknownDevice);
    }
    let devices = state.store.devices(&account.user.id).await?;
    let mut softphones = devices
        .into_iter()
        .filter(|d| d.kind == DeviceKind::Softphone);
    let device = match &req.device {
        Some(id) => softphones.find(|d| &d.id == id),
        None => softphones.next(),
    }
    .ok_or(ApiError::UnknownDevice)?;
    let now = now_ms();
    let reg = StoredRegistration {
        id: auth::new_id(),
        user_id: account.user.id.clone(),
        customer_id: account.customer_id.clone(),
        device_id: device.id,
        expires_ms: expiry(now),
    };
    let replaced = state.store.register_softphone(&reg, now).await?;
    if let Some(old) = &replaced {
        tracing::info!(user = %reg.user_id, registration = %old.id, "softphone registration replaced");
        state.hub.notify(&reg.customer_id).await;
    }
    tracing::info!(user = %reg.user_id, device = %reg.device_id, registration = %reg.id, "softphone registered");
    Ok(SoftphoneRegistration {
        id: reg.id,
        device: reg.device_id,
        expires_in: EXPIRES_IN_SECS,
    })
}

/// `POST /softphone/{id}/keepalive`: the registration lives [`EXPIRES_IN_SECS`] from now; 404
/// `not_found` when it is not the user's current one (replaced, ended or expired).
pub async fn keep_alive(state: &AppState, account: &Account, id: &str) -> ApiResult<()> {
    if id.len() > MAX_ID_LEN {
        return Err(NOT_CURRENT);
    }
    let now = now_ms();
    if state
        .store
        .keep_softphone_alive(&account.user.id, id, now, expiry(now))
        .await?
    {
        Ok(())
    } else {
        Err(NOT_CURRENT)
    }
}

/// `DELETE /softphone/{id}`: ends the registration (the page is going away), announcing it
/// (`ended`); 404 `not_found` when it is not the user's current one.
pub async fn end(state: &AppState, account: &Account, id: &str) -> ApiResult<()> {
    if id.len() > MAX_ID_LEN {
        return Err(NOT_CURRENT);
    }
    if !state
        .store
        .end_softphone(&account.user.id, id, now_ms())
        .await?
    {
        return Err(NOT_CURRENT);
    }
    tracing::info!(user = %account.user.id, registration = %id, "softphone registration ended");
    state.hub.notify(&account.customer_id).await;
    Ok(())
}

/// The user's current softphone registration, if they have one that has not expired — on any
/// node: it is read from the store. For the rest of the server (the media endpoint, routing that
/// wants to know whether the softphone can ring).
pub async fn current(state: &AppState, user_id: &str) -> ApiResult<Option<Registration>> {
    Ok(state
        .store
        .softphone_registration(user_id, now_ms())
        .await?)
}

/// The user's current registration, if it is the one named `registration`; 409
/// `softphone_not_registered` otherwise (another panel took over, it expired or was ended, it was
/// never theirs). What `POST /calls/{id}/media` checks before it answers an offer.
pub async fn require(
    state: &AppState,
    user_id: &str,
    registration: &str,
) -> ApiResult<Registration> {
    if registration.len() > MAX_ID_LEN {
        return Err(ApiError::SoftphoneNotRegistered);
    }
    current(state, user_id)
        .await?
        .filter(|r| r.id == registration)
        .ok_or(ApiError::SoftphoneNotRegistered)
}

/// Expires the registrations not kept alive by `now_ms` (run with every node heartbeat): each is
/// deleted and its end (`expired`) logged by exactly one node, and the streams of its customer are
/// woken. How many expired.
pub async fn sweep(state: &AppState, now_ms: i64) -> ApiResult<usize> {
    let expired = state.store.expire_softphones(now_ms, SWEEP_LIMIT).await?;
    let mut customers: Vec<&str> = expired.iter().map(|r| r.customer_id.as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    for r in &expired {
        tracing::info!(user = %r.user_id, registration = %r.id, "softphone registration expired");
    }
    for customer in customers {
        state.hub.notify(customer).await;
    }
    Ok(expired.len())
}
