//! The `Idempotency-Key` header of writes (issue 16): a retried change is applied once and its
//! first answer replayed; another request under the same key, a key still in flight and a
//! malformed key are refused; keys are per session; 5xx and 429 answers are not kept; keys
//! expire; and without the header nothing changes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use common::{Answer, TestApp};
use serde_json::{Value, json};
use ucclient_server::store::{IdempotencyClaim, session_key};

const PRESENCE: &str = "/api/v1/me/presence";

/// A request with a bearer token, a JSON body when given, and the key headers given.
fn keyed(
    method: Method,
    path: &str,
    token: &str,
    keys: &[&[u8]],
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    for k in keys {
        req = req.header("idempotency-key", HeaderValue::from_bytes(k).unwrap());
    }
    match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

async fn put_presence(app: &TestApp, token: &str, key: Option<&str>, profile: &str) -> Answer {
    let keys: Vec<&[u8]> = key.map(str::as_bytes).into_iter().collect();
    app.request(keyed(
        Method::PUT,
        PRESENCE,
        token,
        &keys,
        Some(json!({"profile": profile})),
    ))
    .await
}

/// The newest event id of the token's user's customer: the count of changes logged.
async fn last_event(app: &TestApp, token: &str) -> i64 {
    let me = app.get("/api/v1/me", token).await;
    let customer = me.body["customer"]["id"].as_str().unwrap().to_owned();
    app.state.store.stream_bounds(&customer).await.unwrap().0
}

fn replayed(a: &Answer) -> bool {
    a.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_and_the_change_is_applied_once() {
    let app = TestApp::demo().await;
    // dora's reseller runs passive mode: a presence change logs one event and nothing else does.
    let t = app.login("dora").await;
    let before = last_event(&app, &t).await;
    let first = put_presence(&app, &t, Some("change-1"), "lunch").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert!(!replayed(&first));
    assert_eq!(last_event(&app, &t).await, before + 1);

    let again = put_presence(&app, &t, Some("change-1"), "lunch").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(replayed(&again), "{:?}", again.headers);
    assert_eq!(again.bytes, first.bytes, "the same body");
    assert_eq!(
        again.headers.get("content-type"),
        first.headers.get("content-type")
    );
    assert_eq!(last_event(&app, &t).await, before + 1, "one change only");

    // A 4xx is kept too: the retry of a refused change is refused the same way, replayed.
    let refused = put_presence(&app, &t, Some("change-2"), "no-such-profile").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = put_presence(&app, &t, Some("change-2"), "no-such-profile").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replayed(&again));
    assert_eq!(again.bytes, refused.bytes);

    // A call placed twice is one call.
    let ana = app.login("ana").await;
    let place = || {
        keyed(
            Method::POST,
            "/api/v1/calls",
            &ana,
            &[b"call-1"],
            Some(json!({"to": "+351912345678"})),
        )
    };
    let first = app.request(place()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = app.request(place()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(replayed(&again));
    assert_eq!(again.body["id"], first.body["id"]);
    let history = app.get("/api/v1/calls", &ana).await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        1,
        "{}",
        history.text
    );
}

#[tokio::test]
async fn the_same_key_for_another_request_is_refused() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    assert_eq!(
        put_presence(&app, &t, Some("k"), "lunch").await.status,
        StatusCode::OK
    );
    let before = last_event(&app, &t).await;
    let other = put_presence(&app, &t, Some("k"), "available").await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(other.code(), "idempotency_key_reused");
    assert!(
        other.body["message"]
            .as_str()
            .unwrap()
            .contains("different")
    );
    // Another path or method under the key is another request too.
    let other = app
        .request(keyed(
            Method::DELETE,
            "/api/v1/me/profiles/lunch/settings",
            &t,
            &[b"k"],
            None,
        ))
        .await;
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(last_event(&app, &t).await, before, "nothing applied");
    assert_eq!(
        app.get("/api/v1/me", &t).await.body["presence"]["profile"],
        "lunch"
    );
}

#[tokio::test]
async fn keys_are_per_session() {
    let app = TestApp::demo().await;
    let dora = app.login("dora").await;
    let dora_again = app.login("dora").await;
    let eli = app.login("eli").await;
    let before = last_event(&app, &dora).await;
    for (t, profile) in [
        (&dora, "lunch"),
        (&dora_again, "available"),
        (&eli, "lunch"),
    ] {
        let a = put_presence(&app, t, Some("shared-key"), profile).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        assert!(!replayed(&a));
    }
    assert_eq!(last_event(&app, &dora).await, before + 3);
    assert_eq!(
        app.get("/api/v1/me", &dora).await.body["presence"]["profile"],
        "available"
    );
}

#[tokio::test]
async fn malformed_keys_are_refused_and_nothing_is_applied() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    let before = last_event(&app, &t).await;
    let long = vec![b'k'; 256];
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b""],
        vec![&long],
        vec![b"with space"],
        vec![b"caf\xc3\xa9"],
        vec![b"one", b"two"],
    ];
    for keys in cases {
        let a = app
            .request(keyed(
                Method::PUT,
                PRESENCE,
                &t,
                &keys,
                Some(json!({"profile": "lunch"})),
            ))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{keys:?}: {}", a.text);
        assert_eq!(a.code(), "invalid_idempotency_key");
        assert!(a.body["message"].as_str().unwrap().contains("1 to 255"));
    }
    assert_eq!(last_event(&app, &t).await, before);
    // The longest key is fine.
    let longest = "~".repeat(255);
    let a = put_presence(&app, &t, Some(&longest), "lunch").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

#[tokio::test]
async fn without_a_key_every_request_is_processed_as_before() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    let before = last_event(&app, &t).await;
    for _ in 0..2 {
        let a = put_presence(&app, &t, None, "lunch").await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.headers.get("idempotent-replayed").is_none());
    }
    assert_eq!(last_event(&app, &t).await, before + 2);
    // A key on a read is ignored, and a write without a token is answered 401 as before.
    let mut req = keyed(Method::GET, "/api/v1/me", &t, &[b"x y"], None);
    assert_eq!(app.request(req).await.status, StatusCode::OK);
    req = keyed(Method::PUT, PRESENCE, "not-a-token", &[b"k"], None);
    assert_eq!(app.request(req).await.code(), "unauthenticated");
}

#[tokio::test]
async fn a_key_still_in_flight_answers_409() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    // The key claimed as a request being processed would (through the store).
    let scope = session_key(&ucclient_server::auth::digest(&t));
    let now = chrono::Utc::now().timestamp_millis();
    let print = ucclient_server::idempotency::fingerprint(
        &Method::PUT,
        PRESENCE,
        json!({"profile": "lunch"}).to_string().as_bytes(),
    );
    let claim = app
        .state
        .store
        .claim_idempotency_key(&scope, "busy", &print, now, now - 60_000, now + 60_000)
        .await
        .unwrap();
    let IdempotencyClaim::Claimed { claimed_ms } = claim else {
        panic!("{claim:?}")
    };
    let before = last_event(&app, &t).await;
    let a = put_presence(&app, &t, Some("busy"), "lunch").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.code(), "idempotency_key_in_flight");
    assert_eq!(last_event(&app, &t).await, before);
    // Released (its answer was a 5xx): the retry is processed.
    app.state
        .store
        .release_idempotency_key(&scope, "busy", claimed_ms)
        .await
        .unwrap();
    let a = put_presence(&app, &t, Some("busy"), "lunch").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(last_event(&app, &t).await, before + 1);
}

/// A router with the idempotency middleware over one handler that answers the statuses of
/// `answers` in turn (then 200), counting its calls, waiting for `gate` when one is given.
fn probe_router(
    app: &TestApp,
    answers: Vec<u16>,
    gate: Option<Arc<tokio::sync::Semaphore>>,
) -> (axum::Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let handler = move || {
        let counted = counted.clone();
        let answers = answers.clone();
        let gate = gate.clone();
        async move {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            if let Some(g) = gate {
                let _permit = g.acquire().await.unwrap();
            }
            let status = answers.get(n).copied().unwrap_or(200);
            (
                StatusCode::from_u16(status).unwrap(),
                axum::Json(json!({"call": n})),
            )
        }
    };
    let router = axum::Router::new()
        .route("/probe", axum::routing::post(handler))
        .route_layer(axum::middleware::from_fn_with_state(
            app.state.clone(),
            ucclient_server::idempotency::layer,
        ));
    (router, calls)
}

async fn probe(router: &axum::Router, token: &str, key: &str) -> Answer {
    common::send(
        router,
        keyed(
            Method::POST,
            "/probe",
            token,
            &[key.as_bytes()],
            Some(json!({})),
        ),
    )
    .await
}

#[tokio::test]
async fn two_requests_at_once_with_one_key_run_once() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (router, calls) = probe_router(&app, vec![], Some(gate.clone()));
    let first = {
        let (router, t) = (router.clone(), t.clone());
        tokio::spawn(async move { probe(&router, &t, "same").await })
    };
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let second = probe(&router, &t, "same").await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(second.code(), "idempotency_key_in_flight");
    gate.add_permits(1);
    let first = first.await.unwrap();
    assert_eq!(first.status, StatusCode::OK);
    let third = probe(&router, &t, "same").await;
    assert!(replayed(&third));
    assert_eq!(third.bytes, first.bytes);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_5xx_and_429_are_not_kept() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    let (router, calls) = probe_router(&app, vec![500, 503, 429, 201], None);
    for want in [500, 503, 429, 201] {
        let a = probe(&router, &t, "flaky").await;
        assert_eq!(a.status.as_u16(), want);
        assert!(!replayed(&a));
    }
    let a = probe(&router, &t, "flaky").await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert!(replayed(&a));
    assert_eq!(a.body["call"], 3);
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    // The real rate limit: a 429 is not replayed; once the budget is back, the retry is applied.
    let app = TestApp::demo_with(|c| c.writes_per_minute = 1).await;
    let t = app.login("dora").await;
    assert_eq!(
        put_presence(&app, &t, None, "lunch").await.status,
        StatusCode::OK
    );
    let before = last_event(&app, &t).await;
    let limited = put_presence(&app, &t, Some("later"), "available").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let me = app.get("/api/v1/me", &t).await;
    let user = me.body["user"]["id"].as_str().unwrap();
    app.state
        .store
        .clear_rate_limit(&format!("write:{user}"))
        .await
        .unwrap();
    let a = put_presence(&app, &t, Some("later"), "available").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(!replayed(&a));
    assert_eq!(last_event(&app, &t).await, before + 1);
}

#[tokio::test]
async fn keys_expire_and_are_swept() {
    let app = TestApp::demo_with(|c| c.idempotency_ttl_secs = 1).await;
    let t = app.login("dora").await;
    let before = last_event(&app, &t).await;
    assert_eq!(
        put_presence(&app, &t, Some("old"), "lunch").await.status,
        StatusCode::OK
    );
    assert!(replayed(
        &put_presence(&app, &t, Some("old"), "lunch").await
    ));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Expired: the key is free again, for any request.
    let a = put_presence(&app, &t, Some("old"), "available").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(!replayed(&a));
    assert_eq!(last_event(&app, &t).await, before + 2);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        app.state
            .store
            .prune_idempotency_keys(now, 100)
            .await
            .unwrap(),
        1
    );
    let scope = session_key(&ucclient_server::auth::digest(&t));
    assert!(
        app.state
            .store
            .idempotency_entry(&scope, "old", 0)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_retried_logout_gets_its_answer() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    let logout = || keyed(Method::POST, "/api/v1/logout", &t, &[b"bye"], None);
    let first = app.request(logout()).await;
    assert_eq!(first.status, StatusCode::NO_CONTENT);
    let again = app.request(logout()).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert!(replayed(&again));
    // Nothing new is claimed for the ended session: another key is answered 401 as before.
    let other = app
        .request(keyed(Method::POST, "/api/v1/logout", &t, &[b"other"], None))
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

/// Every authenticated write of the OpenAPI document declares the header, and its route takes it:
/// a malformed key is refused there before anything else.
#[tokio::test]
async fn every_authenticated_write_takes_the_header() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let mut checked = 0;
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            let authenticated = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if m == "get" || !authenticated {
                continue;
            }
            let declared = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
            });
            assert!(declared, "{m} {path} does not declare Idempotency-Key");
            let uri = format!("/api/v1{}", path.replace(['{', '}'], ""));
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let a = app
                .request(keyed(method, &uri, &t, &[b"bad key"], Some(json!({}))))
                .await;
            assert_eq!(
                a.code(),
                "invalid_idempotency_key",
                "{m} {path}: {}",
                a.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 35, "only {checked} writes");
}

/// A method a path does not have is answered 405 whatever the key.
#[tokio::test]
async fn an_undeclared_method_is_405_before_the_key() {
    let app = TestApp::demo().await;
    let t = app.login("dora").await;
    assert_eq!(
        put_presence(&app, &t, Some("k"), "lunch").await.status,
        StatusCode::OK
    );
    for key in [&b"k"[..], b"bad key"] {
        let a = app
            .request(keyed(Method::POST, PRESENCE, &t, &[key], Some(json!({}))))
            .await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{}", a.text);
    }
}
