//! Command line and settings: `serve`, `demo` and the admin commands. Every setting of the server has
//! a flag and an environment variable (`UCCLIENT_*`), and a doc line saying what it bounds.

use std::net::{IpAddr, SocketAddr};
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
    /// Recreates its own database (default `ucclient-demo.db`) with the demo data of API.md, then
    /// serves. It refuses a database file it did not create itself, unless `--force`.
    #[command(mut_arg("database", |a| a.default_value(DEMO_DATABASE).env("UCCLIENT_DEMO_DATABASE")))]
    Demo(DemoArgs),
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
    /// Manages the CRM orgs each customer registered (which orgs may embed the widget).
    Org(crate::admin::OrgArgs),
    /// Manages a customer's Salesforce Voice: settings, key pair, certificate.
    Voice(crate::voice::VoiceArgs),
}

/// The database file `serve` opens by default.
pub const SERVE_DATABASE: &str = "ucclient.db";
/// The database file `demo` recreates by default: never the one `serve` opens by default.
pub const DEMO_DATABASE: &str = "ucclient-demo.db";

/// `demo`: the server's settings, and whether it may replace a database it did not create.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The server's settings (`--database` defaults to `ucclient-demo.db` here).
    #[command(flatten)]
    pub config: Config,
    /// Replaces the database file even when it is not a demo database (its data is lost).
    #[arg(long)]
    pub force: bool,
    /// sso: switches Acme's single sign-on on with this issuer (client `ucclient`, secret
    /// `ucclient-secret`, domain acme.example), as `cargo xtask demo` does with its loopback
    /// provider; loopback http issuers are then allowed.
    #[arg(long, env = "UCCLIENT_DEMO_SSO_ISSUER")]
    pub sso_issuer: Option<String>,
}

/// An address or network (`10.0.0.1`, `10.0.0.0/8`, `::1`) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(pub ipnet::IpNet);

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        s.parse::<ipnet::IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map(TrustedProxy)
            .map_err(|_| format!("{s} is neither an IP address nor a CIDR network"))
    }
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
    /// The database: a SQLite file path or `sqlite://PATH` / `sqlite:PATH` (created if missing),
    /// or `postgres://USER@HOST/DATABASE` (its migrations run at start-up).
    #[arg(long, env = "UCCLIENT_DATABASE", default_value = SERVE_DATABASE)]
    pub database: crate::store::location::DatabaseArg,
    /// Directory served at `/` (the built widget: index.html, .js, .wasm, …).
    #[arg(long, env = "UCCLIENT_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Directory of the built administration page (`cargo xtask build-admin`), served at `/admin`;
    /// default: `admin/` beside `--static-dir` when given, else `dist/admin`.
    #[arg(long, env = "UCCLIENT_ADMIN_DIR")]
    pub admin_dir: Option<PathBuf>,
    /// The operator's own origins allowed to call the API from a browser and to frame the hosted
    /// CRM pages, besides the CRM orgs customers registered (`org add`); `*` matches within the
    /// host, e.g. `http://127.0.0.1:*` for local test hosts. Repeat the flag or separate with commas.
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
    /// Failed logins of one account from one client address before each further try from there
    /// waits a growing delay (1 s, doubling, at most 15 min; 429 meanwhile). Other addresses
    /// are not affected, so a stranger cannot lock the owner out.
    #[arg(long, env = "UCCLIENT_LOGIN_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub login_failures_per_minute: i64,
    /// Failed logins from one client address per minute, whatever the accounts, before logins
    /// from it are refused with 429 until the minute is over.
    #[arg(
        long,
        env = "UCCLIENT_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE",
        default_value_t = 30
    )]
    pub login_failures_per_address_per_minute: i64,
    /// Proxies (address or CIDR) whose `X-Forwarded-For` names the client: when the TCP peer is
    /// one, the right-most address of that header that is not a trusted proxy is the client's.
    /// Repeat the flag or separate with commas. Without it the peer's address is always used.
    #[arg(
        long = "trusted-proxy",
        env = "UCCLIENT_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Password hashes (argon2, ~19 MiB each) computed at once at most; 0: one per CPU core.
    #[arg(long, env = "UCCLIENT_MAX_CONCURRENT_HASHES", default_value_t = 0)]
    pub max_concurrent_hashes: usize,
    /// Milliseconds a login waits for a hashing slot before it is answered 503 with Retry-After.
    #[arg(long, env = "UCCLIENT_HASH_WAIT_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub hash_wait_ms: u64,
    /// Writes one user may make per minute (presence, profile settings, calls and hang-ups, the
    /// simulated inbound call); more get 429 with Retry-After.
    #[arg(long, env = "UCCLIENT_WRITES_PER_MINUTE", default_value_t = 60)]
    pub writes_per_minute: i64,
    /// Event-stream tickets one user may take per minute.
    #[arg(long, env = "UCCLIENT_TICKETS_PER_MINUTE", default_value_t = 30)]
    pub tickets_per_minute: i64,
    /// Directory searches one user may make per minute.
    #[arg(long, env = "UCCLIENT_SEARCHES_PER_MINUTE", default_value_t = 120)]
    pub searches_per_minute: i64,
    /// Milliseconds a request waits for a database connection before it is answered 503 with
    /// Retry-After (overload fails fast instead of queueing).
    #[arg(long, env = "UCCLIENT_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub db_acquire_timeout_ms: u64,
    /// Hours events are kept for resuming streams.
    #[arg(long, env = "UCCLIENT_EVENT_RETENTION_HOURS", default_value_t = 24)]
    pub event_retention_hours: i64,
    /// Events kept per customer at most, however recent.
    #[arg(long, env = "UCCLIENT_EVENT_RETENTION_COUNT", default_value_t = 10000)]
    pub event_retention_count: i64,
    /// Seconds an `Idempotency-Key`'s stored answer is replayed for (24 h by default).
    #[arg(long, env = "UCCLIENT_IDEMPOTENCY_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub idempotency_ttl_secs: u64,
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
    // --- sso: single sign-on (issue 15) ---
    /// This backend's public URL (`https://ucclient.example`): the single sign-on redirect URI is
    /// `<it>/api/v1/sso/callback`. Unset: taken from each request's `Host` (https, or http for a
    /// loopback host).
    #[arg(long, env = "UCCLIENT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Lets identity providers on this machine (127.0.0.1, localhost) use plain http: for tests
    /// and the demo only; every other issuer must be https.
    #[arg(long, env = "UCCLIENT_SSO_ALLOW_HTTP_LOOPBACK")]
    pub sso_allow_http_loopback: bool,
    // --- pg-doorbell: the cross-node doorbell (issue 16) ---
    /// The NATS server that rings the other nodes after a change: `nats://HOST:PORT` (`tls://` for
    /// TLS; `USER:PASSWORD@` or `TOKEN@` before the host when it wants them). Only which customer
    /// changed travels on it; the events are read from the database. Without it, nodes sharing a
    /// PostgreSQL database ring each other with LISTEN/NOTIFY, and a SQLite server rings no one.
    #[arg(long, env = "UCCLIENT_BUS", value_parser = BusUrlParser)]
    pub bus: Option<BusUrl>,
    // --- soft-media: the softphone's media endpoint (issue 17) ---
    /// The UDP address the media endpoint binds (one socket for every softphone call of this
    /// node). Unset: the `--listen` host with a free port.
    #[arg(long, env = "UCCLIENT_MEDIA_LISTEN")]
    pub media_listen: Option<SocketAddr>,
    /// The IP address written in the media endpoint's host candidate: the one browsers reach the
    /// media socket at (needed when it binds 0.0.0.0 or sits behind NAT). Unset: the bound one.
    #[arg(long, env = "UCCLIENT_MEDIA_ADDRESS")]
    pub media_address: Option<IpAddr>,
}

impl Config {
    /// The command line's defaults for `database`, except that it listens on a free port
    /// (127.0.0.1:0): for tests and for embedding the backend.
    pub fn with_database(database: PathBuf) -> Config {
        Config {
            listen: "127.0.0.1:0"
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
            database: database.into(),
            static_dir: None,
            admin_dir: None,
            cors_origins: Vec::new(),
            call_timings: CallTimings::default(),
            ring_timeout_secs: 30,
            token_hours: 12,
            max_streams_per_user: 8,
            max_streams_per_customer: 1000,
            max_streams: 10000,
            calls_per_minute: 10,
            login_failures_per_minute: 10,
            login_failures_per_address_per_minute: 30,
            trusted_proxies: Vec::new(),
            max_concurrent_hashes: 0,
            hash_wait_ms: 1000,
            writes_per_minute: 60,
            tickets_per_minute: 30,
            searches_per_minute: 120,
            db_acquire_timeout_ms: 2000,
            event_retention_hours: 24,
            event_retention_count: 10000,
            idempotency_ttl_secs: 86_400,
            keep_alive_secs: 15,
            pbx_timeout_ms: 5000,
            pbx_max_attempts: 8,
            pbx_retry_ms: 500,
            pbx_retry_cap_ms: 30000,
            pbx_view_for_all: false,
            public_url: None,
            sso_allow_http_loopback: false,
            bus: None,
            media_listen: None,
            media_address: None,
        }
    }
}

// --- pg-doorbell: `--bus` (issue 16) ---

/// `--bus`: the NATS server of the cross-node doorbell. `Display` and `Debug` show it without its
/// credentials; only [`BusUrl::credentials`] gives them (to the NATS client).
#[derive(Clone, PartialEq, Eq)]
pub struct BusUrl(url::Url);

/// The credentials written in a `--bus` URL.
#[derive(Clone, PartialEq, Eq)]
pub enum BusCredentials {
    /// `USER:PASSWORD@`.
    UserPassword(String, String),
    /// `TOKEN@`.
    Token(String),
}

impl FromStr for BusUrl {
    type Err = String;

    /// Accepts `nats://HOST[:PORT]` and `tls://HOST[:PORT]` (port 4222 when left out), with
    /// optional credentials; the error never repeats the URL (it may hold a password).
    fn from_str(s: &str) -> Result<Self, String> {
        const SHAPE: &str = "give nats://HOST:PORT (or tls://HOST:PORT)";
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("not a NATS server URL ({e}); {SHAPE}"))?;
        if !matches!(url.scheme(), "nats" | "tls") {
            return Err(format!(
                "{}: is not a NATS server URL; {SHAPE}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("the NATS URL names no host; {SHAPE}"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "a NATS URL has no path, query or fragment; {SHAPE}"
            ));
        }
        Ok(BusUrl(url))
    }
}

/// Parses `--bus` into a [`BusUrl`], refusing it with a message that never repeats the value
/// (clap's own message would, credentials included).
#[derive(Debug, Clone, Copy)]
pub struct BusUrlParser;

impl clap::builder::TypedValueParser for BusUrlParser {
    type Value = BusUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<BusUrl, clap::Error> {
        let refuse = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid --bus: {why}\n"),
            )
            .with_cmd(cmd)
        };
        value
            .to_str()
            .ok_or_else(|| refuse("not UTF-8".into()))?
            .parse()
            .map_err(refuse)
    }
}

impl BusUrl {
    /// The server's address without credentials: what the client dials and messages show.
    pub fn address(&self) -> url::Url {
        let mut u = self.0.clone();
        // Only fails for URLs that cannot have credentials; a nats:// URL with a host can.
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u
    }

    /// The credentials in the URL, percent-decoded, if any: for the NATS client only.
    pub fn credentials(&self) -> Option<BusCredentials> {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = decode(self.0.username());
        match self.0.password() {
            Some(password) => Some(BusCredentials::UserPassword(user, decode(password))),
            None if !user.is_empty() => Some(BusCredentials::Token(user)),
            None => None,
        }
    }
}

impl std::fmt::Display for BusUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.address();
        let shown = shown.as_str();
        // No trailing slash: the address as an operator writes it.
        f.write_str(shown.strip_suffix('/').unwrap_or(shown))
    }
}

impl std::fmt::Debug for BusUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = if self.credentials().is_some() {
            " (with credentials)"
        } else {
            ""
        };
        write!(f, "BusUrl({self}{credentials})")
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
        assert_eq!(c.database.as_path(), std::path::Path::new("ucclient.db"));
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
        let Command::Demo(d) = cli.command else {
            panic!("not demo")
        };
        assert_eq!(d.config.cors_origins.len(), 2);
        assert_eq!(
            d.config.database.as_path(),
            std::path::Path::new(DEMO_DATABASE)
        );
        assert!(!d.force);
    }

    #[test]
    fn the_media_endpoint_options_parse() {
        let serve = |args: &[&str]| {
            let mut all = vec!["ucclient-server", "serve"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).map(|cli| match cli.command {
                Command::Serve(c) => (c.media_listen, c.media_address),
                _ => (None, None),
            })
        };
        assert_eq!(serve(&[]).unwrap(), (None, None));
        let (listen, address) = serve(&[
            "--media-listen",
            "0.0.0.0:40000",
            "--media-address",
            "203.0.113.7",
        ])
        .unwrap();
        assert_eq!(listen, Some(SocketAddr::from(([0, 0, 0, 0], 40000))));
        assert_eq!(address, Some(IpAddr::from([203, 0, 113, 7])));
        assert!(
            serve(&["--media-listen", "0.0.0.0"]).is_err(),
            "a port is needed"
        );
        assert!(
            serve(&["--media-address", "media.example"]).is_err(),
            "an IP address"
        );
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

    // --- pg-doorbell: `--bus` ---

    #[test]
    fn the_bus_is_a_nats_url_whose_credentials_never_show() {
        let parse = |bus: &str| {
            Cli::try_parse_from(["ucclient-server", "serve", "--bus", bus]).map(|cli| {
                match cli.command {
                    Command::Serve(c) => c.bus,
                    _ => None,
                }
            })
        };
        let plain = parse("nats://127.0.0.1:4222").unwrap().unwrap();
        assert_eq!(plain.to_string(), "nats://127.0.0.1:4222");
        assert!(plain.credentials().is_none());
        let secret = parse("nats://ana:s%40cret@nats.example:4333")
            .unwrap()
            .unwrap();
        assert_eq!(secret.to_string(), "nats://nats.example:4333");
        assert_eq!(secret.address().as_str(), "nats://nats.example:4333");
        assert!(
            secret.credentials()
                == Some(BusCredentials::UserPassword("ana".into(), "s@cret".into()))
        );
        let shown = format!("{secret:?} {secret}");
        assert!(!shown.contains("cret") && !shown.contains("ana"), "{shown}");
        let token = parse("tls://t0ken@nats.example").unwrap().unwrap();
        assert!(token.credentials() == Some(BusCredentials::Token("t0ken".into())));
        assert!(!format!("{token:?}").contains("t0ken"));
        for (bad, says) in [
            (
                "http://ana:pw@nats.example:4222",
                "http: is not a NATS server",
            ),
            ("nats.example:4222", "not a NATS server"),
            ("nats://ana:pw@nats.example:4222/x", "no path"),
            ("nats://", "no host"),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(e.contains("nats://HOST:PORT"), "{e}");
            assert!(!e.contains("pw"), "the password leaked: {e}");
        }
        let Command::Serve(c) = Cli::try_parse_from(["ucclient-server", "serve"])
            .unwrap()
            .command
        else {
            panic!("not serve")
        };
        assert!(c.bus.is_none(), "no bus by default");
    }
}
