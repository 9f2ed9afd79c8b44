//! A throw-away PostgreSQL server: Debian's `postgresql` binaries (the newest
//! `/usr/lib/postgresql/<version>/bin`), a fresh data directory, a free loopback port, trust
//! authentication for the `postgres` user on loopback only. The server's tests use it (a server
//! per test process, stopped by a watchdog when the process ends), and so do xtask's `cluster`
//! and `bench` (a durable server in `target/`).
//!
//! PostgreSQL refuses to run as root, so as root `initdb`, `pg_ctl` and the server run as the
//! `postgres` system user (`runuser -u postgres`), which then owns the directory. Every program
//! runs in a process group of its own, so the server `pg_ctl` starts is out of reach of a
//! terminal's Ctrl-C (its owner stops it), and with its output away from the caller's pipes (a
//! test harness would otherwise wait on a pipe the server holds open).

use std::ffi::OsStr;
use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to do when PostgreSQL's binaries are missing.
pub const SETUP: &str = "run cargo xtask setup";

/// Why a server could not be started, stopped or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Debian's binaries are not installed.
    #[error(
        "PostgreSQL's binaries (/usr/lib/postgresql/<version>/bin: initdb, pg_ctl, postgres, \
         psql) are missing: {SETUP}"
    )]
    Missing,
    /// A file or a process could not be handled.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// One of PostgreSQL's programs failed.
    #[error("{program} failed ({status}): {stderr}\n{log}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it said.
        stderr: String,
        /// The last lines of the server's log.
        log: String,
    },
    /// `postmaster.pid` holds no process id.
    #[error("{0} holds no process id")]
    NoPid(PathBuf),
}

/// What this crate's calls return.
pub type Result<T> = std::result::Result<T, Error>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// How a server runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `fsync` and `synchronous_commit` on (PostgreSQL's defaults: a commit is on disk when it is
    /// acknowledged), for measurements; off, for tests that only need the behaviour.
    pub durable: bool,
    /// `max_connections`.
    pub max_connections: u32,
}

/// How a server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Connections are closed, nothing committed is lost (`pg_ctl stop -m fast`).
    Fast,
    /// At once, as a crash would: every connection cut, no checkpoint; what was committed is in
    /// the WAL (`pg_ctl stop -m immediate`).
    Immediate,
}

impl Stop {
    fn mode(self) -> &'static str {
        match self {
            Stop::Fast => "fast",
            Stop::Immediate => "immediate",
        }
    }
}

/// A running throw-away PostgreSQL server. Nothing stops it implicitly: its owner calls
/// [`Postgres::stop`] (or [`Postgres::stop_when_gone`]).
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    options: Options,
    as_postgres: bool,
}

impl Postgres {
    /// Creates a fresh cluster in `dir` (removing whatever was there) and starts it on a free
    /// loopback port, returning once it accepts connections (within a minute).
    pub fn start(dir: &Path, options: Options) -> Result<Postgres> {
        let bin = bindir().ok_or(Error::Missing)?;
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(io(format!("removing {}", dir.display())))?;
        }
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status()
                .map_err(io("running chown"))?;
            if !status.success() {
                return Err(Error::Io {
                    what: format!("chown of {}", dir.display()),
                    source: std::io::Error::other(status.to_string()),
                });
            }
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(io("finding a free loopback port"))?
            .port();
        let server = Postgres {
            bin,
            dir: dir.to_owned(),
            port,
            options,
            as_postgres,
        };
        let data = server.data();
        let mut initdb: Vec<&OsStr> = vec![
            "-D".as_ref(),
            data.as_os_str(),
            "-U".as_ref(),
            "postgres".as_ref(),
            "-A".as_ref(),
            "trust".as_ref(),
            "-E".as_ref(),
            "UTF8".as_ref(),
            "--no-instructions".as_ref(),
        ];
        if !options.durable {
            initdb.push("--no-sync".as_ref());
        }
        server.run("initdb", &initdb)?;
        server.start_again()?;
        Ok(server)
    }

    /// Starts it (again, after [`Postgres::stop`]): same port, same data (after an immediate
    /// stop, recovery replays the WAL).
    pub fn start_again(&self) -> Result<()> {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections={}",
            self.port,
            self.dir.display(),
            self.options.max_connections
        );
        if !self.options.durable {
            options.push_str(" -c fsync=off");
        }
        let data = self.data();
        let log = self.log();
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
        )
    }

    /// Stops it, waiting until it is down.
    pub fn stop(&self, how: Stop) -> Result<()> {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                how.mode().as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        )
    }

    /// Starts a watchdog that, once process `pid` has exited however it exits, stops the server
    /// (immediate) and removes its directory.
    pub fn stop_when_gone(&self, pid: u32) -> Result<()> {
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
        // Never waited for: it outlives the process by design (init reaps it).
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(io("starting the PostgreSQL watchdog"))?;
        Ok(())
    }

    /// Creates the empty database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        let psql = self.bin.join("psql");
        let out = Command::new(&psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args([
                "-U",
                "postgres",
                "-p",
                &self.port.to_string(),
                "-d",
                "postgres",
            ])
            .arg("-c")
            .arg(format!("CREATE DATABASE {name}"))
            .stdin(Stdio::null())
            .output()
            .map_err(io(format!("running {}", psql.display())))?;
        if !out.status.success() {
            return Err(self.failed("psql", &out));
        }
        Ok(self.url_of(name))
    }

    /// The URL of its database `database` as the `postgres` superuser (no password: trust on
    /// loopback).
    pub fn url_of(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The process id of its postmaster (the parent of every backend process), from
    /// `postmaster.pid`.
    pub fn pid(&self) -> Result<u32> {
        let file = self.data().join("postmaster.pid");
        let text = fs::read_to_string(&file).map_err(io(format!("reading {}", file.display())))?;
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or(Error::NoPid(file))
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

    fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when we are root).
    fn run(&self, program: &str, args: &[&OsStr]) -> Result<()> {
        let exe = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .output()
            .map_err(io(format!("starting {}", exe.display())))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(self.failed(program, &out))
        }
    }

    fn failed(&self, program: &str, out: &std::process::Output) -> Error {
        let log = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        Error::Failed {
            program: program.to_owned(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            log: lines[lines.len().saturating_sub(20)..].join("\n"),
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, `pg_ctl`, `postgres` and
/// `psql`.
pub fn bindir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
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
