//! Call control (issue 13) over the API: hold and resume of a connected call (still connected,
//! still busy), and blind transfer to a colleague (who is rung like a direct call, with the other
//! party as `from`) or to a number, with every refusal. On tokio's clock, moved by [`jump`].

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::calls::{connected_call_of_ana, hour_long_calls, jump, on_call, post, wait_for};
use common::{Served, Sse, TestApp};
use serde_json::{Value, json};

/// Carla's calls, newest first, as JSON.
async fn carla_calls(app: &TestApp) -> Vec<Value> {
    let calls = app.state.store.calls_of("carla", 10).await.unwrap();
    calls
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

/// Polls carla's call `id` until it is in `state`.
async fn wait_carla(app: &TestApp, id: &str, state: &str) {
    for _ in 0..500 {
        if carla_calls(app)
            .await
            .iter()
            .any(|c| c["id"] == id && c["state"] == state)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("carla's call {id} never became {state}");
}

#[tokio::test]
async fn a_connected_call_is_held_and_resumed_and_stays_busy_meanwhile() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;

    // A ringing call can be neither held nor resumed.
    let ringing = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351912345679", "to_user": "ana"}),
        )
        .await;
    let ringing_id = ringing.body["id"].as_str().unwrap();
    let held = post(&app, &format!("/api/v1/calls/{ringing_id}/hold"), &ana).await;
    assert_eq!(
        (held.status, held.code()),
        (StatusCode::CONFLICT, "call_not_connected")
    );
    post(&app, &format!("/api/v1/calls/{ringing_id}/decline"), &ana).await;

    let id = connected_call_of_ana(&app, &ana).await;
    let resumed = post(&app, &format!("/api/v1/calls/{id}/resume"), &ana).await;
    assert_eq!(
        (resumed.status, resumed.code()),
        (StatusCode::CONFLICT, "call_not_held"),
        "not on hold yet"
    );
    // Someone else's call is not there for them, in the customer or outside it.
    for other in [&bruno, &dora] {
        let r = post(&app, &format!("/api/v1/calls/{id}/hold"), other).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    }

    let held = post(&app, &format!("/api/v1/calls/{id}/hold"), &ana).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text);
    assert_eq!(
        (held.body["state"].as_str(), held.body["held"].as_bool()),
        (Some("connected"), Some(true))
    );
    assert_eq!(
        on_call(&app, &ana).await,
        true,
        "a held call keeps her busy"
    );
    let again = post(&app, &format!("/api/v1/calls/{id}/hold"), &ana).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "call_not_connected")
    );
    let listed = wait_for(&app, &ana, |c| c["id"] == id.as_str()).await;
    assert_eq!(listed["held"], true);

    let resumed = post(&app, &format!("/api/v1/calls/{id}/resume"), &ana).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    assert_eq!(resumed.body["state"], "connected");
    assert!(
        resumed.body.get("held").is_none(),
        "left out when false, as API.md's Call: {}",
        resumed.text
    );

    // Hung up while held: ended, and no longer held.
    post(&app, &format!("/api/v1/calls/{id}/hold"), &ana).await;
    let hung = post(&app, &format!("/api/v1/calls/{id}/hangup"), &ana).await;
    assert_eq!(hung.body["state"], "ended");
    assert!(hung.body.get("held").is_none());
    assert_eq!(on_call(&app, &ana).await, false);
    let late = post(&app, &format!("/api/v1/calls/{id}/resume"), &ana).await;
    assert_eq!(late.code(), "call_not_held");
}

#[tokio::test]
async fn a_blind_transfer_to_a_colleague_rings_them_and_ends_the_agents_part() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    post(&app, &format!("/api/v1/calls/{id}/hold"), &ana).await;

    let moved = app
        .post(
            &format!("/api/v1/calls/{id}/transfer"),
            &ana,
            json!({"to": "202"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["state"], "ended");
    assert_eq!(moved.body["outcome"], "transferred");
    assert_eq!(
        moved.body["transferred_to"], "202",
        "the target is recorded"
    );
    assert!(moved.body.get("held").is_none());
    assert_eq!(on_call(&app, &ana).await, false);

    // Bruno is rung as for a direct call, from the customer who called ana.
    let rung = wait_for(&app, &bruno, |c| c["direction"] == "inbound").await;
    assert_eq!(
        (
            rung["from"].as_str(),
            rung["to"].as_str(),
            rung["state"].as_str()
        ),
        (Some("+351912345678"), Some("202"), Some("ringing"))
    );
    assert_eq!(rung["internal"], false);
    let rung_id = rung["id"].as_str().unwrap();
    let answered = post(&app, &format!("/api/v1/calls/{rung_id}/answer"), &bruno).await;
    assert_eq!(answered.body["state"], "connected", "{}", answered.text);
    assert_eq!(on_call(&app, &bruno).await, true);
    // Ana's part stays over.
    let transfer_again = app
        .post(
            &format!("/api/v1/calls/{id}/transfer"),
            &ana,
            json!({"to": "203"}),
        )
        .await;
    assert_eq!(
        (transfer_again.status, transfer_again.code()),
        (StatusCode::CONFLICT, "call_not_connected")
    );
}

#[tokio::test]
async fn a_colleague_transferred_on_talks_to_the_new_colleague() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Bruno calls ana; she answers.
    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "201"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let incoming = wait_for(&app, &ana, |c| c["direction"] == "inbound").await;
    let in_id = incoming["id"].as_str().unwrap().to_owned();
    post(&app, &format!("/api/v1/calls/{in_id}/answer"), &ana).await;

    // Not to the person she is talking to.
    let to_bruno = app
        .post(
            &format!("/api/v1/calls/{in_id}/transfer"),
            &ana,
            json!({"to": "202"}),
        )
        .await;
    assert_eq!(
        (
            to_bruno.status,
            to_bruno.code(),
            to_bruno.body["reason"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            Some("transfer_to_self")
        )
    );

    // To carla (no panel: she picks up after RING). Bruno's call goes on with her.
    let moved = app
        .post(
            &format!("/api/v1/calls/{in_id}/transfer"),
            &ana,
            json!({"to": "203"}),
        )
        .await;
    assert_eq!(moved.body["outcome"], "transferred", "{}", moved.text);
    // Carla has no panel (nor API access): the store says what her phone does.
    let rung = carla_calls(&app).await.remove(0);
    assert_eq!(
        (rung["from"].as_str(), rung["internal"].as_bool()),
        (Some("202"), Some(true))
    );
    jump(Duration::from_secs(3600)).await;
    let carla_id = rung["id"].as_str().unwrap().to_owned();
    wait_carla(&app, &carla_id, "connected").await;
    let bruno_call = wait_for(&app, &bruno, |c| c["id"] == out_id.as_str()).await;
    assert_eq!(bruno_call["state"], "connected");
    // Bruno hangs up: carla's call ends with his, as between any two colleagues.
    post(&app, &format!("/api/v1/calls/{out_id}/hangup"), &bruno).await;
    wait_carla(&app, &carla_id, "ended").await;
}

#[tokio::test]
async fn transfers_are_refused_with_the_dialling_rule_and_to_oneself() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let transfer = |to: &'static str, token: String| {
        let app = &app;
        let path = format!("/api/v1/calls/{id}/transfer");
        async move { app.post(&path, &token, json!({ "to": to })).await }
    };

    // An extension nobody of the customer has (dora's 301 is another customer's).
    for ext in ["299", "301"] {
        let r = transfer(ext, ana.clone()).await;
        assert_eq!(
            (r.status, r.code(), r.body["reason"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_number",
                Some("unknown_extension")
            ),
            "{ext}: {}",
            r.text
        );
    }
    let r = transfer("+35191", ana.clone()).await;
    assert_eq!(
        (r.status, r.code(), r.body.get("reason")),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_number", None),
        "{}",
        r.text
    );
    let r = transfer("201", ana.clone()).await;
    assert_eq!(r.body["reason"], "transfer_to_self", "{}", r.text);
    let r = transfer("202", bruno.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "someone else's call");
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/transfer"),
            &ana,
            json!({"to": 202}),
        )
        .await;
    assert_eq!(r.code(), "bad_request");
    // Still hers after every refusal: connected.
    let call = wait_for(&app, &ana, |c| c["id"] == id.as_str()).await;
    assert_eq!(call["state"], "connected");

    // To a number outside: like forwarding, the PBX sends the customer on; ana's part ends.
    let r = transfer("912 000 002", ana.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["outcome"], "transferred");
    assert_eq!(
        r.body["transferred_to"], "+351912000002",
        "as dialled, in E.164"
    );
    assert_eq!(on_call(&app, &ana).await, false);
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

#[tokio::test]
async fn hold_and_transfer_reach_every_panel_live() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    hour_long_calls(&mut config);
    common::seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut ana_panel = s.events(&ana, None).await;
    let mut bruno_panel = s.events(&bruno, None).await;
    for sse in [&mut ana_panel, &mut bruno_panel] {
        assert_eq!(sse.next().await.event, "snapshot");
    }
    let post = |path: String, token: &str, body: Value| {
        http.post(format!("{api}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let call: Value = post(
        "/pbx/calls/inbound".into(),
        &ana,
        json!({"from": "+351912345678", "to_user": "ana"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(next_call(&mut ana_panel).await["state"], "ringing");
    post(format!("/calls/{id}/answer"), &ana, Value::Null)
        .await
        .unwrap();
    assert_eq!(next_call(&mut ana_panel).await["state"], "connected");

    post(format!("/calls/{id}/hold"), &ana, Value::Null)
        .await
        .unwrap();
    let held = next_call(&mut ana_panel).await;
    assert_eq!(
        (held["id"].as_str(), held["held"].as_bool()),
        (Some(id.as_str()), Some(true))
    );

    let moved = post(format!("/calls/{id}/transfer"), &ana, json!({"to": "202"}))
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let ended = next_call(&mut ana_panel).await;
    assert_eq!(
        (ended["state"].as_str(), ended["outcome"].as_str()),
        (Some("ended"), Some("transferred"))
    );
    let rung = next_call(&mut bruno_panel).await;
    assert_eq!(
        (rung["state"].as_str(), rung["from"].as_str()),
        (Some("ringing"), Some("+351912345678"))
    );
    // Ana is free again for everyone of the customer: her busy overlay ends with her part.
    loop {
        let e = bruno_panel.next().await;
        if e.event == "presence"
            && e.data["user_id"] == "ana"
            && e.data["presence"]["on_call"] == false
        {
            break;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn the_openapi_document_has_hold_resume_and_transfer_with_real_schemas() {
    let app = TestApp::demo().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let statuses = |path: &str| common::documented_statuses(&doc, path, "post");
    for path in ["/calls/{id}/hold", "/calls/{id}/resume"] {
        assert_eq!(
            statuses(path),
            [
                "200", "400", "401", "403", "404", "409", "422", "429", "431", "500", "503"
            ],
            "{path}"
        );
    }
    assert_eq!(
        statuses("/calls/{id}/transfer"),
        [
            "200", "400", "401", "403", "404", "409", "413", "422", "429", "431", "500", "503"
        ]
    );
    let body = &doc["paths"]["/calls/{id}/transfer"]["post"]["requestBody"];
    assert_eq!(
        body["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/TransferRequest"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["TransferRequest"]["properties"]["to"]["maxLength"],
        64
    );
    assert_eq!(schemas["Call"]["properties"]["held"]["type"], "boolean");
    let outcomes = schemas["CallOutcome"]["enum"].as_array().unwrap();
    assert!(outcomes.contains(&json!("transferred")));
    assert!(!outcomes.contains(&json!("other")), "read, never written");
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    for code in ["call_not_connected", "call_not_held", "transfer_to_self"] {
        assert!(codes.contains(&json!(code)), "{code}");
    }
}
