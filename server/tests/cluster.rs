//! Three real `ucclient-server serve` processes on one throw-away PostgreSQL database (issue 16):
//! - a change made on node C reaches a subscriber on node A and one on node B, in the same order;
//! - `kill -9` of a node under a bounded load (two writers, up to 100 changes/s for 8 s, sent to
//!   every node in turn): its subscribers resume on another node with `Last-Event-ID` and get every
//!   event of the log once, in order; every acknowledged change is in the log, in the order it was
//!   acknowledged; the customer's log ids are contiguous;
//! - a rolling restart (SIGTERM, start again) of all three nodes under that load: the same;
//! - a node killed while its call dials: another node adopts the call and plays it to its end.
//!
//! Each runs with either doorbell: PostgreSQL's NOTIFY and a NATS subject (`--bus`). The demo data
//! is seeded once per database; the nodes' rate limits are lifted so the load is not refused. The
//! tests take turns (each starts three servers on a two-core machine).

mod common;

#[path = "support/nats.rs"]
mod nats;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Binary, pg};
use serde_json::Value;
use tokio::sync::{Mutex, watch};

/// `serve`'s flags here: no write or ticket budget gets in the load's way.
const FLAGS: &[&str] = &[
    "--writes-per-minute",
    "1000000000",
    "--tickets-per-minute",
    "1000000000",
];

/// Profiles a writer cycles through (each differs from the one before).
const PROFILES: [&str; 5] = [
    "away",
    "lunch",
    "in_a_meeting",
    "comfort_break",
    "available",
];

/// One test at a time: each runs three servers.
static TURN: Mutex<()> = Mutex::const_new(());

/// The nodes' doorbell: PostgreSQL's NOTIFY, or a NATS subject (`--bus`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Doorbell {
    Notify,
    Nats,
}

/// A database seeded with the demo data and three nodes serving it, ringing each other with
/// `doorbell` (the NATS server, when there is one, lives as long as the returned value).
async fn cluster(doorbell: Doorbell) -> (String, Vec<Binary>, Option<nats::Nats>) {
    let url = pg::Postgres::shared().fresh_database();
    common::seed(&ucclient_server::Config::with_database(url.clone().into())).await;
    let nats = (doorbell == Doorbell::Nats).then(nats::Nats::start);
    let mut flags: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    if let Some(n) = &nats {
        flags.extend(["--bus".to_owned(), n.url()]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let nodes = (0..3)
        .map(|_| Binary::start("serve", "127.0.0.1:0", Path::new(&url), &flags))
        .collect();
    (url, nodes, nats)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// An event as received: its id, its name and its data as sent.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: i64,
    event: String,
    data: String,
}

/// An event stream that reports a dropped connection instead of panicking.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    /// Opens a stream at the API `api` (`http://ADDR/api/v1`) with a fresh ticket, resuming
    /// after `last` when given.
    async fn open(api: &str, token: &str, last: Option<i64>) -> Result<Stream, String> {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let r = http
            .post(format!("{api}/events/ticket"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() != 200 {
            return Err(format!("ticket: {}", r.status()));
        }
        let ticket = r.json::<Value>().await.map_err(|e| e.to_string())?["ticket"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut req = http.get(format!("{api}/events?ticket={ticket}"));
        if let Some(id) = last {
            req = req.header("last-event-id", id.to_string());
        }
        let response = req.send().await.map_err(|e| e.to_string())?;
        if response.status() != 200 {
            return Err(format!("events: {}", response.status()));
        }
        Ok(Stream {
            response,
            buffer: String::new(),
        })
    }

    /// The next event; `Ok(None)` when none came within `wait`; `Err` when the connection ended.
    async fn next(&mut self, wait: Duration) -> Result<Option<Event>, String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let Some((id, event, data)) = common::sse_block(&block) else {
                    continue; // a keep-alive comment
                };
                let id = id
                    .parse()
                    .map_err(|_| format!("event without an id: {block}"))?;
                return Ok(Some(Event { id, event, data }));
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return Ok(None),
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) => return Err("the stream ended".into()),
                Ok(Err(e)) => return Err(e.to_string()),
            }
        }
    }
}

/// `PUT /me/presence` at `api`; the presence's `since` when acknowledged (200), `None` when the
/// request failed or was refused.
async fn change(http: &reqwest::Client, api: &str, token: &str, profile: &str) -> Option<String> {
    let r = http
        .put(format!("{api}/me/presence"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "profile": profile }))
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    let body: Value = r.json().await.ok()?;
    Some(body["since"].as_str()?.to_owned())
}

/// A user's presence changes in the log, in id order: (id, user, since).
async fn logged_changes(url: &str, customer: &str) -> Vec<(i64, String, String)> {
    let rows = common::sql(
        Path::new(url),
        &format!(
            "SELECT id::text || ' ' || data FROM events \
             WHERE customer_id = '{customer}' AND kind = 'presence' ORDER BY id"
        ),
    )
    .await;
    rows.iter()
        .map(|row| {
            let (id, data) = row.split_once(' ').unwrap();
            let data: Value = serde_json::from_str(data).unwrap();
            (
                id.parse().unwrap(),
                data["user_id"].as_str().unwrap().to_owned(),
                data["presence"]["since"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The ids of every customer's log are contiguous.
async fn assert_every_log_contiguous(url: &str) {
    let rows = common::sql(
        Path::new(url),
        "SELECT customer_id || ' ' || id::text FROM events ORDER BY customer_id, id",
    )
    .await;
    let mut last: Option<(String, i64)> = None;
    for row in rows {
        let (customer, id) = row.split_once(' ').unwrap();
        let id: i64 = id.parse().unwrap();
        if let Some((c, prev)) = &last
            && c == customer
        {
            assert_eq!(id, prev + 1, "{customer}'s log ids are contiguous");
        }
        last = Some((customer.to_owned(), id));
    }
}

/// The ids a user's stream must carry after `after`, up to the newest: the customer's events for
/// everyone or for that user.
async fn ids_for(url: &str, customer: &str, user: &str, after: i64) -> Vec<i64> {
    common::sql(
        Path::new(url),
        &format!(
            "SELECT id::text FROM events WHERE customer_id = '{customer}' AND id > {after} \
             AND (audience_user IS NULL OR audience_user = '{user}') ORDER BY events.id"
        ),
    )
    .await
    .iter()
    .map(|id| id.parse().unwrap())
    .collect()
}

/// Reads a stream until it has seen `last` (at most `within`), failing on a dropped connection.
async fn read_through(stream: &mut Stream, last: i64, within: Duration) -> Vec<Event> {
    let deadline = Instant::now() + within;
    let mut seen: Vec<Event> = Vec::new();
    while seen.last().is_none_or(|e| e.id < last) {
        assert!(
            Instant::now() < deadline,
            "not through id {last} within {within:?}; got {:?}",
            seen.last()
        );
        if let Some(e) = stream.next(Duration::from_secs(1)).await.unwrap() {
            seen.push(e);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_made_on_one_node_reach_subscribers_on_the_others_in_the_same_order() {
    same_order_on_every_node(Doorbell::Notify).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_nats_doorbell_changes_reach_subscribers_on_the_others_in_the_same_order() {
    same_order_on_every_node(Doorbell::Nats).await;
}

/// Dora and Eli change their presence on node C; a subscriber on node A and one on node B get the
/// same events in the same order: every event of the log once.
async fn same_order_on_every_node(doorbell: Doorbell) {
    let _turn = TURN.lock().await;
    let (url, nodes, _nats) = cluster(doorbell).await;
    let (a, b, c) = (nodes[0].url(""), nodes[1].url(""), nodes[2].url(""));
    let dora = nodes[0].login("dora").await;
    let eli = nodes[1].login("eli").await;

    let mut on_a = Stream::open(&a, &dora, None).await.unwrap();
    let mut on_b = Stream::open(&b, &eli, None).await.unwrap();
    let snap_a = on_a.next(Duration::from_secs(10)).await.unwrap().unwrap();
    let snap_b = on_b.next(Duration::from_secs(10)).await.unwrap().unwrap();
    assert_eq!(
        (snap_a.event.as_str(), snap_b.event.as_str()),
        ("snapshot", "snapshot")
    );

    // Two users change at once, both on node C: their changes interleave in the log.
    let writers = [dora.clone(), eli.clone()].map(|token| {
        let c = c.clone();
        tokio::spawn(async move {
            let http = client();
            let mut acked = Vec::new();
            for i in 0..30 {
                let since = change(&http, &c, &token, PROFILES[i % PROFILES.len()]).await;
                acked.push(since.expect("node C acknowledges every change"));
            }
            acked
        })
    });
    let mut acked = Vec::new();
    for w in writers {
        acked.push(w.await.unwrap());
    }

    let log = logged_changes(&url, "globex").await;
    let newest = log.last().unwrap().0;
    let from_a = read_through(&mut on_a, newest, Duration::from_secs(20)).await;
    let from_b = read_through(&mut on_b, newest, Duration::from_secs(20)).await;
    let after = snap_a.id.max(snap_b.id);
    let tail = |events: &[Event]| -> Vec<Event> {
        events.iter().filter(|e| e.id > after).cloned().collect()
    };
    assert_eq!(
        tail(&from_a),
        tail(&from_b),
        "node A and node B deliver the same events in the same order"
    );
    let ids: Vec<i64> = tail(&from_a).iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        ids_for(&url, "globex", "dora", after).await,
        "every event once"
    );
    assert!(ids.len() >= 60, "both writers' 60 changes: {}", ids.len());
    for (user, acked) in ["dora", "eli"].iter().zip(&acked) {
        let logged: Vec<&String> = log
            .iter()
            .filter(|(_, u, _)| u == user)
            .map(|(_, _, since)| since)
            .collect();
        assert_eq!(
            logged.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            acked.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "{user}'s changes, in the log as acknowledged"
        );
    }
    assert_every_log_contiguous(&url).await;
}

/// What a subscriber that resumes elsewhere received.
struct Subscribed {
    /// The snapshot's id (the stream carries every id after it).
    start: i64,
    /// Every event after the snapshot, across its connections.
    events: Vec<Event>,
    /// How many times it connected again after a dropped stream.
    resumed: usize,
}

/// Subscribes at node `first` and reads until the newest id sent on `done` has arrived; when the
/// connection drops it resumes, with `Last-Event-ID`, on the next node whose `down` flag is
/// clear.
async fn subscriber(
    apis: Arc<Vec<String>>,
    down: Arc<Vec<AtomicBool>>,
    first: usize,
    token: String,
    mut done: watch::Receiver<Option<i64>>,
) -> Subscribed {
    let mut node = first;
    let mut stream = Stream::open(&apis[node], &token, None).await.unwrap();
    let snapshot = stream.next(Duration::from_secs(10)).await.unwrap().unwrap();
    assert_eq!(snapshot.event, "snapshot");
    let mut got = Subscribed {
        start: snapshot.id,
        events: Vec::new(),
        resumed: 0,
    };
    let mut finish_by: Option<Instant> = None;
    loop {
        let newest = *done.borrow_and_update();
        if let Some(newest) = newest {
            if got.events.last().map_or(got.start, |e| e.id) >= newest {
                return got;
            }
            let by = *finish_by.get_or_insert_with(|| Instant::now() + Duration::from_secs(20));
            assert!(
                Instant::now() < by,
                "not through id {newest} 20 s after the load; last {:?}",
                got.events.last()
            );
        }
        match stream.next(Duration::from_millis(500)).await {
            Ok(Some(e)) => got.events.push(e),
            Ok(None) => {}
            Err(_) => {
                // The node is gone: the next live one, after the last id received.
                let last = got.events.last().map_or(got.start, |e| e.id);
                let deadline = Instant::now() + Duration::from_secs(10);
                stream = loop {
                    node = (node + 1) % apis.len();
                    if down[node].load(Ordering::SeqCst) {
                        continue;
                    }
                    match Stream::open(&apis[node], &token, Some(last)).await {
                        Ok(s) => break s,
                        Err(e) => {
                            assert!(Instant::now() < deadline, "no node to resume on: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                };
                got.resumed += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_nodes_subscribers_resume_elsewhere_and_lose_nothing_under_load() {
    killed_node_under_load(Doorbell::Notify).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_nats_doorbell_a_killed_nodes_subscribers_resume_elsewhere_losing_nothing() {
    killed_node_under_load(Doorbell::Nats).await;
}

/// Two writers load the cluster; node C is killed (`SIGKILL`) a few seconds in; its subscribers
/// resume elsewhere and lose nothing, and nothing acknowledged is missing from the log.
async fn killed_node_under_load(doorbell: Doorbell) {
    let _turn = TURN.lock().await;
    let (url, mut nodes, _nats) = cluster(doorbell).await;
    let apis = Arc::new(nodes.iter().map(|n| n.url("")).collect::<Vec<_>>());
    let down = Arc::new((0..3).map(|_| AtomicBool::new(false)).collect::<Vec<_>>());
    let dora = nodes[0].login("dora").await;
    let eli = nodes[1].login("eli").await;
    const VICTIM: usize = 2;

    // Two subscribers on the node to be killed, one on another node.
    let (done_tx, done_rx) = watch::channel(None);
    let subscribers: Vec<_> = [(VICTIM, &dora), (VICTIM, &eli), (0, &dora)]
        .into_iter()
        .map(|(node, token)| {
            tokio::spawn(subscriber(
                apis.clone(),
                down.clone(),
                node,
                token.clone(),
                done_rx.clone(),
            ))
        })
        .collect();
    // Every subscriber holds its snapshot before the load starts.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The load: two writers, one change every 20 ms each, to node 0, 1, 2, 0, … for 8 s.
    let writers: Vec<_> = [dora.clone(), eli.clone()]
        .map(|token| tokio::spawn(write_for(apis.clone(), token, Duration::from_secs(8))))
        .into_iter()
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    down[VICTIM].store(true, Ordering::SeqCst);
    nodes[VICTIM].child.kill().unwrap(); // SIGKILL
    nodes[VICTIM].child.wait().unwrap();

    let mut written = Vec::new();
    for w in writers {
        let w = w.await.unwrap();
        for (node, refused) in w.refused.iter().enumerate() {
            assert!(
                *refused == 0 || node == VICTIM,
                "node {node} failed {refused} changes (only the killed one may)"
            );
        }
        written.push(w);
    }
    let got = finish(&url, done_tx, subscribers).await;
    assert_nothing_lost(&url, &written, &got).await;
    for (n, s) in got.iter().enumerate() {
        if n < 2 {
            assert!(s.resumed >= 1, "subscriber {n} was on the killed node");
        } else {
            assert_eq!(s.resumed, 0, "subscriber {n}'s node stayed up");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_of_every_node_under_load_loses_nothing() {
    let _turn = TURN.lock().await;
    let (url, mut nodes, _nats) = cluster(Doorbell::Notify).await;
    let apis = Arc::new(nodes.iter().map(|n| n.url("")).collect::<Vec<_>>());
    let down = Arc::new((0..3).map(|_| AtomicBool::new(false)).collect::<Vec<_>>());
    let dora = nodes[0].login("dora").await;
    let eli = nodes[1].login("eli").await;

    // A subscriber on each node: each of them sees its node restart.
    let (done_tx, done_rx) = watch::channel(None);
    let subscribers: Vec<_> = [(0, &dora), (1, &eli), (2, &dora)]
        .into_iter()
        .map(|(node, token)| {
            tokio::spawn(subscriber(
                apis.clone(),
                down.clone(),
                node,
                token.clone(),
                done_rx.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let writers: Vec<_> = [dora.clone(), eli.clone()]
        .map(|token| tokio::spawn(write_for(apis.clone(), token, Duration::from_secs(9))))
        .into_iter()
        .collect();

    // One node after the other: SIGTERM (a graceful stop), then started again on its address.
    for node in 0..3 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        down[node].store(true, Ordering::SeqCst);
        let addr = nodes[node].addr;
        let stopped = std::process::Command::new("kill")
            .args(["-TERM", &nodes[node].child.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
        let status = tokio::task::block_in_place(|| nodes[node].child.wait().unwrap());
        assert!(status.success(), "node {node} stopped gracefully: {status}");
        let flags: Vec<&str> = FLAGS.to_vec();
        nodes[node] = tokio::task::block_in_place(|| {
            Binary::start("serve", &addr.to_string(), Path::new(&url), &flags)
        });
        down[node].store(false, Ordering::SeqCst);
    }

    let mut written = Vec::new();
    for w in writers {
        written.push(w.await.unwrap());
    }
    let attempts: usize = written.iter().map(|w| w.attempts).sum();
    let refused: usize = written.iter().flat_map(|w| &w.refused).sum();
    assert!(
        refused * 10 < attempts,
        "only changes sent while a node was down failed: {refused} of {attempts}"
    );
    let got = finish(&url, done_tx, subscribers).await;
    assert_nothing_lost(&url, &written, &got).await;
    for (n, s) in got.iter().enumerate() {
        assert!(s.resumed >= 1, "subscriber {n}'s node restarted");
    }
}

/// What a writer did.
struct Written {
    /// The `since` of each acknowledged change, in the order of the answers.
    acked: Vec<String>,
    /// Per node, how many changes failed there (no answer, or not 200).
    refused: Vec<usize>,
    /// How many changes it sent.
    attempts: usize,
}

/// Changes a user's presence every 20 ms for `load`, at node 0, 1, 2, 0, … in turn, one change
/// at a time (each waits for its answer).
async fn write_for(apis: Arc<Vec<String>>, token: String, load: Duration) -> Written {
    let http = client();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut written = Written {
        acked: Vec::new(),
        refused: vec![0; apis.len()],
        attempts: 0,
    };
    while started.elapsed() < load {
        tick.tick().await;
        let i = written.attempts;
        let node = i % apis.len();
        written.attempts += 1;
        match change(&http, &apis[node], &token, PROFILES[i % PROFILES.len()]).await {
            Some(since) => written.acked.push(since),
            None => written.refused[node] += 1,
        }
    }
    written
}

/// Tells the subscribers the newest id of the log and collects what they received.
async fn finish(
    url: &str,
    done: watch::Sender<Option<i64>>,
    subscribers: Vec<tokio::task::JoinHandle<Subscribed>>,
) -> Vec<Subscribed> {
    let newest = logged_changes(url, "globex").await.last().unwrap().0;
    done.send(Some(newest)).unwrap();
    let mut got = Vec::new();
    for s in subscribers {
        got.push(s.await.unwrap());
    }
    got
}

/// Every acknowledged change of Dora's and Eli's (`written`, in that order) is in the log, in the
/// order it was acknowledged (a change whose answer was lost may be there too); each subscriber
/// (Dora's, Eli's, Dora's) got every event after its snapshot once, in order, never a second
/// snapshot; every customer's log ids are contiguous.
async fn assert_nothing_lost(url: &str, written: &[Written], got: &[Subscribed]) {
    let log = logged_changes(url, "globex").await;
    let total: usize = written.iter().map(|w| w.acked.len()).sum();
    assert!(total >= 300, "a real load: {total} changes acknowledged");
    for (user, w) in ["dora", "eli"].iter().zip(written) {
        let logged: Vec<&str> = log
            .iter()
            .filter(|(_, u, _)| u == user)
            .map(|(_, _, since)| since.as_str())
            .collect();
        let mut rest = logged.iter();
        for since in &w.acked {
            assert!(
                rest.any(|s| s == since),
                "{user}'s acknowledged change at {since} is in the log, after the one before"
            );
        }
    }
    for (n, (s, user)) in got.iter().zip(["dora", "eli", "dora"]).enumerate() {
        let ids: Vec<i64> = s.events.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            ids_for(url, "globex", user, s.start).await,
            "subscriber {n} ({user}): every event once, in order"
        );
        assert!(
            s.events.iter().all(|e| e.event != "snapshot"),
            "subscriber {n}: a resume within retention is not a snapshot"
        );
    }
    assert_every_log_contiguous(url).await;
}

/// A node killed (`SIGKILL`) while its call dials: once its heartbeat is stale (20 s) another node
/// adopts the call with its stored step, and the call goes on as the simulation says — it rings,
/// the far side answers and hangs up after TALK — instead of ending for want of its node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_call_goes_on_on_another_node() {
    let _turn = TURN.lock().await;
    let url = pg::Postgres::shared().fresh_database();
    common::seed(&ucclient_server::Config::with_database(url.clone().into())).await;
    let flags = ["--call-timings", "1000,1000,1000"];
    let mut a = Binary::start("serve", "127.0.0.1:0", Path::new(&url), &flags);
    let b = Binary::start("serve", "127.0.0.1:0", Path::new(&url), &flags);
    let ana = a.login("ana").await;
    let placed: Value = client()
        .post(a.url("/calls"))
        .bearer_auth(&ana)
        .json(&serde_json::json!({"to": "912 345 678"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(placed["state"], "dialing", "{placed}");
    a.child.kill().unwrap(); // SIGKILL, within DIAL
    a.child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let call = loop {
        let history: Value = client()
            .get(b.url("/calls"))
            .bearer_auth(&ana)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let call = history[0].clone();
        assert_eq!(call["id"], placed["id"], "{history}");
        if call["state"] == "ended" || call["state"] == "failed" {
            break call;
        }
        assert!(Instant::now() < deadline, "the call never went on: {call}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(call["state"], "ended", "{call}");
    assert!(
        call["answered_at"].is_string(),
        "answered by the far side: {call}"
    );
    assert!(call["outcome"].is_null(), "{call}");
}
