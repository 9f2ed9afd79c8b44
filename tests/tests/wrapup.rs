//! After-call work (issue 13), end to end: the real backend (demo data), the widget loaded as each
//! package loads it, the emulated Open CTI and CIF libraries, headless Chromium at 300 px. A call
//! ends, the agent types notes and picks a disposition on the wrap-up card, saves, and the CRM
//! record logged when the call ended is UPDATED (one record, with the notes and the outcome), not
//! duplicated; the backend has the wrap-up and the record's id on the call. Needs
//! `cargo xtask package` to have run.

use anyhow::{Result, ensure};
use fantoccini::Locator;
use serde_json::{Value, json};
use ucclient_e2e::crm::{DemoBackend, js, open_panel, sign_in_here, start_hosts, wait_js};
use ucclient_e2e::{click, screenshot, type_into, with_browsers};

const ANA: &str = "ana@acme.example";
const BRUNO: &str = "bruno@acme.example";
const RITA_SF: &str = "003000000000001AAA";
const RITA_DYN: &str = "11111111-2222-3333-4444-555555555555";

/// Picks `code` in the wrap-up card's outcome list as the agent does (the select's own option).
async fn choose_outcome(client: &fantoccini::Client, code: &str) -> Result<()> {
    client
        .find(Locator::Css("[data-test=wrap-up-outcome]"))
        .await?
        .select_by_value(code)
        .await?;
    Ok(())
}

/// The agent's latest call as the backend has it, once `key` is on it.
async fn last_call_with(backend: &DemoBackend, token: &str, key: &str) -> Result<Value> {
    for _ in 0..100 {
        let calls = backend.get(token, "/calls?limit=1").await?;
        if calls[0].get(key).is_some() {
            return Ok(calls[0].clone());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the call never got {key}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesforce_wrap_up_updates_the_task_logged_when_the_call_ended() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (ana_token, _) = backend.login(ANA).await?;
    with_browsers(1, 300, 640, async |b| {
        let ana = &b[0];
        open_panel(&ana.client, &site, "salesforce").await?;
        sign_in_here(&ana.client, ANA).await?;
        wait_js(&ana.client, "window.__opencti.state.clickToDialEnabled").await?;
        let delivered = js(
            &ana.client,
            "return window.__opencti.fireClickToDial({number: '+351 912 345 678', recordId: arguments[0], \
             recordName: 'Rita Lopes', objectType: 'Contact', params: ''})",
            vec![json!(RITA_SF)],
        )
        .await?;
        ensure!(delivered == json!(true), "Open CTI had no listener");
        wait_js(&ana.client, "document.querySelector('.uc-timer')").await?;
        click(&ana.client, "[data-test=hangup]").await?;

        // The call ended: logged once as a Task, whose id the backend now has; the card asks for
        // the wrap-up (and stays past the 4 s summary).
        wait_js(&ana.client, "document.querySelector('[data-test=wrap-up]')").await?;
        let logged = wait_js(&ana.client, "window.__opencti.state.logs[0]").await?;
        let task_id = logged["Id"].as_str().unwrap_or_default().to_owned();
        let call = last_call_with(&backend, &ana_token, "crm_record").await?;
        assert_eq!(
            call["crm_record"],
            json!({"crm": "salesforce", "id": task_id})
        );
        type_into(&ana.client, "[data-test=wrap-up-notes]", "Wants a quote for 20 seats").await?;
        choose_outcome(&ana.client, "follow_up").await?;
        screenshot(&ana.client, "salesforce-wrap-up-300px").await?;
        click(&ana.client, "[data-test=wrap-up-save]").await?;

        let updated = wait_js(
            &ana.client,
            "window.__opencti.state.logs[0].CallDisposition && window.__opencti.state.logs[0]",
        )
        .await?;
        assert_eq!(updated["Id"], task_id.as_str());
        assert_eq!(updated["CallDisposition"], "Follow-up");
        assert_eq!(updated["Description"], "Wants a quote for 20 seats");
        // Still the Task of the call: its subject and link are untouched.
        assert_eq!(updated["Subject"], "Call to Rita Lopes");
        assert_eq!(updated["WhoId"], RITA_SF);
        let records = js(&ana.client, "return window.__opencti.state.logs.length", vec![]).await?;
        assert_eq!(records, json!(1), "updated, not a second Task");
        let update = js(
            &ana.client,
            "return window.__opencti.callsOf('saveLog').map(c => c.args.value.Id || null)",
            vec![],
        )
        .await?;
        assert_eq!(update, json!([null, task_id]), "one create, one update by Id");

        let call = last_call_with(&backend, &ana_token, "wrap_up").await?;
        assert_eq!(
            call["wrap_up"],
            json!({"notes": "Wants a quote for 20 seats", "disposition": "follow_up"})
        );
        wait_js(&ana.client, "!document.querySelector('[data-test=wrap-up]')").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamics_wrap_up_updates_the_phonecall_logged_when_the_call_ended() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.dynamics.user_lcid = Some(2070);
        o.dynamics.contacts = vec![json!({
            "contactid": RITA_DYN, "fullname": "Rita Lopes", "telephone1": "+351 912 345 678"
        })];
    })
    .await?;
    let (bruno_token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        wait_js(&bruno.client, "window.__cif.state.clickToAct && window.__cif.state.handlers.onclicktoact").await?;
        let delivered = js(
            &bruno.client,
            "return window.__cif.fireClickToAct({value: '912 345 678', name: 'telephone1', format: 'phone', entityLogicalName: 'contact'})",
            vec![],
        )
        .await?;
        assert_eq!(delivered, json!(true));
        wait_js(&bruno.client, "document.querySelector('.uc-timer')").await?;
        click(&bruno.client, "[data-test=hangup]").await?;

        wait_js(&bruno.client, "document.querySelector('[data-test=wrap-up]')").await?;
        let created = wait_js(&bruno.client, "window.__cif.state.created[0]").await?;
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        let call = last_call_with(&backend, &bruno_token, "crm_record").await?;
        assert_eq!(call["crm_record"], json!({"crm": "dynamics", "id": id}));
        // The agent reads the card in European Portuguese (LCID 2070).
        let card = js(
            &bruno.client,
            "return document.querySelector('[data-test=call-card]').textContent",
            vec![],
        )
        .await?;
        let card = card.as_str().unwrap_or_default();
        assert!(
            card.contains("Notas da chamada") && card.contains("Mensagem de voz deixada"),
            "{card}"
        );
        type_into(&bruno.client, "[data-test=wrap-up-notes]", "Ligar de volta na sexta").await?;
        choose_outcome(&bruno.client, "left_voicemail").await?;
        screenshot(&bruno.client, "dynamics-wrap-up-pt-PT-300px").await?;
        click(&bruno.client, "[data-test=wrap-up-save]").await?;

        let updated = wait_js(&bruno.client, "window.__cif.state.updated[0]").await?;
        assert_eq!(updated["entity"], "phonecall");
        assert_eq!(updated["id"], id.as_str());
        let records = js(&bruno.client, "return window.__cif.state.created", vec![]).await?;
        assert_eq!(records.as_array().map(Vec::len), Some(1), "updated, not a second phonecall");
        let data = &records[0]["data"];
        // The customer's own label goes to the CRM: the same words in every agent's records.
        assert_eq!(data["category"], "Left voicemail");
        assert_eq!(data["description"], "Ligar de volta na sexta");
        assert_eq!(data["subject"], "Call to Rita Lopes", "the rest is untouched");
        assert_eq!(data["statecode"], 1);
        let refused = js(&bruno.client, "return window.__cif.state.refused", vec![]).await?;
        assert_eq!(refused, json!([]));
        let call = last_call_with(&backend, &bruno_token, "wrap_up").await?;
        assert_eq!(call["wrap_up"]["disposition"], "left_voicemail");
        Ok(())
    })
    .await
}
