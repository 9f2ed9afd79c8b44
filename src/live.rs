//! The live connection: Server-Sent Events into the store, with a fresh ticket and the last event id
//! on every (re)connection, and capped exponential backoff with jitter between attempts — cut short
//! when the browser's network comes back, and "offline" at once when the browser reports none.
//!
//! It owns the connection state shown to the agent; it never decides what an event means (that is
//! `state::ClientState::apply_event`).

use std::cell::Cell;
use std::rc::Rc;

use futures::StreamExt;
use futures::channel::mpsc;
use futures::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use ucclient_core::api::ErrorCode;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::app::{Ctx, Session};
use crate::state::{Applied, Connection, after_failures};

/// Seconds a new stream may stay "connecting" before it is given up and retried.
const CONNECT_TIMEOUT_TICKS: u32 = 10;
/// How often the stream's state is checked, in milliseconds.
const TICK_MS: u32 = 1000;
/// The event names of API.md.
const EVENT_NAMES: [&str; 5] = ["snapshot", "presence", "call", "profile", "colours"];

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

/// What the stream's listeners report.
enum Heard {
    /// A named event of API.md.
    Event(MessageEvent),
    /// An `error` with the stream closed (an error while the browser reconnects is left to the ticks).
    Closed,
}

/// One `EventSource` and its listeners: on drop the listeners are removed and the source closed, so
/// no callback outlives it.
struct Source {
    es: EventSource,
    on_event: Closure<dyn FnMut(MessageEvent)>,
    on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Source {
    /// Opens `url` and listens to the named events and `error`, all reported into one channel.
    fn open(url: &str) -> Option<(Source, mpsc::UnboundedReceiver<Heard>)> {
        let es = EventSource::new(url).ok()?;
        let (tx, rx) = mpsc::unbounded();
        let events = tx.clone();
        let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |e| {
            let _ = events.unbounded_send(Heard::Event(e));
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let connecting = e.current_target().is_some_and(|t| {
                t.unchecked_into::<EventSource>().ready_state() == EventSource::CONNECTING
            });
            if !connecting {
                let _ = tx.unbounded_send(Heard::Closed);
            }
        });
        // Built first, so a failed listener still closes the source on the way out.
        let source = Source {
            es,
            on_event,
            on_error,
        };
        for name in EVENT_NAMES {
            source
                .es
                .add_event_listener_with_callback(name, source.on_event.as_ref().unchecked_ref())
                .ok()?;
        }
        source
            .es
            .add_event_listener_with_callback("error", source.on_error.as_ref().unchecked_ref())
            .ok()?;
        Some((source, rx))
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        for name in EVENT_NAMES {
            let _ = self
                .es
                .remove_event_listener_with_callback(name, self.on_event.as_ref().unchecked_ref());
        }
        let _ = self
            .es
            .remove_event_listener_with_callback("error", self.on_error.as_ref().unchecked_ref());
        self.es.close();
    }
}

/// Runs one stream until it fails; returns whether it was ever open.
async fn stream(ctx: &Ctx, url: &str, stop: &Rc<Cell<bool>>, on_applied: &OnApplied) -> bool {
    let Some((source, mut heard)) = Source::open(url) else {
        return false;
    };
    let mut opened = false;
    let mut ticks = 0;
    loop {
        if stop.get() {
            break;
        }
        match select(heard.next(), TimeoutFuture::new(TICK_MS)).await {
            Either::Left((Some(Heard::Event(msg)), _)) => {
                if !opened {
                    opened = true;
                    ctx.store.update(|s| s.connection = Connection::Live);
                }
                let name = msg.type_();
                let id = msg.last_event_id().trim().parse::<u64>().ok();
                let data = msg.data().as_string().unwrap_or_default();
                if let Some(event) = crate::wire::event(&name, &data) {
                    let mut applied = Applied::default();
                    ctx.store.update(|s| applied = s.apply_event(id, event));
                    if applied.applied {
                        on_applied(&name, applied);
                    }
                }
            }
            Either::Left(_) => break,
            Either::Right(_) => match source.es.ready_state() {
                EventSource::OPEN => {
                    if !opened {
                        opened = true;
                        ctx.store.update(|s| s.connection = Connection::Live);
                    }
                }
                // The browser's own retry would reuse a spent ticket: take over instead.
                EventSource::CONNECTING if opened => break,
                EventSource::CONNECTING => {
                    ticks += 1;
                    if ticks >= CONNECT_TIMEOUT_TICKS {
                        break;
                    }
                }
                _ => break,
            },
        }
    }
    drop(source);
    opened
}
