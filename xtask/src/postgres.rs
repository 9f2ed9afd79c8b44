//! A throw-away PostgreSQL server for xtask's tools (`cluster`, `bench`): Debian's binaries from
//! `/usr/lib/postgresql/<version>/bin`, a fresh data directory, a free loopback port, trust
//! authentication on loopback only, and one `ucclient` database. As root its programs run as the
//! `postgres` user through `runuser`, since PostgreSQL refuses root. Durability is PostgreSQL's
//! default (`fsync`, `synchronous_commit` on): a commit is on disk when it is acknowledged.
//!
//! The server tests have their own (`server/tests/support/pg.rs`): tests cannot depend on xtask.

use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::project::{output, run as run_command};

/// A running throw-away PostgreSQL server; [`Postgres::stop`] stops it.
pub(crate) struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Creates a fresh cluster in `dir` (removing an earlier one), starts it on a free loopback
    /// port and creates the `ucclient` database.
    pub(crate) fn start(dir: &Path) -> Result<Postgres> {
        let bin = bindir().context(
            "PostgreSQL's binaries (/usr/lib/postgresql/<version>/bin) are missing: run cargo \
             xtask setup",
        )?;
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let as_postgres = output(Command::new("id").arg("-u")).as_deref() == Some("0");
        if as_postgres {
            run_command(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir),
            )?;
        }
        let pg = Postgres {
            bin,
            dir: dir.to_owned(),
            port: TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
            as_postgres,
        };
        let data = pg.data();
        pg.run(
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
                "--no-instructions".as_ref(),
            ],
        )?;
        // Three nodes of 24 connections each, the admin commands and a psql.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200",
            pg.port,
            dir.display()
        );
        let log = dir.join("postgres.log");
        pg.run(
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
        )?;
        run_command(
            Command::new(pg.bin.join("psql"))
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
                .args([
                    "-U",
                    "postgres",
                    "-p",
                    &pg.port.to_string(),
                    "-d",
                    "postgres",
                ])
                .args(["-c", "CREATE DATABASE ucclient"])
                .stdin(Stdio::null()),
        )?;
        Ok(pg)
    }

    /// The URL of the `ucclient` database (the `postgres` superuser: trust on loopback).
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/ucclient", self.port)
    }

    /// The process id of the server's postmaster (the parent of every backend process), from
    /// `postmaster.pid`.
    pub(crate) fn pid(&self) -> Result<u32> {
        let file = self.data().join("postmaster.pid");
        let text =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .with_context(|| format!("{} holds no process id", file.display()))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Stops the server (fast shutdown: connections are closed, nothing committed is lost).
    pub(crate) fn stop(self) {
        let data = self.data();
        let stopped = self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        );
        if let Err(e) = stopped {
            eprintln!("PostgreSQL did not stop: {e:#}");
        }
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when we are root, in its own process
    /// group (the server `pg_ctl` starts stays there, away from the terminal's Ctrl-C).
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<()> {
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
            .with_context(|| format!("starting {}", exe.display()))?;
        if !out.status.success() {
            let log = fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            bail!(
                "{program} failed ({}): {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                lines[lines.len().saturating_sub(20)..].join("\n")
            );
        }
        Ok(())
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, `pg_ctl` and `psql`.
fn bindir() -> Option<PathBuf> {
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
