//! The softphone registration (issue 17): `PUT /softphone`, its keep-alive, its end and its
//! expiry, one registration per user across nodes, the `softphone` event on the user's own streams
//! only; and the store's twin engines answering and logging alike, each expiry logged once however
//! many nodes sweep.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Received, Served, Sse, TestApp, config_in, seed};
use serde_json::{Value, json};
use ucclient_server::softphone;
use ucclient_server::store::StoredRegistration;
use ucclient_server::store::engine::Engine;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The `softphone` events the user's streams may see, in order: (registration, state).
async fn softphone_events(app: &TestApp, customer: &str, user: &str) -> Vec<(String, String)> {
    app.state
        .store
        .events_after(customer, user, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "softphone")
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap();
            (
                data["registration"].as_str().unwrap().to_owned(),
                data["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Registers the token's user's panel; the registration's id.
async fn register(app: &TestApp, token: &str, body: Value) -> String {
    let a = app.put("/api/v1/softphone", token, body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn keep_alive(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.post(
        &format!("/api/v1/softphone/{id}/keepalive"),
        token,
        Value::Null,
    )
    .await
    .status
}

/// Runs SQL on the test's database (either engine).
async fn sql(app: &TestApp, statement: &str) {
    common::sql(&app.state.config.database, statement).await;
}

#[tokio::test]
async fn a_panel_registers_keeps_alive_and_ends_its_registration() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let a = app.put("/api/v1/softphone", &ana, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // Her first (and only) device of kind softphone, for 30 s.
    assert_eq!(a.body["device"], "ana-softphone");
    assert_eq!(a.body["expires_in"], 30);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .map(|r| (r.id, r.device_id)),
        Some((id.clone(), "ana-softphone".to_owned()))
    );
    assert_eq!(
        softphone::require(&app.state, "ana", &id).await.unwrap().id,
        id
    );

    // The device named, and no body at all, register as well.
    let named = register(&app, &ana, json!({"device": "ana-softphone"})).await;
    let bare = app
        .send(
            axum::http::Method::PUT,
            "/api/v1/softphone",
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(bare.status, StatusCode::OK, "{}", bare.text);
    let current = bare.body["id"].as_str().unwrap().to_owned();
    assert_ne!(named, current);

    assert_eq!(
        keep_alive(&app, &ana, &current).await,
        StatusCode::NO_CONTENT
    );
    // A replaced registration is not current any more.
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NOT_FOUND);
    let gone = app
        .delete(&format!("/api/v1/softphone/{named}"), &ana)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "not_found");
    let err = softphone::require(&app.state, "ana", &id)
        .await
        .unwrap_err();
    assert_eq!(err.status_and_code().0, StatusCode::CONFLICT);
    assert_eq!(
        err.status_and_code().1,
        ucclient_core::api::ErrorCode::SoftphoneNotRegistered
    );

    let end = app
        .delete(&format!("/api/v1/softphone/{current}"), &ana)
        .await;
    assert_eq!(end.status, StatusCode::NO_CONTENT, "{}", end.text);
    assert!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        keep_alive(&app, &ana, &current).await,
        StatusCode::NOT_FOUND
    );
    let again = app
        .delete(&format!("/api/v1/softphone/{current}"), &ana)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // Each end logged once, to Ana only: two replaced, one ended.
    assert_eq!(
        softphone_events(&app, "acme", "ana").await,
        [
            (id.clone(), "replaced".to_owned()),
            (named.clone(), "replaced".to_owned()),
            (current.clone(), "ended".to_owned()),
        ]
    );
    assert!(softphone_events(&app, "acme", "bruno").await.is_empty());
}

#[tokio::test]
async fn refusals() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let carla = app.login("carla").await;

    // Bruno has no softphone device.
    let a = app.put("/api/v1/softphone", &bruno, json!({})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.code(), "unknown_device");
    // Ana's desk phone is not a softphone; Bruno's device and unknown or over-long ids are not hers.
    for device in [
        "ana-desk".to_owned(),
        "bruno-desk".to_owned(),
        "nope".to_owned(),
        "a".repeat(softphone::MAX_ID_LEN + 1),
    ] {
        let a = app
            .put("/api/v1/softphone", &ana, json!({"device": device}))
            .await;
        assert_eq!(a.code(), "unknown_device", "{device}: {}", a.text);
    }
    // Malformed bodies.
    for body in [
        json!({"device": 5}),
        json!("ana-softphone"),
        json!([]),
        json!(["ana-softphone"]),
    ] {
        let a = app.put("/api/v1/softphone", &ana, body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    }
    // Without the crm_client permission.
    let a = app.put("/api/v1/softphone", &carla, json!({})).await;
    assert_eq!(a.code(), "client_not_licensed");
    assert!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .is_none()
    );

    let id = register(&app, &ana, json!({})).await;
    // Another user naming Ana's registration: not theirs, 404, and nothing changes.
    assert_eq!(keep_alive(&app, &bruno, &id).await, StatusCode::NOT_FOUND);
    let a = app.delete(&format!("/api/v1/softphone/{id}"), &bruno).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(softphone::require(&app.state, "bruno", &id).await.is_err());
    // Over-long and unknown ids.
    let long = "a".repeat(softphone::MAX_ID_LEN + 1);
    for bad in [long.as_str(), "nope"] {
        assert_eq!(keep_alive(&app, &ana, bad).await, StatusCode::NOT_FOUND);
        let a = app.delete(&format!("/api/v1/softphone/{bad}"), &ana).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
        assert!(softphone::require(&app.state, "ana", bad).await.is_err());
    }
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NO_CONTENT);
    assert!(softphone_events(&app, "acme", "ana").await.is_empty());
}

#[tokio::test]
async fn a_registration_not_kept_alive_expires_once() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let before = now_ms();
    let id = register(&app, &ana, json!({})).await;
    let after = now_ms();
    // Not before its 30 s are over.
    assert_eq!(
        softphone::sweep(&app.state, before + 29_000).await.unwrap(),
        0
    );
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NO_CONTENT);
    // A keep-alive moves the expiry on: one due in a second lives 30 s from the keep-alive.
    let soon = now_ms() + 1_000;
    sql(
        &app,
        &format!("UPDATE softphone_registrations SET expires_ms = {soon}"),
    )
    .await;
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NO_CONTENT);
    assert_eq!(softphone::sweep(&app.state, soon + 5_000).await.unwrap(), 0);
    // After it: swept once, announced once, to Ana only.
    let late = now_ms() + 30_001;
    assert!(late > after + 30_000);
    assert_eq!(softphone::sweep(&app.state, late).await.unwrap(), 1);
    assert_eq!(softphone::sweep(&app.state, late).await.unwrap(), 0);
    assert_eq!(
        softphone_events(&app, "acme", "ana").await,
        [(id.clone(), "expired".to_owned())]
    );
    assert!(softphone_events(&app, "acme", "bruno").await.is_empty());
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NOT_FOUND);
    assert!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_expired_registration_reads_as_gone_before_the_sweep() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let old = register(&app, &ana, json!({})).await;
    sql(&app, "UPDATE softphone_registrations SET expires_ms = 0").await;
    assert!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .is_none()
    );
    assert!(softphone::require(&app.state, "ana", &old).await.is_err());
    assert_eq!(keep_alive(&app, &ana, &old).await, StatusCode::NOT_FOUND);
    let a = app.delete(&format!("/api/v1/softphone/{old}"), &ana).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // A new registration replaces it: its end is logged as what it was, expired.
    let new = register(&app, &ana, json!({})).await;
    assert_eq!(
        softphone_events(&app, "acme", "ana").await,
        [(old, "expired".to_owned())]
    );
    assert_eq!(softphone::sweep(&app.state, now_ms()).await.unwrap(), 0);
    assert_eq!(keep_alive(&app, &ana, &new).await, StatusCode::NO_CONTENT);
}

/// Moves tokio's clock forward by `d` at once (see `timing.rs`).
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

#[tokio::test]
async fn the_node_heartbeat_sweeps() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let id = register(&app, &ana, json!({})).await;
    sql(&app, "UPDATE softphone_registrations SET expires_ms = 1").await;
    jump(Duration::from_secs(5)).await;
    for _ in 0..250 {
        if !softphone_events(&app, "acme", "ana").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        softphone_events(&app, "acme", "ana").await,
        [(id, "expired".to_owned())]
    );
}

#[tokio::test]
async fn a_removed_device_takes_its_registration_with_it() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    register(&app, &ana, json!({})).await;
    // Her softphone device removed (admin API): the registration goes with it.
    let a = app
        .delete("/api/v1/admin/devices/ana-softphone", &ana)
        .await;
    assert!(a.status.is_success(), "{}", a.text);
    assert!(
        softphone::current(&app.state, "ana")
            .await
            .unwrap()
            .is_none()
    );
    let a = app.put("/api/v1/softphone", &ana, json!({})).await;
    assert_eq!(a.code(), "unknown_device");
}

/// Reads a stream until the event `want` says it is the one; every event read on the way.
async fn until(sse: &mut Sse, want: impl Fn(&Received) -> bool) -> Vec<Received> {
    let mut seen = Vec::new();
    loop {
        let e = sse.next().await;
        let done = want(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

fn is_softphone(e: &Received, id: &str, state: &str) -> bool {
    e.event == "softphone" && e.data["registration"] == id && e.data["state"] == state
}

/// One registration per user across nodes: a panel on node B takes over from a panel on node A;
/// the user's streams hear it, a colleague's never do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_panel_on_another_node_takes_over_and_only_the_user_hears_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    seed(&config).await;
    let a = Served::start(config.clone()).await;
    let b = Served::start(config).await;
    let http = Served::client();
    let ana_a = a.login("ana").await;
    let ana_b = b.login("ana").await;
    let bruno = a.login("bruno").await;
    let mut ana_stream = a.events(&ana_a, None).await;
    let mut bruno_stream = a.events(&bruno, None).await;
    for sse in [&mut ana_stream, &mut bruno_stream] {
        assert_eq!(sse.next().await.event, "snapshot");
    }
    let put = |base: &str, token: &str| {
        http.put(format!("{base}/api/v1/softphone"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
    };
    let first: Value = put(&a.base, &ana_a).await.unwrap().json().await.unwrap();
    let second: Value = put(&b.base, &ana_b).await.unwrap().json().await.unwrap();
    let (first, second) = (
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    );
    assert_ne!(first, second);

    // Ana's stream on A hears that her first panel was replaced (written through B).
    until(&mut ana_stream, |e| is_softphone(e, &first, "replaced")).await;
    let keep = |base: &str, token: &str, id: &str| {
        http.post(format!("{base}/api/v1/softphone/{id}/keepalive"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(keep(&a.base, &ana_a, &first).await.unwrap().status(), 404);
    // The registration made through B is current on A too.
    assert_eq!(keep(&a.base, &ana_a, &second).await.unwrap().status(), 204);
    // Bruno cannot end it.
    let end = |base: &str, token: &str, id: &str| {
        http.delete(format!("{base}/api/v1/softphone/{id}"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(end(&a.base, &bruno, &second).await.unwrap().status(), 404);
    assert_eq!(end(&b.base, &ana_b, &second).await.unwrap().status(), 204);
    until(&mut ana_stream, |e| is_softphone(e, &second, "ended")).await;

    // Bruno's stream: a change of his own comes next, and nothing of Ana's softphone came before.
    a.put_profile(&bruno, "lunch").await;
    let seen = until(&mut bruno_stream, |e| {
        e.event == "presence" && e.data["user_id"] == "bruno"
    })
    .await;
    assert!(
        seen.iter().all(|e| e.event != "softphone"),
        "a colleague heard Ana's softphone: {seen:?}"
    );
    let bruno_sees = a
        .state
        .store
        .events_after("acme", "bruno", 0, 10_000)
        .await
        .unwrap();
    assert!(bruno_sees.iter().all(|e| e.kind != "softphone"));
    drop((ana_stream, bruno_stream));
    a.stop().await;
    b.stop().await;
}

// --- the store: both engines alike, each expiry once ---

/// Two customers, three users, softphone devices.
const SEED: &[&str] = &[
    "INSERT INTO resellers (id, name) VALUES ('r1', 'R')",
    "INSERT INTO customers (id, reseller_id, name) VALUES ('c1', 'r1', 'C1')",
    "INSERT INTO customers (id, reseller_id, name) VALUES ('c2', 'r1', 'C2')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u1', 'c1', 'Bob', 'bob@example.com', '101', 'h')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u2', 'c1', 'Alice', 'alice@example.com', '102', 'h')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u3', 'c2', 'Other', 'other@example.com', '101', 'h')",
    "INSERT INTO devices (id, user_id, kind, label, number, position) VALUES ('u1-soft', 'u1', 'softphone', 'S', 'sip:1', 0)",
    "INSERT INTO devices (id, user_id, kind, label, number, position) VALUES ('u2-soft', 'u2', 'softphone', 'S', 'sip:2', 0)",
    "INSERT INTO devices (id, user_id, kind, label, number, position) VALUES ('u3-soft', 'u3', 'softphone', 'S', 'sip:3', 0)",
];

fn reg(id: &str, user: &str, customer: &str, expires_ms: i64) -> StoredRegistration {
    StoredRegistration {
        id: id.to_owned(),
        user_id: user.to_owned(),
        customer_id: customer.to_owned(),
        device_id: format!("{user}-soft"),
        expires_ms,
    }
}

/// The customer's logged events in id order: (audience, kind, data) (ids differ between the
/// engines).
async fn logged(engine: &Engine, customer: &str) -> Vec<(Option<String>, String, String)> {
    common::logged_events(engine, customer)
        .await
        .into_iter()
        .map(|(_, audience, kind, data)| (audience, kind, data))
        .collect()
}

/// The same calls on one engine, each answer as a line.
async fn scenario(engine: &Engine) -> Vec<String> {
    let s = engine.store();
    let mut out = Vec::new();
    macro_rules! log {
        ($e:expr) => {
            out.push(format!("{} = {:?}", stringify!($e), $e))
        };
    }
    log!(
        s.register_softphone(&reg("a", "u1", "c1", 31_000), 1_000)
            .await
            .unwrap()
    );
    log!(s.softphone_registration("u1", 1_000).await.unwrap());
    log!(s.softphone_registration("u1", 31_000).await.unwrap());
    log!(
        s.register_softphone(&reg("b", "u1", "c1", 32_000), 2_000)
            .await
            .unwrap()
    );
    log!(
        s.keep_softphone_alive("u1", "a", 3_000, 33_000)
            .await
            .unwrap()
    );
    log!(
        s.keep_softphone_alive("u2", "b", 3_000, 33_000)
            .await
            .unwrap()
    );
    log!(
        s.keep_softphone_alive("u1", "b", 20_000, 50_000)
            .await
            .unwrap()
    );
    log!(s.expire_softphones(40_000, 100).await.unwrap());
    log!(
        s.keep_softphone_alive("u1", "b", 50_000, 80_000)
            .await
            .unwrap()
    );
    log!(
        s.register_softphone(&reg("c", "u2", "c1", 31_000), 1_000)
            .await
            .unwrap()
    );
    log!(
        s.register_softphone(&reg("d", "u3", "c2", 31_000), 1_000)
            .await
            .unwrap()
    );
    log!(s.end_softphone("u2", "c", 40_000).await.unwrap());
    log!(s.end_softphone("u2", "c", 10_000).await.unwrap());
    log!(s.end_softphone("u2", "c", 10_000).await.unwrap());
    log!(s.end_softphone("u1", "d", 10_000).await.unwrap());
    log!(s.expire_softphones(50_001, 100).await.unwrap());
    log!(s.expire_softphones(50_001, 100).await.unwrap());
    log!(
        s.register_softphone(&reg("e", "u1", "c1", 90_000), 60_000)
            .await
            .unwrap()
    );
    log!(
        s.register_softphone(&reg("f", "u1", "c1", 99_000), 69_000)
            .await
            .unwrap()
    );
    log!(s.softphone_registration("u1", 69_000).await.unwrap());
    log!(logged(engine, "c1").await);
    log!(logged(engine, "c2").await);
    out
}

#[tokio::test]
async fn postgres_answers_and_logs_like_sqlite() {
    let want = common::same_on_both_engines(SEED, scenario).await;
    // The reference itself says what the store promises.
    let line = |start: &str| common::line(&want, start);
    let c1 = line("logged(engine, \"c1\")");
    for (registration, state) in [
        ("a", "replaced"),
        ("c", "ended"),
        ("b", "expired"),
        ("e", "replaced"),
    ] {
        let data = format!(
            "{{\\\"registration\\\":\\\"{registration}\\\",\\\"state\\\":\\\"{state}\\\"}}"
        );
        assert_eq!(
            c1.matches(&data).count(),
            1,
            "{registration} {state} in {c1}"
        );
    }
    assert_eq!(c1.matches("softphone").count(), 4, "{c1}");
    let c2 = line("logged(engine, \"c2\")");
    assert_eq!(c2.matches("expired").count(), 1, "{c2}");
}

/// Two nodes (two pools on one database of the engine under test) sweeping at once expire each
/// registration once, with one event each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sweeping_at_once_expire_each_registration_once() {
    let (one, path, _dir) = common::open_seeded(common::on_postgres(), SEED).await;
    let other = Engine::open(&path, Duration::from_secs(10)).await.unwrap();
    let nodes = [one.store(), other.store()];
    for (id, user, customer) in [("a", "u1", "c1"), ("b", "u2", "c1"), ("c", "u3", "c2")] {
        nodes[0]
            .register_softphone(&reg(id, user, customer, 5_000), 1_000)
            .await
            .unwrap();
    }
    // Rounds of eight sweeps at once, one registration each at most, until none is left (a sweep
    // may find its customer's rows taken by another and leave the rest to the next heartbeat).
    let mut ids: Vec<String> = Vec::new();
    for _ in 0..10 {
        let swept = futures::future::join_all((0..8).map(|i| {
            let s = nodes[i % 2].clone();
            async move { s.expire_softphones(10_000, 1).await.unwrap() }
        }))
        .await;
        ids.extend(swept.into_iter().flatten().map(|r| r.id));
        if ids.len() >= 3 {
            break;
        }
    }
    ids.sort();
    assert_eq!(ids, ["a", "b", "c"]);
    let mut events = logged(&one, "c1").await;
    events.extend(logged(&one, "c2").await);
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e.1 == "softphone" && e.2.contains("expired"))
    );
    other.close().await;
    one.close().await;
}

// --- `PlaceCallRequest.device`: the device a call is placed from ---

#[tokio::test]
async fn a_call_placed_from_the_softphone_records_it() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let placed = |body: Value| app.post("/api/v1/calls", &ana, body);
    let a = placed(json!({"to": "+351912345678", "device": "ana-softphone"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let on_softphone = a.body["id"].as_str().unwrap().to_owned();
    let call = app.state.store.call(&on_softphone).await.unwrap().unwrap();
    assert_eq!(call.from_device.as_deref(), Some("ana-softphone"));
    // The wire's call is unchanged by it.
    assert!(a.body.get("device").is_none() && a.body.get("from_device").is_none());
    app.post(
        &format!("/api/v1/calls/{on_softphone}/hangup"),
        &ana,
        Value::Null,
    )
    .await;

    // Without one: none recorded, as before.
    let a = placed(json!({"to": "+351912345678"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let plain = a.body["id"].as_str().unwrap().to_owned();
    let call = app.state.store.call(&plain).await.unwrap().unwrap();
    assert_eq!(call.from_device, None);
    app.post(&format!("/api/v1/calls/{plain}/hangup"), &ana, Value::Null)
        .await;

    // Another user's device, an unknown or over-long one: 422, and no call placed.
    let before = app.state.store.calls_of("ana", 100).await.unwrap().len();
    for device in [
        "bruno-desk".to_owned(),
        "nope".to_owned(),
        "a".repeat(softphone::MAX_ID_LEN + 1),
    ] {
        let a = placed(json!({"to": "+351912345678", "device": device})).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{device}: {}",
            a.text
        );
        assert_eq!(a.code(), "unknown_device");
    }
    assert_eq!(
        app.state.store.calls_of("ana", 100).await.unwrap().len(),
        before
    );
}

/// A registration retried with its `Idempotency-Key` (a lost answer) gets the same registration
/// back and replaces nothing; a new key registers anew.
#[tokio::test]
async fn a_retried_registration_is_not_a_second_one() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let keyed = |key: &'static str| {
        axum::http::Request::builder()
            .method(axum::http::Method::PUT)
            .uri("/api/v1/softphone")
            .header("authorization", format!("Bearer {ana}"))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{}"))
            .unwrap()
    };
    let first = app.request(keyed("panel-1")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = app.request(keyed("panel-1")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], first.body["id"]);
    assert!(softphone_events(&app, "acme", "ana").await.is_empty());
    let id = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(keep_alive(&app, &ana, &id).await, StatusCode::NO_CONTENT);
    let other = app.request(keyed("panel-2")).await;
    assert_ne!(other.body["id"], first.body["id"]);
    assert_eq!(
        softphone_events(&app, "acme", "ana").await,
        [(id, "replaced".to_owned())]
    );
}

/// An inbound call says which of the user's devices it rings on (`rings_on`, what the panel's
/// softphone rings by): every device by default, find-me/follow-me's in step order when the
/// current profile routes, none when nothing rings (Do Not Disturb) — in the answer, in the store
/// and in the `call` event alike; outbound calls list none.
#[tokio::test]
async fn an_inbound_call_says_which_devices_it_rings_on() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let ring_ana = || async {
        let a = app
            .post(
                "/api/v1/pbx/calls/inbound",
                &ana,
                json!({"from": "+351213000000", "to_user": "ana"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        let id = a.body["id"].as_str().unwrap().to_owned();
        let stored = app.state.store.call(&id).await.unwrap().unwrap().call;
        assert_eq!(
            serde_json::to_value(&stored).unwrap()["rings_on"],
            a.body["rings_on"],
            "stored as answered"
        );
        app.post(&format!("/api/v1/calls/{id}/decline"), &ana, Value::Null)
            .await;
        a.body
    };
    let every = json!(["ana-desk", "ana-softphone", "ana-mobile"]);
    assert_eq!(ring_ana().await["rings_on"], every);

    // A profile that rings the desk phone, then the softphone: that order, and nothing else.
    let routed = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [{"devices": ["ana-desk"], "after_seconds": 0},
                                                   {"devices": ["ana-softphone"], "after_seconds": 10}]}});
    let r = app
        .put(
            "/api/v1/me/profiles/working_from_home/settings",
            &ana,
            routed,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.set_profile(&ana, "working_from_home").await;
    assert_eq!(
        ring_ana().await["rings_on"],
        json!(["ana-desk", "ana-softphone"])
    );

    // The desk phone only: the softphone is not listed, so a panel that is the phone stays quiet.
    let desk = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [{"devices": ["ana-desk"], "after_seconds": 0}]}});
    app.put("/api/v1/me/profiles/working_from_home/settings", &ana, desk)
        .await;
    let call = ring_ana().await;
    assert_eq!(call["rings_on"], json!(["ana-desk"]));
    let events = app
        .state
        .store
        .events_after("acme", "ana", 0, 10_000)
        .await
        .unwrap();
    let ringing = events
        .iter()
        .filter(|e| e.kind == "call")
        .map(|e| serde_json::from_str::<Value>(&e.data).unwrap())
        .find(|c| c["id"] == call["id"] && c["state"] == "ringing")
        .expect("the ringing call's event");
    assert_eq!(ringing["rings_on"], json!(["ana-desk"]));

    // Nothing rings under Do Not Disturb: the field is left out.
    app.set_profile(&ana, "away").await;
    let call = ring_ana().await;
    assert_ne!(call["state"], "ringing");
    assert!(call.get("rings_on").is_none(), "{call}");

    // A call the user places lists nothing.
    app.set_profile(&ana, "available").await;
    let a = app
        .post("/api/v1/calls", &ana, json!({"to": "+351912345678"}))
        .await;
    assert!(a.body.get("rings_on").is_none(), "{}", a.text);
}
