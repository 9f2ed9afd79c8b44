//! Issue 14, Dynamics 365: the agent's presence in Channel Integration Framework 2.0 and the
//! presence profile kept in step both ways by the customer's map (core's `CrmPresenceMap`, its
//! default here), with no echo; CIF 1.0 has no presence API and the panel keeps its own badge.
//! The real backend (demo data), the Dynamics solution's web resources and the emulated CIF of
//! `tests/hosts/dynamics/` (CIF 2.0's `getPresence`/`setPresence`/`onPresenceChange` as Microsoft
//! documents them), headless Chromium at 300 px. Needs `cargo xtask package` to have run.

use std::time::Duration;

use anyhow::{Result, ensure};
use serde_json::{Value, json};
use ucclient_e2e::crm::{DemoBackend, js, open_panel, sign_in_here, start_hosts, wait_js};
use ucclient_e2e::{click, screenshot, wait_text, with_browsers};

const BRUNO: &str = "bruno@acme.example";
/// The emulated org's "Busy" presence (Omnichannel's out-of-the-box list).
const BUSY_ID: &str = "0a2c1a8e-0000-4000-8000-000000000002";

/// The agent's profile as the backend has it.
async fn profile(backend: &DemoBackend, token: &str) -> Result<Value> {
    Ok(backend.get(token, "/me").await?["presence"]["profile"].clone())
}

/// Waits (at most 10 s) for the backend to say the agent's profile is `want`.
async fn wait_profile(backend: &DemoBackend, token: &str, want: &str) -> Result<()> {
    let mut now = Value::Null;
    for _ in 0..100 {
        now = profile(backend, token).await?;
        if now == json!(want) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the profile stayed {now}, not {want}")
}

/// The calls the panel made to `method` of the emulated CIF.
async fn calls_of(client: &fantoccini::Client, method: &str) -> Result<Vec<Value>> {
    let v = js(
        client,
        "return window.__cif.callsOf(arguments[0]).map(c => c.args)",
        vec![json!(method)],
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

/// `PUT /me/presence`, as another tab of the agent does.
async fn set_profile(backend: &DemoBackend, token: &str, profile: &str) -> Result<()> {
    reqwest::Client::new()
        .put(format!("{}/api/v1/me/presence", backend.url))
        .bearer_auth(token)
        .json(&json!({ "profile": profile }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Opens bruno's Dynamics panel, signs in and waits until the bridge has read Dynamics's presence.
async fn panel_with_presence(
    client: &fantoccini::Client,
    site: &ucclient_e2e::crm::HostSite,
) -> Result<()> {
    open_panel(client, site, "dynamics").await?;
    sign_in_here(client, BRUNO).await?;
    wait_js(
        client,
        "window.__cif.callsOf('addHandler').some(c => c.args[0] === 'onPresenceChange') \
         && window.__cif.callsOf('getPresence').length > 0",
    )
    .await?;
    Ok(())
}

/// The agent goes Busy in Dynamics: the profile becomes In a meeting on the backend (and the PBX's
/// DND follows, active mode), the panel's badge says so, and nothing is sent back to Dynamics.
/// Busy - DND is On holiday; a presence the map does not name changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presence_change_in_dynamics_sets_the_profile_and_is_not_echoed() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.dynamics.cif2 = true;
        o.dynamics.presences = vec![
            json!({"presenceId": "0a2c1a8e-0000-4000-8000-000000000001", "presenceText": "Available",
                   "presenceColor": "#00FF00", "basePresenceStatus": "AVAILABLE"}),
            json!({"presenceId": BUSY_ID, "presenceText": "Busy",
                   "presenceColor": "#FF0000", "basePresenceStatus": "BUSY"}),
            json!({"presenceId": "0a2c1a8e-0000-4000-8000-000000000003", "presenceText": "Busy - DND",
                   "presenceColor": "#8B0000", "basePresenceStatus": "BUSY_DND"}),
            // A custom presence the customer's map does not name.
            json!({"presenceId": "0a2c1a8e-0000-4000-8000-000000000009", "presenceText": "Training",
                   "presenceColor": "#0000FF", "basePresenceStatus": "BUSY"}),
        ];
    })
    .await?;
    let (token, bruno_id) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        panel_with_presence(&bruno.client, &site).await?;
        assert_eq!(profile(&backend, &token).await?, json!("available"));

        let changed = js(
            &bruno.client,
            "return window.__cif.agentSetsPresence('Busy')",
            vec![],
        )
        .await?;
        ensure!(changed == json!(true), "the emulated CIF refused Busy");
        wait_profile(&backend, &token, "in_a_meeting").await?;
        wait_text(&bruno.client, "[data-test=badge]", "In a meeting").await?;
        let pbx = backend
            .get(&token, &format!("/pbx/users/{bruno_id}"))
            .await?;
        assert_eq!(
            pbx["dnd"],
            json!(true),
            "In a meeting turns DND on in active mode"
        );
        screenshot(&bruno.client, "dynamics-panel-cif2-busy-in-a-meeting-300px").await?;

        js(
            &bruno.client,
            "return window.__cif.agentSetsPresence('Busy - DND')",
            vec![],
        )
        .await?;
        wait_profile(&backend, &token, "on_holiday").await?;

        // Unmapped: the profile stays.
        js(
            &bruno.client,
            "return window.__cif.agentSetsPresence('Training')",
            vec![],
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(profile(&backend, &token).await?, json!("on_holiday"));

        // Nothing of it went back to Dynamics.
        let sets = calls_of(&bruno.client, "setPresence").await?;
        assert!(sets.is_empty(), "echoed to Dynamics: {sets:?}");
        let now = js(
            &bruno.client,
            "return window.__cif.state.presence.presenceText",
            vec![],
        )
        .await?;
        assert_eq!(now, json!("Training"));
        Ok(())
    })
    .await
}

/// The profile changes in another tab (the API): Dynamics gets exactly one `setPresence` with the
/// presence's text, lands on that presence (its id), and its own change event is not applied back.
/// A profile the map does not name leaves Dynamics alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_change_elsewhere_sets_the_dynamics_presence_once() -> Result<()> {
    let (backend, site) = start_hosts(|o| o.dynamics.cif2 = true).await?;
    let (token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        panel_with_presence(&bruno.client, &site).await?;
        // Available on both sides when the panel opens: nothing to set.
        assert!(calls_of(&bruno.client, "setPresence").await?.is_empty());

        set_profile(&backend, &token, "in_a_meeting").await?;
        wait_js(
            &bruno.client,
            "window.__cif.callsOf('setPresence').length > 0",
        )
        .await?;
        wait_text(&bruno.client, "[data-test=badge]", "In a meeting").await?;
        // Time for an echo (the change event Dynamics raised) to come back, if it were to.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let sets = calls_of(&bruno.client, "setPresence").await?;
        assert_eq!(sets, vec![json!(["Busy"])], "exactly one setPresence");
        let now = js(
            &bruno.client,
            "return window.__cif.state.presence.presenceId",
            vec![],
        )
        .await?;
        assert_eq!(now, json!(BUSY_ID));
        assert_eq!(profile(&backend, &token).await?, json!("in_a_meeting"));

        // Lunch has no Dynamics presence in the default map: Dynamics stays Busy.
        set_profile(&backend, &token, "lunch").await?;
        wait_text(&bruno.client, "[data-test=badge]", "Lunch").await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(calls_of(&bruno.client, "setPresence").await?.len(), 1);

        // The panel's own picker is a profile change like any: Offline for Out of office.
        click(&bruno.client, "#uc-tab-presence").await?;
        click(
            &bruno.client,
            "button.uc-profile[data-profile=out_of_office]",
        )
        .await?;
        wait_js(
            &bruno.client,
            "window.__cif.state.presence.presenceText === 'Offline'",
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let sets = calls_of(&bruno.client, "setPresence").await?;
        assert_eq!(sets, vec![json!(["Busy"]), json!(["Offline"])]);
        assert_eq!(profile(&backend, &token).await?, json!("out_of_office"));
        Ok(())
    })
    .await
}

/// CIF 1.0 has no presence API: the panel makes no presence call, and its badge follows the
/// profile as ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_cif_1_there_are_no_presence_calls_and_the_badge_still_works() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        open_panel(&bruno.client, &site, "dynamics").await?;
        sign_in_here(&bruno.client, BRUNO).await?;
        wait_js(&bruno.client, "window.__cif.state.clickToAct").await?;
        let absent = js(
            &bruno.client,
            "return typeof Microsoft.CIFramework.getPresence === 'undefined' \
             && typeof Microsoft.CIFramework.setPresence === 'undefined'",
            vec![],
        )
        .await?;
        ensure!(
            absent == json!(true),
            "the emulated CIF 1.0 has a presence API"
        );

        click(&bruno.client, "#uc-tab-presence").await?;
        click(
            &bruno.client,
            "button.uc-profile[data-profile=in_a_meeting]",
        )
        .await?;
        wait_text(&bruno.client, "[data-test=badge]", "In a meeting").await?;
        wait_profile(&backend, &token, "in_a_meeting").await?;
        set_profile(&backend, &token, "away").await?;
        wait_text(&bruno.client, "[data-test=badge]", "Away").await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;

        let handlers = calls_of(&bruno.client, "addHandler").await?;
        assert_eq!(
            handlers,
            vec![json!(["onclicktoact", "[function]"])],
            "{handlers:?}"
        );
        let methods = js(
            &bruno.client,
            "return window.__cif.calls.map(c => c.method)",
            vec![],
        )
        .await?;
        let methods: Vec<String> = serde_json::from_value(methods)?;
        assert!(
            !methods.iter().any(|m| m.contains("resence")),
            "presence calls under CIF 1.0: {methods:?}"
        );
        Ok(())
    })
    .await
}

/// Dynamics says Away when the panel opens and the agent is Available: Dynamics is brought to the
/// profile (one `setPresence("Available")`), and the profile stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_panel_opens_dynamics_is_brought_to_the_profile() -> Result<()> {
    let (backend, site) = start_hosts(|o| {
        o.dynamics.cif2 = true;
        o.dynamics.presence = Some("Away".into());
    })
    .await?;
    let (token, _) = backend.login(BRUNO).await?;
    with_browsers(1, 300, 640, async |b| {
        let bruno = &b[0];
        panel_with_presence(&bruno.client, &site).await?;
        wait_js(
            &bruno.client,
            "window.__cif.state.presence.presenceText === 'Available'",
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let sets = calls_of(&bruno.client, "setPresence").await?;
        assert_eq!(sets, vec![json!(["Available"])]);
        assert_eq!(profile(&backend, &token).await?, json!("available"));
        Ok(())
    })
    .await
}
