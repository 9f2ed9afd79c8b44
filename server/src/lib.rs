//! UcClient CRM presence backend: accounts and licences, presence profiles, active mode on the
//! PBX, live events over SSE, click-to-dial and call history (the contract is `API.md`).
//!
//! # Layout
//!
//! - [`config`]: the command line (`serve`, `demo`, admin commands) and every setting.
//! - [`api`]: the HTTP handlers of `/api/v1`, one module per resource; [`app`] assembles the router
//!   with CORS, body limits, static files and tracing.
//! - [`auth`]: passwords (checked a bounded number at a time), tokens, and the extractors that
//!   turn a bearer token into an account.
//! - [`limits`]: the client's address, the login throttle and the per-user request budgets.
//! - [`idempotency`]: the optional `Idempotency-Key` header of writes (a retried change is
//!   applied once; its first answer is replayed).
//! - [`presence`]: choosing profiles and overrides, and bringing the PBX to the desired state
//!   (with retries).
//! - [`calls`]: click-to-dial, inbound calls, history, and the embedded PBX's call simulation.
//! - [`softphone`]: the panel registered as the user's softphone device (one per user, kept
//!   alive, expired by the node heartbeat's sweep).
//! - [`voicemail`]: the messages of calls that went to the user's mailbox (core's rule), WAV
//!   validation, the PBX's generated message, and the mailbox as its owner reads it.
//! - [`events`]: the SSE stream over the persisted per-customer event log; [`fanout`]: the shared
//!   in-memory tail of each customer's log that streams send from (a cache of the store);
//!   [`doorbell`]: rings the other nodes sharing the database after a change (PostgreSQL's
//!   LISTEN/NOTIFY or NATS), so their tails read it at once.
//! - [`store`]: the one interface to the database ([`store::Store`]), SQLite by default.
//! - [`pbx`]: the PBX connector trait and the embedded PBX.
//! - [`demo`], [`admin`]: the demo data and the operator's commands; [`audit`]: the audit log of
//!   the administrators' and the operator's changes (the admin API is `api::admin`).
//! - [`voice`]: Salesforce Voice (partner telephony): the VoiceCall records of inbound calls,
//!   created and updated in the background, and the `voice` admin commands.
//! - [`crm_pages`]: the hosted Salesforce / Dynamics 365 adapter pages under `/crm/`.
//! - [`sso`]: single sign-on with each customer's OpenID Connect identity provider.
//! - [`admin_page`]: the built administration page's files at `/admin`, under a strict CSP.
//! - [`media`]: the softphone's media endpoint (WebRTC on str0m, one UDP socket per node): it
//!   bridges two softphones on a call between colleagues and plays a tone for the outside party.
//! - [`orgs`]: the CRM orgs customers registered (which origins may embed the widget, and whose
//!   they are), read through a bounded cache; [`cors`] and [`static_pages`] apply them.
//!
//! Nothing another node would need lives only in this process: sessions, tickets, rate-limit
//! counters, the event log, PBX state and calls are all in the store. In memory there are only the
//! caches of the newest events of customers with live streams here (filled by reading the store
//! back), the counts of those streams, per-user locks serialising PBX applies, and the timers of the
//! call steps this node plays (each step is stored with its call; another node adopts it).

pub mod admin;
pub mod admin_live;
pub mod admin_page;
pub mod api;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod config;
pub mod cors;
pub mod crm_pages;
pub mod demo;
pub mod doorbell;
pub mod error;
pub mod events;
pub mod fanout;
pub mod idempotency;
pub mod limits;
pub mod media;
pub mod openapi;
pub mod orgs;
pub mod pbx;
pub mod presence;
pub mod rsa_key;
pub mod softphone;
pub mod sso;
pub mod static_pages;
pub mod store;
pub mod voice;
pub mod voicemail;

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use ucclient_core::profile::ColourScheme;

pub use config::Config;

use crate::events::Hub;
use crate::pbx::Pbx;
use crate::pbx::embedded::EmbeddedPbx;
use crate::store::Store;
use crate::store::engine::Engine;

/// Largest request body accepted (larger → 413 `bad_request`).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How often old events, tickets, rate-limit windows and expired idempotency keys are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// How often a node says it is alive (`nodes.seen_ms`), adopts the calls of nodes that are not,
/// and expires the softphone registrations nobody kept alive ([`softphone::sweep`]).
const NODE_HEARTBEAT: Duration = Duration::from_secs(5);
/// A node not seen for this long is dead: its live calls are adopted by the others.
const NODE_STALE_MS: i64 = 20_000;
/// A node not seen for this long is forgotten.
const NODE_FORGET_MS: i64 = 3_600_000;

/// What every handler shares: the store, the PBX connector, the live-stream hub and the settings.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The PBX connector.
    pub pbx: Arc<dyn Pbx>,
    /// Wake-ups and caps of this process's live streams.
    pub hub: Arc<Hub>,
    /// Settings.
    pub config: Arc<Config>,
    /// The colour of each profile.
    pub colours: Arc<ColourScheme>,
    /// Serialises PBX applies per user, so an older desired state never lands after a newer one
    /// (one user's hanging apply never holds up another's).
    pub pbx_turns: Arc<presence::UserTurns>,
    /// Wakes the PBX retry worker early.
    pub sync_wakeup: Arc<Notify>,
    /// Password checks, a bounded number at a time.
    pub hasher: Arc<auth::Hasher>,
    /// The calls the embedded PBX is playing.
    pub simulations: Arc<calls::Simulations>,
    /// Which customer each registered CRM org belongs to (a bounded, short-lived cache).
    pub orgs: Arc<orgs::OrgRegistry>,
    /// The single sign-on identity providers' documents and keys (a bounded cache).
    pub sso: Arc<sso::Providers>,
    /// This process's id among the nodes sharing the database (random per start): the holder of
    /// its claims to apply users' PBX state.
    pub node: Arc<str>,
    /// The softphone's media endpoint of this node (`--media-listen`), started on first use.
    pub media: Arc<media::Media>,
}

/// A backend opened on its database, with its background tasks once started.
pub struct Backend {
    /// The shared state (what [`app`] takes).
    pub state: AppState,
    /// The embedded PBX (tests inject faults through it).
    pub embedded: Arc<EmbeddedPbx>,
    /// The store's engine, to close it on shutdown.
    engine: Engine,
    /// Flipping it ends live streams.
    shutdown: watch::Sender<bool>,
    /// Rings the other nodes (PostgreSQL or `--bus`), once started.
    doorbell: Option<doorbell::Doorbell>,
    /// The background tasks.
    tasks: Vec<JoinHandle<()>>,
}

impl Backend {
    /// Opens the database (running migrations) and builds the state; starts nothing yet.
    pub async fn open(config: Config) -> anyhow::Result<Backend> {
        let node: Arc<str> = format!("{:016x}", rand::random::<u64>()).into();
        let engine = Engine::open(
            &config.database,
            Duration::from_millis(config.db_acquire_timeout_ms),
        )
        .await?
        .with_node(node.clone());
        let hasher = auth::Hasher::new(
            config.max_concurrent_hashes,
            Duration::from_millis(config.hash_wait_ms),
        );
        let store: Arc<dyn Store> = engine.store();
        let config_sso_http = config.sso_allow_http_loopback;
        let embedded = Arc::new(EmbeddedPbx::new(store.clone()));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let hub = Hub::new(
            (
                config.max_streams_per_user,
                config.max_streams_per_customer,
                config.max_streams,
            ),
            shutdown_rx,
        );
        let media_listen = config
            .media_listen
            .unwrap_or(std::net::SocketAddr::new(config.listen.ip(), 0));
        if media_listen.ip().is_unspecified() && config.media_address.is_none() {
            tracing::warn!(
                %media_listen,
                "softphone media is off until --media-address names the address browsers reach \
                 this node at (the media socket binds an unspecified address)"
            );
        }
        let media = Arc::new(media::Media::new(media_listen, config.media_address));
        let state = AppState {
            media,
            orgs: Arc::new(orgs::OrgRegistry::new(store.clone())),
            store,
            pbx: embedded.clone(),
            hub: Arc::new(hub),
            config: Arc::new(config),
            colours: Arc::new(ColourScheme::default()),
            pbx_turns: Arc::new(presence::UserTurns::default()),
            sync_wakeup: Arc::new(Notify::new()),
            hasher: Arc::new(hasher),
            simulations: Arc::default(),
            sso: Arc::new(sso::Providers::new(config_sso_http)),
            node,
        };
        Ok(Backend {
            state,
            embedded,
            engine,
            shutdown,
            doorbell: None,
            tasks: Vec::new(),
        })
    }

    /// Reconciles what the last process left (orphaned calls are adopted and go on; pending PBX
    /// applies are retried)
    /// and starts the background tasks: the doorbell to the other nodes, the PBX retry worker and
    /// the pruning of old events.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        auth::Hasher::warm_up();
        if self.doorbell.is_none() {
            let wake: Arc<dyn doorbell::Wake> = self.state.hub.tails();
            if let Some(bell) =
                doorbell::Doorbell::for_backend(&self.engine, self.state.config.bus.as_ref(), wake)
                    .await?
            {
                tracing::info!(
                    doorbell = bell.kind(),
                    "ringing the other nodes after changes"
                );
                // A hub that already rings a doorbell keeps it (start runs once per backend).
                if self.state.hub.set_doorbell(bell.clone()).is_ok() {
                    self.doorbell = Some(bell);
                } else {
                    bell.stop();
                }
            }
        }
        // Alive before the sweep, so this node's own calls are never taken for orphans.
        let now = chrono::Utc::now().timestamp_millis();
        self.state
            .store
            .node_alive(&self.state.node, now, now - NODE_FORGET_MS)
            .await?;
        calls::adopt_orphans(&self.state, now - NODE_STALE_MS)
            .await
            .map_err(|e| anyhow::anyhow!("adopting orphaned calls: {e}"))?;
        let pending = self
            .state
            .store
            .make_pending_due(chrono::Utc::now().timestamp_millis())
            .await?;
        if pending > 0 {
            tracing::info!(pending, "reconciling PBX state left pending");
        }
        self.tasks
            .push(tokio::spawn(presence::run_sync_worker(self.state.clone())));
        let state = self.state.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(NODE_HEARTBEAT).await;
                let now = chrono::Utc::now().timestamp_millis();
                if let Err(e) = state
                    .store
                    .node_alive(&state.node, now, now - NODE_FORGET_MS)
                    .await
                {
                    tracing::error!(error = %e, "node heartbeat");
                }
                if let Err(e) = calls::adopt_orphans(&state, now - NODE_STALE_MS).await {
                    tracing::error!(error = %e, "adopting orphaned calls");
                }
                if let Err(e) = softphone::sweep(&state, now).await {
                    tracing::error!(error = %e, "expiring softphone registrations");
                }
            }
        }));
        let state = self.state.clone();
        self.tasks.push(tokio::spawn(async move {
            // The softphones' media follows calls that other nodes move, read back from the store.
            loop {
                tokio::time::sleep(media::READ_BACK_EVERY).await;
                media::read_back(&state).await;
            }
        }));
        let state = self.state.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                let cfg = &state.config;
                let older =
                    chrono::Utc::now().timestamp_millis() - cfg.event_retention_hours * 3_600_000;
                if let Err(e) = state
                    .store
                    .prune_events(older, cfg.event_retention_count)
                    .await
                {
                    tracing::error!(error = %e, "pruning events");
                }
                let now = chrono::Utc::now().timestamp_millis();
                if let Err(e) = state
                    .store
                    .prune_idempotency_keys(now, idempotency::SWEEP_LIMIT)
                    .await
                {
                    tracing::error!(error = %e, "pruning idempotency keys");
                }
                tokio::time::sleep(PRUNE_EVERY).await;
            }
        }));
        Ok(())
    }

    /// The router of this backend.
    pub fn router(&self) -> Router {
        app(self.state.clone())
    }

    /// The store's engine (tests hold SQLite's connections to simulate overload).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Ends live streams and background tasks, and closes the database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in &self.tasks {
            t.abort();
        }
        // Its calls' timers stop with it: another node (or the next start) adopts their steps.
        if let Err(e) = self.state.store.node_gone(&self.state.node).await {
            tracing::error!(error = %e, "forgetting this node");
        }
        if let Some(bell) = &self.doorbell {
            bell.stop();
        }
        self.engine.close().await;
    }

    /// Serves on `listener` until `shutdown` completes, then stops gracefully.
    pub async fn run(
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.start().await?;
        let app = self.router();
        let stop_streams = self.shutdown.clone();
        // A make-service that clones the router by `Arc`: serving the `Router` itself would
        // rebuild its route table for every connection (~20 KiB each, held while it lives). It
        // hands each request its TCP peer (`ConnectInfo`), the client address of the limits.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stop_streams.send(true);
        })
        .await?;
        self.stop().await;
        Ok(())
    }
}

/// The whole HTTP surface: `/api/v1` (unknown `/api` paths → 404 JSON), the static directory at `/`
/// when configured, CORS from the operator's list and the registered CRM orgs, bounded bodies, and request tracing without URLs'
/// query strings (SSE tickets travel there).
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let state_orgs = state.orgs.clone();
    let api = api::router(&state).with_state(state);
    let mut router = Router::new()
        .nest(ucclient_core::api::API_PREFIX, api)
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .merge(crm_pages::router(config.clone()).layer(axum::Extension(state_orgs.clone())))
        .merge(admin_page::router(&config));
    if let Some(dir) = &config.static_dir {
        let statics = Router::new()
            .fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(static_pages::operator_ancestors(&config.cors_origins)),
                static_pages::frame_ancestors,
            ));
        router = router.fallback_service(statics);
    }
    router = router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api::bound_body))
        .layer(axum::middleware::from_fn(api::bound_headers))
        .layer(
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }),
    );
    router.layer(cors::layer(&config.cors_origins, state_orgs))
}

async fn api_not_found() -> error::ApiError {
    error::ApiError::NotFound("there is nothing at this address")
}

/// `demo`: recreates its database with the demo data (refusing a database holding data it did
/// not create, unless `--force`), then serves it like [`serve`] with the PBX views open to every
/// user.
pub async fn demo(args: config::DemoArgs) -> anyhow::Result<()> {
    let mut config = args.config;
    demo::recreate(&config.database, args.force).await?;
    config.pbx_view_for_all = true;
    if let Some(issuer) = &args.sso_issuer {
        sso::demo_settings(&config.database, issuer).await?;
        config.sso_allow_http_loopback = true;
    }
    serve(config).await
}

/// `serve`: opens the database (never deleting anything), binds, prints
/// `listening on http://<addr>` on stdout, and serves until SIGTERM or ctrl-c.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = Backend::open(config.clone()).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    let database = store::location::Database::describe(&config.database);
    tracing::info!(%addr, %database, "serving");
    backend.run(listener, shutdown_signal()).await
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
