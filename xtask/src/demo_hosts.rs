//! The emulated CRM hosts of `cargo xtask demo`: builds the CRM packages from the widget just built
//! (`package --no-build`), then starts `ucclient-demo-hosts` (the end-to-end tests' emulated Salesforce
//! and Dynamics 365, `tests/src/crm.rs`, with demo pages around the panels) on the port after the
//! backend's, and says which backend arguments let those pages call the backend (CORS for both loopback
//! names, so the two hosts side by side keep separate sign-ins).

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
        "emulated Dynamics 365: CIF panel, click-to-act button, createRecord calls",
    ),
];

/// Packages the built widget and starts the hosts site next to a backend listening on `listen`
/// (`host:port`; the site takes `port + 1`). The site's process ends with the demo (Ctrl-C reaches the
/// whole foreground process group). Returns what the backend must be started with: `--cors-origin`
/// for each name of the site.
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
    let binary = project::target_dir()
        .join("debug")
        .join("ucclient-demo-hosts");
    command(&binary)
        .args(["--listen", &site, "--backend", &format!("http://{listen}")])
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
    Ok([host, "localhost", "127.0.0.1"]
        .iter()
        .flat_map(|name| {
            [
                "--cors-origin".to_owned(),
                format!("http://{name}:{site_port}"),
            ]
        })
        .collect())
}
