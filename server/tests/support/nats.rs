//! A throw-away `nats-server` for tests: Debian's binary (`/usr/sbin/nats-server`) on a free
//! loopback port, killed on drop. A test can kill it (`SIGKILL`, as a crash) and start it again on
//! the same port. A missing binary is an error with the sentence to fix it (`run cargo xtask
//! setup`), never a skipped test.
//!
//! Include it with `#[path = "support/nats.rs"] mod nats;`.

// Each test file uses its own part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs it.
pub const BINARY: &str = "/usr/sbin/nats-server";

/// A running (or killed, until restarted) throw-away nats-server.
pub struct Nats {
    child: Option<Child>,
    port: u16,
    extra: Vec<String>,
}

impl Nats {
    /// Starts one on a free loopback port, returning once it accepts connections.
    pub fn start() -> Nats {
        Nats::start_with(&[])
    }

    /// Starts one with `extra` arguments (e.g. `--user`, `--pass`).
    pub fn start_with(extra: &[&str]) -> Nats {
        assert!(
            Path::new(BINARY).exists(),
            "nats-server ({BINARY}) is missing: run cargo xtask setup"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut nats = Nats {
            child: None,
            port,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        nats.restart();
        nats
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it at once (`SIGKILL`), as a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on its port, returning once it accepts connections (within 10 s).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(BINARY)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {BINARY}: {e}; run cargo xtask setup"));
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("nats-server on port {} exited: {status}", self.port);
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nats-server on port {} did not accept connections within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}
