//! Time-dependent behaviour on tokio's paused clock: the embedded PBX's call simulation with the
//! busy overlay, the far side hanging up, inbound calls, and keep-alive comments on event streams.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use ucclient_server::config::CallTimings;

/// Hour-long phases: real time never reaches them, only [`jump`] does.
fn hour_long_calls(c: &mut ucclient_server::Config) {
    c.call_timings = CallTimings {
        dial: Duration::from_secs(3600),
        ring: Duration::from_secs(3600),
        talk: None,
    };
}

/// Moves tokio's clock forward by `d` at once. The clock runs normally otherwise: a paused clock
/// would also auto-advance whenever the runtime waits on SQLite's own threads, by arbitrary amounts.
///
/// No waiting first for other tasks to start their timers: every timer this file advances past is
/// registered before the request that creates it answers (a call's phases are timed from its
/// placement, a stream's keep-alive from its last write), so nothing depends on who ran first.
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

/// Polls until the embedded PBX plays no call any more.
async fn wait_simulations_done(app: &TestApp) {
    for _ in 0..500 {
        if app.state.simulations.running() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{} call simulations still running",
        app.state.simulations.running()
    );
}

/// Polls a call in the history until it reaches `state`.
async fn wait_call(app: &TestApp, token: &str, id: &str, state: &str) -> Value {
    for _ in 0..500 {
        let calls = app.get("/api/v1/calls", token).await.body;
        if let Some(c) = calls.as_array().unwrap().iter().find(|c| c["id"] == id)
            && c["state"] == state
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("call {id} never became {state}");
}

#[tokio::test]
async fn an_outbound_call_rings_connects_shows_busy_and_ends_on_hangup() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let t = app.login("ana").await;
    let call = app
        .post("/api/v1/calls", &t, json!({"to": "912345678"}))
        .await;
    assert_eq!(call.status, StatusCode::CREATED);
    let id = call.body["id"].as_str().unwrap();
    assert_eq!(call.body["state"], "dialing");

    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &t, id, "ringing").await;
    let me = app.get("/api/v1/me", &t).await.body;
    assert_eq!(
        me["presence"]["on_call"], false,
        "not on a call until connected"
    );

    jump(Duration::from_secs(3600)).await;
    let connected = wait_call(&app, &t, id, "connected").await;
    assert!(connected["answered_at"].is_string());
    let me = app.get("/api/v1/me", &t).await.body;
    assert_eq!(me["presence"]["on_call"], true);
    assert_eq!(me["presence"]["colour"], "busy", "the busy overlay");
    assert_eq!(me["presence"]["profile"], "available");

    // Talk time 0: the far side never hangs up, even ten hours later. The simulation has nothing
    // left to play once connected (it ends; no timer of it is left to fire), so no waiting after
    // the jump is needed to see that the call stays connected.
    wait_simulations_done(&app).await;
    jump(Duration::from_secs(36_000)).await;
    assert_eq!(
        wait_call(&app, &t, id, "connected").await["ended_at"],
        Value::Null
    );

    let hung = app
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/calls/{id}/hangup"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(hung.body["state"], "ended");
    let me = app.get("/api/v1/me", &t).await.body;
    assert_eq!(me["presence"]["on_call"], false);
    assert_eq!(me["presence"]["colour"], "available");
}

#[tokio::test]
async fn the_far_side_hangs_up_after_the_talk_time_and_unavailable_profiles_keep_their_colour() {
    let app = TestApp::demo_with(|c| {
        c.call_timings = CallTimings {
            dial: Duration::from_secs(3600),
            ring: Duration::from_secs(3600),
            talk: Some(Duration::from_secs(3600)),
        };
    })
    .await;
    let t = app.login("bruno").await;
    app.set_profile(&t, "lunch").await;
    let call = app
        .post("/api/v1/calls", &t, json!({"to": "+5511987654321"}))
        .await;
    let id = call.body["id"].as_str().unwrap();
    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &t, id, "ringing").await;
    jump(Duration::from_secs(3600)).await;
    wait_call(&app, &t, id, "connected").await;
    let p = app.get("/api/v1/me", &t).await.body["presence"].clone();
    assert_eq!(
        (p["on_call"].clone(), p["colour"].clone()),
        (json!(true), json!("away"))
    );
    jump(Duration::from_secs(3600)).await;
    let ended = wait_call(&app, &t, id, "ended").await;
    assert!(ended["ended_at"].is_string());
    assert_eq!(
        app.get("/api/v1/me", &t).await.body["presence"]["on_call"],
        false
    );
}

#[tokio::test]
async fn inbound_calls_ring_where_core_says_and_unlicensed_users_follow_their_calls() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let a = app.login("ana").await;
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &a,
            json!({"from": "912 345 678", "to_user": "carla"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["direction"], "inbound");
    assert_eq!(r.body["from"], "+351912345678");
    assert_eq!(r.body["to"], "203");
    assert_eq!(r.body["state"], "ringing");
    let c = app.login("carla").await;
    jump(Duration::from_secs(3600)).await;
    // Carla has no licence (no call history for her), but her presence goes busy while she talks.
    let mut me = Value::Null;
    for _ in 0..500 {
        me = app.get("/api/v1/me", &c).await.body;
        if me["presence"]["on_call"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(me["presence"]["on_call"], true);
    assert_eq!(me["presence"]["colour"], "busy");
    assert_eq!(me["presence"]["profile"], "available");
    let dir = app.get("/api/v1/directory?q=carla", &a).await.body;
    assert_eq!(dir[0]["presence"]["colour"], "busy");

    // Under DND nothing rings: the call fails at once.
    app.set_profile(&a, "lunch").await;
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &a,
            json!({"from": "202", "to_user": "ana"}),
        )
        .await;
    assert_eq!(r.body["state"], "failed");
    assert!(r.body["ended_at"].is_string());
    let bad = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &a,
            json!({"from": "abc", "to_user": "ana"}),
        )
        .await;
    assert_eq!(bad.code(), "invalid_number");
    let nobody = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &a,
            json!({"from": "202", "to_user": "nobody"}),
        )
        .await;
    assert_eq!(nobody.code(), "not_found");
}

#[tokio::test]
async fn event_streams_send_keep_alive_comments_within_fifteen_seconds() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let ticket = app.post("/api/v1/events/ticket", &t, json!({})).await.body["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::builder()
            .uri(format!("/api/v1/events?ticket={ticket}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("event: snapshot"));
    // Nothing happens in Acme; fifteen seconds later a comment line keeps the stream alive.
    jump(Duration::from_secs(15)).await;
    let next = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(String::from_utf8_lossy(&next).trim(), ":");
}
