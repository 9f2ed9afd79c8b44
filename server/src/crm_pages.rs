//! The hosted shape of the CRM packages: `/crm/salesforce` (an Open CTI adapter page, for call centers
//! whose `reqAdapterUrl` points at this backend) and `/crm/dynamics` (a CIF landing page, for channel
//! providers whose `msdyn_landingurl` points here). Each page runs the same widget and the same boot
//! scripts as the installed packages (`crm-packages/salesforce/boot/boot-salesforce.js`,
//! `crm-packages/dynamics365/webresources/loader.js`, compiled in), served under `/crm/` beside the
//! built widget read from `--static-dir`; the widget talks to this backend (`api_base` = same origin).
//!
//! The org is given by the host: Salesforce appends `sfdcIFrameOrigin` to the adapter URL, and the CIF
//! landing URL carries `org` (the Dynamics org's origin or host name).
//!
//! `/crm/salesforce-voice` is the Salesforce Voice connector page (for a `ConversationVendorInfo`
//! whose `connectorUrl` points at this backend instead of the package's Visualforce page): the same
//! page as the Visualforce one, loading Salesforce's `scv-connector-base` (read from the static dir's
//! `salesforce-voice/`, where `cargo xtask build-widget` copies the pinned npm release), the package's
//! connector shim (compiled in) and the Voice module. Salesforce adds nothing to a `connectorUrl`,
//! so the URL names the org with `?org=` (its Lightning origin, which frames the connector), and the
//! page names this backend in `<meta name="ucclient-backend-url">`, which the widget prefers to the
//! contact center's `backendUrl` (the page may connect to its own origin only). It is used only after checking it
//! against the operator's CORS list or the CRM orgs customers registered (`crate::orgs`); a page never
//! loads a script from any other origin, and a bad or unregistered org gets a 400 page saying what is
//! expected. Every page carries a strict Content-Security-Policy: scripts from this backend and the org
//! only (plus `'wasm-unsafe-eval'`), connections to this backend only, framed by the org only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine;

use ucclient_core::api::OrgCrm;

use crate::Config;
use crate::cors;
use crate::orgs::{self, OrgRegistry};

/// The Salesforce boot script of the SFDX package (one loader for both shapes).
const BOOT_SALESFORCE_JS: &str =
    include_str!("../../crm-packages/salesforce/boot/boot-salesforce.js");
/// The Dynamics 365 loader web resource of the solution (one loader for both shapes).
const LOADER_DYNAMICS_JS: &str =
    include_str!("../../crm-packages/dynamics365/webresources/loader.js");
/// The panel icon of the solution.
const ICON_SVG: &str = include_str!("../../crm-packages/dynamics365/webresources/icon.svg");
/// The Salesforce Voice connector shim of the SFDX package (one shim for both shapes).
const VOICE_SHIM_JS: &str = include_str!("../../crm-packages/salesforce/voice/connector.js");
/// Where the static directory holds Salesforce's connector library (`build-widget` copies it).
pub const VOICE_LIBRARY_FILE: &str = "salesforce-voice/scv-connector-base.js";

/// The Open CTI version the adapter page loads (the same as the Visualforce page of the package).
pub const OPEN_CTI_PATH: &str = "/support/api/62.0/lightning/opencti_min.js";
/// Where a Dynamics 365 org serves the CIF v1 library.
pub const CIF_LIBRARY_PATH: &str = "/webresources/Widget/msdyn_ciLibrary.js";

/// The largest widget file served from the static directory (the widget's budget is far below).
const MAX_WIDGET_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Which CRM a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crm {
    /// Salesforce Open CTI (Lightning).
    Salesforce,
    /// Dynamics 365 Channel Integration Framework v1.
    Dynamics,
    /// Salesforce Voice with partner telephony (an org of Salesforce's).
    SalesforceVoice,
}

impl Crm {
    fn name(self) -> &'static str {
        match self {
            Crm::Salesforce => "Salesforce",
            Crm::Dynamics => "Dynamics 365",
            Crm::SalesforceVoice => "Salesforce Voice",
        }
    }

    fn org_crm(self) -> OrgCrm {
        match self {
            Crm::Salesforce | Crm::SalesforceVoice => OrgCrm::Salesforce,
            Crm::Dynamics => OrgCrm::Dynamics,
        }
    }
}

/// The org origin of a page, checked: `https://host[:port]` (or `http://`; a bare host name is read
/// as `https://host`) that the operator's CORS list allows, or an origin of this CRM's shape
/// (`orgs::key_of_origin`) whose org a customer registered. Only letters, digits, `.`, `-` and one
/// `:port` can appear, so the result is safe in HTML attributes and in a CSP header as it is.
pub async fn checked_org(
    crm: Crm,
    raw: &str,
    allow_list: &[String],
    orgs: &OrgRegistry,
) -> Option<String> {
    let origin = orgs::normalise_origin(raw)?;
    if cors::listed(&cors::patterns(allow_list), &origin) {
        return Some(origin);
    }
    let key = orgs::key_of_origin(&origin).filter(|k| k.crm() == crm.org_crm())?;
    orgs.owner(&key).await.ok().flatten().map(|_| origin)
}

/// The Content-Security-Policy of an adapter page framed by, and loading scripts from, `org`.
pub fn page_csp(org: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' {org} 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         frame-ancestors {org}; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
}

/// The Content-Security-Policy of the Salesforce Voice connector page framed by `org`: every script
/// from this backend (the connector library is served here too), none from the org.
pub fn voice_page_csp(org: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         frame-ancestors {org}; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
}

/// The CSP of the refusal page: nothing may load, nobody may frame it except to show the refusal.
const REFUSAL_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'";

/// The routes of the hosted adapter pages and their files, all under `/crm/`: each CRM's boot
/// script beside the module built for that CRM (`/crm/salesforce/pkg/…` from the static dir's
/// `salesforce/pkg/`, `/crm/dynamics/pkg/…` from `dynamics/pkg/`), so each page loads only its own
/// bridge, as each package does. The widget's files are read from `--static-dir` once, here, and
/// served from memory.
pub fn router(config: Arc<Config>) -> Router {
    let dir = config.static_dir.as_deref();
    let bundles = Arc::new(Bundles {
        salesforce: WidgetBundle::load(dir, "salesforce/pkg"),
        dynamics: WidgetBundle::load(dir, "dynamics/pkg"),
        voice: WidgetBundle::load(dir, "salesforce-voice/pkg"),
        voice_library: dir
            .and_then(|d| read_widget(&d.join(VOICE_LIBRARY_FILE)))
            .map(Bytes::from),
    });
    Router::new()
        .route("/crm/salesforce", get(salesforce_page))
        .route("/crm/dynamics", get(dynamics_page))
        .route("/crm/salesforce/boot-salesforce.js", get(boot_salesforce))
        .route("/crm/dynamics/loader.js", get(loader_dynamics))
        .route("/crm/dynamics/config.js", get(config_js))
        .route("/crm/icon.svg", get(icon))
        .route("/crm/ucclient.css", get(css))
        .route("/crm/salesforce/pkg/{file}", get(salesforce_file))
        .route("/crm/dynamics/pkg/{file}", get(dynamics_file))
        .route("/crm/salesforce-voice", get(voice_page))
        .route("/crm/salesforce-voice/connector.js", get(voice_shim))
        .route(
            "/crm/salesforce-voice/scv-connector-base.js",
            get(voice_library),
        )
        .route("/crm/salesforce-voice/pkg/{file}", get(voice_file))
        .layer(Extension(bundles))
        .with_state(config)
}

/// The module each hosted page loads.
#[derive(Debug)]
struct Bundles {
    /// Built with the Open CTI bridge only.
    salesforce: WidgetBundle,
    /// Built with the CIF bridge only.
    dynamics: WidgetBundle,
    /// Built with the Salesforce Voice bridge only.
    voice: WidgetBundle,
    /// Salesforce's `scv-connector-base`, as the static directory holds it.
    voice_library: Option<Bytes>,
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

async fn salesforce_page(
    State(config): State<Arc<Config>>,
    Extension(orgs): Extension<Arc<OrgRegistry>>,
    query: Params,
) -> Response {
    let raw = query
        .ok()
        .and_then(|Query(q)| q.get("sfdcIFrameOrigin").cloned());
    let org = match raw {
        Some(r) => checked_org(Crm::Salesforce, &r, &config.cors_origins, &orgs).await,
        None => None,
    };
    let Some(org) = org else {
        return refusal(
            Crm::Salesforce,
            "This page is the UcClient CRM softphone for a Salesforce call center. Salesforce adds the \
             org's address (sfdcIFrameOrigin) when it opens it; that address is missing, malformed, or \
             not of a Salesforce org registered with this backend. Ask your UcClient administrator to \
             register your org's My Domain (registered orgs: ucclient-server org add, or \
             /api/v1/admin/orgs).",
        );
    };
    if config.static_dir.is_none() {
        return no_widget();
    }
    // The meta names the org for the widget's sign-in (`crm_origin`), as on the Dynamics page.
    let head = format!(
        "<meta name=\"ucclient-crm-url\" content=\"{org}\">\n\
         <script src=\"{org}{OPEN_CTI_PATH}\"></script>\n\
         <script type=\"module\" src=\"/crm/salesforce/boot-salesforce.js\"></script>"
    );
    page(Crm::Salesforce, &org, &head)
}

async fn dynamics_page(
    State(config): State<Arc<Config>>,
    Extension(orgs): Extension<Arc<OrgRegistry>>,
    query: Params,
) -> Response {
    let raw = query.ok().and_then(|Query(q)| q.get("org").cloned());
    let org = match raw {
        Some(r) => checked_org(Crm::Dynamics, &r, &config.cors_origins, &orgs).await,
        None => None,
    };
    let Some(org) = org else {
        return refusal(
            Crm::Dynamics,
            "This page is the UcClient CRM panel for a Dynamics 365 channel provider. Its landing URL \
             must name the org with ?org=https://<org>.crm.dynamics.com (or the host name alone); that \
             is missing, malformed, or not a Dynamics 365 org registered with this backend. Ask your \
             UcClient administrator to register your org's URL (registered orgs: ucclient-server org \
             add, or /api/v1/admin/orgs).",
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
         <script type=\"module\" src=\"/crm/dynamics/loader.js\"></script>"
    );
    page(Crm::Dynamics, &org, &head)
}

async fn voice_page(
    State(config): State<Arc<Config>>,
    Extension(orgs): Extension<Arc<OrgRegistry>>,
    headers: HeaderMap,
    query: Params,
) -> Response {
    let raw = query.ok().and_then(|Query(q)| q.get("org").cloned());
    let org = match raw {
        Some(r) => checked_org(Crm::SalesforceVoice, &r, &config.cors_origins, &orgs).await,
        None => None,
    };
    let Some(org) = org else {
        return refusal(
            Crm::SalesforceVoice,
            "This page is the UcClient CRM connector for a Salesforce Voice contact center. Its \
             connectorUrl must name the org that frames it with ?org=https://<my-domain>.lightning.force.com; \
             that is missing, malformed, or not a Salesforce org registered with this backend. Ask your \
             UcClient administrator to register your org's My Domain (registered orgs: ucclient-server \
             org add, or /api/v1/admin/orgs).",
        );
    };
    if config.static_dir.is_none() {
        return no_widget();
    }
    let Some(backend) = crate::sso::origin_of(config.public_url.as_deref(), &headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "This backend's own address is unknown: start it with --public-url.\n",
        )
            .into_response();
    };
    // The library first (a classic script: the shim subclasses its VendorConnector), then the shim,
    // which registers the connector before anything is awaited.
    let head = format!(
        "<meta name=\"ucclient-crm-url\" content=\"{org}\">\n\
         <meta name=\"ucclient-backend-url\" content=\"{backend}\">\n\
         <script src=\"/crm/salesforce-voice/scv-connector-base.js\"></script>\n\
         <script type=\"module\" src=\"/crm/salesforce-voice/connector.js\"></script>"
    );
    page(Crm::SalesforceVoice, &org, &head)
}

/// The adapter page: the same body as the packages' pages, with `head` (the scripts).
fn page(crm: Crm, org: &str, head: &str) -> Response {
    let (host, csp) = match crm {
        Crm::Salesforce => ("salesforce", page_csp(org)),
        Crm::Dynamics => ("dynamics", page_csp(org)),
        Crm::SalesforceVoice => ("salesforce-voice", voice_page_csp(org)),
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
    if let Ok(csp) = HeaderValue::from_str(&csp) {
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

async fn voice_shim() -> Response {
    script(VOICE_SHIM_JS.to_owned())
}

async fn voice_library(Extension(bundles): Extension<Arc<Bundles>>) -> Response {
    bundled(&bundles.voice_library, "text/javascript; charset=utf-8")
}

async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON_SVG).into_response()
}

/// One built module's files the hosted pages serve, read once from `--static-dir` and kept in
/// memory with the module's base64 form already encoded (the Dynamics loader imports it as a
/// JavaScript module, as the solution's web resource carries it). A file that is missing or over
/// [`MAX_WIDGET_FILE_BYTES`] is `None` (404). A rebuilt widget is served after a restart.
#[derive(Debug, Clone, Default)]
pub struct WidgetBundle {
    /// `widget.css`.
    css: Option<Bytes>,
    /// `<pkg>/ucclient_widget.js`, the wasm-bindgen glue.
    glue: Option<Bytes>,
    /// `<pkg>/ucclient_widget_bg.wasm`.
    wasm: Option<Bytes>,
    /// `export default "<the wasm, base64>";`.
    wasm_js: Option<Bytes>,
    /// A split module's loader (`__wasm_split.js`) and lazily loaded chunks (`split_*.wasm`,
    /// `chunk_*.wasm`), by file name; and each chunk base64-encoded in a JavaScript module, as
    /// `<chunk>.wasm.js` (what the Dynamics loader reads a chunk from); empty for a whole module.
    split: std::collections::BTreeMap<String, Bytes>,
}

/// The most files of a split module served (its loader and chunks: 18 today).
const MAX_SPLIT_FILES: usize = 64;

/// Whether `name` is a file of a split module in `pkg/`: wasm-split's loader or one of its chunks
/// (a plain file name, ASCII letters, digits and `_` before the extension).
fn is_split_file(name: &str) -> bool {
    let stem = match name.strip_suffix(".wasm") {
        Some(stem) if stem.starts_with("split_") || stem.starts_with("chunk_") => stem,
        _ => return name == "__wasm_split.js",
    };
    stem.len() <= 128 && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl WidgetBundle {
    /// Reads the bundle of the module in `pkg` (relative to the static directory: `salesforce/pkg`,
    /// `dynamics/pkg`) from the static directory (nothing without one).
    pub fn load(static_dir: Option<&std::path::Path>, pkg: &str) -> WidgetBundle {
        let Some(dir) = static_dir else {
            return WidgetBundle::default();
        };
        let read = |relative: &str| read_widget(&dir.join(relative)).map(Bytes::from);
        let wasm = read(&format!("{pkg}/ucclient_widget_bg.wasm"));
        let wasm_js = wasm.as_ref().map(|bytes| base64_module(bytes));
        let mut split = std::collections::BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(dir.join(pkg)) {
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| is_split_file(n))
                .collect();
            names.sort();
            for name in names.into_iter().take(MAX_SPLIT_FILES) {
                if let Some(bytes) = read(&format!("{pkg}/{name}")) {
                    if name.ends_with(".wasm") {
                        split.insert(format!("{name}.js"), base64_module(&bytes));
                    }
                    split.insert(name, bytes);
                }
            }
        }
        WidgetBundle {
            css: read("widget.css"),
            glue: read(&format!("{pkg}/ucclient_widget.js")),
            wasm,
            wasm_js,
            split,
        }
    }
}

/// `bytes` base64-encoded as a JavaScript module's default export (Dynamics' loader reads the
/// module and its chunks so).
fn base64_module(bytes: &[u8]) -> Bytes {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    Bytes::from(format!("export default \"{b64}\";\n"))
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

async fn css(Extension(bundles): Extension<Arc<Bundles>>) -> Response {
    bundled(&bundles.salesforce.css, "text/css; charset=utf-8")
}

/// The Salesforce page's module files.
async fn salesforce_file(
    Extension(bundles): Extension<Arc<Bundles>>,
    Path(file): Path<String>,
) -> Response {
    widget_file(&bundles.salesforce, &file)
}

/// The Dynamics page's module files.
async fn dynamics_file(
    Extension(bundles): Extension<Arc<Bundles>>,
    Path(file): Path<String>,
) -> Response {
    widget_file(&bundles.dynamics, &file)
}

/// The Salesforce Voice page's module files.
async fn voice_file(
    Extension(bundles): Extension<Arc<Bundles>>,
    Path(file): Path<String>,
) -> Response {
    widget_file(&bundles.voice, &file)
}

/// The widget's glue and module, the module base64-encoded in a JavaScript module, and a split
/// module's loader and chunks.
fn widget_file(bundle: &WidgetBundle, file: &str) -> Response {
    match file {
        "ucclient_widget.js" => bundled(&bundle.glue, "text/javascript; charset=utf-8"),
        "ucclient_widget_bg.wasm" => bundled(&bundle.wasm, "application/wasm"),
        "ucclient_widget_wasm.js" => bundled(&bundle.wasm_js, "text/javascript; charset=utf-8"),
        // A split module's file: only names `WidgetBundle::load` checked with `is_split_file`
        // are in the map (404 for any other).
        _ => bundled(
            &bundle.split.get(file).cloned(),
            if file.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript; charset=utf-8"
            },
        ),
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
    fn only_a_split_modules_files_are_served_beside_it() {
        for name in [
            "__wasm_split.js",
            "chunk_8.wasm",
            "split_act_17948665109551896713.wasm",
        ] {
            assert!(is_split_file(name), "{name}");
        }
        for name in [
            "ucclient_widget.js",
            "split_act.js",
            "chunk_../x.wasm",
            "split_a-b.wasm",
            "other.wasm",
            ".wasm",
        ] {
            assert!(!is_split_file(name), "{name}");
        }
    }
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Store, StoredOrg};

    #[tokio::test]
    async fn org_origins_are_checked_against_the_registered_orgs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        crate::demo::seed(&store, "x").await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let orgs = OrgRegistry::new(store.clone());
        let none: Vec<String> = Vec::new();
        let check = |crm, raw: &'static str, list: Vec<String>| {
            let orgs = &orgs;
            async move { checked_org(crm, raw, &list, orgs).await }
        };
        // The demo registers Acme's My Domain `acme` and its Dynamics org.
        assert_eq!(
            check(
                Crm::Salesforce,
                "https://acme.lightning.force.com",
                none.clone()
            )
            .await
            .as_deref(),
            Some("https://acme.lightning.force.com")
        );
        assert_eq!(
            check(Crm::Dynamics, "acme.crm4.dynamics.com", none.clone())
                .await
                .as_deref(),
            Some("https://acme.crm4.dynamics.com")
        );
        for bad in [
            "https://evil.example",
            "https://nobody.lightning.force.com",
            "http://acme.lightning.force.com",
            "https://acme.lightning.force.com/x",
            "https://acme.lightning.force.com\"><script>",
            "javascript:alert(1)",
            "https://user@acme.lightning.force.com",
            "",
        ] {
            assert_eq!(
                check(Crm::Salesforce, bad, none.clone()).await,
                None,
                "{bad}"
            );
        }
        assert_eq!(
            check(
                Crm::Dynamics,
                "https://acme.lightning.force.com",
                none.clone()
            )
            .await,
            None
        );
        let listed = vec!["http://127.0.0.1:4000".to_owned()];
        assert_eq!(
            check(Crm::Dynamics, "http://127.0.0.1:4000", listed.clone())
                .await
                .as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            check(Crm::Dynamics, "http://127.0.0.1:4001", listed).await,
            None
        );
        // Registered later: seen once the cache entry for it is gone.
        assert_eq!(
            check(
                Crm::Salesforce,
                "https://initech.my.salesforce.com",
                none.clone()
            )
            .await,
            None
        );
        store
            .add_org(
                &StoredOrg {
                    id: "o1".into(),
                    customer_id: "globex".into(),
                    crm: OrgCrm::Salesforce,
                    org_key: "salesforce:initech".into(),
                    name: "initech".into(),
                    org_id: None,
                    created_at: chrono::Utc::now(),
                },
                10,
            )
            .await
            .unwrap();
        orgs.forget(&orgs::OrgKey::salesforce("initech"));
        assert!(
            check(Crm::Salesforce, "https://initech.my.salesforce.com", none)
                .await
                .is_some()
        );
    }
}
