//! Dialable hunt groups (issue 13, transfer) over the API: the demo's Sales group on 600 is in
//! every agent's directory; a call to it rings its members by core's group rules (never the
//! caller), the first to answer takes it and the others' legs end `answered_elsewhere`; nobody
//! answering is missed, or the group's voicemail when it says so; and a group is a target of
//! blind and warm transfers. On tokio's clock, moved by [`jump`].

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::TestApp;
use common::calls::{connected_call_of_ana, hour_long_calls, jump, post, wait_for};
use serde_json::{Value, json};
use ucclient_core::ring::GroupMember;

/// Polls carla's calls (she has no panel nor API access) until one matches.
async fn wait_carla(app: &TestApp, pick: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let calls = app.state.store.calls_of("carla", 10).await.unwrap();
        if let Some(c) = calls
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .find(|c| pick(c))
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no such call of carla's");
}

/// Sales with carla too: ana's extension list, bruno, carla.
async fn sales_with_carla(app: &TestApp) {
    app.state
        .store
        .put_group(
            "acme",
            "sales",
            "Sales",
            &[
                GroupMember::ExtensionListOf("ana".into()),
                GroupMember::User("bruno".into()),
                GroupMember::User("carla".into()),
            ],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_directory_lists_dialable_groups_and_the_dial_rule_knows_them() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let bruno = app.login("bruno").await;
    let groups = app.get("/api/v1/directory/groups", &bruno).await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.text);
    assert_eq!(
        groups.body,
        json!([{"id": "sales", "name": "Sales", "extension": "600"}])
    );
    // Another customer's agent does not see it, and cannot dial it.
    let dora = app.login("dora").await;
    assert_eq!(
        app.get("/api/v1/directory/groups", &dora).await.body,
        json!([])
    );
    let r = app.post("/api/v1/calls", &dora, json!({"to": "600"})).await;
    assert_eq!(r.body["reason"], "unknown_extension", "{}", r.text);
    // A group without an extension is not dialable.
    let r = app
        .post("/api/v1/calls", &bruno, json!({"to": "601"}))
        .await;
    assert_eq!(r.body["reason"], "unknown_extension", "{}", r.text);
    let r = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["to"].as_str(), r.body["internal"].as_bool()),
        (Some("600"), Some(true))
    );
    // Documented with its schema and every status (the directory's search budget: 429).
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    assert_eq!(
        common::documented_statuses(&doc, "/directory/groups", "get"),
        ["200", "400", "401", "403", "429", "431", "500", "503"]
    );
    assert_eq!(
        doc["components"]["schemas"]["GroupEntry"]["properties"]["extension"]["pattern"],
        "^[0-9]{2,6}$"
    );
    // An extension that is a user's cannot be a group's.
    let clash = app
        .state
        .store
        .set_group_dialling("acme", "sales", Some("202"), false)
        .await;
    assert!(clash.is_err());
}

#[tokio::test]
async fn a_group_call_rings_every_member_and_the_first_to_answer_takes_it() {
    let app = TestApp::demo_with(hour_long_calls).await;
    sales_with_carla(&app).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let hers = wait_for(&app, &ana, |c| c["direction"] == "inbound").await;
    assert_eq!(
        (
            hers["from"].as_str(),
            hers["to"].as_str(),
            hers["state"].as_str()
        ),
        (Some("202"), Some("600"), Some("ringing"))
    );
    let carlas = wait_carla(&app, |c| c["state"] == "ringing").await;
    // Bruno called: his own phone does not ring for his own call.
    let his = app.get("/api/v1/calls", &bruno).await.body;
    assert!(
        his.as_array()
            .unwrap()
            .iter()
            .all(|c| c["direction"] == "outbound"),
        "{his}"
    );
    assert_eq!(
        wait_for(&app, &bruno, |c| c["id"] == out_id.as_str()).await["state"],
        "ringing"
    );

    let hers_id = hers["id"].as_str().unwrap().to_owned();
    let answered = post(&app, &format!("/api/v1/calls/{hers_id}/answer"), &ana).await;
    assert_eq!(answered.body["state"], "connected", "{}", answered.text);
    let carla_id = carlas["id"].as_str().unwrap().to_owned();
    let carla_now = wait_carla(&app, |c| c["id"] == carla_id.as_str()).await;
    assert_eq!(
        (carla_now["state"].as_str(), carla_now["outcome"].as_str()),
        (Some("failed"), Some("answered_elsewhere"))
    );
    let bruno_call = wait_for(&app, &bruno, |c| c["id"] == out_id.as_str()).await;
    assert_eq!(bruno_call["state"], "connected");
    // The two talk as any two colleagues: bruno hangs up, ana's call ends.
    post(&app, &format!("/api/v1/calls/{out_id}/hangup"), &bruno).await;
    let over = wait_for(&app, &ana, |c| c["id"] == hers_id.as_str()).await;
    assert_eq!(over["state"], "ended");
}

#[tokio::test]
async fn a_group_call_nobody_answers_is_missed_unless_the_group_says_voicemail() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Bruno calls Sales: ana rings (never the caller himself) and does not answer.
    let call = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    wait_for(&app, &ana, |c| c["state"] == "ringing").await;
    jump(Duration::from_secs(7200)).await;
    let hers = wait_for(&app, &ana, |c| {
        c["direction"] == "inbound" && c["state"] == "failed"
    })
    .await;
    assert_eq!(
        hers["outcome"], "missed",
        "not her voicemail: the group does not say so"
    );
    let his = wait_for(&app, &bruno, |c| {
        c["id"] == id.as_str() && c["state"] == "failed"
    })
    .await;
    assert_eq!(his["outcome"], "missed");
    assert_eq!(
        app.get("/api/v1/voicemail", &ana).await.body["messages"],
        json!([])
    );

    // With the group's voicemail on, the first member's mailbox (ana's) takes it.
    app.state
        .store
        .set_group_dialling("acme", "sales", Some("600"), true)
        .await
        .unwrap();
    let call = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    wait_for(&app, &ana, |c| c["state"] == "ringing").await;
    jump(Duration::from_secs(7200)).await;
    let his = wait_for(&app, &bruno, |c| {
        c["id"] == id.as_str() && c["state"] == "failed"
    })
    .await;
    assert_eq!(his["outcome"], "voicemail");
    let mailbox = app.get("/api/v1/voicemail", &ana).await.body;
    assert_eq!(
        mailbox["messages"].as_array().unwrap().len(),
        1,
        "{mailbox}"
    );
}

#[tokio::test]
async fn a_caller_hanging_up_stops_every_member_ringing() {
    let app = TestApp::demo_with(hour_long_calls).await;
    sales_with_carla(&app).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let call = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let hers = wait_for(&app, &ana, |c| c["state"] == "ringing").await;
    wait_carla(&app, |c| c["state"] == "ringing").await;
    post(&app, &format!("/api/v1/calls/{id}/hangup"), &bruno).await;
    let hers = wait_for(&app, &ana, |c| {
        c["id"] == hers["id"] && c["state"] == "failed"
    })
    .await;
    assert_eq!(hers["outcome"], "missed");
    wait_carla(&app, |c| c["state"] == "failed" && c["outcome"] == "missed").await;
}

#[tokio::test]
async fn a_member_declining_leaves_the_others_ringing() {
    let app = TestApp::demo_with(hour_long_calls).await;
    sales_with_carla(&app).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let call = app
        .post("/api/v1/calls", &bruno, json!({"to": "600"}))
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let hers = wait_for(&app, &ana, |c| c["state"] == "ringing").await;
    let hers_id = hers["id"].as_str().unwrap();
    let declined = post(&app, &format!("/api/v1/calls/{hers_id}/decline"), &ana).await;
    assert_eq!(declined.body["state"], "failed", "{}", declined.text);
    assert_eq!(
        wait_for(&app, &bruno, |c| c["id"] == id.as_str()).await["state"],
        "ringing",
        "carla still rings"
    );
    // Carla (no panel) picks up after RING.
    jump(Duration::from_secs(3600)).await;
    wait_carla(&app, |c| c["state"] == "connected").await;
    assert_eq!(
        wait_for(&app, &bruno, |c| c["id"] == id.as_str()
            && c["state"] == "connected")
        .await["state"],
        "connected"
    );
}

#[tokio::test]
async fn a_warm_transfer_to_the_group_is_taken_by_the_member_who_answers() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let leg = app
        .post(
            &format!("/api/v1/calls/{id}/consult"),
            &ana,
            json!({"to": "600"}),
        )
        .await;
    assert_eq!(leg.status, StatusCode::CREATED, "{}", leg.text);
    jump(Duration::from_secs(3600)).await;
    // Ana is in Sales, but her own consultation does not ring her: bruno's phone rings.
    let rung = wait_for(&app, &bruno, |c| c["state"] == "ringing").await;
    assert_eq!(
        (rung["from"].as_str(), rung["to"].as_str()),
        (Some("201"), Some("600"))
    );
    let rung_id = rung["id"].as_str().unwrap().to_owned();
    post(&app, &format!("/api/v1/calls/{rung_id}/answer"), &bruno).await;
    let done = post(&app, &format!("/api/v1/calls/{id}/consult/complete"), &ana).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        (
            done.body["outcome"].as_str(),
            done.body["transferred_to"].as_str()
        ),
        (Some("transferred"), Some("600"))
    );
    let his = wait_for(&app, &bruno, |c| c["id"] == rung_id.as_str()).await;
    assert_eq!(
        (his["state"].as_str(), his["from"].as_str()),
        (Some("connected"), Some("+351912345678"))
    );
}

#[tokio::test]
async fn a_blind_transfer_to_the_group_rings_its_members() {
    let app = TestApp::demo_with(hour_long_calls).await;
    sales_with_carla(&app).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let moved = app
        .post(
            &format!("/api/v1/calls/{id}/transfer"),
            &ana,
            json!({"to": "600"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        (
            moved.body["outcome"].as_str(),
            moved.body["transferred_to"].as_str()
        ),
        (Some("transferred"), Some("600"))
    );
    let rung = wait_for(&app, &bruno, |c| c["state"] == "ringing").await;
    assert_eq!(rung["from"], "+351912345678");
    wait_carla(&app, |c| c["state"] == "ringing").await;
    let rung_id = rung["id"].as_str().unwrap().to_owned();
    let answered = post(&app, &format!("/api/v1/calls/{rung_id}/answer"), &bruno).await;
    assert_eq!(answered.body["state"], "connected", "{}", answered.text);
    wait_carla(&app, |c| c["outcome"] == "answered_elsewhere").await;
}
