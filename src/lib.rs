//! UcClient CRM widget: presence badge, profile switcher, click-to-dial, directory, call history and
//! routing editor, in Leptos (CSR) compiled to WebAssembly.
//!
//! # Layout
//!
//! - [`mount`]: the one JavaScript entry point; builds the host bridge and the backend client and
//!   mounts [`app::App`].
//! - [`app`]: the shared context and the actions that talk to the backend and the host.
//! - [`state`]: the client store and its pure transitions (snapshot, deltas, calls), tested natively.
//! - [`live`]: the Server-Sent Events connection with resume and backoff.
//! - [`api`]: the backend client behind the [`api::Backend`] trait (gloo-net's `fetch`, core's wire
//!   types through serde-wasm-bindgen over the browser's `JSON.parse` / `JSON.stringify`).
//! - [`host`]: the [`host::Host`] trait, the only door to the host page, and its bridges.
//! - [`components`]: one file per visible part.
//! - [`i18n`]: every sentence in English, pt-PT and pt-BR.
//! - `softphone` (crate feature `softphone`): the panel as the agent's softphone device, WebRTC
//!   audio (issue 17).

pub mod api;
pub mod app;
pub mod components;
pub mod host;
pub mod i18n;
pub mod live;
#[cfg(feature = "softphone")]
pub mod softphone;
pub mod state;

use std::rc::Rc;

use wasm_bindgen::prelude::*;

/// The `config` object of [`mount`].
#[derive(Debug, Default, PartialEq, Eq)]
struct MountConfig {
    /// Backend origin, `""` for the page's own.
    api_base: String,
    /// `standalone`, `salesforce` or `dynamics`.
    host: String,
    /// `en`, `pt-PT` or `pt-BR`.
    locale: Option<String>,
}

/// Longest config string read, in bytes (a longer one counts as missing).
const MAX_CONFIG_TEXT: usize = 2048;

/// Reads the config object's string fields (bounded; a missing, non-string or oversized one is
/// left at its default).
fn read_config(config: &JsValue) -> MountConfig {
    let text = |key: &str| host::interop::text_field(config, key, MAX_CONFIG_TEXT);
    MountConfig {
        api_base: text("api_base").unwrap_or_default(),
        host: text("host").unwrap_or_default(),
        locale: text("locale"),
    }
}

fn browser_languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return vec![];
    };
    let mut out: Vec<String> = nav
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .take(16)
        .collect();
    if let Some(l) = nav.language() {
        out.push(l);
    }
    out
}

/// Mounts the widget into `element`. `config`: `{api_base: "https://…" | "", host: "standalone" |
/// "salesforce" | "dynamics", locale?: "en" | "pt-PT" | "pt-BR"}`.
#[wasm_bindgen]
pub fn mount(element: web_sys::HtmlElement, config: JsValue) {
    let cfg = read_config(&config);
    let kind = host::HostKind::parse(&cfg.host);
    let host = host::select(kind);
    let lang = i18n::pick_language(cfg.locale.as_deref(), host.locale(), &browser_languages());
    let backend: Rc<dyn api::Backend> = Rc::new(api::HttpBackend::new(&cfg.api_base));
    let api_base = cfg.api_base.clone();
    leptos::mount::mount_to(element, move || {
        let ctx = app::Ctx::new(backend, host, &api_base, lang);
        // The Salesforce Voice connector answers Salesforce's calls through the widget's context.
        #[cfg(feature = "salesforce-voice")]
        if kind == host::HostKind::SalesforceVoice {
            host::voice::attach(ctx);
        }
        // CIF 2.0's presence and the profile kept in step through the widget's context.
        #[cfg(feature = "dynamics")]
        if kind == host::HostKind::Dynamics {
            host::dynamics::attach(ctx);
        }
        ctx.resume();
        leptos::view! { <app::App ctx=ctx /> }
    })
    .forget();
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
