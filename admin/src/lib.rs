//! UcClient CRM administration page: customer administrators manage their users, devices, hunt
//! groups, after-call work, CRM presence, CRM orgs and single sign-on, and read the audit log;
//! reseller administrators manage their customers and the presence mode. Leptos (CSR) compiled to
//! WebAssembly, served by the backend at `/admin`; English only.
//!
//! # Layout
//!
//! - [`mount`]: the one JavaScript entry point (`boot.js` calls it); mounts [`app::App`] on the
//!   page's `<body>`.
//! - [`app`]: the session (sign-in, `GET /me`, sign-out), the role gate and the tabs, and the
//!   small pieces every tab shares (loading a list, running a change, showing its outcome).
//! - [`api`]: the backend client (gloo-net, serde_json) and the admin contract's wire shapes.
//! - [`validate`]: what each form checks before sending, as pure functions tested natively.
//! - One file per tab: [`users`], [`groups`], [`wrap_up`], [`crm_presence`], [`orgs`], [`sso`],
//!   [`audit`], [`reseller`].
//!
//! The page must never put the bearer token in a URL, nor act without the server's say: every
//! change is a request, and the view shows what the server answers afterwards.

pub mod api;
pub mod app;
pub mod audit;
pub mod crm_presence;
pub mod groups;
pub mod orgs;
pub mod reseller;
pub mod sso;
pub mod users;
pub mod validate;
pub mod wrap_up;

use wasm_bindgen::prelude::*;

/// Mounts the page on `<body>`. Not a start function: instantiating the module does nothing by
/// itself, so xtask's load check can instantiate it in Node, where there is no document.
#[wasm_bindgen]
pub fn mount() {
    leptos::mount::mount_to_body(app::App);
}
