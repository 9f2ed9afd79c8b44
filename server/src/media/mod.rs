//! The softphone's media endpoint (issue 17): WebRTC audio between the widget and the embedded
//! PBX, on [str0m](https://docs.rs/str0m) (sans-IO).
//!
//! One tokio task owns one UDP socket for the whole node and every session on it: packets are fed
//! to the session whose [`Rtc::accepts`] them, each session's output is drained after every input
//! and timeout, and nothing else ever touches a session. The browser always offers; the endpoint
//! answers as ICE-lite with one host candidate (`--media-listen`'s port, at `--media-address`).
//!
//! A session belongs to one leg of a call: the call id and its owner ([`SessionKey`]). What the
//! session does follows the call ([`Leg`], fed by [`Media::follow`] after every committed call
//! change of this node, and read back from the store every second for calls moved by another
//! node):
//! - a connected call between colleagues whose both legs have a session here: each side's audio
//!   (Opus, and RFC 4733 `telephone-event`) goes to the other untouched;
//! - a connected call whose other side is the simulated outside party (no `peer`): the endpoint
//!   sends a generated chime in PCMU ([`tone`]), 20 ms frames, so the agent hears something;
//! - a caller leaving a message in a colleague's mailbox (`leaving_message`): the endpoint sends
//!   the mailbox's beep and records what the caller says ([`record`]) until the call ends, when
//!   the call's end takes it ([`Media::recording`]) as the message;
//! - on hold (either leg's `held`): nothing flows either way; resuming restarts it;
//! - an ended call: its sessions close. A session that does not connect within
//!   [`CONNECT_WITHIN`], or whose browser goes silent (ICE times out), closes too.
//!
//! Sessions live in this process only: both legs of a call between colleagues must reach the same
//! node (ARCHITECTURE.md, "Softphone media").

pub mod record;
pub mod tone;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{OnceCell, mpsc, oneshot};
use ucclient_core::api::{CallState, MAX_SDP_LEN};

use crate::store::OwnedCall;

/// Most media sessions one node holds at once (a new one beyond is refused with 503).
pub const MAX_SESSIONS: usize = 1_000;
/// How long a session may take to connect (ICE, DTLS) before it is closed.
pub const CONNECT_WITHIN: Duration = Duration::from_secs(30);
/// One audio frame.
const FRAME: Duration = Duration::from_millis(20);
/// Commands waiting for the endpoint's task.
const COMMANDS: usize = 1_024;
/// How long a handler waits for the endpoint's task to answer an offer.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Largest datagram read (WebRTC keeps under ~1200 bytes).
const MAX_DATAGRAM: usize = 2_000;
/// Longest the task sleeps without looking at its sessions' timers.
const IDLE_TICK: Duration = Duration::from_millis(500);
/// How long the recording of a caller whose session closed before their call ended (the browser
/// closed its peer connection before the hang-up reached the backend, or vanished) waits for the
/// call's end to take it.
const KEEP_RECORDING: Duration = Duration::from_secs(60);
/// Most such recordings kept at once (the oldest goes first): 100 × 30 s of 8 kHz 16-bit is 48 MB
/// at worst.
const MAX_KEPT: usize = 100;
/// How many rounds of forwarding one wake-up drains at most.
const MAX_ROUNDS: usize = 4;
/// The payload types offered for RFC 4733 `telephone-event` (Chromium's numbers), at 48 kHz
/// (beside Opus) and 8 kHz (beside PCMU).
const TELEPHONE_EVENT_PTS: [(u8, Frequency); 2] = [
    (110, Frequency::FORTY_EIGHT_KHZ),
    (126, Frequency::EIGHT_KHZ),
];

/// Whose a session is: one leg of a call (the call id) and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    /// The call (one leg: a call between colleagues is two calls).
    pub call_id: String,
    /// The user whose call it is.
    pub user_id: String,
}

/// What the media endpoint needs of a call: its state, hold, and the other leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The call id.
    pub call_id: String,
    /// The user whose call it is.
    pub user_id: String,
    /// The call's state.
    pub state: CallState,
    /// Whether the call is on hold.
    pub held: bool,
    /// For a call between colleagues, the other side's call; `None`: the simulated outside party.
    pub peer: Option<String>,
    /// The caller is leaving a message in a colleague's mailbox: what they say is recorded.
    pub recording: bool,
}

impl Leg {
    /// The leg of a stored call.
    pub fn of(call: &OwnedCall) -> Leg {
        Leg {
            call_id: call.call.id.clone(),
            user_id: call.user_id.clone(),
            state: call.call.state,
            held: call.call.held,
            peer: call.peer.clone(),
            recording: call.call.leaving_message,
        }
    }

    /// The session of this leg.
    pub fn key(&self) -> SessionKey {
        SessionKey {
            call_id: self.call_id.clone(),
            user_id: self.user_id.clone(),
        }
    }

    /// Connected and not on hold: media may flow.
    fn live(&self) -> bool {
        self.state == CallState::Connected && !self.held
    }
}

/// Why an offer was not answered.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not an SDP audio offer this endpoint can answer (422 `invalid_sdp`).
    #[error("{0}")]
    InvalidSdp(String),
    /// [`MAX_SESSIONS`] sessions already (503).
    #[error("the media endpoint has as many sessions as it takes")]
    Full,
    /// The endpoint could not start or stopped (500; the cause is logged).
    #[error("the media endpoint is not running: {0}")]
    Down(String),
}

/// What a session did so far (for tests and the debug log; never the media itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionStats {
    /// ICE and DTLS are done: SRTP flows.
    pub connected: bool,
    /// Audio frames written to the browser (tone or forwarded), one RTP packet each.
    pub sent: u64,
    /// Audio frames received from the browser.
    pub received: u64,
}

/// The media endpoint of this node. Its socket is bound and its task started on first use (a
/// backend that never answers an offer binds nothing); the task ends when this is dropped.
pub struct Media {
    listen: SocketAddr,
    address: Option<IpAddr>,
    running: OnceCell<Running>,
}

/// The started endpoint.
struct Running {
    commands: mpsc::Sender<Command>,
    candidate: SocketAddr,
}

enum Command {
    Answer {
        leg: Leg,
        offer: SdpOffer,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    Follow(Vec<Leg>),
    Calls(oneshot::Sender<Vec<String>>),
    Stats(SessionKey, oneshot::Sender<Option<SessionStats>>),
    Recording(SessionKey, oneshot::Sender<Option<Vec<i16>>>),
}

impl Media {
    /// An endpoint to bind at `listen` (port 0: any free one), writing `address` in its host
    /// candidate (`None`: the bound address, which then must not be unspecified).
    pub fn new(listen: SocketAddr, address: Option<IpAddr>) -> Media {
        Media {
            listen,
            address,
            running: OnceCell::new(),
        }
    }

    async fn running(&self) -> Result<&Running, MediaError> {
        self.running
            .get_or_try_init(|| async {
                let socket = UdpSocket::bind(self.listen)
                    .await
                    .map_err(|e| MediaError::Down(format!("binding {}: {e}", self.listen)))?;
                let local = socket
                    .local_addr()
                    .map_err(|e| MediaError::Down(e.to_string()))?;
                let ip = self.address.unwrap_or(local.ip());
                if ip.is_unspecified() {
                    return Err(MediaError::Down(format!(
                        "the media socket is bound to {local}: set --media-address to the address \
                         browsers reach it at"
                    )));
                }
                let candidate = SocketAddr::new(ip, local.port());
                let (commands, rx) = mpsc::channel(COMMANDS);
                tokio::spawn(Endpoint::new(socket, local, candidate).run(rx));
                tracing::info!(%local, %candidate, "media endpoint listening");
                Ok(Running {
                    commands,
                    candidate,
                })
            })
            .await
    }

    /// The address in the host candidate of every answer, once started (for tests and logs).
    pub fn candidate(&self) -> Option<SocketAddr> {
        self.running.get().map(|r| r.candidate)
    }

    /// Answers the browser's `offer_sdp` for `leg` (replacing the leg's earlier session, if any):
    /// an ICE-lite answer with one host candidate, Opus and PCMU, `telephone-event`.
    pub async fn answer(&self, leg: Leg, offer_sdp: &str) -> Result<String, MediaError> {
        let offer = parse_offer(offer_sdp)?;
        let running = self.running().await?;
        let (reply, answer) = oneshot::channel();
        running
            .commands
            .send(Command::Answer { leg, offer, reply })
            .await
            .map_err(|_| MediaError::Down("its task ended".into()))?;
        match tokio::time::timeout(ANSWER_WITHIN, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(MediaError::Down("its task ended".into())),
            Err(_) => Err(MediaError::Down("it did not answer in time".into())),
        }
    }

    /// Tells the endpoint where these calls are now (connected, held, ended, linked to another
    /// leg). Calls without a session here are ignored; nothing happens before the endpoint
    /// started. Never waits: when the endpoint is behind, the store is read back within a second.
    pub fn follow(&self, legs: Vec<Leg>) {
        let Some(running) = self.running.get() else {
            return;
        };
        if legs.is_empty() {
            return;
        }
        if running.commands.try_send(Command::Follow(legs)).is_err() {
            tracing::warn!("media endpoint busy: its calls are read back from the store");
        }
    }

    /// Asks the endpoint's task a question (`ask` makes the command from the reply's sender) and
    /// waits for its answer; `None` before the endpoint started or once its task ended.
    async fn ask<T>(&self, ask: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let running = self.running.get()?;
        let (reply, answer) = oneshot::channel();
        running.commands.send(ask(reply)).await.ok()?;
        answer.await.ok()
    }

    /// The call ids that have a session here (none before the endpoint started).
    pub async fn calls(&self) -> Vec<String> {
        self.ask(Command::Calls).await.unwrap_or_default()
    }

    /// What the session of `key` did so far; `None` when there is no such session.
    pub async fn stats(&self, key: SessionKey) -> Option<SessionStats> {
        self.ask(|reply| Command::Stats(key, reply)).await.flatten()
    }

    /// What the caller of `key` said to a colleague's mailbox so far (8 kHz 16-bit mono samples);
    /// `None` when the session is not here or is not recording. Read before the call's end is
    /// committed: the end closes the session and drops the recording with it (a session that
    /// closed first left it for a while: [`KEEP_RECORDING`]).
    pub async fn recording(&self, key: SessionKey) -> Option<Vec<i16>> {
        self.ask(|reply| Command::Recording(key, reply))
            .await
            .flatten()
    }
}

/// How often the calls with a session here are read back from the store (calls another node
/// moved: this node's own moves reach the endpoint at once through [`Media::follow`]).
pub const READ_BACK_EVERY: Duration = Duration::from_secs(1);

/// Reads back the calls with a session on this node and follows them: a call ended, held or
/// resumed by another node (or by a write this node's [`Media::follow`] missed) moves its media
/// within [`READ_BACK_EVERY`]. Does nothing while the endpoint has no session.
pub async fn read_back(state: &crate::AppState) {
    let mut legs = Vec::new();
    for call_id in state.media.calls().await {
        match state.store.call(&call_id).await {
            Ok(Some(call)) => legs.push(Leg::of(&call)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading back a softphone call"),
        }
    }
    state.media.follow(legs);
}

/// Checks the offer: bounded, parses, has an audio section that is not disabled.
fn parse_offer(sdp: &str) -> Result<SdpOffer, MediaError> {
    if sdp.len() > MAX_SDP_LEN {
        return Err(MediaError::InvalidSdp(format!(
            "the SDP offer is longer than {MAX_SDP_LEN} bytes"
        )));
    }
    let offer = SdpOffer::from_sdp_string(sdp)
        .map_err(|e| MediaError::InvalidSdp(format!("the SDP offer does not parse: {e}")))?;
    let audio = offer
        .media_lines
        .iter()
        .any(|m| !m.disabled && m.typ.to_string() == "audio");
    if !audio {
        return Err(MediaError::InvalidSdp(
            "the SDP offer has no audio section".into(),
        ));
    }
    Ok(offer)
}

/// One leg's WebRTC session.
struct Session {
    rtc: Rtc,
    leg: Leg,
    /// The audio section's mid, once str0m announced it.
    audio: Option<Mid>,
    connected: bool,
    created: Instant,
    /// When str0m wants its next timeout.
    wake: Instant,
    /// The tone's RTP clock (8 kHz samples sent).
    tone_time: u64,
    stats: SessionStats,
    /// ICE gave up or the session failed: removed at the end of this round.
    dead: bool,
    /// The RTP time of the last DTMF event logged (its end is sent three times).
    last_dtmf: Option<MediaTime>,
    /// While the caller leaves a message: what they said so far.
    recorder: Option<record::Recorder>,
    /// Frames of the mailbox's beep sent.
    beeped: u32,
}

impl Session {
    /// Sends the simulated outside party's voice: connected, not held, no colleague on the other
    /// side.
    fn wants_tone(&self) -> bool {
        self.connected && self.leg.live() && self.leg.peer.is_none()
    }

    /// Sends the mailbox's beep: connected, leaving a message, the beep not over.
    fn wants_beep(&self) -> bool {
        self.connected && self.leg.live() && self.leg.recording && self.beeped < tone::BEEP_FRAMES
    }

    /// Takes this leg's connection to the call as it is now: a caller who starts leaving a
    /// message starts being recorded.
    fn set_leg(&mut self, leg: Leg) {
        if leg.recording && self.recorder.is_none() {
            self.recorder = Some(record::Recorder::new());
        }
        self.leg = leg;
    }
}

/// The task's state: the socket and every session.
struct Endpoint {
    socket: UdpSocket,
    local: SocketAddr,
    candidate: SocketAddr,
    sessions: HashMap<SessionKey, Session>,
    tone: tone::Tone,
    /// One frame of the mailbox's beep.
    beep: [u8; tone::FRAME_SAMPLES],
    /// Recordings of sessions that closed before their call ended, and when ([`KEEP_RECORDING`]).
    kept: HashMap<SessionKey, (Instant, Vec<i16>)>,
    /// The chime's frame number and when the next frame is due, while some session wants it.
    tone_frame: u64,
    next_tone: Option<Instant>,
}

impl Endpoint {
    fn new(socket: UdpSocket, local: SocketAddr, candidate: SocketAddr) -> Endpoint {
        Endpoint {
            socket,
            local,
            candidate,
            sessions: HashMap::new(),
            tone: tone::Tone::new(),
            beep: tone::beep(),
            kept: HashMap::new(),
            tone_frame: 0,
            next_tone: None,
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let now = Instant::now();
            self.drive(now);
            let deadline = self.deadline(now);
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => self.receive(&buf[..n], source),
                    Err(e) => tracing::debug!(error = %e, "media socket"),
                },
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {}
            }
        }
        for session in self.sessions.values_mut() {
            session.rtc.disconnect();
        }
        tracing::info!(local = %self.local, "media endpoint stopped");
    }

    /// The earliest of the sessions' timers and the tone's next frame (at most [`IDLE_TICK`]).
    fn deadline(&self, now: Instant) -> Instant {
        let mut at = now + IDLE_TICK;
        for s in self.sessions.values() {
            at = at.min(s.wake);
        }
        if let Some(t) = self.next_tone {
            at = at.min(t);
        }
        at.max(now)
    }

    fn receive(&mut self, contents: &[u8], source: SocketAddr) {
        let now = Instant::now();
        let Ok(contents) = contents.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.candidate,
                contents,
            },
        );
        let Some(session) = self.sessions.values_mut().find(|s| s.rtc.accepts(&input)) else {
            tracing::trace!(%source, "a datagram no media session takes");
            return;
        };
        if let Err(e) = session.rtc.handle_input(input) {
            tracing::debug!(call = %session.leg.call_id, error = %e, "media input refused");
            session.dead = true;
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Answer { leg, offer, reply } => {
                let _ = reply.send(self.answer(leg, offer));
            }
            Command::Follow(legs) => {
                for leg in legs {
                    self.follow(leg);
                }
            }
            Command::Calls(reply) => {
                let mut calls: Vec<String> =
                    self.sessions.keys().map(|k| k.call_id.clone()).collect();
                calls.sort_unstable();
                calls.dedup();
                let _ = reply.send(calls);
            }
            Command::Stats(key, reply) => {
                let _ = reply.send(self.sessions.get(&key).map(|s| s.stats));
            }
            Command::Recording(key, reply) => {
                let samples = match self.sessions.get(&key) {
                    Some(s) => s.recorder.as_ref().map(|r| r.samples().to_vec()),
                    None => self.kept.get(&key).map(|(_, samples)| samples.clone()),
                };
                let _ = reply.send(samples);
            }
        }
    }

    fn answer(&mut self, leg: Leg, offer: SdpOffer) -> Result<String, MediaError> {
        let key = leg.key();
        if !self.sessions.contains_key(&key) && self.sessions.len() >= MAX_SESSIONS {
            return Err(MediaError::Full);
        }
        let now = Instant::now();
        let mut config = Rtc::builder().set_ice_lite(true).clear_codecs();
        let codecs = config.codec_config();
        codecs.enable_opus(true, false);
        codecs.enable_pcmu(true, false);
        for (pt, rate) in TELEPHONE_EVENT_PTS {
            codecs.add_config(
                pt.into(),
                None,
                Codec::Tele,
                rate,
                None,
                FormatParams::default(),
            );
        }
        let mut rtc = config.build(now);
        let candidate = Candidate::host(self.candidate, "udp")
            .map_err(|e| MediaError::Down(format!("host candidate {}: {e}", self.candidate)))?;
        if rtc.add_local_candidate(candidate).is_none() {
            return Err(MediaError::Down(format!(
                "str0m refused the host candidate {}",
                self.candidate
            )));
        }
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| {
            MediaError::InvalidSdp(format!("the SDP offer cannot be answered: {e}"))
        })?;
        if let Some(mut old) = self.sessions.remove(&key) {
            old.rtc.disconnect();
            tracing::debug!(call = %key.call_id, "media session replaced by a new offer");
        }
        tracing::debug!(call = %key.call_id, "media session answered");
        let recorder = leg.recording.then(record::Recorder::new);
        self.sessions.insert(
            key,
            Session {
                rtc,
                leg,
                audio: None,
                connected: false,
                created: now,
                wake: now,
                tone_time: 0,
                stats: SessionStats::default(),
                dead: false,
                last_dtmf: None,
                recorder,
                beeped: 0,
            },
        );
        Ok(answer.to_sdp_string())
    }

    fn follow(&mut self, leg: Leg) {
        let key = leg.key();
        if !leg.state.is_final() {
            if let Some(session) = self.sessions.get_mut(&key) {
                session.set_leg(leg);
            }
            return;
        }
        // Its recording, if any, was taken before the end was committed.
        self.kept.remove(&key);
        if let Some(mut session) = self.sessions.remove(&key) {
            session.rtc.disconnect();
            let s = session.stats;
            tracing::debug!(call = %key.call_id, sent = s.sent, received = s.received, "media session closed: the call ended");
        }
    }

    /// One round: timers, the tone's due frames, every session's output (forwarding the audio
    /// it received), and closing what is over.
    fn drive(&mut self, now: Instant) {
        for session in self.sessions.values_mut() {
            if session.wake <= now
                && let Err(e) = session.rtc.handle_input(Input::Timeout(now))
            {
                tracing::debug!(call = %session.leg.call_id, error = %e, "media timeout");
                session.dead = true;
            }
        }
        self.play_tone(now);
        for _ in 0..MAX_ROUNDS {
            let received = self.poll_all();
            if received.is_empty() {
                break;
            }
            self.forward(received);
        }
        self.close_over(now);
    }

    /// Writes the chime's (and the beep's) due frames to every session that wants it.
    fn play_tone(&mut self, now: Instant) {
        if !self
            .sessions
            .values()
            .any(|s| s.wants_tone() || s.wants_beep())
        {
            self.next_tone = None;
            return;
        }
        let mut due = *self.next_tone.get_or_insert(now);
        if now.saturating_duration_since(due) > 5 * FRAME {
            // Far behind (a stalled task): skip ahead rather than burst.
            due = now;
        }
        while due <= now {
            let chime = self.tone.frame(self.tone_frame);
            for session in self.sessions.values_mut() {
                let frame = if session.wants_tone() {
                    chime
                } else if session.wants_beep() {
                    session.beeped += 1;
                    &self.beep
                } else {
                    continue;
                };
                let Some(mid) = session.audio else { continue };
                let Some(writer) = session.rtc.writer(mid) else {
                    continue;
                };
                let Some(pt) = writer
                    .payload_params()
                    .find(|p| p.spec().codec == Codec::PCMU)
                    .map(|p| p.pt())
                else {
                    continue;
                };
                let time = MediaTime::new(session.tone_time, Frequency::EIGHT_KHZ);
                session.tone_time += tone::FRAME_SAMPLES as u64;
                match writer.write(pt, due, time, frame.to_vec()) {
                    Ok(()) => session.stats.sent += 1,
                    Err(e) => tracing::debug!(call = %session.leg.call_id, error = %e, "tone"),
                }
            }
            self.tone_frame += 1;
            due += FRAME;
        }
        self.next_tone = Some(due);
    }

    /// Drains every session's output: datagrams are sent, events noted; the audio received is
    /// returned with the session it came from.
    fn poll_all(&mut self) -> Vec<(SessionKey, MediaData)> {
        let mut received = Vec::new();
        for (key, session) in &mut self.sessions {
            loop {
                if !session.rtc.is_alive() {
                    session.dead = true;
                    break;
                }
                match session.rtc.poll_output() {
                    Ok(Output::Timeout(at)) => {
                        session.wake = at;
                        break;
                    }
                    Ok(Output::Transmit(t)) => {
                        // UDP: a datagram the kernel cannot take now is lost like any other.
                        if let Err(e) = self.socket.try_send_to(&t.contents, t.destination) {
                            tracing::trace!(error = %e, "media datagram not sent");
                        }
                    }
                    Ok(Output::Event(event)) => match event {
                        Event::Connected => {
                            session.connected = true;
                            session.stats.connected = true;
                            tracing::debug!(call = %key.call_id, "media session connected");
                        }
                        Event::MediaAdded(m) if m.kind == MediaKind::Audio => {
                            session.audio.get_or_insert(m.mid);
                        }
                        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                            session.dead = true;
                        }
                        Event::MediaData(data) => {
                            session.stats.received += 1;
                            if session.leg.live()
                                && let Some(recorder) = session.recorder.as_mut()
                            {
                                recorder.push(data.params.spec().codec, &data.data);
                            }
                            if data.params.spec().codec == Codec::Tele
                                && session.last_dtmf != Some(data.time)
                                && log_dtmf(&key.call_id, &data)
                            {
                                session.last_dtmf = Some(data.time);
                            }
                            received.push((key.clone(), data));
                        }
                        _ => {}
                    },
                    Err(e) => {
                        tracing::debug!(call = %key.call_id, error = %e, "media session failed");
                        session.dead = true;
                        break;
                    }
                }
            }
        }
        received
    }

    /// The session bridged to `key`'s: the other leg of a connected call between colleagues, with a
    /// session here, neither leg on hold.
    fn partner(&self, key: &SessionKey) -> Option<SessionKey> {
        let session = self.sessions.get(key)?;
        let peer = session.leg.peer.as_deref()?;
        let (other_key, other) = self.sessions.iter().find(|(k, _)| k.call_id == peer)?;
        (session.leg.live() && other.leg.live() && other.connected).then(|| other_key.clone())
    }

    /// Writes each received frame, untouched, to the bridged session (if any).
    fn forward(&mut self, received: Vec<(SessionKey, MediaData)>) {
        for (from, data) in received {
            let Some(to) = self.partner(&from) else {
                continue;
            };
            let Some(session) = self.sessions.get_mut(&to) else {
                continue;
            };
            let Some(mid) = session.audio else { continue };
            let Some(writer) = session.rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            match writer.write(pt, data.network_time, data.time, data.data) {
                Ok(()) => session.stats.sent += 1,
                Err(e) => tracing::debug!(call = %to.call_id, error = %e, "forwarding audio"),
            }
        }
    }

    /// Closes the sessions that failed, timed out, or never connected within [`CONNECT_WITHIN`].
    /// A caller's recording outlives their session until the call's end takes it
    /// ([`KEEP_RECORDING`], [`MAX_KEPT`]).
    fn close_over(&mut self, now: Instant) {
        let kept = &mut self.kept;
        self.sessions.retain(|key, s| {
            let late = !s.connected && now.saturating_duration_since(s.created) > CONNECT_WITHIN;
            let keep = !s.dead && !late && s.rtc.is_alive();
            if !keep {
                s.rtc.disconnect();
                let st = s.stats;
                tracing::debug!(call = %key.call_id, late, sent = st.sent, received = st.received, "media session closed");
                if let Some(r) = s.recorder.take() {
                    tracing::debug!(call = %key.call_id, samples = r.samples().len(), refused = r.refused(), "recording kept for the call's end");
                    kept.insert(key.clone(), (now, r.into_samples()));
                }
            }
            keep
        });
        self.kept
            .retain(|_, (at, _)| now.saturating_duration_since(*at) < KEEP_RECORDING);
        while self.kept.len() > MAX_KEPT {
            let Some(oldest) = self
                .kept
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.kept.remove(&oldest);
        }
    }
}

/// Logs a DTMF digit the browser sent (RFC 4733: the event code, at the end of the event), at
/// debug level: the digit, never the audio. Whether this was an event's end (logged).
fn log_dtmf(call_id: &str, data: &MediaData) -> bool {
    let [event, flags, ..] = data.data[..] else {
        return false;
    };
    if flags & 0x80 != 0 {
        let digit = match event {
            0..=9 => char::from(b'0' + event),
            10 => '*',
            11 => '#',
            12..=15 => char::from(b'A' + event - 12),
            _ => '?',
        };
        tracing::debug!(call = %call_id, %digit, "DTMF from the softphone");
        return true;
    }
    false
}
