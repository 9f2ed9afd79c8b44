//! Salesforce Voice with the backend-hosted connector page (`/crm/salesforce-voice?org=…`) instead
//! of the package's Visualforce page, driven through the demo's buttons of the emulated Voice host
//! (`tests/hosts/salesforce-voice/controls.html`, what `cargo xtask demo` shows a person): the page
//! loads Salesforce's real `scv-connector-base`, the shim and the Voice module from the backend under
//! its strict CSP, and the library accepts `SETUP_CONNECTOR` from the emulated org. Init asks for the
//! sign-in; an inbound call rings and is declined (no wrap-up is asked for a call the agent never
//! took); a dial connects, is held and resumed, and ends (its wrap-up card opens); an Omni-Channel
//! status is set. Screenshots of the connector in the 300 px utility at each step: idle, ringing,
//! after the decline, in the call.
//!
//! Needs the built widget with the Voice module and Salesforce's library beside it
//! (`cargo xtask build-widget --host salesforce-voice`, `UCCLIENT_WIDGET_DIST`) and the packages
//! (`cargo xtask package --no-build`: the site reads the contact center from them).

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use ucclient_e2e::crm::{DemoBackend, js, packages_dir, sign_in_here, wait_js};
use ucclient_e2e::voice::{VoiceOptions, VoiceSite, voice_browser};
use ucclient_e2e::{click, screenshot, widget_dist};

const ANA: &str = "ana@acme.example";
const DIALLED: &str = "+351912345678";

/// The `n`-th (1-based) event named `name` the host recorded, waited for.
async fn nth(client: &fantoccini::Client, name: &str, n: usize) -> Result<Value> {
    wait_js(
        client,
        &format!(
            "window.__eventsOf('{name}').length >= {n} && window.__eventsOf('{name}')[{}]",
            n - 1
        ),
    )
    .await
    .with_context(|| format!("waiting for {name} #{n}"))
}

async fn all_events(client: &fantoccini::Client) -> String {
    js(client, "return JSON.stringify(window.__events)", vec![])
        .await
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// A screenshot of the connector inside the utility (the whole host page; the widget's checks run
/// inside the connector's frame).
async fn shot(client: &fantoccini::Client, name: &str) -> Result<()> {
    client.enter_frame(0).await?;
    let taken = screenshot(client, name).await;
    client.enter_parent_frame().await?;
    taken.map(|_| ())
}

/// Whether the connector shows `css`.
async fn shows(client: &fantoccini::Client, css: &str) -> Result<bool> {
    client.enter_frame(0).await?;
    let found = js(
        client,
        "return !!document.querySelector(arguments[0])",
        vec![json!(css)],
    )
    .await;
    client.enter_parent_frame().await?;
    Ok(found?.as_bool().unwrap_or(false))
}

#[tokio::test]
async fn the_hosted_connector_page_answers_salesforce_voice() -> Result<()> {
    let widget = widget_dist()?;
    let (listener, port) = VoiceSite::bind().await?;
    // The org (the host page's origin) is allowed by the operator's list: the page's `?org=` check
    // and the demo buttons' calls to the backend.
    let backend = DemoBackend::start_with(&VoiceSite::host_origin(port), |c| {
        c.static_dir = Some(widget)
    })
    .await?;
    let options = VoiceOptions {
        backend_url: backend.url.clone(),
        hosted: true,
        controls: true,
    };
    let site = VoiceSite::start_with(listener, &packages_dir(), &options).await?;
    let browser = voice_browser(1000, 800).await?;
    let client = browser.client.clone();
    let outcome = drive(&client, &site, &backend).await;
    if outcome.is_err() {
        eprintln!("events: {}", all_events(&client).await);
    }
    browser.close().await;
    outcome
}

async fn drive(client: &fantoccini::Client, site: &VoiceSite, backend: &DemoBackend) -> Result<()> {
    client.goto(&site.hosted_url()).await?;
    wait_js(client, "window.__setupSent").await?;
    let src = js(
        client,
        "return document.getElementById('connector').src",
        vec![],
    )
    .await?;
    ensure!(
        src.as_str()
            .is_some_and(|s| s.starts_with(&format!("{}/crm/salesforce-voice?org=", backend.url))),
        "{src}"
    );

    // init: the agent is not signed in, so the library shows the connector for the sign-in.
    let login = nth(client, "SHOW_LOGIN", 1).await?;
    ensure!(login["payload"]["loginFrameHeight"] == 420, "{login}");
    client.enter_frame(0).await?;
    sign_in_here(client, ANA).await?;
    client.enter_parent_frame().await?;
    let result = nth(client, "LOGIN_RESULT", 1).await?;
    ensure!(result["payload"]["success"] == true, "{result}");
    nth(client, "CONNECTOR_READY", 1).await?;
    shot(client, "voice-hosted-idle").await?;

    // An inbound call from the demo PBX ("Ring the agent"), declined as Salesforce declines it.
    click(client, "#sv-ring").await?;
    let ringing = nth(client, "CALL_STARTED", 1).await?;
    ensure!(ringing["payload"]["callType"] == "Inbound", "{ringing}");
    wait_js(
        client,
        "document.getElementById('sv-call').textContent.includes('ringing')",
    )
    .await?;
    client.enter_frame(0).await?;
    wait_js(client, "document.querySelector('[data-test=decline]')").await?;
    client.enter_parent_frame().await?;
    shot(client, "voice-hosted-ringing").await?;
    click(client, "[data-send=DECLINE_CALL]").await?;
    let declined = nth(client, "HANGUP", 1).await?;
    ensure!(
        declined["payload"]["callId"] == ringing["payload"]["callId"],
        "{declined}"
    );
    client.enter_frame(0).await?;
    wait_js(client, "!document.querySelector('[data-test=decline]')").await?;
    client.enter_parent_frame().await?;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    ensure!(
        !shows(client, "[data-test=wrap-up]").await?,
        "a declined call asks for no wrap-up"
    );
    shot(client, "voice-hosted-declined").await?;

    // A dial from the buttons: the library publishes CALL_STARTED from dial's answer, the far side
    // answering is the connector's CALL_CONNECTED; hold and resume; end.
    js(
        client,
        "document.getElementById('sv-number').value = arguments[0]; return true",
        vec![json!(DIALLED)],
    )
    .await?;
    click(client, "#sv-dial").await?;
    let started = nth(client, "CALL_STARTED", 2).await?;
    ensure!(started["payload"]["callType"] == "Outbound", "{started}");
    ensure!(started["payload"]["phoneNumber"] == DIALLED, "{started}");
    nth(client, "CALL_CONNECTED", 1).await?;
    wait_js(
        client,
        "document.getElementById('sv-call').textContent.includes('connected')",
    )
    .await?;
    click(client, "[data-send=HOLD]").await?;
    let held = nth(client, "HOLD_TOGGLE", 1).await?;
    ensure!(held["payload"]["isCustomerOnHold"] == true, "{held}");
    click(client, "[data-send=RESUME]").await?;
    nth(client, "HOLD_TOGGLE", 2).await?;
    shot(client, "voice-hosted-in-call").await?;
    click(client, "[data-send=END_CALL]").await?;
    let ended = nth(client, "HANGUP", 2).await?;
    ensure!(
        ended["payload"][0]["callId"] == started["payload"]["callId"],
        "{ended}"
    );
    // A call the agent placed is wrapped up (the card opens: the other side of the decline's check).
    client.enter_frame(0).await?;
    wait_js(client, "document.querySelector('[data-test=wrap-up]')").await?;
    client.enter_parent_frame().await?;
    shot(client, "voice-hosted-wrap-up").await?;

    // Omni-Channel: Busy from the status list.
    js(
        client,
        "document.getElementById('sv-status').value = 'Busy'; return true",
        vec![],
    )
    .await?;
    click(client, "#sv-set-status").await?;
    let set = nth(client, "SET_AGENT_STATUS_RESULT", 1).await?;
    ensure!(set["payload"]["success"] == true, "{set}");
    wait_js(
        client,
        "document.getElementById('sv-omni').textContent === 'Busy'",
    )
    .await?;
    ensure!(
        js(client, "return window.__eventsOf('ERROR').length", vec![]).await? == 0,
        "{}",
        all_events(client).await
    );
    Ok(())
}
