//! Single sign-on (issue 15) over HTTP: the happy path, the wrong state and the replayed code
//! against a real OpenID provider (npm `oidc-provider`, `server/tests/oidc/provider.mjs`, started
//! on loopback), and the ID-token checks against a small local provider stub that signs the tokens
//! each test asks for (expired, wrongly signed, wrong audience, wrong nonce, another issuer, a
//! rotated key).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use reqwest::header;
use serde_json::{Value, json};

use common::{Served, config_in, seed};

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `oidc-provider` running `server/tests/oidc/provider.mjs` on a free loopback port.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start(redirect_uri: &str) -> Provider {
        Provider::start_with(redirect_uri, None)
    }

    /// With `jwks_uri`, the provider also has the `private_key_jwt` client `ucclient-pkjwt`
    /// whose keys are read there.
    fn start_with(redirect_uri: &str, jwks_uri: Option<&str>) -> Provider {
        let tools = root().join(".tools");
        assert!(
            tools.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not in .tools/: run `cargo xtask setup`"
        );
        let mut child = Command::new("node")
            .arg(root().join("server/tests/oidc/provider.mjs"))
            .args(["0", redirect_uri])
            .env("UCCLIENT_TOOLS", &tools)
            .env("UCCLIENT_PKJWT_JWKS_URI", jwks_uri.unwrap_or(""))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("provider said {line:?}"))
            .to_owned();
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A served demo backend with loopback issuers allowed.
async fn served() -> (tempfile::TempDir, Served) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.sso_allow_http_loopback = true;
    seed(&config).await;
    (dir, Served::start(config).await)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(served: &Served) -> Api {
        Api {
            base: served.base.clone(),
            http: http(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn login(&self, email: &str) -> (u16, Value) {
        self.send(
            self.http
                .post(self.url("/login"))
                .json(&json!({"email": email, "password": "demo"})),
        )
        .await
    }

    async fn token(&self, email: &str) -> String {
        let (status, body) = self.login(email).await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn put_sso(&self, token: &str, settings: Value) -> (u16, Value) {
        self.send(
            self.http
                .put(self.url("/admin/sso"))
                .bearer_auth(token)
                .json(&settings),
        )
        .await
    }

    /// Starts a sign-in for `customer` from a window of `origin`.
    async fn start(&self, customer: &str, origin: &str) -> (u16, Value) {
        self.send(
            self.http
                .post(self.url("/sso/start"))
                .header(header::ORIGIN, origin)
                .json(&json!({"customer": customer})),
        )
        .await
    }

    async fn authorization_url(&self, customer: &str) -> String {
        let (status, body) = self.start(customer, &self.base).await;
        assert_eq!(status, 200, "{body}");
        body["authorization_url"].as_str().unwrap().to_owned()
    }

    /// Opens the callback URL as the popup would: the status, the message posted and the origin it
    /// is posted to (empty: nothing posted).
    async fn callback(&self, url: &str) -> (u16, Value, String) {
        let resp = self.http.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        assert_eq!(
            resp.headers()[header::CACHE_CONTROL],
            "no-store",
            "the page holds a token"
        );
        assert!(
            resp.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        let html = resp.text().await.unwrap();
        let data =
            regex::Regex::new(r#"<script type="application/json" id="result">(.*?)</script>"#)
                .unwrap()
                .captures(&html)
                .unwrap_or_else(|| panic!("no result in {html}"))[1]
                .to_owned();
        let origin = regex::Regex::new(r"var o=(.*?);")
            .unwrap()
            .captures(&html)
            .unwrap()[1]
            .to_owned();
        assert!(!html.contains("'*'") && !html.contains("\"*\""), "{html}");
        (
            status,
            serde_json::from_str(&data).unwrap(),
            serde_json::from_str::<String>(&origin).unwrap(),
        )
    }
}

/// Acme's settings for an issuer (ana, Acme's administrator, puts them).
fn acme_settings(issuer: &str) -> Value {
    json!({
        "enabled": true,
        "issuer": issuer,
        "client_id": "ucclient",
        "client_secret": "ucclient-secret",
        "allowed_domains": ["acme.example"],
        "user_claim": "email",
        "password_login": true,
        "jit": false
    })
}

/// Signs in at `oidc-provider`'s development login form as `login`, following its redirects with
/// its cookies, and answers the redirect back to UcClient (not followed).
async fn sign_in_at_provider(authorization_url: &str, login: &str, redirect_uri: &str) -> String {
    let http = http();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut url = reqwest::Url::parse(authorization_url).unwrap();
    let mut form: Option<Vec<(&str, String)>> = None;
    let form_action = regex::Regex::new(r#"<form[^>]*action="([^"]+)""#).unwrap();
    for _ in 0..12 {
        let cookie = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = match form.take() {
            Some(f) => http.post(url.clone()).form(&f),
            None => http.get(url.clone()),
        };
        let resp = request.header(header::COOKIE, cookie).send().await.unwrap();
        for c in resp.headers().get_all(header::SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        if resp.status().is_redirection() {
            let location = resp.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
            let next = url.join(&location).unwrap();
            if next.as_str().starts_with(redirect_uri) {
                return next.into();
            }
            url = next;
            continue;
        }
        let status = resp.status();
        let html = resp.text().await.unwrap();
        assert!(status.is_success(), "{status}: {html}");
        let action = form_action
            .captures(&html)
            .unwrap_or_else(|| panic!("no form in {html}"))[1]
            .to_owned();
        url = url.join(&action).unwrap();
        form = Some(if html.contains(r#"name="login""#) {
            vec![
                ("prompt", "login".into()),
                ("login", login.into()),
                ("password", "anything".into()),
            ]
        } else {
            vec![("prompt", "consent".into())]
        });
    }
    panic!("the provider never sent the browser back to UcClient");
}

/// The happy path against oidc-provider: ana signs in with Acme's provider, the page posts her
/// session to the exact origin that started the sign-in, and the token works; the code and the
/// state cannot be used again.
#[tokio::test]
async fn ana_signs_in_with_acmes_identity_provider() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let redirect = api.url("/sso/callback");
    let idp = Provider::start(&redirect);
    let admin = api.token("ana@acme.example").await;

    // Before: no single sign-on for Acme's Salesforce org.
    let discovery = |q: &str| {
        let url = api.url(&format!("/sso/discovery?{q}"));
        let http = api.http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let sf = "crm_origin=https%3A%2F%2Facme.lightning.force.com";
    assert_eq!(discovery(sf).await, json!({"password_login": true}));

    let (status, settings) = api.put_sso(&admin, acme_settings(&idp.issuer)).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["client_secret_set"], true);
    assert!(settings.get("client_secret").is_none());
    assert_eq!(settings["redirect_uri"], redirect);

    assert_eq!(
        discovery(sf).await,
        json!({"sso": {"customer": "acme", "name": "Acme"}, "password_login": true})
    );
    assert_eq!(
        discovery("email=bruno%40acme.example").await["sso"]["name"],
        "Acme"
    );
    assert_eq!(
        discovery("email=dora%40globex.example").await,
        json!({"password_login": true})
    );

    let auth = api.authorization_url("acme").await;
    let parsed = reqwest::Url::parse(&auth).unwrap();
    let q: HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert!(auth.starts_with(&idp.issuer));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], redirect);
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43);

    let back = sign_in_at_provider(&auth, "ana@acme.example", &redirect).await;
    let (status, message, origin) = api.callback(&back).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(origin, served.base, "posted to the exact opener origin");
    assert_eq!(message["login"]["user"]["email"], "ana@acme.example");
    let token = message["login"]["token"].as_str().unwrap();
    let me = api
        .send(api.http.get(api.url("/me")).bearer_auth(token))
        .await;
    assert_eq!((me.0, me.1["user"]["id"].as_str()), (200, Some("ana")));

    // The same redirect again: the attempt was used.
    let (status, message, origin) = api.callback(&back).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (400, Some("sso_state"))
    );
    assert_eq!(origin, "", "nothing is posted for an unknown attempt");

    // The code with a fresh attempt: the provider refuses it (and the PKCE verifier differs).
    let fresh = api.authorization_url("acme").await;
    let fresh_state = reqwest::Url::parse(&fresh)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let code = reqwest::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let replay = format!("{redirect}?code={code}&state={fresh_state}");
    let (status, message, origin) = api.callback(&replay).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (502, Some("sso_provider")),
        "{message}"
    );
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("invalid_grant")
    );
    assert_eq!(origin, served.base);

    // A made-up state.
    let (status, message, _) = api
        .callback(&format!("{redirect}?code=x&state=not-a-state"))
        .await;
    assert_eq!(
        (status, message["error"].as_str()),
        (400, Some("sso_state"))
    );

    served.stop().await;
}

/// Unknown users and other domains are refused with a clear sentence; just-in-time creation makes
/// the user without the crm_client permission; password sign-in switched off refuses `/login`.
#[tokio::test]
async fn unknown_users_domains_jit_and_password_login_off() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let redirect = api.url("/sso/callback");
    let idp = Provider::start(&redirect);
    let admin = api.token("ana@acme.example").await;
    assert_eq!(api.put_sso(&admin, acme_settings(&idp.issuer)).await.0, 200);

    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "zoe@acme.example", &redirect).await;
    let (status, message, origin) = api.callback(&back).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (403, Some("sso_unknown_user"))
    );
    assert_eq!(
        message["message"],
        "you signed in as zoe@acme.example, but Acme has no UcClient user with that email; ask \
         your administrator to add you"
    );
    assert_eq!(origin, served.base);

    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "eve@evil.example", &redirect).await;
    let (status, message, _) = api.callback(&back).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (403, Some("sso_domain"))
    );
    assert_eq!(
        message["message"],
        "evil.example is not one of Acme's email domains for UcClient"
    );

    // Just in time: zoe is created, without the crm_client permission.
    let mut settings = acme_settings(&idp.issuer);
    settings["jit"] = json!(true);
    settings.as_object_mut().unwrap().remove("client_secret");
    assert_eq!(api.put_sso(&admin, settings.clone()).await.0, 200);
    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "zoe@acme.example", &redirect).await;
    let (status, message, _) = api.callback(&back).await;
    assert_eq!(status, 200, "{message}");
    let token = message["login"]["token"].as_str().unwrap();
    let (_, me) = api
        .send(api.http.get(api.url("/me")).bearer_auth(token))
        .await;
    assert_eq!(me["user"]["email"], "zoe@acme.example");
    assert_eq!(me["customer"]["id"], "acme");
    assert_eq!(me["permissions"], json!([]));
    assert_ne!(me["user"]["extension"], "");

    // Any domain, just in time: Globex's dora is not made an Acme user (emails are unique).
    let mut any_domain = settings.clone();
    any_domain["allowed_domains"] = json!([]);
    assert_eq!(api.put_sso(&admin, any_domain).await.0, 200);
    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "dora@globex.example", &redirect).await;
    let (status, message, _) = api.callback(&back).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (403, Some("sso_unknown_user")),
        "{message}"
    );

    // Password sign-in off: Acme's users are refused at /login, Globex's are not.
    settings["password_login"] = json!(false);
    assert_eq!(api.put_sso(&admin, settings).await.0, 200);
    let (status, body) = api.login("bruno@acme.example").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("password_login_off"))
    );
    let wrong = api
        .send(
            api.http
                .post(api.url("/login"))
                .json(&json!({"email": "bruno@acme.example", "password": "wrong"})),
        )
        .await;
    assert_eq!(
        (wrong.0, wrong.1["error"].as_str()),
        (401, Some("invalid_credentials")),
        "a wrong password still says only that"
    );
    assert_eq!(api.login("dora@globex.example").await.0, 200);

    // A password an administrator would set now is of no use: refused, saying why.
    let (status, body) = api
        .send(
            api.http
                .put(api.url("/admin/users/bruno/password"))
                .bearer_auth(&admin)
                .json(&json!({"password": "a long new password"})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("passwords_off")),
        "{body}"
    );

    // Each settings change is one audit row naming what changed, never the secret.
    let (_, audit) = api
        .send(api.http.get(api.url("/admin/audit")).bearer_auth(&admin))
        .await;
    let puts: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sso.put")
        .collect();
    assert_eq!(puts.len(), 4, "{audit}");
    assert_eq!(puts[0]["detail"]["password_login"], false);
    assert_eq!(puts[3]["detail"]["client_secret_changed"], true);
    assert!(!audit.to_string().contains("ucclient-secret"));

    // A deactivated user is no user to the identity provider's sign-in either (even with
    // just-in-time creation on, which does not make them again).
    let (status, body) = api
        .send(
            api.http
                .patch(api.url("/admin/users/bruno"))
                .bearer_auth(&admin)
                .json(&json!({"active": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "bruno@acme.example", &redirect).await;
    let (status, message, _) = api.callback(&back).await;
    assert_eq!(
        (status, message["error"].as_str()),
        (403, Some("sso_unknown_user")),
        "{message}"
    );
    let (_, d) = api
        .send(
            api.http
                .get(api.url("/sso/discovery?email=bruno%40acme.example")),
        )
        .await;
    assert_eq!(d["password_login"], false);

    served.stop().await;
}

/// Starting from a page that is not this backend's, an operator-listed one or one of the
/// customer's CRM orgs is refused; so is a customer without single sign-on.
#[tokio::test]
async fn starts_only_from_the_customers_pages() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let admin = api.token("ana@acme.example").await;
    let (status, body) = api.start("acme", &served.base).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("sso_not_configured"))
    );
    let idp = Provider::start(&api.url("/sso/callback"));
    assert_eq!(api.put_sso(&admin, acme_settings(&idp.issuer)).await.0, 200);

    let (status, body) = api.start("acme", "https://evil.example").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("sso_origin")));
    // Globex's org is not Acme's (the demo registers Acme's Salesforce and Dynamics orgs).
    let (status, _) = api.start("acme", "https://acme.lightning.force.com").await;
    assert_eq!(status, 200);
    let (status, _) = api.start("acme", "https://acme.crm4.dynamics.com").await;
    assert_eq!(status, 200);
    let (status, _) = api.start("globex", &served.base).await;
    assert_eq!(status, 404);
    served.stop().await;
}

/// `/admin/sso`: administrators only, the secret never returned, bad settings refused with a
/// sentence, a domain claimed once.
#[tokio::test]
async fn admin_sso_settings() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let admin = api.token("ana@acme.example").await;
    let agent = api.token("bruno@acme.example").await;
    let (status, body) = api
        .send(api.http.get(api.url("/admin/sso")).bearer_auth(&agent))
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let (status, body) = api
        .send(api.http.get(api.url("/admin/sso")).bearer_auth(&admin))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["enabled"], false);
    assert_eq!(body["client_secret_set"], false);

    let bad = |change: Value| {
        let mut s = acme_settings("https://login.acme.example");
        for (k, v) in change.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    for (change, says) in [
        (json!({"issuer": "http://login.acme.example"}), "https"),
        (json!({"issuer": "ftp://x"}), "https"),
        (json!({"allowed_domains": ["not a domain"]}), "email domain"),
        (json!({"user_claim": "em ail"}), "claim"),
        (
            json!({"enabled": false, "password_login": false}),
            "password sign-in",
        ),
        (json!({"client_secret": ""}), "client secret"),
    ] {
        let (status, body) = api.put_sso(&admin, bad(change.clone())).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (422, Some("invalid_sso")),
            "{change}"
        );
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
    }
    let (status, body) = api
        .put_sso(&admin, acme_settings("https://login.acme.example"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed_domains"], json!(["acme.example"]));
    let text = serde_json::to_string(&body).unwrap();
    assert!(!text.contains("ucclient-secret"), "{text}");

    // Globex cannot claim acme.example (there is no Globex administrator in the demo: the store).
    let globex = ucclient_server::store::StoredSso {
        customer_id: "globex".into(),
        customer_name: String::new(),
        enabled: false,
        issuer: String::new(),
        client_id: String::new(),
        client_secret: None,
        allowed_domains: vec!["acme.example".into()],
        user_claim: "email".into(),
        password_login: true,
        jit: false,
        client_auth: ucclient_core::api::SsoClientAuth::ClientSecret,
    };
    assert_eq!(
        served
            .state
            .store
            .put_sso_settings(&globex, None)
            .await
            .unwrap(),
        ucclient_server::store::PutSso::DomainTaken("acme.example".into())
    );
    served.stop().await;
}

// --- token-level checks against a local provider stub ---

/// What the stub signs next, and with which key.
struct Next {
    claims: Value,
    /// Sign with the published key (true) or with another key under the same key id.
    published_key: bool,
}

/// A provider stub: discovery, a JWKS with one ES256 key (rotatable), and a token endpoint that
/// answers an ID token with the claims a test set.
struct Stub {
    issuer: String,
    next: Arc<Mutex<Option<Next>>>,
    keys: Arc<Mutex<Keys>>,
    jwks_fetches: Arc<Mutex<usize>>,
}

struct Keys {
    kid: String,
    published: (Vec<u8>, Vec<u8>),
    other: Vec<u8>,
}

fn es256_key() -> (Vec<u8>, Vec<u8>) {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

impl Stub {
    async fn start() -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let (pkcs8, public) = es256_key();
        let keys = Arc::new(Mutex::new(Keys {
            kid: "k1".into(),
            published: (pkcs8, public),
            other: es256_key().0,
        }));
        let next: Arc<Mutex<Option<Next>>> = Arc::default();
        let jwks_fetches: Arc<Mutex<usize>> = Arc::default();
        let meta = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        });
        let (k1, k2, n, f) = (
            keys.clone(),
            keys.clone(),
            next.clone(),
            jwks_fetches.clone(),
        );
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { axum::Json(meta) }),
            )
            .route(
                "/jwks",
                get(move || async move {
                    *f.lock().unwrap() += 1;
                    let k = k1.lock().unwrap();
                    let p = &k.published.1;
                    axum::Json(json!({"keys": [{
                        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": k.kid,
                        "x": b64(&p[1..33]), "y": b64(&p[33..65]),
                    }]}))
                }),
            )
            .route(
                "/token",
                post(move |body: String| async move {
                    // client_secret_post, as the discovery says.
                    assert!(body.contains("client_secret=stub-secret"), "{body}");
                    assert!(body.contains("code_verifier="), "{body}");
                    let next = n.lock().unwrap().take().expect("a test set the next token");
                    let k = k2.lock().unwrap();
                    let der = if next.published_key {
                        k.published.0.clone()
                    } else {
                        k.other.clone()
                    };
                    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                    header.kid = Some(k.kid.clone());
                    let token = jsonwebtoken::encode(
                        &header,
                        &next.claims,
                        &jsonwebtoken::EncodingKey::from_ec_der(&der),
                    )
                    .unwrap();
                    axum::Json(
                        json!({"id_token": token, "access_token": "a", "token_type": "Bearer"}),
                    )
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Stub {
            issuer,
            next,
            keys,
            jwks_fetches,
        }
    }

    fn rotate(&self) {
        let mut k = self.keys.lock().unwrap();
        k.kid = "k2".into();
        k.published = es256_key();
    }
}

/// Every ID token check refuses with a clear sentence: expired, wrongly signed, wrong audience,
/// wrong nonce, another issuer, several audiences without azp; a rotated key is fetched once.
#[tokio::test]
async fn id_tokens_failing_a_check_are_refused() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let admin = api.token("ana@acme.example").await;
    let stub = Stub::start().await;
    let mut settings = acme_settings(&stub.issuer);
    settings["client_id"] = json!("stub-client");
    settings["client_secret"] = json!("stub-secret");
    assert_eq!(api.put_sso(&admin, settings).await.0, 200);
    let redirect = api.url("/sso/callback");

    let now = chrono::Utc::now().timestamp();
    let good = |nonce: &str| {
        json!({
            "iss": stub.issuer, "sub": "ana-at-idp", "aud": "stub-client", "exp": now + 300,
            "iat": now, "nonce": nonce, "email": "ana@acme.example", "email_verified": true,
        })
    };
    // Runs one sign-in whose token the stub signs with the good claims, changed by `change`.
    let attempt = async |change: &dyn Fn(&mut Value), published_key: bool| {
        let auth = api.authorization_url("acme").await;
        let q: HashMap<_, _> = reqwest::Url::parse(&auth)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        let mut claims = good(&q["nonce"]);
        change(&mut claims);
        *stub.next.lock().unwrap() = Some(Next {
            claims,
            published_key,
        });
        api.callback(&format!("{redirect}?code=c&state={}", q["state"]))
            .await
    };

    let (status, message, _) = attempt(&|_| {}, true).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["login"]["user"]["id"], "ana");
    assert_eq!(*stub.jwks_fetches.lock().unwrap(), 1);

    /// A change to the good claims, whether the published key signs, and the check's sentence.
    type Case<'a> = (&'a dyn Fn(&mut Value), bool, &'a str);
    let cases: [Case; 7] = [
        (
            &|c| c["exp"] = json!(now - 120),
            true,
            "the ID token has expired",
        ),
        (
            &|_| {},
            false,
            "its signature does not verify with the provider's keys",
        ),
        (
            &|c| c["aud"] = json!("someone-else"),
            true,
            "the ID token is meant for another application (its audience)",
        ),
        (
            &|c| c["nonce"] = json!("another-nonce"),
            true,
            "the ID token is not for this sign-in (its nonce differs)",
        ),
        (
            &|c| c["iss"] = json!("https://evil.example"),
            true,
            "the ID token was issued by another issuer",
        ),
        (
            &|c| c["aud"] = json!(["stub-client", "other"]),
            true,
            "the ID token has several audiences and no authorized party (azp)",
        ),
        (
            &|c| c["iat"] = json!(now + 3600),
            true,
            "the ID token is issued in the future",
        ),
    ];
    for (change, published, says) in cases {
        let (status, message, _) = attempt(change, published).await;
        assert_eq!(
            (status, message["error"].as_str()),
            (401, Some("sso_token")),
            "{says}: {message}"
        );
        assert_eq!(
            message["message"],
            format!("the identity provider's answer was refused: {says}; ask your administrator")
        );
    }
    // Several audiences with the right azp pass.
    let (status, message, _) = attempt(
        &|c| {
            c["aud"] = json!(["stub-client", "other"]);
            c["azp"] = json!("stub-client");
        },
        true,
    )
    .await;
    assert_eq!(status, 200, "{message}");

    // The provider rotates its key: the unknown kid makes one refetch (after the bound).
    let before = *stub.jwks_fetches.lock().unwrap();
    stub.rotate();
    tokio::time::sleep(ucclient_server::sso::JWKS_REFETCH_AFTER).await;
    let (status, message, _) = attempt(&|_| {}, true).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(*stub.jwks_fetches.lock().unwrap(), before + 1);
    // A wrong signature under the known key id right after: refused, no other fetch.
    let (status, message, _) = attempt(&|_| {}, false).await;
    assert_eq!(status, 401, "{message}");
    assert_eq!(*stub.jwks_fetches.lock().unwrap(), before + 1);

    served.stop().await;
}

/// A sign-in attempt is taken once, and not at all once expired (the callback then says
/// `sso_state`); starting another prunes the expired ones.
#[tokio::test]
async fn attempts_are_single_use_and_expire() {
    let (_dir, served) = served().await;
    let store = &served.state.store;
    let now = chrono::Utc::now().timestamp_millis();
    let attempt = |hash: &str, expires_at_ms: i64| ucclient_server::store::SsoAttempt {
        state_hash: hash.into(),
        customer_id: "acme".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        opener_origin: "http://127.0.0.1".into(),
        expires_at_ms,
    };
    store
        .create_sso_attempt(&attempt("old", now - 1), now - 2)
        .await
        .unwrap();
    store
        .create_sso_attempt(&attempt("fresh", now + 60_000), now - 2)
        .await
        .unwrap();
    assert!(store.take_sso_attempt("old", now).await.unwrap().is_none());
    let taken = store.take_sso_attempt("fresh", now).await.unwrap().unwrap();
    assert_eq!(taken.opener_origin, "http://127.0.0.1");
    assert!(
        store
            .take_sso_attempt("fresh", now)
            .await
            .unwrap()
            .is_none()
    );
    served.stop().await;
}

// --- private_key_jwt (RFC 7523 client assertion, OIDC Core §9) ---

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged in this test process (debug and up, every crate).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .try_init();
        buf
    })
}

/// The base64 body of Acme's stored client-assertion key (to look for it anywhere).
async fn sso_key_body(served: &Served) -> (String, String) {
    let key = served.state.store.sso_key("acme").await.unwrap().unwrap();
    let body = key
        .private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    (key.kid, body)
}

/// Ana signs in through oidc-provider's `private_key_jwt` client: UcClient makes Acme's key pair
/// when the administrator switches to it, serves its public half as the JWKS the provider reads,
/// and authenticates with an RS256 client assertion; a rotation serves only the new key; the
/// private key is in no answer, audit row or log.
#[tokio::test]
async fn ana_signs_in_with_a_private_key_jwt_client() {
    logs();
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let redirect = api.url("/sso/callback");
    let jwks_url = api.url("/sso/acme/jwks.json");
    let idp = Provider::start_with(&redirect, Some(&jwks_url));
    let admin = api.token("ana@acme.example").await;
    let mut answers = String::new();

    // No key yet: nothing there.
    let (status, body) = api.send(api.http.get(&jwks_url)).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));

    let mut settings = acme_settings(&idp.issuer);
    settings.as_object_mut().unwrap().remove("client_secret");
    settings["client_id"] = json!("ucclient-pkjwt");
    settings["client_auth"] = json!("private_key_jwt");
    let (status, body) = api.put_sso(&admin, settings.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_auth"], "private_key_jwt");
    assert_eq!(body["client_secret_set"], false);
    assert_eq!(body["jwks_uri"], jwks_url.as_str());
    answers.push_str(&body.to_string());
    let (status, body) = api
        .send(api.http.get(api.url("/admin/sso")).bearer_auth(&admin))
        .await;
    assert_eq!((status, &body["jwks_uri"]), (200, &json!(jwks_url)));
    answers.push_str(&body.to_string());

    let (kid, private) = sso_key_body(&served).await;
    let resp = api.http.get(&jwks_url).send().await.unwrap();
    assert!(
        resp.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let set: Value = resp.json().await.unwrap();
    answers.push_str(&set.to_string());
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{set}");
    assert_eq!(keys[0]["kid"], kid.as_str());
    assert_eq!(
        (&keys[0]["kty"], &keys[0]["alg"]),
        (&json!("RSA"), &json!("RS256"))
    );
    for private_part in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys[0].get(private_part).is_none(), "{set}");
    }

    // The sign-in, end to end: the provider checks UcClient's assertion against that JWKS.
    let auth = api.authorization_url("acme").await;
    let back = sign_in_at_provider(&auth, "ana@acme.example", &redirect).await;
    let (status, message, origin) = api.callback(&back).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(origin, served.base);
    assert_eq!(message["login"]["user"]["email"], "ana@acme.example");
    answers.push_str(&message.to_string());

    // Saving again keeps the key; rotate_key makes a new one, and only it is served.
    let (status, _) = api.put_sso(&admin, settings.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(sso_key_body(&served).await.0, kid, "a save keeps the key");
    settings["rotate_key"] = json!(true);
    let (status, body) = api.put_sso(&admin, settings.clone()).await;
    assert_eq!(status, 200, "{body}");
    answers.push_str(&body.to_string());
    let (new_kid, new_private) = sso_key_body(&served).await;
    assert_ne!(new_kid, kid);
    assert_ne!(new_private, private);
    let (_, set) = api.send(api.http.get(&jwks_url)).await;
    answers.push_str(&set.to_string());
    let kids: Vec<&str> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_kid.as_str()], "only the new key is served");

    // Rotation only with private_key_jwt; the client secret needs a secret.
    let mut secret_auth = settings.clone();
    secret_auth["client_auth"] = json!("client_secret");
    let (status, body) = api.put_sso(&admin, secret_auth.clone()).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid_sso")));
    secret_auth.as_object_mut().unwrap().remove("rotate_key");
    let (status, body) = api.put_sso(&admin, secret_auth).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid_sso")));
    assert!(
        body["message"].as_str().unwrap().contains("client secret"),
        "{body}"
    );

    // The audit rows say how the client authenticates and when a key was made.
    let (_, audit) = api
        .send(api.http.get(api.url("/admin/audit")).bearer_auth(&admin))
        .await;
    let puts: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sso.put")
        .collect();
    assert_eq!(puts.len(), 3, "{audit}");
    let rotated: Vec<bool> = puts
        .iter()
        .map(|p| p["detail"]["key_rotated"].as_bool().unwrap())
        .collect();
    assert_eq!(rotated.iter().filter(|r| **r).count(), 2, "{audit}");
    assert!(
        puts.iter()
            .all(|p| p["detail"]["client_auth"] == "private_key_jwt")
    );
    answers.push_str(&audit.to_string());

    // No private key in any answer or log.
    for secret in [&private, &new_private] {
        assert!(
            !answers.contains(&secret[..64]),
            "a private key was answered"
        );
    }
    assert!(!answers.contains("PRIVATE KEY"));
    let log = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(
        log.contains("sso client-assertion key made"),
        "the creation is logged"
    );
    for secret in [&private, &new_private] {
        assert!(!log.contains(&secret[..64]), "a private key was logged");
    }
    assert!(!log.contains("PRIVATE KEY"));
    served.stop().await;
}

/// A provider whose discovery does not list private_key_jwt: a clear error, not a fallback to
/// the secret.
#[tokio::test]
async fn private_key_jwt_needs_a_provider_that_offers_it() {
    let (_dir, served) = served().await;
    let api = Api::new(&served);
    let admin = api.token("ana@acme.example").await;
    let stub = Stub::start().await;
    let mut settings = acme_settings(&stub.issuer);
    settings["client_id"] = json!("stub-client");
    settings["client_auth"] = json!("private_key_jwt");
    assert_eq!(api.put_sso(&admin, settings).await.0, 200);
    let auth = api.authorization_url("acme").await;
    let state = reqwest::Url::parse(&auth)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let (status, message, _) = api
        .callback(&format!(
            "{}?code=c&state={state}",
            api.url("/sso/callback")
        ))
        .await;
    assert_eq!(
        (status, message["error"].as_str()),
        (502, Some("sso_provider")),
        "{message}"
    );
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("private_key_jwt"),
        "{message}"
    );
    served.stop().await;
}
