//! The media endpoint's cost (issue 17), measured by hand: `cargo test -p ucclient-server --test
//! media_load -- --ignored --nocapture` (`N=100`, `BRIDGE=1` for colleagues' pairs sending Opus).
//! The endpoint runs on a thread of its own (its own current-thread runtime, so its one task is
//! alone there), the str0m clients on another runtime; the endpoint thread's CPU time is read from
//! `/proc/<pid>/task/<tid>/stat` over 10 s. Figures in BENCHMARKS.md.

#[path = "support/softphone.rs"]
mod softphone;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use softphone::{Client, offer};
use str0m::media::MediaKind;
use ucclient_core::api::CallState;
use ucclient_server::media::{Leg, Media};

/// The thread's user and system CPU time, in clock ticks (1/100 s), from its `stat` file.
fn cpu_ticks(stat: &str) -> u64 {
    let s = std::fs::read_to_string(stat).unwrap();
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let fields: Vec<&str> = s[s.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
#[ignore = "a measurement: run by hand, alone on the machine as far as possible"]
fn the_endpoint_carries_n_sessions() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let bridged = std::env::var("BRIDGE").is_ok();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let task = std::fs::read_link("/proc/thread-self").unwrap();
        tx.send((rt.handle().clone(), task)).unwrap();
        rt.block_on(std::future::pending::<()>());
    });
    let (endpoint, task) = rx.recv().unwrap();
    let stat = format!("/proc/{}/stat", task.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let media = Arc::new(Media::new("127.0.0.1:0".parse().unwrap(), None));
        let mut clients: Vec<Client> = Vec::new();
        for i in 0..n {
            let offering = offer(MediaKind::Audio).await;
            // Bridged: sessions 2k and 2k+1 are the two legs of one call.
            let leg = Leg {
                call_id: format!("c{i}"),
                user_id: format!("u{i}"),
                state: CallState::Connected,
                held: false,
                peer: bridged.then(|| format!("c{}", i ^ 1)),
                recording: false,
            };
            let (m, sdp) = (media.clone(), offering.sdp.clone());
            // Answered on the endpoint's runtime, so its task starts there.
            let answer = endpoint
                .spawn(async move { m.answer(leg, &sdp).await.unwrap() })
                .await
                .unwrap();
            let client = offering.connect(&answer);
            client.sending.store(bridged, Ordering::SeqCst);
            clients.push(client);
        }
        for c in &mut clients {
            c.until("media flowing", |s| s.pcmu + s.opus >= 10).await;
        }
        let received = |cs: &[Client]| {
            cs.iter()
                .map(|c| {
                    let s = c.now();
                    s.pcmu + s.opus
                })
                .sum::<u64>()
        };
        let (cpu0, rx0, start) = (cpu_ticks(&stat), received(&clients), Instant::now());
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (cpu1, rx1) = (cpu_ticks(&stat), received(&clients));
        let secs = start.elapsed().as_secs_f64();
        let per_session = (rx1 - rx0) as f64 / secs / n as f64;
        println!(
            "n={n} bridged={bridged}: endpoint {:.1}% of a core, {:.0} frames/s received in all, \
             {per_session:.1} per session",
            (cpu1 - cpu0) as f64 / secs,
            (rx1 - rx0) as f64 / secs,
        );
        if !bridged {
            // The tone is 50 frames/s: the endpoint kept up with every session.
            assert!(per_session > 45.0, "{per_session:.1} frames/s per session");
        }
    });
}
