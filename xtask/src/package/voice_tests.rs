//! Package-structure tests of the Salesforce Voice parts, as `tests.rs` checks the Open CTI parts: the
//! real templates around a stand-in widget and library, read back and parsed.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use super::{BackendUrl, Widget, salesforce, voice};
use crate::project;

const LIBRARY: &[u8] = b"!function(t,e){t.SCVConnectorBase=e()}(this,function(){});";

fn widget() -> Widget {
    Widget {
        glue_js: b"export function voice_init() {}\nexport default async function init() {}\n"
            .to_vec(),
        wasm: b"\0asm\x01\0\0\0 stand-in voice module".to_vec(),
        snippets: Vec::new(),
        chunks: Vec::new(),
        css: b".ucclient { color: black; }\n".to_vec(),
    }
}

fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        files.insert(name, content);
    }
    files
}

fn templates() -> std::path::PathBuf {
    project::root().join("crm-packages").join("salesforce")
}

fn package() -> (Vec<u8>, BTreeMap<String, Vec<u8>>) {
    let resource = voice::static_resource(&templates(), &widget(), LIBRARY).unwrap();
    let backend = BackendUrl::parse("https://presence.acme.example:8443").unwrap();
    let sf =
        salesforce::build_with_voice(&templates(), &widget(), &backend, Some(&resource)).unwrap();
    (resource, unzip(&sf.project_zip))
}

fn project_text(project: &BTreeMap<String, Vec<u8>>, rel: &str) -> String {
    let name = format!("{}/{rel}", salesforce::PROJECT_DIR);
    String::from_utf8(
        project
            .get(&name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone(),
    )
    .unwrap()
}

#[test]
fn the_connector_page_loads_the_library_the_shim_and_the_css_from_the_voice_resource() {
    let (resource_zip, project) = package();
    let resource = unzip(&resource_zip);
    let page = project_text(&project, voice::PAGE_PATH);
    assert!(page.starts_with("<apex:page cspHeader=\"true\""));
    assert!(page.trim_end().ends_with("</apex:page>"));
    assert!(
        !page.contains("opencti"),
        "Salesforce Voice does not use Open CTI"
    );
    let referenced: Vec<&str> = page
        .split("{!URLFOR($Resource.UcClientVoice, '")
        .skip(1)
        .map(|s| s.split_once('\'').unwrap().0)
        .collect();
    assert_eq!(
        referenced,
        [salesforce::CSS_FILE, voice::LIBRARY_FILE, voice::SHIM_FILE],
        "the stylesheet, then the library (a classic script), then the shim (a module)"
    );
    for file in &referenced {
        assert!(
            resource.contains_key(*file),
            "{file} absent from the resource"
        );
    }
    let library_tag = page.find("scv-connector-base.js").unwrap();
    let shim_tag = page.find("connector.js'").unwrap();
    assert!(library_tag < shim_tag, "the library loads before the shim");
    assert!(
        page.contains("type=\"module\" src=\"{!URLFOR($Resource.UcClientVoice, 'connector.js')}\"")
    );
    assert_eq!(resource["pkg/ucclient_widget_bg.wasm"], widget().wasm);
    assert_eq!(resource[voice::LIBRARY_FILE], LIBRARY);
    let shim = String::from_utf8(resource[voice::SHIM_FILE].clone()).unwrap();
    assert!(shim.contains("import('./pkg/ucclient_widget.js')"));
    // The split module's chunks load whatever content type the static resource gives them.
    assert!(shim.contains("WebAssembly.instantiateStreaming ="));
    assert!(shim.contains("arrayBuffer()"));
    assert!(shim.contains("S.initializeConnector(new UcClientConnector())"));
    assert!(shim.contains("extends S.VendorConnector"));
    // The resource is in the project, the shim's source is not (it ships inside the resource).
    assert_eq!(
        project[&format!("{}/{}", salesforce::PROJECT_DIR, voice::RESOURCE_PATH)],
        resource_zip
    );
    assert!(!project.contains_key(&format!(
        "{}/{}",
        salesforce::PROJECT_DIR,
        voice::SHIM_TEMPLATE
    )));
    let meta = project_text(
        &project,
        "force-app/main/default/staticresources/UcClientVoice.resource-meta.xml",
    );
    assert!(meta.contains("<contentType>application/zip</contentType>"));
}

#[test]
fn the_vendor_information_points_at_the_connector_page() {
    let (_, project) = package();
    let xml = project_text(&project, voice::VENDOR_PATH);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "ConversationVendorInfo");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://soap.sforce.com/2006/04/metadata")
    );
    let field = |tag: &str| {
        root.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .unwrap_or_else(|| panic!("{tag} missing"))
    };
    assert_eq!(field("connectorUrl"), "/apex/UcClientVoiceConnector");
    assert_eq!(field("developerName"), "UcClientVoice");
    assert_eq!(field("vendorType"), "ServiceCloudVoicePartner");
    assert!(["Custom", "SSO"].contains(&field("clientAuthMode")));
    assert!(voice::PAGE_PATH.ends_with(&format!(
        "{}.page",
        field("connectorUrl").trim_start_matches("/apex/")
    )));
}

#[test]
fn the_contact_center_names_the_vendor_the_page_and_the_backend() {
    let (_, project) = package();
    let xml = project_text(&project, voice::CONTACT_CENTER_PATH);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let item = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("item") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("item {name} missing"))
            .text()
            .unwrap_or("")
            .to_owned()
    };
    let internal = item("reqInternalName");
    assert!(internal.len() <= 40 && internal.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(internal.starts_with(|c: char| c.is_ascii_alphabetic()));
    assert_eq!(item("reqVendorInfoApiName"), "UcClientVoice");
    assert_eq!(item("reqAdapterUrl"), "/apex/UcClientVoiceConnector");
    assert_eq!(item("backendUrl"), "https://presence.acme.example:8443");
    // Present and empty: the administrator pastes the backend's certificate.
    assert_eq!(item("reqTelephonyIntegrationCertificate"), "");
}

#[test]
fn a_file_that_is_not_the_library_is_refused() {
    assert!(voice::static_resource(&templates(), &widget(), b"console.log(1)").is_err());
    let a = voice::static_resource(&templates(), &widget(), LIBRARY).unwrap();
    let b = voice::static_resource(&templates(), &widget(), LIBRARY).unwrap();
    assert_eq!(a, b, "reproducible byte for byte");
}
