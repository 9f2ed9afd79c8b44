//! Login abuse and overload (issue 10): a stranger's failures never lock the owner out, addresses
//! are the TCP peer's unless a trusted proxy says otherwise, password hashing and the database are
//! bounded and answer 503 with Retry-After instead of queueing, per-user budgets answer 429, and the
//! hosted pages serve the widget from memory.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, Served, TestApp, config_in, email, seed};
use serde_json::json;

/// `POST /login` as if from the TCP peer `peer`, with an optional `X-Forwarded-For`.
async fn login_from(
    app: &TestApp,
    peer: &str,
    forwarded: Option<&str>,
    who: &str,
    password: &str,
) -> Answer {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/login")
        .header("content-type", "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req
        .body(Body::from(
            json!({"email": email(who), "password": password}).to_string(),
        ))
        .unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    app.request(req).await
}

fn retry_after(a: &Answer) -> u64 {
    a.headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("a Retry-After header on {}", a.text))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The error body says nothing internal.
fn says_nothing_internal(a: &Answer) {
    let m = a.body["message"]
        .as_str()
        .expect("a sentence")
        .to_lowercase();
    for word in ["sqlx", "pool", "sqlite", "semaphore", "argon", "timed out"] {
        assert!(!m.contains(word), "{word} in {}", a.text);
    }
}

const ATTACKER: &str = "198.51.100.7:40000";
const OWNER: &str = "203.0.113.5:50000";

#[tokio::test]
async fn a_strangers_failures_never_lock_the_owner_out() {
    let app = TestApp::demo_with(|c| {
        c.login_failures_per_minute = 3;
        c.login_failures_per_address_per_minute = 100;
    })
    .await;
    for _ in 0..3 {
        let a = login_from(&app, ATTACKER, None, "bruno", "guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.text);
    }
    // The attacker's address now waits, even with the right password…
    let a = login_from(&app, ATTACKER, None, "bruno", "demo").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    assert_eq!(a.code(), "rate_limited");
    assert!((1..=60).contains(&retry_after(&a)));
    // …while bruno, from his own address, signs in (today's per-email limit refused him).
    let owner = login_from(&app, OWNER, None, "bruno", "demo").await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
    // The attacker's other accounts are not locked by bruno's counter.
    let other = login_from(&app, ATTACKER, None, "ana", "demo").await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
}

#[tokio::test]
async fn one_address_cannot_spray_guesses_over_many_accounts() {
    let app = TestApp::demo_with(|c| {
        c.login_failures_per_minute = 100;
        c.login_failures_per_address_per_minute = 3;
    })
    .await;
    for who in ["ana", "bruno", "dora"] {
        let a = login_from(&app, ATTACKER, None, who, "guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = login_from(&app, ATTACKER, None, "eli", "guess").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=60).contains(&retry_after(&a)));
    // A success of the attacker's own account does not reset the address's count.
    let a = login_from(&app, ATTACKER, None, "eli", "demo").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // Everyone else signs in.
    let a = login_from(&app, OWNER, None, "eli", "demo").await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let app = TestApp::demo_with(|c| {
        c.login_failures_per_minute = 2;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    // An untrusted peer cannot escape its own bucket by forging the header.
    for forged in ["192.0.2.1", "192.0.2.2"] {
        let a = login_from(&app, ATTACKER, Some(forged), "bruno", "guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = login_from(&app, ATTACKER, Some("192.0.2.3"), "bruno", "demo").await;
    assert_eq!(
        a.status,
        StatusCode::TOO_MANY_REQUESTS,
        "forging did not help"
    );
    // Behind the trusted proxy, the forwarded client is who counts: the attacker's address…
    for _ in 0..2 {
        let a = login_from(&app, "10.1.2.3:443", Some("198.51.100.99"), "ana", "guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = login_from(&app, "10.1.2.3:443", Some("198.51.100.99"), "ana", "demo").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // …not the owner's, through the same proxy (a fake left-most hop changes nothing).
    let a = login_from(
        &app,
        "10.1.2.3:443",
        Some("198.51.100.99, 203.0.113.5"),
        "ana",
        "demo",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

/// Over a real socket: the server hands the TCP peer to the limits (without it every client
/// would share one bucket, and the trusted proxy 127.0.0.1 would not be recognised).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_app_knows_its_peers() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.login_failures_per_minute = 2;
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let login = |from: &'static str, password: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/v1/login", s.base);
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .json(&json!({"email": "bruno@acme.example", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login("198.51.100.7", "guess").await, 401);
    assert_eq!(login("198.51.100.7", "guess").await, 401);
    assert_eq!(login("198.51.100.7", "demo").await, 429);
    assert_eq!(login("203.0.113.5", "demo").await, 200);
    s.stop().await;
}

#[tokio::test]
async fn password_checks_beyond_the_bound_get_503_with_retry_after() {
    let app = TestApp::demo_with(|c| {
        c.max_concurrent_hashes = 1;
        c.hash_wait_ms = 50;
    })
    .await;
    // Every hashing slot is taken (a login flood in progress).
    let slot = app.state.hasher.slot().await.unwrap();
    for who in ["ana", "nobody"] {
        let a = login_from(&app, OWNER, None, who, "demo").await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
        assert_eq!(a.code(), "unavailable");
        assert!(retry_after(&a) >= 1);
        says_nothing_internal(&a);
    }
    drop(slot);
    let a = login_from(&app, OWNER, None, "ana", "demo").await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn per_user_budgets_answer_429_with_retry_after() {
    let app = TestApp::demo_with(|c| {
        c.writes_per_minute = 3;
        c.tickets_per_minute = 2;
        c.searches_per_minute = 2;
    })
    .await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Writes: presence, settings and hang-up share one budget.
    app.set_profile(&ana, "away").await;
    let s = app.delete("/api/v1/me/profiles/away/settings", &ana).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    app.set_profile(&ana, "lunch").await;
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/v1/me/presence",
            Some(json!({"profile": "away"})),
        ),
        (Method::DELETE, "/api/v1/me/profiles/away/settings", None),
        (Method::POST, "/api/v1/calls/nope/hangup", None),
        (
            Method::POST,
            "/api/v1/calls",
            Some(json!({"to": "912345678"})),
        ),
        (
            Method::POST,
            "/api/v1/pbx/calls/inbound",
            Some(json!({"from": "202", "to_user": "ana"})),
        ),
    ] {
        let a = app.send(method, path, Some(&ana), body).await;
        assert_eq!(
            a.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            a.text
        );
        assert_eq!(a.code(), "rate_limited");
        assert!((1..=60).contains(&retry_after(&a)));
    }
    // Another user's budget is their own.
    app.set_profile(&bruno, "away").await;

    for _ in 0..2 {
        let t = app.post("/api/v1/events/ticket", &ana, json!({})).await;
        assert_eq!(t.status, StatusCode::OK);
    }
    let t = app.post("/api/v1/events/ticket", &ana, json!({})).await;
    assert_eq!(t.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&t) >= 1);

    for _ in 0..2 {
        assert_eq!(
            app.get("/api/v1/directory?q=a", &ana).await.status,
            StatusCode::OK
        );
    }
    let d = app.get("/api/v1/directory?q=a", &ana).await;
    assert_eq!(d.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.get("/api/v1/directory", &bruno).await.status,
        StatusCode::OK
    );
}

/// A pool that cannot serve within the bound answers 503 + Retry-After at once (it used to wait
/// up to an hour), saying nothing internal; the same request succeeds once connections free up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_database_pool_fails_fast_with_503() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.db_acquire_timeout_ms = 100;
    seed(&config).await;
    let backend = ucclient_server::Backend::open(config).await.unwrap();
    let router = backend.router();
    let call = |req: Request<Body>| {
        let router = router.clone();
        async move { common::send(&router, req).await }
    };
    let login = || {
        Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"email": "ana@acme.example", "password": "demo"}).to_string(),
            ))
            .unwrap()
    };
    let token = call(login()).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = || {
        Request::get("/api/v1/me")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    // Every connection is busy (held here, as by slow queries).
    use ucclient_server::store::{engine::Engine, postgres, sqlite};
    let mut held_sqlite = Vec::new();
    let mut held_postgres = Vec::new();
    match backend.engine() {
        Engine::Sqlite(s) => {
            for _ in 0..sqlite::MAX_CONNECTIONS {
                held_sqlite.push(s.pool().acquire().await.unwrap());
            }
        }
        Engine::Postgres(p) => {
            for _ in 0..postgres::MAX_CONNECTIONS {
                held_postgres.push(p.pool().acquire().await.unwrap());
            }
        }
    }
    for req in [me(), login()] {
        let a = tokio::time::timeout(Duration::from_secs(30), call(req))
            .await
            .expect("answered within the bound, not after an hour");
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text);
        assert_eq!(a.code(), "unavailable");
        assert!(retry_after(&a) >= 1);
        says_nothing_internal(&a);
    }
    drop((held_sqlite, held_postgres));
    assert_eq!(call(me()).await.status, StatusCode::OK);
    backend.stop().await;
}

/// The hosted pages' widget files come from memory, read once: changing or removing the files
/// on disk afterwards changes nothing served, and the module's base64 form is the module's.
#[tokio::test]
async fn the_hosted_pages_serve_the_widget_from_memory() {
    let widget = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(widget.path().join("salesforce/pkg")).unwrap();
    let wasm = b"\0asm\x01\0\0\0 the module".to_vec();
    std::fs::write(widget.path().join("widget.css"), "body{margin:0}").unwrap();
    std::fs::write(
        widget.path().join("salesforce/pkg/ucclient_widget.js"),
        "export {};",
    )
    .unwrap();
    std::fs::write(
        widget.path().join("salesforce/pkg/ucclient_widget_bg.wasm"),
        &wasm,
    )
    .unwrap();
    let path = widget.path().to_owned();
    let app = TestApp::demo_with(move |c| c.static_dir = Some(path)).await;
    let get = |p: &'static str| app.send(Method::GET, p, None, None);
    let before = (
        get("/crm/salesforce/pkg/ucclient_widget_wasm.js")
            .await
            .text,
        get("/crm/salesforce/pkg/ucclient_widget.js").await.text,
        get("/crm/ucclient.css").await.text,
    );
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&wasm);
    assert_eq!(before.0, format!("export default \"{b64}\";\n"));
    std::fs::write(
        widget.path().join("salesforce/pkg/ucclient_widget_bg.wasm"),
        b"changed",
    )
    .unwrap();
    std::fs::remove_file(widget.path().join("salesforce/pkg/ucclient_widget.js")).unwrap();
    std::fs::remove_file(widget.path().join("widget.css")).unwrap();
    let after = (
        get("/crm/salesforce/pkg/ucclient_widget_wasm.js")
            .await
            .text,
        get("/crm/salesforce/pkg/ucclient_widget.js").await.text,
        get("/crm/ucclient.css").await.text,
    );
    assert_eq!(before, after);
    let raw = get("/crm/salesforce/pkg/ucclient_widget_bg.wasm").await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.headers["content-type"], "application/wasm");
    assert_eq!(raw.text.as_bytes(), &wasm[..]);
}
