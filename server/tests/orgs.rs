//! Which CRM orgs may embed the widget: only registered orgs (and the operator's `--cors-origin`
//! list) pass CORS; a sign-in from an org registered to another customer is refused with
//! `org_not_allowed`; customer administrators register orgs through `/api/v1/admin/orgs` and the
//! operator through `ucclient-server org …`, both taking effect in a running server; the static
//! demo pages carry `frame-ancestors`. The demo registers Acme's Salesforce My Domain `acme` and
//! Dynamics org `https://acme.crm4.dynamics.com`, and Globex's `globex` and
//! `https://globex.crm2.dynamics.com`.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, TestApp};
use serde_json::{Value, json};
use ucclient_core::api::Role;

async fn preflight(app: &TestApp, origin: &str) -> Option<String> {
    let req = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/v1/login")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let a = app.request(req).await;
    a.headers
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn login_from(app: &TestApp, who: &str, origin: Option<&str>, body_extra: Value) -> Answer {
    let mut body = json!({"email": common::email(who), "password": "demo"});
    if let (Some(b), Some(extra)) = (body.as_object_mut(), body_extra.as_object()) {
        b.extend(extra.clone());
    }
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/login")
        .header("content-type", "application/json");
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    app.request(req.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn cors_allows_registered_orgs_and_the_operators_list_only() {
    let app = TestApp::demo_with(|c| c.cors_origins = vec!["http://127.0.0.1:4000".into()]).await;
    for allowed in [
        "https://acme.lightning.force.com",
        "https://acme--c.vf.force.com",
        "https://acme--uat.sandbox.lightning.force.com",
        "https://acme--uat--c.sandbox.vf.force.com",
        "https://acme.develop.my.salesforce.com",
        "https://acme.crm4.dynamics.com",
        "https://globex.lightning.force.com",
        "http://127.0.0.1:4000",
    ] {
        assert_eq!(
            preflight(&app, allowed).await.as_deref(),
            Some(allowed),
            "{allowed}"
        );
    }
    for refused in [
        // Any other org of the right shape: a free developer org, an unregistered customer.
        "https://someone-dev-ed.develop.lightning.force.com",
        "https://nobody.lightning.force.com",
        "https://nobody.crm4.dynamics.com",
        // Acme's My Domain on another region's Dynamics host is another org.
        "https://acme.crm.dynamics.com",
        "http://acme.lightning.force.com",
        "https://evil.example",
        "http://127.0.0.1:4001",
    ] {
        assert_eq!(preflight(&app, refused).await, None, "{refused}");
    }
}

#[tokio::test]
async fn a_sign_in_from_an_org_of_another_customer_is_refused_with_a_clear_message() {
    let app = TestApp::demo().await;
    // API.md's body alone still signs in.
    assert_eq!(
        login_from(&app, "ana", None, json!({})).await.status,
        StatusCode::OK
    );
    // From the customer's own orgs, by Origin or by crm_origin.
    for (origin, extra) in [
        (Some("https://acme--c.vf.force.com"), json!({})),
        (Some("https://acme.crm4.dynamics.com"), json!({})),
        (
            None,
            json!({"crm_origin": "https://acme.lightning.force.com"}),
        ),
        (
            Some("http://127.0.0.1:8080"),
            json!({"crm_origin": "https://acme--uat.sandbox.lightning.force.com"}),
        ),
        // An origin of no registered org is not refused here (CORS and the pages keep it out).
        (None, json!({"crm_origin": "http://127.0.0.1:4000"})),
    ] {
        let a = login_from(&app, "ana", origin, extra.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{origin:?} {extra}: {}", a.text);
    }
    // From Globex's orgs: refused, however the org is named.
    for (origin, extra) in [
        (Some("https://globex.lightning.force.com"), json!({})),
        (Some("https://globex.crm2.dynamics.com"), json!({})),
        (
            None,
            json!({"crm_origin": "https://globex--c.vf.force.com"}),
        ),
        (
            Some("https://acme.lightning.force.com"),
            json!({"crm_origin": "https://globex.my.salesforce.com"}),
        ),
    ] {
        let a = login_from(&app, "ana", origin, extra.clone()).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{origin:?} {extra}");
        assert_eq!(a.code(), "org_not_allowed");
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains("registered to another company"),
            "{}",
            a.text
        );
        assert!(a.body.get("token").is_none());
    }
    // Globex's own users are welcome there.
    let a = login_from(
        &app,
        "dora",
        Some("https://globex.lightning.force.com"),
        json!({}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    // A wrong password says nothing about orgs.
    let mut wrong = json!({"email": "ana@acme.example", "password": "nope"});
    wrong["crm_origin"] = json!("https://globex.lightning.force.com");
    let a = app
        .send(Method::POST, "/api/v1/login", None, Some(wrong))
        .await;
    assert_eq!(a.code(), "invalid_credentials");
    // crm_origin is bounded and must be an origin.
    for bad in [
        json!({"crm_origin": "globex.lightning.force.com"}),
        json!({"crm_origin": "https://globex.lightning.force.com/x"}),
        json!({"crm_origin": format!("https://{}.example", "a".repeat(200))}),
        json!({"crm_origin": ""}),
    ] {
        // A well-formed body whose value is not an origin: 422, as schema-valid data gets.
        let a = login_from(&app, "ana", None, bad.clone()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(a.code(), "invalid_org");
    }
    let a = login_from(&app, "ana", None, json!({"crm_origin": 5})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "bad_request");
}

#[tokio::test]
async fn customer_admins_register_list_and_remove_their_orgs_only() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await; // Acme's customer admin
    let bruno = app.login("bruno").await; // Acme, not an admin
    app.state
        .store
        .set_role("dora", Role::CustomerAdmin)
        .await
        .unwrap();
    let dora = app.login("dora").await; // Globex's admin now

    // Not an admin: 403 forbidden on every operation.
    for a in [
        app.get("/api/v1/admin/orgs", &bruno).await,
        app.post(
            "/api/v1/admin/orgs",
            &bruno,
            json!({"crm": "salesforce", "org": "initech"}),
        )
        .await,
        app.delete("/api/v1/admin/orgs/acme-salesforce", &bruno)
            .await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert_eq!(a.code(), "forbidden");
    }
    let anonymous = app
        .send(Method::GET, "/api/v1/admin/orgs", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Each admin sees their own customer's orgs only.
    let listed = app.get("/api/v1/admin/orgs", &ana).await;
    assert_eq!(listed.status, StatusCode::OK);
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme-salesforce", "acme-dynamics"]);
    let sf = &listed.body[0];
    assert_eq!(sf["crm"], "salesforce");
    assert_eq!(sf["org"], "acme");
    assert!(
        sf["origins"]
            .as_array()
            .unwrap()
            .contains(&json!("https://acme--*.sandbox.lightning.force.com"))
    );
    let globex = app.get("/api/v1/admin/orgs", &dora).await;
    assert!(!globex.text.contains("acme"), "{}", globex.text);

    // Register a sandbox-bearing org with an org id; it is live at once.
    assert_eq!(
        preflight(&app, "https://initech--uat.sandbox.lightning.force.com").await,
        None
    );
    let added = app
        .post(
            "/api/v1/admin/orgs",
            &ana,
            json!({"crm": "salesforce", "org": "https://Initech.my.salesforce.com/", "org_id": "00D000000000062"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["org"], "initech");
    assert_eq!(added.body["org_id"], "00D000000000062EAA");
    let initech = added.body["id"].as_str().unwrap().to_owned();
    assert!(
        preflight(&app, "https://initech--uat.sandbox.lightning.force.com")
            .await
            .is_some()
    );

    // One org belongs to one customer: Globex cannot take it (nor its org id), Acme not twice.
    for (token, body) in [
        (&dora, json!({"crm": "salesforce", "org": "initech"})),
        (&ana, json!({"crm": "salesforce", "org": "initech"})),
        (
            &dora,
            json!({"crm": "salesforce", "org": "hooli", "org_id": "00D000000000062EAA"}),
        ),
        (
            &dora,
            json!({"crm": "dynamics", "org": "https://acme.crm4.dynamics.com"}),
        ),
    ] {
        let a = app.post("/api/v1/admin/orgs", token, body.clone()).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{body}");
        assert_eq!(a.code(), "org_taken");
    }

    // Globex cannot remove Acme's org: 404 as for an unknown id, and it stays.
    let a = app
        .delete(&format!("/api/v1/admin/orgs/{initech}"), &dora)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        preflight(&app, "https://initech.lightning.force.com")
            .await
            .is_some()
    );
    // Acme removes it: refused at once.
    let a = app
        .delete(&format!("/api/v1/admin/orgs/{initech}"), &ana)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        preflight(&app, "https://initech.lightning.force.com").await,
        None
    );
    let again = app
        .delete(&format!("/api/v1/admin/orgs/{initech}"), &ana)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.code(), "not_found");
}

#[tokio::test]
async fn registrations_are_validated_with_clear_errors_and_bounded_per_customer() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    for body in [
        json!({"crm": "salesforce", "org": ""}),
        json!({"crm": "salesforce", "org": "acme--uat"}),
        json!({"crm": "salesforce", "org": "https://evil.example"}),
        json!({"crm": "salesforce", "org": "x".repeat(201)}),
        json!({"crm": "salesforce", "org": "initech", "org_id": "005000000000062"}),
        json!({"crm": "salesforce", "org": "initech", "org_id": "00D000000000062XXX"}),
        json!({"crm": "dynamics", "org": "http://initech.crm4.dynamics.com"}),
        json!({"crm": "dynamics", "org": "https://initech.dynamics.com"}),
        json!({"crm": "dynamics", "org": "https://initech.crm4.dynamics.com", "org_id": "00D000000000062"}),
    ] {
        let a = app.post("/api/v1/admin/orgs", &ana, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        assert_eq!(a.code(), "invalid_org");
        assert!(a.body["message"].as_str().unwrap().len() > 20, "{}", a.text);
    }
    for body in [
        json!({"crm": "hubspot", "org": "initech"}),
        json!({"crm": "salesforce"}),
        json!({"crm": "salesforce", "org": "initech", "admin": true}),
    ] {
        let a = app.post("/api/v1/admin/orgs", &ana, body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(a.code(), "bad_request");
    }
    // The demo gave Acme 2; fill up to the bound, then one more is refused.
    let max = ucclient_server::orgs::MAX_ORGS_PER_CUSTOMER;
    for i in 2..max {
        let a = app
            .post(
                "/api/v1/admin/orgs",
                &ana,
                json!({"crm": "dynamics", "org": format!("https://org{i}.crm4.dynamics.com")}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{i}: {}", a.text);
    }
    let a = app
        .post(
            "/api/v1/admin/orgs",
            &ana,
            json!({"crm": "salesforce", "org": "onetoomany"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.code(), "too_many_orgs");
    assert_eq!(
        app.get("/api/v1/admin/orgs", &ana)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        max
    );
}

///
/// Async, so the in-process server keeps running on the test's one-thread runtime while the
/// command waits for the database: a blocking wait here could hold up a write the server has
/// begun, and the command would wait out its busy timeout.
async fn org_cli(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
        .arg("org")
        .args(args)
        .arg("--database")
        .arg(db)
        .env_remove("UCCLIENT_DATABASE")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Polls the preflight until it is `allowed` (the registry's cache lives a few seconds); panics
/// after 30 s.
async fn until_preflight(app: &TestApp, origin: &str, allowed: bool) {
    for _ in 0..300 {
        if preflight(app, origin).await.is_some() == allowed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{origin} never became allowed={allowed}");
}

#[tokio::test]
async fn the_operators_org_commands_take_effect_in_the_running_server() {
    let app = TestApp::demo().await;
    let db = app.state.config.database.clone();
    let origin = "https://initech.lightning.force.com";
    // Seen (and cached) as unregistered first, so the change must reach a warm cache.
    assert_eq!(preflight(&app, origin).await, None);

    let (ok, out, err) = org_cli(
        &db,
        &["add", "--customer", "globex", "--salesforce", "initech"],
    )
    .await;
    assert!(ok, "{err}");
    let id = out.trim().to_owned();
    until_preflight(&app, origin, true).await;
    let page = app
        .send(
            Method::GET,
            "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Finitech.lightning.force.com",
            None,
            None,
        )
        .await;
    // No --static-dir here: past the org check, the page says there is no widget.
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    // Acme's ana is refused there now; Globex's dora is not.
    let a = login_from(&app, "ana", Some(origin), json!({})).await;
    assert_eq!(a.code(), "org_not_allowed");

    let (_, listed, _) = org_cli(&db, &["list", "--customer", "globex"]).await;
    assert!(
        listed.contains(&format!("{id}\tglobex\tsalesforce\tinitech")),
        "{listed}"
    );
    assert!(
        listed.contains("https://initech--*.vf.force.com"),
        "{listed}"
    );

    // Taken, invalid and unknown-customer registrations fail with a sentence.
    let (ok, _, err) = org_cli(
        &db,
        &["add", "--customer", "acme", "--salesforce", "initech"],
    )
    .await;
    assert!(!ok && err.contains("registered already"), "{err}");
    let (ok, _, err) = org_cli(
        &db,
        &[
            "add",
            "--customer",
            "acme",
            "--dynamics",
            "https://x.example",
        ],
    )
    .await;
    assert!(!ok && err.contains("dynamics.com"), "{err}");
    let (ok, _, err) = org_cli(
        &db,
        &["add", "--customer", "nobody", "--salesforce", "hooli"],
    )
    .await;
    assert!(!ok && err.contains("no such customer"), "{err}");

    let (ok, _, err) = org_cli(&db, &["remove", &id]).await;
    assert!(ok, "{err}");
    until_preflight(&app, origin, false).await;
    let page = app
        .send(
            Method::GET,
            "/crm/salesforce?sfdcIFrameOrigin=https%3A%2F%2Finitech.lightning.force.com",
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let a = login_from(&app, "ana", Some(origin), json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    let (ok, _, err) = org_cli(&db, &["remove", &id]).await;
    assert!(!ok && err.contains("no such org"), "{err}");
}

#[tokio::test]
async fn the_static_demo_pages_may_be_framed_by_themselves_and_the_operators_origins_only() {
    let widget = tempfile::tempdir().unwrap();
    std::fs::write(widget.path().join("panel.html"), "<!doctype html><p>panel").unwrap();
    std::fs::write(widget.path().join("index.html"), "<!doctype html><p>index").unwrap();
    let dir = widget.path().to_owned();
    let app = TestApp::demo_with(move |c| {
        c.static_dir = Some(dir);
        c.cors_origins = vec![
            "http://127.0.0.1:8081".into(),
            "https://*.crm*.dynamics.com".into(),
        ];
    })
    .await;
    for (path, host, want) in [
        (
            "/panel.html",
            "127.0.0.1:8080",
            "frame-ancestors 'self' http://127.0.0.1:8081 http://localhost:8080",
        ),
        (
            "/",
            "localhost:8080",
            "frame-ancestors 'self' http://127.0.0.1:8081 http://127.0.0.1:8080",
        ),
        (
            "/panel.html",
            "ucclient.example.com",
            "frame-ancestors 'self' http://127.0.0.1:8081",
        ),
    ] {
        let req = Request::builder()
            .uri(path)
            .header("host", host)
            .body(Body::empty())
            .unwrap();
        let a = app.request(req).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.headers["content-security-policy"], want, "{path} {host}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_org_api_with_every_status() {
    let app = TestApp::demo().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let statuses = |path: &str, method: &str| common::documented_statuses(&doc, path, method);
    assert_eq!(
        statuses("/admin/orgs", "get"),
        ["200", "400", "401", "403", "431", "500", "503"]
    );
    assert_eq!(
        statuses("/admin/orgs", "post"),
        [
            "201", "400", "401", "403", "409", "413", "422", "429", "431", "500", "503"
        ]
    );
    assert_eq!(
        statuses("/admin/orgs/{id}", "delete"),
        [
            "204", "400", "401", "403", "404", "409", "422", "429", "431", "500", "503"
        ]
    );
    assert!(statuses("/login", "post").contains(&"403".to_owned()));
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["CrmOrg"]["properties"]["origins"].is_object());
    assert!(schemas["NewCrmOrg"]["properties"]["org_id"]["pattern"].is_string());
    assert!(schemas["LoginRequest"]["properties"]["crm_origin"].is_object());
    let codes = schemas["ErrorCode"].to_string();
    for code in [
        "org_not_allowed",
        "invalid_org",
        "org_taken",
        "too_many_orgs",
    ] {
        assert!(codes.contains(code), "{code}");
    }
}
