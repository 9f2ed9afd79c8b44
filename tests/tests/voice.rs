//! Salesforce Voice with partner telephony, end to end: the packaged connector (Salesforce's REAL
//! `scv-connector-base` from npm, the shim, the widget's Voice module) inside the emulated Salesforce
//! Voice host page, which sets it up with `SETUP_CONNECTOR` and a `MessagePort` from an https Salesforce
//! origin and drives it as Salesforce does: init (sign-in asked, then `LOGIN_RESULT`), dial, the far
//! side answering, mute, hold, resume, a warm transfer's consultation, end, an inbound call accepted and
//! ended, another declined, wrap-up, status changes, the directory, logout and a new sign-in. The
//! library validates every result and event with `instanceof` against its own classes and turns a
//! wrong one into an `ERROR` event, so the host also asserts there is none. A second test keeps
//! Omni-Channel and the profile in step both ways with the default map (the map becomes
//! configurable with the admin setting; a map that is off is covered by the widget's unit tests).
//!
//! Needs the built widget and packages: `cargo xtask build-widget && cargo xtask package --no-build`.

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use ucclient_e2e::crm::{
    DemoBackend, directory_chunk_loads, js, packages_dir, sign_in_here, wait_js,
};
use ucclient_e2e::media::{FAKE_MEDIA, flow, make_phone, stats};
use ucclient_e2e::voice::{OMNI_STATUSES, VoiceSite, set_profile, voice_browser_with};
use ucclient_e2e::{wait_attr, wait_until};

const ANA: &str = "ana@acme.example";
const CALLER: &str = "+351210000001";
const DIALLED: &str = "+351912345678";
/// Carla's extension (the demo data: she picks up a colleague's call by herself).
const COLLEAGUE: &str = "203";
/// The emulated org's Omni statuses (ids): Available, Busy, Lunch, Break, Training (unmapped).
const AVAILABLE: &str = OMNI_STATUSES[0].0;
const BUSY: &str = OMNI_STATUSES[1].0;
const LUNCH: &str = OMNI_STATUSES[2].0;
const BREAK: &str = OMNI_STATUSES[3].0;
const TRAINING: &str = OMNI_STATUSES[4].0;

/// The agent picks the Omni status `id` in Salesforce: the host calls `setAgentStatus`.
async fn set_omni(client: &fantoccini::Client, id: &str) -> Result<()> {
    js(
        client,
        "window.__setOmni(arguments[0]); return true",
        vec![json!(id)],
    )
    .await?;
    Ok(())
}

/// The `n`-th (1-based) event named `name` the host recorded (a telephony event or a message type),
/// waited for.
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

/// An outside caller rings ana through the PBX (her `token`, her id `ana`); the connector's `n`-th
/// `CALL_STARTED` is that call: its event and its id.
async fn caller_rings_ana(
    client: &fantoccini::Client,
    backend: &DemoBackend,
    (token, ana): (&str, &str),
    n: usize,
) -> Result<(Value, String)> {
    backend
        .post(
            token,
            "/pbx/calls/inbound",
            &json!({"from": CALLER, "to_user": ana}),
        )
        .await?;
    let started = nth(client, "CALL_STARTED", n).await?;
    let id = started["payload"]["callId"]
        .as_str()
        .context("callId")?
        .to_owned();
    Ok((started, id))
}

async fn count(client: &fantoccini::Client, name: &str) -> Result<usize> {
    let v = js(
        client,
        "return window.__eventsOf(arguments[0]).length",
        vec![json!(name)],
    )
    .await?;
    Ok(v.as_u64().unwrap_or(0) as usize)
}

async fn send(client: &fantoccini::Client, message: Value) -> Result<()> {
    js(
        client,
        "window.__send(arguments[0]); return true",
        vec![message],
    )
    .await?;
    Ok(())
}

async fn all_events(client: &fantoccini::Client) -> String {
    js(client, "return JSON.stringify(window.__events)", vec![])
        .await
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_connector_answers_salesforce_voice_with_the_real_library() -> Result<()> {
    with_voice_site(async |client, site, backend| drive(client, site, backend).await).await
}

async fn drive(client: &fantoccini::Client, site: &VoiceSite, backend: &DemoBackend) -> Result<()> {
    client.goto(&site.host_url()).await?;
    wait_js(client, "window.__setupSent").await?;

    // init: not signed in yet → the library shows the connector for the sign-in.
    let login = nth(client, "SHOW_LOGIN", 1).await?;
    ensure!(login["payload"]["loginFrameHeight"] == 420, "{login}");
    client.enter_frame(0).await?;
    sign_in_here(client, ANA).await?;
    // The module is split: a lazy panel's chunk comes from the static resource, served as
    // `application/octet-stream` here (the shim's fallback instantiates it).
    directory_chunk_loads(client, r"\/pkg\/split_directory_panel_\w+\.wasm$").await?;
    ucclient_e2e::click(client, "#uc-tab-presence").await?;
    client.enter_parent_frame().await?;
    let result = nth(client, "LOGIN_RESULT", 1).await?;
    ensure!(result["payload"]["success"] == true, "{result}");
    let ready = nth(client, "CONNECTOR_READY", 1).await?;
    ensure!(
        ready["payload"]["agentConfig"]["PHONES"] == json!(["DESK_PHONE"]),
        "{ready}"
    );
    ensure!(ready["payload"]["capabilities"]["MUTE"] == true, "{ready}");
    ensure!(
        ready["payload"]["capabilities"]["BLIND_TRANSFER"] == true,
        "{ready}"
    );
    ensure!(ready["payload"]["callInProgress"].is_null(), "{ready}");

    // dial: the library publishes CALL_STARTED from dial's CallResult; the far side answering is ours.
    send(
        client,
        json!({"type": "DIAL", "contact": {"phoneNumber": DIALLED}}),
    )
    .await?;
    let started = nth(client, "CALL_STARTED", 1).await?;
    let call = &started["payload"];
    ensure!(call["callType"] == "Outbound", "{started}");
    ensure!(call["phoneNumber"] == DIALLED, "{started}");
    ensure!(call["state"] == "ringing", "{started}");
    ensure!(call["callInfo"]["isOnHold"] == false, "{started}");
    ensure!(call["contact"]["phoneNumber"] == DIALLED, "{started}");
    let call_id = call["callId"].as_str().context("callId")?.to_owned();
    let connected = nth(client, "CALL_CONNECTED", 1).await?;
    ensure!(
        connected["payload"]["callId"] == call_id.as_str(),
        "{connected}"
    );
    ensure!(connected["payload"]["state"] == "connected", "{connected}");
    ensure!(
        connected["payload"]["callInfo"]["showMuteButton"] == false,
        "a desk phone's call has no mute button: {connected}"
    );

    // mute and unmute of a desk phone's call: the PBX has no mute, the flag is answered back.
    send(client, json!({"type": "MUTE", "call": {"callId": call_id}})).await?;
    let muted = nth(client, "MUTE_TOGGLE", 1).await?;
    ensure!(muted["payload"]["isMuted"] == true, "{muted}");
    send(
        client,
        json!({"type": "UNMUTE", "call": {"callId": call_id}}),
    )
    .await?;
    let unmuted = nth(client, "MUTE_TOGGLE", 2).await?;
    ensure!(unmuted["payload"]["isMuted"] == false, "{unmuted}");

    // hold and resume: HOLD_TOGGLE from each answer.
    send(client, json!({"type": "HOLD", "call": {"callId": call_id}})).await?;
    let held = nth(client, "HOLD_TOGGLE", 1).await?;
    ensure!(held["payload"]["isCustomerOnHold"] == true, "{held}");
    ensure!(held["payload"]["isThirdPartyOnHold"] == false, "{held}");
    ensure!(
        held["payload"]["calls"][0]["callId"] == call_id.as_str(),
        "{held}"
    );
    send(
        client,
        json!({"type": "RESUME", "call": {"callId": call_id}}),
    )
    .await?;
    let resumed = nth(client, "HOLD_TOGGLE", 2).await?;
    ensure!(resumed["payload"]["isCustomerOnHold"] == false, "{resumed}");

    // A warm transfer's consultation: addParticipant's answer is PARTICIPANT_ADDED; the colleague
    // answering is ours (PARTICIPANT_CONNECTED), as is the held customer's HOLD_TOGGLE; ending the
    // leg removes the participant.
    send(
        client,
        json!({"type": "ADD_PARTICIPANT", "contact": {"phoneNumber": COLLEAGUE},
               "call": {"callId": call_id}, "isBlindTransfer": false}),
    )
    .await?;
    let added = nth(client, "PARTICIPANT_ADDED", 1).await?;
    ensure!(added["payload"]["initialCallHasEnded"] == false, "{added}");
    ensure!(added["payload"]["phoneNumber"] == COLLEAGUE, "{added}");
    let leg = added["payload"]["callId"]
        .as_str()
        .context("leg id")?
        .to_owned();
    ensure!(leg != call_id, "{added}");
    let joined = nth(client, "PARTICIPANT_CONNECTED", 1).await?;
    ensure!(joined["payload"]["callId"] == leg.as_str(), "{joined}");
    let customer_held = nth(client, "HOLD_TOGGLE", 3).await?;
    ensure!(
        customer_held["payload"]["isCustomerOnHold"] == true,
        "{customer_held}"
    );
    send(client, json!({"type": "END_CALL", "call": {"callId": leg}})).await?;
    nth(client, "PARTICIPANT_REMOVED", 1).await?;

    // end: HANGUP with the ended call, once (the live event of the same change is not published too).
    send(
        client,
        json!({"type": "END_CALL", "call": {"callId": call_id}}),
    )
    .await?;
    let hangup = nth(client, "HANGUP", 1).await?;
    ensure!(
        hangup["payload"][0]["callId"] == call_id.as_str(),
        "{hangup}"
    );
    ensure!(hangup["payload"][0]["state"] == "ended", "{hangup}");
    send(
        client,
        json!({"type": "WRAP_UP_CALL", "call": {"callId": call_id}}),
    )
    .await?;

    // An inbound call: CALL_STARTED is ours (Salesforce did not start it); accept and end are answers.
    let (token, ana_id) = backend.login(ANA).await?;
    let (inbound, inbound_id) = caller_rings_ana(client, backend, (&token, &ana_id), 2).await?;
    ensure!(inbound["payload"]["callType"] == "Inbound", "{inbound}");
    ensure!(inbound["payload"]["phoneNumber"] == CALLER, "{inbound}");
    ensure!(inbound["payload"]["state"] == "ringing", "{inbound}");
    send(
        client,
        json!({"type": "ACCEPT_CALL", "call": {"callId": inbound_id, "callType": "Inbound"}}),
    )
    .await?;
    let accepted = nth(client, "CALL_CONNECTED", 2).await?;
    ensure!(
        accepted["payload"]["callId"] == inbound_id.as_str(),
        "{accepted}"
    );
    send(
        client,
        json!({"type": "END_CALL", "call": {"callId": inbound_id}}),
    )
    .await?;
    let ended = nth(client, "HANGUP", 2).await?;
    ensure!(
        ended["payload"][0]["callId"] == inbound_id.as_str(),
        "{ended}"
    );

    // A declined inbound call: HANGUP from declineCall's answer.
    let (_, third_id) = caller_rings_ana(client, backend, (&token, &ana_id), 3).await?;
    send(
        client,
        json!({"type": "DECLINE_CALL", "call": {"callId": third_id}}),
    )
    .await?;
    let declined = nth(client, "HANGUP", 3).await?;
    ensure!(
        declined["payload"]["callId"] == third_id.as_str(),
        "{declined}"
    );

    // Omni-Channel status → our profile; getAgentStatus answers the Omni status standing for it.
    set_omni(client, BUSY).await?;
    let set = nth(client, "SET_AGENT_STATUS_RESULT", 1).await?;
    ensure!(set["payload"]["success"] == true, "{set}");
    send(client, json!({"type": "GET_AGENT_STATUS"})).await?;
    let status = nth(client, "GET_AGENT_STATUS_RESULT", 1).await?;
    ensure!(status["payload"]["statusId"] == BUSY, "{status}");

    // The directory with live presence.
    send(client, json!({"type": "GET_PHONE_CONTACTS", "filter": ""})).await?;
    let contacts = nth(client, "PHONE_CONTACTS", 1).await?;
    let list = contacts["payload"]["contacts"]
        .as_array()
        .context("contacts")?;
    ensure!(!list.is_empty(), "{contacts}");
    ensure!(
        list.iter().all(|c| c["type"] == "Agent"
            && ["AVAILABLE", "BUSY", "OFFLINE"]
                .contains(&c["availability"].as_str().unwrap_or(""))),
        "{contacts}"
    );

    // Nothing twice, nothing refused by the library's class checks.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for (name, n) in [
        ("CALL_STARTED", 3),
        ("CALL_CONNECTED", 2),
        ("HOLD_TOGGLE", 3),
        ("HANGUP", 3),
        ("PARTICIPANT_ADDED", 1),
        ("PARTICIPANT_CONNECTED", 1),
        ("PARTICIPANT_REMOVED", 1),
        ("MUTE_TOGGLE", 2),
    ] {
        ensure!(
            count(client, name).await? == n,
            "{name} ≠ {n}: {}",
            all_events(client).await
        );
    }
    ensure!(
        count(client, "ERROR").await? == 0,
        "{}",
        all_events(client).await
    );

    // The connector inside the emulated utility at 300 px (the helper checks the panel in the frame).
    client.enter_frame(0).await?;
    ucclient_e2e::screenshot(client, "voice-connector-utility").await?;

    // logout: the widget signs out and LOGOUT_RESULT comes from the answer (once).
    client.enter_parent_frame().await?;
    send(client, json!({"type": "LOGOUT"})).await?;
    let out = nth(client, "LOGOUT_RESULT", 1).await?;
    ensure!(out["payload"]["success"] == true, "{out}");
    client.enter_frame(0).await?;
    wait_js(client, "document.querySelector('#uc-email')").await?;
    client.enter_parent_frame().await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    ensure!(
        count(client, "LOGOUT_RESULT").await? == 1,
        "{}",
        all_events(client).await
    );

    // Signing in again is the next LOGIN_RESULT.
    client.enter_frame(0).await?;
    sign_in_here(client, ANA).await?;
    client.enter_parent_frame().await?;
    let again = nth(client, "LOGIN_RESULT", 2).await?;
    ensure!(again["payload"]["success"] == true, "{again}");
    Ok(())
}

/// Checks that the connector has published exactly `n` `SET_AGENT_STATUS` events so far.
async fn statuses_published(client: &fantoccini::Client, n: usize) -> Result<()> {
    let seen = count(client, "SET_AGENT_STATUS").await?;
    ensure!(
        seen == n,
        "{seen} SET_AGENT_STATUS, not {n}: {}",
        all_events(client).await
    );
    Ok(())
}

/// The agent's profile on the backend (`GET /me`).
async fn profile(backend: &DemoBackend, token: &str) -> Result<String> {
    let me = backend.get(token, "/me").await?;
    Ok(me["presence"]["profile"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Waits (at most 15 s) for the backend to report `want` as the agent's profile.
async fn profile_becomes(backend: &DemoBackend, token: &str, want: &str) -> Result<()> {
    let mut seen = String::new();
    for _ in 0..150 {
        seen = profile(backend, token).await?;
        if seen == want {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the profile stayed {seen}, not {want}")
}

#[tokio::test]
async fn omni_channel_and_the_profile_follow_each_other_without_echoes() -> Result<()> {
    with_voice_site(async |client, site, backend| presence_sync(client, site, backend).await).await
}

async fn presence_sync(
    client: &fantoccini::Client,
    site: &VoiceSite,
    backend: &DemoBackend,
) -> Result<()> {
    open_signed_in(client, site).await?;
    let (token, _) = backend.login(ANA).await?;
    ensure!(profile(backend, &token).await? == "available");
    // Opening the console publishes nothing: Omni is left as the agent had it.
    settle().await;
    statuses_published(client, 0).await?;

    // Omni → profile: Busy sets In a meeting on the backend, and nothing is echoed to Omni.
    set_omni(client, BUSY).await?;
    let set = nth(client, "SET_AGENT_STATUS_RESULT", 1).await?;
    ensure!(set["payload"]["success"] == true, "{set}");
    profile_becomes(backend, &token, "in_a_meeting").await?;
    settle().await;
    statuses_published(client, 0).await?;

    // Profile → Omni: Lunch chosen in another tab is published once, with the org's status id;
    // Omni then calls setAgentStatus(Lunch) back, which changes nothing.
    set_profile(&backend.url, &token, "lunch").await?;
    let published = nth(client, "SET_AGENT_STATUS", 1).await?;
    ensure!(published["payload"]["statusId"] == LUNCH, "{published}");
    nth(client, "SET_AGENT_STATUS_RESULT", 2).await?;
    settle().await;
    statuses_published(client, 1).await?;
    ensure!(profile(backend, &token).await? == "lunch");
    let omni = js(client, "return window.__omni", vec![]).await?;
    ensure!(omni == LUNCH, "{omni}");
    send(client, json!({"type": "GET_AGENT_STATUS"})).await?;
    let status = nth(client, "GET_AGENT_STATUS_RESULT", 1).await?;
    ensure!(status["payload"]["statusId"] == LUNCH, "{status}");

    // An Omni status the map does not name (Training) leaves the profile alone, and succeeds.
    set_omni(client, TRAINING).await?;
    let set = nth(client, "SET_AGENT_STATUS_RESULT", 3).await?;
    ensure!(set["payload"]["success"] == true, "{set}");
    settle().await;
    ensure!(profile(backend, &token).await? == "lunch");
    statuses_published(client, 1).await?;

    // From Training, a profile change is published (Comfort break → Break) …
    set_profile(&backend.url, &token, "comfort_break").await?;
    let published = nth(client, "SET_AGENT_STATUS", 2).await?;
    ensure!(published["payload"]["statusId"] == BREAK, "{published}");
    nth(client, "SET_AGENT_STATUS_RESULT", 4).await?;
    // … a profile the map does not name (On the road) is not …
    set_profile(&backend.url, &token, "on_the_road").await?;
    settle().await;
    statuses_published(client, 2).await?;
    // … and back to Available is, once, with Omni's own Available status.
    set_profile(&backend.url, &token, "available").await?;
    let published = nth(client, "SET_AGENT_STATUS", 3).await?;
    ensure!(published["payload"]["statusId"] == AVAILABLE, "{published}");
    settle().await;
    statuses_published(client, 3).await?;
    ensure!(profile(backend, &token).await? == "available");
    ensure!(
        count(client, "ERROR").await? == 0,
        "{}",
        all_events(client).await
    );
    Ok(())
}

/// Stores `map` as Acme's CRM presence map through the admin API (ana administers Acme).
async fn put_map(backend: &DemoBackend, token: &str, map: serde_json::Value) -> Result<()> {
    reqwest::Client::new()
        .put(format!("{}/api/v1/admin/crm-presence", backend.url))
        .bearer_auth(token)
        .json(&map)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Opens the connector and signs ana in; her token for the API.
async fn open_signed_in(client: &fantoccini::Client, site: &VoiceSite) -> Result<()> {
    client.goto(&site.host_url()).await?;
    wait_js(client, "window.__setupSent").await?;
    nth(client, "SHOW_LOGIN", 1).await?;
    client.enter_frame(0).await?;
    sign_in_here(client, ANA).await?;
    client.enter_parent_frame().await?;
    nth(client, "LOGIN_RESULT", 1).await?;
    Ok(())
}

/// Starts a backend, the emulated Voice host and a browser, runs `scenario` and prints the
/// connector's events when it fails.
async fn with_voice_site<F>(scenario: F) -> Result<()>
where
    F: AsyncFnOnce(&fantoccini::Client, &VoiceSite, &DemoBackend) -> Result<()>,
{
    with_voice_site_in(&[], scenario).await
}

/// [`with_voice_site`] in a browser started with `extra` Chromium switches.
async fn with_voice_site_in<F>(extra: &[&str], scenario: F) -> Result<()>
where
    F: AsyncFnOnce(&fantoccini::Client, &VoiceSite, &DemoBackend) -> Result<()>,
{
    let (listener, port) = VoiceSite::bind().await?;
    let backend = DemoBackend::start(&VoiceSite::connector_origin(port)).await?;
    let site = VoiceSite::start(listener, &packages_dir(), &backend.url).await?;
    let browser = voice_browser_with(1000, 800, extra).await?;
    let client = browser.client.clone();
    let outcome = scenario(&client, &site, &backend).await;
    if outcome.is_err() {
        eprintln!("events: {}", all_events(&client).await);
    }
    browser.close().await;
    outcome
}

fn settle() -> tokio::time::Sleep {
    tokio::time::sleep(std::time::Duration::from_millis(1500))
}

#[tokio::test]
async fn the_customers_own_map_is_the_one_followed() -> Result<()> {
    with_voice_site(async |client, site, backend| {
        let (token, _) = backend.login(ANA).await?;
        // Acme's own map: Training means working from home, and Busy is not mapped at all.
        put_map(
            backend,
            &token,
            json!({"enabled": true, "dynamics": [], "salesforce": [
                {"status": "Available", "profile": "available"},
                {"status": "training", "profile": "working_from_home"},
            ]}),
        )
        .await?;
        open_signed_in(client, site).await?;
        set_omni(client, TRAINING).await?;
        nth(client, "SET_AGENT_STATUS_RESULT", 1).await?;
        profile_becomes(backend, &token, "working_from_home").await?;
        set_omni(client, BUSY).await?;
        nth(client, "SET_AGENT_STATUS_RESULT", 2).await?;
        settle().await;
        ensure!(profile(backend, &token).await? == "working_from_home");
        // The default's Lunch rule is gone: a Lunch profile is not published; Available is.
        set_profile(&backend.url, &token, "lunch").await?;
        settle().await;
        statuses_published(client, 0).await?;
        set_profile(&backend.url, &token, "available").await?;
        let published = nth(client, "SET_AGENT_STATUS", 1).await?;
        ensure!(published["payload"]["statusId"] == AVAILABLE, "{published}");
        ensure!(
            count(client, "ERROR").await? == 0,
            "{}",
            all_events(client).await
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_map_switched_off_keeps_omni_and_the_profile_apart() -> Result<()> {
    with_voice_site(async |client, site, backend| {
        let (token, _) = backend.login(ANA).await?;
        let mut map = backend.get(&token, "/admin/crm-presence").await?;
        map["enabled"] = json!(false);
        put_map(backend, &token, map).await?;
        open_signed_in(client, site).await?;
        set_omni(client, BUSY).await?;
        let set = nth(client, "SET_AGENT_STATUS_RESULT", 1).await?;
        ensure!(set["payload"]["success"] == true, "{set}");
        settle().await;
        ensure!(profile(backend, &token).await? == "available");
        set_profile(&backend.url, &token, "lunch").await?;
        settle().await;
        statuses_published(client, 0).await?;
        ensure!(
            count(client, "ERROR").await? == 0,
            "{}",
            all_events(client).await
        );
        Ok(())
    })
    .await
}

/// The softphone in the Voice connector (issue 17): the panel made the phone, Salesforce's
/// `acceptCall` answers an outside caller on it — the media first, then the answer on the
/// softphone device — and the caller's audio (the backend's tone) arrives; the call shows
/// Salesforce's mute button, whose `mute` stops the panel's packets and `unmute` restarts them;
/// `sendDigits` takes DTMF digits and refuses others; `setAgentConfig` switches where ana's calls
/// go from (the panel's "Place my calls from this panel"); `endCall` closes it.
#[tokio::test]
async fn salesforce_accepts_a_call_on_the_connectors_softphone() -> Result<()> {
    with_voice_site_in(&FAKE_MEDIA, async |client, site, backend| {
        open_signed_in(client, site).await?;
        client.enter_frame(0).await?;
        make_phone(client).await?;
        client.enter_parent_frame().await?;

        let (token, ana_id) = backend.login(ANA).await?;
        let (_, id) = caller_rings_ana(client, backend, (&token, &ana_id), 1).await?;
        send(
            client,
            json!({"type": "ACCEPT_CALL", "call": {"callId": id, "callType": "Inbound"}}),
        )
        .await?;
        let accepted = nth(client, "CALL_CONNECTED", 1).await?;
        ensure!(accepted["payload"]["callId"] == id.as_str(), "{accepted}");
        ensure!(
            accepted["payload"]["callInfo"]["showMuteButton"] == true
                && accepted["payload"]["callInfo"]["muteEnabled"] == true,
            "the softphone's call has Salesforce's mute button: {accepted}"
        );
        let call = backend.get(&token, "/calls?limit=1").await?[0].clone();
        ensure!(
            call["answered_on"] == "ana-softphone",
            "answered on the softphone: {call}"
        );
        client.enter_frame(0).await?;
        let (sent, received) = flow(client, 3_000).await?;
        ensure!(
            sent > 50 && received > 50,
            "{sent} packets sent, {received} received in 3 s"
        );
        client.enter_parent_frame().await?;

        // Salesforce's mute is the softphone's: no packet leaves, and the panel's Mute says so.
        send(client, json!({"type": "MUTE", "call": {"callId": id}})).await?;
        let muted = nth(client, "MUTE_TOGGLE", 1).await?;
        ensure!(muted["payload"]["isMuted"] == true, "{muted}");
        client.enter_frame(0).await?;
        wait_attr(client, "[data-test=mute]", "aria-pressed", "true").await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (sent, _) = flow(client, 2_000).await?;
        ensure!(
            sent <= 2,
            "muted from Salesforce, still {sent} packets sent in 2 s"
        );
        client.enter_parent_frame().await?;
        send(client, json!({"type": "UNMUTE", "call": {"callId": id}})).await?;
        nth(client, "MUTE_TOGGLE", 2).await?;
        client.enter_frame(0).await?;
        wait_attr(client, "[data-test=mute]", "aria-pressed", "false").await?;
        let (sent, _) = flow(client, 2_000).await?;
        ensure!(
            sent > 30,
            "unmuted from Salesforce, only {sent} packets sent in 2 s"
        );
        client.enter_parent_frame().await?;
        // Its keypad: digits go on the call as RFC 4733 events; a bad one is refused.
        send(client, json!({"type": "SEND_DIGITS", "digits": "12#"})).await?;
        send(client, json!({"type": "SEND_DIGITS", "digits": "12x"})).await?;
        let refused = wait_js(
            client,
            "((e) => e.length > 0 && e.map((x) => x.payload))(window.__errors.filter((e) => \
             e.eventType === 'SEND_DIGITS'))",
        )
        .await?;
        ensure!(
            refused == json!(["12x"]),
            "only the bad digits fail: {refused}"
        );
        // Its phone setting: the desk phone, then the softphone again, for the calls ana places.
        for (phone, checked) in [("DESK_PHONE", false), ("SOFT_PHONE", true)] {
            send(
                client,
                json!({"type": "SET_AGENT_CONFIG", "config": {"selectedPhone": {"type": phone}}}),
            )
            .await?;
            client.enter_frame(0).await?;
            wait_until(client, phone, async |c| {
                let v = c
                    .execute(
                        "const b = document.querySelector('[data-test=softphone-outgoing]'); \
                         return b && b.checked",
                        vec![],
                    )
                    .await?;
                Ok(v.as_bool() == Some(checked))
            })
            .await?;
            client.enter_parent_frame().await?;
        }
        send(client, json!({"type": "END_CALL", "call": {"callId": id}})).await?;
        nth(client, "HANGUP", 1).await?;
        client.enter_frame(0).await?;
        for _ in 0..50 {
            if stats(client).await?.state == "closed" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(
            stats(client).await?.state == "closed",
            "the peer connection stays open after endCall"
        );
        client.enter_parent_frame().await?;
        Ok(())
    })
    .await
}
