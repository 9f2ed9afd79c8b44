//! Helpers of the call tests (`call_control`, `warm_transfer`, `group_calls`): hour-long call
//! phases reached only by jumping tokio's clock, polling a user's history, and ana on a call.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use ucclient_server::config::CallTimings;

use super::{Answer, TestApp};

/// Hour-long phases and a two-hour ring timeout: only [`jump`] reaches them.
pub fn hour_long_calls(c: &mut ucclient_server::Config) {
    c.call_timings = CallTimings {
        dial: Duration::from_secs(3600),
        ring: Duration::from_secs(3600),
        talk: None,
    };
    c.ring_timeout_secs = 7200;
}

/// Moves tokio's clock forward by `d` at once (see `phone.rs`).
pub async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

/// Polls the user's history until a call matching `pick` is there; returns it.
pub async fn wait_for(app: &TestApp, token: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..500 {
        last = app.get("/api/v1/calls", token).await.body;
        if let Some(c) = last.as_array().unwrap().iter().find(|c| pick(c)) {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no such call: {last}");
}

/// `POST path` with no body.
pub async fn post(app: &TestApp, path: &str, token: &str) -> Answer {
    app.send(Method::POST, path, Some(token), None).await
}

/// Whether the user is on a call, as `/me` says.
pub async fn on_call(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", token).await.body["presence"]["on_call"].clone()
}

/// A call from a customer to ana, answered by her; its id.
pub async fn connected_call_of_ana(app: &TestApp, ana: &str) -> String {
    let call = app
        .post(
            "/api/v1/pbx/calls/inbound",
            ana,
            json!({"from": "+351912345678", "to_user": "ana"}),
        )
        .await;
    let id = call.body["id"].as_str().unwrap().to_owned();
    let answered = post(app, &format!("/api/v1/calls/{id}/answer"), ana).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    id
}
