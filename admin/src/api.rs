//! The backend client of the administration page, and the wire shapes of the admin API contract
//! (issue 15) that core does not have yet.
//!
//! Core's wire types are used for everything that exists there (`Me`, `Device`, `Role`, `Mode`,
//! `WrapUpSettings`, `CrmOrg`, `GroupMember`, …). The admin contract's own shapes are defined here
//! **for now**: they move to `core/src/api.rs` when the admin API lands, and this file then
//! re-exports them from there.
//!
//! The bearer token is kept in `sessionStorage` (gone when the tab closes) and only ever travels in
//! the `Authorization` header, never in a URL.

use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ucclient_core::api::{API_PREFIX, Device, DeviceKind, GroupMember, Mode, Role};

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

// ---- The admin API contract's shapes (move to core/src/api.rs when the API lands) ----

/// A user as their administrator sees them (`GET /admin/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserView {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Internal extension.
    pub extension: String,
    /// What the user may administer.
    pub role: Role,
    /// Whether the user may sign in at all.
    pub active: bool,
    /// Whether the user has the CRM client permission.
    pub crm_client: bool,
    /// The user's phones.
    #[serde(default)]
    pub devices: Vec<Device>,
}

/// `POST /admin/users` body: without a password, an invited user who signs in by SSO (or after a
/// reset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Internal extension (2 to 6 digits).
    pub extension: String,
    /// `user` or `customer_admin`.
    pub role: Role,
    /// The CRM client permission.
    pub crm_client: bool,
    /// The first password, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `PATCH /admin/users/{id}` body: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPatch {
    /// New display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Deactivate (`false`, ends the user's sessions) or reactivate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Give or take the CRM client permission (live in the user's widget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_client: Option<bool>,
    /// New role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `PUT /admin/users/{id}/password` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// The new password.
    pub password: String,
}

/// `POST /admin/users/{id}/devices` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDevice {
    /// Desk phone, softphone or mobile.
    pub kind: DeviceKind,
    /// A label for people; the server picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The device's number or SIP address; the server picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

/// A hunt group as its administrator edits it (`GET /admin/groups`); the body of `POST` (id
/// ignored) and `PUT /admin/groups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGroup {
    /// Stable id (empty in a new group's body, where it is not sent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name.
    pub name: String,
    /// The group's own extension, when it can be dialled.
    pub extension: Option<String>,
    /// Whether a call nobody answers goes to voicemail.
    pub voicemail: bool,
    /// Members in ring order: users, or users' extension lists.
    pub members: Vec<GroupMember>,
}

/// Who made an audited change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditActor {
    /// User id.
    pub id: String,
    /// Their name at the time.
    pub name: String,
}

/// One row of the audit log (`GET /admin/audit`), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increasing id; `before=<id>` pages back from it.
    pub id: i64,
    /// When, in milliseconds since 1970.
    pub at: i64,
    /// Who.
    pub actor: AuditActor,
    /// What (`user.update`, `org.add`, …).
    pub action: String,
    /// On what.
    pub target: String,
    /// A short JSON detail, without secrets.
    #[serde(default)]
    pub detail: serde_json::Value,
    /// The client address it came from.
    pub from: String,
}

/// The customer's single sign-on settings (`GET /admin/sso`; owned by the SSO work).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    /// Whether the identity provider signs users in.
    pub enabled: bool,
    /// The provider's issuer URL (discovery from `/.well-known/openid-configuration`).
    pub issuer: String,
    /// This backend's client id at the provider.
    pub client_id: String,
    /// Whether a client secret is stored (it is never sent back).
    #[serde(default)]
    pub client_secret_set: bool,
    /// Email domains whose users may sign in.
    pub allowed_domains: Vec<String>,
    /// The ID-token claim that names the user.
    pub user_claim: String,
    /// Whether password sign-in stays on.
    pub password_login: bool,
    /// Just-in-time creation of unknown users (without the CRM client permission).
    pub jit: bool,
}

/// `PUT /admin/sso` body: the settings with a write-only secret (absent: keep the stored one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoUpdate {
    /// Whether the identity provider signs users in.
    pub enabled: bool,
    /// The issuer URL.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// A new client secret; absent keeps the stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Allowed email domains.
    pub allowed_domains: Vec<String>,
    /// The claim that names the user.
    pub user_claim: String,
    /// Whether password sign-in stays on.
    pub password_login: bool,
    /// Just-in-time creation.
    pub jit: bool,
}

/// One customer of the reseller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Default country of phone numbers (ISO 3166-1 alpha-2).
    pub country: String,
    /// How many users it has.
    pub users: u32,
}

/// The reseller as its administrator sees it (`GET /admin/reseller`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Passive or active presence mode.
    pub mode: Mode,
    /// Whether user extension lists are enabled (active mode).
    pub extension_lists: bool,
    /// Its customers.
    #[serde(default)]
    pub customers: Vec<CustomerSummary>,
}

/// `PUT /admin/reseller/mode` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeUpdate {
    /// Passive or active.
    pub mode: Mode,
    /// Whether user extension lists are enabled.
    pub extension_lists: bool,
}

/// `POST /admin/reseller/customers` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// Name.
    pub name: String,
    /// Default country (ISO 3166-1 alpha-2).
    pub country: String,
}

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
    fn contract_shapes_read_the_contracts_json() {
        let u: AdminUserView = serde_json::from_str(
            r#"{"id":"bruno","name":"Bruno","email":"bruno@acme.example","extension":"102",
                "role":"user","active":true,"crm_client":true,
                "devices":[{"id":"d1","kind":"desk","label":"Desk","number":"sip:102"}]}"#,
        )
        .unwrap();
        assert_eq!(u.devices.len(), 1);
        let g: AdminGroup = serde_json::from_str(
            r#"{"id":"sales","name":"Sales","extension":null,"voicemail":false,
                "members":[{"extension_list_of":"ana"},{"user":"bruno"}]}"#,
        )
        .unwrap();
        assert_eq!(g.members[0], GroupMember::ExtensionListOf("ana".into()));
        let new = AdminGroup {
            id: String::new(),
            ..g
        };
        assert!(!json(&new).unwrap().contains("\"id\""));
        let patch = UserPatch {
            crm_client: Some(false),
            ..UserPatch::default()
        };
        assert_eq!(json(&patch).unwrap(), r#"{"crm_client":false}"#);
    }
}
