//! The softphone's media endpoint (issue 17) without a browser: str0m plays the browser. A client
//! offers over `POST /calls/{id}/media`, the endpoint answers, and the two talk ICE, DTLS and SRTP
//! over real UDP sockets on 127.0.0.1: the simulated outside party's tone reaches an agent, two
//! colleagues' softphones are bridged (audio and RFC 4733 DTMF digits, both ways), hold stops the
//! media both ways and resume restarts it, the call's end closes the sessions, also when another
//! node moves the call; a node bound on 0.0.0.0 announces `--media-address`; a browser that
//! vanishes loses its session after ICE's timeout; and every refusal of the route.

mod common;
#[path = "support/softphone.rs"]
mod softphone;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestApp;
use common::calls::{connected_call_of_ana, post, wait_for};
use serde_json::json;
use softphone::{Client, PCMU_FRAME, WITHIN, offer};
use str0m::media::MediaKind;
use ucclient_server::config::CallTimings;
use ucclient_server::media::{SessionKey, SessionStats, tone};

/// How long "nothing flows" is watched for.
const QUIET: Duration = Duration::from_millis(400);

/// Calls that dial at once, ring until answered (an hour) and never hang up by themselves.
fn quick_dial(c: &mut ucclient_server::Config) {
    c.call_timings = CallTimings {
        dial: Duration::from_millis(10),
        ring: Duration::from_secs(3600),
        talk: None,
    };
}

fn key(call_id: &str, user_id: &str) -> SessionKey {
    SessionKey {
        call_id: call_id.into(),
        user_id: user_id.into(),
    }
}

async fn stats(app: &TestApp, key: &SessionKey) -> Option<SessionStats> {
    app.state.media.stats(key.clone()).await
}

/// The session's frames sent to its browser stop growing: read once (after every change already
/// committed), and again after [`QUIET`].
async fn assert_quiet(app: &TestApp, key: &SessionKey) {
    let before = stats(app, key).await.expect("a session").sent;
    tokio::time::sleep(QUIET).await;
    let after = stats(app, key).await.expect("a session").sent;
    assert_eq!(before, after, "frames still sent to {}", key.call_id);
}

/// Waits (at most [`WITHIN`]) until `key` has no session any more.
async fn until_closed(app: &TestApp, key: &SessionKey) {
    let start = Instant::now();
    while stats(app, key).await.is_some() {
        assert!(start.elapsed() < WITHIN, "{} never closed", key.call_id);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Registers the user's panel as their softphone; the registration id.
async fn register(app: &TestApp, token: &str) -> String {
    let r = app.put("/api/v1/softphone", token, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Offers media for `call` as `token`'s softphone (registering it); the client once answered.
async fn softphone(app: &TestApp, token: &str, call: &str) -> Client {
    let registration = register(app, token).await;
    let offering = offer(MediaKind::Audio).await;
    let answer = app
        .post(
            &format!("/api/v1/calls/{call}/media"),
            token,
            json!({"registration": registration, "sdp": offering.sdp}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let sdp = answer.body["sdp"].as_str().unwrap();
    assert!(sdp.contains("a=ice-lite"), "{sdp}");
    assert!(sdp.contains("127.0.0.1"), "the host candidate: {sdp}");
    offering.connect(sdp)
}

#[tokio::test]
async fn the_outside_party_plays_a_tone_that_hold_stops_and_the_end_closes() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let mut client = softphone(&app, &ana, &id).await;
    let ana_key = key(&id, "ana");

    let seen = client.until("heard the tone", |s| s.pcmu >= 10).await;
    assert!(seen.connected);
    assert_eq!(
        seen.first_pcmu.as_slice(),
        tone::Tone::new().frame(0).as_slice(),
        "the chime's first frame, untouched"
    );
    assert_eq!(seen.opus, 0, "no one else is on the call");
    let s = stats(&app, &ana_key).await.unwrap();
    assert!(s.connected && s.sent >= 10, "{s:?}");

    // Hold: the tone stops; resume: it comes back.
    let held = post(&app, &format!("/api/v1/calls/{id}/hold"), &ana).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text);
    assert_quiet(&app, &ana_key).await;
    let before = client.now().pcmu;
    let resumed = post(&app, &format!("/api/v1/calls/{id}/resume"), &ana).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    client
        .until("heard the tone again", |s| s.pcmu >= before + 10)
        .await;

    // The end closes the session; a new offer for the call is refused.
    post(&app, &format!("/api/v1/calls/{id}/hangup"), &ana).await;
    until_closed(&app, &ana_key).await;
    let late = offer(MediaKind::Audio).await;
    let registration = register(&app, &ana).await;
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/media"),
            &ana,
            json!({"registration": registration, "sdp": late.sdp}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "call_ended"));
}

#[tokio::test]
async fn two_colleagues_softphones_are_bridged_until_hold_and_the_end() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Bruno gets a softphone device (the demo gives one to ana only).
    let added = app
        .post(
            "/api/v1/admin/users/bruno/devices",
            &ana,
            json!({"kind": "softphone"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let placed = app.post("/api/v1/calls", &ana, json!({"to": "202"})).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let ana_call = placed.body["id"].as_str().unwrap().to_owned();
    let ringing = wait_for(&app, &bruno, |c| c["state"] == "ringing").await;
    let bruno_call = ringing["id"].as_str().unwrap().to_owned();

    // Both offer before bruno answers (as the widget does), then he answers.
    let mut a = softphone(&app, &ana, &ana_call).await;
    let mut b = softphone(&app, &bruno, &bruno_call).await;
    a.until("connected", |s| s.connected).await;
    b.until("connected", |s| s.connected).await;
    a.sending.store(true, Ordering::SeqCst);
    b.sending.store(true, Ordering::SeqCst);
    let answered = post(&app, &format!("/api/v1/calls/{bruno_call}/answer"), &bruno).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);

    let heard = b.until("heard ana", |s| s.opus >= 10).await;
    assert!(
        heard.last_opus.starts_with(b"opus-frame-"),
        "forwarded untouched: {:?}",
        heard.last_opus
    );
    a.until("heard bruno", |s| s.opus >= 10).await;
    assert_eq!(a.now().pcmu + b.now().pcmu, 0, "no tone between colleagues");

    // Ana's keypad: her DTMF digit (RFC 4733) reaches bruno's side, once.
    a.send_dtmf(5);
    let got = b.until("got ana's digit 5", |s| s.dtmf == [5]).await;
    assert_eq!(got.dtmf, [5]);
    b.send_dtmf(11);
    a.until("got bruno's #", |s| s.dtmf == [11]).await;

    // Ana holds: nothing flows either way; she resumes: both hear each other again.
    let ana_key = key(&ana_call, "ana");
    let bruno_key = key(&bruno_call, "bruno");
    let held = post(&app, &format!("/api/v1/calls/{ana_call}/hold"), &ana).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text);
    assert_quiet(&app, &ana_key).await;
    assert_quiet(&app, &bruno_key).await;
    let (a_before, b_before) = (a.now().opus, b.now().opus);
    post(&app, &format!("/api/v1/calls/{ana_call}/resume"), &ana).await;
    a.until("heard bruno again", |s| s.opus >= a_before + 10)
        .await;
    b.until("heard ana again", |s| s.opus >= b_before + 10)
        .await;

    // Bruno hangs up: both legs end, both sessions close.
    let hung = post(&app, &format!("/api/v1/calls/{bruno_call}/hangup"), &bruno).await;
    assert_eq!(hung.body["state"], "ended", "{}", hung.text);
    until_closed(&app, &ana_key).await;
    until_closed(&app, &bruno_key).await;
}

/// Ana calls bruno from her softphone and he declines: his mailbox answers her with its beep, her
/// call is `connected` and `leaving_message`, what her softphone sends is recorded (PCMU here,
/// decoded sample for sample), and when she hangs up it is the message in bruno's mailbox. A
/// caller leaving a message cannot transfer the mailbox or consult about it.
#[tokio::test]
async fn a_softphone_caller_leaves_their_own_words_in_a_colleagues_mailbox() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let placed = app
        .post(
            "/api/v1/calls",
            &ana,
            json!({"to": "202", "device": "ana-softphone"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let ana_call = placed.body["id"].as_str().unwrap().to_owned();
    let mut a = softphone(&app, &ana, &ana_call).await;
    a.until("connected", |s| s.connected).await;
    a.pcmu.store(true, Ordering::SeqCst);
    a.sending.store(true, Ordering::SeqCst);
    let ringing = wait_for(&app, &bruno, |c| c["state"] == "ringing").await;
    let bruno_call = ringing["id"].as_str().unwrap().to_owned();
    let declined = post(&app, &format!("/api/v1/calls/{bruno_call}/decline"), &bruno).await;
    assert_eq!(declined.body["outcome"], "voicemail", "{}", declined.text);

    let leaving = wait_for(&app, &ana, |c| c["id"] == ana_call.as_str()).await;
    assert_eq!(leaving["state"], "connected", "{leaving}");
    assert_eq!(leaving["leaving_message"], true, "{leaving}");
    assert!(leaving["answered_at"].is_string(), "{leaving}");
    let beeped = a
        .until("heard the beep", |s| s.pcmu >= u64::from(tone::BEEP_FRAMES))
        .await;
    assert_eq!(beeped.first_pcmu.as_slice(), tone::beep().as_slice());
    let ana_key = key(&ana_call, "ana");
    assert_quiet(&app, &ana_key).await;
    assert_eq!(
        a.now().pcmu,
        u64::from(tone::BEEP_FRAMES),
        "one beep, then quiet"
    );
    for path in ["transfer", "consult"] {
        let r = app
            .post(
                &format!("/api/v1/calls/{ana_call}/{path}"),
                &ana,
                json!({"to": "203"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "call_not_connected")
        );
    }
    // Nothing in the mailbox while she speaks: the message is hers, taken when she is done.
    let mailbox = app.get("/api/v1/voicemail", &bruno).await;
    assert_eq!(mailbox.body["messages"], json!([]), "{}", mailbox.text);

    // A second of her voice, then she hangs up.
    let start = Instant::now();
    while stats(&app, &ana_key).await.unwrap().received < 60 {
        assert!(start.elapsed() < WITHIN, "her audio never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let hung = post(&app, &format!("/api/v1/calls/{ana_call}/hangup"), &ana).await;
    assert_eq!(hung.body["state"], "ended", "{}", hung.text);
    assert_eq!(hung.body["outcome"], "voicemail", "{}", hung.text);
    until_closed(&app, &ana_key).await;

    let mailbox = app.get("/api/v1/voicemail", &bruno).await;
    let messages = mailbox.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{}", mailbox.text);
    let m = &messages[0];
    assert_eq!(
        (m["from"].as_str(), m["call_id"].as_str()),
        (Some("201"), Some(bruno_call.as_str()))
    );
    let audio = app
        .get(
            &format!("/api/v1/voicemail/{}/audio", m["id"].as_str().unwrap()),
            &bruno,
        )
        .await;
    assert_eq!(audio.status, StatusCode::OK);
    let mut wav = hound::WavReader::new(std::io::Cursor::new(audio.bytes)).unwrap();
    let spec = wav.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8_000, 1, 16)
    );
    let samples: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    assert!(samples.len() >= 50 * 160, "{} samples", samples.len());
    assert_eq!(samples.len() % 160, 0, "whole frames");
    assert_eq!(m["duration_ms"], samples.len() as u64 / 8);
    let frame: Vec<i16> = PCMU_FRAME
        .iter()
        .map(|&c| tone::ulaw_to_linear(c))
        .collect();
    for (i, chunk) in samples.chunks(160).enumerate() {
        assert_eq!(
            chunk,
            frame.as_slice(),
            "frame {i}: what her softphone sent"
        );
    }
}

#[tokio::test]
async fn offers_are_refused_for_others_calls_ended_calls_and_anything_but_audio_sdp() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let path = format!("/api/v1/calls/{id}/media");
    let audio = offer(MediaKind::Audio).await.sdp;

    // Not her current softphone registration (none yet, a made-up one, a replaced one).
    let r = app
        .post(&path, &ana, json!({"registration": "r", "sdp": audio}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "softphone_not_registered")
    );
    let replaced = register(&app, &ana).await;
    let current = register(&app, &ana).await;
    let r = app
        .post(&path, &ana, json!({"registration": replaced, "sdp": audio}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "softphone_not_registered")
    );
    let r = app
        .post(
            &path,
            &ana,
            json!({"registration": current, "sdp": "a".repeat(100_000)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);

    // Another user's call, or no call at all: not found.
    let r = app
        .post(
            &path,
            &bruno,
            json!({"registration": current, "sdp": audio}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = app
        .post(
            "/api/v1/calls/nope/media",
            &ana,
            json!({"registration": current, "sdp": audio}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));

    // Not SDP, too long, or without audio: invalid_sdp, and no session is made.
    let video = offer(MediaKind::Video).await.sdp;
    let too_long = format!("{audio}{}", "a=x\r\n".repeat(4000));
    assert!(too_long.len() > ucclient_core::api::MAX_SDP_LEN);
    for sdp in ["hello", "", video.as_str(), too_long.as_str()] {
        let r = app
            .post(&path, &ana, json!({"registration": current, "sdp": sdp}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_sdp"),
            "{}",
            r.text
        );
        assert!(!r.body["message"].as_str().unwrap().is_empty());
    }
    assert!(app.state.media.calls().await.is_empty());

    // The bound is the OpenAPI document's, and an offer exactly at it is answered.
    let doc = app.get("/api/v1/openapi.json", &ana).await.body;
    assert_eq!(
        doc["components"]["schemas"]["MediaOffer"]["properties"]["sdp"]["maxLength"],
        ucclient_core::api::MAX_SDP_LEN
    );
    let pad = ucclient_core::api::MAX_SDP_LEN - audio.len() - "a=\r\n".len();
    let at_bound = format!("{audio}a={}\r\n", "x".repeat(pad));
    assert_eq!(at_bound.len(), ucclient_core::api::MAX_SDP_LEN);
    let r = app
        .post(
            &path,
            &ana,
            json!({"registration": current, "sdp": at_bound}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let over = format!("{at_bound}a");
    let r = app
        .post(&path, &ana, json!({"registration": current, "sdp": over}))
        .await;
    assert_eq!(r.code(), "invalid_sdp");

    // Missing fields: the usual bad_request.
    let r = app.post(&path, &ana, json!({"sdp": audio})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);

    // A good offer makes one session, which a second offer replaces.
    let first = app
        .post(&path, &ana, json!({"registration": current, "sdp": audio}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = offer(MediaKind::Audio).await.sdp;
    let second = app
        .post(&path, &ana, json!({"registration": current, "sdp": again}))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(app.state.media.calls().await, vec![id.clone()]);
    assert_eq!(
        stats(&app, &key(&id, "ana")).await,
        Some(SessionStats::default())
    );

    // Ended: call_ended, and the session is gone.
    post(&app, &format!("/api/v1/calls/{id}/hangup"), &ana).await;
    let r = app
        .post(&path, &ana, json!({"registration": current, "sdp": audio}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "call_ended"));
    until_closed(&app, &key(&id, "ana")).await;
}

#[tokio::test]
async fn media_follows_a_call_that_another_node_moves() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let mut client = softphone(&app, &ana, &id).await;
    client.until("heard the tone", |s| s.pcmu >= 5).await;

    // A second node on the same database: ana's hold and hang-up go through it. This node's
    // endpoint learns of them only by reading its calls back from the store.
    let mut other = ucclient_server::Backend::open((*app.state.config).clone())
        .await
        .unwrap();
    other.start().await.unwrap();
    let router = other.router();
    let on_other = |path: String| {
        let req = axum::http::Request::post(path)
            .header("authorization", format!("Bearer {ana}"))
            .body(axum::body::Body::empty())
            .unwrap();
        common::send(&router, req)
    };
    let held = on_other(format!("/api/v1/calls/{id}/hold")).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text);
    let ana_key = key(&id, "ana");
    let start = Instant::now();
    loop {
        let before = stats(&app, &ana_key).await.unwrap().sent;
        tokio::time::sleep(QUIET).await;
        if stats(&app, &ana_key).await.unwrap().sent == before {
            break;
        }
        assert!(start.elapsed() < WITHIN, "the tone never stopped");
    }
    let hung = on_other(format!("/api/v1/calls/{id}/hangup")).await;
    assert_eq!(hung.body["state"], "ended", "{}", hung.text);
    until_closed(&app, &ana_key).await;
    other.stop().await;
}

#[tokio::test]
async fn a_node_bound_on_every_interface_writes_media_address_in_its_candidate() {
    // Bound on 0.0.0.0 with --media-address: the candidate carries that address, and media flows.
    let app = TestApp::demo_with(|c| {
        quick_dial(c);
        c.media_listen = Some("0.0.0.0:0".parse().unwrap());
        c.media_address = Some("127.0.0.1".parse().unwrap());
    })
    .await;
    let ana = app.login("ana").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let mut client = softphone(&app, &ana, &id).await;
    client.until("heard the tone", |s| s.pcmu >= 5).await;
    let candidate = app.state.media.candidate().unwrap();
    assert_eq!(candidate.ip().to_string(), "127.0.0.1");
    assert_ne!(candidate.port(), 0);

    // Bound on 0.0.0.0 without it: no candidate to give, so no answer (500, the cause logged).
    let app = TestApp::demo_with(|c| {
        quick_dial(c);
        c.media_listen = Some("0.0.0.0:0".parse().unwrap());
    })
    .await;
    let ana = app.login("ana").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let registration = register(&app, &ana).await;
    let offering = offer(MediaKind::Audio).await;
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/media"),
            &ana,
            json!({"registration": registration, "sdp": offering.sdp}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    assert!(app.state.media.candidate().is_none());
}

#[tokio::test]
async fn a_vanished_browsers_session_closes_after_the_ice_timeout() {
    let app = TestApp::demo_with(quick_dial).await;
    let ana = app.login("ana").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let mut client = softphone(&app, &ana, &id).await;
    client.until("heard the tone", |s| s.pcmu >= 5).await;
    // The page goes away without a word (no hang-up): ICE-lite hears no more checks and gives up
    // after 15 s (str0m's bound); the session closes though the call goes on.
    drop(client);
    let ana_key = key(&id, "ana");
    let start = Instant::now();
    while stats(&app, &ana_key).await.is_some() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the session outlived its browser"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let gone = start.elapsed();
    assert!(gone >= Duration::from_secs(10), "closed after {gone:?}");
    let call = app.state.store.call(&id).await.unwrap().unwrap();
    assert_eq!(call.call.state, ucclient_core::api::CallState::Connected);
}
