//! The throw-away PostgreSQL server of a test process: the workspace's `throwaway-pg` in a fresh
//! directory under `target/pg-test/`, without durability (`fsync` off: the tests need the
//! behaviour, not the disk). Missing binaries are an error with the sentence to fix it (`run
//! cargo xtask setup`), never a skipped test.
//!
//! Include it with `#[path = "support/pg.rs"] mod pg;`.

// Each test file uses its own part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use throwaway_pg::{Options, Stop};

/// A running throw-away PostgreSQL server, stopped (fast) and its directory removed on drop.
pub struct Postgres(throwaway_pg::Postgres);

/// Tells servers of one test process apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    /// Creates a cluster in a fresh directory under `target/pg-test/` and starts it on a free
    /// loopback port, waiting (up to a minute) until it accepts connections.
    pub fn start() -> Postgres {
        let dir = target_dir().join("pg-test").join(format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let options = Options {
            durable: false,
            max_connections: 400,
        };
        Postgres(throwaway_pg::Postgres::start(&dir, options).unwrap_or_else(|e| panic!("{e}")))
    }

    /// Stops the server at once, as a crash would (every connection cut, no checkpoint; what was
    /// committed is in the WAL).
    pub fn stop_immediate(&self) {
        self.0
            .stop(Stop::Immediate)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts it again after [`Postgres::stop_immediate`]: same port, same data (recovery replays
    /// the WAL).
    pub fn start_again(&self) {
        self.0.start_again().unwrap_or_else(|e| panic!("{e}"));
    }

    /// The server this test process shares between its tests, started on first use. It stops
    /// when the process ends, however it ends: a watchdog process started with it waits for the
    /// test process to exit, then stops the server (`immediate`) and removes its directory.
    pub fn shared() -> &'static Postgres {
        static SHARED: std::sync::OnceLock<Postgres> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            let server = Postgres::start();
            server
                .0
                .stop_when_gone(std::process::id())
                .unwrap_or_else(|e| panic!("{e}"));
            server
        })
    }

    /// A new empty database on this server (a unique name per call), and its URL.
    pub fn fresh_database(&self) -> String {
        static NEXT_DB: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        self.0
            .create_database(&name)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The URL of its `postgres` database as the `postgres` superuser (no password: trust on
    /// loopback).
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL of another database of the server.
    pub fn url_of(&self, database: &str) -> String {
        self.0.url_of(database)
    }

    /// Its directory (the data directory, the log and the socket are inside).
    pub fn dir(&self) -> &Path {
        self.0.dir()
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.0.port()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        match self.0.stop(Stop::Fast) {
            Ok(()) => {
                let _ = std::fs::remove_dir_all(self.0.dir());
            }
            Err(e) => eprintln!("PostgreSQL in {} did not stop: {e}", self.0.dir().display()),
        }
    }
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the server crate is in the workspace")
                .join("target")
        })
}
