//! `cargo xtask size`: what the browser downloads for the widget — every wasm, JS and CSS file of
//! `dist/widget/`, raw, gzip and brotli — against the budget of the widget issue.

use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use crate::project;
use crate::widget::{self, brotli, gzip};

/// The budget for the whole widget (wasm + JS + CSS) on its fixed stack (wasm-bindgen, Leptos,
/// gloo-net, serde, web-sys, wasm-pack), in bytes gzip (180 KB, 1 KB = 1000 B): issue 12.
///
/// **Not met yet** (see BENCHMARKS.md: the widget measured 193 KB once back on its stack, 198.5 KB with issue
/// 10's and 11's widget parts). While
/// [`CURRENT_GZIP`] is over it, the check says by how much on every run and fails only on growth
/// (past [`GROWTH_ALLOWANCE_GZIP`]) or past [`CEILING_GZIP`]; once a commit brings
/// [`CURRENT_GZIP`] within it, the budget itself is the limit again and holds from then on.
pub const BUDGET_GZIP: u64 = 180_000;

/// The ceiling for the whole product once the later features (voicemail, call control, softphone,
/// Salesforce Voice) are in: [`BUDGET_GZIP`] may be raised for them, never past this.
pub const CEILING_GZIP: u64 = 250_000;

/// The widget's gzip total as last measured, in bytes (`cargo xtask build-widget && cargo xtask
/// size`). The check fails when the widget grows more than [`GROWTH_ALLOWANCE_GZIP`] past it, so
/// every growth is seen: a change that adds more updates this figure in the same commit and says
/// why in BENCHMARKS.md.
pub const CURRENT_GZIP: u64 = 249_540;

/// How far the widget may grow past [`CURRENT_GZIP`] unexplained (3 KB).
pub const GROWTH_ALLOWANCE_GZIP: u64 = 3_000;

/// The most the widget may weigh now: the current figure plus the allowance, capped by the budget
/// once the budget is met (by the product ceiling while it is not).
pub fn limit_gzip() -> u64 {
    let cap = if budget_met() {
        BUDGET_GZIP
    } else {
        CEILING_GZIP
    };
    cap.min(CURRENT_GZIP + GROWTH_ALLOWANCE_GZIP)
}

/// Whether the last measured figure is within [`BUDGET_GZIP`].
pub const fn budget_met() -> bool {
    CURRENT_GZIP <= BUDGET_GZIP
}

/// Prints the size table and the budget; fails when nothing is built or the gzip total is over
/// [`limit_gzip`].
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
    let gzip = total[1];
    let kb = |b: u64| b as f64 / 1000.0;
    println!(
        "budget: {:.1} KB gzip of {:.0} KB ({:.0}%); last measured {:.1} KB, growth allowed to {:.1} KB; product ceiling {:.0} KB",
        kb(gzip),
        kb(BUDGET_GZIP),
        gzip as f64 * 100.0 / BUDGET_GZIP as f64,
        kb(CURRENT_GZIP),
        kb(CURRENT_GZIP + GROWTH_ALLOWANCE_GZIP),
        kb(CEILING_GZIP)
    );
    if let Some(why) = over_limit(gzip) {
        bail!("the widget is {gzip} bytes gzip: {why}");
    }
    if gzip > BUDGET_GZIP {
        println!(
            "NOT MET: {:.1} KB over the {} KB budget of issue 12 (only growth fails until it is met)",
            kb(gzip - BUDGET_GZIP),
            BUDGET_GZIP / 1000
        );
    }
    println!(
        "within the limit: {:.1} KB of room",
        kb(limit_gzip() - gzip)
    );
    Ok(())
}

/// Why a widget of `gzip` bytes may not land, if it may not.
fn over_limit(gzip: u64) -> Option<String> {
    if gzip > CEILING_GZIP {
        return Some(format!(
            "{:.1} KB over the product ceiling of {} KB",
            (gzip - CEILING_GZIP) as f64 / 1000.0,
            CEILING_GZIP / 1000
        ));
    }
    if budget_met() && gzip > BUDGET_GZIP {
        return Some(format!(
            "{:.1} KB over the budget of {} KB",
            (gzip - BUDGET_GZIP) as f64 / 1000.0,
            BUDGET_GZIP / 1000
        ));
    }
    let grown = CURRENT_GZIP + GROWTH_ALLOWANCE_GZIP;
    if gzip > grown {
        return Some(format!(
            "{:.1} KB more than the last measured {:.1} KB (allowed: {:.0} KB); if the growth is \
             meant, update size::CURRENT_GZIP and say why in BENCHMARKS.md",
            (gzip - CURRENT_GZIP) as f64 / 1000.0,
            CURRENT_GZIP as f64 / 1000.0,
            GROWTH_ALLOWANCE_GZIP as f64 / 1000.0
        ));
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_the_last_figure_plus_the_allowance_under_the_budget_once_met() {
        const { assert!(BUDGET_GZIP <= CEILING_GZIP) };
        let ceiling = over_limit(CEILING_GZIP + 1).unwrap();
        assert!(ceiling.contains("ceiling"), "{ceiling}");
        // Growth past the allowance (or the ceiling, whichever is lower) always fails, and says
        // what to do.
        let grown = over_limit(limit_gzip() + 1).unwrap();
        assert!(
            grown.contains("CURRENT_GZIP") || grown.contains("budget") || grown.contains("ceiling"),
            "{grown}"
        );
        if budget_met() {
            let over = over_limit(BUDGET_GZIP + 1).unwrap();
            assert!(over.contains("over the budget of 180 KB"), "{over}");
            assert!(limit_gzip() <= BUDGET_GZIP);
        } else {
            // Not met: the figure as measured passes (so the rest of the pipeline runs), a byte
            // of growth past the allowance does not.
            assert_eq!(over_limit(CURRENT_GZIP), None);
            assert_eq!(
                limit_gzip(),
                CEILING_GZIP.min(CURRENT_GZIP + GROWTH_ALLOWANCE_GZIP)
            );
        }
    }
}
