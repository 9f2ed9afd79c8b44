//! After-call work (issue 13) over the API: the customer's dispositions and time limit in `/me`,
//! `PUT /calls/{id}/wrapup` and `PUT /calls/{id}/crm-record` on the owner's own ended call with
//! every refusal, isolation between users and customers, the `call` event to the user's other
//! streams, the OpenAPI document, and the admin CLI that sets the list.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{Served, TestApp};
use serde_json::{Value, json};
use ucclient_core::api::Disposition;
use ucclient_server::config::CallTimings;

/// Hour-long phases: calls move only when a test moves them.
fn hour_long_calls(c: &mut ucclient_server::Config) {
    c.call_timings = CallTimings {
        dial: Duration::from_secs(3600),
        ring: Duration::from_secs(3600),
        talk: None,
    };
    c.ring_timeout_secs = 7200;
}

/// A customer's call to ana, answered; its id.
async fn connected_call_of_ana(app: &TestApp, ana: &str) -> String {
    let call = app
        .post(
            "/api/v1/pbx/calls/inbound",
            ana,
            json!({"from": "+351912345678", "to_user": "ana"}),
        )
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    let answered = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{id}/answer"),
            Some(ana),
            None,
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    id
}

async fn hang_up(app: &TestApp, token: &str, id: &str) {
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{id}/hangup"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.body["state"], "ended", "{}", r.text);
}

#[tokio::test]
async fn me_carries_the_customers_dispositions_and_time_limit_defaults_first() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let dora = app.login("dora").await;
    let me = app.get("/api/v1/me", &ana).await.body;
    let codes: Vec<&str> = me["wrap_up"]["dispositions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "connected",
            "left_voicemail",
            "no_answer",
            "wrong_number",
            "follow_up"
        ]
    );
    assert_eq!(me["wrap_up"]["dispositions"][1]["label"], "Left voicemail");
    assert_eq!(me["wrap_up"]["seconds"], 120);

    let sale = [Disposition {
        code: "sale".into(),
        label: "Sale".into(),
    }];
    assert!(
        app.state
            .store
            .set_dispositions("acme", Some(&sale))
            .await
            .unwrap()
    );
    assert!(
        app.state
            .store
            .set_wrap_up_seconds("acme", Some(30))
            .await
            .unwrap()
    );
    let me = app.get("/api/v1/me", &ana).await.body;
    assert_eq!(
        me["wrap_up"],
        json!({"dispositions": [{"code": "sale", "label": "Sale"}], "seconds": 30})
    );
    let other = app.get("/api/v1/me", &dora).await.body;
    assert_eq!(other["wrap_up"]["seconds"], 120, "another customer's own");
    assert_eq!(
        other["wrap_up"]["dispositions"].as_array().unwrap().len(),
        5
    );
}

#[tokio::test]
async fn a_wrap_up_is_saved_on_the_owners_ended_call_and_refused_otherwise() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let path = format!("/api/v1/calls/{id}/wrapup");
    let good = json!({"notes": "Wants a quote\nCall back Friday", "disposition": "follow_up"});

    let early = app.put(&path, &ana, good.clone()).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "call_not_ended"),
        "not while talking"
    );
    hang_up(&app, &ana, &id).await;

    for (who, token) in [("a colleague", &bruno), ("another customer", &dora)] {
        let r = app.put(&path, token, good.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{who}"
        );
    }
    let unknown = app
        .put("/api/v1/calls/nope/wrapup", &ana, good.clone())
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let refusals = [
        (
            json!({"notes": "", "disposition": "sale"}),
            "unknown_disposition",
        ),
        (json!({"notes": "é".repeat(2001)}), "notes_too_long"),
        (json!({"notes": "beep\u{7}"}), "invalid_notes"),
    ];
    for (body, reason) in refusals {
        let r = app.put(&path, &ana, body).await;
        assert_eq!(
            (r.status, r.code(), r.body["reason"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_wrap_up",
                Some(reason)
            ),
            "{}",
            r.text
        );
        assert!(!r.body["message"].as_str().unwrap().is_empty());
    }
    let malformed = app
        .put(&path, &ana, json!({"notes": 3, "disposition": "x"}))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let nothing = app.get("/api/v1/calls", &ana).await.body;
    assert!(
        nothing[0].get("wrap_up").is_none(),
        "nothing refused stored"
    );

    let saved = app.put(&path, &ana, good.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["wrap_up"], good);
    assert_eq!(saved.body["state"], "ended");
    let history = app.get("/api/v1/calls", &ana).await.body;
    assert_eq!(history[0]["id"], id.as_str());
    assert_eq!(history[0]["wrap_up"], good);

    // Saved again (the time limit's save after a manual one, or a correction): replaced.
    let again = app.put(&path, &ana, json!({"notes": "Sold"})).await;
    assert_eq!(again.body["wrap_up"], json!({"notes": "Sold"}));
    // The customer's own list decides: a code it no longer has is refused from then on.
    let sale = [Disposition {
        code: "sale".into(),
        label: "Sale".into(),
    }];
    app.state
        .store
        .set_dispositions("acme", Some(&sale))
        .await
        .unwrap();
    let sold = app
        .put(&path, &ana, json!({"notes": "", "disposition": "sale"}))
        .await;
    assert_eq!(sold.status, StatusCode::OK, "{}", sold.text);
    let old = app.put(&path, &ana, good).await;
    assert_eq!(old.body["reason"], "unknown_disposition");
}

#[tokio::test]
async fn the_logging_pages_crm_record_is_stored_on_the_call_beside_the_wrap_up() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let path = format!("/api/v1/calls/{id}/crm-record");
    let task = json!({"crm": "salesforce", "id": "00T000000000001AAA"});

    let early = app.put(&path, &ana, task.clone()).await;
    assert_eq!(early.code(), "call_not_ended");
    hang_up(&app, &ana, &id).await;
    for token in [&bruno, &dora] {
        assert_eq!(
            app.put(&path, token, task.clone()).await.status,
            StatusCode::NOT_FOUND
        );
    }
    for bad in [
        json!({"crm": "standalone", "id": "x1"}),
        json!({"crm": "dynamics", "id": "a b"}),
        json!({"crm": "dynamics", "id": ""}),
        json!({"crm": "dynamics", "id": "a".repeat(65)}),
    ] {
        let r = app.put(&path, &ana, bad).await;
        assert_eq!(
            (r.status, r.body["reason"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_crm_record")),
            "{}",
            r.text
        );
    }
    let zoho = app
        .put(&path, &ana, json!({"crm": "zoho", "id": "1"}))
        .await;
    assert_eq!(zoho.status, StatusCode::BAD_REQUEST);

    let r = app.put(&path, &ana, task.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["crm_record"], task);
    let w = app
        .put(
            &format!("/api/v1/calls/{id}/wrapup"),
            &ana,
            json!({"notes": "n", "disposition": "connected"}),
        )
        .await;
    assert_eq!(w.body["crm_record"], task, "the wrap-up keeps the record");
    assert_eq!(w.body["wrap_up"]["disposition"], "connected");
    let history = app.get("/api/v1/calls", &ana).await.body;
    assert_eq!(history[0]["crm_record"], task);
    assert_eq!(history[0]["wrap_up"]["notes"], "n");
}

#[tokio::test]
async fn a_saved_wrap_up_reaches_the_users_other_streams_and_no_one_elses() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    hour_long_calls(&mut config);
    common::seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let ana = s.login("ana").await;
    let ana_other_tab = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut tab = s.events(&ana_other_tab, None).await;
    let mut colleague = s.events(&bruno, None).await;
    for sse in [&mut tab, &mut colleague] {
        assert_eq!(sse.next().await.event, "snapshot");
    }
    let call: Value = http
        .post(format!("{api}/pbx/calls/inbound"))
        .bearer_auth(&ana)
        .json(&json!({"from": "+351912345678", "to_user": "ana"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = call["id"].as_str().unwrap().to_owned();
    for step in ["answer", "hangup"] {
        let r = http
            .post(format!("{api}/calls/{id}/{step}"))
            .bearer_auth(&ana)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = http
        .put(format!("{api}/calls/{id}/wrapup"))
        .bearer_auth(&ana)
        .json(&json!({"notes": "Done", "disposition": "connected"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let wrapped = loop {
        let e = tab.next().await;
        if e.event == "call" && e.data.get("wrap_up").is_some() {
            break e.data;
        }
    };
    assert_eq!(wrapped["id"], id.as_str());
    assert_eq!(
        wrapped["wrap_up"],
        json!({"notes": "Done", "disposition": "connected"})
    );
    // Bruno's stream carries presence, never ana's calls: nothing of the wrap-up reaches him.
    let seen = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            let e = colleague.next().await;
            if e.event == "call" {
                return e;
            }
        }
    })
    .await;
    assert!(seen.is_err(), "bruno got ana's call: {seen:?}");
    s.stop().await;
}

#[tokio::test]
async fn the_openapi_document_has_the_wrap_up_endpoints_with_every_status() {
    let app = TestApp::demo().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    for path in ["/calls/{id}/wrapup", "/calls/{id}/crm-record"] {
        assert_eq!(
            common::documented_statuses(&doc, path, "put"),
            [
                "200", "400", "401", "403", "404", "409", "413", "422", "429", "431", "500", "503"
            ],
            "{path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["WrapUp"]["properties"]["notes"]["maxLength"], 2000);
    assert_eq!(schemas["CrmRecord"]["properties"]["id"]["maxLength"], 64);
    assert_eq!(
        schemas["WrapUpSettings"]["properties"]["seconds"]["maximum"],
        3600
    );
    assert!(schemas["Call"]["properties"]["wrap_up"].is_object());
    assert!(schemas["Me"]["properties"]["wrap_up"].is_object());
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    for code in [
        "call_not_ended",
        "invalid_wrap_up",
        "unknown_disposition",
        "notes_too_long",
        "invalid_notes",
        "invalid_crm_record",
    ] {
        assert!(codes.contains(&json!(code)), "{code}");
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_ucclient-server");

/// Runs an admin command; its status, stdout and stderr.
fn admin(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_operator_sets_the_dispositions_and_time_limit_with_clear_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops.db");
    let ok = |args: &[&str]| {
        let (success, out, err) = admin(&db, args);
        assert!(success, "{args:?}: {err}");
        out
    };
    ok(&["reseller", "add", "--id", "r1", "--name", "R"]);
    ok(&[
        "customer",
        "add",
        "--id",
        "c1",
        "--reseller",
        "r1",
        "--name",
        "Initech",
    ]);
    let shown = ok(&["customer", "dispositions", "c1"]);
    assert!(shown.starts_with("wrap-up seconds\t120\n"), "{shown}");
    assert!(shown.contains("follow_up\tFollow-up"), "{shown}");

    let set = ok(&[
        "customer",
        "dispositions",
        "c1",
        "--set",
        "sale=Sale, closed;callback=Call back",
        "--wrapup-seconds",
        "45",
    ]);
    assert_eq!(
        set,
        "wrap-up seconds\t45\nsale\tSale, closed\ncallback\tCall back\n"
    );

    let refused = [
        (vec!["--set", "Sale=Sale"], "disposition code \"Sale\""),
        (vec!["--set", "sale"], "is not code=Label"),
        (vec!["--set", "a=A;a=B"], "given twice"),
        (vec!["--wrapup-seconds", "5"], "10 to 3600 seconds"),
    ];
    for (extra, says) in refused {
        let mut args = vec!["customer", "dispositions", "c1"];
        args.extend(extra);
        let (success, _, err) = admin(&db, &args);
        assert!(!success && err.contains(says), "{args:?}: {err}");
    }
    let (success, _, err) = admin(&db, &["customer", "dispositions", "nobody", "--reset"]);
    assert!(!success && err.contains("no customer nobody"), "{err}");
    assert_eq!(
        ok(&["customer", "dispositions", "c1"]),
        set,
        "nothing refused was written"
    );
    let reset = ok(&["customer", "dispositions", "c1", "--reset"]);
    assert!(reset.starts_with("wrap-up seconds\t120\nconnected\tConnected\n"));
}
