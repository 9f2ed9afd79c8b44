//! The backend client: one method per endpoint of `API.md`, with core's wire types. Components see
//! the [`Backend`] trait, so browser tests can put a fake behind it; [`HttpBackend`] is the real one.
//! The bearer token lives here and is never put in a URL.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use futures::FutureExt;
use ucclient_core::ProfileId;
use ucclient_core::api::{
    API_PREFIX, Call, ClaimRequest, ClaimResponse, DirectoryEntry, ErrorCode, EventTicket,
    LoginRequest, LoginResponse, Me, PlaceCallRequest, Presence, Profile, ProfileSettings,
    SetPresenceRequest,
};
use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};
use wasm_bindgen_futures::JsFuture;

use crate::json::{self, Json};
use crate::wire::{self, Mismatch, Reader, ToJson};

/// Most rows of call history asked for.
pub const HISTORY_LIMIT: u32 = 50;
/// Longest directory search sent, in characters.
pub const MAX_QUERY_CHARS: usize = 64;

/// An API call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// The stable code of the error body, if there was one.
    pub code: Option<ErrorCode>,
    /// The API's sentence for a person (English), shown as detail.
    pub message: String,
}

impl ApiError {
    /// An error for a request that never got an answer.
    pub fn network(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            code: None,
            message: detail.into(),
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
    /// `POST /calls/<id>/hangup`.
    fn hangup(&self, call_id: String) -> ApiFuture<Call>;
    /// `GET /calls?limit=`.
    fn calls(&self) -> ApiFuture<Vec<Call>>;
    /// `POST /calls/<id>/claims`: whether this page logs (or pops) the call.
    fn claim(&self, call_id: String, req: ClaimRequest) -> ApiFuture<ClaimResponse>;
    /// `POST /events/ticket`.
    fn ticket(&self) -> ApiFuture<EventTicket>;
    /// The URL of the event stream for a ticket, resuming after `last_event_id`.
    fn events_url(&self, ticket: &str, last_event_id: Option<u64>) -> String;
}

/// The real backend over `fetch`.
pub struct HttpBackend {
    /// `https://host` or `""` for the page's own origin; no trailing slash.
    base: String,
    /// The bearer token, once signed in.
    token: RefCell<Option<String>>,
}

impl HttpBackend {
    /// A client for the backend at `api_base` (`""` = same origin).
    pub fn new(api_base: &str) -> HttpBackend {
        HttpBackend {
            base: api_base.trim().trim_end_matches('/').to_owned(),
            token: RefCell::new(None),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, API_PREFIX, path)
    }

    /// A request to `path` carrying the bearer token, if any.
    fn req(&self, method: &'static str, path: &str) -> Req {
        Req {
            method,
            url: self.url(path),
            token: self.token.borrow().clone(),
            body: None,
        }
    }

    fn get<T: 'static>(&self, path: &str, read: Reader<T>) -> ApiFuture<T> {
        call(self.req("GET", path), read)
    }

    fn with_body<T: 'static>(
        &self,
        method: &'static str,
        path: &str,
        body: &dyn ToJson,
        read: Reader<T>,
    ) -> ApiFuture<T> {
        call(self.req(method, path).json(body), read)
    }

    fn empty<T: 'static>(&self, method: &'static str, path: &str, read: Reader<T>) -> ApiFuture<T> {
        call(self.req(method, path), read)
    }
}

/// One request as [`fetch`] sends it.
struct Req {
    method: &'static str,
    url: String,
    /// Sent as `Authorization: Bearer <token>`.
    token: Option<String>,
    /// Sent with `Content-Type: application/json`.
    body: Option<String>,
}

impl Req {
    /// The request with `body` as its JSON.
    fn json(mut self, body: &dyn ToJson) -> Req {
        self.body = Some(body.to_json());
        self
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (window or worker alike).
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_request(request: &web_sys::Request) -> js_sys::Promise;
}

/// A request that got no answer, with the browser's sentence (`String(error)`, e.g.
/// "TypeError: Failed to fetch").
fn request_failed(e: JsValue) -> ApiError {
    ApiError::network(match e.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.to_string()),
        None => "the request failed".to_owned(),
    })
}

/// Builds the browser's request and sends it.
async fn send(req: &Req) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(req.method);
    let headers = web_sys::Headers::new()?;
    if let Some(t) = &req.token {
        headers.set("Authorization", &format!("Bearer {t}"))?;
    }
    if let Some(body) = &req.body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&req.url, &init)?;
    Ok(JsFuture::from(fetch_with_request(&request))
        .await?
        .unchecked_into())
}

/// The whole body as text.
async fn text(resp: &web_sys::Response) -> Result<String, JsValue> {
    Ok(JsFuture::from(resp.text()?)
        .await?
        .as_string()
        .unwrap_or_default())
}

/// Reads an error body; anything unexpected keeps only the status.
pub fn error_from_body(status: u16, text: &str) -> ApiError {
    match json::parse(text)
        .ok_or(Mismatch)
        .and_then(|v| wire::error_body(&v))
    {
        Ok(b) => ApiError {
            status,
            code: Some(b.error),
            message: b.message,
        },
        Err(_) => ApiError {
            status,
            code: None,
            message: format!("HTTP {status}"),
        },
    }
}

/// A successful answer that is not what the endpoint answers.
fn bad_answer(status: u16, message: &str) -> ApiError {
    ApiError {
        status,
        code: None,
        message: message.to_owned(),
    }
}

/// Sends a request and parses the whole body by the browser's `JSON.parse` (an empty body as
/// `null`); a 4xx/5xx becomes an [`ApiError`] with the body's code and sentence. The one async
/// path, shared by every endpoint and not generic, so the module holds one copy of it.
fn fetch(req: Req) -> ApiFuture<(u16, Json)> {
    Box::pin(async move {
        let resp = send(&req).await.map_err(request_failed)?;
        let status = resp.status();
        if !resp.ok() {
            let text = text(&resp).await.unwrap_or_default();
            return Err(error_from_body(status, &text));
        }
        let text = text(&resp).await.map_err(request_failed)?;
        let value = match text.as_str() {
            "" => Some(json::null()),
            text => json::parse(text),
        };
        Ok((
            status,
            value.ok_or_else(|| bad_answer(status, "the answer is not JSON"))?,
        ))
    })
}

/// An API call: [`fetch`], then the answer read by `read`.
fn call<T: 'static>(req: Req, read: Reader<T>) -> ApiFuture<T> {
    Box::pin(fetch(req).map(move |answer| {
        let (status, value) = answer?;
        read(&value).map_err(|_| bad_answer(status, "the answer does not have the expected shape"))
    }))
}

impl Backend for HttpBackend {
    fn set_token(&self, token: Option<String>) {
        *self.token.borrow_mut() = token;
    }

    fn login(&self, req: LoginRequest) -> ApiFuture<LoginResponse> {
        // Never with a token: a sign-in stands on its own.
        let login = Req {
            method: "POST",
            url: self.url("/login"),
            token: None,
            body: None,
        };
        call(login.json(&req), wire::login_response)
    }

    fn logout(&self) -> ApiFuture<()> {
        self.empty("POST", "/logout", wire::unit)
    }

    fn me(&self) -> ApiFuture<Me> {
        self.get("/me", wire::me)
    }

    fn profiles(&self) -> ApiFuture<Vec<Profile>> {
        self.get("/profiles", wire::profiles)
    }

    fn set_presence(&self, profile: ProfileId) -> ApiFuture<Presence> {
        let body = SetPresenceRequest {
            profile: profile.as_str().to_owned(),
        };
        self.with_body("PUT", "/me/presence", &body, wire::presence)
    }

    fn save_settings(&self, profile: ProfileId, settings: ProfileSettings) -> ApiFuture<Profile> {
        let path = format!("/me/profiles/{}/settings", profile.as_str());
        self.with_body("PUT", &path, &settings, wire::profile)
    }

    fn reset_settings(&self, profile: ProfileId) -> ApiFuture<Profile> {
        let path = format!("/me/profiles/{}/settings", profile.as_str());
        self.empty("DELETE", &path, wire::profile)
    }

    fn directory(&self, query: String) -> ApiFuture<Vec<DirectoryEntry>> {
        let q: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
        let q = String::from(js_sys::encode_uri_component(&q));
        self.get(&format!("/directory?q={q}"), wire::directory)
    }

    fn place_call(&self, req: PlaceCallRequest) -> ApiFuture<Call> {
        self.with_body("POST", "/calls", &req, wire::call)
    }

    fn hangup(&self, call_id: String) -> ApiFuture<Call> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.empty("POST", &format!("/calls/{id}/hangup"), wire::call)
    }

    fn calls(&self) -> ApiFuture<Vec<Call>> {
        self.get(&format!("/calls?limit={HISTORY_LIMIT}"), wire::calls)
    }

    fn claim(&self, call_id: String, req: ClaimRequest) -> ApiFuture<ClaimResponse> {
        let id = String::from(js_sys::encode_uri_component(&call_id));
        self.with_body(
            "POST",
            &format!("/calls/{id}/claims"),
            &req,
            wire::claim_response,
        )
    }

    fn ticket(&self) -> ApiFuture<EventTicket> {
        self.empty("POST", "/events/ticket", wire::event_ticket)
    }

    fn events_url(&self, ticket: &str, last_event_id: Option<u64>) -> String {
        events_url(&self.url("/events"), ticket, last_event_id)
    }
}

/// `…/events?ticket=T[&last_event_id=N]` (the ticket is one-use and short-lived, never a credential
/// that outlives the connection).
pub fn events_url(base: &str, ticket: &str, last_event_id: Option<u64>) -> String {
    let ticket: String = ticket
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
        .take(256)
        .collect();
    match last_event_id {
        Some(id) => format!("{base}?ticket={ticket}&last_event_id={id}"),
        None => format!("{base}?ticket={ticket}"),
    }
}

/// The sessionStorage key of the token for a backend: two backends never share a token.
pub fn token_key(api_base: &str) -> String {
    format!("ucclient.token:{}", api_base.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_keep_code_and_sentence() {
        let e = error_from_body(
            403,
            r#"{"error":"client_not_licensed","message":"UcClient CRM is not enabled"}"#,
        );
        assert_eq!(e.code, Some(ErrorCode::ClientNotLicensed));
        assert_eq!(e.message, "UcClient CRM is not enabled");
        let e = error_from_body(502, "<html>bad gateway</html>");
        assert_eq!((e.status, e.code), (502, None));
        assert!(
            error_from_body(401, r#"{"error":"unauthenticated","message":""}"#)
                .is_unauthenticated()
        );
    }

    #[test]
    fn event_urls_carry_ticket_and_resume_point() {
        assert_eq!(
            events_url("/api/v1/events", "abc", Some(42)),
            "/api/v1/events?ticket=abc&last_event_id=42"
        );
        assert_eq!(
            events_url("/api/v1/events", "a&b=c", None),
            "/api/v1/events?ticket=abc"
        );
        assert_eq!(
            token_key("https://x.example/"),
            "ucclient.token:https://x.example"
        );
    }
}

/// The real client in the browser, where no backend answers.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    async fn an_unreachable_backend_is_status_0_with_the_browsers_sentence() {
        // Port 1 is one the browser refuses to connect to: no request leaves the machine.
        let backend = HttpBackend::new("http://127.0.0.1:1/");
        backend.set_token(Some("t".to_owned()));
        let e = backend.me().await.unwrap_err();
        assert_eq!((e.status, e.code), (0, None));
        assert!(e.message.starts_with("TypeError"), "{}", e.message);
        let req = LoginRequest {
            email: "a@example.com".to_owned(),
            password: "b".to_owned(),
        };
        let e = backend.login(req).await.unwrap_err();
        assert_eq!((e.status, e.code), (0, None));
        assert!(e.message.starts_with("TypeError"), "{}", e.message);
    }
}
