//! `--database` takes a URL (issue 16): `sqlite://PATH` and `sqlite:PATH` open that SQLite file as a
//! plain path does; `postgres://…` opens a PostgreSQL database for `demo`, `serve` and the admin
//! commands (a throw-away server: `common::pg`), and one that cannot be reached fails at start-up
//! in one line; other schemes are refused. A password in the URL never shows.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ucclient-server");

/// Runs the binary to its end (for the commands that must fail or finish).
fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("UCCLIENT_DATABASE")
        .env_remove("UCCLIENT_DEMO_DATABASE")
        // anyhow adds a backtrace to the error when these ask for one; an operator's run has none.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_sqlite_url_opens_that_file_for_the_admin_commands_demo_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("url.db");
    let url = format!("sqlite://{}", db.display());
    // `demo` recreates and serves the file the URL names.
    let (mut child, addr) = common::spawn_binary("demo", "127.0.0.1:0", Path::new(&url), &[]);
    let api = format!("http://{addr}/api/v1");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = common::login_at(&http, &api, "ana@acme.example").await;
    let me: Value = http
        .get(format!("{api}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "ana@acme.example", "{me}");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(db.exists(), "the file the URL names holds the data");
    assert!(!dir.path().join("sqlite:").exists());

    // An admin command reads the same file through `sqlite:PATH`, and `serve` through
    // `sqlite://PATH` signs the same user in.
    let listed = run(&[
        "customer",
        "list",
        "--database",
        &format!("sqlite:{}", db.display()),
    ]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("acme"));
    let (mut child, addr) = common::spawn_binary("serve", "127.0.0.1:0", Path::new(&url), &[]);
    common::login_at(&http, &format!("http://{addr}/api/v1"), "ana@acme.example").await;
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_postgres_url_opens_that_database_for_the_admin_commands_demo_and_serve() {
    let url = common::pg::Postgres::shared().fresh_database();
    // `demo` migrates and seeds the empty database, and serves it.
    let (mut child, addr) = common::spawn_binary("demo", "127.0.0.1:0", Path::new(&url), &[]);
    let api = format!("http://{addr}/api/v1");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = common::login_at(&http, &api, "ana@acme.example").await;
    let me: Value = http
        .get(format!("{api}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["email"], "ana@acme.example", "{me}");
    child.kill().unwrap();
    child.wait().unwrap();

    // The admin and voice commands read the same database; `serve` signs the same user in.
    let listed = run(&["customer", "list", "--database", &url]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("acme"));
    let voice = run(&["voice", "show", "acme", "--database", &url]);
    assert!(voice.status.success(), "{voice:?}");
    assert!(String::from_utf8_lossy(&voice.stdout).contains("salesforce voice: off"));
    let (mut child, addr) = common::spawn_binary("serve", "127.0.0.1:0", Path::new(&url), &[]);
    common::login_at(&http, &format!("http://{addr}/api/v1"), "ana@acme.example").await;
    child.kill().unwrap();
    child.wait().unwrap();

    // `demo` again replaces its own data without --force (as it does its own SQLite file), here
    // with Acme's single sign-on switched on.
    let issuer = "http://127.0.0.1:9";
    let (mut child, addr) = common::spawn_binary(
        "demo",
        "127.0.0.1:0",
        Path::new(&url),
        &["--sso-issuer", issuer],
    );
    common::login_at(
        &http,
        &format!("http://{addr}/api/v1"),
        "bruno@acme.example",
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let sso = common::sql(
        Path::new(&url),
        "SELECT customer_id || ' ' || issuer FROM sso_settings",
    )
    .await;
    assert_eq!(sso, [format!("acme {issuer}")]);
}

#[tokio::test]
async fn demo_refuses_a_postgres_database_with_data_it_did_not_create_unless_forced() {
    let url = common::pg::Postgres::shared().fresh_database();
    // The operator's data, written by an admin command (which also runs the migrations).
    let added = run(&[
        "reseller",
        "add",
        "--id",
        "real",
        "--name",
        "Real",
        "--database",
        &url,
    ]);
    assert!(added.status.success(), "{added:?}");
    let resellers = || {
        let out = run(&["reseller", "list", "--database", &url]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };

    let refused = run(&["demo", "--listen", "127.0.0.1:0", "--database", &url]);
    assert!(!refused.status.success(), "{refused:?}");
    let err = String::from_utf8(refused.stderr).unwrap();
    assert!(
        err.contains("holds data that `demo` did not create") && err.contains("--force"),
        "{err}"
    );
    assert!(resellers().contains("real"), "nothing was deleted");

    // --force empties it first: the operator's reseller is gone, the demo's data is there.
    let (mut child, addr) =
        common::spawn_binary("demo", "127.0.0.1:0", Path::new(&url), &["--force"]);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    common::login_at(&http, &format!("http://{addr}/api/v1"), "ana@acme.example").await;
    child.kill().unwrap();
    child.wait().unwrap();
    let after = resellers();
    assert!(
        !after.contains("real") && after.contains("demo-active"),
        "{after}"
    );
}

#[test]
fn an_unreachable_postgres_url_fails_at_start_up_in_one_line_without_its_password() {
    for command in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["demo", "--listen", "127.0.0.1:0"][..],
        &["customer", "list"][..],
        &["voice", "show", "acme"][..],
    ] {
        let mut args = command.to_vec();
        // Port 1 on loopback: nothing listens there.
        args.extend([
            "--database",
            "postgres://ucclient:s3cret@127.0.0.1:1/ucclient?password=p4ss",
        ]);
        let out = run(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        assert_eq!(out.stdout, b"", "{args:?}: nothing on stdout");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(
                "opening PostgreSQL at postgres://ucclient:***@127.0.0.1:1/ucclient?password=***"
            ),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("s3cret") && !err.contains("p4ss"),
            "{args:?}: {err}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
    }
}

#[test]
fn other_schemes_and_memory_databases_are_refused_with_the_reason() {
    for (url, says) in [
        (
            "mysql://root:s3cret@db/x",
            "mysql:// is not a database this server knows",
        ),
        ("sqlite::memory:", "in-memory SQLite database"),
    ] {
        let out = run(&["serve", "--listen", "127.0.0.1:0", "--database", url]);
        assert!(!out.status.success(), "{url} must fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains("s3cret"), "{url}: {err}");
    }
}
