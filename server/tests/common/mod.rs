//! Test harness: a backend on a fresh database with the demo data (a SQLite file in a temp dir, or
//! a new PostgreSQL database when `UCCLIENT_TEST_DATABASE=postgres`), driven through
//! `app().oneshot(..)`, or served on a real socket on 127.0.0.1:0.

#![allow(dead_code)]

#[path = "../support/pg.rs"]
pub mod pg;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;
use ucclient_server::pbx::embedded::EmbeddedPbx;
use ucclient_server::store::engine::Engine;
use ucclient_server::{AppState, Backend, Config};

/// One cheap argon2 hash of the demo password, shared by every test (the costs are in the hash).
fn demo_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        ucclient_server::auth::hash_password_with_costs(ucclient_server::demo::PASSWORD, 64, 1)
            .unwrap()
    })
}

pub mod calls;

/// An answer: status, JSON body (Null when empty or not JSON), headers.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
    pub text: String,
    /// The body exactly as sent (audio, for one).
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The `error` code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

/// A backend under test (in-process, no socket).
pub struct TestApp {
    pub dir: TempDir,
    pub state: AppState,
    pub embedded: Arc<EmbeddedPbx>,
    pub router: Router,
    backend: Option<Backend>,
}

/// The engine the server tests run on: SQLite, or PostgreSQL when `UCCLIENT_TEST_DATABASE` is
/// `postgres` (`cargo xtask test` runs the suites both ways).
pub fn on_postgres() -> bool {
    std::env::var("UCCLIENT_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A fresh database for one test: a file in `dir`, or a new database on this test process's
/// throw-away PostgreSQL server (started on first use, stopped when the process ends).
pub fn fresh_database(dir: &TempDir) -> std::path::PathBuf {
    if on_postgres() {
        pg::Postgres::shared().fresh_database().into()
    } else {
        dir.path().join("test.db")
    }
}

/// A config for a fresh database ([`fresh_database`]).
pub fn config_in(dir: &TempDir) -> Config {
    Config::with_database(fresh_database(dir))
}

/// Runs `scenario` on a SQLite and a PostgreSQL store, both seeded with `seed`, asserts that they
/// answer and log the same lines, and returns SQLite's (the reference, for the test's own checks
/// with [`line`]).
pub async fn same_on_both_engines(
    seed: &[&str],
    scenario: impl AsyncFn(&Engine) -> Vec<String>,
) -> Vec<String> {
    let (sqlite, _, _dir) = open_seeded(false, seed).await;
    let (pg, _, _) = open_seeded(true, seed).await;
    let want = scenario(&sqlite).await;
    let got = scenario(&pg).await;
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g, w);
    }
    assert_eq!(got.len(), want.len());
    pg.close().await;
    sqlite.close().await;
    want
}

/// The first of `lines` that starts with `start` (a line of [`same_on_both_engines`]).
pub fn line<'a>(lines: &'a [String], start: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start}"))
}

/// The customer's logged events in id order, read straight from the store: (id, audience, kind,
/// data). Ids are per customer on PostgreSQL, one sequence on SQLite.
pub async fn logged_events(
    engine: &Engine,
    customer: &str,
) -> Vec<(i64, Option<String>, String, String)> {
    let sql = "SELECT id, audience_user, kind, data FROM events WHERE customer_id = ";
    match engine {
        Engine::Sqlite(s) => sqlx::query_as(&format!("{sql} ? ORDER BY id"))
            .bind(customer)
            .fetch_all(s.pool())
            .await
            .unwrap(),
        Engine::Postgres(s) => sqlx::query_as(&format!("{sql} $1 ORDER BY id"))
            .bind(customer)
            .fetch_all(s.pool())
            .await
            .unwrap(),
    }
}

/// Opens the database `--database` names, of either engine.
pub async fn open_store(database: &std::path::Path) -> Engine {
    Engine::open_default(database).await.unwrap()
}

/// Runs SQL behind the backend's back on the database `--database` names (either engine), returning
/// the first column of each row as text (empty for a statement without rows).
pub async fn sql(database: &std::path::Path, statement: &str) -> Vec<String> {
    use sqlx::Row;
    let url = database.to_str().expect("a UTF-8 database name");
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query(statement).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    } else {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{url}"))
            .await
            .unwrap();
        let rows = sqlx::query(statement).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    }
}

/// A fresh database of the given engine (PostgreSQL: one on this process's shared server) with
/// `seed`'s rows, for the engines' parity tests; and the temporary directory of a SQLite file.
pub async fn open_seeded(pg: bool, seed: &[&str]) -> (Engine, std::path::PathBuf, Option<TempDir>) {
    let (path, dir) = if pg {
        (
            std::path::PathBuf::from(pg::Postgres::shared().fresh_database()),
            None,
        )
    } else {
        let dir = tempfile::tempdir().unwrap();
        (dir.path().join("t.db"), Some(dir))
    };
    let engine = Engine::open(&path, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    for sql in seed {
        match &engine {
            Engine::Sqlite(s) => {
                sqlx::query(sql).execute(s.pool()).await.unwrap();
            }
            Engine::Postgres(s) => {
                sqlx::query(sql).execute(s.pool()).await.unwrap();
            }
        }
    }
    (engine, path, dir)
}

/// Seeds the demo data into the fresh database of the config.
pub async fn seed(config: &Config) {
    let engine = open_store(&config.database).await;
    ucclient_server::demo::seed(&*engine.store(), demo_hash())
        .await
        .unwrap();
    engine.close().await;
}

impl TestApp {
    /// The demo backend with default settings.
    pub async fn demo() -> TestApp {
        TestApp::demo_with(|_| {}).await
    }

    /// The demo backend with settings changed by `tweak`.
    pub async fn demo_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(&dir);
        config.pbx_view_for_all = false;
        tweak(&mut config);
        seed(&config).await;
        let mut backend = Backend::open(config).await.unwrap();
        backend.start().await.unwrap();
        TestApp {
            state: backend.state.clone(),
            embedded: backend.embedded.clone(),
            router: backend.router(),
            backend: Some(backend),
            dir,
        }
    }

    /// Stops this backend and opens a new one on the same database (a process restart).
    pub async fn restart(mut self) -> TestApp {
        let config = (*self.state.config).clone();
        if let Some(b) = self.backend.take() {
            b.stop().await;
        }
        let mut backend = Backend::open(config).await.unwrap();
        backend.start().await.unwrap();
        TestApp {
            state: backend.state.clone(),
            embedded: backend.embedded.clone(),
            router: backend.router(),
            backend: Some(backend),
            dir: self.dir,
        }
    }

    /// Polls `/me` until the presence's `pbx_sync` is `want` (at most 10 s).
    pub async fn wait_sync(&self, token: &str, want: &str) -> Value {
        for _ in 0..200 {
            let me = self.get("/api/v1/me", token).await;
            if me.body["presence"]["pbx_sync"] == want {
                return me.body["presence"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("pbx_sync never became {want}");
    }

    /// Sends a request; `body` is JSON when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.request(build(method, path, token, body)).await
    }

    /// Sends a request as if from the client address `from` (what the audit log records).
    pub async fn send_from(
        &self,
        from: [u8; 4],
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = build(method, path, token, body);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                from, 40_000,
            ))));
        self.request(req).await
    }

    /// Sends a prepared request.
    pub async fn request(&self, req: Request<Body>) -> Answer {
        send(&self.router, req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// Logs a demo user in (`ana` → ana@acme.example) and returns the token.
    pub async fn login(&self, who: &str) -> String {
        let a = self
            .send(
                Method::POST,
                "/api/v1/login",
                None,
                Some(serde_json::json!({"email": email(who), "password": "demo"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// Sets the token's user's profile, checking it worked.
    pub async fn set_profile(&self, token: &str, profile: &str) -> Value {
        let a = self
            .put(
                "/api/v1/me/presence",
                token,
                serde_json::json!({"profile": profile}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.body
    }
}

/// The demo email of a user id.
pub fn email(who: &str) -> String {
    let customer = if ["dora", "eli"].contains(&who) {
        "globex"
    } else {
        "acme"
    };
    format!("{who}@{customer}.example")
}

/// A backend on a real socket.
pub struct Served {
    pub base: String,
    pub embedded: Arc<EmbeddedPbx>,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Served {
    /// Serves the database of `config` (already seeded) on 127.0.0.1:0.
    pub async fn start(config: Config) -> Served {
        let backend = Backend::open(config).await.unwrap();
        let embedded = backend.embedded.clone();
        let state = backend.state.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            backend
                .run(listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Served {
            base,
            embedded,
            state,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops gracefully (live streams end) and waits until the database is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder().no_proxy().build().unwrap()
    }

    pub async fn login(&self, who: &str) -> String {
        login_at(
            &Served::client(),
            &format!("{}/api/v1", self.base),
            &email(who),
        )
        .await
    }

    pub async fn put_profile(&self, token: &str, profile: &str) {
        let r = Served::client()
            .put(format!("{}/api/v1/me/presence", self.base))
            .bearer_auth(token)
            .json(&serde_json::json!({"profile": profile}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    pub async fn ticket(&self, token: &str) -> String {
        ticket_at(&format!("{}/api/v1", self.base), token).await
    }

    /// Opens an event stream (with an optional `Last-Event-ID` header).
    pub async fn events(&self, token: &str, last_id: Option<&str>) -> Sse {
        events_at(&format!("{}/api/v1", self.base), token, last_id).await
    }
}

/// A one-use event ticket from the API rooted at `api` (`http://ADDR/api/v1`).
pub async fn ticket_at(api: &str, token: &str) -> String {
    let r = Served::client()
        .post(format!("{api}/events/ticket"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["ticket"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An event stream of the API rooted at `api`, with a fresh ticket and an optional
/// `Last-Event-ID` header.
pub async fn events_at(api: &str, token: &str, last_id: Option<&str>) -> Sse {
    let ticket = ticket_at(api, token).await;
    let mut req = Served::client().get(format!("{api}/events?ticket={ticket}"));
    if let Some(id) = last_id {
        req = req.header("last-event-id", id);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    Sse {
        response: r,
        buffer: String::new(),
    }
}

/// The `id`, `event` and `data` of one SSE block (its lines up to the blank line), or `None` for
/// a block without an event (a keep-alive comment).
pub fn sse_block(block: &str) -> Option<(String, String, String)> {
    let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    (!event.is_empty()).then_some((id, event, data))
}

/// One SSE event as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub id: String,
    pub event: String,
    pub data: Value,
}

/// A live SSE response, read event by event.
pub struct Sse {
    response: reqwest::Response,
    buffer: String,
}

impl Sse {
    /// Reads an already opened stream.
    pub fn from_response(response: reqwest::Response) -> Sse {
        assert_eq!(response.status(), 200);
        Sse {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped); panics after 10 s without one.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(std::time::Duration::from_secs(10), self.next_inner())
            .await
            .expect("no event within 10 s")
    }

    /// Reads until the server ends the stream; the events received on the way. Panics when it
    /// is still open after `within`.
    pub async fn until_end(&mut self, within: std::time::Duration) -> Vec<Received> {
        let mut seen = Vec::new();
        tokio::time::timeout(within, async {
            while let Some(r) = self.read().await {
                seen.push(r);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the stream is still open; received {seen:?}"));
        seen
    }

    async fn next_inner(&mut self) -> Received {
        self.read().await.expect("stream ended")
    }

    /// The next event, or `None` when the stream ended.
    async fn read(&mut self) -> Option<Received> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let Some((id, event, data)) = sse_block(&block) else {
                    continue; // a keep-alive comment
                };
                return Some(Received {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            let chunk = self.response.chunk().await.unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Signs `email` in (password `demo`) at the API rooted at `api` (`http://ADDR/api/v1`); returns
/// the token.
pub async fn login_at(http: &reqwest::Client, api: &str, email: &str) -> String {
    let r = http
        .post(format!("{api}/login"))
        .json(&serde_json::json!({"email": email, "password": "demo"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200, "login of {email}");
    r.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// The real `ucclient-server` binary (see [`spawn_binary`]), killed when dropped.
pub struct Binary {
    /// The process.
    pub child: std::process::Child,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Its database file.
    pub db: std::path::PathBuf,
    /// The directory of a database this value made (none when the caller owns the file).
    _dir: Option<TempDir>,
}

impl Binary {
    /// `demo` (the demo data) on a fresh database in a directory of its own, with `extra`
    /// arguments.
    pub fn demo(extra: &[&str]) -> Binary {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("server.db");
        let mut server = Binary::start("demo", "127.0.0.1:0", &db, extra);
        server._dir = Some(dir);
        server
    }

    /// `<cmd> --listen <listen> --database <db> <extra>` on a database the caller owns (so a test
    /// can start it again on the same file).
    pub fn start(cmd: &str, listen: &str, db: &std::path::Path, extra: &[&str]) -> Binary {
        let (child, addr) = spawn_binary(cmd, listen, db, extra);
        Binary {
            child,
            addr,
            db: db.to_owned(),
            _dir: None,
        }
    }

    /// `http://ADDR/api/v1<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }

    /// A demo user's token (`who` as in [`email`]).
    pub async fn login(&self, who: &str) -> String {
        login_at(&Served::client(), &self.url(""), &email(who)).await
    }

    /// Opens an event stream (with an optional `Last-Event-ID` header).
    pub async fn events(&self, token: &str, last_id: Option<&str>) -> Sse {
        events_at(&self.url(""), token, last_id).await
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real `ucclient-server` binary as `<cmd> --listen <listen> --database <db> <extra>`
/// and waits for its one stdout line, `listening on http://ADDR`; the rest of stdout is drained so
/// the child never blocks on a full pipe. The caller owns (and must kill) the child.
pub fn spawn_binary(
    cmd: &str,
    listen: &str,
    db: &std::path::Path,
    extra: &[&str],
) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .args([cmd, "--listen", listen, "--database"])
        .arg(db)
        .args(extra)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server printed its address")
            .expect("stdout line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().expect("an address");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// Sends a prepared request through `router` (no socket) and reads the whole answer.
pub async fn send(router: &axum::Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
        text,
        bytes: bytes.to_vec(),
    }
}

/// The response statuses an OpenAPI document lists for `method` on `path`, sorted.
pub fn documented_statuses(doc: &Value, path: &str, method: &str) -> Vec<String> {
    let mut s: Vec<String> = doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} missing"))
        .keys()
        .cloned()
        .collect();
    s.sort();
    s
}

/// A request to `path` with a bearer `token` and a JSON `body` when given.
fn build(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

/// A PCM WAV file: `rate` Hz, `channels`, `bits` (8 or 16), `data` bytes of a ramp (written by
/// `hound`, as the server reads them).
pub fn wav(rate: u32, channels: u16, bits: u16, data: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
    let width = usize::from(bits / 8);
    for i in 0..data / width {
        let v = (i % 251) as i32;
        if bits == 8 {
            w.write_sample(v as i8).unwrap();
        } else {
            w.write_sample(v as i16).unwrap();
        }
    }
    w.finalize().unwrap();
    out.into_inner()
}
