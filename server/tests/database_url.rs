//! `--database` takes a URL (issue 16): `sqlite://PATH` and `sqlite:PATH` open that SQLite file as a
//! plain path does; `postgres://…` is recognised and refused at start-up, in one line, until the
//! PostgreSQL engine exists; other schemes are refused. A password in the URL never shows.

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

#[test]
fn a_postgres_url_is_refused_at_start_up_in_one_line_without_its_password() {
    for command in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["demo", "--listen", "127.0.0.1:0"][..],
        &["customer", "list"][..],
    ] {
        let mut args = command.to_vec();
        args.extend([
            "--database",
            "postgres://ucclient:s3cret@127.0.0.1:1/ucclient?password=p4ss",
        ]);
        let out = run(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        assert_eq!(out.stdout, b"", "{args:?}: nothing on stdout");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("PostgreSQL support is not built yet"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("postgres://ucclient:***@127.0.0.1:1/ucclient?password=***"),
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
