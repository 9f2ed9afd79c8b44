//! The softphone's media endpoint (issue 17) without a browser: str0m plays the browser. A client
//! offers over `POST /calls/{id}/media`, the endpoint answers, and the two talk ICE, DTLS and SRTP
//! over real UDP sockets on 127.0.0.1: the simulated outside party's tone reaches an agent, two
//! colleagues' softphones are bridged, hold stops the media both ways and resume restarts it, the
//! call's end closes the sessions; and every refusal of the route.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestApp;
use common::calls::{connected_call_of_ana, post, wait_for};
use serde_json::json;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use ucclient_server::config::CallTimings;
use ucclient_server::media::{SessionKey, SessionStats, tone};

/// The bound of every wait for something to happen.
const WITHIN: Duration = Duration::from_secs(10);
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

/// What a client received so far.
#[derive(Debug, Clone, Default)]
struct Seen {
    connected: bool,
    /// PCMU frames (the tone) and their first payload.
    pcmu: u64,
    first_pcmu: Vec<u8>,
    /// Opus frames (a colleague's audio) and the newest payload.
    opus: u64,
    last_opus: Vec<u8>,
}

/// A str0m peer playing the browser: it offers audio (Opus, PCMU), connects to the endpoint's
/// answer, counts what it receives, and sends Opus frames of its own while `sending`.
struct Client {
    seen: watch::Receiver<Seen>,
    sending: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The offer of a new client, and what it needs to connect once answered.
struct Offering {
    rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    pending: SdpPendingOffer,
    sdp: String,
}

async fn offer(kind: MediaKind) -> Offering {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut config = Rtc::builder().clear_codecs();
    config.codec_config().enable_opus(true, false);
    config.codec_config().enable_pcmu(true, false);
    config.codec_config().enable_vp8(true);
    let mut rtc = config.build(Instant::now());
    let local = socket.local_addr().unwrap();
    rtc.add_local_candidate(Candidate::host(local, "udp").unwrap())
        .unwrap();
    let mut change = rtc.sdp_api();
    let mid = change.add_media(kind, Direction::SendRecv, None, None, None);
    let (offer, pending) = change.apply().unwrap();
    Offering {
        rtc,
        socket,
        mid,
        pending,
        sdp: offer.to_sdp_string(),
    }
}

impl Offering {
    /// Takes the endpoint's answer and runs the client.
    fn connect(mut self, answer: &str) -> Client {
        let answer = SdpAnswer::from_sdp_string(answer).unwrap();
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, answer)
            .unwrap();
        let (tx, seen) = watch::channel(Seen::default());
        let sending = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run(self.rtc, self.socket, self.mid, tx, sending.clone()));
        Client {
            seen,
            sending,
            task,
        }
    }
}

/// The client's loop: socket in, timers, one Opus frame every 20 ms while sending.
async fn run(
    mut rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    seen: watch::Sender<Seen>,
    sending: Arc<AtomicBool>,
) {
    let local: SocketAddr = socket.local_addr().unwrap();
    let mut buf = vec![0u8; 2000];
    let mut next_frame = Instant::now();
    let mut frame_no: u64 = 0;
    loop {
        let wake = loop {
            match rtc.poll_output().unwrap() {
                Output::Timeout(at) => break at,
                Output::Transmit(t) => {
                    socket.send_to(&t.contents, t.destination).await.unwrap();
                }
                Output::Event(Event::Connected) => seen.send_modify(|s| s.connected = true),
                Output::Event(Event::MediaData(data)) => {
                    let codec = data.params.spec().codec;
                    seen.send_modify(|s| {
                        if codec == Codec::PCMU {
                            s.pcmu += 1;
                            if s.first_pcmu.is_empty() {
                                s.first_pcmu = data.data.to_vec();
                            }
                        } else if codec == Codec::Opus {
                            s.opus += 1;
                            s.last_opus = data.data.to_vec();
                        }
                    });
                }
                Output::Event(_) => {}
            }
        };
        let now = Instant::now();
        if sending.load(Ordering::SeqCst) && seen.borrow().connected && next_frame <= now {
            let writer = rtc.writer(mid).unwrap();
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::Opus)
                .map(|p| p.pt())
                .unwrap();
            // A stand-in for an Opus packet: the endpoint forwards it untouched.
            let mut payload = b"opus-frame-".to_vec();
            payload.extend_from_slice(&frame_no.to_be_bytes());
            let time = MediaTime::new(frame_no * 960, Frequency::FORTY_EIGHT_KHZ);
            writer.write(pt, now, time, payload).unwrap();
            frame_no += 1;
            next_frame = now + Duration::from_millis(20);
            continue;
        }
        let mut until = wake.min(now + Duration::from_millis(20));
        if sending.load(Ordering::SeqCst) {
            until = until.min(next_frame);
        }
        let until = tokio::time::Instant::from_std(until.max(now));
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let (n, source) = r.unwrap();
                let input = Input::Receive(Instant::now(), Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: local,
                    contents: buf[..n].try_into().unwrap(),
                });
                rtc.handle_input(input).unwrap();
            }
            _ = tokio::time::sleep_until(until) => {
                rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
            }
        }
    }
}

impl Client {
    /// Waits (at most [`WITHIN`]) until what the client received satisfies `done`.
    async fn until(&mut self, what: &str, done: impl Fn(&Seen) -> bool) -> Seen {
        let got = match tokio::time::timeout(WITHIN, self.seen.wait_for(|s| done(s))).await {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        };
        got.unwrap_or_else(|| panic!("never {what}: {:?}", *self.seen.borrow()))
    }

    fn now(&self) -> Seen {
        self.seen.borrow().clone()
    }
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
