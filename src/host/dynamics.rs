//! The Dynamics 365 bridge: the widget inside the Channel Integration Framework (CIF v1) panel. This
//! file is the only code that touches `Microsoft.CIFramework` and the Dataverse global context; it must
//! never block and never panic when CIF is missing, late or failing (it says so through
//! [`Host::on_unavailable`], and the widget keeps working for dialling by hand).
//!
//! Flow: the panel's loader awaits [`dynamics_prepare`], which loads the CIF library exactly as CRM.md
//! says (`<org>/webresources/Widget/msdyn_ciLibrary.js` with `data-crmurl` and
//! `data-cifid="CIFMainLibrary"`, listening for `CIFInitDone` *before* inserting the script) and waits
//! for it with a timeout, then reads the user's language (LCID) from `getEnvironment`. The widget then
//! mounts with a [`DynamicsHost`]: `addHandler("onclicktoact")` then `setClickToAct(true)`; clicks that
//! arrive before the widget is signed in are kept. Inbound calls dock the panel (`setMode(1)`) and
//! `searchAndOpenRecords` the contact with the caller's number; finished calls are logged with
//! `createRecord("phonecall", …)`, regarding the contact when exactly one is known. Every CIF answer
//! is a JSON string (but `getPresence`'s, plain text). With CIF 2.0's presence API, the agent's
//! Dynamics presence and profile follow each other by the customer's map ([`attach`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use ucclient_core::Language;
use ucclient_core::api::{Call, CallDirection, CrmKind, WrapUp};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::interop::{
    Bridge, CallSummary, Found, HostCall, OnAnswer, Payload, call_method, field, global_path,
    named_after, parse_json, settle, text_field, wait_until, wrap_up_notes,
};
use super::{DialRequest, Host, HostKind, PresenceLabel};
use crate::app::Ctx;
use leptos::prelude::ReadUntracked;
use ucclient_core::crm_presence::CrmPresenceMap;
use ucclient_core::profile::ProfileId;

/// Where the org serves the CIF library, relative to the org's origin.
pub const CIF_LIBRARY_PATH: &str = "/webresources/Widget/msdyn_ciLibrary.js";
/// The event CIF fires on `window` once it is ready.
pub const CIF_INIT_EVENT: &str = "CIFInitDone";
/// The longest [`dynamics_prepare`] waits for CIF, whatever the loader asks.
const MAX_PREPARE_WAIT_MS: u32 = 15_000;
/// How long a CIF promise may take before it counts as failed.
const CIF_CALL_TIMEOUT_MS: u32 = 8_000;
/// Longest phone number accepted from a payload, in bytes.
const MAX_NUMBER_LEN: usize = 64;
/// Longest entity name / id accepted from a payload, in bytes.
const MAX_FIELD_LEN: usize = 128;
/// Largest CIF answer read, in bytes of JSON.
const MAX_ANSWER_JSON: usize = 64 * 1024;

/// What [`dynamics_prepare`] found.
#[derive(Debug, Clone, Default)]
struct Prepared {
    /// CIF fired `CIFInitDone`.
    ready: bool,
    /// The library could not be loaded at all (script error).
    load_failed: bool,
    /// The user's LCID, from CIF's environment or the Dataverse global context.
    lcid: Option<u32>,
    /// [`dynamics_prepare`] has finished waiting.
    waited: bool,
}

thread_local! {
    static STATE: RefCell<Prepared> = RefCell::new(Prepared::default());
}

fn cif() -> Option<Object> {
    global_path(&["Microsoft", "CIFramework"])
}

/// Calls a CIF method and waits (bounded) for its promise; CIF answers with JSON text, returned parsed
/// by the browser (the text itself when it is not JSON or is over [`MAX_ANSWER_JSON`]:
/// `getPresence` answers plain text). Nothing happens until it is awaited.
fn cif_call(method: &'static str, args: Vec<JsValue>) -> HostCall {
    Box::pin(cif_answer(method, args))
}

/// The future of [`cif_call`].
async fn cif_answer(method: &'static str, args: Vec<JsValue>) -> Result<JsValue, String> {
    let api = cif().ok_or_else(|| "the CIF library is not loaded".to_owned())?;
    let promise: Promise = call_method(&api, method, &args)?
        .dyn_into()
        .map_err(|_| format!("{method} did not return a promise"))?;
    let value = settle(method, promise, CIF_CALL_TIMEOUT_MS).await?;
    Ok(match value.as_string() {
        Some(text) => parse_json(&text, MAX_ANSWER_JSON).unwrap_or(value),
        None => value,
    })
}

/// The org serving the CIF library: the page's own origin (a web resource of the org), or, on the
/// backend's hosted panel, the origin the backend checked and wrote into
/// `<meta name="ucclient-crm-url">`.
fn org_origin(window: &web_sys::Window, document: &web_sys::Document) -> Option<String> {
    let named = document
        .query_selector("meta[name=\"ucclient-crm-url\"]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .filter(|c| c.len() <= 200 && (c.starts_with("https://") || c.starts_with("http://")));
    named.or_else(|| window.location().origin().ok())
}

/// Inserts the CIF library's script tag (once), listening for `CIFInitDone` first so it cannot be missed.
fn load_library() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    if document
        .query_selector("script[data-cifid]")
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    let on_ready = Closure::<dyn Fn()>::new(|| STATE.with(|s| s.borrow_mut().ready = true));
    let _ =
        window.add_event_listener_with_callback(CIF_INIT_EVENT, on_ready.as_ref().unchecked_ref());
    on_ready.forget();
    let Some(origin) = org_origin(&window, &document) else {
        return;
    };
    let Ok(script) = document.create_element("script") else {
        return;
    };
    let _ = script.set_attribute("src", &format!("{origin}{CIF_LIBRARY_PATH}"));
    let _ = script.set_attribute("data-crmurl", &origin);
    let _ = script.set_attribute("data-cifid", "CIFMainLibrary");
    let on_error = Closure::<dyn Fn()>::new(|| STATE.with(|s| s.borrow_mut().load_failed = true));
    let _ = script.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    on_error.forget();
    let parent = document
        .body()
        .map(|b| b.unchecked_into::<web_sys::Element>())
        .or_else(|| document.document_element());
    if let Some(parent) = parent {
        let _ = parent.append_child(&script);
    }
}

/// The user's LCID from Dataverse's global context (`GetGlobalContext().userSettings.languageId`),
/// for pages that include `ClientGlobalContext.js.aspx`.
fn global_context_lcid() -> Option<u32> {
    let window: JsValue = web_sys::window()?.into();
    let f = Reflect::get(&window, &"GetGlobalContext".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let ctx = f.call0(&JsValue::NULL).ok()?;
    let settings = Reflect::get(&ctx, &"userSettings".into()).ok()?;
    let id = Reflect::get(&settings, &"languageId".into())
        .ok()?
        .as_f64()?;
    (id > 0.0 && id < 100_000.0).then_some(id as u32)
}

/// Loads CIF and waits for it (at most `timeout_ms`, capped), then reads the user's language.
/// Resolves to `{cif: bool, lcid: number | null}`; never rejects.
#[wasm_bindgen]
pub async fn dynamics_prepare(timeout_ms: u32) -> JsValue {
    load_library();
    let ready = wait_until(
        || STATE.with(|s| s.borrow().ready || s.borrow().load_failed),
        timeout_ms.min(MAX_PREPARE_WAIT_MS),
        25,
    )
    .await
        && STATE.with(|s| s.borrow().ready);
    let mut lcid = None;
    if ready && let Ok(env) = cif_call("getEnvironment", vec![]).await {
        lcid = field(&env, "userLcid")
            .and_then(|l| l.as_f64())
            .filter(|l| l.fract() == 0.0 && *l >= 0.0 && *l <= f64::from(u32::MAX))
            .map(|l| l as u32);
    }
    let lcid = lcid.or_else(global_context_lcid);
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.lcid = lcid;
        s.waited = true;
    });
    let out = Object::new();
    let _ = Reflect::set(&out, &"cif".into(), &JsValue::from_bool(ready));
    let _ = Reflect::set(
        &out,
        &"lcid".into(),
        &lcid.map(JsValue::from).unwrap_or(JsValue::NULL),
    );
    out.into()
}

/// Reads a click-to-act payload (`{"value","name","format","entityLogicalName","entityId"?}`;
/// `text(key)` is the payload's string field, if it has one), bounded.
pub fn dial_from_click_to_act(text: impl Fn(&str) -> Option<String>) -> Option<DialRequest> {
    let field = |key: &str| {
        text(key)
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= MAX_FIELD_LEN)
            .map(str::to_owned)
    };
    let number = field("value")?;
    if number.len() > MAX_NUMBER_LEN {
        return None;
    }
    Some(DialRequest {
        number,
        record_id: field("entityId").map(|id| id.trim_matches(['{', '}']).to_owned()),
        object_type: field("entityLogicalName"),
        record_name: None,
    })
}

/// The OData query that finds the contacts that may have this phone number, as office or mobile
/// number. Dataverse keeps phone columns as the text agents typed (`+351912345678`,
/// `912345678`, `+351 912 345 678`, `(21) 3456-7890`, `020 7946 0000`) and OData has no
/// "digits only" function, so an `eq` on the E.164 form misses most of them. The query asks
/// instead for the records whose number *ends with the last three digits and contains the three
/// before them* — what E.164, national and every common grouping of 3 or 4 digits keep
/// together — and [`single_contact`] keeps only the candidates that are really the number
/// (`core::phone::same_number`). Numbers grouped by twos (`06 12 34 56 78`) are not found: the
/// call is then logged without a regarding record rather than against a guess. Only digits reach
/// the query, so nothing typed can change it.
pub fn contact_query(number: &str) -> Option<String> {
    let digits: String = number
        .chars()
        .filter(char::is_ascii_digit)
        .take(MAX_NUMBER_LEN)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let n = digits.len();
    // `get`, not indexing: no panic path (digits are ASCII, so every index is a boundary).
    let (last, before) = match (digits.get(n.saturating_sub(3)..), n.checked_sub(6)) {
        (Some(last), Some(from)) => (last, digits.get(from..n - 3)),
        _ => (digits.as_str(), None),
    };
    let mut query = String::from("?$select=fullname,telephone1,mobilephone&$filter=");
    for (i, field) in ["telephone1", "mobilephone"].into_iter().enumerate() {
        if i > 0 {
            query.push_str(" or ");
        }
        match before {
            Some(before) => {
                for part in [
                    "(endswith(",
                    field,
                    ",'",
                    last,
                    "') and contains(",
                    field,
                    ",'",
                    before,
                    "'))",
                ] {
                    query.push_str(part);
                }
            }
            // A short number (an extension): as it is.
            None => {
                for part in [field, " eq '", last, "'"] {
                    query.push_str(part);
                }
            }
        }
    }
    Some(query)
}

/// Most candidates of a search answer looked at.
const MAX_CANDIDATES: u32 = 50;

/// The one contact in a `searchAndOpenRecords` answer (`{"0": {...}, ...}`) whose office or
/// mobile number is `number`, if exactly one is: its id and full name.
pub fn single_contact(found: &JsValue, number: &str) -> Option<Found> {
    let keys = Object::keys(found.dyn_ref::<Object>()?);
    let mut hit = None;
    for i in 0..keys.length().min(MAX_CANDIDATES) {
        let record = Reflect::get(found, &keys.get(i)).ok()?;
        let same = ["telephone1", "mobilephone"].into_iter().any(|f| {
            text_field(&record, f, MAX_FIELD_LEN)
                .is_some_and(|stored| ucclient_core::phone::same_number(&stored, number))
        });
        if same {
            if hit.is_some() {
                return None;
            }
            hit = Some(Found {
                id: contact_id(&text_field(&record, "contactid", MAX_FIELD_LEN)?)?,
                object_type: None,
                name: text_field(&record, "fullname", MAX_FIELD_LEN),
            });
        }
    }
    hit
}

/// The entities a phonecall may be regarding: logical name, the phonecall's single-valued
/// navigation property for it (the `@odata.bind` key), and its entity set.
const REGARDING_ENTITIES: [(&str, &str, &str); 3] = [
    (
        "contact",
        "regardingobjectid_contact_phonecall@odata.bind",
        "/contacts(",
    ),
    (
        "account",
        "regardingobjectid_account_phonecall@odata.bind",
        "/accounts(",
    ),
    (
        "lead",
        "regardingobjectid_lead_phonecall@odata.bind",
        "/leads(",
    ),
];

/// The record a logged call is regarding: its entity and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regarding {
    /// The entity: logical name, bind key and entity set (a row of [`REGARDING_ENTITIES`]).
    entity: (&'static str, &'static str, &'static str),
    /// The record's GUID (checked by [`contact_id`]).
    id: String,
}

impl Regarding {
    /// The record a call's context names, when it is a contact, account or lead with a
    /// GUID-like id.
    pub fn of_context(object_type: &str, record_id: &str) -> Option<Regarding> {
        let entity = REGARDING_ENTITIES
            .into_iter()
            .find(|e| object_type.eq_ignore_ascii_case(e.0))?;
        Some(Regarding {
            entity,
            id: contact_id(record_id)?,
        })
    }

    /// A contact, by a GUID-like id (from [`single_contact`]).
    pub fn contact(id: String) -> Regarding {
        Regarding {
            entity: REGARDING_ENTITIES[0],
            id,
        }
    }
}

/// The record a found contact is, and its name.
fn contact_and_name(found: Found) -> (Regarding, Option<String>) {
    (Regarding::contact(found.id), found.name)
}

/// A contact id as CIF writes it (`{GUID}` or `GUID`), braces removed; `None` unless it is a GUID-like
/// string of hex digits and dashes, so that it is safe inside an OData bind.
pub fn contact_id(raw: &str) -> Option<String> {
    let id = raw.trim_matches(['{', '}']);
    (!id.is_empty()
        && id.len() <= MAX_FIELD_LEN
        && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
    .then(|| id.to_owned())
}

/// The phonecall's state: Completed (the call is over when it is logged).
const PHONECALL_COMPLETED: i64 = 1;
/// The phonecall's status reasons within Completed: Made (outgoing), Received (incoming).
const PHONECALL_MADE: i64 = 2;
const PHONECALL_RECEIVED: i64 = 4;

/// The `createRecord("phonecall", …)` data for a finished call: created completed (state
/// Completed, status Made or Received), regarding the record when known through the phonecall
/// entity's own single-valued navigation property (`regardingobjectid_contact_phonecall@odata.bind:
/// "/contacts(<id>)"`, likewise for accounts and leads), as the Dataverse Web API expects.
pub fn phonecall_for(call: &Call, regarding: Option<&Regarding>) -> Payload {
    phonecall_of(CallSummary::of(call), call, regarding)
}

/// [`phonecall_for`] with the call's summary made already (a voicemail's, with its message's
/// length).
fn phonecall_of(summary: CallSummary, call: &Call, regarding: Option<&Regarding>) -> Payload {
    let mut description = summary.description();
    description.push_str(" (call ");
    description.push_str(&call.id);
    description.push_str(").");
    let status = if summary.outgoing {
        PHONECALL_MADE
    } else {
        PHONECALL_RECEIVED
    };
    let mut record = Payload::default()
        .with("subject", summary.subject)
        .with("phonenumber", summary.number)
        .with("directioncode", summary.outgoing)
        .with("description", description)
        .with("actualdurationminutes", (summary.seconds + 59) / 60)
        .with("statecode", PHONECALL_COMPLETED)
        .with("statuscode", status);
    if let Some(r) = regarding {
        let (_, key, set) = r.entity;
        let mut bind = String::from(set);
        bind.push_str(&r.id);
        bind.push(')');
        record.set(key, bind);
    }
    record
}

/// The `updateRecord("phonecall", id, …)` data of the agent's wrap-up: the notes as its
/// `description`, the disposition's label in `category` (a phonecall has no outcome field of its
/// own; `category` is the standard free-text field of activities, 250 characters). The rest of
/// the phonecall stays as logged.
pub fn phonecall_wrap_up(wrap_up: &WrapUp, outcome: Option<&str>) -> Payload {
    let mut record = Payload::default();
    if let Some(notes) = wrap_up_notes(wrap_up) {
        record.set("description", notes);
    }
    if let Some(o) = outcome {
        record.set("category", o);
    }
    record
}

/// The widget's host inside a Dynamics 365 CIF panel.
pub struct DynamicsHost {
    /// Handlers, logged calls and screen-pop matches, shared with CIF's callbacks.
    bridge: Rc<Bridge>,
}

impl DynamicsHost {
    /// Connects to CIF if [`dynamics_prepare`] found it ready; otherwise says CIF is unavailable.
    pub fn new() -> DynamicsHost {
        let bridge = Bridge::new("Dynamics 365 CIF");
        let prepared = STATE.with(|s| s.borrow().clone());
        if !prepared.ready {
            let why = if prepared.load_failed {
                "the library could not be loaded"
            } else if cif().is_none() {
                "the library did not load"
            } else {
                "it did not initialise"
            };
            bridge.problem(format!(
                "Dynamics 365 Channel Integration Framework is unavailable ({why}): click-to-act, screen pop and call logging are off; dial by hand."
            ));
            return DynamicsHost { bridge };
        }
        let dials = bridge.clone();
        let handler = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |payload: JsValue| {
            let parsed = match payload.as_string() {
                Some(text) => parse_json(&text, MAX_ANSWER_JSON),
                None => Some(payload),
            };
            if let Some(req) = parsed
                .and_then(|p| dial_from_click_to_act(|key| text_field(&p, key, MAX_ANSWER_JSON)))
            {
                dials.dial(req);
            }
            Promise::resolve(&JsValue::from_str("true")).into()
        });
        let handler: JsValue = handler.into_js_value();
        bridge.run_steps(
            vec![
                cif_call("addHandler", vec!["onclicktoact".into(), handler]),
                cif_call("setClickToAct", vec![JsValue::TRUE]),
            ],
            true,
        );
        if let Some(api) = cif() {
            watch_presence(&bridge, &api);
        }
        DynamicsHost { bridge }
    }

    fn fire(&self, method: &'static str, args: Vec<JsValue>) {
        if cif().is_none() || !STATE.with(|s| s.borrow().ready) {
            return;
        }
        self.bridge.run(cif_call(method, args), None);
    }
}

impl Default for DynamicsHost {
    fn default() -> DynamicsHost {
        DynamicsHost::new()
    }
}

impl Host for DynamicsHost {
    fn kind(&self) -> HostKind {
        HostKind::Dynamics
    }

    fn on_click_to_dial(&self, handler: Rc<dyn Fn(DialRequest)>) {
        self.bridge.on_dial(handler);
    }

    fn on_unavailable(&self, handler: Rc<dyn Fn(String)>) {
        self.bridge.on_problem(handler);
    }

    fn screen_pop(&self, call: &Call) {
        if !STATE.with(|s| s.borrow().ready) {
            return;
        }
        let Some(query) = contact_query(&call.from) else {
            return;
        };
        let call_id = call.id.clone();
        let number = call.from.clone();
        let link = move |bridge: &Bridge, found: JsValue| {
            if let Some(contact) = single_contact(&found, &number) {
                bridge.found(call_id, contact);
            }
        };
        self.bridge.run(
            cif_call(
                "searchAndOpenRecords",
                vec!["contact".into(), query.into(), JsValue::FALSE],
            ),
            Some(Box::new(link)),
        );
    }

    fn log_call(&self, call: &Call, logged: Box<dyn FnOnce(String)>) {
        self.log_voicemail(call, None, logged);
    }

    fn found_name(&self, call_id: &str) -> Option<String> {
        self.bridge.found_name(call_id)
    }

    fn log_voicemail(&self, call: &Call, message_ms: Option<u32>, logged: Box<dyn FnOnce(String)>) {
        if !STATE.with(|s| s.borrow().ready) || !self.bridge.first_log(&call.id) {
            return;
        }
        let from_context = call.context.as_ref().and_then(|c| {
            Regarding::of_context(c.object_type.as_deref()?, c.record_id.as_deref()?)
        });
        let known = from_context
            .map(|r| (r, None))
            .or_else(|| self.bridge.take_found(&call.id).map(contact_and_name));
        let number = match call.direction {
            CallDirection::Outbound => call.to.clone(),
            CallDirection::Inbound => call.from.clone(),
        };
        let bridge = self.bridge.clone();
        let call = call.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Click-to-act carries no record id: find the contact by number, and link only a single match.
            let (regarding, name) = match known {
                Some(k) => (Some(k.0), k.1),
                None => match contact_query(&number) {
                    Some(q) => cif_call(
                        "searchAndOpenRecords",
                        vec!["contact".into(), q.into(), JsValue::TRUE],
                    )
                    .await
                    .ok()
                    .and_then(|found| single_contact(&found, &number))
                    .map(contact_and_name)
                    .map_or((None, None), |(r, n)| (Some(r), n)),
                    None => (None, None),
                },
            };
            // The contact found names the call in the log ("Call to Rita Lopes").
            let named = named_after(&call, CrmKind::Dynamics, name.as_deref());
            let call = named.as_ref().unwrap_or(&call);
            let summary = CallSummary::of(call).with_message(message_ms);
            let data = phonecall_of(summary, call, regarding.as_ref()).to_json();
            // CIF answers with the new phonecall's id: the wrap-up updates that record.
            match cif_call("createRecord", vec!["phonecall".into(), data.into()]).await {
                Ok(answer) => {
                    if let Some(id) = text_field(&answer, "id", MAX_FIELD_LEN) {
                        logged(id);
                    }
                }
                Err(why) => bridge.report(&why),
            }
        });
    }

    fn log_wrap_up(&self, record_id: &str, _call: &Call, wrap_up: &WrapUp, outcome: Option<&str>) {
        if !STATE.with(|s| s.borrow().ready) {
            return;
        }
        let data = phonecall_wrap_up(wrap_up, outcome).to_json();
        self.fire(
            "updateRecord",
            vec!["phonecall".into(), record_id.into(), data.into()],
        );
    }

    fn set_panel_visible(&self, visible: bool) {
        self.fire("setMode", vec![JsValue::from(if visible { 1 } else { 0 })]);
    }

    fn set_presence_label(&self, _label: &PresenceLabel) {
        // The panel shows the badge itself; CIF 2.0's own presence follows the profile by the
        // customer's map (nothing before `getPresence` answered, so nothing under CIF 1.0).
        publish(&self.bridge);
    }

    fn locale(&self) -> Option<Language> {
        STATE
            .with(|s| s.borrow().lcid)
            .and_then(Language::from_lcid)
    }
}

// --- CIF 2.0 presence <-> profile (issue 14) ---

/// Dynamics 365's presence as the bridge knows it: the text Dynamics said last, or the one the
/// bridge set. What the two sync rules of core's [`CrmPresenceMap`] compare with, so a change
/// is never sent back to the side it came from.
#[derive(Default)]
pub struct CrmPresence {
    /// The presence text (`Busy - DND`), once known.
    text: Option<String>,
    /// `getPresence` has answered: profile changes may be published from now on.
    known: bool,
    /// The profile last looked at: only a change of it is published, so a store update while
    /// the profile has not yet followed Dynamics does not send Dynamics back.
    profile: Option<ProfileId>,
    /// The widget's context ([`attach`]): the customer's map, the profile, the backend.
    ctx: Option<Ctx>,
}

impl CrmPresence {
    /// Dynamics says its presence is `text` (`onPresenceChange`): remembered; the profile to set
    /// by `map` (none when off, unmapped or already the agent's `current` profile: an echo).
    pub fn crm_changed(
        &mut self,
        map: Option<&CrmPresenceMap>,
        text: String,
        current: Option<ProfileId>,
    ) -> Option<ProfileId> {
        let to = map.and_then(|m| m.sync_from_crm(CrmKind::Dynamics, &[&text], current));
        self.text = Some(text);
        to
    }

    /// The agent's profile is now `profile`: the presence text to `setPresence` (none before
    /// Dynamics's own is known, when the profile has not changed, or when `map` says Dynamics
    /// already stands for it), remembered as Dynamics's from now on so that its echo and a
    /// repeat do nothing.
    pub fn profile_changed(
        &mut self,
        map: Option<&CrmPresenceMap>,
        profile: ProfileId,
    ) -> Option<String> {
        if !self.known || self.profile == Some(profile) {
            return None;
        }
        self.profile = Some(profile);
        let to = map?
            .sync_to_crm(CrmKind::Dynamics, profile, self.text.as_deref().as_slice())?
            .to_owned();
        self.text = Some(to.clone());
        Some(to)
    }
}

thread_local! {
    static PRESENCE: RefCell<CrmPresence> = RefCell::new(CrmPresence::default());
}

/// One step of the sync, with the customer's map (none before sign-in, from a backend without
/// one, or before [`attach`]) and the agent's profile: Dynamics's presence became `crm` (its
/// change event), or else the profile may have changed. Answers the widget's context, the profile
/// to set and the presence text to publish.
fn step(crm: Option<String>) -> (Option<Ctx>, Option<ProfileId>, Option<String>) {
    PRESENCE.with(|c| {
        let mut c = c.borrow_mut();
        let ctx = c.ctx;
        let state = ctx.map(|ctx| ctx.store.read_untracked());
        let s = state.as_deref();
        let map = s.and_then(|s| s.me.as_ref()?.crm_presence.as_ref());
        let current = s.and_then(|s| s.my_presence()).map(|p| p.profile);
        match crm {
            Some(text) => (ctx, c.crm_changed(map, text, current), None),
            None => (ctx, None, current.and_then(|p| c.profile_changed(map, p))),
        }
    })
}

/// The agent's profile may have changed (from any tab, the CRM or the PBX): Dynamics follows.
fn publish(bridge: &Rc<Bridge>) {
    if let (_, _, Some(text)) = step(None) {
        bridge.run(cif_call("setPresence", vec![text.into()]), None);
    }
}

/// `onPresenceChange` (the JSON text `{"presenceInfo": {"presenceText": …}}`): the profile
/// follows through the backend (and so, in active mode, the PBX).
fn on_presence_change(payload: JsValue) -> JsValue {
    let text = payload
        .as_string()
        .and_then(|t| parse_json(&t, MAX_ANSWER_JSON))
        .and_then(|p| field(&p, "presenceInfo"))
        .and_then(|i| text_field(&i, "presenceText", MAX_FIELD_LEN));
    // An event without the text (an older form names only the `presenceId`) changes nothing.
    if text.is_some()
        && let (Some(ctx), Some(p), _) = step(text)
    {
        ctx.set_presence(p);
    }
    JsValue::UNDEFINED
}

/// With CIF 2.0's presence API (`setPresence` exists): registers `onPresenceChange`, then reads
/// `getPresence` (remembered, not applied: Dynamics is brought to the agent's profile).
fn watch_presence(bridge: &Rc<Bridge>, api: &Object) {
    if !Reflect::get(api, &"setPresence".into()).is_ok_and(|f| f.is_function()) {
        return;
    }
    let handler = Closure::<dyn Fn(JsValue) -> JsValue>::new(on_presence_change).into_js_value();
    let b = bridge.clone();
    let read: OnAnswer = Box::new(move |_, _| {
        let b2 = b.clone();
        let known: OnAnswer = Box::new(move |_, now| {
            PRESENCE.with(|c| {
                let mut c = c.borrow_mut();
                c.text = now
                    .as_string()
                    .filter(|t| t.len() <= MAX_FIELD_LEN && t != "FAILED");
                c.known = true;
            });
            publish(&b2);
        });
        b.run(cif_call("getPresence", vec![]), Some(known));
    });
    bridge.run(
        cif_call("addHandler", vec!["onPresenceChange".into(), handler]),
        Some(read),
    );
}

/// Gives CIF 2.0's presence the widget's context (called by [`crate::mount`] inside the
/// widget's owner): Dynamics's presence and the agent's profile are kept in step both ways by
/// the customer's map. CIF 1.0 has no presence API, and the panel keeps its own badge.
pub fn attach(ctx: Ctx) {
    PRESENCE.with(|c| c.borrow_mut().ctx = Some(ctx));
}

#[cfg(test)]
mod tests {
    use super::super::interop::{Plain, fields};
    use super::*;
    use ucclient_core::api::{CallState, Timestamp};

    #[test]
    fn click_to_act_payloads_become_dial_requests() {
        let req = dial_from_click_to_act(fields(&[
            ("value", "+351 912 345 678"),
            ("name", "mobilephone"),
            ("format", "phone"),
            ("entityLogicalName", "contact"),
        ]))
        .unwrap();
        assert_eq!(req.number, "+351 912 345 678");
        assert_eq!(req.object_type.as_deref(), Some("contact"));
        assert_eq!(req.record_id, None, "CIF gives no record id");
        let with_id = dial_from_click_to_act(fields(&[
            ("value", "1"),
            ("entityLogicalName", "contact"),
            ("entityId", "{ABC-1}"),
        ]));
        assert_eq!(with_id.unwrap().record_id.as_deref(), Some("ABC-1"));
        assert!(dial_from_click_to_act(fields(&[("name", "mobilephone")])).is_none());
        let long = "9".repeat(65);
        assert!(dial_from_click_to_act(fields(&[("value", &long)])).is_none());
    }

    #[test]
    fn the_contact_query_finds_the_number_however_it_was_typed_and_resists_injection() {
        let q = contact_query("+351 912 345 678").unwrap();
        assert_eq!(
            q,
            "?$select=fullname,telephone1,mobilephone&$filter=\
             (endswith(telephone1,'678') and contains(telephone1,'345')) or \
             (endswith(mobilephone,'678') and contains(mobilephone,'345'))"
        );
        // The same candidates whatever form the number came in.
        assert_eq!(contact_query("912345678"), Some(q.clone()));
        assert_eq!(contact_query("+351912345678"), Some(q));
        // An extension is looked up as it is.
        assert_eq!(
            contact_query("201").unwrap(),
            "?$select=fullname,telephone1,mobilephone&$filter=telephone1 eq '201' or mobilephone eq '201'"
        );
        let q = contact_query("1' or fullname ne '").unwrap();
        assert!(!q.contains("fullname ne"), "{q}");
        assert!(contact_query("abc").is_none());
        assert!(contact_query("+").is_none());
    }

    #[test]
    fn only_a_guid_like_contact_id_is_linked() {
        assert_eq!(
            contact_id("{11111111-2222-3333-4444-555555555555}").as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(contact_id("abc-123").as_deref(), Some("abc-123"));
        assert_eq!(contact_id("{}"), None);
        assert_eq!(contact_id("x') or ('1"), None);
        assert_eq!(contact_id(&"a".repeat(MAX_FIELD_LEN + 1)), None);
    }

    #[test]
    fn a_wrap_up_updates_the_phonecalls_description_and_category_only() {
        let wrap_up = WrapUp {
            notes: "  Wants a quote\nFriday  ".into(),
            disposition: Some("follow_up".into()),
        };
        let update = phonecall_wrap_up(&wrap_up, Some("Follow-up"));
        assert_eq!(update.text("description"), Some("Wants a quote\nFriday"));
        assert_eq!(update.text("category"), Some("Follow-up"));
        assert!(update.get("subject").is_none() && update.get("statecode").is_none());
        let bare = phonecall_wrap_up(&WrapUp::default(), None);
        assert!(bare.get("description").is_none() && bare.get("category").is_none());
    }

    #[test]
    fn a_finished_call_becomes_a_phonecall_regarding_the_contact() {
        let start = Timestamp::parse("2026-03-04T10:00:00Z").unwrap();
        let call = Call {
            id: "c9".into(),
            direction: CallDirection::Outbound,
            from: "201".into(),
            to: "+351912345678".into(),
            state: CallState::Ended,
            started_at: start,
            answered_at: Some(start),
            ended_at: start.checked_add_seconds(61),
            context: None,
            internal: false,
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
        let rita = Regarding::contact("11111111-2222-3333-4444-555555555555".into());
        let pc = phonecall_for(&call, Some(&rita));
        assert_eq!(pc.text("subject"), Some("Call to +351 912 345 678"));
        assert_eq!(pc.text("phonenumber"), Some("+351912345678"));
        assert_eq!(pc.get("directioncode"), Some(&Plain::Bool(true)));
        assert_eq!(pc.get("actualdurationminutes"), Some(&Plain::Int(2)));
        // Created completed: state Completed, status Made (outgoing).
        assert_eq!(pc.get("statecode"), Some(&Plain::Int(1)));
        assert_eq!(pc.get("statuscode"), Some(&Plain::Int(2)));
        // Bound through the phonecall's own navigation property, never the generic one.
        assert_eq!(
            pc.text("regardingobjectid_contact_phonecall@odata.bind"),
            Some("/contacts(11111111-2222-3333-4444-555555555555)")
        );
        assert!(pc.get("regardingobjectid_contact@odata.bind").is_none());
        assert!(
            phonecall_for(&call, None)
                .get("regardingobjectid_contact_phonecall@odata.bind")
                .is_none()
        );
        // An incoming call is Received; an account from the call's context binds as an account.
        let inbound = Call {
            direction: CallDirection::Inbound,
            from: "+351912345678".into(),
            to: "201".into(),
            ..call
        };
        let account = Regarding::of_context("Account", "{AAAAAAAA-0000-0000-0000-000000000001}");
        let pc = phonecall_for(&inbound, account.as_ref());
        assert_eq!(pc.get("statuscode"), Some(&Plain::Int(4)));
        assert_eq!(pc.get("directioncode"), Some(&Plain::Bool(false)));
        assert_eq!(
            pc.text("regardingobjectid_account_phonecall@odata.bind"),
            Some("/accounts(AAAAAAAA-0000-0000-0000-000000000001)")
        );
        // The contact the click came from names the call.
        let named = Call {
            context: Some(ucclient_core::api::CallContext {
                crm: ucclient_core::api::CrmKind::Dynamics,
                record_id: None,
                object_type: None,
                record_name: Some("Rita Lopes".into()),
            }),
            ..inbound
        };
        assert_eq!(
            phonecall_for(&named, None).text("subject"),
            Some("Call from Rita Lopes")
        );
        assert_eq!(Regarding::of_context("opportunity", "1"), None);
        assert_eq!(Regarding::of_context("lead", "x') or ('1"), None);
    }

    #[test]
    fn a_call_that_left_a_message_is_logged_as_the_voicemail_with_its_length() {
        let start = Timestamp::parse("2026-03-04T10:00:00Z").unwrap();
        let call = Call {
            id: "c7".into(),
            direction: CallDirection::Inbound,
            from: "+351912345678".into(),
            to: "202".into(),
            state: CallState::Failed,
            started_at: start,
            answered_at: None,
            ended_at: start.checked_add_seconds(30),
            context: None,
            internal: false,
            outcome: Some(ucclient_core::api::CallOutcome::Voicemail),
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
        let rita = Regarding::contact("11111111-2222-3333-4444-555555555555".into());
        let summary = CallSummary::of(&call).with_message(Some(12_400));
        let pc = phonecall_of(summary, &call, Some(&rita));
        assert_eq!(pc.text("subject"), Some("Voicemail from +351 912 345 678"));
        assert_eq!(
            pc.text("description"),
            Some(
                "Voicemail from +351 912 345 678, message of 0:13, logged by UcClient CRM (call c7)."
            )
        );
        assert_eq!(pc.get("statuscode"), Some(&Plain::Int(4)), "received");
        // The record the screen pop found names it; without the message's length the talk time
        // (none) is said as for any call.
        let named = named_after(&call, CrmKind::Dynamics, Some("Rita Lopes")).unwrap();
        let pc = phonecall_for(&named, None);
        assert_eq!(pc.text("subject"), Some("Voicemail from Rita Lopes"));
        assert!(
            pc.text("description")
                .unwrap()
                .starts_with("Voicemail from Rita Lopes, 0 s")
        );
    }

    #[test]
    fn a_dynamics_presence_sets_the_profile_and_its_echo_publishes_nothing() {
        use ProfileId::*;
        let map = CrmPresenceMap::default();
        let mut crm = CrmPresence::default();
        // Before Dynamics's presence is known nothing is published.
        assert_eq!(crm.profile_changed(Some(&map), InAMeeting), None);
        // getPresence answers Available, the agent's profile.
        crm.known = true;
        crm.text = Some("Available".into());
        assert_eq!(crm.profile_changed(Some(&map), Available), None);
        // Dynamics goes Busy: the profile follows; the profile's change then publishes nothing.
        assert_eq!(
            crm.crm_changed(Some(&map), "Busy".into(), Some(Available)),
            Some(InAMeeting)
        );
        // The store changes before the profile has followed: Dynamics is not sent back.
        assert_eq!(crm.profile_changed(Some(&map), Available), None);
        assert_eq!(crm.profile_changed(Some(&map), InAMeeting), None);
        // Unmapped ("Training"), or already the profile: nothing.
        assert_eq!(
            crm.crm_changed(Some(&map), "Training".into(), Some(InAMeeting)),
            None
        );
        assert_eq!(
            crm.crm_changed(Some(&map), "busy - dnd".into(), Some(OnHoliday)),
            None
        );
        // Without a map (signed out, older backend) the text is still remembered.
        assert_eq!(crm.crm_changed(None, "Away".into(), Some(Available)), None);
        assert_eq!(crm.text.as_deref(), Some("Away"));
        assert_eq!(crm.profile_changed(Some(&map), Away), None);
    }

    #[test]
    fn a_profile_change_publishes_the_presence_once() {
        use ProfileId::*;
        let map = CrmPresenceMap::default();
        let mut crm = CrmPresence {
            text: Some("Available".into()),
            known: true,
            profile: None,
            ctx: None,
        };
        assert_eq!(
            crm.profile_changed(Some(&map), OutOfOffice).as_deref(),
            Some("Offline")
        );
        // A repeat, and Dynamics's own change event for it, do nothing; so does a change back
        // to a profile Dynamics already stands for.
        assert_eq!(crm.profile_changed(Some(&map), OutOfOffice), None);
        assert_eq!(
            crm.crm_changed(Some(&map), "Offline".into(), Some(OutOfOffice)),
            None
        );
        crm.text = Some("Away".into());
        assert_eq!(crm.profile_changed(Some(&map), Away), None);
        // A profile the map does not name leaves Dynamics alone; so does a map that is off.
        assert_eq!(crm.profile_changed(Some(&map), Lunch), None);
        let off = CrmPresenceMap {
            enabled: false,
            ..CrmPresenceMap::default()
        };
        assert_eq!(crm.profile_changed(Some(&off), Available), None);
        assert_eq!(crm.profile_changed(None, InAMeeting), None);
        assert_eq!(crm.text.as_deref(), Some("Away"));
    }
}
