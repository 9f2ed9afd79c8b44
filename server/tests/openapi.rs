//! The OpenAPI document is complete and true: every route of the API router is in it and nothing
//! else; every operation lists each status the layers around it answer, with the error body; what
//! the router really answers to an unauthenticated, unlicensed, over-long or over-sized request is
//! documented for that operation; and the bounds in the schemas are the server's, at their edges.
//! (`cargo xtask test` also runs schemathesis against the document, with every check.)

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, TestApp};
use serde_json::{Value, json};
use ucclient_core::phone;

/// The API router's source: its `.route("…")` calls are the routes the document must list.
const ROUTER_SOURCE: &str = include_str!("../src/api/mod.rs");

/// Served by the API router but not an operation of the document (it is the document).
const NOT_OPERATIONS: &[&str] = &["/openapi.json"];

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn router_paths() -> BTreeSet<String> {
    ROUTER_SOURCE
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .filter(|p| !NOT_OPERATIONS.contains(p))
        .map(str::to_owned)
        .collect()
}

/// A concrete path for a templated one (`{id}` → `x`).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap()
}

async fn doc(app: &TestApp) -> Value {
    let t = app.login("ana").await;
    let d = app.get("/api/v1/openapi.json", &t).await;
    assert_eq!(d.status, StatusCode::OK);
    d.body
}

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (m, op) in item.as_object().expect("path item") {
            if METHODS.contains(&m.as_str()) {
                ops.push((m.clone(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

fn documents(op: &Value, status: StatusCode) -> bool {
    op["responses"].get(status.as_str()).is_some()
}

async fn send_raw(
    app: &TestApp,
    m: &str,
    uri: &str,
    token: Option<&str>,
    extra: Option<(&str, String)>,
) -> Answer {
    let mut req = Request::builder().method(method(m)).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    let body = if m == "get" || m == "delete" {
        Body::empty()
    } else {
        req = req.header("content-type", "application/json");
        Body::from("{}")
    };
    app.request(req.body(body).unwrap()).await
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let app = TestApp::demo().await;
    let doc = doc(&app).await;
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let routed = router_paths();
    assert!(routed.len() >= 14, "only {} routes found", routed.len());
    assert_eq!(
        routed, documented,
        "the router's paths and the document's differ"
    );
    // Per path, the methods the router serves (anything but 405) are exactly the documented ones.
    for path in &routed {
        let uri = format!("/api/v1{}", concrete(path));
        for m in METHODS {
            let a = send_raw(&app, m, &uri, None, None).await;
            assert_ne!(
                a.body["message"], "there is nothing at this address",
                "{m} {path} is not routed"
            );
            let served = a.status != StatusCode::METHOD_NOT_ALLOWED;
            let listed = doc["paths"][path].get(m).is_some();
            assert_eq!(
                served, listed,
                "{m} {path}: served by the router {served}, in the document {listed}"
            );
        }
    }
}

#[tokio::test]
async fn every_operation_lists_the_common_answers_with_the_error_body() {
    let app = TestApp::demo().await;
    let doc = doc(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 17);
    for (m, path, op) in &ops {
        let authenticated = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let mut want = vec!["400", "431", "500", "503"];
        if authenticated {
            want.push("401");
        }
        if op.get("requestBody").is_some() {
            want.push("413");
        }
        if path.contains('{') {
            // A path id that names nothing: 404, or 422 for the profile ids' enum.
            assert!(
                op["responses"].get("404").is_some() || op["responses"].get("422").is_some(),
                "{m} {path} does not say what an unknown id gets"
            );
        }
        let rate_limited =
            (authenticated && m != "get") || path == "/directory" || path == "/login";
        if rate_limited {
            want.push("429");
        }
        for status in want {
            let r = &op["responses"][status];
            assert_eq!(
                r["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{m} {path} does not document {status} with the error body"
            );
        }
        for status in ["429", "503"] {
            if let Some(r) = op["responses"].get(status) {
                assert!(
                    r["headers"].get("Retry-After").is_some(),
                    "{m} {path} {status} without Retry-After"
                );
            }
        }
        for (status, r) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{m} {path} {status}"
                );
            }
        }
    }
}

/// What the router really answers to requests every operation can get is documented for it.
#[tokio::test]
async fn what_the_router_answers_is_documented() {
    let app = TestApp::demo().await;
    let doc = doc(&app).await;
    let carla = app.login("carla").await;
    let ana = app.login("ana").await;
    let mut checked = 0;
    for (m, path, op) in operations(&doc) {
        if path == "/logout" {
            continue; // checked last: it ends ana's token
        }
        let uri = format!("/api/v1{}", concrete(&path));
        let authenticated = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let mut probes = vec![
            // An over-long query string.
            send_raw(
                &app,
                &m,
                &format!("{uri}?q={}", "a".repeat(3000)),
                Some(&ana),
                None,
            )
            .await,
            // Over-large headers.
            send_raw(
                &app,
                &m,
                &uri,
                Some(&ana),
                Some(("x-filler", "a".repeat(20_000))),
            )
            .await,
        ];
        if authenticated {
            probes.push(send_raw(&app, &m, &uri, None, None).await);
            probes.push(send_raw(&app, &m, &uri, Some("not-a-token"), None).await);
            // A user without the crm_client permission.
            probes.push(send_raw(&app, &m, &uri, Some(&carla), None).await);
        }
        if op.get("requestBody").is_some() {
            let big = format!(
                "{{\"x\":\"{}\"}}",
                "a".repeat(ucclient_server::MAX_BODY_BYTES)
            );
            let req = Request::builder()
                .method(method(&m))
                .uri(&uri)
                .header("authorization", format!("Bearer {ana}"))
                .header("content-type", "application/json")
                .body(Body::from(big))
                .unwrap();
            probes.push(app.request(req).await);
            // Not JSON.
            let req = Request::builder()
                .method(method(&m))
                .uri(&uri)
                .header("authorization", format!("Bearer {ana}"))
                .header("content-type", "application/json")
                .body(Body::from("{"))
                .unwrap();
            probes.push(app.request(req).await);
        }
        for a in probes {
            assert!(
                documents(&op, a.status),
                "{m} {path} answered {} ({}), which its document does not list",
                a.status,
                a.text
            );
            if a.status.is_client_error() || a.status.is_server_error() {
                assert!(a.body["error"].is_string(), "{m} {path}: {}", a.text);
            }
            checked += 1;
        }
    }
    let logout = doc["paths"]["/logout"]["post"].clone();
    for token in [None, Some("not-a-token"), Some(ana.as_str())] {
        let a = send_raw(&app, "post", "/api/v1/logout", token, None).await;
        assert!(documents(&logout, a.status), "logout answered {}", a.status);
    }
    assert!(checked >= 80, "only {checked} answers checked");
}

/// The schemas carry the server's bounds, and the server applies them exactly at those edges.
#[tokio::test]
async fn the_bounds_in_the_schemas_are_the_servers() {
    let app = TestApp::demo().await;
    let doc = doc(&app).await;
    let t = app.login("ana").await;
    let schemas = &doc["components"]["schemas"];
    let param = |path: &str, m: &str, name: &str| -> Value {
        doc["paths"][path][m]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{m} {path} has no parameter {name}"))["schema"]
            .clone()
    };

    // `limit` of GET /calls.
    let limit = param("/calls", "get", "limit");
    let (min, max) = (
        limit["minimum"].as_i64().unwrap(),
        limit["maximum"].as_i64().unwrap(),
    );
    assert_eq!((min, max), (1, ucclient_server::calls::MAX_HISTORY));
    for (n, ok) in [(min - 1, false), (min, true), (max, true), (max + 1, false)] {
        let a = app.get(&format!("/api/v1/calls?limit={n}"), &t).await;
        assert_eq!(a.status.is_success(), ok, "limit={n}: {}", a.text);
    }

    // `q` of GET /directory, in characters (JSON Schema counts characters, not bytes).
    let q = param("/directory", "get", "q");
    let max = q["maxLength"].as_u64().unwrap() as usize;
    for (n, ok) in [(max, true), (max + 1, false)] {
        let text = "é".repeat(n);
        let a = app
            .get(&format!("/api/v1/directory?q={}", encode(&text)), &t)
            .await;
        assert_eq!(a.status.is_success(), ok, "q of {n} characters: {}", a.text);
    }

    // Profile ids, in the body of PUT /me/presence and in the settings path.
    let profile_ref = "#/components/schemas/ProfileId";
    assert_eq!(
        schemas["SetPresenceRequest"]["properties"]["profile"]["$ref"],
        profile_ref
    );
    assert_eq!(
        param("/me/profiles/{id}/settings", "put", "id")["$ref"],
        profile_ref
    );
    assert_eq!(
        param("/me/profiles/{id}/settings", "delete", "id")["$ref"],
        profile_ref
    );
    let a = app
        .put("/api/v1/me/presence", &t, json!({"profile": "nope"}))
        .await;
    assert_eq!(a.code(), "unknown_profile");

    // Settings ignore fields they do not know (an older widget reads what a newer backend
    // writes with the same types), in both routing variants, and the document leaves them open.
    assert_ne!(schemas["ProfileSettings"]["additionalProperties"], false);
    for variant in schemas["Routing"]["oneOf"].as_array().unwrap() {
        assert_ne!(variant["additionalProperties"], false, "{variant}");
        let ring = variant["properties"]["ring"]["enum"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let mut routing = json!({"ring": ring, "x": 1});
        if ring == "selected" {
            routing["steps"] = json!([{"devices": ["ana-desk"], "after_seconds": 0}]);
        }
        let body = json!({"dnd": false, "forwarding": {"enabled": false}, "routing": routing, "later": true});
        let a = app.put("/api/v1/me/profiles/away/settings", &t, body).await;
        assert_eq!(a.status, StatusCode::OK, "{ring}: {}", a.text);
    }
    assert_eq!(schemas["Routing"]["oneOf"].as_array().unwrap().len(), 2);

    // JSON Schema's `integer` includes `5.0`, and so does the server.
    let whole = json!({"dnd": false, "forwarding": {"enabled": false},
        "routing": {"ring": "selected", "steps": [{"devices": ["nope"], "after_seconds": 5.0}]}});
    let a = app
        .put("/api/v1/me/profiles/away/settings", &t, whole)
        .await;
    assert_eq!(a.code(), "invalid_settings", "{}", a.text);

    // Numbers: the documented shape is core's, and the length bound the server's.
    for (schema, field) in [("PlaceCallRequest", "to"), ("InboundCallRequest", "from")] {
        let s = &schemas[schema]["properties"][field];
        assert_eq!(s["pattern"], phone::NUMBER_PATTERN, "{schema}.{field}");
        assert_eq!(s["maxLength"], phone::MAX_INPUT_LEN, "{schema}.{field}");
    }
    let forwarding_to = &schemas["Forwarding"]["properties"]["to"];
    let inner = phone::NUMBER_PATTERN
        .trim_start_matches('^')
        .trim_end_matches('$');
    assert_eq!(
        forwarding_to["pattern"],
        format!("^( *| *{})$", inner.trim_start_matches(" *"))
    );
    let pattern = regex::Regex::new(phone::NUMBER_PATTERN).unwrap();
    for accepted in [
        "+351 912 345 678",
        "912345678",
        "tel:+351912345678",
        "(11) 98765-4321",
        "201",
    ] {
        assert!(pattern.is_match(accepted), "{accepted}");
    }
    for refused in ["", "   ", "abc", "91+2", "+", "912 345 678 x", "٩١٢٣٤٥٦٧٨"] {
        assert!(!pattern.is_match(refused), "{refused:?}");
        let a = app.post("/api/v1/calls", &t, json!({"to": refused})).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    }
    let a = app
        .post(
            "/api/v1/calls",
            &t,
            json!({"to": "1".repeat(phone::MAX_INPUT_LEN + 1)}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The call's CRM context, in characters.
    let record = &schemas["CallContext"]["properties"]["record_id"];
    let max = record["maxLength"].as_u64().unwrap() as usize;
    assert_eq!(max, ucclient_core::api::MAX_CONTEXT_LEN);
    for (n, ok) in [(max, true), (max + 1, false)] {
        let body = json!({"to": "+351912345678", "context": {"crm": "salesforce", "record_id": "é".repeat(n)}});
        let a = app.post("/api/v1/calls", &t, body).await;
        assert_eq!(
            a.status.is_success(),
            ok,
            "record_id of {n} characters: {}",
            a.text
        );
    }

    // Routing bounds.
    use ucclient_core::settings::{MAX_AFTER_SECONDS, MAX_DEVICES_PER_STEP, MAX_STEPS};
    let step = &schemas["RingStep"]["properties"];
    assert_eq!(step["after_seconds"]["maximum"], MAX_AFTER_SECONDS);
    assert_eq!(step["devices"]["maxItems"], MAX_DEVICES_PER_STEP);
    assert_eq!(step["devices"]["minItems"], 1);
    assert_eq!(step["devices"]["uniqueItems"], true);
    let routing = serde_json::to_string(&schemas["Routing"]).unwrap();
    assert!(
        routing.contains(&format!("\"maxItems\":{MAX_STEPS}")),
        "{routing}"
    );
    assert!(routing.contains("\"minItems\":1"), "{routing}");
    let over = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [{"devices": ["nope"], "after_seconds": MAX_AFTER_SECONDS + 1}]}});
    let a = app.put("/api/v1/me/profiles/away/settings", &t, over).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);

    // The softphone (issue 17): the device and registration ids, at their edge.
    use ucclient_server::softphone::MAX_ID_LEN;
    assert_eq!(
        schemas["SoftphoneRegisterRequest"]["properties"]["device"]["maxLength"],
        MAX_ID_LEN
    );
    for (m, path) in [
        ("post", "/softphone/{registration}/keepalive"),
        ("delete", "/softphone/{registration}"),
    ] {
        assert_eq!(
            param(path, m, "registration")["maxLength"],
            MAX_ID_LEN,
            "{m} {path}"
        );
    }
    let a = app.put("/api/v1/softphone", &t, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert!(id.len() <= MAX_ID_LEN);
    let keep = |id: String| {
        let t = t.clone();
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/softphone/{id}/keepalive"),
                &t,
                Value::Null,
            )
            .await
            .status
        }
    };
    assert_eq!(keep(id.clone()).await, StatusCode::NO_CONTENT);
    // Longer than any id given, and over the bound: refused as not current before the store.
    assert_eq!(
        keep("a".repeat(MAX_ID_LEN + 1)).await,
        StatusCode::NOT_FOUND
    );
    let device = |d: String| app.put("/api/v1/softphone", &t, json!({"device": d}));
    assert_eq!(
        device("é".repeat(MAX_ID_LEN + 1)).await.code(),
        "unknown_device"
    );
    // The schema's event data and its states are documented (the widget reads them).
    assert!(schemas["SoftphoneEvent"]["properties"]["registration"].is_object());
    let states = serde_json::to_string(&schemas["SoftphoneState"]).unwrap();
    for state in ["replaced", "expired", "ended"] {
        assert!(states.contains(state), "{states}");
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
