//! The processes under test: the backend (`ucclient-server demo`) and `nats-server`, started on
//! loopback on free ports and killed when dropped.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A child process killed on drop.
pub struct Proc {
    /// The child.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Proc {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound then released).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `nats-server` on a free loopback port and waits until it accepts.
pub fn start_nats(bin: &str) -> anyhow::Result<Proc> {
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {bin} (Debian package nats-server)"))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let proc = Proc { child, addr };
    let t0 = Instant::now();
    while TcpStream::connect(addr).is_err() {
        if t0.elapsed() > Duration::from_secs(10) {
            bail!("nats-server did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(proc)
}

/// Starts the backend's `demo` command on a fresh database and reads its `listening on` line.
pub fn start_server(bin: &Path, db: &Path, extra: &[String]) -> anyhow::Result<Proc> {
    start_node(bin, "demo", db.as_os_str(), extra)
}

/// Starts the backend's `command` (`demo`: recreates the database with the demo data; `serve`)
/// on `database` (a SQLite path or a `postgres://` URL) and reads its `listening on` line.
pub fn start_node(
    bin: &Path,
    command: &str,
    database: &OsStr,
    extra: &[String],
) -> anyhow::Result<Proc> {
    let mut cmd = Command::new(bin);
    cmd.args([command, "--listen", "127.0.0.1:0", "--database"])
        .arg(database)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(line) = lines.next() else {
            let _ = child.kill();
            bail!("the server exited before listening");
        };
        let line = line?;
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse::<SocketAddr>()?;
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Proc { child, addr })
}

/// Creates `n` licensed users `w<i>@globex.example` (password `demo`) with the admin command, on the
/// database a running server uses (SQLite WAL lets both work on it; PostgreSQL: a `postgres://` URL).
pub fn add_users(bin: &Path, db: &OsStr, n: usize) -> anyhow::Result<Vec<String>> {
    add_users_to(bin, db, n, &["globex".to_owned()])
}

/// Creates `count` customers `bench<i>` of the demo's passive reseller with the admin command; returns
/// their ids.
pub fn add_customers(bin: &Path, db: &OsStr, count: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for i in 1..=count {
        let id = format!("bench{i}");
        let status = Command::new(bin)
            .args(["customer", "add", "--database"])
            .arg(db)
            .args([
                "--reseller",
                "demo-passive",
                "--name",
                &format!("Bench {i}"),
            ])
            .args(["--id", &id])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("`customer add` failed for {id}");
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Creates `n` licensed users (password `demo`), user `i` in `customers[i % len]` as
/// `w<i>@<customer>.example`.
pub fn add_users_to(
    bin: &Path,
    db: &OsStr,
    n: usize,
    customers: &[String],
) -> anyhow::Result<Vec<String>> {
    use std::io::Write;
    let mut emails = Vec::new();
    for i in 0..n {
        let customer = &customers[i % customers.len()];
        let email = format!("w{i}@{customer}.example");
        let mut child = Command::new(bin)
            .args(["user", "add", "--database"])
            .arg(db)
            .args([
                "--customer",
                customer,
                "--name",
                &format!("Writer {i}"),
                "--email",
                &email,
            ])
            .args([
                "--extension",
                &format!("{}", 4000 + i),
                "--permission",
                "crm_client",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        child.stdin.take().context("stdin")?.write_all(b"demo\n")?;
        if !child.wait()?.success() {
            bail!("`user add` failed for {email}");
        }
        emails.push(email);
    }
    Ok(emails)
}
