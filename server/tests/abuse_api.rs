//! Abuse tests against the real server binary: hostile bodies and queries, forged tenant fields,
//! other customers' ids in every path, dead credentials, replayed tickets and rate limits. Every
//! answer must be a 4xx in the API's error shape (never a 5xx, never a crash), and nothing of
//! another customer may leak into any answer.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The real server binary on a fresh demo database, killed on drop.
type Server = common::Binary;

impl Server {
    /// Still running and answering.
    async fn assert_alive(&mut self) {
        assert!(
            self.child.try_wait().expect("wait").is_none(),
            "the server crashed"
        );
        let r = reqwest::get(self.url("/openapi.json"))
            .await
            .expect("still answering");
        assert_eq!(r.status(), 200);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn login(http: &reqwest::Client, s: &Server, email: &str) -> String {
    common::login_at(http, &s.url(""), email).await
}

/// Asserts a 4xx with the API's error shape and `code`; returns the body text.
async fn expect_error(r: reqwest::Response, status: u16, code: &str) -> String {
    let got = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(got, status, "status (body {text})");
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("error body is JSON: {text}"));
    assert_eq!(v["error"], code, "error code in {text}");
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a sentence in {text}"
    );
    text
}

/// A raw request, for bytes reqwest will not send (invalid UTF-8, huge request lines). Returns the
/// status (0 when the server closed without answering) and the body.
async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut req = head.replace('\n', "\r\n").into_bytes();
    req.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    req.extend_from_slice(body);
    let _ = s.write_all(&req).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// Oversized, nested, invalid and mistyped bodies; invalid UTF-8; over-long query strings and
/// URLs; unknown profiles. All 4xx in the API's shape, and the server lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_and_queries_get_4xx_and_never_crash() {
    let mut s = Server::demo(&[]);
    let http = client();
    let ana = login(&http, &s, "ana@acme.example").await;
    let presence = s.url("/me/presence");

    // Oversized bodies: 413 bad_request, on authenticated and unauthenticated endpoints.
    let big = format!(
        "{{\"profile\":\"away\",\"pad\":\"{}\"}}",
        "x".repeat(100_000)
    );
    expect_error(
        http.put(&presence)
            .bearer_auth(&ana)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .expect("answered"),
        413,
        "bad_request",
    )
    .await;
    // Bigger than the 64 KiB bound, small enough that the whole body is written before the 413
    // comes back (a larger one races the server closing the connection, on the client's side).
    let big_login = format!(
        "{{\"email\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(100_000)
    );
    expect_error(
        http.post(s.url("/login"))
            .header("content-type", "application/json")
            .body(big_login)
            .send()
            .await
            .expect("answered"),
        413,
        "bad_request",
    )
    .await;

    // Deeply nested JSON (recursion) and invalid JSON: 400.
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    for body in [
        nested.clone(),
        "{\"profile\":".into(),
        "{\"profile\": away}".into(),
        "null".into(),
        "".into(),
    ] {
        expect_error(
            http.put(&presence)
                .bearer_auth(&ana)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("answered"),
            400,
            "bad_request",
        )
        .await;
    }
    let nested_obj = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    for path in ["/me/profiles/lunch/settings", "/calls"] {
        let req = if path == "/calls" {
            http.post(s.url(path))
        } else {
            http.put(s.url(path))
        };
        expect_error(
            req.bearer_auth(&ana)
                .header("content-type", "application/json")
                .body(nested_obj.clone())
                .send()
                .await
                .expect("answered"),
            400,
            "bad_request",
        )
        .await;
    }
    // Wrong types: 400 (API.md), not a 5xx.
    expect_error(
        http.put(&presence)
            .bearer_auth(&ana)
            .json(&json!({"profile": 7}))
            .send()
            .await
            .expect("answered"),
        400,
        "bad_request",
    )
    .await;
    expect_error(
        http.post(s.url("/calls"))
            .bearer_auth(&ana)
            .json(&json!({"to": ["+351"]}))
            .send()
            .await
            .expect("answered"),
        400,
        "bad_request",
    )
    .await;
    expect_error(
        http.put(s.url("/me/profiles/lunch/settings"))
            .bearer_auth(&ana)
            .json(&json!({"dnd": "yes"}))
            .send()
            .await
            .expect("answered"),
        400,
        "bad_request",
    )
    .await;

    // Invalid UTF-8 in a JSON body and in a query string.
    let head = format!(
        "PUT /api/v1/me/presence HTTP/1.1\nHost: x\nAuthorization: Bearer {ana}\nContent-Type: application/json\n"
    );
    let (status, body) = raw(s.addr, &head, b"{\"profile\":\"aw\xff\xfeay\"}").await;
    assert_eq!(status, 400, "invalid UTF-8 body: {body}");
    assert!(body.contains("bad_request"), "{body}");
    let head =
        format!("GET /api/v1/directory?q=%ff%fe HTTP/1.1\nHost: x\nAuthorization: Bearer {ana}\n");
    let (status, body) = raw(s.addr, &head, b"").await;
    assert!(
        (400..500).contains(&status) || status == 200,
        "invalid UTF-8 query: {status} {body}"
    );

    // Over-long query strings: 400; an over-long URL never reaches a 5xx.
    let long_q = "q".repeat(5000);
    expect_error(
        http.get(format!("{}?q={long_q}", s.url("/directory")))
            .bearer_auth(&ana)
            .send()
            .await
            .expect("answered"),
        400,
        "bad_request",
    )
    .await;
    let head = format!(
        "GET /api/v1/{} HTTP/1.1\nHost: x\nAuthorization: Bearer {ana}\n",
        "p/".repeat(40_000)
    );
    let (status, _) = raw(s.addr, &head, b"").await;
    assert!(
        status == 0 || (400..500).contains(&status),
        "huge URL answered {status}"
    );
    let head = format!(
        "GET /api/v1/me HTTP/1.1\nHost: x\nAuthorization: Bearer {ana}\nX-Pad: {}\n",
        "h".repeat(200_000)
    );
    let (status, _) = raw(s.addr, &head, b"").await;
    assert!(
        status == 0 || (400..500).contains(&status),
        "huge header answered {status}"
    );

    // Unknown profiles: 422 unknown_profile (or 404 for a path segment), never a 5xx.
    expect_error(
        http.put(&presence)
            .bearer_auth(&ana)
            .json(&json!({"profile": "nope"}))
            .send()
            .await
            .expect("answered"),
        422,
        "unknown_profile",
    )
    .await;
    expect_error(
        http.put(&presence)
            .bearer_auth(&ana)
            .json(&json!({"profile": "x".repeat(10_000)}))
            .send()
            .await
            .expect("answered"),
        422,
        "unknown_profile",
    )
    .await;
    let r = http.put(s.url("/me/profiles/nope/settings")).bearer_auth(&ana).json(&json!({"dnd": false, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}})).send().await.expect("answered");
    assert!(
        matches!(r.status().as_u16(), 404 | 422),
        "unknown profile in a path: {}",
        r.status()
    );
    let r = http
        .delete(s.url("/me/profiles/%00%ff/settings"))
        .bearer_auth(&ana)
        .send()
        .await
        .expect("answered");
    assert!(
        r.status().is_client_error(),
        "odd path segment: {}",
        r.status()
    );

    // Numbers that are not numbers: 422 invalid_number, nothing dialled.
    for to in ["", "abc", "+", "++351912345678", &"9".repeat(500)] {
        let r = http
            .post(s.url("/calls"))
            .bearer_auth(&ana)
            .json(&json!({"to": to}))
            .send()
            .await
            .expect("answered");
        assert!(
            matches!(r.status().as_u16(), 400 | 422),
            "to={to:?}: {}",
            r.status()
        );
    }
    let calls: Value = http
        .get(s.url("/calls"))
        .bearer_auth(&ana)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("json");
    assert_eq!(
        calls.as_array().map(Vec::len),
        Some(0),
        "nothing was dialled"
    );
    s.assert_alive().await;
}

/// Tenant and user fields in bodies are ignored; another customer's ids in every path answer
/// 403/404 with nothing of theirs in the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tenants_and_foreign_ids_leak_nothing() {
    let mut s = Server::demo(&["--call-timings", "60000,60000,0"]);
    let http = client();
    let ana = login(&http, &s, "ana@acme.example").await;
    let dora = login(&http, &s, "dora@globex.example").await;

    // Forged fields in a presence change: ana's presence changes, dora's does not.
    let before: Value = http
        .get(s.url("/me"))
        .bearer_auth(&dora)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let r = http
        .put(s.url("/me/presence"))
        .bearer_auth(&ana)
        .json(&json!({"profile": "lunch", "user_id": "dora", "customer_id": "globex", "reseller_id": "demo-passive", "tenant": "globex"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200, "unknown fields are ignored");
    let ana_me: Value = http
        .get(s.url("/me"))
        .bearer_auth(&ana)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(ana_me["presence"]["profile"], "lunch");
    let after: Value = http
        .get(s.url("/me"))
        .bearer_auth(&dora)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(
        before["presence"], after["presence"],
        "dora's presence untouched"
    );
    // Forged fields in a call: the call is ana's.
    let r = http
        .post(s.url("/calls"))
        .bearer_auth(&ana)
        .json(&json!({"to": "+351912345678", "user_id": "dora", "from": "+5511987654321", "customer_id": "globex"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 201);
    let call: Value = r.json().await.expect("json");
    assert_ne!(call["from"], "+5511987654321", "from comes from the caller");
    let dora_calls: Value = http
        .get(s.url("/calls"))
        .bearer_auth(&dora)
        .send()
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    assert_eq!(
        dora_calls.as_array().map(Vec::len),
        Some(0),
        "no call landed on dora"
    );

    // Dora's own call, whose id ana then tries.
    let r = http
        .post(s.url("/calls"))
        .bearer_auth(&dora)
        .json(&json!({"to": "+5511987654321"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 201);
    let dora_call: Value = r.json().await.expect("json");
    let dora_call_id = dora_call["id"].as_str().expect("id").to_owned();

    let foreign: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (http.get(s.url("/pbx/users/dora")), "GET /pbx/users/dora"),
        (http.get(s.url("/pbx/users/eli")), "GET /pbx/users/eli"),
        (
            http.get(format!("{}?user=dora", s.url("/pbx/ring"))),
            "GET /pbx/ring?user=dora",
        ),
        (
            http.get(format!("{}?group=globex", s.url("/pbx/ring"))),
            "GET /pbx/ring?group=globex",
        ),
        (
            http.post(s.url(&format!("/calls/{dora_call_id}/hangup"))),
            "POST /calls/<dora's>/hangup",
        ),
        (
            http.post(s.url(&format!("/calls/{dora_call_id}/answer"))),
            "POST /calls/<dora's>/answer",
        ),
        (
            http.post(s.url(&format!("/calls/{dora_call_id}/decline"))),
            "POST /calls/<dora's>/decline",
        ),
        (
            http.post(s.url("/pbx/calls/inbound"))
                .json(&json!({"from": "+351912345678", "to_user": "dora"})),
            "POST /pbx/calls/inbound to dora",
        ),
    ];
    for (req, what) in foreign {
        let r = req.bearer_auth(&ana).send().await.expect("answered");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        assert!(matches!(status, 403 | 404), "{what}: {status} {text}");
        for secret in [
            "dora",
            "eli",
            "globex",
            "Globex",
            "+5511987654321",
            "sip:30",
        ] {
            assert!(!text.contains(secret), "{what} leaked {secret}: {text}");
        }
    }
    // Dora's call is still going: ana's hangup did nothing.
    let dora_calls: Value = http
        .get(s.url("/calls"))
        .bearer_auth(&dora)
        .send()
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    assert_eq!(dora_calls[0]["id"], dora_call_id.as_str());
    assert_ne!(dora_calls[0]["state"], "ended");
    // The directory and ana's history show only Acme.
    for path in [
        "/directory?q=",
        "/directory?q=dora",
        "/directory?q=globex",
        "/calls",
        "/pbx/groups",
        "/me",
        "/profiles",
    ] {
        let text = http
            .get(s.url(path))
            .bearer_auth(&ana)
            .send()
            .await
            .expect("answered")
            .text()
            .await
            .expect("body");
        for secret in ["dora", "globex", "+5511987654321"] {
            assert!(!text.contains(secret), "{path} leaked {secret}");
        }
    }
    // Ana's stream never carries Globex events: dora changes presence, ana's stream sees only
    // ana's own change that follows.
    let ticket: Value = http
        .post(s.url("/events/ticket"))
        .bearer_auth(&ana)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    let mut stream = TcpStream::connect(s.addr).await.expect("connect");
    let req = format!(
        "GET /api/v1/events?ticket={} HTTP/1.1\r\nHost: x\r\n\r\n",
        ticket["ticket"].as_str().expect("ticket")
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    http.put(s.url("/me/presence"))
        .bearer_auth(&dora)
        .json(&json!({"profile": "away"}))
        .send()
        .await
        .expect("dora changes");
    http.put(s.url("/me/presence"))
        .bearer_auth(&ana)
        .json(&json!({"profile": "on_the_road"}))
        .send()
        .await
        .expect("ana changes");
    let mut seen = String::new();
    let mut buf = [0u8; 8192];
    while !seen.contains("on_the_road") {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("events in time")
            .expect("read");
        assert!(n > 0, "stream ended");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    for secret in ["dora", "globex", "+5511987654321"] {
        assert!(!seen.contains(secret), "ana's stream leaked {secret}");
    }
    s.assert_alive().await;
}

/// Dead credentials: no token, garbage, expired, logged out; an unlicensed user; a ticket used
/// twice, an expired ticket, no ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_tokens_and_tickets_are_refused() {
    let mut s = Server::demo(&[]);
    let http = client();
    let me = s.url("/me");
    expect_error(
        http.get(&me).send().await.expect("answered"),
        401,
        "unauthenticated",
    )
    .await;
    expect_error(
        http.get(&me)
            .bearer_auth("garbage")
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;
    expect_error(
        http.get(&me)
            .bearer_auth("x".repeat(4_000))
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;
    // A header past the server's bound is refused before any lookup.
    expect_error(
        http.get(&me)
            .bearer_auth("x".repeat(100_000))
            .send()
            .await
            .expect("answered"),
        431,
        "bad_request",
    )
    .await;
    expect_error(
        http.get(&me)
            .header("authorization", "Basic YW5hOmRlbW8=")
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;

    // Logged out: the token stops working at once, everywhere.
    let t = login(&http, &s, "bruno@acme.example").await;
    assert_eq!(
        http.get(&me)
            .bearer_auth(&t)
            .send()
            .await
            .expect("answered")
            .status(),
        200
    );
    assert_eq!(
        http.post(s.url("/logout"))
            .bearer_auth(&t)
            .send()
            .await
            .expect("answered")
            .status(),
        204
    );
    expect_error(
        http.get(&me)
            .bearer_auth(&t)
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;
    expect_error(
        http.post(s.url("/events/ticket"))
            .bearer_auth(&t)
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;

    // Expired: the session's expiry moved into the past in the database.
    let t = login(&http, &s, "ana@acme.example").await;
    let url = format!("sqlite://{}", s.db.display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open the database");
    sqlx::query("UPDATE sessions SET expires_at_ms = 0")
        .execute(&pool)
        .await
        .expect("expire sessions");
    expect_error(
        http.get(&me)
            .bearer_auth(&t)
            .send()
            .await
            .expect("answered"),
        401,
        "unauthenticated",
    )
    .await;

    // Unlicensed: me works, the rest is 403 client_not_licensed.
    let carla = login(&http, &s, "carla@acme.example").await;
    assert_eq!(
        http.get(&me)
            .bearer_auth(&carla)
            .send()
            .await
            .expect("answered")
            .status(),
        200
    );
    expect_error(
        http.put(s.url("/me/presence"))
            .bearer_auth(&carla)
            .json(&json!({"profile": "away"}))
            .send()
            .await
            .expect("answered"),
        403,
        "client_not_licensed",
    )
    .await;
    expect_error(
        http.post(s.url("/events/ticket"))
            .bearer_auth(&carla)
            .send()
            .await
            .expect("answered"),
        403,
        "client_not_licensed",
    )
    .await;

    // Tickets: one use; none; garbage; expired.
    let t = login(&http, &s, "dora@globex.example").await;
    let ticket: Value = http
        .post(s.url("/events/ticket"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    let ticket = ticket["ticket"].as_str().expect("ticket").to_owned();
    let first = TcpStream::connect(s.addr).await.expect("connect");
    let (status, _) = stream_status(first, &format!("/api/v1/events?ticket={ticket}")).await;
    assert_eq!(status, 200, "a fresh ticket opens the stream");
    let (status, body) = raw(
        s.addr,
        &format!("GET /api/v1/events?ticket={ticket} HTTP/1.1\nHost: x\n"),
        b"",
    )
    .await;
    assert_eq!(status, 401, "a ticket works once: {body}");
    for path in [
        "/api/v1/events",
        "/api/v1/events?ticket=",
        "/api/v1/events?ticket=nope",
        "/api/v1/events?last_event_id=0",
    ] {
        let (status, body) = raw(s.addr, &format!("GET {path} HTTP/1.1\nHost: x\n"), b"").await;
        assert_eq!(status, 401, "{path}: {body}");
        assert!(body.contains("unauthenticated"), "{path}: {body}");
    }
    let ticket: Value = http
        .post(s.url("/events/ticket"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    sqlx::query("UPDATE event_tickets SET expires_at_ms = 0")
        .execute(&pool)
        .await
        .expect("expire tickets");
    let (status, _) = raw(
        s.addr,
        &format!(
            "GET /api/v1/events?ticket={} HTTP/1.1\nHost: x\n",
            ticket["ticket"].as_str().expect("t")
        ),
        b"",
    )
    .await;
    assert_eq!(status, 401, "an expired ticket");
    pool.close().await;
    s.assert_alive().await;
}

/// Opens a stream and returns its status line's code (the connection is then dropped).
async fn stream_status(mut s: TcpStream, path: &str) -> (u16, String) {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf))
        .await
        .expect("head in time")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    (
        text.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        text,
    )
}

/// Click-to-dial and failed logins past their limits: 429 `rate_limited` with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_and_login_floods_get_429_with_retry_after() {
    let mut s = Server::demo(&[
        "--calls-per-minute",
        "3",
        "--login-failures-per-minute",
        "3",
        "--call-timings",
        "60000,60000,0",
    ]);
    let http = client();
    let ana = login(&http, &s, "ana@acme.example").await;
    for i in 0..3 {
        let r = http
            .post(s.url("/calls"))
            .bearer_auth(&ana)
            .json(&json!({"to": "+351912345678"}))
            .send()
            .await
            .expect("answered");
        assert_eq!(r.status(), 201, "call {i} within the limit");
    }
    let r = http
        .post(s.url("/calls"))
        .bearer_auth(&ana)
        .json(&json!({"to": "+351912345678"}))
        .send()
        .await
        .expect("answered");
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    expect_error(r, 429, "rate_limited").await;
    assert!(
        retry.is_some_and(|s| (1..=60).contains(&s)),
        "Retry-After in seconds: {retry:?}"
    );
    // Another user is not limited by ana's calls.
    let bruno = login(&http, &s, "bruno@acme.example").await;
    let r = http
        .post(s.url("/calls"))
        .bearer_auth(&bruno)
        .json(&json!({"to": "+351912345678"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 201);

    // Failed logins for one email: limited, even with the right password afterwards.
    for _ in 0..3 {
        let r = http
            .post(s.url("/login"))
            .json(&json!({"email": "dora@globex.example", "password": "wrong"}))
            .send()
            .await
            .expect("answered");
        expect_error(r, 401, "invalid_credentials").await;
    }
    let r = http
        .post(s.url("/login"))
        .json(&json!({"email": "dora@globex.example", "password": "demo"}))
        .send()
        .await
        .expect("answered");
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    expect_error(r, 429, "rate_limited").await;
    assert!(
        retry.is_some_and(|s| (1..=60).contains(&s)),
        "Retry-After in seconds: {retry:?}"
    );
    // Unknown emails answer like wrong passwords, and are limited the same way.
    for _ in 0..3 {
        let r = http
            .post(s.url("/login"))
            .json(&json!({"email": "nobody@acme.example", "password": "x"}))
            .send()
            .await
            .expect("answered");
        expect_error(r, 401, "invalid_credentials").await;
    }
    let r = http
        .post(s.url("/login"))
        .json(&json!({"email": "nobody@acme.example", "password": "x"}))
        .send()
        .await
        .expect("answered");
    expect_error(r, 429, "rate_limited").await;
    // Other accounts can still log in.
    login(&http, &s, "eli@globex.example").await;
    s.assert_alive().await;
}
