//! The widget's visible parts, one file each. Components read the shared [`crate::app::Ctx`] from
//! context and never talk to the network or the host page except through its actions.
//!
//! Written for size (see ARCHITECTURE.md): handlers through [`h`], reactive children through
//! [`dyn_view`], reactive attributes and fields as inline `move ||` closures (never a bare signal
//! or a named closure, which Leptos would instantiate its render effect for once more each).

pub mod badge;
pub mod connection;
pub mod dialer;
pub mod directory;
pub mod history;
pub mod not_enabled;
pub mod profile_switcher;
pub mod routing;
pub mod sign_in;
pub mod voicemail;
pub mod wrapup;

use std::sync::{Arc, Mutex};

use leptos::prelude::{AnyView, IntoAny};

/// An event handler behind one boxed type per event (`on:click=h(move |_| …)`): Leptos then
/// instantiates its event-listener code once per event type instead of once per closure, which
/// keeps the wasm module smaller. Behaviour is the same as passing the closure itself.
pub fn h<E>(f: impl FnMut(E) + 'static) -> Box<dyn FnMut(E)> {
    Box::new(f)
}

/// A reactive attribute value named before the view (`class=rx(class)`) behind the one shared
/// function type that `erase_components` already gives inline `move || …` closures: Leptos then
/// instantiates its render-effect code once per output type instead of once per closure. Behaviour
/// is the same as passing the closure itself.
pub fn rx<T: 'static>(
    f: impl FnMut() -> T + Send + 'static,
) -> Arc<Mutex<dyn FnMut() -> T + Send>> {
    Arc::new(Mutex::new(f))
}

/// A reactive child (`{dyn_view(move || …)}`): like [`rx`], and with the output type-erased too,
/// so every reactive child of the widget shares one render-effect instantiation (for `AnyView`)
/// whatever it shows (text, an optional element, a list). The DOM is the same as with the bare
/// closure: an `AnyView` renders what it wraps, and rebuilds it in place while the type stays.
pub fn dyn_view<V: IntoAny + 'static>(
    mut f: impl FnMut() -> V + Send + 'static,
) -> Arc<Mutex<dyn FnMut() -> AnyView + Send>> {
    rx(move || f().into_any())
}

/// Where an arrow key moves a roving focus from `from` along `order` (the WAI-ARIA tabs and radio
/// group patterns: arrows wrap around, Home and End jump to the ends), or `None` for any other key
/// or an empty `order`. One rule for the tab row and the profile list.
pub fn roving_key<T: Copy + PartialEq>(key: &str, from: T, order: &[T]) -> Option<T> {
    let last = order.len().checked_sub(1)?;
    let at = order.iter().position(|t| *t == from).unwrap_or(0);
    let to = match key {
        "ArrowRight" | "ArrowDown" => (at + 1) % order.len(),
        "ArrowLeft" | "ArrowUp" => at.checked_sub(1).unwrap_or(last),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(order[to])
}
