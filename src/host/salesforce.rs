//! The Salesforce Lightning bridge: the widget inside an Open CTI softphone (the utility bar's iframe).
//! This file is the only code that touches `sforce.opencti`; it must never block and never panic when
//! Open CTI is missing or failing (it reports that as a sentence through [`Host::on_unavailable`]).
//!
//! Flow: the softphone page's boot script awaits [`salesforce_prepare`] (reads the call center's
//! settings: the backend URL and whether to log calls), then mounts the widget, whose host is a
//! [`SalesforceHost`]: it registers `onClickToDial` then `enableClickToDial`, and calls
//! `notifyInitializationComplete`. Clicks that arrive before the widget is signed in are kept and
//! delivered once it is. Inbound calls make the panel visible and `searchAndScreenPop` the caller's
//! number; finished calls are logged with `saveLog` as completed Tasks on the record they relate to
//! (the clicked record, else the single record the screen pop found); the agent's presence is shown
//! on the utility item (label and icon).
//!
//! Open CTI is scheduled for retirement (CRM.md): keep this bridge thin so that a Salesforce Voice
//! connector can sit beside it behind the same [`Host`] trait.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use ucclient_core::Language;
use ucclient_core::api::{Call, CrmKind, WrapUp};
use ucclient_core::profile::Colour;
use wasm_bindgen::prelude::*;

use super::interop::{
    Bridge, CallSummary, Found, HostCall, Payload, call_method, error_text, field, global_path,
    named_after, object, settle, single_entry, text_field, wrap_up_notes,
};
use super::{DialRequest, Host, HostKind, PresenceLabel};

/// The call center's settings item holding the backend's origin (`ucClientSettings` section).
pub const BACKEND_URL_KEY: &str = "/ucClientSettings/backendUrl";
/// The call center's settings item saying whether finished calls are logged as Tasks.
pub const LOG_CALLS_KEY: &str = "/ucClientSettings/logCalls";
/// How long an Open CTI callback may take before it counts as failed.
const CALLBACK_TIMEOUT_MS: u32 = 8_000;
/// Longest phone number accepted from a payload, in bytes.
const MAX_NUMBER_LEN: usize = 64;
/// Longest record id / name / type accepted from a payload, in bytes.
const MAX_FIELD_LEN: usize = 255;
/// Longest string read from an Open CTI answer or payload, in bytes (callers bound further).
const MAX_TEXT_LEN: usize = 4096;
/// Longest utility-item label set.
const MAX_LABEL_CHARS: usize = 40;

/// What the call center says about this softphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCenterSettings {
    /// The backend origin, when the call center has a valid one.
    pub backend_url: Option<String>,
    /// Whether finished calls are logged as Tasks (on unless the setting says `false`).
    pub log_calls: bool,
}

impl Default for CallCenterSettings {
    fn default() -> CallCenterSettings {
        CallCenterSettings {
            backend_url: None,
            log_calls: true,
        }
    }
}

/// Reads our items out of `getCallCenterSettings`' flat map (`text(key)` is the item's string
/// value, if it has one); an invalid backend URL counts as none.
pub fn settings_from_map(text: impl Fn(&str) -> Option<String>) -> CallCenterSettings {
    let backend_url = text(BACKEND_URL_KEY)
        .as_deref()
        .map(str::trim)
        .map(|u| u.trim_end_matches('/'))
        .filter(|u| {
            u.len() <= 200
                && (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(['"', '\'', '<', '>', ' ', '@'])
        })
        .map(str::to_owned);
    let log_calls =
        !matches!(text(LOG_CALLS_KEY), Some(v) if v.trim().eq_ignore_ascii_case("false"));
    CallCenterSettings {
        backend_url,
        log_calls,
    }
}

thread_local! {
    /// Settings read by [`salesforce_prepare`], and the problem met while reading them.
    static PREPARED: RefCell<(CallCenterSettings, Option<String>)> =
        RefCell::new((CallCenterSettings::default(), None));
}

fn opencti() -> Option<Object> {
    global_path(&["sforce", "opencti"])
}

/// Calls an Open CTI method with `args` plus a callback and waits (bounded) for its answer:
/// `returnValue` on success, a sentence otherwise. Nothing happens until it is awaited.
fn opencti_call(method: &'static str, args: Object) -> HostCall {
    Box::pin(opencti_answer(method, args))
}

/// The future of [`opencti_call`].
async fn opencti_answer(method: &'static str, args: Object) -> Result<JsValue, String> {
    let api = opencti().ok_or_else(|| "Open CTI is not loaded".to_owned())?;
    let mut resolve_fn: Option<js_sys::Function> = None;
    let promise = Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
    if let Some(resolve) = resolve_fn {
        let _ = Reflect::set(&args, &"callback".into(), &resolve);
    }
    call_method(&api, method, &[args.into()])?;
    let response = settle(method, promise, CALLBACK_TIMEOUT_MS).await?;
    let success = Reflect::get(&response, &"success".into())
        .ok()
        .and_then(|s| s.as_bool())
        .unwrap_or(false);
    if success {
        Ok(Reflect::get(&response, &"returnValue".into()).unwrap_or(JsValue::NULL))
    } else {
        let errors = Reflect::get(&response, &"errors".into()).unwrap_or(JsValue::NULL);
        Err(format!("{method} failed: {}", error_text(&errors)))
    }
}

/// Reads the call center's settings through Open CTI before the widget mounts. Resolves to
/// `{api_base: string | null, log_calls: bool, problem: string | null}`; never rejects.
#[wasm_bindgen]
pub async fn salesforce_prepare() -> JsValue {
    let (settings, problem) = match opencti_call("getCallCenterSettings", Object::new()).await {
        Ok(value) if value.is_object() && !js_sys::Array::is_array(&value) => {
            let s = settings_from_map(|key| text_field(&value, key, MAX_TEXT_LEN));
            let problem = s.backend_url.is_none().then(|| {
                "The call center has no valid Backend URL (UcClient CRM section): ask your Salesforce administrator to set it.".to_owned()
            });
            (s, problem)
        }
        Ok(_) => (
            CallCenterSettings::default(),
            Some("Open CTI answered getCallCenterSettings with something unreadable.".to_owned()),
        ),
        Err(why) => (
            CallCenterSettings::default(),
            Some(format!(
                "Salesforce Open CTI is unavailable ({why}): the backend address (a call center setting) is unknown, and click-to-dial, screen pop and call logging are off. Ask your Salesforce administrator."
            )),
        ),
    };
    let out = object(&[
        (
            "api_base",
            settings
                .backend_url
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
        ),
        ("log_calls", JsValue::from_bool(settings.log_calls)),
        (
            "problem",
            problem
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
        ),
    ]);
    PREPARED.with(|p| *p.borrow_mut() = (settings, problem));
    out.into()
}

/// Reads a click-to-dial payload (`number`, `recordId`, `recordName`, `objectType`, …; `text(key)`
/// is the payload's string field, if it has one), bounded.
pub fn dial_from_payload(text: impl Fn(&str) -> Option<String>) -> Option<DialRequest> {
    let field = |key: &str| {
        text(key)
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= MAX_FIELD_LEN)
            .map(str::to_owned)
    };
    let number = field("number")?;
    if number.len() > MAX_NUMBER_LEN {
        return None;
    }
    // A person account's click carries the account as the record; its contact is the person.
    Some(DialRequest {
        number,
        record_id: field("recordId").or_else(|| field("contactId")),
        object_type: field("objectType"),
        record_name: field("recordName"),
    })
}

/// The Task field naming the record: `WhoId` for people (Contact, Lead), `WhatId` for the rest.
pub fn task_link_field(record_id: &str, object_type: Option<&str>) -> &'static str {
    let person = match object_type {
        Some(t) => t.eq_ignore_ascii_case("Contact") || t.eq_ignore_ascii_case("Lead"),
        None => record_id.starts_with("003") || record_id.starts_with("00Q"),
    };
    if person { "WhoId" } else { "WhatId" }
}

/// The `saveLog` value for a finished call: a completed Task linked to `record` when known.
pub fn task_for(call: &Call, record: Option<(&str, Option<&str>)>) -> Payload {
    task_of(CallSummary::of(call), call, record)
}

/// [`task_for`] with the call's summary made already (a voicemail's, with its message's length).
fn task_of(summary: CallSummary, call: &Call, record: Option<(&str, Option<&str>)>) -> Payload {
    let day = call.ended_at.unwrap_or(call.started_at).date();
    let mut description = summary.description();
    description.push('.');
    let mut task = Payload::default()
        .with("entityApiName", "Task")
        .with("Subject", summary.subject)
        .with("Status", "Completed")
        .with("TaskSubtype", "Call")
        .with(
            "CallType",
            if summary.outgoing {
                "Outbound"
            } else {
                "Inbound"
            },
        )
        .with("CallDurationInSeconds", summary.seconds)
        .with("CallObject", call.id.as_str())
        .with(
            "ActivityDate",
            format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day()),
        )
        .with("Description", description);
    if let Some((id, object_type)) = record {
        task.set(task_link_field(id, object_type), id);
    }
    task
}

/// Longest record id read from Open CTI's answer.
const MAX_RECORD_ID_LEN: usize = 64;

/// The `saveLog` value that updates the Task `record_id` (its `Id` makes Open CTI update, not
/// create) with the agent's wrap-up: the notes as its `Description`, the disposition's label as its
/// `CallDisposition`; the rest of the Task (subject, link, duration) stays as logged.
pub fn task_wrap_up(record_id: &str, wrap_up: &WrapUp, outcome: Option<&str>) -> Payload {
    let mut task = Payload::default()
        .with("entityApiName", "Task")
        .with("Id", record_id);
    if let Some(notes) = wrap_up_notes(wrap_up) {
        task.set("Description", notes);
    }
    if let Some(o) = outcome {
        task.set("CallDisposition", o);
    }
    task
}

/// The utility-item icon for a presence colour (Salesforce Lightning utility icon names).
pub fn icon_for(label: &PresenceLabel) -> &'static str {
    if label.on_call {
        return "call";
    }
    match label.colour {
        Colour::Available => "user",
        Colour::Away => "away",
        Colour::Busy => "ban",
        Colour::Unknown => "user",
    }
}

/// The widget's host inside a Salesforce Open CTI softphone.
pub struct SalesforceHost {
    /// Handlers, logged calls and screen-pop matches, shared with Open CTI's callbacks.
    bridge: Rc<Bridge>,
    /// Whether finished calls are logged.
    log_calls: bool,
    /// The last label set on the utility item (not set again when unchanged).
    last_label: RefCell<Option<PresenceLabel>>,
}

impl SalesforceHost {
    /// Connects to Open CTI (listener first, then click-to-dial on, then "initialised").
    pub fn new() -> SalesforceHost {
        let (settings, problem) = PREPARED.with(|p| p.borrow().clone());
        let bridge = Bridge::new("Salesforce Open CTI");
        let host = SalesforceHost {
            bridge: bridge.clone(),
            log_calls: settings.log_calls,
            last_label: RefCell::new(None),
        };
        if let Some(p) = problem {
            bridge.problem(p);
        }
        if opencti().is_none() {
            bridge.problem(
                "Salesforce Open CTI did not load: click-to-dial, screen pop and call logging are off.".to_owned(),
            );
            return host;
        }
        let dials = bridge.clone();
        let listener = Closure::<dyn Fn(JsValue)>::new(move |payload: JsValue| {
            if let Some(req) = dial_from_payload(|key| text_field(&payload, key, MAX_TEXT_LEN)) {
                dials.dial(req);
            }
        });
        let listener_fn: JsValue = listener.into_js_value();
        bridge.run_steps(
            vec![
                opencti_call("onClickToDial", object(&[("listener", listener_fn)])),
                opencti_call("enableClickToDial", Object::new()),
                opencti_call("notifyInitializationComplete", Object::new()),
            ],
            false,
        );
        host
    }

    /// Fires an Open CTI method whose answer only matters when it fails.
    fn fire(&self, method: &'static str, args: Object) {
        self.bridge.run(opencti_call(method, args), None);
    }
}

impl Default for SalesforceHost {
    fn default() -> SalesforceHost {
        SalesforceHost::new()
    }
}

impl Host for SalesforceHost {
    fn kind(&self) -> HostKind {
        HostKind::Salesforce
    }

    fn on_click_to_dial(&self, handler: Rc<dyn Fn(DialRequest)>) {
        self.bridge.on_dial(handler);
    }

    fn on_unavailable(&self, handler: Rc<dyn Fn(String)>) {
        self.bridge.on_problem(handler);
    }

    fn screen_pop(&self, call: &Call) {
        let call_type = global_path(&["sforce", "opencti", "CALL_TYPE"])
            .and_then(|t| Reflect::get(&t, &"INBOUND".into()).ok())
            .filter(|v| v.is_string())
            .unwrap_or_else(|| JsValue::from_str("inbound"));
        let number = call.from.clone();
        let args = object(&[
            ("searchParams", JsValue::from_str(&number)),
            ("queryParams", JsValue::from_str("")),
            (
                "defaultFieldValues",
                Payload::default()
                    .with("Phone", number.as_str())
                    .to_js()
                    .into(),
            ),
            ("callType", call_type),
            ("deferred", JsValue::FALSE),
        ]);
        let call_id = call.id.clone();
        let link = move |bridge: &Bridge, found: JsValue| {
            // Link the call to a record only when the number matched exactly one.
            if let Some((id, record)) = single_entry(&found) {
                let text = |key: &str| {
                    field(&record, key)
                        .and_then(|t| t.as_string())
                        .filter(|t| t.len() <= MAX_FIELD_LEN)
                };
                let object_type = text("RecordType").or_else(|| text("object"));
                let name = text("Name");
                bridge.found(
                    call_id,
                    Found {
                        id,
                        object_type,
                        name,
                    },
                );
            }
        };
        self.bridge.run(
            opencti_call("searchAndScreenPop", args),
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
        if !self.log_calls || !self.bridge.first_log(&call.id) {
            return;
        }
        let from_context = call.context.as_ref().and_then(|c| {
            c.record_id.clone().map(|id| Found {
                id,
                object_type: c.object_type.clone(),
                name: None,
            })
        });
        let record = from_context.or_else(|| self.bridge.take_found(&call.id));
        // A record the screen pop found names the call in the log when the click gave no name.
        let named = named_after(
            call,
            CrmKind::Salesforce,
            record.as_ref().and_then(|r| r.name.as_deref()),
        );
        let call = named.as_ref().unwrap_or(call);
        let task = task_of(
            CallSummary::of(call).with_message(message_ms),
            call,
            record
                .as_ref()
                .map(|r| (r.id.as_str(), r.object_type.as_deref())),
        );
        // Open CTI answers a saved log with the new Task's id: the wrap-up updates that Task.
        self.bridge.run(
            opencti_call("saveLog", object(&[("value", task.to_js().into())])),
            Some(Box::new(move |_, answer| {
                if let Some(id) = text_field(&answer, "recordId", MAX_RECORD_ID_LEN) {
                    logged(id);
                }
            })),
        );
    }

    fn log_wrap_up(&self, record_id: &str, _call: &Call, wrap_up: &WrapUp, outcome: Option<&str>) {
        if !self.log_calls {
            return;
        }
        let task = task_wrap_up(record_id, wrap_up, outcome);
        self.fire("saveLog", object(&[("value", task.to_js().into())]));
    }

    fn set_panel_visible(&self, visible: bool) {
        self.fire(
            "setSoftphonePanelVisibility",
            object(&[("visible", JsValue::from_bool(visible))]),
        );
    }

    fn set_presence_label(&self, label: &PresenceLabel) {
        if self.last_label.borrow().as_ref() == Some(label) {
            return;
        }
        *self.last_label.borrow_mut() = Some(label.clone());
        let text: String = label.label.chars().take(MAX_LABEL_CHARS).collect();
        self.fire(
            "setSoftphoneItemLabel",
            object(&[("label", JsValue::from_str(&text))]),
        );
        self.fire(
            "setSoftphoneItemIcon",
            object(&[("key", JsValue::from_str(icon_for(label)))]),
        );
    }

    fn locale(&self) -> Option<Language> {
        // Open CTI for Lightning tells nothing about the user's language: the browser's is used.
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::interop::{Plain, fields};
    use super::*;
    use ucclient_core::api::{CallContext, CallDirection, CallState, CrmKind, Timestamp};

    fn call(direction: CallDirection, state: CallState, talked: Option<i64>) -> Call {
        let start = Timestamp::parse("2026-03-04T10:00:00Z").unwrap();
        let after = |s: i64| start.checked_add_seconds(s).unwrap();
        Call {
            id: "call-1".into(),
            direction,
            from: "+351210000001".into(),
            to: "+351912345678".into(),
            state,
            started_at: start,
            answered_at: talked.map(|_| after(5)),
            ended_at: Some(after(5 + talked.unwrap_or(0))),
            context: Some(CallContext {
                crm: CrmKind::Salesforce,
                record_id: Some("003000000000001AAA".into()),
                object_type: Some("Contact".into()),
                record_name: None,
            }),
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
        }
    }

    #[test]
    fn settings_come_from_our_section_of_the_flat_map() {
        let s = settings_from_map(fields(&[
            ("/reqGeneralInfo/reqAdapterUrl", "/apex/UcClientSoftphone"),
            (
                "/ucClientSettings/backendUrl",
                " https://presence.acme.example/ ",
            ),
            ("/ucClientSettings/logCalls", "FALSE"),
        ]));
        assert_eq!(
            s.backend_url.as_deref(),
            Some("https://presence.acme.example")
        );
        assert!(!s.log_calls);
        let empty = settings_from_map(fields(&[]));
        assert_eq!(empty, CallCenterSettings::default());
        assert!(empty.log_calls, "logging is on by default");
        let bad = fields(&[("/ucClientSettings/backendUrl", "javascript:alert(1)")]);
        assert_eq!(settings_from_map(bad).backend_url, None);
    }

    #[test]
    fn click_to_dial_payloads_become_dial_requests_with_their_record() {
        let req = dial_from_payload(fields(&[
            ("number", " +351 912 345 678 "),
            ("recordId", "003000000000001AAA"),
            ("recordName", "Rita Lopes"),
            ("objectType", "Contact"),
        ]))
        .unwrap();
        assert_eq!(req.number, "+351 912 345 678");
        assert_eq!(req.record_id.as_deref(), Some("003000000000001AAA"));
        assert_eq!(req.object_type.as_deref(), Some("Contact"));
        assert_eq!(req.record_name.as_deref(), Some("Rita Lopes"));
        assert!(dial_from_payload(fields(&[("recordId", "003")])).is_none());
        let long = "9".repeat(65);
        assert!(dial_from_payload(fields(&[("number", &long)])).is_none());
        let person = dial_from_payload(fields(&[("number", "1"), ("contactId", "003X")]));
        assert_eq!(person.unwrap().record_id.as_deref(), Some("003X"));
    }

    #[test]
    fn a_wrap_up_updates_the_logged_task_by_its_id() {
        let wrap_up = WrapUp {
            notes: "  Wants a quote\nFriday ".into(),
            disposition: Some("follow_up".into()),
        };
        let task = task_wrap_up("00T000000000001AAA", &wrap_up, Some("Follow-up"));
        assert_eq!(task.text("entityApiName"), Some("Task"));
        assert_eq!(task.text("Id"), Some("00T000000000001AAA"));
        assert_eq!(task.text("Description"), Some("Wants a quote\nFriday"));
        assert_eq!(task.text("CallDisposition"), Some("Follow-up"));
        assert!(task.get("Subject").is_none() && task.get("WhoId").is_none());
        let bare = task_wrap_up("00T1", &WrapUp::default(), None);
        assert!(bare.get("CallDisposition").is_none() && bare.get("Description").is_none());
    }

    #[test]
    fn a_finished_call_becomes_a_completed_task_on_its_record() {
        let task = task_for(
            &call(CallDirection::Outbound, CallState::Ended, Some(42)),
            Some(("003000000000001AAA", Some("Contact"))),
        );
        assert_eq!(task.text("entityApiName"), Some("Task"));
        assert_eq!(task.text("Status"), Some("Completed"));
        assert_eq!(task.text("CallType"), Some("Outbound"));
        assert_eq!(task.get("CallDurationInSeconds"), Some(&Plain::Int(42)));
        assert_eq!(task.text("CallObject"), Some("call-1"));
        assert_eq!(task.text("WhoId"), Some("003000000000001AAA"));
        assert!(task.get("WhatId").is_none());
        assert_eq!(task.text("Subject"), Some("Call to +351 912 345 678"));
        assert_eq!(task.text("ActivityDate"), Some("2026-03-04"));

        let missed = task_for(
            &call(CallDirection::Inbound, CallState::Failed, None),
            Some(("0015000000ABCDE", Some("Account"))),
        );
        assert_eq!(missed.text("CallType"), Some("Inbound"));
        assert_eq!(missed.get("CallDurationInSeconds"), Some(&Plain::Int(0)));
        assert_eq!(missed.text("WhatId"), Some("0015000000ABCDE"));
        assert_eq!(
            missed.text("Subject"),
            Some("Call from +351 210 000 001 (not answered)")
        );
        assert!(
            task_for(
                &call(CallDirection::Inbound, CallState::Ended, Some(1)),
                None
            )
            .get("WhoId")
            .is_none()
        );
    }

    #[test]
    fn the_task_subject_names_the_contact_the_click_came_from() {
        let mut c = call(CallDirection::Outbound, CallState::Ended, Some(42));
        if let Some(ctx) = c.context.as_mut() {
            ctx.record_name = Some("Rita Lopes".into());
        }
        let task = task_for(&c, Some(("003000000000001AAA", Some("Contact"))));
        assert_eq!(task.text("Subject"), Some("Call to Rita Lopes"));
        // The number stays the number, for the CRM's own matching.
        assert_eq!(
            task.text("Description")
                .map(|d| d.starts_with("Call to Rita Lopes, 42 s")),
            Some(true)
        );
    }

    #[test]
    fn a_call_that_left_a_message_is_a_voicemail_task_with_the_messages_length() {
        let mut c = call(CallDirection::Inbound, CallState::Failed, None);
        c.outcome = Some(ucclient_core::api::CallOutcome::Voicemail);
        let summary = CallSummary::of(&c).with_message(Some(2_000));
        let task = task_of(summary, &c, Some(("003000000000001AAA", Some("Contact"))));
        assert_eq!(
            task.text("Subject"),
            Some("Voicemail from +351 210 000 001")
        );
        assert_eq!(
            task.text("Description"),
            Some("Voicemail from +351 210 000 001, message of 0:02, logged by UcClient CRM.")
        );
        assert_eq!(task.text("CallType"), Some("Inbound"));
        assert_eq!(task.text("WhoId"), Some("003000000000001AAA"));
        if let Some(ctx) = c.context.as_mut() {
            ctx.record_name = Some("Rita Lopes".into());
        }
        assert_eq!(
            task_for(&c, None).text("Subject"),
            Some("Voicemail from Rita Lopes"),
            "no '(not answered)': the message is what happened"
        );
    }

    #[test]
    fn people_are_who_and_everything_else_is_what() {
        assert_eq!(task_link_field("003x", None), "WhoId");
        assert_eq!(task_link_field("00Qx", None), "WhoId");
        assert_eq!(task_link_field("001x", None), "WhatId");
        assert_eq!(task_link_field("anything", Some("lead")), "WhoId");
        assert_eq!(task_link_field("003x", Some("Case")), "WhatId");
    }

    #[test]
    fn the_utility_icon_follows_presence_and_calls() {
        let l = |colour, on_call| PresenceLabel {
            label: "x".into(),
            colour,
            on_call,
        };
        assert_eq!(icon_for(&l(Colour::Available, false)), "user");
        assert_eq!(icon_for(&l(Colour::Away, false)), "away");
        assert_eq!(icon_for(&l(Colour::Busy, false)), "ban");
        assert_eq!(icon_for(&l(Colour::Busy, true)), "call");
    }
}
