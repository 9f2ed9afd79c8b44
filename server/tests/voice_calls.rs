//! Salesforce Voice, server side (issue 14): the VoiceCall record of an inbound call, created
//! through a local fake of the org's SCRT endpoint written from Salesforce's published contract
//! (`POST /telephony/v1/voiceCalls`, `PATCH /telephony/v1/voiceCalls/{id}`, an RS256 Bearer JWT
//! with `iss` = org id, `sub` = call center API name, `aud` = `https://scrt.salesforce.com`, `exp`
//! within 3 minutes). The fake verifies the token with the PUBLIC key of the certificate the
//! `voice` admin command printed — as Salesforce does with the certificate uploaded to the contact
//! center — and answers like Salesforce (`{"voiceCallId": …}`).
//!
//! Also: the `voice` admin commands, a refused (rotated) key, the fake being down or slow, and
//! that the private key appears in no log and no answer.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{patch, post};
use common::TestApp;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use ucclient_server::voice::ScrtClaims;
use x509_cert::der::DecodePem;

const BIN: &str = env!("CARGO_BIN_EXE_ucclient-server");
const ORG: &str = "00D5g000004ABCDEAA";
const CALL_CENTER: &str = "UcClientContactCenter";
const VOICE_CALL_ID: &str = "0LQ5g000000ABCDGA0";

// --- What every test's process logs, to look for secrets in ---

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
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
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink(buf.clone());
        tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .init();
        buf
    })
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

// --- The admin command ---

fn voice_cmd(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("voice")
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn voice_ok(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = voice_cmd(db, args);
    assert!(ok, "voice {args:?}: {err}");
    assert_no_secret(&out, "stdout");
    assert_no_secret(&err, "stderr");
    out
}

fn assert_no_secret(text: &str, what: &str) {
    assert!(!text.contains("PRIVATE KEY"), "{what} holds a private key");
}

/// The public key of a certificate (PEM), as a JWT verifier takes it.
fn public_key(cert_pem: &str) -> DecodingKey {
    let cert = x509_cert::Certificate::from_pem(cert_pem.as_bytes()).expect("an X.509 PEM");
    let spki = &cert.tbs_certificate.subject_public_key_info;
    // rsaEncryption
    assert_eq!(spki.algorithm.oid.to_string(), "1.2.840.113549.1.1.1");
    DecodingKey::from_rsa_der(spki.subject_public_key.raw_bytes())
}

/// The base64 body of the stored private key (to look for it anywhere).
async fn private_key_body(app: &TestApp) -> String {
    let key = app.state.store.voice_key("acme").await.unwrap().unwrap();
    key.private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("")
}

// --- The fake SCRT endpoint ---

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Answers like Salesforce.
    Ok,
    /// 503 to the first request, then like Salesforce.
    FailFirst,
    /// Answers after 30 s.
    Slow,
    /// Answers like Salesforce after 0.5 s.
    Late,
}

/// A request the fake saw: method, path, JSON body, and its verdict.
type Seen = (String, String, Value, Result<(), String>);

struct Fake {
    key: DecodingKey,
    mode: Mode,
    /// Every request.
    seen: Mutex<Vec<Seen>>,
}

#[derive(Clone)]
struct Scrt(Arc<Fake>);

impl Scrt {
    async fn start(cert_pem: &str, mode: Mode) -> (Scrt, SocketAddr) {
        let fake = Scrt(Arc::new(Fake {
            key: public_key(cert_pem),
            mode,
            seen: Mutex::new(Vec::new()),
        }));
        let app = Router::new()
            .route("/telephony/v1/voiceCalls", post(create))
            .route("/telephony/v1/voiceCalls/{id}", patch(update))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (fake, addr)
    }

    fn seen(&self) -> Vec<(String, String, Value, Result<(), String>)> {
        self.0.seen.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<(String, String, Value, Result<(), String>)> {
        for _ in 0..200 {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the fake got {} requests, not {n}", self.seen().len());
    }
}

/// The headers and token every Telephony Integration REST API request carries
/// (`voice_rest_voicecalls_create.htm`, `voice_rest_authorization.htm`).
fn check_auth(fake: &Fake, headers: &HeaderMap) -> Result<ScrtClaims, String> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(format!("content-type {ct}"));
    }
    if headers
        .get("telephony-provider-name")
        .is_none_or(|v| v.is_empty())
    {
        return Err("no Telephony-Provider-Name".into());
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&["https://scrt.salesforce.com"]);
    v.set_issuer(&[ORG]);
    v.sub = Some(CALL_CENTER.into());
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud", "iat"]);
    v.leeway = 0;
    let data = jsonwebtoken::decode::<ScrtClaims>(token, &fake.key, &v)
        .map_err(|e| format!("token refused: {e}"))?;
    let c = data.claims;
    let now = chrono::Utc::now().timestamp();
    // "The expiration time of the assertion within 3 minutes".
    if c.exp - c.iat > 180 || c.exp > now + 180 || c.iat > now + 5 {
        return Err(format!("exp window: iat {} exp {} now {now}", c.iat, c.exp));
    }
    if c.jti.is_empty() {
        return Err("no jti".into());
    }
    Ok(c)
}

fn iso(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

/// The body of "Create a Voice Call Record": its required properties.
fn check_create(body: &Value) -> Result<(), String> {
    for field in ["callCenterApiName", "vendorCallKey", "to", "from"] {
        if body[field].as_str().is_none_or(str::is_empty) {
            return Err(format!("no {field}"));
        }
    }
    if body["callCenterApiName"] != CALL_CENTER {
        return Err("callCenterApiName is not the call center".into());
    }
    if body["initiationMethod"] != "Inbound" {
        return Err("initiationMethod".into());
    }
    if !iso(&body["startTime"]) {
        return Err("startTime".into());
    }
    let Some(parts) = body["participants"].as_array().filter(|p| !p.is_empty()) else {
        return Err("no participants".into());
    };
    for p in parts {
        if p["participantKey"].as_str().is_none_or(str::is_empty) || p["type"] != "END_USER" {
            return Err(format!("participant {p}"));
        }
    }
    Ok(())
}

async fn create(State(s): State<Scrt>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let fake = &s.0;
    let first = fake.seen.lock().unwrap().is_empty();
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let verdict = check_auth(fake, &headers)
        .map(|_| ())
        .and_then(|()| check_create(&json));
    fake.seen.lock().unwrap().push((
        "POST".into(),
        "/telephony/v1/voiceCalls".into(),
        json,
        verdict.clone(),
    ));
    if let Err(e) = verdict {
        return (
            StatusCode::UNAUTHORIZED,
            json!([{"errorCode": "INVALID_AUTH", "message": e}]).to_string(),
        );
    }
    match fake.mode {
        Mode::FailFirst if first => {
            return (StatusCode::SERVICE_UNAVAILABLE, String::new());
        }
        Mode::Slow => tokio::time::sleep(Duration::from_secs(30)).await,
        Mode::Late => tokio::time::sleep(Duration::from_millis(500)).await,
        _ => {}
    }
    (
        StatusCode::OK,
        json!({"voiceCallId": VOICE_CALL_ID}).to_string(),
    )
}

async fn update(
    State(s): State<Scrt>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let fake = &s.0;
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let verdict = check_auth(fake, &headers).map(|_| ()).and_then(|()| {
        if id != VOICE_CALL_ID {
            Err(format!("no VoiceCall {id}"))
        } else if !iso(&json["endTime"]) {
            Err("endTime".into())
        } else {
            Ok(())
        }
    });
    fake.seen.lock().unwrap().push((
        "PATCH".into(),
        format!("/telephony/v1/voiceCalls/{id}"),
        json,
        verdict.clone(),
    ));
    if verdict.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

// --- Helpers ---

/// The demo backend with Acme's Salesforce Voice set up by the admin commands, pointing at `url`;
/// the certificate the command printed.
async fn app_with_voice(url: &str) -> (TestApp, String) {
    logs();
    let app = TestApp::demo().await;
    let db = app.state.config.database.clone();
    let cert = voice_ok(&db, &["key", "acme"]);
    voice_ok(
        &db,
        &[
            "set",
            "acme",
            "--scrt-url",
            url,
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
        ],
    );
    (app, cert)
}

/// An inbound call from outside to Ana; the call's id and how long the request took.
async fn ring_ana(app: &TestApp, token: &str) -> (String, Duration) {
    let started = Instant::now();
    let a = app
        .post(
            "/api/v1/pbx/calls/inbound",
            token,
            json!({"from": "912345678", "to_user": "ana"}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    (a.body["id"].as_str().unwrap().to_owned(), took)
}

async fn wait_voice_call_id(app: &TestApp, call_id: &str) -> String {
    for _ in 0..200 {
        if let Some(id) = app.state.store.voice_call_id(call_id).await.unwrap() {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no VoiceCall id stored for {call_id}");
}

// --- The tests ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_call_creates_its_voice_call_and_updates_it_when_it_ends() {
    // The fake learns the key only from the printed certificate: start it on a reserved port.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let (app, cert) = app_with_voice(&format!("http://127.0.0.1:{port}")).await;
    let (fake, addr) = {
        let fake = Scrt(Arc::new(Fake {
            key: public_key(&cert),
            mode: Mode::Ok,
            seen: Mutex::new(Vec::new()),
        }));
        let router = Router::new()
            .route("/telephony/v1/voiceCalls", post(create))
            .route("/telephony/v1/voiceCalls/{id}", patch(update))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (fake, addr)
    };
    assert_eq!(addr.port(), port);
    let ana = app.login("ana").await;
    let (call_id, _) = ring_ana(&app, &ana).await;

    // Salesforce's id is stored with the call.
    assert_eq!(wait_voice_call_id(&app, &call_id).await, VOICE_CALL_ID);
    let seen = fake.wait_for(1).await;
    let (method, path, body, verdict) = &seen[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/telephony/v1/voiceCalls")
    );
    assert_eq!(verdict, &Ok(()), "the fake accepted the request");
    assert_eq!(body["vendorCallKey"], call_id.as_str());
    assert_eq!(body["from"], "+351912345678");
    assert_eq!(body["to"], "201");
    assert_eq!(body["participants"][0]["participantKey"], "+351912345678");

    // The call ends (Ana declines it): the VoiceCall gets its one end-of-call update.
    let d = app
        .post(&format!("/api/v1/calls/{call_id}/decline"), &ana, json!({}))
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    let seen = fake.wait_for(2).await;
    let (method, path, body, verdict) = &seen[1];
    assert_eq!(method, "PATCH");
    assert_eq!(path, &format!("/telephony/v1/voiceCalls/{VOICE_CALL_ID}"));
    assert_eq!(verdict, &Ok(()));
    assert!(body["startTime"].is_string() && body["endTime"].is_string());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.seen().len(), 2, "the update is sent once");

    // No secret in any answer or log.
    let secret = private_key_body(&app).await;
    assert!(secret.len() > 1000);
    let admin_answers = [
        app.get("/api/v1/calls", &ana).await.text,
        app.get("/api/v1/me", &ana).await.text,
        app.get("/api/v1/admin/audit", &ana).await.text,
    ];
    for text in &admin_answers {
        assert!(!text.contains(&secret[..64]) && !text.contains("PRIVATE KEY"));
    }
    assert!(
        admin_answers[2].contains("voice.key") && admin_answers[2].contains("voice.settings"),
        "the commands are audited: {}",
        admin_answers[2]
    );
    let log = logged();
    assert!(log.contains("VoiceCall created"), "the creation is logged");
    assert!(!log.contains(&secret[..64]) && !log.contains("PRIVATE KEY"));
    assert!(!log.contains("Bearer ey"), "no token in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_salesforce_does_not_know_is_refused_and_the_call_still_works() {
    logs();
    // The contact center has the OLD certificate; the key is rotated after it was uploaded.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let (app, old_cert) = app_with_voice(&format!("http://127.0.0.1:{port}")).await;
    let db = app.state.config.database.clone();
    let new_cert = voice_ok(&db, &["key", "acme", "--rotate"]);
    assert_ne!(old_cert, new_cert);
    assert_eq!(voice_ok(&db, &["cert", "acme"]), new_cert);
    let fake = Scrt(Arc::new(Fake {
        key: public_key(&old_cert),
        mode: Mode::Ok,
        seen: Mutex::new(Vec::new()),
    }));
    let router = Router::new()
        .route("/telephony/v1/voiceCalls", post(create))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let ana = app.login("ana").await;
    let (call_id, _) = ring_ana(&app, &ana).await;
    let seen = fake.wait_for(1).await;
    assert!(
        matches!(&seen[0].3, Err(e) if e.contains("token refused")),
        "{:?}",
        seen[0].3
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.seen().len(), 1, "a 401 is not retried");
    assert_eq!(app.state.store.voice_call_id(&call_id).await.unwrap(), None);
    // The call itself goes on as ever.
    let calls = app.get("/api/v1/calls", &ana).await;
    assert_eq!(calls.body[0]["id"], call_id.as_str());
    assert_eq!(calls.body[0]["state"], "ringing");
    let d = app
        .post(&format!("/api/v1/calls/{call_id}/decline"), &ana, json!({}))
        .await;
    assert_eq!(d.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_down_or_slow_never_delays_the_call_and_a_failure_is_retried() {
    logs();
    // Down: nothing listens on the SCRT address.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let (app, cert) = app_with_voice(&format!("http://127.0.0.1:{port}")).await;
    let ana = app.login("ana").await;
    let (down_call, took) = ring_ana(&app, &ana).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // Slow: the fake takes 30 s to answer.
    let (slow, addr) = Scrt::start(&cert, Mode::Slow).await;
    let db = app.state.config.database.clone();
    let url = format!("http://{addr}");
    voice_ok(
        &db,
        &[
            "set",
            "acme",
            "--scrt-url",
            &url,
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
        ],
    );
    let (slow_call, took) = ring_ana(&app, &ana).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    slow.wait_for(1).await;
    // Answering and hanging up are not held up either.
    let started = Instant::now();
    let d = app
        .post(
            &format!("/api/v1/calls/{slow_call}/decline"),
            &ana,
            json!({}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(1));

    // A 503 is retried, and the id lands.
    let (flaky, addr) = Scrt::start(&cert, Mode::FailFirst).await;
    let url = format!("http://{addr}");
    voice_ok(
        &db,
        &[
            "set",
            "acme",
            "--scrt-url",
            &url,
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
            "--phone-number",
            "+351210000000",
        ],
    );
    let (call_id, _) = ring_ana(&app, &ana).await;
    assert_eq!(wait_voice_call_id(&app, &call_id).await, VOICE_CALL_ID);
    let seen = flaky.wait_for(2).await;
    assert!(seen[..2].iter().all(|s| s.3.is_ok()));
    assert_eq!(seen[0].2["vendorCallKey"], seen[1].2["vendorCallKey"]);
    // With the contact center's number set, it is the VoiceCall's `to`.
    assert_eq!(seen[1].2["to"], "+351210000000");

    assert_eq!(
        app.state.store.voice_call_id(&down_call).await.unwrap(),
        None
    );
    let log = logged();
    assert!(
        log.contains("salesforce voice: unreachable"),
        "the failure is logged"
    );
    assert!(!log.contains("PRIVATE KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_before_salesforce_answered_still_gets_its_one_update() {
    logs();
    let app = TestApp::demo().await;
    let db = app.state.config.database.clone();
    let cert = voice_ok(&db, &["key", "acme"]);
    let (fake, addr) = Scrt::start(&cert, Mode::Late).await;
    let url = format!("http://{addr}");
    voice_ok(
        &db,
        &[
            "set",
            "acme",
            "--scrt-url",
            &url,
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
        ],
    );
    let ana = app.login("ana").await;
    let (call_id, _) = ring_ana(&app, &ana).await;
    // Declined while the create is still waiting for Salesforce's answer.
    let d = app
        .post(&format!("/api/v1/calls/{call_id}/decline"), &ana, json!({}))
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(wait_voice_call_id(&app, &call_id).await, VOICE_CALL_ID);
    let seen = fake.wait_for(2).await;
    assert_eq!(seen[1].0, "PATCH");
    assert_eq!(seen[1].3, Ok(()));
    assert!(iso(&seen[1].2["endTime"]));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.seen().len(), 2, "one create, one update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_voice_settings_means_no_request() {
    logs();
    let app = TestApp::demo().await;
    let (fake, addr) = {
        // A key exists, but no settings: nothing is sent anywhere.
        let db = app.state.config.database.clone();
        let cert = voice_ok(&db, &["key", "acme"]);
        Scrt::start(&cert, Mode::Ok).await
    };
    let _ = addr;
    let ana = app.login("ana").await;
    let (call_id, _) = ring_ana(&app, &ana).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fake.seen().is_empty());
    assert_eq!(app.state.store.voice_call_id(&call_id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voice_commands_make_rotate_and_print_the_key_pair_and_check_the_settings() {
    logs();
    let app = TestApp::demo().await;
    let db = app.state.config.database.clone();

    let (ok, _, err) = voice_cmd(&db, &["cert", "acme"]);
    assert!(!ok && err.contains("no key pair"), "{err}");
    let cert = voice_ok(&db, &["key", "acme"]);
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----\n"), "{cert}");
    assert!(cert.trim_end().ends_with("-----END CERTIFICATE-----"));
    assert_eq!(voice_ok(&db, &["cert", "acme"]), cert, "printed again");
    let (ok, _, err) = voice_cmd(&db, &["key", "acme"]);
    assert!(
        !ok && err.contains("--rotate"),
        "an existing pair is kept: {err}"
    );
    assert_eq!(voice_ok(&db, &["cert", "acme"]), cert);

    // The certificate's public key verifies what the stored private key signs.
    let stored = app.state.store.voice_key("acme").await.unwrap().unwrap();
    assert_eq!(stored.certificate_pem, cert);
    assert!(
        !format!("{stored:?}").contains("PRIVATE KEY"),
        "Debug hides the key"
    );
    let settings = ucclient_server::store::VoiceSettings {
        customer_id: "acme".into(),
        scrt_base_url: "https://acme.my.salesforce-scrt.com".into(),
        call_center_api_name: CALL_CENTER.into(),
        org_id: ORG.into(),
        phone_number: None,
    };
    let now = chrono::Utc::now().timestamp();
    let token = ucclient_server::voice::sign_jwt(&settings, &stored, now).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&["https://scrt.salesforce.com"]);
    v.set_issuer(&[ORG]);
    let claims = jsonwebtoken::decode::<ScrtClaims>(&token, &public_key(&cert), &v)
        .unwrap()
        .claims;
    assert_eq!(claims.sub, CALL_CENTER);
    assert!(claims.exp > now && claims.exp - claims.iat <= 180);

    // Rotation: a new pair, a new certificate; the old certificate no longer verifies.
    let rotated = voice_ok(&db, &["key", "acme", "--rotate"]);
    assert_ne!(rotated, cert);
    let stored = app.state.store.voice_key("acme").await.unwrap().unwrap();
    let token = ucclient_server::voice::sign_jwt(&settings, &stored, now).unwrap();
    assert!(jsonwebtoken::decode::<ScrtClaims>(&token, &public_key(&cert), &v).is_err());
    assert!(jsonwebtoken::decode::<ScrtClaims>(&token, &public_key(&rotated), &v).is_ok());

    // Settings: checked, shown (never the key).
    let set = |url: &str, cc: &str, org: &str| {
        voice_cmd(
            &db,
            &[
                "set",
                "acme",
                "--scrt-url",
                url,
                "--call-center",
                cc,
                "--org-id",
                org,
            ],
        )
    };
    for (url, cc, org) in [
        ("http://acme.my.salesforce-scrt.com", CALL_CENTER, ORG),
        (
            "https://acme.my.salesforce-scrt.com/telephony/v1",
            CALL_CENTER,
            ORG,
        ),
        (
            "https://user:pw@acme.my.salesforce-scrt.com",
            CALL_CENTER,
            ORG,
        ),
        ("https://acme.my.salesforce-scrt.com", "1bad name", ORG),
        (
            "https://acme.my.salesforce-scrt.com",
            CALL_CENTER,
            "00D-short",
        ),
    ] {
        let (ok, _, err) = set(url, cc, org);
        assert!(!ok, "{url} {cc} {org} accepted");
        assert_no_secret(&err, "stderr");
    }
    let (ok, _, err) = voice_cmd(
        &db,
        &[
            "set",
            "nobody",
            "--scrt-url",
            "https://a.my.salesforce-scrt.com",
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
        ],
    );
    assert!(!ok && err.contains("no such customer"), "{err}");
    for bad in ["351210000000", "+3512", "+35121000000a"] {
        let (ok, _, err) = voice_cmd(
            &db,
            &[
                "set",
                "acme",
                "--scrt-url",
                "https://acme.my.salesforce-scrt.com",
                "--call-center",
                CALL_CENTER,
                "--org-id",
                ORG,
                "--phone-number",
                bad,
            ],
        );
        assert!(!ok && err.contains("E.164"), "{bad}: {err}");
    }
    let shown = voice_ok(
        &db,
        &[
            "set",
            "acme",
            "--scrt-url",
            "https://acme.my.salesforce-scrt.com/",
            "--call-center",
            CALL_CENTER,
            "--org-id",
            ORG,
        ],
    );
    assert!(
        shown.contains("scrt_url: https://acme.my.salesforce-scrt.com\n"),
        "{shown}"
    );
    assert!(shown.contains(&format!("org_id: {ORG}")) && shown.contains("key pair: made"));
    assert_eq!(
        app.state
            .store
            .voice_settings("acme")
            .await
            .unwrap()
            .unwrap()
            .scrt_base_url,
        "https://acme.my.salesforce-scrt.com"
    );
    voice_ok(&db, &["off", "acme"]);
    assert!(voice_ok(&db, &["show", "acme"]).contains("salesforce voice: off"));
    assert_eq!(app.state.store.voice_settings("acme").await.unwrap(), None);
    // The key pair stays after `off`.
    assert_eq!(voice_ok(&db, &["cert", "acme"]), rotated);
}
