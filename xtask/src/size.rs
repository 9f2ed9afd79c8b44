//! `cargo xtask size`: what the browser downloads for the widget — every wasm, JS and CSS file of
//! `dist/widget/`, raw, gzip and brotli — against the budget of the widget issue.

use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use crate::project;
use crate::widget::{self, brotli, gzip};

/// The widget issue's budget for the whole widget (wasm + JS + CSS), in bytes gzip (150 KB,
/// 1 KB = 1000 B). Met (147.0 KB when it was first met); the check fails when the widget goes over
/// it, so a change that grows the widget past the budget does not land.
pub const BUDGET_GZIP: u64 = 150_000;

/// Prints the size table and the budget; fails when nothing is built or the gzip total is over
/// [`BUDGET_GZIP`].
pub fn run() -> Result<()> {
    let dist = project::dist_widget();
    if !widget::wasm_path().exists() {
        bail!(
            "{} has no built widget: run `cargo xtask build-widget` first",
            dist.display()
        );
    }
    let mut rows = Vec::new();
    for file in widget::files_under(&dist)? {
        let kind = match file.extension().and_then(|e| e.to_str()) {
            Some("wasm") => "wasm",
            Some("js" | "mjs") => "JS",
            Some("css") => "CSS",
            _ => continue,
        };
        let bytes = fs::read(&file)?;
        let name = file
            .strip_prefix(&dist)
            .unwrap_or(&file)
            .display()
            .to_string();
        let sizes = [
            bytes.len() as u64,
            compressed_len(&file, "gz", || gzip(&bytes))?,
            compressed_len(&file, "br", || brotli(&bytes))?,
        ];
        rows.push((kind, name, sizes));
    }

    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "dist/widget/", "raw", "gzip", "brotli"
    );
    let mut total = [0u64; 3];
    for kind in ["wasm", "JS", "CSS"] {
        let mut subtotal = [0u64; 3];
        for (_, name, sizes) in rows.iter().filter(|(k, _, _)| *k == kind) {
            println!(
                "  {name:<42} {:>10} {:>10} {:>10}",
                sizes[0], sizes[1], sizes[2]
            );
            for i in 0..3 {
                subtotal[i] += sizes[i];
            }
        }
        println!(
            "{:<44} {:>10} {:>10} {:>10}",
            format!("{kind} total"),
            subtotal[0],
            subtotal[1],
            subtotal[2]
        );
        for i in 0..3 {
            total[i] += subtotal[i];
        }
    }
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "widget total", total[0], total[1], total[2]
    );
    let used = total[1] as f64 * 100.0 / BUDGET_GZIP as f64;
    println!(
        "budget: {:.1} KB gzip of {} KB ({used:.0}%)",
        total[1] as f64 / 1000.0,
        BUDGET_GZIP / 1000
    );
    if total[1] > BUDGET_GZIP {
        bail!(
            "the widget is {} bytes gzip: {:.1} KB over the budget of {} KB",
            total[1],
            (total[1] - BUDGET_GZIP) as f64 / 1000.0,
            BUDGET_GZIP / 1000
        );
    }
    println!(
        "budget met: {:.1} KB of room",
        (BUDGET_GZIP - total[1]) as f64 / 1000.0
    );
    Ok(())
}

/// The size of `file` compressed: the length of the `<file>.<ext>` copy `build-widget` wrote when it
/// is at least as new as the file, else of a fresh compression.
fn compressed_len(file: &Path, ext: &str, compress: impl Fn() -> Result<Vec<u8>>) -> Result<u64> {
    let mut copy = file.as_os_str().to_owned();
    copy.push(".");
    copy.push(ext);
    let fresh = |path: &Path| -> Option<u64> {
        let copy = fs::metadata(path).ok()?;
        let original = fs::metadata(file).ok()?;
        (copy.modified().ok()? >= original.modified().ok()?).then_some(copy.len())
    };
    match fresh(Path::new(&copy)) {
        Some(len) => Ok(len),
        None => Ok(compress()?.len() as u64),
    }
}
