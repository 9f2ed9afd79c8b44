//! A str0m peer playing the browser in the media endpoint's tests (`tests/media.rs`,
//! `tests/media_load.rs`): it offers audio (Opus, PCMU), connects to the endpoint's answer over a
//! real UDP socket on 127.0.0.1, counts what it receives, and sends Opus frames (or PCMU ones) while
//! asked to and RFC 4733 DTMF digits when told.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// The bound of every wait for something to happen.
pub const WITHIN: Duration = Duration::from_secs(10);

/// What a client received so far.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub connected: bool,
    /// PCMU frames (the tone) and their first payload.
    pub pcmu: u64,
    pub first_pcmu: Vec<u8>,
    /// Opus frames (a colleague's audio) and the newest payload.
    pub opus: u64,
    pub last_opus: Vec<u8>,
    /// The RFC 4733 event codes received (a colleague's DTMF), each once, at its end.
    pub dtmf: Vec<u8>,
}

/// No DTMF digit waiting to be sent.
const NO_DIGIT: u8 = u8::MAX;
/// RFC 4733 `telephone-event` at 48 kHz, Chromium's payload type (as the endpoint offers it).
const TELEPHONE_EVENT_PT: u8 = 110;

/// The PCMU frame a client sends while `pcmu`: every μ-law code from 0x00 up (160 of them).
pub const PCMU_FRAME: [u8; 160] = {
    let mut f = [0u8; 160];
    let mut i = 0;
    while i < 160 {
        f[i] = i as u8;
        i += 1;
    }
    f
};

/// A str0m peer playing the browser: it offers audio (Opus, PCMU), connects to the endpoint's
/// answer, counts what it receives, and sends Opus frames of its own while `sending`.
pub struct Client {
    seen: watch::Receiver<Seen>,
    pub sending: Arc<AtomicBool>,
    /// Send [`PCMU_FRAME`]s instead of Opus ones while `sending`.
    pub pcmu: Arc<AtomicBool>,
    /// The RFC 4733 event code to send next ([`NO_DIGIT`]: none).
    digit: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The offer of a new client, and what it needs to connect once answered.
pub struct Offering {
    rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    pending: SdpPendingOffer,
    pub sdp: String,
}

pub async fn offer(kind: MediaKind) -> Offering {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut config = Rtc::builder().clear_codecs();
    config.codec_config().enable_opus(true, false);
    config.codec_config().enable_pcmu(true, false);
    config.codec_config().add_config(
        TELEPHONE_EVENT_PT.into(),
        None,
        Codec::Tele,
        Frequency::FORTY_EIGHT_KHZ,
        None,
        FormatParams::default(),
    );
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
    pub fn connect(mut self, answer: &str) -> Client {
        let answer = SdpAnswer::from_sdp_string(answer).unwrap();
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, answer)
            .unwrap();
        let (tx, seen) = watch::channel(Seen::default());
        let sending = Arc::new(AtomicBool::new(false));
        let pcmu = Arc::new(AtomicBool::new(false));
        let digit = Arc::new(AtomicU8::new(NO_DIGIT));
        let task = tokio::spawn(run(
            self.rtc,
            self.socket,
            self.mid,
            tx,
            sending.clone(),
            pcmu.clone(),
            digit.clone(),
        ));
        Client {
            seen,
            sending,
            pcmu,
            digit,
            task,
        }
    }
}

/// The client's loop: socket in, timers, one Opus frame every 20 ms while sending, a DTMF digit
/// when one is waiting.
async fn run(
    mut rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    seen: watch::Sender<Seen>,
    sending: Arc<AtomicBool>,
    pcmu: Arc<AtomicBool>,
    digit: Arc<AtomicU8>,
) {
    let local: SocketAddr = socket.local_addr().unwrap();
    let mut buf = vec![0u8; 2000];
    let mut next_frame = Instant::now();
    let mut frame_no: u64 = 0;
    let mut dtmf_time: Option<MediaTime> = None;
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
                    let last_dtmf = dtmf_time;
                    if codec == Codec::Tele {
                        dtmf_time = Some(data.time);
                    }
                    seen.send_modify(|s| {
                        if codec == Codec::PCMU {
                            s.pcmu += 1;
                            if s.first_pcmu.is_empty() {
                                s.first_pcmu = data.data.to_vec();
                            }
                        } else if codec == Codec::Opus {
                            s.opus += 1;
                            s.last_opus = data.data.to_vec();
                        } else if codec == Codec::Tele
                            && let [event, flags, ..] = data.data[..]
                            && flags & 0x80 != 0
                            && last_dtmf != Some(data.time)
                        {
                            // An event's end (sent three times): counted once.
                            s.dtmf.push(event);
                        }
                    });
                }
                Output::Event(_) => {}
            }
        };
        let now = Instant::now();
        let event = digit.load(Ordering::SeqCst);
        if event != NO_DIGIT && seen.borrow().connected {
            digit.store(NO_DIGIT, Ordering::SeqCst);
            // RFC 4733: one event of 100 ms (4,800 ticks at 48 kHz), its end packet three times,
            // all with the event's start time.
            let writer = rtc.writer(mid).unwrap();
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::Tele)
                .map(|p| p.pt())
                .expect("telephone-event negotiated");
            let time = MediaTime::new(frame_no * 960 + 1, Frequency::FORTY_EIGHT_KHZ);
            let payload = vec![event, 0x80 | 10, 0x12, 0xC0];
            for _ in 0..3 {
                let writer = rtc.writer(mid).unwrap();
                writer.write(pt, now, time, payload.clone()).unwrap();
            }
            continue;
        }
        if sending.load(Ordering::SeqCst) && seen.borrow().connected && next_frame <= now {
            let writer = rtc.writer(mid).unwrap();
            let (codec, payload, time) = if pcmu.load(Ordering::SeqCst) {
                let time = MediaTime::new(frame_no * 160, Frequency::EIGHT_KHZ);
                (Codec::PCMU, PCMU_FRAME.to_vec(), time)
            } else {
                // A stand-in for an Opus packet: the endpoint forwards it untouched.
                let mut payload = b"opus-frame-".to_vec();
                payload.extend_from_slice(&frame_no.to_be_bytes());
                let time = MediaTime::new(frame_no * 960, Frequency::FORTY_EIGHT_KHZ);
                (Codec::Opus, payload, time)
            };
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == codec)
                .map(|p| p.pt())
                .unwrap();
            writer.write(pt, now, time, payload).unwrap();
            frame_no += 1;
            // Paced on the frame clock, not on when this loop woke: 50 frames/s.
            next_frame =
                (next_frame + Duration::from_millis(20)).max(now - Duration::from_millis(100));
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
    pub async fn until(&mut self, what: &str, done: impl Fn(&Seen) -> bool) -> Seen {
        let got = match tokio::time::timeout(WITHIN, self.seen.wait_for(|s| done(s))).await {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        };
        got.unwrap_or_else(|| panic!("never {what}: {:?}", *self.seen.borrow()))
    }

    /// Sends the DTMF digit of RFC 4733 event code `event` (0–9, 10 `*`, 11 `#`) once connected.
    pub fn send_dtmf(&self, event: u8) {
        self.digit.store(event, Ordering::SeqCst);
    }

    pub fn now(&self) -> Seen {
        self.seen.borrow().clone()
    }
}
