//! What the two CRM bridges share: reaching a host library's objects through `window` without ever
//! panicking when it is missing, calling its methods with the error turned into a sentence, waiting
//! (bounded) for a host API's promise or for a flag, the bounded "deliver now or keep until a handler
//! exists" slot that makes sure no click-to-dial and no problem report is lost, and [`Bridge`], the
//! state each CRM bridge shares with its host's callbacks. It never names a host API itself.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use ucclient_core::api::{Call, CallContext, CallDirection, CallOutcome, CallState, CrmKind};

use super::DialRequest;

/// `window.a.b.c` for `path = ["a", "b", "c"]`, if every step exists and is an object or function.
pub fn global_path(path: &[&str]) -> Option<Object> {
    let mut current: JsValue = web_sys::window()?.into();
    for key in path {
        let next = Reflect::get(&current, &JsValue::from_str(key)).ok()?;
        if next.is_undefined() || next.is_null() {
            return None;
        }
        current = next;
    }
    current.dyn_into::<Object>().ok()
}

/// Calls `target[method](...args)`; a missing method or a throw becomes `Err(sentence)`.
pub fn call_method(target: &Object, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f = Reflect::get(target, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("{method} is not available"))?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    f.apply(target, &array)
        .map_err(|e| format!("{method} failed: {}", error_text(&e)))
}

/// A JavaScript error or value as short text (bounded, for messages and logs).
pub fn error_text(value: &JsValue) -> String {
    let text = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "unknown error".to_owned());
    text.chars().take(200).collect()
}

/// A plain object from `(key, value)` pairs.
pub fn object(entries: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in entries {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

/// `value[key]` when `value` is an object and the field is neither `undefined` nor `null`.
pub fn field(value: &JsValue, key: &str) -> Option<JsValue> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `value[key]` when it is a string of at most `max_len` bytes (the caller trims and checks further).
pub fn text_field(value: &JsValue, key: &str, max_len: usize) -> Option<String> {
    field(value, key)?
        .as_string()
        .filter(|s| s.len() <= max_len)
}

/// JSON text (at most `max_len` bytes) as a JavaScript value, by the browser's `JSON.parse`.
pub fn parse_json(text: &str, max_len: usize) -> Option<JsValue> {
    if text.len() > max_len {
        return None;
    }
    js_sys::JSON::parse(text).ok()
}

/// The key and value of an object that has exactly one own enumerable field.
pub fn single_entry(value: &JsValue) -> Option<(String, JsValue)> {
    let object = value.dyn_ref::<Object>()?;
    if js_sys::Array::is_array(value) {
        return None;
    }
    let keys = Object::keys(object);
    if keys.length() != 1 {
        return None;
    }
    let key = keys.get(0).as_string()?;
    let entry = Reflect::get(value, &JsValue::from_str(&key)).ok()?;
    Some((key, entry))
}

/// One value of a [`Payload`]: the few kinds the bridges send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// A string.
    Text(String),
    /// A whole number (a JavaScript number; the values sent are far below 2^53).
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl From<String> for Plain {
    fn from(s: String) -> Plain {
        Plain::Text(s)
    }
}

impl From<&str> for Plain {
    fn from(s: &str) -> Plain {
        Plain::Text(s.to_owned())
    }
}

impl From<i64> for Plain {
    fn from(n: i64) -> Plain {
        Plain::Int(n)
    }
}

impl From<bool> for Plain {
    fn from(b: bool) -> Plain {
        Plain::Bool(b)
    }
}

/// A flat object sent to a host API (an Open CTI Task, a CIF phonecall): built and inspected as
/// Rust data, handed over as a plain JavaScript object or its JSON text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload(Vec<(&'static str, Plain)>);

impl Payload {
    /// Sets `key` (replacing an earlier value).
    pub fn set(&mut self, key: &'static str, value: impl Into<Plain>) {
        self.put(key, value.into());
    }

    /// [`Payload::set`] past the conversion: one copy for every value type.
    #[inline(never)]
    fn put(&mut self, key: &'static str, value: Plain) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// With `key` set.
    pub fn with(mut self, key: &'static str, value: impl Into<Plain>) -> Payload {
        self.set(key, value);
        self
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Plain> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The text of `key`, if it is set to a string.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Plain::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// A plain JavaScript object with these fields, in order.
    pub fn to_js(&self) -> Object {
        let o = Object::new();
        for (k, v) in &self.0 {
            let v = match v {
                Plain::Text(s) => JsValue::from_str(s),
                Plain::Int(n) => JsValue::from_f64(*n as f64),
                Plain::Bool(b) => JsValue::from_bool(*b),
            };
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        }
        o
    }

    /// The JSON text of [`Payload::to_js`], by the browser's `JSON.stringify`.
    pub fn to_json(&self) -> String {
        stringify(&self.to_js())
    }
}

/// What a finished call's log says in every CRM (the Salesforce Task, the Dynamics phonecall).
pub struct CallSummary<'a> {
    /// The other party's number.
    pub number: &'a str,
    /// Whether the agent placed the call.
    pub outgoing: bool,
    /// `Call to <whom>` or `Call from <whom>`, with ` (not answered)` when it was not and
    /// ` (transferred to 202)` when the agent transferred it: whom is the contact's name when the
    /// host matched one (`Call to Rita Lopes`), else the number formatted for reading (`Call to
    /// +351 912 345 678`).
    pub subject: String,
    /// How long the call talked, in whole seconds (0 when it was never answered).
    pub seconds: i64,
    /// For a call that went to voicemail: the message's length in milliseconds, when known
    /// ([`CallSummary::with_message`]); said in the description.
    pub message_ms: Option<u32>,
}

impl CallSummary<'_> {
    /// The summary of `call`.
    pub fn of(call: &Call) -> CallSummary<'_> {
        let (number, outgoing, verb) = match call.direction {
            CallDirection::Outbound => (call.to.as_str(), true, "Call to "),
            CallDirection::Inbound => (call.from.as_str(), false, "Call from "),
        };
        // A call that left a message is logged as the message: "Voicemail from Rita Lopes".
        let voicemail = call.outcome == Some(CallOutcome::Voicemail);
        let mut subject = String::from(if voicemail { "Voicemail from " } else { verb });
        match crate::state::record_name(call) {
            Some(name) => subject.push_str(name),
            None => subject.push_str(&ucclient_core::phone::format_for_reading(number)),
        }
        if !voicemail && (call.state == CallState::Failed || call.answered_at.is_none()) {
            subject.push_str(" (not answered)");
        }
        // Issue 13, transfer: where the agent sent it, as dialled (an extension, or the number
        // formatted for reading).
        if let Some(to) = &call.transferred_to {
            subject.push_str(" (transferred to ");
            subject.push_str(&ucclient_core::phone::format_for_reading(to));
            subject.push(')');
        }
        CallSummary {
            number,
            outgoing,
            subject,
            seconds: crate::state::talk_seconds(call).map_or(0, |s| s as i64),
            message_ms: None,
        }
    }

    /// The summary with the length of the message the call left.
    pub fn with_message(mut self, message_ms: Option<u32>) -> Self {
        self.message_ms = message_ms;
        self
    }

    /// `<subject>, <seconds> s, logged by UcClient CRM`, or for a message of known length
    /// `<subject>, message of <m:ss>, logged by UcClient CRM` (the caller ends the sentence).
    pub fn description(&self) -> String {
        match self.message_ms {
            Some(ms) => format!(
                "{}, message of {}, logged by UcClient CRM",
                self.subject,
                crate::state::format_duration(u64::from(ms.div_ceil(1000)))
            ),
            None => format!(
                "{}, {} s, logged by UcClient CRM",
                self.subject, self.seconds
            ),
        }
    }
}

/// The notes of a wrap-up as a log's description: trimmed, `None` when there are none (the log's
/// own sentence is then left as it was).
pub fn wrap_up_notes(wrap_up: &ucclient_core::api::WrapUp) -> Option<&str> {
    Some(wrap_up.notes.trim()).filter(|n| !n.is_empty())
}

/// `JSON.stringify(value)`, `""` when it cannot be stringified.
pub fn stringify(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A field reader over `(key, value)` pairs, standing in for one over a JavaScript object in tests.
#[cfg(test)]
pub fn fields(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Waits (polling every `step_ms`) until `ready()` or `timeout_ms` has passed; returns `ready()`.
pub async fn wait_until(ready: impl Fn() -> bool, timeout_ms: u32, step_ms: u32) -> bool {
    let mut waited = 0;
    while !ready() {
        if waited >= timeout_ms {
            return false;
        }
        gloo_timers::future::TimeoutFuture::new(step_ms).await;
        waited += step_ms;
    }
    true
}

/// A host API call under way: boxed, so that every caller awaits (and [`Bridge::run`] runs) the
/// same type instead of each embedding its own copy of the call's state machine.
pub type HostCall = Pin<Box<dyn Future<Output = Result<JsValue, String>>>>;

/// What to do with a host API's answer (e.g. remember the record a screen pop found).
pub type OnAnswer = Box<dyn FnOnce(&Bridge, JsValue)>;

/// Waits at most `timeout_ms` for a host API's `promise`: its value, or a sentence naming `method`
/// when it rejects or does not settle in time. The race is the browser's (`Promise.race` against a
/// timer that resolves to a private marker), so every bridge shares this one small future.
pub async fn settle(method: &str, promise: Promise, timeout_ms: u32) -> Result<JsValue, String> {
    let marker: JsValue = Object::new().into();
    let timer = Promise::new(&mut |resolve, _reject| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_1(
                &resolve,
                timeout_ms.min(i32::MAX as u32) as i32,
                &marker,
            );
        }
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timer));
    match wasm_bindgen_futures::JsFuture::from(race).await {
        Ok(value) if value == marker => Err(format!("{method} did not answer")),
        Ok(value) => Ok(value),
        Err(e) => Err(format!("{method} failed: {}", error_text(&e))),
    }
}

/// One handler, and what arrived before it was registered (at most `capacity`, oldest kept: the
/// first click-to-dial is the one a user remembers making).
pub struct HandlerSlot<T> {
    /// The handler, once registered.
    handler: Option<Rc<dyn Fn(T)>>,
    /// Items that arrived before it (a few: a plain list, no ring buffer).
    pending: Vec<T>,
    /// Most items kept while there is no handler.
    capacity: usize,
}

impl<T> HandlerSlot<T> {
    /// An empty slot keeping at most `capacity` early items.
    pub fn new(capacity: usize) -> HandlerSlot<T> {
        HandlerSlot {
            handler: None,
            pending: Vec::new(),
            capacity,
        }
    }
}

/// Hands `item` to the slot's handler, or keeps it (bounded) until there is one.
pub fn deliver<T>(slot: &RefCell<HandlerSlot<T>>, item: T) {
    let handler = slot.borrow().handler.clone();
    match handler {
        Some(h) => h(item),
        None => {
            let mut s = slot.borrow_mut();
            if s.pending.len() < s.capacity {
                s.pending.push(item);
            }
        }
    }
}

/// Registers (or replaces) the slot's handler and hands it everything kept so far, in order.
pub fn register<T>(slot: &RefCell<HandlerSlot<T>>, handler: Rc<dyn Fn(T)>) {
    let pending = {
        let mut s = slot.borrow_mut();
        s.handler = Some(handler.clone());
        std::mem::take(&mut s.pending)
    };
    for item in pending {
        handler(item);
    }
}

/// Remembers which calls were already logged, so that a call seen final twice (a resync, two
/// events) is logged once. Bounded: the oldest ids are forgotten first.
#[derive(Debug, Default)]
pub struct LoggedCalls {
    /// Call ids, oldest first.
    ids: Vec<String>,
}

/// Most call ids remembered.
const MAX_LOGGED_IDS: usize = 256;

impl LoggedCalls {
    /// `true` the first time `id` is seen.
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.ids.iter().any(|i| i == id) {
            return false;
        }
        if self.ids.len() >= MAX_LOGGED_IDS {
            self.ids.remove(0);
        }
        self.ids.push(id.to_owned());
        true
    }
}

/// The host record a screen pop found for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The record's id.
    pub id: String,
    /// The record's type, when the host says.
    pub object_type: Option<String>,
    /// The record's display name (a contact's full name), when the host says: the name the call
    /// is logged under.
    pub name: Option<String>,
}

/// `call` named after the record a screen pop found, for its CRM log ("Call from Rita Lopes"), when
/// the call has no record name of its own and the record has one (bounded like a click's name);
/// `None` when there is nothing to add.
pub fn named_after(call: &Call, crm: CrmKind, name: Option<&str>) -> Option<Call> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= ucclient_core::api::MAX_CONTEXT_LEN)?;
    if crate::state::record_name(call).is_some() {
        return None;
    }
    let mut named = call.clone();
    let context = named.context.get_or_insert(CallContext {
        crm,
        record_id: None,
        object_type: None,
        record_name: None,
    });
    context.record_name = Some(name.to_owned());
    Some(named)
}

/// What screen pops found, by call id, for logging the call later: a short list searched in order
/// (a hash map would pull a copy of its code into the module for a few entries), emptied when it
/// holds `max` calls.
pub struct Matches {
    /// (call id, what was found).
    entries: Vec<(String, Found)>,
    /// Most calls remembered.
    max: usize,
}

impl Matches {
    /// An empty list that holds at most `max` calls.
    pub fn new(max: usize) -> Matches {
        Matches {
            entries: Vec::new(),
            max,
        }
    }

    /// Remembers `found` for the call `id` (replacing what it had); a full list is emptied first.
    pub fn insert(&mut self, id: String, found: Found) {
        if self.entries.len() >= self.max {
            self.entries.clear();
        }
        match self.entries.iter_mut().find(|(k, _)| *k == id) {
            Some(entry) => entry.1 = found,
            None => self.entries.push((id, found)),
        }
    }

    /// What was found for the call `id`.
    pub fn get(&self, id: &str) -> Option<&Found> {
        self.entries.iter().find(|(k, _)| k == id).map(|(_, f)| f)
    }

    /// Forgets the call `id` and returns what was found for it.
    pub fn remove(&mut self, id: &str) -> Option<Found> {
        let at = self.entries.iter().position(|(k, _)| k == id)?;
        Some(self.entries.swap_remove(at).1)
    }
}

/// Most click-to-dial payloads a CRM bridge keeps before the widget is ready.
const MAX_PENDING_DIALS: usize = 8;
/// Most problem reports a CRM bridge keeps before the widget listens.
const MAX_PENDING_PROBLEMS: usize = 4;
/// Screen-pop matches a CRM bridge remembers for logging.
const MAX_REMEMBERED_MATCHES: usize = 64;

/// What a CRM bridge shares with its host's callbacks: the widget's click-to-dial and problem
/// handlers (with what came before them), the calls already logged and what screen pops found.
/// One non-generic piece for both bridges, so their plumbing exists once in the module.
pub struct Bridge {
    /// Names the host API in problem reports (`Salesforce Open CTI`).
    name: &'static str,
    /// The click-to-dial handler and the clicks that came before it.
    dials: RefCell<HandlerSlot<DialRequest>>,
    /// The problem handler and the problems that came before it.
    problems: RefCell<HandlerSlot<String>>,
    /// Calls already logged.
    logged: RefCell<LoggedCalls>,
    /// The record a screen pop found for a call.
    matches: RefCell<Matches>,
    /// The same, kept after the call is logged: what names a caller in the Voicemail tab.
    named: RefCell<Matches>,
}

impl Bridge {
    /// Empty state for the host API called `name` in problem reports.
    pub fn new(name: &'static str) -> Rc<Bridge> {
        Rc::new(Bridge {
            name,
            dials: RefCell::new(HandlerSlot::new(MAX_PENDING_DIALS)),
            problems: RefCell::new(HandlerSlot::new(MAX_PENDING_PROBLEMS)),
            logged: RefCell::new(LoggedCalls::default()),
            matches: RefCell::new(Matches::new(MAX_REMEMBERED_MATCHES)),
            named: RefCell::new(Matches::new(MAX_REMEMBERED_MATCHES)),
        })
    }

    /// Hands a click to the widget (or keeps it until the widget listens).
    pub fn dial(&self, req: DialRequest) {
        deliver(&self.dials, req);
    }

    /// Hands a problem sentence to the widget (or keeps it until the widget listens).
    pub fn problem(&self, sentence: String) {
        deliver(&self.problems, sentence);
    }

    /// Reports a failed host API call: `"<name>: <why>."`.
    pub fn report(&self, why: &str) {
        self.problem(format!("{}: {why}.", self.name));
    }

    /// Runs `call` in the background: a failure is reported, an answer handed to `then`.
    pub fn run(self: &Rc<Self>, call: HostCall, then: Option<OnAnswer>) {
        let bridge = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match call.await {
                Ok(answer) => {
                    if let Some(then) = then {
                        then(&bridge, answer);
                    }
                }
                Err(why) => bridge.report(&why),
            }
        });
    }

    /// Runs `calls` in the background one after the other (each starts once the one before has
    /// answered); a failure is reported, and ends the run when `stop_at_failure`.
    pub fn run_steps(self: &Rc<Self>, calls: Vec<HostCall>, stop_at_failure: bool) {
        let bridge = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            for call in calls {
                if let Err(why) = call.await {
                    bridge.report(&why);
                    if stop_at_failure {
                        return;
                    }
                }
            }
        });
    }

    /// Registers the widget's click-to-dial handler.
    pub fn on_dial(&self, handler: Rc<dyn Fn(DialRequest)>) {
        register(&self.dials, handler);
    }

    /// Registers the widget's problem handler.
    pub fn on_problem(&self, handler: Rc<dyn Fn(String)>) {
        register(&self.problems, handler);
    }

    /// `true` the first time the call `id` is to be logged.
    pub fn first_log(&self, id: &str) -> bool {
        self.logged.borrow_mut().first_time(id)
    }

    /// Remembers what a screen pop found for the call `id`.
    pub fn found(&self, id: String, found: Found) {
        if found.name.is_some() {
            self.named.borrow_mut().insert(id.clone(), found.clone());
        }
        self.matches.borrow_mut().insert(id, found);
    }

    /// The name of the record a screen pop found for the call `id`, kept after it is logged.
    pub fn found_name(&self, id: &str) -> Option<String> {
        self.named.borrow().get(id)?.name.clone()
    }

    /// What a screen pop found for the call `id`, forgotten now.
    pub fn take_found(&self, id: &str) -> Option<Found> {
        self.matches.borrow_mut().remove(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::Timestamp;

    /// An inbound call to ext 201 that ended unanswered, the tests' starting point.
    fn inbound_call() -> Call {
        Call {
            id: "c1".into(),
            direction: CallDirection::Inbound,
            from: "+351912345678".into(),
            to: "201".into(),
            state: CallState::Ended,
            started_at: Timestamp::parse("2026-03-04T10:00:00Z").unwrap(),
            answered_at: None,
            ended_at: None,
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
        }
    }

    #[test]
    fn a_found_record_names_the_log_only_when_the_call_has_no_name() {
        let mut call = inbound_call();
        let named = named_after(&call, CrmKind::Dynamics, Some(" Rita Lopes ")).unwrap();
        assert_eq!(
            CallSummary::of(&named).subject,
            "Call from Rita Lopes (not answered)"
        );
        assert_eq!(named.context.as_ref().unwrap().crm, CrmKind::Dynamics);
        // Nothing to add: no name, a blank or oversized one, or a call named by its click already.
        assert!(named_after(&call, CrmKind::Dynamics, None).is_none());
        assert!(named_after(&call, CrmKind::Dynamics, Some("  ")).is_none());
        assert!(named_after(&call, CrmKind::Dynamics, Some(&"x".repeat(257))).is_none());
        call.context = Some(CallContext {
            crm: CrmKind::Salesforce,
            record_id: None,
            object_type: None,
            record_name: Some("Rita".into()),
        });
        assert!(named_after(&call, CrmKind::Salesforce, Some("Other")).is_none());
    }

    #[test]
    fn matches_are_found_once_replaced_by_id_and_bounded() {
        let r = |n: u8| Found {
            id: format!("r{n}"),
            object_type: n.is_multiple_of(2).then(|| "Contact".to_owned()),
            name: None,
        };
        let mut m = Matches::new(2);
        m.insert("a".to_owned(), r(1));
        m.insert("b".to_owned(), r(2));
        assert_eq!(m.remove("a"), Some(r(1)));
        assert_eq!(m.remove("a"), None, "found once");
        m.insert("b".to_owned(), r(3));
        assert_eq!(m.remove("b"), Some(r(3)), "replaced");
        m.insert("c".to_owned(), r(4));
        m.insert("d".to_owned(), r(5));
        m.insert("e".to_owned(), r(6));
        assert_eq!(m.remove("c"), None, "a full list is emptied");
        assert_eq!(m.remove("e"), Some(r(6)));
    }

    #[test]
    fn early_items_wait_for_the_handler_in_order_and_are_bounded() {
        let slot = RefCell::new(HandlerSlot::new(2));
        deliver(&slot, 1);
        deliver(&slot, 2);
        deliver(&slot, 3);
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        register(&slot, Rc::new(move |i| s.borrow_mut().push(i)));
        assert_eq!(*seen.borrow(), vec![1, 2], "oldest kept, bound respected");
        deliver(&slot, 4);
        assert_eq!(
            *seen.borrow(),
            vec![1, 2, 4],
            "delivered at once once registered"
        );
    }

    #[test]
    fn a_call_is_logged_once() {
        let mut logged = LoggedCalls::default();
        assert!(logged.first_time("c1"));
        assert!(!logged.first_time("c1"));
        for i in 0..MAX_LOGGED_IDS {
            logged.first_time(&format!("x{i}"));
        }
        assert!(logged.first_time("c1"), "forgotten after the bound");
    }

    #[test]
    fn payload_fields_are_set_once_in_order_and_typed() {
        let mut p = Payload::default()
            .with("a", "x")
            .with("n", 42)
            .with("b", true);
        p.set("a", "y".to_owned());
        assert_eq!(p.text("a"), Some("y"));
        assert_eq!(p.get("n"), Some(&Plain::Int(42)));
        assert_eq!(p.text("n"), None);
        assert_eq!(p.get("b"), Some(&Plain::Bool(true)));
        assert_eq!(p.get("c"), None);
        let keys: Vec<_> = p.0.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["a", "n", "b"], "replaced in place");
    }

    #[test]
    fn a_transferred_call_says_where_it_went_in_the_crm_log() {
        let mut call = inbound_call();
        call.answered_at = Timestamp::parse("2026-03-04T10:00:05Z").ok();
        call.ended_at = Timestamp::parse("2026-03-04T10:01:05Z").ok();
        call.outcome = Some(ucclient_core::api::CallOutcome::Transferred);
        call.transferred_to = Some("600".into());
        assert_eq!(
            CallSummary::of(&call).subject,
            "Call from +351 912 345 678 (transferred to 600)"
        );
        call.transferred_to = Some("+351912000002".into());
        assert_eq!(
            CallSummary::of(&call).subject,
            "Call from +351 912 345 678 (transferred to +351 912 000 002)"
        );
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A promise that never settles, like a host API that never answers.
    fn never() -> Promise {
        Promise::new(&mut |_resolve, _reject| {})
    }

    #[wasm_bindgen_test]
    async fn a_host_promise_settles_to_its_value_its_failure_or_silence() {
        let ok = settle("m", Promise::resolve(&JsValue::from_str("v")), 60_000).await;
        assert_eq!(ok.unwrap().as_string().as_deref(), Some("v"));
        let rejected = settle("m", Promise::reject(&JsValue::from_str("boom")), 60_000).await;
        assert_eq!(rejected.unwrap_err(), "m failed: boom");
        let silent = settle("m", never(), 1).await;
        assert_eq!(silent.unwrap_err(), "m did not answer");
    }

    #[wasm_bindgen_test]
    async fn steps_run_in_order_and_failures_are_reported() {
        let step = |answer: Result<&'static str, &'static str>| -> HostCall {
            Box::pin(async move { answer.map(JsValue::from_str).map_err(str::to_owned) })
        };
        let bridge = Bridge::new("Host");
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        bridge.on_problem(Rc::new(move |p| s.borrow_mut().push(p)));
        bridge.run_steps(vec![step(Err("a")), step(Ok("b")), step(Err("c"))], false);
        bridge.run_steps(vec![step(Err("d")), step(Err("e"))], true);
        let s = seen.clone();
        let then: OnAnswer = Box::new(move |_, v| s.borrow_mut().push(v.as_string().unwrap()));
        bridge.run(step(Ok("answer")), Some(then));
        settle("wait", never(), 20).await.unwrap_err();
        assert_eq!(
            *seen.borrow(),
            ["Host: a.", "Host: c.", "Host: d.", "answer"]
        );
    }
}
