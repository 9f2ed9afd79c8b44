//! `cargo xtask test`: every check of the project in one fixed order — set-up, formatting, clippy
//! on the host and on wasm32, the host tests, the server's tests again on PostgreSQL, the widget
//! build, the administration page's build,
//! the CRM packages, the widget's size budget, its browser tests, the backend build, a short
//! schemathesis run against it, the end-to-end tests — stopping at the first failure (unless
//! `--keep-going`). No step is ever skipped: a step that finds nothing to run fails.
//! CI runs exactly this.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::project::{self, cargo, display, run as run_command};
use crate::widget::{self, BuildArgs};
use crate::{fuzz, setup, size};

/// What a step did when it did not fail.
enum Outcome {
    /// It ran and passed.
    Passed,
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
        name: "tests (server on PostgreSQL)",
        action: step_server_tests_postgres,
    },
    Step {
        name: "build-widget",
        action: step_build_widget,
    },
    Step {
        name: "build-admin (the administration page)",
        action: step_build_admin,
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
        name: "schemathesis (the API against its OpenAPI document, every check)",
        action: step_schemathesis,
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
    clippy("ucclient-admin", "--all-targets")?;
    // Each shipped module has one host's bridge or none: what the other bridge alone used must not
    // be left over in it (the default build, with both, is checked above); the standalone page's
    // with its `split` feature, as it ships.
    for variant in crate::widget::VARIANTS {
        run_command(
            cargo()
                .args(["clippy", "-p", "ucclient-widget", "--target"])
                .args(["wasm32-unknown-unknown", "--lib", "--no-default-features"])
                .args(variant.features())
                .args(["--", "-D", "warnings"]),
        )?;
    }
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

/// The server's integration tests again, each test on a fresh database of a throw-away
/// PostgreSQL server that the tests start (`server/tests/support/pg.rs`) instead of a SQLite file.
fn step_server_tests_postgres() -> Result<Outcome> {
    passed(run_command(
        cargo()
            .args([
                "test",
                "-p",
                "ucclient-server",
                "--test",
                "*",
                "--no-fail-fast",
            ])
            .env("UCCLIENT_TEST_DATABASE", "postgres"),
    ))
}

fn step_build_widget() -> Result<Outcome> {
    passed(widget::build(&BuildArgs::default()))
}

/// The administration page in `dist/admin/`, beside the widget, where the backend the end-to-end
/// tests start finds it.
fn step_build_admin() -> Result<Outcome> {
    passed(crate::admin_page::build(
        &crate::admin_page::BuildArgs::default(),
    ))
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

/// Runs a test command, echoing its output as it comes, and returns how many tests passed in all,
/// read from each `test result: ok. N passed; …` line (libtest's and wasm-bindgen-test-runner's);
/// a non-zero exit is an error.
fn run_counting_tests(command: &mut Command) -> Result<usize> {
    let line = display(command);
    println!("$ {line}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{line}`"))?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut passed = 0;
    for out in BufReader::new(stdout).lines() {
        let out = out?;
        println!("{out}");
        passed += tests_passed(&out);
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(passed)
}

/// The N of a `test result: ok. N passed; …` line, else 0.
fn tests_passed(line: &str) -> usize {
    line.trim()
        .strip_prefix("test result: ok. ")
        .and_then(|rest| rest.split(" passed").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// The widget's `wasm-bindgen-test` tests in headless Chromium; fails when none ran, so a runner
/// that finds no test (a lost `wasm_bindgen_test_configure!`, a renamed module) cannot pass.
fn step_browser_tests() -> Result<Outcome> {
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
    let ran = run_counting_tests(&mut command)?;
    if ran == 0 {
        bail!("no widget browser test ran: the runner reported 0 passed tests");
    }
    println!("{ran} widget browser tests passed");
    Ok(Outcome::Passed)
}

fn step_build_server() -> Result<Outcome> {
    passed(run_command(cargo().args([
        "build",
        "-p",
        "ucclient-server",
    ])))
}

/// A short schemathesis run ([`fuzz::TEST_EXAMPLES`] examples per operation, every check) against
/// the demo server just built.
fn step_schemathesis() -> Result<Outcome> {
    passed(fuzz::schemathesis(fuzz::TEST_EXAMPLES))
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

#[cfg(test)]
mod tests {
    use super::tests_passed;

    #[test]
    fn passed_tests_are_read_from_the_result_lines() {
        assert_eq!(
            tests_passed("test result: ok. 12 passed; 0 failed; 0 ignored; finished in 1.2s"),
            12
        );
        assert_eq!(tests_passed("test result: ok. 0 passed; 0 failed"), 0);
        assert_eq!(tests_passed("test result: FAILED. 3 passed; 1 failed"), 0);
        assert_eq!(tests_passed("running 12 tests"), 0);
    }
}
