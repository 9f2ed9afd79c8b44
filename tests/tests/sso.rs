//! Single sign-on end to end (issue 15): the widget in the emulated Salesforce softphone and Dynamics
//! 365 panel (iframes of the hosts' consoles), "Sign in with Acme" opening a popup, the real OpenID
//! provider's login form (npm `oidc-provider`, `server/tests/oidc/provider.mjs`) filled in there,
//! and the panel signed in by the callback page's `postMessage`, with no cookie of ours. Needs
//! `cargo xtask setup` (oidc-provider in .tools/) and `cargo xtask package`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use serde_json::json;
use ucclient_e2e::crm::{
    DemoBackend, DynamicsOptions, HostOptions, HostSite, SalesforceOptions, js, open_panel,
    packages_dir, wait_js,
};
use ucclient_e2e::{click, screenshot, type_into, with_browsers};

/// `oidc-provider` on a free loopback port, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start(redirect_uri: &str) -> Result<Provider> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let tools = root.join(".tools");
        ensure!(
            tools.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not in .tools/: run `cargo xtask setup`"
        );
        let mut child = Command::new("node")
            .arg(root.join("server/tests/oidc/provider.mjs"))
            .args(["0", redirect_uri])
            .env("UCCLIENT_TOOLS", &tools)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting node")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .with_context(|| format!("the provider said {line:?}"))?
            .to_owned();
        Ok(Provider { child, issuer })
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in through the popup the panel opened: switches to it, fills in the provider's login form
/// as ana, and comes back to the panel (in its host's iframe) once the popup has closed itself.
async fn sign_in_in_popup(client: &fantoccini::Client, name: &str) -> Result<()> {
    let panel_window = client.window().await?;
    let start = std::time::Instant::now();
    let popup = loop {
        let popup = client
            .windows()
            .await?
            .into_iter()
            .find(|w| *w != panel_window);
        if let Some(p) = popup {
            break p;
        }
        ensure!(start.elapsed() < ucclient_e2e::WAIT, "no popup opened");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    client.switch_to_window(popup).await?;
    type_into(client, "input[name=login]", "ana@acme.example").await?;
    type_into(client, "input[name=password]", "any password").await?;
    // The provider's page is not the widget's: a plain screenshot of it.
    let png = client.screenshot().await?;
    std::fs::create_dir_all(ucclient_e2e::artifacts_dir())?;
    std::fs::write(
        ucclient_e2e::artifacts_dir().join(format!("sso-{name}-provider-login.png")),
        png,
    )?;
    client
        .find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    // The callback page posts the session to the panel and closes its window.
    let start = std::time::Instant::now();
    while client.windows().await?.len() > 1 {
        ensure!(
            start.elapsed() < ucclient_e2e::WAIT,
            "the popup did not close"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    client.switch_to_window(panel_window).await?;
    client.enter_frame(0).await?;
    Ok(())
}

/// ana signs in with Acme's identity provider from the Salesforce softphone and from the Dynamics
/// panel: the button appears once she types her email, the popup signs her in, and her panel goes
/// live; the widget keeps no cookie of ours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ana_signs_in_with_acme_from_salesforce_and_dynamics() -> Result<()> {
    let (listener, origin) = HostSite::bind().await?;
    let backend = DemoBackend::start_with(&origin, |c| c.sso_allow_http_loopback = true).await?;
    let idp = Provider::start(&format!("{}/api/v1/sso/callback", backend.url))?;
    let site = HostSite::start(
        listener,
        &packages_dir(),
        &HostOptions {
            backend_url: backend.url.clone(),
            salesforce: SalesforceOptions::default(),
            dynamics: DynamicsOptions::default(),
            extra_pages: Vec::new(),
        },
    )
    .await?;
    let (admin, _) = backend.login("ana@acme.example").await?;
    let settings = reqwest::Client::new()
        .put(format!("{}/api/v1/admin/sso", backend.url))
        .bearer_auth(&admin)
        .json(&json!({
            "enabled": true, "issuer": idp.issuer, "client_id": "ucclient",
            "client_secret": "ucclient-secret", "allowed_domains": ["acme.example"],
            "user_claim": "email", "password_login": true, "jit": false
        }))
        .send()
        .await?;
    ensure!(
        settings.status() == 200,
        "PUT /admin/sso: {}",
        settings.status()
    );

    with_browsers(2, 1000, 760, async |b| {
        for (browser, host) in b.iter().zip(["salesforce", "dynamics"]) {
            let client = &browser.client;
            open_panel(client, &site, host).await?;
            // The emulated org is not registered to Acme: the email's domain names the company.
            type_into(client, "#uc-email", "ana@acme.example").await?;
            js(
                client,
                "document.getElementById('uc-email').dispatchEvent(new Event('change'))",
                vec![],
            )
            .await?;
            let label = wait_js(
                client,
                "document.querySelector('[data-test=sso]')?.textContent",
            )
            .await?;
            ensure!(label == json!("Sign in with Acme"), "{host}: {label}");
            screenshot(client, &format!("sso-{host}-sign-in-with-acme")).await?;
            click(client, "[data-test=sso]").await?;
            sign_in_in_popup(client, host).await?;
            wait_js(client, "document.querySelector('.uc-header')").await?;
            wait_js(
                client,
                "document.querySelector('[data-test=connection][data-state=live]')",
            )
            .await?;
            let cookies = js(client, "return document.cookie", vec![]).await?;
            ensure!(cookies == json!(""), "{host}: cookies {cookies}");
            screenshot(client, &format!("sso-{host}-signed-in")).await?;
        }
        Ok(())
    })
    .await
}
