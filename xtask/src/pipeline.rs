//! `cargo xtask test`: every check of the project in one fixed order — set-up, formatting, clippy
//! on the host and on wasm32, the host tests, the widget build, the CRM packages, the widget's size
//! budget, its browser tests, the end-to-end tests — stopping at the first failure (unless
//! `--keep-going`).
//! CI runs exactly this.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::project::{self, cargo, run as run_command};
use crate::widget::{self, BuildArgs};
use crate::{setup, size};

/// What a step did when it did not fail.
enum Outcome {
    /// It ran and passed.
    Passed,
    /// It had nothing to run yet; the reason is printed.
    Skipped(String),
}

/// One named check.
struct Step {
    /// Shown as `==> name` and in the summary.
    name: &'static str,
    /// Runs the check.
    action: fn() -> Result<Outcome>,
}

/// The checks, in order.
const STEPS: &[Step] = &[
    Step {
        name: "setup",
        action: step_setup,
    },
    Step {
        name: "fmt",
        action: step_fmt,
    },
    Step {
        name: "clippy (host)",
        action: step_clippy_host,
    },
    Step {
        name: "clippy (wasm32)",
        action: step_clippy_wasm,
    },
    Step {
        name: "tests (host)",
        action: step_host_tests,
    },
    Step {
        name: "build-widget",
        action: step_build_widget,
    },
    Step {
        name: "package (CRM packages from the built widget)",
        action: step_package,
    },
    Step {
        name: "size",
        action: step_size,
    },
    Step {
        name: "widget browser tests (wasm32, headless Chromium)",
        action: step_browser_tests,
    },
    Step {
        name: "build server",
        action: step_build_server,
    },
    Step {
        name: "end-to-end tests",
        action: step_e2e,
    },
];

/// Options of `cargo xtask test`.
#[derive(Debug, Default, clap::Args)]
pub struct TestArgs {
    /// Run every step even after one fails (to see all problems at once; CI stops at the first).
    #[arg(long)]
    pub keep_going: bool,
}

/// Runs the steps; prints each one's time and a final `xtask: N passed, N failed` line.
pub fn run(args: &TestArgs) -> Result<()> {
    let started = Instant::now();
    let mut passed = 0;
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    let mut timings = Vec::new();
    for (index, step) in STEPS.iter().enumerate() {
        if !failed.is_empty() && !args.keep_going {
            let not_run: Vec<_> = STEPS[index..].iter().map(|s| s.name).collect();
            println!("\nnot run: {}", not_run.join(", "));
            break;
        }
        println!("\n==> {}", step.name);
        let step_started = Instant::now();
        let result = (step.action)();
        let took = step_started.elapsed();
        timings.push((step.name, took));
        match result {
            Ok(Outcome::Passed) => {
                passed += 1;
                println!("<== {}: passed ({})", step.name, seconds(took));
            }
            Ok(Outcome::Skipped(reason)) => {
                println!("<== {}: SKIPPED, {reason}", step.name);
                skipped.push(format!("{} ({reason})", step.name));
            }
            Err(error) => {
                println!("<== {}: FAILED ({})", step.name, seconds(took));
                eprintln!("xtask: step `{}` failed: {error:#}", step.name);
                failed.push(step.name);
            }
        }
    }

    println!("\nstep times:");
    for (name, took) in &timings {
        println!("  {:>8}  {name}", seconds(*took));
    }
    println!("  {:>8}  total", seconds(started.elapsed()));
    if !skipped.is_empty() {
        println!("skipped: {}", skipped.join("; "));
    }
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
    }
    println!("xtask: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("`cargo xtask test` failed: {}", failed.join(", "))
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

fn passed(result: Result<()>) -> Result<Outcome> {
    result.map(|()| Outcome::Passed)
}

fn step_setup() -> Result<Outcome> {
    passed(setup::run())
}

fn step_fmt() -> Result<Outcome> {
    passed(run_command(cargo().args(["fmt", "--all", "--check"])))
}

fn step_clippy_host() -> Result<Outcome> {
    passed(run_command(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])))
}

/// The widget with all its targets, and core's library as the widget compiles it. Core's tests are
/// host-only: their dev-dependency proptest pulls in getrandom 0.4, which does not build for
/// `wasm32-unknown-unknown` without a JS backend, and they run natively in `tests (host)`.
fn step_clippy_wasm() -> Result<Outcome> {
    let clippy = |package: &str, targets: &str| {
        run_command(cargo().args([
            "clippy",
            "-p",
            package,
            "--target",
            "wasm32-unknown-unknown",
            targets,
            "--",
            "-D",
            "warnings",
        ]))
    };
    clippy("ucclient-widget", "--all-targets")?;
    passed(clippy("ucclient-core", "--lib"))
}

fn step_host_tests() -> Result<Outcome> {
    passed(run_command(cargo().args([
        "test",
        "--workspace",
        "--exclude",
        "ucclient-e2e",
        "--no-fail-fast",
    ])))
}

fn step_build_widget() -> Result<Outcome> {
    passed(widget::build(&BuildArgs::default()))
}

/// The CRM packages in `dist/packages/`, which the CRM end-to-end tests load the widget from.
fn step_package() -> Result<Outcome> {
    passed(crate::package::run(&crate::package::PackageArgs {
        backend_url: crate::package::PLACEHOLDER_BACKEND_URL.to_owned(),
        no_build: true,
    }))
}

fn step_size() -> Result<Outcome> {
    passed(size::run())
}

/// Whether any file under `dir` mentions `needle` (to find the widget's wasm tests).
fn mentions(dir: &Path, needle: &str) -> Result<bool> {
    if !dir.is_dir() {
        return Ok(false);
    }
    for file in widget::files_under(dir)? {
        if file.extension().is_some_and(|e| e == "rs")
            && fs::read_to_string(&file)?.contains(needle)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn step_browser_tests() -> Result<Outcome> {
    if !mentions(&project::root().join("src"), "wasm_bindgen_test")? {
        return Ok(Outcome::Skipped(
            "the widget has no wasm-bindgen tests yet".into(),
        ));
    }
    // `--tests`: the unit and integration tests; doctests do not run under the wasm runner.
    let mut command = cargo();
    command
        .args([
            "test",
            "-p",
            "ucclient-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--tests",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", "/usr/bin/chromedriver");
    if std::env::var_os("WASM_BINDGEN_TEST_TIMEOUT").is_none() {
        // CI machines are slow and shared; a stuck test still fails after this.
        command.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    }
    passed(run_command(&mut command))
}

fn step_build_server() -> Result<Outcome> {
    passed(run_command(cargo().args([
        "build",
        "-p",
        "ucclient-server",
    ])))
}

fn step_e2e() -> Result<Outcome> {
    let server = project::target_dir().join("debug").join("ucclient-server");
    passed(run_command(
        cargo()
            .args([
                "test",
                "-p",
                "ucclient-e2e",
                "--no-fail-fast",
                "--",
                "--test-threads=1",
            ])
            .env("UCCLIENT_SERVER_BIN", server)
            .env("UCCLIENT_WIDGET_DIST", project::dist_widget())
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ))
}
