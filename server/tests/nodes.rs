//! Several backend nodes on one database (issue 16; a SQLite file or PostgreSQL, as the suite runs):
//! - one node at a time applies a user's PBX state: the user's apply on node A hanging while a newer
//!   change arrives through node B, B does not apply beside A (its answer is `pending` at once), and
//!   when A releases the claim the newest state is applied — the PBX ends on what the user chose last;
//! - a node's calls are left alone while it lives; when it is gone, another node adopts them and
//!   plays their stored steps (the calls go on), each orphan going to one adopter.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Served, config_in, seed, wav};
use serde_json::Value;
use ucclient_core::api::{CallOutcome, CallState};

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
    // Ana's desired state changes to `profile`, pending on the PBX; its version.
    let choose = async |profile| {
        store
            .set_presence(
                "ana",
                profile,
                now,
                ucclient_core::api::PbxSync::Pending,
                None,
                &[],
            )
            .await
            .unwrap()
    };
    let version = choose(ucclient_core::ProfileId::Lunch).await;
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
    choose(ucclient_core::ProfileId::Away).await;
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
/// that node's calls and their steps alone; when their node stops, another adopts them and plays
/// their stored steps, so they go on exactly as they would have — an outside call rings, is
/// answered and hung up by the far side; an inbound call rings out into the mailbox with the
/// caller's own message, which was kept with the call in the store, not in the node that died.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_calls_go_on_on_another_node_when_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    config.pbx_view_for_all = false;
    config.call_timings = "1500,1500,1500".parse().unwrap();
    config.ring_timeout_secs = 4;
    seed(&config).await;
    let a = Served::start(config.clone()).await;
    let ana = a.login("ana").await;
    let post = async |path: &str, body: Value| {
        let r = Served::client()
            .post(format!("{}/api/v1{path}", a.base))
            .bearer_auth(&ana)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{path}");
        let call: Value = r.json().await.unwrap();
        call["id"].as_str().unwrap().to_owned()
    };
    let outbound = post("/calls", serde_json::json!({"to": "912 345 678"})).await;
    // 700 ms of 8 kHz 16-bit mono.
    let said = wav(8_000, 1, 16, 8 * 700 * 2);
    let inbound = post(
        "/pbx/calls/inbound",
        serde_json::json!({
            "from": "+351912345678",
            "to_user": "bruno",
            "message_wav": base64::engine::general_purpose::STANDARD.encode(&said),
        }),
    )
    .await;
    let call_of = async |node: &Served, id: &str| {
        node.state
            .store
            .call(id)
            .await
            .unwrap()
            .expect("the call")
            .call
    };
    let node_of_step = async |node: &Served, id: &str| {
        node.state
            .store
            .call_step(id)
            .await
            .unwrap()
            .and_then(|s| s.node)
    };

    // Node B starts (it answers only once its start-up sweep has run): A's calls go on, A's.
    let b = Served::start(config).await;
    let bruno = b.login("bruno").await;
    for id in [&outbound, &inbound] {
        assert!(
            !call_of(&b, id).await.state.is_final(),
            "B's start ended {id}"
        );
        assert_eq!(
            node_of_step(&b, id).await.as_deref(),
            Some(&*a.state.node),
            "B's start took {id}"
        );
    }

    // A stops while the outbound call still dials and the inbound one rings.
    let node_a = a.state.node.clone();
    a.stop().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (out, inb) = (call_of(&b, &outbound).await, call_of(&b, &inbound).await);
        if out.state.is_final() && inb.state.is_final() {
            // Rang, answered by the far side, hung up after TALK: not ended for want of a node.
            assert_eq!(out.state, CallState::Ended, "{out:?}");
            assert!(out.answered_at.is_some(), "{out:?}");
            assert_eq!(out.outcome, None, "{out:?}");
            assert_eq!(
                (inb.state, inb.outcome),
                (CallState::Failed, Some(CallOutcome::Voicemail)),
                "{inb:?}"
            );
            break;
        }
        if let Some(step) = b.state.store.call_step(&outbound).await.unwrap()
            && step.node.as_deref() != Some(&*node_a)
        {
            assert_eq!(step.node.as_deref(), Some(&*b.state.node), "adopted by B");
        }
        assert!(
            Instant::now() < deadline,
            "A's calls never finished: {out:?} {inb:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The caller's words, not the PBX's generated message.
    let mailbox: Value = Served::client()
        .get(format!("{}/api/v1/voicemail", b.base))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = &mailbox["messages"][0];
    assert_eq!(message["call_id"], inbound.as_str(), "{mailbox}");
    assert_eq!(message["duration_ms"], 700, "{mailbox}");
    let audio = Served::client()
        .get(format!(
            "{}/api/v1/voicemail/{}/audio",
            b.base,
            message["id"].as_str().unwrap()
        ))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(audio.as_ref(), said.as_slice());
    // No step is left behind by an ended call.
    assert_eq!(b.state.store.call_step(&outbound).await.unwrap(), None);
    assert_eq!(b.state.store.call_step(&inbound).await.unwrap(), None);
    b.stop().await;
}
