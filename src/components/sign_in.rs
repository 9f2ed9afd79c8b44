//! The sign-in form: email and password; the token is kept in sessionStorage for the session.

use leptos::prelude::*;

use crate::components::{dyn_view, h};

use crate::app::Ctx;
use crate::i18n::T;

/// The sign-in form, with why the previous session ended if it ended by itself.
#[component]
pub fn SignIn(
    /// Why the agent is signed out, if not by their own choice.
    reason: Option<T>,
) -> impl IntoView {
    let ctx = Ctx::current();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let e: String = email.get_untracked().trim().chars().take(254).collect();
        let p: String = password.get_untracked().chars().take(256).collect();
        if !e.is_empty() && !p.is_empty() {
            ctx.sign_in(e, p);
        }
    };
    view! {
        <form class="uc-signin" data-test="sign-in" on:submit=h(submit)>
            <h1>{ctx.t(T::AppName)}</h1>
            {reason.map(|r| view! { <p class="uc-info" role="status">{ctx.t(r)}</p> }.into_any())}
            <label for="uc-email">{ctx.t(T::Email)}</label>
            <input
                id="uc-email"
                name="email"
                type="email"
                autocomplete="username"
                required
                maxlength="254"
                prop:value=move || email.get()
                on:input=h(move |ev| email.set(event_target_value(&ev)))
            />
            <label for="uc-password">{ctx.t(T::Password)}</label>
            <input
                id="uc-password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                maxlength="256"
                prop:value=move || password.get()
                on:input=h(move |ev| password.set(event_target_value(&ev)))
            />
            <button class="uc-button uc-primary" type="submit" disabled=move || ctx.ui.read().busy>
                {dyn_view(move || if ctx.ui.read().busy { ctx.t(T::SigningIn) } else { ctx.t(T::SignIn) })}
            </button>
        </form>
    }
}
