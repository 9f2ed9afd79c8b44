//! The administration page's files at `/admin`: served from `--admin-dir` with a strict
//! Content-Security-Policy and no framing, and a plain 404 that says how to build it when missing.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;

fn get(uri: &str) -> Request<Body> {
    Request::builder().uri(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_built_page_is_served_with_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>admin page</html>").unwrap();
    std::fs::create_dir(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/ucclient_admin.js"), "export {}").unwrap();
    let admin_dir = dir.path().to_owned();
    let app = TestApp::demo_with(move |c| c.admin_dir = Some(admin_dir)).await;

    for uri in ["/admin", "/admin/", "/admin/index.html"] {
        let page = app.request(get(uri)).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.text.contains("admin page"), "{uri}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
    }
    let glue = app.request(get("/admin/pkg/ucclient_admin.js")).await;
    assert_eq!(glue.status, StatusCode::OK);
    assert!(
        glue.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(
        app.request(get("/admin/nothing.js")).await.status,
        StatusCode::NOT_FOUND
    );
    // The API under /api/v1/admin is not the page.
    let api = app.request(get("/api/v1/admin/orgs")).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_built_page_admin_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().to_owned();
    let app = TestApp::demo_with(move |c| c.admin_dir = Some(empty)).await;
    let page = app.request(get("/admin")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.text.contains("cargo xtask build-admin"),
        "{}",
        page.text
    );
    assert!(page.headers.contains_key("content-security-policy"));
}
