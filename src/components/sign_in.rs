//! The sign-in form: email and password; the token is kept in sessionStorage for the session.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

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
    // The fields are read from the form when it is sent: nothing else needs their values, so
    // they hold no signal (code size).
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let field = |id: &str| {
            form.as_ref()
                .and_then(|f| f.query_selector(id).ok().flatten())
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default()
        };
        let e: String = field("#uc-email").trim().chars().take(254).collect();
        let p: String = field("#uc-password").chars().take(256).collect();
        if !e.is_empty() && !p.is_empty() {
            ctx.sign_in(e, p);
        }
    };
    // sso (issue 15): the company's "Sign in with" button, and the popup's answer.
    ctx.discover_sso(None);
    let listener = window_event_listener(leptos::ev::message, move |e| ctx.sso_message(e));
    on_cleanup(move || listener.remove());
    view! {
        <form class="uc-signin" data-test="sign-in" on:submit=h(submit)>
            <h1>{ctx.t(T::AppName)}</h1>
            {reason.map(|r| view! { <p class="uc-info" role="status">{ctx.t(r)}</p> }.into_any())}
            {dyn_view(move || {
                let company = ctx.ui.read().sso.as_ref().and_then(|d| d.sso.clone());
                company.map(|c| {
                    let label = format!("{} {}", ctx.t(T::SignInWith), c.name);
                    view! {
                        <button
                            class="uc-button uc-primary"
                            type="button"
                            data-test="sso"
                            disabled=move || ctx.ui.read().busy
                            on:click=h(move |_| ctx.sso_sign_in(c.customer.clone()))
                        >
                            {label}
                        </button>
                    }
                })
            })}
            <div hidden=move || ctx.ui.read().sso.as_ref().is_some_and(|d| !d.password_login)>
            <label for="uc-email">{ctx.t(T::Email)}</label>
            <input
                id="uc-email"
                name="email"
                type="email"
                autocomplete="username"
                required
                maxlength="254"
                on:change=h(move |ev| ctx.discover_sso(Some(event_target_value(&ev))))
            />
            <label for="uc-password">{ctx.t(T::Password)}</label>
            <input
                id="uc-password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                maxlength="256"
            />
            <button class="uc-button uc-primary" type="submit" disabled=move || ctx.ui.read().busy>
                {dyn_view(move || if ctx.ui.read().busy { ctx.t(T::SigningIn) } else { ctx.t(T::SignIn) })}
            </button>
            </div>
        </form>
    }
}
