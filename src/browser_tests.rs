//! Component tests in headless Chromium (`wasm-bindgen-test`): each test mounts the whole widget in
//! its own root element with a fake backend, interacts through the DOM, and asserts on the DOM and on
//! the requests the fake received. No network is involved.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::{GetUntracked, Set, Update, WithUntracked};
use ucclient_core::api::*;
use ucclient_core::profile::Colour;
use ucclient_core::settings::default_settings;
use ucclient_core::{Language, ProfileId, Status};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

use crate::api::{ApiError, ApiFuture, Backend, CallAction};
use crate::app::{App, Ctx, Tab};
use crate::host::{HostKind, standalone::StandaloneHost};
use crate::state::Connection;

wasm_bindgen_test_configure!(run_in_browser);

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix(1_700_000_000 + s, 0).unwrap()
}

fn presence(profile: ProfileId, on_call: bool) -> Presence {
    Presence {
        profile,
        status: profile.status(),
        colour: if on_call {
            Colour::Busy
        } else if profile.status() == Status::Available {
            Colour::Available
        } else {
            Colour::Away
        },
        on_call,
        since: t(0),
        pbx_sync: PbxSync::Applied,
        pbx_error: None,
    }
}

fn user(id: &str, ext: &str) -> User {
    User {
        id: id.into(),
        name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
        email: format!("{id}@acme.example"),
        extension: ext.into(),
    }
}

fn me(licensed: bool) -> Me {
    Me {
        user: user("ana", "201"),
        customer: CustomerRef {
            id: "acme".into(),
            name: "Acme".into(),
            country: "PT".into(),
            log_internal_calls: false,
        },
        permissions: if licensed {
            vec!["crm_client".into()]
        } else {
            vec![]
        },
        mode: Mode::Active,
        extension_lists_enabled: true,
        presence: presence(ProfileId::Available, false),
        devices: vec![
            Device {
                id: "ana-desk".into(),
                kind: DeviceKind::Desk,
                label: "Desk phone".into(),
                number: "201".into(),
            },
            Device {
                id: "ana-mobile".into(),
                kind: DeviceKind::Mobile,
                label: "Mobile".into(),
                number: "+351912000001".into(),
            },
        ],
        role: Role::User,
        colours: Default::default(),
        voicemail: false,
        wrap_up: None,
        crm_presence: None,
    }
}

fn call(id: &str, to: &str, state: CallState) -> Call {
    Call {
        id: id.into(),
        direction: CallDirection::Outbound,
        from: "201".into(),
        to: to.into(),
        state,
        started_at: t(10),
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

/// A backend that answers from memory and writes down every request.
struct Fake {
    licensed: bool,
    log: RefCell<Vec<String>>,
    /// Whether the live connection's tickets fail (else they never come).
    live_fails: bool,
    /// Whether tickets are refused because the licence was taken away (`client_not_licensed`).
    licence_gone: bool,
    /// Tickets asked for.
    tickets: Cell<u32>,
    /// The whole body of the live stream, when under test (served as a `data:` URL).
    stream: Option<&'static str>,
    /// Whether call claims are granted to this page.
    grant_claims: bool,
}

fn ready<T: 'static>(v: ApiResult<T>) -> ApiFuture<T> {
    Box::pin(async move { v })
}

type ApiResult<T> = Result<T, ApiError>;

impl Fake {
    fn note(&self, s: String) {
        self.log.borrow_mut().push(s);
    }
}

impl Backend for Fake {
    fn set_token(&self, _token: Option<String>) {}
    fn login(&self, req: LoginRequest) -> ApiFuture<LoginResponse> {
        self.note(format!("login {}", req.email));
        if req.password != "demo" {
            return ready(Err(ApiError {
                status: 401,
                code: Some(ErrorCode::InvalidCredentials),
                message: "wrong email or password".into(),
                timed_out: false,
            }));
        }
        ready(Ok(LoginResponse {
            token: "tok".into(),
            expires_at: t(3600),
            user: user("ana", "201"),
        }))
    }
    fn logout(&self) -> ApiFuture<()> {
        self.note("logout".into());
        ready(Ok(()))
    }
    fn me(&self) -> ApiFuture<Me> {
        ready(Ok(me(self.licensed)))
    }
    fn profiles(&self) -> ApiFuture<Vec<Profile>> {
        ready(Ok(ProfileId::ALL
            .iter()
            .map(|&id| Profile {
                id,
                name: id.name(Language::En).into(),
                status: id.status(),
                colour: Colour::Available,
                settings: default_settings(id),
                customised: false,
            })
            .collect()))
    }
    fn set_presence(&self, profile: ProfileId) -> ApiFuture<Presence> {
        self.note(format!("presence {}", profile.as_str()));
        ready(Ok(presence(profile, false)))
    }
    fn save_settings(&self, profile: ProfileId, settings: ProfileSettings) -> ApiFuture<Profile> {
        if profile == ProfileId::Lunch {
            // What the server answers to a step without devices: its words are English.
            return ready(Err(ApiError {
                status: 422,
                code: Some(ErrorCode::InvalidSettings),
                message: "routing step 2 must name between 1 and 16 devices".into(),
                timed_out: false,
            }));
        }
        self.note(format!(
            "settings {} {}",
            profile.as_str(),
            serde_json::to_string(&settings).unwrap()
        ));
        ready(Ok(Profile {
            id: profile,
            name: profile.name(Language::En).into(),
            status: profile.status(),
            colour: Colour::Available,
            settings,
            customised: true,
        }))
    }
    fn reset_settings(&self, profile: ProfileId) -> ApiFuture<Profile> {
        if profile == ProfileId::Lunch {
            // What gloo-net says when fetch fails (server down, CORS, no network).
            return ready(Err(ApiError::network("TypeError: Failed to fetch")));
        }
        self.note(format!("reset {}", profile.as_str()));
        self.save_settings(profile, default_settings(profile))
    }
    fn directory(&self, query: String) -> ApiFuture<Vec<DirectoryEntry>> {
        self.note(format!("directory {query}"));
        ready(Ok(vec![
            DirectoryEntry {
                user: user("ana", "201"),
                presence: presence(ProfileId::Available, false),
            },
            DirectoryEntry {
                user: user("bruno", "202"),
                presence: presence(ProfileId::Available, false),
            },
        ]))
    }
    fn place_call(&self, req: PlaceCallRequest) -> ApiFuture<Call> {
        self.note(format!("call {}", req.to));
        if let Some(device) = &req.device {
            self.note(format!("call from {device}"));
        }
        if req.to == "999" {
            return ready(Err(ApiError {
                status: 422,
                code: Some(ErrorCode::InvalidNumber),
                message: "the number has the wrong number of digits".into(),
                timed_out: false,
            }));
        }
        let mut c = call("c1", &req.to, CallState::Dialing);
        c.context = req.context;
        ready(Ok(c))
    }
    fn call_action(&self, call_id: String, action: CallAction) -> ApiFuture<Call> {
        self.note(format!("{} {call_id}", action.path()));
        let mut c = call(&call_id, "+351912345678", CallState::Ended);
        match action {
            CallAction::HangUp => {
                // Talked from 0:12 to 0:35.
                c.answered_at = Some(t(12));
                c.ended_at = Some(t(35));
            }
            CallAction::Answer => {
                c.state = CallState::Connected;
                c.answered_at = Some(t(12));
            }
            CallAction::Decline => {
                c.state = CallState::Failed;
                c.ended_at = Some(t(13));
                c.outcome = Some(CallOutcome::Declined);
            }
            CallAction::Hold | CallAction::Resume | CallAction::CancelConsult => {
                c.state = CallState::Connected;
                c.answered_at = Some(t(12));
                c.held = action != CallAction::Resume;
            }
            CallAction::CompleteTransfer => {
                c.answered_at = Some(t(12));
                c.ended_at = Some(t(50));
                c.outcome = Some(CallOutcome::Transferred);
                c.transferred_to = Some("202".into());
            }
        }
        ready(Ok(c))
    }
    fn transfer(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call> {
        self.note(format!("transfer {call_id} {}", req.to));
        let mut c = call(&call_id, "+351912345678", CallState::Ended);
        c.answered_at = Some(t(12));
        c.ended_at = Some(t(40));
        c.outcome = Some(CallOutcome::Transferred);
        ready(Ok(c))
    }
    fn calls(&self) -> ApiFuture<Vec<Call>> {
        let mut c = call("old", "+351210000000", CallState::Ended);
        c.answered_at = Some(t(12));
        c.ended_at = Some(t(87));
        ready(Ok(vec![c]))
    }
    fn claim(&self, call_id: String, req: ClaimRequest) -> ApiFuture<ClaimResponse> {
        assert!(req.client_is_valid(), "{}", req.client);
        self.note(format!("claim {} {call_id}", req.kind.as_str()));
        ready(Ok(ClaimResponse {
            granted: self.grant_claims,
        }))
    }
    fn ticket(&self) -> ApiFuture<EventTicket> {
        self.tickets.set(self.tickets.get() + 1);
        if self.live_fails {
            return ready(Err(ApiError::network("test: no network")));
        }
        if self.licence_gone {
            return ready(Err(ApiError {
                status: 403,
                code: Some(ErrorCode::ClientNotLicensed),
                message: "UcClient CRM is not enabled".into(),
                timed_out: false,
            }));
        }
        if self.stream.is_some() {
            return ready(Ok(EventTicket {
                ticket: "t".into(),
                expires_in: 30,
            }));
        }
        // Unless under test, the live connection stays "connecting".
        Box::pin(futures::future::pending())
    }
    fn events_url(&self, ticket: &str, _last: Option<u64>) -> String {
        match self.stream {
            Some(body) => format!(
                "data:text/event-stream,{}",
                String::from(js_sys::encode_uri_component(body))
            ),
            None => format!("/never?ticket={ticket}"),
        }
    }
    fn voicemail(&self) -> ApiFuture<Mailbox> {
        self.note("voicemail".into());
        let messages = with_mailbox(self, |m| m.clone());
        ready(Ok(Mailbox {
            // As `/me` says (the same setting).
            enabled: me(self.licensed).voicemail,
            unheard: messages.iter().filter(|m| !m.heard).count() as u32,
            messages,
        }))
    }
    fn voicemail_audio(&self, id: String) -> ApiFuture<web_sys::Blob> {
        self.note(format!("audio {id}"));
        match vm_failure(&id) {
            Some(e) => ready(Err(e)),
            None => ready(Ok(crate::api::wav_blob(&test_wav()).unwrap())),
        }
    }
    fn voicemail_heard(&self, id: String) -> ApiFuture<VoicemailMessage> {
        self.note(format!("heard {id}"));
        if let Some(e) = vm_failure(&id) {
            return ready(Err(e));
        }
        let m = with_mailbox(self, |list| {
            let m = list.iter_mut().find(|m| m.id == id)?;
            m.heard = true;
            Some(m.clone())
        });
        ready(m.ok_or_else(|| vm_failure("gone").unwrap()))
    }
    fn delete_voicemail(&self, id: String) -> ApiFuture<()> {
        self.note(format!("delete {id}"));
        if let Some(e) = vm_failure(&id) {
            return ready(Err(e));
        }
        with_mailbox(self, |list| list.retain(|m| m.id != id));
        ready(Ok(()))
    }
    fn save_wrap_up(&self, call_id: String, req: WrapUp) -> ApiFuture<Call> {
        self.note(format!(
            "wrapup {call_id} {}",
            serde_json::to_string(&req).unwrap()
        ));
        if req.notes.contains("TOO LONG") {
            // The server's answer to notes over the bound: the reason is the code the widget reads.
            return ready(Err(ApiError {
                status: 422,
                code: Some(ErrorCode::NotesTooLong),
                message: "the notes are longer than 2000 characters".into(),
                timed_out: false,
            }));
        }
        let mut c = call(&call_id, "+351912345678", CallState::Ended);
        c.wrap_up = Some(req);
        ready(Ok(c))
    }
    fn set_crm_record(&self, call_id: String, req: CrmRecord) -> ApiFuture<Call> {
        self.note(format!("crm-record {call_id} {}", req.id));
        let mut c = call(&call_id, "+351912345678", CallState::Ended);
        c.crm_record = Some(req);
        ready(Ok(c))
    }
    fn consult(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call> {
        self.note(format!("consult {call_id} {}", req.to));
        let mut leg = call("c8", &req.to, CallState::Dialing);
        leg.consult_of = Some(call_id);
        ready(Ok(leg))
    }
    fn missed(&self, seen: bool) -> ApiFuture<MissedCalls> {
        self.note(if seen { "missed seen" } else { "missed" }.into());
        ready(Ok(MissedCalls { count: 0 }))
    }
    fn groups(&self) -> ApiFuture<Vec<GroupEntry>> {
        ready(Ok(vec![GroupEntry {
            id: "sales".into(),
            name: "Sales".into(),
            extension: "600".into(),
        }]))
    }
    /// Registers as `reg-1` (device `ana-soft`), keeps alive, and answers a media offer from a
    /// peer connection of the page's own that never learns the offer's candidates (nor gives
    /// any): the panel's connection can never come up. Answering on the softphone is refused.
    #[cfg(feature = "softphone")]
    fn softphone_call(
        &self,
        method: crate::api::SoftphoneMethod,
        path: String,
        body: Option<String>,
    ) -> ApiFuture<String> {
        use crate::api::SoftphoneMethod::{Post, Put};
        match (method, path.as_str()) {
            (Put, "/softphone") => {
                self.note("softphone_register".into());
                ready(Ok(
                    r#"{"id":"reg-1","device":"ana-soft","expires_in":30}"#.to_owned()
                ))
            }
            (Post, p) if p.starts_with("/softphone/") => ready(Ok(String::new())),
            (Post, p) if p.ends_with("/media") => {
                let call_id = p.trim_start_matches("/calls/").trim_end_matches("/media");
                self.note(format!("media_offer {call_id}"));
                let offer: MediaOffer = crate::api::from_json(&body.unwrap_or_default()).unwrap();
                let answer = js_sys::Function::new_with_args(
                    "sdp",
                    "const pc = new RTCPeerConnection(); \
                     const offer = sdp.split('\\r\\n').filter(l => !l.startsWith('a=candidate')).join('\\r\\n'); \
                     return pc.setRemoteDescription({type: 'offer', sdp: offer}) \
                         .then(() => pc.createAnswer()).then(a => JSON.stringify({sdp: a.sdp}));",
                );
                let promise: js_sys::Promise = answer
                    .call1(&JsValue::NULL, &offer.sdp.into())
                    .unwrap()
                    .unchecked_into();
                Box::pin(async move {
                    let json = wasm_bindgen_futures::JsFuture::from(promise)
                        .await
                        .map_err(|_| ApiError::network("the test's answer failed"))?;
                    Ok(json.as_string().unwrap_or_default())
                })
            }
            (_, p) => {
                self.note(format!("softphone_call {p} {}", body.unwrap_or_default()));
                ready(Err(ApiError::network("not in this test")))
            }
        }
    }
    #[cfg(feature = "softphone")]
    fn softphone_end(&self, registration: String, page_going: bool) -> ApiFuture<()> {
        self.note(format!("softphone_end {registration} {page_going}"));
        ready(Ok(()))
    }
}

thread_local! {
    /// Each fake backend's mailbox, by the fake's address (the fake's fields stay as they are).
    static MAILBOXES: RefCell<Vec<(usize, Vec<VoicemailMessage>)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the mailbox of `fake` (empty until a test fills it).
fn with_mailbox<R>(fake: &Fake, f: impl FnOnce(&mut Vec<VoicemailMessage>) -> R) -> R {
    let key = fake as *const Fake as usize;
    MAILBOXES.with(|all| {
        let mut all = all.borrow_mut();
        if !all.iter().any(|(k, _)| *k == key) {
            all.push((key, Vec::new()));
        }
        let (_, list) = all.iter_mut().find(|(k, _)| *k == key).unwrap();
        f(list)
    })
}

/// The fake's answer for the message ids that stand for failures: `gone` (404, deleted in
/// another tab) and `offline` (no network).
fn vm_failure(id: &str) -> Option<ApiError> {
    match id {
        "gone" => Some(ApiError {
            status: 404,
            code: Some(ErrorCode::NotFound),
            message: "there is no such message".into(),
            timed_out: false,
        }),
        "offline" => Some(ApiError::network("TypeError: Failed to fetch")),
        _ => None,
    }
}

/// A quarter second of a 440 Hz tone, 8 kHz 16-bit mono PCM WAV: what the fake's messages say.
fn test_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..2_000)
        .map(|i| ((i as f64 * 440.0 * std::f64::consts::TAU / 8_000.0).sin() * 8_000.0) as i16)
        .collect();
    let data = samples.len() as u32 * 2;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    for v in [16u32, 0x0001_0001, 8_000, 16_000, 0x0010_0002] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// A mounted widget: its root element, its context and its fake backend.
struct Mounted {
    root: web_sys::HtmlElement,
    ctx: Ctx,
    fake: Rc<Fake>,
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn mount(licensed: bool, lang: Language) -> Mounted {
    mount_fake(
        Fake {
            licensed,
            log: RefCell::new(vec![]),
            live_fails: false,
            licence_gone: false,
            tickets: Cell::new(0),
            stream: None,
            grant_claims: true,
        },
        lang,
    )
}

fn mount_fake(fake: Fake, lang: Language) -> Mounted {
    mount_in(fake, lang, HostKind::Standalone)
}

/// [`mount_fake`] with the plain-page bridge standing in for the host `kind` (its CRM, its
/// `kind()`), as the widget mounted in that CRM would see it.
fn mount_in(fake: Fake, lang: Language, kind: HostKind) -> Mounted {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&root).unwrap();
    let fake = Rc::new(fake);
    // A distinct api_base per test, so saved tokens of other tests are not picked up.
    let base = format!(
        "test-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let slot: Rc<Cell<Option<Ctx>>> = Rc::new(Cell::new(None));
    let (s, f) = (slot.clone(), fake.clone());
    leptos::mount::mount_to(root.clone(), move || {
        let ctx = Ctx::new(f, Rc::new(StandaloneHost::new(kind)), &base, lang);
        s.set(Some(ctx));
        leptos::view! { <App ctx=ctx /> }
    })
    .forget();
    Mounted {
        root,
        ctx: slot.get().unwrap(),
        fake,
    }
}

async fn tick() {
    for _ in 0..3 {
        let p = js_sys::Promise::new(&mut |res, _| {
            web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&res, 0)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    }
}

impl Mounted {
    fn q(&self, sel: &str) -> web_sys::HtmlElement {
        self.root
            .query_selector(sel)
            .unwrap()
            .unwrap_or_else(|| panic!("no {sel} in {}", self.root.inner_html()))
            .unchecked_into()
    }
    fn all(&self, sel: &str) -> Vec<web_sys::HtmlElement> {
        let list = self.root.query_selector_all(sel).unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().unchecked_into())
            .collect()
    }
    fn text(&self) -> String {
        self.root.text_content().unwrap_or_default()
    }
    fn type_into(&self, sel: &str, value: &str) {
        let input: web_sys::HtmlInputElement = self.q(sel).unchecked_into();
        input.set_value(value);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
    }
    fn log(&self) -> Vec<String> {
        self.fake.log.borrow().clone()
    }
    async fn sign_in(&self) {
        self.type_into("#uc-email", "ana@acme.example");
        self.type_into("#uc-password", "demo");
        self.q("form[data-test=sign-in] button[type=submit]")
            .click();
        tick().await;
    }
}

#[wasm_bindgen_test]
async fn sign_in_shows_the_panel_and_sign_out_returns() {
    let m = mount(true, Language::En);
    assert!(m.text().contains("Sign in"));
    m.type_into("#uc-email", "ana@acme.example");
    m.type_into("#uc-password", "nope");
    m.q("form[data-test=sign-in] button[type=submit]").click();
    tick().await;
    assert!(
        m.text().contains("Wrong email or password."),
        "{}",
        m.text()
    );
    // The sentence alone: the server's "wrong email or password" would only repeat it.
    assert_eq!(
        m.q(".uc-notice").text_content().unwrap(),
        "Wrong email or password.Dismiss"
    );
    assert!(
        m.root
            .query_selector(".uc-notice details")
            .unwrap()
            .is_none()
    );
    m.sign_in().await;
    assert_eq!(
        m.log()[..2],
        ["login ana@acme.example", "login ana@acme.example"]
    );
    assert!(
        m.q("[data-test=badge]")
            .text_content()
            .unwrap()
            .contains("Available")
    );
    m.q(".uc-signout").click();
    tick().await;
    assert!(m.log().contains(&"logout".to_string()));
    assert!(
        m.root
            .query_selector("[data-test=sign-in]")
            .unwrap()
            .is_some()
    );
}

#[wasm_bindgen_test]
async fn an_unlicensed_user_is_told_why() {
    let m = mount(false, Language::En);
    m.sign_in().await;
    let panel = m.q("[data-test=not-enabled]").text_content().unwrap();
    assert!(panel.contains("not enabled for your account"), "{panel}");
    assert!(panel.contains("administrator"));
    assert!(!m.log().iter().any(|l| l.starts_with("directory")));
}

#[wasm_bindgen_test]
async fn the_badge_shows_the_busy_overlay_and_pbx_sync() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let mut p = presence(ProfileId::Available, true);
    p.pbx_sync = PbxSync::Failed;
    p.pbx_error = Some("PBX unreachable".into());
    m.ctx.store.update(|s| s.set_my_presence(p));
    tick().await;
    let badge = m.q("[data-test=badge]");
    assert_eq!(badge.get_attribute("data-colour").as_deref(), Some("busy"));
    // One message that agrees with the busy dot.
    let text = badge.text_content().unwrap();
    assert!(
        text.contains("On a call") && !text.contains("Available"),
        "{text}"
    );
    assert!(
        m.q("[data-test=badge] .uc-busy")
            .class_name()
            .contains("uc-dot")
    );
    let sync = m.q(".uc-sync-failed");
    assert!(
        sync.get_attribute("title")
            .unwrap()
            .contains("PBX unreachable")
    );
    assert_eq!(sync.get_attribute("tabindex").as_deref(), Some("0"));
}

#[wasm_bindgen_test]
async fn dots_are_painted_with_the_resellers_colours_and_never_guessed() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let style = || m.q(".uc-widget").get_attribute("style").unwrap_or_default();
    assert!(style().contains("--uc-busy"), "{}", style());
    assert!(style().contains("#c5221f"), "the default busy: {}", style());
    // A `colours` event repaints at once.
    let purple = PresenceColours {
        busy: HexColour::parse("#800080").unwrap(),
        ..PresenceColours::default()
    };
    m.ctx.store.update(|s| {
        s.apply_event(Some(1_000), Event::Colours(purple));
    });
    tick().await;
    assert!(style().contains("#800080"), "{}", style());
    assert!(!style().contains("#c5221f"), "{}", style());
    // Before the profiles have come, "In a meeting" (Unavailable, yet Busy) gets a plain dot,
    // not a colour guessed from its status.
    m.ctx.store.update(|s| s.set_profiles(vec![]));
    tick().await;
    let dot = m.q("[data-profile=in_a_meeting] .uc-dot");
    assert_eq!(dot.class_name(), "uc-dot");
}

#[wasm_bindgen_test]
async fn the_profile_switcher_groups_marks_and_switches() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let groups: Vec<String> = m
        .all(".uc-group")
        .iter()
        .map(|g| g.text_content().unwrap())
        .collect();
    assert_eq!(groups, ["Available", "Unavailable"]);
    assert_eq!(m.all(".uc-profile").len(), 11);
    assert_eq!(
        m.q("[data-profile=available]")
            .get_attribute("aria-checked")
            .as_deref(),
        Some("true")
    );
    // Active mode: what each profile does to calls, as core resolves it (not the raw table).
    let lunch = m.q("[data-profile=lunch]").text_content().unwrap();
    assert!(
        lunch.contains("No device rings: calls are missed. Group calls skip you.")
            && !lunch.contains("Do not disturb"),
        "{lunch}"
    );
    m.q("[data-profile=lunch]").click();
    tick().await;
    assert!(m.log().contains(&"presence lunch".to_string()));
    assert_eq!(
        m.q("[data-profile=lunch]")
            .get_attribute("aria-checked")
            .as_deref(),
        Some("true")
    );
    assert!(
        m.q("[data-test=badge]")
            .text_content()
            .unwrap()
            .contains("Lunch")
    );
}

#[wasm_bindgen_test]
async fn the_dialer_gives_feedback_dials_and_hangs_up() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-dial").click();
    tick().await;
    m.type_into("#uc-number", "9123456");
    tick().await;
    assert_eq!(
        m.q("#uc-number").get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert!(
        m.q("#uc-number-hint")
            .text_content()
            .unwrap()
            .contains("wrong number of digits")
    );
    // An extension nobody has is refused in the preview, in the server's words, and not sent.
    m.type_into("#uc-number", "999");
    tick().await;
    assert_eq!(
        m.q("#uc-number-hint").text_content().unwrap(),
        "No colleague has that extension."
    );
    m.q("form[data-test=dialer] button[type=submit]").click();
    tick().await;
    assert!(!m.log().contains(&"call 999".to_string()));
    assert!(m.root.query_selector("[role=alert]").unwrap().is_none());
    m.type_into("#uc-number", "912 345 678");
    tick().await;
    assert!(
        m.q("#uc-number-hint")
            .text_content()
            .unwrap()
            .contains("+351 912 345 678")
    );
    m.q("form[data-test=dialer] button[type=submit]").click();
    tick().await;
    assert!(m.log().contains(&"call 912 345 678".to_string()));
    let card = m.q("[data-test=call-card]");
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("dialing"));
    assert!(
        m.q("[data-test=announcer]")
            .text_content()
            .unwrap()
            .contains("Calling your phone")
    );
    // A live event moves the call on.
    let mut c = call("c1", "912 345 678", CallState::Connected);
    c.answered_at = Some(t(15));
    m.ctx.store.update(|s| {
        s.apply_event(Some(1), Event::Call(c));
    });
    tick().await;
    assert_eq!(
        m.q("[data-test=call-card]")
            .get_attribute("data-state")
            .as_deref(),
        Some("connected")
    );
    assert!(m.root.query_selector(".uc-timer").unwrap().is_some());
    m.q("[data-test=hangup]").click();
    tick().await;
    assert!(m.log().contains(&"hangup c1".to_string()));
    // The card stays a moment as the call's summary, without buttons.
    let card = m.q("[data-test=call-card]");
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("ended"));
    assert!(
        card.text_content().unwrap().contains("Call ended · 0:23"),
        "{}",
        card.inner_html()
    );
    assert!(card.query_selector("button").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn an_incoming_call_gets_its_own_card() {
    let m = mount(true, Language::PtPt);
    m.sign_in().await;
    let mut c = call("in1", "201", CallState::Ringing);
    c.direction = CallDirection::Inbound;
    c.from = "+351912999888".into();
    m.ctx.store.update(|s| {
        s.apply_event(Some(3), Event::Call(c));
    });
    tick().await;
    let card = m.q(".uc-incoming");
    let text = card.text_content().unwrap();
    assert!(
        text.contains("Chamada recebida") && text.contains("+351 912 999 888"),
        "{text}"
    );
    // While it rings: Answer and Decline, no Hang up; answered, it is a call like any other.
    assert!(
        m.root
            .query_selector("[data-test=hangup]")
            .unwrap()
            .is_none()
    );
    // Each button shows its keyboard shortcut and is reachable by it (access key).
    // (The shown shortcut is hidden from screen readers, which read `aria-keyshortcuts`.)
    assert_eq!(
        m.q("[data-test=answer]").text_content().unwrap(),
        "AtenderAlt+A"
    );
    assert_eq!(
        m.q("[data-test=decline]").text_content().unwrap(),
        "RejeitarAlt+R"
    );
    assert_eq!(
        m.q("[data-test=answer] kbd")
            .get_attribute("aria-hidden")
            .as_deref(),
        Some("true")
    );
    for (sel, key) in [("[data-test=answer]", "A"), ("[data-test=decline]", "R")] {
        assert_eq!(m.q(sel).get_attribute("accesskey").as_deref(), Some(key));
        assert_eq!(
            m.q(sel).get_attribute("aria-keyshortcuts"),
            Some(format!("Alt+{key}"))
        );
    }
    m.q("[data-test=answer]").click();
    tick().await;
    assert!(m.log().contains(&"answer in1".to_string()));
    assert_eq!(
        m.q("[data-test=call-card]")
            .get_attribute("data-state")
            .as_deref(),
        Some("connected")
    );
    assert!(
        m.root
            .query_selector("[data-test=answer]")
            .unwrap()
            .is_none()
    );
    m.q("[data-test=hangup]").click();
    tick().await;
    assert!(m.log().contains(&"hangup in1".to_string()));
}

#[wasm_bindgen_test]
async fn a_ringing_call_can_be_declined() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let mut c = call("in2", "201", CallState::Ringing);
    c.direction = CallDirection::Inbound;
    m.ctx.store.update(|s| {
        s.apply_event(Some(3), Event::Call(c));
    });
    tick().await;
    m.q("[data-test=decline]").click();
    tick().await;
    assert!(m.log().contains(&"decline in2".to_string()));
    let card = m.q("[data-test=call-card]");
    assert_eq!(
        card.query_selector(".uc-card-state")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Declined",
        "a declined call says so a moment, then leaves the panel"
    );
    assert!(card.query_selector("button").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_directory_shows_live_badges_and_calls_colleagues() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-directory").click();
    tick().await;
    let bruno = m.q("[data-user=bruno]");
    assert!(bruno.text_content().unwrap().contains("Available"));
    m.ctx.store.update(|s| {
        s.apply_event(
            Some(7),
            Event::Presence(PresenceUpdate {
                user_id: "bruno".into(),
                presence: presence(ProfileId::InAMeeting, false),
            }),
        );
    });
    tick().await;
    assert!(
        m.q("[data-user=bruno]")
            .text_content()
            .unwrap()
            .contains("In a meeting")
    );
    // No call button for oneself.
    assert!(
        m.q("[data-user=ana]")
            .query_selector("button")
            .unwrap()
            .is_none()
    );
    m.type_into(".uc-search", "bru");
    tick().await;
    assert!(m.log().contains(&"directory bru".to_string()));
    m.q("[data-user=bruno] [data-test=call-colleague]").click();
    tick().await;
    assert!(m.log().contains(&"call 202".to_string()));
    // Calling switches to the dial tab, where the call card shows.
    assert_eq!(
        m.q("[data-test=call-card]")
            .get_attribute("data-state")
            .as_deref(),
        Some("dialing")
    );
}

#[wasm_bindgen_test]
async fn the_history_lists_and_redials() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.ctx.tab.set(Tab::History);
    tick().await;
    let row = m.q("[data-test=history-row]");
    let text = row.text_content().unwrap();
    assert!(
        text.contains("+351 210 000 000") && text.contains("Outgoing") && text.contains("1:15"),
        "{text}"
    );
    row.query_selector("button")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    tick().await;
    assert!(m.log().contains(&"call +351210000000".to_string()));
}

#[wasm_bindgen_test]
async fn the_tabs_follow_the_arrow_keys_with_one_tab_stop() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let selected = || {
        let tabs = m.all("[role=tab]");
        let stops: Vec<_> = tabs.iter().filter(|t| t.tab_index() == 0).collect();
        assert_eq!(stops.len(), 1, "exactly one tab in the Tab order");
        assert_eq!(
            stops[0].get_attribute("aria-selected").as_deref(),
            Some("true")
        );
        stops[0].id()
    };
    assert_eq!(selected(), "uc-tab-presence");
    press(&m, "#uc-tab-presence", "ArrowRight");
    tick().await;
    assert_eq!(selected(), "uc-tab-dial");
    let focused = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .unwrap();
    assert_eq!(
        focused.id(),
        "uc-tab-dial",
        "the focus follows the selection"
    );
    assert_eq!(
        m.all("[data-test=dialer]").len(),
        1,
        "the dial panel is shown"
    );
    press(&m, "#uc-tab-dial", "End");
    tick().await;
    assert_eq!(selected(), "uc-tab-routing");
    press(&m, "#uc-tab-routing", "ArrowRight");
    tick().await;
    assert_eq!(selected(), "uc-tab-presence", "the arrows wrap around");
    press(&m, "#uc-tab-presence", "Enter");
    tick().await;
    assert_eq!(
        selected(),
        "uc-tab-presence",
        "other keys leave the selection alone"
    );
    assert_eq!(
        m.q("[role=tabpanel]")
            .get_attribute("aria-labelledby")
            .as_deref(),
        Some("uc-tab-presence")
    );
}

#[wasm_bindgen_test]
async fn the_routing_editor_saves_steps_and_resets() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    assert!(m.text().contains("extension list"));
    m.q("[data-test=ring-selected]").click();
    tick().await;
    assert_eq!(m.all("[data-test=step]").len(), 1);
    m.q("form[data-test=routing] button[type=submit]").click();
    tick().await;
    let saved = m
        .log()
        .into_iter()
        .find(|l| l.starts_with("settings available"))
        .unwrap();
    assert!(
        saved.contains(r#""ring":"selected""#) && saved.contains("ana-desk"),
        "{saved}"
    );
    assert!(m.text().contains("customised"));
    m.q("[data-test=reset]").click();
    tick().await;
    m.q("[data-test=confirm-yes]").click();
    tick().await;
    assert!(m.log().contains(&"reset available".to_string()));
}

#[wasm_bindgen_test]
async fn a_licence_taken_away_during_the_session_shows_not_enabled() {
    // The backend ends the stream of a user whose licence goes; the next ticket is refused.
    let m = mount_fake(
        Fake {
            licensed: true,
            log: RefCell::new(vec![]),
            live_fails: false,
            licence_gone: true,
            tickets: Cell::new(0),
            stream: None,
            grant_claims: true,
        },
        Language::En,
    );
    m.sign_in().await;
    tick().await;
    assert_eq!(m.fake.tickets.get(), 1);
    let panel = m.q("[data-test=not-enabled]").text_content().unwrap();
    assert!(panel.contains("not enabled for your account"), "{panel}");
    // It does not keep asking.
    for _ in 0..3 {
        tick().await;
    }
    assert_eq!(m.fake.tickets.get(), 1);
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn a_browser_without_network_shows_offline_at_once_and_retries_when_it_returns() {
    // The browser reports no network (shadowing `navigator.onLine` on this page).
    let navigator = web_sys::window().unwrap().navigator();
    let property = js_sys::Object::new();
    js_sys::Reflect::set(&property, &"value".into(), &false.into()).unwrap();
    js_sys::Reflect::set(&property, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&navigator, &"onLine".into(), &property);
    let m = mount_fake(
        Fake {
            licensed: true,
            log: RefCell::new(vec![]),
            live_fails: true,
            licence_gone: false,
            tickets: Cell::new(0),
            stream: None,
            grant_claims: true,
        },
        Language::En,
    );
    m.sign_in().await;
    let state = || {
        m.q("[data-test=connection]")
            .get_attribute("data-state")
            .unwrap()
    };
    assert_eq!(m.fake.tickets.get(), 1);
    assert_eq!(state(), "offline", "after one failure, not three");
    // It waits for the network (30 s at most), not a short backoff.
    for _ in 0..5 {
        tick().await;
    }
    assert_eq!(m.fake.tickets.get(), 1);
    // The network comes back: it tries again at once.
    js_sys::Reflect::delete_property(&navigator, &"onLine".into()).unwrap();
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    tick().await;
    assert_eq!(m.fake.tickets.get(), 2);
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn connection_state_and_language_are_shown() {
    let m = mount(true, Language::PtBr);
    assert!(m.text().contains("Entrar"));
    m.sign_in().await;
    assert_eq!(
        m.q("[data-test=connection]")
            .get_attribute("data-state")
            .as_deref(),
        Some("connecting")
    );
    m.ctx.store.update(|s| s.connection = Connection::Offline);
    tick().await;
    assert!(
        m.q("[data-test=connection]")
            .text_content()
            .unwrap()
            .contains("Sem conexão")
    );
    m.ctx.store.update(|s| s.connection = Connection::Live);
    tick().await;
    assert_eq!(
        m.q("[data-test=connection]").text_content().unwrap(),
        "Conectado"
    );
}

#[wasm_bindgen_test]
async fn a_page_event_clicks_to_dial() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&r#"{"number":"+351 912 345 678","record_id":"003A"}"#.into());
    let ev = web_sys::CustomEvent::new_with_event_init_dict("ucclient:dial", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
    tick().await;
    assert!(m.log().contains(&"call +351 912 345 678".to_string()));
}

#[wasm_bindgen_test]
async fn a_page_event_with_an_object_detail_clicks_to_dial() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let detail = crate::host::interop::Payload::default()
        .with("number", " 201 ")
        .with("record_id", "003B")
        .to_js();
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&detail);
    let ev = web_sys::CustomEvent::new_with_event_init_dict("ucclient:dial", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
    tick().await;
    assert!(m.log().contains(&"call 201".to_string()), "{:?}", m.log());
}

#[wasm_bindgen_test]
async fn what_a_newer_backend_adds_is_shown_or_skipped() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.ctx.tab.set(Tab::Directory);
    tick().await;
    // An event type this build does not know is skipped.
    assert_eq!(crate::live::read_event("voicemail", r#"{"count":1}"#), None);
    // Bruno moves to a profile and a colour this build does not know, with fields it does not know:
    // the event is read (by the same function the live stream uses) and shown sensibly.
    let data = r#"{"user_id":"bruno","team":"sales","presence":{"profile":"focus_time",
        "status":"unavailable","colour":"purple","on_call":false,"since":"2023-11-14T22:13:30Z",
        "pbx_sync":"applied","mood":{"emoji":"x"}}}"#;
    let event = crate::live::read_event("presence", data).expect("read, not refused");
    m.ctx.store.update(|s| {
        assert!(s.apply_event(Some(7), event).applied);
    });
    tick().await;
    let bruno = m.q("[data-user=bruno]");
    let text = bruno.text_content().unwrap_or_default();
    assert!(text.contains("Other profile"), "{text}");
    assert!(
        bruno.query_selector(".uc-unknown").unwrap().is_some(),
        "a neutral badge: {}",
        bruno.inner_html()
    );
    // An error code this build does not know: a general sentence, with the server's own.
    let e = crate::api::error_from_body(
        429,
        r#"{"error":"quota_exceeded","message":"Daily quota used up","retry_in":3}"#,
    );
    assert_eq!((e.status, e.code), (429, Some(ErrorCode::Other)));
    m.ctx.show_error(&e);
    tick().await;
    assert!(
        m.text().contains("The request did not succeed."),
        "{}",
        m.text()
    );
    assert!(m.text().contains("Daily quota used up"), "{}", m.text());
}

#[wasm_bindgen_test]
fn the_widget_writes_what_serde_json_writes() {
    use crate::api::to_json;
    let mut answered = call("c1", "+351912345678", CallState::Ended);
    answered.answered_at = Some(t(12));
    answered.context = Some(CallContext {
        crm: CrmKind::Salesforce,
        record_id: Some("003A".into()),
        object_type: None,
        record_name: Some("Rita Lopes".into()),
    });
    let same =
        |a: Option<String>, b: serde_json::Result<String>| assert_eq!(a.unwrap(), b.unwrap());
    same(to_json(&answered), serde_json::to_string(&answered));
    let mut settings = default_settings(ProfileId::Available);
    settings.routing = Routing::Selected {
        steps: vec![RingStep {
            devices: vec!["ana-desk".into()],
            after_seconds: 15,
        }],
    };
    same(to_json(&settings), serde_json::to_string(&settings));
    let login = LoginRequest {
        email: "ana@acme.example".into(),
        password: "\"quoted\"\n\u{1}é".into(),
        crm_origin: None,
    };
    same(to_json(&login), serde_json::to_string(&login));
    let place = PlaceCallRequest {
        to: "+351 912 345 678".into(),
        context: None,
        device: None,
    };
    same(to_json(&place), serde_json::to_string(&place));
    // And reads it back.
    let text = serde_json::to_string(&me(true)).unwrap();
    assert_eq!(crate::api::from_json::<Me>(&text), Some(me(true)));
}

#[wasm_bindgen_test]
fn error_bodies_are_read_by_the_browser() {
    assert!(
        crate::api::error_from_body(401, r#"{"error":"unauthenticated","message":""}"#)
            .is_unauthenticated()
    );
    let e = crate::api::error_from_body(
        403,
        r#"{"error":"client_not_licensed","message":"UcClient CRM is not enabled"}"#,
    );
    assert_eq!(e.code, Some(ErrorCode::ClientNotLicensed));
    assert_eq!(e.message, "UcClient CRM is not enabled");
    let e = crate::api::error_from_body(502, "<html>bad gateway</html>");
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (502, None, "HTTP 502")
    );
}

#[wasm_bindgen_test]
fn the_mount_config_is_read_field_by_field() {
    let config = js_sys::JSON::parse(
        r#"{"api_base":"https://x.example","host":"salesforce","locale":"pt-PT","extra":1}"#,
    )
    .unwrap();
    let c = crate::read_config(&config);
    assert_eq!(c.api_base, "https://x.example");
    assert_eq!(c.host, "salesforce");
    assert_eq!(c.locale.as_deref(), Some("pt-PT"));
    let odd = js_sys::JSON::parse(&format!(
        r#"{{"api_base":5,"host":"{}"}}"#,
        "x".repeat(3000)
    ))
    .unwrap();
    assert_eq!(crate::read_config(&odd), Default::default());
    assert_eq!(
        crate::read_config(&wasm_bindgen::JsValue::NULL),
        Default::default()
    );
}

#[wasm_bindgen_test]
fn bridge_payloads_are_plain_objects_and_answers_are_read_bounded() {
    use crate::host::interop::{Payload, parse_json, single_entry, text_field};
    let task = Payload::default()
        .with("Subject", "Call to \"201\"")
        .with("CallDurationInSeconds", 42)
        .with("WhoId", "003A")
        .with("done", true);
    assert_eq!(
        task.to_json(),
        r#"{"Subject":"Call to \"201\"","CallDurationInSeconds":42,"WhoId":"003A","done":true}"#
    );
    let js = task.to_js();
    assert_eq!(text_field(&js, "WhoId", 10).as_deref(), Some("003A"));
    assert_eq!(text_field(&js, "WhoId", 3), None, "over the bound");
    assert_eq!(
        text_field(&js, "CallDurationInSeconds", 10),
        None,
        "not a string"
    );
    assert_eq!(
        text_field(&"text".into(), "length", 10),
        None,
        "not an object"
    );

    assert!(parse_json("{}", 1).is_none(), "over the bound");
    assert!(parse_json("{", 10).is_none());
    let one = parse_json(r#"{"003A":{"RecordType":"Contact"}}"#, 100).unwrap();
    let (id, record) = single_entry(&one).unwrap();
    assert_eq!(id, "003A");
    assert_eq!(
        text_field(&record, "RecordType", 20).as_deref(),
        Some("Contact")
    );
    assert!(single_entry(&parse_json(r#"{"a":1,"b":2}"#, 100).unwrap()).is_none());
    assert!(single_entry(&parse_json("[1]", 100).unwrap()).is_none());

    use crate::host::dynamics::single_contact;
    let found = |t: &str| parse_json(t, 1000).unwrap();
    let rita = "+351912345678";
    // The one candidate whose number, as typed, is the number.
    assert_eq!(
        single_contact(
            &found(
                r#"{"0":{"contactid":"{11111111-2222-3333-4444-555555555555}","fullname":"Rita","telephone1":"912 345 678"}}"#
            ),
            rita
        ),
        Some(crate::host::interop::Found {
            id: "11111111-2222-3333-4444-555555555555".into(),
            object_type: None,
            name: Some("Rita".into()),
        })
    );
    // A candidate that only shares digits is not her; two that are her is no single match.
    assert_eq!(
        single_contact(
            &found(
                r#"{"0":{"contactid":"a","mobilephone":"932 345 678"},"1":{"contactid":"b","telephone1":"+351 912 345 678"}}"#
            ),
            rita
        )
        .map(|f| (f.id, f.name)),
        Some(("b".into(), None))
    );
    assert_eq!(
        single_contact(
            &found(
                r#"{"0":{"contactid":"a","telephone1":"912345678"},"1":{"contactid":"b","mobilephone":"00351912345678"}}"#
            ),
            rita
        ),
        None
    );
    assert_eq!(single_contact(&found("{}"), rita), None);
    assert_eq!(
        single_contact(
            &found(r#"{"0":{"contactid":"x') or ('1","telephone1":"912345678"}}"#),
            rita
        ),
        None
    );
}

#[wasm_bindgen_test]
async fn a_stream_ended_by_the_backend_shows_sign_in_with_the_reason_in_each_language() {
    let cases = [
        (
            "signed_out",
            Language::En,
            "You signed out in another tab or window.",
        ),
        (
            "expired",
            Language::PtPt,
            "A sua sessão terminou. Inicie sessão novamente.",
        ),
        (
            "password_changed",
            Language::PtBr,
            "Sua senha foi alterada.",
        ),
        (
            "not_licensed",
            Language::En,
            "Your access to the CRM client was removed.",
        ),
        ("user_deleted", Language::PtPt, "A sua conta foi removida."),
    ];
    for (reason, lang, sentence) in cases {
        let body: &'static str = Box::leak(
            format!("event: access_ended\ndata: {{\"reason\":\"{reason}\"}}\n\n").into_boxed_str(),
        );
        let m = mount_fake(
            Fake {
                licensed: true,
                log: RefCell::new(vec![]),
                live_fails: false,
                licence_gone: false,
                tickets: Cell::new(0),
                stream: Some(body),
                grant_claims: true,
            },
            lang,
        );
        m.sign_in().await;
        let mut shown = false;
        for _ in 0..50 {
            tick().await;
            // The reason is shown only when the session ended by itself.
            if m.root
                .query_selector("form[data-test=sign-in] .uc-info")
                .unwrap()
                .is_some()
            {
                shown = true;
                break;
            }
        }
        assert!(shown, "{reason}: still {}", m.text());
        let info = m
            .q("form[data-test=sign-in] .uc-info")
            .text_content()
            .unwrap();
        assert_eq!(info, sentence, "{reason}");
        // The ended session does not try again.
        let tickets = m.fake.tickets.get();
        for _ in 0..3 {
            tick().await;
        }
        assert_eq!(m.fake.tickets.get(), tickets, "{reason}");
    }
}

/// Fires the plain page's click-to-dial event.
fn fire_dial(number: &str, name: &str) {
    let init = web_sys::CustomEventInit::new();
    init.set_detail(&format!(r#"{{"number":"{number}","record_name":"{name}"}}"#).into());
    let ev = web_sys::CustomEvent::new_with_event_init_dict("ucclient:dial", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn clicks_before_sign_in_are_asked_about_once_never_dialled_in_a_burst() {
    let m = mount(true, Language::En);
    fire_dial("+351 912 000 111", "Bruno Sousa");
    fire_dial("+351 912 345 678", "Rita Lopes");
    m.sign_in().await;
    tick().await;
    let calls = || {
        m.log()
            .into_iter()
            .filter(|l| l.starts_with("call "))
            .collect::<Vec<_>>()
    };
    assert_eq!(calls(), Vec::<String>::new(), "nothing dialled by itself");
    let question = m.q(".uc-notice[role=alert]").text_content().unwrap();
    assert!(
        question.starts_with("Call") && question.contains("Rita Lopes, +351 912 345 678?"),
        "{question}"
    );
    assert!(
        !question.contains("912 000 111"),
        "only the latest: {question}"
    );
    let number: web_sys::HtmlInputElement = m.q("#uc-number").unchecked_into();
    assert_eq!(number.value(), "+351 912 345 678");
    // One click: the dialer's Call.
    m.q("form[data-test=dialer] button[type=submit]").click();
    tick().await;
    assert_eq!(calls(), ["call +351 912 345 678"]);
    assert!(m.root.query_selector(".uc-notice").unwrap().is_none());
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn a_click_before_sign_in_can_be_dismissed() {
    let m = mount(true, Language::PtPt);
    fire_dial("+351 912 345 678", "Rita Lopes");
    m.sign_in().await;
    tick().await;
    let question = m.q(".uc-notice[role=alert]").text_content().unwrap();
    assert!(
        question.starts_with("Ligar") && question.contains("Rita Lopes, +351 912 345 678?"),
        "{question}"
    );
    m.q(".uc-notice button.uc-link").click();
    tick().await;
    assert!(m.root.query_selector(".uc-notice").unwrap().is_none());
    assert!(!m.log().iter().any(|l| l.starts_with("call ")));
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn a_call_is_logged_only_by_the_page_the_backend_grants_the_log_to() {
    let logged = Rc::new(Cell::new(0));
    let count = logged.clone();
    let listener =
        wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            count.set(count.get() + 1)
        });
    let window = web_sys::window().unwrap();
    window
        .add_event_listener_with_callback("ucclient:call-log", listener.as_ref().unchecked_ref())
        .unwrap();
    for grant in [false, true] {
        let m = mount_fake(
            Fake {
                licensed: true,
                log: RefCell::new(vec![]),
                live_fails: false,
                licence_gone: false,
                tickets: Cell::new(0),
                stream: None,
                grant_claims: grant,
            },
            Language::En,
        );
        m.sign_in().await;
        m.ctx.hangup("c7".into());
        tick().await;
        assert!(
            m.log().contains(&"claim log c7".to_string()),
            "{:?}",
            m.log()
        );
        assert_eq!(logged.get(), usize::from(grant), "granted: {grant}");
        m.ctx.sign_out();
    }
    window
        .remove_event_listener_with_callback("ucclient:call-log", listener.as_ref().unchecked_ref())
        .unwrap();
}

/// Waits `ms` milliseconds of the browser's clock.
async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |res, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&res, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

impl Mounted {
    fn hint(&self) -> String {
        self.q("#uc-number-hint").text_content().unwrap()
    }
    fn call_disabled(&self) -> bool {
        self.q("form[data-test=dialer] button[type=submit]")
            .has_attribute("disabled")
    }
    fn dial_field(&self) -> String {
        self.q("#uc-number")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .value()
    }
    fn placed(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| l.starts_with("call "))
            .collect()
    }
}

#[wasm_bindgen_test]
async fn the_preview_dials_by_the_customers_country_not_the_language() {
    // dora's company is in Brazil; she reads the panel in English.
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.ctx
        .store
        .update(|s| s.me.as_mut().unwrap().customer.country = "BR".into());
    m.q("#uc-tab-dial").click();
    tick().await;
    m.type_into("#uc-number", "(11) 98765-4321");
    tick().await;
    assert_eq!(m.hint(), "Will dial +55 11 98765-4321");
    assert!(!m.call_disabled());
    m.type_into("#uc-number", "912345678");
    tick().await;
    assert_eq!(m.hint(), "The number has the wrong number of digits.");
    assert!(m.call_disabled());
    // A colleague's extension names the colleague.
    m.type_into("#uc-number", "202");
    tick().await;
    assert_eq!(m.hint(), "Call Bruno (ext 202)");
    assert!(!m.call_disabled());
}

#[wasm_bindgen_test]
async fn letters_disable_call_and_nothing_is_said_twice() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-dial").click();
    tick().await;
    for input in ["abc", "123"] {
        m.type_into("#uc-number", input);
        tick().await;
        assert!(m.call_disabled(), "{input}");
        assert_eq!(
            m.q("#uc-number").get_attribute("aria-invalid").as_deref(),
            Some("true")
        );
        // Enter in the field submits the form: still nothing is sent, and no banner repeats the hint.
        let form: web_sys::HtmlFormElement = m.q("form[data-test=dialer]").unchecked_into();
        form.request_submit().unwrap();
        tick().await;
        assert!(m.placed().is_empty(), "{:?}", m.log());
        assert!(m.root.query_selector("[role=alert]").unwrap().is_none());
    }
    assert_eq!(m.hint(), "No colleague has that extension.");
    // A redial (or a CRM click) of such a number shows it in the preview, once, and sends nothing.
    m.ctx.dial("abc".into(), None);
    tick().await;
    assert_eq!(m.dial_field(), "abc");
    assert_eq!(m.hint(), "Use only digits, spaces and + - . / ( ).");
    assert!(m.root.query_selector("[role=alert]").unwrap().is_none());
    assert!(m.placed().is_empty());
    // The server's refusal of an extension reads as the preview's sentence (same code).
    let e = crate::api::error_from_body(
        422,
        r#"{"error":"invalid_number","message":"nobody in your company has extension 123","reason":"unknown_extension"}"#,
    );
    m.ctx.show_error(&e);
    tick().await;
    assert!(
        m.q("[role=alert]")
            .text_content()
            .unwrap()
            .contains("No colleague has that extension.")
    );
}

#[wasm_bindgen_test]
async fn one_call_at_a_time() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-dial").click();
    tick().await;
    m.type_into("#uc-number", "912 345 678");
    tick().await;
    m.q("form[data-test=dialer] button[type=submit]").click();
    tick().await;
    assert_eq!(m.placed(), ["call 912 345 678"]);
    assert!(m.call_disabled());
    assert_eq!(
        m.hint(),
        "One call at a time: hang up the current call first."
    );
    m.q("#uc-tab-directory").click();
    tick().await;
    assert!(
        m.q("[data-user=bruno] [data-test=call-colleague]")
            .has_attribute("disabled")
    );
    m.q("#uc-tab-history").click();
    tick().await;
    assert!(m.q("[data-test=redial]").has_attribute("disabled"));
    // A click-to-dial from the CRM is refused with a sentence, not a second identical card.
    fire_dial("+351 912 345 678", "Rita Lopes");
    tick().await;
    assert_eq!(m.placed(), ["call 912 345 678"]);
    assert_eq!(m.all("[data-test=call-card]").len(), 1);
    assert!(
        m.q("[role=alert]")
            .text_content()
            .unwrap()
            .contains("One call at a time")
    );
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn redial_and_the_directory_put_their_number_in_the_dial_field() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-dial").click();
    tick().await;
    m.type_into("#uc-number", "912 000 111");
    m.q("#uc-tab-history").click();
    tick().await;
    m.q("[data-test=redial]").click();
    tick().await;
    assert_eq!(m.placed(), ["call +351210000000"]);
    assert_eq!(m.dial_field(), "+351210000000", "no stale number");
    m.ctx.hangup("c1".into());
    tick().await;
    m.q("#uc-tab-directory").click();
    tick().await;
    m.q("[data-user=bruno] [data-test=call-colleague]").click();
    tick().await;
    assert_eq!(m.placed(), ["call +351210000000", "call 202"]);
    assert_eq!(m.dial_field(), "202");
}

#[wasm_bindgen_test]
async fn calls_are_named_by_the_crm_record_then_the_colleague_then_the_number() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    fire_dial("+351 912 345 678", "Rita Lopes");
    tick().await;
    let card = m.q("[data-test=call-card] .uc-card-number");
    assert_eq!(card.text_content().unwrap(), "Rita Lopes");
    assert!(
        m.q("[data-test=announcer]")
            .text_content()
            .unwrap()
            .contains("Rita Lopes")
    );
    m.ctx.hangup("c1".into());
    tick().await;
    // A colleague calling by extension is the colleague.
    let mut c = call("in5", "201", CallState::Ringing);
    c.direction = CallDirection::Inbound;
    c.from = "202".into();
    let applied = m
        .ctx
        .store
        .try_update(|s| {
            s.forget_ended("c1");
            s.apply_event(Some(3), Event::Call(c.clone()))
        })
        .unwrap();
    m.ctx.on_event("call", applied);
    tick().await;
    assert_eq!(
        m.q("[data-test=call-card] .uc-card-number")
            .text_content()
            .unwrap(),
        "Bruno"
    );
    assert!(
        m.q("[data-test=announcer]")
            .text_content()
            .unwrap()
            .contains("Ringing…: Bruno")
    );
    // The history names them alike; an unknown number reads in groups.
    let mut rita = call("h1", "+351912345678", CallState::Ended);
    rita.context = Some(CallContext {
        crm: CrmKind::Standalone,
        record_id: None,
        object_type: None,
        record_name: Some("Rita Lopes".into()),
    });
    c.state = CallState::Ended;
    m.ctx.store.update(|s| {
        s.set_history(vec![rita, c]);
    });
    m.q("#uc-tab-history").click();
    tick().await;
    let names: Vec<String> = m
        .all("[data-test=history-row] .uc-name")
        .iter()
        .map(|n| n.text_content().unwrap())
        .collect();
    assert!(names.contains(&"Rita Lopes".to_string()), "{names:?}");
    assert!(names.contains(&"Bruno".to_string()), "{names:?}");
    assert!(names.contains(&"+351 210 000 000".to_string()), "{names:?}");
    m.ctx.sign_out();
}

#[wasm_bindgen_test]
async fn history_rows_say_when_and_redial_with_a_phone() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let now = js_sys::Date::now() as i64;
    let at = |days: i64| {
        let mut c = call(&format!("d{days}"), "+351912345678", CallState::Ended);
        c.started_at = Timestamp::from_millis(now - days * 86_400_000).unwrap();
        c
    };
    m.ctx
        .store
        .update(|s| s.history = vec![at(0), at(1), at(5)]);
    m.ctx.tab.set(Tab::History);
    tick().await;
    let when: Vec<String> = m
        .all("[data-test=when]")
        .iter()
        .map(|n| n.text_content().unwrap())
        .collect();
    let is_time = |t: &str| {
        t.len() == 5 && t.as_bytes()[2] == b':' && t.bytes().filter(u8::is_ascii_digit).count() == 4
    };
    assert!(is_time(&when[0]), "{when:?}");
    assert!(
        when[1].starts_with("Yesterday ") && is_time(&when[1]["Yesterday ".len()..]),
        "{when:?}"
    );
    assert!(when[2].contains('/') && !when[2].contains(':'), "{when:?}");
    let redial = m.q("[data-test=redial]");
    assert_eq!(redial.text_content().unwrap(), "✆");
    assert_eq!(
        redial.get_attribute("aria-label").as_deref(),
        Some("Call again +351 912 345 678")
    );
}

#[wasm_bindgen_test]
async fn an_ended_call_leaves_its_summary_a_moment_and_a_dnd_refusal_is_missed() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let mut c = call("in6", "201", CallState::Ringing);
    c.direction = CallDirection::Inbound;
    c.from = "+351912999888".into();
    m.ctx.store.update(|s| {
        s.apply_event(Some(3), Event::Call(c.clone()));
    });
    tick().await;
    // Do Not Disturb refused it: missed, not "Call failed · not answered".
    c.state = CallState::Failed;
    c.ended_at = Some(t(11));
    c.outcome = Some(CallOutcome::Missed);
    let applied = m
        .ctx
        .store
        .try_update(|s| s.apply_event(Some(4), Event::Call(c.clone())))
        .unwrap();
    assert!(applied.applied);
    // What the live loop does with an applied event.
    m.ctx.on_event("call", applied);
    tick().await;
    let card = m.q("[data-test=call-card]");
    assert_eq!(
        card.query_selector(".uc-card-state")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Missed"
    );
    m.ctx.tab.set(Tab::History);
    tick().await;
    let rows: Vec<String> = m
        .all("[data-test=history-row]")
        .iter()
        .map(|r| r.text_content().unwrap())
        .collect();
    let row = rows
        .iter()
        .find(|r| r.contains("+351 912 999 888"))
        .unwrap();
    assert!(row.contains("Missed") && !row.contains("failed"), "{row}");
    sleep(crate::state::SUMMARY_MS as i32 + 300).await;
    assert!(
        m.root
            .query_selector("[data-test=call-card]")
            .unwrap()
            .is_none(),
        "the summary goes after a few seconds"
    );
}

#[wasm_bindgen_test]
async fn after_hang_up_the_focus_is_in_the_dial_field() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.ctx.dial("912345678".into(), None);
    tick().await;
    // The agent looks at the directory during the call, then hangs up from the card.
    m.q("#uc-tab-directory").click();
    tick().await;
    m.q("[data-test=hangup]").click();
    tick().await;
    let active = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .unwrap();
    assert_eq!(active.id(), "uc-number");
    assert_eq!(m.ctx.tab.get_untracked(), Tab::Dial);
}

/// Presses `key` on the element `sel` (a bubbling, cancelable `keydown`).
fn press(m: &Mounted, sel: &str, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    m.q(sel).dispatch_event(&ev).unwrap();
}

/// Sets the value of the input or select `sel` and fires its `change` (what a commit does).
fn change(m: &Mounted, sel: &str, value: &str) {
    let el = m.q(sel);
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    el.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
}

fn focused_profile() -> Option<String> {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()?
        .get_attribute("data-profile")
}

#[wasm_bindgen_test]
async fn the_profile_list_is_one_radio_group_tab_stop_moved_by_the_arrows() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    assert_eq!(m.all("[role=radiogroup]").len(), 1);
    let radios = m.all("[data-test=profiles] [role=radio]");
    assert_eq!(radios.len(), 11);
    let stops: Vec<_> = radios.iter().filter(|r| r.tab_index() == 0).collect();
    assert_eq!(stops.len(), 1, "one tab stop, not eleven");
    assert_eq!(
        stops[0].get_attribute("aria-checked").as_deref(),
        Some("true"),
        "the stop is the current profile"
    );
    m.q("[data-profile=available]").focus().unwrap();
    press(&m, "[data-profile=available]", "ArrowDown");
    tick().await;
    assert_eq!(focused_profile().as_deref(), Some("in_the_office"));
    press(&m, "[data-profile=in_the_office]", "End");
    tick().await;
    let last = focused_profile().unwrap();
    assert_eq!(
        ProfileId::parse(&last).unwrap().status(),
        Status::Unavailable,
        "End reaches the end of the Unavailable group"
    );
    press(&m, &format!("[data-profile={last}]"), "ArrowDown");
    tick().await;
    assert_eq!(focused_profile().as_deref(), Some("available"), "wraps");
    press(&m, "[data-profile=available]", "ArrowUp");
    tick().await;
    assert_eq!(focused_profile().as_deref(), Some(last.as_str()));
    // Arrows move the focus only: nothing was applied on the PBX on the way.
    assert!(
        !m.log().iter().any(|l| l.starts_with("presence")),
        "{:?}",
        m.log()
    );
    assert_eq!(
        m.q("[data-profile=available]")
            .get_attribute("aria-checked")
            .as_deref(),
        Some("true")
    );
    // Enter/Space click the focused radio (the button's own behaviour): that applies it.
    m.q(&format!("[data-profile={last}]")).click();
    tick().await;
    assert!(m.log().contains(&format!("presence {last}")));
    let stop: Vec<_> = m
        .all("[data-test=profiles] [role=radio]")
        .into_iter()
        .filter(|r| r.tab_index() == 0)
        .collect();
    assert_eq!(stop.len(), 1);
    assert_eq!(stop[0].get_attribute("data-profile"), Some(last));
}

#[wasm_bindgen_test]
async fn a_colleague_on_a_call_reads_on_a_call_with_the_busy_dot() {
    let m = mount(true, Language::PtPt);
    m.sign_in().await;
    m.q("#uc-tab-directory").click();
    tick().await;
    m.ctx.store.update(|s| {
        s.apply_event(
            Some(9),
            Event::Presence(PresenceUpdate {
                user_id: "bruno".into(),
                presence: presence(ProfileId::Available, true),
            }),
        );
    });
    tick().await;
    let row = m.q("[data-user=bruno] .uc-presence");
    let text = row.text_content().unwrap();
    assert_eq!(
        text.trim(),
        "Em chamada",
        "one message, never \"Disponível\""
    );
    assert!(
        m.q("[data-user=bruno] .uc-dot")
            .class_name()
            .contains("uc-busy")
    );
}

#[wasm_bindgen_test]
async fn the_routing_editor_groups_profiles_disables_forward_to_and_previews_the_effect() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    let groups: Vec<String> = m
        .all("#uc-routing-profile optgroup")
        .iter()
        .map(|g| g.get_attribute("label").unwrap())
        .collect();
    assert_eq!(groups, ["Available", "Unavailable"]);
    assert_eq!(
        m.all("#uc-routing-profile optgroup")[1]
            .query_selector_all("option")
            .unwrap()
            .length(),
        6
    );
    let forward_to = || {
        m.q("#uc-forward-to")
            .unchecked_into::<web_sys::HtmlInputElement>()
    };
    assert!(forward_to().disabled(), "disabled while forwarding is off");
    assert!(m.text().contains("Do not disturb comes first"));
    let preview = || m.q("[data-test=preview]").text_content().unwrap();
    assert!(
        preview().contains("All your devices ring, for direct and group calls."),
        "{}",
        preview()
    );
    m.q("[data-test=forwarding]").click();
    tick().await;
    assert!(!forward_to().disabled());
    m.type_into("#uc-forward-to", "912 000 999");
    tick().await;
    assert!(
        preview().contains("Calls forward to +351 912 000 999."),
        "live, with the customer's country: {}",
        preview()
    );
    // A number that is not one: the error next to the field, nothing sent.
    m.type_into("#uc-forward-to", "12345");
    m.q("form[data-test=routing] button[type=submit]").click();
    tick().await;
    let error = m.q("[data-test=field-error]");
    assert_eq!(
        error.text_content().unwrap(),
        "The number has the wrong number of digits."
    );
    assert_eq!(
        error.previous_element_sibling().unwrap().id(),
        "uc-forward-to",
        "next to its field"
    );
    assert!(!m.log().iter().any(|l| l.starts_with("settings")));
    m.type_into("#uc-forward-to", "912 000 999");
    m.q("form[data-test=routing] button[type=submit]").click();
    tick().await;
    assert!(
        m.log().iter().any(|l| l.contains("+351912000999")),
        "{:?}",
        m.log()
    );
    assert_eq!(m.q("[data-test=saved]").text_content().unwrap(), "Saved.");
    assert!(m.all("[data-test=field-error]").is_empty());
}

#[wasm_bindgen_test]
async fn an_out_of_range_delay_is_refused_with_a_message_not_clamped() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    m.q("[data-test=ring-selected]").click();
    tick().await;
    change(&m, "#uc-after-0", "999");
    tick().await;
    assert_eq!(
        m.q("[data-test=step] [data-test=field-error]")
            .text_content()
            .unwrap(),
        "Type a number of seconds from 0 to 300."
    );
    assert_eq!(
        m.q("#uc-after-0")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .value(),
        "999",
        "kept as typed, not clamped to 300"
    );
    assert_eq!(
        m.q("#uc-after-0").get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    m.q("form[data-test=routing] button[type=submit]").click();
    tick().await;
    assert!(
        !m.log().iter().any(|l| l.starts_with("settings")),
        "{:?}",
        m.log()
    );
    assert_eq!(m.q("[data-test=saved]").text_content().unwrap(), "");
    change(&m, "#uc-after-0", "0");
    tick().await;
    m.q("form[data-test=routing] button[type=submit]").click();
    tick().await;
    assert!(m.log().iter().any(|l| l.starts_with("settings available")));
    assert_eq!(m.q("[data-test=saved]").text_content().unwrap(), "Saved.");
}

#[wasm_bindgen_test]
async fn unsaved_edits_are_not_thrown_away_without_a_question() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    m.q("[data-test=dnd]").click();
    tick().await;
    // Switching profile in the editor asks first; "Keep editing" keeps the edit and the profile.
    change(&m, "#uc-routing-profile", "lunch");
    tick().await;
    assert!(
        m.q("[data-test=confirm]")
            .text_content()
            .unwrap()
            .contains("unsaved changes")
    );
    m.q("[data-test=confirm-no]").click();
    tick().await;
    assert!(m.all("[data-test=confirm]").is_empty());
    assert_eq!(
        js_sys::Reflect::get(&m.q("#uc-routing-profile"), &"value".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "available"
    );
    assert!(
        m.q("[data-test=dnd]")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .checked()
    );
    // Leaving the tab asks too, inside the panel; the tab stays until answered.
    m.q("#uc-tab-dial").click();
    tick().await;
    assert_eq!(m.ctx.tab.get_untracked(), Tab::Routing);
    assert!(
        m.q("[data-test=confirm]")
            .text_content()
            .unwrap()
            .contains("unsaved changes")
    );
    m.q("[data-test=confirm-yes]").click();
    tick().await;
    assert_eq!(m.ctx.tab.get_untracked(), Tab::Dial);
    // Back: the edit is gone, and with no edit nothing is asked.
    m.q("#uc-tab-routing").click();
    tick().await;
    assert!(
        !m.q("[data-test=dnd]")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .checked()
    );
    change(&m, "#uc-routing-profile", "lunch");
    tick().await;
    assert!(m.all("[data-test=confirm]").is_empty());
    assert!(
        m.q("[data-test=dnd]")
            .unchecked_into::<web_sys::HtmlInputElement>()
            .checked(),
        "Lunch loaded"
    );
    assert!(!m.log().iter().any(|l| l.starts_with("settings")));
}

#[wasm_bindgen_test]
async fn reset_asks_before_it_resets() {
    let m = mount(true, Language::PtBr);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    m.q("[data-test=reset]").click();
    tick().await;
    assert!(
        m.q("[data-test=confirm]")
            .text_content()
            .unwrap()
            .contains("Restaurar os padrões deste perfil?")
    );
    assert!(!m.log().iter().any(|l| l.starts_with("reset")));
    m.q("[data-test=confirm-no]").click();
    tick().await;
    assert!(m.all("[data-test=confirm]").is_empty());
    assert!(!m.log().iter().any(|l| l.starts_with("reset")));
    m.q("[data-test=reset]").click();
    tick().await;
    m.q("[data-test=confirm-yes]").click();
    tick().await;
    assert!(m.log().contains(&"reset available".to_string()));
    assert_eq!(m.q("[data-test=saved]").text_content().unwrap(), "Salvo.");
}

/// The banner's sentence, and the text of its "Details" disclosure (empty when it has none).
fn banner(m: &Mounted) -> (String, String) {
    let notice = m.q(".uc-notice[role=alert]");
    let sentence = notice
        .query_selector("strong")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    let details = notice
        .query_selector("details")
        .unwrap()
        .map(|d| {
            assert!(!d.has_attribute("open"), "the details start closed");
            d.text_content().unwrap()
        })
        .unwrap_or_default();
    (sentence, details)
}

fn no_banner(m: &Mounted) -> bool {
    m.root.query_selector(".uc-notice").unwrap().is_none()
}

#[wasm_bindgen_test]
async fn a_refusal_in_english_is_told_in_portuguese_with_the_servers_words_only_in_details() {
    let m = mount(true, Language::PtPt);
    m.sign_in().await;
    m.ctx.save_settings(
        ProfileId::Lunch,
        Some(default_settings(ProfileId::Lunch)),
        Box::new(|| {}),
    );
    tick().await;
    let (sentence, details) = banner(&m);
    assert_eq!(sentence, "Essas definições não podem ser aplicadas.");
    assert_eq!(
        details,
        "Detalhesrouting step 2 must name between 1 and 16 devices"
    );
    // The English words are nowhere else in the banner.
    let text = m.q(".uc-notice").text_content().unwrap();
    assert_eq!(text.matches("routing step").count(), 1, "{text}");
    // The agent moves on to another tab: the banner goes.
    m.q("#uc-tab-history").click();
    tick().await;
    assert!(no_banner(&m), "{}", m.root.inner_html());
}

#[wasm_bindgen_test]
async fn a_network_failure_is_a_sentence_and_goes_with_the_next_action() {
    let m = mount(true, Language::PtBr);
    m.sign_in().await;
    m.ctx.save_settings(ProfileId::Lunch, None, Box::new(|| {}));
    tick().await;
    let (sentence, details) = banner(&m);
    assert_eq!(sentence, "Não foi possível acessar o servidor.");
    assert_eq!(details, "DetalhesTypeError: Failed to fetch");
    // The arrow keys change the tab too: the banner goes.
    press(&m, "#uc-tab-presence", "ArrowRight");
    tick().await;
    assert!(no_banner(&m));
    // A timeout says so, in the agent's words; the next action (a search) clears it.
    m.ctx.show_error(&ApiError::timed_out(15_000));
    tick().await;
    assert_eq!(
        banner(&m),
        (
            "O servidor não está respondendo. Tente daqui a pouco.".into(),
            "Detalhesno answer within 15000 ms".into()
        )
    );
    m.ctx.search("bru".into());
    tick().await;
    assert!(no_banner(&m));
}

#[wasm_bindgen_test]
async fn a_code_this_build_does_not_know_still_gets_a_sentence() {
    let m = mount(true, Language::PtPt);
    m.sign_in().await;
    let e = crate::api::error_from_body(
        409,
        r#"{"error":"call_limit_reached","message":"only 2 calls at once"}"#,
    );
    m.ctx.show_error(&e);
    tick().await;
    assert_eq!(
        banner(&m),
        (
            "O pedido não foi concluído.".into(),
            "Detalhesonly 2 calls at once".into()
        )
    );
    // The more specific code of a refusal picks the sentence.
    let e = crate::api::error_from_body(
        422,
        r#"{"error":"invalid_number","reason":"unknown_extension","message":"no user has extension 299"}"#,
    );
    m.ctx.show_error(&e);
    tick().await;
    assert_eq!(banner(&m).0, "Nenhum colega tem essa extensão.");
}

#[wasm_bindgen_test]
async fn the_header_names_the_agent_and_focus_goes_to_the_panel_after_sign_in() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    let me = m.q("[data-test=me]");
    assert_eq!(me.text_content().unwrap(), "201 · Ana");
    // The extension is never cut; the name may be, and its title says it whole.
    assert_eq!(m.q("[data-test=me] .uc-ext").text_content().unwrap(), "201");
    assert_eq!(
        m.q("[data-test=me] .uc-me-name")
            .get_attribute("title")
            .as_deref(),
        Some("Ana")
    );
    // The connection and sign-out keep their words for screen readers, however narrow the frame.
    assert_eq!(m.q(".uc-signout").text_content().unwrap(), "Sign out");
    let active = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .unwrap();
    assert_eq!(
        active.id(),
        "uc-tab-presence",
        "focus is on {}",
        active.outer_html()
    );
}

/// The element with the keyboard focus: its id and, for an input, its value and caret (where
/// the input has one).
fn focused_input() -> (String, String, Option<u32>) {
    let el = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .expect("something has the focus");
    let input = el.dyn_ref::<web_sys::HtmlInputElement>();
    let value = input.map(|i| i.value()).unwrap_or_default();
    let caret = input.and_then(|i| i.selection_start().ok().flatten());
    (el.id(), value, caret)
}

#[wasm_bindgen_test]
async fn typing_in_the_routing_editor_keeps_focus_and_text_through_live_events() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-routing").click();
    tick().await;
    m.q("[data-test=forwarding]").click();
    tick().await;
    m.q("[data-test=ring-selected]").click();
    tick().await;
    let mut n = 100;
    // The caret mid-number in the forwarding number; a number field has none.
    for (id, typed, caret) in [
        ("uc-forward-to", "912 0", Some(3)),
        ("uc-after-0", "1", None),
    ] {
        let sel = format!("#{id}");
        m.q(&sel).focus().unwrap();
        // Half typed: an `input` event, no `change` yet (what a keystroke does).
        m.type_into(&sel, typed);
        if let Some(at) = caret {
            let input: web_sys::HtmlInputElement = m.q(&sel).unchecked_into();
            input.set_selection_range(at, at).unwrap();
        }
        tick().await;
        let typing = (id.to_owned(), typed.to_owned(), caret);
        assert_eq!(focused_input(), typing);
        // What the live stream brings while the agent types: a colleague's presence, one of
        // the agent's own calls, and the agent's own presence (as the profile switcher sets it).
        let events = [
            Event::Presence(PresenceUpdate {
                user_id: "bruno".into(),
                presence: presence(ProfileId::InAMeeting, n % 2 == 0),
            }),
            Event::Call(call(&format!("c{n}"), "912 345 678", CallState::Dialing)),
            Event::Presence(PresenceUpdate {
                user_id: "ana".into(),
                presence: presence(ProfileId::Lunch, false),
            }),
        ];
        for event in events {
            n += 1;
            let applied = m
                .ctx
                .store
                .try_update(|s| s.apply_event(Some(n), event))
                .unwrap();
            m.ctx.on_event("event", applied);
            tick().await;
            assert_eq!(focused_input(), typing, "after live event {n}");
        }
        m.ctx.set_presence(ProfileId::InAMeeting);
        tick().await;
        assert_eq!(
            focused_input(),
            typing,
            "after the agent's own presence change"
        );
        assert!(m.log().contains(&"presence in_a_meeting".to_string()));
    }
    // The form still works: the half-typed delay is committed and checked as before.
    change(&m, "#uc-after-0", "999");
    tick().await;
    assert_eq!(
        m.q("[data-test=step] [data-test=field-error]")
            .text_content()
            .unwrap(),
        "Type a number of seconds from 0 to 300."
    );
    // What the editor does show from the store still reaches it: the mode turned passive.
    m.ctx
        .store
        .update(|s| s.me.as_mut().unwrap().mode = Mode::Passive);
    tick().await;
    assert!(m.all("form[data-test=routing]").is_empty());
    assert!(m.text().contains("Your company uses passive mode"));
}

#[wasm_bindgen_test]
async fn a_live_event_leaves_the_focus_on_the_tab_and_passive_mode_hides_routing() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    m.q("#uc-tab-history").focus().unwrap();
    let focused = || {
        web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element()
            .map(|e| e.id())
    };
    assert_eq!(focused().as_deref(), Some("uc-tab-history"));
    let applied = m
        .ctx
        .store
        .try_update(|s| {
            s.apply_event(
                Some(7),
                Event::Presence(PresenceUpdate {
                    user_id: "bruno".into(),
                    presence: presence(ProfileId::InAMeeting, true),
                }),
            )
        })
        .unwrap();
    m.ctx.on_event("presence", applied);
    tick().await;
    assert_eq!(
        focused().as_deref(),
        Some("uc-tab-history"),
        "the tab row was rebuilt"
    );
    // Passive mode: Routing is hidden (not in the accessibility tree), the rest stays.
    m.ctx
        .store
        .update(|s| s.me.as_mut().unwrap().mode = ucclient_core::pbx::Mode::Passive);
    tick().await;
    let shown: Vec<String> = m
        .all("[role=tab]")
        .iter()
        .filter(|t| t.offset_width() > 0)
        .map(|t| t.id())
        .collect();
    assert_eq!(
        shown,
        [
            "uc-tab-presence",
            "uc-tab-dial",
            "uc-tab-directory",
            "uc-tab-history",
            "uc-tab-voicemail"
        ]
    );
    assert_eq!(focused().as_deref(), Some("uc-tab-history"));
}

/// A connected call of ana's on a card.
async fn connected_call(m: &Mounted) {
    let mut c = call("c7", "+351912345678", CallState::Connected);
    c.answered_at = Some(t(12));
    m.ctx.store.update(|s| {
        s.apply_event(Some(7), Event::Call(c));
    });
    tick().await;
}

#[wasm_bindgen_test]
async fn a_connected_call_is_held_and_resumed_from_its_card() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    connected_call(&m).await;
    let state = || m.q(".uc-card-state").text_content().unwrap();
    assert!(state().starts_with("Connected"), "{}", state());
    assert_eq!(m.q("[data-test=hold]").text_content().unwrap(), "Hold");
    m.q("[data-test=hold]").click();
    tick().await;
    assert!(m.log().contains(&"hold c7".to_string()));
    assert!(state().starts_with("On hold"), "{}", state());
    assert_eq!(
        m.q("[data-test=call-card]")
            .get_attribute("data-state")
            .as_deref(),
        Some("connected"),
        "a held call is still connected"
    );
    assert_eq!(m.q("[data-test=hold]").text_content().unwrap(), "Resume");
    m.q("[data-test=hold]").click();
    tick().await;
    assert!(m.log().contains(&"resume c7".to_string()));
    assert!(state().starts_with("Connected"), "{}", state());
}

/// A softphone caller whose call reached a colleague's mailbox: the card says to speak after the
/// beep, in the agent's language, and offers hang-up only (no hold, transfer or consultation of a
/// mailbox); hanging up ends the message.
#[wasm_bindgen_test]
async fn a_call_leaving_a_message_says_so_and_only_hangs_up() {
    for (lang, says) in [
        (Language::En, "Leaving a message: speak after the beep"),
        (Language::PtPt, "A deixar mensagem: fale após o sinal"),
    ] {
        let m = mount(true, lang);
        m.sign_in().await;
        let mut c = call("c8", "202", CallState::Connected);
        c.answered_at = Some(t(12));
        c.internal = true;
        c.leaving_message = true;
        m.ctx.store.update(|s| {
            s.apply_event(Some(8), Event::Call(c));
        });
        tick().await;
        let state = m.q(".uc-card-state").text_content().unwrap();
        assert!(state.starts_with(says), "{state}");
        for gone in ["hold", "transfer", "consult"] {
            assert_eq!(m.all(&format!("[data-test={gone}]")).len(), 0, "{gone}");
        }
        m.q("[data-test=hangup]").click();
        tick().await;
        assert!(m.log().contains(&"hangup c8".to_string()), "{:?}", m.log());
    }
}

#[wasm_bindgen_test]
async fn a_blind_transfer_is_previewed_like_dialling_and_refused_input_disables_it() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    // The directory knows 201 (ana herself) and 202.
    m.q("#uc-tab-directory").click();
    tick().await;
    connected_call(&m).await;
    let form = || m.q("[data-test=transfer-form]");
    let go = "[data-test=transfer-form] button[type=submit]";
    let go_disabled = || m.q(go).has_attribute("disabled");
    let hint = || m.q("#uc-transfer-hint").text_content().unwrap();
    let closed = || form().class_name().contains("uc-closed");
    assert!(closed(), "closed until asked for");
    m.q("[data-test=transfer]").click();
    tick().await;
    assert!(!closed());
    assert!(go_disabled(), "nothing typed");
    for (input, says) in [
        ("123", "No colleague has that extension."),
        (
            "201",
            "A call cannot be transferred to you or to the person on it.",
        ),
        ("call me", "Use only digits, spaces and + - . / ( )."),
    ] {
        m.type_into("#uc-transfer-to", input);
        tick().await;
        assert!(go_disabled(), "{input}");
        assert_eq!(hint(), says, "{input}");
        assert_eq!(
            m.q("#uc-transfer-to")
                .get_attribute("aria-invalid")
                .as_deref(),
            Some("true")
        );
    }
    m.type_into("#uc-transfer-to", "202");
    tick().await;
    assert!(!go_disabled());
    // Typing rebuilds nothing: the field keeps the focus.
    m.q("#uc-transfer-to").focus().unwrap();
    m.type_into("#uc-transfer-to", "20");
    tick().await;
    assert_eq!(
        web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element()
            .map(|e| e.id())
            .as_deref(),
        Some("uc-transfer-to")
    );
    m.type_into("#uc-transfer-to", "202");
    tick().await;
    assert_eq!(hint(), "Call Bruno (ext 202)");
    m.type_into("#uc-transfer-to", "912 000 002");
    tick().await;
    assert_eq!(hint(), "Will dial +351 912 000 002");
    m.q(go).click();
    tick().await;
    assert!(
        m.log().contains(&"transfer c7 912 000 002".to_string()),
        "{:?}",
        m.log()
    );
    // The agent's part is over: the card says so for a moment.
    let card = m.q("[data-test=call-card]").text_content().unwrap();
    assert!(card.contains("Transferred"), "{card}");
    assert!(
        m.root
            .query_selector("[data-test=transfer-form]")
            .unwrap()
            .is_none(),
        "the card has no form once the call is over"
    );
}

// --- voicemail (issue 13) ---

fn vm(id: &str, from: &str, at: i64, heard: bool) -> VoicemailMessage {
    VoicemailMessage {
        id: id.into(),
        call_id: format!("call-{id}"),
        from: from.into(),
        created_at: t(at),
        duration_ms: 12_400,
        heard,
    }
}

/// A `voicemail` event as the live stream applies it.
async fn vm_event(m: &Mounted, id: u64, unheard: u32, message: Option<VoicemailMessage>) {
    m.ctx.store.update(|s| {
        s.apply_event(
            Some(id),
            Event::Voicemail(VoicemailEvent {
                unheard,
                message,
                deleted: None,
            }),
        );
    });
    tick().await;
}

/// The badge's count: whether it shows, its number, and the sentence it is read as.
fn mwi(m: &Mounted) -> (bool, String, String) {
    let b = m.q("[data-test=mwi]");
    let text = |sel: &str| m.q(sel).text_content().unwrap_or_default();
    (
        !b.hidden(),
        text("[data-test=mwi] [aria-hidden=true]"),
        text("[data-test=mwi] .uc-sr"),
    )
}

fn vm_rows(m: &Mounted) -> Vec<String> {
    m.all("[data-test=vm-row]")
        .iter()
        .map(|r| r.text_content().unwrap_or_default())
        .collect()
}

fn focused_test_id() -> Option<String> {
    web_sys::window()?
        .document()?
        .active_element()?
        .get_attribute("data-test")
}

#[wasm_bindgen_test]
async fn the_message_waiting_count_rises_on_the_badge_and_the_tab_from_events() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    assert!(
        m.log().contains(&"voicemail".to_string()),
        "loaded on sign-in"
    );
    assert!(!mwi(&m).0, "nothing unheard: no count");
    assert!(m.q("[data-test=vm-tab-count]").hidden());
    m.q("#uc-tab-voicemail").click();
    tick().await;
    assert_eq!(
        m.q("[data-test=vm-empty]").text_content().unwrap(),
        "No voicemail messages. Your voicemail is off: calls you do not answer are missed."
    );
    vm_event(&m, 1, 1, Some(vm("m1", "+351912345678", 10, false))).await;
    assert_eq!(
        mwi(&m),
        (true, "✉ 1".into(), "1 new voicemail message".into())
    );
    let tab = m.q("#uc-tab-voicemail");
    assert_eq!(
        tab.text_content().unwrap(),
        "Voicemail1, 1 new voicemail message"
    );
    vm_event(&m, 2, 2, Some(vm("m2", "202", 20, false))).await;
    assert_eq!(
        mwi(&m),
        (true, "✉ 2".into(), "2 new voicemail messages".into())
    );
    assert_eq!(
        m.q("[data-test=vm-tab-count] [aria-hidden]")
            .text_content()
            .unwrap(),
        "2"
    );
    // Newest first: the colleague by name, the outside caller by the number for reading; the
    // length and "New" in words.
    let rows = vm_rows(&m);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("✉Bruno"), "{rows:?}");
    assert!(rows[1].contains("+351 912 345 678"), "{rows:?}");
    assert!(
        rows[1].contains("0:13") && rows[1].contains("New"),
        "{rows:?}"
    );
    assert_eq!(
        m.all("[data-test=vm-play]")[0]
            .get_attribute("aria-label")
            .as_deref(),
        Some("Play message from Bruno")
    );
    assert_eq!(
        m.all("[data-test=vm-delete]")[1]
            .get_attribute("aria-label")
            .as_deref(),
        Some("Delete message from +351 912 345 678")
    );
    // The count in the header opens the tab, from anywhere.
    m.q("#uc-tab-dial").click();
    tick().await;
    m.q("[data-test=mwi]").click();
    tick().await;
    assert_eq!(m.ctx.tab.get_untracked(), Tab::Voicemail);
    // Heard in another tab: the event brings the new count, the row says Heard.
    vm_event(&m, 3, 1, Some(vm("m2", "202", 20, true))).await;
    assert_eq!(mwi(&m).1, "✉ 1");
    assert!(vm_rows(&m)[0].contains("Heard"), "{:?}", vm_rows(&m));
    vm_event(&m, 4, 0, Some(vm("m1", "+351912345678", 10, true))).await;
    assert!(!mwi(&m).0, "all heard: the count goes");
    assert!(m.q("[data-test=vm-tab-count]").hidden());
}

#[wasm_bindgen_test]
async fn the_voicemail_tab_speaks_portuguese() {
    let m = mount(true, Language::PtPt);
    with_mailbox(&m.fake, |list| {
        list.push(vm("m1", "+351912345678", 10, false));
        list.push(vm("m0", "+351912345678", 5, false));
    });
    m.sign_in().await;
    assert_eq!(
        mwi(&m),
        (true, "✉ 2".into(), "2 mensagens de voz novas".into())
    );
    m.q("#uc-tab-voicemail").click();
    tick().await;
    assert!(
        m.q("#uc-tab-voicemail")
            .text_content()
            .unwrap()
            .starts_with("Correio de voz2"),
        "{}",
        m.q("#uc-tab-voicemail").text_content().unwrap()
    );
    let rows = vm_rows(&m);
    assert!(rows[0].contains("Nova"), "{rows:?}");
    assert_eq!(
        m.all("[data-test=vm-play]")[0]
            .get_attribute("aria-label")
            .as_deref(),
        Some("Ouvir mensagem de +351 912 345 678")
    );
    let pt_br = mount(true, Language::PtBr);
    pt_br.sign_in().await;
    vm_event(&pt_br, 1, 1, Some(vm("m1", "202", 10, false))).await;
    assert_eq!(mwi(&pt_br).2, "1 nova mensagem de voz");
    assert!(
        pt_br
            .q("#uc-tab-voicemail")
            .text_content()
            .unwrap()
            .starts_with("Caixa postal1")
    );
}

/// Whether the browser still serves `url` (a revoked object URL fails to load).
async fn url_loads(url: &str) -> bool {
    let f = js_sys::Function::new_with_args("u", "return fetch(u).then(() => true, () => false)");
    let p: js_sys::Promise = f
        .call1(&JsValue::NULL, &url.into())
        .unwrap()
        .unchecked_into();
    wasm_bindgen_futures::JsFuture::from(p)
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

fn audio_src(m: &Mounted) -> String {
    m.q("[data-test=vm-audio]")
        .get_attribute("src")
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_message_plays_in_the_panel_is_marked_heard_once_and_its_url_is_revoked() {
    let m = mount(true, Language::En);
    with_mailbox(&m.fake, |list| {
        list.push(vm("m2", "202", 20, false));
        list.push(vm("m1", "+351912345678", 10, false));
    });
    m.sign_in().await;
    m.q("#uc-tab-voicemail").click();
    tick().await;
    m.all("[data-test=vm-play]")[1].click();
    tick().await;
    assert!(m.log().contains(&"audio m1".to_string()), "{:?}", m.log());
    let first = audio_src(&m);
    assert!(first.starts_with("blob:"), "an object URL: {first}");
    assert!(url_loads(&first).await);
    let player = m.q("[data-test=vm-player]").text_content().unwrap();
    assert!(player.contains("+351 912 345 678"), "{player}");
    let audio = m.q("[data-test=vm-audio]");
    assert!(audio.has_attribute("controls"));
    // Playing marks it heard (once, however often it plays); the count falls at once.
    audio
        .dispatch_event(&web_sys::Event::new("play").unwrap())
        .unwrap();
    tick().await;
    audio
        .dispatch_event(&web_sys::Event::new("play").unwrap())
        .unwrap();
    tick().await;
    let heard: Vec<_> = m.log().into_iter().filter(|l| l == "heard m1").collect();
    assert_eq!(heard.len(), 1, "{:?}", m.log());
    assert_eq!(mwi(&m).1, "✉ 1");
    assert_eq!(
        m.all("[data-test=vm-row]")[1]
            .get_attribute("data-heard")
            .as_deref(),
        Some("true")
    );
    // Another message replaces it: the first URL is revoked.
    m.all("[data-test=vm-play]")[0].click();
    tick().await;
    let second = audio_src(&m);
    assert_ne!(first, second);
    assert!(!url_loads(&first).await, "the replaced URL is revoked");
    // Leaving the tab revokes the one playing.
    m.q("#uc-tab-history").click();
    tick().await;
    assert!(!url_loads(&second).await, "the URL goes with the tab");
}

#[wasm_bindgen_test]
async fn a_message_is_deleted_from_the_keyboard_and_the_focus_moves_on() {
    let m = mount(true, Language::En);
    with_mailbox(&m.fake, |list| {
        list.push(vm("m2", "202", 20, false));
        list.push(vm("m1", "+351912345678", 10, true));
    });
    m.sign_in().await;
    assert_eq!(mwi(&m).1, "✉ 1");
    m.q("#uc-tab-voicemail").click();
    tick().await;
    let delete = m.all("[data-test=vm-delete]")[0].clone();
    assert_eq!(
        delete.tag_name(),
        "BUTTON",
        "a real button: Enter and Space press it"
    );
    delete.focus().unwrap();
    delete.click();
    tick().await;
    assert!(m.log().contains(&"delete m2".to_string()));
    assert_eq!(vm_rows(&m).len(), 1);
    assert!(!mwi(&m).0, "the unheard one went: no count");
    assert_eq!(
        m.q("[data-test=announcer]").text_content().unwrap(),
        "Message deleted."
    );
    assert_eq!(focused_test_id().as_deref(), Some("vm-play"));
    // Deleted elsewhere while shown: the event takes the row away too.
    m.ctx.store.update(|s| {
        s.apply_event(
            Some(9),
            Event::Voicemail(VoicemailEvent {
                unheard: 0,
                message: None,
                deleted: Some("m1".into()),
            }),
        );
    });
    tick().await;
    assert!(vm_rows(&m).is_empty());
    assert!(m.q("[data-test=vm-empty]").text_content().is_some());
}

#[wasm_bindgen_test]
async fn a_message_that_is_gone_or_a_network_failure_is_a_sentence() {
    let m = mount(true, Language::PtPt);
    with_mailbox(&m.fake, |list| {
        list.push(vm("gone", "+351912345678", 20, false));
        list.push(vm("offline", "+351912345678", 10, false));
    });
    m.sign_in().await;
    m.q("#uc-tab-voicemail").click();
    tick().await;
    m.all("[data-test=vm-play]")[1].click();
    tick().await;
    assert_eq!(banner(&m).0, "Não é possível contactar o servidor.");
    assert_eq!(vm_rows(&m).len(), 2, "kept: it may play later");
    m.all("[data-test=vm-play]")[0].click();
    tick().await;
    assert_eq!(
        banner(&m).0,
        "Essa mensagem já não está na sua caixa de correio de voz."
    );
    assert_eq!(vm_rows(&m).len(), 1, "a message that is gone goes");
    assert_eq!(mwi(&m).1, "✉ 1");
}

/// The real client fetches a message's audio with the token in the Authorization header, never in
/// the URL, and hands back a WAV Blob.
#[wasm_bindgen_test]
async fn the_audio_is_fetched_with_the_bearer_header_and_no_token_in_the_url() {
    let global = js_sys::global();
    let original = js_sys::Reflect::get(&global, &"fetch".into()).unwrap();
    let stub = js_sys::Function::new_with_args(
        "request",
        "globalThis.ucSeen = {url: request.url, auth: request.headers.get('Authorization')};
         const wav = new Uint8Array([82, 73, 70, 70, 0, 0, 0, 0, 87, 65, 86, 69]);
         return Promise.resolve(new Response(wav, {status: 200, headers: {'Content-Type': 'audio/wav'}}));",
    );
    js_sys::Reflect::set(&global, &"fetch".into(), &stub).unwrap();
    let backend = crate::api::HttpBackend::new("https://uc.example");
    backend.set_token(Some("secret-token-123".into()));
    let blob = backend.voicemail_audio("m/1".into()).await;
    js_sys::Reflect::set(&global, &"fetch".into(), &original).unwrap();
    let blob = blob.unwrap();
    assert_eq!(blob.type_(), "audio/wav");
    assert_eq!(blob.size(), 12.0);
    let seen = js_sys::Reflect::get(&global, &"ucSeen".into()).unwrap();
    let url = js_sys::Reflect::get(&seen, &"url".into())
        .unwrap()
        .as_string()
        .unwrap();
    let auth = js_sys::Reflect::get(&seen, &"auth".into())
        .unwrap()
        .as_string();
    assert_eq!(url, "https://uc.example/api/v1/voicemail/m%2F1/audio");
    assert!(!url.contains("secret-token-123"));
    assert_eq!(auth.as_deref(), Some("Bearer secret-token-123"));
}

// ---- After-call work (issue 13: wrap-up notes and dispositions) ----

/// The widget as mounted in Salesforce (the plain-page bridge standing in for Open CTI).
fn mount_crm(lang: Language) -> Mounted {
    mount_in(
        Fake {
            licensed: true,
            log: RefCell::new(vec![]),
            live_fails: false,
            licence_gone: false,
            tickets: Cell::new(0),
            stream: None,
            grant_claims: true,
        },
        lang,
        HostKind::Salesforce,
    )
}

/// Gives the signed-in agent's customer a wrap-up time limit of `seconds` and the default list.
fn with_wrap_up(m: &Mounted, seconds: u32) {
    m.ctx.store.update(|s| {
        s.me.as_mut().unwrap().wrap_up = Some(WrapUpSettings {
            seconds,
            ..WrapUpSettings::default()
        })
    });
}

/// A talked call with a customer, as the backend sends it while connected and once it ended
/// `ago_ms` milliseconds before now (on the browser's clock, as the backend's would be).
fn talked(id: &str, ago_ms: i64) -> (Call, Call) {
    let now = js_sys::Date::now() as i64;
    let mut live = call(id, "+351912345678", CallState::Connected);
    live.started_at = Timestamp::from_millis(now - ago_ms - 60_000).unwrap();
    live.answered_at = Some(Timestamp::from_millis(now - ago_ms - 50_000).unwrap());
    let mut over = live.clone();
    over.state = CallState::Ended;
    over.ended_at = Some(Timestamp::from_millis(now - ago_ms).unwrap());
    (live, over)
}

/// The call goes live and ends on this page, as its events bring it.
async fn talk_and_end(m: &Mounted, id: &str, ago_ms: i64) {
    let (live, over) = talked(id, ago_ms);
    m.ctx.store.update(|s| {
        s.apply_event(None, Event::Call(live));
        s.apply_event(None, Event::Call(over));
    });
    tick().await;
}

/// Sets a form field's value as typing or choosing does, with its event (`input`, `change`).
fn set_field(m: &Mounted, sel: &str, value: &str, event: &str) {
    let el = m.q(sel);
    js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
    el.dispatch_event(&web_sys::Event::new(event).unwrap())
        .unwrap();
}

fn field_value(m: &Mounted, sel: &str) -> String {
    js_sys::Reflect::get(&m.q(sel), &"value".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn wrap_ups(m: &Mounted) -> usize {
    m.all("[data-test=wrap-up]").len()
}

#[wasm_bindgen_test]
async fn a_call_that_ends_gets_a_wrap_up_that_saves_the_right_body() {
    let m = mount_crm(Language::En);
    m.sign_in().await;
    with_wrap_up(&m, 120);
    let (live, _) = talked("w1", 0);
    m.ctx.store.update(|s| {
        s.apply_event(None, Event::Call(live));
    });
    tick().await;
    assert_eq!(wrap_ups(&m), 0, "not while talking");
    talk_and_end(&m, "w1", 0).await;
    assert_eq!(wrap_ups(&m), 1);
    let card = m.q("[data-test=call-card]");
    assert_eq!(card.get_attribute("aria-label").as_deref(), Some("Wrap-up"));
    assert_eq!(card.get_attribute("data-state").as_deref(), Some("ended"));
    let options: Vec<String> = m
        .all("[data-test=wrap-up-outcome] option")
        .iter()
        .map(|o| o.text_content().unwrap())
        .collect();
    assert_eq!(
        options,
        [
            "No outcome",
            "Connected",
            "Left voicemail",
            "No answer",
            "Wrong number",
            "Follow-up"
        ]
    );
    // Every control has its label, and the notes are bounded as the server bounds them.
    let notes = m.q("[data-test=wrap-up-notes]");
    assert_eq!(notes.get_attribute("maxlength").as_deref(), Some("2000"));
    assert!(
        m.root
            .query_selector(&format!("label[for='{}']", notes.id()))
            .unwrap()
            .is_some()
    );
    let left = m.q("[data-test=wrap-up-left]").text_content().unwrap();
    assert!(
        left.starts_with("Closes and saves in 2:0") || left.starts_with("Closes and saves in 1:5"),
        "{left}"
    );
    // The summary's 4 s pass: the wrap-up stays (it replaces the summary for logged calls).
    sleep(crate::state::SUMMARY_MS as i32 + 300).await;
    assert_eq!(wrap_ups(&m), 1);

    set_field(
        &m,
        "[data-test=wrap-up-notes]",
        "Wants a quote\nCall back Friday",
        "input",
    );
    set_field(&m, "[data-test=wrap-up-outcome]", "follow_up", "change");
    m.q("[data-test=wrap-up-save]").click();
    tick().await;
    assert!(
        m.log().contains(
            &r#"wrapup w1 {"notes":"Wants a quote\nCall back Friday","disposition":"follow_up"}"#
                .to_string()
        ),
        "{:?}",
        m.log()
    );
    assert_eq!(wrap_ups(&m), 0, "saved: the card closes");
    assert_eq!(
        crate::components::wrapup::load_draft("ana", "w1"),
        None,
        "the draft is gone"
    );
    assert_eq!(
        m.ctx.ui.with_untracked(|u| u.announcement.clone()),
        "Wrap-up saved."
    );
}

#[wasm_bindgen_test]
async fn a_wrap_up_draft_survives_a_remount_of_the_panel() {
    let first = mount_crm(Language::En);
    first.sign_in().await;
    with_wrap_up(&first, 120);
    talk_and_end(&first, "w2", 0).await;
    set_field(&first, "[data-test=wrap-up-notes]", "Half typed", "input");
    set_field(&first, "[data-test=wrap-up-outcome]", "no_answer", "change");
    first.root.remove();

    // The panel again (a reload): the call comes back from the history, and so does the draft.
    let again = mount_crm(Language::En);
    again.sign_in().await;
    with_wrap_up(&again, 120);
    let (_, over) = talked("w2", 1_000);
    again.ctx.store.update(|s| {
        s.set_history(vec![over]);
    });
    tick().await;
    assert_eq!(wrap_ups(&again), 1);
    assert_eq!(
        field_value(&again, "[data-test=wrap-up-notes]"),
        "Half typed"
    );
    assert_eq!(
        field_value(&again, "[data-test=wrap-up-outcome]"),
        "no_answer"
    );
    // Another tab saved it: its call event closes this card too.
    let (_, mut saved) = talked("w2", 1_000);
    saved.wrap_up = Some(WrapUp {
        notes: "Half typed".into(),
        disposition: Some("no_answer".into()),
    });
    again.ctx.store.update(|s| {
        s.apply_event(None, Event::Call(saved));
    });
    tick().await;
    assert_eq!(wrap_ups(&again), 0);
}

#[wasm_bindgen_test]
async fn the_time_limit_closes_the_wrap_up_and_saves_what_was_typed() {
    let m = mount_crm(Language::En);
    m.sign_in().await;
    with_wrap_up(&m, 10);
    // Ended 8.5 s ago: 1.5 s left. A second call ended as long ago, nothing typed for it.
    talk_and_end(&m, "w3", 8_500).await;
    talk_and_end(&m, "w4", 8_500).await;
    assert_eq!(wrap_ups(&m), 2);
    set_field(&m, "#uc-wrapup-notes-w3", "Typed before the limit", "input");
    sleep(3_000).await;
    assert_eq!(wrap_ups(&m), 0, "both closed at the limit");
    let saved: Vec<String> = m
        .log()
        .into_iter()
        .filter(|l| l.starts_with("wrapup"))
        .collect();
    assert_eq!(
        saved,
        [r#"wrapup w3 {"notes":"Typed before the limit"}"#],
        "what was typed is saved, once; an empty wrap-up is not"
    );
}

#[wasm_bindgen_test]
async fn a_refused_wrap_up_is_shown_translated_and_kept_as_typed() {
    let m = mount_crm(Language::PtPt);
    m.sign_in().await;
    with_wrap_up(&m, 120);
    talk_and_end(&m, "w5", 0).await;
    let card = m.q("[data-test=call-card]").text_content().unwrap();
    assert!(
        card.contains("Notas da chamada") && card.contains("Resultado"),
        "{card}"
    );
    assert!(
        card.contains("Guardar") && card.contains("Seguimento"),
        "{card}"
    );
    set_field(&m, "[data-test=wrap-up-notes]", "TOO LONG", "input");
    m.q("[data-test=wrap-up-save]").click();
    tick().await;
    let (sentence, _) = banner(&m);
    assert_eq!(
        sentence,
        "As notas são demasiado longas (no máximo 2000 caracteres)."
    );
    assert_eq!(wrap_ups(&m), 1, "the card stays");
    assert_eq!(
        crate::components::wrapup::load_draft("ana", "w5").map(|d| d.notes),
        Some("TOO LONG".into()),
        "nothing typed is lost"
    );
}

#[wasm_bindgen_test]
async fn a_backend_without_after_call_work_or_a_plain_page_keeps_the_summary_only() {
    let m = mount_crm(Language::En);
    m.sign_in().await;
    talk_and_end(&m, "w6", 0).await;
    assert_eq!(wrap_ups(&m), 0);
    assert_eq!(m.all("[data-test=call-card]").len(), 1, "the summary");
    // A plain page logs no call on a CRM: nothing to wrap up there.
    let plain = mount(true, Language::En);
    plain.sign_in().await;
    with_wrap_up(&plain, 120);
    talk_and_end(&plain, "w7", 0).await;
    assert_eq!(wrap_ups(&plain), 0);
    assert_eq!(plain.all("[data-test=call-card]").len(), 1, "the summary");
}

// --- Issue 13, transfer: warm transfer, the transfer target, missed calls ---

/// Applies a live `call` event with this id.
async fn call_event(m: &Mounted, id: u64, c: Call) {
    m.ctx.store.update(|s| {
        s.apply_event(Some(id), Event::Call(c));
    });
    tick().await;
}

#[wasm_bindgen_test]
async fn a_warm_transfer_consults_on_a_second_leg_then_completes() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    connected_call(&m).await;
    let form = || m.q("[data-test=transfer-form]");
    let closed = || form().class_name().contains("uc-closed");
    m.q("[data-test=consult]").click();
    tick().await;
    assert!(!closed());
    assert_eq!(
        m.q("[data-test=consult]")
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        m.q("[data-test=transfer]")
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        m.q("label[for=uc-transfer-to]").text_content().unwrap(),
        "Consult first with"
    );
    assert_eq!(
        m.q("[data-test=transfer-go]").text_content().unwrap(),
        "Consult"
    );
    // The same preview and refusals as a transfer: the directory names the colleague.
    m.type_into("#uc-transfer-to", "201");
    tick().await;
    assert!(m.q("[data-test=transfer-go]").has_attribute("disabled"));
    m.type_into("#uc-transfer-to", "202");
    tick().await;
    assert_eq!(
        m.q("#uc-transfer-hint").text_content().unwrap(),
        "Call Bruno (ext 202)"
    );
    m.q("[data-test=transfer-go]").click();
    tick().await;
    assert!(
        m.log().contains(&"consult c7 202".to_string()),
        "{:?}",
        m.log()
    );
    // The backend held the first call: both legs have a card, one call at a time allows it.
    let mut held = call("c7", "+351912345678", CallState::Connected);
    held.answered_at = Some(t(12));
    held.held = true;
    call_event(&m, 8, held.clone()).await;
    let cards = m.all("[data-test=call-card]");
    assert_eq!(cards.len(), 2, "{}", m.text());
    assert_eq!(
        cards[1].get_attribute("aria-label").as_deref(),
        Some("Consultation")
    );
    assert!(cards[1].text_content().unwrap().contains("Bruno"));
    let consulting = m.q("[data-test=consulting]").text_content().unwrap();
    assert_eq!(
        consulting,
        format!(
            "Consulting Bruno · {}",
            tr_state(Language::En, CallState::Dialing)
        )
    );
    assert!(
        cards[0].text_content().unwrap().contains("On hold"),
        "{}",
        cards[0].text_content().unwrap()
    );
    let complete = || m.q("[data-test=complete-transfer]");
    assert!(complete().has_attribute("disabled"), "until Bruno answers");
    assert!(
        m.root
            .query_selector("[data-test=consult]")
            .unwrap()
            .is_none()
    );
    // Bruno answers the consultation.
    let mut leg = call("c8", "202", CallState::Connected);
    leg.answered_at = Some(t(20));
    leg.consult_of = Some("c7".into());
    leg.internal = true;
    call_event(&m, 9, leg).await;
    assert!(!complete().has_attribute("disabled"));
    assert_eq!(
        m.q("[data-test=consulting]").text_content().unwrap(),
        "Consulting Bruno · Connected"
    );
    // The consultation leg itself offers no transfer of its own.
    assert_eq!(m.all("[data-test=hold]").len(), 0);
    complete().click();
    tick().await;
    assert!(
        m.log().contains(&"consult/complete c7".to_string()),
        "{:?}",
        m.log()
    );
    // The consultation leg ends with it (its event).
    let mut leg = call("c8", "202", CallState::Ended);
    leg.answered_at = Some(t(20));
    leg.ended_at = Some(t(50));
    leg.consult_of = Some("c7".into());
    leg.outcome = Some(CallOutcome::Transferred);
    leg.transferred_to = Some("202".into());
    call_event(&m, 10, leg).await;
    let cards = m.all("[data-test=call-card]");
    assert_eq!(cards.len(), 2, "two summaries for a moment");
    for card in cards {
        let text = card.text_content().unwrap();
        assert!(text.contains("Transferred to Bruno"), "{text}");
    }
    // And the history says where it went.
    m.ctx.choose_tab(Tab::History);
    tick().await;
    assert!(m.text().contains("Transferred to Bruno"), "{}", m.text());
}

#[wasm_bindgen_test]
async fn a_consultation_is_cancelled_and_worded_in_portuguese() {
    let m = mount(true, Language::PtPt);
    m.sign_in().await;
    let mut held = call("c7", "+351912345678", CallState::Connected);
    held.answered_at = Some(t(12));
    held.held = true;
    call_event(&m, 7, held).await;
    let mut leg = call("c8", "+351912000003", CallState::Ringing);
    leg.consult_of = Some("c7".into());
    call_event(&m, 8, leg).await;
    assert_eq!(
        m.q("[data-test=consulting]").text_content().unwrap(),
        format!(
            "Em consulta com +351 912 000 003 · {}",
            tr_state(Language::PtPt, CallState::Ringing)
        )
    );
    assert_eq!(
        m.q("[data-test=complete-transfer]").text_content().unwrap(),
        "Concluir transferência"
    );
    let cancel = m.q("[data-test=cancel-consult]");
    assert_eq!(cancel.text_content().unwrap(), "Cancelar consulta");
    cancel.click();
    tick().await;
    assert!(
        m.log().contains(&"consult/cancel c7".to_string()),
        "{:?}",
        m.log()
    );
}

fn tr_state(lang: Language, state: CallState) -> &'static str {
    crate::i18n::tr(lang, crate::i18n::call_state_text(state))
}

#[wasm_bindgen_test]
async fn missed_calls_are_counted_on_the_history_tab_until_seen_and_called_back() {
    let m = mount(true, Language::En);
    m.sign_in().await;
    assert!(m.log().contains(&"missed".to_string()), "loaded at sign-in");
    let count = || {
        m.root
            .query_selector("[data-test=missed-count]")
            .unwrap()
            .map(|e| e.text_content().unwrap())
    };
    assert_eq!(count(), None, "nothing missed");
    let mut missed = call("m1", "201", CallState::Failed);
    missed.direction = CallDirection::Inbound;
    missed.from = "+351912345678".into();
    missed.ended_at = Some(t(40));
    missed.outcome = Some(CallOutcome::Missed);
    call_event(&m, 20, missed).await;
    m.ctx.store.update(|s| {
        s.apply_event(Some(21), Event::Missed(MissedCalls { count: 2 }));
    });
    tick().await;
    assert_eq!(count().as_deref(), Some("2 missed calls not seen"));
    assert_eq!(
        m.q("#uc-tab-history").text_content().unwrap(),
        "History 2 missed calls not seen"
    );
    assert!(!m.log().contains(&"missed seen".to_string()));
    // Opening History is seeing them: the backend is told, the count goes.
    m.q("#uc-tab-history").click();
    tick().await;
    assert!(
        m.log().contains(&"missed seen".to_string()),
        "{:?}",
        m.log()
    );
    assert_eq!(count(), None);
    let row = m.q("[data-test=history-row].uc-missed");
    assert!(row.text_content().unwrap().contains("Missed"));
    let back = m.q("[data-test=call-back]");
    assert_eq!(back.text_content().unwrap(), "Call back");
    assert_eq!(
        back.get_attribute("aria-label").as_deref(),
        Some("Call back +351 912 345 678")
    );
    // A count that arrives while History is open is seen at once.
    m.ctx.store.update(|s| {
        s.apply_event(Some(22), Event::Missed(MissedCalls { count: 1 }));
    });
    m.ctx.on_event("missed", Default::default());
    tick().await;
    assert_eq!(count(), None);
    assert_eq!(
        m.log().iter().filter(|l| *l == "missed seen").count(),
        2,
        "{:?}",
        m.log()
    );
    back.click();
    tick().await;
    assert!(
        m.log().contains(&"call +351912345678".to_string()),
        "{:?}",
        m.log()
    );
}

#[wasm_bindgen_test]
async fn a_hunt_group_is_dialled_and_consulted_by_its_extension_and_named() {
    let m = mount(true, Language::PtBr);
    m.sign_in().await;
    m.ctx.tab.set(Tab::Dial);
    tick().await;
    m.type_into("#uc-number", "600");
    tick().await;
    assert_eq!(
        m.q("#uc-number-hint").text_content().unwrap(),
        "Ligar para Sales (ramal 600)"
    );
    connected_call(&m).await;
    m.q("[data-test=consult]").click();
    tick().await;
    m.type_into("#uc-transfer-to", "600");
    tick().await;
    assert_eq!(
        m.q("#uc-transfer-hint").text_content().unwrap(),
        "Ligar para Sales (ramal 600)"
    );
    m.q("[data-test=transfer-go]").click();
    tick().await;
    assert!(
        m.log().contains(&"consult c7 600".to_string()),
        "{:?}",
        m.log()
    );
    // A transfer to the group is named by it.
    let mut done = call("c7", "+351912345678", CallState::Ended);
    done.answered_at = Some(t(12));
    done.ended_at = Some(t(50));
    done.outcome = Some(CallOutcome::Transferred);
    done.transferred_to = Some("600".into());
    call_event(&m, 30, done).await;
    assert!(m.text().contains("Transferida para Sales"), "{}", m.text());
}

#[wasm_bindgen_test]
async fn the_live_stream_carries_the_missed_count() {
    // Through the browser's EventSource, as the backend sends it: the stream must listen for it.
    let m = mount_fake(
        Fake {
            licensed: true,
            log: RefCell::new(vec![]),
            live_fails: false,
            licence_gone: false,
            tickets: Cell::new(0),
            stream: Some("event: missed\nid: 5\ndata: {\"count\":3}\n\n"),
            grant_claims: true,
        },
        Language::PtPt,
    );
    m.sign_in().await;
    let mut shown = None;
    for _ in 0..50 {
        tick().await;
        shown = m
            .root
            .query_selector("[data-test=missed-count]")
            .unwrap()
            .map(|e| e.text_content().unwrap());
        if shown.is_some() {
            break;
        }
    }
    assert_eq!(shown.as_deref(), Some("3 chamadas perdidas por ver"));
}

// --- sso: single sign-on (issue 15) ---

/// The single sign-on callback page's `postMessage` signs the widget in only when it comes from
/// the backend's origin (here the page's own: `api_base` ""); an error shows its sentence; a message
/// from any other origin is ignored.
#[wasm_bindgen_test]
async fn sso_messages_from_the_backend_origin_sign_in_and_others_are_ignored() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&root).unwrap();
    let fake = Rc::new(Fake {
        licensed: true,
        log: RefCell::new(vec![]),
        live_fails: false,
        licence_gone: false,
        tickets: Cell::new(0),
        stream: None,
        grant_claims: true,
    });
    let slot: Rc<Cell<Option<Ctx>>> = Rc::new(Cell::new(None));
    let (s, f) = (slot.clone(), fake.clone());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let ctx = Ctx::new(
            f,
            Rc::new(StandaloneHost::new(HostKind::Standalone)),
            "",
            Language::En,
        );
        s.set(Some(ctx));
        leptos::view! { <App ctx=ctx /> }
    });
    let m = Mounted {
        root,
        ctx: slot.get().unwrap(),
        fake,
    };
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    let post = |from: &str, data: &str| {
        js_sys::eval(&format!(
            "window.dispatchEvent(new MessageEvent('message', {{origin: {from:?}, data: {data}}}))"
        ))
        .unwrap();
    };
    tick().await;
    post("https://evil.example", "{login: {token: 'stolen'}}");
    tick().await;
    assert!(
        m.root
            .query_selector("[data-test=sign-in]")
            .unwrap()
            .is_some()
    );
    assert!(m.log().is_empty(), "{:?}", m.log());

    post(
        &origin,
        "{error: 'sso_unknown_user', message: 'you signed in as zoe@acme.example'}",
    );
    tick().await;
    assert!(
        m.text()
            .contains("Your company account has no UcClient user: ask your administrator."),
        "{}",
        m.text()
    );

    // What the callback page posts: `SsoMessage` with the whole `POST /login` answer.
    post(
        &origin,
        "{login: {token: 'sso-token', expires_at: '2026-12-08T05:00:00Z', \
         user: {id: 'u-zoe', name: 'Zoe Agent', email: 'zoe@acme.example', extension: '201'}}}",
    );
    tick().await;
    assert!(
        m.q("[data-test=badge]")
            .text_content()
            .unwrap()
            .contains("Available"),
        "{}",
        m.text()
    );
    m.q(".uc-signout").click();
    tick().await;
    drop(handle);
}

/// The softphone's controls and sentences (issue 17), with the page's `getUserMedia` replaced: the
/// media itself is the end-to-end test's (`tests/tests/softphone.rs`, a real backend).
#[cfg(feature = "softphone")]
mod softphone {
    use super::*;
    use crate::softphone::{S, remember_key, ts};

    /// While alive, `navigator.mediaDevices.getUserMedia` answers with `script` (a function body
    /// returning a promise); the original comes back when dropped.
    struct FakeMicrophone {
        original: JsValue,
    }

    /// A microphone with a real audio track (WebAudio's oscillator), so that an offer carries audio.
    const TONE_MICROPHONE: &str = "const c = new AudioContext(); \
        const d = c.createMediaStreamDestination(); \
        c.createOscillator().connect(d); return Promise.resolve(d.stream);";

    impl FakeMicrophone {
        fn install(script: &str) -> FakeMicrophone {
            let devices = web_sys::window()
                .unwrap()
                .navigator()
                .media_devices()
                .unwrap();
            let original = js_sys::Reflect::get(&devices, &"getUserMedia".into()).unwrap();
            let fake = js_sys::Function::new_no_args(script);
            js_sys::Reflect::set(&devices, &"getUserMedia".into(), &fake).unwrap();
            FakeMicrophone { original }
        }
    }

    impl Drop for FakeMicrophone {
        fn drop(&mut self) {
            let devices = web_sys::window()
                .unwrap()
                .navigator()
                .media_devices()
                .unwrap();
            js_sys::Reflect::set(&devices, &"getUserMedia".into(), &self.original).unwrap();
            // No other test's sign-in makes its panel the phone.
            let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
            storage.remove_item(&remember_key("ana")).unwrap();
        }
    }

    fn status(m: &Mounted) -> String {
        m.q("[data-test=softphone-status]").text_content().unwrap()
    }

    /// "Use this panel as my phone".
    fn toggle(m: &Mounted) -> web_sys::HtmlInputElement {
        m.q("[data-test=softphone-toggle]").unchecked_into()
    }

    /// Opens the Presence tab's softphone section (its controls load then).
    async fn open(m: &Mounted) {
        m.q("[data-test=softphone-open]").click();
        tick().await;
        assert_eq!(
            m.q("[data-test=softphone-open]")
                .get_attribute("aria-expanded")
                .as_deref(),
            Some("true")
        );
    }

    /// Waits (at most 3 s) until the softphone's status says `text`.
    async fn status_becomes(m: &Mounted, text: &str) {
        for _ in 0..60 {
            if status(m) == text {
                return;
            }
            sleep(50).await;
        }
        assert_eq!(status(m), text);
    }

    #[wasm_bindgen_test]
    async fn a_refused_microphone_is_said_and_nothing_registers() {
        let _mic = FakeMicrophone::install(
            "return Promise.reject(new DOMException('denied', 'NotAllowedError'));",
        );
        let m = mount(true, Language::PtPt);
        m.sign_in().await;
        open(&m).await;
        toggle(&m).click();
        status_becomes(&m, ts(Language::PtPt, S::MicRefused)).await;
        assert!(!toggle(&m).checked(), "not the phone");
        assert!(
            !m.log().iter().any(|l| l.starts_with("softphone")),
            "{:?}",
            m.log()
        );
    }

    #[wasm_bindgen_test]
    async fn no_microphone_is_said_in_brazilian_portuguese() {
        let _mic = FakeMicrophone::install(
            "return Promise.reject(new DOMException('none', 'NotFoundError'));",
        );
        let m = mount(true, Language::PtBr);
        m.sign_in().await;
        open(&m).await;
        toggle(&m).click();
        status_becomes(&m, ts(Language::PtBr, S::NoAudioDevice)).await;
    }

    #[wasm_bindgen_test]
    async fn the_panel_registers_rings_and_stops_when_replaced() {
        let _mic = FakeMicrophone::install("return Promise.resolve(new MediaStream());");
        let m = mount(true, Language::En);
        m.sign_in().await;
        open(&m).await;
        toggle(&m).click();
        status_becomes(&m, ts(Language::En, S::IsPhone)).await;
        assert!(toggle(&m).checked());
        assert!(
            m.log().contains(&"softphone_register".to_owned()),
            "{:?}",
            m.log()
        );
        let remembered = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        assert_eq!(
            remembered
                .get_item(&remember_key("ana"))
                .unwrap()
                .as_deref(),
            Some("1"),
            "remembered for the next load"
        );
        // Calls placed now go from the softphone.
        assert_eq!(
            crate::softphone::outgoing_device(m.ctx).as_deref(),
            Some("ana-soft")
        );
        // A ringing call the PBX does not send to the softphone (the profile rings the desk
        // phone only) does not ring here, and Answer takes it on the desk phone, without media.
        let mut c = call("in-0", "201", CallState::Ringing);
        c.direction = CallDirection::Inbound;
        c.from = "+351210000009".into();
        c.rings_on = vec!["ana-desk".into()];
        m.ctx.store.update(|s| {
            s.apply_event(Some(1), Event::Call(c.clone()));
        });
        tick().await;
        assert!(m.q(".uc-incoming").get_attribute("data-state").as_deref() == Some("ringing"));
        assert!(
            m.root
                .query_selector("[data-test=softphone-line]")
                .unwrap()
                .is_none(),
            "not ringing here"
        );
        m.q(".uc-incoming [data-test=answer]").click();
        sleep(50).await;
        assert!(m.log().contains(&"answer in-0".to_owned()), "{:?}", m.log());
        assert!(
            !m.log().iter().any(|l| l.starts_with("media_offer")),
            "{:?}",
            m.log()
        );
        c.state = CallState::Ended;
        m.ctx.store.update(|s| {
            s.apply_event(Some(2), Event::Call(c));
        });
        // One that lists the softphone rings in the panel.
        let mut c = call("in-1", "201", CallState::Ringing);
        c.direction = CallDirection::Inbound;
        c.from = "+351210000001".into();
        c.rings_on = vec!["ana-desk".into(), "ana-soft".into()];
        m.ctx.store.update(|s| {
            s.apply_event(Some(3), Event::Call(c));
        });
        tick().await;
        assert_eq!(
            m.q(".uc-incoming [data-test=softphone-line]")
                .text_content()
                .unwrap(),
            ts(Language::En, S::RingsHere)
        );
        // An event about another registration changes nothing; about this one, it stops.
        crate::softphone::on_event(m.ctx, r#"{"registration":"reg-0","state":"replaced"}"#);
        tick().await;
        assert_eq!(status(&m), ts(Language::En, S::IsPhone));
        crate::softphone::on_event(m.ctx, r#"{"registration":"reg-1","state":"replaced"}"#);
        tick().await;
        assert_eq!(status(&m), ts(Language::En, S::Replaced));
        assert!(!toggle(&m).checked(), "no longer the phone");
        assert!(
            m.root
                .query_selector("[data-test=softphone-line]")
                .unwrap()
                .is_none()
        );
        assert_eq!(crate::softphone::outgoing_device(m.ctx), None);
    }

    /// A signed-in English panel made the phone, with [`TONE_MICROPHONE`] (kept while alive).
    async fn phone_with_a_tone() -> (FakeMicrophone, Mounted) {
        let mic = FakeMicrophone::install(TONE_MICROPHONE);
        let m = mount(true, Language::En);
        m.sign_in().await;
        open(&m).await;
        toggle(&m).click();
        status_becomes(&m, ts(Language::En, S::IsPhone)).await;
        (mic, m)
    }

    #[wasm_bindgen_test]
    async fn media_not_connected_in_10_s_leaves_the_call_unanswered_here() {
        let (_mic, m) = phone_with_a_tone().await;
        let mut c = call("in-2", "201", CallState::Ringing);
        c.direction = CallDirection::Inbound;
        c.from = "+351210000002".into();
        c.rings_on = vec!["ana-soft".into()];
        m.ctx.store.update(|s| {
            s.apply_event(Some(1), Event::Call(c));
        });
        tick().await;
        m.q(".uc-incoming [data-test=answer]").click();
        sleep(500).await;
        assert_eq!(
            m.q(".uc-incoming [data-test=softphone-line]")
                .text_content()
                .unwrap(),
            ts(Language::En, S::ConnectingAudio)
        );
        for _ in 0..70 {
            if status(&m) == ts(Language::En, S::MediaTimeout) {
                break;
            }
            sleep(200).await;
        }
        assert_eq!(status(&m), ts(Language::En, S::MediaTimeout));
        assert!(
            m.log().contains(&"media_offer in-2".to_owned()),
            "{:?}",
            m.log()
        );
        assert!(
            !m.log().iter().any(|l| l.contains("/answer")),
            "not answered on the softphone: {:?}",
            m.log()
        );
        // Still ringing (the other devices too), and ringing here again.
        assert_eq!(
            m.q(".uc-incoming").get_attribute("data-state").as_deref(),
            Some("ringing")
        );
        assert_eq!(
            m.q(".uc-incoming [data-test=softphone-line]")
                .text_content()
                .unwrap(),
            ts(Language::En, S::RingsHere)
        );
        // No other test's panel is the phone.
        toggle(&m).click();
        sleep(50).await;
    }

    #[wasm_bindgen_test]
    async fn an_outgoing_call_whose_media_does_not_connect_in_10_s_is_hung_up() {
        let (_mic, m) = phone_with_a_tone().await;
        m.q("#uc-tab-dial").click();
        tick().await;
        m.type_into("#uc-number", "912 345 678");
        tick().await;
        m.q("form[data-test=dialer] button[type=submit]").click();
        sleep(500).await;
        // Placed from the softphone, with its media offered at once.
        let log = m.log();
        assert!(log.contains(&"call from ana-soft".to_owned()), "{log:?}");
        assert!(log.contains(&"media_offer c1".to_owned()), "{log:?}");
        assert!(!log.contains(&"hangup c1".to_owned()), "{log:?}");
        // No audio within 10 s: the call is hung up (it would have none) and the panel says so.
        for _ in 0..70 {
            if m.log().contains(&"hangup c1".to_owned()) {
                break;
            }
            sleep(200).await;
        }
        assert!(m.log().contains(&"hangup c1".to_owned()), "{:?}", m.log());
        m.q("#uc-tab-presence").click();
        tick().await;
        status_becomes(&m, ts(Language::En, S::MediaTimeoutOut)).await;
        // No other test's panel is the phone.
        toggle(&m).click();
        sleep(50).await;
    }

    #[wasm_bindgen_test]
    async fn turning_it_off_ends_the_registration_and_forgets_the_choice() {
        let _mic = FakeMicrophone::install("return Promise.resolve(new MediaStream());");
        let m = mount(true, Language::En);
        m.sign_in().await;
        open(&m).await;
        toggle(&m).click();
        status_becomes(&m, ts(Language::En, S::IsPhone)).await;
        assert!(toggle(&m).checked());
        toggle(&m).click();
        sleep(50).await;
        assert!(!toggle(&m).checked());
        assert!(
            m.log().contains(&"softphone_end reg-1 false".to_owned()),
            "{:?}",
            m.log()
        );
        let remembered = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        assert_eq!(remembered.get_item(&remember_key("ana")).unwrap(), None);
    }
}
