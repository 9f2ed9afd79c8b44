//! How calls end up: an inbound call that forwarding sends on is recorded as forwarded (not
//! failed), and when two calls of one user end at once the busy overlay still goes (the "still on
//! another call?" check runs inside the write that ends each call).

mod common;

use std::time::Duration;

use common::{Sse, TestApp};
use serde_json::{Value, json};
use ucclient_server::config::CallTimings;

#[tokio::test]
async fn a_forwarded_inbound_call_is_recorded_as_forwarded_not_failed() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    // Ana (active mode) forwards her current profile, Available, to her mobile number.
    let forward = json!({"dnd": false, "forwarding": {"enabled": true, "to": "+351912000001"},
        "routing": {"ring": "all"}});
    let saved = app
        .put("/api/v1/me/profiles/available/settings", &ana, forward)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    app.wait_sync(&ana, "applied").await;

    // Ana is the customer administrator who may play the embedded PBX.
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351213000000", "to_user": "ana"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"], "ended", "{}", r.body);
    assert_eq!(r.body["forwarded_to"], "+351912000001");
    assert_eq!(
        r.body["outcome"], "forwarded",
        "set together with forwarded_to"
    );
    assert!(r.body["answered_at"].is_null());
    assert!(r.body["ended_at"].is_string());
    let history = app.get("/api/v1/calls", &ana).await.body;
    assert_eq!(history[0]["id"], r.body["id"]);
    assert_eq!(history[0]["forwarded_to"], "+351912000001");
    assert_eq!(history[0]["state"], "ended");

    // Not forwarded: no such field; under DND the call still fails at once, to voicemail (ana's
    // mailbox is on by default).
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "202", "to_user": "ana"}),
        )
        .await;
    assert_eq!(r.body["state"], "failed");
    assert_eq!(r.body["outcome"], "voicemail");
    assert!(r.body.get("forwarded_to").is_none(), "{}", r.body);
}

/// Reads ana's stream until `done` holds for an event; returns ana's last presence seen so far.
async fn read_until(
    sse: &mut Sse,
    last_presence: &mut Value,
    mut done: impl FnMut(&common::Received) -> bool,
) {
    loop {
        let e = sse.next().await;
        if e.event == "presence" && e.data["user_id"] == "ana" {
            *last_presence = e.data["presence"].clone();
        }
        if done(&e) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_ending_at_once_still_take_the_busy_overlay_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    config.call_timings = CallTimings {
        dial: Duration::ZERO,
        ring: Duration::ZERO,
        talk: None,
    };
    config.calls_per_minute = 1000;
    common::seed(&config).await;
    let s = common::Served::start(config).await;
    let api = format!("{}/api/v1", s.base);
    let http = common::Served::client();
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut sse = s.events(&ana, None).await;
    assert_eq!(sse.next().await.event, "snapshot");
    let mut presence = Value::Null;

    // Each round: two calls of ana connect, then both hang up at the same moment. Before the
    // check moved into the write, each hang-up could see the other call still connected and
    // neither announced the end of the overlay: ana stayed "on a call" for everyone.
    for round in 0..8 {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let r = http
                .post(format!("{api}/calls"))
                .bearer_auth(&ana)
                .json(&json!({"to": "912345678"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let body: Value = r.json().await.unwrap();
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        let mut connected = 0;
        read_until(&mut sse, &mut presence, |e| {
            if e.event == "call" && e.data["state"] == "connected" {
                connected += 1;
            }
            connected == 2
        })
        .await;
        let hang_up = |id: &str| {
            http.post(format!("{api}/calls/{id}/hangup"))
                .bearer_auth(&ana)
                .send()
        };
        let (a, b) = tokio::join!(hang_up(&ids[0]), hang_up(&ids[1]));
        assert_eq!(a.unwrap().status(), 200);
        assert_eq!(b.unwrap().status(), 200);
        // A change of bruno's after both hang-ups: every event they logged comes before it.
        let profile = if round % 2 == 0 { "lunch" } else { "available" };
        s.put_profile(&bruno, profile).await;
        read_until(&mut sse, &mut presence, |e| {
            e.event == "presence"
                && e.data["user_id"] == "bruno"
                && e.data["presence"]["profile"] == profile
        })
        .await;
        assert_eq!(
            presence["on_call"], false,
            "round {round}: ana's last announced presence: {presence}"
        );
        assert_eq!(presence["colour"], "available");
    }
    s.stop().await;
}
