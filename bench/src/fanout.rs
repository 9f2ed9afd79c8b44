//! The fan-out benchmark: K subscribers held open through one transport (our SSE, or NATS), a
//! publisher changing presence at a steady rate, and per-phase latency, throughput and CPU.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use ucclient_core::api::{PbxSync, Presence, PresenceUpdate};
use ucclient_core::profile::ProfileId;

use crate::clock::{CpuMeter, now_ns, rss_bytes};
use crate::http::HttpConn;
use crate::nats::NatsPublisher;
use crate::record::Recorder;
use crate::sse::{from_unix_nanos, unix_nanos};
use crate::stats::{Latency, summarise};

/// One acknowledged change.
#[derive(Debug, Clone, Copy)]
pub struct Ack {
    /// Its key (the `since` of the presence, nanoseconds).
    pub key: u64,
    /// When the acknowledgement was read.
    pub acked: u64,
}

/// How changes are made.
pub enum Publisher {
    /// `PUT /api/v1/me/presence` with a bearer token, over a pool of keep-alive connections.
    Sse {
        /// The backend.
        addr: SocketAddr,
        /// The publishing user's token.
        token: String,
        /// Idle connections.
        pool: Mutex<Vec<HttpConn>>,
    },
    /// `PUB` on one NATS connection, acknowledged by `PONG`.
    Nats {
        /// The connection.
        conn: NatsPublisher,
        /// The presence published, its `since` made unique per change.
        template: PresenceUpdate,
    },
}

/// A presence update shaped like the backend's, to publish through NATS.
pub fn nats_template(user_id: &str) -> PresenceUpdate {
    let p = ProfileId::ALL[0];
    PresenceUpdate {
        user_id: user_id.to_owned(),
        presence: Presence {
            profile: p,
            status: p.status(),
            colour: ucclient_core::profile::shown_colour(p, false, &Default::default()),
            on_call: false,
            since: from_unix_nanos(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0),
            ),
            pbx_sync: PbxSync::NotApplicable,
            pbx_error: None,
        },
    }
}

impl Publisher {
    /// Makes change number `seq`.
    pub async fn publish(&self, seq: u64) -> anyhow::Result<Ack> {
        match self {
            Publisher::Sse { addr, token, pool } => {
                let conn = pool.lock().await.pop();
                let mut conn = match conn {
                    Some(c) => c,
                    None => HttpConn::connect(*addr).await?,
                };
                let profile = ProfileId::ALL[(seq % ProfileId::ALL.len() as u64) as usize];
                let body = format!("{{\"profile\":\"{}\"}}", profile.as_str());
                let resp = conn
                    .request(
                        "PUT",
                        "/api/v1/me/presence",
                        Some(token),
                        Some(body.as_bytes()),
                    )
                    .await?;
                let acked = now_ns();
                if resp.status != 200 {
                    bail!("presence change answered {}", resp.status);
                }
                let presence: Presence =
                    serde_json::from_slice(&resp.body).context("presence body")?;
                pool.lock().await.push(conn);
                let key = unix_nanos(presence.since);
                Ok(Ack { key, acked })
            }
            Publisher::Nats { conn, template } => {
                let mut update = template.clone();
                let profile = ProfileId::ALL[(seq % ProfileId::ALL.len() as u64) as usize];
                update.presence.profile = profile;
                update.presence.status = profile.status();
                update.presence.colour =
                    ucclient_core::profile::shown_colour(profile, false, &Default::default());
                let base = unix_nanos(template.presence.since);
                update.presence.since = from_unix_nanos(base + seq * 1000 + 1);
                let payload = serde_json::to_vec(&update)?;
                let acked = conn.publish(&payload).await?;
                Ok(Ack {
                    key: crate::sse::presence_key(&update),
                    acked,
                })
            }
        }
    }
}

/// What one phase measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phase {
    /// Changes per second asked for.
    pub rate: f64,
    /// Subscribers.
    pub k: usize,
    /// Changes acknowledged.
    pub changes: u64,
    /// Deliveries expected (changes × subscribers).
    pub expected: u64,
    /// Deliveries parsed.
    pub delivered: u64,
    /// Latency from acknowledgement to parse.
    pub latency: Latency,
    /// Deliveries per second over the phase.
    pub deliveries_per_s: f64,
    /// Server CPU, percent of one core.
    pub server_cpu: f64,
    /// Generator CPU, percent of one core.
    pub gen_cpu: f64,
    /// Server RSS at the end, bytes.
    pub server_rss: u64,
    /// Changes the publisher could not make.
    pub publish_errors: u64,
}

impl Phase {
    /// Deliveries that never arrived.
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.delivered)
    }
}

/// Runs one phase: `rate` changes per second for `secs`, then waits (at most 5 s) for the stragglers.
/// `servers` are the processes serving the subscribers (their CPU and RSS are summed).
pub async fn run_phase(
    publisher: &Arc<Publisher>,
    rec: &Recorder,
    k: usize,
    rate: f64,
    secs: f64,
    servers: &[u32],
    seq0: &mut u64,
) -> Phase {
    tokio::time::sleep(Duration::from_millis(300)).await;
    rec.drain();
    let server = CpuMeter::processes(servers);
    let gen_meter = CpuMeter::start(std::process::id());
    let start = now_ns();
    let n = (rate * secs).round().max(1.0) as u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut handles: Vec<JoinHandle<anyhow::Result<Ack>>> = Vec::with_capacity(n as usize);
    for i in 0..n {
        tick.tick().await;
        let p = publisher.clone();
        let seq = *seq0 + i;
        handles.push(tokio::spawn(async move { p.publish(seq).await }));
    }
    *seq0 += n;
    let mut acks = Vec::with_capacity(handles.len());
    let mut publish_errors = 0;
    for h in handles {
        match h.await {
            Ok(Ok(a)) => acks.push(a),
            _ => publish_errors += 1,
        }
    }
    let expected = acks.len() as u64 * k as u64;
    let deadline = now_ns() + 5_000_000_000;
    while rec.delivered.load(Ordering::Relaxed) < expected && now_ns() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let server_cpu = server.percent();
    let gen_cpu = gen_meter.percent();
    let samples = rec.drain();
    let by_key: HashMap<u64, &Ack> = acks.iter().map(|a| (a.key, a)).collect();
    let mut lat: Vec<u64> = Vec::with_capacity(samples.len());
    let mut last = start;
    for s in &samples {
        if let Some(a) = by_key.get(&s.key) {
            lat.push(s.at.saturating_sub(a.acked));
            last = last.max(s.at);
        }
    }
    let delivered = lat.len() as u64;
    // Over the publishing period, or until the last delivery when the server fell behind.
    let wall = ((last.max(start + 1) - start) as f64 / 1e9).max(n as f64 / rate);
    Phase {
        rate,
        k,
        changes: acks.len() as u64,
        expected,
        delivered,
        latency: summarise(&mut lat),
        deliveries_per_s: delivered as f64 / wall,
        server_cpu,
        gen_cpu,
        server_rss: servers.iter().filter_map(|&p| rss_bytes(p)).sum(),
        publish_errors,
    }
}

/// Opens SSE subscribers `from..to` (subscriber `i` on node `addrs[i % len]`, its ticket fetched
/// there with `tokens[i % len]`) and waits until every one has its first event.
pub async fn open_sse(
    addrs: &[SocketAddr],
    tokens: &[String],
    from: usize,
    to: usize,
    rec: &Arc<Recorder>,
    subs: &mut Vec<JoinHandle<()>>,
) -> anyhow::Result<()> {
    const WORKERS: usize = 16;
    let tokens = Arc::new(tokens.to_vec());
    let addrs = Arc::new(addrs.to_vec());
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let tokens = tokens.clone();
        let addrs = addrs.clone();
        let rec = rec.clone();
        workers.push(tokio::spawn(async move {
            let mut conns = Vec::new();
            for &addr in addrs.iter() {
                conns.push(HttpConn::connect(addr).await?);
            }
            let mut mine = Vec::new();
            let mut i = from + w;
            while i < to {
                let token = &tokens[i % tokens.len()];
                let node = i % addrs.len();
                let addr = addrs[node];
                let resp = conns[node]
                    .request("POST", "/api/v1/events/ticket", Some(token), Some(b""))
                    .await?;
                if resp.status != 200 {
                    bail!(
                        "ticket answered {}: {}",
                        resp.status,
                        String::from_utf8_lossy(&resp.body)
                    );
                }
                let v: serde_json::Value = serde_json::from_slice(&resp.body)?;
                let ticket = v["ticket"].as_str().context("ticket")?.to_owned();
                let path = format!("/api/v1/events?ticket={ticket}");
                mine.push(tokio::spawn(crate::sse::subscribe(
                    addr,
                    path,
                    rec.clone(),
                    i,
                )));
                i += WORKERS;
            }
            anyhow::Ok(mine)
        }));
    }
    for w in workers {
        subs.extend(w.await??);
    }
    wait_ready(rec, to).await
}

/// Opens NATS subscribers `from..to`.
pub async fn open_nats(
    addr: SocketAddr,
    from: usize,
    to: usize,
    rec: &Arc<Recorder>,
    subs: &mut Vec<JoinHandle<()>>,
) -> anyhow::Result<()> {
    for i in from..to {
        subs.push(tokio::spawn(crate::nats::subscribe(addr, rec.clone(), i)));
        if i % 500 == 499 {
            // Let the server accept in batches rather than face 10,000 SYNs at once.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    wait_ready(rec, to).await
}

/// Waits until `n` subscribers are ready, failing if any failed or after 120 s.
async fn wait_ready(rec: &Recorder, n: usize) -> anyhow::Result<()> {
    let deadline = now_ns() + 120_000_000_000;
    loop {
        let ready = rec.ready.load(Ordering::Relaxed) as usize;
        let failed = rec.failed.load(Ordering::Relaxed);
        if failed > 0 {
            let reasons = rec
                .reasons
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .join("; ");
            bail!("{failed} subscribers failed ({ready} ready of {n}): {reasons}");
        }
        if ready >= n {
            return Ok(());
        }
        if now_ns() > deadline {
            bail!("only {ready} of {n} subscribers ready after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
