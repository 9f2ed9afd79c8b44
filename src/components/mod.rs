//! The widget's visible parts, one file each. Components read the shared [`crate::app::Ctx`] from
//! context and never talk to the network or the host page except through its actions.

pub mod badge;
pub mod connection;
pub mod dialer;
pub mod directory;
pub mod history;
pub mod not_enabled;
pub mod profile_switcher;
pub mod routing;
pub mod sign_in;

use std::sync::{Arc, Mutex};

/// An event handler behind one boxed type per event (`on:click=h(move |_| …)`): Leptos then
/// instantiates its event-listener code once per event type instead of once per closure, which
/// keeps the wasm module smaller. Behaviour is the same as passing the closure itself.
pub fn h<E>(f: impl FnMut(E) + 'static) -> Box<dyn FnMut(E)> {
    Box::new(f)
}

/// A reactive child or attribute value named before the view (`{rx(rows)}`, `class=rx(class)`)
/// behind the one shared function type that `erase_components` already gives inline `move || …`
/// closures: Leptos then instantiates its render-effect code once per output type instead of once
/// per closure. Behaviour is the same as passing the closure itself.
pub fn rx<T: 'static>(
    f: impl FnMut() -> T + Send + 'static,
) -> Arc<Mutex<dyn FnMut() -> T + Send>> {
    Arc::new(Mutex::new(f))
}
