//! The hosted shape of issue 5, end to end: the backend serves `/crm/salesforce` and `/crm/dynamics`
//! itself (widget from its static directory, the packages' boot scripts), and the pages load the org's
//! libraries — the emulated Open CTI and CIF of `tests/hosts/`, from the emulated org's origin, which
//! the backend allows — under the pages' strict Content-Security-Policy; each page's split module
//! fetches a lazy panel's chunk from the backend (Dynamics' as the script carrying it in base64). Needs `cargo xtask package`
//! (the emulated org site is built from the packages) and the built widget (`UCCLIENT_WIDGET_DIST`).

use anyhow::Result;
use ucclient_e2e::crm::{
    DemoBackend, DynamicsOptions, HostOptions, HostSite, SalesforceOptions, directory_chunk_loads,
    packages_dir, sign_in_here, wait_js,
};
use ucclient_e2e::{screenshot, widget_dist, with_browsers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_pages_run_the_widget_with_the_orgs_libraries() -> Result<()> {
    let widget = widget_dist()?;
    let (listener, org) = HostSite::bind().await?;
    let backend = DemoBackend::start_with(&org, |c| c.static_dir = Some(widget)).await?;
    let options = HostOptions {
        backend_url: backend.url.clone(),
        salesforce: SalesforceOptions::default(),
        dynamics: DynamicsOptions::default(),
        extra_pages: Vec::new(),
    };
    let _site = HostSite::start(listener, &packages_dir(), &options).await?;
    with_browsers(2, 300, 640, async |b| {
        let (sf, dy) = (&b[0].client, &b[1].client);

        // Salesforce: Open CTI from the org (the only other script origin the CSP allows).
        sf.goto(&format!(
            "{}/crm/salesforce?mode=Lightning&sfdcIFrameOrigin={org}",
            backend.url
        ))
        .await?;
        wait_js(
            sf,
            "window.__opencti && window.__opencti.callsOf('getCallCenterSettings').length > 0",
        )
        .await?;
        sign_in_here(sf, "ana@acme.example").await?;
        wait_js(
            sf,
            "window.__opencti.state.clickToDialEnabled && window.__opencti.state.initialized",
        )
        .await?;
        wait_js(
            sf,
            "window.__opencti.callsOf('setSoftphoneItemLabel').length > 0",
        )
        .await?;
        screenshot(sf, "crm-hosted-salesforce").await?;
        // Its module is split (issue 17): a lazy panel's chunk comes from the backend, as
        // `application/wasm`, under the page's CSP — the Directory tab's, first opened now.
        directory_chunk_loads(
            sf,
            r"\/crm\/salesforce\/pkg\/split_directory_panel_\w+\.wasm$",
        )
        .await?;

        // Dynamics: the bridge loads CIF from the org the page names, not from the backend.
        dy.goto(&format!("{}/crm/dynamics?org={org}", backend.url))
            .await?;
        let src = wait_js(
            dy,
            "document.querySelector('script[data-cifid=CIFMainLibrary]')?.src",
        )
        .await?;
        anyhow::ensure!(
            src.as_str()
                .is_some_and(|s| s == format!("{org}/webresources/Widget/msdyn_ciLibrary.js")),
            "CIF loaded from {src}"
        );
        wait_js(
            dy,
            &format!("document.querySelector('script[data-cifid]').dataset.crmurl === '{org}'"),
        )
        .await?;
        sign_in_here(dy, "bruno@acme.example").await?;
        wait_js(
            dy,
            "window.__cif && window.__cif.callsOf('setClickToAct').length > 0",
        )
        .await?;
        screenshot(dy, "crm-hosted-dynamics").await?;
        // Its split module's chunk comes through the loader, as the script carrying it in base64.
        directory_chunk_loads(
            dy,
            r"\/crm\/dynamics\/pkg\/split_directory_panel_\w+\.wasm\.js$",
        )
        .await?;
        Ok(())
    })
    .await
}
