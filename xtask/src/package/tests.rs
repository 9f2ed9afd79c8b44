//! Package-structure tests: the real templates of `crm-packages/` packed around a small stand-in widget
//! (the formats do not depend on the module's content), read back with the `zip` reader and parsed
//! with `roxmltree`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use base64::Engine as _;

use super::dynamics::{self, WebResourceType};
use super::salesforce;
use super::*;

/// The order `CustomizationsSolution.xsd` requires for a `WebResource`'s children.
const XSD_WEB_RESOURCE_SEQUENCE: [&str; 15] = [
    "WebResourceId",
    "Name",
    "DisplayName",
    "Description",
    "SilverlightVersion",
    "LanguageCode",
    "WebResourceType",
    "IntroducedVersion",
    "IsEnabledForMobileClient",
    "IsAvailableForMobileOffline",
    "DependencyXml",
    "IsCustomizable",
    "CanBeDeleted",
    "IsHidden",
    "FileName",
];

fn templates() -> PathBuf {
    project::root().join("crm-packages")
}

fn widget() -> Widget {
    Widget {
        glue_js: b"export function mount() {}\nexport default async function init() {}\n".to_vec(),
        wasm: b"\0asm\x01\0\0\0 stand-in module bytes \xff\xfe".to_vec(),
        snippets: Vec::new(),
        chunks: Vec::new(),
        css: b".ucclient { color: black; }\n".to_vec(),
    }
}

fn backend() -> BackendUrl {
    BackendUrl::parse("https://presence.acme.example:8443").unwrap()
}

/// Every entry of a zip, by name, in archive order kept in the Vec and content in the map.
fn unzip(bytes: &[u8]) -> (Vec<String>, BTreeMap<String, Vec<u8>>) {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
    let mut order = Vec::new();
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        assert_eq!(
            entry
                .last_modified()
                .map(|t| (t.year(), t.month(), t.day())),
            Some((1980, 1, 1)),
            "{name} must carry the fixed timestamp"
        );
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        order.push(name.clone());
        files.insert(name, content);
    }
    (order, files)
}

fn text(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        files
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone(),
    )
    .unwrap()
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, tag: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(tag))
        .and_then(|c| c.text())
}

// ---------------------------------------------------------------- Salesforce

fn salesforce_package() -> salesforce::SalesforcePackage {
    salesforce::build(&templates().join("salesforce"), &widget(), &backend()).unwrap()
}

fn project_file(files: &BTreeMap<String, Vec<u8>>, rel: &str) -> String {
    text(files, &format!("{}/{rel}", salesforce::PROJECT_DIR))
}

#[test]
fn every_xml_file_of_the_salesforce_project_is_well_formed() {
    let (_, files) = unzip(&salesforce_package().project_zip);
    let xml: Vec<_> = files.keys().filter(|n| n.ends_with(".xml")).collect();
    assert!(
        xml.len() >= 5,
        "call center, page, resource, permission set, CSP site: {xml:?}"
    );
    for name in xml {
        let content = text(&files, name);
        roxmltree::Document::parse(&content).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // sfdx-project.json is checked textually: xtask carries no JSON parser.
    let project = project_file(&files, "sfdx-project.json");
    assert!(
        project.contains("\"path\": \"force-app\"") && project.contains("\"sourceApiVersion\"")
    );
}

#[test]
fn the_call_center_has_every_required_item_with_a_valid_value() {
    let (_, files) = unzip(&salesforce_package().project_zip);
    let xml = project_file(&files, "callcenter/UcClientCallCenter.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name("callCenter"));
    let mut items = BTreeMap::new();
    let mut section_orders = BTreeSet::new();
    for section in root.children().filter(|n| n.has_tag_name("section")) {
        let name = section.attribute("name").expect("section name");
        assert!(
            section.attribute("label").is_some(),
            "section {name} needs a label"
        );
        assert!(section_orders.insert(section.attribute("sortOrder").expect("sortOrder")));
        let mut orders = BTreeSet::new();
        for item in section.children().filter(|n| n.has_tag_name("item")) {
            let item_name = item.attribute("name").expect("item name");
            assert!(
                item.attribute("label").is_some(),
                "{item_name} needs a label"
            );
            assert!(orders.insert(item.attribute("sortOrder").expect("sortOrder")));
            items.insert(
                format!("/{name}/{item_name}"),
                item.text().unwrap_or("").to_owned(),
            );
        }
    }
    let get = |key: &str| {
        items
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .as_str()
    };

    let internal = get("/reqGeneralInfo/reqInternalName");
    assert!(internal.len() <= 40 && internal.starts_with(|c: char| c.is_ascii_alphabetic()));
    assert!(internal.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(!get("/reqGeneralInfo/reqDisplayName").trim().is_empty());
    let adapter = get("/reqGeneralInfo/reqAdapterUrl");
    assert_eq!(adapter, "/apex/UcClientSoftphone");
    let page = adapter.trim_start_matches("/apex/");
    assert!(files.contains_key(&format!(
        "{}/force-app/main/default/pages/{page}.page",
        salesforce::PROJECT_DIR
    )));
    assert_eq!(get("/reqGeneralInfo/reqUseApi"), "true");
    let height: u32 = get("/reqGeneralInfo/reqSoftphoneHeight").parse().unwrap();
    let width: u32 = get("/reqGeneralInfo/reqSoftphoneWidth").parse().unwrap();
    assert!(
        (240..=2560).contains(&height),
        "Open CTI panel height range"
    );
    assert!((200..=1920).contains(&width), "Open CTI panel width range");
    assert!(
        ["Lightning", "Classic_and_Lightning"]
            .contains(&get("/reqGeneralInfo/reqSalesforceCompatibilityMode"))
    );
    let timeout: u32 = get("/reqGeneralInfo/reqTimeout").parse().unwrap();
    assert!(timeout > 0);
    assert_eq!(get("/ucClientSettings/backendUrl"), backend().as_str());
    assert!(["true", "false"].contains(&get("/ucClientSettings/logCalls")));
}

#[test]
fn the_softphone_page_loads_open_cti_from_the_org_and_the_widget_from_the_static_resource() {
    let sf = salesforce_package();
    let (_, project) = unzip(&sf.project_zip);
    let (_, resource) = unzip(&sf.static_resource);
    let page = project_file(
        &project,
        "force-app/main/default/pages/UcClientSoftphone.page",
    );
    assert!(page.starts_with("<apex:page cspHeader=\"true\""));
    for attribute in [
        "showHeader=\"false\"",
        "sidebar=\"false\"",
        "standardStylesheets=\"false\"",
    ] {
        assert!(page.contains(attribute), "{attribute}");
    }
    assert!(page.trim_end().ends_with("</apex:page>"));
    let opencti = page
        .split("src=\"/support/api/")
        .nth(1)
        .expect("opencti_min.js loaded relative from the org");
    let (version, rest) = opencti.split_once(".0/lightning/").unwrap();
    assert!(version.parse::<u32>().unwrap() >= 45);
    assert!(rest.starts_with("opencti_min.js\""));

    let referenced: Vec<&str> = page
        .split("{!URLFOR($Resource.UcClientWidget, '")
        .skip(1)
        .map(|s| s.split_once('\'').unwrap().0)
        .collect();
    assert!(referenced.contains(&salesforce::BOOT_FILE));
    assert!(referenced.contains(&salesforce::CSS_FILE));
    for file in referenced {
        assert!(
            resource.contains_key(file),
            "the page loads {file}, absent from the static resource"
        );
    }
    let boot = text(&resource, salesforce::BOOT_FILE);
    assert!(boot.contains("import('./pkg/ucclient_widget.js')"));
    assert!(boot.contains("host: 'salesforce'"));
    assert!(
        !boot.contains("sforce.opencti"),
        "only the widget's bridge touches Open CTI"
    );
    assert_eq!(resource["pkg/ucclient_widget_bg.wasm"], widget().wasm);
    assert_eq!(resource["pkg/ucclient_widget.js"], widget().glue_js);
    let meta = project_file(
        &project,
        "force-app/main/default/staticresources/UcClientWidget.resource-meta.xml",
    );
    assert!(meta.contains("<contentType>application/zip</contentType>"));
    assert_eq!(
        project[&format!("{}/{}", salesforce::PROJECT_DIR, salesforce::RESOURCE_PATH)],
        sf.static_resource
    );
}

/// A split module (issue 17: Salesforce's, with the softphone): the loader and every chunk ship in
/// the static resource beside the module, and the boot script gives the loader's
/// `instantiateStreaming` the fallback a `.wasm` not served as `application/wasm` needs.
#[test]
fn a_split_module_ships_its_chunks_and_the_boot_script_their_fallback() {
    let mut split = widget();
    split.chunks = vec![
        ("__wasm_split.js".into(), b"export const x = 1;\n".to_vec()),
        ("chunk_1.wasm".into(), b"\0asm chunk".to_vec()),
        ("split_act_1.wasm".into(), b"\0asm act".to_vec()),
    ];
    let sf = salesforce::build(&templates().join("salesforce"), &split, &backend()).unwrap();
    let (_, resource) = unzip(&sf.static_resource);
    for (name, bytes) in &split.chunks {
        assert_eq!(&resource[&format!("pkg/{name}")], bytes, "{name}");
    }
    let boot = text(&resource, salesforce::BOOT_FILE);
    assert!(
        boot.contains("WebAssembly.instantiateStreaming ="),
        "{boot}"
    );
    assert!(boot.contains("arrayBuffer()"), "{boot}");
    // Dynamics 365 has no .wasm web resource: each chunk is a script carrying it in base64, beside
    // the name the split loader fetches, and the loader answers that fetch from it.
    let resources =
        dynamics::web_resources(&templates().join("dynamics365"), &split, &backend()).unwrap();
    let named = |n: &str| {
        resources
            .iter()
            .find(|r| r.name == format!("{}/{n}", dynamics::FOLDER))
            .unwrap_or_else(|| panic!("no web resource {n}"))
    };
    for (name, bytes) in &split.chunks {
        if let Some(stem) = name.strip_suffix(".wasm") {
            let r = named(&format!("pkg/{stem}.wasm.js"));
            assert_eq!(r.kind, dynamics::WebResourceType::Js);
            let text = String::from_utf8(r.bytes.clone()).unwrap();
            let b64 = text.split('"').nth(1).unwrap();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert_eq!(&decoded, bytes, "{name}");
        } else {
            assert_eq!(&named(&format!("pkg/{name}")).bytes, bytes, "{name}");
        }
    }
    assert!(!resources.iter().any(|r| r.name.ends_with(".wasm")));
    let loader = String::from_utf8(named("loader.js").bytes.clone()).unwrap();
    assert!(loader.contains("window.fetch ="), "{loader}");
    assert!(loader.contains(".wasm.js"), "{loader}");
}

#[test]
fn only_split_files_count_as_chunks() {
    for name in ["__wasm_split.js", "chunk_8.wasm", "split_act_1794.wasm"] {
        assert!(super::is_split_file(name), "{name}");
    }
    for name in [
        "ucclient_widget_bg.wasm",
        "ucclient_widget.js",
        "snippets/chunk_1.wasm",
        "split_act.js",
    ] {
        assert!(!super::is_split_file(name), "{name}");
    }
}

#[test]
fn the_csp_trusted_site_and_permission_set_allow_what_the_softphone_needs() {
    let (_, files) = unzip(&salesforce_package().project_zip);
    let csp = project_file(
        &files,
        "force-app/main/default/cspTrustedSites/UcClient_Backend.cspTrustedSite-meta.xml",
    );
    let doc = roxmltree::Document::parse(&csp).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name("CspTrustedSite"));
    assert_eq!(child_text(root, "endpointUrl"), Some(backend().as_str()));
    assert_eq!(child_text(root, "isActive"), Some("true"));
    assert_eq!(child_text(root, "isApplicableToConnectSrc"), Some("true"));

    let perms = project_file(
        &files,
        "force-app/main/default/permissionsets/UcClient_CRM_User.permissionset-meta.xml",
    );
    let doc = roxmltree::Document::parse(&perms).unwrap();
    let page_access = doc
        .descendants()
        .find(|n| n.has_tag_name("pageAccesses"))
        .expect("page access");
    assert_eq!(
        child_text(page_access, "apexPage"),
        Some("UcClientSoftphone")
    );
    assert_eq!(child_text(page_access, "enabled"), Some("true"));
}

// ---------------------------------------------------------------- Dynamics 365

fn solution() -> (Vec<String>, BTreeMap<String, Vec<u8>>) {
    unzip(&dynamics::build(&templates().join("dynamics365"), &widget(), &backend()).unwrap())
}

#[test]
fn the_solution_zip_has_the_manifest_files_first_and_every_xml_well_formed() {
    let (order, files) = solution();
    assert_eq!(
        &order[..3],
        ["[Content_Types].xml", "customizations.xml", "solution.xml"]
    );
    for name in &order[..3] {
        roxmltree::Document::parse(&text(&files, name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let types = text(&files, "[Content_Types].xml");
    for name in &order {
        let ext = name.rsplit_once('.').unwrap().1;
        assert!(
            types.contains(&format!("Extension=\"{ext}\"")),
            "[Content_Types].xml lacks .{ext}"
        );
    }
}

#[test]
fn solution_root_components_match_the_web_resources_of_customizations() {
    let (_, files) = solution();
    let solution = text(&files, "solution.xml");
    let doc = roxmltree::Document::parse(&solution).unwrap();
    let manifest = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("SolutionManifest"))
        .expect("SolutionManifest");
    assert_eq!(
        child_text(manifest, "UniqueName"),
        Some(dynamics::SOLUTION_UNIQUE_NAME)
    );
    assert_eq!(child_text(manifest, "Managed"), Some("0"));
    let version = child_text(manifest, "Version").unwrap();
    assert_eq!(
        version
            .split('.')
            .filter(|p| p.parse::<u32>().is_ok())
            .count(),
        4
    );
    let publisher = manifest
        .children()
        .find(|n| n.has_tag_name("Publisher"))
        .unwrap();
    assert_eq!(
        child_text(publisher, "CustomizationPrefix"),
        Some(dynamics::PREFIX)
    );
    assert!(
        manifest
            .children()
            .any(|n| n.has_tag_name("MissingDependencies"))
    );
    let roots: BTreeSet<String> = manifest
        .descendants()
        .filter(|n| n.has_tag_name("RootComponent"))
        .map(|n| {
            assert_eq!(n.attribute("type"), Some("61"));
            n.attribute("schemaName").unwrap().to_owned()
        })
        .collect();

    let custom = text(&files, "customizations.xml");
    let doc = roxmltree::Document::parse(&custom).unwrap();
    let resources: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("WebResource"))
        .collect();
    let names: BTreeSet<String> = resources
        .iter()
        .map(|r| child_text(*r, "Name").unwrap().to_owned())
        .collect();
    assert_eq!(roots, names);
    assert_eq!(names.len(), resources.len(), "no web resource twice");
    assert!(names.contains(dynamics::PANEL) && names.contains(dynamics::WASM_JS));
}

#[test]
fn every_web_resource_follows_the_xsd_order_exists_and_is_within_limits() {
    let (_, files) = solution();
    let custom = text(&files, "customizations.xml");
    let doc = roxmltree::Document::parse(&custom).unwrap();
    let mut ids = BTreeSet::new();
    for r in doc.descendants().filter(|n| n.has_tag_name("WebResource")) {
        let children: Vec<&str> = r
            .children()
            .filter(|c| c.is_element())
            .map(|c| c.tag_name().name())
            .collect();
        let positions: Vec<usize> = children
            .iter()
            .map(|c| {
                XSD_WEB_RESOURCE_SEQUENCE
                    .iter()
                    .position(|s| s == c)
                    .unwrap_or_else(|| panic!("{c} is not a WebResource child"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "order: {children:?}"
        );
        assert_eq!(&children[..2], ["WebResourceId", "Name"]);

        let name = child_text(r, "Name").unwrap();
        assert!(dynamics::valid_web_resource_name(name), "{name}");
        let id = child_text(r, "WebResourceId").unwrap();
        assert!(
            id.len() == 38 && id.starts_with('{') && id.ends_with('}'),
            "{id}"
        );
        assert!(ids.insert(id.to_owned()), "GUIDs are unique");
        let file = child_text(r, "FileName").unwrap();
        let content = files
            .get(file.trim_start_matches('/'))
            .unwrap_or_else(|| panic!("{file} referenced but not in the zip"));
        assert!(!content.is_empty() && content.len() <= dynamics::MAX_WEB_RESOURCE_BYTES);
        let kind: u32 = child_text(r, "WebResourceType").unwrap().parse().unwrap();
        assert_eq!(
            Some(kind),
            WebResourceType::for_name(name).map(|k| k as u32),
            "{name}"
        );
    }
    assert!(ids.len() >= 7);
}

#[test]
fn the_panel_and_loader_reference_only_web_resources_of_the_solution() {
    let (_, files) = solution();
    let panel = text(&files, &format!("WebResources/{}", dynamics::PANEL));
    let folder = format!("WebResources/{}/", dynamics::FOLDER);
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        refs.extend(
            panel
                .split(attr)
                .skip(1)
                .map(|s| s.split_once('"').unwrap().0.to_owned()),
        );
    }
    assert!(refs.contains(&"loader.js".to_owned()) && refs.contains(&"ucclient.css".to_owned()));
    let loader = text(&files, &format!("{folder}loader.js"));
    refs.extend(
        loader
            .split("import('./")
            .skip(1)
            .map(|s| s.split_once('\'').unwrap().0.to_owned()),
    );
    assert!(refs.len() >= 6, "{refs:?}");
    for r in refs {
        assert!(
            files.contains_key(&format!("{folder}{r}")),
            "{r} is not a web resource"
        );
    }
    assert!(loader.contains("host: 'dynamics'"));
    assert!(!loader.contains("CIFramework") && !loader.contains("Xrm."));
    let config = text(&files, &format!("{folder}config.js"));
    assert!(config.contains(backend().as_str()) && !config.contains(PLACEHOLDER_BACKEND_URL));
}

#[test]
fn the_module_inside_the_javascript_web_resource_decodes_to_the_exact_wasm() {
    let (_, files) = solution();
    let js = text(&files, &format!("WebResources/{}", dynamics::WASM_JS));
    let b64 = js
        .split("export default \"")
        .nth(1)
        .and_then(|s| s.split_once('"'))
        .unwrap()
        .0;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(bytes, widget().wasm);
    assert!(
        !files.keys().any(|n| n.ends_with(".wasm")),
        "no .wasm web-resource type exists"
    );
}

#[test]
fn guids_are_stable_and_differ_by_name() {
    let a = dynamics::guid_for(dynamics::PANEL);
    assert_eq!(a, dynamics::guid_for(dynamics::PANEL));
    assert_ne!(a, dynamics::guid_for(dynamics::WASM_JS));
    assert_eq!(&a[15..16], "8", "version-8 UUID: {a}");
}

#[test]
fn web_resource_names_are_checked() {
    assert!(dynamics::valid_web_resource_name(
        "ucc_/ucclient/pkg/ucclient_widget.js"
    ));
    for bad in [
        "new_/x.js",
        "ucc_//x.js",
        "ucc_/a b.js",
        "ucc_/x-y.js",
        "ucc_/",
    ] {
        assert!(!dynamics::valid_web_resource_name(bad), "{bad}");
    }
}

#[test]
fn an_oversized_web_resource_is_refused() {
    let mut big = widget();
    big.css = vec![b' '; dynamics::MAX_WEB_RESOURCE_BYTES + 1];
    let err = dynamics::build(&templates().join("dynamics365"), &big, &backend()).unwrap_err();
    assert!(err.to_string().contains("ucclient.css"), "{err}");
}

// ---------------------------------------------------------------- both

#[test]
fn packages_are_reproducible_byte_for_byte() {
    let sf1 = salesforce_package();
    let sf2 = salesforce_package();
    assert_eq!(sf1.static_resource, sf2.static_resource);
    assert_eq!(sf1.project_zip, sf2.project_zip);
    let d = || dynamics::build(&templates().join("dynamics365"), &widget(), &backend()).unwrap();
    assert_eq!(d(), d());
    // ... and they do depend on their inputs.
    let other = BackendUrl::parse("https://other.example").unwrap();
    let d_other = dynamics::build(&templates().join("dynamics365"), &widget(), &other).unwrap();
    assert_ne!(d(), d_other);
}

#[test]
fn only_backend_origins_are_accepted() {
    assert_eq!(
        BackendUrl::parse(" https://presence.example.com/ ")
            .unwrap()
            .as_str(),
        "https://presence.example.com"
    );
    assert!(BackendUrl::parse("http://127.0.0.1:8080").is_ok());
    for bad in [
        "",
        "presence.example.com",
        "ftp://x",
        "https://",
        "https://x/path",
        "https://user:pw@x",
        "https://x?q=1",
        "https://x\"><script>",
        "https://x'",
        &format!("https://{}.example", "a".repeat(200)),
    ] {
        assert!(BackendUrl::parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn a_template_without_the_placeholder_is_an_error_not_a_silent_default() {
    let err = with_backend(
        b"<endpointUrl>https://fixed.example</endpointUrl>",
        &backend(),
        "x.xml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("placeholder"));
}
