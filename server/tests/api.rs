//! Every endpoint and error code of API.md through `app().oneshot(..)`, on the demo data.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn login_logout_and_tokens() {
    let app = TestApp::demo().await;
    let ok = app
        .send(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"email": "ANA@acme.example", "password": "demo"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        ok.body["user"],
        json!({"id": "ana", "name": "Ana Costa", "email": "ana@acme.example", "extension": "201"})
    );
    assert!(ok.body["expires_at"].as_str().unwrap().ends_with('Z'));
    let token = ok.body["token"].as_str().unwrap().to_owned();

    // Wrong password and unknown email: the same answer.
    let wrong_pw = app
        .send(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"email": "ana@acme.example", "password": "nope"})),
        )
        .await;
    let wrong_email = app
        .send(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"email": "nobody@acme.example", "password": "demo"})),
        )
        .await;
    assert_eq!(wrong_pw.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_pw.code(), "invalid_credentials");
    assert_eq!(wrong_pw.body, wrong_email.body);
    assert_eq!(wrong_pw.status, wrong_email.status);

    // The token is stored only as a hash.
    let stored = common::sql(
        &app.state.config.database,
        "SELECT token_hash FROM sessions",
    )
    .await;
    assert!(!stored.is_empty() && stored.iter().all(|h| h != &token && h.len() == 64));

    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let out = app
        .send(Method::POST, "/api/v1/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/me", &token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
    assert_eq!(
        app.send(Method::POST, "/api/v1/logout", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    for auth in ["", "Bearer", "Bearer garbage", "Basic YW5hOmRlbW8="] {
        let mut req = Request::builder().uri("/api/v1/profiles");
        if !auth.is_empty() {
            req = req.header("authorization", auth);
        }
        let a = app.request(req.body(Body::empty()).unwrap()).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(a.code(), "unauthenticated");
    }
}

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let app = TestApp::demo_with(|c| c.login_failures_per_minute = 3).await;
    let bad = json!({"email": "bruno@acme.example", "password": "wrong"});
    for _ in 0..3 {
        let a = app
            .send(Method::POST, "/api/v1/login", None, Some(bad.clone()))
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app
        .send(Method::POST, "/api/v1/login", None, Some(bad))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let secs: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs));
    // Other accounts are not affected.
    app.login("ana").await;
}

#[tokio::test]
async fn me_and_profiles() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let me = app.get("/api/v1/me", &t).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body["customer"],
        json!({"id": "acme", "name": "Acme", "country": "PT", "log_internal_calls": false})
    );
    assert_eq!(me.body["permissions"], json!(["crm_client"]));
    assert_eq!(me.body["mode"], "active");
    assert_eq!(me.body["extension_lists_enabled"], true);
    assert_eq!(me.body["presence"]["profile"], "available");
    assert_eq!(me.body["presence"]["colour"], "available");
    assert_eq!(me.body["presence"]["on_call"], false);
    let devices: Vec<&str> = me.body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(devices, ["ana-desk", "ana-softphone", "ana-mobile"]);
    assert_eq!(me.body["devices"][0]["kind"], "desk");

    let profiles = app.get("/api/v1/profiles", &t).await;
    assert_eq!(profiles.status, StatusCode::OK);
    let ids: Vec<&str> = profiles
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "available",
            "away",
            "comfort_break",
            "in_a_meeting",
            "in_the_office",
            "lunch",
            "on_holiday",
            "on_the_road",
            "out_of_office",
            "working_from_home",
            "working_remotely"
        ]
    );
    assert_eq!(profiles.body[3]["name"], "In a meeting");
    assert_eq!(profiles.body[3]["colour"], "busy");
    assert_eq!(
        profiles.body[5]["settings"],
        json!({"dnd": true, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}})
    );
    assert_eq!(profiles.body[5]["customised"], false);

    let pt = app
        .request(
            Request::builder()
                .uri("/api/v1/profiles")
                .header("authorization", format!("Bearer {t}"))
                .header("accept-language", "pt-PT,pt;q=0.9,en;q=0.5")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(pt.body[0]["name"], "Disponível");
    assert_eq!(pt.body[9]["name"], "Trabalhar a partir de casa");
}

#[tokio::test]
async fn presence_changes_and_their_errors() {
    let app = TestApp::demo().await;
    let t = app.login("bruno").await;
    let p = app.set_profile(&t, "in_a_meeting").await;
    assert_eq!(p["profile"], "in_a_meeting");
    assert_eq!(p["status"], "unavailable");
    assert_eq!(p["colour"], "busy");
    assert_eq!(p["pbx_sync"], "applied");
    assert_eq!(
        app.get("/api/v1/me", &t).await.body["presence"]["profile"],
        "in_a_meeting"
    );

    let unknown = app
        .put("/api/v1/me/presence", &t, json!({"profile": "busy"}))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.code(), "unknown_profile");

    let malformed = app
        .request(
            Request::builder()
                .method(Method::PUT)
                .uri("/api/v1/me/presence")
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .body(Body::from("{\"profile\":"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "bad_request");
    let wrong_type = app
        .put("/api/v1/me/presence", &t, json!({"profile": 3}))
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.code(), "bad_request");

    let huge = json!({"profile": "x".repeat(100_000)});
    let too_large = app.put("/api/v1/me/presence", &t, huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.code(), "bad_request");

    // Nothing changed by the refused requests.
    assert_eq!(
        app.get("/api/v1/me", &t).await.body["presence"]["profile"],
        "in_a_meeting"
    );
}

#[tokio::test]
async fn unknown_paths_and_long_queries() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    for path in ["/api/v1/nope", "/api/v2/me", "/api", "/api/v1/pbx/users"] {
        let a = app.get(path, &t).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(a.code(), "not_found");
    }
    let long = format!("/api/v1/directory?q={}", "a".repeat(5000));
    let a = app.get(&long, &t).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "bad_request");
    let a = app.get("/api/v1/calls?limit=abc", &t).await;
    assert_eq!(a.code(), "bad_request");
    let a = app.get("/api/v1/calls?limit=1000", &t).await;
    assert_eq!(a.code(), "bad_request");
}

#[tokio::test]
async fn directory_is_the_callers_customer() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let all = app.get("/api/v1/directory", &t).await;
    assert_eq!(all.status, StatusCode::OK);
    let ids: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ana", "bruno", "carla"]);
    let by_ext = app.get("/api/v1/directory?q=202", &t).await;
    assert_eq!(by_ext.body.as_array().unwrap().len(), 1);
    assert_eq!(by_ext.body[0]["user"]["id"], "bruno");
    let by_name = app.get("/api/v1/directory?q=carla", &t).await;
    assert_eq!(by_name.body[0]["presence"]["profile"], "available");
    assert_eq!(
        app.get("/api/v1/directory?q=dora", &t).await.body,
        json!([])
    );
    assert_eq!(app.get("/api/v1/directory?q=%25", &t).await.body, json!([]));

    let d = app.login("dora").await;
    let globex = app.get("/api/v1/directory", &d).await;
    let ids: Vec<&str> = globex
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dora", "eli"]);
    assert_eq!(
        app.get("/api/v1/directory?q=acme", &d).await.body,
        json!([])
    );
}

#[tokio::test]
async fn an_unlicensed_user_gets_client_not_licensed_but_me_answers() {
    let app = TestApp::demo().await;
    let c = app.login("carla").await;
    let me = app.get("/api/v1/me", &c).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["permissions"], json!([]));
    assert_eq!(me.body["presence"]["profile"], "available");
    let calls: [(Method, &str, Option<Value>); 17] = [
        (Method::GET, "/api/v1/profiles", None),
        (
            Method::PUT,
            "/api/v1/me/presence",
            Some(json!({"profile": "lunch"})),
        ),
        (
            Method::PUT,
            "/api/v1/me/profiles/lunch/settings",
            Some(
                json!({"dnd": true, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}}),
            ),
        ),
        (Method::DELETE, "/api/v1/me/profiles/lunch/settings", None),
        (Method::GET, "/api/v1/directory", None),
        (Method::POST, "/api/v1/events/ticket", None),
        (Method::GET, "/api/v1/calls", None),
        (
            Method::POST,
            "/api/v1/calls",
            Some(json!({"to": "912345678"})),
        ),
        (Method::POST, "/api/v1/calls/x/hangup", None),
        (Method::POST, "/api/v1/calls/x/answer", None),
        (Method::POST, "/api/v1/calls/x/decline", None),
        (Method::GET, "/api/v1/pbx/users/carla", None),
        (Method::GET, "/api/v1/pbx/ring?user=carla", None),
        (Method::GET, "/api/v1/pbx/groups", None),
        (
            Method::POST,
            "/api/v1/pbx/calls/inbound",
            Some(json!({"from": "912345678", "to_user": "carla"})),
        ),
        (Method::GET, "/api/v1/openapi.json", None),
        (Method::GET, "/api/v1/me", None),
    ];
    for (method, path, body) in calls {
        let a = app.send(method.clone(), path, Some(&c), body).await;
        if path == "/api/v1/me" || path == "/api/v1/openapi.json" {
            assert_eq!(a.status, StatusCode::OK, "{path}");
        } else {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
            assert_eq!(a.code(), "client_not_licensed", "{path}");
        }
    }
    let out = app
        .send(Method::POST, "/api/v1/logout", Some(&c), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn calls_numbers_history_hangup_and_rate_limit() {
    let app = TestApp::demo_with(|c| c.calls_per_minute = 3).await;
    let t = app.login("ana").await;
    let bad = app.post("/api/v1/calls", &t, json!({"to": "12ab"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.code(), "invalid_number");
    assert_eq!(
        bad.body["message"],
        "the number may contain only digits, spaces, and + - . / ( )"
    );
    let short = app.post("/api/v1/calls", &t, json!({"to": "12345"})).await;
    assert_eq!(short.code(), "invalid_number");
    assert_eq!(
        app.get("/api/v1/calls", &t).await.body,
        json!([]),
        "nothing dialled"
    );

    let ctx = json!({"crm": "salesforce", "record_id": "003xx", "object_type": "Contact"});
    let placed = app
        .post(
            "/api/v1/calls",
            &t,
            json!({"to": "912 345 678", "context": ctx}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    assert_eq!(placed.body["to"], "+351912345678");
    assert_eq!(placed.body["from"], "201");
    assert_eq!(placed.body["direction"], "outbound");
    assert_eq!(placed.body["state"], "dialing");
    assert_eq!(placed.body["context"], ctx);
    let colleague = app.post("/api/v1/calls", &t, json!({"to": "202"})).await;
    assert_eq!(colleague.status, StatusCode::CREATED);
    assert_eq!(colleague.body["to"], "202");

    let history = app.get("/api/v1/calls?limit=10", &t).await;
    assert_eq!(history.body.as_array().unwrap().len(), 2);
    assert_eq!(history.body[0]["id"], colleague.body["id"], "newest first");
    assert_eq!(
        app.get("/api/v1/calls?limit=1", &t)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let id = placed.body["id"].as_str().unwrap();
    let b = app.login("bruno").await;
    let not_his = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{id}/hangup"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(not_his.status, StatusCode::NOT_FOUND);
    assert_eq!(not_his.code(), "not_found");
    let hung = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{id}/hangup"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(hung.status, StatusCode::OK);
    assert_eq!(hung.body["state"], "ended");
    assert!(hung.body["ended_at"].is_string());
    let again = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{id}/hangup"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(again.body["state"], "ended");
    assert_eq!(
        app.send(Method::POST, "/api/v1/calls/nope/hangup", Some(&t), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The third call this minute is allowed, the fourth is not.
    assert_eq!(
        app.post("/api/v1/calls", &t, json!({"to": "+14155552671"}))
            .await
            .status,
        StatusCode::CREATED
    );
    let limited = app
        .post("/api/v1/calls", &t, json!({"to": "+14155552671"}))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // Another user has their own allowance.
    assert_eq!(
        app.post("/api/v1/calls", &b, json!({"to": "912345678"}))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_globex_user_sees_nothing_of_acme() {
    let app = TestApp::demo().await;
    let a = app.login("ana").await;
    let call = app
        .post("/api/v1/calls", &a, json!({"to": "912345678"}))
        .await;
    let call_id = call.body["id"].as_str().unwrap().to_owned();
    let d = app.login("dora").await;
    for path in [
        "/api/v1/pbx/users/ana",
        "/api/v1/pbx/ring?user=ana",
        "/api/v1/pbx/ring?group=sales",
    ] {
        let r = app.get(path, &d).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.code(), "not_found");
    }
    let hang = app
        .send(
            Method::POST,
            &format!("/api/v1/calls/{call_id}/hangup"),
            Some(&d),
            None,
        )
        .await;
    assert_eq!(hang.status, StatusCode::NOT_FOUND);
    let inbound = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &d,
            json!({"from": "912345678", "to_user": "ana"}),
        )
        .await;
    assert_eq!(inbound.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/calls", &d).await.body, json!([]));
    // Calling Acme's extension 201 from Globex is not a colleague call.
    let ext = app.post("/api/v1/calls", &d, json!({"to": "201"})).await;
    assert_eq!(ext.code(), "invalid_number");
    // Dora's own PBX view is hers to read even as a plain user; groups of Globex: none.
    assert_eq!(
        app.get("/api/v1/pbx/users/dora", &d).await.status,
        StatusCode::OK
    );
    let groups = app.get("/api/v1/pbx/groups", &d).await;
    assert_eq!(groups.code(), "forbidden");
}

#[tokio::test]
async fn pbx_views_are_for_admins_or_everyone_with_the_demo_flag() {
    let app = TestApp::demo().await;
    let b = app.login("bruno").await;
    assert_eq!(
        app.get("/api/v1/pbx/users/bruno", &b).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/pbx/ring?user=bruno", &b).await.status,
        StatusCode::OK
    );
    for path in [
        "/api/v1/pbx/users/ana",
        "/api/v1/pbx/ring?group=sales",
        "/api/v1/pbx/groups",
    ] {
        let r = app.get(path, &b).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.code(), "forbidden");
    }
    let a = app.login("ana").await;
    let groups = app.get("/api/v1/pbx/groups", &a).await;
    assert_eq!(
        groups.body,
        json!([{"id": "sales", "name": "Sales", "members": [{"extension_list_of": "ana"}, {"user": "bruno"}], "extension": "600"}])
    );
    assert_eq!(
        app.get("/api/v1/pbx/ring?user=ana&group=sales", &a)
            .await
            .code(),
        "bad_request"
    );
    assert_eq!(app.get("/api/v1/pbx/ring", &a).await.code(), "bad_request");
    assert_eq!(
        app.get("/api/v1/pbx/ring?group=nope", &a).await.code(),
        "not_found"
    );

    let open = TestApp::demo_with(|c| c.pbx_view_for_all = true).await;
    let b = open.login("bruno").await;
    assert_eq!(
        open.get("/api/v1/pbx/groups", &b).await.status,
        StatusCode::OK
    );
    assert_eq!(
        open.get("/api/v1/pbx/users/ana", &b).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn passive_mode_refuses_settings_and_leaves_the_pbx_alone() {
    let app = TestApp::demo().await;
    let d = app.login("dora").await;
    let before = app.get("/api/v1/pbx/users/dora", &d).await.body;
    let p = app.set_profile(&d, "out_of_office").await;
    assert_eq!(p["pbx_sync"], "not_applicable");
    assert_eq!(p["colour"], "away");
    assert_eq!(app.get("/api/v1/pbx/users/dora", &d).await.body, before);
    assert_eq!(before["dnd"], false);
    let s = json!({"dnd": false, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}});
    let r = app.put("/api/v1/me/profiles/lunch/settings", &d, s).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "active_mode_required");
    assert_eq!(
        app.delete("/api/v1/me/profiles/lunch/settings", &d)
            .await
            .code(),
        "active_mode_required"
    );
}

#[tokio::test]
async fn openapi_static_files_and_cors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>widget</html>").unwrap();
    std::fs::write(dir.path().join("widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let static_dir = dir.path().to_owned();
    let app = TestApp::demo_with(move |c| {
        c.static_dir = Some(static_dir);
        c.cors_origins = vec![
            "https://*.lightning.force.com".into(),
            "https://*.crm*.dynamics.com".into(),
        ];
    })
    .await;
    let t = app.login("ana").await;
    let doc = app.get("/api/v1/openapi.json", &t).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/login",
        "/me",
        "/me/presence",
        "/events",
        "/calls",
        "/pbx/ring",
        "/pbx/calls/inbound",
    ] {
        assert!(
            doc.body["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }

    let index = app
        .request(Request::builder().uri("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.text.contains("widget"));
    assert!(
        index.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let wasm = app
        .request(
            Request::builder()
                .uri("/widget_bg.wasm")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wasm.headers["content-type"], "application/wasm");
    let api_missing = app
        .request(
            Request::builder()
                .uri("/api/v1/missing")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(api_missing.code(), "not_found");

    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/me")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let ok = app
        .request(preflight("https://acme.lightning.force.com"))
        .await;
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://acme.lightning.force.com"
    );
    let ok = app
        .request(preflight("https://org.crm4.dynamics.com"))
        .await;
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://org.crm4.dynamics.com"
    );
    let no = app.request(preflight("https://evil.example")).await;
    assert!(!no.headers.contains_key("access-control-allow-origin"));
}

/// Runs one SQL statement on the test database behind the backend's back.
async fn sql(app: &TestApp, statement: &str) {
    common::sql(&app.state.config.database, statement).await;
}

#[tokio::test]
async fn expired_tokens_and_tickets_are_refused() {
    let app = TestApp::demo().await;
    let t = app.login("bruno").await;
    let ticket = app.post("/api/v1/events/ticket", &t, json!({})).await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert_eq!(ticket.body["expires_in"], 30);
    let ticket = ticket.body["ticket"].as_str().unwrap().to_owned();
    sql(&app, "UPDATE event_tickets SET expires_at_ms = 0").await;
    let stream = app
        .request(
            Request::builder()
                .uri(format!("/api/v1/events?ticket={ticket}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(stream.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stream.code(), "unauthenticated");
    sql(&app, "UPDATE sessions SET expires_at_ms = 0").await;
    let me = app.get("/api/v1/me", &t).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.code(), "unauthenticated");
}

#[tokio::test]
async fn an_internal_failure_says_nothing_internal() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    // (PostgreSQL keeps the softphone registrations' foreign key to it: dropped with the table.)
    let drop = if common::on_postgres() {
        "DROP TABLE devices CASCADE"
    } else {
        "DROP TABLE devices"
    };
    sql(&app, drop).await;
    let me = app.get("/api/v1/me", &t).await;
    assert_eq!(me.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(me.code(), "internal");
    assert_eq!(me.body["message"], "something went wrong on our side");
    assert!(!me.text.contains("devices") && !me.text.to_lowercase().contains("sql"));
}

/// The OpenAPI document describes every JSON body with a schema generated from core's wire types,
/// in their wire spelling, so a client generator or schemathesis sees the real contract.
#[tokio::test]
async fn openapi_bodies_have_the_wire_types_schemas() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let doc = app.get("/api/v1/openapi.json", &t).await.body;
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Presence",
        "Profile",
        "ProfileSettings",
        "Call",
        "Me",
        "ErrorBody",
        "PbxUserState",
        "HuntGroup",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name} missing");
    }
    let colours = schemas["Colour"]["enum"]
        .as_array()
        .expect("Colour is an enum");
    assert_eq!(colours.len(), 3);
    assert!(colours.iter().any(|c| c == "busy"));
    assert!(schemas["Presence"]["properties"].get("pbx_sync").is_some());
    let profile_ids = schemas["ProfileId"]["enum"]
        .as_array()
        .expect("ProfileId is an enum");
    assert_eq!(profile_ids.len(), 11);
    assert!(profile_ids.iter().any(|p| p == "in_a_meeting"));

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                // A message's audio is WAV bytes, with their own schema.
                let is_audio = path == "/voicemail/{id}/audio" && status == "200";
                if is_audio {
                    assert!(
                        response["content"]["audio/wav"].get("schema").is_some(),
                        "{method} {path} {status} has no audio/wav schema"
                    );
                }
                // sso: the single sign-on callback is an HTML page for the popup.
                let is_page = path == "/sso/callback" && status == "200";
                if is_page {
                    assert!(
                        response["content"]["text/html"].get("schema").is_some(),
                        "{method} {path} {status} has no text/html schema"
                    );
                }
                let is_stream = path == "/events" && status == "200";
                let is_json = !(status == "204" || is_stream || is_audio || is_page);
                if is_json {
                    assert!(
                        response["content"]["application/json"]
                            .get("schema")
                            .is_some(),
                        "{method} {path} {status} has no schema"
                    );
                    checked += 1;
                }
            }
            if let Some(body) = op.get("requestBody") {
                assert!(
                    body["content"]["application/json"].get("schema").is_some(),
                    "{method} {path} request has no schema"
                );
            }
        }
    }
    assert!(checked >= 30, "only {checked} responses checked");
}
