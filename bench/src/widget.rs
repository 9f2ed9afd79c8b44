//! The widget's start-up and click-to-dial timings in headless Chromium, driven through chromedriver
//! with plain WebDriver (JSON over HTTP, on the bench's own HTTP client). The backend serves the
//! built widget; the agent signs in once, then every load resumes the session from sessionStorage.
//!
//! "First badge" is read inside the page: a script injected before any page script (CDP
//! `Page.addScriptToEvaluateOnNewDocument`) watches the DOM and notes `performance.now()` — time since
//! navigation start — when the badge first shows a colour. Any `performance.mark` the widget sets is
//! listed too.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::http::HttpConn;
use crate::stats::median;

/// What the widget measurements found.
#[derive(Debug, Default)]
pub struct WidgetTimings {
    /// Navigation start → badge with a colour, one per load, milliseconds.
    pub first_badge_ms: Vec<f64>,
    /// Host `ucclient:dial` event → a new call card in state dialing, milliseconds.
    pub dial_ms: Vec<f64>,
    /// `performance.mark` names seen on the page.
    pub marks: Vec<String>,
}

impl WidgetTimings {
    /// The Markdown section.
    pub fn render(&self) -> String {
        let fb = median(&self.first_badge_ms);
        let dial = median(&self.dial_ms);
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let marks = if self.marks.is_empty() {
            "the widget sets no `performance.mark`; the badge's first colour is observed from a script injected before the page's own".to_owned()
        } else {
            format!("marks seen: {}", self.marks.join(", "))
        };
        format!(
            "## Widget start-up and click-to-dial (headless Chromium, backend on loopback)\n\n\
| figure | median | loads | every value (ms) |\n|---|---|---|---|\n\
| navigation start → first rendered badge | {fb:.0} ms | {} | {} |\n\
| host `ucclient:dial` event → \"dialing\" rendered | {dial:.0} ms | {} | {} |\n\n\
Target first badge ≤ 300 ms: {} ({marks}).\n\n",
            self.first_badge_ms.len(),
            list(&self.first_badge_ms),
            self.dial_ms.len(),
            list(&self.dial_ms),
            if fb > 0.0 && fb <= 300.0 {
                "met".to_owned()
            } else {
                format!("**missed** ({:+.0} ms)", fb - 300.0)
            }
        )
    }
}

/// A chromedriver process, killed on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One WebDriver session.
struct Session {
    /// chromedriver.
    addr: SocketAddr,
    /// Session id.
    id: String,
}

impl Session {
    /// A WebDriver command; returns `value`.
    async fn cmd(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let mut conn = HttpConn::connect(self.addr).await?;
        let path = format!("/session/{}{path}", self.id);
        let body = body.to_string();
        let resp = conn
            .request(
                method,
                &path,
                None,
                if method == "GET" {
                    None
                } else {
                    Some(body.as_bytes())
                },
            )
            .await?;
        let v: Value = serde_json::from_slice(&resp.body)?;
        if resp.status != 200 {
            bail!("webdriver {path}: {}", v["value"]["message"]);
        }
        Ok(v["value"].clone())
    }

    /// Runs an async script (its last argument is the callback).
    async fn script(&self, script: &str) -> anyhow::Result<Value> {
        self.cmd(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }
}

/// The observer injected into every document.
const OBSERVER: &str = r#"
(() => {
  const seen = () => {
    const b = document.querySelector('[data-test=badge]');
    if (b && b.getAttribute('data-colour')) { window.__ucFirstBadge = performance.now(); return true; }
    return false;
  };
  const start = () => {
    if (seen()) return;
    const mo = new MutationObserver(() => { if (seen()) mo.disconnect(); });
    mo.observe(document.documentElement, {subtree: true, childList: true, attributes: true});
  };
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, {once: true});
})();
"#;

/// Waits (at most 10 s) for the injected observer's figure.
const READ_BADGE: &str = r#"
const done = arguments[arguments.length - 1];
const t0 = Date.now();
(function poll() {
  if (window.__ucFirstBadge !== undefined) done({badge: window.__ucFirstBadge, marks: performance.getEntriesByType('mark').map(m => m.name)});
  else if (Date.now() - t0 > 10000) done({badge: null, signin: !!document.querySelector('[data-test=sign-in]')});
  else setTimeout(poll, 5);
})();
"#;

/// Fires a host dial event and times a new call card in state dialing, then hangs up.
const DIAL: &str = r#"
const done = arguments[arguments.length - 1];
const before = new Set([...document.querySelectorAll('[data-test=call-card]')]);
let t0 = 0;
const found = () => [...document.querySelectorAll('[data-test=call-card][data-state=dialing]')].find(c => !before.has(c));
const mo = new MutationObserver(() => {
  const c = found();
  if (c) { const dt = performance.now() - t0; mo.disconnect(); clearTimeout(to); done(dt); }
});
mo.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
const to = setTimeout(() => { mo.disconnect(); done(null); }, 10000);
t0 = performance.now();
window.dispatchEvent(new CustomEvent('ucclient:dial', {detail: {number: '+351912345678'}}));
"#;

/// Hangs up every call card shown, then waits until none is left (at most 5 s).
const HANG_UP: &str = r#"
const done = arguments[arguments.length - 1];
document.querySelectorAll('[data-test=hangup]').forEach(b => b.click());
const t0 = Date.now();
(function poll() {
  const live = [...document.querySelectorAll('[data-test=call-card]')].filter(c => !['ended','failed'].includes(c.dataset.state));
  if (live.length === 0 || Date.now() - t0 > 5000) done(live.length); else setTimeout(poll, 20);
})();
"#;

/// Measures `loads` page loads of `base/panel.html` and `dials` click-to-dials, signed in as `email`.
pub async fn measure(
    base: &str,
    email: &str,
    loads: usize,
    dials: usize,
) -> anyhow::Result<WidgetTimings> {
    let port = crate::procs::free_port()?;
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting chromedriver")?;
    let _driver = Driver(child);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut tries = 0;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        tries += 1;
        if tries > 200 {
            bail!("chromedriver did not start");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let profile =
        std::env::temp_dir().join(format!("ucclient-bench-chromium-{}", std::process::id()));
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", format!("--user-data-dir={}", profile.display())]
    }}}});
    let mut conn = HttpConn::connect(addr).await?;
    let resp = conn
        .request("POST", "/session", None, Some(caps.to_string().as_bytes()))
        .await?;
    let v: Value = serde_json::from_slice(&resp.body)?;
    let id = v["value"]["sessionId"]
        .as_str()
        .context("no WebDriver session")?
        .to_owned();
    let s = Session { addr, id };
    let result = run(&s, base, email, loads, dials).await;
    let _ = s.cmd("DELETE", "", json!({})).await;
    let _ = std::fs::remove_dir_all(&profile);
    result
}

/// The measurements inside one browser session.
async fn run(
    s: &Session,
    base: &str,
    email: &str,
    loads: usize,
    dials: usize,
) -> anyhow::Result<WidgetTimings> {
    let url = format!("{base}/panel.html");
    s.cmd(
        "POST",
        "/goog/cdp/execute",
        json!({"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": OBSERVER}}),
    )
    .await?;
    s.cmd("POST", "/url", json!({"url": url})).await?;
    // Sign in once through the form; later loads resume from sessionStorage.
    let sign_in = format!(
        r#"const done = arguments[arguments.length - 1];
        const t0 = Date.now();
        (function poll() {{
          const f = document.querySelector('[data-test=sign-in]');
          if (f) {{
            const set = (sel, v) => {{ const i = f.querySelector(sel); i.value = v; i.dispatchEvent(new Event('input', {{bubbles: true}})); }};
            set('input[type=email], input[name=email]', '{email}');
            set('input[type=password]', 'demo');
            f.requestSubmit();
            done(true);
          }} else if (window.__ucFirstBadge !== undefined) done(true);
          else if (Date.now() - t0 > 10000) done(false);
          else setTimeout(poll, 20);
        }})();"#
    );
    if s.script(&sign_in).await? != Value::Bool(true) {
        bail!("the widget showed neither a sign-in form nor a badge");
    }
    let first = s.script(READ_BADGE).await?;
    if first["badge"].is_null() {
        bail!("no badge after signing in: {first}");
    }
    let mut t = WidgetTimings::default();
    for _ in 0..loads {
        s.cmd("POST", "/url", json!({"url": url})).await?;
        let v = s.script(READ_BADGE).await?;
        let Some(ms) = v["badge"].as_f64() else {
            bail!("a reload showed no badge: {v}")
        };
        t.first_badge_ms.push(ms);
        if let Some(m) = v["marks"].as_array() {
            t.marks = m
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect();
        }
    }
    for _ in 0..dials {
        let v = s.script(DIAL).await?;
        if let Some(ms) = v.as_f64() {
            t.dial_ms.push(ms);
        }
        s.script(HANG_UP).await?;
    }
    Ok(t)
}
