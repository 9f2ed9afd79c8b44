//! `cargo xtask fuzz [--seconds N] [--examples N] [--api-only]`: bounded fuzzing. The cargo-fuzz
//! targets of `fuzz/` (number normalisation, request parsing) each run for N seconds on the nightly
//! toolchain (cargo-fuzz is installed from crates.io when missing); then schemathesis (PyPI, pinned,
//! installed by `setup` into `.tools/schemathesis`) explores every operation of a live demo
//! server's OpenAPI document with **every** check (`--checks all`: no server error, every status,
//! header and body as documented, schema-valid requests accepted, schema-invalid ones refused, auth
//! not ignored), seeded so a run is repeatable, and fails on any failure. `cargo xtask test` runs a
//! short schemathesis run ([`TEST_EXAMPLES`] examples per operation) through [`schemathesis`].

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use anyhow::{Context, Result, bail};

use crate::project::{self, cargo, command, output, run};

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// Seconds per cargo-fuzz target.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Examples per API operation for schemathesis.
    #[arg(long, default_value_t = 40)]
    pub examples: u32,
    /// Only schemathesis against the API (no cargo-fuzz, so no nightly toolchain needed).
    #[arg(long)]
    pub api_only: bool,
}

/// The cargo-fuzz targets of `fuzz/`.
const TARGETS: &[&str] = &["phone_normalise", "request_parsing"];

/// Examples per operation in `cargo xtask test`'s short run (its coverage phase adds the
/// boundary cases of every schema on top, whatever this says).
pub const TEST_EXAMPLES: u32 = 5;

/// The seed of every schemathesis run: the same requests in the same order each time, so a
/// failure in CI is a failure on every machine.
const SEED: &str = "20261126";

/// Options of the demo server schemathesis runs against, beyond `demo --listen --database`:
/// limits generous enough that the run explores the API rather than collect 429s (which are
/// documented and checked all the same). Add the flag of each new per-user limit here.
const SERVER_FLAGS: &[&str] = &[
    "--calls-per-minute",
    "100000",
    "--login-failures-per-minute",
    "100000",
    "--login-failures-per-address-per-minute",
    "100000",
    "--max-streams-per-user",
    "1000",
    "--writes-per-minute",
    "100000",
    "--tickets-per-minute",
    "100000",
    "--searches-per-minute",
    "100000",
];

/// Paths schemathesis leaves alone: logging out would end the token of the run.
const EXCLUDED_PATHS: &[&str] = &["/logout"];

/// Runs every fuzz target, then schemathesis.
pub fn run_fuzz(args: &FuzzArgs) -> Result<()> {
    if !args.api_only {
        if output(command("rustup").args(["run", "nightly", "cargo", "fuzz", "--version"]))
            .is_none()
        {
            run(command("cargo").args(["install", "cargo-fuzz"]))?;
        }
        for target in TARGETS {
            run(command("rustup")
                .args([
                    "run",
                    "nightly",
                    "cargo",
                    "fuzz",
                    "run",
                    "--fuzz-dir",
                    "fuzz",
                    target,
                    "--",
                ])
                .arg(format!("-max_total_time={}", args.seconds)))?;
        }
    }
    crate::setup::schemathesis()?;
    run(cargo().args(["build", "-p", "ucclient-server"]))?;
    schemathesis(args.examples)
}

/// A child killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the built demo server (`target/debug/ucclient-server`, with [`SERVER_FLAGS`]) and runs
/// schemathesis against its OpenAPI document with every check, as demo user ana, `examples` per
/// operation; fails on any failure. The settings schemathesis reads (which statuses a schema-valid
/// request may get where the answer depends on stored data) are `fuzz/schemathesis.toml`.
pub fn schemathesis(examples: u32) -> Result<()> {
    let st = crate::setup::schemathesis_bin();
    if !st.exists() {
        bail!("schemathesis is missing: run `cargo xtask setup`");
    }
    let server_bin = project::target_dir().join("debug").join("ucclient-server");
    if !server_bin.exists() {
        bail!(
            "{} is missing: build the backend first",
            server_bin.display()
        );
    }
    let dir = project::target_dir().join("fuzz-schemathesis");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut child = command(server_bin)
        .args(["demo", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.join("fuzz.db"))
        .args(SERVER_FLAGS)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting ucclient-server demo")?;
    let stdout = child.stdout.take().context("stdout")?;
    let server = Killed(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let Some(line) = lines.next() else {
            bail!("the server exited before listening")
        };
        if let Some(rest) = line?.split("listening on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let token = login(&base)?;
    let mut st = command(&st);
    // Schemathesis keeps its cache in the working directory: keep it out of the repository.
    st.current_dir(&dir)
        .arg("--config-file")
        .arg(project::root().join("fuzz").join("schemathesis.toml"))
        .args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &format!("{base}/api/v1"),
            "--checks",
            "all",
            "--seed",
            SEED,
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--max-examples",
            &examples.to_string(),
        ]);
    for path in EXCLUDED_PATHS {
        st.args(["--exclude-path", path]);
    }
    // The token goes in the environment, which fuzz/schemathesis.toml's `headers` reads, never
    // on the echoed command line.
    st.env("UCCLIENT_FUZZ_TOKEN", &token);
    // A valid `Idempotency-Key` made unique per request (why: the hooks file's doc).
    st.env(
        "SCHEMATHESIS_HOOKS",
        project::root().join("fuzz").join("schemathesis_hooks.py"),
    );
    let before = presence_since(&base, &token);
    let result = run(&mut st)
        .context("schemathesis found failures (the report above names each, with a curl line)");
    // A run whose token never arrived would pass too (401 is an accepted answer): it must have
    // got past authentication, which a write that took effect as ana shows — a call placed, or her
    // presence changed (which of the two a seed reaches depends on the operations in the document).
    let wrote = result.as_ref().ok().map(|()| {
        let calls = calls_placed(&base, &token).unwrap_or(0);
        let moved = before.is_some() && presence_since(&base, &token) != before;
        (calls, moved)
    });
    drop(server);
    result?;
    match wrote {
        Some((0, false)) | None => {
            bail!(
                "schemathesis placed no call and changed no presence as ana: did its requests \
                 carry the token?"
            )
        }
        Some((calls, moved)) => println!(
            "schemathesis got past authentication as ana: {calls} calls in her history, presence \
             {}",
            if moved { "changed" } else { "unchanged" }
        ),
    }
    Ok(())
}

/// `GET <base>/api/v1<path>` as ana, read as JSON, or `None` when it cannot be read.
fn get_json(base: &str, token: &str, path: &str) -> Option<serde_json::Value> {
    let out = output(command("curl").args([
        "-sf",
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{base}/api/v1{path}"),
    ]))?;
    serde_json::from_str(&out).ok()
}

/// Ana's presence `since` as `/me` gives it, or `None` when it cannot be read.
fn presence_since(base: &str, token: &str) -> Option<String> {
    let me = get_json(base, token, "/me")?;
    Some(me["presence"]["since"].as_str()?.to_owned())
}

/// How many calls ana's history holds (up to 200), or `None` when it cannot be read.
fn calls_placed(base: &str, token: &str) -> Option<usize> {
    Some(get_json(base, token, "/calls?limit=200")?.as_array()?.len())
}

/// Logs the demo user ana in with curl and returns her token (never printed).
fn login(base: &str) -> Result<String> {
    let body = r#"{"email":"ana@acme.example","password":"demo"}"#;
    let out = output(command("curl").args([
        "-sf",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        &format!("{base}/api/v1/login"),
    ]))
    .context("logging in to the demo server")?;
    let answer: serde_json::Value =
        serde_json::from_str(&out).context("the login answer is not JSON")?;
    let token = answer["token"]
        .as_str()
        .context("no token in the login answer")?;
    Ok(token.to_owned())
}
