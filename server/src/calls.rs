//! Calls: click-to-dial, inbound calls of the embedded PBX, history, hang-up, and the simulation the
//! embedded PBX plays (dialing → ringing → connected → ended) on tokio's clock, so tests can pause it.
//!
//! Every transition is one conditional update (a call only moves forward, so a hang-up racing the
//! simulation cannot be undone), committed with its `call` event for the owner and, when the owner's
//! on-call state changes, a `presence` event for the customer (the busy overlay).

use std::sync::Arc;

use chrono::Utc;
use ucclient_core::api::{
    Call, CallDirection, CallState, InboundCallRequest, MAX_CONTEXT_LEN, PlaceCallRequest,
    Timestamp,
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
    crate::limits::per_minute(
        state,
        &format!("dial:{user_id}"),
        state.config.calls_per_minute,
    )
    .await
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
    // Characters, as the OpenAPI document's `maxLength` counts them.
    let too_long = |s: &Option<String>| {
        s.as_ref()
            .is_some_and(|s| s.chars().count() > MAX_CONTEXT_LEN)
    };
    if let Some(c) = &req.context
        && (too_long(&c.record_id) || too_long(&c.object_type))
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
    start_simulation(state, owned);
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
        start_simulation(state, owned);
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

/// The calls the embedded PBX is playing in this process.
#[derive(Debug, Default)]
pub struct Simulations(std::sync::atomic::AtomicUsize);

impl Simulations {
    /// How many simulations are running (a test waits for 0: no timer is left to fire).
    pub fn running(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Counts one running simulation while it lives.
struct Playing(Arc<Simulations>);

impl Drop for Playing {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Starts playing a new call. Its phases are timed from now, on tokio's clock, before the caller
/// answers: whoever moves the clock later (a test's `advance`) moves them, however late the task
/// first runs.
fn start_simulation(state: &AppState, owned: OwnedCall) {
    state
        .simulations
        .0
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let playing = Playing(state.simulations.clone());
    let begun = tokio::time::Instant::now();
    let state = state.clone();
    tokio::spawn(async move {
        let _playing = playing;
        simulate(state, owned, begun).await;
    });
}

/// The embedded PBX playing a call: each step waits until its time after `begun` on tokio's
/// clock, then moves the call on if nobody hung up meanwhile.
async fn simulate(state: AppState, mut owned: OwnedCall, begun: tokio::time::Instant) {
    let timings = state.config.call_timings;
    let mut steps: Vec<(std::time::Duration, CallState)> = Vec::new();
    if owned.call.state == CallState::Dialing {
        steps.push((timings.dial, CallState::Ringing));
    }
    steps.push((timings.ring, CallState::Connected));
    if let Some(talk) = timings.talk {
        steps.push((talk, CallState::Ended));
    }
    let mut at = begun;
    for (wait, next) in steps {
        at += wait;
        tokio::time::sleep_until(at).await;
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
