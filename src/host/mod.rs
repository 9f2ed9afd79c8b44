//! The host page the widget lives in: the ONLY door between the widget and its surroundings.
//!
//! Salesforce (Open CTI), Dynamics 365 (CIF) and a plain page each implement [`Host`]; the rest of the
//! widget never touches `sforce.opencti`, `Microsoft.CIFramework`, `Xrm` or host-specific globals. A
//! bridge must never block, never panic when its host API is missing (it reports that through
//! [`Host::on_unavailable`] instead), and must buffer events that arrive before a handler is
//! registered so that the first click-to-dial is never lost.

#[cfg(feature = "dynamics")]
pub mod dynamics;
// The helpers the bridges share: a module built with one bridge or none leaves some unused (the
// default build, with both, is where clippy finds dead code).
#[cfg_attr(
    not(all(feature = "salesforce", feature = "dynamics")),
    allow(dead_code)
)]
pub(crate) mod interop;
#[cfg(feature = "salesforce")]
pub mod salesforce;
pub mod standalone;

use std::rc::Rc;

use ucclient_core::Language;
use ucclient_core::api::{Call, CrmKind, WrapUp};
use ucclient_core::profile::Colour;

/// The origin of the CRM org framing this page, when the page names it: the backend's hosted pages
/// (`/crm/salesforce`, `/crm/dynamics`) write the org they checked into
/// `<meta name="ucclient-crm-url">`. Sent at sign-in (`crm_origin`), so the backend can refuse an
/// org registered to another customer where the request's own `Origin` is the backend's (in the
/// packages the page runs on the org's own domain, and `Origin` says it).
pub fn crm_origin() -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector("meta[name=\"ucclient-crm-url\"]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .filter(|o| o.len() <= 200)
}

/// A number the agent clicked in the host (click-to-dial / click-to-act), with the record it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DialRequest {
    /// The number as the host delivered it (normalised by the backend, not here).
    pub number: String,
    /// The host record's id, when the host gives one (Salesforce does, CIF does not).
    pub record_id: Option<String>,
    /// The host record's type (`Contact`, `contact`, …).
    pub object_type: Option<String>,
    /// The host record's display name.
    pub record_name: Option<String>,
}

/// What the widget shows in the host's own chrome (Salesforce's utility bar item, a tab title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceLabel {
    /// The profile name in the user's language, possibly with "on a call".
    pub label: String,
    /// The colour shown (busy overlay included).
    pub colour: Colour,
    /// Whether the agent is on a call.
    pub on_call: bool,
}

/// Which host the widget was mounted in (`config.host`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HostKind {
    /// A plain page (the demo, the backend-served page).
    #[default]
    Standalone,
    /// Salesforce Lightning, Open CTI softphone iframe.
    Salesforce,
    /// Dynamics 365, Channel Integration Framework panel.
    Dynamics,
}

impl HostKind {
    /// The kind for `config.host` (`standalone`, `salesforce`, `dynamics`); unknown or missing → standalone.
    pub fn parse(s: &str) -> HostKind {
        match s.trim().to_ascii_lowercase().as_str() {
            "salesforce" => HostKind::Salesforce,
            "dynamics" | "dynamics365" => HostKind::Dynamics,
            _ => HostKind::Standalone,
        }
    }

    /// The config name of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Standalone => "standalone",
            HostKind::Salesforce => "salesforce",
            HostKind::Dynamics => "dynamics",
        }
    }

    /// The CRM named in a call's context when the call is placed from this host.
    pub fn crm(self) -> CrmKind {
        match self {
            HostKind::Standalone => CrmKind::Standalone,
            HostKind::Salesforce => CrmKind::Salesforce,
            HostKind::Dynamics => CrmKind::Dynamics,
        }
    }
}

/// The widget's view of its host page. All methods are fire-and-forget: a host that cannot do
/// something reports it once through the unavailable handler and otherwise ignores the call.
pub trait Host {
    /// Which host this is.
    fn kind(&self) -> HostKind;

    /// Registers the (single) click-to-dial handler. Dials that arrived earlier are delivered now.
    fn on_click_to_dial(&self, handler: Rc<dyn Fn(DialRequest)>);

    /// Registers the (single) handler for reasons why the host's API is unavailable or failed
    /// (e.g. "Open CTI did not load"). Reasons that arrived earlier are delivered now.
    fn on_unavailable(&self, handler: Rc<dyn Fn(String)>);

    /// Opens the host record matching an inbound call's number (screen pop), where the host can.
    fn screen_pop(&self, call: &Call);

    /// Logs a finished call on the host record it relates to (Salesforce Task, Dynamics phonecall).
    /// `logged` gets the id of the record the host created, when it says it (never on a plain
    /// page), so a wrap-up can update that record later.
    fn log_call(&self, call: &Call, logged: Box<dyn FnOnce(String)>);

    /// Updates the record `record_id` that logged `call` with the agent's wrap-up: the notes as its
    /// description, and `outcome` (the disposition's label) in the host's outcome field
    /// (Salesforce `CallDisposition`, Dynamics `category`); nothing else of the record changes. A
    /// failure is reported through the unavailable handler.
    fn log_wrap_up(&self, record_id: &str, call: &Call, wrap_up: &WrapUp, outcome: Option<&str>);

    /// Shows or hides the widget's panel (e.g. to surface an incoming call).
    fn set_panel_visible(&self, visible: bool);

    /// Shows the agent's own presence in the host's chrome (utility bar label and icon).
    fn set_presence_label(&self, label: &PresenceLabel);

    /// The user's language as the host knows it, if it does.
    fn locale(&self) -> Option<Language>;

    /// Logs a call that went to voicemail like any call (once: a bridge skips a repeat), saying
    /// the message's length when it is known ("Voicemail from Rita Lopes, message of 0:12").
    fn log_voicemail(&self, call: &Call, message_ms: Option<u32>, logged: Box<dyn FnOnce(String)>) {
        let _ = message_ms;
        self.log_call(call, logged);
    }

    /// The name of the CRM record the host found for the call `call_id` (its screen pop), if it
    /// found one with a name: how the Voicemail tab names a caller the directory does not know.
    fn found_name(&self, call_id: &str) -> Option<String> {
        let _ = call_id;
        None
    }
}

/// Builds the bridge for `kind`: Open CTI for Salesforce, CIF for Dynamics 365, the plain page
/// otherwise. A module built without `kind`'s bridge (each shipped module has only its own host's,
/// see the crate's features) runs as the plain page under that host's name: the panel works, the
/// CRM sees nothing of it.
pub fn select(kind: HostKind) -> Rc<dyn Host> {
    match kind {
        #[cfg(feature = "salesforce")]
        HostKind::Salesforce => Rc::new(salesforce::SalesforceHost::new()),
        #[cfg(feature = "dynamics")]
        HostKind::Dynamics => Rc::new(dynamics::DynamicsHost::new()),
        _ => Rc::new(standalone::StandaloneHost::new(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_kinds_parse_from_config_names() {
        for k in [
            HostKind::Standalone,
            HostKind::Salesforce,
            HostKind::Dynamics,
        ] {
            assert_eq!(HostKind::parse(k.as_str()), k);
        }
        assert_eq!(HostKind::parse(" Salesforce "), HostKind::Salesforce);
        assert_eq!(HostKind::parse("teams"), HostKind::Standalone);
        assert_eq!(HostKind::Dynamics.crm(), CrmKind::Dynamics);
    }
}
