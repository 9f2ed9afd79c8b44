//! The hosted CRM adapter pages (`/crm/salesforce`, `/crm/dynamics`): served with the widget from the
//! static directory and the packages' boot scripts, a strict Content-Security-Policy naming only this
//! backend and the checked org, and a 400 page (no script at all) for an org that is missing, malformed
//! or not registered (the demo registers Acme's `acme` / `https://acme.crm4.dynamics.com` and Globex's
//! `globex` / `https://globex.crm2.dynamics.com`; the operator's `--cors-origin` list is allowed too).
//! `/crm/salesforce-voice` is the Salesforce Voice connector page: library, shim and Voice module all
//! from this backend, the org (`?org=`) only as the page's framer.

mod common;

use axum::http::{Method, StatusCode};
use common::{Answer, TestApp};

/// A backend with a small stand-in widget in its static directory and a local test org allowed:
/// the standalone module in `pkg/`, and one module per CRM (`salesforce/pkg/`, `dynamics/pkg/`),
/// told apart by their glue's text and their bytes.
async fn hosted() -> (TestApp, tempfile::TempDir) {
    let widget = tempfile::tempdir().unwrap();
    std::fs::write(widget.path().join("widget.css"), "body{margin:0}").unwrap();
    for (pkg, extra) in [
        ("pkg", b'S'),
        ("salesforce/pkg", b'F'),
        ("dynamics/pkg", b'D'),
        ("salesforce-voice/pkg", b'V'),
    ] {
        let dir = widget.path().join(pkg);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ucclient_widget.js"),
            format!("export default async function init() {{}} // {pkg}"),
        )
        .unwrap();
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.push(extra);
        std::fs::write(dir.join("ucclient_widget_bg.wasm"), wasm).unwrap();
    }
    // Salesforce's and Dynamics' modules are split (issue 17): their loaders and chunks sit beside them.
    for pkg in ["salesforce/pkg", "dynamics/pkg"] {
        let dir = widget.path().join(pkg);
        std::fs::write(dir.join("__wasm_split.js"), "export const loader = 1;").unwrap();
        std::fs::write(dir.join("split_act_42.wasm"), b"\0asm act").unwrap();
        std::fs::write(dir.join("chunk_8.wasm"), b"\0asm shared").unwrap();
    }
    std::fs::write(
        widget.path().join("salesforce-voice/scv-connector-base.js"),
        "window.SCVConnectorBase = {}; // the library",
    )
    .unwrap();
    let dir = widget.path().to_owned();
    let app = TestApp::demo_with(move |c| {
        c.static_dir = Some(dir);
        c.cors_origins = vec!["http://127.0.0.1:4000".to_owned()];
    })
    .await;
    (app, widget)
}

async fn fetch(app: &TestApp, path: &str) -> Answer {
    app.send(Method::GET, path, None, None).await
}

fn csp(answer: &Answer) -> String {
    answer
        .headers
        .get("content-security-policy")
        .expect("a Content-Security-Policy header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every `src="…"` of the page.
fn script_sources(html: &str) -> Vec<String> {
    html.split("<script")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let start = tag.find("src=\"")? + 5;
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn salesforce_page_loads_open_cti_from_the_org_and_the_widget_from_here() {
    let (app, _widget) = hosted().await;
    let page = fetch(
        &app,
        "/crm/salesforce?mode=Lightning&sfdcIFrameOrigin=https%3A%2F%2Facme.lightning.force.com",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        script_sources(&page.text),
        [
            "https://acme.lightning.force.com/support/api/62.0/lightning/opencti_min.js",
            "/crm/salesforce/boot-salesforce.js",
        ]
    );
    assert!(page.text.contains("id=\"ucclient-root\""));
    // The org the widget names at sign-in (crm_origin).
    assert!(
        page.text.contains(
            "<meta name=\"ucclient-crm-url\" content=\"https://acme.lightning.force.com\">"
        )
    );
    let policy = csp(&page);
    assert!(
        policy.contains("script-src 'self' https://acme.lightning.force.com 'wasm-unsafe-eval';"),
        "{policy}"
    );
    assert!(policy.contains("connect-src 'self';"), "{policy}");
    assert!(
        policy.contains("frame-ancestors https://acme.lightning.force.com;"),
        "{policy}"
    );
    assert!(policy.contains("default-src 'none'"), "{policy}");

    // The boot script is the package's, and what it imports is served beside it: the module built
    // with the Salesforce bridge only.
    let boot = fetch(&app, "/crm/salesforce/boot-salesforce.js").await;
    assert_eq!(boot.status, StatusCode::OK);
    assert!(boot.text.contains("salesforce_prepare"));
    assert!(boot.text.contains("./pkg/ucclient_widget.js"));
    let glue = fetch(&app, "/crm/salesforce/pkg/ucclient_widget.js").await;
    assert_eq!(glue.status, StatusCode::OK);
    assert!(glue.text.ends_with("// salesforce/pkg"), "{}", glue.text);
    let wasm = fetch(&app, "/crm/salesforce/pkg/ucclient_widget_bg.wasm").await;
    assert_eq!(wasm.headers["content-type"], "application/wasm");
    assert_eq!(wasm.text, "\0asm\u{1}\0\0\0F");
    // The split module's loader and chunks, the chunks as application/wasm (the loader streams them).
    let loader = fetch(&app, "/crm/salesforce/pkg/__wasm_split.js").await;
    assert_eq!(loader.status, StatusCode::OK);
    assert_eq!(
        loader.headers["content-type"],
        "text/javascript; charset=utf-8"
    );
    for (file, body) in [
        ("split_act_42.wasm", "\0asm act"),
        ("chunk_8.wasm", "\0asm shared"),
    ] {
        let chunk = fetch(&app, &format!("/crm/salesforce/pkg/{file}")).await;
        assert_eq!(chunk.status, StatusCode::OK, "{file}");
        assert_eq!(chunk.headers["content-type"], "application/wasm");
        assert_eq!(chunk.text, body);
    }
    // Dynamics' loader reads a chunk as a script carrying it in base64 (no .wasm web resource).
    let chunk_js = fetch(&app, "/crm/dynamics/pkg/split_act_42.wasm.js").await;
    assert_eq!(chunk_js.status, StatusCode::OK);
    assert_eq!(
        chunk_js.headers["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(chunk_js.text, "export default \"AGFzbSBhY3Q=\";\n");
    // Another module's page has none; a name that is not a chunk is not served.
    for path in [
        "/crm/salesforce-voice/pkg/split_act_42.wasm",
        "/crm/salesforce/pkg/split_act_43.wasm",
        "/crm/dynamics/pkg/ucclient_widget_bg.wasm.js",
        "/crm/salesforce/pkg/ucclient_widget.d.ts",
    ] {
        assert_eq!(
            fetch(&app, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        fetch(&app, "/crm/ucclient.css").await.text,
        "body{margin:0}"
    );
    assert_eq!(
        fetch(&app, "/crm/salesforce/pkg/..%2Fwidget.css")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn dynamics_page_names_the_org_for_the_cif_library() {
    let (app, _widget) = hosted().await;
    let page = fetch(&app, "/crm/dynamics?org=acme.crm4.dynamics.com").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(
            "<meta name=\"ucclient-crm-url\" content=\"https://acme.crm4.dynamics.com\">"
        )
    );
    assert_eq!(script_sources(&page.text), ["/crm/dynamics/loader.js"]);
    let policy = csp(&page);
    assert!(
        policy.contains("script-src 'self' https://acme.crm4.dynamics.com 'wasm-unsafe-eval';"),
        "{policy}"
    );
    assert!(
        policy.contains("frame-ancestors https://acme.crm4.dynamics.com;"),
        "{policy}"
    );

    // The solution's loader, its config (this backend) and the module carried in JavaScript.
    // They sit beside the module built with the Dynamics bridge only.
    let loader = fetch(&app, "/crm/dynamics/loader.js").await;
    assert!(loader.text.contains("dynamics_prepare"));
    assert!(
        fetch(&app, "/crm/dynamics/config.js")
            .await
            .text
            .contains("backendUrl: ''")
    );
    let glue = fetch(&app, "/crm/dynamics/pkg/ucclient_widget.js").await;
    assert!(glue.text.ends_with("// dynamics/pkg"), "{}", glue.text);
    let wasm_js = fetch(&app, "/crm/dynamics/pkg/ucclient_widget_wasm.js").await;
    assert_eq!(wasm_js.text, "export default \"AGFzbQEAAABE\";\n");
    // The old shared paths are gone.
    assert_eq!(
        fetch(&app, "/crm/pkg/ucclient_widget.js").await.status,
        StatusCode::NOT_FOUND
    );

    // An org from the CORS allow-list is accepted too (local emulated hosts use http).
    let local = fetch(&app, "/crm/dynamics?org=http%3A%2F%2F127.0.0.1%3A4000").await;
    assert_eq!(local.status, StatusCode::OK);
    assert!(csp(&local).contains("script-src 'self' http://127.0.0.1:4000 'wasm-unsafe-eval';"));
}

#[tokio::test]
async fn a_bad_org_gets_a_400_page_that_loads_no_script() {
    let (app, _widget) = hosted().await;
    for path in [
        "/crm/salesforce",
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Fevil.example",
        "/crm/salesforce?sfdcIFrameOrigin=http%3A%2F%2F127.0.0.1%3A4001",
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Facme.lightning.force.com%2F%22%3E%3Cscript%3E",
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Facme.crm4.dynamics.com",
        // Orgs of the right shape that nobody registered (a free developer org among them).
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Fnobody.lightning.force.com",
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Fsomeone-dev-ed.develop.lightning.force.com",
        "/crm/dynamics?org=contoso.crm4.dynamics.com",
        "/crm/dynamics",
        "/crm/dynamics?org=evil.example",
        "/crm/dynamics?org=https%3A%2F%2Facme.lightning.force.com",
        "/crm/dynamics?org=javascript%3Aalert(1)",
    ] {
        let page = fetch(&app, path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            page.text.contains("UcClient CRM cannot open here"),
            "{path}"
        );
        assert!(page.text.contains("register"), "{path}");
        assert!(!page.text.contains("<script"), "{path}: {}", page.text);
        assert!(
            !page.text.contains("evil"),
            "{path}: the bad value is not echoed"
        );
        assert!(csp(&page).starts_with("default-src 'none'"), "{path}");
    }
}

#[tokio::test]
async fn every_origin_of_a_registered_org_opens_its_page() {
    let (app, _widget) = hosted().await;
    for org in [
        "https://acme.my.salesforce.com",
        "https://acme--c.vf.force.com",
        "https://acme--uat.sandbox.lightning.force.com",
        "https://acme.develop.lightning.force.com",
        "https://globex.lightning.force.com",
    ] {
        let page = fetch(&app, &format!("/crm/salesforce?sfdcIFrameOrigin={org}")).await;
        assert_eq!(page.status, StatusCode::OK, "{org}");
        assert!(
            csp(&page).contains(&format!("frame-ancestors {org};")),
            "{org}"
        );
    }
    let page = fetch(&app, "/crm/dynamics?org=https://globex.crm2.dynamics.com").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_static_dir_the_pages_say_there_is_no_widget() {
    let app = TestApp::demo_with(|c| c.static_dir = None).await;
    let page = fetch(
        &app,
        "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Facme.lightning.force.com",
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("--static-dir"));
}

// --- voice-demo: the hosted Salesforce Voice connector page ---

/// `GET path` with a `Host` header (the page names this backend from it without `--public-url`).
async fn fetch_from(app: &TestApp, path: &str, host: &str) -> Answer {
    let req = axum::http::Request::builder()
        .uri(path)
        .header("host", host)
        .body(axum::body::Body::empty())
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn voice_connector_page_loads_the_library_the_shim_and_the_voice_module_from_here() {
    let (app, _widget) = hosted().await;
    let page = fetch_from(
        &app,
        "/crm/salesforce-voice?org=https%3A%2F%2Facme.lightning.force.com",
        "127.0.0.1:8080",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(
        script_sources(&page.text),
        [
            "/crm/salesforce-voice/scv-connector-base.js",
            "/crm/salesforce-voice/connector.js",
        ]
    );
    assert!(page.text.contains("data-host=\"salesforce-voice\""));
    assert!(
        page.text.contains(
            "<meta name=\"ucclient-crm-url\" content=\"https://acme.lightning.force.com\">"
        )
    );
    // The backend the widget talks to is this one (from Host; http only for a loopback name).
    assert!(
        page.text
            .contains("<meta name=\"ucclient-backend-url\" content=\"http://127.0.0.1:8080\">"),
        "{}",
        page.text
    );
    let policy = csp(&page);
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{policy}"
    );
    assert!(policy.contains("connect-src 'self';"), "{policy}");
    assert!(
        policy.contains("frame-ancestors https://acme.lightning.force.com;"),
        "{policy}"
    );
    let public = fetch_from(
        &app,
        "/crm/salesforce-voice?org=acme.lightning.force.com",
        "ucclient.example.com",
    )
    .await;
    assert!(
        public
            .text
            .contains("content=\"https://ucclient.example.com\""),
        "{}",
        public.text
    );

    // The package's shim, the library from the static directory, the module built for Voice.
    let shim = fetch(&app, "/crm/salesforce-voice/connector.js").await;
    assert_eq!(shim.status, StatusCode::OK);
    assert!(shim.text.contains("initializeConnector"));
    assert!(shim.text.contains("./pkg/ucclient_widget.js"));
    let library = fetch(&app, "/crm/salesforce-voice/scv-connector-base.js").await;
    assert_eq!(library.status, StatusCode::OK);
    assert!(
        library.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(library.text.contains("SCVConnectorBase"));
    let glue = fetch(&app, "/crm/salesforce-voice/pkg/ucclient_widget.js").await;
    assert!(
        glue.text.ends_with("// salesforce-voice/pkg"),
        "{}",
        glue.text
    );
    let wasm = fetch(&app, "/crm/salesforce-voice/pkg/ucclient_widget_bg.wasm").await;
    assert_eq!(wasm.headers["content-type"], "application/wasm");
    assert_eq!(wasm.text, "\0asm\u{1}\0\0\0V");

    // A bad or unregistered org, or none: the refusal page, no script.
    for path in [
        "/crm/salesforce-voice",
        "/crm/salesforce-voice?org=https%3A%2F%2Fevil.example",
        "/crm/salesforce-voice?org=https%3A%2F%2Fnobody.lightning.force.com",
        "/crm/salesforce-voice?org=https%3A%2F%2Facme.crm4.dynamics.com",
        "/crm/salesforce-voice?org=https%3A%2F%2Facme.lightning.force.com%22%3E%3Cscript%3E",
    ] {
        let page = fetch_from(&app, path, "127.0.0.1:8080").await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(page.text.contains("Salesforce Voice"), "{path}");
        assert!(!page.text.contains("<script"), "{path}");
    }
}
