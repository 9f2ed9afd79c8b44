//! The backend client: one method per endpoint of `API.md`, with core's wire types. Components see
//! the [`Backend`] trait, so browser tests can put a fake behind it; [`HttpBackend`] is the real one.
//! The bearer token lives here and is never put in a URL.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures::FutureExt;
use gloo_net::http::{QueryParams, Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use ucclient_core::ProfileId;
use ucclient_core::api::{
    API_PREFIX, Call, ClaimRequest, ClaimResponse, DirectoryEntry, ErrorBody, ErrorCode,
    EventTicket, GroupEntry, LoginRequest, LoginResponse, Mailbox, Me, MissedCalls,
    PlaceCallRequest, Presence, Profile, ProfileSettings, SetPresenceRequest, TransferRequest,
    VoicemailMessage,
};
use ucclient_core::api::{CrmRecord, WrapUp};
use ucclient_core::api::{SsoDiscovery, SsoStart, SsoStartRequest};

/// What the agent does to a call from its card: one endpoint each, all `POST /calls/<id>/<path>`
/// without a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAction {
    /// End the call (any state).
    HangUp,
    /// Take a ringing inbound call (the PBX connects it to the first device ringing).
    Answer,
    /// Refuse a ringing inbound call.
    Decline,
    /// Put a connected call on hold (it stays connected, with `held`).
    Hold,
    /// Take a held call off hold.
    Resume,
    /// Complete the warm transfer the held call's consultation is for.
    CompleteTransfer,
    /// End the held call's consultation; the call stays held.
    CancelConsult,
}

impl CallAction {
    /// The last segment of the endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            CallAction::HangUp => "hangup",
            CallAction::Answer => "answer",
            CallAction::Decline => "decline",
            CallAction::Hold => "hold",
            CallAction::Resume => "resume",
            CallAction::CompleteTransfer => "consult/complete",
            CallAction::CancelConsult => "consult/cancel",
        }
    }
}

/// Most rows of call history asked for.
pub const HISTORY_LIMIT: u32 = 50;
/// Longest directory search sent, in characters.
pub const MAX_QUERY_CHARS: usize = 64;
/// How long one request may take, answer body included, before it is aborted (milliseconds). The
/// backend answers in milliseconds; a request still open after this is a hung backend or network,
/// and the agent is told so (and can try again) instead of watching a busy panel forever.
pub const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// An API call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached or did not answer in time.
    pub status: u16,
    /// The stable code of the error body, if there was one: its more specific `reason` when it
    /// gives one (`unknown_extension` within `invalid_number`), so the sentence shown is the one
    /// the dial preview shows for the same refusal.
    pub code: Option<ErrorCode>,
    /// The API's sentence for a person (English), shown as detail.
    pub message: String,
    /// Whether the request was aborted because no answer came within its timeout.
    pub timed_out: bool,
}

impl ApiError {
    /// An error for a request that never got an answer.
    pub fn network(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            code: None,
            message: detail.into(),
            timed_out: false,
        }
    }

    /// An error for a request aborted after `timeout_ms` without a (whole) answer.
    pub fn timed_out(timeout_ms: u32) -> ApiError {
        ApiError {
            timed_out: true,
            ..ApiError::network(format!("no answer within {} ms", timeout_ms))
        }
    }

    /// An answer with status `status` and no usable body: only the status is kept.
    fn status_only(status: u16, message: String) -> ApiError {
        ApiError {
            status,
            code: None,
            message,
            timed_out: false,
        }
    }

    /// Whether the token is no longer valid.
    pub fn is_unauthenticated(&self) -> bool {
        self.code == Some(ErrorCode::Unauthenticated)
    }
}

/// The result of an API call.
pub type ApiResult<T> = Result<T, ApiError>;
/// A pending API call (the widget is single-threaded, so not `Send`).
pub type ApiFuture<T> = Pin<Box<dyn Future<Output = ApiResult<T>>>>;

/// The backend as the widget uses it.
pub trait Backend {
    /// Sets or forgets the bearer token used by every call but `login`.
    fn set_token(&self, token: Option<String>);
    /// `POST /login`.
    fn login(&self, req: LoginRequest) -> ApiFuture<LoginResponse>;
    /// `POST /logout`.
    fn logout(&self) -> ApiFuture<()>;
    /// `GET /me`.
    fn me(&self) -> ApiFuture<Me>;
    /// `GET /profiles`.
    fn profiles(&self) -> ApiFuture<Vec<Profile>>;
    /// `PUT /me/presence`.
    fn set_presence(&self, profile: ProfileId) -> ApiFuture<Presence>;
    /// `PUT /me/profiles/<id>/settings`.
    fn save_settings(&self, profile: ProfileId, settings: ProfileSettings) -> ApiFuture<Profile>;
    /// `DELETE /me/profiles/<id>/settings`.
    fn reset_settings(&self, profile: ProfileId) -> ApiFuture<Profile>;
    /// `GET /directory?q=`.
    fn directory(&self, query: String) -> ApiFuture<Vec<DirectoryEntry>>;
    /// `POST /calls`.
    fn place_call(&self, req: PlaceCallRequest) -> ApiFuture<Call>;
    /// `POST /calls/<id>/<action>`: hang up, answer (on the first device ringing) or decline.
    fn call_action(&self, call_id: String, action: CallAction) -> ApiFuture<Call>;
    /// `POST /calls/<id>/transfer`: a blind transfer of a connected call to `to`.
    fn transfer(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call>;
    /// `GET /calls?limit=`.
    fn calls(&self) -> ApiFuture<Vec<Call>>;
    /// `POST /calls/<id>/claims`: whether this page logs (or pops) the call.
    fn claim(&self, call_id: String, req: ClaimRequest) -> ApiFuture<ClaimResponse>;
    /// `POST /events/ticket`.
    fn ticket(&self) -> ApiFuture<EventTicket>;
    /// The URL of the event stream for a ticket, resuming after `last_event_id`.
    fn events_url(&self, ticket: &str, last_event_id: Option<u64>) -> String;
    /// `GET /voicemail`: the agent's mailbox.
    fn voicemail(&self) -> ApiFuture<Mailbox>;
    /// `GET /voicemail/<id>/audio`: the message's WAV as a Blob, fetched with the bearer token
    /// in its header (never a token in a URL).
    fn voicemail_audio(&self, id: String) -> ApiFuture<web_sys::Blob>;
    /// `POST /voicemail/<id>/heard`.
    fn voicemail_heard(&self, id: String) -> ApiFuture<VoicemailMessage>;
    /// `DELETE /voicemail/<id>`.
    fn delete_voicemail(&self, id: String) -> ApiFuture<()>;
    /// `PUT /calls/<id>/wrapup`: the agent's after-call work on an ended call.
    fn save_wrap_up(&self, call_id: String, req: WrapUp) -> ApiFuture<Call>;
    /// `PUT /calls/<id>/crm-record`: the CRM record this page logged the call on.
    fn set_crm_record(&self, call_id: String, req: CrmRecord) -> ApiFuture<Call>;
    /// `POST /calls/<id>/consult`: holds the call and dials the consultation leg (answered).
    fn consult(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call>;
    /// `GET /calls/missed` (`seen` false) or `POST /calls/missed/seen` (true).
    fn missed(&self, seen: bool) -> ApiFuture<MissedCalls>;
    /// `GET /directory/groups`: the dialable hunt groups.
    fn groups(&self) -> ApiFuture<Vec<GroupEntry>>;
    // --- sso: single sign-on (issue 15); a backend without it (the tests' fakes) has none ---
    /// `GET /sso/discovery?crm_origin=&email=`: the company whose "Sign in with" button shows.
    fn sso_discovery(
        &self,
        _crm_origin: Option<String>,
        _email: Option<String>,
    ) -> ApiFuture<SsoDiscovery> {
        Box::pin(async { Err(ApiError::status_only(404, String::new())) })
    }
    /// `POST /sso/start`: the popup's authorization URL.
    fn sso_start(&self, _customer: String) -> ApiFuture<SsoStart> {
        Box::pin(async { Err(ApiError::status_only(404, String::new())) })
    }
    // --- softphone (issue 17); a backend without it (the tests' fakes) has none ---
    /// One request of the softphone (`PUT /softphone`, `POST /softphone/<id>/keepalive`, `POST
    /// /calls/<id>/media`, `POST /calls/<id>/answer`): `path` under the API prefix (its ids already
    /// encoded), `body` JSON, answered with the answer's JSON text. The softphone reads and writes
    /// its wire types itself (`softphone::request`), so their serde code is in its lazily loaded
    /// chunk rather than in every page's main module through this trait's vtable.
    #[cfg(feature = "softphone")]
    fn softphone_call(
        &self,
        _method: SoftphoneMethod,
        _path: String,
        _body: Option<String>,
    ) -> ApiFuture<String> {
        Box::pin(async { Err(ApiError::status_only(404, String::new())) })
    }
    /// `DELETE /softphone/<registration>`; with `page_going` the request is started at once as a
    /// `fetch` with `keepalive: true` (it outlives the page) and the future is ready at once.
    #[cfg(feature = "softphone")]
    fn softphone_end(&self, _registration: String, _page_going: bool) -> ApiFuture<()> {
        Box::pin(async { Err(ApiError::status_only(404, String::new())) })
    }
}

/// The method of a [`Backend::softphone_call`].
#[cfg(feature = "softphone")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftphoneMethod {
    /// `PUT`.
    Put,
    /// `POST`.
    Post,
}

/// The real backend over gloo-net's `fetch`.
pub struct HttpBackend {
    /// `https://host` or `""` for the page's own origin; no trailing slash.
    base: String,
    /// The bearer token, once signed in.
    token: RefCell<Option<String>>,
    /// Each request's timeout ([`REQUEST_TIMEOUT_MS`] but in tests).
    timeout_ms: u32,
}

impl HttpBackend {
    /// A client for the backend at `api_base` (`""` = same origin).
    pub fn new(api_base: &str) -> HttpBackend {
        HttpBackend::with_timeout(api_base, REQUEST_TIMEOUT_MS)
    }

    /// A client whose requests are aborted after `timeout_ms` (the browser tests use a short one).
    pub fn with_timeout(api_base: &str, timeout_ms: u32) -> HttpBackend {
        HttpBackend {
            base: api_base.trim().trim_end_matches('/').to_owned(),
            token: RefCell::new(None),
            timeout_ms,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, API_PREFIX, path)
    }

    /// A request to `path` carrying the bearer token, if any.
    fn req(&self, method: Method, path: &str) -> Req {
        Req {
            method,
            url: self.url(path),
            query: Vec::new(),
            token: self.token.borrow().clone(),
            body: None,
            timeout_ms: self.timeout_ms,
            binary: false,
        }
    }

    fn get<T: DeserializeOwned + 'static>(&self, path: &str) -> ApiFuture<T> {
        call(self.req(Request::get, path))
    }

    fn with_body<T: DeserializeOwned + 'static>(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> ApiFuture<T> {
        call(self.req(method, path).json(body))
    }

    fn empty<T: DeserializeOwned + 'static>(&self, method: Method, path: &str) -> ApiFuture<T> {
        call(self.req(method, path))
    }
}

/// gloo-net's constructor of a request with one method (`Request::get`, `Request::post`, …).
type Method = fn(&str) -> RequestBuilder;

/// One request as [`fetch`] sends it.
struct Req {
    method: Method,
    url: String,
    /// Query parameters, encoded by the browser's `URLSearchParams` (gloo-net's `query`).
    query: Vec<(&'static str, String)>,
    /// Sent as `Authorization: Bearer <token>`.
    token: Option<String>,
    /// Sent with `Content-Type: application/json`.
    body: Option<String>,
    /// Aborted after this many milliseconds.
    timeout_ms: u32,
    /// Whether the answer is bytes (audio), read whole as such rather than as text.
    binary: bool,
}

/// The body of a successful answer: text (JSON) or, for a [`Req`] marked binary, bytes.
enum Answer {
    Text(String),
    Bytes(Vec<u8>),
}

impl Req {
    /// The request with `body` as its JSON ([`to_json`]; core's wire types cannot fail to serialise).
    fn json(mut self, body: &impl Serialize) -> Req {
        self.body = to_json(body);
        self
    }

    /// The request with one more query parameter.
    fn query(mut self, name: &'static str, value: String) -> Req {
        self.query.push((name, value));
        self
    }
}

/// A request that got no answer, with the browser's sentence (e.g. "TypeError: Failed to fetch").
///
/// The text is taken from the variant gloo-net's requests produce rather than through
/// `gloo_net::Error`'s `Display`: Leptos's `server_fn` turns on gloo-net's `json` feature, whose
/// serde_json variant would bring serde_json's and std::io's error sentences into the module
/// through that `Display` (−1 KB gzip, BENCHMARKS.md), although a request without `.json()` never
/// produces it. The two texts kept are what `Display` writes for them.
fn request_failed(e: gloo_net::Error) -> ApiError {
    ApiError::network(match e {
        gloo_net::Error::JsError(js) => js.to_string(),
        gloo_net::Error::GlooError(text) => text,
        #[allow(unreachable_patterns)] // Reachable only with gloo-net's `json` feature.
        _ => "the request failed".to_owned(),
    })
}

/// Reads JSON text into a wire type: parsed by the browser's `JSON.parse`, then read through core's
/// serde derives by serde-wasm-bindgen (chosen over serde_json by size; see ARCHITECTURE.md).
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
}

/// Writes a wire type as JSON text: serde-wasm-bindgen's JSON-compatible serializer (maps as plain
/// objects), then the browser's `JSON.stringify`; the same text as serde_json's for core's types.
pub fn to_json(value: &impl Serialize) -> Option<String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// Reads an error body (an error code this build does not know reads as [`ErrorCode::Other`]);
/// anything that is not an error body keeps only the status.
pub fn error_from_body(status: u16, text: &str) -> ApiError {
    match from_json::<ErrorBody>(text) {
        Some(b) => ApiError {
            status,
            // The more specific code when there is one (`unknown_extension` within
            // `invalid_number`): the agent's sentence is chosen from it.
            code: Some(b.reason.unwrap_or(b.error)),
            message: b.message,
            timed_out: false,
        },
        None => ApiError::status_only(status, format!("HTTP {status}")),
    }
}

/// A successful answer that is not what the endpoint answers.
fn bad_answer(status: u16, message: &str) -> ApiError {
    ApiError::status_only(status, message.to_owned())
}

/// Sends a request with gloo-net, aborted through an `AbortController` when the whole answer has not
/// arrived within its timeout, and returns the status and the body; a 4xx/5xx becomes an
/// [`ApiError`] with the body's code and sentence. The one async path, shared by every endpoint and
/// not generic, so the module holds one copy of it.
fn fetch(req: Req) -> ApiFuture<(u16, Answer)> {
    Box::pin(async move {
        let abort = web_sys::AbortController::new()
            .map_err(|_| ApiError::network("the browser cannot abort requests"))?;
        let timed_out = Rc::new(Cell::new(false));
        // Dropped (cancelled) when the answer is in, or with this future when the caller gives up.
        let _timer = {
            let (abort, timed_out) = (abort.clone(), timed_out.clone());
            gloo_timers::callback::Timeout::new(req.timeout_ms, move || {
                timed_out.set(true);
                abort.abort();
            })
        };
        let failed = |e: gloo_net::Error| {
            if timed_out.get() {
                ApiError::timed_out(req.timeout_ms)
            } else {
                request_failed(e)
            }
        };
        let mut builder = (req.method)(&req.url)
            .abort_signal(Some(&abort.signal()))
            .query(req.query.iter().map(|(k, v)| (*k, v)));
        if let Some(t) = &req.token {
            builder = builder.header("Authorization", &format!("Bearer {t}"));
        }
        let request = match req.body {
            Some(body) => builder
                .header("Content-Type", "application/json")
                .body(body),
            None => builder.build(),
        }
        .map_err(failed)?;
        let resp = request.send().await.map_err(failed)?;
        let status = resp.status();
        if resp.ok() && req.binary {
            return Ok((status, Answer::Bytes(resp.binary().await.map_err(failed)?)));
        }
        let text = resp.text().await;
        if !resp.ok() {
            return Err(error_from_body(status, &text.unwrap_or_default()));
        }
        Ok((status, Answer::Text(text.map_err(failed)?)))
    })
}

/// An API call: [`fetch`], then the answer read by [`from_json`] into core's wire type (an empty
/// body as `null`, which is `()`). Fields, profiles and codes that a newer backend adds are read, not
/// refused (core's types ignore unknown fields and have `Unknown`/`Other` arms).
fn call<T: DeserializeOwned + 'static>(req: Req) -> ApiFuture<T> {
    Box::pin(fetch(req).map(move |answer| {
        let (status, text) = match answer? {
            (status, Answer::Text(text)) => (status, text),
            (status, Answer::Bytes(_)) => (status, String::new()),
        };
        let text = if text.is_empty() { "null" } else { &text };
        from_json(text)
            .ok_or_else(|| bad_answer(status, "the answer does not have the expected shape"))
    }))
}

impl Backend for HttpBackend {
    fn set_token(&self, token: Option<String>) {
        *self.token.borrow_mut() = token;
    }

    fn login(&self, req: LoginRequest) -> ApiFuture<LoginResponse> {
        // Never with a token: a sign-in stands on its own.
        let mut login = self.req(Request::post, "/login");
        login.token = None;
        call(login.json(&req))
    }

    fn logout(&self) -> ApiFuture<()> {
        self.empty(Request::post, "/logout")
    }

    fn me(&self) -> ApiFuture<Me> {
        self.get("/me")
    }

    fn profiles(&self) -> ApiFuture<Vec<Profile>> {
        self.get("/profiles")
    }

    fn set_presence(&self, profile: ProfileId) -> ApiFuture<Presence> {
        let body = SetPresenceRequest {
            profile: profile.as_str().to_owned(),
        };
        self.with_body(Request::put, "/me/presence", &body)
    }

    fn save_settings(&self, profile: ProfileId, settings: ProfileSettings) -> ApiFuture<Profile> {
        let path = format!("/me/profiles/{}/settings", profile.as_str());
        self.with_body(Request::put, &path, &settings)
    }

    fn reset_settings(&self, profile: ProfileId) -> ApiFuture<Profile> {
        let path = format!("/me/profiles/{}/settings", profile.as_str());
        self.empty(Request::delete, &path)
    }

    fn directory(&self, query: String) -> ApiFuture<Vec<DirectoryEntry>> {
        let q: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
        call(self.req(Request::get, "/directory").query("q", q))
    }

    fn place_call(&self, req: PlaceCallRequest) -> ApiFuture<Call> {
        self.with_body(Request::post, "/calls", &req)
    }

    fn call_action(&self, call_id: String, action: CallAction) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.empty(Request::post, &format!("/calls/{id}/{}", action.path()))
    }

    fn transfer(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(Request::post, &format!("/calls/{id}/transfer"), &req)
    }

    fn calls(&self) -> ApiFuture<Vec<Call>> {
        let limit = HISTORY_LIMIT.to_string();
        call(self.req(Request::get, "/calls").query("limit", limit))
    }

    fn claim(&self, call_id: String, req: ClaimRequest) -> ApiFuture<ClaimResponse> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(Request::post, &format!("/calls/{id}/claims"), &req)
    }

    fn ticket(&self) -> ApiFuture<EventTicket> {
        self.empty(Request::post, "/events/ticket")
    }

    fn events_url(&self, ticket: &str, last_event_id: Option<u64>) -> String {
        events_url(&self.url("/events"), ticket, last_event_id)
    }

    fn save_wrap_up(&self, call_id: String, req: WrapUp) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(Request::put, &format!("/calls/{id}/wrapup"), &req)
    }

    fn set_crm_record(&self, call_id: String, req: CrmRecord) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(Request::put, &format!("/calls/{id}/crm-record"), &req)
    }

    fn voicemail(&self) -> ApiFuture<Mailbox> {
        self.get("/voicemail")
    }

    fn voicemail_audio(&self, id: String) -> ApiFuture<web_sys::Blob> {
        let id = String::from(js_sys::encode_uri_component(&id));
        let mut req = self.req(Request::get, &format!("/voicemail/{id}/audio"));
        req.binary = true;
        Box::pin(fetch(req).map(|answer| {
            let (status, Answer::Bytes(bytes)) = answer? else {
                return Err(bad_answer(200, "the answer is not audio"));
            };
            wav_blob(&bytes).ok_or_else(|| bad_answer(status, "the audio cannot be played here"))
        }))
    }

    fn voicemail_heard(&self, id: String) -> ApiFuture<VoicemailMessage> {
        let id = String::from(js_sys::encode_uri_component(&id));
        self.empty(Request::post, &format!("/voicemail/{id}/heard"))
    }

    fn delete_voicemail(&self, id: String) -> ApiFuture<()> {
        let id = String::from(js_sys::encode_uri_component(&id));
        self.empty(Request::delete, &format!("/voicemail/{id}"))
    }

    fn consult(&self, call_id: String, req: TransferRequest) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(Request::post, &format!("/calls/{id}/consult"), &req)
    }

    fn missed(&self, seen: bool) -> ApiFuture<MissedCalls> {
        if seen {
            self.empty(Request::post, "/calls/missed/seen")
        } else {
            self.get("/calls/missed")
        }
    }

    fn groups(&self) -> ApiFuture<Vec<GroupEntry>> {
        self.get("/directory/groups")
    }

    fn sso_discovery(
        &self,
        crm_origin: Option<String>,
        email: Option<String>,
    ) -> ApiFuture<SsoDiscovery> {
        let mut r = self.req(Request::get, "/sso/discovery");
        r.token = None;
        if let Some(o) = crm_origin {
            r = r.query("crm_origin", o);
        }
        if let Some(e) = email {
            r = r.query("email", e);
        }
        call(r)
    }

    fn sso_start(&self, customer: String) -> ApiFuture<SsoStart> {
        let mut r = self.req(Request::post, "/sso/start");
        r.token = None;
        call(r.json(&SsoStartRequest { customer }))
    }

    #[cfg(feature = "softphone")]
    fn softphone_call(
        &self,
        method: SoftphoneMethod,
        path: String,
        body: Option<String>,
    ) -> ApiFuture<String> {
        let method: Method = match method {
            SoftphoneMethod::Put => Request::put,
            SoftphoneMethod::Post => Request::post,
        };
        let mut req = self.req(method, &path);
        req.body = body;
        Box::pin(fetch(req).map(|answer| match answer? {
            (_, Answer::Text(text)) => Ok(text),
            (_, Answer::Bytes(_)) => Ok(String::new()),
        }))
    }

    #[cfg(feature = "softphone")]
    fn softphone_end(&self, registration: String, page_going: bool) -> ApiFuture<()> {
        let id = String::from(js_sys::encode_uri_component(&registration));
        let path = format!("/softphone/{id}");
        if !page_going {
            return self.empty(Request::delete, &path);
        }
        // The page is going away: a future would never be polled again, so the request starts
        // here, as a `fetch` with `keepalive` (which outlives the page), the token in its header.
        let init = web_sys::RequestInit::new();
        init.set_method("DELETE");
        // web-sys's `RequestInit` has no setter for `keepalive`: the dictionary's member is set
        // as the browser reads it.
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &wasm_bindgen::JsValue::TRUE);
        if let (Some(t), Ok(headers)) = (self.token.borrow().as_ref(), web_sys::Headers::new()) {
            let _ = headers.set("Authorization", &format!("Bearer {t}"));
            init.set_headers(&headers);
        }
        if let Some(w) = web_sys::window() {
            let _ = w.fetch_with_str_and_init(&self.url(&path), &init);
        }
        Box::pin(async { Ok(()) })
    }
}

/// A Blob of WAV bytes (`audio/wav`), for an `<audio>` element's object URL.
pub fn wav_blob(bytes: &[u8]) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("audio/wav");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
}

/// `…/events?ticket=T[&last_event_id=N]` (the ticket is one-use and short-lived, never a credential
/// that outlives the connection), encoded by the browser's `URLSearchParams` through gloo-net's
/// [`QueryParams`] (the URL standard's `application/x-www-form-urlencoded`, as for the requests'
/// query strings): the module holds no second encoder (`form_urlencoded` and its tables: −1.3 KB gzip).
pub fn events_url(base: &str, ticket: &str, last_event_id: Option<u64>) -> String {
    let query = QueryParams::new();
    query.append("ticket", ticket);
    if let Some(id) = last_event_id {
        query.append("last_event_id", &id.to_string());
    }
    format!("{base}?{query}")
}

/// The sessionStorage key of the token for a backend: two backends never share a token.
pub fn token_key(api_base: &str) -> String {
    format!("ucclient.token:{}", api_base.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_keys_are_per_backend() {
        assert_eq!(
            token_key("https://x.example/"),
            "ucclient.token:https://x.example"
        );
    }
}

/// The real client in the browser, where no backend answers.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use std::rc::Rc;

    use js_sys::{Function, Reflect};
    use ucclient_core::Language;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::app::{App, Ctx};
    use crate::host::{HostKind, standalone::StandaloneHost};

    #[wasm_bindgen_test]
    fn event_urls_carry_ticket_and_resume_point() {
        assert_eq!(
            events_url("/api/v1/events", "abc", Some(42)),
            "/api/v1/events?ticket=abc&last_event_id=42"
        );
        assert_eq!(
            events_url("/api/v1/events", "a&b=c d", None),
            "/api/v1/events?ticket=a%26b%3Dc+d",
            "nothing in a ticket can add a parameter"
        );
        assert_eq!(
            events_url("/api/v1/events", "é/?*-._~", None),
            "/api/v1/events?ticket=%C3%A9%2F%3F*-._%7E",
            "the URL standard's form encoding, as form_urlencoded wrote it"
        );
    }

    #[wasm_bindgen_test]
    async fn an_unreachable_backend_is_status_0_with_the_browsers_sentence() {
        // Port 1 is one the browser refuses to connect to: no request leaves the machine.
        let backend = HttpBackend::new("http://127.0.0.1:1/");
        backend.set_token(Some("t".to_owned()));
        let e = backend.me().await.unwrap_err();
        assert_eq!((e.status, e.code, e.timed_out), (0, None, false));
        assert!(e.message.starts_with("TypeError"), "{}", e.message);
        let req = LoginRequest {
            email: "a@example.com".to_owned(),
            password: "b".to_owned(),
            crm_origin: None,
        };
        let e = backend.login(req).await.unwrap_err();
        assert_eq!((e.status, e.code), (0, None));
        assert!(e.message.starts_with("TypeError"), "{}", e.message);
    }

    /// While alive, the page's `fetch` is one whose requests never get an answer: they end only when
    /// their signal aborts them, and each abort is counted in `globalThis.ucAborted`.
    struct HungBackend {
        original: JsValue,
    }

    impl HungBackend {
        fn install() -> HungBackend {
            let global = js_sys::global();
            let original = Reflect::get(&global, &"fetch".into()).unwrap();
            let hung = Function::new_with_args(
                "request",
                "globalThis.ucAborted = globalThis.ucAborted || 0;
                 return new Promise((_, reject) => request.signal.addEventListener('abort', () => {
                     globalThis.ucAborted += 1;
                     reject(request.signal.reason);
                 }));",
            );
            Reflect::set(&global, &"fetch".into(), &hung).unwrap();
            HungBackend { original }
        }

        fn aborted() -> f64 {
            Reflect::get(&js_sys::global(), &"ucAborted".into())
                .unwrap()
                .as_f64()
                .unwrap_or(0.0)
        }
    }

    impl Drop for HungBackend {
        fn drop(&mut self) {
            Reflect::set(&js_sys::global(), &"fetch".into(), &self.original).unwrap();
        }
    }

    async fn sleep(ms: u32) {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }

    #[wasm_bindgen_test]
    async fn a_request_that_never_answers_is_aborted_after_its_timeout() {
        let hung = HungBackend::install();
        let before = HungBackend::aborted();
        let backend = HttpBackend::with_timeout("", 100);
        let e = backend.me().await.unwrap_err();
        drop(hung);
        assert!(e.timed_out, "{e:?}");
        assert_eq!((e.status, e.code), (0, None));
        assert_eq!(
            HungBackend::aborted(),
            before + 1.0,
            "the request itself was aborted"
        );
    }

    #[wasm_bindgen_test]
    async fn a_hung_backend_tells_the_agent_and_leaves_the_form_ready_to_retry() {
        let hung = HungBackend::install();
        let doc = web_sys::window().unwrap().document().unwrap();
        let root: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
        doc.body().unwrap().append_child(&root).unwrap();
        leptos::mount::mount_to(root.clone(), move || {
            let ctx = Ctx::new(
                Rc::new(HttpBackend::with_timeout("hung-test", 200)),
                Rc::new(StandaloneHost::new(HostKind::Standalone)),
                "hung-test",
                Language::PtPt,
            );
            leptos::view! { <App ctx=ctx /> }
        })
        .forget();
        let q = |sel: &str| -> web_sys::HtmlElement {
            root.query_selector(sel).unwrap().unwrap().unchecked_into()
        };
        for (sel, value) in [("#uc-email", "ana@acme.example"), ("#uc-password", "demo")] {
            let input: web_sys::HtmlInputElement = q(sel).unchecked_into();
            input.set_value(value);
        }
        let submit = "form[data-test=sign-in] button[type=submit]";
        q(submit).click();
        sleep(20).await;
        assert!(q(submit).has_attribute("disabled"), "busy while waiting");
        sleep(400).await;
        drop(hung);
        let text = root.text_content().unwrap_or_default();
        assert!(
            text.contains("O servidor não está a responder"),
            "the agent is told: {text}"
        );
        assert!(!q(submit).has_attribute("disabled"), "and can try again");
    }
}
