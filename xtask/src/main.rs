//! `cargo xtask`: the one entry point for setting up, building, testing and running UcClient CRM.
//!
//! The pattern is matklad's cargo-xtask: a plain binary crate, reached through the alias in
//! `.cargo/config.toml`, that calls cargo through `$CARGO` and every other tool by its full path. It
//! owns no product logic and stays quick to compile (clap, anyhow, flate2 and brotli only).
//!
//! # Layout
//! - `main.rs` — the command line and nothing else;
//! - `project.rs` — where things are (repo root, `dist/`, `.tools/`) and how commands are run;
//! - `setup.rs` — installs the toolchain pieces of `TOOLCHAIN.md`, idempotently;
//! - `widget.rs` — `build-widget`: wasm-pack, npm `wasm-opt`, static files, compressed copies;
//! - `admin_page.rs` — `build-admin`: the administration page through the widget's pipeline;
//! - `size.rs` — `size`: the widget's transfer sizes against the budget;
//! - `pipeline.rs` — `test`: every check, in order, stopping at the first failure;
//! - `demo.rs` — `demo`: builds everything and runs the backend with its demo data;
//! - `demo_hosts.rs` — the emulated CRM hosts `demo` also serves;
//! - `cluster.rs` — `cluster`: the demo on three backend nodes sharing one local PostgreSQL;
//! - `postgres.rs` — a throw-away local PostgreSQL for `cluster` and `bench` (`tools/throwaway-pg`);
//! - `package.rs` — `package`: the Salesforce and Dynamics 365 packages;
//! - `bench.rs` — `bench`: fan-out against NATS, memory, write path, PostgreSQL on 1 and 3 nodes,
//!   widget; writes BENCHMARKS.md;
//! - `fuzz.rs` — `fuzz`: cargo-fuzz targets and schemathesis, for a bounded time.

mod admin_page;
mod bench;
mod cluster;
mod demo;
mod demo_hosts;
mod fuzz;
mod package;
mod pipeline;
mod postgres;
mod project;
mod setup;
mod size;
mod widget;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The command line of `cargo xtask`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Set up, build, test and run UcClient CRM"
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    task: Task,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Task {
    /// Install what building and testing need (fast when everything is already there).
    Setup,
    /// Build the widget into dist/widget/ (wasm-pack, wasm-opt -Oz, static files, .gz/.br copies).
    BuildWidget(widget::BuildArgs),
    /// Build the administration page into dist/admin/ (the widget's pipeline; served at /admin).
    BuildAdmin(admin_page::BuildArgs),
    /// Print the widget's sizes (raw / gzip / brotli) against the budget; fails over budget.
    Size,
    /// Run every check: fmt, clippy (host and wasm32), all tests, widget build and size, browser
    /// tests, end-to-end tests.
    Test(pipeline::TestArgs),
    /// Build everything and run the backend with its demo data, serving the widget.
    Demo(demo::DemoArgs),
    /// Run the demo on three backend nodes sharing a local PostgreSQL (optionally nats-server),
    /// serving the widget; Ctrl-C stops everything it started.
    Cluster(cluster::ClusterArgs),
    /// Build the Salesforce and Dynamics 365 packages.
    Package(package::PackageArgs),
    /// Measure fan-out (against nats-server), memory, the write path (SQLite; PostgreSQL on 1 and 3
    /// nodes) and the widget; writes BENCHMARKS.md.
    Bench(bench::BenchArgs),
    /// Fuzz for a bounded time: cargo-fuzz targets (nightly), then schemathesis against a demo server.
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.task {
        Task::Setup => setup::run(),
        Task::BuildWidget(args) => widget::build(args),
        Task::BuildAdmin(args) => admin_page::build(args),
        Task::Size => size::run(),
        Task::Test(args) => pipeline::run(args),
        Task::Demo(args) => demo::run(args),
        Task::Cluster(args) => cluster::run(args),
        Task::Package(args) => package::run(args),
        Task::Bench(args) => bench::run_bench(args),
        Task::Fuzz(args) => fuzz::run_fuzz(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
