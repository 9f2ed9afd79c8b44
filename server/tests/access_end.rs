//! Access ends everywhere at once: a logout ends the streams of that session (not the user's
//! other sessions), a token's expiry ends its streams, and a new password, losing `crm_client` or
//! deleting the user end every stream of the user. Each ended stream's last event is
//! `access_ended` with the reason. (The same three operator commands run as a separate process
//! are tested in `admin_live.rs`.)

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Received, Served, Sse, TestApp, config_in, seed};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// Well beyond the 2 s re-read of the log: a stream still open after it was not ended.
const DEADLINE: Duration = Duration::from_secs(10);

async fn serve_demo() -> (tempfile::TempDir, Served) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    seed(&config).await;
    let served = Served::start(config).await;
    (dir, served)
}

/// Opens a stream and reads its snapshot.
async fn live(s: &Served, token: &str) -> Sse {
    let mut sse = s.events(token, None).await;
    assert_eq!(sse.next().await.event, "snapshot");
    sse
}

/// Reads the stream to its end; its last event must be `access_ended` with `reason`.
async fn ends_with(sse: &mut Sse, reason: &str) {
    let seen = sse.until_end(DEADLINE).await;
    let last: Option<&Received> = seen.last();
    assert_eq!(
        last.map(|r| (r.event.as_str(), r.data.clone())),
        Some(("access_ended", json!({"reason": reason}))),
        "{seen:?}"
    );
    assert!(
        seen[..seen.len() - 1]
            .iter()
            .all(|r| r.event != "access_ended" && r.event != "end_of_access"),
        "{seen:?}"
    );
}

async fn status_of_ticket(s: &Served, token: &str) -> u16 {
    Served::client()
        .post(format!("{}/api/v1/events/ticket", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_logout_ends_the_streams_of_that_session_only() {
    let (_dir, s) = serve_demo().await;
    let tab = s.login("ana").await;
    let other_window = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut first = live(&s, &tab).await;
    let mut second = live(&s, &tab).await;
    let mut elsewhere = live(&s, &other_window).await;
    let mut his = live(&s, &bruno).await;

    let r = Served::client()
        .post(format!("{}/api/v1/logout", s.base))
        .bearer_auth(&tab)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // Both streams of the session end, saying why.
    ends_with(&mut first, "signed_out").await;
    ends_with(&mut second, "signed_out").await;
    assert_eq!(status_of_ticket(&s, &tab).await, 401);
    // Her other session and bruno's go on: they see the next change.
    s.put_profile(&other_window, "lunch").await;
    for sse in [&mut elsewhere, &mut his] {
        loop {
            let e = sse.next().await;
            assert_ne!(e.event, "access_ended");
            if e.event == "presence" && e.data["presence"]["profile"] == "lunch" {
                break;
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn a_ticket_taken_before_a_logout_opens_no_stream() {
    let (_dir, s) = serve_demo().await;
    let token = s.login("ana").await;
    let ticket = s.ticket(&token).await;
    let r = Served::client()
        .post(format!("{}/api/v1/logout", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = Served::client()
        .get(format!("{}/api/v1/events?ticket={ticket}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    s.stop().await;
}

#[tokio::test]
async fn a_new_password_ends_every_stream_of_the_user_saying_so() {
    let (_dir, s) = serve_demo().await;
    let one = s.login("bruno").await;
    let two = s.login("bruno").await;
    let mut a = live(&s, &one).await;
    let mut b = live(&s, &two).await;
    let hash =
        ucclient_server::auth::hash_password_with_costs("a-new-long-password", 64, 1).unwrap();
    assert!(s.state.store.set_password("bruno", &hash).await.unwrap());
    ends_with(&mut a, "password_changed").await;
    ends_with(&mut b, "password_changed").await;
    assert_eq!(status_of_ticket(&s, &one).await, 401);
    s.stop().await;
}

#[tokio::test]
async fn deleting_the_user_ends_their_streams_saying_so() {
    let (_dir, s) = serve_demo().await;
    let token = s.login("bruno").await;
    let ana = s.login("ana").await;
    let mut his = live(&s, &token).await;
    let mut hers = live(&s, &ana).await;
    assert!(s.state.store.delete_user("bruno").await.unwrap());
    ends_with(&mut his, "user_deleted").await;
    // Ana's stream is untouched.
    s.put_profile(&ana, "lunch").await;
    loop {
        let e = hers.next().await;
        assert_ne!(e.event, "access_ended");
        if e.event == "presence" && e.data["user_id"] == "ana" {
            break;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn losing_crm_client_ends_the_users_streams_saying_so() {
    let (_dir, s) = serve_demo().await;
    let token = s.login("bruno").await;
    let mut his = live(&s, &token).await;
    // What the operator's `user revoke` runs (here in-process; nothing wakes the stream but
    // the periodic re-read of the log, as for the command run as its own process).
    assert!(
        ucclient_server::admin_live::permission(&*s.state.store, "bruno", "crm_client", false)
            .await
            .unwrap()
    );
    ends_with(&mut his, "not_licensed").await;
    assert_eq!(status_of_ticket(&s, &token).await, 403);
    s.stop().await;
}

/// Moves tokio's clock forward by `d` at once (see `timing.rs` for why not a paused test).
async fn jump(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    let app = TestApp::demo().await;
    let token = app.login("ana").await;
    let ticket = app
        .post("/api/v1/events/ticket", &token, json!({}))
        .await
        .body["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    // The stream's expiry timer is registered when it opens, before the clock moves.
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/api/v1/events?ticket={ticket}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let mut text = String::new();
    while !text.contains("event: snapshot") {
        let f = body.frame().await.unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&f.into_data().unwrap()));
    }
    let hours = app.state.config.token_hours;

    // A minute before expiry it is still open (a keep-alive is due, not the end).
    jump(Duration::from_secs(hours * 3600 - 60)).await;
    let f = body.frame().await.unwrap().unwrap();
    let early = String::from_utf8_lossy(&f.into_data().unwrap()).into_owned();
    assert!(!early.contains("access_ended"), "{early:?}");

    jump(Duration::from_secs(61)).await;
    let mut rest = String::new();
    while let Some(f) = body.frame().await {
        rest.push_str(&String::from_utf8_lossy(&f.unwrap().into_data().unwrap()));
    }
    assert!(
        rest.ends_with("event: access_ended\ndata: {\"reason\":\"expired\"}\n\n"),
        "{rest:?}"
    );
}
