//! Turns the measured phases into the Markdown section of `BENCHMARKS.md`: medians of the runs,
//! ratios to NATS from the same run, and the targets with a verdict each.

use std::fmt::Write;

use crate::Config;
use crate::fanout::Phase;
use crate::pg::{Doorbell, PgResult, WRITER_CUSTOMERS};
use crate::stats::{Latency, median};
use crate::write_path::WriteRun;

/// Highest p99 at which a rate counts as sustained, in milliseconds.
pub const SUSTAINED_P99_MS: f64 = 250.0;

/// Everything measured on one system.
#[derive(Debug, Default)]
pub struct SystemResult {
    /// `ucclient-server` or `nats-server`.
    pub name: &'static str,
    /// Server RSS before any subscriber, bytes.
    pub base_rss: u64,
    /// Idle subscribers held for the memory figure.
    pub idle_k: usize,
    /// (RSS with them − RSS before) / count, bytes.
    pub idle_rss_per_conn: f64,
    /// Runs at the large K and 1 change/s.
    pub large: Vec<Phase>,
    /// The rate ladder at the large K: the runs of each rate tried.
    pub ladder: Vec<Vec<Phase>>,
    /// Runs at the small K and 10 changes/s.
    pub small: Vec<Phase>,
}

/// The field-wise median of several runs of one phase.
pub fn median_phase(runs: &[Phase]) -> Phase {
    let m = |f: &dyn Fn(&Phase) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let Some(first) = runs.first() else {
        return Phase::default();
    };
    Phase {
        rate: first.rate,
        k: first.k,
        changes: runs.iter().map(|p| p.changes).sum(),
        expected: runs.iter().map(|p| p.expected).sum(),
        delivered: runs.iter().map(|p| p.delivered).sum(),
        latency: Latency {
            p50: m(&|p| p.latency.p50),
            p99: m(&|p| p.latency.p99),
            max: m(&|p| p.latency.max),
        },
        deliveries_per_s: m(&|p| p.deliveries_per_s),
        server_cpu: m(&|p| p.server_cpu),
        gen_cpu: m(&|p| p.gen_cpu),
        server_rss: m(&|p| p.server_rss as f64) as u64,
        publish_errors: runs.iter().map(|p| p.publish_errors).sum(),
    }
}

/// Whether a rate was sustained: median p99 within bound, nothing lost, no failed change.
pub fn sustained(runs: &[Phase]) -> bool {
    let m = median_phase(runs);
    m.latency.p99 <= SUSTAINED_P99_MS && m.lost() == 0 && m.publish_errors == 0 && m.changes > 0
}

/// The highest sustained rung of a ladder.
fn best(sys: &SystemResult) -> Option<Phase> {
    sys.ladder
        .iter()
        .rev()
        .find(|r| sustained(r))
        .map(|r| median_phase(r))
}

/// One table row of a phase.
fn row(out: &mut String, name: &str, p: &Phase, runs: usize) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {runs} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {:.0} | {:.1} | {:.0} |",
        p.k,
        p.rate,
        p.latency.p50,
        p.latency.p99,
        p.latency.max,
        p.deliveries_per_s,
        p.lost(),
        p.server_cpu,
        p.server_rss as f64 / (1024.0 * 1024.0),
        p.gen_cpu
    );
}

/// `a / b` written as a ratio, or "n/a".
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "n/a".into()
    }
}

/// Pass / miss with the margin.
fn verdict(ok: bool, how: String) -> String {
    if ok {
        format!("met ({how})")
    } else {
        format!("**missed** ({how})")
    }
}

/// The first rung of a ladder that was not sustained.
fn first_broken(sys: &SystemResult) -> Option<Phase> {
    sys.ladder
        .iter()
        .find(|r| !sustained(r))
        .map(|r| median_phase(r))
}

/// The Markdown section.
pub fn render(
    config: &Config,
    systems: &[SystemResult],
    write: &[WriteRun],
    pg: &Result<Vec<PgResult>, String>,
) -> String {
    let mut o = String::new();
    if systems.is_empty() && write.is_empty() && pg.as_ref().map_or(true, |p| p.is_empty()) {
        return o;
    }
    let _ = writeln!(o, "## Fan-out: K live subscribers of one customer\n");
    let _ = writeln!(
        o,
        "Latency runs from the change's acknowledgement (HTTP 200 of `PUT /me/presence`, i.e. committed; \
for NATS the PONG to a PING sent right after the PUB) to the event parsed (JSON decoded into \
`PresenceUpdate`) by the subscriber; an event parsed before its acknowledgement counts as 0. Medians of \
the runs; CPU in % of one core (200 % = the whole machine); generator and servers share the 2 cores.\n"
    );
    let _ = writeln!(
        o,
        "| system | K | changes/s | runs | p50 ms | p99 ms | max ms | deliveries/s | lost | server CPU % | server RSS MiB | generator CPU % |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for s in systems {
        row(&mut o, s.name, &median_phase(&s.small), s.small.len());
        row(&mut o, s.name, &median_phase(&s.large), s.large.len());
    }
    let _ = writeln!(
        o,
        "\n### Rate ladder at K = {} (sustained = median p99 ≤ {SUSTAINED_P99_MS} ms, nothing lost)\n",
        config.k_large
    );
    let _ = writeln!(
        o,
        "| system | K | changes/s | runs | p50 ms | p99 ms | max ms | deliveries/s | lost | server CPU % | server RSS MiB | generator CPU % |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for s in systems {
        for runs in &s.ladder {
            row(&mut o, s.name, &median_phase(runs), runs.len());
        }
    }
    let _ = writeln!(
        o,
        "\n| system | highest sustained changes/s | deliveries/s | first rate not sustained |\n|---|---|---|---|"
    );
    for s in systems {
        let broken = match first_broken(s) {
            Some(p) => format!(
                "{} (p99 {:.1} ms, {} lost, {} changes failed)",
                p.rate,
                p.latency.p99,
                p.lost(),
                p.publish_errors
            ),
            None => format!(
                "none: the ladder's top rate ({}) was sustained",
                s.ladder.last().map_or(0.0, |r| median_phase(r).rate)
            ),
        };
        match best(s) {
            Some(p) => {
                let _ = writeln!(
                    o,
                    "| {} | {} | {:.0} | {broken} |",
                    s.name, p.rate, p.deliveries_per_s
                );
            }
            None => {
                let _ = writeln!(o, "| {} | none of the rates tried | – | {broken} |", s.name);
            }
        }
    }
    let _ = writeln!(
        o,
        "\n## Idle subscribers: server memory\n\n| system | idle subscribers | RSS before | RSS per subscriber |\n|---|---|---|---|"
    );
    for s in systems {
        let _ = writeln!(
            o,
            "| {} | {} | {:.1} MiB | {:.1} KiB |",
            s.name,
            s.idle_k,
            s.base_rss as f64 / 1048576.0,
            s.idle_rss_per_conn / 1024.0
        );
    }
    let ours = systems.iter().find(|s| s.name == "ucclient-server");
    let nats = systems.iter().find(|s| s.name == "nats-server");
    if let (Some(u), Some(n)) = (ours, nats) {
        let (us, ns) = (median_phase(&u.small), median_phase(&n.small));
        let (ul, nl) = (median_phase(&u.large), median_phase(&n.large));
        let ub = best(u).map(|p| p.deliveries_per_s).unwrap_or(0.0);
        let nb = best(n).map(|p| p.deliveries_per_s).unwrap_or(0.0);
        let _ = writeln!(
            o,
            "\n## Ratios, ucclient-server ÷ nats-server (same run)\n\n| figure | ratio |\n|---|---|"
        );
        let _ = writeln!(
            o,
            "| p99, K = {} at 10/s | {} |",
            config.k_small,
            ratio(us.latency.p99, ns.latency.p99)
        );
        let _ = writeln!(
            o,
            "| p99, K = {} at 1/s | {} |",
            config.k_large,
            ratio(ul.latency.p99, nl.latency.p99)
        );
        let _ = writeln!(
            o,
            "| server CPU, K = {} at 1/s | {} |",
            config.k_large,
            ratio(ul.server_cpu, nl.server_cpu)
        );
        let _ = writeln!(
            o,
            "| highest sustained deliveries/s, K = {} | {} |",
            config.k_large,
            ratio(ub, nb)
        );
        let _ = writeln!(
            o,
            "| server RSS per idle subscriber | {} |",
            ratio(u.idle_rss_per_conn, n.idle_rss_per_conn)
        );
    }
    if !write.is_empty() {
        let _ = writeln!(
            o,
            "\n## Write path: durable presence changes\n\n| run | concurrent requests | users | changes/s | p50 ms | p99 ms | max ms | errors | server CPU % |\n|---|---|---|---|---|---|---|---|---|"
        );
        for (i, w) in write.iter().enumerate() {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} |",
                i + 1,
                w.concurrency,
                w.users,
                w.per_s,
                w.latency.p50,
                w.latency.p99,
                w.latency.max,
                w.errors,
                w.server_cpu
            );
        }
        let per_s = median(&write.iter().map(|w| w.per_s).collect::<Vec<_>>());
        let p99 = median(&write.iter().map(|w| w.latency.p99).collect::<Vec<_>>());
        let _ = writeln!(
            o,
            "| **median** | | | **{per_s:.0}** | | **{p99:.2}** | | | |"
        );
    }
    render_pg(&mut o, config, systems, write, pg);
    let _ = writeln!(
        o,
        "\n## Targets (server side)\n\n| target | measured (median) | verdict |\n|---|---|---|"
    );
    if let Some(u) = ours {
        let s = median_phase(&u.small);
        let l = median_phase(&u.large);
        let _ = writeln!(
            o,
            "| K = {} at 10/s: p99 ≤ 20 ms | {:.1} ms | {} |",
            config.k_small,
            s.latency.p99,
            verdict(
                s.latency.p99 <= 20.0 && s.lost() == 0,
                format!("{:+.1} ms, {} lost", s.latency.p99 - 20.0, s.lost())
            )
        );
        let _ = writeln!(
            o,
            "| K = {} at 1/s: p99 ≤ 100 ms | {:.1} ms | {} |",
            config.k_large,
            l.latency.p99,
            verdict(
                l.latency.p99 <= 100.0 && l.lost() == 0,
                format!("{:+.1} ms, {} lost", l.latency.p99 - 100.0, l.lost())
            )
        );
        let ub = best(u).map(|p| p.deliveries_per_s).unwrap_or(0.0);
        if let Some(n) = nats {
            let nb = best(n).map(|p| p.deliveries_per_s).unwrap_or(0.0);
            let _ = writeln!(
                o,
                "| highest sustained deliveries/s at K = {} ≥ NATS's | {ub:.0} vs {nb:.0} | {} |",
                config.k_large,
                verdict(ub >= nb && ub > 0.0, ratio(ub, nb))
            );
        }
        let per = u.idle_rss_per_conn / 1000.0;
        let _ = writeln!(
            o,
            "| {} idle subscribers ≤ 10 KB RSS each | {per:.1} KB | {} |",
            u.idle_k,
            verdict(per <= 10.0, format!("{:+.1} KB", per - 10.0))
        );
    }
    if !write.is_empty() {
        let per_s = median(&write.iter().map(|w| w.per_s).collect::<Vec<_>>());
        let _ = writeln!(
            o,
            "| ≥ 2,000 durable changes/s | {per_s:.0}/s | {} |",
            verdict(per_s >= 2000.0, ratio(per_s, 2000.0))
        );
    }
    o
}

/// The PostgreSQL sections: durable changes/s, fan-out over the nodes, and their ratios.
fn render_pg(
    o: &mut String,
    config: &Config,
    systems: &[SystemResult],
    write: &[WriteRun],
    pg: &Result<Vec<PgResult>, String>,
) {
    let results = match pg {
        Ok(r) if r.is_empty() => return,
        Ok(r) => r,
        Err(why) => {
            let _ = writeln!(o, "\n## PostgreSQL, several nodes\n\nNot measured: {why}.");
            return;
        }
    };
    let runs = config.pg_runs();
    let secs = config.pg_secs();
    let _ = writeln!(
        o,
        "\n## PostgreSQL: durable presence changes, 1 and 3 nodes\n\n\
{} users change their presence back to back, each on its own connection, the writers spread \
round-robin over the nodes; acknowledged = committed (PostgreSQL's defaults: `fsync` and \
`synchronous_commit` on, so a change is on disk when acknowledged; the SQLite write path above runs \
WAL with `synchronous=NORMAL`). {runs} runs of {secs} s per set-up. Doorbell (the ring another node \
needs to read the log; sent after the commit by one task per node, the customers rung meanwhile \
in one ring): NOTIFY = PostgreSQL's `pg_notify` (the default); NATS = `--bus`, a core NATS \
subject. Writers' customers: 1 = all in Globex, so every write waits for the same customer lock \
(a customer's writes run one after the other, as on SQLite); {WRITER_CUSTOMERS} = 4 writers in each of \
{WRITER_CUSTOMERS} customers, whose writes may commit at once (NOTIFY only). CPU in % of one core: the nodes summed; PostgreSQL = its postmaster and every backend \
process (their `/proc` times, reaped children included).\n",
        crate::WRITERS
    );
    let _ = writeln!(
        o,
        "| nodes | doorbell | writers' customers | runs | changes/s (median) | every run | p50 ms | p99 ms | errors | nodes' CPU % | PostgreSQL CPU % |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in results {
        match &r.write {
            Ok(w) => {
                let m = |f: &dyn Fn(&WriteRun) -> f64| median(&w.iter().map(f).collect::<Vec<_>>());
                let every: Vec<String> = w.iter().map(|x| format!("{:.0}", x.per_s)).collect();
                let db = if w.iter().all(|x| x.db_cpu.is_some()) {
                    format!("{:.0}", m(&|x| x.db_cpu.unwrap_or(0.0)))
                } else {
                    "not measured (no postmaster pid)".into()
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | **{:.0}** | {} | {:.2} | {:.2} | {} | {:.0} | {db} |",
                    r.nodes,
                    r.doorbell.name(),
                    r.customers,
                    w.len(),
                    m(&|x| x.per_s),
                    every.join(", "),
                    m(&|x| x.latency.p50),
                    m(&|x| x.latency.p99),
                    w.iter().map(|x| x.errors).sum::<u64>(),
                    m(&|x| x.server_cpu),
                );
            }
            Err(why) => {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | – | not measured: {} | | | | | | |",
                    r.nodes,
                    r.doorbell.name(),
                    r.customers,
                    why.replace('|', "/").replace('\n', " ")
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "\n## PostgreSQL: fan-out with the subscribers spread over the nodes\n\n\
K = {} subscribers of one customer, subscriber i on node (i mod N) + 1; the publisher changes \
presence 10 times a second on node 1; latency from its acknowledgement to the event parsed, as \
above (a subscriber on another node gets the change through the doorbell and that node's read of \
the log). {runs} runs of {secs} s per set-up; server CPU and RSS summed over the nodes.\n",
        config.k_small
    );
    let _ = writeln!(
        o,
        "| system | K | changes/s | runs | p50 ms | p99 ms | max ms | deliveries/s | lost | server CPU % | server RSS MiB | generator CPU % |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in results.iter().filter(|r| r.customers == 1) {
        let name = format!("PostgreSQL, {} node(s), {}", r.nodes, r.doorbell.name());
        match &r.fanout {
            Ok(runs) => row(o, &name, &median_phase(runs), runs.len()),
            Err(why) => {
                let _ = writeln!(
                    o,
                    "| {name} | {} | 10 | – | not measured: {} | | | | | | | |",
                    config.k_small,
                    why.replace('|', "/").replace('\n', " ")
                );
            }
        }
    }

    // Ratios, from this run only.
    let find = |nodes: usize, bell: Doorbell, customers: usize| {
        results
            .iter()
            .find(|r| r.nodes == nodes && r.doorbell == bell && r.customers == customers)
    };
    let per_s_of = |nodes, bell, customers| {
        find(nodes, bell, customers)
            .and_then(|r| r.write.as_ref().ok())
            .map(|w| median(&w.iter().map(|x| x.per_s).collect::<Vec<_>>()))
            .unwrap_or(f64::NAN)
    };
    let per_s = |nodes, bell| per_s_of(nodes, bell, 1);
    let p99 = |nodes, bell| {
        find(nodes, bell, 1)
            .and_then(|r| r.fanout.as_ref().ok())
            .map(|p| median_phase(p).latency.p99)
            .unwrap_or(f64::NAN)
    };
    let sqlite_per_s = if write.is_empty() {
        f64::NAN
    } else {
        median(&write.iter().map(|w| w.per_s).collect::<Vec<_>>())
    };
    let sqlite_p99 = systems
        .iter()
        .find(|s| s.name == "ucclient-server" && !s.small.is_empty())
        .map(|s| median_phase(&s.small).latency.p99)
        .unwrap_or(f64::NAN);
    let (n, a) = (Doorbell::Notify, Doorbell::Nats);
    let _ = writeln!(
        o,
        "\n### Ratios: PostgreSQL and several nodes (medians of this run)\n\n| figure | ratio |\n|---|---|"
    );
    let lines = [
        (
            "durable changes/s, PostgreSQL 1 node (NOTIFY) ÷ SQLite".to_owned(),
            ratio(per_s(1, n), sqlite_per_s),
        ),
        (
            "durable changes/s, PostgreSQL 3 nodes (NOTIFY) ÷ SQLite".to_owned(),
            ratio(per_s(3, n), sqlite_per_s),
        ),
        (
            "durable changes/s, 3 nodes ÷ 1 node, NOTIFY".to_owned(),
            ratio(per_s(3, n), per_s(1, n)),
        ),
        (
            "durable changes/s, 3 nodes ÷ 1 node, NATS".to_owned(),
            ratio(per_s(3, a), per_s(1, a)),
        ),
        (
            "durable changes/s, NOTIFY ÷ NATS, 1 node".to_owned(),
            ratio(per_s(1, n), per_s(1, a)),
        ),
        (
            "durable changes/s, NOTIFY ÷ NATS, 3 nodes".to_owned(),
            ratio(per_s(3, n), per_s(3, a)),
        ),
        (
            format!("durable changes/s, writers in {WRITER_CUSTOMERS} customers ÷ in 1, 1 node"),
            ratio(per_s_of(1, n, WRITER_CUSTOMERS), per_s(1, n)),
        ),
        (
            format!("durable changes/s, writers in {WRITER_CUSTOMERS} customers ÷ in 1, 3 nodes"),
            ratio(per_s_of(3, n, WRITER_CUSTOMERS), per_s(3, n)),
        ),
        (
            format!("durable changes/s, writers in {WRITER_CUSTOMERS} customers, 3 nodes ÷ 1 node"),
            ratio(
                per_s_of(3, n, WRITER_CUSTOMERS),
                per_s_of(1, n, WRITER_CUSTOMERS),
            ),
        ),
        (
            format!(
                "fan-out p99 (K = {} at 10/s), 3 nodes ÷ 1 node, NOTIFY",
                config.k_small
            ),
            ratio(p99(3, n), p99(1, n)),
        ),
        (
            format!(
                "fan-out p99 (K = {} at 10/s), 3 nodes ÷ 1 node, NATS",
                config.k_small
            ),
            ratio(p99(3, a), p99(1, a)),
        ),
        (
            format!(
                "fan-out p99 (K = {} at 10/s), NOTIFY ÷ NATS, 3 nodes",
                config.k_small
            ),
            ratio(p99(3, n), p99(3, a)),
        ),
        (
            format!(
                "fan-out p99 (K = {} at 10/s), PostgreSQL 1 node (NOTIFY) ÷ SQLite",
                config.k_small
            ),
            ratio(p99(1, n), sqlite_p99),
        ),
    ];
    for (what, r) in lines {
        let _ = writeln!(o, "| {what} | {r} |");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(p99: f64, expected: u64, delivered: u64) -> Phase {
        Phase {
            latency: Latency {
                p50: 1.0,
                p99,
                max: p99,
            },
            expected,
            delivered,
            changes: 1,
            rate: 2.0,
            ..Default::default()
        }
    }

    #[test]
    fn a_rate_is_sustained_only_within_bound_and_without_loss() {
        assert!(sustained(&[
            phase(100.0, 10, 10),
            phase(300.0, 10, 10),
            phase(200.0, 10, 10)
        ]));
        assert!(!sustained(&[
            phase(260.0, 10, 10),
            phase(300.0, 10, 10),
            phase(200.0, 10, 10)
        ]));
        assert!(!sustained(&[phase(10.0, 10, 9)]));
        assert!(!sustained(&[]));
    }
}
