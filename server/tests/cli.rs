//! The binary as an operator uses it: admin commands build a tenant without SQL, `serve` prints the
//! bound address as its only stdout line, and SIGTERM shuts it down gracefully.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

#[path = "support/pg.rs"]
mod pg;

const BIN: &str = env!("CARGO_BIN_EXE_ucclient-server");

fn admin(db: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `serve`/`demo` and reads the `listening on` line.
fn start(db: &Path, command: &str) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(BIN)
        .args([command, "--listen", "127.0.0.1:0", "--database"])
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    (child, base, out)
}

fn terminate(mut child: Child, mut out: BufReader<std::process::ChildStdout>) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(rest, "", "nothing else on stdout");
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "graceful exit: {s}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("no exit after SIGTERM");
}

#[tokio::test]
async fn an_operator_builds_a_tenant_with_admin_commands_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    builds_a_tenant_and_serves_it(&dir.path().join("ops.db")).await;
}

#[tokio::test]
async fn an_operator_builds_a_tenant_on_postgres_with_admin_commands_and_serves_it() {
    let url = pg::Postgres::shared().fresh_database();
    builds_a_tenant_and_serves_it(Path::new(&url)).await;
}

/// The admin commands build a tenant in `db` (either engine), `serve` serves it.
async fn builds_a_tenant_and_serves_it(db: &Path) {
    let db = db.to_owned();
    let r = admin(
        &db,
        &[
            "reseller",
            "add",
            "--id",
            "r1",
            "--name",
            "Resell",
            "--mode",
            "active",
            "--extension-lists",
        ],
        None,
    );
    assert_eq!(r.trim(), "r1");
    admin(
        &db,
        &[
            "customer",
            "add",
            "--id",
            "c1",
            "--reseller",
            "r1",
            "--name",
            "Initech",
            "--country",
            "GB",
        ],
        None,
    );
    let uid = admin(
        &db,
        &[
            "user",
            "add",
            "--customer",
            "c1",
            "--name",
            "Peter",
            "--email",
            "Peter@initech.example",
            "--extension",
            "301",
        ],
        Some("s3cret\n"),
    );
    let uid = uid.trim().to_owned();
    assert_eq!(uid.len(), 32, "a random id");
    admin(&db, &["user", "grant", &uid, "crm_client"], None);
    admin(
        &db,
        &[
            "device",
            "add",
            "--id",
            "p-desk",
            "--user",
            &uid,
            "--kind",
            "desk",
            "--label",
            "Desk",
            "--number",
            "sip:301@initech.example",
        ],
        None,
    );
    admin(
        &db,
        &[
            "group",
            "put",
            "--customer",
            "c1",
            "--id",
            "g1",
            "--name",
            "Support",
            "--member",
            &format!("list:{uid}"),
        ],
        None,
    );
    let users = admin(&db, &["user", "list"], None);
    assert!(
        users.contains("peter@initech.example")
            && users.contains("crm_client")
            && !users.contains("s3cret")
    );
    assert!(
        admin(&db, &["group", "list", "--customer", "c1"], None).contains(&format!("list:{uid}"))
    );
    admin(&db, &["reseller", "mode", "r1", "passive"], None);
    assert!(admin(&db, &["reseller", "list"], None).contains("passive"));

    let (child, base, out) = start(&db, "serve");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let login = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"email": "peter@initech.example", "password": "s3cret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["mode"], "passive");
    assert_eq!(me["devices"][0]["id"], "p-desk");
    let call: Value = http
        .post(format!("{base}/api/v1/calls"))
        .bearer_auth(&token)
        .json(&json!({"to": "020 7946 0958"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(call["to"], "+442079460958", "the customer's country (GB)");
    terminate(child, out);

    // A new password ends the sessions; revoking the permission closes the client.
    admin(&db, &["user", "password", &uid], Some("n3w\n"));
    admin(&db, &["user", "revoke", &uid, "crm_client"], None);
    let (child, base, out) = start(&db, "serve");
    assert_eq!(
        http.get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let login = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"email": "peter@initech.example", "password": "n3w"}))
        .send()
        .await
        .unwrap();
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .get(format!("{base}/api/v1/profiles"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    terminate(child, out);
}

#[tokio::test]
async fn demo_recreates_the_database_with_the_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    // A fresh file; one it did not create, it refuses (`server/tests/demo_db.rs`).
    serves_the_demo(&dir.path().join("demo.db")).await;
}

#[tokio::test]
async fn demo_fills_an_empty_postgres_database_with_the_demo_data() {
    // An empty database; one with data it did not create, it refuses (`database_url.rs`).
    let url = pg::Postgres::shared().fresh_database();
    serves_the_demo(Path::new(&url)).await;
}

/// `demo` on `db` (either engine) serves the demo data with the PBX views open to every user.
async fn serves_the_demo(db: &Path) {
    let (child, base, out) = start(db, "demo");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let login = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"email": "ana@acme.example", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let groups: Value = http
        .get(format!("{base}/api/v1/pbx/groups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups[0]["id"], "sales");
    let b = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"email": "bruno@acme.example", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let bt = b.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .get(format!("{base}/api/v1/pbx/ring?group=sales"))
        .bearer_auth(&bt)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the demo opens the PBX views to every user"
    );
    terminate(child, out);
}
