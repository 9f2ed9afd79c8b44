//! The live connection: Server-Sent Events into the store, with a fresh ticket and the last event id
//! on every (re)connection, and capped exponential backoff with jitter between attempts — cut short
//! when the browser's network comes back, and "offline" at once when the browser reports none.
//!
//! It owns the connection state shown to the agent; it never decides what an event means (that is
//! `state::ClientState::apply_event`). The stream is gloo-net's `EventSource`, subscribed to the
//! event names of API.md only, so an event type a newer backend adds is never delivered here.

use std::cell::Cell;
use std::rc::Rc;

use futures::StreamExt;
use futures::future::{Either, select};
use futures::stream::{SelectAll, select_all};
use gloo_net::eventsource::State;
use gloo_net::eventsource::futures::{EventSource, EventSourceSubscription};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use ucclient_core::api::{ACCESS_ENDED_EVENT, AccessEnded, ErrorCode, Event};

use crate::app::{Ctx, Session};
use crate::state::{Applied, Connection, after_failures};

/// Seconds a new stream may stay "connecting" before it is given up and retried.
const CONNECT_TIMEOUT_TICKS: u32 = 10;
/// How often the stream's state is checked, in milliseconds.
const TICK_MS: u32 = 1000;
/// The event names of API.md, the extension saying the session's access ended, the owner's
/// `voicemail` events, the missed-call count (issue 13) and, with the softphone, its `softphone`
/// events (a registration replaced or expired).
const EVENT_NAMES: &[&str] = &[
    "snapshot",
    "presence",
    "call",
    "profile",
    "colours",
    ACCESS_ENDED_EVENT,
    "voicemail",
    // Issue 13, transfer: the missed-call count.
    "missed",
    #[cfg(feature = "softphone")]
    "softphone",
];

/// Called after each applied event, with the event's name.
pub type OnApplied = Rc<dyn Fn(&str, Applied)>;

/// Stops the live connection when dropped or when [`LiveHandle::stop`] is called.
#[derive(Clone)]
pub struct LiveHandle(Rc<Cell<bool>>);

impl LiveHandle {
    /// Ends the loop at its next step and closes the stream.
    pub fn stop(&self) {
        self.0.set(true);
    }
}

/// Starts the connection loop. `on_applied` runs after each applied event (with the event's name).
pub fn start(ctx: Ctx, on_applied: OnApplied) -> LiveHandle {
    let stop = Rc::new(Cell::new(false));
    let handle = LiveHandle(stop.clone());
    leptos::task::spawn_local(run(ctx, stop, on_applied));
    handle
}

async fn run(ctx: Ctx, stop: Rc<Cell<bool>>, on_applied: OnApplied) {
    let mut failures: u32 = 0;
    while !stop.get() {
        let ticket = ctx.backend().ticket().await;
        if stop.get() {
            break;
        }
        let opened = match ticket {
            Err(e) if e.is_unauthenticated() => {
                ctx.session_expired();
                break;
            }
            Err(e) if e.code == Some(ErrorCode::ClientNotLicensed) => {
                // The licence was taken away (the backend ended the stream): say so.
                ctx.session.set(Session::NotEnabled);
                break;
            }
            Err(_) => false,
            Ok(t) => {
                let last = ctx.store.with_untracked(|s| s.last_event_id);
                let url = ctx.backend().events_url(&t.ticket, last);
                stream(&ctx, &url, &stop, &on_applied).await
            }
        };
        if stop.get() {
            break;
        }
        // A stream that was live and dropped retries at once-ish; repeated failures back off; a
        // browser without network waits for it. The network coming back ends any wait.
        failures = if opened { 1 } else { failures + 1 };
        let online = OnlineSignal::new();
        let (shown, delay) = after_failures(failures, browser_online(), js_sys::Math::random());
        ctx.store.update(|s| s.connection = shown);
        match online {
            Some(mut online) => {
                let _ = select(TimeoutFuture::new(delay), &mut online.future).await;
            }
            None => TimeoutFuture::new(delay).await,
        }
    }
}

/// What the browser says of its network (`navigator.onLine`); `true` when it cannot tell.
fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Resolves when the window fires `online`; the listener is removed when this is dropped.
struct OnlineSignal {
    future: wasm_bindgen_futures::JsFuture,
    resolve: js_sys::Function,
}

impl OnlineSignal {
    fn new() -> Option<Self> {
        let window = web_sys::window()?;
        let mut resolve = None;
        let promise = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
        let resolve = resolve?;
        window
            .add_event_listener_with_callback("online", &resolve)
            .ok()?;
        Some(Self {
            future: promise.into(),
            resolve,
        })
    }
}

impl Drop for OnlineSignal {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback("online", &self.resolve);
        }
    }
}

/// The event called `name` with its `data:` parsed by the browser's `JSON.parse` and read through
/// core's serde derives (serde-wasm-bindgen); `None` for an event name this build does not know
/// (only API.md's are subscribed to, so none should arrive) or data that is not the event's JSON
/// (skipped: one bad event must not end the stream).
pub fn read_event(name: &str, data: &str) -> Option<Event> {
    let value = js_sys::JSON::parse(data).ok()?;
    Event::deserialize_named(name, serde_wasm_bindgen::Deserializer::from(value)).ok()?
}

/// Opens `url` and subscribes to the named events of API.md, all merged into one stream (an `error`
/// with the source closed arrives as an `Err`; an error while the browser reconnects is left to the
/// ticks). Dropping both ends removes the listeners and closes the source.
fn open(url: &str) -> Option<(EventSource, SelectAll<EventSourceSubscription>)> {
    let mut es = EventSource::new(url).ok()?;
    let mut subscriptions = Vec::with_capacity(EVENT_NAMES.len());
    for &name in EVENT_NAMES {
        subscriptions.push(es.subscribe(name).ok()?);
    }
    Some((es, select_all(subscriptions)))
}

/// Runs one stream until it fails; returns whether it was ever open.
async fn stream(ctx: &Ctx, url: &str, stop: &Rc<Cell<bool>>, on_applied: &OnApplied) -> bool {
    let Some((source, mut heard)) = open(url) else {
        return false;
    };
    let mut opened = false;
    let mut ticks = 0;
    loop {
        if stop.get() {
            break;
        }
        match select(heard.next(), TimeoutFuture::new(TICK_MS)).await {
            Either::Left((Some(Ok((name, msg))), _)) => {
                if !opened {
                    opened = true;
                    ctx.store.update(|s| s.connection = Connection::Live);
                }
                if name == ACCESS_ENDED_EVENT {
                    // The backend ended this session's access (logout elsewhere, expiry, new
                    // password, licence or account removed): sign-in, saying why; no retry.
                    let data = msg.data().as_string().unwrap_or_default();
                    let reason = crate::api::from_json::<AccessEnded>(&data).map(|a| a.reason);
                    ctx.access_ended(reason);
                    break;
                }
                let id = msg.last_event_id().trim().parse::<u64>().ok();
                let data = msg.data().as_string().unwrap_or_default();
                // About this panel's registration: the softphone's, not the store's.
                #[cfg(feature = "softphone")]
                if name == "softphone" {
                    crate::softphone::on_event(*ctx, &data);
                    continue;
                }
                if let Some(event) = read_event(&name, &data) {
                    let mut applied = Applied::default();
                    ctx.store.update(|s| applied = s.apply_event(id, event));
                    if applied.applied {
                        on_applied(&name, applied);
                    }
                }
            }
            Either::Left(_) => break,
            Either::Right(_) => match source.state() {
                State::Open => {
                    if !opened {
                        opened = true;
                        ctx.store.update(|s| s.connection = Connection::Live);
                    }
                }
                // The browser's own retry would reuse a spent ticket: take over instead.
                State::Connecting if opened => break,
                State::Connecting => {
                    ticks += 1;
                    if ticks >= CONNECT_TIMEOUT_TICKS {
                        break;
                    }
                }
                State::Closed => break,
            },
        }
    }
    // The subscriptions first (their listeners removed), then the source (closed).
    drop(heard);
    drop(source);
    opened
}
