//! The emulated Salesforce Voice host for the end-to-end tests, built from the *package* `cargo xtask
//! package` wrote: the connector page (`/apex/UcClientVoiceConnector` of the SFDX project, rendered as
//! Salesforce renders Visualforce) and the `UcClientVoice` static resource (Salesforce's real
//! `scv-connector-base` from npm, the shim and the widget's Voice module), plus the host page of
//! `tests/hosts/salesforce-voice/host.html` that frames the connector in a 300 px utility and drives
//! it over a `MessagePort` as Salesforce does, Omni-Channel included: the org's presence statuses
//! ([`OMNI_STATUSES`]) in `init`'s config, Omni changes as `setAgentStatus`, and the connector's
//! `SET_AGENT_STATUS` events applied to Omni (which then calls `setAgentStatus` back, the worst case
//! for echoes).
//!
//! The library accepts `SETUP_CONNECTOR` only from `https://` Salesforce origins, so the site is served
//! over TLS (a throw-away self-signed certificate made with `openssl` in the test's directory) under
//! Salesforce names that the test browser maps to 127.0.0.1 (`--host-resolver-rules`), with
//! `--ignore-certificate-errors` in that browser only: the host page on `ucclient-dev.lightning.force.com`,
//! the connector on `ucclient-dev--c.vf.force.com`, like an org's Visualforce domain. Nothing leaves
//! 127.0.0.1.
//!
//! [`VoiceOptions`] adds a second host page, [`HOSTED_PATH`], framing the backend's own connector
//! page (`/crm/salesforce-voice?org=<this host's origin>`) instead of the Visualforce page, and the
//! buttons of `tests/hosts/salesforce-voice/controls.html` that drive the connector as Salesforce's
//! softphone does (for a person: `cargo xtask demo` serves this site through `ucclient-demo-hosts`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{Response, StatusCode, Uri, header};
use serde_json::json;

use crate::Browser;
use crate::crm::{File, hosts_dir, render_page, salesforce_project, serve_visualforce};

/// The host page's name (the org's Lightning domain).
pub const HOST_NAME: &str = "ucclient-dev.lightning.force.com";
/// The connector page's name (the org's Visualforce domain).
pub const CONNECTOR_NAME: &str = "ucclient-dev--c.vf.force.com";
/// The connector page (the vendor's `connectorUrl`).
pub const CONNECTOR_PATH: &str = "/apex/UcClientVoiceConnector";
/// The static resource's URL prefix.
pub const RESOURCE_PREFIX: &str = "/resource/1700000000000/UcClientVoice";
/// The host page's path.
pub const HOST_PATH: &str = "/lightning/voice";
/// The host page framing the backend-hosted connector page instead of the Visualforce one.
pub const HOSTED_PATH: &str = "/lightning/voice-hosted";

/// What the site serves besides the Visualforce host page.
#[derive(Debug, Clone, Default)]
pub struct VoiceOptions {
    /// The backend's origin (the contact center's `backendUrl`; the hosted connector's server).
    pub backend_url: String,
    /// Also serve [`HOSTED_PATH`], framing the backend's `/crm/salesforce-voice`.
    pub hosted: bool,
    /// Show buttons that drive the connector as Salesforce's softphone does (the demo's).
    pub controls: bool,
}

/// The emulated org's Omni-Channel presence statuses, `(statusId, statusApiName, statusName)`: what
/// `init` receives in `userPresenceStatuses`. With the default map: Available ↔ available, Busy ↔
/// in_a_meeting, Lunch ↔ lunch, Break ↔ comfort_break; Training is mapped to nothing.
pub const OMNI_STATUSES: [(&str, &str, &str); 5] = [
    ("0N5Dn0000000001", "Available_for_Voice", "Available"),
    ("0N5Dn0000000002", "Busy", "Busy"),
    ("0N5Dn0000000003", "On_Lunch", "Lunch"),
    ("0N5Dn0000000004", "Break", "Break"),
    ("0N5Dn0000000005", "Training", "Training"),
];

/// `userPresenceStatuses` as Salesforce hands it to `init`: a JSON text, keyed by status id.
pub fn user_presence_statuses() -> String {
    let statuses: serde_json::Map<String, serde_json::Value> = OMNI_STATUSES
        .iter()
        .map(|(id, api, name)| {
            (
                (*id).to_owned(),
                json!({"statusId": id, "statusApiName": api, "statusName": name}),
            )
        })
        .collect();
    serde_json::Value::Object(statuses).to_string()
}

/// Renders the connector page as Salesforce does (the `<apex:page>` wrapper dropped, the static
/// resource's merge fields turned into URLs).
pub fn render_connector_page(page: &str) -> Result<String> {
    render_page(page, "UcClientVoice", RESOURCE_PREFIX)
}

/// A TCP listener whose connections are TLS (for `axum::serve`).
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = self.acceptor.accept(stream);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(5), handshake).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A self-signed certificate for the Salesforce names, made by `openssl` in `dir`.
fn certificate(dir: &Path) -> Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-subj",
            "/CN=force.com",
            "-addext",
            "subjectAltName=DNS:*.lightning.force.com,DNS:*.vf.force.com",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running openssl (a throw-away test certificate)")?;
    if !status.success() {
        bail!("openssl could not make the test certificate");
    }
    crate::install_crypto_provider();
    let certs = CertificateDer::pem_file_iter(&cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&key)?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The emulated Salesforce Voice site.
pub struct VoiceSite {
    /// The port both names are served on.
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl VoiceSite {
    /// Binds the site's port (so the backend can allow the connector's origin first).
    pub async fn bind() -> Result<(tokio::net::TcpListener, u16)> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let port = listener.local_addr()?.port();
        Ok((listener, port))
    }

    /// The connector page's origin for `port`.
    pub fn connector_origin(port: u16) -> String {
        format!("https://{CONNECTOR_NAME}:{port}")
    }

    /// The host page's origin for `port` (the org's Lightning origin, which frames the connector).
    pub fn host_origin(port: u16) -> String {
        format!("https://{HOST_NAME}:{port}")
    }

    /// The host page's URL.
    pub fn host_url(&self) -> String {
        format!("{}{HOST_PATH}", VoiceSite::host_origin(self.port))
    }

    /// The URL of the host page framing the backend-hosted connector ([`VoiceOptions::hosted`]).
    pub fn hosted_url(&self) -> String {
        format!("{}{HOSTED_PATH}", VoiceSite::host_origin(self.port))
    }

    /// Serves the package in `packages` on `listener`; the contact center's `backendUrl` is
    /// `backend_url`.
    pub async fn start(
        listener: tokio::net::TcpListener,
        packages: &Path,
        backend_url: &str,
    ) -> Result<VoiceSite> {
        let options = VoiceOptions {
            backend_url: backend_url.to_owned(),
            ..VoiceOptions::default()
        };
        VoiceSite::start_with(listener, packages, &options).await
    }

    /// Serves the package in `packages` on `listener` with `options`.
    pub async fn start_with(
        listener: tokio::net::TcpListener,
        packages: &Path,
        options: &VoiceOptions,
    ) -> Result<VoiceSite> {
        let backend_url = options.backend_url.as_str();
        let port = listener.local_addr()?.port();
        let dir = tempfile::tempdir()?;
        let acceptor = certificate(dir.path())?;
        let mut files: BTreeMap<String, File> = BTreeMap::new();
        let project = salesforce_project(packages)?;
        serve_visualforce(
            &mut files,
            &project,
            (CONNECTOR_PATH, "UcClientVoiceConnector"),
            ("UcClientVoice", RESOURCE_PREFIX),
        )?;
        let config = json!({
            "/reqGeneralInfo/reqAdapterUrl": CONNECTOR_PATH,
            "/reqGeneralInfo/reqVendorInfoApiName": "UcClientVoice",
            "/ucClientSettings/backendUrl": backend_url,
            "isACWAllowed": true,
            "orgDomainName": HOST_NAME,
            "userPresenceStatuses": user_presence_statuses(),
        });
        let template = std::fs::read_to_string(hosts_dir().join("salesforce-voice/host.html"))?;
        let controls = if options.controls {
            std::fs::read_to_string(hosts_dir().join("salesforce-voice/controls.html"))?
                .replace("__BACKEND__", backend_url)
        } else {
            String::new()
        };
        let host_page = |connector_url: &str, connector_origin: &str| File {
            content_type: "text/html; charset=utf-8",
            bytes: template
                .replace("__CONNECTOR_URL__", connector_url)
                .replace("__CONNECTOR_ORIGIN__", connector_origin)
                .replace("__CONFIG__", &config.to_string())
                .replace("<!--__CONTROLS__-->", &controls)
                .into_bytes(),
        };
        let vf = VoiceSite::connector_origin(port);
        files.insert(
            HOST_PATH.into(),
            host_page(&format!("{vf}{CONNECTOR_PATH}"), &vf),
        );
        if options.hosted {
            // Salesforce adds nothing to a connectorUrl: the URL names the org that frames it.
            let backend = backend_url.trim_end_matches('/');
            let org = VoiceSite::host_origin(port);
            files.insert(
                HOSTED_PATH.into(),
                host_page(
                    &format!("{backend}/crm/salesforce-voice?org={org}"),
                    backend,
                ),
            );
        }
        let files = Arc::new(files);
        let app = Router::new().fallback(move |uri: Uri| {
            let files = files.clone();
            async move {
                match files.get(uri.path()) {
                    Some(f) => Response::builder()
                        .header(header::CONTENT_TYPE, f.content_type)
                        .header(header::CACHE_CONTROL, "no-store")
                        .body(Body::from(f.bytes.clone()))
                        .unwrap(),
                    None => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Body::from("not found"))
                        .unwrap(),
                }
            }
        });
        let tls = TlsListener {
            tcp: listener,
            acceptor,
        };
        tokio::spawn(async move {
            let _ = axum::serve(tls, app).await;
        });
        Ok(VoiceSite { port, _dir: dir })
    }
}

/// A headless Chromium that resolves the Salesforce names to 127.0.0.1 and accepts the test's
/// certificate (this browser only), at `width` × `height`.
pub async fn voice_browser(width: u32, height: u32) -> Result<Browser> {
    voice_browser_with(width, height, &[]).await
}

/// [`voice_browser`] with `extra` Chromium switches (the softphone test's fake media devices).
pub async fn voice_browser_with(width: u32, height: u32, extra: &[&str]) -> Result<Browser> {
    let mut args = vec![
        "--host-resolver-rules=MAP *.force.com 127.0.0.1",
        "--ignore-certificate-errors",
    ];
    args.extend_from_slice(extra);
    Browser::start_with(width, height, "en-US", &args, true).await
}

/// `PUT /me/presence` with `token`: the agent changes their profile somewhere else (another tab).
pub async fn set_profile(backend_url: &str, token: &str, profile: &str) -> Result<()> {
    reqwest::Client::new()
        .put(format!("{backend_url}/api/v1/me/presence"))
        .bearer_auth(token)
        .json(&json!({ "profile": profile }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
