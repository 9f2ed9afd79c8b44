//! `cargo xtask package`: the installable CRM packages, built from the widget in `dist/widget/` and
//! the templates in `crm-packages/`:
//! - `dist/packages/UcClientWidget.resource` — the Salesforce static resource (a zip: boot script, CSS,
//!   wasm-bindgen glue and module), also copied into the SFDX project so it deploys from there;
//! - `dist/packages/UcClientCRM_salesforce.zip` — the SFDX project with that static resource inside;
//! - `dist/packages/UcClientVoice.resource` — the Salesforce Voice static resource (Salesforce's
//!   `scv-connector-base`, the connector shim and the widget's Salesforce Voice module), also inside
//!   the SFDX project beside the connector page, `ConversationVendorInfo` and contact center;
//! - `dist/packages/UcClientCRM_dynamics365.zip` — an importable Dynamics 365 solution whose web resources
//!   carry the widget (the module base64-encoded inside a JavaScript web resource).
//!
//! Every archive is reproducible byte for byte from the same inputs: entries in a fixed order, a fixed
//! timestamp (1980-01-01) and fixed permissions, and GUIDs derived from names. This module owns the
//! package formats; it never changes the widget or the templates it reads.

mod dynamics;
mod salesforce;
#[cfg(test)]
mod tests;
pub mod voice;
#[cfg(test)]
mod voice_tests;

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::project;

pub use voice::{
    LIBRARY_PACKAGE as VOICE_LIBRARY_PACKAGE, LIBRARY_VERSION as VOICE_LIBRARY_VERSION,
    library_path as voice_library_path,
};

/// The backend origin written into the packages when none is given; the admin guides say to change it.
pub const PLACEHOLDER_BACKEND_URL: &str = "https://ucclient.example.com";

/// The longest backend origin accepted (an origin, not a URL with a path).
const MAX_BACKEND_URL_LEN: usize = 200;

/// The largest widget file read (the whole widget's budget is 150 KB gzip; this only stops accidents).
const MAX_WIDGET_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Options of `cargo xtask package`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {
    /// The presence backend's origin (`https://host[:port]`), written into the CSP Trusted Site and the
    /// call center (Salesforce) and into `config.js` (Dynamics 365).
    #[arg(long, default_value = PLACEHOLDER_BACKEND_URL)]
    pub backend_url: String,
    /// Package the widget already in dist/widget/ instead of building it first.
    #[arg(long)]
    pub no_build: bool,
}

/// Writes both CRM packages into `dist/packages/` (building the widget first unless `--no-build`).
pub fn run(args: &PackageArgs) -> Result<()> {
    let backend = BackendUrl::parse(&args.backend_url)?;
    if !args.no_build {
        crate::widget::build(&crate::widget::BuildArgs::default())?;
    }
    let dist = project::dist_widget();
    let salesforce_widget = Widget::load(&dist, "salesforce/pkg")?;
    let dynamics_widget = Widget::load(&dist, "dynamics/pkg")?;
    let templates = project::root().join("crm-packages");
    let out = project::root().join("dist").join("packages");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let voice_widget = Widget::load(&dist, "salesforce-voice/pkg")?;
    let voice_resource = voice::static_resource(
        &templates.join("salesforce"),
        &voice_widget,
        &voice::library()?,
    )?;
    write(&out.join(voice::RESOURCE_FILE), &voice_resource)?;
    write(
        &templates.join("salesforce").join(voice::RESOURCE_PATH),
        &voice_resource,
    )?;
    let sf = salesforce::build_with_voice(
        &templates.join("salesforce"),
        &salesforce_widget,
        &backend,
        Some(&voice_resource),
    )?;
    write(&out.join(salesforce::RESOURCE_FILE), &sf.static_resource)?;
    write(&out.join(salesforce::PACKAGE_FILE), &sf.project_zip)?;
    // Beside the templates too, so that `sf project deploy start` works from crm-packages/salesforce.
    write(
        &templates.join("salesforce").join(salesforce::RESOURCE_PATH),
        &sf.static_resource,
    )?;

    let solution = dynamics::build(&templates.join("dynamics365"), &dynamics_widget, &backend)?;
    write(&out.join(dynamics::PACKAGE_FILE), &solution)?;

    for name in [
        voice::RESOURCE_FILE,
        salesforce::RESOURCE_FILE,
        salesforce::PACKAGE_FILE,
        dynamics::PACKAGE_FILE,
    ] {
        let len = fs::metadata(out.join(name))?.len();
        println!("wrote dist/packages/{name} ({len} bytes)");
    }
    println!(
        "Dynamics 365 channel provider landing URL: https://<org>/WebResources/{}",
        dynamics::PANEL
    );
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// A checked backend origin: `http(s)://host[:port]`, nothing that could break out of XML or JS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendUrl(String);

impl BackendUrl {
    /// Accepts an origin (a trailing `/` is dropped); refuses paths, queries, credentials, quotes,
    /// markup and whitespace, so the value can be written into XML and JavaScript as it is.
    pub fn parse(raw: &str) -> Result<BackendUrl> {
        let url = raw.trim().trim_end_matches('/');
        if url.is_empty() || url.len() > MAX_BACKEND_URL_LEN {
            bail!("--backend-url must be an origin of at most {MAX_BACKEND_URL_LEN} characters");
        }
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .context("--backend-url must start with https:// (or http:// for local tests)")?;
        let host_ok = !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            bail!(
                "--backend-url must be an origin like https://presence.example.com[:port] (no path, query or credentials)"
            );
        }
        Ok(BackendUrl(url.to_owned()))
    }

    /// The origin, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The built widget as the packages need it.
#[derive(Debug, Clone)]
pub struct Widget {
    /// wasm-bindgen's JS glue (`pkg/ucclient_widget.js`).
    pub glue_js: Vec<u8>,
    /// The WebAssembly module (`pkg/ucclient_widget_bg.wasm`).
    pub wasm: Vec<u8>,
    /// Further files the glue imports (`pkg/snippets/...`), by path relative to `pkg/`, sorted.
    pub snippets: Vec<(String, Vec<u8>)>,
    /// A split module's loader (`__wasm_split.js`) and lazily loaded chunks (`split_*.wasm`,
    /// `chunk_*.wasm`), by file name in `pkg/`, sorted; empty for a whole module.
    pub chunks: Vec<(String, Vec<u8>)>,
    /// Every stylesheet of the widget, concatenated in path order.
    pub css: Vec<u8>,
}

/// The glue's file name inside `pkg/`.
pub const GLUE_FILE: &str = "ucclient_widget.js";
/// The module's file name inside `pkg/`.
pub const WASM_FILE: &str = "ucclient_widget_bg.wasm";

impl Widget {
    /// Reads the widget that `cargo xtask build-widget` wrote into `dir`: the module in `dir/<pkg>`
    /// (each host's has only its own bridge: `salesforce/pkg`, `dynamics/pkg`) and the stylesheets
    /// outside every module directory.
    pub fn load(dir: &Path, pkg: &str) -> Result<Widget> {
        let pkg = dir.join(pkg);
        if !pkg.join(WASM_FILE).is_file() {
            bail!(
                "{} is missing: run `cargo xtask build-widget` first (or drop --no-build)",
                pkg.join(WASM_FILE).display()
            );
        }
        let glue_js = read_bounded(&pkg.join(GLUE_FILE))?;
        let wasm = read_bounded(&pkg.join(WASM_FILE))?;
        if !wasm.starts_with(b"\0asm") {
            bail!(
                "{} is not a WebAssembly module",
                pkg.join(WASM_FILE).display()
            );
        }
        let mut snippets = Vec::new();
        let snippet_dir = pkg.join("snippets");
        if snippet_dir.is_dir() {
            for file in sorted_files(&snippet_dir)? {
                if is_shipped(&file) {
                    let rel = relative(&pkg, &file)?;
                    snippets.push((rel, read_bounded(&file)?));
                }
            }
        }
        let mut chunks = Vec::new();
        for file in sorted_files(&pkg)? {
            let rel = relative(&pkg, &file)?;
            if is_shipped(&file) && is_split_file(&rel) {
                chunks.push((rel, read_bounded(&file)?));
            }
        }
        let mut css = Vec::new();
        for file in sorted_files(dir)? {
            let rel = relative(dir, &file)?;
            if rel.ends_with(".css") && !rel.split('/').any(|part| part == "pkg") {
                css.extend_from_slice(format!("/* {rel} */\n").as_bytes());
                css.extend_from_slice(&read_bounded(&file)?);
                css.push(b'\n');
            }
        }
        Ok(Widget {
            glue_js,
            wasm,
            snippets,
            chunks,
            css,
        })
    }

    /// The files of `pkg/` that ship, by path relative to `pkg/`, in a fixed order.
    pub fn pkg_files(&self) -> Vec<(String, &[u8])> {
        let mut files = vec![
            (GLUE_FILE.to_owned(), self.glue_js.as_slice()),
            (WASM_FILE.to_owned(), self.wasm.as_slice()),
        ];
        files.extend(self.snippets.iter().map(|(p, b)| (p.clone(), b.as_slice())));
        files.extend(self.chunks.iter().map(|(p, b)| (p.clone(), b.as_slice())));
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }
}

/// Whether `name` (relative to `pkg/`) is a file of a split module: wasm-split's loader or one of
/// its chunks, directly in `pkg/`.
pub fn is_split_file(name: &str) -> bool {
    !name.contains('/')
        && (name == "__wasm_split.js"
            || ((name.starts_with("split_") || name.starts_with("chunk_"))
                && name.ends_with(".wasm")))
}

/// Whether a built file ships (compressed copies and typings do not).
fn is_shipped(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !(name.ends_with(".gz")
        || name.ends_with(".br")
        || name.ends_with(".d.ts")
        || name == ".gitignore"
        || name == "package.json")
}

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let len = fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if len > MAX_WIDGET_FILE_BYTES {
        bail!(
            "{} is {len} bytes, over the {MAX_WIDGET_FILE_BYTES}-byte bound",
            path.display()
        );
    }
    fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Every file under `dir` (recursively), sorted by path.
fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `file` relative to `base`, with `/` separators.
fn relative(base: &Path, file: &Path) -> Result<String> {
    let rel = file
        .strip_prefix(base)
        .with_context(|| format!("{} is outside {}", file.display(), base.display()))?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// Writes a zip whose bytes depend only on `entries`: in the given order, deflated, dated
/// 1980-01-01 00:00, mode 0644, no extra fields.
pub fn reproducible_zip(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut seen = std::collections::BTreeSet::new();
    for (name, bytes) in entries {
        if !seen.insert(name.as_str()) {
            bail!("duplicate zip entry {name}");
        }
        zip.start_file(name.as_str(), options)
            .with_context(|| format!("adding {name}"))?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Escapes text for an XML element or attribute.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces the placeholder backend origin in a UTF-8 template; fails when the template lacks it
/// (a template edited so that the backend URL would silently not be set).
fn with_backend(template: &[u8], backend: &BackendUrl, what: &str) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(template).with_context(|| format!("{what} is not UTF-8"))?;
    if !text.contains(PLACEHOLDER_BACKEND_URL) {
        bail!("{what} no longer contains the placeholder {PLACEHOLDER_BACKEND_URL}");
    }
    Ok(text
        .replace(PLACEHOLDER_BACKEND_URL, backend.as_str())
        .into_bytes())
}
