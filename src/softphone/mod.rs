//! The softphone (issue 17): this panel as the agent's softphone device, with the call's audio
//! over WebRTC between the browser and the backend's media endpoint.
//!
//! What it owns: the registration (`PUT /softphone`, a keep-alive every [`KEEPALIVE_MS`], `DELETE`
//! when the agent turns it off, signs out or the page goes away — then through a `keepalive`
//! fetch), ringing in the panel, the media of the one call the panel carries ([`media`]) and the
//! controls ([`panel_view`], [`section`]). What it must never do: put the token in a URL, put anything on `window`,
//! or answer a call on the softphone before its media is up.
//!
//! # Layout
//!
//! - here: [`Phone`], the reactive part the rest of the widget reads (whether the panel is the
//!   phone, the call it carries), the Presence tab's [`section`] (its title), and the small hooks
//!   `app.rs`, `live.rs` and the call cards call; they are in the main module, and only start what
//!   follows;
//! - [`act`] and [`panel_view`], the two entry points into everything else: with the crate's `split`
//!   feature (every release build) fallible wasm-split functions, so that code is a wasm chunk
//!   the page fetches the first time the softphone is used or opened; the requests go through one
//!   `Backend::softphone_call` carrying JSON text, so their serde code is there too ([`request`]);
//! - [`media`]: microphone, `RTCPeerConnection`, offer and answer, mute, DTMF, ring tone;
//! - `panel`: the controls: "Use this panel as my phone", microphone and speaker, mute and keypad.
//!
//! Which calls ring in the panel: an inbound call ringing while the panel is registered and whose
//! `rings_on` (the PBX's ring resolution: find-me/follow-me, Do Not Disturb) lists the softphone
//! device the panel is ([`rings_here`]); Answer on such a call answers here, with the softphone's
//! id. Any other ringing call is answered on the devices that do ring, as without a softphone.

pub mod media;
mod panel;

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use ucclient_core::Language;
use ucclient_core::api::{
    Call, CallDirection, CallState, ErrorCode, SoftphoneEvent, SoftphoneRegisterRequest,
    SoftphoneRegistration, SoftphoneState,
};

use crate::api::{ApiError, SoftphoneMethod};
use crate::app::{Ctx, Unloaded};
use crate::i18n::{column, error_text, texts, tr};

texts! {
    S, SOFT_TEXTS;
    Softphone => "Softphone", "Softphone", "Softphone";
    UsePanel => "Use this panel as my phone", "Usar este painel como o meu telefone", "Usar este painel como meu telefone";
    IsPhone => "This panel is your phone: calls ring here.", "Este painel é o seu telefone: as chamadas tocam aqui.", "Este painel é seu telefone: as ligações tocam aqui.";
    Registering => "Making this panel your phone…", "A tornar este painel o seu telefone…", "Tornando este painel seu telefone…";
    PlaceCalls => "Place my calls from this panel", "Fazer as minhas chamadas a partir deste painel", "Fazer minhas ligações deste painel";
    Microphone => "Microphone", "Microfone", "Microfone";
    Speaker => "Speaker", "Altifalante", "Alto-falante";
    DefaultDevice => "Default", "Predefinido", "Padrão";
    MicRefused => "The browser may not use the microphone, so this panel cannot be your phone. Allow the microphone for this site and try again.", "O navegador não pode usar o microfone, por isso este painel não pode ser o seu telefone. Autorize o microfone para este site e tente novamente.", "O navegador não pode usar o microfone, então este painel não pode ser seu telefone. Permita o microfone para este site e tente novamente.";
    NoAudioDevice => "No microphone could be used: connect one (or close what is using it) and try again.", "Não foi possível usar nenhum microfone: ligue um (ou feche o que o está a usar) e tente novamente.", "Não foi possível usar nenhum microfone: conecte um (ou feche o que o está usando) e tente novamente.";
    MediaTimeout => "The call's audio did not connect within 10 seconds, so it was not answered here; your other phones keep ringing.", "O áudio da chamada não ligou em 10 segundos, por isso não foi atendida aqui; os seus outros telefones continuam a tocar.", "O áudio da ligação não conectou em 10 segundos, então ela não foi atendida aqui; seus outros telefones continuam tocando.";
    MediaTimeoutOut => "The call's audio did not connect within 10 seconds, so the call was ended.", "O áudio da chamada não ligou em 10 segundos, por isso a chamada foi terminada.", "O áudio da ligação não conectou em 10 segundos, então a ligação foi encerrada.";
    Replaced => "Another tab or CRM is your phone now: this panel stopped being it.", "Outro separador ou CRM é agora o seu telefone: este painel deixou de o ser.", "Outra aba ou CRM agora é seu telefone: este painel deixou de ser.";
    Expired => "This panel stopped being your phone: it lost contact with the server for too long.", "Este painel deixou de ser o seu telefone: perdeu o contacto com o servidor durante demasiado tempo.", "Este painel deixou de ser seu telefone: ficou sem contato com o servidor por tempo demais.";
    NoSoftphoneDevice => "Your account has no softphone device: ask your administrator to add one.", "A sua conta não tem nenhum dispositivo softphone: peça ao administrador que adicione um.", "Sua conta não tem nenhum dispositivo softphone: peça ao administrador para adicionar um.";
    RingsHere => "Ringing in this panel", "A tocar neste painel", "Tocando neste painel";
    ConnectingAudio => "Connecting the audio…", "A ligar o áudio…", "Conectando o áudio…";
    Mute => "Mute", "Silenciar", "Silenciar";
    Unmute => "Unmute", "Ativar som", "Ativar som";
    Keypad => "Keypad", "Teclado", "Teclado";
}

/// A softphone sentence in a language.
pub fn ts(lang: Language, key: S) -> &'static str {
    SOFT_TEXTS[key as usize][column(lang)]
}

/// How often the registration is kept alive (the backend expires it after 30 s without).
pub const KEEPALIVE_MS: u32 = 10_000;

/// How long a call's media may take to connect, from the offer to the peer connection's
/// `connected`, before the call is given up on this panel.
pub const MEDIA_TIMEOUT_MS: u32 = 10_000;

/// The softphone as the rest of the widget sees it (one signal in [`Ctx`]).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Phone {
    /// Whether the agent asked for this panel to be their phone (the checkbox; remembered per user
    /// in `localStorage`). It stays asked while registering, and goes when the panel stops being
    /// the phone for any reason.
    pub on: bool,
    /// The registration, while the panel is the user's softphone device.
    pub registration: Option<SoftphoneRegistration>,
    /// Whether the calls the agent places go from this panel (while it is the phone).
    pub outgoing: bool,
    /// The call whose media this panel carries (connected).
    pub media_call: Option<String>,
    /// The call whose media is being set up.
    pub connecting: Option<String>,
    /// Whether the agent muted the microphone.
    pub muted: bool,
    /// Whether the call card shows the keypad.
    pub keypad: bool,
    /// The last thing to tell the agent about the softphone (a failure, why it stopped).
    pub said: Option<&'static str>,
    /// The microphones (`deviceId`, label), once the browser listed them.
    pub mics: Vec<(String, String)>,
    /// The speakers (`deviceId`, label), where the browser can choose one (`setSinkId`).
    pub speakers: Vec<(String, String)>,
    /// The chosen microphone's `deviceId` (`""`: the browser's default).
    pub mic: String,
    /// The chosen speaker's `deviceId` (`""`: the browser's default).
    pub speaker: String,
}

/// What [`act`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Asks for the microphone and registers the panel as the softphone.
    Enable,
    /// Ends the registration (the agent turned it off) and forgets the choice.
    Disable,
    /// Answers a ringing call on the softphone: media first, then `POST /calls/<id>/answer`.
    Answer(String),
    /// Sets up the media of a call just placed from the softphone.
    Outgoing(String),
    /// Closes the media (the call is over or left the panel).
    EndMedia,
    /// Starts or stops the ring tone.
    Ring(bool),
    /// Sends the microphone or stops it, as mute and hold say (`held`: the carried call's flag).
    Sending {
        /// Whether the carried call is on hold.
        held: bool,
    },
    /// A `softphone` event of the live stream, its JSON data.
    Event(String),
    /// Mutes (true) or unmutes the microphone on the call the panel carries (the card's Mute, and
    /// Salesforce Voice's `mute` / `unmute`).
    Mute(bool),
    /// Sends DTMF tones on the call the panel carries (Salesforce Voice's `sendDigits`; the card's
    /// keypad sends its own).
    Dtmf(String),
}

/// The `localStorage` key of the agent's choice to use the panel as their phone.
pub fn remember_key(user: &str) -> String {
    format!("ucclient-softphone:{user}")
}

/// The signed-in user's id.
fn user(ctx: Ctx) -> String {
    ctx.store
        .try_with_untracked(|s| s.my_id().map(str::to_owned))
        .flatten()
        .unwrap_or_default()
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Remembers (or forgets) the agent's choice for the next page load.
fn remember(ctx: Ctx, on: bool) {
    let (Some(s), user) = (local_storage(), user(ctx)) else {
        return;
    };
    let key = remember_key(&user);
    let _ = if on {
        s.set_item(&key, "1")
    } else {
        s.remove_item(&key)
    };
}

/// Runs [`act`] as a task; when its code could not be loaded, the softphone says so (and
/// whatever it was doing is not done).
pub fn start(ctx: Ctx, what: Act) {
    leptos::task::spawn_local(async move {
        if act(ctx, what).await.is_err() {
            unloaded(ctx);
        }
    });
}

/// The softphone's code could not be loaded: nothing is being set up, and the softphone's status
/// line says why.
pub fn unloaded(ctx: Ctx) {
    let said = ctx.t(crate::i18n::T::PartNotLoaded);
    let _ = ctx.phone.try_update(|p| {
        p.connecting = None;
        p.said = Some(said);
    });
}

/// After sign-in or a reload: the panel becomes the phone again when the agent chose it before.
pub fn resume(ctx: Ctx) {
    let key = remember_key(&user(ctx));
    let chosen = local_storage().and_then(|s| s.get_item(&key).ok().flatten());
    if chosen.is_some() {
        start(ctx, Act::Enable);
    }
}

/// The device a call placed now goes from: the softphone, when the panel is it and the agent
/// places calls from it.
pub fn outgoing_device(ctx: Ctx) -> Option<String> {
    ctx.phone
        .try_with_untracked(|p| {
            p.registration
                .as_ref()
                .filter(|_| p.outgoing)
                .map(|r| r.device.clone())
        })
        .flatten()
}

/// Whether the panel is the softphone now.
pub fn registered(ctx: Ctx) -> bool {
    ctx.phone
        .try_with_untracked(|p| p.registration.is_some())
        .unwrap_or(false)
}

/// Whether `call` rings in this panel: an inbound call ringing now whose devices
/// (`Call::rings_on`) include the softphone device this panel is registered as.
pub fn rings_here(phone: &Phone, call: &Call) -> bool {
    call.direction == CallDirection::Inbound
        && call.state == CallState::Ringing
        && phone
            .registration
            .as_ref()
            .is_some_and(|r| call.rings_on.contains(&r.device))
}

/// Signing out (or the session ending): the registration ends at once — started before the token
/// is forgotten — and the media closes.
pub fn signed_out(ctx: Ctx) {
    let Some(Some(reg)) = ctx.phone.try_with_untracked(|p| p.registration.clone()) else {
        return;
    };
    // Started already (`keepalive`): the future is ready and has nothing to say.
    drop(ctx.backend().softphone_end(reg.id, true));
    ctx.phone.set(Phone::default());
    start(ctx, Act::EndMedia);
}

/// A `softphone` event of the live stream (its JSON data): read by [`act`]'s code when the panel
/// is the phone (an event about another panel's registration cannot be about this one, and a page
/// that never used the softphone fetches none of its code for it).
pub fn on_event(ctx: Ctx, data: &str) {
    if registered(ctx) {
        start(ctx, Act::Event(data.to_owned()));
    }
}

/// A `softphone` event: when it is about this panel's registration (replaced by another tab or
/// CRM, or expired), the panel says so and stops being the phone.
fn softphone_event(ctx: Ctx, data: &str) {
    let Some(event) = crate::api::from_json::<SoftphoneEvent>(data) else {
        return;
    };
    let ours = ctx
        .phone
        .try_with_untracked(|p| p.registration.as_ref().map(|r| r.id == event.registration))
        .flatten()
        .unwrap_or(false);
    if !ours {
        return;
    }
    let why = match event.state {
        SoftphoneState::Ended => return,
        SoftphoneState::Replaced => S::Replaced,
        SoftphoneState::Expired | SoftphoneState::Other => S::Expired,
    };
    stopped(ctx, ts(ctx.lang, why));
}

/// The panel is no longer the phone (another took over, it expired): it says `why`, the media
/// closes and nothing rings here any more.
pub fn stopped(ctx: Ctx, why: &'static str) {
    ctx.phone.update(|p| {
        p.on = false;
        p.registration = None;
        p.said = Some(why);
    });
    start(ctx, Act::EndMedia);
}

/// What an API failure of the softphone says (a user without a softphone device its own sentence).
fn api_sentence(lang: Language, e: &ApiError) -> &'static str {
    match e.code {
        Some(ErrorCode::UnknownDevice) => ts(lang, S::NoSoftphoneDevice),
        _ if e.timed_out => tr(lang, crate::i18n::T::ErrTimeout),
        code => tr(lang, error_text(code)),
    }
}

/// Watches the calls and the media, from the licensed panel: rings while a call rings here
/// ([`rings_here`]) and the panel has no call of its own, closes the media when its call is over,
/// and stops sending while the call is on hold.
pub fn watch(ctx: Ctx) {
    Effect::new(move |prev: Option<(bool, Option<Option<bool>>)>| {
        let now = {
            let p = ctx.phone.read();
            let busy = p.media_call.is_some() || p.connecting.is_some();
            let media_call = p.media_call.clone();
            let s = ctx.store.read();
            let ringing = !busy && s.live_calls.iter().any(|c| rings_here(&p, c));
            // `None`: no media; `Some(None)`: its call is over; `Some(Some(held))`: live.
            let media =
                media_call.map(|id| s.live_calls.iter().find(|c| c.id == id).map(|c| c.held));
            (ringing, media)
        };
        let (was_ringing, was_media) = prev.unwrap_or((false, None));
        if now.0 != was_ringing {
            start(ctx, Act::Ring(now.0));
        }
        match now.1 {
            Some(None) => start(ctx, Act::EndMedia),
            Some(Some(held)) if was_media != now.1 => start(ctx, Act::Sending { held }),
            _ => {}
        }
        now
    });
}

/// The Presence tab's softphone section: its title opens the controls, whose code is loaded then
/// (so a page whose agent never looks at the softphone fetches none of it); open by itself while
/// the panel is (becoming) the phone or has something to say about it.
pub fn section(ctx: Ctx) -> AnyView {
    let opened = RwSignal::new(false);
    let shown = Memo::new(move |_| {
        opened.get() || {
            let p = ctx.phone.read();
            p.on || p.said.is_some()
        }
    });
    view! {
        <section
            class="uc-softphone"
            prop:style="margin-top:12px;padding-top:6px;border-top:1px solid #d5dbe1"
            data-test="softphone"
        >
            <button
                class="uc-link"
                data-test="softphone-open"
                aria-controls="uc-softphone-controls"
                aria-expanded=move || if shown.get() { "true" } else { "false" }
                on:click=crate::components::h(move |_| opened.update(|o| *o = !*o))
            >
                {ts(ctx.lang, S::Softphone)}
            </button>
            {crate::components::dyn_view(move || {
                shown.get().then(|| crate::app::lazy_panel(ctx, move || panel_view(ctx, None)))
            })}
        </section>
    }
    .into_any()
}

/// Does `what` (see [`Act`]). With the `split` feature, a split function (as Leptos's `lazy`
/// makes them for an async function, but `fallible`): its code and [`media`]'s come in a wasm
/// chunk, fetched the first time; a fetch that fails is [`Unloaded`], never a panic.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(
        act_part,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        return_wrapper(let future = _; { future.await } -> Result<(), Unloaded>)
    )
)]
pub fn act(ctx: Ctx, what: Act) -> Pin<Box<dyn Future<Output = Result<(), Unloaded>>>> {
    Box::pin(async move {
        act_now(ctx, what).await;
        Ok(())
    })
}

/// What [`act`] does, in its chunk.
async fn act_now(ctx: Ctx, what: Act) {
    match what {
        Act::Enable => enable(ctx).await,
        Act::Disable => disable(ctx).await,
        Act::Answer(call) => answer(ctx, call).await,
        Act::Outgoing(call) => outgoing(ctx, call).await,
        Act::EndMedia => {
            media::close();
            let _ = ctx.phone.try_update(|p| {
                p.media_call = None;
                p.muted = false;
                p.keypad = false;
            });
        }
        Act::Ring(on) => media::ring(on, &speaker(ctx)),
        Act::Sending { held } => {
            let muted = ctx.phone.try_with_untracked(|p| p.muted).unwrap_or(false);
            media::send(!muted && !held).await;
        }
        Act::Event(data) => softphone_event(ctx, &data),
        Act::Mute(muted) => {
            let _ = ctx.phone.try_update(|p| p.muted = muted);
            media::send(!muted && !carried_held(ctx)).await;
        }
        Act::Dtmf(tones) => media::dtmf(&tones),
    }
}

/// Whether the call the panel carries is on hold.
fn carried_held(ctx: Ctx) -> bool {
    ctx.phone
        .try_with_untracked(|p| p.media_call.clone())
        .flatten()
        .is_some_and(|id| {
            ctx.store
                .try_with_untracked(|s| s.live_calls.iter().any(|c| c.id == id && c.held))
                .unwrap_or(false)
        })
}

/// Whether the panel carries the media of `call_id` now.
pub fn carries(ctx: Ctx, call_id: &str) -> bool {
    ctx.phone
        .try_with_untracked(|p| p.media_call.as_deref() == Some(call_id))
        .unwrap_or(false)
}

/// One softphone request through [`crate::api::Backend::softphone_call`]: `body` written and the
/// answer read here, through core's serde derives (so that code is in this lazily loaded part).
/// `path`'s ids must be encoded ([`encoded`]).
pub async fn request<T: serde::de::DeserializeOwned>(
    ctx: Ctx,
    method: SoftphoneMethod,
    path: String,
    body: Option<&impl serde::Serialize>,
) -> Result<T, ApiError> {
    let body = body.and_then(crate::api::to_json);
    let text = ctx.backend().softphone_call(method, path, body).await?;
    let text = if text.is_empty() { "null" } else { &text };
    crate::api::from_json(text).ok_or_else(|| ApiError {
        status: 200,
        code: None,
        message: "the answer does not have the expected shape".to_owned(),
        timed_out: false,
    })
}

/// An id as a path segment.
pub fn encoded(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

/// The chosen speaker's `deviceId`.
fn speaker(ctx: Ctx) -> String {
    ctx.phone
        .try_with_untracked(|p| p.speaker.clone())
        .unwrap_or_default()
}

/// The panel's softphone controls (for the Presence tab) or, with `call`, the carried call's
/// (mute, keypad). With the `split` feature, a split function like [`act`].
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(panel_view_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn panel_view(ctx: Ctx, call: Option<String>) -> Result<AnyView, crate::app::Unloaded> {
    Ok(match call {
        None => panel::controls(ctx),
        Some(_) => panel::call_controls(ctx),
    })
}

/// "Use this panel as my phone": the microphone first (a refusal or no device ends it here with
/// its sentence), then the registration, its keep-alive and the page's `pagehide`.
async fn enable(ctx: Ctx) {
    let lang = ctx.lang;
    ctx.phone.update(|p| {
        p.on = true;
        p.said = None;
    });
    remember(ctx, true);
    match media::microphone("").await {
        Ok(stream) => media::stop_tracks(&stream),
        Err(why) => {
            remember(ctx, false);
            ctx.phone.update(|p| {
                p.on = false;
                p.said = Some(ts(lang, why));
            });
            return;
        }
    }
    // The labels are known once the microphone is allowed.
    let (mics, speakers) = media::devices().await;
    let _ = ctx.phone.try_update(|p| {
        p.mics = mics;
        p.speakers = speakers;
    });
    let r = request::<SoftphoneRegistration>(
        ctx,
        SoftphoneMethod::Put,
        "/softphone".to_owned(),
        Some(&SoftphoneRegisterRequest { device: None }),
    )
    .await;
    // Turned off meanwhile: the registration is not wanted.
    let still = ctx.phone.try_with_untracked(|p| p.on).unwrap_or(false);
    match r {
        Ok(reg) if still => {
            let id = reg.id.clone();
            ctx.phone.update(|p| {
                p.registration = Some(reg);
                p.outgoing = true;
            });
            media::on_page_hide(ctx);
            keep_alive(ctx, id).await;
        }
        Ok(reg) => {
            let _ = ctx.backend().softphone_end(reg.id, false).await;
        }
        Err(e) => {
            if e.is_unauthenticated() {
                ctx.session_expired();
                return;
            }
            if e.code == Some(ErrorCode::UnknownDevice) {
                remember(ctx, false);
            }
            let _ = ctx.phone.try_update(|p| {
                p.on = false;
                p.said = Some(api_sentence(lang, &e));
            });
        }
    }
}

/// Keeps registration `id` alive every [`KEEPALIVE_MS`] while it is the panel's; a 404 (replaced or
/// expired meanwhile) ends it with its sentence. A request that gets no answer is retried at the
/// next beat (the backend expires the registration after 30 s, and the next answer says so).
async fn keep_alive(ctx: Ctx, id: String) {
    loop {
        gloo_timers::future::TimeoutFuture::new(KEEPALIVE_MS).await;
        let current = ctx
            .phone
            .try_with_untracked(|p| p.registration.as_ref().map(|r| r.id == id))
            .flatten()
            .unwrap_or(false);
        if !current {
            return;
        }
        let path = format!("/softphone/{}/keepalive", encoded(&id));
        let none: Option<&()> = None;
        match request::<()>(ctx, SoftphoneMethod::Post, path, none).await {
            Err(e) if e.status == 404 => {
                stopped(ctx, ts(ctx.lang, S::Expired));
                return;
            }
            Err(e) if e.is_unauthenticated() => return,
            _ => {}
        }
    }
}

/// The agent turned the softphone off: the registration ends, the media closes, the choice is
/// forgotten.
async fn disable(ctx: Ctx) {
    remember(ctx, false);
    let reg = ctx
        .phone
        .try_with_untracked(|p| p.registration.clone())
        .flatten();
    ctx.phone.update(|p| {
        p.on = false;
        p.registration = None;
        p.said = None;
    });
    media::ring(false, "");
    media::close();
    let _ = ctx.phone.try_update(|p| p.media_call = None);
    if let Some(reg) = reg {
        let _ = ctx.backend().softphone_end(reg.id, false).await;
    }
}

/// Sets up the media of `call`; on success the panel carries it. A failure says its sentence
/// (`timeout` for a media that did not connect in time) and leaves nothing open.
async fn connect(ctx: Ctx, call: &str, timeout: S) -> bool {
    let lang = ctx.lang;
    let Some(Some(reg)) = ctx.phone.try_with_untracked(|p| p.registration.clone()) else {
        return false;
    };
    ctx.phone.update(|p| {
        p.connecting = Some(call.to_owned());
        p.said = None;
    });
    let r = media::connect(ctx, call, &reg.id).await;
    let said = match &r {
        Ok(()) => None,
        Err(media::Failure::Said(S::MediaTimeout)) => Some(ts(lang, timeout)),
        Err(media::Failure::Said(s)) => Some(ts(lang, *s)),
        Err(media::Failure::Api(e)) if e.code == Some(ErrorCode::SoftphoneNotRegistered) => {
            stopped(ctx, ts(lang, S::Replaced));
            None
        }
        Err(media::Failure::Api(e)) => Some(api_sentence(lang, e)),
    };
    let ok = r.is_ok();
    let _ = ctx.phone.try_update(|p| {
        p.connecting = None;
        if ok {
            p.media_call = Some(call.to_owned());
            p.muted = false;
        }
        if said.is_some() {
            p.said = said;
        }
    });
    ok
}

/// Answer on the softphone: the media first; once it is connected, the existing answer with the
/// softphone's id. Media that does not connect leaves the call ringing on the other devices.
async fn answer(ctx: Ctx, call: String) {
    media::ring(false, "");
    let Some(Some(device)) = ctx
        .phone
        .try_with_untracked(|p| p.registration.as_ref().map(|r| r.device.clone()))
    else {
        return;
    };
    if !connect(ctx, &call, S::MediaTimeout).await {
        return;
    }
    let path = format!("/calls/{}/answer", encoded(&call));
    let body = ucclient_core::api::AnswerRequest {
        device: Some(device),
    };
    match request::<ucclient_core::api::Call>(ctx, SoftphoneMethod::Post, path, Some(&body)).await {
        Ok(c) => ctx.take_call_reply(c),
        Err(e) => {
            act_end_media(ctx);
            ctx.show_error(&e);
        }
    }
}

/// A call just placed from the softphone: its media; when that fails, the call is hung up (it
/// would have no audio).
async fn outgoing(ctx: Ctx, call: String) {
    if !connect(ctx, &call, S::MediaTimeoutOut).await {
        ctx.call_action(call, crate::api::CallAction::HangUp);
    }
}

/// Closes the media now (inside [`act`]'s code).
fn act_end_media(ctx: Ctx) {
    media::close();
    let _ = ctx.phone.try_update(|p| p.media_call = None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_softphone_sentence_exists_in_every_language() {
        for &k in S::ALL {
            for lang in Language::ALL {
                assert!(!ts(lang, k).trim().is_empty(), "{k:?} in {lang:?}");
            }
        }
        // Really translated, and the two Portuguese told apart where they differ.
        assert_ne!(
            ts(Language::PtPt, S::UsePanel),
            ts(Language::En, S::UsePanel)
        );
        assert_ne!(
            ts(Language::PtPt, S::Speaker),
            ts(Language::PtBr, S::Speaker)
        );
    }

    #[test]
    fn the_choice_is_remembered_per_user() {
        assert_ne!(remember_key("ana"), remember_key("bruno"));
        assert!(remember_key("ana").starts_with("ucclient-softphone:"));
    }
}
