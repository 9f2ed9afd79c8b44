//! The backend client of the administration page, and the wire shapes of the admin API contract
//! (issue 15) that core does not have yet.
//!
//! Core's wire types are used for everything that exists there (`Me`, `Device`, `Role`, `Mode`,
//! `WrapUpSettings`, `CrmOrg`, `GroupMember`, and the admin API's `AdminUserView`, `AdminGroup`,
//! `AuditEntry`, …), re-exported here under the names the page uses. Only single sign-on's
//! settings are defined here **for now**: they move to `core/src/api.rs` when that API lands.
//!
//! The bearer token is kept in `sessionStorage` (gone when the tab closes) and only ever travels in
//! the `Authorization` header, never in a URL.

use gloo_net::http::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use ucclient_core::api::API_PREFIX;

/// The `sessionStorage` key of the bearer token.
const TOKEN_KEY: &str = "ucclient-admin-token";

/// An API call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// The stable code of the error body (`email_taken`, `forbidden`, …), when there was one.
    pub code: Option<String>,
    /// The server's sentence for a person, shown as it is.
    pub message: String,
}

impl ApiError {
    /// Whether the token is no longer valid (the page goes back to sign-in).
    pub fn is_unauthenticated(&self) -> bool {
        self.status == 401 && self.code.as_deref() != Some("invalid_credentials")
    }

    /// Whether the server has no such endpoint or object (404).
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of an API call.
pub type ApiResult<T> = Result<T, ApiError>;

/// Reads an error body in either of the shapes the API has used: `{"error": "code", "message"}`
/// (API.md) or `{"error": {"code", "message"}}`; anything else keeps only the status.
pub fn read_error(status: u16, body: &str) -> ApiError {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let error = value.get("error");
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let code = text(error).or_else(|| text(error.and_then(|e| e.get("code"))));
    let message = text(value.get("message"))
        .or_else(|| text(error.and_then(|e| e.get("message"))))
        .filter(|m| !m.trim().is_empty())
        .map_or_else(
            || format!("The server answered with status {status}."),
            |m| sentence(m.trim()),
        );
    ApiError {
        status,
        code,
        message,
    }
}

/// A message as a sentence: capital first letter, final full stop (the API's messages are
/// lower-case clauses: "the email or password is not right").
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The token kept for this tab, if any.
pub fn stored_token() -> Option<String> {
    storage()?.get_item(TOKEN_KEY).ok().flatten()
}

/// Keeps (or, with `None`, forgets) the token for this tab.
pub fn store_token(token: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match token {
            Some(t) => s.set_item(TOKEN_KEY, t),
            None => s.remove_item(TOKEN_KEY),
        };
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// One request to `/api/v1<path>` with the bearer token; a JSON body when `body` is given. An
/// empty answer (204) reads as JSON `null`, so `T = ()` fits it.
pub async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> ApiResult<T> {
    let url = format!("{API_PREFIX}{path}");
    let mut req = RequestBuilder::new(&url)
        .method(method)
        .header("Accept", "application/json");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let network = |e: gloo_net::Error| ApiError {
        status: 0,
        code: None,
        message: format!("The server could not be reached ({e})."),
    };
    let sent = match body {
        Some(b) => {
            req.header("Content-Type", "application/json")
                .body(b)
                .map_err(network)?
                .send()
                .await
        }
        None => req.send().await,
    };
    let resp = sent.map_err(network)?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !resp.ok() {
        return Err(read_error(status, &text));
    }
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|e| ApiError {
        status,
        code: None,
        message: format!("The server's answer could not be read ({e})."),
    })
}

/// Serialises a request body.
pub fn json(body: &impl Serialize) -> Option<String> {
    serde_json::to_string(body).ok()
}

// ---- The admin API's wire types: core's (`core/src/api.rs`), by the names this page uses ----

pub use ucclient_core::api::{
    AdminGroup, AdminGroupInput, AdminUserView, AuditActor, AuditEntry, ResellerView,
};
/// `PUT /admin/users/{id}/password` body.
pub type PasswordReset = ucclient_core::api::AdminPassword;
/// `POST /admin/users/{id}/devices` body.
pub type NewDevice = ucclient_core::api::NewAdminDevice;
/// `POST /admin/users` body.
pub type NewUser = ucclient_core::api::NewAdminUser;
/// `PATCH /admin/users/{id}` body.
pub type UserPatch = ucclient_core::api::AdminUserPatch;
/// One customer of the reseller.
pub type CustomerSummary = ucclient_core::api::ResellerCustomer;
/// `PUT /admin/reseller/mode` body.
pub type ModeUpdate = ucclient_core::api::ResellerModeRequest;
/// `POST /admin/reseller/customers` body.
pub type NewCustomer = ucclient_core::api::NewResellerCustomer;

/// The customer's single sign-on settings (`GET /admin/sso`).
pub type SsoSettings = ucclient_core::api::SsoSettings;
/// `PUT /admin/sso` body: the settings with a write-only secret (absent: keep the stored one).
pub type SsoUpdate = ucclient_core::api::SsoSettingsUpdate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_give_the_servers_sentence() {
        let e = read_error(
            409,
            r#"{"error":"email_taken","message":"That email is taken."}"#,
        );
        assert_eq!(e.code.as_deref(), Some("email_taken"));
        assert_eq!(e.message, "That email is taken.");
        let e = read_error(
            403,
            r#"{"error":{"code":"forbidden","message":"Administrators only."}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("forbidden"));
        assert_eq!(e.message, "Administrators only.");
        let e = read_error(
            401,
            r#"{"error":"invalid_credentials","message":"the email or password is not right"}"#,
        );
        assert_eq!(e.message, "The email or password is not right.");
        let e = read_error(502, "<html>bad gateway</html>");
        assert_eq!(e.code, None);
        assert_eq!(e.message, "The server answered with status 502.");
    }

    #[test]
    fn a_wrong_password_is_not_an_ended_session() {
        let wrong = read_error(401, r#"{"error":"invalid_credentials","message":"Wrong."}"#);
        assert!(!wrong.is_unauthenticated());
        let ended = read_error(401, r#"{"error":"unauthenticated","message":"Sign in."}"#);
        assert!(ended.is_unauthenticated());
    }

    #[test]
    fn bodies_carry_only_what_the_administrator_changed() {
        let patch = UserPatch {
            crm_client: Some(false),
            ..UserPatch::default()
        };
        assert_eq!(json(&patch).unwrap(), r#"{"crm_client":false}"#);
        let invited = NewUser {
            name: "Dan".into(),
            email: "dan@acme.example".into(),
            extension: "209".into(),
            role: None,
            crm_client: true,
            password: None,
        };
        assert!(!json(&invited).unwrap().contains("password"));
    }
}
