//! `cargo xtask cluster`: the demo on several backend nodes sharing one PostgreSQL (issue 16).
//!
//! It starts a throw-away PostgreSQL ([`crate::postgres`], its data directory in
//! `target/cluster/pg/`), optionally `nats-server` (`--nats`), then `ucclient-server demo` as node 1 (it migrates and seeds the
//! empty database, then serves) and `ucclient-server serve` as the other nodes, each on its own
//! loopback port and all on that database, serving the widget and `/admin` as `cargo xtask demo`
//! does. It prints which page uses which node and waits; Ctrl-C (or SIGTERM) stops the nodes
//! (SIGTERM: they shut down gracefully), then nats-server, then PostgreSQL (fast shutdown).
//!
//! Every child runs in its own process group, so the terminal's Ctrl-C reaches only xtask, which
//! then stops them in that order. Their logs go to `target/cluster/*.log`.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::postgres::Postgres;
use crate::project::{self, cargo, command, output, run as run_command};
use crate::setup;
use crate::widget::{self, BuildArgs};

/// Options of `cargo xtask cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Address of node 1; node N listens on the port N - 1 above it.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How many backend nodes.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=9))]
    pub nodes: u16,
    /// Also start nats-server on a free loopback port; the nodes use it as their doorbell when
    /// the server has the `--bus` option.
    #[arg(long)]
    pub nats: bool,
    /// Serve `dist/` as it is: no setup, no widget or administration page build (the backend is
    /// still built).
    #[arg(long)]
    pub no_build: bool,
}

/// How long a node gets to shut down after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Builds what the cluster needs, starts it, and stops it on Ctrl-C.
pub fn run(args: &ClusterArgs) -> Result<()> {
    // Set first: a Ctrl-C while building or starting stops what was started so far.
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;

    if !args.no_build {
        setup::run()?;
        widget::build(&BuildArgs::default())?;
        crate::admin_page::build(&crate::admin_page::BuildArgs::default())?;
    }
    // A debug build, as `cargo xtask demo` (the release profile is tuned for the wasm).
    run_command(cargo().args(["build", "-p", "ucclient-server"]))?;
    let server = project::target_dir().join("debug").join("ucclient-server");
    anyhow::ensure!(server.exists(), "{} was not built", server.display());

    let dir = project::target_dir().join("cluster");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Dropped on every way out of here: stops whatever it holds.
    let mut cluster = Cluster::default();

    cluster.postgres = Some(Postgres::start(&dir.join("pg"))?);
    let database = cluster
        .postgres
        .as_ref()
        .map(Postgres::url)
        .unwrap_or_default();
    println!(
        "PostgreSQL: {database} (data in {})",
        dir.join("pg").display()
    );

    let mut bus = Vec::new();
    if args.nats {
        let (child, url) = start_nats(&dir)?;
        cluster.nats = Some(child);
        if has_option(&server, "--bus") {
            println!("nats-server: {url} (the nodes' doorbell: --bus {url})");
            bus = vec!["--bus".to_owned(), url];
        } else {
            println!(
                "nats-server: {url} (started; this server has no --bus option yet, so the nodes \
                 use PostgreSQL's NOTIFY)"
            );
        }
    }

    for n in 1..=args.nodes {
        let listen = SocketAddr::new(args.listen.ip(), args.listen.port() + n - 1);
        // Node 1 seeds the demo data into the empty database, then serves like the others.
        let (cmd, extra): (&str, &[&str]) = if n == 1 {
            ("demo", &[])
        } else {
            ("serve", &["--pbx-view-for-all"])
        };
        let mut node = command(&server);
        node.arg(cmd)
            .arg("--listen")
            .arg(listen.to_string())
            .arg("--database")
            .arg(&database)
            .arg("--static-dir")
            .arg(project::dist_widget())
            .arg("--admin-dir")
            .arg(crate::admin_page::dist())
            .args(extra)
            .args(&bus);
        println!("$ {}", project::display(&node));
        let started = Node::start(n, node, &dir.join(format!("node-{n}.log")))?;
        cluster.nodes.push(started);
        if stop_rx.try_recv().is_ok() {
            println!("stopping");
            return Ok(());
        }
    }

    print_pages(&cluster.nodes);
    println!(
        "Logs: {}/node-N.log, pg/postgres.log{}. Stop with Ctrl-C.\n",
        dir.display(),
        if args.nats { ", nats.log" } else { "" }
    );

    // A node that ends by itself (killed, to watch its calls move) is reported; the others go on.
    let mut gone = Vec::new();
    loop {
        match stop_rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        for node in &mut cluster.nodes {
            if gone.contains(&node.n) {
                continue;
            }
            if let Some(status) = node.child.try_wait()? {
                gone.push(node.n);
                println!(
                    "node {} ({}) ended by itself ({status}); see {}. The other nodes go on and \
                     adopt its live calls (within 5 s of a clean stop, 20 s of a kill).",
                    node.n,
                    node.addr,
                    node.log.display()
                );
            }
        }
        if gone.len() == cluster.nodes.len() {
            bail!(
                "every node ended by itself; see their logs in {}",
                dir.display()
            );
        }
    }
    println!("\nstopping the nodes, then nats-server and PostgreSQL");
    Ok(())
}

/// Which page to open on which node.
fn print_pages(nodes: &[Node]) {
    println!(
        "\nUcClient CRM on {} nodes and PostgreSQL — open:",
        nodes.len()
    );
    for node in nodes {
        let base = format!("http://{}", node.addr);
        let pages: &[(&str, &str)] = match node.n {
            1 => &[(
                "/",
                "two agents side by side (two loopback names), both on node 1",
            )],
            2 => &[(
                "/panel.html",
                "one widget panel on node 2: sign in as another agent and watch node 1's \
                 presence change",
            )],
            3 => &[(
                "/admin",
                "the administration page on node 3 (ana: Acme's customer administrator; \
                 rita: the reseller's)",
            )],
            _ => &[("/panel.html", "one more widget panel")],
        };
        for (path, what) in pages {
            println!("  node {}  {:<36} {what}", node.n, format!("{base}{path}"));
        }
    }
    if nodes.len() < 3 {
        println!("  (node 1 also serves /panel.html and /admin)");
    }
    println!(
        "Demo logins (password `demo`): ana@acme.example, bruno@acme.example (Acme, active \
         mode), dora@globex.example, eli@globex.example (Globex, passive), rita@demo-active.example \
         (reseller admin); see `cargo xtask demo` for the full list."
    );
}

/// What the cluster started, stopped in order when dropped: nodes, nats-server, PostgreSQL.
#[derive(Default)]
struct Cluster {
    nodes: Vec<Node>,
    nats: Option<Child>,
    postgres: Option<Postgres>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            // Not one that ended already: its pid may be another process's by now.
            if matches!(node.child.try_wait(), Ok(None)) {
                terminate(&node.child);
            }
        }
        for node in &mut self.nodes {
            wait_or_kill(&mut node.child, &format!("node {}", node.n));
        }
        if let Some(nats) = &mut self.nats {
            terminate(nats);
            wait_or_kill(nats, "nats-server");
        }
        if let Some(pg) = self.postgres.take() {
            pg.stop();
        }
        println!("stopped");
    }
}

/// One running backend node.
struct Node {
    n: u16,
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Node {
    /// Starts `command` (stderr to `log`) and waits for its `listening on http://…` line.
    fn start(n: u16, mut command: Command, log: &Path) -> Result<Node> {
        let log_file =
            fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting node {n}"))?;
        let stdout = child.stdout.take().context("the node's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on http://") {
                        break addr.trim().parse::<SocketAddr>().with_context(|| {
                            format!("node {n} printed an address that is not one: {line}")
                        })?;
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!(
                        "node {n} ended before it listened; its log ({}):\n{}",
                        log.display(),
                        tail(log)
                    );
                }
            }
        };
        // Whatever else it prints (admin output: nothing) is read so it never blocks on a pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Node {
            n,
            addr,
            child,
            log: log.to_owned(),
        })
    }
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Sends SIGTERM to a child that is still running.
fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Waits up to [`STOP_GRACE`] for a child to end, then kills it.
fn wait_or_kill(child: &mut Child, what: &str) {
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("{what} did not stop within {STOP_GRACE:?}: killed");
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether `server serve --help` lists `option`.
fn has_option(server: &Path, option: &str) -> bool {
    output(command(server).args(["serve", "--help"])).is_some_and(|help| {
        help.split(|c: char| c.is_whitespace() || c == ',')
            .any(|w| w == option)
    })
}

/// Starts nats-server on a free loopback port (its log in `dir/nats.log`); returns it and its URL.
fn start_nats(dir: &Path) -> Result<(Child, String)> {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|b| Path::new(b).exists())
        .context("nats-server is not installed: run cargo xtask setup")?;
    let port = free_port()?;
    let log = dir.join("nats.log");
    let log_file = fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let child = command(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .process_group(0)
        .spawn()
        .context("starting nats-server")?;
    let url = format!("nats://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nats-server did not listen on {url}; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((child, url))
}

/// A loopback port free right now.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
