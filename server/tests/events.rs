//! Live events over a real socket on 127.0.0.1:0: delivery, resume by id (header and parameter),
//! resume across a restart, snapshots when too old, tenant isolation, tickets and caps.

mod common;

use common::{Received, Served, Sse, config_in, seed};
use serde_json::{Value, json};
use ucclient_server::Config;

async fn serve_demo(tweak: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Config, Served) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    tweak(&mut config);
    seed(&config).await;
    let served = Served::start(config.clone()).await;
    (dir, config, served)
}

fn id(e: &Received) -> i64 {
    e.id.parse().unwrap()
}

/// Reads events until the final presence event of `user` with `profile` (not `pending`), returning
/// all read.
async fn until_presence(sse: &mut Sse, user: &str, profile: &str) -> Vec<Received> {
    let mut seen = Vec::new();
    loop {
        let e = sse.next().await;
        let done = e.event == "presence"
            && e.data["user_id"] == user
            && e.data["presence"]["profile"] == profile
            && e.data["presence"]["pbx_sync"] != "pending";
        seen.push(e);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_colleagues_change_arrives_after_a_snapshot() {
    let (_dir, _config, s) = serve_demo(|_| {}).await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut sse = s.events(&ana, None).await;
    let snap = sse.next().await;
    assert_eq!(snap.event, "snapshot");
    let users: Vec<&str> = snap.data["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["ana", "bruno", "carla"]);
    assert_eq!(snap.data["calls"], json!([]));

    s.put_profile(&bruno, "lunch").await;
    // Active mode: the change is announced with its commit, then the PBX's outcome.
    let e = sse.next().await;
    assert_eq!(e.event, "presence");
    assert_eq!(e.data["user_id"], "bruno");
    assert_eq!(e.data["presence"]["profile"], "lunch");
    assert_eq!(e.data["presence"]["colour"], "away");
    assert_eq!(e.data["presence"]["pbx_sync"], "pending");
    assert!(id(&e) > id(&snap));
    let applied = sse.next().await;
    assert_eq!(applied.data["presence"]["profile"], "lunch");
    assert_eq!(applied.data["presence"]["pbx_sync"], "applied");
    assert_eq!(
        applied.data["presence"]["since"],
        e.data["presence"]["since"]
    );
    assert!(id(&applied) > id(&e));
    s.stop().await;
}

#[tokio::test]
async fn a_resume_replays_exactly_the_missed_events_in_order_even_across_a_restart() {
    let (_dir, config, s) = serve_demo(|_| {}).await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut sse = s.events(&ana, None).await;
    assert_eq!(sse.next().await.event, "snapshot");
    s.put_profile(&bruno, "lunch").await;
    let last = until_presence(&mut sse, "bruno", "lunch")
        .await
        .pop()
        .unwrap();
    drop(sse);

    // While ana is away: three changes of bruno's, a call of bruno's (not hers to see), one of hers.
    for p in ["away", "in_a_meeting"] {
        s.put_profile(&bruno, p).await;
    }
    let client = Served::client();
    let r = client
        .post(format!("{}/api/v1/calls", s.base))
        .bearer_auth(&bruno)
        .json(&json!({"to": "912345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let bruno_call = r.json::<Value>().await.unwrap()["id"].clone();
    let r = client
        .post(format!(
            "{}/api/v1/calls/{}/hangup",
            s.base,
            bruno_call.as_str().unwrap()
        ))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The server restarts in between.
    s.stop().await;
    let s = Served::start(config).await;
    s.put_profile(&bruno, "on_the_road").await;

    let mut sse = s.events(&ana, Some(&last.id)).await;
    let replay = until_presence(&mut sse, "bruno", "on_the_road").await;
    let profiles: Vec<(&str, &str, &str)> = replay
        .iter()
        .map(|e| {
            let p = &e.data["presence"];
            (
                e.event.as_str(),
                p["profile"].as_str().unwrap_or(""),
                p["pbx_sync"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        profiles,
        [
            ("presence", "away", "pending"),
            ("presence", "away", "applied"),
            ("presence", "in_a_meeting", "pending"),
            ("presence", "in_a_meeting", "applied"),
            ("presence", "on_the_road", "pending"),
            ("presence", "on_the_road", "applied"),
        ]
    );
    let ids: Vec<i64> = replay.iter().map(id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > id(&last),
        "{ids:?}"
    );

    // Nothing more was due: the next event is a new change, and the query parameter resumes too.
    s.put_profile(&bruno, "available").await;
    let next = until_presence(&mut sse, "bruno", "available").await;
    assert_eq!(next.len(), 2, "{next:?}");
    drop(sse);
    let ticket = s.ticket(&ana).await;
    let r = client
        .get(format!(
            "{}/api/v1/events?ticket={ticket}&last_event_id={}",
            s.base, ids[3]
        ))
        .send()
        .await
        .unwrap();
    let mut sse = Sse::from_response(r);
    let replay = until_presence(&mut sse, "bruno", "available").await;
    let profiles: Vec<&str> = replay
        .iter()
        .map(|e| e.data["presence"]["profile"].as_str().unwrap())
        .collect();
    assert_eq!(
        profiles,
        ["on_the_road", "on_the_road", "available", "available"]
    );
    s.stop().await;
}

#[tokio::test]
async fn a_resume_from_before_the_retention_gets_a_snapshot() {
    let (_dir, _config, s) = serve_demo(|_| {}).await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut sse = s.events(&ana, None).await;
    sse.next().await;
    s.put_profile(&bruno, "lunch").await;
    let old = sse.next().await;
    drop(sse);
    for p in ["away", "on_holiday", "in_the_office"] {
        s.put_profile(&bruno, p).await;
    }
    // Retention keeps only the newest event of each customer.
    s.state.store.prune_events(0, 1).await.unwrap();
    let mut sse = s.events(&ana, Some(&old.id)).await;
    let snap = sse.next().await;
    assert_eq!(snap.event, "snapshot");
    let bruno_now = snap.data["presence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == "bruno")
        .unwrap()
        .clone();
    assert_eq!(bruno_now["presence"]["profile"], "in_the_office");
    // An id from another database (beyond any given) is no resume either.
    let mut sse = s.events(&ana, Some("999999999")).await;
    assert_eq!(sse.next().await.event, "snapshot");
    s.stop().await;
}

#[tokio::test]
async fn streams_carry_only_what_the_subscriber_may_see() {
    let (_dir, _config, s) = serve_demo(|_| {}).await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let dora = s.login("dora").await;
    let eli = s.login("eli").await;
    let mut dora_sse = s.events(&dora, None).await;
    let snap = dora_sse.next().await;
    let users: Vec<&str> = snap.data["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["dora", "eli"]);
    let mut bruno_sse = s.events(&bruno, None).await;
    bruno_sse.next().await;
    let mut ana_sse = s.events(&ana, None).await;
    ana_sse.next().await;

    // Ana's profile change (presence for all of Acme), her override (profile: hers only) and her
    // call (call: hers only).
    s.put_profile(&ana, "lunch").await;
    let client = Served::client();
    let settings = json!({"dnd": true, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}});
    let r = client
        .put(format!("{}/api/v1/me/profiles/away/settings", s.base))
        .bearer_auth(&ana)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{}/api/v1/calls", s.base))
        .bearer_auth(&ana)
        .json(&json!({"to": "912345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    for sync in ["pending", "applied"] {
        let e = ana_sse.next().await;
        assert_eq!(
            (e.event.as_str(), &e.data["user_id"]),
            ("presence", &json!("ana"))
        );
        assert_eq!(e.data["presence"]["pbx_sync"], sync);
    }
    let e = ana_sse.next().await;
    assert_eq!(e.event, "profile");
    assert_eq!(e.data["id"], "away");
    assert_eq!(e.data["customised"], true);
    let e = ana_sse.next().await;
    assert_eq!(e.event, "call");
    assert_eq!(e.data["state"], "dialing");

    // Markers: bruno's and eli's own changes come next on the other streams, nothing before them
    // except ana's presence for bruno.
    s.put_profile(&bruno, "away").await;
    s.put_profile(&eli, "away").await;
    let seen = until_presence(&mut bruno_sse, "bruno", "away").await;
    let kinds: Vec<(&str, &str)> = seen
        .iter()
        .map(|e| (e.event.as_str(), e.data["user_id"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("presence", "ana"),
            ("presence", "ana"),
            ("presence", "bruno"),
            ("presence", "bruno")
        ]
    );
    let seen = until_presence(&mut dora_sse, "eli", "away").await;
    assert_eq!(seen.len(), 1, "nothing of Acme reached Globex: {seen:?}");
    s.stop().await;
}

#[tokio::test]
async fn tickets_are_single_use_and_streams_are_capped() {
    let (_dir, _config, s) = serve_demo(|c| {
        c.max_streams_per_user = 1;
        // The loop below takes tickets until a place frees up; the budget is not under test.
        c.tickets_per_minute = 10_000;
    })
    .await;
    let ana = s.login("ana").await;
    let client = Served::client();
    let ticket = s.ticket(&ana).await;
    let first = client
        .get(format!("{}/api/v1/events?ticket={ticket}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let again = client
        .get(format!("{}/api/v1/events?ticket={ticket}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "unauthenticated"
    );
    let none = client
        .get(format!("{}/api/v1/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);

    // A second stream of the same user is over the cap; another user is not.
    let ticket = s.ticket(&ana).await;
    let over = client
        .get(format!("{}/api/v1/events?ticket={ticket}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 503);
    assert_eq!(over.json::<Value>().await.unwrap()["error"], "unavailable");
    let bruno = s.login("bruno").await;
    let mut b = s.events(&bruno, None).await;
    assert_eq!(b.next().await.event, "snapshot");
    // Closing the first frees its place.
    drop(first);
    let mut freed = None;
    for _ in 0..200 {
        let ticket = s.ticket(&ana).await;
        let r = client
            .get(format!("{}/api/v1/events?ticket={ticket}", s.base))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            freed = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(freed.is_some(), "the place was never freed");

    let carla = s.login("carla").await;
    let r = client
        .post(format!("{}/api/v1/events/ticket", s.base))
        .bearer_auth(&carla)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    s.stop().await;
}
