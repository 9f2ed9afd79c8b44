//! `cargo xtask build-admin`: turns `admin/` (the administration page, Leptos CSR) into the
//! servable page in `dist/admin/`, with the widget's pipeline: wasm-pack without downloads, the npm
//! `wasm-opt` (checked to still load), the glue and CSS minified by the npm `esbuild`, and `.gz` /
//! `.br` copies. The backend serves the directory at `/admin` (`--admin-dir`).
//!
//! Output: `dist/admin/index.html`, `boot.js`, `admin.css`, `pkg/ucclient_admin.js` and
//! `pkg/ucclient_admin_bg.wasm`. The page is not under the widget's size budget; its size is
//! printed.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::project::{self, run};
use crate::widget;

/// The name wasm-pack gives the JS glue and (with `_bg.wasm`) the module.
pub const OUT_NAME: &str = "ucclient_admin";

/// Options of `cargo xtask build-admin`.
#[derive(Debug, Default, clap::Args)]
pub struct BuildArgs {
    /// Debug build without wasm-opt: quicker to build, much larger, with debug assertions.
    #[arg(long)]
    pub dev: bool,
}

/// Where the page is built.
pub fn dist() -> PathBuf {
    project::root().join("dist").join("admin")
}

/// The crate.
fn crate_dir() -> PathBuf {
    project::root().join("admin")
}

/// Builds the page into `dist/admin/` from scratch.
pub fn build(args: &BuildArgs) -> Result<()> {
    widget::check_wasm_bindgen()?;
    let dist = dist();
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    let pkg = dist.join("pkg");
    fs::create_dir_all(&pkg).with_context(|| format!("creating {}", pkg.display()))?;

    run(&mut widget::wasm_pack_build(
        args.dev,
        OUT_NAME,
        &pkg,
        &crate_dir(),
    ))?;
    let wasm = pkg.join(format!("{OUT_NAME}_bg.wasm"));
    if !wasm.exists() {
        bail!("wasm-pack finished but {} is missing", wasm.display());
    }
    let _ = fs::remove_file(pkg.join(".gitignore"));

    if args.dev {
        println!("--dev: wasm-opt and minification skipped");
    } else {
        widget::minify_tree(&pkg, "js")?;
        widget::optimise(&wasm, &pkg, OUT_NAME, "admin")?;
    }
    widget::copy_dir(&crate_dir().join("static"), &dist)?;
    if !args.dev {
        widget::minify_tree(&dist, "css")?;
    }
    let written = widget::compress_tree(&dist)?;
    let gz = |name: &str| {
        fs::metadata(pkg.join(format!("{name}.gz")))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    println!(
        "admin page built in {} ({written} compressed copies); gzip: wasm {} B, js {} B",
        dist.display(),
        gz(&format!("{OUT_NAME}_bg.wasm")),
        gz(&format!("{OUT_NAME}.js")),
    );
    Ok(())
}
