//! `cargo xtask demo`: sets up, builds the widget, the administration page and the backend, then
//! replaces itself with `ucclient-server demo` (fresh database with API.md's demo data) serving the
//! widget and `/admin`, in the foreground until Ctrl-C.

use std::os::unix::process::CommandExt;

use anyhow::{Context, Result, bail};

use crate::project::{self, cargo, command, run as run_command};
use crate::setup;
use crate::widget::{self, BuildArgs};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address the backend listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

/// The pages to open, relative to the backend's address, with what each shows.
const PAGES: &[(&str, &str)] = &[
    ("/", "two agents side by side (two loopback names)"),
    ("/panel.html", "one widget panel (standalone host)"),
    (
        "/admin",
        "the administration page (ana: Acme's customer administrator; rita: the reseller's)",
    ),
];

/// The demo accounts of API.md (password `demo`).
const LOGINS: &[(&str, &str)] = &[
    (
        "ana@acme.example",
        "Acme, active mode: crm_client, customer admin; desk, softphone, mobile",
    ),
    (
        "bruno@acme.example",
        "Acme, active mode: crm_client; desk, mobile",
    ),
    (
        "carla@acme.example",
        "Acme: no client permission (sees \"not enabled\")",
    ),
    ("dora@globex.example", "Globex, passive mode: crm_client"),
    ("eli@globex.example", "Globex, passive mode: crm_client"),
    (
        "rita@demo-active.example",
        "Demo Active's reseller admin (admin API: mode, customers); no client permission",
    ),
];

/// Builds what the demo needs and runs the backend in the foreground.
pub fn run(args: &DemoArgs) -> Result<()> {
    setup::run()?;
    widget::build(&BuildArgs::default())?;
    crate::admin_page::build(&crate::admin_page::BuildArgs::default())?;
    // A debug build: `test` builds the same binary, so it is usually already there, and a release
    // build of the backend (fat LTO, one codegen unit: the profile is tuned for the wasm) takes
    // several times longer on two cores.
    run_command(cargo().args(["build", "-p", "ucclient-server"]))?;
    let server = project::target_dir().join("debug").join("ucclient-server");
    if !server.exists() {
        bail!(
            "{} was not built: the backend has no binary yet (server/ is still a placeholder)",
            server.display()
        );
    }

    let cors_for_hosts = crate::demo_hosts::start(&args.listen)?;
    let sso = sso_provider(&args.listen)?;

    let base = format!("http://{}", args.listen);
    println!("\nUcClient CRM demo — once the server prints `listening on http://...`, open:");
    for (path, what) in PAGES {
        println!("  {:<40} {what}", format!("{base}{path}"));
    }
    println!("Demo logins (password `demo` for all):");
    for (email, what) in LOGINS {
        println!("  {email:<22} {what}");
    }
    println!("Stop with Ctrl-C.\n");

    let mut command = command(&server);
    command
        .arg("demo")
        .args(["--listen", &args.listen])
        .arg("--database")
        .arg(project::target_dir().join("demo.db"))
        // target/demo.db is ours: replace it even if an older build made it unmarked.
        .arg("--force")
        .arg("--static-dir")
        .arg(project::dist_widget())
        .arg("--admin-dir")
        .arg(crate::admin_page::dist())
        .args(&cors_for_hosts)
        .args(&sso);
    println!("$ {}", project::display(&command));
    // exec: the server becomes the foreground process and gets Ctrl-C itself, shutting down cleanly.
    let error = command.exec();
    Err(error).with_context(|| format!("could not start {}", server.display()))
}

// --- sso: the demo's identity provider (issue 15) ---

/// Starts `oidc-provider` (server/tests/oidc/provider.mjs) on the port two after the backend's,
/// with UcClient's redirect URI under each loopback name, and answers the backend's arguments that
/// switch Acme's single sign-on on with it. It ends with the demo (Ctrl-C reaches the whole
/// foreground process group).
fn sso_provider(listen: &str) -> Result<Vec<String>> {
    let (host, port) = listen
        .rsplit_once(':')
        .context("--listen must be host:port")?;
    let port: u16 = port.parse().context("--listen must end with a port")?;
    let idp_port = port
        .checked_add(2)
        .context("no port two after the backend's")?;
    let mut names = vec![host, "localhost", "127.0.0.1"];
    names.sort_unstable();
    names.dedup();
    let redirects: Vec<String> = names
        .iter()
        .map(|name| format!("http://{name}:{port}/api/v1/sso/callback"))
        .collect();
    command("node")
        .arg(project::root().join("server/tests/oidc/provider.mjs"))
        .arg(idp_port.to_string())
        .args(&redirects)
        .env("UCCLIENT_TOOLS", project::tools_dir())
        .spawn()
        .context("could not start the demo identity provider (node)")?;
    let issuer = format!("http://127.0.0.1:{idp_port}");
    println!("\nSingle sign-on: Acme's identity provider runs at {issuer} (oidc-provider).");
    println!(
        "  In the widget press \"Sign in with Acme\"; in the provider's form type \
         ana@acme.example (any password)."
    );
    Ok(vec!["--sso-issuer".to_owned(), issuer])
}
