//! `cargo xtask build-widget`: turns the root crate into the servable widget in `dist/widget/`:
//! wasm-pack (no downloads: `--mode no-install` with the wasm-bindgen CLI that `setup` installed),
//! then the npm `wasm-opt -Oz` as an explicit step (checked to still load), the files of `static/`,
//! the JS glue and the CSS minified by the npm `esbuild`, and `.gz` / `.br` copies for servers that
//! send precompressed files.
//!
//! One module per host ([`VARIANTS`]): each carries only its own CRM bridge (the crate's
//! `salesforce` and `dynamics` features), so a Salesforce agent never downloads the Dynamics bridge
//! and the reverse. Output: `dist/widget/<static files>`, and for each variant `<dir>/ucclient_widget.js`
//! and `<dir>/ucclient_widget_bg.wasm` with `<dir>` = `dist/widget/pkg` (the standalone page: the
//! static pages import `./pkg/ucclient_widget.js`), `dist/widget/salesforce/pkg` (the Salesforce
//! package and the hosted Salesforce page) and `dist/widget/dynamics/pkg` (likewise for Dynamics 365).
//!
//! Every release module is split ([`Variant::split`], issues 12 and 17): built by cargo with the
//! crate's `split` feature (the Voicemail, Routing, Directory and History tabs, the wrap-up form
//! and the softphone as fallible wasm-split functions, as Leptos's `lazy` makes them), cut by
//! `wasm-split-cli` into the main module and one wasm chunk per lazy part, then given its glue by
//! wasm-bindgen; `pkg/` then also holds `__wasm_split.js` (the chunks' loader, imported by the
//! glue) and the chunks (`split_*.wasm`, `chunk_*.wasm`: code shared by two lazy parts), fetched
//! when a tab first opens. Salesforce's and Salesforce Voice's static resources carry them beside
//! the module (their boot script and connector shim give the loader the fallback a `.wasm` not
//! served as `application/wasm` needs); Dynamics 365, which has no `.wasm` web resource, carries
//! each chunk base64 in a script web resource, and its loader answers the split loader's fetch
//! from it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::project::{self, command, output, run};
use crate::setup::locked_wasm_bindgen_version;

/// The name wasm-pack gives the JS glue and (with `_bg.wasm`) the module.
pub const OUT_NAME: &str = "ucclient_widget";

/// File extensions that get `.gz` and `.br` copies.
const COMPRESSED_EXTENSIONS: [&str; 7] = ["wasm", "js", "mjs", "css", "html", "svg", "json"];

/// WebAssembly features that rustc 1.95 enables by default for `wasm32-unknown-unknown` and that
/// wasm-bindgen's output relies on (externref tables, bulk memory, ...). wasm-opt must be told, or it
/// rejects the module; Chromium and every current browser support them all.
const WASM_FEATURES: [&str; 8] = [
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

/// wasm-opt's optimisation options: functions of up to 4 size units always inlined (binaryen's
/// `--always-inline-max-function-size`, default 2: −0.24 KB in `cargo xtask size`, and −0.6 KB
/// under `gzip -9` on two builds' modules alike; 3, 5 and 6 measured within ±0.15 KB of the default,
/// 10 +4.7 KB), the control flow flattened and rebuilt by binaryen's relooper
/// first (`--flatten --rereloop`, 0.4 KB gzip), then `-Oz`; `--gufa` (binaryen's whole-module
/// inference of what each location can hold, removing what it proves constant or unreachable; only
/// internal functions and globals, the exports and imports stay as they are: 0.1 KB gzip);
/// `--merge-similar-functions` (functions
/// that differ only in constants become one with a parameter: serde's per-type code, 0.5 KB gzip)
/// and `-Oz` again, repeated until the module stops shrinking; the functions then laid out in the
/// order of their names (`--reorder-functions-by-name`: a type's serde code, a crate's view code
/// and a generic's instantiations end up side by side, within gzip's and brotli's window of each
/// other; the code is the same, only its order in the module changes: 5.0 KB gzip); the `producers`
/// and `target_features` custom sections dropped (build metadata that no browser reads; wasm-bindgen
/// has read them already); and `--low-memory-unused` (1.6 KB gzip), which lets wasm-opt fold
/// `load(p + C)` into `load offset=C (p)` for constants below 1 KB. The two differ only when `p + C`
/// wraps around 2^32 into the low 1 KB of memory, and on wasm32 rustc lays the 1 MB shadow stack
/// out first (data and heap above it), so that kilobyte is the bottom of the stack: only a stack
/// already within 1 KB of overflowing reaches it, and there the folded access traps instead of
/// wrapping. (`--traps-never-happen` is not used: it lets wasm-opt assume that a panic, which
/// traps under `panic = "abort"`, never happens, turning a bug's clean abort into undefined
/// behaviour, for 0.6 KB gzip.)
const WASM_OPT_ARGS: [&str; 13] = [
    "--always-inline-max-function-size",
    "4",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--gufa",
    "--merge-similar-functions",
    "-Oz",
    "--converge",
    "--low-memory-unused",
    "--reorder-functions-by-name",
    "--strip-producers",
    "--strip-target-features",
];

/// Extra rustc flags of the release wasm build: Leptos's `erase_components` type-erases component
/// views, which measured 9 KB gzip smaller.
const WASM_RUSTFLAGS: &[&str] = &["--cfg", "erase_components"];

/// The release wasm build's rustc flags, encoded for `CARGO_ENCODED_RUSTFLAGS`: the caller's
/// `RUSTFLAGS` first, then [`WASM_RUSTFLAGS`], then path remappings so that the source paths kept
/// for panic messages read `src/…` and `crate-1.2.3/src/…` instead of this machine's directories
/// (shorter, the same on every machine, and nothing about the build host in the shipped module).
pub(crate) fn wasm_rustflags() -> String {
    let mut flags: Vec<String> = std::env::var("RUSTFLAGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    flags.extend(WASM_RUSTFLAGS.iter().map(|f| (*f).to_owned()));
    let registries = project::cargo_home().join("registry").join("src");
    let mut prefixes: Vec<PathBuf> = fs::read_dir(&registries)
        .map(|dirs| dirs.filter_map(|d| Some(d.ok()?.path())).collect())
        .unwrap_or_default();
    prefixes.sort();
    prefixes.push(project::root());
    for prefix in prefixes {
        flags.push(format!("--remap-path-prefix={}/=", prefix.display()));
    }
    flags.join("\u{1f}")
}

/// Options of `cargo xtask build-widget`.
#[derive(Debug, Default, clap::Args)]
pub struct BuildArgs {
    /// Debug build without wasm-opt: quicker to build, much larger, with debug assertions.
    #[arg(long)]
    pub dev: bool,
    /// Build only this host's module (`standalone`, `salesforce`, `dynamics` or
    /// `salesforce-voice`); all four when absent.
    #[arg(long, value_parser = ["standalone", "salesforce", "dynamics", "salesforce-voice"])]
    pub host: Option<String>,
}

/// One module the widget ships as: the host it is for, the crate feature that brings that host's
/// bridge (none for the plain page), and where under `dist/widget/` it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// `standalone`, `salesforce`, `dynamics` or `salesforce-voice` (the widget's `HostKind` names).
    pub host: &'static str,
    /// The crate feature of the host's bridge.
    pub feature: Option<&'static str>,
    /// The module's directory, relative to `dist/widget/`.
    pub pkg: &'static str,
    /// Whether the release module is split into a main module and lazily loaded chunks (the
    /// crate's `split` feature, `wasm-split-cli`); a `--dev` build is never split.
    pub split: bool,
    /// Whether the module has the softphone (the crate's `softphone` feature, issue 17): every
    /// split module loads its code lazily, so all four have it.
    pub softphone: bool,
}

/// Every module the widget ships as, the standalone page's first.
pub const VARIANTS: [Variant; 4] = [
    Variant {
        host: "standalone",
        feature: None,
        pkg: "pkg",
        split: true,
        softphone: true,
    },
    Variant {
        host: "salesforce",
        feature: Some("salesforce"),
        pkg: "salesforce/pkg",
        split: true,
        softphone: true,
    },
    Variant {
        host: "dynamics",
        feature: Some("dynamics"),
        pkg: "dynamics/pkg",
        split: true,
        softphone: true,
    },
    Variant {
        host: "salesforce-voice",
        feature: Some("salesforce-voice"),
        pkg: "salesforce-voice/pkg",
        split: true,
        softphone: true,
    },
];

/// The variant for `host`.
pub fn variant(host: &str) -> Option<Variant> {
    VARIANTS.into_iter().find(|v| v.host == host)
}

impl Variant {
    /// The variant's module directory.
    pub fn pkg_dir(&self) -> PathBuf {
        project::dist_widget().join(self.pkg)
    }

    /// The variant's built wasm module (the main module of a split one).
    pub fn wasm_path(&self) -> PathBuf {
        self.pkg_dir().join(format!("{OUT_NAME}_bg.wasm"))
    }

    /// The crate features the variant's release module is built with, as a cargo argument.
    pub fn features(&self) -> Option<String> {
        let mut features: Vec<&str> = self.feature.into_iter().collect();
        if self.split {
            features.push("split");
        }
        if self.softphone {
            features.push("softphone");
        }
        (!features.is_empty()).then(|| format!("--features={}", features.join(",")))
    }

    /// The crate features of the variant's module when it is not split (a `--dev` build): the
    /// host's bridge and the softphone, as a cargo argument.
    pub fn unsplit_features(&self) -> Option<String> {
        let mut features: Vec<&str> = self.feature.into_iter().collect();
        if self.softphone {
            features.push("softphone");
        }
        (!features.is_empty()).then(|| format!("--features={}", features.join(",")))
    }
}

/// Whether `name` is one of the wasm chunks that `wasm-split-cli` cuts out of a split module
/// (`split_<lazy fn>_<hash>.wasm` for a lazy part, `chunk_<n>.wasm` for code shared by several):
/// what the page fetches only when a lazy part is first used.
pub fn is_lazy_chunk(name: &str) -> bool {
    name.ends_with(".wasm") && (name.starts_with("split_") || name.starts_with("chunk_"))
}

/// The loader `wasm-split-cli` writes beside a split module's glue (which imports it).
pub const SPLIT_LOADER: &str = "__wasm_split.js";

/// The standalone page's built wasm module (`dist/widget/pkg/`).
pub fn wasm_path() -> PathBuf {
    VARIANTS[0].wasm_path()
}

/// Builds the widget into `dist/widget/` from scratch: the static files and every variant's module
/// (or only `--host`'s, leaving the others' modules as they were).
pub fn build(args: &BuildArgs) -> Result<()> {
    check_wasm_bindgen()?;
    let dist = project::dist_widget();
    let variants: Vec<Variant> = match &args.host {
        Some(host) => vec![variant(host).with_context(|| format!("no host `{host}`"))?],
        None => VARIANTS.to_vec(),
    };
    if args.host.is_none() && dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    for variant in &variants {
        build_module(args, variant)?;
        if variant.host == "salesforce-voice" {
            // The backend's hosted connector page (`/crm/salesforce-voice`) serves Salesforce's
            // library from here, the pinned release the package's static resource carries.
            let library = project::dist_widget()
                .join("salesforce-voice")
                .join(crate::package::voice::LIBRARY_FILE);
            fs::write(&library, crate::package::voice::library()?)
                .with_context(|| format!("writing {}", library.display()))?;
        }
    }

    let static_dir = project::root().join("static");
    if static_dir.is_dir() {
        copy_dir(&static_dir, &dist)?;
        if !args.dev {
            minify_tree(&dist, "css")?;
        }
    }
    let written = compress_tree(&dist)?;
    println!(
        "widget built in {} ({} compressed copies written)",
        dist.display(),
        written
    );
    Ok(())
}

/// `wasm-pack build` of the crate in `crate_dir` into `out_dir` as `<out_name>.js` and
/// `<out_name>_bg.wasm`, with no downloads (`--mode no-install`), no package.json or typings; a
/// release is built for size (opt-level z for the module only: the server and tests keep 3) with
/// Leptos's `erase_components` (component children and props as type-erased views). The widget
/// and the administration page build alike; the caller adds cargo's own arguments after `--`.
pub fn wasm_pack_build(dev: bool, out_name: &str, out_dir: &Path, crate_dir: &Path) -> Command {
    let mut wasm_pack = command("wasm-pack");
    if !dev {
        wasm_pack
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
            .env("CARGO_ENCODED_RUSTFLAGS", wasm_rustflags());
    }
    wasm_pack
        .args(["build", "--mode", "no-install", "--target", "web"])
        .arg(if dev { "--dev" } else { "--release" })
        .args([
            "--no-pack",
            "--no-typescript",
            "--out-name",
            out_name,
            "--out-dir",
        ])
        .arg(out_dir)
        .arg(crate_dir);
    wasm_pack
}

/// wasm-pack (then, for a release, wasm-opt and esbuild) for one variant, into its own directory.
fn build_module(args: &BuildArgs, variant: &Variant) -> Result<()> {
    let pkg = variant.pkg_dir();
    if pkg.exists() {
        fs::remove_dir_all(&pkg).with_context(|| format!("removing {}", pkg.display()))?;
    }
    fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;
    println!("== the {} module ({})", variant.host, variant.pkg);

    if variant.split && !args.dev {
        split_build(variant, &pkg)?;
    } else {
        run(wasm_pack_build(args.dev, OUT_NAME, &pkg, &project::root())
            .args(["--", "--no-default-features"])
            .args(variant.unsplit_features()))?;
    }
    let wasm = variant.wasm_path();
    if !wasm.exists() {
        bail!("wasm-pack finished but {} is missing", wasm.display());
    }
    // wasm-pack leaves a `.gitignore` of `*` in its output; dist/ is ignored already.
    let _ = fs::remove_file(pkg.join(".gitignore"));

    if args.dev {
        println!("--dev: wasm-opt and minification skipped");
    } else {
        // The glue first, so that the load check below runs the minified glue that ships.
        minify_tree(&pkg, "js")?;
        optimise(&wasm, &pkg, OUT_NAME, variant.host)?;
        for chunk in files_under(&pkg)? {
            let name = chunk.file_name().unwrap_or_default().to_string_lossy();
            if is_lazy_chunk(&name) {
                // A chunk alone cannot be instantiated (it imports the main module's memory and
                // table): the browser tests of the lazy tabs are its load check.
                wasm_opt(&chunk, &chunk)?;
            }
        }
    }
    Ok(())
}

/// The split release build of `variant` into `pkg` (issue 12), the steps Leptos's code splitting
/// takes: cargo builds the crate with the variant's features and `split`, linked with
/// `--emit-relocs` (the relocations let `wasm-split-cli` move functions between modules), into
/// `target/split/` so that its different flags do not rebuild the other variants' dependencies;
/// `wasm-split-cli` cuts rustc's module into the main module, the chunks and their loader;
/// wasm-bindgen writes the main module's glue (`--keep-lld-exports` keeps the exports the chunks
/// import; not `--no-demangle`, which Leptos's recipe adds: the names it keeps mangled are only
/// the name section's, which wasm-opt's `--reorder-functions-by-name` sorts by, and demangled they
/// measured 0.4 KB gzip smaller, the chunks loading the same); the loader and the chunks are copied
/// beside the glue, whose name they import.
fn split_build(variant: &Variant, pkg: &Path) -> Result<()> {
    let target = project::target_dir().join("split");
    let mut rustflags = wasm_rustflags();
    rustflags.push_str("\u{1f}-Clink-args=--emit-relocs");
    run(project::cargo()
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--lib", "--release", "-p", "ucclient-widget"])
        .args([
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
        ])
        .args(variant.features()))?;
    let rustc_wasm = target
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(format!("{OUT_NAME}.wasm"));
    if output(command("wasm-split-cli").arg("--help")).is_none() {
        bail!("wasm-split-cli is missing: run `cargo xtask setup`");
    }
    let cut = project::target_dir().join("xtask").join("split");
    if cut.exists() {
        fs::remove_dir_all(&cut).with_context(|| format!("removing {}", cut.display()))?;
    }
    run(command("wasm-split-cli")
        .args(["--target", "web", "--out-name", OUT_NAME])
        .arg(&rustc_wasm)
        .arg(&cut))?;
    run(command("wasm-bindgen")
        .args(["--target", "web", "--keep-lld-exports"])
        .args(["--no-typescript", "--out-name", OUT_NAME, "--out-dir"])
        .arg(pkg)
        .arg(cut.join(format!("{OUT_NAME}.wasm"))))?;
    let mut chunks = 0;
    for file in files_under(&cut)? {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        if is_lazy_chunk(&name) || name == SPLIT_LOADER {
            fs::copy(&file, pkg.join(&*name)).with_context(|| format!("copying {name}"))?;
            chunks += usize::from(name != SPLIT_LOADER);
        }
    }
    if chunks == 0 || !pkg.join(SPLIT_LOADER).exists() {
        bail!(
            "wasm-split-cli left no chunks or no {SPLIT_LOADER} in {}: are the lazy tabs still `lazy`?",
            cut.display()
        );
    }
    println!("split: the main module and {chunks} lazily loaded chunk(s)");
    Ok(())
}

/// wasm-pack in `--mode no-install` quietly needs the CLI to match `Cargo.lock` exactly: say so
/// plainly before it fails obscurely.
pub(crate) fn check_wasm_bindgen() -> Result<()> {
    let Some(version) = locked_wasm_bindgen_version()? else {
        bail!(
            "Cargo.lock has no wasm-bindgen package: the widget does not depend on wasm-bindgen yet"
        );
    };
    let found = output(command("wasm-bindgen").arg("--version"));
    if found.as_deref() != Some(&format!("wasm-bindgen {version}")) {
        bail!(
            "wasm-bindgen CLI {version} is needed (Cargo.lock), found {}: run `cargo xtask setup`",
            found.as_deref().unwrap_or("none")
        );
    }
    Ok(())
}

/// Runs the npm `wasm-opt` with [`WASM_OPT_ARGS`] on the module in place, keeping the unoptimised
/// module aside (named after `out_name` and `tag`) to check that the optimised one still
/// instantiates through the JS glue (`pkg/<out_name>.js`) wherever the original did.
pub(crate) fn optimise(wasm: &Path, pkg: &Path, out_name: &str, tag: &str) -> Result<()> {
    let work = project::target_dir().join("xtask");
    fs::create_dir_all(&work)?;
    let original = work.join(format!("{out_name}_bg.{tag}.unopt.wasm"));
    fs::copy(wasm, &original).context("keeping the unoptimised module")?;
    wasm_opt(&original, wasm)?;

    match load_check(&original, pkg, out_name)? {
        Err(reason) => println!(
            "load check skipped: the unoptimised module does not load in Node either ({reason})"
        ),
        Ok(()) => match load_check(wasm, pkg, out_name)? {
            Ok(()) => println!("load check: the optimised module instantiates"),
            Err(reason) => bail!("wasm-opt broke the module: it no longer instantiates ({reason})"),
        },
    }
    Ok(())
}

/// Runs the npm `wasm-opt` with [`WASM_OPT_ARGS`] on `input` into `output` (which may be the same
/// file), saying how much it took off.
fn wasm_opt(input: &Path, output: &Path) -> Result<()> {
    let wasm_opt = project::wasm_opt();
    if !wasm_opt.exists() {
        bail!("{} is missing: run `cargo xtask setup`", wasm_opt.display());
    }
    let before = fs::metadata(input)?.len();
    let started = Instant::now();
    run(command(&wasm_opt)
        .args(WASM_OPT_ARGS)
        .args(WASM_FEATURES)
        .arg(input)
        .arg("-o")
        .arg(output))?;
    let after = fs::metadata(output)?.len();
    println!(
        "wasm-opt {}: {before} -> {after} bytes in {:.1}s",
        WASM_OPT_ARGS.join(" "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// esbuild's options: whitespace, syntax and local names minified, nothing else changed (export
/// and property names, `import.meta.url` and the module format stay; no bundling, no syntax lowering),
/// and non-ASCII text kept as UTF-8 instead of escaped.
const MINIFY_ARGS: [&str; 4] = [
    "--minify",
    "--charset=utf8",
    "--allow-overwrite",
    "--log-level=warning",
];

/// Minifies, in place with the npm `esbuild`, every file under `dir` whose extension is `ext`
/// (`js`: wasm-bindgen's glue, whose doc comments and long local names cost about 2.5 KB gzip;
/// `css`: the stylesheet).
pub(crate) fn minify_tree(dir: &Path, ext: &str) -> Result<()> {
    let esbuild = project::esbuild();
    if !esbuild.exists() {
        bail!("{} is missing: run `cargo xtask setup`", esbuild.display());
    }
    for file in files_under(dir)? {
        if file.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let before = fs::metadata(&file)?.len();
        run(command(&esbuild)
            .arg(&file)
            .args(MINIFY_ARGS)
            .arg(format!("--outfile={}", file.display())))?;
        println!(
            "esbuild --minify {}: {before} -> {} bytes",
            file.file_name().unwrap_or_default().to_string_lossy(),
            fs::metadata(&file)?.len()
        );
    }
    Ok(())
}

/// Instantiates `wasm` through a copy of the JS glue (`pkg/<out_name>.js`) in Node (`initSync`);
/// this catches the corrupted externref table of a bad wasm-opt. The outer error is for when the
/// check itself cannot run; the inner one is the module's failure.
fn load_check(wasm: &Path, pkg: &Path, out_name: &str) -> Result<Result<(), String>> {
    let check = project::target_dir().join("xtask").join("load-check");
    if check.exists() {
        fs::remove_dir_all(&check)?;
    }
    // The glue (and any snippets it imports) are ES modules in files ending in .js.
    copy_dir(pkg, &check)?;
    fs::write(check.join("package.json"), "{\"type\":\"module\"}\n")?;
    fs::copy(wasm, check.join("module.wasm"))?;
    fs::write(
        check.join("check.js"),
        format!(
            "import {{ readFileSync }} from 'node:fs';\n\
             import {{ initSync }} from './{out_name}.js';\n\
             initSync({{ module: readFileSync(new URL('./module.wasm', import.meta.url)) }});\n"
        ),
    )?;
    let out = command("node")
        .arg(check.join("check.js"))
        .output()
        .context("running node for the load check (is Node.js installed?)")?;
    if out.status.success() {
        return Ok(Ok(()));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reason = stderr
        .lines()
        .find(|l| l.contains("Error"))
        .unwrap_or("node failed")
        .trim()
        .to_owned();
    Ok(Err(reason))
}

/// Copies the files of `from` into `to`, recursively, creating directories as needed.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Every file under `dir`, recursively, in a stable order.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_type()?.is_dir() {
            files.extend(files_under(&entry.path())?);
        } else {
            files.push(entry.path());
        }
    }
    Ok(files)
}

/// Writes `<file>.gz` and `<file>.br` beside every compressible file; returns how many copies.
pub(crate) fn compress_tree(dir: &Path) -> Result<usize> {
    let mut written = 0;
    for file in files_under(dir)? {
        let compressible = file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSED_EXTENSIONS.contains(&e));
        if !compressible {
            continue;
        }
        let bytes = fs::read(&file)?;
        let mut name = file.clone().into_os_string();
        name.push(".gz");
        fs::write(&name, gzip(&bytes)?)?;
        let mut name = file.into_os_string();
        name.push(".br");
        fs::write(&name, brotli(&bytes)?)?;
        written += 2;
    }
    Ok(written)
}

/// Gzip at the best level, with a zero timestamp so builds are reproducible.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Brotli at the best quality (11) and a 4 MiB window, what servers use for static assets.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        encoder.write_all(bytes)?;
        encoder.flush()?;
    }
    Ok(out)
}
