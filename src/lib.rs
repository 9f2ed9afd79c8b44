//! UcClient CRM widget: presence badge, profile switcher, click-to-dial, directory, call history and
//! routing editor, in Leptos (CSR) compiled to WebAssembly.

pub mod host;
