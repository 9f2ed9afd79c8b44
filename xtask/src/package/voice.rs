//! The Salesforce Voice parts of the Salesforce package (partner telephony, the Open CTI successor):
//! the `UcClientVoice` static resource (Salesforce's `scv-connector-base` library as installed from npm
//! by `cargo xtask setup`, the connector shim of `crm-packages/salesforce/voice/` and the widget's
//! Salesforce Voice module), which the `UcClientVoiceConnector` Visualforce page loads; the page, the
//! `ConversationVendorInfo` and the contact-center template are templates of the SFDX project.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{Widget, reproducible_zip, salesforce};
use crate::project;

/// The pinned npm release of Salesforce's connector library (`cargo xtask setup` installs it).
pub const LIBRARY_VERSION: &str = "3.6.2";
/// The library's npm package.
pub const LIBRARY_PACKAGE: &str = "@salesforce/scv-connector-base";
/// The library's name inside the static resource (the page loads it by this name).
pub const LIBRARY_FILE: &str = "scv-connector-base.js";
/// The shim's path in the templates.
pub const SHIM_TEMPLATE: &str = "voice/connector.js";
/// The shim's name inside the static resource.
pub const SHIM_FILE: &str = "connector.js";
/// The static resource's file name in `dist/packages/`.
pub const RESOURCE_FILE: &str = "UcClientVoice.resource";
/// Where the static resource sits inside the SFDX project.
pub const RESOURCE_PATH: &str = "force-app/main/default/staticresources/UcClientVoice.resource";
/// The connector page inside the SFDX project.
pub const PAGE_PATH: &str = "force-app/main/default/pages/UcClientVoiceConnector.page";
/// The vendor information inside the SFDX project.
pub const VENDOR_PATH: &str = "force-app/main/default/ConversationVendorInformation/UcClientVoice.ConversationVendorInformation-meta.xml";
/// The contact-center definition template (its backend origin is filled in).
pub const CONTACT_CENTER_PATH: &str = "contactcenter/UcClientContactCenter.xml";

/// Where `cargo xtask setup` installs the library's browser build.
pub fn library_path() -> PathBuf {
    project::tools_dir()
        .join("node_modules")
        .join(LIBRARY_PACKAGE)
        .join("dist")
        .join(LIBRARY_FILE)
}

/// Reads the installed library.
pub fn library() -> Result<Vec<u8>> {
    let path = library_path();
    std::fs::read(&path).with_context(|| {
        format!(
            "reading {}: run `cargo xtask setup` (it installs {LIBRARY_PACKAGE} {LIBRARY_VERSION})",
            path.display()
        )
    })
}

/// The static resource's entries: the library, the shim and the CSS at the root, the Voice
/// module's glue and wasm under `pkg/`.
pub fn static_resource_entries(
    templates: &Path,
    widget: &Widget,
    library: &[u8],
) -> Result<Vec<(String, Vec<u8>)>> {
    let shim = std::fs::read(templates.join(SHIM_TEMPLATE))
        .with_context(|| format!("reading {SHIM_TEMPLATE}"))?;
    if !library.windows(16).any(|w| w == b"SCVConnectorBase") {
        bail!("{LIBRARY_FILE} is not the scv-connector-base browser build");
    }
    let mut entries = vec![
        (LIBRARY_FILE.to_owned(), library.to_vec()),
        (SHIM_FILE.to_owned(), shim),
        (salesforce::CSS_FILE.to_owned(), widget.css.clone()),
    ];
    for (path, bytes) in widget.pkg_files() {
        entries.push((format!("pkg/{path}"), bytes.to_vec()));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// The static resource zip, checked against Salesforce's limit; the project's Voice templates
/// (connector page, vendor information, contact center) must be there beside it.
pub fn static_resource(templates: &Path, widget: &Widget, library: &[u8]) -> Result<Vec<u8>> {
    for rel in [PAGE_PATH, VENDOR_PATH, CONTACT_CENTER_PATH] {
        if !templates.join(rel).is_file() {
            bail!("the Salesforce Voice template {rel} is missing");
        }
    }
    let zip = reproducible_zip(&static_resource_entries(templates, widget, library)?)?;
    if zip.len() > salesforce::MAX_STATIC_RESOURCE_BYTES {
        bail!(
            "the Voice static resource is {} bytes, over Salesforce's {}",
            zip.len(),
            salesforce::MAX_STATIC_RESOURCE_BYTES
        );
    }
    Ok(zip)
}
