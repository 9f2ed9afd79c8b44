//! The widget's root: the shared context every component reads ([`Ctx`]), the actions that talk to
//! the backend and the host, and the [`App`] layout that picks what to show for the session's state.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::components::{dyn_view, h};
use ucclient_core::Language;
use ucclient_core::ProfileId;
use ucclient_core::api::{
    AccessEndReason, Call, CallContext, CallDirection, CallOutcome, ClaimKind, ClaimRequest,
    LoginRequest, PlaceCallRequest, TransferRequest,
};
use ucclient_core::api::{CrmRecord, SsoMessage, WrapUp};
use ucclient_core::licence::has_crm_client;
use ucclient_core::settings::ProfileSettings;

use crate::api::{ApiError, Backend, CallAction, token_key};
use crate::components::{
    badge::{Badge, colour_style},
    connection::ConnectionState,
    dialer::Dialer,
    directory::directory_panel,
    history::history_panel,
    not_enabled::NotEnabled,
    profile_switcher::ProfileSwitcher,
    routing::routing_panel,
    sign_in::SignIn,
    voicemail::{MessageWaiting, voicemail_panel},
};
use crate::host::{DialRequest, Host, PresenceLabel};
use crate::i18n::{T, access_end_text, call_outcome, detail_adds, error_text, tr, unheard_text};
use crate::live::{self, LiveHandle};
use crate::state::{Applied, ClientState, EarlyDial, SUMMARY_MS};

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// Showing the sign-in form, with why if the session ended by itself.
    SignedOut(Option<T>),
    /// Signed in, loading `/me` and the rest.
    Loading,
    /// Signed in without the `crm_client` permission.
    NotEnabled,
    /// Signed in and licensed.
    Ready,
}

/// The panel shown under the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Dialer and call card.
    Dial,
    /// Profile switcher.
    Presence,
    /// Directory of colleagues.
    Directory,
    /// Call history.
    History,
    /// Voicemail messages.
    Voicemail,
    /// Routing editor (active mode).
    Routing,
}

impl Tab {
    /// The tabs in the order the tab list shows them; Routing only in active mode.
    pub fn shown(active_mode: bool) -> &'static [Tab] {
        const PASSIVE: &[Tab] = &[
            Tab::Presence,
            Tab::Dial,
            Tab::Directory,
            Tab::History,
            Tab::Voicemail,
        ];
        const ACTIVE: &[Tab] = &[
            Tab::Presence,
            Tab::Dial,
            Tab::Directory,
            Tab::History,
            Tab::Voicemail,
            Tab::Routing,
        ];
        if active_mode { ACTIVE } else { PASSIVE }
    }

    /// The tab a key moves the selection to from `self` (the WAI-ARIA tabs pattern: arrows wrap
    /// around, Home and End jump to the ends), or `None` for any other key.
    pub fn after_key(self, key: &str, shown: &[Tab]) -> Option<Tab> {
        crate::components::roving_key(key, self, shown)
    }

    /// The tab's label.
    pub fn label(self) -> T {
        match self {
            Tab::Dial => T::TabDial,
            Tab::Presence => T::TabPresence,
            Tab::Directory => T::TabDirectory,
            Tab::History => T::TabHistory,
            Tab::Voicemail => T::TabVoicemail,
            Tab::Routing => T::TabRouting,
        }
    }

    /// The id of the tab's button (`uc-tab-<name>`), a static string rather than `Debug` output
    /// so the module carries no formatting code for it.
    pub fn id(self) -> &'static str {
        match self {
            Tab::Dial => "uc-tab-dial",
            Tab::Presence => "uc-tab-presence",
            Tab::Directory => "uc-tab-directory",
            Tab::History => "uc-tab-history",
            Tab::Voicemail => "uc-tab-voicemail",
            Tab::Routing => "uc-tab-routing",
        }
    }
}

/// A banner shown to the agent: a sentence in their language, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The sentence.
    pub text: T,
    /// Shown under the sentence, or behind "Details" when `technical`; nothing when empty.
    pub detail: String,
    /// Whether `detail` is the server's or the browser's own words (an error's), which may be
    /// English or technical: shown only in a "Details" disclosure, never as the main text.
    pub technical: bool,
}

/// The small UI state components share: read through `ctx.ui.read()` guards (one instantiation
/// for every reader, where a `with` closure would be one each), changed with `ctx.ui.update`.
#[derive(Default)]
pub struct Ui {
    /// The last sentence for the ARIA live region (call state changes).
    pub announcement: String,
    /// The error shown, if any.
    pub notice: Option<Notice>,
    /// Why the host's API is unavailable, if it said so.
    pub host_problem: Option<String>,
    /// The dialer's number field (redial and directory fill it).
    pub dial_input: String,
    /// The call card's transfer field while it is open (`None`: closed).
    pub transfer_input: Option<String>,
    /// Whether that field is the Consult one (a warm transfer's first step), not the blind
    /// Transfer's.
    pub consulting: bool,
    /// Whether a request the agent started is in flight (disables its button).
    pub busy: bool,
    /// Whether the routing editor holds edits not saved yet: leaving its tab asks first.
    pub unsaved: bool,
    /// The tab the agent asked for while the routing editor had unsaved edits, until they answer
    /// the editor's question (discard them and go, or keep editing).
    pub leave_to: Option<Tab>,
    /// sso: what the backend's discovery said for this page (`None`: not asked, or no answer).
    pub sso: Option<ucclient_core::api::SsoDiscovery>,
}

/// Everything components share. `Copy`: every field is a handle into Leptos's arena.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The client store.
    pub store: RwSignal<ClientState>,
    /// The language spoken: picked at mount and kept for the widget's life, so a plain value
    /// rather than a signal (nothing needs to react to a change that never happens).
    pub lang: Language,
    /// Where the session is.
    pub session: RwSignal<Session>,
    /// The small UI state, in one signal (one instantiation of the signal code for all of it
    /// rather than one per type: code size). Only leaves read it; what picks the view shown
    /// (session, tab) has its own signal, so a change here never rebuilds a subtree.
    pub ui: RwSignal<Ui>,
    /// The tab shown.
    pub tab: RwSignal<Tab>,
    /// The softphone: whether this panel is the agent's phone, and the call it carries.
    #[cfg(feature = "softphone")]
    pub phone: RwSignal<crate::softphone::Phone>,
    /// What is not reactive, in one arena slot (one instantiation of the stored-value code for
    /// all of it rather than one per type: code size).
    services: StoredValue<Rc<Services>, LocalStorage>,
}

/// The parts of [`Ctx`] nothing reacts to.
struct Services {
    /// The backend client.
    backend: Rc<dyn Backend>,
    /// The host bridge.
    host: Rc<dyn Host>,
    /// The live connection, while signed in.
    live: RefCell<Option<LiveHandle>>,
    /// The backend URL the token belongs to.
    api_base: String,
    /// Inbound calls already popped in the host (the last few ids).
    popped: RefCell<Vec<String>>,
    /// The latest click-to-dial that arrived while not signed in.
    early_dial: RefCell<EarlyDial<DialRequest>>,
    /// This page's id in call claims (random per load; not a secret: claims are per user).
    page: String,
}

impl Ctx {
    /// A context for a backend and a host; call inside a Leptos owner.
    pub fn new(
        backend: Rc<dyn Backend>,
        host: Rc<dyn Host>,
        api_base: &str,
        lang: Language,
    ) -> Ctx {
        Ctx {
            store: RwSignal::new(ClientState::default()),
            lang,
            session: RwSignal::new(Session::SignedOut(None)),
            ui: RwSignal::new(Ui::default()),
            tab: RwSignal::new(Tab::Presence),
            #[cfg(feature = "softphone")]
            phone: RwSignal::new(crate::softphone::Phone::default()),
            services: StoredValue::new_local(Rc::new(Services {
                backend,
                host,
                live: RefCell::new(None),
                api_base: api_base.to_owned(),
                popped: RefCell::new(Vec::new()),
                early_dial: RefCell::new(EarlyDial::default()),
                page: page_id(),
            })),
        }
    }

    /// The context the [`App`] provides, for its components. Not `expect_context`: its panic
    /// message formats with `Debug`, which alone brought ~1 KB gzip of formatting code.
    pub fn current() -> Ctx {
        use_context::<Ctx>().expect("the App provides the Ctx")
    }

    /// The sentence in the widget's language. Not reactive: the language stays for the widget's
    /// life, so labels are plain text rather than one effect each (which would cost code size for
    /// nothing).
    pub fn t(&self, key: T) -> &'static str {
        tr(self.lang, key)
    }

    /// The backend client.
    pub fn backend(&self) -> Rc<dyn Backend> {
        self.services.get_value().backend.clone()
    }

    /// The host bridge.
    pub fn host(&self) -> Rc<dyn Host> {
        self.services.get_value().host.clone()
    }

    /// Shows an API error; an expired session goes back to sign-in instead.
    pub fn show_error(&self, e: &ApiError) {
        if e.is_unauthenticated() {
            self.session_expired();
            return;
        }
        let text = if e.timed_out {
            T::ErrTimeout
        } else {
            error_text(e.code)
        };
        let detail = if detail_adds(text, &e.message) {
            e.message.clone()
        } else {
            String::new()
        };
        self.ui.update(|u| {
            u.notice = Some(Notice {
                text,
                detail,
                technical: true,
            })
        });
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok()?
    }

    fn saved_token(&self) -> Option<String> {
        let key = token_key(&self.services.get_value().api_base);
        Self::storage()?.get_item(&key).ok()?
    }

    fn save_token(&self, token: Option<&str>) {
        let key = token_key(&self.services.get_value().api_base);
        if let Some(s) = Self::storage() {
            let _ = match token {
                Some(t) => s.set_item(&key, t),
                None => s.remove_item(&key),
            };
        }
    }

    /// Picks up a token saved earlier in this browser session, if any.
    pub fn resume(&self) {
        if let Some(token) = self.saved_token() {
            self.backend().set_token(Some(token));
            self.start_session(false);
        }
    }

    /// Signs in with email and password.
    pub fn sign_in(&self, email: String, password: String) {
        let ctx = *self;
        ctx.ui.update(|u| {
            u.notice = None;
            u.busy = true;
        });
        leptos::task::spawn_local(async move {
            let r = ctx
                .backend()
                .login(LoginRequest {
                    email,
                    password,
                    crm_origin: crate::host::crm_origin(),
                })
                .await;
            ctx.ui.update(|u| u.busy = false);
            match r {
                Ok(login) => ctx.signed_in(login.token),
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// Keeps a new session's token and loads the panel (password or single sign-on).
    fn signed_in(&self, token: String) {
        self.save_token(Some(&token));
        self.backend().set_token(Some(token));
        self.start_session(true);
    }

    // --- sso: single sign-on (issue 15) ---

    /// Asks the backend whether this page's company (its CRM org, or the domain of the `email`
    /// typed) signs in with its identity provider; a company found stays until another is.
    pub fn discover_sso(&self, email: Option<String>) {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            let r = ctx
                .backend()
                .sso_discovery(crate::host::crm_origin(), email)
                .await;
            if let Ok(d) = r {
                ctx.ui.update(|u| {
                    if d.sso.is_some() || u.sso.is_none() {
                        u.sso = Some(d)
                    }
                });
            }
        });
    }

    /// Opens the company's sign-in in a popup. Called from the click itself: the popup opens
    /// blank at once (so no blocker stops it) and goes to the provider once the backend answers.
    pub fn sso_sign_in(&self, customer: String) {
        let ctx = *self;
        let popup = web_sys::window().and_then(|w| {
            w.open_with_url_and_target_and_features(
                "about:blank",
                "ucclient-sso",
                "popup,width=480,height=640",
            )
            .ok()
            .flatten()
        });
        let Some(popup) = popup else {
            ctx.ui.update(|u| {
                u.notice = Some(Notice {
                    text: T::SsoPopupBlocked,
                    detail: String::new(),
                    technical: false,
                })
            });
            return;
        };
        ctx.ui.update(|u| {
            u.notice = None;
            u.busy = true;
        });
        leptos::task::spawn_local(async move {
            let r = ctx.backend().sso_start(customer).await;
            ctx.ui.update(|u| u.busy = false);
            match r {
                Ok(start) => {
                    let _ = popup.location().set_href(&start.authorization_url);
                }
                Err(e) => {
                    let _ = popup.close();
                    ctx.show_error(&e);
                }
            }
        });
    }

    /// A `message` to the widget's window: the single sign-on callback page's result, taken only
    /// from the backend's own origin.
    pub fn sso_message(&self, e: web_sys::MessageEvent) {
        let base = self.services.get_value().api_base.clone();
        let backend = if base.is_empty() {
            web_sys::window().and_then(|w| w.location().origin().ok())
        } else {
            web_sys::Url::new(&base).ok().map(|u| u.origin())
        };
        if backend.as_deref() != Some(e.origin().as_str()) {
            return;
        }
        // core's `SsoMessage`, read through its serde derive (a message of another shape is ignored).
        let Ok(message) = serde_wasm_bindgen::from_value::<SsoMessage>(e.data()) else {
            return;
        };
        if let Some(login) = message.login {
            self.signed_in(login.token);
        } else if let Some(code) = message.error {
            self.show_error(&ApiError {
                status: 0,
                code: Some(code),
                message: message.message.unwrap_or_default(),
                timed_out: false,
            });
        }
    }

    /// Loads `/me` and, for a licensed user, everything else, then goes live; with `focus` (the
    /// agent just signed in here) the keyboard focus then goes to the selected tab, the panel's
    /// first control, instead of staying on the body the sign-in form left.
    fn start_session(&self, focus: bool) {
        let ctx = *self;
        ctx.session.set(Session::Loading);
        leptos::task::spawn_local(async move {
            let me = match ctx.backend().me().await {
                Ok(me) => me,
                Err(e) => {
                    if e.is_unauthenticated() {
                        ctx.session_expired();
                    } else {
                        ctx.session.set(Session::SignedOut(None));
                        ctx.show_error(&e);
                    }
                    return;
                }
            };
            let licensed = has_crm_client(&me.permissions);
            ctx.store.update(|s| s.set_me(me));
            if !licensed {
                ctx.session.set(Session::NotEnabled);
                return;
            }
            ctx.refresh().await;
            ctx.session.set(Session::Ready);
            ctx.go_live();
            ctx.offer_early_dial();
            // The panel becomes the phone again when the agent chose so before.
            #[cfg(feature = "softphone")]
            crate::softphone::resume(ctx);
            if focus {
                // After the panel is drawn (effects run once this task yields).
                set_timeout(
                    move || focus_id(ctx.tab.get_untracked().id()),
                    std::time::Duration::ZERO,
                );
            }
        });
    }

    /// Reloads the profiles, the directory and the history (after sign-in and after a snapshot).
    async fn refresh(&self) {
        let b = self.backend();
        match b.profiles().await {
            Ok(p) => self.store.update(|s| s.set_profiles(p)),
            Err(e) => self.show_error(&e),
        }
        match b.directory(String::new()).await {
            Ok(d) => self.store.update(|s| s.set_directory(d)),
            Err(e) => self.show_error(&e),
        }
        match b.calls().await {
            Ok(c) => self.store.update(|s| s.set_history(c)),
            Err(e) => self.show_error(&e),
        }
        self.load_voicemail().await;
        // An older backend without groups or the count: none.
        if let Ok(g) = b.groups().await {
            self.store.update(|s| s.groups = g);
        }
        if let Ok(m) = b.missed(false).await {
            self.store.update(|s| s.missed = m.count);
            self.seen_if_open();
        }
    }

    /// Marks the missed calls seen when History is the tab shown.
    fn seen_if_open(&self) {
        if self.tab.get_untracked() == Tab::History {
            self.missed_seen();
        }
    }

    fn go_live(&self) {
        let ctx = *self;
        let host = ctx.host();
        host.on_unavailable(Rc::new(move |why: String| {
            ctx.ui.update(|u| u.host_problem = Some(why))
        }));
        let handle = live::start(
            ctx,
            Rc::new(move |name, applied| ctx.on_event(name, applied)),
        );
        let old = ctx.services.get_value().live.replace(Some(handle));
        if let Some(old) = old {
            old.stop();
        }
    }

    fn stop_live(&self) {
        let Some(services) = self.services.try_get_value() else {
            return;
        };
        let old = services.live.replace(None);
        if let Some(old) = old {
            old.stop();
        }
    }

    /// Reacts to an applied live event: announcements and host effects for calls; a resync of the
    /// REST-only data after a snapshot.
    pub(crate) fn on_event(&self, name: &str, applied: Applied) {
        let host = self.host();
        for call in applied.calls_changed {
            self.call_changed(&call);
            // Pop once per inbound call, at the first sight of it (it may already be answered).
            let first_sight = self.services.try_get_value().map(|s| {
                let mut ids = s.popped.borrow_mut();
                let new = !ids.contains(&call.id);
                if new {
                    ids.push(call.id.clone());
                    if ids.len() > 32 {
                        ids.remove(0);
                    }
                }
                new
            });
            if call.direction == CallDirection::Inbound
                && !call.state.is_final()
                && first_sight == Some(true)
            {
                host.set_panel_visible(true);
                self.if_claimed(call.clone(), ClaimKind::Pop);
            }
            if call.state.is_final() && self.logs_on_crm(&call) {
                self.if_claimed(call, ClaimKind::Log);
            }
        }
        if name == "missed" {
            self.seen_if_open();
        }
        if name == "snapshot" {
            let ctx = *self;
            leptos::task::spawn_local(async move { ctx.refresh().await });
        }
    }

    /// Signs out: the token stops working on the server and is forgotten here.
    pub fn sign_out(&self) {
        let ctx = *self;
        #[cfg(feature = "softphone")]
        crate::softphone::signed_out(ctx);
        ctx.stop_live();
        let backend = ctx.backend();
        leptos::task::spawn_local(async move {
            let _ = backend.logout().await;
            backend.set_token(None);
        });
        ctx.save_token(None);
        ctx.store.update(|s| s.clear());
        ctx.ui.update(|u| u.notice = None);
        ctx.session.set(Session::SignedOut(None));
    }

    /// The token stopped working: back to sign-in, saying why.
    pub fn session_expired(&self) {
        self.end_session(T::SessionExpired);
    }

    /// The backend ended this session's access (its live stream's last event said why): back to
    /// sign-in with the reason, the token forgotten.
    pub fn access_ended(&self, reason: Option<AccessEndReason>) {
        self.end_session(reason.map_or(T::SessionExpired, access_end_text));
    }

    fn end_session(&self, why: T) {
        #[cfg(feature = "softphone")]
        crate::softphone::signed_out(*self);
        self.stop_live();
        self.backend().set_token(None);
        self.save_token(None);
        self.store.update(|s| s.clear());
        self.session.set(Session::SignedOut(Some(why)));
    }

    /// Switches the agent's profile.
    pub fn set_presence(&self, profile: ProfileId) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            match ctx.backend().set_presence(profile).await {
                Ok(p) => ctx.store.update(|s| s.set_my_presence(p)),
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// A click-to-dial from the host: dialled when signed in; kept (the latest only, for a
    /// minute) otherwise, to be confirmed after sign-in.
    pub fn click_to_dial(&self, req: DialRequest) {
        if self.session.get_untracked() == Session::Ready {
            self.dial_from_host(req);
        } else if let Some(s) = self.services.try_get_value() {
            s.early_dial.borrow_mut().offer(req, js_sys::Date::now());
        }
    }

    /// After sign-in: asks the agent to confirm the click that came before it, if still fresh:
    /// its number waits in the dialer, whose Call button is the one click (it keeps the click's
    /// record, see [`Ctx::dial`]); the notice says whom, and Dismiss closes it.
    fn offer_early_dial(&self) {
        let Some(s) = self.services.try_get_value() else {
            return;
        };
        let fresh = s.early_dial.borrow().fresh(js_sys::Date::now()).cloned();
        if let Some(req) = fresh {
            let mut whom = req.record_name.unwrap_or_default();
            if !whom.is_empty() {
                whom.push_str(", ");
            }
            whom.push_str(&req.number);
            whom.push('?');
            self.tab.set(Tab::Dial);
            // "Call Rita Lopes, +351 912 345 678?": the existing "Call" and the detail.
            self.ui.update(|u| {
                u.dial_input = req.number;
                u.notice = Some(Notice {
                    text: T::Call,
                    detail: whom,
                    technical: false,
                });
            });
        }
    }

    /// The record of the click from before sign-in, when `number` is its number and its minute
    /// is not over (taken: it is dialled once).
    fn early_context(&self, number: &str) -> Option<CallContext> {
        let s = self.services.try_get_value()?;
        let mut early = s.early_dial.borrow_mut();
        early
            .fresh(js_sys::Date::now())?
            .number
            .eq(number)
            .then_some(())?;
        let req = early.take(js_sys::Date::now())?;
        Some(self.context_of(req))
    }

    /// The context of a call placed from the host's click: its record, with the record's name.
    fn context_of(&self, req: DialRequest) -> CallContext {
        CallContext {
            crm: self.host().kind().crm(),
            record_id: req.record_id,
            object_type: req.object_type,
            record_name: req.record_name,
        }
    }

    fn dial_from_host(&self, req: DialRequest) {
        let number = req.number.clone();
        self.dial(number, Some(self.context_of(req)));
    }

    /// Places a call from the Dial tab, with `number` in its field whoever asked (the dialer,
    /// redial, the directory, the host): refused while a call is in progress (one at a time, the
    /// notice says so), and not sent when the dial preview already says why it cannot be dialled
    /// (the preview, same rule as the server's, is the one place that says it). The server
    /// normalises the number.
    pub fn dial(&self, number: String, context: Option<CallContext>) {
        let ctx = *self;
        ctx.tab.set(Tab::Dial);
        let (busy_line, dialable) = ctx
            .store
            .with_untracked(|s| (s.on_a_call(), s.dial_target(&number).is_ok()));
        ctx.ui.update(|u| {
            u.dial_input = number.clone();
            u.notice = busy_line.then(|| Notice {
                text: T::OneCallAtATime,
                detail: String::new(),
                technical: false,
            });
        });
        if busy_line || !dialable {
            return;
        }
        let context = context.or_else(|| ctx.early_context(&number));
        ctx.ui.update(|u| u.busy = true);
        let device = ctx.outgoing_device();
        leptos::task::spawn_local(async move {
            let soft = device.is_some();
            let r = ctx
                .backend()
                .place_call(PlaceCallRequest {
                    to: number,
                    context,
                    device,
                })
                .await;
            ctx.ui.update(|u| u.busy = false);
            match r {
                Ok(call) => {
                    ctx.placed_from_softphone(&call.id, soft);
                    ctx.take_call_reply(call)
                }
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// The device a call placed now goes from: the softphone, when this panel is the phone and
    /// the agent places calls from it; otherwise none (the desk phone, as without a softphone).
    pub fn outgoing_device(&self) -> Option<String> {
        #[cfg(feature = "softphone")]
        return crate::softphone::outgoing_device(*self);
        #[cfg(not(feature = "softphone"))]
        None
    }

    /// A call just placed (`soft`: from the device [`Ctx::outgoing_device`] gave, the
    /// softphone): its media offer, now that it has an id.
    pub fn placed_from_softphone(&self, call_id: &str, soft: bool) {
        #[cfg(feature = "softphone")]
        if soft {
            crate::softphone::start(*self, crate::softphone::Act::Outgoing(call_id.to_owned()));
        }
        #[cfg(not(feature = "softphone"))]
        let _ = (call_id, soft);
    }

    /// Whether the ringing call `call_id` rings in this panel as the softphone
    /// (`softphone::rings_here`): then answering it is the softphone's, media first.
    #[cfg(feature = "softphone")]
    pub fn rings_here(&self, call_id: &str) -> bool {
        self.phone.with_untracked(|p| {
            self.store.with_untracked(|s| {
                s.live_calls
                    .iter()
                    .any(|c| c.id == call_id && crate::softphone::rings_here(p, c))
            })
        })
    }

    /// Whether the panel carries the media of `call_id` now (always false without the softphone).
    pub fn softphone_carries(&self, call_id: &str) -> bool {
        #[cfg(feature = "softphone")]
        return crate::softphone::carries(*self, call_id);
        #[cfg(not(feature = "softphone"))]
        {
            let _ = call_id;
            false
        }
    }

    /// Mutes or unmutes the softphone's microphone on the call it carries, as the card's Mute
    /// does (Salesforce Voice's `mute`); nothing without the softphone.
    pub fn softphone_mute(&self, muted: bool) {
        #[cfg(feature = "softphone")]
        crate::softphone::start(*self, crate::softphone::Act::Mute(muted));
        #[cfg(not(feature = "softphone"))]
        let _ = muted;
    }

    /// Sends DTMF `tones` on the call the softphone carries (Salesforce Voice's `sendDigits`);
    /// nothing without the softphone.
    pub fn softphone_dtmf(&self, tones: String) {
        #[cfg(feature = "softphone")]
        crate::softphone::start(*self, crate::softphone::Act::Dtmf(tones));
        #[cfg(not(feature = "softphone"))]
        let _ = tones;
    }

    /// Whether the panel is the agent's softphone now, and whether the calls they place go from
    /// it (both false without the softphone).
    pub fn softphone_state(&self) -> (bool, bool) {
        #[cfg(feature = "softphone")]
        return (
            crate::softphone::registered(*self),
            self.outgoing_device().is_some(),
        );
        #[cfg(not(feature = "softphone"))]
        (false, false)
    }

    /// Places the agent's calls from the softphone (true) or their other devices; false when the
    /// panel is not the softphone and `from_softphone` asked for it.
    pub fn place_from_softphone(&self, from_softphone: bool) -> bool {
        #[cfg(feature = "softphone")]
        {
            if from_softphone && !crate::softphone::registered(*self) {
                return false;
            }
            let _ = self.phone.try_update(|p| p.outgoing = from_softphone);
            true
        }
        #[cfg(not(feature = "softphone"))]
        !from_softphone
    }

    /// Hangs up a call; the keyboard focus goes to the dial field (the card's buttons go, and the
    /// next thing an agent does after a call is usually the next call).
    pub fn hangup(&self, call_id: String) {
        self.call_action(call_id, CallAction::HangUp);
        self.tab.set(Tab::Dial);
        // After the Dial tab is rendered.
        set_timeout(|| focus_id("uc-number"), std::time::Duration::ZERO);
    }

    /// Answers a ringing call: on the softphone (media first) when it rings in this panel, else
    /// on the first device ringing.
    pub fn answer(&self, call_id: String) {
        #[cfg(feature = "softphone")]
        if self.rings_here(&call_id) {
            self.ui.update(|u| u.notice = None);
            crate::softphone::start(*self, crate::softphone::Act::Answer(call_id));
            return;
        }
        self.call_action(call_id, CallAction::Answer);
    }

    /// Hangs up, answers or declines a call, and shows what it became.
    pub fn call_action(&self, call_id: String, action: CallAction) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            match ctx.backend().call_action(call_id, action).await {
                Ok(call) => ctx.take_call_reply(call),
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// Blind-transfers a connected call to `to` (an extension or a number), or with `consult`
    /// starts a warm transfer (the call goes on hold and a consultation leg dials `to`), and closes
    /// the card's field; the cards then show what the calls became (or the refusal).
    pub fn transfer(&self, call_id: String, to: String, consult: bool) {
        let ctx = *self;
        ctx.ui.update(|u| {
            u.notice = None;
            u.transfer_input = None;
        });
        leptos::task::spawn_local(async move {
            let req = TransferRequest { to };
            let b = ctx.backend();
            let r = if consult {
                b.consult(call_id, req).await
            } else {
                b.transfer(call_id, req).await
            };
            match r {
                Ok(call) => ctx.take_call_reply(call),
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// The agent sees their missed calls (History is open): the backend marks them seen and tells
    /// every tab of the agent (a `missed` event), and the count here goes at once.
    fn missed_seen(&self) {
        if self.store.read_untracked().missed == 0 {
            return;
        }
        let ctx = *self;
        ctx.store.update(|s| s.missed = 0);
        leptos::task::spawn_local(async move {
            if let Err(e) = ctx.backend().missed(true).await {
                ctx.show_error(&e);
            }
        });
    }

    /// Stores a call the backend answered with (dial, hang-up). The reply may arrive before the
    /// live `call` event: whichever of the two ends the call in the store logs it on the host, so a
    /// call is logged even when the event then brings nothing new (bridges skip a repeat).
    pub(crate) fn take_call_reply(&self, call: Call) {
        let changed = self
            .store
            .try_update(|s| s.upsert_call(call.clone()))
            .unwrap_or(false);
        if changed {
            self.call_changed(&call);
            if call.state.is_final() && self.logs_on_crm(&call) {
                self.if_claimed(call, ClaimKind::Log);
            }
        }
    }

    /// What every change of a call the store took does in the panel, whether a REST answer or a
    /// live event brought it: the live region says what the call came to and with whom (named
    /// as its card names it), and the summary of a call that ended on a card goes after
    /// [`SUMMARY_MS`].
    fn call_changed(&self, call: &Call) {
        let ctx = *self;
        let lang = ctx.lang;
        let Some((who, ended)) = ctx
            .store
            .try_with_untracked(|s| (s.party_name(call), s.just_ended.contains(&call.id)))
        else {
            return;
        };
        ctx.ui
            .update(|u| u.announcement = format!("{}: {who}", call_outcome(lang, call)));
        if ended {
            let id = call.id.clone();
            set_timeout(
                move || {
                    ctx.store.try_update(|s| s.forget_ended(&id));
                },
                std::time::Duration::from_millis(SUMMARY_MS),
            );
        }
    }

    /// Logs (or pops) `call` on the host if the backend grants it to this page: one page per
    /// call does each, however many tabs and CRMs the agent has open. A page that cannot ask (no
    /// network, a backend without claims) does it anyway: a duplicate beats a lost log.
    fn if_claimed(&self, call: Call, kind: ClaimKind) {
        let Some(s) = self.services.try_get_value() else {
            return;
        };
        let ctx = *self;
        let req = ClaimRequest {
            kind,
            client: s.page.clone(),
        };
        leptos::task::spawn_local(async move {
            let granted = ctx
                .backend()
                .claim(call.id.clone(), req)
                .await
                .map_or(true, |r| r.granted);
            if granted {
                match kind {
                    ClaimKind::Log if call.outcome == Some(CallOutcome::Voicemail) => {
                        ctx.log_voicemail(call).await
                    }
                    ClaimKind::Log => {
                        let id = call.id.clone();
                        let logged = move |record| ctx.report_crm_record(id, record);
                        ctx.host().log_call(&call, Box::new(logged));
                    }
                    ClaimKind::Pop => ctx.host().screen_pop(&call),
                }
            }
        });
    }

    /// Tells the backend which CRM record this page logged `call_id` on, so a wrap-up saved from
    /// any page of the agent updates it. A wrap-up saved before the record was known (another tab
    /// was quicker) is written into the record now: exactly one of the two writes sees the other.
    fn report_crm_record(&self, call_id: String, record_id: String) {
        let ctx = *self;
        let req = CrmRecord {
            crm: ctx.host().kind().crm(),
            id: record_id,
        };
        leptos::task::spawn_local(async move {
            // A refusal leaves the call without its record: a wrap-up then reaches the backend
            // only, never a second CRM record.
            if let Ok(call) = ctx.backend().set_crm_record(call_id, req).await {
                ctx.store.try_update(|s| s.upsert_call(call.clone()));
                ctx.wrap_up_on_crm(&call);
            }
        });
    }

    /// Saves the agent's wrap-up of an ended call: the backend first (the card closes in every
    /// tab with its `call` event), then the CRM record the call was logged on. The draft is
    /// forgotten only once the backend has it; a refusal is shown and the card stays as typed.
    pub fn save_wrap_up(&self, call_id: String, wrap_up: WrapUp) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            match ctx.backend().save_wrap_up(call_id.clone(), wrap_up).await {
                Ok(call) => {
                    let user = ctx
                        .store
                        .try_with_untracked(|s| s.my_id().map(str::to_owned))
                        .flatten()
                        .unwrap_or_default();
                    crate::components::wrapup::forget_draft(&user, &call_id);
                    ctx.store.try_update(|s| s.upsert_call(call.clone()));
                    ctx.ui
                        .update(|u| u.announcement = ctx.t(T::WrapUpSaved).to_owned());
                    ctx.wrap_up_on_crm(&call);
                }
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// Writes the call's wrap-up into the CRM record it was logged on, when both are known and
    /// the record is this host's (a Dynamics page cannot update a Salesforce Task).
    fn wrap_up_on_crm(&self, call: &Call) {
        let host = self.host();
        let (Some(record), Some(wrap_up)) = (&call.crm_record, &call.wrap_up) else {
            return;
        };
        if record.crm != host.kind().crm() {
            return;
        }
        // The customer's own label goes to the CRM (the same words in every agent's records).
        let outcome = self
            .store
            .try_with_untracked(|s| {
                let settings = s.me.as_ref()?.wrap_up.as_ref()?;
                let code = wrap_up.disposition.as_deref()?;
                settings
                    .dispositions
                    .iter()
                    .find(|d| d.code == code)
                    .map(|d| d.label.clone())
            })
            .flatten()
            .or_else(|| wrap_up.disposition.clone());
        host.log_wrap_up(&record.id, call, wrap_up, outcome.as_deref());
    }

    /// Whether a finished call goes to the host's CRM log (internal calls only when the customer
    /// logs them: `ClientState::logs_on_crm`).
    fn logs_on_crm(&self, call: &Call) -> bool {
        self.store
            .try_with_untracked(|s| s.logs_on_crm(call))
            .unwrap_or(false)
    }

    /// Searches the directory.
    pub fn search(&self, query: String) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            // An empty query is the whole directory again.
            let whole = query.trim().is_empty();
            match ctx.backend().directory(query).await {
                Ok(d) if whole => ctx.store.update(|s| s.set_directory(d)),
                Ok(d) => ctx.store.update(|s| s.set_search_result(d)),
                Err(e) => ctx.show_error(&e),
            }
        });
    }

    /// Shows `tab` at the agent's request (tab click or arrow key), unless the routing editor
    /// holds unsaved edits: then the editor asks first and the tab stays. Whether it changed. The
    /// agent moved on, so the banner of what they did before goes.
    pub fn choose_tab(&self, tab: Tab) -> bool {
        let ask = self.tab.get_untracked() != tab && self.ui.read_untracked().unsaved;
        if ask {
            self.ui.update(|u| u.leave_to = Some(tab));
        } else {
            self.ui.update(|u| u.notice = None);
            self.tab.set(tab);
            self.seen_if_open();
        }
        !ask
    }

    /// Saves a profile's settings; `None` resets them to the defaults. `saved` runs once the
    /// backend has stored them.
    pub fn save_settings(
        &self,
        profile: ProfileId,
        settings: Option<ProfileSettings>,
        saved: Box<dyn FnOnce()>,
    ) {
        let ctx = *self;
        ctx.ui.update(|u| {
            u.notice = None;
            u.busy = true;
        });
        leptos::task::spawn_local(async move {
            let b = ctx.backend();
            let r = match settings {
                Some(s) => b.save_settings(profile, s).await,
                None => b.reset_settings(profile).await,
            };
            ctx.ui.update(|u| u.busy = false);
            match r {
                Ok(p) => {
                    ctx.store.update(|s| s.upsert_profile(p));
                    ctx.ui
                        .update(|u| u.announcement = tr(ctx.lang, T::Saved).into());
                    saved();
                }
                Err(e) => ctx.show_error(&e),
            }
        });
    }
}

/// How long the CRM log of a call that went to voicemail waits for its message's `voicemail`
/// event (it comes in the same write as the call's end, so at once), to say its length.
const MESSAGE_WAIT_MS: u32 = 3_000;

/// Voicemail (issue 13): the mailbox, playback, heard, delete, and the CRM log of a message.
impl Ctx {
    /// Loads the mailbox (`GET /voicemail`) after sign-in and after a snapshot. A backend without
    /// voicemail (404) has no mailbox: nothing to say.
    async fn load_voicemail(&self) {
        match self.backend().voicemail().await {
            Ok(m) => self.store.update(|s| s.set_mailbox(m)),
            Err(e) if e.status == 404 => {}
            Err(e) => self.show_error(&e),
        }
    }

    /// Logs a call that went to voicemail on the host, as "Voicemail from …" with the message's
    /// length once its `voicemail` event is in (at most [`MESSAGE_WAIT_MS`] later; without it
    /// the log is written all the same).
    async fn log_voicemail(&self, call: Call) {
        let ctx = *self;
        let id = call.id.clone();
        let known = move || {
            ctx.store
                .try_with_untracked(|s| s.voicemail_of_call(&id).map(|m| m.duration_ms))
                .flatten()
        };
        crate::host::interop::wait_until(|| known().is_some(), MESSAGE_WAIT_MS, 100).await;
        let ms = known();
        let id = call.id.clone();
        let logged = move |record| ctx.report_crm_record(id, record);
        self.host().log_voicemail(&call, ms, Box::new(logged));
    }

    /// Who left the message `m`, as the Voicemail tab names them (the directory, the CRM record the
    /// host found for its call, the number).
    pub fn caller_name(&self, m: &ucclient_core::api::VoicemailMessage) -> String {
        let found = self.host().found_name(&m.call_id);
        self.store
            .try_with_untracked(|s| s.caller_name(m, found))
            .unwrap_or_default()
    }

    /// The message-waiting count as a sentence ("2 new voicemail messages").
    pub fn unheard_text(&self, n: u32) -> String {
        unheard_text(self.lang, n)
    }

    /// Fetches a message's audio with the bearer token and hands `then` an object URL for it (the
    /// caller revokes it); a message that is gone (404) is forgotten and the agent told so.
    pub fn voicemail_audio(&self, id: String, then: Box<dyn FnOnce(String)>) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            match ctx.backend().voicemail_audio(id.clone()).await {
                Ok(blob) => {
                    if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
                        then(url);
                    }
                }
                Err(e) => ctx.voicemail_failed(&id, &e),
            }
        });
    }

    /// Marks a message heard (it was played), unless it is already.
    pub fn voicemail_heard(&self, id: String) {
        let ctx = *self;
        let unheard = ctx
            .store
            .with_untracked(|s| s.voicemail.iter().any(|m| m.id == id && !m.heard));
        if !unheard {
            return;
        }
        leptos::task::spawn_local(async move {
            match ctx.backend().voicemail_heard(id.clone()).await {
                Ok(m) => ctx.store.update(|s| s.take_heard(m)),
                Err(e) => ctx.voicemail_failed(&id, &e),
            }
        });
    }

    /// Deletes a message; the live region says so.
    pub fn delete_voicemail(&self, id: String) {
        let ctx = *self;
        ctx.ui.update(|u| u.notice = None);
        leptos::task::spawn_local(async move {
            match ctx.backend().delete_voicemail(id.clone()).await {
                Ok(()) => {
                    ctx.store.update(|s| s.forget_voicemail(&id));
                    ctx.ui
                        .update(|u| u.announcement = tr(ctx.lang, T::VmDeleted).into());
                    // The row and its button are gone: the focus goes to the next message's
                    // Play, or to the tab when none is left (after the list is redrawn).
                    set_timeout(
                        || {
                            let next = document()
                                .query_selector("[data-test=vm-play]")
                                .ok()
                                .flatten()
                                .and_then(|e| {
                                    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                                });
                            match next {
                                Some(b) => {
                                    let _ = b.focus();
                                }
                                None => focus_id(Tab::Voicemail.id()),
                            }
                        },
                        std::time::Duration::ZERO,
                    );
                }
                Err(e) => ctx.voicemail_failed(&id, &e),
            }
        });
    }

    /// A request about a message failed: one that is gone (404: deleted in another tab) is
    /// forgotten and the agent told so in a sentence; anything else is shown as any error.
    fn voicemail_failed(&self, id: &str, e: &ApiError) {
        if e.status == 404 {
            self.store.update(|s| s.forget_voicemail(id));
            self.ui.update(|u| {
                u.notice = Some(Notice {
                    text: T::VmGone,
                    detail: String::new(),
                    technical: false,
                })
            });
        } else {
            self.show_error(e);
        }
    }
}

/// Moves the keyboard focus to the element with this id, if there is one.
fn focus_id(id: &str) {
    if let Some(e) = document()
        .get_element_by_id(id)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = e.focus();
    }
}

/// A random id for this page's call claims: 11 characters of `0-9a-v` (53 bits from
/// `Math.random`, enough to tell an agent's pages apart; written by hand, no formatting code).
fn page_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut n = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let mut id = String::with_capacity(11);
    for _ in 0..11 {
        id.push(char::from(ALPHABET[(n & 31) as usize]));
        n >>= 5;
    }
    id
}

/// A banner (`role=alert`): the sentence, then its detail: under it, or in a "Details" disclosure
/// when technical (the server's or browser's words, possibly English); Dismiss closes it (and the
/// other banner, if both show).
fn banner(ctx: Ctx, n: Notice) -> AnyView {
    let detail = (!n.detail.is_empty()).then(|| {
        if n.technical {
            view! {
                <details class="uc-detail">
                    <summary>{ctx.t(T::Details)}</summary>
                    {n.detail}
                </details>
            }
            .into_any()
        } else {
            view! { <span class="uc-detail">{n.detail}</span> }.into_any()
        }
    });
    view! {
        <div class="uc-notice" role="alert">
            <div class="uc-notice-text">
                <strong>{ctx.t(n.text)}</strong>
                {detail}
            </div>
            <button
                class="uc-link"
                on:click=h(move |_| {
                    ctx.ui
                        .update(|u| {
                            u.notice = None;
                            u.host_problem = None;
                        })
                })
            >
                {ctx.t(T::Dismiss)}
            </button>
        </div>
    }
    .into_any()
}

/// The widget: header (badge, connection, sign-out), the error notice, and the session's view.
#[component]
pub fn App(ctx: Ctx) -> impl IntoView {
    provide_context(ctx);
    // From mount on, so a click made before sign-in is kept (and later confirmed), not queued.
    ctx.host()
        .on_click_to_dial(Rc::new(move |req: DialRequest| ctx.click_to_dial(req)));
    // The host's chrome shows the agent's presence (Salesforce utility bar label).
    Effect::new(move |_| {
        let lang = ctx.lang;
        let label = {
            let s = ctx.store.read();
            s.my_presence().map(|p| PresenceLabel {
                // On a call the busy overlay is what the label says, as the badge does.
                label: if p.on_call {
                    tr(lang, T::OnACall)
                } else {
                    p.profile.name(lang)
                }
                .to_owned(),
                colour: p.colour,
                on_call: p.on_call,
            })
        };
        if let Some(l) = label {
            ctx.host().set_presence_label(&l);
        }
    });
    let notice = move || {
        let notice = ctx.ui.read().notice.clone();
        notice.map(|n| banner(ctx, n))
    };
    let host_problem = move || {
        let why = ctx.ui.read().host_problem.clone();
        why.map(|why| {
            let n = Notice {
                text: T::HostUnavailable,
                detail: why,
                technical: true,
            };
            banner(ctx, n)
        })
    };
    let body = move || match ctx.session.get() {
        Session::SignedOut(why) => view! { <SignIn reason=why /> }.into_any(),
        Session::Loading => {
            view! { <p class="uc-loading" role="status">{ctx.t(T::Loading)}</p> }.into_any()
        }
        Session::NotEnabled => view! { <NotEnabled /> }.into_any(),
        Session::Ready => view! { <Ready /> }.into_any(),
    };
    view! {
        <div
            class="uc-widget"
            lang=ctx.lang.tag()
            prop:style=move || colour_style(ctx.store.read().me.as_ref().map(|m| &m.colours))
        >
            <div class="uc-sr" aria-live="polite" role="status" data-test="announcer">
                {dyn_view(move || ctx.ui.read().announcement.clone())}
            </div>
            {dyn_view(host_problem)}
            {dyn_view(notice)}
            {dyn_view(body)}
        </div>
    }
}

/// A lazily loaded part of the widget (a tab's panel, the wrap-up form, the softphone) whose wasm
/// chunk could not be fetched: the network failed, or the page is older than the backend's widget
/// (chunk names are not per build). Never a panic: the rest of the panel goes on, and the part
/// says so and can be tried again (a failed fetch is not cached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unloaded;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for Unloaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Unloaded {
        Unloaded
    }
}

/// What a part that could not be loaded shows: the sentence, and **Try again**, which runs
/// `retry`.
pub fn unloaded_view(ctx: Ctx, retry: impl Fn() + 'static) -> AnyView {
    view! {
        <div class="uc-notice" role="alert" data-test="unloaded">
            <span class="uc-notice-text">{ctx.t(T::PartNotLoaded)}</span>
            <button class="uc-link" data-test="retry" on:click=h(move |_| retry())>
                {ctx.t(T::TryAgain)}
            </button>
        </div>
    }
    .into_any()
}

/// A panel (a tab's, the wrap-up form) made by `load`, a function that with the `split` feature
/// is an async split one whose code comes in a wasm chunk of its own: the loading line shows until
/// the chunk is in (the first time only); once it is in, the future is ready at once and the panel
/// renders in the same pass. A chunk that could not be fetched shows [`unloaded_view`], whose Try
/// again calls `load` anew. The future is polled here and then by a task of the panel's owner (so
/// the panel reads the context as any other), instead of through Leptos's `Suspense` /
/// `Suspend`, whose code measured more.
#[cfg(feature = "split")]
pub fn lazy_panel<L, F>(ctx: Ctx, load: L) -> AnyView
where
    L: Fn() -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<AnyView, Unloaded>> + 'static,
{
    use futures::FutureExt;
    let mut panel = Box::pin(load());
    if let Some(Ok(ready)) = (&mut panel).now_or_never() {
        return ready;
    }
    let loaded = RwSignal::new_local(None::<Result<AnyView, Unloaded>>);
    let fetch = move |panel: std::pin::Pin<Box<F>>| {
        leptos::task::spawn_local_scoped(async move {
            // The agent may have left the tab meanwhile: then the signal is gone, and so is the view.
            let _ = loaded.try_set(Some(panel.await));
        });
    };
    fetch(panel);
    dyn_view(move || {
        loaded.track();
        match loaded.try_update_untracked(Option::take).flatten() {
            Some(Ok(view)) => view,
            Some(Err(Unloaded)) => {
                let load = load.clone();
                unloaded_view(ctx, move || {
                    let _ = loaded.try_set(None);
                    fetch(Box::pin(load()));
                })
            }
            None => {
                view! { <p class="uc-loading" role="status">{ctx.t(T::Loading)}</p> }.into_any()
            }
        }
    })
    .into_any()
}

/// The panel itself without the `split` feature (the panel functions are plain functions then,
/// always `Ok`): the modules that are not split carry no code for a panel still loading.
#[cfg(not(feature = "split"))]
pub fn lazy_panel<L>(ctx: Ctx, load: L) -> AnyView
where
    L: Fn() -> Result<AnyView, Unloaded> + 'static,
{
    load().unwrap_or_else(|Unloaded| unloaded_view(ctx, || ()))
}

/// The licensed agent's panel: header, call card, tabs.
#[component]
fn Ready() -> impl IntoView {
    let ctx = Ctx::current();
    #[cfg(feature = "softphone")]
    crate::softphone::watch(ctx);
    let active = move || {
        let s = ctx.store.read();
        s.me.as_ref().map(|m| m.mode) == Some(ucclient_core::pbx::Mode::Active)
    };
    // Roving focus: only the selected tab is in the Tab order; arrows, Home and End move the
    // selection and the focus along the tab list.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(to) = ctx
            .tab
            .get_untracked()
            .after_key(&ev.key(), Tab::shown(active()))
        else {
            return;
        };
        ev.prevent_default();
        if !ctx.choose_tab(to) {
            return;
        }
        focus_id(to.id());
    };
    let tab_button = move |tab: Tab| {
        view! {
            <button
                role="tab"
                // Routing only in active mode: hidden, not removed, so a live event (which may
                // change the mode) updates one attribute instead of rebuilding the row and taking
                // the keyboard focus from the tab the agent is on.
                class="uc-tab"
                hidden=move || tab == Tab::Routing && !active()
                id=tab.id()
                aria-controls="uc-tabpanel"
                aria-selected=move || if ctx.tab.get() == tab { "true" } else { "false" }
                tabindex=move || if ctx.tab.get() == tab { "0" } else { "-1" }
                on:click=h(move |_| {
                    ctx.choose_tab(tab);
                })
                on:keydown=h(on_key)
            >
                {ctx.t(tab.label())}
                {(tab == Tab::Voicemail).then(|| view! { <MessageWaiting in_tab=true /> })}
                {(tab == Tab::History).then(|| dyn_view(move || {
                    let n = ctx.store.read().missed;
                    (n > 0).then(|| view! {
                        " " <span class="uc-count uc-count-alert" data-test="missed-count">{n.to_string()}<span class="uc-sr">{format!(" {}", ctx.t(T::MissedUnseen))}</span></span>
                    })
                }))}
            </button>
        }
    };
    let panel = move || match ctx.tab.get() {
        Tab::Dial => view! { <Dialer /> }.into_any(),
        #[cfg(not(feature = "softphone"))]
        Tab::Presence => view! { <ProfileSwitcher /> }.into_any(),
        // The softphone's section under the profiles, its controls' code loaded when first opened.
        #[cfg(feature = "softphone")]
        Tab::Presence => view! {
            <ProfileSwitcher />
            {crate::softphone::section(ctx)}
        }
        .into_any(),
        Tab::Directory => lazy_panel(ctx, directory_panel),
        Tab::History => lazy_panel(ctx, history_panel),
        Tab::Voicemail => lazy_panel(ctx, voicemail_panel),
        Tab::Routing => lazy_panel(ctx, routing_panel),
    };
    // Who is signed in, as plain text: `/me` came before this panel and stays for its life.
    // Extension first, never cut: when the frame is narrow the name gives way (ellipsis; the
    // name's title shows it whole).
    let (ext, name) = ctx
        .store
        .read_untracked()
        .me
        .as_ref()
        .map(|m| (m.user.extension.clone(), m.user.name.clone()))
        .unwrap_or_default();
    let title = std::sync::Arc::<str>::from(name.as_str());
    view! {
        // Header, calls and tabs stay at the top of the frame however far the panel scrolls (CSS sticky).
        <div class="uc-top">
            <header class="uc-header">
                <Badge />
                <MessageWaiting in_tab=false />
                <span class="uc-me" data-test="me">
                    <span class="uc-ext">{ext}</span>
                    <span class="uc-me-name" title=title>{format!(" · {name}")}</span>
                </span>
                <ConnectionState />
                <button
                    class="uc-link uc-signout"
                    title={std::sync::Arc::<str>::from(ctx.t(T::SignOut))}
                    on:click=h(move |_| ctx.sign_out())
                >
                    {ctx.t(T::SignOut)}
                </button>
            </header>
            <crate::components::dialer::CallCards />
            <nav class="uc-tabs" role="tablist">
                {Tab::shown(true).iter().map(|&tab| tab_button(tab)).map(IntoAny::into_any).collect_view()}
            </nav>
        </div>
        <section
            class="uc-panel"
            role="tabpanel"
            id="uc-tabpanel"
            aria-labelledby=move || ctx.tab.get().id()
        >
            {dyn_view(panel)}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::Tab;

    #[test]
    fn arrows_wrap_around_the_tabs_shown() {
        let passive = Tab::shown(false);
        assert_eq!(
            Tab::Presence.after_key("ArrowRight", passive),
            Some(Tab::Dial)
        );
        assert_eq!(
            Tab::History.after_key("ArrowRight", passive),
            Some(Tab::Voicemail)
        );
        assert_eq!(
            Tab::Voicemail.after_key("ArrowRight", passive),
            Some(Tab::Presence)
        );
        assert_eq!(
            Tab::Presence.after_key("ArrowLeft", passive),
            Some(Tab::Voicemail)
        );
        let active = Tab::shown(true);
        assert_eq!(
            Tab::History.after_key("ArrowRight", active),
            Some(Tab::Voicemail)
        );
        assert_eq!(
            Tab::Voicemail.after_key("ArrowRight", active),
            Some(Tab::Routing)
        );
        assert_eq!(
            Tab::Presence.after_key("ArrowUp", active),
            Some(Tab::Routing)
        );
        assert_eq!(
            Tab::Directory.after_key("ArrowDown", active),
            Some(Tab::History)
        );
    }

    #[test]
    fn home_and_end_jump_and_other_keys_do_nothing() {
        let active = Tab::shown(true);
        assert_eq!(
            Tab::Directory.after_key("Home", active),
            Some(Tab::Presence)
        );
        assert_eq!(Tab::Directory.after_key("End", active), Some(Tab::Routing));
        assert_eq!(Tab::Directory.after_key("Enter", active), None);
        assert_eq!(Tab::Directory.after_key("a", active), None);
    }

    #[test]
    fn a_tab_no_longer_shown_moves_from_the_first() {
        // Routing selected, then the mode turned passive: the arrows still land on a shown tab.
        assert_eq!(
            Tab::Routing.after_key("ArrowRight", Tab::shown(false)),
            Some(Tab::Dial)
        );
        assert_eq!(Tab::Routing.after_key("Home", &[]), None);
    }
}
