//! The plain-page host: the demo page, the backend-served page, and the stand-in for CRM bridges that
//! are not wired yet.
//!
//! Click-to-dial comes in as a `window` custom event `ucclient:dial` whose `detail` is
//! `{number, record_id?, object_type?, record_name?}`. What a CRM would do with a screen pop, a call
//! log, panel visibility or the presence label is announced as `window` custom events
//! (`ucclient:screen-pop`, `ucclient:call-log`, `ucclient:panel`, `ucclient:presence`) whose `detail`
//! is JSON text, so a page or a test can observe them. It never touches any CRM API.

use std::cell::RefCell;
use std::rc::Rc;

use ucclient_core::Language;
use ucclient_core::api::{Call, WrapUp};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::interop::{
    CallSummary, HandlerSlot, Payload, deliver, parse_json, register, text_field,
};
use super::{DialRequest, Host, HostKind, PresenceLabel};

/// The `window` event a page fires to click-to-dial.
pub const DIAL_EVENT: &str = "ucclient:dial";
/// Most dials buffered before the widget registers its handler.
const MAX_PENDING_DIALS: usize = 8;
/// Longest number accepted from the page, in bytes.
const MAX_NUMBER_LEN: usize = 64;

/// Longest `detail` read (JSON text, or one field of an object), in bytes.
const MAX_DETAIL_LEN: usize = 4096;

/// A host that is just a web page.
pub struct StandaloneHost {
    /// Which kind was asked for (a CRM kind falls back here until its bridge exists).
    kind: HostKind,
    /// The widget's dial handler and the dials that came before it (shared with the listener).
    dials: Rc<RefCell<HandlerSlot<DialRequest>>>,
    /// Keeps the `ucclient:dial` listener alive for as long as the host lives.
    _listener: Option<Closure<dyn Fn(web_sys::Event)>>,
}

impl StandaloneHost {
    /// Starts listening for `ucclient:dial` on `window`.
    pub fn new(kind: HostKind) -> StandaloneHost {
        let dials = Rc::new(RefCell::new(HandlerSlot::new(MAX_PENDING_DIALS)));
        let listener = web_sys::window().map(|w| {
            let dials = dials.clone();
            let cb = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
                if let Some(req) = dial_from_event(&ev) {
                    deliver(&dials, req);
                }
            });
            let _ = w.add_event_listener_with_callback(DIAL_EVENT, cb.as_ref().unchecked_ref());
            cb
        });
        StandaloneHost {
            kind,
            dials,
            _listener: listener,
        }
    }
}

/// Reads a dial out of a `ucclient:dial` event: `detail` may be an object or JSON text.
fn dial_from_event(ev: &web_sys::Event) -> Option<DialRequest> {
    let detail = ev.dyn_ref::<web_sys::CustomEvent>()?.detail();
    let detail = match detail.as_string() {
        Some(text) => parse_json(&text, MAX_DETAIL_LEN)?,
        None => detail,
    };
    dial_from_fields(|key| text_field(&detail, key, MAX_DETAIL_LEN))
}

/// Builds a dial from the detail's string fields (`number`, `record_id`, `object_type`,
/// `record_name`), refusing an empty or oversized number.
fn dial_from_fields(text: impl Fn(&str) -> Option<String>) -> Option<DialRequest> {
    let number = text("number")?.trim().to_owned();
    if number.is_empty() || number.len() > MAX_NUMBER_LEN {
        return None;
    }
    Some(DialRequest {
        number,
        record_id: text("record_id"),
        object_type: text("object_type"),
        record_name: text("record_name"),
    })
}

/// Fires a `window` custom event whose detail is `detail` as JSON text.
fn announce(name: &str, detail: &str) {
    let Some(w) = web_sys::window() else { return };
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&detail.into());
    if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = w.dispatch_event(&ev);
    }
}

impl Host for StandaloneHost {
    fn kind(&self) -> HostKind {
        self.kind
    }

    fn on_click_to_dial(&self, handler: Rc<dyn Fn(DialRequest)>) {
        register(&self.dials, handler);
    }

    fn on_unavailable(&self, _handler: Rc<dyn Fn(String)>) {
        // A plain page has no host API that could be missing.
    }

    fn screen_pop(&self, call: &Call) {
        let detail = Payload::default()
            .with("number", call.from.as_str())
            .with("call_id", call.id.as_str());
        announce("ucclient:screen-pop", &detail.to_json());
    }

    fn log_call(&self, call: &Call, _logged: Box<dyn FnOnce(String)>) {
        // A plain page creates no record: the page's own listener logs it where it likes, from
        // what a CRM's log gets (a flat summary, not the whole call: serialising `Call` in the
        // module cost 1.2 KB gzip for this one page).
        let summary = CallSummary::of(call);
        let detail = Payload::default()
            .with("call_id", call.id.as_str())
            .with(
                "direction",
                if summary.outgoing {
                    "outbound"
                } else {
                    "inbound"
                },
            )
            .with("number", summary.number)
            .with("seconds", summary.seconds)
            .with("description", summary.description())
            .with("subject", summary.subject);
        announce("ucclient:call-log", &detail.to_json());
    }

    fn log_wrap_up(&self, _record_id: &str, call: &Call, wrap_up: &WrapUp, outcome: Option<&str>) {
        let mut detail = Payload::default()
            .with("call_id", call.id.as_str())
            .with("notes", wrap_up.notes.as_str());
        if let Some(outcome) = outcome {
            detail.set("outcome", outcome);
        }
        announce("ucclient:call-wrap-up", &detail.to_json());
    }

    fn set_panel_visible(&self, visible: bool) {
        announce(
            "ucclient:panel",
            &Payload::default().with("visible", visible).to_json(),
        );
    }

    fn set_presence_label(&self, label: &PresenceLabel) {
        let detail = Payload::default()
            .with("label", label.label.as_str())
            .with(
                "colour",
                crate::components::badge::colour_name(label.colour),
            )
            .with("on_call", label.on_call);
        announce("ucclient:presence", &detail.to_json());
    }

    fn locale(&self) -> Option<Language> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_details_are_bounded_and_trimmed() {
        let fields = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let d = dial_from_fields(fields(&[
            ("number", " +351 912 345 678 "),
            ("record_id", "003x"),
        ]))
        .unwrap();
        assert_eq!(d.number, "+351 912 345 678");
        assert_eq!(d.record_id.as_deref(), Some("003x"));
        assert_eq!(d.object_type, None);
        assert!(dial_from_fields(fields(&[("number", "  ")])).is_none());
        let long = "9".repeat(65);
        assert!(dial_from_fields(|k| (k == "number").then(|| long.clone())).is_none());
        assert!(dial_from_fields(fields(&[("record_id", "003x")])).is_none());
    }
}
