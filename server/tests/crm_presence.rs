//! The customer's CRM presence map (issue 14) through the administration API: core's default until
//! an administrator stores one, `PUT /admin/crm-presence` stores it trimmed and audited and `GET
//! /admin/crm-presence` and every user's `GET /me` answer it from then on (after a restart too),
//! every rule core refuses answers 422 `invalid_crm_presence` with core's sentence and changes
//! nothing, agents get 403, and one customer's map never touches another's.

mod common;

use axum::http::{Method, StatusCode};
use common::{Answer, TestApp};
use serde_json::{Value, json};
use ucclient_core::crm_presence::{CrmPresenceError, CrmPresenceMap, MAX_RULES};

const PATH: &str = "/admin/crm-presence";
/// The address every in-process request here comes from (as a socket would give it).
const FROM: [u8; 4] = [203, 0, 113, 9];
const FROM_TEXT: &str = "203.0.113.9";
/// The demo's reseller administrator (of the customer Demo Active HQ).
const RITA: &str = "rita@demo-active.example";

/// A demo backend whose write budget the tests do not run out of.
async fn app() -> TestApp {
    TestApp::demo_with(|c| c.writes_per_minute = 10_000).await
}

/// Sends `method /api/v1{path}` as `token` from [`FROM`], with a JSON body when given.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Answer {
    app.send_from(
        FROM,
        method,
        &format!("/api/v1{path}"),
        Some(token),
        body.cloned(),
    )
    .await
}

async fn put(app: &TestApp, token: &str, body: &Value) -> Answer {
    call(app, Method::PUT, PATH, token, Some(body)).await
}

async fn get(app: &TestApp, token: &str) -> Answer {
    let a = call(app, Method::GET, PATH, token, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a
}

async fn me_map(app: &TestApp, token: &str) -> Value {
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    me.body["crm_presence"].clone()
}

async fn rita(app: &TestApp) -> String {
    let a = app
        .send(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"email": RITA, "password": "demo"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["token"].as_str().unwrap().to_owned()
}

/// The customer's audit log, newest first.
async fn audit(app: &TestApp, token: &str) -> Value {
    let a = call(app, Method::GET, "/admin/audit", token, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

fn default_map() -> Value {
    serde_json::to_value(CrmPresenceMap::default()).unwrap()
}

/// A map of Acme's own: off, with names to trim and two statuses for one profile.
fn acme_map() -> Value {
    json!({
        "enabled": false,
        "salesforce": [
            {"status": "  Available_for_Voice ", "profile": "available"},
            {"status": "Phone", "profile": "available"},
            {"status": "Meeting", "profile": "in_a_meeting"},
        ],
        "dynamics": [
            {"status": "Busy - DND\t", "profile": "on_holiday"},
        ],
    })
}

fn acme_map_trimmed() -> Value {
    let mut m = acme_map();
    m["salesforce"][0]["status"] = json!("Available_for_Voice");
    m["dynamics"][0]["status"] = json!("Busy - DND");
    m
}

#[tokio::test]
async fn a_customer_that_set_nothing_has_cores_default_map() {
    let app = app().await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    assert_eq!(get(&app, &ana).await.body, default_map());
    assert_eq!(me_map(&app, &bruno).await, default_map());
    assert_eq!(default_map()["enabled"], true);
    assert_eq!(default_map()["salesforce"][0]["status"], "Available");
}

#[tokio::test]
async fn a_stored_map_is_answered_trimmed_by_get_and_me_audited_and_kept_per_customer() {
    let app = app().await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;
    let rita = rita(&app).await;

    let a = put(&app, &ana, &acme_map()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, acme_map_trimmed());
    assert_eq!(get(&app, &ana).await.body, acme_map_trimmed());
    assert_eq!(me_map(&app, &bruno).await, acme_map_trimmed());
    assert_eq!(me_map(&app, &ana).await, acme_map_trimmed());

    // One audit row: who, from where, what (counts and whether it is on).
    let log = audit(&app, &ana).await;
    let e = &log[0];
    assert_eq!(e["action"], "crm_presence.put", "{e}");
    assert_eq!(e["actor"]["id"], "ana", "{e}");
    assert_eq!(e["target"], "acme", "{e}");
    assert_eq!(e["from"], FROM_TEXT, "{e}");
    assert_eq!(
        e["detail"],
        json!({"enabled": false, "salesforce_rules": 3, "dynamics_rules": 1})
    );

    // Globex and Demo Active HQ still have the default.
    assert_eq!(me_map(&app, &dora).await, default_map());
    assert_eq!(get(&app, &rita).await.body, default_map());
    assert_eq!(
        app.state.store.crm_presence("globex").await.unwrap(),
        CrmPresenceMap::default()
    );

    // A reseller administrator sets her own customer's map, and Acme's stays as it was.
    let hq = json!({"enabled": true, "salesforce": [], "dynamics": [{"status": "Away", "profile": "away"}]});
    let a = put(&app, &rita, &hq).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, hq);
    assert_eq!(get(&app, &rita).await.body, hq);
    assert_eq!(get(&app, &ana).await.body, acme_map_trimmed());
    assert_eq!(audit(&app, &rita).await[0]["target"], "demo-active-hq");
    assert_ne!(audit(&app, &ana).await[0]["target"], "demo-active-hq");

    // Replacing is whole: a second PUT leaves nothing of the first.
    let back = default_map();
    let a = put(&app, &ana, &back).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(me_map(&app, &bruno).await, back);
    let a = put(&app, &ana, &acme_map()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);

    // Kept across a restart.
    let app = app.restart().await;
    assert_eq!(get(&app, &ana).await.body, acme_map_trimmed());
    assert_eq!(get(&app, &rita).await.body, hq);
}

#[tokio::test]
async fn every_map_core_refuses_answers_422_with_its_sentence_and_changes_nothing() {
    let app = app().await;
    let ana = app.login("ana").await;
    let rule = |status: &str, profile: &str| json!({"status": status, "profile": profile});
    let with_sf = |rules: Vec<Value>| json!({"enabled": true, "salesforce": rules, "dynamics": []});
    let long = "x".repeat(81);
    let cases: Vec<(&str, Value, CrmPresenceError)> = vec![
        (
            "duplicate",
            with_sf(vec![rule("Busy DND", "away"), rule("busy_dnd", "lunch")]),
            CrmPresenceError::Duplicate("busy_dnd".into()),
        ),
        (
            "duplicate in Dynamics",
            json!({"enabled": true, "salesforce": [],
                   "dynamics": [rule("Away", "away"), rule(" away ", "lunch")]}),
            CrmPresenceError::Duplicate("away".into()),
        ),
        (
            "empty",
            with_sf(vec![rule("", "away")]),
            CrmPresenceError::BadStatus(String::new()),
        ),
        (
            "spaces only",
            with_sf(vec![rule("   ", "away")]),
            CrmPresenceError::BadStatus("   ".into()),
        ),
        (
            "too long",
            with_sf(vec![rule(&long, "away")]),
            CrmPresenceError::BadStatus("x".repeat(80)),
        ),
        (
            "control character",
            with_sf(vec![rule("Away\u{7}", "away")]),
            CrmPresenceError::BadStatus("Away\u{7}".into()),
        ),
        (
            "too many rules",
            with_sf(
                (0..=MAX_RULES)
                    .map(|i| rule(&format!("Status {i}"), "away"))
                    .collect(),
            ),
            CrmPresenceError::TooManyRules,
        ),
        (
            "unknown profile",
            with_sf(vec![rule("Away", "not_a_profile")]),
            CrmPresenceError::UnknownProfile,
        ),
    ];
    let before = audit(&app, &ana).await;
    for (what, body, why) in cases {
        let a = put(&app, &ana, &body).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            a.text
        );
        assert_eq!(a.code(), "invalid_crm_presence", "{what}");
        assert_eq!(a.body["message"], why.to_string(), "{what}");
    }
    // Exactly the most rules is fine, with 80-character names.
    let most = with_sf(
        (0..MAX_RULES)
            .map(|i| rule(&format!("{i:0>80}"), "away"))
            .collect(),
    );
    assert_eq!(get(&app, &ana).await.body, default_map());
    assert_eq!(
        audit(&app, &ana).await,
        before,
        "a refused map leaves no audit row"
    );
    let a = put(&app, &ana, &most).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, most);

    // Not a map at all: 400, nothing stored.
    for body in [
        json!([]),
        json!({"enabled": true, "salesforce": []}),
        json!({"enabled": "yes", "salesforce": [], "dynamics": []}),
        json!({"enabled": true, "salesforce": [{"status": "Away"}], "dynamics": []}),
    ] {
        let a = put(&app, &ana, &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text);
        assert_eq!(a.code(), "bad_request");
    }
    // A body over the API's limit: 413.
    let huge = with_sf(vec![rule(&"x".repeat(70 * 1024), "away")]);
    let a = put(&app, &ana, &huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text);
    assert_eq!(get(&app, &ana).await.body, most);
}

#[tokio::test]
async fn agents_get_403_and_change_nothing() {
    let app = app().await;
    let ana = app.login("ana").await;
    let before = audit(&app, &ana).await;
    for who in ["bruno", "carla", "dora"] {
        let token = app.login(who).await;
        for (m, body) in [(Method::GET, None), (Method::PUT, Some(acme_map()))] {
            let a = call(&app, m.clone(), PATH, &token, body.as_ref()).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{who} {m}: {}", a.text);
            assert_eq!(a.code(), "forbidden");
        }
    }
    assert_eq!(audit(&app, &ana).await, before);
    assert_eq!(get(&app, &ana).await.body, default_map());
    let a = app
        .send(Method::GET, &format!("/api/v1{PATH}"), None, None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_put_spends_the_write_budget() {
    let app = TestApp::demo_with(|c| c.writes_per_minute = 2).await;
    let ana = app.login("ana").await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(put(&app, &ana, &acme_map()).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

/// Runs the operator's `customer crm-presence` on `db` with `stdin`: (success, stdout, stderr).
fn cli(db: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .args(["customer", "crm-presence"])
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_operators_command_shows_sets_and_resets_the_map_through_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_in(&dir);
    common::seed(&config).await;
    let db = config.database.as_path();
    let json = |out: &str| serde_json::from_str::<Value>(out).unwrap();

    let (ok, out, _) = cli(db, &["acme"], "");
    assert!(ok);
    assert_eq!(json(&out), default_map());

    let (ok, out, err) = cli(db, &["acme", "--set", "-"], &acme_map().to_string());
    assert!(ok, "{err}");
    assert_eq!(json(&out), acme_map_trimmed());
    let (_, out, _) = cli(db, &["acme"], "");
    assert_eq!(json(&out), acme_map_trimmed());

    // Core's rules, core's sentence, nothing written.
    let dup = json!({"enabled": true, "salesforce": [
        {"status": "Busy", "profile": "away"}, {"status": "BUSY", "profile": "lunch"}], "dynamics": []});
    let (ok, _, err) = cli(db, &["acme", "--set", "-"], &dup.to_string());
    assert!(!ok);
    assert!(
        err.contains(&CrmPresenceError::Duplicate("BUSY".into()).to_string()),
        "{err}"
    );
    let (ok, _, _) = cli(db, &["acme", "--set", "-"], "not json");
    assert!(!ok);
    let (ok, _, err) = cli(db, &["nobody"], "");
    assert!(!ok && err.contains("no customer nobody"), "{err}");
    let (ok, _, err) = cli(db, &["nobody", "--reset"], "");
    assert!(!ok && err.contains("no customer nobody"), "{err}");

    let (ok, out, _) = cli(db, &["acme", "--reset"], "");
    assert!(ok);
    assert_eq!(json(&out), default_map());

    // The two changes are audited as the operator's, Globex untouched.
    let engine = common::open_store(db).await;
    let store = engine.store();
    use ucclient_server::store::AuditScope;
    let log = store
        .audit(&AuditScope::Customer("acme".into()), None, 10)
        .await
        .unwrap();
    let puts: Vec<_> = log
        .iter()
        .filter(|e| e.action == "crm_presence.put")
        .collect();
    assert_eq!(puts.len(), 2, "{log:?}");
    assert_eq!(puts[0].from, "cli");
    assert_eq!(puts[1].detail["salesforce_rules"], 3);
    assert_eq!(
        store.crm_presence("globex").await.unwrap(),
        CrmPresenceMap::default()
    );
    engine.close().await;
}
