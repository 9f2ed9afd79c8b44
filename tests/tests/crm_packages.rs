//! Scenario 6 on the packages `cargo xtask package` actually wrote from the built widget (the format
//! tests with a stand-in widget live in `xtask/src/package/tests.rs`): each package carries the module
//! built for its CRM (with that CRM's bridge and not the other's), every web resource exists and is
//! within the 5 MB limit, and the root components match.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use ucclient_e2e::crm::{packages_dir, unzip};
use ucclient_e2e::widget_dist;

fn read(name: &str) -> Result<Vec<u8>> {
    std::fs::read(packages_dir().join(name))
        .with_context(|| format!("{name}: run `cargo xtask package`"))
}

fn attr_values<'a>(xml: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    xml.split(open)
        .skip(1)
        .filter_map(|s| s.split_once(close).map(|(v, _)| v))
        .collect()
}

#[test]
fn each_package_carries_its_own_crms_module_and_every_web_resource_is_within_limits() -> Result<()>
{
    let project = unzip(&read("UcClientCRM_salesforce.zip")?)?;
    let resource = unzip(
        project
            .get("UcClientCRM_salesforce/force-app/main/default/staticresources/UcClientWidget.resource")
            .context("static resource in the project")?,
    )?;
    assert_eq!(
        Some(&read("UcClientWidget.resource")?),
        project.get(
            "UcClientCRM_salesforce/force-app/main/default/staticresources/UcClientWidget.resource"
        )
    );
    let wasm = resource
        .get("pkg/ucclient_widget_bg.wasm")
        .context("module in the static resource")?;
    assert!(wasm.starts_with(b"\0asm"));

    let solution = unzip(&read("UcClientCRM_dynamics365.zip")?)?;
    let custom = String::from_utf8(solution["customizations.xml"].clone())?;
    let manifest = String::from_utf8(solution["solution.xml"].clone())?;
    let files = attr_values(&custom, "<FileName>/", "</FileName>");
    assert!(files.len() >= 7, "{files:?}");
    for f in &files {
        let bytes = solution
            .get(*f)
            .with_context(|| format!("{f} referenced, not in the zip"))?;
        assert!(
            !bytes.is_empty() && bytes.len() <= 5 * 1024 * 1024,
            "{f}: {} bytes",
            bytes.len()
        );
    }
    let names: BTreeSet<&str> = attr_values(&custom, "<Name>", "</Name>")
        .into_iter()
        .collect();
    let roots: BTreeSet<&str> = attr_values(&manifest, "schemaName=\"", "\"")
        .into_iter()
        .collect();
    assert_eq!(names, roots);

    let js = String::from_utf8(
        solution["WebResources/ucc_/ucclient/pkg/ucclient_widget_wasm.js"].clone(),
    )?;
    let b64 = js
        .split("export default \"")
        .nth(1)
        .and_then(|s| s.split_once('"'))
        .context("base64")?
        .0;
    let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)?;
    let dist = widget_dist()?;
    let built = |path: &str| std::fs::read(dist.join(path)).with_context(|| path.to_owned());
    assert!(
        wasm == &built("salesforce/pkg/ucclient_widget_bg.wasm")?,
        "the Salesforce package carries the module built for Salesforce"
    );
    assert!(
        decoded == built("dynamics/pkg/ucclient_widget_bg.wasm")?,
        "the Dynamics solution carries the module built for Dynamics 365"
    );
    assert_ne!(&decoded, wasm);
    // Each glue exports its own CRM's start-up and not the other's.
    let sf_glue = String::from_utf8(resource["pkg/ucclient_widget.js"].clone())?;
    let dyn_glue =
        String::from_utf8(solution["WebResources/ucc_/ucclient/pkg/ucclient_widget.js"].clone())?;
    assert!(sf_glue.contains("salesforce_prepare") && !sf_glue.contains("dynamics_prepare"));
    assert!(dyn_glue.contains("dynamics_prepare") && !dyn_glue.contains("salesforce_prepare"));
    Ok(())
}
