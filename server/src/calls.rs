//! Calls: click-to-dial, calls between colleagues, inbound calls of the embedded PBX, answer,
//! decline, hang-up, history, and the simulation the embedded PBX plays.
//!
//! The simulation is a chain of steps ([`StepKind`]: DIAL over, RING over, TALK over, ring timeout
//! over). Each step is stored with its call in the write that schedules it, stamped with the node
//! whose timer (on tokio's clock, so tests can pause it) plays it, and replaced or dropped by the
//! call's next move. When that node stops or dies, another adopts the call and plays the step from
//! its stored time on ([`adopt_orphans`]): a call outlives the node that placed it.
//!
//! What the simulation does (`--call-timings DIAL,RING,TALK`, `--ring-timeout-secs`):
//! - a call to a number outside: the user's own device rings for DIAL, the far side rings for RING
//!   and answers, then hangs up after TALK (never when 0);
//! - a call to a colleague's extension: after DIAL the PBX rings the colleague as a direct call
//!   (core's ring resolution: routing, forwarding, DND) and the colleague gets an inbound call of
//!   their own, linked to the caller's (`peer`); the two move together from then on;
//! - an inbound call to a user with the CRM client (a panel to answer from) rings until they answer
//!   or decline it, or for the ring timeout, after which it is missed. A user without the client
//!   has no panel: the simulated person picks up a device after RING, as before.
//! - nothing rings (DND, no device): the call is over at once — to voicemail while the user's
//!   mailbox is on (core's [`ucclient_core::voicemail`] rule), else missed; a forwarded call is
//!   recorded as forwarded. A call that rings out or is declined goes to voicemail the same way.
//!   The message (the caller's WAV, or the PBX's generated one) is stored in the write that ends
//!   the call, with a `voicemail` event for the mailbox's owner.
//!
//! Every change is one conditional write of every call it moves ([`CallStore::write_calls`]: a call
//! only moves forward, so a hang-up racing the simulation cannot be undone, and both sides of a
//! call between colleagues move in one transaction), with a `call` event for each owner and, when
//! an owner's on-call state changes, a `presence` event for the customer (the busy overlay; whether
//! another call of the owner keeps it is asked inside that same transaction).
//!
//! [`CallStore::write_calls`]: crate::store::CallStore::write_calls

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;
use ucclient_core::api::{
    AnswerRequest, Call, CallDirection, CallOutcome, CallState, CrmRecord, DeviceKind, HuntGroup,
    InboundCallRequest, MAX_CONTEXT_LEN, MAX_RECORDED_MS, MediaAnswer, MediaOffer, MissedCalls,
    PlaceCallRequest, Timestamp, TransferRequest, User, WrapUp,
};
use ucclient_core::licence;
use ucclient_core::phone::{self, DialTarget};
use ucclient_core::ring::{RingTargets, UserLine, ring_group, ring_user};
use ucclient_core::voicemail::{CallRoute, NotAnswered, group_route, unanswered_outcome};
use ucclient_core::wrapup;

use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::media::Leg;
use crate::presence;
use crate::store::{Account, CallStep, NewEvent, NewVoicemail, Overlay, OwnedCall, StepKind};
use crate::voicemail::{self, CallerMessage};

/// Most calls `GET /calls` returns.
pub const MAX_HISTORY: i64 = 200;
/// Longest device id accepted in an answer or a placed call.
const MAX_DEVICE_ID_LEN: usize = 64;
/// How often a write that lost a race with the simulation is retried.
const MAX_RACES: usize = 5;

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

/// How many call steps this process is waiting to play (a test waits for 0: no timer is left to
/// fire).
#[derive(Debug, Default)]
pub struct Simulations(std::sync::atomic::AtomicUsize);

impl Simulations {
    /// How many steps are waiting or being played.
    pub fn running(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Counts one waiting step while it lives.
struct Playing(Arc<Simulations>);

impl Drop for Playing {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// How long the phase a step ends lasts (`--call-timings`, `--ring-timeout-secs`); `None`: it
/// never ends (a far side that never hangs up), so there is no step.
fn phase(config: &crate::Config, kind: StepKind) -> Option<Duration> {
    let timings = &config.call_timings;
    match kind {
        StepKind::Dial => Some(timings.dial),
        StepKind::Answer => Some(timings.ring),
        StepKind::HangUp => timings.talk,
        StepKind::RingOut => Some(Duration::from_secs(config.ring_timeout_secs)),
        StepKind::MessageEnds => Some(Duration::from_millis(u64::from(MAX_RECORDED_MS))),
    }
}

/// Step `kind` of call `call_id`, its phase beginning now; `None` when that phase never ends.
fn step(state: &AppState, call_id: &str, kind: StepKind) -> Option<CallStep> {
    phase(&state.config, kind)?;
    Some(CallStep {
        call_id: call_id.to_owned(),
        kind,
        since_ms: Utc::now().timestamp_millis(),
        message: None,
    })
}

/// The step of an inbound call that starts ringing: a user with the CRM client answers or declines
/// from the panel, and the call rings out after the ring timeout; a user without it has no panel,
/// so the simulated person answers a device after RING.
async fn ring_step(state: &AppState, leg: &OwnedCall) -> ApiResult<Option<CallStep>> {
    let has_panel = state
        .store
        .customer_user(&leg.customer_id, &leg.user_id)
        .await?
        .is_some_and(|(_, permissions)| licence::has_crm_client(&permissions));
    let kind = if has_panel {
        StepKind::RingOut
    } else {
        StepKind::Answer
    };
    Ok(step(state, &leg.call.id, kind))
}

/// Plays `step` on this node when its phase, begun at `from` on tokio's clock, is over.
fn play(state: &AppState, step: CallStep, from: Instant) {
    if let Some(phase) = phase(&state.config, step.kind) {
        play_at(state, step, from + phase);
    }
}

/// Plays `step` on this node at `at`, on tokio's clock: whoever moves the clock (a test's
/// `advance`) moves it, however late the task first runs, and each step it stores is timed from
/// `at`. Played only if the step is still the call's and this node's: not replaced by a move of
/// the call, nor adopted by another node meanwhile.
fn play_at(state: &AppState, step: CallStep, at: Instant) {
    state
        .simulations
        .0
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let playing = Playing(state.simulations.clone());
    let state = state.clone();
    tokio::spawn(async move {
        let _playing = playing;
        tokio::time::sleep_until(at).await;
        if let Err(e) = take_step(state, step, at).await {
            tracing::error!(error = %e, "call simulation");
        }
    });
}

/// Plays `step`, due at `at`, if it is still the call's and this node's.
async fn take_step(state: AppState, step: CallStep, at: Instant) -> ApiResult<()> {
    let mine = state
        .store
        .call_step(&step.call_id)
        .await?
        .is_some_and(|stored| {
            stored.node.as_deref() == Some(&*state.node)
                && stored.step.kind == step.kind
                && stored.step.since_ms == step.since_ms
        });
    if !mine {
        return Ok(());
    }
    let id = step.call_id;
    match step.kind {
        StepKind::Dial => dialled(state, id, at).await,
        StepKind::Answer => far_side_answers(state, id, at).await,
        StepKind::HangUp => far_side_hangs_up(state, id).await,
        StepKind::RingOut => rings_out(state, id).await,
        StepKind::MessageEnds => message_ends(state, id).await,
    }
}

/// `call` moved to `next` at `now`: answered when it connects, ended when it is over.
fn moved(call: &Call, next: CallState, outcome: Option<CallOutcome>, now: Timestamp) -> Call {
    let mut call = call.clone();
    call.state = next;
    if next == CallState::Connected {
        call.answered_at = Some(now);
    }
    if next.is_final() {
        call.ended_at = Some(now);
        // Over is over: the card and the history show no hold on an ended call.
        call.held = false;
    }
    if outcome.is_some() {
        call.outcome = outcome;
    }
    call
}

/// Writes `updates` (each the new call and the state it must still be in) and `inserts` in one
/// transaction with their events, and the busy overlay of every owner whose on-call state this
/// write's calls change; false, with nothing written, when a call had moved on meanwhile.
///
/// Whether the overlay really changes also depends on the owner's other calls: that part is
/// asked by the store inside the write ([`Overlay`]), where no other transition of the owner's
/// calls can slip in between (two of them ending at once would otherwise each see the other
/// still connected, and neither announce the end of the overlay).
async fn commit(
    state: &AppState,
    updates: Vec<(OwnedCall, CallState)>,
    inserts: Vec<OwnedCall>,
    messages: Vec<NewVoicemail>,
) -> ApiResult<bool> {
    commit_then(
        state,
        updates,
        inserts,
        messages,
        Vec::new(),
        Instant::now(),
    )
    .await
}

/// [`commit`], storing `steps` in the same write (each call's next step, played by this node), and
/// playing them once it is done, each phase timed from `from`.
async fn commit_then(
    state: &AppState,
    updates: Vec<(OwnedCall, CallState)>,
    inserts: Vec<OwnedCall>,
    messages: Vec<NewVoicemail>,
    steps: Vec<CallStep>,
    from: Instant,
) -> ApiResult<bool> {
    let all: Vec<&OwnedCall> = updates.iter().map(|(c, _)| c).chain(&inserts).collect();
    let Some(customer_id) = all.first().map(|c| c.customer_id.clone()) else {
        return Ok(true);
    };
    let events: Vec<NewEvent> = all
        .iter()
        .map(|c| call_event(&c.customer_id, &c.user_id, &c.call))
        .collect();
    let mut owners: Vec<&str> = all.iter().map(|c| c.user_id.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    let mut overlays = Vec::new();
    for owner in owners {
        // On a call before and after, as far as this write's calls of the owner go (a new call
        // was on none before).
        let before = updates
            .iter()
            .any(|(c, expected)| c.user_id == owner && expected.is_on_call());
        let after = all
            .iter()
            .any(|c| c.user_id == owner && c.call.state.is_on_call());
        if before != after
            && let Some(account) = state.store.account(owner).await?
        {
            let row = presence::row_of(state, owner).await?;
            let p = presence::presence_of(state, &row, &account.permissions, after);
            overlays.push(Overlay {
                user_id: owner.to_owned(),
                event: presence::presence_event(&customer_id, owner, &p),
            });
        }
    }
    if state
        .store
        .write_calls(&updates, &inserts, &events, &overlays, &messages, &steps)
        .await?
    {
        state.hub.notify(&customer_id).await;
        // The softphones' media follows the calls it moved (connected, held, resumed, ended).
        let legs = all.iter().map(|c| Leg::of(c)).collect();
        state.media.follow(legs);
        for step in steps {
            play(state, step, from);
        }
        // Salesforce Voice: the VoiceCall of an inbound call that just ended gets its update.
        for (c, _) in &updates {
            crate::voice::call_ended(state, c);
        }
        Ok(true)
    } else {
        Ok(false)
    }
}

/// `POST /calls`: a colleague's extension, or a number normalised with the customer's country —
/// decided by `core::phone::dial_target`, exactly as the widget's preview decides. `req.device`,
/// when given, must be one of the user's devices (422 `unknown_device`): the call records it as
/// the device it was placed from ([`OwnedCall::from_device`]; the softphone, for the media
/// endpoint). The simulation plays the call alike whichever device it was placed from.
pub async fn place(state: &AppState, account: &Account, req: PlaceCallRequest) -> ApiResult<Call> {
    let (target, callee) = dial(state, account, &req.to).await?;
    // Characters, as the OpenAPI document's `maxLength` counts them.
    let too_long = |s: &Option<String>| {
        s.as_ref()
            .is_some_and(|s| s.chars().count() > MAX_CONTEXT_LEN)
    };
    if let Some(c) = &req.context
        && (too_long(&c.record_id) || too_long(&c.object_type) || too_long(&c.record_name))
    {
        return Err(ApiError::bad_request("the call context is too long"));
    }
    // The device it is placed from: one of the user's (422 otherwise), recorded with the call.
    if let Some(device) = &req.device
        && (device.len() > MAX_DEVICE_ID_LEN
            || !presence::device_ids(state, &account.user.id)
                .await?
                .contains(device))
    {
        return Err(ApiError::UnknownDevice);
    }
    check_dial_rate(state, &account.user.id).await?;
    let call = Call {
        id: auth::new_id(),
        direction: CallDirection::Outbound,
        from: account.user.extension.clone(),
        to: target,
        state: CallState::Dialing,
        started_at: Utc::now().into(),
        answered_at: None,
        ended_at: None,
        context: req.context,
        internal: callee.is_some(),
        outcome: None,
        answered_on: None,
        forwarded_to: None,
        held: false,
        wrap_up: None,
        crm_record: None,
        transferred_to: None,
        consult_of: None,
        rings_on: Vec::new(),
        leaving_message: false,
    };
    let owned = OwnedCall {
        user_id: account.user.id.clone(),
        customer_id: account.customer_id.clone(),
        call: call.clone(),
        peer: None,
        from_device: req.device,
    };
    let dial = step(state, &call.id, StepKind::Dial);
    let from = Instant::now();
    commit_then(
        state,
        vec![],
        vec![owned],
        vec![],
        dial.into_iter().collect(),
        from,
    )
    .await?;
    Ok(call)
}

/// What a direct call to `callee` does now: core's ring resolution over what the PBX holds.
async fn ring_targets(state: &AppState, callee_id: &str) -> ApiResult<RingTargets> {
    let devices = presence::device_ids(state, callee_id).await?;
    let pbx = state
        .pbx
        .user_state(callee_id)
        .await
        .map_err(|e| ApiError::Internal(format!("pbx read: {e}")))?;
    Ok(ring_user(UserLine {
        devices: &devices,
        pbx: &pbx,
    }))
}

/// The state and outcome a new inbound call starts in: ringing if a device rings, else over at
/// once — forwarded (`ended`), or, nothing rang (DND or no device), `failed` to voicemail or
/// missed as core's voicemail rule says for a mailbox that is on (`mailbox`) or not.
fn arrival(targets: &RingTargets, mailbox: bool) -> (CallState, Option<CallOutcome>) {
    if !targets.devices.is_empty() {
        (CallState::Ringing, None)
    } else if targets.forwarded_to.is_some() {
        // The PBX handled it by sending it on, so it is over for the user at once, as `ended`
        // (API.md's `state` has no "forwarded"), with `forwarded_to` set alongside.
        (CallState::Ended, Some(CallOutcome::Forwarded))
    } else {
        let why = NotAnswered::NothingRang;
        (
            CallState::Failed,
            Some(unanswered_outcome(mailbox, CallRoute::Direct, why)),
        )
    }
}

/// A new inbound call for `callee`.
fn inbound_call(
    from: String,
    callee: &User,
    internal: bool,
    targets: &RingTargets,
    mailbox: bool,
) -> Call {
    let now: Timestamp = Utc::now().into();
    let (state, outcome) = arrival(targets, mailbox);
    Call {
        id: auth::new_id(),
        direction: CallDirection::Inbound,
        from,
        to: callee.extension.clone(),
        state,
        started_at: now,
        answered_at: None,
        ended_at: state.is_final().then_some(now),
        context: None,
        internal,
        // Set exactly when the outcome is `forwarded`: the one says what happened, the other
        // where the call went.
        forwarded_to: if outcome == Some(CallOutcome::Forwarded) {
            targets.forwarded_to.clone()
        } else {
            None
        },
        outcome,
        answered_on: None,
        held: false,
        wrap_up: None,
        crm_record: None,
        transferred_to: None,
        consult_of: None,
        // What rings, for a call that does (the softphone rings only when it is listed).
        rings_on: if state == CallState::Ringing {
            targets.devices.clone()
        } else {
            Vec::new()
        },
        leaving_message: false,
    }
}

/// The message of a call that just went to voicemail, if `call` did: `audio` (the caller's), else
/// the PBX's.
fn message_left(call: &OwnedCall, audio: Option<&CallerMessage>) -> Vec<NewVoicemail> {
    if call.call.outcome != Some(CallOutcome::Voicemail) {
        return Vec::new();
    }
    let generated;
    let audio = match audio {
        Some(audio) => audio,
        None => {
            generated = voicemail::generated_message();
            &generated
        }
    };
    vec![voicemail::message_for(call, audio, voicemail::now())]
}

/// [`message_left`] for a stored call going to voicemail now: the caller's message kept with its
/// ringing step, else the PBX's.
async fn left_message(state: &AppState, call: &OwnedCall) -> ApiResult<Vec<NewVoicemail>> {
    if call.call.outcome != Some(CallOutcome::Voicemail) {
        return Ok(Vec::new());
    }
    let kept = state.store.call_step(&call.call.id).await?;
    Ok(message_left(
        call,
        kept.and_then(|k| k.step.message).as_ref(),
    ))
}

/// `POST /pbx/calls/inbound`: a call to a colleague; it rings what `core`'s ring resolution says,
/// and is over at once when nothing rings there (to voicemail or missed under DND, forwarded with
/// forwarding on). The caller's message, when given, is validated before anything happens.
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
    let (from, internal) = match phone::as_extension(&req.from) {
        Some(ext) => {
            let colleague = state
                .store
                .user_by_extension(&account.customer_id, ext)
                .await?;
            (ext.to_owned(), colleague.is_some())
        }
        None => (
            phone::normalise(&req.from, &account.default_country)
                .map_err(|e| ApiError::InvalidNumber(e.to_string()))?
                .into_string(),
            false,
        ),
    };
    let message = voicemail::caller_message(req.message_wav.as_deref())?;
    let targets = ring_targets(state, &callee.id).await?;
    let mailbox = voicemail::mailbox_takes(state, &callee.id).await?;
    let call = inbound_call(from, &callee, internal, &targets, mailbox);
    let owned = OwnedCall {
        user_id: callee.id.clone(),
        customer_id: account.customer_id.clone(),
        call: call.clone(),
        peer: None,
        from_device: None,
    };
    // Over at once to voicemail: the message goes in the same write as the call. Ringing: it is
    // kept with the call's step until the call stops ringing.
    let messages = message_left(&owned, message.as_ref());
    let mut steps = Vec::new();
    if call.state == CallState::Ringing
        && let Some(mut ring) = ring_step(state, &owned).await?
    {
        ring.message = message;
        steps.push(ring);
    }
    let from = Instant::now();
    commit_then(state, vec![], vec![owned.clone()], messages, steps, from).await?;
    // Salesforce Voice: the VoiceCall record, in the background (never delays or fails the call).
    crate::voice::inbound_call_created(state, &owned);
    Ok(call)
}

/// The current stored version of a call, if it is still in `expected`.
async fn still(state: &AppState, id: &str, expected: CallState) -> ApiResult<Option<OwnedCall>> {
    Ok(state
        .store
        .call(id)
        .await?
        .filter(|c| c.call.state == expected))
}

/// DIAL is over for the outbound call `id` (at `at`): the callee's side rings. A colleague's
/// extension: the PBX rings them as a direct call and they get an inbound call of their own; a hunt
/// group's: its members ring; a number outside: the simulated far side rings.
async fn dialled(state: AppState, id: String, at: Instant) -> ApiResult<()> {
    let Some(caller) = still(&state, &id, CallState::Dialing).await? else {
        return Ok(());
    };
    let now: Timestamp = Utc::now().into();
    let callee = match callee_of(&state, &caller).await? {
        Some(Callee::Group(group)) => return ring_group_call(state, caller, group, at).await,
        Some(Callee::User(user)) => user,
        None if caller.call.internal => {
            // The colleague or group was deleted while the call dialled: nobody to ring.
            finish(&state, &caller, CallState::Failed, None, None).await?;
            return Ok(());
        }
        None => {
            let ringing = with_call(&caller, moved(&caller.call, CallState::Ringing, None, now));
            let answer = step(&state, &id, StepKind::Answer);
            let updates = vec![(ringing, CallState::Dialing)];
            let steps = answer.into_iter().collect();
            commit_then(&state, updates, vec![], vec![], steps, at).await?;
            return Ok(());
        }
    };
    // A colleague: the PBX rings them as a direct call, and they get an inbound call of their own.
    let targets = ring_targets(&state, &callee.id).await?;
    let mailbox = voicemail::mailbox_takes(&state, &callee.id).await?;
    let leg = OwnedCall {
        user_id: callee.id.clone(),
        customer_id: caller.customer_id.clone(),
        call: inbound_call(caller.call.from.clone(), &callee, true, &targets, mailbox),
        peer: Some(caller.call.id.clone()),
        from_device: None,
    };
    // To the colleague's voicemail: a caller on their softphone leaves the message themselves.
    let recorded =
        leg.call.outcome == Some(CallOutcome::Voicemail) && leaves_message(&state, &caller).await?;
    let messages = if recorded {
        Vec::new()
    } else {
        message_left(&leg, None)
    };
    let (next, outcome) = match leg.call.state {
        CallState::Ringing => (CallState::Ringing, None),
        // Forwarded: the caller's call goes on to the forwarding number like any outside call.
        _ if leg.call.outcome == Some(CallOutcome::Forwarded) => {
            (CallState::Ringing, Some(CallOutcome::Forwarded))
        }
        _ => (CallState::Failed, leg.call.outcome),
    };
    let mut caller_now = if recorded {
        to_mailbox(&caller, now)
    } else {
        with_call(&caller, moved(&caller.call, next, outcome, now))
    };
    caller_now.peer = Some(leg.call.id.clone());
    // Forwarded: the caller's call records where it went too, with the same `forwarded` outcome.
    caller_now.call.forwarded_to = leg.call.forwarded_to.clone();
    let next_step = if leg.call.state == CallState::Ringing {
        ring_step(&state, &leg).await?
    } else if next == CallState::Ringing {
        step(&state, &id, StepKind::Answer)
    } else if recorded {
        step(&state, &id, StepKind::MessageEnds)
    } else {
        None
    };
    let updates = vec![(caller_now, CallState::Dialing)];
    let steps = next_step.into_iter().collect();
    commit_then(&state, updates, vec![leg], messages, steps, at).await?;
    Ok(())
}

/// Who the dialling call `caller` reaches, as [`dial`] decided when it was placed (a call to an
/// extension is `internal`): the colleague or hunt group with that extension now, else nobody.
async fn callee_of(state: &AppState, caller: &OwnedCall) -> ApiResult<Option<Callee>> {
    if !caller.call.internal {
        return Ok(None);
    }
    extension_owner(state, &caller.customer_id, &caller.call.to).await
}

/// The customer's colleague or hunt group with the extension `ext`.
async fn extension_owner(
    state: &AppState,
    customer_id: &str,
    ext: &str,
) -> ApiResult<Option<Callee>> {
    Ok(
        match state.store.user_by_extension(customer_id, ext).await? {
            Some(u) => Some(Callee::User(u)),
            None => group_by_extension(state, customer_id, ext)
                .await?
                .map(Callee::Group),
        },
    )
}

/// `owned` with `call` in place of its call.
fn with_call(owned: &OwnedCall, call: Call) -> OwnedCall {
    OwnedCall {
        call,
        ..owned.clone()
    }
}

/// RING is over (at `at`): a simulated far side (outside, or a user without a panel) answers the
/// ringing call `id`, and will hang up after TALK (never when that is 0).
async fn far_side_answers(state: AppState, id: String, at: Instant) -> ApiResult<()> {
    connect(&state, &id, None, true, at).await?;
    Ok(())
}

/// TALK is over: the simulated far side hangs up the connected call `id`.
async fn far_side_hangs_up(state: AppState, id: String) -> ApiResult<()> {
    if let Some(call) = still(&state, &id, CallState::Connected).await? {
        finish(&state, &call, CallState::Ended, None, None).await?;
    }
    Ok(())
}

/// The ring timeout is over for the ringing inbound call `id` of a user with the CRM client: it
/// goes to voicemail or is missed (core's rule).
async fn rings_out(state: AppState, id: String) -> ApiResult<()> {
    if let Some(call) = still(&state, &id, CallState::Ringing).await? {
        let mailbox = voicemail::mailbox_takes(&state, &call.user_id).await?;
        let route = route_of(&state, &call).await?;
        let outcome = unanswered_outcome(mailbox, route, NotAnswered::RangOut);
        finish(&state, &call, CallState::Failed, Some(outcome), None).await?;
    }
    Ok(())
}

/// Connects a ringing call (and its peer, for a call between colleagues), recording the device
/// it was answered on; false if it was no longer ringing. When the other party is simulated — an
/// outside party (no colleague on the other side), or `far_side` (the simulated person of a user
/// without a panel answered) — it will hang up after TALK, timed from `from`: that step is
/// stored in the same write.
async fn connect(
    state: &AppState,
    id: &str,
    device: Option<String>,
    far_side: bool,
    from: Instant,
) -> ApiResult<bool> {
    for _ in 0..MAX_RACES {
        let Some(call) = still(state, id, CallState::Ringing).await? else {
            return Ok(false);
        };
        let now: Timestamp = Utc::now().into();
        let mut answered = moved(&call.call, CallState::Connected, None, now);
        answered.answered_on = device.clone();
        let mut updates = vec![(with_call(&call, answered), CallState::Ringing)];
        let peer = peer_of(state, &call).await?;
        let hang_up = if far_side || peer.is_none() {
            step(state, id, StepKind::HangUp)
        } else {
            None
        };
        if let Some(peer) = peer {
            // The caller's call connects; a group call's caller (or the colleague waiting on a
            // transfer to a group) now talks with this member.
            let mut next = peer.clone();
            if peer.call.state == CallState::Ringing {
                next.call = moved(&peer.call, CallState::Connected, None, now);
            }
            next.peer = Some(call.call.id.clone());
            if next.call != peer.call || next.peer != peer.peer {
                updates.push((next, peer.call.state));
            }
        }
        // The other members' legs of a group call: answered elsewhere.
        if let Some(anchor) = &call.peer {
            for other in state.store.calls_with_peer(anchor).await? {
                if other.call.id != call.call.id && other.call.state == CallState::Ringing {
                    let elsewhere = Some(CallOutcome::AnsweredElsewhere);
                    let over = moved(&other.call, CallState::Failed, elsewhere, now);
                    updates.push((with_call(&other, over), CallState::Ringing));
                }
            }
        }
        let steps = hang_up.into_iter().collect();
        if commit_then(state, updates, vec![], vec![], steps, from).await? {
            return Ok(true);
        }
    }
    Err(ApiError::Internal("answering kept racing the call".into()))
}

/// The other side of a call between colleagues, if it is not over.
async fn peer_of(state: &AppState, call: &OwnedCall) -> ApiResult<Option<OwnedCall>> {
    let Some(peer) = &call.peer else {
        return Ok(None);
    };
    Ok(state
        .store
        .call(peer)
        .await?
        .filter(|p| !p.call.state.is_final()))
}

/// Ends `call` as `next` with `outcome`, and its peer as `peer_end` (state and outcome; by default
/// ended if it was connected, else failed with the same outcome) in the same write, with the
/// message it left when the outcome is `voicemail`; false if the call had moved on.
async fn finish(
    state: &AppState,
    call: &OwnedCall,
    next: CallState,
    outcome: Option<CallOutcome>,
    peer_end: Option<(CallState, Option<CallOutcome>)>,
) -> ApiResult<bool> {
    let now: Timestamp = Utc::now().into();
    let mut ended = with_call(call, moved(&call.call, next, outcome, now));
    let mut messages = if call.call.leaving_message {
        // The caller was leaving a message: it ends as a call to voicemail, and what they said
        // is the message.
        if ended.call.outcome.is_none() {
            ended.call.outcome = Some(CallOutcome::Voicemail);
        }
        recorded_message(state, call).await?
    } else {
        left_message(state, &ended).await?
    };
    let mut updates = vec![(ended, call.call.state)];
    let mut steps = Vec::new();
    let peer = peer_of(state, call).await?;
    match &peer {
        Some(peer) if is_group_leg(call, peer) => {
            // One member's leg of a group call: the caller's call goes on while another member's
            // leg still rings; the last one to end unanswered ends it too (to voicemail if the
            // group's message was left on one of them, else missed).
            let others = state.store.calls_with_peer(&peer.call.id).await?;
            let live = others
                .iter()
                .any(|o| o.call.id != call.call.id && !o.call.state.is_final());
            if !live {
                let voicemail = outcome == Some(CallOutcome::Voicemail)
                    || others
                        .iter()
                        .any(|o| o.call.outcome == Some(CallOutcome::Voicemail));
                let group_outcome = Some(if voicemail {
                    CallOutcome::Voicemail
                } else {
                    CallOutcome::Missed
                });
                let (next, out) = if peer.call.state.is_on_call() {
                    (CallState::Ended, None)
                } else {
                    (CallState::Failed, group_outcome)
                };
                let ended = moved(&peer.call, next, out, now);
                updates.push((with_call(peer, ended), peer.call.state));
            }
        }
        Some(peer)
            if peer_end.is_none()
                && outcome == Some(CallOutcome::Voicemail)
                && !peer.call.state.is_on_call()
                && leaves_message(state, peer).await? =>
        {
            // To voicemail while a softphone caller waits: the mailbox answers them, and the
            // message is theirs, taken when their call ends.
            messages.clear();
            updates.push((to_mailbox(peer, now), peer.call.state));
            steps.extend(step(state, &peer.call.id, StepKind::MessageEnds));
        }
        Some(peer) => {
            let (peer_next, peer_outcome) = peer_end.unwrap_or(if peer.call.state.is_on_call() {
                (CallState::Ended, None)
            } else {
                (CallState::Failed, outcome)
            });
            let from = peer.call.state;
            let ended = moved(&peer.call, peer_next, peer_outcome, now);
            updates.push((with_call(peer, ended), from));
        }
        None => {}
    }
    // A call ending while members of a group it called still ring: they stop ringing, missed.
    for leg in state.store.calls_with_peer(&call.call.id).await? {
        let is_peer = peer.as_ref().is_some_and(|p| p.call.id == leg.call.id);
        if !is_peer && leg.call.state == CallState::Ringing {
            let over = moved(&leg.call, CallState::Failed, Some(CallOutcome::Missed), now);
            updates.push((with_call(&leg, over), CallState::Ringing));
        }
    }
    commit_then(state, updates, vec![], messages, steps, Instant::now()).await
}

/// Whether the caller of `caller`'s call, reaching a colleague's voicemail, is answered by the
/// mailbox and leaves the message themselves: an outbound call placed from one of the caller's
/// softphone devices, whose audio the media endpoint records. Any other caller's call is over at
/// once, and the message is the PBX's.
async fn leaves_message(state: &AppState, caller: &OwnedCall) -> ApiResult<bool> {
    let Some(device) = &caller.from_device else {
        return Ok(false);
    };
    if caller.call.direction != CallDirection::Outbound {
        return Ok(false);
    }
    Ok(state
        .store
        .devices(&caller.user_id)
        .await?
        .iter()
        .any(|d| &d.id == device && d.kind == DeviceKind::Softphone))
}

/// Whether `call` is connected to someone it could be transferred from or consult about: not to a
/// mailbox taking the caller's message.
fn with_someone(call: &Call) -> bool {
    call.state == CallState::Connected && !call.leaving_message
}

/// `caller`'s call answered by a colleague's mailbox at `now` ([`leaves_message`]).
fn to_mailbox(caller: &OwnedCall, now: Timestamp) -> OwnedCall {
    let mut call = moved(&caller.call, CallState::Connected, None, now);
    call.leaving_message = true;
    with_call(caller, call)
}

/// The message `caller` left (`leaving_message`), for the mailbox whose call it reached: what the
/// media endpoint recorded, else — no audio of theirs reached this node's endpoint — the PBX's
/// generated message, so the colleague still learns of the call.
async fn recorded_message(state: &AppState, caller: &OwnedCall) -> ApiResult<Vec<NewVoicemail>> {
    let Some(id) = &caller.peer else {
        return Ok(Vec::new());
    };
    let Some(mailbox_call) = state.store.call(id).await? else {
        return Ok(Vec::new());
    };
    let recorded = state
        .media
        .recording(Leg::of(caller).key())
        .await
        .filter(|samples| !samples.is_empty())
        .map(|samples| voicemail::recorded_message(&samples));
    if recorded.is_none() {
        tracing::info!(call = %caller.call.id, "no recording of the caller here: the PBX's message is left");
    }
    Ok(message_left(&mailbox_call, recorded.as_ref()))
}

/// The longest message is over for the caller `id` leaving one: the mailbox hangs up.
async fn message_ends(state: AppState, id: String) -> ApiResult<()> {
    if let Some(call) = still(&state, &id, CallState::Connected).await?
        && call.call.leaving_message
    {
        finish(&state, &call, CallState::Ended, None, None).await?;
    }
    Ok(())
}

/// The user's own call `call_id` (another's, or an unknown id, is 404).
async fn own_call(state: &AppState, account: &Account, call_id: &str) -> ApiResult<OwnedCall> {
    state
        .store
        .call(call_id)
        .await?
        .filter(|c| c.user_id == account.user.id)
        .ok_or(ApiError::NotFound("there is no such call"))
}

/// The user's own inbound call, ringing now (409 `call_not_ringing` otherwise).
async fn ringing_for(state: &AppState, account: &Account, call_id: &str) -> ApiResult<OwnedCall> {
    let owned = own_call(state, account, call_id).await?;
    if owned.call.direction != CallDirection::Inbound || owned.call.state != CallState::Ringing {
        return Err(ApiError::CallNotRinging);
    }
    Ok(owned)
}

/// `POST /calls/<id>/answer`: the PBX connects the ringing call to the device the user chose (one
/// of theirs; by default the first that rings), and the call records it.
pub async fn answer(
    state: &AppState,
    account: &Account,
    call_id: &str,
    req: AnswerRequest,
) -> ApiResult<Call> {
    let owned = ringing_for(state, account, call_id).await?;
    let devices = presence::device_ids(state, &account.user.id).await?;
    let device = match req.device {
        Some(d) if d.len() <= MAX_DEVICE_ID_LEN && devices.contains(&d) => d,
        Some(_) => return Err(ApiError::UnknownDevice),
        None => ring_targets(state, &account.user.id)
            .await?
            .devices
            .into_iter()
            .next()
            .or_else(|| devices.first().cloned())
            .ok_or(ApiError::UnknownDevice)?,
    };
    // An outside caller: the simulated far side will hang up after TALK.
    if !connect(state, &owned.call.id, Some(device), false, Instant::now()).await? {
        return Err(ApiError::CallNotRinging);
    }
    Ok(own_call(state, account, call_id).await?.call)
}

/// `POST /calls/<id>/decline`: the ringing call is rejected — to voicemail while the user's
/// mailbox takes calls (core's rule), else declined; a colleague calling sees the same outcome.
pub async fn decline(state: &AppState, account: &Account, call_id: &str) -> ApiResult<Call> {
    for _ in 0..MAX_RACES {
        let owned = ringing_for(state, account, call_id).await?;
        let mailbox = voicemail::mailbox_takes(state, &account.user.id).await?;
        let why = NotAnswered::Declined;
        let route = route_of(state, &owned).await?;
        let outcome = Some(unanswered_outcome(mailbox, route, why));
        if finish(state, &owned, CallState::Failed, outcome, None).await? {
            return Ok(own_call(state, account, call_id).await?.call);
        }
    }
    Err(ApiError::Internal("declining kept racing the call".into()))
}

/// `POST /calls/<id>/hangup`: ends the user's own call (another's, or an unknown id, is 404). The
/// colleague on the other side of an internal call is ended too: hung up if talking, missed if
/// their phone was still ringing, declined for a caller whose colleague hung up while it rang.
pub async fn hangup(state: &AppState, account: &Account, call_id: &str) -> ApiResult<Call> {
    // A transition of the simulation may slip in between read and update; then read again.
    for _ in 0..MAX_RACES {
        let owned = own_call(state, account, call_id).await?;
        if owned.call.state.is_final() {
            return Ok(owned.call);
        }
        let peer_end = if owned.call.state.is_on_call() {
            None
        } else if owned.call.direction == CallDirection::Outbound {
            Some((CallState::Failed, Some(CallOutcome::Missed)))
        } else {
            Some((CallState::Failed, Some(CallOutcome::Declined)))
        };
        if finish(state, &owned, CallState::Ended, None, peer_end).await? {
            return Ok(own_call(state, account, call_id).await?.call);
        }
    }
    Err(ApiError::Internal("hang-up kept racing the call".into()))
}

/// `POST /calls/<id>/media`: the softphone's SDP offer for the user's own call that is not over
/// (dialling or ringing: the agent is about to answer on the softphone; connected), from the
/// user's current softphone registration (409 `softphone_not_registered` otherwise), answered by
/// this node's media endpoint, whose session then follows the call.
pub async fn offer_media(
    state: &AppState,
    account: &Account,
    call_id: &str,
    offer: MediaOffer,
) -> ApiResult<MediaAnswer> {
    let owned = own_call(state, account, call_id).await?;
    crate::softphone::require(state, &account.user.id, &offer.registration).await?;
    if owned.call.state.is_final() {
        return Err(ApiError::CallEnded);
    }
    let sdp = state.media.answer(Leg::of(&owned), &offer.sdp).await?;
    // The call may have moved while the offer was answered: the session catches up.
    if let Some(now) = state.store.call(call_id).await? {
        state.media.follow(vec![Leg::of(&now)]);
    }
    Ok(MediaAnswer { sdp })
}

/// `POST /calls/<id>/hold` (`held` true) and `/resume` (false): the user's own connected call is
/// put on hold or taken off it. Only the flag moves: the call stays `connected`, so the user (and
/// a colleague on the other side) stays busy, and the simulated far side may still hang up.
pub async fn set_held(
    state: &AppState,
    account: &Account,
    call_id: &str,
    held: bool,
) -> ApiResult<Call> {
    for _ in 0..MAX_RACES {
        let owned = own_call(state, account, call_id).await?;
        if owned.call.state != CallState::Connected || owned.call.held == held {
            return Err(if held {
                ApiError::CallNotConnected
            } else {
                ApiError::CallNotHeld
            });
        }
        let mut call = owned.call.clone();
        call.held = held;
        if commit(
            state,
            vec![(with_call(&owned, call), CallState::Connected)],
            vec![],
            vec![],
        )
        .await?
        {
            return Ok(own_call(state, account, call_id).await?.call);
        }
    }
    Err(ApiError::Internal("hold kept racing the call".into()))
}

/// `POST /calls/<id>/transfer`: a blind transfer of the user's own connected call (held or not).
/// The target is decided like dialling (`core::phone::dial_target` with the customer's country).
/// The user's call ends with the outcome `transferred`, and in the same write:
/// - a colleague's extension: the colleague gets a new inbound call from the other party, ringing
///   their devices by core's ring resolution exactly like a direct call (DND, forwarding: missed
///   or forwarded at once); a colleague who was the other party is linked to that new call, so
///   the two move together from then on, and ends if it could not ring;
/// - a number outside: the PBX sends the other party there, like forwarding; a colleague who was
///   the other party talks on with the simulated far side.
pub async fn transfer(
    state: &AppState,
    account: &Account,
    call_id: &str,
    req: TransferRequest,
) -> ApiResult<Call> {
    // Someone else's call is 404 whatever the target; a caller leaving a message talks to no one
    // who could be handed on.
    if !with_someone(&own_call(state, account, call_id).await?.call) {
        return Err(ApiError::CallNotConnected);
    }
    let (target, callee) = transfer_target(state, account, &req.to).await?;
    check_dial_rate(state, &account.user.id).await?;
    let (target_user, group) = match callee {
        Some(Callee::User(u)) => (Some(u), None),
        Some(Callee::Group(g)) => (None, Some(g)),
        None => (None, None),
    };
    for _ in 0..MAX_RACES {
        let owned = own_call(state, account, call_id).await?;
        if owned.call.state != CallState::Connected {
            return Err(ApiError::CallNotConnected);
        }
        let peer = peer_of(state, &owned).await?;
        if let Some(group) = &group {
            if transfer_to_group(state, &owned, peer, group, &target).await? {
                return Ok(own_call(state, account, call_id).await?.call);
            }
            continue;
        }
        if let (Some(p), Some(t)) = (&peer, &target_user)
            && p.user_id == t.id
        {
            return Err(ApiError::TransferToSelf);
        }
        // Who the user was talking to goes on to the target.
        let now: Timestamp = Utc::now().into();
        let (other_party, update) = hand_over(&owned, &target, now);
        let mut updates = vec![update];
        let mut inserts = Vec::new();
        let mut messages = Vec::new();
        // Whether the peer talks on to the far side.
        let mut peer_talks_on = None;
        let leg = match &target_user {
            Some(callee) => {
                let targets = ring_targets(state, &callee.id).await?;
                let mailbox = voicemail::mailbox_takes(state, &callee.id).await?;
                let leg = OwnedCall {
                    user_id: callee.id.clone(),
                    customer_id: owned.customer_id.clone(),
                    call: inbound_call(other_party, callee, owned.call.internal, &targets, mailbox),
                    peer: peer.as_ref().map(|p| p.call.id.clone()),
                    from_device: None,
                };
                // Nothing rings the target (DND): the call lands in their mailbox at once.
                messages = message_left(&leg, None);
                Some(leg)
            }
            None => None,
        };
        if let Some(peer) = peer {
            let mut next = peer.clone();
            match &leg {
                Some(leg) if leg.call.state == CallState::Ringing => {
                    next.peer = Some(leg.call.id.clone());
                }
                Some(leg) if leg.call.outcome != Some(CallOutcome::Forwarded) => {
                    // Nothing rang the target: the colleague's call ends with it.
                    next.call = moved(&peer.call, CallState::Ended, None, now);
                }
                _ => {
                    next.peer = None;
                    peer_talks_on = Some(peer.call.id.clone());
                }
            }
            updates.push((next, CallState::Connected));
        }
        let mut steps = Vec::new();
        if let Some(leg) = leg {
            if leg.call.state == CallState::Ringing {
                steps.extend(ring_step(state, &leg).await?);
            }
            inserts.push(leg);
        }
        if let Some(id) = peer_talks_on {
            steps.extend(step(state, &id, StepKind::HangUp));
        }
        let from = Instant::now();
        if commit_then(state, updates, inserts, messages, steps, from).await? {
            return Ok(own_call(state, account, call_id).await?.call);
        }
    }
    Err(ApiError::Internal("transfer kept racing the call".into()))
}

/// The user's part of a call they transfer to `target`: who they were talking to (that party goes
/// on to the target), and the update that ends their connected call `transferred`, target recorded.
fn hand_over(owned: &OwnedCall, target: &str, now: Timestamp) -> (String, (OwnedCall, CallState)) {
    let other_party = match owned.call.direction {
        CallDirection::Inbound => owned.call.from.clone(),
        CallDirection::Outbound => owned.call.to.clone(),
    };
    (
        other_party,
        (
            with_call(owned, transferred(&owned.call, target, now)),
            CallState::Connected,
        ),
    )
}

/// `call` ended `transferred` to `target` (as dialled) at `now`: a blind transfer, and both of the
/// user's legs when a consultation completes.
fn transferred(call: &Call, target: &str, now: Timestamp) -> Call {
    let mut ended = moved(call, CallState::Ended, Some(CallOutcome::Transferred), now);
    ended.transferred_to = Some(target.to_owned());
    ended
}

/// A blind transfer of the user's connected call `owned` to a hunt group, in one write: the user's
/// call ends `transferred`, and every member the group rings (core's group rules; never the user)
/// gets a ringing inbound call from the other party. Their legs point at the colleague who was
/// the other party (whose call waits for a member to answer), or at the user's ended call for an
/// outside party; the first to answer takes it and the others end `answered_elsewhere`. Nobody
/// rings: the group's voicemail (if it says so) or missed, and a colleague's call ends. False if
/// the call had moved on.
async fn transfer_to_group(
    state: &AppState,
    owned: &OwnedCall,
    peer: Option<OwnedCall>,
    group: &HuntGroup,
    target: &str,
) -> ApiResult<bool> {
    let now: Timestamp = Utc::now().into();
    let (other_party, update) = hand_over(owned, target, now);
    let mut updates = vec![update];
    let anchor = peer
        .as_ref()
        .map_or_else(|| owned.call.id.clone(), |p| p.call.id.clone());
    let internal = owned.call.internal;
    let legs = group_legs(
        state,
        owned,
        other_party,
        group,
        &owned.user_id,
        anchor,
        internal,
    )
    .await?;
    let rings = legs.iter().any(|l| l.call.state == CallState::Ringing);
    if let Some(p) = peer {
        let mut next = p.clone();
        next.peer = None;
        if !rings {
            // Nobody in the group rang: the colleague's call ends with it.
            next.call = moved(&p.call, CallState::Ended, None, now);
        }
        updates.push((next, CallState::Connected));
    }
    let messages = legs.iter().flat_map(|l| message_left(l, None)).collect();
    let steps = ring_steps(state, &legs).await?;
    commit_then(state, updates, legs, messages, steps, Instant::now()).await
}

/// The inbound calls a call from `from` to `group` gives its members now, each pointing at
/// `anchor` (the call they would connect with): one ringing call per member whose devices ring by
/// core's group rules ([`ring_group`] for that member), each user once and never `caller_id`
/// (who is calling the group). When nobody rings: one call, over at once, to the voicemail of the
/// group's first member if the group and that mailbox say so (core's [`group_route`]); else none.
async fn group_legs(
    state: &AppState,
    of: &OwnedCall,
    from: String,
    group: &HuntGroup,
    caller_id: &str,
    anchor: String,
    internal: bool,
) -> ApiResult<Vec<OwnedCall>> {
    let now: Timestamp = Utc::now().into();
    let ext = group.extension.clone().unwrap_or_default();
    let leg = |user_id: &str, state: CallState, outcome: Option<CallOutcome>, rings_on| OwnedCall {
        user_id: user_id.to_owned(),
        customer_id: of.customer_id.clone(),
        call: Call {
            id: auth::new_id(),
            direction: CallDirection::Inbound,
            from: from.clone(),
            to: ext.clone(),
            state,
            started_at: now,
            answered_at: None,
            ended_at: state.is_final().then_some(now),
            context: None,
            internal,
            outcome,
            answered_on: None,
            forwarded_to: None,
            held: false,
            transferred_to: None,
            consult_of: None,
            wrap_up: None,
            crm_record: None,
            rings_on,
            leaving_message: false,
        },
        peer: Some(anchor.clone()),
        from_device: None,
    };
    let mut legs = Vec::new();
    let mut seen: Vec<&str> = vec![caller_id];
    for member in &group.members {
        let user_id = member.user_id();
        if seen.contains(&user_id) {
            continue;
        }
        seen.push(user_id);
        let devices = presence::device_ids(state, user_id).await?;
        let pbx = state
            .pbx
            .user_state(user_id)
            .await
            .map_err(|e| ApiError::Internal(format!("pbx read: {e}")))?;
        let line = UserLine {
            devices: &devices,
            pbx: &pbx,
        };
        let rings = ring_group(std::slice::from_ref(member), |_| Some(line));
        if !rings.devices.is_empty() {
            legs.push(leg(user_id, CallState::Ringing, None, rings.devices));
        }
    }
    if legs.is_empty()
        && let Some(first) = group.members.first()
    {
        let mailbox = voicemail::mailbox_takes(state, first.user_id()).await?;
        let route = group_route(group.voicemail, true);
        let outcome = unanswered_outcome(mailbox, route, NotAnswered::NothingRang);
        if outcome == CallOutcome::Voicemail && first.user_id() != caller_id {
            legs.push(leg(
                first.user_id(),
                CallState::Failed,
                Some(outcome),
                Vec::new(),
            ));
        }
    }
    Ok(legs)
}

/// The embedded PBX playing a call to a hunt group whose DIAL is over (at `at`): its members'
/// legs ring ([`group_legs`]) while the caller's call rings, or, nobody ringing, the call is
/// over at once — to the group's voicemail if it says so, else missed.
async fn ring_group_call(
    state: AppState,
    caller: OwnedCall,
    group: HuntGroup,
    at: Instant,
) -> ApiResult<()> {
    let now: Timestamp = Utc::now().into();
    let legs = group_legs(
        &state,
        &caller,
        caller.call.from.clone(),
        &group,
        &caller.user_id,
        caller.call.id.clone(),
        true,
    )
    .await?;
    let rings = legs.iter().any(|l| l.call.state == CallState::Ringing);
    let (next, outcome) = if rings {
        (CallState::Ringing, None)
    } else if legs.is_empty() {
        (CallState::Failed, Some(CallOutcome::Missed))
    } else {
        (CallState::Failed, Some(CallOutcome::Voicemail))
    };
    let caller_now = with_call(&caller, moved(&caller.call, next, outcome, now));
    let messages = legs.iter().flat_map(|l| message_left(l, None)).collect();
    let steps = ring_steps(&state, &legs).await?;
    let updates = vec![(caller_now, CallState::Dialing)];
    commit_then(&state, updates, legs, messages, steps, at).await?;
    Ok(())
}

/// The ring steps of those of `legs` that ring ([`ring_step`]).
async fn ring_steps(state: &AppState, legs: &[OwnedCall]) -> ApiResult<Vec<CallStep>> {
    let mut steps = Vec::new();
    for leg in legs.iter().filter(|l| l.call.state == CallState::Ringing) {
        steps.extend(ring_step(state, leg).await?);
    }
    Ok(steps)
}

/// Whether `call` is one member's leg of a hunt-group call still looking for someone to answer:
/// it points at a live call that does not point back.
fn is_group_leg(call: &OwnedCall, peer: &OwnedCall) -> bool {
    peer.peer.as_deref() != Some(call.call.id.as_str())
}

/// The route by which an inbound call reached its user, for core's voicemail rule: through a
/// hunt group when its `to` is a group's extension (the group's message goes to its first member
/// only), else direct.
async fn route_of(state: &AppState, call: &OwnedCall) -> ApiResult<CallRoute> {
    Ok(
        match group_by_extension(state, &call.customer_id, &call.call.to).await? {
            Some(g) => group_route(
                g.voicemail,
                g.members.first().map(|m| m.user_id()) == Some(call.user_id.as_str()),
            ),
            None => CallRoute::Direct,
        },
    )
}

/// Who a dialled extension is: a colleague, or a hunt group the customer made dialable.
#[derive(Debug, Clone)]
pub enum Callee {
    /// A colleague.
    User(User),
    /// A hunt group: its members ring (core's group ring rules).
    Group(HuntGroup),
}

impl Callee {
    /// The colleague, when the callee is one.
    fn user(&self) -> Option<&User> {
        match self {
            Callee::User(u) => Some(u),
            Callee::Group(_) => None,
        }
    }
}

/// The customer's hunt group with this extension.
async fn group_by_extension(
    state: &AppState,
    customer_id: &str,
    ext: &str,
) -> ApiResult<Option<HuntGroup>> {
    Ok(state
        .store
        .groups(customer_id)
        .await?
        .into_iter()
        .find(|g| g.extension.as_deref() == Some(ext)))
}

/// What dialling `to` reaches, decided like the widget's preview (`core::phone::dial_target` with
/// the customer's country, a colleague's or a hunt group's extension being known): the target as
/// a call's `to` carries it, and the colleague or group behind an extension.
async fn dial(
    state: &AppState,
    account: &Account,
    to: &str,
) -> ApiResult<(String, Option<Callee>)> {
    let callee = match phone::as_extension(to) {
        Some(ext) => extension_owner(state, &account.customer_id, ext).await?,
        None => None,
    };
    let target = phone::dial_target(to, &account.default_country, |_| callee.is_some())
        .map_err(ApiError::Dial)?;
    Ok(match target {
        DialTarget::Extension(e) => (e, callee),
        DialTarget::Number(n) => (n.into_string(), None),
    })
}

/// Where a transfer or a consultation goes, decided like dialling ([`dial`]). The user's own
/// extension is refused (422 `transfer_to_self`).
async fn transfer_target(
    state: &AppState,
    account: &Account,
    to: &str,
) -> ApiResult<(String, Option<Callee>)> {
    let (target, callee) = dial(state, account, to).await?;
    if callee
        .as_ref()
        .and_then(Callee::user)
        .is_some_and(|u| u.id == account.user.id)
    {
        return Err(ApiError::TransferToSelf);
    }
    Ok((target, callee))
}

/// The user's consultation leg about `call_id` that is not over, if there is one.
async fn consultation_of(
    state: &AppState,
    user_id: &str,
    call_id: &str,
) -> ApiResult<Option<OwnedCall>> {
    Ok(state
        .store
        .live_calls(Some(user_id))
        .await?
        .into_iter()
        .find(|c| c.call.consult_of.as_deref() == Some(call_id)))
}

/// `POST /calls/<id>/consult`: the first step of a warm transfer. The user's connected call goes
/// on hold (if it was not) and, in the same write, a second call of theirs — the consultation leg,
/// its `consult_of` naming the held call — dials the target exactly as `POST /calls` would (a
/// colleague's extension rings the colleague, who answers from their panel; a number rings the
/// simulated far side). Refused: a call that is not connected (409 `call_not_connected`), one that
/// already has a consultation or is itself one (409 `already_consulting`), the user's own
/// extension or the colleague they are talking to (422 `transfer_to_self`).
pub async fn consult(
    state: &AppState,
    account: &Account,
    call_id: &str,
    req: TransferRequest,
) -> ApiResult<Call> {
    let first = own_call(state, account, call_id).await?;
    if first.call.consult_of.is_some() {
        return Err(ApiError::AlreadyConsulting);
    }
    if !with_someone(&first.call) {
        return Err(ApiError::CallNotConnected);
    }
    let (target, callee) = transfer_target(state, account, &req.to).await?;
    check_dial_rate(state, &account.user.id).await?;
    for _ in 0..MAX_RACES {
        let first = own_call(state, account, call_id).await?;
        if first.call.state != CallState::Connected {
            return Err(ApiError::CallNotConnected);
        }
        if consultation_of(state, &account.user.id, call_id)
            .await?
            .is_some()
        {
            return Err(ApiError::AlreadyConsulting);
        }
        if let (Some(p), Some(t)) = (
            peer_of(state, &first).await?,
            callee.as_ref().and_then(Callee::user),
        ) && p.user_id == t.id
        {
            return Err(ApiError::TransferToSelf);
        }
        let mut held = first.call.clone();
        held.held = true;
        let leg = Call {
            id: auth::new_id(),
            direction: CallDirection::Outbound,
            from: account.user.extension.clone(),
            to: target.clone(),
            state: CallState::Dialing,
            started_at: Utc::now().into(),
            answered_at: None,
            ended_at: None,
            // The consultation is about the same customer record as the call.
            context: first.call.context.clone(),
            internal: callee.is_some(),
            outcome: None,
            answered_on: None,
            forwarded_to: None,
            held: false,
            transferred_to: None,
            consult_of: Some(first.call.id.clone()),
            wrap_up: None,
            crm_record: None,
            rings_on: Vec::new(),
            leaving_message: false,
        };
        let owned = OwnedCall {
            user_id: account.user.id.clone(),
            customer_id: account.customer_id.clone(),
            call: leg.clone(),
            peer: None,
            from_device: None,
        };
        let updates = vec![(with_call(&first, held), CallState::Connected)];
        let steps = step(state, &leg.id, StepKind::Dial).into_iter().collect();
        let from = Instant::now();
        if commit_then(state, updates, vec![owned], vec![], steps, from).await? {
            return Ok(leg);
        }
    }
    Err(ApiError::Internal("consulting kept racing the call".into()))
}

/// `POST /calls/<id>/consult/complete`: the warm transfer is completed. The held party goes to the
/// consulted target and both of the user's calls end `transferred`, `transferred_to` the target,
/// in one write: a colleague on either side is linked to whoever they talk to now (two colleagues
/// to each other; a colleague and an outside party: the colleague's call talks on with the
/// simulated far side, whose number it now shows, no longer `internal`). Refused: no consultation (409
/// `not_consulting`), or one the target has not answered yet (409 `not_consulting`), or a first
/// call no longer connected (409 `call_not_connected`).
pub async fn complete_consult(
    state: &AppState,
    account: &Account,
    call_id: &str,
) -> ApiResult<Call> {
    for _ in 0..MAX_RACES {
        let first = own_call(state, account, call_id).await?;
        let Some(leg) = consultation_of(state, &account.user.id, call_id).await? else {
            return Err(ApiError::NotConsulting(
                "there is no consultation on this call",
            ));
        };
        if first.call.state != CallState::Connected {
            return Err(ApiError::CallNotConnected);
        }
        if leg.call.state != CallState::Connected {
            return Err(ApiError::NotConsulting(
                "the person you are consulting has not answered yet",
            ));
        }
        let now: Timestamp = Utc::now().into();
        let target = leg.call.to.clone();
        let end = |c: &OwnedCall| {
            let mut c = with_call(c, transferred(&c.call, &target, now));
            c.peer = None;
            c
        };
        let mut updates = vec![
            (end(&first), CallState::Connected),
            (end(&leg), CallState::Connected),
        ];
        // Who the user was talking to on each leg.
        let held_party = match first.call.direction {
            CallDirection::Inbound => first.call.from.clone(),
            CallDirection::Outbound => first.call.to.clone(),
        };
        let (party, consulted) = (peer_of(state, &first).await?, peer_of(state, &leg).await?);
        let mut talk_on = Vec::new();
        match (party, consulted) {
            (Some(mut p), Some(mut t)) => {
                p.peer = Some(t.call.id.clone());
                t.peer = Some(p.call.id.clone());
                t.call.from = held_party;
                updates.push((p, CallState::Connected));
                updates.push((t, CallState::Connected));
            }
            (Some(mut p), None) => {
                p.peer = None;
                talk_on.push(p.call.id.clone());
                updates.push((p, CallState::Connected));
            }
            (None, Some(mut t)) => {
                t.peer = None;
                t.call.from = held_party;
                // Now a call with the outside party: logged on the CRM like one.
                t.call.internal = first.call.internal;
                talk_on.push(t.call.id.clone());
                updates.push((t, CallState::Connected));
            }
            // Two outside parties: the PBX joins them and the user's part is over.
            (None, None) => {}
        }
        let steps = talk_on
            .iter()
            .filter_map(|id| step(state, id, StepKind::HangUp))
            .collect();
        let from = Instant::now();
        if commit_then(state, updates, vec![], vec![], steps, from).await? {
            return Ok(own_call(state, account, call_id).await?.call);
        }
    }
    Err(ApiError::Internal(
        "completing the transfer kept racing the call".into(),
    ))
}

/// `POST /calls/<id>/consult/cancel`: the consultation leg is hung up (as `POST /calls/<leg>/hangup`
/// would: a colleague still ringing sees it missed) and the first call stays on hold for the user
/// to resume. 409 `not_consulting` when there is no consultation.
pub async fn cancel_consult(state: &AppState, account: &Account, call_id: &str) -> ApiResult<Call> {
    own_call(state, account, call_id).await?;
    let Some(leg) = consultation_of(state, &account.user.id, call_id).await? else {
        return Err(ApiError::NotConsulting(
            "there is no consultation on this call",
        ));
    };
    hangup(state, account, &leg.call.id).await?;
    Ok(own_call(state, account, call_id).await?.call)
}

/// `GET /calls/missed`.
pub async fn missed(state: &AppState, account: &Account) -> ApiResult<MissedCalls> {
    Ok(MissedCalls {
        count: state.store.missed_calls(&account.user.id).await?,
    })
}

/// `POST /calls/missed/seen`: every missed call so far is seen; a `missed` event with 0 reaches
/// every stream of the user.
pub async fn missed_seen(state: &AppState, account: &Account) -> ApiResult<MissedCalls> {
    state
        .store
        .mark_missed_seen(&account.customer_id, &account.user.id)
        .await?;
    state.hub.notify(&account.customer_id).await;
    Ok(MissedCalls::default())
}

/// `GET /calls`.
pub async fn history(state: &AppState, account: &Account, limit: i64) -> ApiResult<Vec<Call>> {
    Ok(state.store.calls_of(&account.user.id, limit).await?)
}

/// At start-up and with every heartbeat: live calls of a node that is gone (stopped, or not seen
/// since `stale_before_ms`: killed) are taken over by this node ([`CallStore::adopt_orphans`]),
/// which plays the stored steps it took from their stored times on (one already overdue plays at
/// once), so a call goes on as if its node had not died. A call without a step waits for its user
/// (connected to a colleague, or to a far side that never hangs up) as it did.
///
/// [`CallStore::adopt_orphans`]: crate::store::CallStore::adopt_orphans
pub async fn adopt_orphans(state: &AppState, stale_before_ms: i64) -> ApiResult<()> {
    for (owned, step) in state.store.adopt_orphans(stale_before_ms).await? {
        let Some(step) = step else { continue };
        let Some(phase) = phase(&state.config, step.kind) else {
            continue;
        };
        let elapsed = Utc::now().timestamp_millis() - step.since_ms;
        let elapsed = Duration::from_millis(u64::try_from(elapsed).unwrap_or(0));
        tracing::info!(
            call = %owned.call.id,
            step = ?step.kind,
            "took over a call of a node that is gone"
        );
        play_at(state, step, Instant::now() + phase.saturating_sub(elapsed));
    }
    Ok(())
}

/// `PUT /calls/<id>/wrapup`: the agent's wrap-up of their own call once it is over (409
/// `call_not_ended` before), checked by core's rule against the customer's dispositions. Saving
/// again replaces it. A `call` event carries the call to the user's other streams.
pub async fn save_wrap_up(
    state: &AppState,
    account: &Account,
    call_id: &str,
    wrap_up: WrapUp,
) -> ApiResult<Call> {
    let settings = state.store.wrap_up_settings(&account.customer_id).await?;
    wrapup::check_wrap_up(&wrap_up, &settings.dispositions).map_err(ApiError::WrapUp)?;
    after_call_work(state, account, call_id, |call| call.wrap_up = Some(wrap_up)).await
}

/// `PUT /calls/<id>/crm-record`: the CRM record the page that logged the call created, so a
/// wrap-up saved from any page of the agent updates it. Checked by core's rule; reporting again
/// replaces it.
pub async fn set_crm_record(
    state: &AppState,
    account: &Account,
    call_id: &str,
    record: CrmRecord,
) -> ApiResult<Call> {
    wrapup::check_crm_record(&record).map_err(ApiError::WrapUp)?;
    after_call_work(state, account, call_id, |call| {
        call.crm_record = Some(record)
    })
    .await
}

/// Changes the user's own call once it is over, with a `call` event for their streams.
async fn after_call_work(
    state: &AppState,
    account: &Account,
    call_id: &str,
    change: impl FnOnce(&mut Call),
) -> ApiResult<Call> {
    let owned = own_call(state, account, call_id).await?;
    if !owned.call.state.is_final() {
        return Err(ApiError::CallNotEnded);
    }
    let mut call = owned.call.clone();
    change(&mut call);
    let owned = with_call(&owned, call);
    let event = call_event(&owned.customer_id, &owned.user_id, &owned.call);
    // An over call never moves again, so only its deletion (with its owner) can race this.
    if !state
        .store
        .set_after_call_work(&owned, std::slice::from_ref(&event))
        .await?
    {
        return Err(ApiError::NotFound("there is no such call"));
    }
    state.hub.notify(&owned.customer_id).await;
    Ok(owned.call)
}
