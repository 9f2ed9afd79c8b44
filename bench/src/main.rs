//! `ucclient-bench`: the load generator and harness behind `cargo xtask bench`. It starts the
//! backend and `nats-server` on loopback, holds K subscribers of one customer open through each,
//! changes presence at steady rates, measures delivery latency, throughput, CPU and memory of both
//! sides, then the durable write path; then the same backend on PostgreSQL with 1 and 3 nodes and
//! either doorbell (`pg`); and writes a Markdown section with the figures.
//!
//! Layout: `clock` (one clock, `/proc` readings), `http` (minimal HTTP/1.1 client), `sse` (raw
//! event-stream subscriber), `nats` (raw NATS client), `record` (delivery samples), `fanout` (the
//! fan-out phases), `write_path`, `pg` (PostgreSQL, several nodes), `procs` (child processes),
//! `stats`, `report`.

mod clock;
mod fanout;
mod http;
mod nats;
mod pg;
mod procs;
mod record;
mod report;
mod sse;
mod stats;
mod widget;
mod write_path;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::Mutex;

use crate::fanout::{Phase, Publisher, open_nats, open_sse, run_phase};
use crate::record::Recorder;
use crate::report::{SystemResult, render};

/// Command-line settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shorter phases and fewer repeats (whole run under 3 minutes).
    pub quick: bool,
    /// The backend binary; without it only NATS is measured.
    pub server_bin: Option<PathBuf>,
    /// Extra arguments for `ucclient-server demo` (connection caps).
    pub server_args: Vec<String>,
    /// The `nats-server` binary; without it only the backend is measured.
    pub nats_bin: Option<String>,
    /// Where the Markdown section goes.
    pub out: PathBuf,
    /// Subscriber counts (small and large).
    pub k_small: usize,
    /// The large subscriber count.
    pub k_large: usize,
    /// Idle subscribers for the memory figure.
    pub k_idle: usize,
    /// The built widget (`dist/widget`), for the browser timings.
    pub widget_dir: Option<PathBuf>,
    /// Only the widget timings (no fan-out, no write path).
    pub widget_only: bool,
    /// A PostgreSQL database for the multi-node parts (`postgres://…`; `demo` recreates it).
    pub postgres_url: Option<String>,
    /// PostgreSQL's postmaster, whose process tree's CPU is measured.
    pub postgres_pid: Option<u32>,
    /// The PostgreSQL parts and the ladder's continuation past 32 changes/s at full length even
    /// with `--quick`.
    pub full_pg: bool,
}

impl Config {
    /// Parses `std::env::args`.
    fn from_args() -> anyhow::Result<Config> {
        let mut c = Config {
            quick: false,
            server_bin: None,
            server_args: Vec::new(),
            nats_bin: None,
            out: PathBuf::from("target/bench/section.md"),
            k_small: 1_000,
            k_large: 10_000,
            k_idle: 15_000,
            widget_dir: None,
            widget_only: false,
            postgres_url: None,
            postgres_pid: None,
            full_pg: false,
        };
        let mut idle_given = false;
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut val = || args.next().with_context(|| format!("{a} needs a value"));
            match a.as_str() {
                "--quick" => c.quick = true,
                "--server-bin" => c.server_bin = Some(PathBuf::from(val()?)),
                "--server-arg" => c.server_args.push(val()?),
                "--nats-bin" => c.nats_bin = Some(val()?),
                "--out" => c.out = PathBuf::from(val()?),
                "--k-small" => c.k_small = val()?.parse()?,
                "--k-large" => c.k_large = val()?.parse()?,
                "--k-idle" => {
                    c.k_idle = val()?.parse()?;
                    idle_given = true;
                }
                "--widget-dir" => c.widget_dir = Some(PathBuf::from(val()?)),
                "--widget-only" => c.widget_only = true,
                "--postgres-url" => c.postgres_url = Some(val()?),
                "--postgres-pid" => c.postgres_pid = Some(val()?.parse()?),
                "--full-pg" => c.full_pg = true,
                other => bail!("unknown argument {other}"),
            }
        }
        if c.quick && !idle_given {
            // Opening 5,000 more streams per system costs the quick run half a minute.
            c.k_idle = c.k_large;
        }
        Ok(c)
    }

    /// Repeats of each fixed-rate scenario.
    fn runs(&self) -> usize {
        if self.quick { 3 } else { 5 }
    }

    /// Seconds of publishing per phase.
    fn secs(&self, k: usize) -> f64 {
        match (self.quick, k >= 5_000) {
            (true, false) => 3.0,
            (true, true) => 4.0,
            (false, false) => 8.0,
            (false, true) => 12.0,
        }
    }

    /// The rungs of the ladder at the large K: (changes per second, runs, seconds per run). Past
    /// 32 changes/s it goes on (doubling in steps of 1.5× and 4/3×) until a rate is not sustained,
    /// one run per rate.
    fn ladder(&self) -> Vec<(f64, usize, f64)> {
        let k = self.k_large;
        let mut rungs: Vec<(f64, usize, f64)> = if !self.quick {
            [2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0]
                .iter()
                .map(|&r| (r, 3, self.secs(k) / 2.0))
                .collect()
        } else if self.full_pg {
            [2.0, 8.0, 32.0]
                .iter()
                .map(|&r| (r, 1, self.secs(k) / 2.0))
                .collect()
        } else {
            return [2.0, 6.0, 12.0]
                .iter()
                .map(|&r| (r, 1, self.secs(k) / 2.0))
                .collect();
        };
        rungs.extend(
            [48.0, 64.0, 96.0, 128.0, 192.0, 256.0, 384.0, 512.0]
                .iter()
                .map(|&r| (r, 1, 6.0)),
        );
        rungs
    }

    /// Repeats of each PostgreSQL scenario.
    fn pg_runs(&self) -> usize {
        if self.quick && !self.full_pg { 3 } else { 5 }
    }

    /// Seconds of each PostgreSQL run (write path, fan-out at the small K).
    fn pg_secs(&self) -> f64 {
        if self.quick && !self.full_pg {
            3.0
        } else {
            8.0
        }
    }
}

fn main() -> anyhow::Result<()> {
    let fds = clock::raise_fd_limit();
    let config = Config::from_args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(config, fds))
}

/// Runs every scenario and writes the section.
async fn run(config: Config, fds: u64) -> anyhow::Result<()> {
    clock::now_ns();
    let needed = config.k_idle.max(config.k_large) as u64 + 200;
    if fds < needed {
        bail!("this process may open {fds} descriptors, the bench needs {needed}");
    }
    let mut systems = Vec::new();
    if let Some(bin) = config.nats_bin.as_ref().filter(|_| !config.widget_only) {
        eprintln!("== nats-server");
        systems.push(bench_nats(&config, bin).await?);
    }
    let mut write = Vec::new();
    if let Some(bin) = config.server_bin.as_ref().filter(|_| !config.widget_only) {
        eprintln!("== ucclient-server");
        let (sys, w) = bench_server(&config, bin).await?;
        systems.push(sys);
        write = w;
    }
    let mut pg = Ok(Vec::new());
    if let Some(bin) = config.server_bin.as_ref().filter(|_| !config.widget_only) {
        pg = pg::bench_postgres(&config, bin).await;
    }
    let mut md = render(&config, &systems, &write, &pg);
    if let (Some(bin), Some(dir)) = (&config.server_bin, &config.widget_dir) {
        eprintln!("== widget in headless Chromium");
        match bench_widget(&config, bin, dir).await {
            Ok(t) => {
                md.push('\n');
                md.push_str(&t.render());
            }
            Err(e) => md.push_str(&format!(
                "## Widget start-up and click-to-dial\n\nNot measured: {e:#}.\n\n"
            )),
        }
    }
    println!("{md}");
    if let Some(dir) = config.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&config.out, md)?;
    Ok(())
}

/// The fan-out scenarios on one system whose subscribers `open(from, to)` adds.
async fn scenarios<F, Fut>(
    config: &Config,
    name: &'static str,
    pid: u32,
    publisher: Arc<Publisher>,
    rec: Arc<Recorder>,
    subs: &mut Vec<tokio::task::JoinHandle<()>>,
    mut open: F,
) -> anyhow::Result<SystemResult>
where
    F: FnMut(usize, usize, Vec<tokio::task::JoinHandle<()>>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<tokio::task::JoinHandle<()>>>>,
{
    let mut seq = 0u64;
    let mut result = SystemResult {
        name,
        ..Default::default()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = clock::rss_bytes(pid).unwrap_or(0);
    // 1. Idle memory: K_idle fresh subscribers.
    eprintln!("{name}: opening {} idle subscribers", config.k_idle);
    *subs = open(0, config.k_idle, std::mem::take(subs)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = clock::rss_bytes(pid).unwrap_or(0);
    result.idle_k = config.k_idle;
    result.idle_rss_per_conn = idle.saturating_sub(base) as f64 / config.k_idle as f64;
    result.base_rss = base;
    // 2. Large K: close the extra subscribers, warm up, fixed rate then the ladder.
    for h in subs.drain(config.k_large..) {
        h.abort();
    }
    let k = config.k_large;
    let _ = run_phase(&publisher, &rec, k, 2.0, 1.0, &[pid], &mut seq).await;
    for _ in 0..config.runs() {
        let p = run_phase(&publisher, &rec, k, 1.0, config.secs(k), &[pid], &mut seq).await;
        eprintln!(
            "{name}: K={k} @1/s p99 {:.1} ms lost {}",
            p.latency.p99,
            p.lost()
        );
        result.large.push(p);
    }
    for (rate, ladder_runs, secs) in config.ladder() {
        let mut runs: Vec<Phase> = Vec::new();
        for _ in 0..ladder_runs {
            let p = run_phase(&publisher, &rec, k, rate, secs, &[pid], &mut seq).await;
            eprintln!(
                "{name}: K={k} @{rate}/s p99 {:.1} ms, {:.0} deliveries/s, lost {}",
                p.latency.p99,
                p.deliveries_per_s,
                p.lost()
            );
            runs.push(p);
        }
        let ok = report::sustained(&runs);
        result.ladder.push(runs);
        if !ok {
            break;
        }
    }
    // 3. Small K.
    for h in subs.drain(config.k_small..) {
        h.abort();
    }
    let k = config.k_small;
    let _ = run_phase(&publisher, &rec, k, 5.0, 1.0, &[pid], &mut seq).await;
    for _ in 0..config.runs() {
        let p = run_phase(&publisher, &rec, k, 10.0, config.secs(k), &[pid], &mut seq).await;
        eprintln!(
            "{name}: K={k} @10/s p99 {:.1} ms lost {}",
            p.latency.p99,
            p.lost()
        );
        result.small.push(p);
    }
    for h in subs.drain(..) {
        h.abort();
    }
    Ok(result)
}

/// The fan-out through `nats-server`.
async fn bench_nats(config: &Config, bin: &str) -> anyhow::Result<SystemResult> {
    let proc = procs::start_nats(bin)?;
    let addr = proc.addr;
    let rec = Arc::new(Recorder::default());
    let publisher = Arc::new(Publisher::Nats {
        conn: nats::NatsPublisher::connect(addr).await?,
        template: fanout::nats_template("dora"),
    });
    let mut subs = Vec::new();
    let r = rec.clone();
    scenarios(
        config,
        "nats-server",
        proc.pid(),
        publisher,
        rec,
        &mut subs,
        move |from, to, mut subs| {
            let r = r.clone();
            async move {
                open_nats(addr, from, to, &r, &mut subs).await?;
                Ok(subs)
            }
        },
    )
    .await
}

/// Users changing presence concurrently in the write-path benchmarks (one connection each), on
/// SQLite and on PostgreSQL alike.
pub const WRITERS: usize = 32;

/// Raised caps on live streams, so the backend holds every subscriber of the bench (the process
/// itself may hold 20,000 descriptors), and raised per-user budgets.
pub fn caps() -> Vec<String> {
    [
        "--max-streams-per-user",
        "20000",
        "--max-streams-per-customer",
        "20000",
        "--max-streams",
        "20000",
        // The bench's writers change presence far faster than an agent; the budgets are not
        // what it measures.
        "--writes-per-minute",
        "1000000000",
        "--tickets-per-minute",
        "1000000000",
    ]
    .map(String::from)
    .to_vec()
}

/// The fan-out through the backend's SSE, then the write path.
async fn bench_server(
    config: &Config,
    bin: &std::path::Path,
) -> anyhow::Result<(SystemResult, Vec<write_path::WriteRun>)> {
    let dir = std::env::temp_dir().join(format!("ucclient-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut args = caps();
    args.extend(config.server_args.iter().cloned());
    let db = dir.join("bench.db");
    let proc = procs::start_server(bin, &db, &args)?;
    let addr = proc.addr;
    let dora = write_path::login(addr, "dora@globex.example", "demo").await?;
    let eli = write_path::login(addr, "eli@globex.example", "demo").await?;
    let tokens = vec![dora.clone(), eli];
    let rec = Arc::new(Recorder::default());
    let publisher = Arc::new(Publisher::Sse {
        addr,
        token: dora,
        pool: Mutex::new(Vec::new()),
    });
    let mut subs = Vec::new();
    let r = rec.clone();
    let sys = scenarios(
        config,
        "ucclient-server",
        proc.pid(),
        publisher,
        rec,
        &mut subs,
        move |from, to, mut subs| {
            let r = r.clone();
            let tokens = tokens.clone();
            async move {
                open_sse(&[addr], &tokens, from, to, &r, &mut subs).await?;
                Ok(subs)
            }
        },
    )
    .await?;
    eprintln!("ucclient-server: write path");
    let mut writers = Vec::new();
    for email in procs::add_users(bin, db.as_os_str(), WRITERS)? {
        writers.push(write_path::login(addr, &email, "demo").await?);
    }
    let mut write = Vec::new();
    for _ in 0..config.runs() {
        let w = write_path::run(
            &[addr],
            &writers,
            WRITERS,
            if config.quick { 3.0 } else { 8.0 },
            &[proc.pid()],
            None,
        )
        .await?;
        eprintln!(
            "ucclient-server: {:.0} changes/s p99 {:.1} ms",
            w.per_s, w.latency.p99
        );
        write.push(w);
    }
    drop(proc);
    let _ = std::fs::remove_dir_all(&dir);
    Ok((sys, write))
}

/// The widget's timings: a backend serving `dir`, ten loads, five dials.
async fn bench_widget(
    config: &Config,
    bin: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<widget::WidgetTimings> {
    let tmp = std::env::temp_dir().join(format!("ucclient-bench-widget-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let mut args = caps();
    args.extend(config.server_args.iter().cloned());
    args.push("--static-dir".into());
    args.push(dir.display().to_string());
    let proc = procs::start_server(bin, &tmp.join("widget.db"), &args)?;
    let base = format!("http://{}", proc.addr);
    let t = widget::measure(&base, "ana@acme.example", 10, 5).await;
    drop(proc);
    let _ = std::fs::remove_dir_all(&tmp);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(quick: bool, full_pg: bool) -> Config {
        Config {
            quick,
            server_bin: None,
            server_args: Vec::new(),
            nats_bin: None,
            out: PathBuf::new(),
            k_small: 1_000,
            k_large: 10_000,
            k_idle: 15_000,
            widget_dir: None,
            widget_only: false,
            postgres_url: None,
            postgres_pid: None,
            full_pg,
        }
    }

    #[test]
    fn the_ladder_goes_on_past_32_changes_per_second_unless_quick_alone() {
        let rates = |c: &Config| c.ladder().iter().map(|r| r.0).collect::<Vec<_>>();
        let full = config(false, false).ladder();
        assert_eq!(full[7], (32.0, 3, 6.0));
        assert!(full[8..].iter().all(|&(r, runs, _)| r > 32.0 && runs == 1));
        assert!(full.windows(2).all(|w| w[0].0 < w[1].0));
        let quick_full_pg = rates(&config(true, true));
        assert_eq!(quick_full_pg[..4], [2.0, 8.0, 32.0, 48.0]);
        assert_eq!(rates(&config(true, false)), [2.0, 6.0, 12.0]);
        assert_eq!(config(true, true).pg_runs(), config(false, false).pg_runs());
    }
}
