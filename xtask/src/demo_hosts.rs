//! The emulated CRM hosts of `cargo xtask demo`: builds the CRM packages from the widget just built
//! (`package --no-build`), then starts `ucclient-demo-hosts` (the end-to-end tests' emulated Salesforce
//! and Dynamics 365, `tests/src/crm.rs`, with demo pages around the panels) on the port after the
//! backend's, and says which backend arguments let those pages call the backend (CORS for both loopback
//! names, so the two hosts side by side keep separate sign-ins).
//!
//! The same binary serves the emulated Salesforce Voice host (`tests/src/voice.rs`) on the port three
//! after the backend's (the identity provider has the one in between), over https under Salesforce
//! names: a browser reaches it only with those names mapped to 127.0.0.1 and the demo's throw-away
//! certificate accepted, so the exact Chromium command is printed.

use anyhow::{Context, Result};

use crate::package::{self, PackageArgs};
use crate::project::{self, cargo, command, run as run_command};

/// The pages of the site, relative to its address, with what each shows.
const PAGES: &[(&str, &str)] = &[
    (
        "/",
        "both emulated CRMs side by side: ana in Salesforce, bruno in Dynamics 365",
    ),
    (
        "/demo/salesforce",
        "emulated Salesforce: softphone panel, click-to-dial button, saveLog calls",
    ),
    (
        "/demo/dynamics",
        "emulated Dynamics 365: CIF 2.0 panel, click-to-act button, createRecord calls, the agent's Dynamics presence",
    ),
];

/// The emulated org's Lightning name (the Voice host page), as `tests/src/voice.rs` names it.
const VOICE_HOST_NAME: &str = "ucclient-dev.lightning.force.com";
/// The emulated org's Visualforce name (the packaged connector page), as `tests/src/voice.rs` names it.
const VOICE_CONNECTOR_NAME: &str = "ucclient-dev--c.vf.force.com";

/// The Voice site's pages, with what each shows.
const VOICE_PAGES: &[(&str, &str)] = &[
    (
        "/lightning/voice",
        "the package's Visualforce connector (scv-connector-base + shim + Voice module) in the Phone utility",
    ),
    (
        "/lightning/voice-hosted",
        "the same, with the backend's own connector page (/crm/salesforce-voice?org=…)",
    ),
];

/// Packages the built widget and starts the hosts site next to a backend listening on `listen`
/// (`host:port`; the site takes `port + 1`, its Salesforce Voice host `port + 3`). The site's process ends with the demo (Ctrl-C reaches the
/// whole foreground process group). Returns what the backend must be started with: `--cors-origin`
/// for each name of the site (and the Voice host's two https origins).
pub fn start(listen: &str) -> Result<Vec<String>> {
    package::run(&PackageArgs {
        backend_url: package::PLACEHOLDER_BACKEND_URL.to_owned(),
        no_build: true,
    })?;
    run_command(cargo().args([
        "build",
        "-p",
        "ucclient-e2e",
        "--bin",
        "ucclient-demo-hosts",
    ]))?;
    let (host, port) = listen
        .rsplit_once(':')
        .context("--listen must be host:port")?;
    let port: u16 = port.parse().context("--listen must end with a port")?;
    let site = format!("{host}:{}", port.checked_add(1).context("no port after")?);
    let voice_port = port.checked_add(3).context("no port three after")?;
    let binary = project::target_dir()
        .join("debug")
        .join("ucclient-demo-hosts");
    command(&binary)
        .args(["--listen", &site, "--backend", &format!("http://{listen}")])
        .args(["--voice-listen", &format!("{host}:{voice_port}")])
        .spawn()
        .with_context(|| format!("could not start {}", binary.display()))?;

    let site_port = port + 1;
    println!("\nEmulated CRM hosts (sign in inside each panel; password `demo`):");
    for (path, what) in PAGES {
        println!(
            "  {:<40} {what}",
            format!("http://127.0.0.1:{site_port}{path}")
        );
    }
    println!(
        "  On a host page: \"Click to dial\" fires the CRM's click-to-dial / click-to-act for the sample \
         contact; hang up in the panel, then \"Show recorded host calls\" shows the logged Task / phonecall."
    );
    println!(
        "\nEmulated Salesforce Voice (https under Salesforce names: open it in a Chromium that maps them to \
         127.0.0.1 and accepts the demo's throw-away certificate, a separate profile):"
    );
    println!(
        "  chromium --host-resolver-rules=\"MAP *.force.com 127.0.0.1\" --ignore-certificate-errors \
         --user-data-dir=\"$(mktemp -d)\" https://{VOICE_HOST_NAME}:{voice_port}/lightning/voice"
    );
    for (path, what) in VOICE_PAGES {
        println!(
            "  {:<56} {what}",
            format!("https://{VOICE_HOST_NAME}:{voice_port}{path}")
        );
    }
    println!(
        "  Sign in inside the Phone utility as ana; the buttons beside it send what Salesforce sends \
         (Dial, Ring the agent, Accept, Decline, Hold, End, Omni-Channel status) and list what the \
         connector published."
    );
    let mut cors: Vec<String> = [host, "localhost", "127.0.0.1"]
        .iter()
        .map(|name| format!("http://{name}:{site_port}"))
        .collect();
    // The packaged connector calls the backend from the Visualforce origin; the host page's "Ring
    // the agent" and the hosted connector's org check use the Lightning origin.
    cors.push(format!("https://{VOICE_CONNECTOR_NAME}:{voice_port}"));
    cors.push(format!("https://{VOICE_HOST_NAME}:{voice_port}"));
    Ok(cors
        .into_iter()
        .flat_map(|origin| ["--cors-origin".to_owned(), origin])
        .collect())
}
