//! Command line and settings: `serve`, `demo` and the admin commands. Every setting of the server has
//! a flag and an environment variable (`UCCLIENT_*`), and a doc line saying what it bounds.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// UcClient CRM presence backend.
#[derive(Debug, Parser)]
#[command(name = "ucclient-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serves the API (and the widget's static files with --static-dir).
    Serve(Config),
    /// Deletes and recreates the database with the demo data of API.md, then serves.
    Demo(Config),
    /// Manages resellers (mode, extension lists).
    Reseller(crate::admin::ResellerArgs),
    /// Manages customers.
    Customer(crate::admin::CustomerArgs),
    /// Manages users: create, password, permissions, role, delete.
    User(crate::admin::UserArgs),
    /// Manages users' devices.
    Device(crate::admin::DeviceArgs),
    /// Manages hunt groups.
    Group(crate::admin::GroupArgs),
}

/// Dial, ring and talk durations of the embedded PBX's simulated calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimings {
    /// How long the user's own device rings before the far side is called.
    pub dial: Duration,
    /// How long the far side rings before it answers.
    pub ring: Duration,
    /// How long the far side talks before hanging up; `None`: it never hangs up by itself.
    pub talk: Option<Duration>,
}

impl Default for CallTimings {
    fn default() -> Self {
        CallTimings {
            dial: Duration::from_millis(1500),
            ring: Duration::from_millis(2500),
            talk: None,
        }
    }
}

impl FromStr for CallTimings {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [dial, ring, talk] = parts.as_slice() else {
            return Err("expected DIAL_MS,RING_MS,TALK_MS".into());
        };
        let ms = |v: &str| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= 3_600_000)
                .ok_or_else(|| format!("{v} is not a number of milliseconds up to one hour"))
        };
        let talk = ms(talk)?;
        Ok(CallTimings {
            dial: Duration::from_millis(ms(dial)?),
            ring: Duration::from_millis(ms(ring)?),
            talk: (talk > 0).then(|| Duration::from_millis(talk)),
        })
    }
}

/// Settings of a running server.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (port 0 picks a free one; the bound address is printed on stdout).
    #[arg(long, env = "UCCLIENT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, env = "UCCLIENT_DATABASE", default_value = "ucclient.db")]
    pub database: PathBuf,
    /// Directory served at `/` (the built widget: index.html, .js, .wasm, …).
    #[arg(long, env = "UCCLIENT_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Origins allowed to call the API from a browser; `*.` wildcards allowed, e.g.
    /// `https://*.lightning.force.com`, `https://*.my.salesforce.com`, `https://*.visualforce.com`,
    /// `https://*.crm*.dynamics.com`. Repeat the flag or separate with commas.
    #[arg(
        long = "cors-origin",
        env = "UCCLIENT_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Simulated call timings of the embedded PBX: DIAL_MS,RING_MS,TALK_MS (TALK_MS 0: the far side
    /// never hangs up by itself).
    #[arg(long, env = "UCCLIENT_CALL_TIMINGS", default_value = "1500,2500,0")]
    pub call_timings: CallTimings,
    /// Seconds an inbound call rings a user with the CRM client (who answers or declines it in the
    /// panel) before it is missed.
    #[arg(long, env = "UCCLIENT_RING_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub ring_timeout_secs: u64,
    /// Hours a login token lives.
    #[arg(long, env = "UCCLIENT_TOKEN_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub token_hours: u64,
    /// Most live event streams of one user.
    #[arg(long, env = "UCCLIENT_MAX_STREAMS_PER_USER", default_value_t = 8)]
    pub max_streams_per_user: usize,
    /// Most live event streams of one customer.
    #[arg(
        long,
        env = "UCCLIENT_MAX_STREAMS_PER_CUSTOMER",
        default_value_t = 1000
    )]
    pub max_streams_per_customer: usize,
    /// Most live event streams in total.
    #[arg(long, env = "UCCLIENT_MAX_STREAMS", default_value_t = 10000)]
    pub max_streams: usize,
    /// Calls one user may place per minute (toll-fraud guard).
    #[arg(long, env = "UCCLIENT_CALLS_PER_MINUTE", default_value_t = 10)]
    pub calls_per_minute: i64,
    /// Failed logins per email per minute before logins for it are refused with 429.
    #[arg(long, env = "UCCLIENT_LOGIN_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub login_failures_per_minute: i64,
    /// Hours events are kept for resuming streams.
    #[arg(long, env = "UCCLIENT_EVENT_RETENTION_HOURS", default_value_t = 24)]
    pub event_retention_hours: i64,
    /// Events kept per customer at most, however recent.
    #[arg(long, env = "UCCLIENT_EVENT_RETENTION_COUNT", default_value_t = 10000)]
    pub event_retention_count: i64,
    /// Seconds between keep-alive comments on event streams (at most 15).
    #[arg(long, env = "UCCLIENT_KEEP_ALIVE_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=15))]
    pub keep_alive_secs: u64,
    /// Milliseconds one PBX apply may take before it counts as failed.
    #[arg(long, env = "UCCLIENT_PBX_TIMEOUT_MS", default_value_t = 5000)]
    pub pbx_timeout_ms: u64,
    /// Attempts to apply a desired PBX state before it is marked failed.
    #[arg(long, env = "UCCLIENT_PBX_MAX_ATTEMPTS", default_value_t = 8)]
    pub pbx_max_attempts: i64,
    /// First retry delay after a PBX failure, doubled each time up to the cap.
    #[arg(long, env = "UCCLIENT_PBX_RETRY_MS", default_value_t = 500)]
    pub pbx_retry_ms: u64,
    /// Longest delay between PBX retries.
    #[arg(long, env = "UCCLIENT_PBX_RETRY_CAP_MS", default_value_t = 30000)]
    pub pbx_retry_cap_ms: u64,
    /// Lets every licensed user read the PBX views of their own customer (`/pbx/*`), not only
    /// customer administrators. `demo` turns it on.
    #[arg(long, env = "UCCLIENT_PBX_VIEW_FOR_ALL")]
    pub pbx_view_for_all: bool,
}

impl Config {
    /// The command line's defaults for `database`, except that it listens on a free port
    /// (127.0.0.1:0): for tests and for embedding the backend.
    pub fn with_database(database: PathBuf) -> Config {
        Config {
            listen: "127.0.0.1:0"
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
            database,
            static_dir: None,
            cors_origins: Vec::new(),
            call_timings: CallTimings::default(),
            ring_timeout_secs: 30,
            token_hours: 12,
            max_streams_per_user: 8,
            max_streams_per_customer: 1000,
            max_streams: 10000,
            calls_per_minute: 10,
            login_failures_per_minute: 10,
            event_retention_hours: 24,
            event_retention_count: 10000,
            keep_alive_secs: 15,
            pbx_timeout_ms: 5000,
            pbx_max_attempts: 8,
            pbx_retry_ms: 500,
            pbx_retry_cap_ms: 30000,
            pbx_view_for_all: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_timings_parse() {
        assert_eq!(
            "1500,2500,0".parse::<CallTimings>(),
            Ok(CallTimings::default())
        );
        let t: CallTimings = "10, 20, 30".parse().unwrap();
        assert_eq!(t.talk, Some(Duration::from_millis(30)));
        assert!("1,2".parse::<CallTimings>().is_err());
        assert!("a,2,3".parse::<CallTimings>().is_err());
    }

    #[test]
    fn the_cli_parses_serve_with_its_defaults() {
        let cli =
            Cli::try_parse_from(["ucclient-server", "serve", "--listen", "127.0.0.1:0"]).unwrap();
        let Command::Serve(c) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(c.database, PathBuf::from("ucclient.db"));
        assert_eq!(c.call_timings, CallTimings::default());
        let cli = Cli::try_parse_from([
            "ucclient-server",
            "demo",
            "--cors-origin",
            "https://a.example,https://*.b.example",
            "--call-timings",
            "1,2,3",
        ])
        .unwrap();
        let Command::Demo(c) = cli.command else {
            panic!("not demo")
        };
        assert_eq!(c.cors_origins.len(), 2);
    }

    #[test]
    fn the_ring_timeout_is_bounded() {
        let parse = |secs: &str| {
            Cli::try_parse_from(["ucclient-server", "serve", "--ring-timeout-secs", secs]).map(
                |cli| match cli.command {
                    Command::Serve(c) => c.ring_timeout_secs,
                    _ => 0,
                },
            )
        };
        assert_eq!(parse("5").unwrap(), 5);
        assert_eq!(parse("3600").unwrap(), 3600);
        assert!(parse("4").is_err() && parse("3601").is_err());
        let Command::Serve(c) = Cli::try_parse_from(["ucclient-server", "serve"])
            .unwrap()
            .command
        else {
            panic!("not serve")
        };
        assert_eq!(c.ring_timeout_secs, 30);
    }
}
