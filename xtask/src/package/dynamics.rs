//! The Dynamics 365 package: an unmanaged solution zip (`[Content_Types].xml`, `solution.xml`,
//! `customizations.xml`, `WebResources/...`) whose web resources carry the widget. There is no `.wasm`
//! web-resource type, so the module travels base64-encoded as the default export of a JavaScript web
//! resource that `loader.js` decodes and instantiates from bytes; a split module's chunks travel the
//! same way (`pkg/<chunk>.wasm.js`), and `loader.js` answers the split loader's fetch of
//! `pkg/<chunk>.wasm` from them.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{BackendUrl, Widget, with_backend, xml_escape};

/// The solution zip's file name in `dist/packages/`.
pub const PACKAGE_FILE: &str = "UcClientCRM_dynamics365.zip";
/// The solution's unique name.
pub const SOLUTION_UNIQUE_NAME: &str = "UcClientCRM";
/// The publisher's customization prefix: every web resource's name starts with `ucc_/`.
pub const PREFIX: &str = "ucc";
/// The folder of every web resource under the prefix.
pub const FOLDER: &str = "ucc_/ucclient";
/// The panel page: the channel provider's landing URL points here.
pub const PANEL: &str = "ucc_/ucclient/panel.html";
/// The web resource that carries the module, base64-encoded.
pub const WASM_JS: &str = "ucc_/ucclient/pkg/ucclient_widget_wasm.js";
/// Dynamics 365's default `MaxUploadFileSize`: the limit of one web resource.
pub const MAX_WEB_RESOURCE_BYTES: usize = 5 * 1024 * 1024;
/// Root-component type of a web resource in `solution.xml`.
pub const ROOT_COMPONENT_WEB_RESOURCE: u32 = 61;

/// Web-resource types of Dataverse (`WebResourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebResourceType {
    /// 1: a web page.
    Html = 1,
    /// 2: a style sheet.
    Css = 2,
    /// 3: a script.
    Js = 3,
    /// 11: a vector image.
    Svg = 11,
}

impl WebResourceType {
    /// The type for a file name's extension.
    pub fn for_name(name: &str) -> Option<WebResourceType> {
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "html" | "htm" => Some(WebResourceType::Html),
            "css" => Some(WebResourceType::Css),
            "js" => Some(WebResourceType::Js),
            "svg" => Some(WebResourceType::Svg),
            _ => None,
        }
    }
}

/// One web resource of the solution.
#[derive(Debug, Clone)]
pub struct WebResource {
    /// `ucc_/ucclient/...`: also its path under `WebResources/` in the zip.
    pub name: String,
    /// What an admin sees in the solution explorer.
    pub display_name: String,
    /// Its type.
    pub kind: WebResourceType,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl WebResource {
    /// The file's path inside the zip (`FileName` in customizations.xml without the leading `/`).
    pub fn zip_path(&self) -> String {
        format!("WebResources/{}", self.name)
    }
}

/// Whether `name` is a valid web-resource name: the prefix, then letters, digits, `_` and `.` in
/// segments separated by single `/`.
pub fn valid_web_resource_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(&format!("{PREFIX}_/")) else {
        return false;
    };
    name.len() <= 256
        && rest.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
}

/// A GUID derived from `name` (SHA-256, formatted as an RFC 9562 version-8 UUID), so that the same
/// web resource keeps its id across builds and imports.
pub fn guid_for(name: &str) -> String {
    let digest = Sha256::digest(format!("ucclient-crm/dynamics365/{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The solution version (`major.minor.build.revision`) for the workspace version.
pub fn solution_version() -> String {
    format!("{}.0", env!("CARGO_PKG_VERSION"))
}

/// Every web resource of the solution, sorted by name.
pub fn web_resources(
    templates: &Path,
    widget: &Widget,
    backend: &BackendUrl,
) -> Result<Vec<WebResource>> {
    let template = |file: &str| -> Result<Vec<u8>> {
        std::fs::read(templates.join("webresources").join(file))
            .with_context(|| format!("reading crm-packages/dynamics365/webresources/{file}"))
    };
    let mut list = vec![
        resource("panel.html", "UcClient CRM panel", template("panel.html")?),
        resource("loader.js", "UcClient CRM loader", template("loader.js")?),
        resource(
            "config.js",
            "UcClient CRM settings (backend URL)",
            with_backend(&template("config.js")?, backend, "config.js")?,
        ),
        resource("icon.svg", "UcClient CRM icon", template("icon.svg")?),
        resource("ucclient.css", "UcClient CRM styles", widget.css.clone()),
    ];
    for (path, bytes) in widget.pkg_files() {
        if path.ends_with(".wasm") && path != super::WASM_FILE {
            // A chunk of the split module, base64 in a script beside the name the split loader
            // fetches (`loader.js` answers that fetch from it).
            let header = format!(
                "// UcClient CRM lazily loaded WebAssembly chunk {path}, base64-encoded (no .wasm web-resource type).\n\
                 // Generated by `cargo xtask package`; loader.js answers the split loader's fetch of {path} from it.\n"
            );
            list.push(resource(
                &format!("pkg/{path}.js"),
                "UcClient CRM module chunk (WebAssembly in base64)",
                base64_script(&header, bytes),
            ));
        } else if path == super::WASM_FILE {
            let header = "// UcClient CRM WebAssembly module, base64-encoded: Dynamics 365 has no .wasm web-resource type.\n\
                 // Generated by `cargo xtask package`; loader.js decodes it and instantiates it from bytes.\n";
            list.push(resource(
                &WASM_JS[FOLDER.len() + 1..],
                "UcClient CRM module (WebAssembly in base64)",
                base64_script(header, bytes),
            ));
        } else {
            list.push(resource(
                &format!("pkg/{path}"),
                "UcClient CRM widget script",
                bytes.to_vec(),
            ));
        }
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    for r in &list {
        if !valid_web_resource_name(&r.name) {
            bail!("{} is not a valid web-resource name", r.name);
        }
        if r.bytes.len() > MAX_WEB_RESOURCE_BYTES {
            bail!(
                "web resource {} is {} bytes, over the {MAX_WEB_RESOURCE_BYTES}-byte default limit",
                r.name,
                r.bytes.len()
            );
        }
    }
    Ok(list)
}

/// A JavaScript web resource carrying `bytes` base64-encoded as its default export, after the
/// comment lines `header` (Dynamics 365 has no `.wasm` web-resource type: `loader.js` decodes it).
fn base64_script(header: &str, bytes: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("{header}export default \"{b64}\";\n").into_bytes()
}

fn resource(file: &str, display_name: &str, bytes: Vec<u8>) -> WebResource {
    let name = format!("{FOLDER}/{file}");
    WebResource {
        kind: WebResourceType::for_name(file).unwrap_or(WebResourceType::Js),
        display_name: display_name.to_owned(),
        name,
        bytes,
    }
}

/// `[Content_Types].xml`: every extension in the zip as an octet stream, as solution exports do.
pub fn content_types_xml(resources: &[WebResource]) -> String {
    let mut exts = std::collections::BTreeSet::from(["xml".to_owned()]);
    for r in resources {
        if let Some((_, ext)) = r.name.rsplit_once('.') {
            exts.insert(ext.to_owned());
        }
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\n",
    );
    for ext in exts {
        xml.push_str(&format!(
            "  <Default Extension=\"{}\" ContentType=\"application/octet-stream\" />\n",
            xml_escape(&ext)
        ));
    }
    xml.push_str("</Types>\n");
    xml
}

/// `solution.xml`: the manifest with the publisher (prefix `ucc`) and one root component per web resource.
pub fn solution_xml(resources: &[WebResource]) -> String {
    let version = solution_version();
    let mut roots = String::new();
    for r in resources {
        roots.push_str(&format!(
            "      <RootComponent type=\"{ROOT_COMPONENT_WEB_RESOURCE}\" schemaName=\"{}\" behavior=\"0\" />\n",
            xml_escape(&r.name)
        ));
    }
    let address = |n: u32| {
        let mut a = format!(
            "        <Address>\n          <AddressNumber>{n}</AddressNumber>\n          <AddressTypeCode>1</AddressTypeCode>\n"
        );
        for field in [
            "City",
            "County",
            "Country",
            "Fax",
            "FreightTermsCode",
            "ImportSequenceNumber",
            "Latitude",
            "Line1",
            "Line2",
            "Line3",
            "Longitude",
            "Name",
            "PostalCode",
            "PostOfficeBox",
            "PrimaryContactName",
            "ShippingMethodCode",
            "StateOrProvince",
            "Telephone1",
            "Telephone2",
            "Telephone3",
            "TimeZoneRuleVersionNumber",
            "UPSZone",
            "UTCOffset",
            "UTCConversionTimeZoneCode",
        ] {
            a.push_str(&format!("          <{field} xsi:nil=\"true\"></{field}>\n"));
        }
        a.push_str("        </Address>\n");
        a
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<ImportExportXml version=\"9.2.0.0\" SolutionPackageVersion=\"9.2\" languagecode=\"1033\" generatedBy=\"CrmLive\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\
  <SolutionManifest>\n\
    <UniqueName>{SOLUTION_UNIQUE_NAME}</UniqueName>\n\
    <LocalizedNames>\n\
      <LocalizedName description=\"UcClient CRM\" languagecode=\"1033\" />\n\
    </LocalizedNames>\n\
    <Descriptions>\n\
      <Description description=\"UcClient CRM telephony and presence panel for the Channel Integration Framework: click-to-act dialling, presence, call logging.\" languagecode=\"1033\" />\n\
    </Descriptions>\n\
    <Version>{version}</Version>\n\
    <Managed>0</Managed>\n\
    <Publisher>\n\
      <UniqueName>ucclient</UniqueName>\n\
      <LocalizedNames>\n\
        <LocalizedName description=\"UcClient\" languagecode=\"1033\" />\n\
      </LocalizedNames>\n\
      <Descriptions>\n\
        <Description description=\"Publisher of the UcClient unified-communications clients.\" languagecode=\"1033\" />\n\
      </Descriptions>\n\
      <EMailAddress xsi:nil=\"true\"></EMailAddress>\n\
      <SupportingWebsiteUrl xsi:nil=\"true\"></SupportingWebsiteUrl>\n\
      <CustomizationPrefix>{PREFIX}</CustomizationPrefix>\n\
      <CustomizationOptionValuePrefix>71650</CustomizationOptionValuePrefix>\n\
      <Addresses>\n{addresses}      </Addresses>\n\
    </Publisher>\n\
    <RootComponents>\n{roots}    </RootComponents>\n\
    <MissingDependencies />\n\
  </SolutionManifest>\n\
</ImportExportXml>\n",
        addresses = address(1) + &address(2),
    )
}

/// `customizations.xml`: every web resource, children in the order of `CustomizationsSolution.xsd`.
pub fn customizations_xml(resources: &[WebResource]) -> String {
    let version = solution_version();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<ImportExportXml xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" OrganizationVersion=\"9.2.0.0\" OrganizationSchemaType=\"Standard\">\n\
  <Entities></Entities>\n  <Roles></Roles>\n  <Workflows></Workflows>\n  <FieldSecurityProfiles></FieldSecurityProfiles>\n\
  <Templates />\n  <EntityMaps />\n  <EntityRelationships />\n  <OrganizationSettings />\n  <optionsets />\n  <CustomControls />\n\
  <WebResources>\n",
    );
    for r in resources {
        xml.push_str(&format!(
            "    <WebResource>\n\
      <WebResourceId>{id}</WebResourceId>\n\
      <Name>{name}</Name>\n\
      <DisplayName>{display}</DisplayName>\n\
      <WebResourceType>{kind}</WebResourceType>\n\
      <IntroducedVersion>{version}</IntroducedVersion>\n\
      <IsEnabledForMobileClient>0</IsEnabledForMobileClient>\n\
      <IsAvailableForMobileOffline>0</IsAvailableForMobileOffline>\n\
      <IsCustomizable>1</IsCustomizable>\n\
      <CanBeDeleted>1</CanBeDeleted>\n\
      <IsHidden>0</IsHidden>\n\
      <FileName>/{file}</FileName>\n\
    </WebResource>\n",
            id = guid_for(&r.name),
            name = xml_escape(&r.name),
            display = xml_escape(&r.display_name),
            kind = r.kind as u32,
            file = xml_escape(&r.zip_path()),
        ));
    }
    xml.push_str("  </WebResources>\n  <Languages>\n    <Language>1033</Language>\n  </Languages>\n</ImportExportXml>\n");
    xml
}

/// Builds the solution zip from the templates in `templates` (`crm-packages/dynamics365/`).
pub fn build(templates: &Path, widget: &Widget, backend: &BackendUrl) -> Result<Vec<u8>> {
    let resources = web_resources(templates, widget, backend)?;
    let mut entries = vec![
        (
            "[Content_Types].xml".to_owned(),
            content_types_xml(&resources).into_bytes(),
        ),
        (
            "customizations.xml".to_owned(),
            customizations_xml(&resources).into_bytes(),
        ),
        (
            "solution.xml".to_owned(),
            solution_xml(&resources).into_bytes(),
        ),
    ];
    for r in &resources {
        entries.push((r.zip_path(), r.bytes.clone()));
    }
    super::reproducible_zip(&entries)
}
