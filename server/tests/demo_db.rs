//! The demo never touches real data: `demo` recreates only a database file of its own (default
//! `ucclient-demo.db`, never `serve`'s `ucclient.db`), refuses any other file unless `--force`, and
//! `serve` deletes nothing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ucclient-server");

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env_remove("UCCLIENT_DATABASE")
        .env_remove("UCCLIENT_DEMO_DATABASE")
        .env("RUST_LOG", "error");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

/// Starts a server command, waits for its `listening on` line, and stops it.
fn serves(dir: &Path, args: &[&str]) {
    let mut child: Child = command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on "), "{args:?}: {line:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Adds the reseller `real` to the database (the operator's data).
fn add_real_data(dir: &Path, db: &str) {
    let out = run(
        dir,
        &[
            "reseller",
            "add",
            "--id",
            "real",
            "--name",
            "Real",
            "--mode",
            "passive",
            "--database",
            db,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn has_real_data(dir: &Path, db: &str) -> bool {
    let out = run(dir, &["reseller", "list", "--database", db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).contains("real")
}

#[test]
fn demo_uses_its_own_file_by_default() {
    let dir = tempfile::tempdir().unwrap();
    serves(dir.path(), &["demo", "--listen", "127.0.0.1:0"]);
    assert!(dir.path().join("ucclient-demo.db").exists());
    assert!(
        !dir.path().join("ucclient.db").exists(),
        "serve's default untouched"
    );
    // Its own file, made by demo, it replaces again.
    serves(dir.path(), &["demo", "--listen", "127.0.0.1:0"]);
}

#[test]
fn demo_refuses_a_database_it_did_not_create_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let db = "ucclient.db";
    add_real_data(dir.path(), db);
    // serve opens it and deletes nothing.
    serves(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0", "--database", db],
    );
    assert!(has_real_data(dir.path(), db));

    let out = run(
        dir.path(),
        &["demo", "--listen", "127.0.0.1:0", "--database", db],
    );
    assert!(
        !out.status.success(),
        "demo refused the operator's database"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--force"),
        "the refusal says what to do: {err}"
    );
    assert!(has_real_data(dir.path(), db), "nothing was deleted");

    // A file that is not SQLite at all is refused too.
    std::fs::write(dir.path().join("notes.db"), "my notes").unwrap();
    let out = run(
        dir.path(),
        &["demo", "--listen", "127.0.0.1:0", "--database", "notes.db"],
    );
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.db")).unwrap(),
        "my notes"
    );

    // With --force the operator replaces it on purpose.
    serves(
        dir.path(),
        &[
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db,
            "--force",
        ],
    );
    assert!(!has_real_data(dir.path(), db));
}
