//! PBX work on PostgreSQL with several nodes (issue 16): two stores on one database stand for two
//! nodes. The sync worker's due rows are claimed by one node at a time for a lease, a node that
//! dies leaves nothing orphaned, the outcome of an older desired state cannot confirm or delay a
//! newer one (and an older apply that lands after a newer one has the newer one applied again),
//! and a change is claimed by the node that wrote it (it applies it at once). PostgreSQL only
//! (SQLite has one process): these run whatever `UCCLIENT_TEST_DATABASE` says.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use ucclient_core::ProfileId;
use ucclient_core::api::PbxSync;
use ucclient_server::Config;
use ucclient_server::store::engine::Engine;
use ucclient_server::store::{NewEvent, Store, SyncOutcome};

/// How long a claim lasts on PostgreSQL (`store/postgres/pbx.rs`), and a bit.
const PAST_THE_LEASE_MS: i64 = 31_000;

/// A fresh demo database on the tests' PostgreSQL, opened by two "nodes".
async fn two_nodes() -> (String, Engine, Engine) {
    let url = common::pg::Postgres::shared().fresh_database();
    common::seed(&Config::with_database(url.clone().into())).await;
    let a = Engine::open_default(url.as_ref()).await.unwrap();
    let b = Engine::open_default(url.as_ref()).await.unwrap();
    (url, a, b)
}

/// Every demo user with a presence row made pending and due long ago; their ids.
async fn all_pending(url: &str) -> HashSet<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE presence SET pbx_sync = 'pending', next_attempt_ms = 0 RETURNING user_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    ids.into_iter().collect()
}

async fn version_of(store: &Arc<dyn Store>, user: &str) -> i64 {
    store.presence_rows(&[user.to_owned()]).await.unwrap()[0].desired_version
}

#[tokio::test]
async fn due_pbx_work_is_claimed_by_one_node_at_a_time_and_comes_back_when_a_node_dies() {
    let (url, a, b) = two_nodes().await;
    let pending = all_pending(&url).await;
    assert!(pending.len() >= 4, "the demo has users with presence rows");
    let now = Utc::now().timestamp_millis();
    // Both nodes ask at once, several times: each due user goes to exactly one of them.
    let (sa, sb) = (a.store(), b.store());
    let mut claimed: Vec<String> = Vec::new();
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(sa.due_syncs(now), sb.due_syncs(now));
        claimed.extend(ra.unwrap());
        claimed.extend(rb.unwrap());
    }
    let unique: HashSet<String> = claimed.iter().cloned().collect();
    assert_eq!(unique.len(), claimed.len(), "no user was claimed twice");
    assert_eq!(unique, pending, "every due user was claimed");
    assert!(sa.due_syncs(now + 1_000).await.unwrap().is_empty());

    // One user's apply is recorded (a retry due now): due again, for either node.
    let user = claimed[0].clone();
    let version = version_of(&sa, &user).await;
    let retry = SyncOutcome::Retry {
        error: "refused".into(),
        next_attempt_ms: now,
    };
    assert!(sa.record_sync(&user, version, &retry, &[]).await.unwrap());
    assert_eq!(
        sb.due_syncs(now).await.unwrap(),
        std::slice::from_ref(&user)
    );

    // The nodes die holding their claims: every user is due again once the leases have run out.
    let later = now + PAST_THE_LEASE_MS;
    let back: HashSet<String> = sb.due_syncs(later).await.unwrap().into_iter().collect();
    assert_eq!(back, pending);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn an_older_apply_cannot_confirm_or_delay_a_newer_desired_state() {
    let (url, a, b) = two_nodes().await;
    all_pending(&url).await;
    let now = Utc::now().timestamp_millis();
    let (sa, sb) = (a.store(), b.store());
    // Node A claims ana's version n.
    assert!(sa.due_syncs(now).await.unwrap().contains(&"ana".to_owned()));
    let old = version_of(&sa, "ana").await;
    // Meanwhile ana chooses again through node B: version n + 1, claimed by B, which applies it.
    let newer = sb
        .set_presence(
            "ana",
            ProfileId::Lunch,
            Utc::now(),
            PbxSync::Pending,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(newer, old + 1);
    // A's outcome of version n changes nothing: not applied, not made due, no event.
    let (before, _) = sa.stream_bounds("acme").await.unwrap();
    let event = NewEvent {
        customer_id: "acme".into(),
        audience: None,
        kind: "presence",
        data: "{}".into(),
    };
    assert!(
        !sa.record_sync("ana", old, &SyncOutcome::Applied, &[event])
            .await
            .unwrap()
    );
    assert_eq!(sa.stream_bounds("acme").await.unwrap().0, before);
    let row = &sa.presence_rows(&["ana".to_owned()]).await.unwrap()[0];
    assert_eq!(
        (row.pbx_sync, row.desired_version),
        (PbxSync::Pending, newer)
    );
    // B's change is its own while B applies it: no other node's worker takes it...
    let now = Utc::now().timestamp_millis();
    assert!(!sa.due_syncs(now).await.unwrap().contains(&"ana".to_owned()));
    // ...until B's lease runs out without an outcome (B died): then any node's.
    assert!(
        sa.due_syncs(now + PAST_THE_LEASE_MS)
            .await
            .unwrap()
            .contains(&"ana".to_owned())
    );
    // B's outcome of version n + 1 is recorded.
    assert!(
        sb.record_sync("ana", newer, &SyncOutcome::Applied, &[])
            .await
            .unwrap()
    );
    let row = &sa.presence_rows(&["ana".to_owned()]).await.unwrap()[0];
    assert_eq!(row.pbx_sync, PbxSync::Applied);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_streams_newest_id_survives_pruning_and_ids_stay_per_customer() {
    let (_url, a, b) = two_nodes().await;
    let (sa, sb) = (a.store(), b.store());
    let (start, _) = sa.stream_bounds("acme").await.unwrap();
    let event = |customer: &str| NewEvent {
        customer_id: customer.into(),
        audience: None,
        kind: "presence",
        data: "{}".into(),
    };
    // Both nodes append at once: acme's ids stay contiguous, in commit order.
    let batch: Vec<NewEvent> = (0..5).map(|_| event("acme")).collect();
    let (ra, rb) = tokio::join!(sa.append_events(&batch), sb.append_events(&batch));
    ra.unwrap();
    rb.unwrap();
    let (last, pruned) = sa.stream_bounds("acme").await.unwrap();
    assert_eq!((last, pruned), (start + 10, 0));
    let (log, _) = sb.log_after("acme", start, 100).await.unwrap();
    let ids: Vec<i64> = log.iter().map(|e| e.id).collect();
    assert_eq!(ids, ((start + 1)..=(start + 10)).collect::<Vec<_>>());
    // Everything pruned: the newest id is still the counter's, and a resume from before sees
    // the prune.
    let removed = sa.prune_events(i64::MAX, 0).await.unwrap();
    assert!(removed >= 10);
    assert_eq!(sa.stream_bounds("acme").await.unwrap(), (last, last));
    let (log, pruned) = sb.log_after("acme", start, 100).await.unwrap();
    assert!(log.is_empty());
    assert_eq!(pruned, last);
    // The next event follows on.
    sb.append_events(&[event("acme")]).await.unwrap();
    assert_eq!(sa.stream_bounds("acme").await.unwrap(), (last + 1, last));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn an_older_apply_that_lands_after_a_newer_one_makes_the_newer_one_applied_again() {
    let (url, a, b) = two_nodes().await;
    all_pending(&url).await;
    let (sa, sb) = (a.store(), b.store());
    // Node A claims ana's version n and starts applying it.
    let now = Utc::now().timestamp_millis();
    assert!(sa.due_syncs(now).await.unwrap().contains(&"ana".to_owned()));
    let old = version_of(&sa, "ana").await;
    // Node B writes version n + 1 and applies it first.
    let newer = sb
        .set_presence(
            "ana",
            ProfileId::Lunch,
            Utc::now(),
            PbxSync::Pending,
            None,
            &[],
        )
        .await
        .unwrap();
    assert!(
        sb.record_sync("ana", newer, &SyncOutcome::Applied, &[])
            .await
            .unwrap()
    );
    // A's apply of n reached the PBX after it: n + 1 is pending and due again, for any node.
    assert!(
        !sa.record_sync("ana", old, &SyncOutcome::Applied, &[])
            .await
            .unwrap()
    );
    let row = &sb.presence_rows(&["ana".to_owned()]).await.unwrap()[0];
    assert_eq!(
        (row.pbx_sync, row.desired_version),
        (PbxSync::Pending, newer)
    );
    let now = Utc::now().timestamp_millis();
    assert!(sb.due_syncs(now).await.unwrap().contains(&"ana".to_owned()));
    // An older attempt that failed reached nothing: an applied newer state stays as it is.
    assert!(
        sb.record_sync("ana", newer, &SyncOutcome::Applied, &[])
            .await
            .unwrap()
    );
    let retry = SyncOutcome::Retry {
        error: "refused".into(),
        next_attempt_ms: now,
    };
    assert!(!sa.record_sync("ana", old, &retry, &[]).await.unwrap());
    let row = &sb.presence_rows(&["ana".to_owned()]).await.unwrap()[0];
    assert_eq!(row.pbx_sync, PbxSync::Applied);
    a.close().await;
    b.close().await;
}
