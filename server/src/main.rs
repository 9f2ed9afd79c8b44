//! `ucclient-server`: parses the command line and hands over to the library.
//!
//! Logs go to stderr (set `RUST_LOG` to filter, `UCCLIENT_LOG_JSON=1` for one JSON object per
//! line), so stdout carries only the `listening on http://<addr>` line and admin command output.

use clap::Parser;
use ucclient_server::config::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if std::env::var("UCCLIENT_LOG_JSON").is_ok_and(|v| v == "1") {
        builder.json().init();
    } else {
        builder.init();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(c) => ucclient_server::serve(c).await,
        Command::Demo(d) => ucclient_server::demo(d).await,
        Command::Reseller(a) => ucclient_server::admin::reseller(a).await,
        Command::Customer(a) => ucclient_server::admin::customer(a).await,
        Command::User(a) => ucclient_server::admin::user(a).await,
        Command::Device(a) => ucclient_server::admin::device(a).await,
        Command::Group(a) => ucclient_server::admin::group(a).await,
        Command::Org(a) => ucclient_server::admin::org(a).await,
        Command::Voice(a) => ucclient_server::voice::command(a).await,
    }
}
