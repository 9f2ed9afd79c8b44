//! What an unlicensed user sees: why the widget does nothing for them and whom to ask — never a
//! blank panel.

use leptos::prelude::*;

use crate::components::{dyn_view, h};

use crate::app::Ctx;
use crate::i18n::T;

/// The "not enabled" panel.
#[component]
pub fn NotEnabled() -> impl IntoView {
    let ctx = Ctx::current();
    let who = move || {
        let s = ctx.store.read();
        s.me.as_ref()
            .map(|m| format!("{} ({})", m.user.name, m.user.email))
    };
    view! {
        <section class="uc-not-enabled" data-test="not-enabled">
            <h2>{ctx.t(T::NotEnabledTitle)}</h2>
            <p>{ctx.t(T::NotEnabledBody)}</p>
            <p class="uc-detail">{dyn_view(who)}</p>
            <button class="uc-button" on:click=h(move |_| ctx.sign_out())>
                {ctx.t(T::SignOut)}
            </button>
        </section>
    }
}
