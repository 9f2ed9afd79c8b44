//! The panel's layout in the CRM frames (issue 11): in both emulated hosts, at 200, 300 and 400 px,
//! in English, European and Brazilian Portuguese, with a call on and the longest profile name, the
//! header and the tab bar each stay on one line, the call card stays pinned at the top however far
//! the panel scrolls, and a screenshot of each (`layout-<host>-<lang>-<width>px.png`) is saved.
//! Needs `cargo xtask package` to have run.

use anyhow::{Result, ensure};
use fantoccini::Client;
use serde_json::{Value, json};
use ucclient_e2e::crm::{DemoBackend, js, open_panel, sign_in_here, start_hosts, wait_js};
use ucclient_e2e::{Browser, artifacts_dir, click, screenshot};

const ANA: &str = "ana@acme.example";

/// The header's children, the tabs and the call cards, measured in the panel: whether the header
/// is one line (every child centred on the same line, no taller than one line), whether the tabs
/// are one row (same top), and where the call cards are once the panel is scrolled to its end.
const MEASURE: &str = r#"
const header = document.querySelector('.uc-header');
const kids = [...header.children].filter(e => e.getBoundingClientRect().width > 0);
const mid = e => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; };
const lineHigh = Math.max(...kids.map(e => e.getBoundingClientRect().height));
const tabs = [...document.querySelectorAll('.uc-tabs [role=tab]')];
const tops = tabs.map(t => t.offsetTop);
const out = {
  headerOneLine: kids.every(e => Math.abs(mid(e) - mid(kids[0])) <= 2) && lineHigh <= 26,
  headerHeight: header.clientHeight,
  tabs: tabs.map(t => t.textContent),
  tabsOneRow: tops.every(t => t === tops[0]) && tabs.every(t => t.clientHeight <= 30),
  scrolls: document.scrollingElement.scrollHeight > innerHeight,
};
scrollTo(0, document.scrollingElement.scrollHeight);
const calls = document.querySelector('.uc-calls').getBoundingClientRect();
out.callsTopScrolled = calls.top;
out.callsBottomScrolled = calls.bottom;
out.scrollY = scrollY;
scrollTo(0, 0);
return out;
"#;

/// Signs ana in in `host`'s panel, with the call `prepare` started already on, and checks and
/// photographs the panel at each width.
async fn check_host(client: &Client, site_host: &str, lang: &str) -> Result<()> {
    for width in [200, 300, 400] {
        // The frame is the CRM's: the console page sets its width.
        js(
            client,
            "window.frameElement.style.width = arguments[0] + 'px'",
            vec![json!(width)],
        )
        .await?;
        wait_js(
            client,
            &format!("document.documentElement.clientWidth <= {width}"),
        )
        .await?;
        // The longest panel (a vertical scrollbar in the frame), as in the issue.
        click(client, "#uc-tab-routing").await?;
        wait_js(client, "document.querySelector('[data-test=routing]')").await?;
        let m = js(client, MEASURE, vec![]).await?;
        let at = format!("{site_host} {lang} {width}px: {m}");
        ensure!(m["headerOneLine"] == json!(true), "header wraps: {at}");
        ensure!(m["tabsOneRow"] == json!(true), "tab bar wraps: {at}");
        ensure!(
            m["tabs"].as_array().map(Vec::len) == Some(6),
            "Routing tab: {at}"
        );
        ensure!(m["scrolls"] == json!(true), "the panel should scroll: {at}");
        ensure!(m["scrollY"].as_f64() > Some(0.0), "did not scroll: {at}");
        // Scrolled to the end, the call card is still at the top of the frame, under the header.
        let (top, bottom) = (
            m["callsTopScrolled"].as_f64().unwrap_or(-1.0),
            m["callsBottomScrolled"].as_f64().unwrap_or(-1.0),
        );
        ensure!(
            top >= m["headerHeight"].as_f64().unwrap_or(0.0) && bottom < 200.0,
            "call card not pinned: {at}"
        );
        screenshot(client, &format!("layout-{site_host}-{lang}-{width}px")).await?;
        if width == 300 {
            // The frame scrolled to its end, as the host shows it: the call card still on top.
            js(
                client,
                "scrollTo(0, document.scrollingElement.scrollHeight)",
                vec![],
            )
            .await?;
            let png = client.screenshot().await?;
            let dir = artifacts_dir();
            std::fs::create_dir_all(&dir)?;
            std::fs::write(
                dir.join(format!("layout-{site_host}-{lang}-{width}px-scrolled.png")),
                png,
            )?;
            js(client, "scrollTo(0, 0)", vec![]).await?;
        }
    }
    Ok(())
}

/// Puts ana on a call (from another session of hers) and on the profile with the longest name.
async fn call_and_long_profile(backend: &DemoBackend) -> Result<()> {
    let (token, _) = backend.login(ANA).await?;
    reqwest::Client::new()
        .put(format!("{}/api/v1/me/presence", backend.url))
        .bearer_auth(&token)
        .json(&json!({"profile": "working_from_home"}))
        .send()
        .await?
        .error_for_status()?;
    let call: Value = backend
        .post(&token, "/calls", &json!({"to": "+351912345678"}))
        .await?;
    ensure!(call["id"].is_string(), "{call}");
    Ok(())
}

async fn one_language(lang: &str, lcid: u32) -> Result<()> {
    let (backend, site) = start_hosts(|o| o.dynamics.user_lcid = Some(lcid)).await?;
    call_and_long_profile(&backend).await?;
    let browser = Browser::start_in(500, 640, lang).await?;
    let r = async {
        let client = &browser.client;
        for host in ["salesforce", "dynamics"] {
            open_panel(client, &site, host).await?;
            sign_in_here(client, ANA).await?;
            let shown = js(
                client,
                "return document.querySelector('.uc-widget').getAttribute('lang')",
                vec![],
            )
            .await?;
            ensure!(shown == json!(lang), "{host} speaks {shown}, not {lang}");
            wait_js(client, "document.querySelector('.uc-calls .uc-card')").await?;
            check_host(client, host, lang).await?;
            // The next host's panel signs in again (the token is kept per browser tab).
            click(client, ".uc-signout").await?;
            wait_js(client, "document.querySelector('[data-test=sign-in]')").await?;
        }
        Ok(())
    }
    .await;
    browser.close().await;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_tabs_stay_on_one_line_in_english() -> Result<()> {
    one_language("en", 1033).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_tabs_stay_on_one_line_in_european_portuguese() -> Result<()> {
    one_language("pt-PT", 2070).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_tabs_stay_on_one_line_in_brazilian_portuguese() -> Result<()> {
    one_language("pt-BR", 1046).await
}
