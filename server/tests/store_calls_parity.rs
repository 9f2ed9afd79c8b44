//! The PostgreSQL engine's calls, voicemail and after-call work (issue 16) against SQLite's: the
//! same calls of `CallStore` on the same rows give the same answers and log the same events on
//! both engines; and on PostgreSQL, callers racing on two pools (two nodes) cannot both pass a
//! decision SQLite's single writer made safe: one winner per state change and per claim, the busy
//! overlay announced once, a mailbox never above its limit, every missed count a different one;
//! and on both, an orphaned call goes to one adopter with its step.

mod common;
use common::logged_events as events;

use std::sync::Arc;
use std::time::Duration;

use ucclient_core::api::{
    Call, CallDirection, CallOutcome, CallState, CrmKind, CrmRecord, Disposition, Timestamp,
    VoicemailMessage, WrapUp,
};
use ucclient_server::store::engine::Engine;
use ucclient_server::store::prelude::*;
use ucclient_server::store::{
    CallStep, MAX_MESSAGES, NewEvent, NewVoicemail, Overlay, OwnedCall, StepKind,
};

/// Two customers of one reseller and their users.
const SEED: &[&str] = &[
    "INSERT INTO resellers (id, name) VALUES ('r1', 'R')",
    "INSERT INTO customers (id, reseller_id, name) VALUES ('c1', 'r1', 'C1')",
    "INSERT INTO customers (id, reseller_id, name) VALUES ('c2', 'r1', 'C2')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u1', 'c1', 'Bob', 'bob@example.com', '101', 'h')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u2', 'c1', 'Alice', 'alice@example.com', '102', 'h')",
    "INSERT INTO users (id, customer_id, name, email, extension, password_hash) VALUES ('u3', 'c2', 'Other', 'other@example.com', '101', 'h')",
];

/// A fresh database of either engine with [`SEED`]'s rows (and the temporary directory of a
/// SQLite file).
async fn open(pg: bool) -> (Engine, std::path::PathBuf, Option<tempfile::TempDir>) {
    common::open_seeded(pg, SEED).await
}

/// An instant `secs` seconds (and `nanos`) into the test's day.
fn at(secs: i64, nanos: u32) -> Timestamp {
    Timestamp::from_unix(1_800_000_000 + secs, nanos).unwrap()
}

/// A new inbound call of `user` (of customer c1) in `state`.
fn call(id: &str, user: &str, state: CallState) -> OwnedCall {
    OwnedCall {
        user_id: user.into(),
        customer_id: "c1".into(),
        call: Call {
            id: id.into(),
            direction: CallDirection::Inbound,
            from: "+351210000000".into(),
            to: "101".into(),
            state,
            started_at: at(0, 123_456_789),
            answered_at: None,
            ended_at: None,
            context: None,
            internal: false,
            outcome: None,
            answered_on: None,
            forwarded_to: None,
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        },
        peer: None,
        from_device: None,
    }
}

/// `owned` moved on to `state` (and, when it is over, ended with `outcome`).
fn moved(owned: &OwnedCall, state: CallState, outcome: Option<CallOutcome>) -> OwnedCall {
    let mut next = owned.clone();
    next.call.state = state;
    match state {
        CallState::Connected => next.call.answered_at = Some(at(5, 0)),
        CallState::Ended | CallState::Failed => {
            next.call.ended_at = Some(at(9, 500_000_000));
            next.call.outcome = outcome;
        }
        _ => {}
    }
    next
}

/// An event of c1 for everyone.
fn event(kind: &'static str, data: &str) -> NewEvent {
    NewEvent {
        customer_id: "c1".into(),
        audience: None,
        kind,
        data: data.into(),
    }
}

/// The busy-overlay event of `user`.
fn overlay(user: &str, data: &str) -> Overlay {
    Overlay {
        user_id: user.into(),
        event: NewEvent {
            customer_id: "c1".into(),
            audience: None,
            kind: "presence",
            data: data.into(),
        },
    }
}

/// A message `id` for u1's mailbox left on the call `call_id`, created at `created`.
fn message(id: &str, call_id: &str, created: Timestamp) -> NewVoicemail {
    NewVoicemail {
        customer_id: "c1".into(),
        user_id: "u1".into(),
        message: VoicemailMessage {
            id: id.into(),
            call_id: call_id.into(),
            from: "+351210000000".into(),
            created_at: created,
            duration_ms: 1_500,
            heard: false,
        },
        audio: id.as_bytes().to_vec(),
    }
}

/// Stores the ringing call `id` of u1 and ends it in its mailbox with `m`: whether that write
/// was done.
async fn to_voicemail(s: &dyn Store, id: &str, m: NewVoicemail) -> bool {
    let ringing = call(id, "u1", CallState::Ringing);
    s.write_calls(&[], std::slice::from_ref(&ringing), &[], &[], &[], &[])
        .await
        .unwrap();
    let over = moved(&ringing, CallState::Ended, Some(CallOutcome::Voicemail));
    s.write_calls(&[(over, CallState::Ringing)], &[], &[], &[], &[m], &[])
        .await
        .unwrap()
}

/// Every method of `CallStore`, in one order, each call and its answer as text, then the log.
async fn scenario(engine: &Engine) -> Vec<String> {
    let s = engine.store();
    let mut out = Vec::new();
    macro_rules! log {
        ($e:expr) => {
            out.push(format!("{} = {:?}", stringify!($e), $e));
        };
    }
    // Two sides of a call between colleagues, and their moves.
    let mut k1 = call("k1", "u1", CallState::Ringing);
    k1.call.context = Some(
        serde_json::from_str(r#"{"crm":"salesforce","record_id":"001","object_type":"Contact"}"#)
            .unwrap(),
    );
    k1.call.internal = true;
    k1.call.held = true;
    k1.peer = Some("k2".into());
    let mut k2 = call("k2", "u2", CallState::Ringing);
    k2.call.direction = CallDirection::Outbound;
    k2.peer = Some("k1".into());
    log!(
        s.write_calls(
            &[],
            std::slice::from_ref(&k1),
            &[event("call", "k1")],
            &[],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    log!(
        s.write_calls(
            &[],
            std::slice::from_ref(&k2),
            &[event("call", "k2")],
            &[],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    log!(s.call("k1").await.unwrap());
    log!(s.call("nope").await.unwrap());
    log!(s.live_calls(None).await.unwrap());
    log!(s.live_calls(Some("u2")).await.unwrap());
    log!(s.live_calls(Some("u3")).await.unwrap());
    log!(s.calls_with_peer("k1").await.unwrap());
    let k1c = moved(&k1, CallState::Connected, None);
    let k2c = moved(&k2, CallState::Connected, None);
    // A stale expected state, and all or nothing: k1 would move, k2 is not dialing.
    log!(
        s.write_calls(
            &[(k1c.clone(), CallState::Connected)],
            &[],
            &[event("call", "stale")],
            &[],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    log!(
        s.write_calls(
            &[
                (k1c.clone(), CallState::Ringing),
                (k2c.clone(), CallState::Dialing)
            ],
            &[call("k9", "u1", CallState::Ringing)],
            &[event("call", "half")],
            &[overlay("u1", "half")],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    log!(s.call("k1").await.unwrap().map(|c| c.call.state));
    log!(s.call("k9").await.unwrap());
    log!(
        s.write_calls(
            &[
                (k1c.clone(), CallState::Ringing),
                (k2c.clone(), CallState::Ringing)
            ],
            &[],
            &[event("call", "both connected")],
            &[overlay("u1", "u1 busy"), overlay("u2", "u2 busy")],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    // A second call of u1 while k1 is connected: its overlays are not announced.
    let k3 = call("k3", "u1", CallState::Ringing);
    log!(
        s.write_calls(&[], std::slice::from_ref(&k3), &[], &[], &[], &[])
            .await
            .unwrap()
    );
    let k3c = moved(&k3, CallState::Connected, None);
    log!(
        s.write_calls(
            &[(k3c.clone(), CallState::Ringing)],
            &[],
            &[],
            &[overlay("u1", "not announced")],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    let k3e = moved(&k3c, CallState::Ended, Some(CallOutcome::Missed));
    log!(
        s.write_calls(
            &[(k3e, CallState::Connected)],
            &[],
            &[],
            &[overlay("u1", "still busy")],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    let k1e = moved(&k1c, CallState::Ended, None);
    let k2e = moved(&k2c, CallState::Ended, None);
    log!(
        s.write_calls(
            &[
                (k1e.clone(), CallState::Connected),
                (k2e.clone(), CallState::Connected)
            ],
            &[],
            &[event("call", "both ended")],
            &[overlay("u1", "u1 free"), overlay("u2", "u2 free")],
            &[],
            &[]
        )
        .await
        .unwrap()
    );
    // Missed calls: one by an update above, one inserted over already, one seen.
    let k4 = moved(
        &call("k4", "u1", CallState::Ringing),
        CallState::Failed,
        Some(CallOutcome::Missed),
    );
    log!(s.write_calls(&[], &[k4], &[], &[], &[], &[]).await.unwrap());
    log!(s.missed_calls("u1").await.unwrap());
    log!(s.missed_calls("u2").await.unwrap());
    log!(s.mark_missed_seen("c1", "u1").await.unwrap());
    log!(s.missed_calls("u1").await.unwrap());
    log!(s.calls_of("u1", 2).await.unwrap());
    log!(s.calls_of("u1", 10).await.unwrap());
    log!(s.calls_of("u3", 10).await.unwrap());
    // Claims.
    log!(s.claim_call("u1", "k1", "log", "pA").await.unwrap());
    log!(s.claim_call("u1", "k1", "log", "pB").await.unwrap());
    log!(s.claim_call("u1", "k1", "log", "pA").await.unwrap());
    log!(s.claim_call("u1", "k1", "pop", "pB").await.unwrap());
    log!(s.claim_call("u2", "k1", "log", "pB").await.unwrap());
    log!(s.claim_call("nobody", "k1", "log", "pB").await.unwrap());
    log!(s.claim_call("u1", "nope", "log", "pB").await.unwrap());
    // After-call work.
    let mut acw = k1e.clone();
    acw.call.wrap_up = Some(WrapUp {
        notes: "called back".into(),
        disposition: Some("sale".into()),
    });
    acw.call.crm_record = Some(CrmRecord {
        crm: CrmKind::Salesforce,
        id: "00T1".into(),
    });
    log!(
        s.set_after_call_work(&acw, &[event("call", "wrapped")])
            .await
            .unwrap()
    );
    log!(s.call("k1").await.unwrap());
    let mut not_owner = acw.clone();
    not_owner.user_id = "u2".into();
    log!(s.set_after_call_work(&not_owner, &[]).await.unwrap());
    let live = call("k5", "u1", CallState::Ringing);
    log!(
        s.write_calls(&[], std::slice::from_ref(&live), &[], &[], &[], &[])
            .await
            .unwrap()
    );
    log!(
        s.set_after_call_work(&live, &[event("call", "too early")])
            .await
            .unwrap()
    );
    // Wrap-up settings.
    log!(s.wrap_up_settings("c1").await.unwrap());
    log!(s.set_wrap_up_seconds("c1", Some(45)).await.unwrap());
    let dispositions = [Disposition {
        code: "sale".into(),
        label: "Sale".into(),
    }];
    log!(s.set_dispositions("c1", Some(&dispositions)).await.unwrap());
    log!(s.wrap_up_settings("c1").await.unwrap());
    log!(s.wrap_up_settings("nope").await.unwrap());
    log!(s.set_wrap_up_seconds("nope", Some(45)).await.unwrap());
    log!(s.set_dispositions("nope", None).await.unwrap());
    log!(s.set_wrap_up_seconds("c1", None).await.unwrap());
    log!(s.set_dispositions("c1", None).await.unwrap());
    log!(s.wrap_up_settings("c1").await.unwrap());
    // Voicemail: two messages at the same instant (the later call first), one earlier.
    log!(s.mailbox_state("u1").await.unwrap());
    log!(s.set_mailbox("u1", false).await.unwrap());
    log!(s.mailbox_state("u1").await.unwrap());
    log!(s.set_mailbox("u1", true).await.unwrap());
    log!(s.mailbox_state("nobody").await.unwrap());
    log!(to_voicemail(&*s, "v1", message("m1", "v1", at(60, 0))).await);
    log!(to_voicemail(&*s, "v2", message("m2", "v2", at(30, 250_000_000))).await);
    log!(to_voicemail(&*s, "v3", message("m3", "v3", at(60, 0))).await);
    log!(s.voicemails("c1", "u1").await.unwrap());
    log!(s.voicemails("c2", "u1").await.unwrap());
    log!(s.voicemails("c1", "u2").await.unwrap());
    log!(s.voicemail_audio("c1", "u1", "m2").await.unwrap());
    log!(s.voicemail_audio("c1", "u2", "m2").await.unwrap());
    log!(s.voicemail_audio("c2", "u1", "m2").await.unwrap());
    log!(s.mark_voicemail_heard("c1", "u1", "m2").await.unwrap());
    log!(s.mark_voicemail_heard("c1", "u1", "m2").await.unwrap());
    log!(s.mark_voicemail_heard("c1", "u2", "m1").await.unwrap());
    log!(s.unheard_voicemails("u1").await.unwrap());
    log!(s.delete_voicemail("c1", "u1", "m3").await.unwrap());
    log!(s.delete_voicemail("c1", "u1", "m3").await.unwrap());
    log!(s.delete_voicemail("c2", "u1", "m1").await.unwrap());
    log!(s.voicemails("c1", "u1").await.unwrap());
    // A full mailbox keeps what it has; the call still ends.
    for i in 0..MAX_MESSAGES - 2 {
        let id = format!("f{i}");
        assert!(to_voicemail(&*s, &id, message(&format!("mf{i}"), &id, at(100, i)),).await);
    }
    log!(s.mailbox_state("u1").await.unwrap());
    log!(to_voicemail(&*s, "over", message("m-over", "over", at(200, 0))).await);
    log!(s.mailbox_state("u1").await.unwrap());
    log!(s.call("over").await.unwrap().map(|c| c.call.state));
    log!(s.voicemail_audio("c1", "u1", "m-over").await.unwrap());
    log!(events(engine, "c1").await);
    log!(events(engine, "c2").await);
    out
}

#[tokio::test]
async fn postgres_answers_and_logs_like_sqlite() {
    let want = common::same_on_both_engines(SEED, scenario).await;
    // The reference itself says what the store promises.
    let line = |start: &str| common::line(&want, start);
    assert!(line("s.call(\"k9\")").ends_with("= None"));
    assert!(line("s.voicemails(\"c1\", \"u1\")").contains("\"m3\""));
    let log = line("events(engine, \"c1\")");
    for kept in ["u1 busy", "u2 busy", "u1 free", "u2 free", "wrapped"] {
        assert!(log.contains(&format!("{kept:?}")), "{kept} logged");
    }
    for dropped in ["stale", "half", "not announced", "still busy", "too early"] {
        assert!(
            !log.contains(&format!("{dropped:?}")),
            "{dropped} not logged"
        );
    }
}

/// Two nodes: two pools on one fresh PostgreSQL database, with the c1 rows of [`SEED`].
async fn two_nodes() -> (Engine, Engine, [Arc<dyn Store>; 2]) {
    let (pg, url, _) = open(true).await;
    let other = Engine::open(&url, Duration::from_secs(10)).await.unwrap();
    let nodes = [pg.store(), other.store()];
    (pg, other, nodes)
}

#[tokio::test]
async fn on_two_nodes_each_decision_is_made_once() {
    let (pg, _other, nodes) = two_nodes().await;
    let s = &nodes[0];
    let n = 10_usize;

    // One winner of a state change.
    let k1 = call("k1", "u1", CallState::Ringing);
    s.write_calls(&[], std::slice::from_ref(&k1), &[], &[], &[], &[])
        .await
        .unwrap();
    let won = futures::future::join_all((0..n).map(|i| {
        let s = nodes[i % 2].clone();
        let next = moved(&k1, CallState::Connected, None);
        async move {
            s.write_calls(
                &[(next, CallState::Ringing)],
                &[],
                &[event("call", &format!("racer {i}"))],
                &[],
                &[],
                &[],
            )
            .await
            .unwrap()
        }
    }))
    .await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    assert_eq!(events(&pg, "c1").await.len(), 1);

    // One claim holder.
    let claims = futures::future::join_all((0..n).map(|i| {
        let s = nodes[i % 2].clone();
        async move {
            s.claim_call("u1", "k1", "log", &format!("page {i}"))
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(
        claims.iter().filter(|c| **c == Some(true)).count(),
        1,
        "{claims:?}"
    );

    // u2's two connected calls end at once on the two nodes, each write announcing the overlay
    // unless the other call is still connected: exactly one announces it, every round.
    for round in 0..5 {
        let a = call(&format!("a{round}"), "u2", CallState::Ringing);
        let b = call(&format!("b{round}"), "u2", CallState::Ringing);
        let (ac, bc) = (
            moved(&a, CallState::Connected, None),
            moved(&b, CallState::Connected, None),
        );
        s.write_calls(&[], &[ac.clone(), bc.clone()], &[], &[], &[], &[])
            .await
            .unwrap();
        let before = events(&pg, "c1").await.len();
        let ends = futures::future::join_all([ac, bc].into_iter().enumerate().map(|(i, c)| {
            let s = nodes[i % 2].clone();
            async move {
                let over = moved(&c, CallState::Ended, None);
                s.write_calls(
                    &[(over, CallState::Connected)],
                    &[],
                    &[],
                    &[overlay("u2", "u2 free")],
                    &[],
                    &[],
                )
                .await
                .unwrap()
            }
        }))
        .await;
        assert_eq!(ends, [true, true]);
        assert_eq!(events(&pg, "c1").await.len(), before + 1, "round {round}");
    }

    // Missed calls ending at once: each `missed` event carries a count of its own.
    let missed: Vec<OwnedCall> = (0..n)
        .map(|i| call(&format!("m{i}"), "u1", CallState::Ringing))
        .collect();
    s.write_calls(&[], &missed, &[], &[], &[], &[])
        .await
        .unwrap();
    let before = events(&pg, "c1").await.len();
    futures::future::join_all(missed.iter().enumerate().map(|(i, c)| {
        let s = nodes[i % 2].clone();
        let over = moved(c, CallState::Ended, Some(CallOutcome::Missed));
        async move {
            assert!(
                s.write_calls(&[(over, CallState::Ringing)], &[], &[], &[], &[], &[])
                    .await
                    .unwrap()
            )
        }
    }))
    .await;
    let mut counts: Vec<u32> = events(&pg, "c1").await[before..]
        .iter()
        .map(|(_, _, kind, data)| {
            assert_eq!(kind, "missed");
            serde_json::from_str::<serde_json::Value>(data).unwrap()["count"]
                .as_u64()
                .unwrap() as u32
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=n as u32).collect::<Vec<_>>());

    // A mailbox five short of full takes five of ten racing messages.
    for i in 0..MAX_MESSAGES - 5 {
        let id = format!("f{i}");
        assert!(to_voicemail(&**s, &id, message(&format!("mf{i}"), &id, at(100, i))).await);
    }
    let before = events(&pg, "c1").await.len();
    let ended = futures::future::join_all((0..n).map(|i| {
        let s = nodes[i % 2].clone();
        async move {
            let id = format!("r{i}");
            to_voicemail(&*s, &id, message(&format!("mr{i}"), &id, at(300, 0))).await
        }
    }))
    .await;
    assert!(ended.iter().all(|e| *e));
    assert_eq!(s.mailbox_state("u1").await.unwrap(), (true, MAX_MESSAGES));
    let (unheard, listed) = s.voicemails("c1", "u1").await.unwrap();
    assert_eq!(
        (unheard, listed.len()),
        (MAX_MESSAGES, MAX_MESSAGES as usize)
    );
    let log = events(&pg, "c1").await;
    let unheard_counts: Vec<u64> = log[before..]
        .iter()
        .map(|(_, _, _, data)| {
            serde_json::from_str::<serde_json::Value>(data).unwrap()["unheard"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let top = u64::from(MAX_MESSAGES);
    assert_eq!(unheard_counts, (top - 4..=top).collect::<Vec<_>>());

    // The customer's ids stayed contiguous through every race.
    let ids: Vec<i64> = log.iter().map(|e| e.0).collect();
    assert_eq!(ids, (1..=log.len() as i64).collect::<Vec<_>>());
}

/// Adoption of orphaned calls, on both engines with three nodes' pools on one database: a node not
/// seen since the bound is dead (its calls are adopted with their steps), each orphan goes to one
/// of two nodes sweeping at once, the living nodes' calls are left alone, and a step stamped with
/// a dead node is adopted even when its call's node lives (the dead node stored it as the call was
/// being adopted).
#[tokio::test]
async fn an_orphan_goes_to_one_adopter_with_its_step() {
    for pg in [false, true] {
        let (first, path, _dir) = open(pg).await;
        let node = async |name: &str| {
            Engine::open(&path, Duration::from_secs(10))
                .await
                .unwrap()
                .with_node(name.into())
        };
        let (a, b, c) = (node("a").await, node("b").await, node("c").await);
        let t = 1_800_000_000_000;
        for (engine, name) in [(&a, "a"), (&b, "b"), (&c, "c")] {
            engine.store().node_alive(name, t, 0).await.unwrap();
        }
        let step = CallStep {
            call_id: "k1".into(),
            kind: StepKind::Dial,
            since_ms: t,
            message: None,
        };
        let dialing = call("k1", "u1", CallState::Dialing);
        a.store()
            .write_calls(&[], &[dialing], &[], &[], &[], std::slice::from_ref(&step))
            .await
            .unwrap();
        // Nodes not seen since `t + 1` are dead.
        let adopt = async |engine: &Engine| {
            engine
                .store()
                .adopt_orphans(t + 1)
                .await
                .unwrap()
                .into_iter()
                .map(|(c, s)| (c.call.id, s))
                .collect::<Vec<_>>()
        };
        let stamp = async || {
            let stored = a.store().call_step("k1").await.unwrap().unwrap();
            assert_eq!(stored.step, step, "pg: {pg}");
            stored.node.unwrap()
        };
        a.store().node_alive("a", t + 10_000, 0).await.unwrap();
        b.store().node_alive("b", t + 10_000, 0).await.unwrap();
        c.store().node_alive("c", t + 10_000, 0).await.unwrap();
        assert_eq!(adopt(&b).await, vec![], "everyone alive (pg: {pg})");
        assert_eq!(stamp().await, "a");

        // A is not seen again (in the store: its row ages as if `t`): B and C sweep at once, and
        // one of them adopts the call.
        a.store().node_alive("a", t, 0).await.unwrap();
        let (by_b, by_c) = tokio::join!(adopt(&b), adopt(&c));
        let adopted = vec![("k1".to_owned(), Some(step.clone()))];
        let winner = match (by_b == adopted, by_c == adopted) {
            (true, false) if by_c.is_empty() => "b",
            (false, true) if by_b.is_empty() => "c",
            _ => panic!("adopted twice or not at all (pg: {pg}): {by_b:?} {by_c:?}"),
        };
        assert_eq!(stamp().await, winner);
        assert_eq!(adopt(&b).await, vec![], "adopted once (pg: {pg})");
        assert_eq!(adopt(&c).await, vec![], "adopted once (pg: {pg})");

        // The call is the winner's now; a step dead A stores makes it an orphan again.
        a.store()
            .write_calls(&[], &[], &[], &[], &[], std::slice::from_ref(&step))
            .await
            .unwrap();
        let loser = if winner == "b" { &c } else { &b };
        assert_eq!(adopt(loser).await, adopted, "pg: {pg}");
        assert_ne!(stamp().await, "a");
        for engine in [first, a, b, c] {
            engine.close().await;
        }
    }
}
