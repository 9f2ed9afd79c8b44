//! The Salesforce package: the `UcClientWidget` static resource (a zip the Visualforce softphone page
//! loads the widget from) and the SFDX project of `crm-packages/salesforce/` zipped with that resource
//! inside and the backend origin filled in.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{BackendUrl, Widget, relative, reproducible_zip, sorted_files, with_backend};

/// The static resource's file name in `dist/packages/`.
pub const RESOURCE_FILE: &str = "UcClientWidget.resource";
/// The SFDX project zip's file name in `dist/packages/`.
pub const PACKAGE_FILE: &str = "UcClientCRM_salesforce.zip";
/// Where the static resource sits inside the SFDX project.
pub const RESOURCE_PATH: &str = "force-app/main/default/staticresources/UcClientWidget.resource";
/// The folder the project's files sit under inside the package zip.
pub const PROJECT_DIR: &str = "UcClientCRM_salesforce";
/// The boot script's path in the templates and its name at the root of the static resource.
pub const BOOT_TEMPLATE: &str = "boot/boot-salesforce.js";
/// The boot script's name inside the static resource (the page loads it by this name).
pub const BOOT_FILE: &str = "boot-salesforce.js";
/// The stylesheet's name inside the static resource (the page loads it by this name).
pub const CSS_FILE: &str = "ucclient.css";
/// Salesforce's limit for one static resource.
pub const MAX_STATIC_RESOURCE_BYTES: usize = 5 * 1024 * 1024;

/// Files of the project whose placeholder backend origin is replaced by the real one.
const FILES_WITH_BACKEND: [&str; 2] = [
    "callcenter/UcClientCallCenter.xml",
    "force-app/main/default/cspTrustedSites/UcClient_Backend.cspTrustedSite-meta.xml",
];

/// Both Salesforce artefacts.
#[derive(Debug)]
pub struct SalesforcePackage {
    /// The static resource zip.
    pub static_resource: Vec<u8>,
    /// The SFDX project zip (with the static resource).
    pub project_zip: Vec<u8>,
}

/// The static resource's entries: the boot script and the CSS at the root, the glue and module under `pkg/`.
pub fn static_resource_entries(
    templates: &Path,
    widget: &Widget,
) -> Result<Vec<(String, Vec<u8>)>> {
    let boot = std::fs::read(templates.join(BOOT_TEMPLATE))
        .with_context(|| format!("reading {BOOT_TEMPLATE}"))?;
    let mut entries = vec![
        (BOOT_FILE.to_owned(), boot),
        (CSS_FILE.to_owned(), widget.css.clone()),
    ];
    for (path, bytes) in widget.pkg_files() {
        entries.push((format!("pkg/{path}"), bytes.to_vec()));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// Builds the static resource and the project zip from the templates in `templates`
/// (`crm-packages/salesforce/`).
#[cfg(test)]
pub fn build(templates: &Path, widget: &Widget, backend: &BackendUrl) -> Result<SalesforcePackage> {
    build_with_voice(templates, widget, backend, None)
}

/// As [`build`], with the Salesforce Voice static resource (`super::voice`) added to the project
/// when given (the connector page, vendor information and contact center are templates).
pub fn build_with_voice(
    templates: &Path,
    widget: &Widget,
    backend: &BackendUrl,
    voice_resource: Option<&[u8]>,
) -> Result<SalesforcePackage> {
    let static_resource = reproducible_zip(&static_resource_entries(templates, widget)?)?;
    if static_resource.len() > MAX_STATIC_RESOURCE_BYTES {
        bail!(
            "the static resource is {} bytes, over Salesforce's {MAX_STATIC_RESOURCE_BYTES}",
            static_resource.len()
        );
    }

    let mut entries = Vec::new();
    for file in sorted_files(templates)? {
        let rel = relative(templates, &file)?;
        // The generated resource (when an earlier run left one) is replaced by this run's; git files stay out.
        if rel == RESOURCE_PATH || rel == ".gitignore" {
            continue;
        }
        // The Voice resource is this run's too; the shim's source ships inside it.
        if rel == super::voice::RESOURCE_PATH || rel == super::voice::SHIM_TEMPLATE {
            continue;
        }
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let bytes = if FILES_WITH_BACKEND.contains(&rel.as_str())
            || rel == super::voice::CONTACT_CENTER_PATH
        {
            with_backend(&bytes, backend, &rel)?
        } else {
            bytes
        };
        entries.push((format!("{PROJECT_DIR}/{rel}"), bytes));
    }
    entries.push((
        format!("{PROJECT_DIR}/{RESOURCE_PATH}"),
        static_resource.clone(),
    ));
    if let Some(voice) = voice_resource {
        entries.push((
            format!("{PROJECT_DIR}/{}", super::voice::RESOURCE_PATH),
            voice.to_vec(),
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let project_zip = reproducible_zip(&entries)?;
    Ok(SalesforcePackage {
        static_resource,
        project_zip,
    })
}
