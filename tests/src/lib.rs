//! End-to-end test support: the real backend binary, the built widget, and headless Chromium driven
//! through chromedriver (WebDriver, `fantoccini`).
//!
//! - [`server_bin`] / [`widget_dist`]: where the backend binary and the built widget are (from
//!   `UCCLIENT_SERVER_BIN` and `UCCLIENT_WIDGET_DIST`); a missing one fails the test with a message
//!   saying how to provide it — a test never passes silently without them.
//! - [`Server`]: `ucclient-server demo` on `127.0.0.1:0` in a fresh directory; kill and restart it with
//!   `serve` on the same database and port.
//! - [`Browser`]: a chromedriver on a free port and one Chromium session with a fresh profile; always
//!   [`Browser::close`] it.
//! - [`screenshot`], [`wait_until`], [`text_of`], [`click`], [`type_into`]: the helpers the tests share.
//!
//! Everything talks to 127.0.0.1 only and writes only in temporary directories and `artifacts/`.

pub mod crm;
pub mod media;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a test waits for something to appear before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// The backend binary (`UCCLIENT_SERVER_BIN`).
pub fn server_bin() -> Result<PathBuf> {
    let p = std::env::var_os("UCCLIENT_SERVER_BIN").ok_or_else(|| {
        anyhow!(
            "UCCLIENT_SERVER_BIN is not set: build the backend (cargo build -p ucclient-server) and \
             point it at the binary, or run `cargo xtask test`"
        )
    })?;
    let p = PathBuf::from(p);
    if !p.is_file() {
        bail!("UCCLIENT_SERVER_BIN={} is not a file", p.display());
    }
    Ok(p)
}

/// The built widget directory (`UCCLIENT_WIDGET_DIST`, holding `panel.html` and `pkg/`).
pub fn widget_dist() -> Result<PathBuf> {
    let p = std::env::var_os("UCCLIENT_WIDGET_DIST").ok_or_else(|| {
        anyhow!(
            "UCCLIENT_WIDGET_DIST is not set: build the widget (cargo xtask build-widget) and point \
             it at dist/widget, or run `cargo xtask test`"
        )
    })?;
    let p = PathBuf::from(p);
    if !p.join("panel.html").is_file() || !p.join("pkg/ucclient_widget.js").is_file() {
        bail!(
            "UCCLIENT_WIDGET_DIST={} has no panel.html and pkg/ucclient_widget.js",
            p.display()
        );
    }
    Ok(p)
}

/// Where screenshots go: `<workspace>/artifacts/screenshots/`.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../artifacts/screenshots")
        .to_path_buf()
}

/// A running backend.
pub struct Server {
    /// The process.
    child: Option<Child>,
    /// Its address.
    pub addr: SocketAddr,
    /// The temporary directory of its database and log.
    dir: tempfile::TempDir,
    /// Call timings given to `demo`, reused by restarts.
    timings: Option<String>,
    /// Its `--database` (a SQLite file in `dir`, or another database's URL).
    database: PathBuf,
}

impl Server {
    /// `demo` (fresh database with the API.md demo data) on a free port, serving the widget.
    pub async fn demo(call_timings: Option<&str>) -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut s = Server {
            child: None,
            addr: "127.0.0.1:0".parse()?,
            database: dir.path().join("x.db"),
            dir,
            timings: call_timings.map(str::to_owned),
        };
        s.spawn("demo", "127.0.0.1:0").await?;
        Ok(s)
    }

    /// One node of several sharing `database` (a `postgres://` URL): `demo` seeds it, `serve`
    /// serves what is there; on a free port, serving the widget.
    pub async fn node(command: &str, database: &str) -> Result<Server> {
        let mut s = Server {
            child: None,
            addr: "127.0.0.1:0".parse()?,
            dir: tempfile::tempdir()?,
            timings: None,
            database: database.into(),
        };
        s.spawn(command, "127.0.0.1:0").await?;
        Ok(s)
    }

    /// `http://127.0.0.1:PORT` — the origin of the first agent.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://localhost:PORT` — a second origin (its own sessionStorage).
    pub fn other_url(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    async fn spawn(&mut self, command: &str, listen: &str) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))?;
        let mut cmd = Command::new(server_bin()?);
        cmd.arg(command)
            .arg("--listen")
            .arg(listen)
            .arg("--database")
            .arg(&self.database)
            .arg("--static-dir")
            .arg(widget_dist()?);
        if let Some(t) = &self.timings {
            cmd.arg("--call-timings").arg(t);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .context("starting the backend")?;
        let stdout = child.stdout.take().context("backend stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(a) = line.trim().strip_prefix("listening on http://") {
                    return Ok::<_, anyhow::Error>(a.parse::<SocketAddr>()?);
                }
            }
            bail!(
                "the backend exited before listening; see {}",
                self.log_path().display()
            )
        })
        .await
        .context("the backend did not print `listening on` in time")??;
        // Keep draining stdout so the backend never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.addr = addr;
        self.child = Some(child);
        Ok(())
    }

    /// The backend's log file (stderr).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Kills the process at once (no graceful shutdown), as a crash would.
    pub async fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().await?;
        }
        Ok(())
    }

    /// Starts `serve` on the same database and the same port (retrying while the port is released).
    pub async fn restart(&mut self) -> Result<()> {
        self.kill().await?;
        let listen = self.addr.to_string();
        let start = Instant::now();
        loop {
            match self.spawn("serve", &listen).await {
                Ok(()) => return Ok(()),
                Err(e) if start.elapsed() > WAIT => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Makes `ring` rustls's process-wide crypto provider (fantoccini and reqwest bring in two, and
/// rustls then refuses to guess). Safe to call any number of times.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One headless Chromium session behind its own chromedriver.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// chromedriver.
    driver: Child,
    /// The fresh Chromium profile.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium window of `width` × `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Result<Browser> {
        Browser::start_in(width, height, "en-US").await
    }

    /// Like [`Browser::start`], with the browser speaking `lang` (a BCP 47 tag: its UI language and
    /// `navigator.languages`, what a page without a host locale goes by).
    pub async fn start_in(width: u32, height: u32, lang: &str) -> Result<Browser> {
        Browser::start_with(width, height, lang, &[], false).await
    }

    /// Like [`Browser::start_in`], with more Chromium switches (`extra_args`) and, with
    /// `accept_insecure_certs`, the WebDriver capability that lets a test's own certificate pass.
    pub async fn start_with(
        width: u32,
        height: u32,
        lang: &str,
        extra_args: &[&str],
        accept_insecure_certs: bool,
    ) -> Result<Browser> {
        install_crypto_provider();
        let port = free_port()?;
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting /usr/bin/chromedriver")?;
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if start.elapsed() > WAIT {
                bail!("chromedriver did not listen on {port}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir()?;
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            format!("--lang={lang}"),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ]
        .into_iter()
        .chain(extra_args.iter().map(|a| (*a).to_owned()))
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": {"intl.accept_languages": lang},
            }),
        );
        if accept_insecure_certs {
            caps.insert("acceptInsecureCerts".into(), serde_json::Value::Bool(true));
        }
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a Chromium session")?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (closing Chromium) and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

/// Runs `body` with `n` browsers and closes them all whatever happens.
pub async fn with_browsers<F>(n: usize, width: u32, height: u32, body: F) -> Result<()>
where
    F: AsyncFnOnce(&[Browser]) -> Result<()>,
{
    let mut browsers = Vec::new();
    for _ in 0..n {
        match Browser::start(width, height).await {
            Ok(b) => browsers.push(b),
            Err(e) => {
                for b in browsers {
                    b.close().await;
                }
                return Err(e);
            }
        }
    }
    let r = body(&browsers).await;
    for b in browsers {
        b.close().await;
    }
    r
}

/// The panel's width in the screenshots: a Salesforce softphone's. Headless Chromium will not make
/// a window narrower than 500 px, so the panel's container is narrowed instead.
pub const PANEL_WIDTH: u32 = 300;

/// Opens `<origin>/panel.html` with the panel's container [`PANEL_WIDTH`] wide.
pub async fn open_panel(client: &Client, origin: &str) -> Result<()> {
    client.goto(&format!("{origin}/panel.html")).await?;
    client
        .execute(
            &format!("document.getElementById('app').style.width = '{PANEL_WIDTH}px';"),
            vec![],
        )
        .await?;
    Ok(())
}

/// Saves a PNG of the panel (`#app`, or the whole page if there is none) as
/// `artifacts/screenshots/<name>.png`, after checking the widget is there (a page without
/// `.uc-widget` fails: a screenshot of nothing proves nothing) and does not scroll sideways: neither
/// it nor its container overflows, and no element of it reaches past the container's content edge
/// (the error names the worst one). What an element inside the widget clips or scrolls sideways (the
/// tab bar at 200 px) may reach past it: it is not on screen.
pub async fn screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let overflow = client
        .execute(
            "const w = document.querySelector('.uc-widget'); \
             if (!w) return [-1, '']; \
             const p = w.parentElement; \
             const right = p.getBoundingClientRect().left + p.clientLeft + p.clientWidth; \
             let worst = [Math.max(w.scrollWidth - w.clientWidth, \
               p.scrollWidth - p.clientWidth), 'the panel']; \
             const all = [...w.querySelectorAll('*')]; \
             const clips = all.filter(e => getComputedStyle(e).overflowX !== 'visible'); \
             for (const e of all) { \
               if (clips.some(c => c !== e && c.contains(e))) continue; \
               const r = e.getBoundingClientRect(); \
               const past = Math.ceil(r.right - right); \
               if (r.width > 0 && past > worst[0]) \
                 worst = [past, e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')]; \
             } \
             return worst;",
            vec![],
        )
        .await?;
    let by = overflow[0].as_i64().unwrap_or(-1);
    if by < 0 {
        bail!("{name}: the page has no .uc-widget (the widget did not mount)");
    }
    if by > 0 {
        bail!(
            "{name}: the widget scrolls sideways by {by} px ({})",
            overflow[1]
        );
    }
    let png = match client.find(Locator::Css("#app")).await {
        Ok(el) => el.screenshot().await?,
        Err(_) => client.screenshot().await?,
    };
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}

/// Polls `check` until it answers true or [`WAIT`] passes; fails with `what` and the panel's text.
pub async fn wait_until<F>(client: &Client, what: &str, mut check: F) -> Result<()>
where
    F: AsyncFnMut(&Client) -> Result<bool>,
{
    let start = Instant::now();
    loop {
        if check(client).await.unwrap_or(false) {
            return Ok(());
        }
        if start.elapsed() > WAIT {
            let text = text_of(client, "body").await.unwrap_or_default();
            bail!("timed out waiting for {what}; the page shows: {text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element `css` exists and its text contains `needle`.
pub async fn wait_text(client: &Client, css: &str, needle: &str) -> Result<()> {
    wait_until(client, &format!("{css} to contain {needle:?}"), async |c| {
        Ok(text_of(c, css).await?.contains(needle))
    })
    .await
}

/// Waits until the element `css` has the attribute `name` equal to `value`.
pub async fn wait_attr(client: &Client, css: &str, name: &str, value: &str) -> Result<()> {
    wait_until(client, &format!("{css}[{name}={value}]"), async |c| {
        let el = c.find(Locator::Css(css)).await?;
        Ok(el.attr(name).await?.as_deref() == Some(value))
    })
    .await
}

/// The text of the first element matching `css`.
pub async fn text_of(client: &Client, css: &str) -> Result<String> {
    Ok(client.find(Locator::Css(css)).await?.text().await?)
}

/// Clicks the first element matching `css`, waiting for it to appear.
pub async fn click(client: &Client, css: &str) -> Result<()> {
    wait_until(client, css, async |c| {
        Ok(c.find(Locator::Css(css)).await.is_ok())
    })
    .await?;
    let el = client.find(Locator::Css(css)).await?;
    // As an agent would: bring it out from under the pinned top (header, calls, tabs) and the
    // routing editor's Save bar first. WebDriver scrolls only what is outside the viewport, and
    // would click the bar covering it. The middle of the frame is clear of both.
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    el.click().await?;
    Ok(())
}

/// Types `text` into the input matching `css` (after clearing it).
pub async fn type_into(client: &Client, css: &str, text: &str) -> Result<()> {
    let el = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await?;
    el.clear().await?;
    el.send_keys(text).await?;
    Ok(())
}

/// Opens the panel page at `origin` and signs in as `email` (password `demo`).
pub async fn sign_in(client: &Client, origin: &str, email: &str) -> Result<()> {
    open_panel(client, origin).await?;
    type_into(client, "#uc-email", email).await?;
    type_into(client, "#uc-password", "demo").await?;
    click(client, "form[data-test=sign-in] button[type=submit]").await?;
    Ok(())
}

// --- admin-page: the administration page at `/admin` ---

/// The built administration page: `admin/` beside `UCCLIENT_WIDGET_DIST` (`cargo xtask build-admin`
/// writes `dist/admin` next to `dist/widget`), where the backend looks for it by default.
pub fn admin_dist() -> Result<PathBuf> {
    let widget = widget_dist()?;
    let dir = widget
        .parent()
        .map(|p| p.join("admin"))
        .ok_or_else(|| anyhow!("UCCLIENT_WIDGET_DIST has no parent directory"))?;
    if !dir.join("index.html").is_file() || !dir.join("pkg/ucclient_admin.js").is_file() {
        bail!(
            "{} has no built administration page: run `cargo xtask build-admin`",
            dir.display()
        );
    }
    Ok(dir)
}

/// Opens `<origin>/admin` and signs in as `email` (password `demo`).
pub async fn admin_sign_in(client: &Client, origin: &str, email: &str) -> Result<()> {
    client.goto(&format!("{origin}/admin")).await?;
    type_into(client, "#email", email).await?;
    type_into(client, "#password", "demo").await?;
    click(client, "form[data-test=sign-in] button[type=submit]").await
}

/// Saves a PNG of the whole page (the window grown to the page's height for the shot) as
/// `artifacts/screenshots/<name>.png`, after checking the page does not scroll sideways (a table
/// may scroll inside its own box).
pub async fn page_screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let sideways = client
        .execute(
            "const d = document.documentElement; return d.scrollWidth - d.clientWidth;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or(0);
    if sideways > 0 {
        bail!("{name}: the page scrolls sideways by {sideways} px");
    }
    let (width, height) = client.get_window_size().await?;
    // The window's height includes the browser's own bars: grow it by the page's overflow only.
    let overflow = client
        .execute(
            "window.scrollTo(0, 0); \
             return document.documentElement.scrollHeight - window.innerHeight;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or(0)
        .clamp(0, 3000) as u32;
    let tall = height as u32 + overflow;
    client.set_window_size(width as u32, tall).await?;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let png = client.screenshot().await;
    client.set_window_size(width as u32, height as u32).await?;
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png?)?;
    Ok(path)
}

// --- voice-connector: the emulated Salesforce Voice host (tests/src/voice.rs) ---
pub mod voice;
