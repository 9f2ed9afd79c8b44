//! The hosted shape of the CRM packages: `/crm/salesforce` (an Open CTI adapter page, for call centers
//! whose `reqAdapterUrl` points at this backend) and `/crm/dynamics` (a CIF landing page, for channel
//! providers whose `msdyn_landingurl` points here). Each page runs the same widget and the same boot
//! scripts as the installed packages (`crm-packages/salesforce/boot/boot-salesforce.js`,
//! `crm-packages/dynamics365/webresources/loader.js`, compiled in), served under `/crm/` beside the
//! built widget read from `--static-dir`; the widget talks to this backend (`api_base` = same origin).
//!
//! The org is given by the host: Salesforce appends `sfdcIFrameOrigin` to the adapter URL, and the CIF
//! landing URL carries `org` (the Dynamics org's origin or host name). It is used only after checking it
//! against the CORS allow-list or the built-in Salesforce / Dynamics 365 domain patterns; a page never
//! loads a script from any other origin, and a bad org gets a 400 page saying what is expected. Every
//! page carries a strict Content-Security-Policy: scripts from this backend and the org only (plus
//! `'wasm-unsafe-eval'`), connections to this backend only, framed by the org only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine;

use crate::Config;
use crate::cors;

/// The Salesforce boot script of the SFDX package (one loader for both shapes).
const BOOT_SALESFORCE_JS: &str =
    include_str!("../../crm-packages/salesforce/boot/boot-salesforce.js");
/// The Dynamics 365 loader web resource of the solution (one loader for both shapes).
const LOADER_DYNAMICS_JS: &str =
    include_str!("../../crm-packages/dynamics365/webresources/loader.js");
/// The panel icon of the solution.
const ICON_SVG: &str = include_str!("../../crm-packages/dynamics365/webresources/icon.svg");

/// The Open CTI version the adapter page loads (the same as the Visualforce page of the package).
pub const OPEN_CTI_PATH: &str = "/support/api/62.0/lightning/opencti_min.js";
/// Where a Dynamics 365 org serves the CIF v1 library.
pub const CIF_LIBRARY_PATH: &str = "/webresources/Widget/msdyn_ciLibrary.js";

/// Salesforce origins accepted without being in the CORS allow-list (the softphone iframe's parent).
pub const SALESFORCE_PATTERNS: &[&str] = &[
    "https://*.lightning.force.com",
    "https://*.my.salesforce.com",
];
/// Dynamics 365 origins accepted without being in the CORS allow-list (`crm`, `crm4`, `crm11`, …).
pub const DYNAMICS_PATTERNS: &[&str] = &["https://*.crm*.dynamics.com"];

/// The longest org origin accepted.
const MAX_ORIGIN_LEN: usize = 200;
/// The largest widget file served from the static directory (the widget's budget is far below).
const MAX_WIDGET_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Which CRM a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crm {
    /// Salesforce Open CTI (Lightning).
    Salesforce,
    /// Dynamics 365 Channel Integration Framework v1.
    Dynamics,
}

impl Crm {
    fn name(self) -> &'static str {
        match self {
            Crm::Salesforce => "Salesforce",
            Crm::Dynamics => "Dynamics 365",
        }
    }

    fn patterns(self) -> &'static [&'static str] {
        match self {
            Crm::Salesforce => SALESFORCE_PATTERNS,
            Crm::Dynamics => DYNAMICS_PATTERNS,
        }
    }
}

/// The org origin of a page, checked: `https://host[:port]` (or `http://` when the allow-list names it
/// exactly or by pattern, as local test hosts do) matching the CORS allow-list or the CRM's built-in
/// patterns. A bare host name is read as `https://host`. Only letters, digits, `.`, `-` and one
/// `:port` can appear, so the result is safe in HTML attributes and in a CSP header as it is.
pub fn checked_org(crm: Crm, raw: &str, allow_list: &[String]) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() || raw.len() > MAX_ORIGIN_LEN {
        return None;
    }
    let origin = if raw.contains("://") {
        raw.to_ascii_lowercase()
    } else {
        format!("https://{}", raw.to_ascii_lowercase())
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let (host, port) = match rest.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && !host.contains("..")
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()));
    if !host_ok || !port_ok {
        return None;
    }
    let listed = allow_list
        .iter()
        .map(|p| p.trim().trim_end_matches('/'))
        .filter(|p| !p.is_empty())
        .any(|p| cors::matches(p, &origin));
    let built_in = crm.patterns().iter().any(|p| cors::matches(p, &origin));
    (listed || built_in).then_some(origin)
}

/// The Content-Security-Policy of an adapter page framed by, and loading scripts from, `org`.
pub fn page_csp(org: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' {org} 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         frame-ancestors {org}; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
}

/// The CSP of the refusal page: nothing may load, nobody may frame it except to show the refusal.
const REFUSAL_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'";

/// The routes of the hosted adapter pages and their files, all under `/crm/`. The widget's files
/// are read from `--static-dir` once, here, and served from memory.
pub fn router(config: Arc<Config>) -> Router {
    let bundle = Arc::new(WidgetBundle::load(config.static_dir.as_deref()));
    Router::new()
        .route("/crm/salesforce", get(salesforce_page))
        .route("/crm/dynamics", get(dynamics_page))
        .route("/crm/boot-salesforce.js", get(boot_salesforce))
        .route("/crm/loader.js", get(loader_dynamics))
        .route("/crm/config.js", get(config_js))
        .route("/crm/icon.svg", get(icon))
        .route("/crm/ucclient.css", get(css))
        .route("/crm/pkg/{file}", get(widget_file))
        .layer(Extension(bundle))
        .with_state(config)
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

async fn salesforce_page(State(config): State<Arc<Config>>, query: Params) -> Response {
    let raw = query
        .ok()
        .and_then(|Query(q)| q.get("sfdcIFrameOrigin").cloned());
    let Some(org) = raw.and_then(|r| checked_org(Crm::Salesforce, &r, &config.cors_origins)) else {
        return refusal(
            Crm::Salesforce,
            "This page is the UcClient CRM softphone for a Salesforce call center. Salesforce adds the \
             org's address (sfdcIFrameOrigin) when it opens it; that address is missing, malformed, or \
             not a Salesforce domain this backend allows. Ask the backend's operator to add your org's \
             Lightning origin to the allowed origins (--cors-origin).",
        );
    };
    if config.static_dir.is_none() {
        return no_widget();
    }
    let head = format!(
        "<script src=\"{org}{OPEN_CTI_PATH}\"></script>\n\
         <script type=\"module\" src=\"/crm/boot-salesforce.js\"></script>"
    );
    page(Crm::Salesforce, &org, &head)
}

async fn dynamics_page(State(config): State<Arc<Config>>, query: Params) -> Response {
    let raw = query.ok().and_then(|Query(q)| q.get("org").cloned());
    let Some(org) = raw.and_then(|r| checked_org(Crm::Dynamics, &r, &config.cors_origins)) else {
        return refusal(
            Crm::Dynamics,
            "This page is the UcClient CRM panel for a Dynamics 365 channel provider. Its landing URL \
             must name the org with ?org=https://<org>.crm.dynamics.com (or the host name alone); that \
             is missing, malformed, or not a Dynamics 365 domain this backend allows. Ask the backend's \
             operator to add your org's origin to the allowed origins (--cors-origin).",
        );
    };
    if config.static_dir.is_none() {
        return no_widget();
    }
    // The widget's Dynamics bridge inserts the CIF library itself (listening for CIFInitDone first),
    // from this org rather than from the page's own origin.
    let head = format!(
        "<meta name=\"ucclient-crm-url\" content=\"{org}\">\n\
         <link rel=\"icon\" href=\"/crm/icon.svg\" type=\"image/svg+xml\">\n\
         <script type=\"module\" src=\"/crm/loader.js\"></script>"
    );
    page(Crm::Dynamics, &org, &head)
}

/// The adapter page: the same body as the packages' pages, with `head` (the scripts).
fn page(crm: Crm, org: &str, head: &str) -> Response {
    let host = match crm {
        Crm::Salesforce => "salesforce",
        Crm::Dynamics => "dynamics",
    };
    let html = format!(
        "<!DOCTYPE html>\n<!-- UcClient CRM, hosted {name} adapter page (served by the backend). -->\n\
         <html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>UcClient CRM</title>\n<link rel=\"stylesheet\" href=\"/crm/ucclient.css\">\n{head}\n\
         </head>\n<body class=\"ucclient-host ucclient-host-{host}\">\n\
         <div id=\"ucclient-root\" data-host=\"{host}\"><p class=\"ucclient-boot-status\" role=\"status\">\
         Loading UcClient CRM…</p></div>\n<noscript>UcClient CRM needs JavaScript.</noscript>\n\
         </body>\n</html>\n",
        name = crm.name(),
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    if let Ok(csp) = HeaderValue::from_str(&page_csp(org)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// 400 with a page saying what is wrong (the bad value is not echoed).
fn refusal(crm: Crm, sentence: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>UcClient CRM: org not accepted</title>\n</head>\n<body style=\"font: 14px system-ui, \
         sans-serif; margin: 16px\">\n<h1 style=\"font-size: 16px\">UcClient CRM cannot open here \
         ({name})</h1>\n<p>{sentence}</p>\n</body>\n</html>\n",
        name = crm.name(),
    );
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, REFUSAL_CSP),
        ],
        html,
    )
        .into_response()
}

/// 404 when the backend serves no widget (no `--static-dir`).
fn no_widget() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This backend serves no widget: start it with --static-dir pointing at the built widget.\n",
    )
        .into_response()
}

fn script(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn boot_salesforce() -> Response {
    script(BOOT_SALESFORCE_JS.to_owned())
}

async fn loader_dynamics() -> Response {
    script(LOADER_DYNAMICS_JS.to_owned())
}

/// The loader's `config.js`: the backend is this page's own origin.
async fn config_js() -> Response {
    script("// UcClient CRM hosted panel: the backend is this page's own origin.\nexport default { backendUrl: '' };\n".to_owned())
}

async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON_SVG).into_response()
}

/// The built widget's files the hosted pages serve, read once from `--static-dir` and kept in
/// memory with the module's base64 form already encoded (the Dynamics loader imports it as a
/// JavaScript module, as the solution's web resource carries it). A file that is missing or over
/// [`MAX_WIDGET_FILE_BYTES`] is `None` (404). A rebuilt widget is served after a restart.
#[derive(Debug, Clone, Default)]
pub struct WidgetBundle {
    /// `widget.css`.
    css: Option<Bytes>,
    /// `pkg/ucclient_widget.js`, the wasm-bindgen glue.
    glue: Option<Bytes>,
    /// `pkg/ucclient_widget_bg.wasm`.
    wasm: Option<Bytes>,
    /// `export default "<the wasm, base64>";`.
    wasm_js: Option<Bytes>,
}

impl WidgetBundle {
    /// Reads the bundle from the static directory (nothing without one).
    pub fn load(static_dir: Option<&std::path::Path>) -> WidgetBundle {
        let Some(dir) = static_dir else {
            return WidgetBundle::default();
        };
        let read = |relative: &str| read_widget(&dir.join(relative)).map(Bytes::from);
        let wasm = read("pkg/ucclient_widget_bg.wasm");
        let wasm_js = wasm.as_ref().map(|bytes| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            Bytes::from(format!("export default \"{b64}\";\n"))
        });
        WidgetBundle {
            css: read("widget.css"),
            glue: read("pkg/ucclient_widget.js"),
            wasm,
            wasm_js,
        }
    }
}

/// A file of the bundle with its content type, or 404.
fn bundled(file: &Option<Bytes>, content_type: &'static str) -> Response {
    match file {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn css(Extension(bundle): Extension<Arc<WidgetBundle>>) -> Response {
    bundled(&bundle.css, "text/css; charset=utf-8")
}

/// The widget's glue and module, and the module base64-encoded in a JavaScript module.
async fn widget_file(
    Extension(bundle): Extension<Arc<WidgetBundle>>,
    Path(file): Path<String>,
) -> Response {
    match file.as_str() {
        "ucclient_widget.js" => bundled(&bundle.glue, "text/javascript; charset=utf-8"),
        "ucclient_widget_bg.wasm" => bundled(&bundle.wasm, "application/wasm"),
        "ucclient_widget_wasm.js" => bundled(&bundle.wasm_js, "text/javascript; charset=utf-8"),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A file of the built widget (a fixed relative path), bounded in size. Read once at start-up.
fn read_widget(path: &std::path::Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_WIDGET_FILE_BYTES {
        return None;
    }
    std::fs::read(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_origins_are_checked() {
        let none: Vec<String> = Vec::new();
        assert_eq!(
            checked_org(Crm::Salesforce, "https://acme.lightning.force.com", &none).as_deref(),
            Some("https://acme.lightning.force.com")
        );
        assert_eq!(
            checked_org(Crm::Dynamics, "contoso.crm4.dynamics.com", &none).as_deref(),
            Some("https://contoso.crm4.dynamics.com")
        );
        for bad in [
            "https://evil.example",
            "http://acme.lightning.force.com",
            "https://acme.lightning.force.com/x",
            "https://acme.lightning.force.com\"><script>",
            "javascript:alert(1)",
            "https://user@acme.lightning.force.com",
            "",
        ] {
            assert_eq!(checked_org(Crm::Salesforce, bad, &none), None, "{bad}");
        }
        assert_eq!(
            checked_org(Crm::Dynamics, "https://acme.lightning.force.com", &none),
            None
        );
        let listed = vec!["http://127.0.0.1:4000".to_owned()];
        assert_eq!(
            checked_org(Crm::Dynamics, "http://127.0.0.1:4000", &listed).as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            checked_org(Crm::Dynamics, "http://127.0.0.1:4001", &listed),
            None
        );
    }
}
