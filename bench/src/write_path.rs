//! The write-path benchmark: concurrent users changing their presence as fast as the backend
//! acknowledges (acknowledged = committed), for a fixed time.

use std::net::SocketAddr;
use std::time::Duration;

use ucclient_core::profile::ProfileId;

use crate::clock::{CpuMeter, now_ns};
use crate::http::HttpConn;
use crate::stats::{Latency, summarise};

/// What one run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteRun {
    /// Concurrent requests in flight.
    pub concurrency: usize,
    /// Distinct users.
    pub users: usize,
    /// Acknowledged changes per second.
    pub per_s: f64,
    /// Latency of one change.
    pub latency: Latency,
    /// Requests that did not answer 200.
    pub errors: u64,
    /// Server CPU, percent of one core (summed over the nodes).
    pub server_cpu: f64,
    /// The database server's CPU (PostgreSQL's processes), percent of one core; `None` for SQLite
    /// (inside the server) or when not measured.
    pub db_cpu: Option<f64>,
}

/// `concurrency` loops, each on its own connection to node `addrs[i % len]` and with the token
/// `tokens[i % len]`, changing presence back to back for `secs`. `servers` are the nodes'
/// processes, `db` the database server's root process when it runs apart (PostgreSQL).
pub async fn run(
    addrs: &[SocketAddr],
    tokens: &[String],
    concurrency: usize,
    secs: f64,
    servers: &[u32],
    db: Option<u32>,
) -> anyhow::Result<WriteRun> {
    let meter = CpuMeter::processes(servers);
    let db_meter = db.map(CpuMeter::tree);
    let end = now_ns() + (secs * 1e9) as u64;
    let mut handles = Vec::new();
    for w in 0..concurrency {
        let token = tokens[w % tokens.len()].clone();
        let addr = addrs[w % addrs.len()];
        handles.push(tokio::spawn(async move {
            let mut conn = HttpConn::connect(addr).await?;
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = w;
            while now_ns() < end {
                let profile = ProfileId::ALL[i % ProfileId::ALL.len()];
                i += 1;
                let body = format!("{{\"profile\":\"{}\"}}", profile.as_str());
                let t0 = now_ns();
                let resp = conn
                    .request(
                        "PUT",
                        "/api/v1/me/presence",
                        Some(&token),
                        Some(body.as_bytes()),
                    )
                    .await?;
                if resp.status == 200 {
                    lat.push(now_ns() - t0);
                } else {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.await??;
        all.extend(lat);
        errors += e;
    }
    let server_cpu = meter.percent();
    let db_cpu = db_meter.map(|m| m.percent());
    let per_s = all.len() as f64 / secs;
    Ok(WriteRun {
        concurrency,
        users: tokens.len().min(concurrency),
        per_s,
        latency: summarise(&mut all),
        errors,
        server_cpu,
        db_cpu,
    })
}

/// Logs in and returns the bearer token.
pub async fn login(addr: SocketAddr, email: &str, password: &str) -> anyhow::Result<String> {
    let mut conn = HttpConn::connect(addr).await?;
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    let resp = conn
        .request("POST", "/api/v1/login", None, Some(body.as_bytes()))
        .await?;
    if resp.status != 200 {
        anyhow::bail!("login of {email} answered {}", resp.status);
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.body)?;
    Ok(v["token"].as_str().unwrap_or_default().to_owned())
}
