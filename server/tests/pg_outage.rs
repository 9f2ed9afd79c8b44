//! PostgreSQL stopped under a running backend (issue 16): while it is down every write fails fast
//! with 503 and `Retry-After` (never a 500, never a hang), a session made before still works after,
//! a stream resumed with `Last-Event-ID` gets every event it missed once and in order, and every
//! acknowledged change is in the log. Its own PostgreSQL server (the tests' shared one must stay
//! up), stopped with `immediate` — as a crash would stop it.

mod common;

use std::time::{Duration, Instant};

use common::{Served, pg};
use serde_json::Value;

/// `PUT /me/presence`; the status and, on 503, the `Retry-After` seconds.
async fn put_profile(base: &str, token: &str, profile: &str) -> (u16, Option<u64>) {
    let r = Served::client()
        .put(format!("{base}/api/v1/me/presence"))
        .bearer_auth(token)
        .json(&serde_json::json!({"profile": profile}))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("an answer, not a hang");
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let status = r.status().as_u16();
    if status == 503 {
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unavailable", "{body}");
        let text = body.to_string().to_lowercase();
        for internal in ["sqlx", "postgres", "connection", "io error", "pool"] {
            assert!(!text.contains(internal), "503 body says {internal}: {body}");
        }
    }
    (status, retry)
}

/// Adds the profile of a `presence` event's data unless it repeats the last one (in active mode a
/// change is announced again when the PBX applied it).
fn push_new(profiles: &mut Vec<String>, data: &Value) {
    let profile = data["presence"]["profile"].as_str().unwrap();
    if profiles.last().is_none_or(|p| p != profile) {
        profiles.push(profile.to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_answer_503_while_postgres_is_down_and_nothing_acknowledged_is_lost() {
    let server = pg::Postgres::start();
    let url = server.fresh_database();
    let mut config = ucclient_server::Config::with_database(url.clone().into());
    config.pbx_view_for_all = false;
    common::seed(&config).await;
    let served = Served::start(config).await;
    let ana = served.login("ana").await;
    let bruno = served.login("bruno").await;

    // Bruno watches; Ana changes twice (acknowledged).
    let mut stream = served.events(&bruno, None).await;
    assert_eq!(stream.next().await.event, "snapshot");
    let mut acknowledged = Vec::new();
    for profile in ["lunch", "in_a_meeting"] {
        assert_eq!(put_profile(&served.base, &ana, profile).await.0, 200);
        acknowledged.push(profile);
    }
    let mut last_id = String::new();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let e = stream.next().await;
        if e.event == "presence" && e.data["user_id"] == "ana" {
            push_new(&mut seen, &e.data);
        }
        last_id = e.id;
    }
    assert_eq!(seen, acknowledged);
    drop(stream);

    // Down: writes fail fast with 503 and a Retry-After, and write nothing.
    server.stop_immediate();
    for _ in 0..3 {
        let started = Instant::now();
        let (status, retry) = put_profile(&served.base, &ana, "away").await;
        assert_eq!(status, 503, "a write while PostgreSQL is down");
        assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "answered within the acquire bound, took {:?}",
            started.elapsed()
        );
    }

    // Up again: the same session works, writes succeed again (the pool reconnects by itself).
    server.start_again();
    let mut status = 0;
    for _ in 0..50 {
        status = put_profile(&served.base, &ana, "comfort_break").await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "writes succeed once PostgreSQL is back");
    acknowledged.push("comfort_break");

    // Bruno resumes after the last id he saw: exactly the change he missed, once, nothing from
    // the outage (those writes were refused).
    let mut resumed = served.events(&bruno, Some(&last_id)).await;
    // (Starting from the last profile seen: in active mode the PBX's confirmation of it may come
    // after the id he resumes from.)
    let mut after = vec![seen.last().unwrap().clone()];
    let mut previous: i64 = last_id.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let e = tokio::time::timeout(Duration::from_secs(3), resumed.next()).await;
        let Ok(e) = e else { break };
        let id: i64 = e.id.parse().unwrap();
        assert!(
            id > previous,
            "ids after {previous} in order, once: got {id}"
        );
        previous = id;
        assert_ne!(
            e.event, "snapshot",
            "a resume within retention is not a snapshot"
        );
        if e.event == "presence" && e.data["user_id"] == "ana" {
            push_new(&mut after, &e.data);
        }
    }
    assert_eq!(after, ["in_a_meeting", "comfort_break"]);

    // Every acknowledged change is in the log, in order, and the customer's ids are contiguous.
    let log = common::sql(
        url.as_ref(),
        "SELECT data FROM events WHERE customer_id = 'acme' AND kind = 'presence' ORDER BY id",
    )
    .await;
    let mut ana_changes = Vec::new();
    for d in &log {
        let d: Value = serde_json::from_str(d).unwrap();
        if d["user_id"] == "ana" {
            push_new(&mut ana_changes, &d);
        }
    }
    assert_eq!(ana_changes, acknowledged);
    let ids = common::sql(
        url.as_ref(),
        "SELECT id::text FROM events WHERE customer_id = 'acme' ORDER BY id",
    )
    .await;
    let ids: Vec<i64> = ids.iter().map(|i| i.parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "contiguous ids: {ids:?}"
    );
    served.stop().await;
}
