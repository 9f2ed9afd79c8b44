//! The cross-node doorbell (issue 16) on real servers on loopback, started by the tests: two
//! doorbells on one PostgreSQL database or one nats-server (a ring on one reaches the other's
//! listener, never its own), PostgreSQL crashing and restarting (the listener reconnects and wakes
//! every reader), nats-server killed and started again (rings resume), credentials of `--bus`
//! never in the logs; an admin command's change waking every reader of every node; and two
//! backends on one database, where a subscriber on one gets a change made through the other well
//! before the readers' poll.

mod common;
#[path = "support/nats.rs"]
mod nats;

use std::sync::Arc;
use std::time::Duration;

use common::pg::Postgres;
use common::{Served, Sse, seed};
use nats::Nats;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::mpsc;
use tokio::time::Instant;
use ucclient_server::Config;
use ucclient_server::config::BusUrl;
use ucclient_server::doorbell::{Doorbell, Wake};
use ucclient_server::fanout::POLL;

/// What a doorbell woke.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rung {
    /// One customer's reader.
    One(String),
    /// Every reader.
    All,
}

/// A [`Wake`] that records what it is asked to wake.
struct Recorder(mpsc::UnboundedSender<Rung>);

impl Wake for Recorder {
    fn wake(&self, customer_id: &str) {
        let _ = self.0.send(Rung::One(customer_id.to_owned()));
    }

    fn wake_all(&self) {
        let _ = self.0.send(Rung::All);
    }
}

fn recorder() -> (Arc<dyn Wake>, mpsc::UnboundedReceiver<Rung>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(Recorder(tx)), rx)
}

fn one(customer: &str) -> Rung {
    Rung::One(customer.to_owned())
}

/// Whether `rx` gets `want` within `within` (anything else on the way is skipped).
async fn hears(rx: &mut mpsc::UnboundedReceiver<Rung>, want: &Rung, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        while let Some(got) = rx.recv().await {
            if &got == want {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false)
}

/// What `rx` got so far.
fn drain(rx: &mut mpsc::UnboundedReceiver<Rung>) -> Vec<Rung> {
    let mut got = Vec::new();
    while let Ok(r) = rx.try_recv() {
        got.push(r);
    }
    got
}

/// Rings `customer` on `from` every 100 ms until `rx` hears it (listeners connect in the
/// background, and after a restart they reconnect); panics after `within`.
async fn ring_until_heard(
    from: &Doorbell,
    rx: &mut mpsc::UnboundedReceiver<Rung>,
    customer: &str,
    within: Duration,
) {
    let start = Instant::now();
    loop {
        from.ring(customer);
        if hears(rx, &one(customer), Duration::from_millis(100)).await {
            return;
        }
        assert!(
            start.elapsed() < within,
            "a ring for {customer} was not heard within {within:?}"
        );
    }
}

/// Two doorbells ring each other: each hears the other's rings, with a ring's customer intact and
/// within a second, and never hears its own.
async fn check_two_doorbells(
    a: &Doorbell,
    ra: &mut mpsc::UnboundedReceiver<Rung>,
    b: &Doorbell,
    rb: &mut mpsc::UnboundedReceiver<Rung>,
) {
    ring_until_heard(a, rb, "acme", Duration::from_secs(15)).await;
    ring_until_heard(b, ra, "globex", Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drain(ra);
    drain(rb);
    // Both listen now: one ring is enough, and it is quick.
    for customer in ["initech", "cust-7 ü ünïcode"] {
        let start = Instant::now();
        a.ring(customer);
        assert!(
            hears(rb, &one(customer), Duration::from_secs(1)).await,
            "one ring for {customer} was not heard within 1 s"
        );
        assert!(start.elapsed() < Duration::from_secs(1));
    }
    // A's own rings never come back to wake A (it woke its readers before ringing).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let own = drain(ra);
    assert!(
        !own.iter().any(|r| matches!(r, Rung::One(_))),
        "a node heard its own rings: {own:?}"
    );
}

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect(url)
        .await
        .expect("connecting to the test PostgreSQL")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rings_reach_the_other_nodes_listener_and_never_their_own() {
    let url = Postgres::shared().fresh_database();
    let (wa, mut ra) = recorder();
    let (wb, mut rb) = recorder();
    let a = Doorbell::postgres(pool(&url).await, wa);
    let b = Doorbell::postgres(pool(&url).await, wb);
    assert_eq!(a.kind(), "postgres");
    check_two_doorbells(&a, &mut ra, &b, &mut rb).await;
    // A burst of rings of one customer is at most a few rings on the other side, never lost.
    for _ in 0..200 {
        a.ring("burst");
    }
    assert!(hears(&mut rb, &one("burst"), Duration::from_secs(1)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let more = drain(&mut rb).len();
    assert!(
        more < 50,
        "{more} more rings for one burst: rings are not merged"
    );
    // Stopped, it hears nothing more.
    b.stop();
    a.ring("after-stop");
    assert!(!hears(&mut rb, &one("after-stop"), Duration::from_millis(500)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crashing_makes_the_listeners_reconnect_and_wake_every_reader() {
    // A server of its own: it is restarted.
    let server = Postgres::start();
    let url = server.url();
    let (wa, mut ra) = recorder();
    let (wb, mut rb) = recorder();
    let a = Doorbell::postgres(pool(&url).await, wa);
    let b = Doorbell::postgres(pool(&url).await, wb);
    check_two_doorbells(&a, &mut ra, &b, &mut rb).await;

    // A crash (`pg_ctl stop -m immediate`) and a start again on the same port.
    server.stop_immediate();
    a.ring("while-down");
    server.start_again();
    // Rings sent while the listeners were away are lost: on reconnecting each wakes every reader.
    for (name, rx) in [("A", &mut ra), ("B", &mut rb)] {
        assert!(
            hears(rx, &Rung::All, Duration::from_secs(15)).await,
            "{name}'s listener did not reconnect and wake every reader"
        );
    }
    // And rings flow again both ways.
    ring_until_heard(&a, &mut rb, "after-restart", Duration::from_secs(15)).await;
    ring_until_heard(&b, &mut ra, "after-restart", Duration::from_secs(15)).await;
    a.stop();
    b.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_rings_reach_the_other_node_and_resume_after_the_server_restarts() {
    let mut server = Nats::start();
    let bus: BusUrl = server.url().parse().unwrap();
    let (wa, mut ra) = recorder();
    let (wb, mut rb) = recorder();
    let a = Doorbell::nats(&bus, wa).await.unwrap();
    let b = Doorbell::nats(&bus, wb).await.unwrap();
    assert_eq!(a.kind(), "nats");
    check_two_doorbells(&a, &mut ra, &b, &mut rb).await;

    server.kill();
    // Rings while the server is down never block the ringer (nor the request behind it).
    let start = Instant::now();
    for _ in 0..10_000 {
        a.ring("while-down");
    }
    assert!(start.elapsed() < Duration::from_secs(1));
    drain(&mut ra);
    drain(&mut rb);

    server.restart();
    // On reconnecting each node wakes every reader (rings meanwhile were lost) ...
    for (name, rx) in [("A", &mut ra), ("B", &mut rb)] {
        assert!(
            hears(rx, &Rung::All, Duration::from_secs(15)).await,
            "{name} did not reconnect to NATS and wake every reader"
        );
    }
    // ... and rings resume both ways.
    ring_until_heard(&a, &mut rb, "after-restart", Duration::from_secs(15)).await;
    ring_until_heard(&b, &mut ra, "after-restart", Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_server_wanting_credentials_gets_those_of_the_bus_url() {
    let server = Nats::start_with(&["--user", "ana", "--pass", "s3cr%t"]);
    let with = |credentials: &str| -> BusUrl {
        format!("nats://{credentials}@127.0.0.1:{}", server.port())
            .parse()
            .unwrap()
    };
    let (wa, _ra) = recorder();
    let (wb, mut rb) = recorder();
    let a = Doorbell::nats(&with("ana:s3cr%25t"), wa).await.unwrap();
    let b = Doorbell::nats(&with("ana:s3cr%25t"), wb).await.unwrap();
    ring_until_heard(&a, &mut rb, "acme", Duration::from_secs(15)).await;
    // A wrong password: that doorbell never gets through (and says nothing else).
    let (wc, mut rc) = recorder();
    let c = Doorbell::nats(&with("ana:wrong"), wc).await.unwrap();
    a.ring("to-c");
    b.ring("to-c");
    assert!(!hears(&mut rc, &one("to-c"), Duration::from_secs(1)).await);
    c.stop();
}

/// Starts the server binary with `args`, its log (`RUST_LOG=debug`) going to `log`.
fn server_binary(args: &[&str], log: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .args(args)
        .env("RUST_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("the server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bus_credentials_never_reach_the_log_and_a_wrong_bus_is_refused_clearly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bus.db");
    let db = db.to_str().unwrap();
    let log = dir.path().join("server.log");

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .args([
            "serve",
            "--database",
            db,
            "--bus",
            "http://ana:hunter2@127.0.0.1:4222",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let says = String::from_utf8_lossy(&refused.stderr);
    assert!(
        says.contains("--bus") && says.contains("not a NATS server URL"),
        "{says}"
    );
    assert!(says.contains("nats://HOST:PORT"), "{says}");
    assert!(!says.contains("hunter2"), "{says}");

    let mut nats = Nats::start_with(&["--user", "ana", "--pass", "hunter2"]);
    let bus = format!("nats://ana:hunter2@127.0.0.1:{}", nats.port());
    let mut child = server_binary(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db,
            "--bus",
            &bus,
        ],
        &log,
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a line").expect("stdout");
    assert!(first.starts_with("listening on http://"), "{first}");
    // Connected, then the bus dies and comes back: every log line on the way.
    let connected = |log: &str| log.matches("doorbell connected to NATS").count();
    let wait_for = |n: usize| {
        let start = std::time::Instant::now();
        while connected(&std::fs::read_to_string(&log).unwrap()) < n {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "no connection no. {n} to NATS in the log"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(1);
    nats.kill();
    std::thread::sleep(Duration::from_millis(500));
    nats.restart();
    wait_for(2);
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("disconnected from NATS"), "{text}");
    assert!(text.contains(&format!("nats://127.0.0.1:{}", nats.port())));
    assert!(
        !text.contains("hunter2"),
        "the bus password is in the log:\n{text}"
    );
}

/// Two backends on one database (`database`, seeded), each with `bus`: bruno's stream on B gets
/// each of ana's changes made through A within 1.5 s (the readers' poll alone takes up to 2 s,
/// 1 s on average, so six changes within 0.5 s on average are the doorbell's).
async fn a_change_through_a_reaches_a_stream_on_b(mut config: Config, bus: Option<BusUrl>) {
    config.bus = bus;
    seed(&config).await;
    let a = Served::start(config.clone()).await;
    let b = Served::start(config).await;
    let ana = a.login("ana").await;
    let bruno = b.login("bruno").await;
    let mut sse: Sse = b.events(&bruno, None).await;
    assert_eq!(sse.next().await.event, "snapshot");
    // The doorbells connect in the background: the first change may still go by the poll.
    a.put_profile(&ana, "away").await;
    until(&mut sse, "away", POLL * 3).await;
    let mut total = Duration::ZERO;
    for profile in [
        "lunch",
        "in_a_meeting",
        "away",
        "lunch",
        "in_a_meeting",
        "away",
    ] {
        let start = Instant::now();
        a.put_profile(&ana, profile).await;
        let took = until(&mut sse, profile, Duration::from_millis(1500)).await;
        total += took.max(start.elapsed());
    }
    assert!(
        total < Duration::from_secs(3),
        "six changes took {total:?} to reach the other node: that is the poll, not the doorbell"
    );
    a.stop().await;
    b.stop().await;
}

/// Reads `sse` until ana's change to `profile` arrives; how long it took; panics after `within`.
async fn until(sse: &mut Sse, profile: &str, within: Duration) -> Duration {
    let start = Instant::now();
    tokio::time::timeout(within, async {
        loop {
            let e = sse.next().await;
            if e.event == "presence"
                && e.data["user_id"] == "ana"
                && e.data["presence"]["profile"] == profile
            {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("ana's change to {profile} did not reach B within {within:?}"));
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_backends_with_a_nats_bus_see_each_others_changes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::with_database(dir.path().join("two.db"));
    let server = Nats::start();
    let bus = server.url().parse().unwrap();
    a_change_through_a_reaches_a_stream_on_b(config, Some(bus)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_backends_ring_each_other_with_notify() {
    let database = Postgres::shared().fresh_database();
    let config = Config::with_database(database.into());
    a_change_through_a_reaches_a_stream_on_b(config, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_backends_with_a_nats_bus_ring_each_other_over_it() {
    let database = Postgres::shared().fresh_database();
    let config = Config::with_database(database.into());
    let server = Nats::start();
    let bus = server.url().parse().unwrap();
    a_change_through_a_reaches_a_stream_on_b(config, Some(bus)).await;
}

/// An admin command is a process of its own, with no doorbell and no tails: after a change on
/// PostgreSQL it rings every node to wake all their readers; a listing rings nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_command_that_changes_something_wakes_every_reader_of_every_node() {
    let url = Postgres::shared().fresh_database();
    let (wa, mut ra) = recorder();
    let (wb, mut rb) = recorder();
    let a = Doorbell::postgres(pool(&url).await, wa);
    let b = Doorbell::postgres(pool(&url).await, wb);
    // Both listen once a ring each way gets through.
    check_two_doorbells(&a, &mut ra, &b, &mut rb).await;
    let admin = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
            .args(args)
            .args(["--database", &url])
            .env_remove("UCCLIENT_DATABASE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    admin(&["reseller", "list"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(drain(&mut ra), vec![], "a listing rang");
    assert_eq!(drain(&mut rb), vec![], "a listing rang");

    admin(&[
        "reseller", "add", "--id", "r1", "--name", "R", "--mode", "active",
    ]);
    for (node, rx) in [("A", &mut ra), ("B", &mut rb)] {
        assert!(
            hears(rx, &Rung::All, Duration::from_secs(1)).await,
            "node {node} was not rung"
        );
    }
    a.stop();
    b.stop();
}
