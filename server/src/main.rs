//! `ucclient-server`: parses the command line and hands over to the library.

use clap::Parser;
use ucclient_server::config::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr, so stdout carries only the `listening on` line and command output.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(c) => ucclient_server::serve(c, false).await,
        Command::Demo(c) => ucclient_server::serve(c, true).await,
        Command::Reseller(a) => ucclient_server::admin::reseller(a).await,
        Command::Customer(a) => ucclient_server::admin::customer(a).await,
        Command::User(a) => ucclient_server::admin::user(a).await,
        Command::Device(a) => ucclient_server::admin::device(a).await,
        Command::Group(a) => ucclient_server::admin::group(a).await,
    }
}
