//! Where things live in the repository, and how xtask runs other programs: every child process
//! starts in the repository root with the cargo bin directory and `.tools/` first on `PATH`, and is
//! echoed before it runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits inside the repository")
        .to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set, else `target/` in the root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// Where `build-widget` writes the servable widget (static pages + `pkg/`).
pub fn dist_widget() -> PathBuf {
    root().join("dist").join("widget")
}

/// Tools installed locally by `setup` (the npm `binaryen` package); gitignored.
pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

/// The npm `binaryen` package's `wasm-opt`, the only one xtask ever runs (Debian's corrupts
/// wasm-bindgen's externref table, see TOOLCHAIN.md).
pub fn wasm_opt() -> PathBuf {
    tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt")
}

/// The npm `esbuild`, which minifies the widget's JS glue and CSS.
pub fn esbuild() -> PathBuf {
    tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("esbuild")
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("/root"));
    PathBuf::from(home).join(".cargo")
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`.
pub fn cargo_bin_dir() -> PathBuf {
    cargo_home().join("bin")
}

/// `PATH` for child processes: the cargo bin directory and `.tools/` first, so that the tools
/// `setup` installed win over anything else (notably a wasm-bindgen of another version).
fn child_path() -> OsString {
    let mut dirs = vec![
        cargo_bin_dir(),
        tools_dir().join("node_modules").join(".bin"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command for `program`, started in the repository root with xtask's `PATH`.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", child_path());
    command
}

/// A cargo command, through `$CARGO` (the cargo that runs xtask) as the xtask pattern asks.
pub fn cargo() -> Command {
    command(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

/// The command line as a person would type it, for echoing.
pub fn display(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(command.get_program())
        .to_string_lossy()
        .into_owned();
    let mut line = program;
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs a command with inherited stdio after echoing it; a non-zero exit is an error.
pub fn run(command: &mut Command) -> Result<()> {
    let line = display(command);
    println!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs a command quietly and returns its trimmed stdout, or `None` when it cannot start or fails
/// (used to ask tools for their version).
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
