//! Single sign-on with each customer's OpenID Connect identity provider (issue 15).
//!
//! UcClient is a confidential client using the authorization code flow with PKCE (S256), `state`
//! and `nonce`:
//! 1. [`start`]: the widget asks for a sign-in with its customer's provider; the attempt (the SHA-256
//!    of its `state`, the nonce, the PKCE verifier, the redirect URI and the exact origin of the
//!    window that opened the popup) goes to the store, so any node can finish it, with a short life.
//! 2. The popup goes to the provider's authorization endpoint and comes back to the callback.
//! 3. [`finish`]: the attempt is taken (deleted: used once), the code exchanged server-side with the
//!    client secret (`client_secret_basic`, or `_post` when the provider offers only that) or, with
//!    `private_key_jwt`, an RS256 client assertion signed with the customer's key, and the
//!    ID token checked: RS256 or ES256 signature against the provider's JWKS, `iss`, `aud` (and
//!    `azp`), `exp`/`iat` with [`LEEWAY_SECS`], `nonce`. The user is the one of the customer whose
//!    email is the configured claim's value; an unknown one is refused unless just-in-time creation
//!    is on (then created without `crm_client`). Success is a normal session, as `/login` makes.
//!
//! Discovery documents and JWKS are cached per issuer ([`Providers`]); a token signed with a key
//! the cache does not know makes one refetch of the JWKS, at most every
//! [`Providers::with_refetch_after`] (rotation without letting tokens with made-up `kid`s hammer
//! the provider). The client secret is never returned, logged or put in an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use ucclient_core::api::{
    ErrorCode, LoginResponse, SsoClientAuth, SsoCompany, SsoDiscovery, SsoSettings,
    SsoSettingsUpdate,
};

use crate::AppState;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::orgs;
use crate::store::{PutSso, SsoAttempt, SsoKey, StoredSso};

/// How long a started sign-in may take to come back.
pub const ATTEMPT_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a discovery document and a JWKS are trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(3600);
/// The default shortest time between two JWKS fetches forced by an unknown key id.
pub const JWKS_REFETCH_AFTER: Duration = Duration::from_secs(10);
/// Most issuers cached; when full the cache is dropped (each miss is two fetches).
pub const MAX_CACHED_PROVIDERS: usize = 1000;
/// Largest discovery document, JWKS or token answer read.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// How long one request to a provider may take.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Clock skew allowed on `exp` and `iat`.
pub const LEEWAY_SECS: u64 = 60;
/// Most allowed email domains per customer.
pub const MAX_DOMAINS: usize = 50;
/// Longest issuer URL.
const MAX_ISSUER: usize = 300;
/// The scopes asked for.
const SCOPES: &str = "openid email profile";
/// Where the provider sends the popup back, under the API prefix.
pub const CALLBACK_PATH: &str = "/sso/callback";
/// The `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long a client assertion is valid (OIDC Core §9 asks for a short life).
pub const ASSERTION_LIFETIME_SECS: i64 = 120;

/// Why a single sign-on was refused: each one a code and a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoFailure {
    /// The attempt is unknown, used already or expired.
    #[error(
        "this sign-in is unknown, was used already or took too long; start again from UcClient"
    )]
    State,
    /// The provider could not be reached or refused the code; says what happened.
    #[error("your company's identity provider {0}; try again, or ask your administrator")]
    Provider(String),
    /// The ID token failed a check; says which.
    #[error("the identity provider's answer was refused: {0}; ask your administrator")]
    Token(String),
    /// No UcClient user of the company for the identity.
    #[error(
        "you signed in as {who}, but {company} has no UcClient user with that email; ask your \
         administrator to add you"
    )]
    UnknownUser {
        /// The claim's value.
        who: String,
        /// The company's name.
        company: String,
    },
    /// The identity's email domain is not one the company allows.
    #[error("{domain} is not one of {company}'s email domains for UcClient")]
    Domain {
        /// The domain (empty when the claim has none).
        domain: String,
        /// The company's name.
        company: String,
    },
    /// The user cancelled, or the provider refused them (its error code).
    #[error("the sign-in was cancelled or refused at your company's identity provider ({0})")]
    Denied(String),
    /// The sign-in did not start from a page the company registered.
    #[error(
        "single sign-on can only start from UcClient in your company's registered CRM ({0} is not)"
    )]
    Origin(String),
}

impl SsoFailure {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            SsoFailure::State => StatusCode::BAD_REQUEST,
            SsoFailure::Provider(_) => StatusCode::BAD_GATEWAY,
            SsoFailure::Token(_) | SsoFailure::Denied(_) => StatusCode::UNAUTHORIZED,
            SsoFailure::UnknownUser { .. } | SsoFailure::Domain { .. } | SsoFailure::Origin(_) => {
                StatusCode::FORBIDDEN
            }
        }
    }

    /// The API's error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SsoFailure::State => ErrorCode::SsoState,
            SsoFailure::Provider(_) => ErrorCode::SsoProvider,
            SsoFailure::Token(_) => ErrorCode::SsoToken,
            SsoFailure::UnknownUser { .. } => ErrorCode::SsoUnknownUser,
            SsoFailure::Domain { .. } => ErrorCode::SsoDomain,
            SsoFailure::Denied(_) => ErrorCode::SsoDenied,
            SsoFailure::Origin(_) => ErrorCode::SsoOrigin,
        }
    }
}

impl From<SsoFailure> for ApiError {
    fn from(f: SsoFailure) -> ApiError {
        ApiError::Sso(f)
    }
}

fn token_err(s: &str) -> SsoFailure {
    SsoFailure::Token(s.to_owned())
}

/// The part of a provider's discovery document UcClient uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// Must equal the configured issuer exactly.
    pub issuer: String,
    /// Where the popup goes.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// How the client authenticates at the token endpoint (absent: `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Where the user's claims are read when the ID token leaves them out (OIDC Core §5.3).
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

struct Cached {
    meta: Arc<Metadata>,
    meta_at: Instant,
    jwks: Option<(Arc<JwkSet>, Instant)>,
}

/// The identity providers' discovery documents and keys, cached per issuer, and the HTTP client
/// that fetches them (rustls, no redirects followed, bounded time and size).
pub struct Providers {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
    refetch_after: Duration,
    allow_http_loopback: bool,
}

impl Providers {
    /// A cache with the default refetch bound; `allow_http_loopback` lets issuers on this machine
    /// use plain http (tests and the demo only).
    pub fn new(allow_http_loopback: bool) -> Providers {
        Providers::with_refetch_after(allow_http_loopback, JWKS_REFETCH_AFTER)
    }

    /// A cache whose forced JWKS refetches are at least `refetch_after` apart.
    pub fn with_refetch_after(allow_http_loopback: bool, refetch_after: Duration) -> Providers {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .user_agent("UcClient-CRM")
            .build()
            .unwrap_or_default();
        Providers {
            http,
            cache: Mutex::new(HashMap::new()),
            refetch_after,
            allow_http_loopback,
        }
    }

    /// Whether UcClient may talk to this URL: https, or http to a loopback host when allowed.
    pub fn url_allowed(&self, raw: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(raw) else {
            return false;
        };
        match url.scheme() {
            "https" => url.host().is_some(),
            "http" => self.allow_http_loopback && is_loopback(&url),
            _ => false,
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SsoFailure> {
        if !self.url_allowed(url) {
            return Err(SsoFailure::Provider(
                "has an address UcClient may not use (https is required)".into(),
            ));
        }
        let response = self.http.get(url).send().await.map_err(|e| {
            tracing::warn!(%url, error = %e, "sso: provider unreachable");
            SsoFailure::Provider("could not be reached".into())
        })?;
        if !response.status().is_success() {
            tracing::warn!(%url, status = %response.status(), "sso: provider document refused");
            return Err(SsoFailure::Provider(format!(
                "answered {} for {url}",
                response.status().as_u16()
            )));
        }
        let bytes = read_bounded(response).await?;
        serde_json::from_slice(&bytes).map_err(|_| {
            SsoFailure::Provider(format!("sent a document UcClient cannot read ({url})"))
        })
    }

    /// The issuer's discovery document (cached for [`CACHE_TTL`]).
    pub async fn metadata(&self, issuer: &str) -> Result<Arc<Metadata>, SsoFailure> {
        if let Some(c) = self.lock().get(issuer)
            && c.meta_at.elapsed() < CACHE_TTL
        {
            return Ok(c.meta.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let meta: Metadata = self.get_json(&url).await?;
        if meta.issuer != issuer {
            return Err(SsoFailure::Provider(format!(
                "names itself {} in its discovery document, not {issuer}",
                meta.issuer
            )));
        }
        for endpoint in [
            Some(&meta.authorization_endpoint),
            Some(&meta.token_endpoint),
            Some(&meta.jwks_uri),
            meta.userinfo_endpoint.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if !self.url_allowed(endpoint) {
                return Err(SsoFailure::Provider(
                    "publishes an endpoint UcClient may not use (https is required)".into(),
                ));
            }
        }
        let meta = Arc::new(meta);
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED_PROVIDERS {
            cache.clear();
        }
        cache.insert(
            issuer.to_owned(),
            Cached {
                meta: meta.clone(),
                meta_at: Instant::now(),
                jwks: None,
            },
        );
        Ok(meta)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The issuer's keys: cached ones while fresh; with `unknown_kid`, refetched unless they were
    /// fetched less than the refetch bound ago.
    async fn jwks(
        &self,
        issuer: &str,
        meta: &Metadata,
        unknown_kid: bool,
    ) -> Result<Arc<JwkSet>, SsoFailure> {
        if let Some(Cached {
            jwks: Some((set, at)),
            ..
        }) = self.lock().get(issuer)
        {
            let fresh = at.elapsed() < CACHE_TTL;
            let too_soon = at.elapsed() < self.refetch_after;
            if (fresh && !unknown_kid) || too_soon {
                return Ok(set.clone());
            }
        }
        let set: JwkSet = self.get_json(&meta.jwks_uri).await?;
        let set = Arc::new(set);
        if let Some(c) = self.lock().get_mut(issuer) {
            c.jwks = Some((set.clone(), Instant::now()));
        }
        tracing::info!(%issuer, keys = set.keys.len(), "sso: provider keys fetched");
        Ok(set)
    }

    /// The key that signed a token with this header.
    async fn key(
        &self,
        issuer: &str,
        meta: &Metadata,
        header: &jsonwebtoken::Header,
    ) -> Result<DecodingKey, SsoFailure> {
        let pick = |set: &JwkSet| -> Option<Jwk> {
            let usable = |k: &&Jwk| {
                k.common
                    .public_key_use
                    .as_ref()
                    .is_none_or(|u| *u == jsonwebtoken::jwk::PublicKeyUse::Signature)
                    && matches!(
                        (&k.algorithm, header.alg),
                        (
                            jsonwebtoken::jwk::AlgorithmParameters::RSA(_),
                            Algorithm::RS256
                        ) | (
                            jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_),
                            Algorithm::ES256
                        )
                    )
            };
            match &header.kid {
                Some(kid) => set
                    .keys
                    .iter()
                    .filter(usable)
                    .find(|k| k.common.key_id.as_deref() == Some(kid.as_str()))
                    .cloned(),
                None => {
                    let mut candidates = set.keys.iter().filter(usable);
                    let first = candidates.next()?;
                    candidates.next().is_none().then(|| first.clone())
                }
            }
        };
        let set = self.jwks(issuer, meta, false).await?;
        let jwk = match pick(&set) {
            Some(k) => k,
            None => {
                let set = self.jwks(issuer, meta, true).await?;
                pick(&set).ok_or_else(|| {
                    token_err("it is signed with a key the identity provider does not publish")
                })?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| {
            SsoFailure::Provider("publishes a signing key UcClient cannot read".into())
        })
    }

    /// Exchanges the code at the token endpoint, authenticating as the client (the client secret,
    /// or with `private_key_jwt` an assertion signed with `key`): the ID token, and the access
    /// token when there is one (for the userinfo endpoint).
    pub async fn exchange(
        &self,
        meta: &Metadata,
        settings: &StoredSso,
        key: Option<&SsoKey>,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<(String, Option<String>), SsoFailure> {
        let methods = meta
            .token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| vec!["client_secret_basic".into()]);
        let secret = settings.client_secret.clone().unwrap_or_default();
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        let mut request = self.http.post(&meta.token_endpoint);
        if settings.client_auth == SsoClientAuth::PrivateKeyJwt {
            if !methods.iter().any(|m| m == "private_key_jwt") {
                return Err(SsoFailure::Provider(
                    "does not offer private_key_jwt client authentication (its discovery \
                     document does not list it); switch to the client secret"
                        .into(),
                ));
            }
            let key = key.ok_or_else(|| {
                SsoFailure::Provider("cannot be used: UcClient has no key for it yet".into())
            })?;
            let assertion = client_assertion(
                &settings.client_id,
                &meta.token_endpoint,
                key,
                chrono::Utc::now().timestamp(),
            )?;
            form.push(("client_id", settings.client_id.clone()));
            form.push(("client_assertion_type", JWT_BEARER.to_owned()));
            form.push(("client_assertion", assertion));
        } else if methods.iter().any(|m| m == "client_secret_basic") {
            // RFC 6749 §2.3.1: both form-urlencoded before the Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(enc(&settings.client_id), Some(enc(&secret)));
        } else if methods.iter().any(|m| m == "client_secret_post") {
            form.push(("client_id", settings.client_id.clone()));
            form.push(("client_secret", secret));
        } else {
            return Err(SsoFailure::Provider(
                "offers neither client_secret_basic nor client_secret_post".into(),
            ));
        }
        let response = request
            .header(header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "sso: token endpoint unreachable");
                SsoFailure::Provider("could not be reached".into())
            })?;
        let status = response.status();
        let bytes = read_bounded(response).await?;
        let body: Map<String, Value> = serde_json::from_slice(&bytes).unwrap_or_default();
        if !status.is_success() {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error code")
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect::<String>();
            tracing::info!(%status, %error, "sso: code refused by the provider");
            return Err(SsoFailure::Provider(format!("refused the code ({error})")));
        }
        let id_token = body
            .get("id_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SsoFailure::Provider("sent no ID token".into()))?;
        let access_token = body
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((id_token, access_token))
    }

    /// The userinfo endpoint's claims for the access token, only if they are about the ID token's
    /// subject (OIDC Core §5.3.2).
    pub async fn userinfo(
        &self,
        meta: &Metadata,
        access_token: &str,
        sub: &str,
    ) -> Result<Map<String, Value>, SsoFailure> {
        let Some(url) = meta.userinfo_endpoint.as_deref() else {
            return Ok(Map::new());
        };
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|_| SsoFailure::Provider("could not be reached".into()))?;
        if !response.status().is_success() {
            return Err(SsoFailure::Provider(format!(
                "refused the user's claims ({})",
                response.status().as_u16()
            )));
        }
        let bytes = read_bounded(response).await?;
        let claims: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|_| SsoFailure::Provider("sent user claims UcClient cannot read".into()))?;
        if claims.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(token_err("the user's claims are about another subject"));
        }
        Ok(claims)
    }

    /// Checks an ID token: signature against the issuer's keys (RS256 or ES256), `iss`, `aud`
    /// (and `azp` when present or when there are several audiences), `exp` and `iat` with
    /// [`LEEWAY_SECS`], and `nonce`. Its claims when it passes.
    pub async fn verify(
        &self,
        issuer: &str,
        meta: &Metadata,
        client_id: &str,
        nonce: &str,
        token: &str,
    ) -> Result<Map<String, Value>, SsoFailure> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| token_err("it is not a signed JWT"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(SsoFailure::Token(format!(
                "it is signed with {:?}; UcClient accepts RS256 and ES256",
                header.alg
            )));
        }
        let key = self.key(issuer, meta, &header).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                token_err(match e.kind() {
                    K::InvalidSignature => "its signature does not verify with the provider's keys",
                    K::ExpiredSignature => "the ID token has expired",
                    K::ImmatureSignature => "the ID token is not valid yet",
                    K::InvalidIssuer => "the ID token was issued by another issuer",
                    K::InvalidAudience => {
                        "the ID token is meant for another application (its audience)"
                    }
                    K::MissingRequiredClaim(_) => "the ID token lacks a required claim",
                    _ => "it is not a valid ID token",
                })
            })?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        match claims.get("iat").and_then(Value::as_i64) {
            Some(iat) if iat <= now + LEEWAY_SECS as i64 => {}
            Some(_) => return Err(token_err("the ID token is issued in the future")),
            None => return Err(token_err("the ID token has no issue time (iat)")),
        }
        let several_audiences = claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1);
        match claims.get("azp").and_then(Value::as_str) {
            Some(azp) if azp != client_id => {
                return Err(token_err(
                    "the ID token was issued to another application (azp)",
                ));
            }
            None if several_audiences => {
                return Err(token_err(
                    "the ID token has several audiences and no authorized party (azp)",
                ));
            }
            _ => {}
        }
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(token_err(
                "the ID token is not for this sign-in (its nonce differs)",
            ));
        }
        Ok(claims)
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, SsoFailure> {
    let too_big = || SsoFailure::Provider("sent an answer too large to read".into());
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_DOCUMENT_BYTES)
    {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return Err(too_big());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(_) => return Err(SsoFailure::Provider("broke off its answer".into())),
        }
    }
}

/// This backend's public origin: `--public-url`'s, else `http(s)://<Host>` (http only for a
/// loopback host). The redirect URI and the widget's own origin derive from it.
pub fn public_origin(state: &AppState, headers: &HeaderMap) -> Option<String> {
    origin_of(state.config.public_url.as_deref(), headers)
}

/// This backend's public origin from `--public-url` (`public_url`), else from the request's `Host`
/// (http only for a loopback host); only the characters [`orgs::normalise_origin`] lets through.
pub fn origin_of(public_url: Option<&str>, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = public_url {
        return orgs::normalise_origin(url);
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let http = reqwest::Url::parse(&format!("http://{host}")).ok()?;
    let scheme = if is_loopback(&http) { "http" } else { "https" };
    orgs::normalise_origin(&format!("{scheme}://{host}"))
}

/// The redirect URI of this backend (what a customer registers at its provider).
pub fn redirect_uri(state: &AppState, headers: &HeaderMap) -> String {
    let origin = public_origin(state, headers).unwrap_or_default();
    format!("{origin}{}{CALLBACK_PATH}", ucclient_core::api::API_PREFIX)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether the settings let users sign in: on, with a client secret or `private_key_jwt`.
fn usable(s: &StoredSso) -> bool {
    s.enabled && (s.client_secret.is_some() || s.client_auth == SsoClientAuth::PrivateKeyJwt)
}

/// The URL of the customer's public key set for `private_key_jwt` (what the admin registers at
/// the provider as the client's `jwks_uri`).
pub fn jwks_uri(state: &AppState, headers: &HeaderMap, customer: &str) -> String {
    let origin = public_origin(state, headers).unwrap_or_default();
    let customer: String = url::form_urlencoded::byte_serialize(customer.as_bytes()).collect();
    format!(
        "{origin}{}/sso/{customer}/jwks.json",
        ucclient_core::api::API_PREFIX
    )
}

/// The RS256 client assertion of `private_key_jwt` (RFC 7523 §3, OIDC Core §9): `iss` and `sub`
/// the client id, `aud` the token endpoint, a random `jti`, issued `now_secs` and valid
/// [`ASSERTION_LIFETIME_SECS`], the key's `kid` in the header.
pub fn client_assertion(
    client_id: &str,
    token_endpoint: &str,
    key: &SsoKey,
    now_secs: i64,
) -> Result<String, SsoFailure> {
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "jti": auth::new_secret(),
        "iat": now_secs,
        "exp": now_secs + ASSERTION_LIFETIME_SECS,
    });
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes())
        .map_err(|_| SsoFailure::Provider("cannot be used: UcClient's key is unusable".into()))?;
    jsonwebtoken::encode(&header, &claims, &signing).map_err(|_| {
        SsoFailure::Provider("cannot be used: signing the client assertion failed".into())
    })
}

/// A new `private_key_jwt` key pair (RSA-2048, a random `kid`), made off the async threads.
pub async fn new_key() -> ApiResult<SsoKey> {
    let (pem, kid) = tokio::task::spawn_blocking(|| {
        crate::rsa_key::new_key().map(|(_, pem)| (pem, auth::new_id()))
    })
    .await
    .map_err(|_| ApiError::Internal("key task failed".into()))?
    .map_err(|e| ApiError::Internal(format!("sso key: {e}")))?;
    Ok(SsoKey {
        kid,
        private_key_pem: pem,
        created_ms: chrono::Utc::now().timestamp_millis(),
    })
}

/// The customer's public key set (RFC 7517): its one current key (`None`: it has no key).
pub async fn jwks(state: &AppState, customer: &str) -> ApiResult<Option<Value>> {
    let Some(k) = state.store.sso_key(customer).await? else {
        return Ok(None);
    };
    let jwk = crate::rsa_key::public_jwk(&k.private_key_pem, &k.kid)
        .map_err(|e| ApiError::Internal(format!("sso key: {e}")))?;
    Ok(Some(serde_json::json!({ "keys": [jwk] })))
}

/// The enabled settings of a customer, or `sso_not_configured`.
async fn enabled(state: &AppState, customer: &str) -> ApiResult<StoredSso> {
    match state.store.sso_settings(customer).await? {
        Some(s) if usable(&s) => Ok(s),
        _ => Err(ApiError::SsoNotConfigured),
    }
}

/// Whether the company's users may sign in with a password (false only when it turned single
/// sign-on on and password sign-in off).
pub async fn password_login_allowed(state: &AppState, customer: &str) -> ApiResult<bool> {
    Ok(match state.store.sso_settings(customer).await? {
        Some(s) => !s.enabled || s.password_login,
        None => true,
    })
}

/// What the widget needs before the click: the company with single sign-on for the CRM org it
/// runs in (the request's `Origin`, or `crm_origin` for the hosted pages) or else for the email's
/// domain, and whether the password form shows.
pub async fn discover(
    state: &AppState,
    origins: &[String],
    email: Option<&str>,
) -> ApiResult<SsoDiscovery> {
    let mut customer = None;
    for origin in origins {
        if let Some(owner) = state.orgs.owner_of_origin(origin).await {
            customer = Some(owner);
            break;
        }
    }
    if customer.is_none()
        && let Some((_, domain)) = email.and_then(|e| e.trim().rsplit_once('@'))
        && !domain.is_empty()
        && domain.len() <= 253
    {
        customer = state.store.sso_customer_by_domain(domain).await?;
    }
    let Some(customer) = customer else {
        return Ok(SsoDiscovery {
            sso: None,
            password_login: true,
        });
    };
    Ok(match state.store.sso_settings(&customer).await? {
        Some(s) if usable(&s) => SsoDiscovery {
            sso: Some(SsoCompany {
                customer: s.customer_id.clone(),
                name: s.customer_name.clone(),
            }),
            password_login: s.password_login,
        },
        _ => SsoDiscovery {
            sso: None,
            password_login: true,
        },
    })
}

/// Starts a sign-in for `customer` from the window of `opener_origin` (the request's `Origin`,
/// which must be this backend's, an operator-listed one or one of the customer's CRM orgs):
/// stores the attempt and answers the provider's authorization URL.
pub async fn start(
    state: &AppState,
    headers: &HeaderMap,
    customer: &str,
    opener_origin: Option<&str>,
) -> ApiResult<String> {
    let settings = enabled(state, customer).await?;
    let opener = opener_origin
        .and_then(orgs::normalise_origin)
        .ok_or_else(|| SsoFailure::Origin("a page without an origin".into()))?;
    let own = public_origin(state, headers);
    let allowed = own.as_deref() == Some(opener.as_str())
        || crate::cors::listed(&crate::cors::patterns(&state.config.cors_origins), &opener)
        || state.orgs.owner_of_origin(&opener).await.as_deref() == Some(customer);
    if !allowed {
        tracing::info!(%customer, origin = %opener, "sso start refused: origin not the customer's");
        return Err(SsoFailure::Origin(opener).into());
    }
    let meta = state.sso.metadata(&settings.issuer).await?;
    let state_value = auth::new_secret();
    let nonce = auth::new_secret();
    let verifier = auth::new_secret();
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let redirect = redirect_uri(state, headers);
    let now = chrono::Utc::now().timestamp_millis();
    state
        .store
        .create_sso_attempt(
            &SsoAttempt {
                state_hash: auth::digest(&state_value),
                customer_id: customer.to_owned(),
                nonce: nonce.clone(),
                pkce_verifier: verifier,
                redirect_uri: redirect.clone(),
                opener_origin: opener,
                expires_at_ms: now + ATTEMPT_TTL_MS,
            },
            now,
        )
        .await?;
    let mut url = reqwest::Url::parse(&meta.authorization_endpoint).map_err(|_| {
        SsoFailure::Provider("publishes an authorization endpoint that is not a URL".into())
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", SCOPES)
        .append_pair("state", &state_value)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    tracing::info!(%customer, "sso: sign-in started");
    Ok(url.into())
}

/// The query of the provider's redirect back.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The attempt's state.
    pub state: Option<String>,
    /// The provider's error code (the user cancelled, …).
    pub error: Option<String>,
    /// The issuer (RFC 9207), when the provider says it.
    pub iss: Option<String>,
}

/// Finishes a sign-in from the provider's redirect: the opener's origin (when the attempt was
/// known, so the page may answer it) and the session or why not.
pub async fn finish(state: &AppState, q: &Callback) -> (Option<String>, ApiResult<LoginResponse>) {
    let now = chrono::Utc::now().timestamp_millis();
    let Some(state_value) = q
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 128)
    else {
        return (None, Err(SsoFailure::State.into()));
    };
    let attempt = match state
        .store
        .take_sso_attempt(&auth::digest(state_value), now)
        .await
    {
        Ok(Some(a)) => a,
        Ok(None) => {
            tracing::info!("sso: callback with an unknown, used or expired state");
            return (None, Err(SsoFailure::State.into()));
        }
        Err(e) => return (None, Err(e.into())),
    };
    let opener = attempt.opener_origin.clone();
    let result = complete(state, &attempt, q).await;
    match &result {
        Ok(r) => tracing::info!(user = %r.user.id, customer = %attempt.customer_id, "sso login"),
        Err(e) => tracing::info!(customer = %attempt.customer_id, error = %e, "sso login refused"),
    }
    (Some(opener), result)
}

async fn complete(
    state: &AppState,
    attempt: &SsoAttempt,
    q: &Callback,
) -> ApiResult<LoginResponse> {
    let settings = enabled(state, &attempt.customer_id).await?;
    if let Some(error) = &q.error {
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        return Err(SsoFailure::Denied(error).into());
    }
    if q.iss.as_deref().is_some_and(|iss| iss != settings.issuer) {
        return Err(token_err("the answer came from another issuer").into());
    }
    let code = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| SsoFailure::Provider("sent no code".into()))?;
    let meta = state.sso.metadata(&settings.issuer).await?;
    let key = match settings.client_auth {
        SsoClientAuth::PrivateKeyJwt => state.store.sso_key(&attempt.customer_id).await?,
        SsoClientAuth::ClientSecret => None,
    };
    let (id_token, access_token) = state
        .sso
        .exchange(
            &meta,
            &settings,
            key.as_ref(),
            code,
            &attempt.pkce_verifier,
            &attempt.redirect_uri,
        )
        .await?;
    let mut claims = state
        .sso
        .verify(
            &settings.issuer,
            &meta,
            &settings.client_id,
            &attempt.nonce,
            &id_token,
        )
        .await?;
    // A provider may leave the scopes' claims to its userinfo endpoint (OIDC Core §5.4): read them
    // there, for the token's own subject; the ID token's claims win.
    if !claims.contains_key(&settings.user_claim)
        && let Some(access) = access_token.as_deref()
    {
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for (k, v) in state.sso.userinfo(&meta, access, &sub).await? {
            claims.entry(k).or_insert(v);
        }
    }
    let who = claims
        .get(&settings.user_claim)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty() && s.len() <= 254)
        .ok_or_else(|| {
            SsoFailure::Token(format!(
                "the ID token has no {} claim naming the user",
                settings.user_claim
            ))
        })?;
    if settings.user_claim == "email"
        && claims.get("email_verified").and_then(Value::as_bool) == Some(false)
    {
        return Err(token_err("the identity provider has not verified the email").into());
    }
    let domain = who.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    if !settings.allowed_domains.is_empty()
        && !settings
            .allowed_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    {
        return Err(SsoFailure::Domain {
            domain: domain.to_owned(),
            company: settings.customer_name.clone(),
        }
        .into());
    }
    let user_id = match state.store.sso_user(&attempt.customer_id, &who).await? {
        Some(id) => id,
        None if settings.jit && domain.contains('.') => {
            let name = claims
                .get("name")
                .and_then(Value::as_str)
                .map(|n| n.trim().chars().take(100).collect::<String>())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| who.split('@').next().unwrap_or(&who).to_owned());
            let id = match state
                .store
                .create_sso_user(&attempt.customer_id, &name, &who)
                .await
            {
                Ok(id) => id,
                // The email is another company's user's (emails are unique across customers).
                Err(crate::store::StoreError::Conflict(_)) => {
                    return Err(SsoFailure::UnknownUser {
                        who,
                        company: settings.customer_name.clone(),
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            };
            tracing::info!(user = %id, customer = %attempt.customer_id, "sso: user created just in time");
            id
        }
        None => {
            return Err(SsoFailure::UnknownUser {
                who,
                company: settings.customer_name.clone(),
            }
            .into());
        }
    };
    let account = state
        .store
        .account(&user_id)
        .await?
        .ok_or_else(|| ApiError::Internal("sso user gone".into()))?;
    crate::api::account::issue_session(state, &user_id, account.user).await
}

/// The settings as `GET /admin/sso` shows them (the secret only as whether it is set).
pub fn to_wire(
    s: Option<&StoredSso>,
    redirect_uri: String,
    jwks_uri: Option<String>,
) -> SsoSettings {
    match s {
        Some(s) => SsoSettings {
            enabled: s.enabled,
            issuer: s.issuer.clone(),
            client_id: s.client_id.clone(),
            client_secret_set: s.client_secret.is_some(),
            allowed_domains: s.allowed_domains.clone(),
            user_claim: s.user_claim.clone(),
            password_login: s.password_login,
            jit: s.jit,
            redirect_uri,
            client_auth: s.client_auth,
            jwks_uri,
        },
        None => SsoSettings {
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret_set: false,
            allowed_domains: Vec::new(),
            user_claim: "email".into(),
            password_login: true,
            jit: false,
            redirect_uri,
            client_auth: SsoClientAuth::ClientSecret,
            jwks_uri,
        },
    }
}

fn invalid(s: &str) -> ApiError {
    ApiError::InvalidSso(s.to_owned())
}

/// Checks an update and turns it into what the store keeps: `Some(secret)` replaces the stored
/// secret (an empty one clears it), `None` keeps it.
pub fn check_update(
    providers: &Providers,
    customer_id: &str,
    current: Option<&StoredSso>,
    u: &SsoSettingsUpdate,
) -> ApiResult<(StoredSso, Option<Option<String>>)> {
    let issuer = u.issuer.trim().to_owned();
    let client_id = u.client_id.trim().to_owned();
    let control = |s: &str| s.chars().any(char::is_control);
    if issuer.len() > MAX_ISSUER
        || (!issuer.is_empty() && (!providers.url_allowed(&issuer) || issuer.contains(['?', '#'])))
    {
        return Err(invalid(
            "the issuer must be an https URL (no query or fragment) of at most 300 characters",
        ));
    }
    if client_id.len() > 255 || control(&client_id) {
        return Err(invalid(
            "the client id must be at most 255 characters, without control characters",
        ));
    }
    let secret = match u.client_secret.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(s) if s.len() <= 1024 && !control(s) => Some(Some(s.to_owned())),
        Some(_) => {
            return Err(invalid(
                "the client secret must be at most 1024 characters, without control characters",
            ));
        }
    };
    let secret_set = match &secret {
        Some(s) => s.is_some(),
        None => current.is_some_and(|c| c.client_secret.is_some()),
    };
    if u.user_claim.is_empty()
        || u.user_claim.len() > 64
        || !u
            .user_claim
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        return Err(invalid(
            "the user claim must be a claim name such as email or preferred_username",
        ));
    }
    if u.allowed_domains.len() > MAX_DOMAINS {
        return Err(invalid("at most 50 email domains"));
    }
    let mut domains: Vec<String> = Vec::new();
    for d in &u.allowed_domains {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        let ok = d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(ApiError::InvalidSso(format!(
                "{} is not an email domain such as acme.example",
                d.chars().take(60).collect::<String>()
            )));
        }
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let pkjwt = u.client_auth == SsoClientAuth::PrivateKeyJwt;
    if u.enabled && (issuer.is_empty() || client_id.is_empty()) {
        return Err(invalid("single sign-on needs the issuer and the client id"));
    }
    if u.enabled && !pkjwt && !secret_set {
        return Err(invalid(
            "single sign-on with client secret authentication needs the client secret",
        ));
    }
    if u.rotate_key && !pkjwt {
        return Err(invalid(
            "the key can only be rotated with private_key_jwt client authentication",
        ));
    }
    if !u.password_login && !u.enabled {
        return Err(invalid(
            "password sign-in can only be switched off while single sign-on is on",
        ));
    }
    Ok((
        StoredSso {
            customer_id: customer_id.to_owned(),
            customer_name: String::new(),
            enabled: u.enabled,
            issuer,
            client_id,
            client_secret: None,
            allowed_domains: domains,
            user_claim: u.user_claim.clone(),
            password_login: u.password_login,
            jit: u.jit,
            client_auth: u.client_auth,
        },
        secret,
    ))
}

/// Stores checked settings; a domain another company claimed is refused.
pub async fn put(
    state: &AppState,
    settings: &StoredSso,
    secret: Option<Option<String>>,
) -> ApiResult<()> {
    // The issuer's cached documents are dropped so a corrected issuer is read afresh.
    state.sso.forget(&settings.issuer);
    match state
        .store
        .put_sso_settings(settings, secret.as_ref())
        .await?
    {
        PutSso::Done => Ok(()),
        PutSso::DomainTaken(d) => Err(ApiError::InvalidSso(format!(
            "{d} is already an email domain of another company"
        ))),
        PutSso::UnknownCustomer => Err(ApiError::Internal("customer gone".into())),
    }
}

impl Providers {
    /// Drops what is cached about an issuer.
    pub fn forget(&self, issuer: &str) {
        self.lock().remove(issuer);
    }
}

/// The demo's single sign-on for Acme: `issuer` with client `ucclient` / `ucclient-secret`, domain
/// acme.example, passwords still allowed (`ucclient-server demo --sso-issuer`), in the database
/// `--database` names (either engine).
pub async fn demo_settings(database: &std::path::Path, issuer: &str) -> anyhow::Result<()> {
    let engine = crate::store::engine::Engine::open_default(database).await?;
    let store = engine.store();
    let settings = StoredSso {
        customer_id: "acme".into(),
        customer_name: String::new(),
        enabled: true,
        issuer: issuer.to_owned(),
        client_id: "ucclient".into(),
        client_secret: None,
        allowed_domains: vec!["acme.example".into()],
        user_claim: "email".into(),
        password_login: true,
        jit: false,
        client_auth: SsoClientAuth::ClientSecret,
    };
    let done = store
        .put_sso_settings(&settings, Some(&Some("ucclient-secret".into())))
        .await;
    engine.close().await;
    anyhow::ensure!(
        done? == PutSso::Done,
        "the demo's single sign-on was not stored"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The assertion as OIDC Core §9 wants it: RS256 with the JWKS's kid, iss = sub = client id,
    /// aud = the token endpoint, a random jti, a life of at most 5 minutes.
    #[test]
    fn the_client_assertion_is_rfc_7523s() {
        let (_, pem) = crate::rsa_key::new_key().unwrap();
        let key = SsoKey {
            kid: "k1".into(),
            private_key_pem: pem.clone(),
            created_ms: 0,
        };
        let now = chrono::Utc::now().timestamp();
        let endpoint = "https://idp.acme.example/token";
        let a = client_assertion("ucclient", endpoint, &key, now).unwrap();
        let b = client_assertion("ucclient", endpoint, &key, now).unwrap();
        let header = jsonwebtoken::decode_header(&a).unwrap();
        assert_eq!(
            (header.alg, header.kid.as_deref()),
            (Algorithm::RS256, Some("k1"))
        );
        let jwk: Jwk =
            serde_json::from_value(crate::rsa_key::public_jwk(&pem, "k1").unwrap()).unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&[endpoint]);
        v.set_issuer(&["ucclient"]);
        let claims = jsonwebtoken::decode::<Value>(&a, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
            .unwrap()
            .claims;
        assert_eq!(claims["sub"], "ucclient");
        assert_eq!(claims["iat"], now);
        let exp = claims["exp"].as_i64().unwrap();
        assert!(exp > now && exp - now <= 300);
        let other = jsonwebtoken::decode::<Value>(&b, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
            .unwrap()
            .claims;
        assert!(claims["jti"].as_str().unwrap().len() >= 32);
        assert_ne!(
            claims["jti"], other["jti"],
            "each assertion has its own jti"
        );
    }
}
