//! The directory: search colleagues, see their live presence, call them by extension (one call
//! at a time: the buttons wait while a call is in progress).

use std::sync::Arc;

use leptos::prelude::*;

use crate::app::Unloaded;
use crate::components::{dyn_view, h};

use crate::app::Ctx;
use crate::components::badge::{PresenceLabel, PresenceOf};
use crate::i18n::T;

/// The Directory tab's panel, for [`crate::app::lazy_panel`]: like
/// [`crate::components::voicemail::voicemail_panel`], an async `lazy` function whose code is a wasm
/// chunk of its own with the `split` feature, a plain function without it.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(directory_panel_part, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn directory_panel() -> Result<AnyView, Unloaded> {
    Ok(view! { <Directory /> }.into_any())
}

/// The colleague list with its search field.
#[component]
pub fn Directory() -> impl IntoView {
    let ctx = Ctx::current();
    let rows = move || {
        let me = {
            let s = ctx.store.read();
            s.my_id().map(str::to_owned)
        };
        let users = {
            let s = ctx.store.read();
            s.colleagues.clone()
        };
        if users.is_empty() {
            return view! { <p class="uc-empty">{ctx.t(T::NoColleagues)}</p> }.into_any();
        }
        users
            .into_iter()
            .map(|u| {
                let uid = u.id.clone();
                let presence: PresenceOf =
                    Arc::new(move || ctx.store.read().presence.get(&uid).cloned());
                let is_me = me.as_deref() == Some(u.id.as_str());
                let call_label = format!(
                    "{} {} ({})",
                    ctx.t(T::CallColleague),
                    u.name,
                    u.extension
                );
                view! {
                    <li class="uc-colleague" data-user={std::sync::Arc::<str>::from(u.id.clone())}>
                        <div class="uc-colleague-text">
                            <span class="uc-name">
                                {u.name.clone()}
                                {is_me.then(|| view! { <span class="uc-detail">" (" {ctx.t(T::You)} ")"</span> }.into_any())}
                            </span>
                            <span class="uc-presence">
                                <PresenceLabel presence=presence />
                            </span>
                        </div>
                        {(!is_me).then(|| view! {
                            <button
                                class="uc-button"
                                data-test="call-colleague"
                                aria-label={std::sync::Arc::<str>::from(call_label)}
                                disabled=move || ctx.store.read().on_a_call()
                                on:click=h({
                                    let ext = u.extension.clone();
                                    move |_| ctx.dial(ext.clone(), None)
                                })
                            >
                                {u.extension.clone()}
                            </button>
                        }.into_any())}
                    </li>
                }
            })
            .map(IntoAny::into_any).collect_view()
            .into_any()
    };
    view! {
        <div class="uc-directory" data-test="directory">
            <input
                type="search"
                class="uc-search"
                maxlength="64"
                aria-label={std::sync::Arc::<str>::from(ctx.t(T::Search))}
                placeholder=ctx.t(T::Search)
                on:input=h(move |ev| ctx.search(event_target_value(&ev)))
            />
            <ul class="uc-list" role="list">{dyn_view(rows)}</ul>
        </div>
    }
}
