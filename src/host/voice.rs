//! The Salesforce Voice bridge (partner telephony, the Open CTI successor): the widget as the
//! vendor connector that Salesforce's `@salesforce/scv-connector-base` drives.
//!
//! The connector page loads the library, then a thin JS shim (`crm-packages/salesforce/voice/
//! connector.js`) that subclasses the library's `VendorConnector`, calls `initializeConnector` and
//! delegates every method to the `voice_*` functions exported here. They answer with plain objects
//! that the shim turns into the library's own result classes (`CallResult`, `HangupResult`, …: the
//! library checks them with `instanceof`). Everything else is here:
//!
//! - `init` ([`voice_init`]) reads the backend's origin from the page (the backend-hosted page's
//!   `<meta name="ucclient-backend-url">`, which its CSP pins) or else the contact center's settings
//!   (`/ucClientSettings/backendUrl`, the Visualforce page's), mounts the widget with host `salesforce-voice`, and answers
//!   `showLogin` while the agent is not signed in; when they sign in, `LOGIN_RESULT` is published.
//! - Salesforce's calls (`dial`, `acceptCall`, `declineCall`, `endCall`, `hold`, `resume`,
//!   `addParticipant`, `setAgentStatus`, …) go to the backend through the widget's context, and their
//!   answer resolves the promise: the library publishes the matching event itself, so this bridge
//!   does not publish it too ([`told`](Voice::told) remembers what Salesforce already knows).
//! - What happens elsewhere (an inbound call rings, the far side answers or hangs up, the agent holds
//!   from the panel or their desk phone) is published: [`events_between`] compares the widget's calls
//!   with what Salesforce was told and says which events (`CALL_STARTED`, `CALL_CONNECTED`,
//!   `HOLD_TOGGLE`, `HANGUP`) are due.
//! - Presence, kept in step both ways by the customer's map (core's [`CrmPresenceMap`], `crm_presence`
//!   in `GET /me`) and nothing else: `init` hands over the org's Omni-Channel presence statuses
//!   (`userPresenceStatuses`, [`omni_statuses`]); `setAgentStatus` (an Omni change) sets the profile
//!   the map gives ([`CrmPresenceMap::sync_from_crm`]) through the backend, and so, in active mode,
//!   the PBX; a change of the profile from anywhere else (the panel, another tab, the PBX: the event
//!   stream) publishes `SET_AGENT_STATUS` with the org's status the map gives ([`to_omni`]).
//!   Omni's current status is remembered on both paths, so a change is never sent back to the side
//!   it came from; the profile the widget first sees after a sign-in is not published (opening the
//!   console must not change Omni). `getAgentStatus` answers the Omni status standing for the
//!   profile ([`status_for_profile`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object};
use leptos::prelude::*;
use ucclient_core::Language;
use ucclient_core::api::{
    Call, CallContext, CallDirection, CallState, CrmKind, PlaceCallRequest, TransferRequest, WrapUp,
};
use ucclient_core::crm_presence::{CrmPresenceMap, same_status};
use ucclient_core::profile::ProfileId;
use wasm_bindgen::prelude::*;

use super::interop::{field, object, parse_json, text_field};
use super::standalone::StandaloneHost;
use super::{DialRequest, Host, HostKind, PresenceLabel};
use crate::api::CallAction;
use crate::app::{Ctx, Session};

/// The contact center's settings item holding the backend's origin (`ucClientSettings` section).
pub const BACKEND_URL_KEY: &str = "/ucClientSettings/backendUrl";
/// The height Salesforce gives the connector while the agent signs in, in pixels.
pub const LOGIN_FRAME_HEIGHT: u32 = 420;
/// How long `init` waits for a saved session to load before asking for a sign-in, in ms.
const INIT_WAIT_MS: u32 = 8_000;
/// Longest text read from Salesforce's arguments, in bytes.
const MAX_TEXT_LEN: usize = 2048;
/// Most colleagues answered by `getPhoneContacts`.
const MAX_CONTACTS: usize = 200;
/// Most Omni-Channel statuses kept from `init`.
const MAX_STATUSES: u32 = 200;
/// Longest `userPresenceStatuses` JSON read from `init`, in bytes.
const MAX_STATUSES_JSON: usize = 64 * 1024;
/// Salesforce's Omni-Channel side: `SF` in the presence map.
const SF: CrmKind = CrmKind::Salesforce;

/// One of the org's Omni-Channel presence statuses (`AgentStatusInfo`'s three fields).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OmniStatus {
    /// `statusId` (the `ServicePresenceStatus` record's id): what `SET_AGENT_STATUS` names.
    pub id: String,
    /// `statusApiName` (`Available_for_Voice`), empty when not given.
    pub api_name: String,
    /// `statusName`, the label agents see, empty when not given.
    pub name: String,
}

impl OmniStatus {
    /// The names the map matches, API name first.
    fn names(&self) -> [&str; 2] {
        [&self.api_name, &self.name]
    }
}

/// What the bridge keeps between Salesforce's calls.
#[derive(Default)]
struct Voice {
    /// The widget's context, once mounted.
    ctx: Option<Ctx>,
    /// Where the widget mounts.
    root: Option<web_sys::HtmlElement>,
    /// The shim's `publish(eventType, payload)`.
    publish: Option<Function>,
    /// Each call as Salesforce last learnt of it (an answer or an event), while it is not over.
    told: Vec<Call>,
    /// Calls with a Salesforce request in flight: their changes come back as its answer.
    busy: Vec<String>,
    /// A `dial` from Salesforce is in flight: the new outbound call is its answer.
    dialing: bool,
    /// `init` answered `showLogin`: the sign-in is published as `LOGIN_RESULT`.
    awaiting_login: bool,
    /// The agent was signed in (a sign-out that Salesforce did not ask for is published).
    was_ready: bool,
    /// Salesforce asked for the sign-out: its answer says so, no event.
    logging_out: bool,
    /// The mute flag Salesforce set (the PBX has no mute: kept for the answer only).
    muted: bool,
    /// The org's Omni-Channel statuses, from `init`.
    statuses: Vec<OmniStatus>,
    /// Omni's current status: as Salesforce last set it (`setAgentStatus`) or we last published it.
    omni: Option<OmniStatus>,
    /// The agent's profile as last seen (`None` signed out): a change of it is published to Omni.
    profile: Option<ProfileId>,
}

thread_local! {
    static VOICE: RefCell<Voice> = RefCell::new(Voice::default());
}

fn with<R>(f: impl FnOnce(&mut Voice) -> R) -> R {
    VOICE.with(|v| f(&mut v.borrow_mut()))
}

/// Publishes `event_type` with `payload` (plain; the shim builds the library's class), when the
/// shim is connected.
pub fn publish(event_type: &str, payload: &JsValue) {
    if let Some(f) = with(|v| v.publish.clone()) {
        let _ = f.call2(&JsValue::NULL, &JsValue::from_str(event_type), payload);
    }
}

/// An event Salesforce must hear about a call it did not change itself.
#[derive(Debug, Clone, PartialEq)]
pub enum VoiceEvent {
    /// `CALL_STARTED`: a call Salesforce did not dial (inbound, or dialled from the panel).
    Started(Call),
    /// `CALL_CONNECTED`: the call was answered.
    Connected(Call),
    /// `HOLD_TOGGLE`: the call went on or off hold.
    HoldToggle(Call),
    /// `HANGUP`: the call is over.
    Hangup(Call),
    /// `PARTICIPANT_CONNECTED`: a consultation leg (the warm transfer's participant) was answered.
    ParticipantConnected(Call),
    /// `PARTICIPANT_REMOVED`: a consultation leg is over.
    ParticipantRemoved(Call),
}

impl VoiceEvent {
    /// The library's event type.
    pub fn event_type(&self) -> &'static str {
        match self {
            VoiceEvent::Started(_) => "CALL_STARTED",
            VoiceEvent::Connected(_) => "CALL_CONNECTED",
            VoiceEvent::HoldToggle(_) => "HOLD_TOGGLE",
            VoiceEvent::Hangup(_) => "HANGUP",
            VoiceEvent::ParticipantConnected(_) => "PARTICIPANT_CONNECTED",
            VoiceEvent::ParticipantRemoved(_) => "PARTICIPANT_REMOVED",
        }
    }

    /// The call it is about.
    pub fn call(&self) -> &Call {
        match self {
            VoiceEvent::Started(c)
            | VoiceEvent::Connected(c)
            | VoiceEvent::HoldToggle(c)
            | VoiceEvent::Hangup(c)
            | VoiceEvent::ParticipantConnected(c)
            | VoiceEvent::ParticipantRemoved(c) => c,
        }
    }
}

/// The events due when the widget's calls are `live` (and `ended`, the recent history) and
/// Salesforce was `told` of the calls in it; `told` is brought up to date. Calls in `busy` (a
/// Salesforce request in flight) are left alone: the request's answer tells. While `dialing`, a new
/// outbound call is the dial's own (its answer tells). A consultation leg is not a call of its own
/// for Salesforce but the transfer's participant: `addParticipant`'s answer adds it, and its
/// answering and end are `PARTICIPANT_CONNECTED` and `PARTICIPANT_REMOVED`.
pub fn events_between(
    told: &mut Vec<Call>,
    live: &[Call],
    ended: &[Call],
    busy: &[String],
    dialing: bool,
) -> Vec<VoiceEvent> {
    let mut out = Vec::new();
    for call in live {
        if busy.contains(&call.id) {
            continue;
        }
        let leg = call.consult_of.is_some();
        match told.iter().position(|t| t.id == call.id) {
            None => {
                if call.state.is_final() {
                    continue;
                }
                told.push(call.clone());
                if leg || (dialing && call.direction == CallDirection::Outbound) {
                    continue;
                }
                out.push(VoiceEvent::Started(call.clone()));
                if call.state == CallState::Connected {
                    out.push(VoiceEvent::Connected(call.clone()));
                }
            }
            Some(i) => {
                let before = &told[i];
                if call.state.is_final() {
                    out.push(if leg {
                        VoiceEvent::ParticipantRemoved(call.clone())
                    } else {
                        VoiceEvent::Hangup(call.clone())
                    });
                    told.remove(i);
                    continue;
                }
                if before.state != CallState::Connected && call.state == CallState::Connected {
                    out.push(if leg {
                        VoiceEvent::ParticipantConnected(call.clone())
                    } else {
                        VoiceEvent::Connected(call.clone())
                    });
                }
                if before.held != call.held && call.state == CallState::Connected {
                    out.push(VoiceEvent::HoldToggle(call.clone()));
                }
                told[i] = call.clone();
            }
        }
    }
    // Calls Salesforce knows that left the live list: over.
    let mut i = 0;
    while i < told.len() {
        let id = told[i].id.clone();
        if live.iter().any(|c| c.id == id) || busy.contains(&id) {
            i += 1;
            continue;
        }
        let mut last = told.remove(i);
        match ended.iter().find(|c| c.id == id) {
            Some(c) => last = c.clone(),
            None => last.state = CallState::Ended,
        }
        out.push(if last.consult_of.is_some() {
            VoiceEvent::ParticipantRemoved(last)
        } else {
            VoiceEvent::Hangup(last)
        });
    }
    out
}

/// The library's call state for ours (`ringing`, `connected`, `ended`).
pub fn call_state(state: CallState) -> &'static str {
    match state {
        CallState::Dialing | CallState::Ringing => "ringing",
        CallState::Connected => "connected",
        CallState::Ended | CallState::Failed => "ended",
    }
}

/// The plain `PhoneCall` of `call` (`callId`, `callType`, `state`, `phoneNumber`, `name`,
/// `isOnHold`, `participantType`, `reason` once over, `onSoftphone` when `soft`: the panel carries
/// its audio, so Salesforce shows its mute button): the shim builds the library's `PhoneCall` from
/// it. A consultation leg is an `AddParticipant` call of a `Third_Party`.
pub fn plain_call(call: &Call, name: Option<String>, soft: bool) -> Object {
    let (call_type, number) = match call.direction {
        _ if call.consult_of.is_some() => ("AddParticipant", call.to.as_str()),
        CallDirection::Inbound => ("Inbound", call.from.as_str()),
        CallDirection::Outbound => ("Outbound", call.to.as_str()),
    };
    let participant = if call.consult_of.is_some() {
        "Third_Party"
    } else {
        "Initial_Caller"
    };
    let mut fields = vec![
        ("callId", JsValue::from_str(&call.id)),
        ("callType", JsValue::from_str(call_type)),
        ("state", JsValue::from_str(call_state(call.state))),
        ("phoneNumber", JsValue::from_str(number)),
        ("isOnHold", JsValue::from_bool(call.held)),
        ("participantType", JsValue::from_str(participant)),
    ];
    if let Some(name) = name {
        fields.push(("name", JsValue::from_str(&name)));
    }
    if soft {
        fields.push(("onSoftphone", JsValue::TRUE));
    }
    if call.state.is_final() {
        let reason = if call.state == CallState::Failed {
            "error"
        } else {
            "ended"
        };
        fields.push(("reason", JsValue::from_str(reason)));
    }
    object(&fields)
}

/// The org's Omni-Channel statuses from `init`'s `userPresenceStatuses`: a JSON text (or object)
/// keyed by status id whose values carry `statusName` and `statusApiName` (as Salesforce's demo
/// connector reads it), or an array of `{statusId, statusApiName, statusName}`.
pub fn omni_statuses(config: &JsValue) -> Vec<OmniStatus> {
    let mut list = field(config, "userPresenceStatuses");
    if let Some(text) = list.as_ref().and_then(JsValue::as_string) {
        list = parse_json(&text, MAX_STATUSES_JSON);
    }
    let Some(list) = list.and_then(|l| l.dyn_into::<Object>().ok()) else {
        return Vec::new();
    };
    let keyed = !Array::is_array(&list);
    Object::entries(&list)
        .iter()
        .take(MAX_STATUSES as usize)
        .filter_map(|entry| {
            let entry: Array = entry.unchecked_into();
            let value = entry.get(1);
            let text = |k| text_field(&value, k, 255).unwrap_or_default();
            let id = Some(text("statusId"))
                .filter(|i| !i.is_empty())
                .or_else(|| entry.get(0).as_string().filter(|_| keyed))?;
            Some(OmniStatus {
                id,
                api_name: text("statusApiName"),
                name: text("statusName"),
            })
        })
        .collect()
}

/// The org's status a map's status name stands for: the first whose API name or label is it.
pub fn find_status<'a>(statuses: &'a [OmniStatus], name: &str) -> Option<&'a OmniStatus> {
    statuses
        .iter()
        .find(|s| same_status(&s.api_name, name) || same_status(&s.name, name))
}

/// What a change of the agent's profile to `profile` publishes to Omni, currently on `omni`: the
/// org's status for the map's answer ([`CrmPresenceMap::sync_to_crm`]); `None` when the map is off,
/// the profile unmapped, Omni already standing for it, or the org has no such status.
pub fn to_omni<'a>(
    map: &CrmPresenceMap,
    statuses: &'a [OmniStatus],
    omni: Option<&OmniStatus>,
    profile: ProfileId,
) -> Option<&'a OmniStatus> {
    let names = omni.map(OmniStatus::names).unwrap_or_default();
    find_status(statuses, map.sync_to_crm(SF, profile, &names)?)
}

/// The Omni status standing for `profile` (`getAgentStatus`): Omni's current one when it does,
/// else the org's status the map publishes for it; `None` when the map is off or names none.
pub fn status_for_profile<'a>(
    map: &CrmPresenceMap,
    statuses: &'a [OmniStatus],
    omni: Option<&'a OmniStatus>,
    profile: ProfileId,
) -> Option<&'a OmniStatus> {
    if !map.enabled {
        return None;
    }
    omni.filter(|o| map.profile_for(SF, &o.names()) == Some(profile))
        .or_else(|| find_status(statuses, map.status_for(SF, profile)?))
}

/// The backend origin of the page's `<meta name="ucclient-backend-url">` (the hosted page's) or of
/// the contact center's settings, when valid.
pub fn backend_url(setting: Option<&str>) -> Option<String> {
    setting
        .map(str::trim)
        .map(|u| u.trim_end_matches('/'))
        .filter(|u| {
            u.len() <= 200
                && (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(['"', '\'', '<', '>', ' ', '@'])
        })
        .map(str::to_owned)
}

fn meta_backend() -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector("meta[name=\"ucclient-backend-url\"]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
}

/// The Salesforce Voice host: the widget's side. Salesforce's side is the `voice_*` functions.
pub struct VoiceHost {
    /// The plain page's handlers (click-to-dial comes through `dial` instead, never this way).
    inner: StandaloneHost,
}

impl VoiceHost {
    /// A Voice host.
    pub fn new() -> VoiceHost {
        VoiceHost {
            inner: StandaloneHost::new(HostKind::SalesforceVoice),
        }
    }
}

impl Default for VoiceHost {
    fn default() -> VoiceHost {
        VoiceHost::new()
    }
}

impl Host for VoiceHost {
    fn kind(&self) -> HostKind {
        HostKind::SalesforceVoice
    }

    fn on_click_to_dial(&self, handler: Rc<dyn Fn(DialRequest)>) {
        self.inner.on_click_to_dial(handler);
    }

    fn on_unavailable(&self, handler: Rc<dyn Fn(String)>) {
        self.inner.on_unavailable(handler);
    }

    // Salesforce pops the caller's record and keeps the VoiceCall record itself: no screen pop,
    // no Task, no panel or label of ours.
    fn screen_pop(&self, _call: &Call) {}

    fn log_call(&self, _call: &Call, _logged: Box<dyn FnOnce(String)>) {}

    fn log_wrap_up(&self, _id: &str, _call: &Call, _wrap_up: &WrapUp, _outcome: Option<&str>) {}

    fn set_panel_visible(&self, _visible: bool) {}

    fn set_presence_label(&self, _label: &PresenceLabel) {}

    fn locale(&self) -> Option<Language> {
        None
    }
}

/// Keeps `ctx` for Salesforce's calls and starts watching the session and the calls (called by
/// [`crate::mount`] inside the widget's owner).
pub fn attach(ctx: Ctx) {
    with(|v| v.ctx = Some(ctx));
    // One effect for both (each effect is its own instantiation of Leptos's effect code): the
    // session's handling is idempotent, so a change of the calls running it again is harmless.
    Effect::new(move |_| {
        let session = ctx.session.get();
        on_session(&session);
        let (live, ended) = ctx.store.with(|s| {
            let ended: Vec<Call> = s.history.iter().take(16).cloned().collect();
            (s.live_calls.clone(), ended)
        });
        let events = with(|v| {
            let busy = v.busy.clone();
            events_between(&mut v.told, &live, &ended, &busy, v.dialing)
        });
        for event in events {
            let call = event.call();
            let payload = plain_call(call, name_of(ctx, call), ctx.softphone_carries(&call.id));
            publish(event.event_type(), &payload);
        }
        if let Some(status) = profile_changed(ctx) {
            publish("SET_AGENT_STATUS", &agent_status(&status).into());
        }
    });
}

/// The Omni status to publish when the agent's profile changed since last seen (Omni's current
/// status becomes it); the first profile seen after a sign-in is only remembered.
fn profile_changed(ctx: Ctx) -> Option<OmniStatus> {
    ctx.store
        .try_with_untracked(|s| {
            let profile = s.my_presence().map(|p| p.profile);
            with(|v| {
                let before = std::mem::replace(&mut v.profile, profile);
                let (Some(before), Some(profile)) = (before, profile) else {
                    return None;
                };
                if before == profile {
                    return None;
                }
                let map = s.me.as_ref()?.crm_presence.as_ref()?;
                let status = to_omni(map, &v.statuses, v.omni.as_ref(), profile)?.clone();
                v.omni = Some(status.clone());
                Some(status)
            })
        })
        .flatten()
}

/// The plain `AgentStatusInfo` of `status` (`statusId`, `statusApiName`, `statusName`; the
/// library skips empty names).
fn agent_status(status: &OmniStatus) -> Object {
    object(&[
        ("statusId", JsValue::from_str(&status.id)),
        ("statusApiName", JsValue::from_str(&status.api_name)),
        ("statusName", JsValue::from_str(&status.name)),
    ])
}

fn on_session(session: &Session) {
    let ready = *session == Session::Ready;
    let (login, logout) = with(|v| {
        let login = ready && v.awaiting_login;
        if login {
            v.awaiting_login = false;
        }
        let signed_out = matches!(session, Session::SignedOut(_)) && v.was_ready;
        let logout = signed_out && !v.logging_out;
        if signed_out {
            v.logging_out = false;
            v.told.clear();
            // Salesforce shows the sign-in again: the next sign-in is its LOGIN_RESULT.
            v.awaiting_login = true;
        }
        if ready {
            v.was_ready = true;
        } else if signed_out {
            v.was_ready = false;
        }
        (login, logout)
    });
    if login {
        publish(
            "LOGIN_RESULT",
            &object(&[("success", JsValue::TRUE)]).into(),
        );
    }
    if logout {
        publish("LOGOUT_RESULT", &logout_result().into());
    }
}

fn logout_result() -> Object {
    object(&[
        ("success", JsValue::TRUE),
        ("loginFrameHeight", JsValue::from(LOGIN_FRAME_HEIGHT)),
    ])
}

fn name_of(ctx: Ctx, call: &Call) -> Option<String> {
    ctx.store.try_with_untracked(|s| s.party_name(call))
}

fn ready_ctx() -> Result<Ctx, JsValue> {
    let ctx =
        with(|v| v.ctx).ok_or_else(|| JsValue::from_str("the connector is not initialised"))?;
    if ctx.session.get_untracked() != Session::Ready {
        return Err(JsValue::from_str("LOGIN_REQUIRED"));
    }
    Ok(ctx)
}

/// Connects the shim: `root` is where the widget mounts, `publish(eventType, payload)` publishes
/// an event through the library.
#[wasm_bindgen]
pub fn voice_connect(root: web_sys::HtmlElement, publish: Function) {
    with(|v| {
        v.root = Some(root);
        v.publish = Some(publish);
    });
}

/// `init(config)`: mounts the widget against the contact center's backend and answers
/// `{showLogin, loginFrameHeight}` (`showLogin` while the agent is not signed in).
#[wasm_bindgen]
pub async fn voice_init(config: JsValue) -> Result<JsValue, JsValue> {
    let statuses = omni_statuses(&config);
    let (mounted, root) = with(|v| {
        v.statuses = statuses;
        (v.ctx.is_some(), v.root.clone())
    });
    if !mounted {
        let root = root.ok_or_else(|| JsValue::from_str("voice_connect was not called"))?;
        let setting = text_field(&config, BACKEND_URL_KEY, MAX_TEXT_LEN);
        // The hosted page names its own backend, the only one its CSP lets it reach.
        let api_base = backend_url(meta_backend().as_deref())
            .or_else(|| backend_url(setting.as_deref()))
            .ok_or_else(|| {
                JsValue::from_str(
                    "INVALID_PARAMS: the contact center has no valid UcClient backend URL (/ucClientSettings/backendUrl)",
                )
            })?;
        root.set_inner_html("");
        crate::mount(
            root,
            object(&[
                (
                    "host",
                    JsValue::from_str(HostKind::SalesforceVoice.as_str()),
                ),
                ("api_base", JsValue::from_str(&api_base)),
            ])
            .into(),
        );
    }
    let ctx = with(|v| v.ctx).ok_or_else(|| JsValue::from_str("the widget did not mount"))?;
    let mut waited = 0;
    while ctx.session.get_untracked() == Session::Loading && waited < INIT_WAIT_MS {
        gloo_timers::future::TimeoutFuture::new(50).await;
        waited += 50;
    }
    let show_login = ctx.session.get_untracked() != Session::Ready;
    with(|v| v.awaiting_login = show_login);
    Ok(object(&[
        ("showLogin", JsValue::from_bool(show_login)),
        ("loginFrameHeight", JsValue::from(LOGIN_FRAME_HEIGHT)),
    ])
    .into())
}

/// `getActiveCalls`: the calls not over, as plain `PhoneCall`s.
#[wasm_bindgen]
pub fn voice_active_calls() -> Array {
    let Some(ctx) = with(|v| v.ctx) else {
        return Array::new();
    };
    let calls = ctx
        .store
        .try_with_untracked(|s| {
            s.live_calls
                .iter()
                .filter(|c| !c.state.is_final() && c.consult_of.is_none())
                .map(|c| plain_call(c, Some(s.party_name(c)), ctx.softphone_carries(&c.id)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    calls.into_iter().map(JsValue::from).collect()
}

/// Takes a call a Salesforce request changed: Salesforce learns it from the answer (no event).
fn took(ctx: Ctx, call: Call) -> JsValue {
    with(|v| {
        v.told.retain(|t| t.id != call.id);
        if !call.state.is_final() {
            v.told.push(call.clone());
        }
        v.busy.retain(|b| *b != call.id);
    });
    let name = name_of(ctx, &call);
    let plain = plain_call(&call, name, ctx.softphone_carries(&call.id));
    ctx.take_call_reply(call);
    plain.into()
}

fn failure(e: &crate::api::ApiError) -> JsValue {
    JsValue::from_str(&e.message)
}

/// `dial(contact)`: places the call to `number` (a Salesforce record's `record_id` as its
/// context); resolves to the plain `PhoneCall`.
#[wasm_bindgen]
pub async fn voice_dial(number: String, record_id: Option<String>) -> Result<JsValue, JsValue> {
    let ctx = ready_ctx()?;
    if number.trim().is_empty() || number.len() > 64 {
        return Err(JsValue::from_str("INVALID_DESTINATION"));
    }
    with(|v| v.dialing = true);
    let device = ctx.outgoing_device();
    let soft = device.is_some();
    let req = PlaceCallRequest {
        to: number,
        context: Some(CallContext {
            crm: CrmKind::Salesforce,
            record_id: record_id.filter(|r| !r.is_empty() && r.len() <= 255),
            object_type: None,
            record_name: None,
        }),
        device,
    };
    let r = ctx.backend().place_call(req).await;
    with(|v| v.dialing = false);
    match r {
        Ok(call) => {
            ctx.placed_from_softphone(&call.id, soft);
            Ok(took(ctx, call))
        }
        Err(e) => Err(failure(&e)),
    }
}

/// `acceptCall` on a call that rings in this panel as the softphone: the media first, then the
/// answer on the softphone (`softphone::act`, as the panel's own Answer does); the call as it is
/// then, or a failure when its audio did not connect (the call keeps ringing elsewhere).
#[cfg(feature = "softphone")]
async fn accept_on_softphone(ctx: Ctx, id: String) -> Result<JsValue, JsValue> {
    if crate::softphone::act(ctx, crate::softphone::Act::Answer(id.clone()))
        .await
        .is_err()
    {
        crate::softphone::unloaded(ctx);
        with(|v| v.busy.retain(|b| *b != id));
        return Err(JsValue::from_str(
            "GENERIC_ERROR: the softphone's code could not be loaded: reload the page",
        ));
    }
    let call = ctx
        .store
        .try_with_untracked(|s| s.live_calls.iter().find(|c| c.id == id).cloned())
        .flatten();
    match call {
        Some(call) if call.state != CallState::Ringing => Ok(took(ctx, call)),
        _ => {
            with(|v| v.busy.retain(|b| *b != id));
            Err(JsValue::from_str(
                "GENERIC_ERROR: the call's audio did not connect in this panel",
            ))
        }
    }
}

/// The call Salesforce names (`call_id`), or the only call not over when it names none.
fn target(ctx: Ctx, call_id: Option<String>) -> Result<String, JsValue> {
    if let Some(id) = call_id.filter(|i| !i.is_empty() && i.len() <= 255) {
        return Ok(id);
    }
    ctx.store
        .try_with_untracked(|s| {
            s.live_calls
                .iter()
                .find(|c| !c.state.is_final() && c.consult_of.is_none())
                .map(|c| c.id.clone())
        })
        .flatten()
        .ok_or_else(|| JsValue::from_str("INVALID_PARTICIPANT"))
}

/// `acceptCall`, `declineCall`, `endCall`, `hold`, `resume` (`action` = `accept`, `decline`, `end`,
/// `hold`, `resume`) on the call `call_id`; resolves to the plain `PhoneCall` after it.
#[wasm_bindgen]
pub async fn voice_call_action(
    call_id: Option<String>,
    action: String,
) -> Result<JsValue, JsValue> {
    let ctx = ready_ctx()?;
    let action = match action.as_str() {
        "accept" => CallAction::Answer,
        "decline" => CallAction::Decline,
        "end" => CallAction::HangUp,
        "hold" => CallAction::Hold,
        "resume" => CallAction::Resume,
        _ => return Err(JsValue::from_str("GENERIC_ERROR: unknown action")),
    };
    let id = target(ctx, call_id)?;
    with(|v| v.busy.push(id.clone()));
    #[cfg(feature = "softphone")]
    if action == CallAction::Answer && ctx.rings_here(&id) {
        return accept_on_softphone(ctx, id).await;
    }
    match ctx.backend().call_action(id.clone(), action).await {
        Ok(call) => Ok(took(ctx, call)),
        Err(e) => {
            with(|v| v.busy.retain(|b| *b != id));
            Err(failure(&e))
        }
    }
}

/// `addParticipant(contact, call, isBlindTransfer)`: a blind transfer of the call to `number`, or
/// (not blind) a consultation (the call is held meanwhile); resolves to the plain
/// `ParticipantResult` (`initialCallHasEnded`, `phoneNumber`, `callId`).
#[wasm_bindgen]
pub async fn voice_add_participant(
    number: String,
    call_id: Option<String>,
    blind: bool,
) -> Result<JsValue, JsValue> {
    let ctx = ready_ctx()?;
    let id = target(ctx, call_id)?;
    let req = TransferRequest { to: number.clone() };
    with(|v| v.busy.push(id.clone()));
    let b = ctx.backend();
    let r = if blind {
        b.transfer(id.clone(), req).await
    } else {
        b.consult(id.clone(), req).await
    };
    with(|v| v.busy.retain(|x| *x != id));
    match r {
        Ok(call) => {
            let leg = call.id.clone();
            let _ = took(ctx, call);
            Ok(object(&[
                ("initialCallHasEnded", JsValue::from_bool(blind)),
                ("phoneNumber", JsValue::from_str(&number)),
                ("callId", JsValue::from_str(&leg)),
            ])
            .into())
        }
        Err(e) => Err(failure(&e)),
    }
}

/// `mute` / `unmute`: on a call whose audio the panel carries (the softphone), its microphone is
/// muted or unmuted as the card's Mute does; a desk phone's call has no mute here (the PBX has
/// none, and Salesforce shows no button for it: `onSoftphone`), and the flag is answered back.
#[wasm_bindgen]
pub fn voice_mute(muted: bool) -> JsValue {
    with(|v| v.muted = muted);
    if let Some(ctx) = with(|v| v.ctx)
        && let Ok(id) = target(ctx, None)
        && ctx.softphone_carries(&id)
    {
        ctx.softphone_mute(muted);
    }
    object(&[("isMuted", JsValue::from_bool(muted))]).into()
}

/// Longest `sendDigits` string taken at once.
pub const MAX_DIGITS: usize = 32;

/// `sendDigits(digits)`: DTMF on the call whose audio the panel carries (RFC 4733, as the card's
/// keypad sends); on a desk phone's call the phone itself plays them, so nothing is sent. Digits
/// are `0-9 * # A-D` and `,` (a two-second pause), at most [`MAX_DIGITS`]; anything else is refused.
#[wasm_bindgen]
pub fn voice_send_digits(digits: String) -> Result<(), JsValue> {
    let Some(tones) = dtmf_tones(&digits) else {
        return Err(JsValue::from_str(
            "GENERIC_ERROR: DTMF digits are 0-9, *, #, A-D and ',' (at most 32)",
        ));
    };
    let ctx = ready_ctx()?;
    let id = target(ctx, None)?;
    if ctx.softphone_carries(&id) {
        ctx.softphone_dtmf(tones);
    }
    Ok(())
}

/// `sendDigits`' `digits` as the tones `insertDTMF` takes (A-D upper case), or `None` when they
/// are empty, longer than [`MAX_DIGITS`] or hold anything but `0-9 * # A-D ,`.
pub fn dtmf_tones(digits: &str) -> Option<String> {
    let ok = !digits.is_empty()
        && digits.len() <= MAX_DIGITS
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || "*#ABCDabcd,".contains(c));
    ok.then(|| digits.to_ascii_uppercase())
}

/// `getAgentConfig`: the phones the agent can take Salesforce's calls on — the desk phone, and the
/// softphone while this panel is it — and the selected one, where the calls they place go from
/// (`SOFT_PHONE` when the panel places them): `[phones, selected]`.
#[wasm_bindgen]
pub fn voice_agent_config() -> Array {
    let (registered, outgoing) = with(|v| v.ctx).map_or((false, false), |c| c.softphone_state());
    let phones = Array::of1(&JsValue::from_str("DESK_PHONE"));
    if registered {
        phones.push(&JsValue::from_str("SOFT_PHONE"));
    }
    let selected = if outgoing { "SOFT_PHONE" } else { "DESK_PHONE" };
    Array::of2(&phones, &JsValue::from_str(selected))
}

/// `setAgentConfig({selectedPhone})`: `SOFT_PHONE` places the agent's calls from the panel (as
/// its "Place my calls from this panel" does; refused while the panel is not the softphone),
/// `DESK_PHONE` from their other devices; any other phone type is refused.
#[wasm_bindgen]
pub fn voice_set_agent_config(phone_type: String) -> Result<(), JsValue> {
    let ctx = ready_ctx()?;
    let soft = match phone_type.as_str() {
        "SOFT_PHONE" => true,
        "DESK_PHONE" => false,
        _ => {
            return Err(JsValue::from_str(
                "CAN_NOT_SET_AGENT_CONFIG: this connector has a desk phone and a softphone only",
            ));
        }
    };
    if ctx.place_from_softphone(soft) {
        Ok(())
    } else {
        Err(JsValue::from_str(
            "CAN_NOT_SET_AGENT_CONFIG: this panel is not your phone: turn on 'Use this panel as my phone' first",
        ))
    }
}

/// `getPhoneContacts(filter)`: the directory with live presence, as plain `Contact`s (`Agent`
/// type, the extension as number, availability `AVAILABLE` / `BUSY` / `OFFLINE`), filtered by
/// name or number containing `filter`.
#[wasm_bindgen]
pub fn voice_contacts(filter: Option<String>) -> Array {
    let Some(ctx) = with(|v| v.ctx) else {
        return Array::new();
    };
    // ASCII folding only: Unicode case tables would cost the module kilobytes.
    let needle = filter.unwrap_or_default().to_ascii_lowercase();
    let rows = ctx
        .store
        .try_with_untracked(|s| {
            let me = s.my_id().map(str::to_owned);
            s.everyone
                .iter()
                .filter(|u| Some(&u.id) != me.as_ref())
                .filter(|u| {
                    needle.is_empty()
                        || u.name.to_ascii_lowercase().contains(&needle)
                        || u.extension.contains(&needle)
                })
                .take(MAX_CONTACTS)
                .map(|u| {
                    let availability = match s.presence.get(&u.id) {
                        None => "OFFLINE",
                        Some(p) if p.on_call => "BUSY",
                        Some(p) if p.status == ucclient_core::profile::Status::Available => {
                            "AVAILABLE"
                        }
                        Some(_) => "BUSY",
                    };
                    object(&[
                        ("id", JsValue::from_str(&u.id)),
                        ("type", JsValue::from_str("Agent")),
                        ("name", JsValue::from_str(&u.name)),
                        ("phoneNumber", JsValue::from_str(&u.extension)),
                        ("extension", JsValue::from_str(&u.extension)),
                        ("availability", JsValue::from_str(availability)),
                    ])
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    rows.into_iter().map(JsValue::from).collect()
}

/// `setAgentStatus(agentStatus, statusInfo)`: Omni-Channel changed to the status `id` (API name,
/// label); Omni's current status is remembered and the profile the map gives for it
/// ([`CrmPresenceMap::sync_from_crm`]) is set through the backend. An unmapped status, the profile
/// it already stands for (the echo of our own `SET_AGENT_STATUS`) or a map that is off change
/// nothing and still succeed.
#[wasm_bindgen]
pub async fn voice_set_status(
    id: Option<String>,
    api_name: Option<String>,
    name: Option<String>,
) -> Result<JsValue, JsValue> {
    let ctx = ready_ctx()?;
    let status = OmniStatus {
        id: id.unwrap_or_default(),
        api_name: api_name.unwrap_or_default(),
        name: name.unwrap_or_default(),
    };
    let profile = ctx
        .store
        .try_with_untracked(|s| {
            let map = s.me.as_ref()?.crm_presence.as_ref()?;
            map.sync_from_crm(SF, &status.names(), s.my_presence().map(|p| p.profile))
        })
        .flatten();
    with(|v| v.omni = Some(status));
    if let Some(profile) = profile {
        let p = ctx
            .backend()
            .set_presence(profile)
            .await
            .map_err(|e| failure(&e))?;
        ctx.store.update(|s| s.set_my_presence(p));
    }
    Ok(object(&[("success", JsValue::TRUE)]).into())
}

/// `getAgentStatus`: the Omni status standing for the agent's profile as `{statusId, statusType,
/// statusName}` ([`status_for_profile`]); the profile itself when none does.
#[wasm_bindgen]
pub fn voice_status() -> Result<JsValue, JsValue> {
    let ctx = ready_ctx()?;
    let answer = ctx
        .store
        .try_with_untracked(|s| {
            let p = s.my_presence()?;
            let status_type = match p.status {
                ucclient_core::profile::Status::Available => "AVAILABLE",
                _ => "BUSY",
            };
            let own = p.profile.as_str();
            with(|v| {
                let omni = s.me.as_ref()?.crm_presence.as_ref().and_then(|map| {
                    status_for_profile(map, &v.statuses, v.omni.as_ref(), p.profile)
                });
                let (id, name) = omni.map_or((own, own), |o| (&o.id, &o.name));
                Some(object(&[
                    ("statusId", JsValue::from_str(id)),
                    ("statusType", JsValue::from_str(status_type)),
                    ("statusName", JsValue::from_str(name)),
                ]))
            })
        })
        .flatten()
        .ok_or_else(|| JsValue::from_str("CAN_NOT_GET_AGENT_STATUS"))?;
    Ok(answer.into())
}

/// `logout`: signs the agent out of the widget; resolves to `{success, loginFrameHeight}`.
#[wasm_bindgen]
pub fn voice_logout() -> JsValue {
    if let Some(ctx) = with(|v| v.ctx) {
        with(|v| v.logging_out = true);
        ctx.sign_out();
    }
    logout_result().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::Timestamp;

    fn call(id: &str, direction: CallDirection, state: CallState, held: bool) -> Call {
        let at: Timestamp = "2026-12-07T03:00:00Z".parse().unwrap();
        let mut c: Call = serde_json::from_value(serde_json::json!({
            "id": id, "direction": "inbound", "from": "+351912345678", "to": "201",
            "state": "ringing", "started_at": "2026-12-07T03:00:00Z", "answered_at": null,
            "ended_at": null, "context": null,
        }))
        .unwrap();
        c.direction = direction;
        c.state = state;
        c.held = held;
        c.started_at = at;
        c
    }

    fn types(events: &[VoiceEvent]) -> Vec<&'static str> {
        events.iter().map(VoiceEvent::event_type).collect()
    }

    #[test]
    fn an_inbound_call_is_started_connected_held_and_hung_up_once_each() {
        let mut told = vec![];
        let ring = call("c1", CallDirection::Inbound, CallState::Ringing, false);
        assert_eq!(
            types(&events_between(
                &mut told,
                std::slice::from_ref(&ring),
                &[],
                &[],
                false
            )),
            ["CALL_STARTED"]
        );
        assert!(events_between(&mut told, &[ring], &[], &[], false).is_empty());
        let up = call("c1", CallDirection::Inbound, CallState::Connected, false);
        assert_eq!(
            types(&events_between(
                &mut told,
                std::slice::from_ref(&up),
                &[],
                &[],
                false
            )),
            ["CALL_CONNECTED"]
        );
        let held = call("c1", CallDirection::Inbound, CallState::Connected, true);
        assert_eq!(
            types(&events_between(&mut told, &[held], &[], &[], false)),
            ["HOLD_TOGGLE"]
        );
        let over = call("c1", CallDirection::Inbound, CallState::Ended, false);
        let e = events_between(&mut told, &[], &[over], &[], false);
        assert_eq!(types(&e), ["HANGUP"]);
        assert_eq!(e[0].call().state, CallState::Ended);
        assert!(told.is_empty());
        assert!(events_between(&mut told, &[], &[], &[], false).is_empty());
    }

    #[test]
    fn what_salesforce_asked_for_is_not_published_again() {
        let mut told = vec![];
        // Salesforce's own dial: the new outbound call is the dial's answer.
        let out = call("c2", CallDirection::Outbound, CallState::Dialing, false);
        assert!(events_between(&mut told, &[out], &[], &[], true).is_empty());
        // A hold in flight: nothing until the answer, which updates `told` itself.
        let up = call("c2", CallDirection::Outbound, CallState::Connected, false);
        assert_eq!(
            types(&events_between(&mut told, &[up], &[], &[], false)),
            ["CALL_CONNECTED"]
        );
        let held = call("c2", CallDirection::Outbound, CallState::Connected, true);
        let busy = vec!["c2".to_owned()];
        assert!(
            events_between(&mut told, std::slice::from_ref(&held), &[], &busy, false).is_empty()
        );
        told[0] = held.clone();
        assert!(events_between(&mut told, std::slice::from_ref(&held), &[], &[], false).is_empty());
        // A consultation leg is the transfer's participant, not a call of its own.
        let mut leg = call("c3", CallDirection::Outbound, CallState::Ringing, false);
        leg.consult_of = Some("c2".into());
        assert!(
            events_between(&mut told, &[held.clone(), leg.clone()], &[], &[], false).is_empty()
        );
        leg.state = CallState::Connected;
        let e = events_between(&mut told, &[held.clone(), leg.clone()], &[], &[], false);
        assert_eq!(types(&e), ["PARTICIPANT_CONNECTED"]);
        let e = events_between(&mut told, std::slice::from_ref(&held), &[], &[], false);
        assert_eq!(types(&e), ["PARTICIPANT_REMOVED"]);
    }

    fn omni(id: &str, api_name: &str, name: &str) -> OmniStatus {
        OmniStatus {
            id: id.into(),
            api_name: api_name.into(),
            name: name.into(),
        }
    }

    fn org() -> Vec<OmniStatus> {
        vec![
            omni("0N51", "Available_for_Voice", "Available"),
            omni("0N52", "Busy", "Busy"),
            omni("0N53", "On_Lunch", "Lunch"),
            omni("0N54", "Training", "Training"),
        ]
    }

    #[test]
    fn a_profile_change_publishes_the_orgs_status_once() {
        let map = CrmPresenceMap::default();
        let org = org();
        // Omni on Available, the agent goes to lunch from another tab: the org's Lunch status.
        let lunch = to_omni(&map, &org, Some(&org[0]), ProfileId::Lunch);
        assert_eq!(lunch, Some(&org[2]));
        // Salesforce's setAgentStatus(Lunch) then finds the profile already Lunch: nothing.
        assert_eq!(
            map.sync_from_crm(SF, &org[2].names(), Some(ProfileId::Lunch)),
            None
        );
        // The profile that Omni's status already stands for is not sent back.
        assert_eq!(
            to_omni(&map, &org, Some(&org[1]), ProfileId::InAMeeting),
            None
        );
        // Unmapped profile, or a status the org does not have (no "Away" here): nothing.
        assert_eq!(
            to_omni(&map, &org, Some(&org[0]), ProfileId::OnTheRoad),
            None
        );
        assert_eq!(to_omni(&map, &org, Some(&org[0]), ProfileId::Away), None);
        // Omni's status unknown yet: the mapped one is published.
        assert_eq!(
            to_omni(&map, &org, None, ProfileId::InAMeeting),
            Some(&org[1])
        );
        let off = CrmPresenceMap {
            enabled: false,
            ..CrmPresenceMap::default()
        };
        assert_eq!(to_omni(&off, &org, Some(&org[0]), ProfileId::Lunch), None);
    }

    #[test]
    fn get_agent_status_answers_the_omni_status_standing_for_the_profile() {
        let map = CrmPresenceMap::default();
        let org = org();
        let online = omni("0N50", "Online", "Online");
        // Omni on "Online" stands for Available: it is the answer, not the first Available status.
        assert_eq!(
            status_for_profile(&map, &org, Some(&online), ProfileId::Available),
            Some(&online)
        );
        assert_eq!(
            status_for_profile(&map, &org, Some(&online), ProfileId::Lunch),
            Some(&org[2])
        );
        assert_eq!(
            status_for_profile(&map, &org, None, ProfileId::OnHoliday),
            None
        );
        let off = CrmPresenceMap {
            enabled: false,
            ..CrmPresenceMap::default()
        };
        assert_eq!(
            status_for_profile(&off, &org, Some(&online), ProfileId::Available),
            None
        );
        assert_eq!(find_status(&org, "on lunch"), Some(&org[2]));
        assert_eq!(find_status(&org, "Away"), None);
    }

    #[test]
    fn dtmf_digits_are_checked_and_upper_cased() {
        assert_eq!(dtmf_tones("12#*").as_deref(), Some("12#*"));
        assert_eq!(dtmf_tones("1,a,D").as_deref(), Some("1,A,D"));
        for bad in ["", "12x", "1 2", "+1", &"1".repeat(MAX_DIGITS + 1)] {
            assert_eq!(dtmf_tones(bad), None, "{bad:?}");
        }
        assert!(dtmf_tones(&"9".repeat(MAX_DIGITS)).is_some());
    }

    #[test]
    fn call_states_and_backend_urls() {
        assert_eq!(call_state(CallState::Dialing), "ringing");
        assert_eq!(
            backend_url(Some(" https://pbx.example.com/ ")).as_deref(),
            Some("https://pbx.example.com")
        );
        assert_eq!(backend_url(Some("javascript:alert(1)")), None);
    }
}
