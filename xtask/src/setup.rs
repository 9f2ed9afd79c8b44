//! `cargo xtask setup`: installs what building and testing need, as `TOOLCHAIN.md` says works on
//! these machines (nothing fetched from outside the crates, npm and Debian registries). Each piece is
//! checked first, so a second run only looks and takes about a second.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::project::{self, cargo, command, output, run as run_command};

/// The npm `binaryen` release whose `wasm-opt` optimises the widget.
const BINARYEN_VERSION: &str = "132.0.0";

/// The npm `esbuild` release that minifies the widget's JS glue and CSS.
pub const ESBUILD_VERSION: &str = "0.28.2";

/// The PyPI `schemathesis` release that checks the API against its OpenAPI document (`fuzz`, and a
/// short run in `test`).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The Rust target the widget compiles to.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs every missing piece and prints one line per piece saying what it found or did.
pub fn run() -> Result<()> {
    let report = [
        wasm_target()?,
        wasm_bindgen()?,
        wasm_pack()?,
        wasm_split()?,
        npm_tool(
            "binaryen",
            BINARYEN_VERSION,
            "wasm-opt",
            &project::wasm_opt(),
        )?,
        npm_tool("esbuild", ESBUILD_VERSION, "esbuild", &project::esbuild())?,
        // Salesforce's connector library, shipped in the Salesforce Voice static resource.
        npm_tool(
            crate::package::VOICE_LIBRARY_PACKAGE,
            crate::package::VOICE_LIBRARY_VERSION,
            "scv-connector-base.js",
            &crate::package::voice_library_path(),
        )?,
        schemathesis()?,
        oidc_provider()?,
        chromium()?,
        debian_packages()?,
        disk_space(),
    ];
    println!("setup:");
    for line in report {
        println!("  {line}");
    }
    Ok(())
}

/// Free space below which `setup` warns: a clean `cargo xtask test` writes about this much.
const DISK_NEEDED_GIB: u64 = 9;

/// Reports the free space where cargo builds; a warning (not an error) when it looks too little,
/// so a later "No space left on device" from a compiler has an explanation up front.
fn disk_space() -> String {
    let target = project::target_dir();
    let probe = if target.exists() {
        target
    } else {
        project::root()
    };
    let free_kib = output(command("df").args(["-Pk"]).arg(&probe)).and_then(|out| {
        // `df -P`: a header line, then `filesystem blocks used available capacity mount`.
        out.lines()
            .nth(1)?
            .split_whitespace()
            .nth(3)?
            .parse::<u64>()
            .ok()
    });
    match free_kib {
        Some(kib) if kib / (1024 * 1024) < DISK_NEEDED_GIB => format!(
            "disk: WARNING only {:.1} GiB free for {} (a clean build and test run needs about \
             {DISK_NEEDED_GIB} GiB)",
            kib as f64 / (1024.0 * 1024.0),
            probe.display()
        ),
        Some(kib) => format!("disk: {:.1} GiB free", kib as f64 / (1024.0 * 1024.0)),
        None => "disk: free space unknown (`df` gave no answer)".to_owned(),
    }
}

fn wasm_target() -> Result<String> {
    let sysroot = output(command("rustc").args(["--print", "sysroot"]))
        .context("`rustc --print sysroot` failed: is Rust installed?")?;
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .is_dir()
    {
        return Ok(format!("{WASM_TARGET} target: present"));
    }
    run_command(command("rustup").args(["target", "add", WASM_TARGET]))?;
    Ok(format!("{WASM_TARGET} target: installed"))
}

/// The version of the `wasm-bindgen` package in `Cargo.lock`, if the widget depends on it yet.
pub fn locked_wasm_bindgen_version() -> Result<Option<String>> {
    let lock =
        fs::read_to_string(project::root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
                .context("Cargo.lock: no version after name = \"wasm-bindgen\"")?;
            return Ok(Some(version.to_owned()));
        }
    }
    Ok(None)
}

fn wasm_bindgen() -> Result<String> {
    let Some(version) = locked_wasm_bindgen_version()? else {
        return Ok("wasm-bindgen CLI: skipped (Cargo.lock has no wasm-bindgen package yet)".into());
    };
    let wanted =
        |tool: &str| output(command(tool).arg("--version")) == Some(format!("{tool} {version}"));
    if wanted("wasm-bindgen") && wanted("wasm-bindgen-test-runner") {
        return Ok(format!("wasm-bindgen CLI {version}: present"));
    }
    // Without --locked: one of the CLI's locked dependencies is missing from the registry mirror.
    run_command(cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    if !wanted("wasm-bindgen") {
        bail!(
            "wasm-bindgen {version} was installed but `wasm-bindgen --version` disagrees; check PATH"
        );
    }
    Ok(format!("wasm-bindgen CLI {version}: installed"))
}

fn wasm_pack() -> Result<String> {
    if let Some(version) = output(command("wasm-pack").arg("--version")) {
        return Ok(format!("{version}: present"));
    }
    run_command(cargo().args(["install", "wasm-pack", "--locked"]))?;
    Ok("wasm-pack: installed".into())
}

/// The `wasm_split_cli_support` release whose `wasm-split-cli` (feature `build-binary`) cuts the
/// release modules into lazily loaded chunks: the one Leptos 0.8's `lazy` is made for (its
/// runtime, `wasm_split_helpers`, is in `Cargo.lock`). Not the crates.io crate `wasm-split-cli`,
/// an older tool of another name scheme.
pub const WASM_SPLIT_VERSION: &str = "0.2.4";

/// Installs `wasm-split-cli` from `wasm_split_cli_support` [`WASM_SPLIT_VERSION`] (locked) unless
/// cargo's install record has that version and the binary is there (the tool has no `--version`).
fn wasm_split() -> Result<String> {
    let record = format!("\"wasm_split_cli_support {WASM_SPLIT_VERSION} ");
    let installed = fs::read_to_string(project::cargo_home().join(".crates.toml"))
        .is_ok_and(|t| t.contains(&record))
        && project::cargo_bin_dir().join("wasm-split-cli").exists();
    if installed {
        return Ok(format!("wasm-split-cli {WASM_SPLIT_VERSION}: present"));
    }
    run_command(cargo().args([
        "install",
        "--locked",
        "wasm_split_cli_support",
        "--version",
        WASM_SPLIT_VERSION,
        "--features",
        "build-binary",
    ]))?;
    Ok(format!("wasm-split-cli {WASM_SPLIT_VERSION}: installed"))
}

/// The version of the npm package `name` in `.tools/`, if installed.
fn installed_npm_version(name: &str) -> Option<String> {
    let manifest = project::tools_dir()
        .join("node_modules")
        .join(name)
        .join("package.json");
    let text = fs::read_to_string(manifest).ok()?;
    let after = text.split("\"version\"").nth(1)?;
    let version = after.split('"').nth(1)?;
    Some(version.to_owned())
}

/// Installs the npm package `name` at exactly `version` into `.tools/` unless it is there already;
/// `bin` is the command it provides, at `path`.
fn npm_tool(name: &str, version: &str, bin: &str, path: &Path) -> Result<String> {
    if path.exists() && installed_npm_version(name).as_deref() == Some(version) {
        return Ok(format!("{bin} (npm {name} {version}): present in .tools/"));
    }
    fs::create_dir_all(project::tools_dir()).context("creating .tools/")?;
    run_command(command("npm").args([
        "install",
        "--prefix",
        ".tools",
        "--no-audit",
        "--no-fund",
        &format!("{name}@{version}"),
    ]))
    .with_context(|| {
        format!("installing {bin} from the npm `{name}` package (needs Node.js and npm)")
    })?;
    if !path.exists() {
        bail!("npm installed {name} but {} is missing", path.display());
    }
    Ok(format!(
        "{bin} (npm {name} {version}): installed in .tools/"
    ))
}

/// The schemathesis command of the virtual environment `.tools/schemathesis`.
pub fn schemathesis_bin() -> std::path::PathBuf {
    project::tools_dir()
        .join("schemathesis")
        .join("bin")
        .join("schemathesis")
}

/// Installs schemathesis at exactly [`SCHEMATHESIS_VERSION`] from PyPI into a virtual environment
/// in `.tools/schemathesis` (Python 3 with its `venv` module is needed) unless it is there already.
pub fn schemathesis() -> Result<String> {
    let bin = schemathesis_bin();
    let wanted = format!("schemathesis, version {SCHEMATHESIS_VERSION}");
    if output(command(&bin).arg("--version")).as_deref() == Some(wanted.as_str()) {
        return Ok(format!(
            "schemathesis {SCHEMATHESIS_VERSION} (PyPI): present in .tools/"
        ));
    }
    let venv = project::tools_dir().join("schemathesis");
    // Debian's python3 has no `venv` (ensurepip) until python3-venv is installed.
    if output(command("python3").args(["-c", "import venv, ensurepip"])).is_none()
        && output(command("id").arg("-u")).as_deref() == Some("0")
    {
        run_command(
            command("apt-get")
                .args(["install", "-y", "python3-venv"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    run_command(
        command("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )
    .context("creating a Python virtual environment for schemathesis (needs python3-venv)")?;
    run_command(
        command(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")),
    )
    .context("installing schemathesis from PyPI")?;
    if output(command(&bin).arg("--version")).as_deref() != Some(wanted.as_str()) {
        bail!(
            "pip installed schemathesis but `{} --version` disagrees",
            bin.display()
        );
    }
    Ok(format!(
        "schemathesis {SCHEMATHESIS_VERSION} (PyPI): installed in .tools/"
    ))
}

fn chromium() -> Result<String> {
    let browser = Path::new("/usr/bin/chromium");
    let driver = Path::new("/usr/bin/chromedriver");
    if browser.exists() && driver.exists() {
        return Ok("chromium + chromedriver: present in /usr/bin".into());
    }
    if output(command("id").arg("-u")).as_deref() != Some("0") {
        bail!(
            "Chromium and chromedriver are needed for the browser and end-to-end tests; as root run \
             `apt-get update && apt-get install -y chromium chromium-driver` (Debian), then try again"
        );
    }
    run_command(command("apt-get").arg("update"))?;
    run_command(
        command("apt-get")
            .args(["install", "-y", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok("chromium + chromedriver: installed with apt-get".into())
}

// --- sso: the identity provider of the single sign-on tests and demo (issue 15) ---

/// The npm `oidc-provider` release (certified OpenID provider) the single sign-on tests and the
/// demo start on loopback: the 8.x line, whose supported runtimes include this machine's Node 20
/// (9.x asks for Node 22).
pub const OIDC_PROVIDER_VERSION: &str = "8.8.1";

/// Installs `oidc-provider` at exactly [`OIDC_PROVIDER_VERSION`] into `.tools/` unless it is there.
fn oidc_provider() -> Result<String> {
    let name = "oidc-provider";
    if installed_npm_version(name).as_deref() == Some(OIDC_PROVIDER_VERSION) {
        return Ok(format!(
            "{name} {OIDC_PROVIDER_VERSION} (npm): present in .tools/"
        ));
    }
    fs::create_dir_all(project::tools_dir()).context("creating .tools/")?;
    run_command(command("npm").args([
        "install",
        "--prefix",
        ".tools",
        "--no-audit",
        "--no-fund",
        &format!("{name}@{OIDC_PROVIDER_VERSION}"),
    ]))
    .with_context(|| format!("installing the npm `{name}` package (needs Node.js and npm)"))?;
    if installed_npm_version(name).as_deref() != Some(OIDC_PROVIDER_VERSION) {
        bail!("npm installed {name} but .tools/node_modules/{name} is not {OIDC_PROVIDER_VERSION}");
    }
    Ok(format!(
        "{name} {OIDC_PROVIDER_VERSION} (npm): installed in .tools/"
    ))
}

// --- Debian's packages: the many-node store's servers (issue 16), libopus's build (issue 17) ---

/// Debian's packages the build and the tests need, each with the binary that shows it is
/// installed: the servers the PostgreSQL store and its tests start (PostgreSQL, run from
/// `/usr/lib/postgresql/<version>/bin`, and the NATS doorbell), and cmake, which builds libopus
/// for the backend's voicemail recorder (the `opus` crate's bundled source; without it the
/// backend does not compile).
const DEBIAN_PACKAGES: [(&str, &str); 3] = [
    ("postgresql", "/usr/lib/postgresql/*/bin/postgres"),
    ("nats-server", "/usr/sbin/nats-server"),
    ("cmake", "/usr/bin/cmake"),
];

/// Installs [`DEBIAN_PACKAGES`] whose binaries are missing (one `apt-get install` for what is
/// missing, after `apt-get update`); quiet when all are there. The PostgreSQL package's own
/// cluster service is not used: tests and `cluster` start their own servers with data
/// directories under `target/`.
fn debian_packages() -> Result<String> {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .filter(|(_, bin)| !binary_present(bin))
        .map(|(package, _)| *package)
        .collect();
    let names = DEBIAN_PACKAGES.map(|(package, _)| package).join(" + ");
    if missing.is_empty() {
        return Ok(format!("{names} (Debian): present"));
    }
    if output(command("id").arg("-u")).as_deref() != Some("0") {
        bail!(
            "{} needed for the backend's build and the PostgreSQL store tests; as root run \
             `apt-get update && apt-get \
             install -y {}` (Debian), then try again",
            missing.join(" and "),
            missing.join(" ")
        );
    }
    run_command(command("apt-get").args(["update", "-q"]))?;
    run_command(
        command("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if let Some((package, bin)) = DEBIAN_PACKAGES.iter().find(|(_, bin)| !binary_present(bin)) {
        bail!("apt-get installed {package} but {bin} is still missing");
    }
    Ok(format!(
        "{names} (Debian): installed {} with apt-get",
        missing.join(" and ")
    ))
}

/// Whether `pattern` (a path, with at most one `*` for a whole directory name) names an existing
/// file.
fn binary_present(pattern: &str) -> bool {
    let Some((dir, rest)) = pattern.split_once("/*/") else {
        return Path::new(pattern).exists();
    };
    fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|e| e.path().join(rest).exists()))
}
