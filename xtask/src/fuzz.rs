//! `cargo xtask fuzz [--seconds N]`: bounded fuzzing. The cargo-fuzz targets of `fuzz/` (number
//! normalisation, request parsing) each run for N seconds on the nightly toolchain (cargo-fuzz is
//! installed from crates.io when missing); then schemathesis (PyPI, in `.tools/schemathesis`)
//! explores every operation of a live demo server's OpenAPI document, failing on any 5xx.

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
    #[arg(long, default_value_t = 30)]
    pub examples: u32,
}

/// The cargo-fuzz targets of `fuzz/`.
const TARGETS: &[&str] = &["phone_normalise", "request_parsing"];

/// Runs every fuzz target, then schemathesis.
pub fn run_fuzz(args: &FuzzArgs) -> Result<()> {
    if output(command("rustup").args(["run", "nightly", "cargo", "fuzz", "--version"])).is_none() {
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

/// Starts a demo server and runs schemathesis against its OpenAPI document, with a demo user's token.
fn schemathesis(examples: u32) -> Result<()> {
    let venv = project::tools_dir().join("schemathesis");
    let st = venv.join("bin").join("schemathesis");
    if !st.exists() {
        run(command("python3").args(["-m", "venv"]).arg(&venv))?;
        run(command(venv.join("bin").join("pip")).args(["install", "-q", "schemathesis"]))?;
    }
    run(cargo().args(["build", "-p", "ucclient-server"]))?;
    let dir = project::target_dir().join("fuzz-schemathesis");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut child = command(project::target_dir().join("debug").join("ucclient-server"))
        .args(["demo", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.join("fuzz.db"))
        .stdout(Stdio::piped())
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
    // Schemathesis keeps its cache in the working directory: keep it out of the repository.
    let status = command(&st)
        .current_dir(&dir)
        .args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &format!("{base}/api/v1"),
        ])
        .args([
            "--checks",
            "not_a_server_error",
            "--no-color",
            // The stream never ends, and logging out would end the token of the run.
            "--exclude-path",
            "/events",
            "--exclude-path",
            "/logout",
            "--max-examples",
            &examples.to_string(),
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .status()
        .context("running schemathesis")?;
    drop(server);
    if !status.success() {
        bail!("schemathesis found failures ({status})");
    }
    Ok(())
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
    let token = out
        .split("\"token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("no token in the login answer")?;
    Ok(token.to_owned())
}
