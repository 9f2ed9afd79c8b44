//! `POST /calls/{id}/claims`: one page per call logs it and one pops it, whichever claims first;
//! a repeat of the same page's claim is granted again; other users' calls are not found; inputs
//! are bounded.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};

async fn place_call(app: &TestApp, token: &str) -> String {
    let a = app
        .post("/api/v1/calls", token, json!({"to": "912345678"}))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestApp, token: &str, call: &str, body: Value) -> common::Answer {
    app.post(&format!("/api/v1/calls/{call}/claims"), token, body)
        .await
}

async fn granted(app: &TestApp, token: &str, call: &str, kind: &str, client: &str) -> bool {
    let a = claim(app, token, call, json!({"kind": kind, "client": client})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["granted"].as_bool().unwrap()
}

#[tokio::test]
async fn the_first_page_to_claim_a_call_logs_it_and_every_other_page_skips() {
    let app = TestApp::demo().await;
    // Two sessions of one agent: Salesforce in one tab, Dynamics in another.
    let salesforce = app.login("ana").await;
    let dynamics = app.login("ana").await;
    let call = place_call(&app, &salesforce).await;

    assert!(granted(&app, &dynamics, &call, "log", "page-dynamics").await);
    assert!(!granted(&app, &salesforce, &call, "log", "page-salesforce").await);
    // Idempotent for the winner (a retry after a lost answer), still refused to the other.
    assert!(granted(&app, &dynamics, &call, "log", "page-dynamics").await);
    assert!(!granted(&app, &salesforce, &call, "log", "page-salesforce").await);
    // The pop is a claim of its own: another page may hold it.
    assert!(granted(&app, &salesforce, &call, "pop", "page-salesforce").await);
    assert!(!granted(&app, &dynamics, &call, "pop", "page-dynamics").await);
    // Another call starts afresh.
    let next = place_call(&app, &salesforce).await;
    assert!(granted(&app, &salesforce, &next, "log", "page-salesforce").await);
}

#[tokio::test]
async fn a_call_of_someone_else_or_of_nobody_is_not_found() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;
    let call = place_call(&app, &ana).await;
    let body = json!({"kind": "log", "client": "x"});
    for (token, id) in [
        (&bruno, call.as_str()),
        (&dora, call.as_str()),
        (&ana, "no-such-call"),
    ] {
        let a = claim(&app, token, id, body.clone()).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
        assert_eq!(a.code(), "not_found");
    }
    // Their refused attempts took nothing: ana's own page still gets it.
    assert!(granted(&app, &ana, &call, "log", "x").await);
    let long_id = "c".repeat(65);
    assert_eq!(
        claim(&app, &ana, &long_id, body).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn claims_are_bounded_and_need_a_licensed_session() {
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let call = place_call(&app, &ana).await;
    for body in [
        json!({"kind": "log", "client": ""}),
        json!({"kind": "log", "client": "a".repeat(65)}),
        json!({"kind": "log", "client": "has space"}),
        json!({"kind": "log", "client": "ünïcode"}),
        json!({"kind": "note", "client": "x"}),
        json!({"kind": "log"}),
    ] {
        let a = claim(&app, &ana, &call, body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text);
        assert_eq!(a.code(), "bad_request");
        assert!(a.body["message"].is_string());
    }
    // 64 characters is the edge, and accepted.
    assert!(granted(&app, &ana, &call, "log", &"a".repeat(64)).await);

    let a = app
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/calls/{call}/claims"),
            None,
            Some(json!({"kind": "log", "client": "x"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let carla = app.login("carla").await;
    let a = claim(&app, &carla, &call, json!({"kind": "log", "client": "x"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.code(), "client_not_licensed");
}

#[tokio::test]
async fn the_claims_endpoint_is_in_the_openapi_document_with_every_status() {
    let app = TestApp::demo().await;
    let doc = app
        .send(axum::http::Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let op = &doc["paths"]["/calls/{id}/claims"]["post"];
    for status in ["200", "400", "401", "403", "404", "413", "500"] {
        assert!(op["responses"][status].is_object(), "{status}: {op}");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ClaimKind"]["enum"],
        json!(["log", "pop"]),
        "{schemas}"
    );
    assert_eq!(
        schemas["ClaimRequest"]["properties"]["client"]["maxLength"],
        64
    );
    assert!(schemas["ClaimResponse"]["properties"]["granted"].is_object());
    assert!(schemas["AccessEnded"]["properties"]["reason"].is_object());
}
