//! Calls: click-to-dial, inbound calls of the embedded PBX, history, hang-up, and the simulation the
//! embedded PBX plays (dialing → ringing → connected → ended) on tokio's clock, so tests can pause it.
//!
//! Every transition is one conditional update (a call only moves forward, so a hang-up racing the
//! simulation cannot be undone), committed with its `call` event for the owner and, when the owner's
//! on-call state changes, a `presence` event for the customer (the busy overlay).

use chrono::Utc;
use ucclient_core::api::{
    Call, CallDirection, CallState, InboundCallRequest, PlaceCallRequest, Timestamp,
};
use ucclient_core::phone;
use ucclient_core::ring::{UserLine, ring_user};

use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::presence;
use crate::store::{Account, NewEvent, OwnedCall};

/// Most calls `GET /calls` returns.
pub const MAX_HISTORY: i64 = 200;
/// Longest CRM record id or object type kept with a call.
const MAX_CONTEXT_LEN: usize = 256;

fn call_event(customer_id: &str, user_id: &str, call: &Call) -> NewEvent {
    NewEvent {
        customer_id: customer_id.to_owned(),
        audience: Some(user_id.to_owned()),
        kind: "call",
        data: serde_json::to_string(call).unwrap_or_default(),
    }
}

/// Refuses the call if the user placed too many this minute.
async fn check_dial_rate(state: &AppState, user_id: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp_millis();
    let (count, start) = state
        .store
        .hit_rate_limit(&format!("dial:{user_id}"), 60_000, now)
        .await?;
    if count > state.config.calls_per_minute {
        let secs = ((start + 60_000 - now) as u64).div_ceil(1000).max(1);
        return Err(ApiError::RateLimited(secs));
    }
    Ok(())
}

/// `POST /calls`: a colleague's extension, or a number normalised with the customer's country.
pub async fn place(state: &AppState, account: &Account, req: PlaceCallRequest) -> ApiResult<Call> {
    let to = match phone::as_extension(&req.to) {
        Some(ext)
            if state
                .store
                .user_by_extension(&account.customer_id, ext)
                .await?
                .is_some() =>
        {
            ext.to_owned()
        }
        _ => phone::normalise(&req.to, &account.default_country)
            .map_err(|e| ApiError::InvalidNumber(e.to_string()))?
            .into_string(),
    };
    if let Some(c) = &req.context
        && (c
            .record_id
            .as_ref()
            .is_some_and(|r| r.len() > MAX_CONTEXT_LEN)
            || c.object_type
                .as_ref()
                .is_some_and(|r| r.len() > MAX_CONTEXT_LEN))
    {
        return Err(ApiError::bad_request("the call context is too long"));
    }
    check_dial_rate(state, &account.user.id).await?;
    let call = Call {
        id: auth::new_id(),
        direction: CallDirection::Outbound,
        from: account.user.extension.clone(),
        to,
        state: CallState::Dialing,
        started_at: Utc::now().into(),
        answered_at: None,
        ended_at: None,
        context: req.context,
        forwarded_to: None,
    };
    let owned = OwnedCall {
        user_id: account.user.id.clone(),
        customer_id: account.customer_id.clone(),
        call: call.clone(),
    };
    let event = call_event(&account.customer_id, &account.user.id, &call);
    state.store.insert_call(&owned, &[event]).await?;
    state.hub.notify(&account.customer_id).await;
    tokio::spawn(simulate(state.clone(), owned));
    Ok(call)
}

/// `POST /pbx/calls/inbound`: a call to a colleague; it rings what `core`'s ring resolution says,
/// is over at once as forwarded (`ended`, with `forwarded_to`) when forwarding sends it on, and
/// fails at once when nothing rings (DND).
pub async fn inbound(
    state: &AppState,
    account: &Account,
    req: InboundCallRequest,
) -> ApiResult<Call> {
    let (callee, _) = state
        .store
        .customer_user(&account.customer_id, &req.to_user)
        .await?
        .ok_or(ApiError::NotFound("there is no such user"))?;
    let from = match phone::as_extension(&req.from) {
        Some(ext) => ext.to_owned(),
        None => phone::normalise(&req.from, &account.default_country)
            .map_err(|e| ApiError::InvalidNumber(e.to_string()))?
            .into_string(),
    };
    let devices = presence::device_ids(state, &callee.id).await?;
    let pbx = state
        .pbx
        .user_state(&callee.id)
        .await
        .map_err(|e| ApiError::Internal(format!("pbx read: {e}")))?;
    let targets = ring_user(UserLine {
        devices: &devices,
        pbx: &pbx,
    });
    let now: Timestamp = Utc::now().into();
    let reaches_user = !targets.devices.is_empty();
    // Forwarded: the PBX handled it by sending it on, so it is over for the user at once, as
    // `ended` with the number (API.md's `state` has no "forwarded"); not `failed`.
    let state_now = if reaches_user {
        CallState::Ringing
    } else if targets.forwarded_to.is_some() {
        CallState::Ended
    } else {
        CallState::Failed
    };
    let call = Call {
        id: auth::new_id(),
        direction: CallDirection::Inbound,
        from,
        to: callee.extension.clone(),
        state: state_now,
        started_at: now,
        answered_at: None,
        ended_at: (!reaches_user).then_some(now),
        context: None,
        forwarded_to: targets.forwarded_to,
    };
    let owned = OwnedCall {
        user_id: callee.id.clone(),
        customer_id: account.customer_id.clone(),
        call: call.clone(),
    };
    let event = call_event(&account.customer_id, &callee.id, &call);
    state.store.insert_call(&owned, &[event]).await?;
    state.hub.notify(&account.customer_id).await;
    if reaches_user {
        tokio::spawn(simulate(state.clone(), owned));
    }
    Ok(call)
}

/// Moves a call from `expected` to `next`, with its events; false if it had moved on meanwhile.
async fn transition(
    state: &AppState,
    owned: &OwnedCall,
    expected: CallState,
    next: CallState,
) -> ApiResult<Option<Call>> {
    let mut call = owned.call.clone();
    if call.state != expected || !expected.can_become(next) {
        return Ok(None);
    }
    let now: Timestamp = Utc::now().into();
    call.state = next;
    if next == CallState::Connected {
        call.answered_at = Some(now);
    }
    if next.is_final() {
        call.ended_at = Some(now);
    }
    let events = [call_event(&owned.customer_id, &owned.user_id, &call)];
    // The busy overlay changes unless another call of the user keeps it; the store decides that
    // inside its write, where no other transition of the user's calls can slip in between.
    let mut overlay = None;
    if expected.is_on_call() != next.is_on_call()
        && let Some(account) = state.store.account(&owned.user_id).await?
    {
        let row = presence::row_of(state, &owned.user_id).await?;
        let p = presence::presence_of(state, &row, &account.permissions, next.is_on_call());
        overlay = Some(presence::presence_event(
            &owned.customer_id,
            &owned.user_id,
            &p,
        ));
    }
    if state
        .store
        .update_call(&call, expected, &events, overlay.as_ref())
        .await?
    {
        state.hub.notify(&owned.customer_id).await;
        Ok(Some(call))
    } else {
        Ok(None)
    }
}

/// The embedded PBX playing a call: each step waits on tokio's clock, then moves the call on if
/// nobody hung up meanwhile.
async fn simulate(state: AppState, mut owned: OwnedCall) {
    let timings = state.config.call_timings;
    let mut steps: Vec<(std::time::Duration, CallState)> = Vec::new();
    if owned.call.state == CallState::Dialing {
        steps.push((timings.dial, CallState::Ringing));
    }
    steps.push((timings.ring, CallState::Connected));
    if let Some(talk) = timings.talk {
        steps.push((talk, CallState::Ended));
    }
    for (wait, next) in steps {
        tokio::time::sleep(wait).await;
        match transition(&state, &owned, owned.call.state, next).await {
            Ok(Some(call)) => owned.call = call,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "call simulation");
                return;
            }
        }
    }
}

/// `POST /calls/<id>/hangup`: ends the user's own call (another's, or an unknown id, is 404).
pub async fn hangup(state: &AppState, account: &Account, call_id: &str) -> ApiResult<Call> {
    // A transition of the simulation may slip in between read and update; then read again.
    for _ in 0..5 {
        let owned = state
            .store
            .call(call_id)
            .await?
            .filter(|c| c.user_id == account.user.id)
            .ok_or(ApiError::NotFound("there is no such call"))?;
        if owned.call.state.is_final() {
            return Ok(owned.call);
        }
        let from = owned.call.state;
        if let Some(call) = transition(state, &owned, from, CallState::Ended).await? {
            return Ok(call);
        }
    }
    Err(ApiError::Internal("hang-up kept racing the call".into()))
}

/// `GET /calls`.
pub async fn history(state: &AppState, account: &Account, limit: i64) -> ApiResult<Vec<Call>> {
    Ok(state.store.calls_of(&account.user.id, limit).await?)
}

/// At start-up: calls the previous process was playing cannot go on (the simulation lived there),
/// so they end — connected ones as ended, the others as failed — with their events.
pub async fn end_orphans(state: &AppState) -> ApiResult<()> {
    for owned in state.store.live_calls(None).await? {
        let next = if owned.call.state == CallState::Connected {
            CallState::Ended
        } else {
            CallState::Failed
        };
        let from = owned.call.state;
        transition(state, &owned, from, next).await?;
    }
    Ok(())
}
