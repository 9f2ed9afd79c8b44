//! The backend on PostgreSQL (issue 16): 1 and 3 nodes on one database, with PostgreSQL's
//! `NOTIFY` or a NATS subject (`--bus`) as the doorbell between nodes. For each of the four set-ups:
//! the fan-out at the small K with the subscribers spread over the nodes and the publisher on node
//! 1, then the durable write path with the writers spread round-robin over the nodes.
//!
//! Node 1 runs `demo` (it recreates the database with the demo data, then serves), the others
//! `serve` on the same database; the writers are added with the admin command `user add`.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Mutex;

use crate::fanout::{Phase, Publisher, open_sse, run_phase};
use crate::procs::{self, Proc};
use crate::record::Recorder;
use crate::write_path::{self, WriteRun};
use crate::{Config, WRITERS, caps};

/// How the nodes wake each other up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doorbell {
    /// PostgreSQL's `NOTIFY` (the default).
    Notify,
    /// A core NATS subject (`--bus nats://…`).
    Nats,
}

impl Doorbell {
    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Doorbell::Notify => "NOTIFY",
            Doorbell::Nats => "NATS",
        }
    }
}

/// What one set-up measured; a part that could not run holds why.
#[derive(Debug)]
pub struct PgResult {
    /// Backend nodes.
    pub nodes: usize,
    /// Their doorbell.
    pub doorbell: Doorbell,
    /// Customers the writers belong to (1: all in Globex; more: spread evenly, fan-out not run).
    pub customers: usize,
    /// Fan-out runs at the small K and 10 changes/s.
    pub fanout: Result<Vec<Phase>, String>,
    /// Write-path runs.
    pub write: Result<Vec<WriteRun>, String>,
}

/// The set-ups measured, in order: (nodes, doorbell, customers of the writers). With one customer
/// every write takes the same customer lock (a customer's writers run one after the other, on every
/// engine); with several, the writes of different customers can commit at once.
const SETUPS: [(usize, Doorbell, usize); 6] = [
    (1, Doorbell::Notify, 1),
    (3, Doorbell::Notify, 1),
    (1, Doorbell::Nats, 1),
    (3, Doorbell::Nats, 1),
    (1, Doorbell::Notify, WRITER_CUSTOMERS),
    (3, Doorbell::Notify, WRITER_CUSTOMERS),
];

/// Customers of the writers in the set-ups that spread them (4 writers each).
pub const WRITER_CUSTOMERS: usize = 8;

/// Runs every set-up; `Err` says why none could run.
pub async fn bench_postgres(
    config: &Config,
    bin: &std::path::Path,
) -> Result<Vec<PgResult>, String> {
    let url = config.postgres_url.as_deref().ok_or(
        "no PostgreSQL was given (`--postgres-url`; `cargo xtask bench` starts one)".to_owned(),
    )?;
    let mut results = Vec::new();
    for (nodes, doorbell, customers) in SETUPS {
        eprintln!(
            "== PostgreSQL, {nodes} node(s), {} doorbell, writers in {customers} customer(s)",
            doorbell.name()
        );
        let mut r = PgResult {
            nodes,
            doorbell,
            customers,
            fanout: Err("not run".into()),
            write: Err("not run".into()),
        };
        if let Err(e) = setup(config, bin, url, &mut r).await {
            let why = format!("{e:#}");
            eprintln!("PostgreSQL, {nodes} node(s), {}: {why}", doorbell.name());
            if r.fanout.is_err() {
                r.fanout = Err(why.clone());
            }
            if r.write.is_err() {
                r.write = Err(why);
            }
        }
        results.push(r);
    }
    Ok(results)
}

/// One set-up: starts its nodes (and nats-server), measures, stops them.
async fn setup(
    config: &Config,
    bin: &std::path::Path,
    url: &str,
    r: &mut PgResult,
) -> anyhow::Result<()> {
    let mut args = caps();
    args.extend(config.server_args.iter().cloned());
    // Dropped last: the nodes (declared after it) go first.
    let _nats: Option<Proc> = match r.doorbell {
        Doorbell::Notify => None,
        Doorbell::Nats => {
            let nats_bin = config
                .nats_bin
                .as_deref()
                .context("nats-server is not available")?;
            let proc = procs::start_nats(nats_bin)?;
            args.extend(["--bus".to_owned(), format!("nats://{}", proc.addr)]);
            Some(proc)
        }
    };
    let db = OsStr::new(url);
    let mut nodes: Vec<Proc> = Vec::new();
    nodes.push(procs::start_node(bin, "demo", db, &args).context("node 1 (demo)")?);
    for n in 2..=r.nodes {
        nodes.push(
            procs::start_node(bin, "serve", db, &args)
                .with_context(|| format!("node {n} (serve)"))?,
        );
    }
    let addrs: Vec<SocketAddr> = nodes.iter().map(|p| p.addr).collect();
    let pids: Vec<u32> = nodes.iter().map(Proc::pid).collect();
    let label = format!(
        "PostgreSQL {} node(s) {} {} customer(s)",
        r.nodes,
        r.doorbell.name(),
        r.customers
    );
    if r.customers == 1 {
        r.fanout = Ok(fanout(config, &addrs, &pids, &label).await?);
    } else {
        r.fanout = Err("not run with the writers spread over customers".into());
    }

    // Write path: the writers spread round-robin over the nodes (and over the customers).
    eprintln!("{label}: write path");
    let emails = if r.customers == 1 {
        procs::add_users(bin, db, WRITERS)?
    } else {
        let customers = procs::add_customers(bin, db, r.customers)?;
        procs::add_users_to(bin, db, WRITERS, &customers)?
    };
    let mut writers = Vec::new();
    for email in emails {
        writers.push(write_path::login(addrs[0], &email, "demo").await?);
    }
    let mut write = Vec::new();
    for _ in 0..config.pg_runs() {
        let w = write_path::run(
            &addrs,
            &writers,
            WRITERS,
            config.pg_secs(),
            &pids,
            config.postgres_pid,
        )
        .await?;
        eprintln!(
            "{label}: {:.0} changes/s p99 {:.1} ms, {} errors",
            w.per_s, w.latency.p99, w.errors
        );
        write.push(w);
    }
    r.write = Ok(write);
    drop(nodes);
    Ok(())
}

/// The fan-out at the small K: subscribers spread over the nodes, the publisher on node 1.
async fn fanout(
    config: &Config,
    addrs: &[SocketAddr],
    pids: &[u32],
    label: &str,
) -> anyhow::Result<Vec<Phase>> {
    let dora = write_path::login(addrs[0], "dora@globex.example", "demo").await?;
    let eli = write_path::login(addrs[0], "eli@globex.example", "demo").await?;
    let rec = Arc::new(Recorder::default());
    let publisher = Arc::new(Publisher::Sse {
        addr: addrs[0],
        token: dora.clone(),
        pool: Mutex::new(Vec::new()),
    });
    let k = config.k_small;
    let mut subs = Vec::new();
    eprintln!("{label}: opening {k} subscribers");
    open_sse(addrs, &[dora, eli], 0, k, &rec, &mut subs).await?;
    let mut seq = 0;
    let _ = run_phase(&publisher, &rec, k, 5.0, 1.0, pids, &mut seq).await;
    let mut runs = Vec::new();
    for _ in 0..config.pg_runs() {
        let p = run_phase(&publisher, &rec, k, 10.0, config.pg_secs(), pids, &mut seq).await;
        eprintln!(
            "{label}: K={k} @10/s p99 {:.1} ms lost {}",
            p.latency.p99,
            p.lost()
        );
        runs.push(p);
    }
    for h in subs.drain(..) {
        h.abort();
    }
    Ok(runs)
}
