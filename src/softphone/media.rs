//! The softphone's audio, through web-sys: the microphone (`getUserMedia`), the one
//! `RTCPeerConnection` of the call the panel carries (the browser offers, the backend's ICE-lite
//! media endpoint answers through `POST /calls/<id>/media`), mute and hold by
//! `RTCRtpSender.replaceTrack(null)` (so no packet leaves), DTMF by `RTCDTMFSender.insertDTMF`, the
//! speaker by `setSinkId` where the browser has it, and the ring tone (WebAudio).
//!
//! The media lives in this module's thread-local state, never on `window`: the end-to-end test
//! finds the peer connection by wrapping the page's `RTCPeerConnection` constructor itself.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::*;
use ucclient_core::api::{ErrorCode, MediaAnswer, MediaOffer};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, HtmlAudioElement, MediaDeviceKind, MediaStream, MediaStreamConstraints,
    MediaStreamTrack, RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionState,
    RtcRtpSender, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use super::{MEDIA_TIMEOUT_MS, S};
use crate::api::{ApiError, SoftphoneMethod};
use crate::app::Ctx;
use crate::host::interop::wait_until;

/// How long ICE gathering may take before the offer goes with the candidates it has (host
/// candidates on a LAN take milliseconds).
pub const ICE_GATHERING_MS: u32 = 2_000;

/// How often a wait (gathering, connecting) looks again, in milliseconds.
const STEP_MS: u32 = 50;

/// Why a call's media could not be set up.
#[derive(Debug)]
pub enum Failure {
    /// A softphone sentence (microphone refused, no device, not connected in time).
    Said(S),
    /// The backend refused the offer, or the browser failed (as an [`ApiError`] with
    /// `invalid_sdp`'s sentence and the browser's words as detail).
    Api(ApiError),
}

/// The media of the call the panel carries.
struct Media {
    /// The peer connection to the backend's media endpoint.
    pc: RtcPeerConnection,
    /// The microphone's sender (its track replaced by none while muted or held).
    sender: RtcRtpSender,
    /// The microphone's track.
    track: MediaStreamTrack,
    /// Plays the other side.
    audio: HtmlAudioElement,
    /// The `track` handler, alive as long as the connection.
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
}

/// The ring tone while it plays.
struct Ring {
    /// Its audio graph (closed to stop it).
    context: AudioContext,
}

thread_local! {
    static MEDIA: RefCell<Option<Media>> = const { RefCell::new(None) };
    static RING: RefCell<Option<Ring>> = const { RefCell::new(None) };
    static PAGE_HIDE: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

/// A browser failure while setting up media, as an error with `invalid_sdp`'s sentence.
fn browser_failed(e: JsValue) -> Failure {
    let detail = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default();
    Failure::Api(ApiError {
        status: 0,
        code: Some(ErrorCode::InvalidSdp),
        message: detail,
        timed_out: false,
    })
}

/// The microphone (`device`: a `deviceId`, `""` for the default): a refusal is
/// [`S::MicRefused`], anything else that gives no microphone [`S::NoAudioDevice`].
pub async fn microphone(device: &str) -> Result<MediaStream, S> {
    let devices = web_sys::window()
        .ok_or(S::NoAudioDevice)?
        .navigator()
        .media_devices()
        .map_err(|_| S::NoAudioDevice)?;
    let constraints = MediaStreamConstraints::new();
    if device.is_empty() {
        constraints.set_audio(&JsValue::TRUE);
    } else {
        let exact = Object::new();
        let _ = Reflect::set(&exact, &"exact".into(), &device.into());
        let audio = Object::new();
        let _ = Reflect::set(&audio, &"deviceId".into(), &exact);
        constraints.set_audio(&audio);
    }
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|_| S::NoAudioDevice)?;
    match JsFuture::from(promise).await {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(e) => {
            let name = Reflect::get(&e, &"name".into())
                .ok()
                .and_then(|n| n.as_string());
            Err(match name.as_deref() {
                Some("NotAllowedError" | "SecurityError") => S::MicRefused,
                _ => S::NoAudioDevice,
            })
        }
    }
}

/// Stops every track of `stream` (the browser's recording indicator goes).
pub fn stop_tracks(stream: &MediaStream) {
    for t in stream.get_tracks() {
        if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

/// The browser's microphones and, where an audio element can choose its output (`setSinkId`),
/// speakers: (`deviceId`, label) each, in the browser's order.
pub async fn devices() -> (Vec<(String, String)>, Vec<(String, String)>) {
    let (mut mics, mut speakers) = (Vec::new(), Vec::new());
    let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else {
        return (mics, speakers);
    };
    let Ok(list) = devices.enumerate_devices() else {
        return (mics, speakers);
    };
    let Ok(list) = JsFuture::from(list).await else {
        return (mics, speakers);
    };
    let sinks = can_choose_speaker();
    for d in Array::from(&list) {
        let Ok(d) = d.dyn_into::<web_sys::MediaDeviceInfo>() else {
            continue;
        };
        let entry = (d.device_id(), d.label());
        match d.kind() {
            MediaDeviceKind::Audioinput => mics.push(entry),
            MediaDeviceKind::Audiooutput if sinks => speakers.push(entry),
            _ => {}
        }
    }
    (mics, speakers)
}

/// Whether audio elements have `setSinkId` (feature-detected: not every browser has it).
pub fn can_choose_speaker() -> bool {
    let proto = Reflect::get(&js_sys::global(), &"HTMLMediaElement".into())
        .and_then(|c| Reflect::get(&c, &"prototype".into()));
    proto.is_ok_and(|p| Reflect::has(&p, &"setSinkId".into()).unwrap_or(false))
}

/// Plays `target`'s output on speaker `device` where the browser can (`setSinkId`, called through
/// `Reflect` as it is not everywhere); `""` keeps the default.
fn set_sink(target: &JsValue, device: &str) {
    if device.is_empty() {
        return;
    }
    if let Ok(f) = Reflect::get(target, &"setSinkId".into())
        && let Some(f) = f.dyn_ref::<Function>()
    {
        // A promise: a speaker gone meanwhile leaves the default.
        let _ = f.call1(target, &device.into());
    }
}

/// Sets up the media of `call` for registration `registration`: the microphone, the offer once ICE
/// gathering is complete (or after [`ICE_GATHERING_MS`]), the backend's answer, then the
/// connection, which must be `connected` within [`MEDIA_TIMEOUT_MS`] of the microphone being
/// there. On success the panel carries the call's media; on failure nothing stays open.
pub async fn connect(ctx: Ctx, call: &str, registration: &str) -> Result<(), Failure> {
    let (mic, speaker) = ctx
        .phone
        .try_with_untracked(|p| (p.mic.clone(), p.speaker.clone()))
        .unwrap_or_default();
    let stream = microphone(&mic).await.map_err(Failure::Said)?;
    let Ok(track) = stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
    else {
        stop_tracks(&stream);
        return Err(Failure::Said(S::NoAudioDevice));
    };
    // Any media of an earlier call goes first (one call at a time).
    close();
    let pc = match RtcPeerConnection::new() {
        Ok(pc) => pc,
        Err(e) => {
            track.stop();
            return Err(browser_failed(e));
        }
    };
    let sender = pc.add_track_0(&track, &stream);
    let audio = HtmlAudioElement::new().map_err(browser_failed)?;
    audio.set_autoplay(true);
    set_sink(&audio, &speaker);
    let player = audio.clone();
    let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |e: RtcTrackEvent| {
        if let Ok(s) = e.streams().get(0).dyn_into::<MediaStream>() {
            player.set_src_object(Some(&s));
            let _ = player.play();
        }
    });
    pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
    let media = Media {
        pc,
        sender,
        track,
        audio,
        _on_track: on_track,
    };
    let deadline = js_sys::Date::now() + f64::from(MEDIA_TIMEOUT_MS);
    match negotiate(ctx, &media.pc, call, registration, deadline).await {
        Ok(()) => {
            MEDIA.with(|m| *m.borrow_mut() = Some(media));
            Ok(())
        }
        Err(f) => {
            shut(media);
            Err(f)
        }
    }
}

/// Offer, answer and connection of `pc` for `call`, before `deadline` (ms since the epoch).
async fn negotiate(
    ctx: Ctx,
    pc: &RtcPeerConnection,
    call: &str,
    registration: &str,
    deadline: f64,
) -> Result<(), Failure> {
    let offer: RtcSessionDescriptionInit = JsFuture::from(pc.create_offer())
        .await
        .map_err(browser_failed)?
        .unchecked_into();
    JsFuture::from(pc.set_local_description(&offer))
        .await
        .map_err(browser_failed)?;
    wait_until(
        || pc.ice_gathering_state() == RtcIceGatheringState::Complete,
        ICE_GATHERING_MS,
        STEP_MS,
    )
    .await;
    let sdp = pc.local_description().map(|d| d.sdp()).unwrap_or_default();
    let offer = MediaOffer {
        registration: registration.to_owned(),
        sdp,
    };
    let path = format!("/calls/{}/media", super::encoded(call));
    let answer: MediaAnswer = super::request(ctx, SoftphoneMethod::Post, path, Some(&offer))
        .await
        .map_err(Failure::Api)?;
    let remote = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    remote.set_sdp(&answer.sdp);
    JsFuture::from(pc.set_remote_description(&remote))
        .await
        .map_err(browser_failed)?;
    let left = (deadline - js_sys::Date::now()).max(0.0) as u32;
    let connected = wait_until(
        || pc.connection_state() == RtcPeerConnectionState::Connected,
        left,
        STEP_MS,
    )
    .await;
    if connected {
        Ok(())
    } else {
        Err(Failure::Said(S::MediaTimeout))
    }
}

/// Closes `media`: the connection, the microphone, the player.
fn shut(media: Media) {
    media.pc.set_ontrack(None);
    media.pc.close();
    media.track.stop();
    media.audio.set_src_object(None);
}

/// Closes the media of the call the panel carries, if any.
pub fn close() {
    if let Some(m) = MEDIA.with(|m| m.borrow_mut().take()) {
        shut(m);
    }
}

/// Sends the microphone (`true`) or nothing (`false`: muted or held): the sender's track is
/// replaced, so no packet leaves while off.
pub async fn send(on: bool) {
    let Some((sender, track)) = MEDIA.with(|m| {
        m.borrow()
            .as_ref()
            .map(|m| (m.sender.clone(), m.track.clone()))
    }) else {
        return;
    };
    let _ = JsFuture::from(sender.replace_track(on.then_some(&track))).await;
}

/// Sends DTMF `tones` (RFC 4733 events, as negotiated) on the call the panel carries.
pub fn dtmf(tones: &str) {
    let Some(sender) = MEDIA.with(|m| m.borrow().as_ref().map(|m| m.sender.clone())) else {
        return;
    };
    // Through `Reflect`: `insertDTMF` throws while the sender cannot send DTMF, and web-sys's
    // binding does not catch.
    if let Some(dtmf) = sender.dtmf()
        && let Ok(f) = Reflect::get(&dtmf, &"insertDTMF".into())
        && let Some(f) = f.dyn_ref::<Function>()
    {
        let _ = f.call1(&dtmf, &tones.into());
    }
}

/// Uses microphone `device` on the call the panel carries, now (unless muted or held: then at the
/// next unmute).
pub async fn change_microphone(device: &str, sending: bool) -> Result<(), S> {
    if MEDIA.with(|m| m.borrow().is_none()) {
        return Ok(());
    }
    let stream = microphone(device).await?;
    let Ok(track) = stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
    else {
        stop_tracks(&stream);
        return Err(S::NoAudioDevice);
    };
    let sender = MEDIA.with(|m| {
        let mut m = m.borrow_mut();
        let m = m.as_mut()?;
        let old = std::mem::replace(&mut m.track, track.clone());
        old.stop();
        Some(m.sender.clone())
    });
    match sender {
        Some(sender) if sending => {
            let _ = JsFuture::from(sender.replace_track(Some(&track))).await;
        }
        Some(_) => {}
        None => track.stop(),
    }
    Ok(())
}

/// Plays the other side on speaker `device` (and the ring tone, when it rings next).
pub fn change_speaker(device: &str) {
    MEDIA.with(|m| {
        if let Some(m) = m.borrow().as_ref() {
            set_sink(&m.audio, device);
        }
    });
}

/// Cadences of the ring tone played: 2 s of 440 + 480 Hz, 4 s of silence, for at most this many
/// rings (two minutes; a call rings out long before).
const RINGS: u32 = 20;

/// Starts (`true`) or stops the ring tone, on speaker `device` where the browser can.
pub fn ring(on: bool, device: &str) {
    let old = RING.with(|r| r.borrow_mut().take());
    if let Some(old) = old {
        let _ = old.context.close();
    }
    if !on {
        return;
    }
    if let Some(context) = ring_tone(device) {
        RING.with(|r| *r.borrow_mut() = Some(Ring { context }));
    }
}

/// A two-tone ring through WebAudio: two oscillators into one gain, the cadence scheduled on the
/// gain (no timer of ours).
fn ring_tone(device: &str) -> Option<AudioContext> {
    let context = AudioContext::new().ok()?;
    set_sink(&context, device);
    let gain = context.create_gain().ok()?;
    let level = gain.gain();
    let t0 = context.current_time();
    level.set_value_at_time(0.0, t0).ok()?;
    for i in 0..RINGS {
        let start = t0 + f64::from(i) * 6.0;
        level.set_value_at_time(0.12, start).ok()?;
        level.set_value_at_time(0.0, start + 2.0).ok()?;
    }
    gain.connect_with_audio_node(&context.destination()).ok()?;
    for hz in [440.0, 480.0] {
        let osc = context.create_oscillator().ok()?;
        osc.frequency().set_value(hz);
        osc.connect_with_audio_node(&gain).ok()?;
        osc.start().ok()?;
    }
    // Autoplay rules may leave it suspended until the agent interacts; the panel has been used.
    let _ = context.resume();
    Some(context)
}

/// On `pagehide` (the page going away, or into the back/forward cache), the registration ends
/// through a `keepalive` fetch with the bearer header. Installed once per page.
pub fn on_page_hide(ctx: Ctx) {
    if PAGE_HIDE.with(|p| p.borrow().is_some()) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = Closure::<dyn FnMut()>::new(move || {
        let reg = ctx
            .phone
            .try_with_untracked(|p| p.registration.clone())
            .flatten();
        if let Some(reg) = reg {
            // Started already (`keepalive`): the future is ready and has nothing to say.
            drop(ctx.backend().softphone_end(reg.id, true));
            let _ = ctx.phone.try_update(|p| {
                p.registration = None;
                p.on = false;
            });
            close();
        }
    });
    let _ = window.add_event_listener_with_callback("pagehide", handler.as_ref().unchecked_ref());
    PAGE_HIDE.with(|p| *p.borrow_mut() = Some(handler));
}
