//! The agent's phone (issue 11) over the API and the event streams: dialling by the customer's
//! country with core's rule, calls between colleagues that ring the colleague's every panel and
//! make both busy, answer and decline, ring-out and Do Not Disturb going to voicemail, internal calls
//! and the customer's setting for logging them. On tokio's clock, moved by [`jump`].

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{Served, Sse, TestApp};
use serde_json::{Value, json};
use ucclient_server::config::CallTimings;

/// Hour-long dial and ring phases, a two-hour ring timeout: real time never reaches them, only
/// [`jump`] does, and a jump of one hour never reaches the timeout.
fn hour_long_calls(c: &mut ucclient_server::Config) {
    c.call_timings = CallTimings {
        dial: Duration::from_secs(3600),
        ring: Duration::from_secs(3600),
        talk: None,
    };
    c.ring_timeout_secs = 7200;
}

/// Moves tokio's clock forward by `d` at once (see `timing.rs`). No waiting for other tasks first:
/// every phase of a call is timed from an instant taken before the request that starts it answers,
/// and each later phase from the one before, so a late task still sees its deadline passed.
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

/// Polls the user's history until call `id` is in `state`.
async fn wait_call(app: &TestApp, token: &str, id: &str, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..500 {
        let calls = app.get("/api/v1/calls", token).await.body;
        if let Some(c) = calls.as_array().unwrap().iter().find(|c| c["id"] == id) {
            if c["state"] == state {
                return c.clone();
            }
            last = c.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("call {id} never became {state}: {last}");
}

/// Polls the user's history until a call from a colleague arrives; returns it.
async fn wait_inbound(app: &TestApp, token: &str) -> Value {
    for _ in 0..500 {
        let calls = app.get("/api/v1/calls", token).await.body;
        if let Some(c) = calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["direction"] == "inbound" && c["internal"] == true)
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no inbound call arrived");
}

async fn post(app: &TestApp, path: &str, token: &str) -> common::Answer {
    app.send(Method::POST, path, Some(token), None).await
}

#[tokio::test]
async fn dialling_follows_the_customers_country_and_agrees_with_core() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let dora = app.login("dora").await;
    let ana = app.login("ana").await;
    let me = app.get("/api/v1/me", &dora).await.body;
    assert_eq!(me["customer"]["country"], "BR");
    assert_eq!(me["customer"]["log_internal_calls"], false);
    assert_eq!(
        app.get("/api/v1/me", &ana).await.body["customer"]["country"],
        "PT"
    );

    let br = app
        .post("/api/v1/calls", &dora, json!({"to": "(11) 98765-4321"}))
        .await;
    assert_eq!(br.status, StatusCode::CREATED, "{}", br.text);
    assert_eq!(br.body["to"], "+5511987654321");
    assert_eq!(br.body["internal"], false);

    // Whatever the server refuses, it refuses with core's code and sentence: the widget's
    // preview shows exactly the same.
    let cases = [
        (&dora, "912345678", "BR"),
        (&ana, "(11) 98765-4321", "PT"),
        (&ana, "123", "PT"),
        (&ana, "abc", "PT"),
    ];
    for (token, input, country) in cases {
        let r = app.post("/api/v1/calls", token, json!({"to": input})).await;
        let core = ucclient_core::phone::dial_target(input, country, |_| false).unwrap_err();
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{input}");
        assert_eq!(r.body["error"], json!(core.code()), "{input}");
        assert_eq!(r.body["message"], core.to_string(), "{input}");
        assert_eq!(
            r.body.get("reason"),
            core.reason().map(|r| json!(r)).as_ref(),
            "{input}"
        );
    }
    // API.md's code stays; the reason says which refusal it is.
    let unknown = app.post("/api/v1/calls", &ana, json!({"to": "123"})).await;
    assert_eq!(
        (unknown.code(), &unknown.body["reason"]),
        ("invalid_number", &json!("unknown_extension"))
    );
    assert_eq!(
        unknown.body["message"],
        "nobody in your company has extension 123"
    );

    let pt = app
        .post("/api/v1/calls", &ana, json!({"to": "912345678"}))
        .await;
    assert_eq!(pt.body["to"], "+351912345678");
    let colleague = app.post("/api/v1/calls", &ana, json!({"to": "202"})).await;
    assert_eq!(colleague.status, StatusCode::CREATED);
    assert_eq!(colleague.body["to"], "202");
    assert_eq!(colleague.body["internal"], true, "a colleague's extension");
    // Extensions do not cross customers: Acme's 202 is nobody at Globex.
    let other = app.post("/api/v1/calls", &dora, json!({"to": "202"})).await;
    assert_eq!(other.body["reason"], "unknown_extension");
}

/// The next `call` event of a stream.
async fn next_call(sse: &mut Sse) -> Value {
    loop {
        let e = sse.next().await;
        if e.event == "call" {
            return e.data;
        }
    }
}

/// The next `presence` event of a stream about `user`.
async fn next_presence_of(sse: &mut Sse, user: &str) -> Value {
    loop {
        let e = sse.next().await;
        if e.event == "presence" && e.data["user_id"] == user {
            return e.data["presence"].clone();
        }
    }
}

#[tokio::test]
async fn a_call_to_a_colleague_rings_every_panel_of_theirs_and_makes_both_busy() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    hour_long_calls(&mut config);
    common::seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    // Two panels of bruno (two CRMs), one of ana.
    let mut bruno_1 = s.events(&bruno, None).await;
    let mut bruno_2 = s.events(&bruno, None).await;
    let mut ana_panel = s.events(&ana, None).await;
    for sse in [&mut bruno_1, &mut bruno_2, &mut ana_panel] {
        assert_eq!(sse.next().await.event, "snapshot");
    }

    let placed: Value = http
        .post(format!("{api}/calls"))
        .bearer_auth(&ana)
        .json(&json!({"to": "202"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out_id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(next_call(&mut ana_panel).await["state"], "dialing");

    // Ana's own phone rang for DIAL; now the PBX rings bruno, on every panel of his.
    jump(Duration::from_secs(3600)).await;
    let ringing_1 = next_call(&mut bruno_1).await;
    let ringing_2 = next_call(&mut bruno_2).await;
    assert_eq!(ringing_1, ringing_2);
    assert_eq!(ringing_1["direction"], "inbound");
    assert_eq!(ringing_1["from"], "201");
    assert_eq!(ringing_1["to"], "202");
    assert_eq!(ringing_1["state"], "ringing");
    assert_eq!(ringing_1["internal"], true);
    let in_id = ringing_1["id"].as_str().unwrap().to_owned();
    assert_eq!(next_call(&mut ana_panel).await["state"], "ringing");

    // Bruno has a panel: his call does not connect by itself after RING (the answer below would
    // be 409 call_not_ringing if it had).
    jump(Duration::from_secs(3600)).await;
    let history: Value = http
        .get(format!("{api}/calls"))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["id"], in_id.as_str());
    assert_eq!(history[0]["state"], "ringing");

    let answered = http
        .post(format!("{api}/calls/{in_id}/answer"))
        .bearer_auth(&bruno)
        .json(&json!({"device": "bruno-mobile"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["state"], "connected");
    assert_eq!(answered["answered_on"], "bruno-mobile");
    assert_eq!(next_call(&mut bruno_2).await["state"], "connected");
    assert_eq!(next_call(&mut ana_panel).await["state"], "connected");
    // Both busy, for everyone of the customer.
    let ana_seen = next_presence_of(&mut bruno_1, "ana").await;
    assert_eq!(
        (ana_seen["on_call"].clone(), ana_seen["colour"].clone()),
        (json!(true), json!("busy"))
    );
    let bruno_seen = next_presence_of(&mut ana_panel, "bruno").await;
    assert_eq!(
        (bruno_seen["on_call"].clone(), bruno_seen["colour"].clone()),
        (json!(true), json!("busy"))
    );

    // Ana hangs up: both calls end, both free again, the call in both histories.
    let hung: Value = http
        .post(format!("{api}/calls/{out_id}/hangup"))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hung["state"], "ended");
    let ended = next_call(&mut bruno_1).await;
    assert_eq!(
        (ended["id"].as_str(), ended["state"].as_str()),
        (Some(in_id.as_str()), Some("ended"))
    );
    assert_eq!(
        next_presence_of(&mut ana_panel, "bruno").await["on_call"],
        false
    );
    for (token, id, direction) in [(&ana, &out_id, "outbound"), (&bruno, &in_id, "inbound")] {
        let calls: Value = http
            .get(format!("{api}/calls"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let c = calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap();
        assert_eq!(c["direction"], direction);
        assert_eq!(c["state"], "ended");
        assert_eq!(c["internal"], true);
        assert!(c["answered_at"].is_string());
    }
    s.stop().await;
}

#[tokio::test]
async fn incoming_calls_are_answered_declined_or_missed_never_connected_by_themselves() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let inbound = |to: &'static str| json!({"from": "+351912345678", "to_user": to});

    // Declined: over, and a second decline or an answer is refused.
    let call = app
        .post("/api/v1/pbx/calls/inbound", &ana, inbound("ana"))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    assert_eq!(call.body["internal"], false);
    let answer = app
        .post(
            &format!("/api/v1/calls/{id}/answer"),
            &ana,
            json!({"device": "bruno-desk"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "unknown_device", "another user's device");
    let declined = post(&app, &format!("/api/v1/calls/{id}/decline"), &ana).await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.text);
    assert_eq!(declined.body["state"], "failed");
    // Declined to her mailbox, on by default (voicemail.rs: declined when it is off).
    assert_eq!(declined.body["outcome"], "voicemail");
    let again = post(&app, &format!("/api/v1/calls/{id}/decline"), &ana).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "call_not_ringing")
    );
    let late = post(&app, &format!("/api/v1/calls/{id}/answer"), &ana).await;
    assert_eq!(late.code(), "call_not_ringing");
    assert_eq!(
        post(&app, &format!("/api/v1/calls/{id}/decline"), &bruno)
            .await
            .code(),
        "not_found",
        "someone else's call"
    );

    // Answered without a body: on the first device that rings; busy while talking.
    let call = app
        .post("/api/v1/pbx/calls/inbound", &ana, inbound("ana"))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &ana, &id, "ringing").await;
    let answered = post(&app, &format!("/api/v1/calls/{id}/answer"), &ana).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    assert_eq!(answered.body["answered_on"], "ana-desk");
    assert_eq!(
        app.get("/api/v1/me", &ana).await.body["presence"]["colour"],
        "busy"
    );
    // `null` is "no body" as well (the schema's optional body), never a 400.
    let null = app
        .post(
            &format!("/api/v1/calls/{id}/answer"),
            &ana,
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(
        (null.status, null.code()),
        (StatusCode::CONFLICT, "call_not_ringing"),
        "{}",
        null.text
    );
    post(&app, &format!("/api/v1/calls/{id}/hangup"), &ana).await;

    // Nobody answers: after the ring timeout the call goes to voicemail.
    let call = app
        .post("/api/v1/pbx/calls/inbound", &ana, inbound("ana"))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(7200)).await;
    let missed = wait_call(&app, &ana, &id, "failed").await;
    assert_eq!(missed["outcome"], "voicemail");
    assert!(missed["answered_at"].is_null());

    // A colleague declines: the caller sees where it went (the colleague's voicemail).
    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "201"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let incoming = wait_inbound(&app, &ana).await;
    assert_eq!(incoming["from"], "202");
    let id = incoming["id"].as_str().unwrap();
    post(&app, &format!("/api/v1/calls/{id}/decline"), &ana).await;
    let caller = wait_call(&app, &bruno, &out_id, "failed").await;
    assert_eq!(caller["outcome"], "voicemail");
}

#[tokio::test]
async fn do_not_disturb_sends_a_call_to_voicemail_at_once_not_failed_unanswered() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;

    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351912345678", "to_user": "ana"}),
        )
        .await;
    assert_eq!(r.body["state"], "failed");
    assert_eq!(r.body["outcome"], "voicemail");

    // A colleague's call under DND: to ana's voicemail, for bruno too, at once after DIAL.
    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "201"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let caller = wait_call(&app, &bruno, &out_id, "failed").await;
    assert_eq!(caller["outcome"], "voicemail");
    let callee = wait_inbound(&app, &ana).await;
    assert_eq!(
        (
            callee["state"].clone(),
            callee["outcome"].clone(),
            callee["internal"].clone()
        ),
        (json!("failed"), json!("voicemail"), json!(true))
    );
}

#[tokio::test]
async fn a_colleague_who_forwards_gets_the_call_as_forwarded_with_the_number_on_both_sides() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Ana (active mode) forwards her current profile, Available, to her mobile number.
    let forward = json!({"dnd": false, "forwarding": {"enabled": true, "to": "+351912000001"},
        "routing": {"ring": "all"}});
    let saved = app
        .put("/api/v1/me/profiles/available/settings", &ana, forward)
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    app.wait_sync(&ana, "applied").await;

    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "201"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    // Bruno's call goes on to the forwarding number; one model on both sides: `outcome`
    // forwarded and `forwarded_to`, always together.
    let caller = wait_call(&app, &bruno, &out_id, "ringing").await;
    assert_eq!(
        (caller["outcome"].clone(), caller["forwarded_to"].clone()),
        (json!("forwarded"), json!("+351912000001"))
    );
    let callee = wait_inbound(&app, &ana).await;
    assert_eq!(
        (
            callee["state"].clone(),
            callee["outcome"].clone(),
            callee["forwarded_to"].clone()
        ),
        (json!("ended"), json!("forwarded"), json!("+351912000001"))
    );
}

#[tokio::test]
async fn a_colleague_without_a_panel_picks_up_after_the_ring_time_and_both_are_busy() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let out = app.post("/api/v1/calls", &ana, json!({"to": "203"})).await;
    let id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &ana, &id, "ringing").await;
    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &ana, &id, "connected").await;
    let dir = app.get("/api/v1/directory?q=acme", &ana).await.body;
    for who in ["ana", "carla"] {
        let row = dir
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["user"]["id"] == who)
            .unwrap();
        assert_eq!(row["presence"]["colour"], "busy", "{who}");
    }
}

#[tokio::test]
async fn the_operator_turns_logging_of_internal_calls_on_and_off() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let db = app.state.config.database.clone();
    let admin = |setting: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
            .args([
                "customer",
                "log-internal-calls",
                "acme",
                setting,
                "--database",
            ])
            .arg(&db)
            .env_remove("UCCLIENT_DATABASE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let logging =
        async || app.get("/api/v1/me", &ana).await.body["customer"]["log_internal_calls"].clone();
    assert_eq!(logging().await, false, "off by default");
    admin("on");
    assert_eq!(logging().await, true);
    admin("off");
    assert_eq!(logging().await, false);
}

#[tokio::test]
async fn the_openapi_document_has_answer_and_decline_with_every_status() {
    let app = TestApp::demo().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let statuses = |path: &str| common::documented_statuses(&doc, path, "post");
    assert_eq!(
        statuses("/calls/{id}/answer"),
        [
            "200", "400", "401", "403", "404", "409", "413", "422", "429", "431", "500", "503"
        ]
    );
    assert_eq!(
        statuses("/calls/{id}/decline"),
        [
            "200", "400", "401", "403", "404", "409", "422", "429", "431", "500", "503"
        ]
    );
    let body = &doc["paths"]["/calls/{id}/answer"]["post"]["requestBody"];
    assert!(body["content"]["application/json"].is_object());
    assert_ne!(body["required"], true, "the answer's body may be left out");
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["CallOutcome"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("forwarded"))
    );
    assert!(schemas["Call"]["properties"]["answered_on"].is_object());
    assert!(schemas["CustomerRef"]["properties"]["country"].is_object());
    assert!(
        schemas["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("unknown_extension"))
    );
}
