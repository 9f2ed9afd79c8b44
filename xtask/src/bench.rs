//! `cargo xtask bench [--quick] [--full-pg] [--no-widget]`: builds the backend and the load
//! generator in release mode, installs `nats-server` (Debian) when missing, builds the widget,
//! starts a throw-away PostgreSQL ([`crate::postgres`], data in `target/bench/pg/`), runs
//! `ucclient-bench` (fan-out through our SSE and through NATS with the rate ladder continued until
//! it breaks, idle memory, write path; the backend on PostgreSQL with 1 and 3 nodes and either
//! doorbell; widget start-up) and writes `BENCHMARKS.md` with the command, the date and the
//! machine. Only the figures measured in this run are written; a part that could not run says why
//! instead.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::postgres::Postgres;
use crate::project::{self, cargo, command, output, run};
use crate::widget::{self, BuildArgs};

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Shorter phases and fewer repeats (the whole run in under 3 minutes once built).
    #[arg(long)]
    pub quick: bool,
    /// With --quick: the PostgreSQL parts and the ladder past 32 changes/s still at full length.
    #[arg(long)]
    pub full_pg: bool,
    /// Neither build nor measure the widget (its figures are left out, and the file says so).
    #[arg(long)]
    pub no_widget: bool,
}

/// Separates the generated figures from the analysis written by hand, which a new run keeps.
const ANALYSIS_MARKER: &str =
    "<!-- Generated above by `cargo xtask bench`; written by hand below (kept by a new run). -->";

/// Runs the whole bench and writes `BENCHMARKS.md`.
pub fn run_bench(args: &BenchArgs) -> Result<()> {
    let nats = ensure_nats();
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "ucclient-server",
        "-p",
        "ucclient-bench",
    ]))?;
    let release = project::target_dir().join("release");
    let mut notes = String::new();

    // --quick measures the widget already in dist/widget/ when there is one (a release build takes
    // minutes); the full run always builds it afresh.
    let reuse = args.quick && widget::wasm_path().exists();
    let widget_built = if args.no_widget {
        let _ = writeln!(
            notes,
            "- The widget was neither built nor measured (`--no-widget`): no widget figures."
        );
        false
    } else {
        let built = if reuse {
            Ok(())
        } else {
            widget::build(&BuildArgs::default())
        };
        match built {
            Ok(()) => true,
            Err(e) => {
                let _ = writeln!(
                    notes,
                    "- The widget could not be built here ({e:#}); its figures are missing."
                );
                false
            }
        }
    };

    // Stopped when this function returns, however it returns.
    let postgres = match Postgres::start(&project::target_dir().join("bench").join("pg")) {
        Ok(pg) => Some(StopOnDrop(Some(pg))),
        Err(e) => {
            let _ = writeln!(
                notes,
                "- PostgreSQL could not be started ({e:#}): no PostgreSQL figures."
            );
            None
        }
    };

    let section = project::target_dir().join("bench").join("section.md");
    let mut bench = command(release.join("ucclient-bench"));
    bench.arg("--out").arg(&section);
    if args.quick {
        bench.arg("--quick");
    }
    if args.full_pg {
        bench.arg("--full-pg");
        if args.quick {
            let _ = writeln!(
                notes,
                "- `--quick` with `--full-pg`: the fan-out against NATS, idle memory, the SQLite write \
                 path and the ladder up to 32 changes/s are the quick versions (3 runs of 3–4 s, \
                 one run per rate, rates 2, 8, 32); the PostgreSQL parts (5 runs of 8 s) and the \
                 ladder past 32 changes/s (one run of 6 s per rate) are at full length."
            );
        }
    }
    if let Some(pg) = postgres.as_ref().and_then(|p| p.0.as_ref()) {
        bench.args(["--postgres-url", &pg.url()]);
        match pg.pid() {
            Ok(pid) => {
                bench.args(["--postgres-pid", &pid.to_string()]);
            }
            Err(e) => {
                let _ = writeln!(notes, "- PostgreSQL's CPU is not measured: {e:#}.");
            }
        }
    }
    match &nats {
        Ok(bin) => {
            bench.args(["--nats-bin", bin]);
        }
        Err(e) => {
            let _ = writeln!(
                notes,
                "- nats-server is not available ({e:#}): no NATS figures, no ratios."
            );
        }
    }
    bench
        .arg("--server-bin")
        .arg(release.join("ucclient-server"));
    if widget_built {
        bench.arg("--widget-dir").arg(project::dist_widget());
    }
    run(&mut bench)?;
    drop(postgres);

    let mut md = String::new();
    let mut line = String::from("cargo xtask bench");
    for (on, flag) in [
        (args.quick, " --quick"),
        (args.full_pg, " --full-pg"),
        (args.no_widget, " --no-widget"),
    ] {
        if on {
            line.push_str(flag);
        }
    }
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `{line}` on {} — every figure below was measured by that run.\n",
        date()
    );
    let _ = writeln!(md, "Machine: {}.\n", machine());
    if !notes.is_empty() {
        let _ = writeln!(md, "{notes}");
    }
    if widget_built {
        md.push_str(&widget_sizes()?);
    }
    md.push_str(
        &fs::read_to_string(&section).with_context(|| format!("reading {}", section.display()))?,
    );
    let out = project::root().join("BENCHMARKS.md");
    // The analysis written by hand below the marker survives a new run.
    let kept = fs::read_to_string(&out).unwrap_or_default();
    md.push_str(ANALYSIS_MARKER);
    md.push('\n');
    if let Some((_, analysis)) = kept.split_once(ANALYSIS_MARKER) {
        md.push_str(analysis.trim_start_matches('\n'));
    }
    fs::write(&out, md)?;
    println!("wrote {}", out.display());
    Ok(())
}

/// Stops the bench's PostgreSQL when dropped.
struct StopOnDrop(Option<Postgres>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(pg) = self.0.take() {
            pg.stop();
        }
    }
}

/// The `nats-server` binary, installed with apt when missing and running as root.
fn ensure_nats() -> Result<String> {
    for bin in ["/usr/sbin/nats-server", "/usr/bin/nats-server"] {
        if Path::new(bin).exists() {
            return Ok(bin.to_owned());
        }
    }
    let root = output(command("id").arg("-u")).is_some_and(|u| u == "0");
    anyhow::ensure!(
        root,
        "nats-server is not installed and only root may apt-get install it"
    );
    if run(command("apt-get").args(["install", "-y", "-q", "nats-server"])).is_err() {
        run(command("apt-get").args(["update", "-q"]))?;
        run(command("apt-get").args(["install", "-y", "-q", "nats-server"]))?;
    }
    Ok("/usr/sbin/nats-server".to_owned())
}

/// The current UTC time, from `date`.
fn date() -> String {
    output(command("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .unwrap_or_else(|| "an unknown date".into())
}

/// CPU count and model, memory and kernel, from `/proc`.
fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    // Other work on the same cores skews every figure: say how busy the machine was.
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cpus} CPUs (nproc), {model}, {:.1} GiB RAM, Linux {}; generator and servers on the same machine; load average when the run ended {}",
        mem_kb as f64 / 1048576.0,
        kernel.trim(),
        load.join(" ")
    )
}

/// The widget's transfer sizes per host (what `cargo xtask size` counts: the host's module and JS
/// glue, and the stylesheet; for a split module, its lazy chunks listed after).
fn widget_sizes() -> Result<String> {
    let mut md = String::from("## Widget size (bytes)\n\n");
    for variant in widget::VARIANTS {
        let rows = crate::size::download(&variant)?;
        let total = crate::size::totals(&rows);
        let _ = writeln!(
            md,
            "### {} download\n\n| file | raw | gzip | brotli |\n|---|---|---|---|",
            variant.host
        );
        for (_, name, sizes) in &rows {
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} |",
                sizes[0], sizes[1], sizes[2]
            );
        }
        let _ = writeln!(
            md,
            "| **total** | **{}** | **{}** | **{}** |\n",
            total[0], total[1], total[2]
        );
        let lazy = crate::size::lazy_parts(&variant)?;
        if !lazy.is_empty() {
            // A split module's chunks, fetched when a lazy panel first shows.
            let _ = writeln!(
                md,
                "Loaded later, when a lazy panel first shows:\n\n| file | raw | gzip | brotli |\n|---|---|---|---|"
            );
            for (_, name, sizes) in &lazy {
                let _ = writeln!(
                    md,
                    "| {name} | {} | {} | {} |",
                    sizes[0], sizes[1], sizes[2]
                );
            }
            let _ = writeln!(md);
        }
        let ok = total[1] <= crate::size::BUDGET_GZIP;
        let _ = writeln!(
            md,
            "Target ≤ {} KB gzip: {:.1} KB — {}.\n",
            crate::size::BUDGET_GZIP / 1000,
            total[1] as f64 / 1000.0,
            if ok { "met" } else { "**missed**" }
        );
    }
    Ok(md)
}
