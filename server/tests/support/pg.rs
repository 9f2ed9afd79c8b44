//! A throw-away PostgreSQL server for tests: Debian's `postgresql` binaries, a fresh data directory
//! under `target/pg-test/`, a free loopback port, trust authentication for the `postgres` user on
//! loopback only. Started by [`Postgres::start`], which returns once it accepts connections;
//! stopped (fast shutdown) and its directory removed on drop.
//!
//! PostgreSQL refuses to run as root, so as root `initdb`, `pg_ctl` and the server run as the
//! `postgres` system user (`runuser -u postgres`), owning the data directory. Missing binaries are
//! an error with the sentence to fix it (`run cargo xtask setup`), never a skipped test.
//!
//! Include it with `#[path = "support/pg.rs"] mod pg;`.

// Each test file uses its own part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The sentence every missing-PostgreSQL failure carries.
pub const SETUP: &str = "run cargo xtask setup";

/// A running throw-away PostgreSQL server.
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Tells servers of one test process apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    /// Creates a cluster in a fresh directory under `target/pg-test/` and starts it on a free
    /// loopback port, waiting (up to a minute) until it accepts connections.
    pub fn start() -> Postgres {
        let bin = bindir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's binaries (/usr/lib/postgresql/<version>/bin/initdb, pg_ctl) are \
                 missing: {SETUP}"
            )
        });
        let as_postgres = is_root();
        let dir = target_dir().join("pg-test").join(format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the PostgreSQL test directory");
        let mut server = Postgres {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir)
                .status()
                .expect("running chown");
            assert!(status.success(), "chown of {} failed", server.dir.display());
        }
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
            ],
        );
        server.port = free_port();
        server.pg_ctl_start();
        server
    }

    /// `pg_ctl start` on its data directory and port, waiting until it accepts connections.
    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c max_connections=400 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let data = self.data();
        let log = self.dir.join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        );
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`: every connection
    /// cut, no checkpoint; what was committed is in the WAL).
    pub fn stop_immediate(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        );
    }

    /// Starts it again after [`Postgres::stop_immediate`]: same port, same data (recovery replays
    /// the WAL).
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// The server this test process shares between its tests, started on first use. It stops
    /// when the process ends, however it ends: a watchdog process started with it waits for the
    /// test process to exit, then stops the server (`immediate`) and removes its directory.
    pub fn shared() -> &'static Postgres {
        static SHARED: std::sync::OnceLock<Postgres> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            let server = Postgres::start();
            server.watch(std::process::id());
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
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running psql: {e}; {SETUP}"));
        assert!(
            out.status.success(),
            "CREATE DATABASE {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url_of(&name)
    }

    /// Starts the watchdog that stops this server once process `pid` has exited.
    fn watch(&self, pid: u32) {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = if self.as_postgres {
            format!("runuser -u postgres -- {}", pg_ctl.display())
        } else {
            pg_ctl.display().to_string()
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop} stop -m immediate -D '{data}' >/dev/null 2>&1; rm -rf '{dir}'",
            data = self.data().display(),
            dir = self.dir.display(),
        );
        // Never waited for: it outlives this process by design (init reaps it).
        #[expect(
            clippy::zombie_processes,
            reason = "the watchdog outlives the test process"
        )]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the PostgreSQL watchdog");
    }

    /// The URL of its `postgres` database as the `postgres` superuser (no password: trust on
    /// loopback).
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL of another database of the server.
    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Its directory (the data directory, the log and the socket are inside).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when we are root), panicking with its
    /// output when it fails.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let exe = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        // pg_ctl's server inherits stdout/stderr: keep them away from the test's pipes, so that
        // the test harness is not left waiting on a pipe the server holds open.
        let out = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("starting {}: {e}; {SETUP}", exe.display()));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
            panic!(
                "{program} failed ({}): {}\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data();
            let stop = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.run(
                    "pg_ctl",
                    &[
                        "stop".as_ref(),
                        "-w".as_ref(),
                        "-m".as_ref(),
                        "fast".as_ref(),
                        "-D".as_ref(),
                        data.as_os_str(),
                    ],
                )
            }));
            if stop.is_err() {
                eprintln!("PostgreSQL in {} did not stop", self.dir.display());
                return;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, `pg_ctl`, `postgres` and `psql`.
fn bindir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            ["initdb", "pg_ctl", "postgres", "psql"]
                .iter()
                .all(|p| bin.join(p).exists())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
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

/// A loopback port free right now (the server binds it a moment later).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    l.local_addr().expect("its address").port()
}
