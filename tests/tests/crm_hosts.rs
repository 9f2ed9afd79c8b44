//! The CRM scenarios of issue 5, end to end: the real backend (demo data), the widget loaded exactly as
//! each package loads it (Salesforce: the Visualforce page + static resource; Dynamics 365: the
//! solution's web resources, wasm carried in JavaScript), the emulated Open CTI and CIF libraries of
//! `tests/hosts/`, and headless Chromium at 300 px wide. Needs `cargo xtask package` to have run.

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use ucclient_e2e::crm::{js, open_panel, sign_in_here, start_hosts, wait_js};
use ucclient_e2e::{click, screenshot, type_into, with_browsers};

const ANA: &str = "ana@acme.example";
const BRUNO: &str = "bruno@acme.example";
const RITA_SF: &str = "003000000000001AAA";
const RITA_DYN: &str = "11111111-2222-3333-4444-555555555555";
const CALLER: &str = "+351210000001";

fn colleague(id: &str, colour: &str) -> String {
    format!("document.querySelector('li.uc-colleague[data-user=\"{id}\"] .uc-{colour}')")
}

/// Scenario 1 (and the utility item): ana dials from a Salesforce record, bruno in Dynamics sees her
/// busy, ana hangs up, and `saveLog` got a completed Task on the record with the number and duration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_click_to_dial_places_the_call_and_logs_a_task() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (ana_token, ana_id) = backend.login(ANA).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, bruno) = (&b[0], &b[1]);
        open_panel(&ana.client, &site, "salesforce").await?;
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&ana.client, ANA).await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        wait_js(&ana.client, "window.__opencti.state.clickToDialEnabled && window.__opencti.state.initialized")
        .await?;
        // The listener was registered before click-to-dial was switched on.
        let order = js(&ana.client, "return window.__opencti.calls.map(c => c.method)", vec![])
            .await?;
        let order: Vec<String> = serde_json::from_value(order)?;
        let pos = |m: &str| order.iter().position(|x| x == m).with_context(|| format!("no {m}: {order:?}"));
        ensure!(pos("getCallCenterSettings")? < pos("onClickToDial")?, "order: {order:?}");
        ensure!(pos("onClickToDial")? < pos("enableClickToDial")?, "order: {order:?}");
        ensure!(pos("enableClickToDial")? < pos("notifyInitializationComplete")?, "order: {order:?}");
        // ana's presence is on the utility item.
        wait_js(&ana.client, "window.__opencti.callsOf('setSoftphoneItemLabel').length > 0")
            .await?;

        click(&bruno.client, "#uc-tab-directory").await?;
        wait_js(&bruno.client, &colleague(&ana_id, "available")).await?;

        let delivered = js(&ana.client,
                "return window.__opencti.fireClickToDial({number: '+351 912 345 678', recordId: arguments[0], \
                 recordName: 'Rita Lopes', objectType: 'Contact', params: ''})",
                vec![json!(RITA_SF)],
            )
            .await?;
        ensure!(delivered == json!(true), "Open CTI had no listener");
        wait_js(&ana.client, "document.querySelector('[data-test=hangup]')").await?;
        wait_js(&bruno.client, &colleague(&ana_id, "busy")).await?;
        wait_js(&ana.client, "window.__opencti.callsOf('setSoftphoneItemIcon').some(c => c.args.key === 'call')")
        .await?;
        screenshot(&ana.client, "salesforce-softphone-on-call-300px").await?;
        screenshot(&bruno.client, "dynamics-panel-directory-ana-busy-300px").await?;

        // Talking (the timer runs) before hanging up, so the logged duration is a real one.
        wait_js(&ana.client, "document.querySelector('.uc-timer')").await?;
        click(&ana.client, "[data-test=hangup]").await?;
        let log = wait_js(&ana.client, "window.__opencti.callsOf('saveLog')[0]")
            .await?;
        wait_js(&bruno.client, &colleague(&ana_id, "available")).await?;

        let calls = backend.get(&ana_token, "/calls?limit=1").await?;
        let call = &calls[0];
        assert_eq!(call["to"], "+351912345678");
        assert_eq!(call["context"]["crm"], "salesforce");
        assert_eq!(call["context"]["record_id"], RITA_SF);
        let task = &log["args"]["value"];
        assert_eq!(task["entityApiName"], "Task");
        assert_eq!(task["Status"], "Completed");
        assert_eq!(task["CallType"], "Outbound");
        assert_eq!(task["WhoId"], RITA_SF);
        assert_eq!(task["CallObject"], call["id"]);
        // Named after the record the click came from.
        assert_eq!(task["Subject"], "Call to Rita Lopes", "{task}");
        assert_eq!(task["CallDurationInSeconds"], json!(talk_seconds(call)?));
        // One call, one Task.
        let logs = js(&ana.client, "return window.__opencti.callsOf('saveLog').length", vec![]).await?;
        assert_eq!(logs, json!(1));
        Ok(())
    })
    .await
}

/// Whole seconds between `answered_at` and `ended_at` of an API `Call` (0 when never answered).
fn talk_seconds(call: &Value) -> Result<i64> {
    let t = |k: &str| -> Result<Option<chrono::DateTime<chrono::FixedOffset>>> {
        call[k]
            .as_str()
            .map(|s| chrono::DateTime::parse_from_rfc3339(s).with_context(|| format!("{k}: {s}")))
            .transpose()
    };
    Ok(match (t("answered_at")?, t("ended_at")?) {
        (Some(a), Some(e)) => (e - a).num_seconds().max(0),
        _ => 0,
    })
}

/// Scenario 2: bruno switches to "In a meeting" in Dynamics; ana's directory in Salesforce and the PBX
/// view (DND on, active mode) follow live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_change_in_dynamics_reaches_salesforce_and_the_pbx() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (ana_token, _) = backend.login(ANA).await?;
    let (_, bruno_id) = backend.login(BRUNO).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, bruno) = (&b[0], &b[1]);
        open_panel(&ana.client, &site, "salesforce").await?;
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&ana.client, ANA).await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        click(&ana.client, "#uc-tab-directory").await?;
        wait_js(&ana.client, &colleague(&bruno_id, "available")).await?;
        let before = backend
            .get(&ana_token, &format!("/pbx/users/{bruno_id}"))
            .await?;
        assert_eq!(before["dnd"], false);

        click(&bruno.client, "#uc-tab-presence").await?;
        click(
            &bruno.client,
            "button.uc-profile[data-profile=in_a_meeting]",
        )
        .await?;
        wait_js(&ana.client, &colleague(&bruno_id, "busy")).await?;
        screenshot(&bruno.client, "dynamics-panel-in-a-meeting-300px").await?;
        screenshot(&ana.client, "salesforce-softphone-directory-300px").await?;

        let mut dnd = Value::Null;
        for _ in 0..50 {
            dnd = backend
                .get(&ana_token, &format!("/pbx/users/{bruno_id}"))
                .await?["dnd"]
                .clone();
            if dnd == json!(true) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(dnd, json!(true), "In a meeting turns DND on in active mode");
        Ok(())
    })
    .await
}

/// Scenario 3: a Dynamics click-to-act places a call; after hang-up a `phonecall` was created
/// regarding the one contact with that number; the panel speaks the user's language (LCID 2070).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamics_click_to_act_places_the_call_and_creates_a_phonecall() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.dynamics.user_lcid = Some(2070);
        o.dynamics.contacts = vec![
            json!({
                // As agents type numbers: formatted, not E.164.
                "contactid": RITA_DYN, "fullname": "Rita Lopes", "telephone1": "+351 912 345 678"
            }),
            json!({
                // Shares the last digits, is another number: never linked.
                "contactid": "99999999-2222-3333-4444-555555555555", "fullname": "Rui Lopes",
                "mobilephone": "932 345 678"
            }),
        ];
    })
    .await?;
    let (bruno_token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        wait_js(&bruno.client, "window.__cif.state.clickToAct && window.__cif.state.handlers.onclicktoact")
            .await?;
        let tag = js(&bruno.client, "return window.__cif.state.scriptTagOk", vec![]).await?;
        assert_eq!(tag, json!(true), "the CIF script tag carries data-crmurl and data-cifid");
        let lang = js(&bruno.client, "return document.querySelector('.uc-widget').getAttribute('lang')", vec![])
            .await?;
        assert_eq!(lang, json!("pt-PT"), "LCID 2070 is European Portuguese");

        let delivered = js(&bruno.client,
                "return window.__cif.fireClickToAct({value: '912 345 678', name: 'telephone1', format: 'phone', entityLogicalName: 'contact'})",
                vec![],
            )
            .await?;
        assert_eq!(delivered, json!(true));
        wait_js(&bruno.client, "document.querySelector('[data-test=hangup]')").await?;
        screenshot(&bruno.client, "dynamics-panel-on-call-pt-PT-300px").await?;
        wait_js(&bruno.client, "document.querySelector('.uc-timer')").await?;
        click(&bruno.client, "[data-test=hangup]").await?;
        let created = wait_js(&bruno.client, "window.__cif.state.created[0]").await?;

        let calls = backend.get(&bruno_token, "/calls?limit=1").await?;
        assert_eq!(calls[0]["to"], "+351912345678");
        assert_eq!(calls[0]["context"]["crm"], "dynamics");
        assert_eq!(calls[0]["context"]["object_type"], "contact");
        assert_eq!(created["entity"], "phonecall");
        let data = &created["data"];
        assert_eq!(data["phonenumber"], "+351912345678");
        assert_eq!(data["directioncode"], true);
        // Named after the one contact the number found (click-to-act carries no name).
        assert_eq!(data["subject"], "Call to Rita Lopes");
        // Bound through the phonecall's own navigation property, created completed (Made).
        assert_eq!(
            data["regardingobjectid_contact_phonecall@odata.bind"],
            format!("/contacts({RITA_DYN})")
        );
        assert_eq!(data["statecode"], 1);
        assert_eq!(data["statuscode"], 2);
        let refused = js(&bruno.client, "return window.__cif.state.refused", vec![]).await?;
        assert_eq!(refused, json!([]), "the emulated Web API refused a record");
        let seconds = talk_seconds(&calls[0])?;
        assert_eq!(data["actualdurationminutes"], json!((seconds + 59) / 60));
        Ok(())
    })
    .await
}

/// Scenario 4: an inbound call makes each panel visible and pops the caller's record; after it ends,
/// the Salesforce Task and the Dynamics phonecall are linked to the record the screen pop found
/// and named after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_call_shows_the_panel_and_pops_the_caller() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.salesforce.search_results = json!({
            CALLER: {"003000000000002AAA": {"Id": "003000000000002AAA", "Name": "Rui Costa", "RecordType": "Contact"}}
        });
        o.dynamics.contacts = vec![json!({
            "contactid": RITA_DYN, "fullname": "Rui Costa", "telephone1": CALLER
        })];
    })
    .await?;
    let (ana_token, ana_id) = backend.login(ANA).await?;
    let (bruno_token, bruno_id) = backend.login(BRUNO).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, bruno) = (&b[0], &b[1]);
        open_panel(&ana.client, &site, "salesforce").await?;
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&ana.client, ANA).await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        wait_js(&bruno.client, "window.__cif.state.clickToAct").await?;

        let to_ana = backend
            .post(&ana_token, "/pbx/calls/inbound", &json!({"from": CALLER, "to_user": ana_id}))
            .await?;
        let shown = wait_js(&ana.client, "window.__opencti.callsOf('setSoftphonePanelVisibility').find(c => c.args.visible === true)")
            .await?;
        assert_eq!(shown["args"]["visible"], true);
        let pop = wait_js(&ana.client, "window.__opencti.callsOf('searchAndScreenPop')[0]")
            .await?;
        assert_eq!(pop["args"]["searchParams"], CALLER);
        assert_eq!(pop["args"]["callType"], "inbound");
        screenshot(&ana.client, "salesforce-softphone-incoming-300px").await?;

        let to_bruno = backend
            .post(&bruno_token, "/pbx/calls/inbound", &json!({"from": CALLER, "to_user": bruno_id}))
            .await?;
        wait_js(&bruno.client, "window.__cif.callsOf('setMode').some(c => c.args[0] === 1)")
            .await?;
        let search = wait_js(&bruno.client, "window.__cif.callsOf('searchAndOpenRecords')[0]")
            .await?;
        assert_eq!(search["args"][0], "contact");
        let query = search["args"][1].as_str().unwrap_or("");
        assert!(query.starts_with("?$select=fullname,telephone1"), "{query}");
        assert!(
            query.contains("(endswith(telephone1,'001') and contains(telephone1,'000'))"),
            "{query}"
        );
        assert_eq!(search["args"][2], false, "the record is opened, not only searched");
        wait_js(&bruno.client, "window.__cif.state.opened.length === 1").await?;
        screenshot(&bruno.client, "dynamics-panel-incoming-300px").await?;

        let id = to_ana["id"].as_str().context("call id")?;
        backend.post(&ana_token, &format!("/calls/{id}/hangup"), &json!({})).await?;
        let log = wait_js(&ana.client, "window.__opencti.callsOf('saveLog')[0]").await?;
        assert_eq!(log["args"]["value"]["CallType"], "Inbound");
        assert_eq!(log["args"]["value"]["WhoId"], "003000000000002AAA");
        // Named after the one record the screen pop found.
        assert_eq!(
            log["args"]["value"]["Subject"],
            "Call from Rui Costa (not answered)"
        );

        let id = to_bruno["id"].as_str().context("call id")?;
        backend.post(&bruno_token, &format!("/calls/{id}/hangup"), &json!({})).await?;
        let created = wait_js(&bruno.client, "window.__cif.state.created[0]").await?;
        assert_eq!(created["data"]["directioncode"], false);
        assert_eq!(
            created["data"]["regardingobjectid_contact_phonecall@odata.bind"],
            format!("/contacts({RITA_DYN})")
        );
        assert_eq!(created["data"]["statecode"], 1);
        assert_eq!(created["data"]["statuscode"], 4, "Received");
        assert_eq!(
            created["data"]["subject"],
            "Call from Rui Costa (not answered)"
        );
        Ok(())
    })
    .await
}

/// Counts, in the widget's page, the answers to call claims it has read: installed before a call,
/// read by the test after them. A test's next script runs in a later task than the widget's
/// reaction to the answer (all microtasks), so by then a granted log or pop has been started.
const COUNT_CLAIMS: &str = "if (!window.__claimsAnswered) {
  window.__claimsAnswered = 0;
  const text = Response.prototype.text;
  Response.prototype.text = function () {
    const claim = /\\/claims$/.test(new URL(this.url).pathname);
    return text.call(this).then(v => { if (claim) { window.__claimsAnswered += 1; } return v; });
  };
}
return true;";

/// Scenario 6: one agent with Salesforce and Dynamics open at once (two pages, two sessions): an
/// inbound call pops one record and is logged once across both CRMs — the backend grants each
/// to one page per call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_in_both_crms_gets_one_pop_and_one_log_per_call() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.salesforce.search_results = json!({
            CALLER: {"003000000000002AAA": {"Id": "003000000000002AAA", "Name": "Rui Costa", "RecordType": "Contact"}}
        });
        o.dynamics.contacts = vec![json!({
            "contactid": RITA_DYN, "fullname": "Rui Costa", "telephone1": "21 000 0001"
        })];
    })
    .await?;
    let (ana_token, ana_id) = backend.login(ANA).await?;
    with_browsers(2, 300, 640, async |b| {
        let (sf, dy) = (&b[0].client, &b[1].client);
        open_panel(sf, &site, "salesforce").await?;
        open_panel(dy, &site, "dynamics").await?;
        sign_in_here(sf, ANA).await?;
        sign_in_here(dy, ANA).await?;
        wait_js(dy, "window.__cif.state.clickToAct").await?;
        for page in [sf, dy] {
            js(page, COUNT_CLAIMS, vec![]).await?;
        }

        let call = backend
            .post(&ana_token, "/pbx/calls/inbound", &json!({"from": CALLER, "to_user": ana_id}))
            .await?;
        // Both panels surface the call; each page's pop claim is answered; one page pops.
        wait_js(sf, "window.__opencti.callsOf('setSoftphonePanelVisibility').some(c => c.args.visible === true)")
            .await?;
        wait_js(dy, "window.__cif.callsOf('setMode').some(c => c.args[0] === 1)").await?;
        for page in [sf, dy] {
            wait_js(page, "window.__claimsAnswered >= 1").await?;
        }
        let sf_pops = js(sf, "return window.__opencti.callsOf('searchAndScreenPop').length", vec![]).await?;
        let dy_pops = js(dy, "return window.__cif.callsOf('searchAndOpenRecords').filter(c => c.args[2] === false).length", vec![]).await?;
        ensure!(
            sf_pops.as_u64().unwrap_or(9) + dy_pops.as_u64().unwrap_or(9) == 1,
            "one screen pop: Salesforce {sf_pops}, Dynamics {dy_pops}"
        );

        let id = call["id"].as_str().context("call id")?;
        backend.post(&ana_token, &format!("/calls/{id}/hangup"), &json!({})).await?;
        for page in [sf, dy] {
            wait_js(page, "window.__claimsAnswered >= 2").await?;
        }
        let sf_logs = js(sf, "return window.__opencti.callsOf('saveLog').length", vec![]).await?;
        let dy_logs = js(dy, "return window.__cif.callsOf('createRecord').length", vec![]).await?;
        ensure!(
            sf_logs.as_u64().unwrap_or(9) + dy_logs.as_u64().unwrap_or(9) == 1,
            "one log: Salesforce {sf_logs}, Dynamics {dy_logs}"
        );
        let refused = js(dy, "return window.__cif.state.refused", vec![]).await?;
        assert_eq!(refused, json!([]));
        Ok(())
    })
    .await
}

/// Scenario 5a: CIF never initialises — the panel still mounts, says CIF is unavailable, and dialling
/// by hand works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cif_the_dynamics_panel_still_works_and_says_why() -> Result<()> {
    let (backend, site) = start_hosts(|o| o.dynamics.never_init = true).await?;
    let (bruno_token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        let alert = wait_js(
            &bruno.client,
            // The host's own (English, technical) words: behind the banner's "Details".
            "document.querySelector('.uc-notice[role=alert] details')?.textContent",
        )
        .await?;
        let alert = alert.as_str().unwrap_or("");
        assert!(alert.contains("Channel Integration Framework"), "{alert}");
        assert!(alert.contains("did not initialise"), "{alert}");
        screenshot(&bruno.client, "dynamics-panel-cif-unavailable-300px").await?;

        click(&bruno.client, "#uc-tab-dial").await?;
        type_into(&bruno.client, "#uc-number", "912 345 678").await?;
        click(&bruno.client, "form[data-test=dialer] button[type=submit]").await?;
        wait_js(
            &bruno.client,
            "document.querySelector('[data-test=hangup]')",
        )
        .await?;
        let calls = backend.get(&bruno_token, "/calls?limit=1").await?;
        assert_eq!(calls[0]["to"], "+351912345678");
        Ok(())
    })
    .await
}

/// Scenario 5b: click-to-dial (Salesforce) and click-to-act (Dynamics) fired before the agent
/// signed in are not lost, nor dialled in a burst: only the latest is kept, and after sign-in the
/// agent confirms it with one click.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_before_the_widget_is_ready_is_not_lost() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (ana_token, _) = backend.login(ANA).await?;
    let (bruno_token, _) = backend.login(BRUNO).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, bruno) = (&b[0], &b[1]);
        open_panel(&ana.client, &site, "salesforce").await?;
        open_panel(&bruno.client, &site, "dynamics").await?;
        wait_js(&ana.client, "window.__opencti.state.clickToDialEnabled").await?;
        wait_js(&bruno.client, "window.__cif.state.clickToAct").await?;
        // Two clicks on Salesforce: an older one, then Rita's.
        for number in ["+351912000222", "+351912345678"] {
            let early = js(&ana.client,
                    "return window.__opencti.fireClickToDial({number: arguments[1], recordId: arguments[0], recordName: 'Rita Lopes', objectType: 'Contact'})",
                    vec![json!(RITA_SF), json!(number)],
                )
                .await?;
            assert_eq!(early, json!(true));
        }
        let early = js(&bruno.client,
                "return window.__cif.fireClickToAct({value: '+351912000111', name: 'mobilephone', format: 'phone', entityLogicalName: 'contact'})",
                vec![],
            )
            .await?;
        assert_eq!(early, json!(true));
        ensure!(
            backend.get(&ana_token, "/calls?limit=1").await?.as_array().map(Vec::len) == Some(0),
            "nothing is dialled before sign-in"
        );

        sign_in_here(&ana.client, ANA).await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        let question = wait_js(
            &ana.client,
            "document.querySelector('.uc-notice[role=alert]')?.innerText",
        )
        .await?;
        let question = question.as_str().unwrap_or("");
        ensure!(question.contains("Rita Lopes, +351912345678"), "{question}");
        ensure!(
            backend.get(&ana_token, "/calls?limit=1").await?.as_array().map(Vec::len) == Some(0),
            "nothing is dialled before the agent confirms"
        );
        // One click each: the dialer's Call, with the number waiting in it.
        click(&ana.client, "form[data-test=dialer] button[type=submit]").await?;
        wait_js(&bruno.client, "document.querySelector('.uc-notice[role=alert]')").await?;
        click(&bruno.client, "form[data-test=dialer] button[type=submit]").await?;
        wait_js(&ana.client, "document.querySelector('[data-test=hangup]')").await?;
        wait_js(&bruno.client, "document.querySelector('[data-test=hangup]')").await?;
        let a = backend.get(&ana_token, "/calls?limit=5").await?;
        ensure!(a.as_array().map(Vec::len) == Some(1), "one call, not a burst: {a}");
        assert_eq!(a[0]["to"], "+351912345678");
        assert_eq!(a[0]["context"]["record_id"], RITA_SF);
        let b2 = backend.get(&bruno_token, "/calls?limit=5").await?;
        ensure!(b2.as_array().map(Vec::len) == Some(1), "{b2}");
        assert_eq!(b2[0]["to"], "+351912000111");
        Ok(())
    })
    .await
}

/// Scenario 5c: Open CTI failing or missing — the softphone still mounts (never a blank panel) and,
/// when Open CTI answers with errors, says which call failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_missing_open_cti_is_reported_not_blank() -> Result<()> {
    let (_backend, site) = start_hosts(|o| {
        o.salesforce.failing = vec!["enableClickToDial".into()];
    })
    .await?;
    let (_backend2, missing) = start_hosts(|o| o.salesforce.opencti_missing = true).await?;
    with_browsers(2, 300, 640, async |b| {
        let (ana, other) = (&b[0], &b[1]);
        open_panel(&ana.client, &site, "salesforce").await?;
        sign_in_here(&ana.client, ANA).await?;
        let alert = wait_js(
            &ana.client,
            // The host's own (English, technical) words: behind the banner's "Details".
            "document.querySelector('.uc-notice[role=alert] details')?.textContent",
        )
        .await?;
        assert!(
            alert.as_str().unwrap_or("").contains("enableClickToDial"),
            "{alert}"
        );
        screenshot(&ana.client, "salesforce-softphone-open-cti-failing-300px").await?;
        // The widget itself still works: the presence switcher answers.
        click(&ana.client, "#uc-tab-presence").await?;
        click(&ana.client, "button.uc-profile[data-profile=lunch]").await?;
        wait_js(
            &ana.client,
            "document.querySelector('button.uc-profile[data-profile=lunch][aria-checked=true]')",
        )
        .await?;

        open_panel(&other.client, &missing, "salesforce").await?;
        wait_js(&other.client, "document.querySelector('#uc-email')").await?;
        let boot_error = js(
            &other.client,
            "return window.__ucclientBootError || null",
            vec![],
        )
        .await?;
        assert_eq!(
            boot_error,
            Value::Null,
            "the widget mounted without Open CTI"
        );
        let warning = wait_js(
            &other.client,
            "document.querySelector('.ucclient-boot-warning[role=alert]')?.textContent",
        )
        .await?;
        assert!(
            warning
                .as_str()
                .unwrap_or("")
                .contains("Open CTI is unavailable"),
            "{warning}"
        );
        screenshot(&other.client, "salesforce-softphone-open-cti-missing-300px").await?;
        Ok(())
    })
    .await
}
