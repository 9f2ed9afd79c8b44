//! Transfers and missed calls end to end (issue 13, transfer): the real backend with the demo
//! data (Sales is dialable on 600), ana's panel in the emulated Salesforce softphone (English) and
//! bruno's in the emulated Dynamics 365 panel (European Portuguese), each 300 px wide.
//!
//! - ana blind-transfers a customer's call to bruno: his panel rings, he answers;
//! - ana warm-transfers another to the Sales group: she consults 600 (its member bruno rings and
//!   answers; the card shows both legs), completes, and bruno talks to the customer; bruno then
//!   consults carla and cancels, by keyboard;
//! - a missed call raises the History tab's count, opening History clears it, and Call back
//!   dials the caller, whose panel rings.
//!
//! Screenshots of the consult state and the missed count, in English and Portuguese, go to
//! `artifacts/screenshots/transfer-*.png` (`screenshot` fails on a panel wider than its frame).

use anyhow::{Result, ensure};
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};
use ucclient_e2e::crm::{js, open_panel, sign_in_here, start_hosts, wait_js};
use ucclient_e2e::{click, screenshot, type_into, with_browsers};

const ANA: &str = "ana@acme.example";
const BRUNO: &str = "bruno@acme.example";
const CALLER: &str = "+351210000001";
const OTHER_CALLER: &str = "+351210000002";

/// A script expression: the text of the first element matching `css` includes `needle`.
fn has_text(css: &str, needle: &str) -> String {
    format!(
        "(document.querySelector({css:?})?.textContent || '').includes({needle:?})",
        css = css,
        needle = needle
    )
}

/// Presses Enter on the element matching `css` (focused first): the keyboard path of a button.
async fn press_enter(client: &fantoccini::Client, css: &str) -> Result<()> {
    let el = client.find(Locator::Css(css)).await?;
    client
        .execute("arguments[0].focus()", vec![serde_json::to_value(&el)?])
        .await?;
    el.send_keys(&Key::Enter.to_string()).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_and_warm_transfers_and_a_missed_call_called_back() -> Result<()> {
    // Bruno's Dynamics 365 speaks European Portuguese (LCID 2070), as his panel then does.
    let (backend, site) = start_hosts(|o| o.dynamics.user_lcid = Some(2070)).await?;
    let (ana_token, ana_id) = backend.login(ANA).await?;
    let (bruno_token, _) = backend.login(BRUNO).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        open_panel(ana, &site, "salesforce").await?;
        open_panel(bruno, &site, "dynamics").await?;
        sign_in_here(ana, ANA).await?;
        sign_in_here(bruno, BRUNO).await?;

        // 1. A blind transfer: the customer's call goes from ana to bruno, whose panel rings.
        let first: Value = backend
            .post(&ana_token, "/pbx/calls/inbound", &json!({"from": CALLER, "to_user": ana_id}))
            .await?;
        click(ana, ".uc-incoming [data-test=answer]").await?;
        wait_js(ana, "document.querySelector('[data-test=call-card][data-state=connected]')").await?;
        click(ana, "[data-test=transfer]").await?;
        type_into(ana, "#uc-transfer-to", "202").await?;
        wait_js(ana, &has_text("#uc-transfer-hint", "Bruno Silva")).await?;
        click(ana, "[data-test=transfer-go]").await?;
        wait_js(ana, &has_text("[data-test=call-card]", "Transferred to Bruno Silva")).await?;
        wait_js(bruno, "document.querySelector('.uc-incoming [data-test=answer]')").await?;
        wait_js(bruno, &has_text(".uc-incoming .uc-card-number", "+351 210 000 001")).await?;
        click(bruno, ".uc-incoming [data-test=answer]").await?;
        wait_js(bruno, "document.querySelector('[data-test=call-card][data-state=connected]')").await?;
        // Ana's part is logged on her CRM like any call that ended.
        let log = wait_js(ana, "window.__opencti.callsOf('saveLog')[0]").await?;
        ensure!(log["args"]["value"]["CallType"] == "Inbound", "{log}");
        ensure!(
            log["args"]["value"]["Subject"] == "Call from +351 210 000 001 (transferred to 202)",
            "the Task says where it went: {log}"
        );
        let calls = backend.get(&ana_token, "/calls?limit=5").await?;
        let transferred = calls
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == first["id"]))
            .cloned()
            .unwrap_or_default();
        ensure!(transferred["transferred_to"] == "202", "{transferred}");
        click(bruno, "[data-test=hangup]").await?;
        wait_js(bruno, "!document.querySelector('[data-test=call-card][data-state=connected]')").await?;

        // 2. A warm transfer to the Sales group (600): consult, a member answers, complete.
        backend
            .post(&ana_token, "/pbx/calls/inbound", &json!({"from": OTHER_CALLER, "to_user": ana_id}))
            .await?;
        click(ana, ".uc-incoming [data-test=answer]").await?;
        wait_js(ana, "document.querySelector('[data-test=call-card][data-state=connected] [data-test=consult]')").await?;
        press_enter(ana, "[data-test=consult]").await?;
        type_into(ana, "#uc-transfer-to", "600").await?;
        wait_js(ana, &has_text("#uc-transfer-hint", "Call Sales (ext 600)")).await?;
        press_enter(ana, "#uc-transfer-to").await?;
        wait_js(ana, &has_text("[data-test=consulting]", "Consulting Sales")).await?;
        // Ana is in Sales, but her own consultation rings only bruno.
        wait_js(bruno, "document.querySelector('.uc-incoming [data-test=answer]')").await?;
        wait_js(bruno, &has_text(".uc-incoming .uc-card-number", "Ana Costa")).await?;
        click(bruno, ".uc-incoming [data-test=answer]").await?;
        wait_js(ana, &has_text("[data-test=consulting]", "Consulting Sales · Connected")).await?;
        wait_js(ana, "!document.querySelector('[data-test=complete-transfer]').disabled").await?;
        let cards = js(
            ana,
            "return document.querySelectorAll('[data-test=call-card][data-state=connected]').length",
            vec![],
        )
        .await?;
        ensure!(cards == json!(2), "both legs have a card: {cards}");
        screenshot(ana, "transfer-consult-en-300px").await?;
        press_enter(ana, "[data-test=complete-transfer]").await?;
        wait_js(ana, &has_text("[data-test=call-card]", "Transferred to Sales")).await?;
        // Bruno now talks to the customer ana had on hold.
        wait_js(bruno, &has_text("[data-test=call-card][data-state=connected] .uc-card-number", "+351 210 000 002")).await?;

        // Bruno consults carla (no panel: she picks up), in Portuguese, and cancels.
        click(bruno, "[data-test=consult]").await?;
        type_into(bruno, "#uc-transfer-to", "203").await?;
        wait_js(bruno, &has_text("#uc-transfer-hint", "Carla Santos")).await?;
        press_enter(bruno, "[data-test=transfer-go]").await?;
        wait_js(bruno, &has_text("[data-test=consulting]", "Em consulta com Carla Santos")).await?;
        wait_js(bruno, "!document.querySelector('[data-test=complete-transfer]').disabled").await?;
        screenshot(bruno, "transfer-consult-pt-PT-300px").await?;
        press_enter(bruno, "[data-test=cancel-consult]").await?;
        wait_js(bruno, "!document.querySelector('[data-test=consulting]') && document.querySelectorAll('[data-test=call-card][data-state=connected]').length === 1").await?;
        wait_js(bruno, &has_text("[data-test=call-card][data-state=connected]", "Em espera")).await?;
        click(bruno, "[data-test=hangup]").await?;
        wait_js(bruno, "!document.querySelector('[data-test=call-card][data-state=connected]')").await?;
        // Bruno's CRM logs the customer's call he took over (Dynamics phonecall, received).
        let created = wait_js(
            bruno,
            "window.__cif.state.created.find(c => (c.data.subject || '').includes('+351 210 000 002'))",
        )
        .await?;
        ensure!(created["data"]["directioncode"] == false, "{created}");

        // 3. Missed calls: a colleague who gives up before an answer leaves one.
        let to_bruno: Value = backend.post(&ana_token, "/calls", &json!({"to": "202"})).await?;
        wait_js(bruno, "document.querySelector('.uc-incoming [data-test=answer]')").await?;
        let id = to_bruno["id"].as_str().unwrap_or_default();
        backend.post(&ana_token, &format!("/calls/{id}/hangup"), &json!({})).await?;
        wait_js(bruno, &has_text("[data-test=missed-count]", "1")).await?;
        // Bruno has two wrap-ups open on top of it all: the pinned calls scroll on their own and
        // the tab row stays in the frame, under them.
        let fit = js(
            bruno,
            "scrollTo(0, 0); const c = document.querySelector('.uc-calls'); \
             return [document.querySelectorAll('[data-test=wrap-up]').length >= 2, \
             c.scrollHeight > c.clientHeight, \
             document.querySelector('.uc-tabs').getBoundingClientRect().bottom <= innerHeight]",
            vec![],
        )
        .await?;
        ensure!(fit == json!([true, true, true]), "pinned calls fill the frame: {fit}");
        screenshot(bruno, "transfer-missed-count-pt-PT-300px").await?;

        let to_ana: Value = backend.post(&bruno_token, "/calls", &json!({"to": "201"})).await?;
        wait_js(ana, "document.querySelector('.uc-incoming [data-test=answer]')").await?;
        let id = to_ana["id"].as_str().unwrap_or_default();
        backend.post(&bruno_token, &format!("/calls/{id}/hangup"), &json!({})).await?;
        wait_js(ana, &has_text("[data-test=missed-count]", "1 missed calls not seen")).await?;
        screenshot(ana, "transfer-missed-count-en-300px").await?;
        let missed = backend.get(&ana_token, "/calls/missed").await?;
        ensure!(missed["count"] == 1, "{missed}");

        // Opening History is seeing them: the count goes, here and on the backend.
        click(ana, "#uc-tab-history").await?;
        wait_js(ana, "!document.querySelector('[data-test=missed-count]')").await?;
        let missed = backend.get(&ana_token, "/calls/missed").await?;
        ensure!(missed["count"] == 0, "{missed}");
        ensure!(
            js(bruno, "return !!document.querySelector('[data-test=missed-count]')", vec![]).await? == json!(true),
            "bruno's own count is his"
        );
        wait_js(ana, &has_text("[data-test=call-back]", "Call back")).await?;
        screenshot(ana, "transfer-missed-row-en-300px").await?;
        // Call back, one click (Enter on the focused button): bruno's panel rings, from ana.
        press_enter(ana, "[data-test=call-back]").await?;
        wait_js(bruno, "document.querySelector('.uc-incoming [data-test=answer]')").await?;
        wait_js(bruno, &has_text(".uc-incoming .uc-card-number", "Ana Costa")).await?;
        Ok(())
    })
    .await
}
