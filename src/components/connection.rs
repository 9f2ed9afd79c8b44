//! The live connection's state: live, connecting, reconnecting or offline (still retrying).

use leptos::prelude::*;

use crate::app::Ctx;
use crate::components::{dyn_view, rx};
use crate::i18n::T;
use crate::state::Connection;

/// A small labelled indicator in the header.
#[component]
pub fn ConnectionState() -> impl IntoView {
    let ctx = Ctx::current();
    let conn = move || {
        let s = ctx.store.read();
        s.connection
    };
    let (class, key) = (
        move || match conn() {
            Connection::Live => "uc-conn uc-conn-live",
            Connection::Connecting | Connection::Reconnecting => "uc-conn uc-conn-retry",
            Connection::Offline => "uc-conn uc-conn-offline",
        },
        move || match conn() {
            Connection::Live => T::Live,
            Connection::Connecting => T::Connecting,
            Connection::Reconnecting => T::Reconnecting,
            Connection::Offline => T::Offline,
        },
    );
    view! {
        <span class=rx(class) role="status" data-test="connection" data-state=move || conn().as_str()>
            {dyn_view(move || ctx.t(key()))}
        </span>
    }
}
