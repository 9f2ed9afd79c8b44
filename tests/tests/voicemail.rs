//! Voicemail end to end (issue 13): the real backend (demo data, a 5 s ring timeout), the widget as
//! the Salesforce and Dynamics 365 packages load it, and headless Chromium at 300 px. An outside
//! call to bruno that he does not answer leaves the PBX's generated message; his message-waiting
//! count rises in both of his open panels (Salesforce in English, Dynamics in European
//! Portuguese); he plays it in the panel (the audio element reports it played); heard, the count
//! falls in both; and the call is logged once, across both CRMs, as "Voicemail from …". Needs
//! `cargo xtask package` to have run.

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use ucclient_e2e::crm::{
    DemoBackend, DynamicsOptions, HostOptions, HostSite, SalesforceOptions, js, open_panel,
    packages_dir, sign_in_here, wait_js,
};
use ucclient_e2e::{click, screenshot, with_browsers};

const ANA: &str = "ana@acme.example";
const BRUNO: &str = "bruno@acme.example";
const CALLER: &str = "+351210000001";
const RUI_SF: &str = "003000000000002AAA";
const RUI_DYN: &str = "11111111-2222-3333-4444-555555555555";

/// The badge's count shows `n` (visible: not hidden, the number in its text).
fn count_shows(n: u32) -> String {
    format!(
        "(() => {{ const b = document.querySelector('[data-test=mwi]'); \
         return b && !b.hidden && b.querySelector('[aria-hidden=true]').textContent === '✉ {n}'; }})()"
    )
}

const COUNT_GONE: &str = "document.querySelector('[data-test=mwi]')?.hidden === true";

/// What both CRMs recorded as call logs in this page: Open CTI `saveLog` values and CIF
/// `createRecord("phonecall")` data (each page has one of the two).
const LOGS: &str = "return [].concat(
  window.__opencti ? window.__opencti.callsOf('saveLog').map(c => ({crm: 'salesforce', subject: c.args.value.Subject, description: c.args.value.Description, call: c.args.value.CallObject})) : [],
  window.__cif ? window.__cif.state.created.map(c => ({crm: 'dynamics', subject: c.data.subject, description: c.data.description})) : []
);";

/// Whether the message's audio element has played (some of it, or all of it).
const PLAYED: &str = "(() => { const a = document.querySelector('[data-test=vm-audio]'); \
     return a && a.played.length > 0 && (a.currentTime > 0 || a.ended); })()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_call_leaves_a_message_counted_in_both_panels_played_and_logged_once()
-> Result<()> {
    let (listener, origin) = HostSite::bind().await?;
    let backend = DemoBackend::start_with(&origin, |c| c.ring_timeout_secs = 5).await?;
    let options = HostOptions {
        backend_url: backend.url.clone(),
        salesforce: SalesforceOptions {
            search_results: json!({
                CALLER: {RUI_SF: {"Id": RUI_SF, "Name": "Rui Costa", "RecordType": "Contact"}}
            }),
            ..SalesforceOptions::default()
        },
        dynamics: DynamicsOptions {
            // European Portuguese (LCID 2070): the second panel speaks it.
            user_lcid: Some(2070),
            contacts: vec![json!({
                "contactid": RUI_DYN, "fullname": "Rui Costa", "telephone1": CALLER
            })],
            ..DynamicsOptions::default()
        },
        extra_pages: Vec::new(),
    };
    let site = HostSite::start(listener, &packages_dir(), &options).await?;
    let (ana_token, _) = backend.login(ANA).await?;
    let (bruno_token, bruno_id) = backend.login(BRUNO).await?;
    with_browsers(2, 300, 640, async |b| {
        let (sf, dy) = (&b[0].client, &b[1].client);
        open_panel(sf, &site, "salesforce").await?;
        open_panel(dy, &site, "dynamics").await?;
        sign_in_here(sf, BRUNO).await?;
        sign_in_here(dy, BRUNO).await?;
        wait_js(dy, "window.__cif.state.clickToAct").await?;
        for page in [sf, dy] {
            ensure!(
                js(page, &format!("return {COUNT_GONE}"), vec![]).await? == json!(true),
                "an empty mailbox shows no count"
            );
        }

        // An outside caller rings bruno; nobody answers; after the ring time it goes to his
        // mailbox with the PBX's generated two-second message.
        let call = backend
            .post(
                &ana_token,
                "/pbx/calls/inbound",
                &json!({"from": CALLER, "to_user": bruno_id}),
            )
            .await?;
        let call_id = call["id"].as_str().context("call id")?.to_owned();
        ensure!(call["state"] == "ringing", "{call}");
        for page in [sf, dy] {
            wait_js(page, &count_shows(1)).await?;
        }
        let label = js(
            sf,
            "return document.querySelector('[data-test=mwi] .uc-sr').textContent",
            vec![],
        )
        .await?;
        assert_eq!(label, "1 new voicemail message");
        let label = js(
            dy,
            "return document.querySelector('[data-test=mwi] .uc-sr').textContent",
            vec![],
        )
        .await?;
        assert_eq!(label, "1 mensagem de voz nova");
        screenshot(sf, "voicemail-badge-count-en-300px").await?;
        screenshot(dy, "voicemail-badge-count-pt-PT-300px").await?;
        let mailbox = backend.get(&bruno_token, "/voicemail").await?;
        assert_eq!(mailbox["unheard"], 1);
        assert_eq!(mailbox["messages"][0]["call_id"], json!(call_id));

        // Logged once across both CRMs, as the message.
        let logs = wait_logs(sf, dy, 1).await?;
        let log = &logs[0];
        let subject = log["subject"].as_str().unwrap_or_default();
        ensure!(
            subject == "Voicemail from Rui Costa" || subject == "Voicemail from +351 210 000 001",
            "{logs:?}"
        );
        let description = log["description"].as_str().unwrap_or_default();
        ensure!(
            description.contains("message of 0:02"),
            "the message's length: {logs:?}"
        );

        // The Voicemail tab lists it; he plays it in the panel (a click, as a person does).
        click(sf, "#uc-tab-voicemail").await?;
        wait_js(
            sf,
            "document.querySelector('[data-test=vm-row][data-heard=false]')",
        )
        .await?;
        let tab = js(
            sf,
            "return document.querySelector('#uc-tab-voicemail').textContent",
            vec![],
        )
        .await?;
        assert_eq!(tab, "Voicemail1, 1 new voicemail message");
        let row = js(
            sf,
            "return document.querySelector('[data-test=vm-row]').textContent",
            vec![],
        )
        .await?;
        let row = row.as_str().unwrap_or_default();
        ensure!(
            row.contains("0:02") && row.contains("New"),
            "the row says how long and new: {row}"
        );
        click(sf, "[data-test=vm-play]").await?;
        wait_js(
            sf,
            "document.querySelector('[data-test=vm-audio]')?.src.startsWith('blob:')",
        )
        .await?;
        wait_js(sf, PLAYED).await?;
        screenshot(sf, "voicemail-tab-playing-en-300px").await?;
        // Played: heard, and the count falls in both panels.
        for page in [sf, dy] {
            wait_js(page, COUNT_GONE).await?;
        }
        wait_js(
            sf,
            "document.querySelector('[data-test=vm-row][data-heard=true]')",
        )
        .await?;
        let mailbox = backend.get(&bruno_token, "/voicemail").await?;
        assert_eq!(mailbox["unheard"], 0);
        assert_eq!(mailbox["messages"][0]["heard"], true);

        // The Portuguese panel plays it too (heard already: nothing changes but the player).
        click(dy, "#uc-tab-voicemail").await?;
        wait_js(
            dy,
            "document.querySelector('[data-test=vm-row][data-heard=true]')",
        )
        .await?;
        click(dy, "[data-test=vm-play]").await?;
        wait_js(dy, PLAYED).await?;
        let row = js(
            dy,
            "return document.querySelector('[data-test=vm-row]').textContent",
            vec![],
        )
        .await?;
        ensure!(row.as_str().unwrap_or_default().contains("Ouvida"), "{row}");
        screenshot(dy, "voicemail-tab-playing-pt-PT-300px").await?;

        // Still exactly one log, after everything.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let logs = all_logs(sf, dy).await?;
        ensure!(logs.len() == 1, "one log across both CRMs: {logs:?}");
        Ok(())
    })
    .await
}

/// The call logs of both pages.
async fn all_logs(sf: &fantoccini::Client, dy: &fantoccini::Client) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    for page in [sf, dy] {
        let logs: Vec<Value> = serde_json::from_value(js(page, LOGS, vec![]).await?)?;
        all.extend(logs);
    }
    Ok(all)
}

/// Waits until the two pages have logged `n` calls between them.
async fn wait_logs(
    sf: &fantoccini::Client,
    dy: &fantoccini::Client,
    n: usize,
) -> Result<Vec<Value>> {
    let start = std::time::Instant::now();
    loop {
        let logs = all_logs(sf, dy).await?;
        if logs.len() >= n {
            return Ok(logs);
        }
        ensure!(
            start.elapsed() < ucclient_e2e::WAIT,
            "{n} call logs never came: {logs:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
