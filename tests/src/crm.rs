//! Emulated CRM hosts for the end-to-end tests: a small static server on 127.0.0.1 that gives the widget
//! what Salesforce and Dynamics 365 give it, built from the *packages* `cargo xtask package` wrote:
//!
//! - Salesforce: `/apex/UcClientSoftphone` is the Visualforce page of the SFDX project rendered the way
//!   Salesforce renders it (the `<apex:page>` wrapper dropped, `{!URLFOR($Resource.UcClientWidget, 'x')}`
//!   turned into `/resource/<stamp>/UcClientWidget/x`), the static resource's zip entries are served under
//!   that prefix (the `.wasm` as `application/octet-stream`: what Salesforce sends is unconfirmed, so the
//!   less friendly answer is tested), and `/support/api/62.0/lightning/opencti_min.js` is the emulated
//!   Open CTI of `tests/hosts/salesforce/` preceded by its per-test configuration;
//! - Dynamics 365: every web resource of the solution zip under `/WebResources/<name>` (with the
//!   placeholder backend origin in `config.js` replaced, as `--backend-url` or an administrator does),
//!   and `/webresources/Widget/msdyn_ciLibrary.js`, the emulated CIF library of `tests/hosts/dynamics/`;
//! - `/console/salesforce` and `/console/dynamics`: outer pages framing each panel in a 300 px iframe,
//!   as the CRMs do (Chromium's window cannot be narrower than 500 px, the iframe can); the tests act
//!   inside the iframe and screenshot the whole page.
//!
//! Besides the site: [`DemoBackend`] (the real backend in-process, with CORS for the site's origin),
//! and page helpers ([`open_panel`], [`wait_js`], [`js`], [`sign_in_here`]) on top of the shared harness
//! of `lib.rs` (browsers, clicks, screenshots).
//!
//! It never talks to anything but 127.0.0.1 and never writes outside the test's own directories.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, Uri, header};
use serde_json::{Value, json};

/// The Salesforce static resource's URL prefix (a fixed stamp stands in for Salesforce's).
pub const RESOURCE_PREFIX: &str = "/resource/1700000000000/UcClientWidget";
/// Where Salesforce serves Open CTI for Lightning (the API version the page asks for).
pub const OPENCTI_PATH: &str = "/support/api/62.0/lightning/opencti_min.js";
/// The softphone page (the call center's `reqAdapterUrl`).
pub const SOFTPHONE_PATH: &str = "/apex/UcClientSoftphone";
/// Where a Dynamics org serves the CIF library.
pub const CIF_PATH: &str = "/webresources/Widget/msdyn_ciLibrary.js";
/// The Dynamics panel page (the channel provider's landing URL).
pub const PANEL_PATH: &str = "/WebResources/ucc_/ucclient/panel.html";
/// The placeholder backend origin of the packages.
pub const PLACEHOLDER_BACKEND_URL: &str = "https://ucclient.example.com";

/// How the emulated Salesforce behaves.
#[derive(Debug, Clone, Default)]
pub struct SalesforceOptions {
    /// Open CTI is not served at all (404): the library is missing.
    pub opencti_missing: bool,
    /// Open CTI methods that answer `success: false`.
    pub failing: Vec<String>,
    /// `/ucClientSettings/logCalls` of the call center ("true" when empty).
    pub log_calls: Option<String>,
    /// `searchAndScreenPop` answers by number (`{"<number>": {"<id>": {...}}}`).
    pub search_results: Value,
}

/// How the emulated Dynamics 365 behaves.
#[derive(Debug, Clone, Default)]
pub struct DynamicsOptions {
    /// The CIF library is not served at all (404).
    pub cif_missing: bool,
    /// CIF never fires `CIFInitDone`.
    pub never_init: bool,
    /// Milliseconds before `CIFInitDone` (default 30).
    pub init_delay_ms: Option<u64>,
    /// The user's LCID from `getEnvironment` (default 1033).
    pub user_lcid: Option<u32>,
    /// Contacts `searchAndOpenRecords` can find (`contactid`, `fullname`, `telephone1`, `mobilephone`).
    pub contacts: Vec<Value>,
    /// CIF 2.0 (multisession, with the agent's presence: `getPresence`, `setPresence`,
    /// `onPresenceChange`) instead of CIF 1.0 (none of them).
    pub cif2: bool,
    /// The agent's presence text when the page opens (CIF 2.0; default `Available`).
    pub presence: Option<String>,
    /// The org's presences (CIF 2.0: `presenceId`, `presenceText`, `presenceColor`,
    /// `basePresenceStatus`); empty: Omnichannel's five out-of-the-box ones.
    pub presences: Vec<Value>,
}

/// What the site serves.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The backend's origin, as the call center / config.js give it.
    pub backend_url: String,
    /// Salesforce behaviour.
    pub salesforce: SalesforceOptions,
    /// Dynamics behaviour.
    pub dynamics: DynamicsOptions,
    /// More HTML pages to serve, by path (the demo's pages around the panels).
    pub extra_pages: Vec<(String, String)>,
}

/// One served file.
#[derive(Debug, Clone)]
pub(crate) struct File {
    /// Its `Content-Type`.
    pub(crate) content_type: &'static str,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A running emulated-host site.
pub struct HostSite {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// Stops the server when dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// `dist/packages/` of the repository (where `cargo xtask package` writes).
pub fn packages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .join("dist")
        .join("packages")
}

/// `tests/hosts/`.
pub fn hosts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hosts")
}

/// Every entry of a zip by name (bounded: a test package over 64 MB is refused).
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    if bytes.len() > 64 * 1024 * 1024 {
        bail!("zip too large");
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).context("reading zip")?;
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        let name = entry.name()?.to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        out.insert(name, content);
    }
    Ok(out)
}

/// Renders the Visualforce page as Salesforce would serve it to the softphone iframe.
pub fn render_visualforce(page: &str) -> Result<String> {
    render_page(page, "UcClientWidget", RESOURCE_PREFIX)
}

/// Renders a Visualforce page of the SFDX project as Salesforce does: the `<apex:page>` wrapper
/// dropped, `{!URLFOR($Resource.<resource>, 'x')}` turned into `<prefix>/x`; a page using anything
/// else of Visualforce is refused (the emulation would render it wrongly).
pub fn render_page(page: &str, resource: &str, prefix: &str) -> Result<String> {
    let start = page.find("<apex:page").context("no <apex:page>")?;
    let open_end = start
        + page[start..]
            .find('>')
            .context("unterminated <apex:page>")?;
    let end = page.rfind("</apex:page>").context("no </apex:page>")?;
    let mut body = page[open_end + 1..end].to_owned();
    let merge = format!("{{!URLFOR($Resource.{resource}, '");
    while let Some(i) = body.find(&merge) {
        let rest = &body[i + merge.len()..];
        let quote = rest.find("')}").context("unterminated URLFOR")?;
        let file = rest[..quote].to_owned();
        body.replace_range(i..i + merge.len() + quote + 3, &format!("{prefix}/{file}"));
    }
    if body.contains("{!") || body.contains("<apex:") {
        bail!("the page uses Visualforce features the emulation does not render");
    }
    Ok(body.trim_start().to_owned())
}

/// The Salesforce package's project zip in `packages`, entry by entry, and where its metadata sits.
pub(crate) fn salesforce_project(packages: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    unzip(
        &std::fs::read(packages.join("UcClientCRM_salesforce.zip"))
            .context("dist/packages/UcClientCRM_salesforce.zip: run `cargo xtask package`")?,
    )
}

/// The project's `force-app` metadata folder inside the package zip.
pub(crate) const SFDX_DIR: &str = "UcClientCRM_salesforce/force-app/main/default";

/// Adds the page `pages/<page>.page` of the `project`, rendered for `resource` served under
/// `prefix`, at `path`, and every entry of the static resource `resource` under `prefix`.
pub(crate) fn serve_visualforce(
    files: &mut BTreeMap<String, File>,
    project: &BTreeMap<String, Vec<u8>>,
    (path, page): (&str, &str),
    (resource, prefix): (&str, &str),
) -> Result<()> {
    let text = String::from_utf8(
        project
            .get(&format!("{SFDX_DIR}/pages/{page}.page"))
            .with_context(|| format!("the page {page} is missing from the package"))?
            .clone(),
    )?;
    files.insert(
        path.into(),
        File {
            content_type: "text/html; charset=utf-8",
            bytes: render_page(&text, resource, prefix)?.into_bytes(),
        },
    );
    let entries = unzip(
        project
            .get(&format!("{SFDX_DIR}/staticresources/{resource}.resource"))
            .with_context(|| {
                format!("the static resource {resource} is missing from the package")
            })?,
    )?;
    for (name, bytes) in entries {
        files.insert(
            format!("{prefix}/{name}"),
            File {
                content_type: content_type(&name),
                bytes,
            },
        );
    }
    Ok(())
}

/// The `Content-Type` of a served file, by its extension.
pub(crate) fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn js_file(config_name: &str, config: &Value, library: &Path) -> Result<File> {
    let source = std::fs::read_to_string(library)
        .with_context(|| format!("reading {}", library.display()))?;
    Ok(File {
        content_type: "text/javascript; charset=utf-8",
        bytes: format!("window.{config_name} = {config};\n{source}").into_bytes(),
    })
}

/// The outer page framing a panel at 300 px, with a strip showing what the host shows (Salesforce's
/// utility item label and icon, posted by the emulated Open CTI). The frame may use the microphone
/// (the softphone), as the CRMs' telephony frames must allow for browser softphones.
fn console_page(title: &str, frame: &str) -> File {
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{margin:0;font:13px system-ui,sans-serif;background:#f3f3f3}}
header{{background:#032d60;color:#fff;padding:6px 10px}} iframe{{border:0;width:300px;height:440px;background:#fff;display:block}}
#utility{{background:#fff;border-top:1px solid #ccc;padding:4px 10px;width:280px}}</style></head>
<body><header>{title} (emulated)</header><iframe id="panel" src="{frame}" title="UcClient CRM" allow="microphone"></iframe>
<div id="utility" aria-live="polite">UcClient CRM</div>
<script>addEventListener('message', e => {{ const d = e.data || {{}};
if (d.emulatedOpenCti === 'label') document.getElementById('utility').textContent = '\u260E ' + d.value; }});</script>
</body></html>"#
    );
    File {
        content_type: "text/html; charset=utf-8",
        bytes: html.into_bytes(),
    }
}

impl HostSite {
    /// Binds the site's address first, so the backend can be told to allow its origin before the
    /// site (which needs the backend's URL) is built.
    pub async fn bind() -> Result<(tokio::net::TcpListener, String)> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let origin = format!("http://{}", listener.local_addr()?);
        Ok((listener, origin))
    }

    /// Builds the site from the packages in `packages` and serves it on `listener`.
    pub async fn start(
        listener: tokio::net::TcpListener,
        packages: &Path,
        options: &HostOptions,
    ) -> Result<HostSite> {
        let mut files: BTreeMap<String, File> = BTreeMap::new();

        // Salesforce: the project zip's page, and the static resource inside it.
        let project = salesforce_project(packages)?;
        serve_visualforce(
            &mut files,
            &project,
            (SOFTPHONE_PATH, "UcClientSoftphone"),
            ("UcClientWidget", RESOURCE_PREFIX),
        )?;
        if !options.salesforce.opencti_missing {
            let sf = &options.salesforce;
            let config = json!({
                "backendUrl": options.backend_url,
                "logCalls": sf.log_calls.clone().unwrap_or_else(|| "true".into()),
                "failing": sf.failing,
                "searchResults": sf.search_results,
            });
            files.insert(
                OPENCTI_PATH.into(),
                js_file(
                    "__opencti_config",
                    &config,
                    &hosts_dir().join("salesforce/opencti_min.js"),
                )?,
            );
        }

        // Dynamics 365: the solution's web resources.
        let solution = unzip(
            &std::fs::read(packages.join("UcClientCRM_dynamics365.zip"))
                .context("dist/packages/UcClientCRM_dynamics365.zip: run `cargo xtask package`")?,
        )?;
        for (name, bytes) in solution {
            let Some(resource) = name.strip_prefix("WebResources/") else {
                continue;
            };
            let bytes = if resource.ends_with("/config.js") {
                String::from_utf8(bytes)?
                    .replace(PLACEHOLDER_BACKEND_URL, &options.backend_url)
                    .into_bytes()
            } else {
                bytes
            };
            files.insert(
                format!("/WebResources/{resource}"),
                File {
                    content_type: content_type(resource),
                    bytes,
                },
            );
        }
        if !options.dynamics.cif_missing {
            let d = &options.dynamics;
            let config = json!({
                "neverInit": d.never_init,
                "initDelayMs": d.init_delay_ms.unwrap_or(30),
                "userLcid": d.user_lcid.unwrap_or(1033),
                "contacts": d.contacts,
                "cifVersion": if d.cif2 { 2 } else { 1 },
                "presence": d.presence,
                "presences": (!d.presences.is_empty()).then_some(&d.presences),
            });
            files.insert(
                CIF_PATH.into(),
                js_file(
                    "__cif_config",
                    &config,
                    &hosts_dir().join("dynamics/msdyn_ciLibrary.js"),
                )?,
            );
        }
        files.insert(
            "/console/salesforce".into(),
            console_page("Salesforce Lightning · utility bar", SOFTPHONE_PATH),
        );
        files.insert(
            "/console/dynamics".into(),
            console_page("Dynamics 365 · channel panel", PANEL_PATH),
        );

        for (path, html) in &options.extra_pages {
            files.insert(
                path.clone(),
                File {
                    content_type: "text/html; charset=utf-8",
                    bytes: html.clone().into_bytes(),
                },
            );
        }

        let files = Arc::new(files);
        let app = Router::new().fallback(move |uri: Uri| {
            let files = files.clone();
            async move { serve(&files, &uri) }
        });
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(HostSite {
            origin: format!("http://{addr}"),
            _stop: stop,
        })
    }

    /// The softphone's address as Salesforce opens it (with `sfdcIFrameOrigin`).
    pub fn softphone_url(&self) -> String {
        format!(
            "{}{SOFTPHONE_PATH}?sfdcIFrameOrigin={}",
            self.origin, self.origin
        )
    }

    /// The Dynamics panel's address (the channel provider's landing URL).
    pub fn panel_url(&self) -> String {
        format!("{}{PANEL_PATH}", self.origin)
    }

    /// An outer page framing `host`'s panel at 300 px (`salesforce` or `dynamics`).
    pub fn console_url(&self, host: &str) -> String {
        format!("{}/console/{host}", self.origin)
    }
}

fn serve(files: &BTreeMap<String, File>, uri: &Uri) -> Response<Body> {
    match files.get(uri.path()) {
        Some(f) => {
            let mut r = Response::new(Body::from(f.bytes.clone()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(f.content_type),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        None => {
            let mut r = Response::new(Body::from("not found"));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

// ------------------------------------------------------------------ backend, browser, widget

/// The real backend with the demo data of API.md, in this process on 127.0.0.1, allowing `cors_origin`.
pub struct DemoBackend {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Stops the server when dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
    /// The database's directory.
    _dir: tempfile::TempDir,
}

impl DemoBackend {
    /// Recreates the demo database in a fresh directory and serves it (quick simulated calls: the
    /// far side rings 300 ms after the agent's phone, answers 300 ms later and never hangs up).
    pub async fn start(cors_origin: &str) -> Result<DemoBackend> {
        DemoBackend::start_with(cors_origin, |_| {}).await
    }

    /// As [`DemoBackend::start`], with the settings changed by `tune` (e.g. a static directory).
    pub async fn start_with(
        cors_origin: &str,
        tune: impl FnOnce(&mut ucclient_server::config::Config),
    ) -> Result<DemoBackend> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("ucclient.db");
        ucclient_server::demo::recreate(&db, false).await?;
        let mut config = ucclient_server::config::Config::with_database(db);
        config.cors_origins = vec![cors_origin.to_owned()];
        config.pbx_view_for_all = true;
        config.call_timings = ucclient_server::config::CallTimings {
            dial: std::time::Duration::from_millis(300),
            ring: std::time::Duration::from_millis(300),
            talk: None,
        };
        tune(&mut config);
        let backend = ucclient_server::Backend::open(config).await?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = backend
                .run(listener, async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(DemoBackend {
            url,
            _stop: stop,
            _dir: dir,
        })
    }

    /// Signs `email` in (password `demo`): `(token, user id)`.
    pub async fn login(&self, email: &str) -> Result<(String, String)> {
        Api(self.url.clone()).login(email).await
    }

    /// `GET` an API path with a token, as JSON.
    pub async fn get(&self, token: &str, path: &str) -> Result<Value> {
        Api(self.url.clone()).get(token, path).await
    }

    /// `POST` JSON to an API path with a token, as JSON.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Result<Value> {
        Api(self.url.clone()).post(token, path, body).await
    }
}

/// A backend's API at the origin it holds (`http://HOST:PORT`), called as a test client would:
/// each answer must be a success and is read as JSON.
pub struct Api(pub String);

impl Api {
    /// Signs `email` in (password `demo`): `(token, user id)`.
    pub async fn login(&self, email: &str) -> Result<(String, String)> {
        let r: Value = reqwest::Client::new()
            .post(format!("{}/api/v1/login", self.0))
            .json(&json!({"email": email, "password": "demo"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = r["token"].as_str().context("token")?.to_owned();
        let id = r["user"]["id"].as_str().context("user id")?.to_owned();
        Ok((token, id))
    }

    /// `GET` an API path with a token, as JSON.
    pub async fn get(&self, token: &str, path: &str) -> Result<Value> {
        self.send(
            reqwest::Client::new().get(format!("{}/api/v1{path}", self.0)),
            token,
        )
        .await
    }

    /// `POST` JSON to an API path with a token, as JSON.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Result<Value> {
        self.send(
            reqwest::Client::new()
                .post(format!("{}/api/v1{path}", self.0))
                .json(body),
            token,
        )
        .await
    }

    /// `PUT` JSON to an API path with a token, as JSON.
    pub async fn put(&self, token: &str, path: &str, body: &Value) -> Result<Value> {
        self.send(
            reqwest::Client::new()
                .put(format!("{}/api/v1{path}", self.0))
                .json(body),
            token,
        )
        .await
    }

    /// `GET` an API path with a token, as bytes (a voicemail's WAV).
    pub async fn get_bytes(&self, token: &str, path: &str) -> Result<Vec<u8>> {
        Ok(reqwest::Client::new()
            .get(format!("{}/api/v1{path}", self.0))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?
            .to_vec())
    }

    async fn send(&self, req: reqwest::RequestBuilder, token: &str) -> Result<Value> {
        Ok(req
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}

/// Runs `script` (a function body; `arguments` as given) in the page and returns its value.
pub async fn js(client: &fantoccini::Client, script: &str, args: Vec<Value>) -> Result<Value> {
    Ok(client.execute(script, args).await?)
}

/// Waits (at most [`crate::WAIT`]) until the JavaScript `expression` is truthy in the page and returns
/// its value; the error names the expression and what the page shows.
pub async fn wait_js(client: &fantoccini::Client, expression: &str) -> Result<Value> {
    let script = format!("try {{ return ({expression}) || null; }} catch (e) {{ return null; }}");
    let start = std::time::Instant::now();
    loop {
        let v = client.execute(&script, vec![]).await?;
        if !v.is_null() && v != Value::Bool(false) {
            return Ok(v);
        }
        if start.elapsed() > crate::WAIT {
            let text = crate::text_of(client, "body").await.unwrap_or_default();
            bail!("timed out waiting for `{expression}`; the page shows: {text}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens the Directory tab in the panel the session is in and waits until it shows and the page
/// has fetched its lazily loaded code: a resource whose URL matches the JavaScript regular
/// expression `chunk_url` (the split module's `split_directory_panel_…` file, as that host serves it).
pub async fn directory_chunk_loads(client: &fantoccini::Client, chunk_url: &str) -> Result<()> {
    crate::click(client, "#uc-tab-directory").await?;
    wait_js(client, "document.querySelector('.uc-search')").await?;
    wait_js(
        client,
        &format!("performance.getEntriesByType('resource').some(e => /{chunk_url}/.test(e.name))"),
    )
    .await?;
    Ok(())
}

/// Opens `host`'s panel (`salesforce` or `dynamics`) the way the CRM shows it — in a 300 px iframe of an
/// outer console page — and switches the WebDriver session into that iframe, so scripts and clicks
/// act on the panel while screenshots show the panel at 300 px inside its host.
pub async fn open_panel(client: &fantoccini::Client, site: &HostSite, host: &str) -> Result<()> {
    client.goto(&site.console_url(host)).await?;
    wait_js(
        client,
        "document.getElementById('panel')?.contentDocument?.readyState === 'complete'",
    )
    .await?;
    client.enter_frame(0).await?;
    Ok(())
}

/// Signs into the widget already open in the page (password `demo`) and waits for the agent's panel
/// and its live connection.
pub async fn sign_in_here(client: &fantoccini::Client, email: &str) -> Result<()> {
    crate::type_into(client, "#uc-email", email).await?;
    crate::type_into(client, "#uc-password", "demo").await?;
    crate::click(client, "form[data-test=sign-in] button[type=submit]").await?;
    wait_js(client, "document.querySelector('.uc-header')").await?;
    // The live stream is up (its first snapshot applied) before the test acts, as a person would see.
    wait_js(
        client,
        "document.querySelector('[data-test=connection][data-state=live]')",
    )
    .await?;
    Ok(())
}

/// The backend and the emulated hosts, wired together: the site's origin is allowed by the backend's
/// CORS, and the site's call center / config.js point at the backend. `tune` adjusts the hosts.
pub async fn start_hosts(tune: impl FnOnce(&mut HostOptions)) -> Result<(DemoBackend, HostSite)> {
    let (listener, origin) = HostSite::bind().await?;
    let backend = DemoBackend::start(&origin).await?;
    let mut options = HostOptions {
        backend_url: backend.url.clone(),
        salesforce: SalesforceOptions::default(),
        dynamics: DynamicsOptions::default(),
        extra_pages: Vec::new(),
    };
    tune(&mut options);
    let site = HostSite::start(listener, &packages_dir(), &options).await?;
    Ok((backend, site))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visualforce_merge_fields_become_static_resource_urls() {
        let page = "<apex:page cspHeader=\"true\" showHeader=\"false\">\n<html><link href=\"{!URLFOR($Resource.UcClientWidget, 'ucclient.css')}\"/>\
<script src=\"{!URLFOR($Resource.UcClientWidget, 'boot-salesforce.js')}\"></script></html>\n</apex:page>\n";
        let html = render_visualforce(page).unwrap();
        assert!(html.starts_with("<html>"));
        assert!(html.contains(&format!("href=\"{RESOURCE_PREFIX}/ucclient.css\"")));
        assert!(html.contains(&format!("src=\"{RESOURCE_PREFIX}/boot-salesforce.js\"")));
        assert!(render_visualforce("<apex:page>{!$User.Id}</apex:page>").is_err());
        assert!(render_visualforce("<html></html>").is_err());
    }
}
