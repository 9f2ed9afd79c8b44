//! `cargo xtask size`: what the browser downloads for the widget in each host — that host's module
//! and JS glue and the stylesheet of `dist/widget/`, raw, gzip and brotli — against the budget of
//! the widget issue. For a split module (every release module) the download is what the page loads
//! before any lazy tab opens (glue, main module, the chunks' loader, stylesheet); each lazily loaded
//! chunk is listed after it, on its own, outside the budget's figure.

use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use crate::project;
use crate::widget::{self, brotli, gzip};

/// The budget for the whole widget (wasm + JS + CSS) on its fixed stack (wasm-bindgen, Leptos,
/// gloo-net, serde, web-sys, wasm-pack), in bytes gzip (180 KB, 1 KB = 1000 B): issue 12. It holds
/// for each download: what an agent's browser fetches in one host (that host's module, its JS glue
/// and the stylesheet; see [`widget::VARIANTS`]).
///
/// **Not met yet** (see BENCHMARKS.md: the widget measured 193 KB once back on its stack, 198.5 KB with issue
/// 10's and 11's widget parts). While
/// a [`CURRENT_GZIP`] figure is over it, the check says by how much on every run and fails only on growth
/// (past [`GROWTH_ALLOWANCE_GZIP`]) or past [`CEILING_GZIP`]; once a commit brings
/// every [`CURRENT_GZIP`] figure within it, the budget itself is the limit again and holds from then on.
pub const BUDGET_GZIP: u64 = 180_000;

/// The ceiling for the whole product once the later features (voicemail, call control, softphone,
/// Salesforce Voice) are in: [`BUDGET_GZIP`] may be raised for them, never past this.
pub const CEILING_GZIP: u64 = 250_000;

/// Each download's gzip total as last measured, in bytes, by host (`cargo xtask build-widget &&
/// cargo xtask size`); for a split module, what the page loads before any lazy part. The check
/// fails when one grows more than [`GROWTH_ALLOWANCE_GZIP`] past its
/// figure, so every growth is seen: a change that adds more updates the figure in the same commit
/// and says why in BENCHMARKS.md.
pub const CURRENT_GZIP: [(&str, u64); 4] = [
    ("standalone", 231_078),
    ("salesforce", 239_846),
    ("dynamics", 244_071),
    ("salesforce-voice", 246_753),
];

/// How far a download may grow past its [`CURRENT_GZIP`] figure unexplained (3 KB).
pub const GROWTH_ALLOWANCE_GZIP: u64 = 3_000;

/// The last measured figure of `host`'s download.
pub fn current_gzip(host: &str) -> Option<u64> {
    CURRENT_GZIP
        .iter()
        .find(|(h, _)| *h == host)
        .map(|&(_, gzip)| gzip)
}

/// The most a download last measured at `current` may weigh now: the figure plus the allowance,
/// capped by the budget once the budget is met (by the product ceiling while it is not).
pub fn limit_gzip(current: u64) -> u64 {
    let cap = if budget_met() {
        BUDGET_GZIP
    } else {
        CEILING_GZIP
    };
    cap.min(current + GROWTH_ALLOWANCE_GZIP)
}

/// Whether every last measured figure is within [`BUDGET_GZIP`].
pub fn budget_met() -> bool {
    CURRENT_GZIP.iter().all(|&(_, gzip)| gzip <= BUDGET_GZIP)
}

/// One file of a download: its kind (`wasm`, `JS`, `CSS`), its path under `dist/widget/`, and its
/// raw, gzip and brotli sizes.
pub type Row = (&'static str, String, [u64; 3]);

/// What the browser fetches for `variant` at start: its module directory's wasm and JS (not the
/// lazily loaded chunks of a split module: see [`lazy_parts`]), and every stylesheet outside the
/// module directories. Compressed sizes are those of the copies `build-widget` wrote when fresh.
pub fn download(variant: &widget::Variant) -> Result<Vec<Row>> {
    Ok(files(variant)?
        .into_iter()
        .filter(|r| r.0 != LAZY)
        .collect())
}

/// The lazily loaded chunks of `variant`'s split module, each fetched the first time the tab whose
/// code it holds opens (none for a module that is not split).
pub fn lazy_parts(variant: &widget::Variant) -> Result<Vec<Row>> {
    Ok(files(variant)?
        .into_iter()
        .filter(|r| r.0 == LAZY)
        .collect())
}

/// The kind of a lazily loaded chunk's [`Row`].
const LAZY: &str = "lazy wasm";

/// Every file of `variant`'s downloads, the start-up ones and the lazy chunks ([`LAZY`]).
fn files(variant: &widget::Variant) -> Result<Vec<Row>> {
    let dist = project::dist_widget();
    let pkg = variant.pkg_dir();
    let mut rows = Vec::new();
    for file in widget::files_under(&dist)? {
        let in_module = file.starts_with(&pkg);
        let in_any_module = widget::VARIANTS
            .iter()
            .any(|v| file.starts_with(v.pkg_dir()));
        let lazy = file
            .file_name()
            .is_some_and(|n| widget::is_lazy_chunk(&n.to_string_lossy()));
        let kind = match file.extension().and_then(|e| e.to_str()) {
            Some("wasm") if in_module && lazy => LAZY,
            Some("wasm") if in_module => "wasm",
            Some("js" | "mjs") if in_module => "JS",
            Some("css") if !in_any_module => "CSS",
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
    Ok(rows)
}

/// The raw, gzip and brotli totals of `rows`.
pub fn totals(rows: &[Row]) -> [u64; 3] {
    let mut total = [0u64; 3];
    for (_, _, sizes) in rows {
        for i in 0..3 {
            total[i] += sizes[i];
        }
    }
    total
}

/// Prints each host's download and the budget; fails when a module is not built or a download's
/// gzip total is over its [`limit_gzip`].
pub fn run() -> Result<()> {
    let dist = project::dist_widget();
    let mut failures = Vec::new();
    for variant in widget::VARIANTS {
        if !variant.wasm_path().exists() {
            bail!(
                "{} has no built {} module: run `cargo xtask build-widget` first",
                dist.display(),
                variant.host
            );
        }
        let rows = download(&variant)?;
        println!(
            "{:<44} {:>10} {:>10} {:>10}",
            format!("{} download (dist/widget/)", variant.host),
            "raw",
            "gzip",
            "brotli"
        );
        for kind in ["wasm", "JS", "CSS"] {
            let of_kind: Vec<Row> = rows.iter().filter(|r| r.0 == kind).cloned().collect();
            for (_, name, sizes) in &of_kind {
                println!(
                    "  {name:<42} {:>10} {:>10} {:>10}",
                    sizes[0], sizes[1], sizes[2]
                );
            }
            let subtotal = totals(&of_kind);
            println!(
                "{:<44} {:>10} {:>10} {:>10}",
                format!("{kind} total"),
                subtotal[0],
                subtotal[1],
                subtotal[2]
            );
        }
        let total = totals(&rows);
        println!(
            "{:<44} {:>10} {:>10} {:>10}",
            format!(
                "{} {}",
                variant.host,
                if variant.split {
                    "initial total"
                } else {
                    "total"
                }
            ),
            total[0],
            total[1],
            total[2]
        );
        let lazy = lazy_parts(&variant)?;
        if !lazy.is_empty() {
            println!("loaded later, when a lazy panel first shows (not in the budget's figure):");
            for (_, name, sizes) in &lazy {
                println!(
                    "  {name:<42} {:>10} {:>10} {:>10}",
                    sizes[0], sizes[1], sizes[2]
                );
            }
            let later = totals(&lazy);
            println!(
                "{:<44} {:>10} {:>10} {:>10}",
                "lazy total", later[0], later[1], later[2]
            );
        }
        let gzip = total[1];
        let current = current_gzip(variant.host).unwrap_or(0);
        let kb = |b: u64| b as f64 / 1000.0;
        println!(
            "budget: {:.1} KB gzip of {:.0} KB ({:.0}%); last measured {:.1} KB, growth allowed to {:.1} KB; product ceiling {:.0} KB",
            kb(gzip),
            kb(BUDGET_GZIP),
            gzip as f64 * 100.0 / BUDGET_GZIP as f64,
            kb(current),
            kb(current + GROWTH_ALLOWANCE_GZIP),
            kb(CEILING_GZIP)
        );
        if let Some(why) = over_limit(gzip, current) {
            println!("OVER: {why}\n");
            failures.push(format!(
                "the {} download is {gzip} bytes gzip: {why}",
                variant.host
            ));
            continue;
        }
        if gzip > BUDGET_GZIP {
            println!(
                "NOT MET: {:.1} KB over the {} KB budget of issue 12 (only growth fails until it is met)",
                kb(gzip - BUDGET_GZIP),
                BUDGET_GZIP / 1000
            );
        }
        println!(
            "within the limit: {:.1} KB of room\n",
            kb(limit_gzip(current).saturating_sub(gzip))
        );
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    Ok(())
}

/// Why a download of `gzip` bytes, last measured at `current`, may not land, if it may not.
fn over_limit(gzip: u64, current: u64) -> Option<String> {
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
    let grown = current + GROWTH_ALLOWANCE_GZIP;
    if gzip > grown {
        return Some(format!(
            "{:.1} KB more than the last measured {:.1} KB (allowed: {:.0} KB); if the growth is \
             meant, update size::CURRENT_GZIP and say why in BENCHMARKS.md",
            (gzip - current) as f64 / 1000.0,
            current as f64 / 1000.0,
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
    fn every_host_has_a_figure() {
        for variant in widget::VARIANTS {
            assert!(current_gzip(variant.host).is_some(), "{}", variant.host);
        }
        assert_eq!(CURRENT_GZIP.len(), widget::VARIANTS.len());
    }

    #[test]
    fn the_limit_is_the_last_figure_plus_the_allowance_under_the_budget_once_met() {
        const { assert!(BUDGET_GZIP <= CEILING_GZIP) };
        for (_, current) in CURRENT_GZIP {
            let ceiling = over_limit(CEILING_GZIP + 1, current).unwrap();
            assert!(ceiling.contains("ceiling"), "{ceiling}");
            // Growth past the allowance (or the ceiling, whichever is lower) always fails, and says
            // what to do.
            let grown = over_limit(limit_gzip(current) + 1, current).unwrap();
            assert!(
                grown.contains("CURRENT_GZIP")
                    || grown.contains("budget")
                    || grown.contains("ceiling"),
                "{grown}"
            );
            if budget_met() {
                let over = over_limit(BUDGET_GZIP + 1, current).unwrap();
                assert!(over.contains("over the budget of 180 KB"), "{over}");
                assert!(limit_gzip(current) <= BUDGET_GZIP);
            } else {
                // Not met: the figure as measured passes (so the rest of the pipeline runs), a
                // byte of growth past the allowance does not.
                assert_eq!(over_limit(current, current), None);
                assert_eq!(
                    limit_gzip(current),
                    CEILING_GZIP.min(current + GROWTH_ALLOWANCE_GZIP)
                );
            }
        }
    }
}
