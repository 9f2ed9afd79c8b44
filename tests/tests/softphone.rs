//! The softphone end to end (issue 17): the real backend (`UCCLIENT_SERVER_BIN`) with the demo data,
//! the built standalone panel (`UCCLIENT_WIDGET_DIST`, its softphone in lazily loaded chunks) and
//! headless Chromium with fake media devices (`--use-fake-ui-for-media-stream`,
//! `--use-fake-device-for-media-stream`: a beeping microphone, allowed without a prompt).
//!
//! - ana and bruno each make their panel their phone (bruno's softphone device is added first by
//!   ana, the customer administrator, through the admin API: the demo gives him none); ana calls
//!   bruno's extension from her softphone, his panel rings, he answers on it, and both peer
//!   connections' `getStats()` show audio packets sent and received going up; choosing a speaker
//!   plays bruno's call there (`setSinkId`); mute stops bruno's
//!   outgoing packets, hold stops what both receive, hang-up closes both peer connections and the
//!   PBX call; then, bruno's profile ringing his desk phone only, ana's next call shows on his
//!   panel without ringing there, and his Answer takes it on the desk phone with no media;
//! - a second panel of ana's takes the registration over: the first says so and stops being the
//!   phone; a browser that refuses the microphone says so and never registers;
//! - ana calls bruno from her softphone and he declines: his mailbox answers her with a beep, she
//!   speaks, hangs up, and the message in his mailbox is her recorded voice;
//! - the same call from a Salesforce panel to a Dynamics 365 panel, the packages' split modules in
//!   the emulated hosts (`tests/src/crm.rs`): Salesforce's chunks served as
//!   `application/octet-stream` (the boot script's fallback instantiates them), Dynamics' read from
//!   their base64 script web resources by its loader; the softphone's code fetched only once it is
//!   opened.
//!
//! The production code puts nothing on `window`: the test finds the peer connections by wrapping
//! the page's `RTCPeerConnection` constructor before the first call (`ucclient_e2e::media`).
//! Screenshots of the 300 px panel: `artifacts/screenshots/softphone-*.png`.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::{Client, Locator};
use serde_json::json;
use ucclient_e2e::crm::{Api, open_panel, sign_in_here, start_hosts};
use ucclient_e2e::media::{
    AUDIO_OUTPUTS, FAKE_MEDIA, MIC_REFUSED, RECORD_SINKS, flow, make_phone, stats,
};
use ucclient_e2e::{
    Browser, Server, click, screenshot, sign_in, text_of, type_into, wait_attr, wait_text,
    wait_until,
};

const ANA: &str = "ana@acme.example";
const BRUNO: &str = "bruno@acme.example";
/// Window size (Chromium's narrowest; the panel inside is 300 px wide).
const W: u32 = 500;
const H: u32 = 760;
/// Starts one browser per entry of `args` (its extra Chromium switches), runs `body`, and closes
/// them all whatever happens.
async fn with_media_browsers<F>(args: &[&[&str]], body: F) -> Result<()>
where
    F: AsyncFnOnce(&[Browser]) -> Result<()>,
{
    let mut browsers = Vec::new();
    for extra in args {
        match Browser::start_with(W, H, "en-US", extra, false).await {
            Ok(b) => browsers.push(b),
            Err(e) => {
                for b in browsers {
                    b.close().await;
                }
                return Err(e);
            }
        }
    }
    let r = body(&browsers).await;
    for b in browsers {
        b.close().await;
    }
    r
}

/// Signs `email` in at `origin` and waits for the live stream.
async fn signed_in(client: &Client, origin: &str, email: &str) -> Result<()> {
    sign_in(client, origin, email).await?;
    wait_attr(client, "[data-test=connection]", "data-state", "live").await
}

/// `caller` dials 202 (bruno's extension) from the Dial tab; `callee`'s panel rings as the
/// softphone ("Ringing in this panel"), is screenshot as `ringing_shot`, and answers there.
async fn dial_bruno_and_answer(caller: &Client, callee: &Client, ringing_shot: &str) -> Result<()> {
    click(caller, "#uc-tab-dial").await?;
    type_into(caller, "#uc-number", "202").await?;
    wait_text(caller, "#uc-number-hint", "Bruno").await?;
    click(caller, "form[data-test=dialer] button[type=submit]").await?;
    wait_text(
        callee,
        ".uc-incoming [data-test=softphone-line]",
        "Ringing in this panel",
    )
    .await?;
    screenshot(callee, ringing_shot).await?;
    click(callee, ".uc-incoming [data-test=answer]").await?;
    Ok(())
}

/// Whether the toggle is checked.
async fn toggle_checked(client: &Client) -> Result<bool> {
    let v = client
        .execute(
            "return document.querySelector('[data-test=softphone-toggle]').checked",
            vec![],
        )
        .await?;
    Ok(v.as_bool().unwrap_or(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_talk_through_their_panels() -> Result<()> {
    let server = Server::demo(None).await?;
    let api = Api(server.url());
    let (ana_token, _) = api.login(ANA).await?;
    let (_, bruno_id) = api.login(BRUNO).await?;
    // The demo gives bruno no softphone: ana, the customer administrator, adds one.
    let device = api
        .post(
            &ana_token,
            &format!("/admin/users/{bruno_id}/devices"),
            &json!({"kind": "softphone", "label": "Softphone", "number": "sip:202-soft@acme.example"}),
        )
        .await?;
    ensure!(device["kind"] == "softphone", "{device}");
    let (a_origin, b_origin) = (server.url(), server.other_url());
    with_media_browsers(&[&FAKE_MEDIA, &FAKE_MEDIA], async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        signed_in(ana, &a_origin, ANA).await?;
        signed_in(bruno, &b_origin, BRUNO).await?;
        make_phone(ana).await?;
        make_phone(bruno).await?;
        bruno
            .execute(
                "document.querySelector('[data-test=softphone]').scrollIntoView({block: 'end'})",
                vec![],
            )
            .await?;
        screenshot(bruno, "softphone-controls").await?;

        // ana calls bruno's extension from her softphone; his panel rings; he answers on the
        // softphone: media first, then the call connects on both sides.
        dial_bruno_and_answer(ana, bruno, "softphone-ringing").await?;
        wait_attr(bruno, "[data-test=call-card]", "data-state", "connected").await?;
        wait_attr(ana, "[data-test=call-card]", "data-state", "connected").await?;
        wait_until(bruno, "bruno's mute button", async |c| {
            Ok(c.find(Locator::Css("[data-test=mute]")).await.is_ok())
        })
        .await?;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            let s = stats(c).await?;
            ensure!(s.state == "connected", "{who}'s peer connection: {s:?}");
        }
        // Audio both ways, going up over a few seconds.
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            let (sent, received) = flow(c, 3_000).await?;
            ensure!(
                sent > 50 && received > 50,
                "{who}: {sent} packets sent, {received} received in 3 s"
            );
        }
        screenshot(bruno, "softphone-in-call").await?;

        // The speaker: Chromium's fake devices list audio outputs; choosing one in the Presence
        // tab plays the call there (`setSinkId` on the panel's audio element).
        bruno.execute(RECORD_SINKS, vec![]).await?;
        click(bruno, "#uc-tab-presence").await?;
        if bruno
            .find(Locator::Css("[data-test=softphone-toggle]"))
            .await
            .is_err()
        {
            click(bruno, "[data-test=softphone-open]").await?;
        }
        let outputs = bruno.execute_async(AUDIO_OUTPUTS, vec![]).await?;
        ensure!(
            outputs.as_u64().unwrap_or(0) > 0,
            "the fake devices list no audio output: {outputs}"
        );
        wait_until(bruno, "the speaker choice", async |c| {
            Ok(c.find(Locator::Css("#uc-speaker")).await.is_ok())
        })
        .await?;
        let options = bruno
            .execute(
                "return Array.from(document.getElementById('uc-speaker').options) \
                 .map((o) => o.value).filter((v) => v)",
                vec![],
            )
            .await?;
        let options: Vec<String> = serde_json::from_value(options)?;
        let chosen = options.last().context("no speaker to choose")?;
        bruno
            .execute(
                "const s = document.getElementById('uc-speaker'); s.value = arguments[0]; \
                 s.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![json!(chosen)],
            )
            .await?;
        wait_until(bruno, "the call played on the chosen speaker", async |c| {
            let sinks = c.execute("return window.__ucSinks", vec![]).await?;
            Ok(sinks
                .as_array()
                .is_some_and(|s| s.iter().any(|v| v == chosen.as_str())))
        })
        .await?;
        screenshot(bruno, "softphone-speaker").await?;
        click(bruno, "#uc-tab-dial").await?;

        // Mute: bruno's outgoing packets stop (and so does what ana receives), then come back.
        click(bruno, "[data-test=mute]").await?;
        wait_attr(bruno, "[data-test=mute]", "aria-pressed", "true").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (sent, _) = flow(bruno, 2_000).await?;
        ensure!(sent <= 2, "bruno muted still sent {sent} packets in 2 s");
        let (_, received) = flow(ana, 2_000).await?;
        ensure!(
            received <= 2,
            "ana still received {received} packets from muted bruno"
        );
        click(bruno, "[data-test=mute]").await?;
        wait_attr(bruno, "[data-test=mute]", "aria-pressed", "false").await?;
        let (sent, _) = flow(bruno, 2_000).await?;
        ensure!(sent > 30, "bruno unmuted sent only {sent} packets in 2 s");

        // The keypad sends DTMF on the call.
        click(bruno, "[data-test=keypad-toggle]").await?;
        let keys = bruno
            .find_all(Locator::Css("[data-test=keypad] [data-digit]"))
            .await?;
        ensure!(keys.len() == 12, "{} keys", keys.len());
        click(bruno, "[data-test=keypad] [data-digit='5']").await?;
        screenshot(bruno, "softphone-keypad").await?;

        // Hold: the backend stops the media both ways (and bruno's panel stops sending).
        click(bruno, "[data-test=hold]").await?;
        wait_text(bruno, "[data-test=call-card]", "On hold").await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            let (_, received) = flow(c, 2_000).await?;
            ensure!(
                received <= 2,
                "{who} received {received} packets in 2 s on hold"
            );
        }
        click(bruno, "[data-test=hold]").await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            let (_, received) = flow(c, 2_000).await?;
            ensure!(
                received > 30,
                "{who} received only {received} packets after resume"
            );
        }

        // Hang-up closes both peer connections and the PBX call.
        click(bruno, "[data-test=hangup]").await?;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            wait_until(c, &format!("{who}'s peer connection closed"), async |c| {
                Ok(stats(c).await.map(|s| s.state == "closed").unwrap_or(true))
            })
            .await?;
        }
        let calls = api.get(&ana_token, "/calls?limit=1").await?;
        ensure!(calls[0]["state"] == "ended", "the PBX call: {}", calls[0]);

        // A profile that rings bruno's desk phone only: ana's next call shows on his panel but
        // does not ring there, and his Answer takes it on the desk phone, with no media.
        let (bruno_token, _) = api.login(BRUNO).await?;
        let desk_only = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
            "routing": {"ring": "selected", "steps": [{"devices": ["bruno-desk"], "after_seconds": 0}]}});
        api.put(&bruno_token, "/me/profiles/in_the_office/settings", &desk_only)
            .await?;
        api.put(&bruno_token, "/me/presence", &json!({"profile": "in_the_office"}))
            .await?;
        let pcs = "return (window.__ucTestPcs || []).length";
        let before = bruno.execute(pcs, vec![]).await?;
        type_into(ana, "#uc-number", "202").await?;
        wait_text(ana, "#uc-number-hint", "Bruno").await?;
        click(ana, "form[data-test=dialer] button[type=submit]").await?;
        wait_attr(bruno, ".uc-incoming", "data-state", "ringing").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let line = bruno
            .find_all(Locator::Css("[data-test=softphone-line]"))
            .await?;
        ensure!(line.is_empty(), "the desk-only call rings in the panel");
        click(bruno, ".uc-incoming [data-test=answer]").await?;
        let mut call = json!(null);
        for _ in 0..50 {
            call = api.get(&bruno_token, "/calls?limit=1").await?[0].clone();
            if call["state"] == "connected" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ensure!(
            call["state"] == "connected"
                && call["answered_on"] == "bruno-desk"
                && call["rings_on"] == json!(["bruno-desk"]),
            "answered on the desk phone: {call}"
        );
        let after = bruno.execute(pcs, vec![]).await?;
        ensure!(before == after, "media set up for a desk-phone call");
        let id = call["id"].as_str().context("call id")?;
        api.post(&bruno_token, &format!("/calls/{id}/hangup"), &json!(null))
            .await?;
        Ok(())
    })
    .await
}

/// ana calls bruno from her panel's softphone and he declines: the mailbox answers her with its
/// beep, her card says to speak after it, her fake microphone is recorded for three seconds, and
/// when she hangs up bruno's mailbox holds her words (decoded from Chromium's Opus), not the PBX's
/// generated message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_softphone_caller_leaves_a_message_in_her_own_voice() -> Result<()> {
    let server = Server::demo(None).await?;
    let api = Api(server.url());
    let (bruno_token, _) = api.login(BRUNO).await?;
    let origin = server.url();
    with_media_browsers(&[&FAKE_MEDIA], async |b| {
        let ana = &b[0].client;
        signed_in(ana, &origin, ANA).await?;
        make_phone(ana).await?;
        click(ana, "#uc-tab-dial").await?;
        type_into(ana, "#uc-number", "202").await?;
        wait_text(ana, "#uc-number-hint", "Bruno").await?;
        click(ana, "form[data-test=dialer] button[type=submit]").await?;
        let mut ringing = json!(null);
        for _ in 0..50 {
            ringing = api.get(&bruno_token, "/calls?limit=1").await?[0].clone();
            if ringing["state"] == "ringing" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let id = ringing["id"].as_str().context("bruno's call")?.to_owned();
        api.post(&bruno_token, &format!("/calls/{id}/decline"), &json!(null))
            .await?;

        wait_text(
            ana,
            "[data-test=call-card] .uc-card-state",
            "Leaving a message",
        )
        .await?;
        screenshot(ana, "softphone-leaving-message").await?;
        let (sent, received) = flow(ana, 3_000).await?;
        ensure!(sent > 100, "ana sent {sent} packets in 3 s");
        ensure!(
            received <= 30,
            "a beep of 25 frames, then quiet: {received}"
        );
        click(ana, "[data-test=hangup]").await?;
        wait_until(ana, "ana's peer connection closed", async |c| {
            Ok(stats(c).await.map(|s| s.state == "closed").unwrap_or(true))
        })
        .await?;

        let mailbox = api.get(&bruno_token, "/voicemail").await?;
        let m = &mailbox["messages"][0];
        ensure!(m["from"] == "201", "{mailbox}");
        let ms = m["duration_ms"].as_u64().context("duration")?;
        ensure!((3_000..=10_000).contains(&ms), "a {ms} ms message");
        let wav = api
            .get_bytes(
                &bruno_token,
                &format!("/voicemail/{}/audio", m["id"].as_str().context("id")?),
            )
            .await?;
        let generated = ucclient_server::voicemail::generated_message();
        ensure!(wav != *generated.wav, "the PBX's message, not hers");
        let samples: Vec<i16> = hound::WavReader::new(std::io::Cursor::new(wav))?
            .samples::<i16>()
            .collect::<Result<_, _>>()?;
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        ensure!(
            peak > 1_000,
            "her fake microphone's beeps are in it: peak {peak}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_panel_takes_over_and_a_refused_microphone_is_said() -> Result<()> {
    let server = Server::demo(None).await?;
    let (first_origin, second_origin) = (server.url(), server.other_url());
    with_media_browsers(&[&FAKE_MEDIA, &FAKE_MEDIA, &MIC_REFUSED], async |b| {
        let (first, second, refused) = (&b[0].client, &b[1].client, &b[2].client);
        signed_in(first, &first_origin, ANA).await?;
        make_phone(first).await?;
        ensure!(toggle_checked(first).await?, "the first panel is the phone");

        // A second panel of ana's takes the registration over; the first says so.
        signed_in(second, &second_origin, ANA).await?;
        make_phone(second).await?;
        wait_text(
            first,
            "[data-test=softphone-status]",
            "Another tab or CRM is your phone now",
        )
        .await?;
        ensure!(
            !toggle_checked(first).await?,
            "the first panel stopped being it"
        );
        screenshot(first, "softphone-taken-over").await?;
        ensure!(
            toggle_checked(second).await?,
            "the second panel is the phone"
        );

        // A browser that refuses the microphone: the sentence, and no registration.
        signed_in(refused, &first_origin, BRUNO).await?;
        click(refused, "#uc-tab-presence").await?;
        click(refused, "[data-test=softphone-open]").await?;
        click(refused, "[data-test=softphone-toggle]").await?;
        wait_text(
            refused,
            "[data-test=softphone-status]",
            "The browser may not use the microphone",
        )
        .await?;
        ensure!(!toggle_checked(refused).await?, "not the phone");
        let text = text_of(refused, "[data-test=softphone]").await?;
        ensure!(!text.contains("Microphone"), "no device choice: {text}");
        Ok(())
    })
    .await
}

/// The softphone's code files of a split module the page fetched so far (wasm-split's `act` and
/// `panel_view` parts).
const SOFTPHONE_FETCHES: &str = "return performance.getEntriesByType('resource')\
    .filter(e => /split_(act|panel_view)_/.test(e.name)).length";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_in_salesforce_and_one_in_dynamics_talk_through_their_panels() -> Result<()> {
    let (backend, site) = start_hosts(|_| {}).await?;
    let (ana_token, _) = backend.login(ANA).await?;
    let (_, bruno_id) = backend.login(BRUNO).await?;
    backend
        .post(
            &ana_token,
            &format!("/admin/users/{bruno_id}/devices"),
            &json!({"kind": "softphone", "label": "Softphone", "number": "sip:202-soft@acme.example"}),
        )
        .await?;
    with_media_browsers(&[&FAKE_MEDIA, &FAKE_MEDIA], async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        for (client, email, host) in [(ana, ANA, "salesforce"), (bruno, BRUNO, "dynamics")] {
            open_panel(client, &site, host).await?;
            sign_in_here(client, email).await?;
            let fetched = client.execute(SOFTPHONE_FETCHES, vec![]).await?;
            ensure!(fetched == 0, "softphone code fetched before it was opened");
        }
        make_phone(ana).await?;
        make_phone(bruno).await?;
        let fetched = bruno.execute(SOFTPHONE_FETCHES, vec![]).await?;
        ensure!(
            fetched.as_u64().unwrap_or(0) >= 1,
            "the softphone's chunks: {fetched}"
        );

        // ana dials bruno from her Salesforce panel's softphone; his Dynamics panel rings; he
        // answers there.
        dial_bruno_and_answer(ana, bruno, "dynamics-softphone-ringing-300px").await?;
        wait_attr(bruno, "[data-test=call-card]", "data-state", "connected").await?;
        wait_attr(ana, "[data-test=call-card]", "data-state", "connected").await?;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            let (sent, received) = flow(c, 3_000).await?;
            ensure!(
                sent > 50 && received > 50,
                "{who}: {sent} packets sent, {received} received in 3 s"
            );
        }
        wait_until(bruno, "bruno's mute button", async |c| {
            Ok(c.find(Locator::Css("[data-test=mute]")).await.is_ok())
        })
        .await?;
        screenshot(bruno, "dynamics-softphone-in-call-300px").await?;
        screenshot(ana, "salesforce-softphone-in-call-300px").await?;

        // Hang-up closes both peer connections.
        click(bruno, "[data-test=hangup]").await?;
        for (who, c) in [("ana", ana), ("bruno", bruno)] {
            wait_until(c, &format!("{who}'s peer connection closed"), async |c| {
                Ok(stats(c).await.map(|s| s.state == "closed").unwrap_or(true))
            })
            .await?;
        }
        Ok(())
    })
    .await
}
