//! Several backend nodes on one database (issue 16; a SQLite file or PostgreSQL, as the suite runs):
//! - one node at a time applies a user's PBX state: the user's apply on node A hanging while a newer
//!   change arrives through node B, B does not apply beside A (its answer is `pending` at once), and
//!   when A releases the claim the newest state is applied — the PBX ends on what the user chose last;
//! - a node's calls are ended only when that node is gone.

mod common;

use std::time::{Duration, Instant};

use common::{Served, config_in, seed};
use serde_json::Value;

async fn put_profile(node: &Served, token: &str, profile: &str) -> Value {
    let r = Served::client()
        .put(format!("{}/api/v1/me/presence", node.base))
        .bearer_auth(token)
        .json(&serde_json::json!({"profile": profile}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_applies_a_users_state_at_a_time_and_the_newest_state_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.pbx_view_for_all = false;
    seed(&config).await;
    let a = Served::start(config.clone()).await;
    let b = Served::start(config).await;
    let on_a = a.login("ana").await;
    let on_b = b.login("ana").await;

    // Ana's change through A: its apply hangs 2 s (within the PBX timeout), holding her claim.
    a.embedded.hang_next(1, Duration::from_secs(2));
    let first = {
        let (a_base, token) = (a.base.clone(), on_a.clone());
        tokio::spawn(async move {
            let node = Served::client();
            node.put(format!("{a_base}/api/v1/me/presence"))
                .bearer_auth(token)
                .json(&serde_json::json!({"profile": "lunch"}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Her newer change through B: stored and answered at once, not applied beside A's apply.
    let started = Instant::now();
    let second = put_profile(&b, &on_b, "in_a_meeting").await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "B did not wait for A"
    );
    assert_eq!(second["profile"], "in_a_meeting");
    assert_eq!(
        second["pbx_sync"], "pending",
        "B left the apply to the claim's holder"
    );
    assert!(b.embedded.faults_consumed());
    assert_eq!(first.await.unwrap(), 200);

    // A released the claim and handed over: the newest state is applied, and is the PBX's.
    let store = &a.state.store;
    let deadline = Instant::now() + Duration::from_secs(10);
    let row = loop {
        let row = store
            .presence_rows(&["ana".to_owned()])
            .await
            .unwrap()
            .remove(0);
        if row.pbx_sync == ucclient_core::api::PbxSync::Applied {
            break row;
        }
        assert!(Instant::now() < deadline, "never applied: {row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row.profile.as_str(), "in_a_meeting");
    assert_eq!(store.pbx_state("ana").await.unwrap(), row.desired);
    b.stop().await;
    a.stop().await;
}

/// The claim itself: held against another holder until it lapses, renewable by its holder, and a
/// release that hands a newer pending state over makes it due at once.
#[tokio::test]
async fn a_claim_holds_until_released_or_lapsed() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir);
    seed(&config).await;
    let engine = common::open_store(&config.database).await;
    let store = engine.store();
    let now = chrono::Utc::now();
    let version = store
        .set_presence(
            "ana",
            ucclient_core::ProfileId::Lunch,
            now,
            ucclient_core::api::PbxSync::Pending,
            None,
            &[],
        )
        .await
        .unwrap();
    let t = now.timestamp_millis();
    let claim = async |holder: &str, now_ms: i64, until_ms: i64| {
        store
            .claim_apply("ana", holder, now_ms, until_ms)
            .await
            .unwrap()
    };
    assert!(claim("node-a", t, t + 1000).await);
    assert!(!claim("node-b", t + 10, t + 1010).await);
    assert!(claim("node-a", t + 20, t + 1020).await, "renewed");
    assert!(!claim("node-b", t + 1019, t + 2000).await);
    assert!(claim("node-b", t + 1020, t + 2020).await, "lapsed");

    // A release by someone else does nothing; the holder's frees it.
    store
        .release_apply("ana", "node-a", version, t)
        .await
        .unwrap();
    assert!(!claim("node-c", t + 1030, t + 3000).await);
    store
        .release_apply("ana", "node-b", version, t)
        .await
        .unwrap();
    assert!(claim("node-c", t + 1040, t + 3000).await);

    // A newer state written while node-c applied `version` is due when node-c releases.
    store
        .set_presence(
            "ana",
            ucclient_core::ProfileId::Away,
            now,
            ucclient_core::api::PbxSync::Pending,
            None,
            &[],
        )
        .await
        .unwrap();
    let later = t + 600_000;
    store
        .release_apply("ana", "node-c", version, later)
        .await
        .unwrap();
    let due = store.due_syncs(later).await.unwrap();
    assert!(due.contains(&"ana".to_owned()), "{due:?}");
    engine.close().await;
}

/// Calls belong to the node that plays them (issue 16): a node starting beside a live one leaves
/// that node's calls alone; when their node stops, the others end them (their simulation is gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_calls_end_only_when_that_node_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.pbx_view_for_all = false;
    // The far side rings a minute: the call stays live while the test looks.
    config.call_timings = "100,60000,0".parse().unwrap();
    seed(&config).await;
    let a = Served::start(config.clone()).await;
    let ana = a.login("ana").await;
    let dialled = Served::client()
        .post(format!("{}/api/v1/calls", a.base))
        .bearer_auth(&ana)
        .json(&serde_json::json!({"to": "912 345 678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dialled.status(), 201, "{:?}", dialled.text().await);
    let call: Value = dialled.json().await.unwrap();
    let id = call["id"].as_str().unwrap().to_owned();
    let state_of = async |node: &Served| {
        node.state
            .store
            .call(&id)
            .await
            .unwrap()
            .expect("the call")
            .call
            .state
    };

    // Node B starts (it answers only once its start-up sweep has run): A's call goes on.
    let b = Served::start(config).await;
    b.login("bruno").await;
    assert!(
        !state_of(&b).await.is_final(),
        "B's start ended A's live call"
    );

    // A stops: its call cannot go on, and B ends it within a heartbeat or two.
    assert!(!state_of(&b).await.is_final(), "still live before A stops");
    a.stop().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !state_of(&b).await.is_final() {
        assert!(Instant::now() < deadline, "A's call was never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.stop().await;
}
