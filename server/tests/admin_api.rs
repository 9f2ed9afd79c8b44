//! The administration API (issue 15), endpoint by endpoint and role by role: an agent can do
//! nothing administrative (403); Acme's customer administrator (ana) manages Acme only — Globex's
//! users, devices and groups answer 404 like unknown ones, and the reseller endpoints 403; Demo
//! Active's reseller administrator (rita) manages her reseller and its customers, and nothing of
//! Globex's reseller. Every change lands one audit row (who, what, target, from where), inputs are
//! bounded with clear 422 sentences, and changes take effect live: deactivation ends the user's
//! sessions and streams, a revoked `crm_client` reaches the user's stream at once.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, Served, TestApp};
use serde_json::{Value, json};
use ucclient_core::ring::GroupMember;

/// The address every in-process request here comes from (as a socket would give it).
const FROM: [u8; 4] = [203, 0, 113, 7];
const FROM_TEXT: &str = "203.0.113.7";
/// The demo's reseller administrator.
const RITA: &str = "rita@demo-active.example";

/// A demo backend whose write budget the tests do not run out of.
async fn app() -> TestApp {
    TestApp::demo_with(|c| c.writes_per_minute = 10_000).await
}

/// Sends `method /api/v1{path}` as `token` from [`FROM`], with a JSON body when given.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    app.send_from(FROM, method, &format!("/api/v1{path}"), Some(token), body)
        .await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Answer {
    call(app, Method::GET, path, token, None).await
}

async fn login_email(app: &TestApp, email: &str, password: &str) -> Answer {
    app.send(
        Method::POST,
        "/api/v1/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

async fn rita(app: &TestApp) -> String {
    let a = login_email(app, RITA, "demo").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["token"].as_str().unwrap().to_owned()
}

/// Every admin operation with a body that would be valid for an administrator of Acme.
fn customer_operations() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/admin/users", None),
        (
            Method::POST,
            "/admin/users",
            Some(json!({"name": "New Person", "email": "new@acme.example", "extension": "209"})),
        ),
        (
            Method::PATCH,
            "/admin/users/carla",
            Some(json!({"crm_client": true})),
        ),
        (
            Method::PUT,
            "/admin/users/carla/password",
            Some(json!({"password": "a new password"})),
        ),
        (
            Method::POST,
            "/admin/users/carla/devices",
            Some(json!({"kind": "mobile", "number": "+351912000203"})),
        ),
        (Method::DELETE, "/admin/devices/carla-desk", None),
        (Method::GET, "/admin/groups", None),
        (
            Method::POST,
            "/admin/groups",
            Some(json!({"name": "Support", "members": [{"user": "carla"}]})),
        ),
        (
            Method::PUT,
            "/admin/groups/sales",
            Some(json!({"name": "Sales", "extension": "600", "members": [{"user": "bruno"}]})),
        ),
        (Method::DELETE, "/admin/groups/sales", None),
        (Method::GET, "/admin/wrap-up", None),
        (
            Method::PUT,
            "/admin/wrap-up",
            Some(json!({"dispositions": [{"code": "sale", "label": "Sale"}], "seconds": 60})),
        ),
        (Method::GET, "/admin/audit", None),
        (Method::GET, "/admin/orgs", None),
        (
            Method::POST,
            "/admin/orgs",
            Some(json!({"crm": "salesforce", "org": "acme-two"})),
        ),
        (Method::DELETE, "/admin/orgs/acme-salesforce", None),
    ]
}

fn reseller_operations() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/admin/reseller", None),
        (
            Method::PUT,
            "/admin/reseller/mode",
            Some(json!({"mode": "passive", "extension_lists": false})),
        ),
        (
            Method::POST,
            "/admin/reseller/customers",
            Some(json!({"name": "Initech", "country": "PT"})),
        ),
        (Method::GET, "/admin/reseller/audit", None),
    ]
}

/// The newest audit entry of ana's customer.
async fn last_audit(app: &TestApp, token: &str) -> Value {
    let a = get(app, "/admin/audit?limit=1", token).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body[0].clone()
}

/// Checks the newest audit entry: actor, action, target and from.
async fn audited(app: &TestApp, token: &str, actor: &str, action: &str, target: &str) -> Value {
    let e = last_audit(app, token).await;
    assert_eq!(e["actor"]["id"], actor, "{e}");
    assert_eq!(e["action"], action, "{e}");
    assert_eq!(e["target"], target, "{e}");
    assert_eq!(e["from"], FROM_TEXT, "{e}");
    assert!(e["at"].as_i64().unwrap() > 1_700_000_000_000, "{e}");
    assert!(e["detail"].is_object(), "{e}");
    e
}

#[tokio::test]
async fn an_agent_gets_403_on_every_admin_endpoint_and_changes_nothing() {
    let app = app().await;
    let bruno = app.login("bruno").await;
    let carla = app.login("carla").await; // an agent without the crm_client permission
    let ana = app.login("ana").await;
    let before = get(&app, "/admin/audit", &ana).await.body;
    for token in [&bruno, &carla] {
        for (m, path, body) in customer_operations()
            .into_iter()
            .chain(reseller_operations())
        {
            let a = call(&app, m.clone(), path, token, body).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{m} {path}: {}", a.text);
            assert_eq!(a.code(), "forbidden", "{m} {path}");
        }
    }
    // Nothing changed: no audit row, the users and groups as they were.
    assert_eq!(get(&app, "/admin/audit", &ana).await.body, before);
    let users = get(&app, "/admin/users", &ana).await.body;
    assert_eq!(users.as_array().unwrap().len(), 3, "{users}");
    let groups = get(&app, "/admin/groups", &ana).await.body;
    assert_eq!(groups[0]["id"], "sales");
    // Without a token: 401.
    let a = app
        .send(Method::GET, "/api/v1/admin/users", None, None)
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn acmes_administrator_cannot_see_or_touch_globex_nor_the_reseller() {
    let app = app().await;
    let ana = app.login("ana").await;
    // A Globex group to aim at.
    app.state
        .store
        .put_group(
            "globex",
            "gx",
            "Globex sales",
            &[GroupMember::User("dora".into())],
        )
        .await
        .unwrap();
    let users = get(&app, "/admin/users", &ana).await;
    let ids: Vec<&str> = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ana", "bruno", "carla"], "by name, Acme's only");
    let groups = get(&app, "/admin/groups", &ana).await;
    assert!(!groups.text.contains("gx"), "{}", groups.text);
    let attempts: Vec<(Method, &str, Option<Value>)> = vec![
        (
            Method::PATCH,
            "/admin/users/dora",
            Some(json!({"active": false})),
        ),
        (
            Method::PATCH,
            "/admin/users/dora",
            Some(json!({"crm_client": false})),
        ),
        (
            Method::PUT,
            "/admin/users/dora/password",
            Some(json!({"password": "taken over!"})),
        ),
        (
            Method::POST,
            "/admin/users/dora/devices",
            Some(json!({"kind": "desk"})),
        ),
        (Method::DELETE, "/admin/devices/dora-desk", None),
        (
            Method::PUT,
            "/admin/groups/gx",
            Some(json!({"name": "Mine now", "members": [{"user": "ana"}]})),
        ),
        (Method::DELETE, "/admin/groups/gx", None),
        (Method::DELETE, "/admin/orgs/globex-salesforce", None),
        // And an id nobody has, which answers the same.
        (
            Method::PATCH,
            "/admin/users/nobody",
            Some(json!({"name": "X"})),
        ),
    ];
    for (m, path, body) in attempts {
        let a = call(&app, m.clone(), path, &ana, body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{m} {path}: {}", a.text);
        assert_eq!(a.code(), "not_found");
    }
    // A Globex member cannot be put into an Acme group either.
    let a = call(
        &app,
        Method::POST,
        "/admin/groups",
        &ana,
        Some(json!({"name": "Mixed", "members": [{"user": "ana"}, {"user": "dora"}]})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.code(), "invalid_group");
    for (m, path, body) in reseller_operations() {
        let a = call(&app, m.clone(), path, &ana, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{m} {path}: {}", a.text);
    }
    // Globex is untouched: Dora signs in, keeps her devices, permission and group.
    let dora = app.login("dora").await;
    let me = app.get("/api/v1/me", &dora).await;
    assert_eq!(me.body["permissions"], json!(["crm_client"]));
    assert_eq!(me.body["devices"].as_array().unwrap().len(), 2);
    let gx = app.state.store.groups("globex").await.unwrap();
    assert_eq!(gx[0].name, "Globex sales");
    assert_eq!(gx[0].members, [GroupMember::User("dora".into())]);
    assert_eq!(
        get(&app, "/admin/audit", &ana).await.body,
        json!([]),
        "no change, no row"
    );
}

#[tokio::test]
async fn a_reseller_administrator_manages_her_reseller_only() {
    let app = app().await;
    let rita = rita(&app).await;
    let r = get(&app, "/admin/reseller", &rita).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], "demo-active");
    assert_eq!(r.body["mode"], "active");
    assert_eq!(r.body["extension_lists"], true);
    assert_eq!(
        r.body["customers"],
        json!([
            {"id": "acme", "name": "Acme", "country": "PT", "users": 3},
            {"id": "demo-active-hq", "name": "Demo Active HQ", "country": "PT", "users": 1},
        ]),
        "Globex (another reseller's) is not there"
    );
    // The mode, live through admin_live: Acme's users see it.
    let a = call(
        &app,
        Method::PUT,
        "/admin/reseller/mode",
        &rita,
        Some(json!({"mode": "passive", "extension_lists": false})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["mode"], "passive");
    assert_eq!(a.body["extension_lists"], false);
    let ana = app.login("ana").await;
    assert_eq!(app.get("/api/v1/me", &ana).await.body["mode"], "passive");
    // Globex's reseller did not move.
    let dora = app.login("dora").await;
    assert_eq!(app.get("/api/v1/me", &dora).await.body["mode"], "passive");
    // A new customer.
    let a = call(
        &app,
        Method::POST,
        "/admin/reseller/customers",
        &rita,
        Some(json!({"name": "  Initech ", "country": "br"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["name"], "Initech");
    assert_eq!(a.body["country"], "BR");
    assert_eq!(a.body["users"], 0);
    let initech = a.body["id"].as_str().unwrap().to_owned();
    let r = get(&app, "/admin/reseller", &rita).await;
    assert_eq!(r.body["customers"].as_array().unwrap().len(), 3);
    // Both changes are in the reseller's audit log, newest first, and not in a customer's.
    let log = get(&app, "/admin/reseller/audit", &rita).await;
    assert_eq!(log.status, StatusCode::OK);
    let log = log.body.as_array().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["action"], "customer.create");
    assert_eq!(log[0]["target"], initech.as_str());
    assert_eq!(
        log[0]["detail"],
        json!({"name": "Initech", "country": "BR"})
    );
    assert_eq!(log[1]["action"], "reseller.mode");
    assert_eq!(log[1]["target"], "demo-active");
    assert_eq!(
        log[1]["detail"]["mode"],
        json!({"from": "active", "to": "passive"})
    );
    for e in &log {
        assert_eq!(e["actor"], json!({"id": "rita", "name": "Rita Reis"}));
        assert_eq!(e["from"], FROM_TEXT);
    }
    assert!(log[0]["id"].as_i64() > log[1]["id"].as_i64());
    assert_eq!(get(&app, "/admin/audit", &ana).await.body, json!([]));
    // As an administrator of her own customer she sees its users only: Acme's are 404.
    let users = get(&app, "/admin/users", &rita).await;
    assert_eq!(users.body.as_array().unwrap().len(), 1);
    assert_eq!(users.body[0]["role"], "reseller_admin");
    let a = call(
        &app,
        Method::PATCH,
        "/admin/users/ana",
        &rita,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text);
    // Bad input: a clear 422.
    for (body, says) in [
        (json!({"name": "", "country": "PT"}), "name"),
        (json!({"name": "Zed", "country": "ZZ"}), "country"),
        (json!({"name": "a".repeat(101), "country": "PT"}), "100"),
    ] {
        let a = call(
            &app,
            Method::POST,
            "/admin/reseller/customers",
            &rita,
            Some(body),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.code(), "invalid_customer");
        assert!(
            a.body["message"].as_str().unwrap().contains(says),
            "{}",
            a.text
        );
    }
    // An unknown mode is a malformed body.
    let a = call(
        &app,
        Method::PUT,
        "/admin/reseller/mode",
        &rita,
        Some(json!({"mode": "hybrid", "extension_lists": false})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn users_are_created_changed_and_audited() {
    let app = app().await;
    let ana = app.login("ana").await;
    let a = call(
        &app,
        Method::POST,
        "/admin/users",
        &ana,
        Some(
            json!({"name": " Diego Alves ", "email": " Diego@Acme.Example", "extension": "204",
                    "crm_client": true, "password": "diego's password"}),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let diego = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.body,
        json!({"id": diego, "name": "Diego Alves", "email": "diego@acme.example",
               "extension": "204", "role": "user", "active": true, "crm_client": true,
               "devices": []})
    );
    let e = audited(&app, &ana, "ana", "user.create", &diego).await;
    assert_eq!(e["actor"]["name"], "Ana Costa");
    assert_eq!(e["detail"]["email"], "diego@acme.example");
    assert!(
        !e.to_string().contains("diego's password"),
        "no secret: {e}"
    );
    // He signs in with that password and uses the widget.
    let t = login_email(&app, "diego@acme.example", "diego's password").await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let dt = t.body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &dt).await.status, StatusCode::OK);
    // In the list, by name.
    let users = get(&app, "/admin/users", &ana).await.body;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Ana Costa", "Bruno Silva", "Carla Santos", "Diego Alves"]
    );
    assert_eq!(users[0]["devices"].as_array().unwrap().len(), 3);
    assert_eq!(users[0]["role"], "customer_admin");
    assert_eq!(users[2]["crm_client"], false);

    // Taken emails and extensions (a user's, or the Sales group's 600).
    for (body, code) in [
        (
            json!({"name": "X", "email": "BRUNO@acme.example", "extension": "250"}),
            "email_taken",
        ),
        (
            json!({"name": "X", "email": "dora@globex.example", "extension": "250"}),
            "email_taken",
        ),
        (
            json!({"name": "X", "email": "x@acme.example", "extension": "202"}),
            "extension_taken",
        ),
        (
            json!({"name": "X", "email": "x@acme.example", "extension": "600"}),
            "extension_taken",
        ),
    ] {
        let a = call(&app, Method::POST, "/admin/users", &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
        assert_eq!(a.code(), code);
    }
    // Globex's 301 is free in Acme.
    let a = call(
        &app,
        Method::POST,
        "/admin/users",
        &ana,
        Some(json!({"name": "Eva", "email": "eva@acme.example", "extension": "301"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let eva = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(a.body["crm_client"], false);
    let e = audited(&app, &ana, "ana", "user.create", &eva).await;
    assert_eq!(e["detail"]["invited"], true);
    // Invited (no password): no password signs her in.
    for pw in ["", "demo", "password"] {
        let t = login_email(&app, "eva@acme.example", pw).await;
        assert_eq!(t.status, StatusCode::UNAUTHORIZED);
    }

    // Validation: each says what is allowed.
    for (body, says) in [
        (
            json!({"name": "", "email": "y@acme.example", "extension": "251"}),
            "name",
        ),
        (
            json!({"name": "a\u{1}b", "email": "y@acme.example", "extension": "251"}),
            "control",
        ),
        (
            json!({"name": "a".repeat(101), "email": "y@acme.example", "extension": "251"}),
            "100",
        ),
        (
            json!({"name": "Y", "email": "y@acme", "extension": "251"}),
            "email",
        ),
        (
            json!({"name": "Y", "email": "y acme.example", "extension": "251"}),
            "email",
        ),
        (
            json!({"name": "Y", "email": format!("{}@acme.example", "y".repeat(250)), "extension": "251"}),
            "254",
        ),
        (
            json!({"name": "Y", "email": "y@acme.example", "extension": "2"}),
            "2 to 6 digits",
        ),
        (
            json!({"name": "Y", "email": "y@acme.example", "extension": "25a"}),
            "2 to 6 digits",
        ),
        (
            json!({"name": "Y", "email": "y@acme.example", "extension": "251", "password": "short"}),
            "8 to 1024",
        ),
        (
            json!({"name": "Y", "email": "y@acme.example", "extension": "251", "role": "reseller_admin"}),
            "user or customer_admin",
        ),
    ] {
        let a = call(&app, Method::POST, "/admin/users", &ana, Some(body.clone())).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.text
        );
        assert_eq!(a.code(), "invalid_user");
        assert!(
            a.body["message"].as_str().unwrap().contains(says),
            "{body}: {}",
            a.text
        );
    }
    // Unknown fields are refused (a typo never passes silently).
    let a = call(
        &app,
        Method::POST,
        "/admin/users",
        &ana,
        Some(json!({"name": "Y", "email": "y@acme.example", "extension": "251", "admin": true})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // PATCH: rename and promote; only real changes are audited.
    let a = call(
        &app,
        Method::PATCH,
        &format!("/admin/users/{diego}"),
        &ana,
        Some(json!({"name": "Diego A. Alves", "role": "customer_admin", "active": true})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["name"], "Diego A. Alves");
    assert_eq!(a.body["role"], "customer_admin");
    let e = audited(&app, &ana, "ana", "user.update", &diego).await;
    assert_eq!(
        e["detail"],
        json!({"name": {"from": "Diego Alves", "to": "Diego A. Alves"},
               "role": {"from": "user", "to": "customer_admin"}})
    );
    let id_before = e["id"].clone();
    let a = call(
        &app,
        Method::PATCH,
        &format!("/admin/users/{diego}"),
        &ana,
        Some(json!({"name": "Diego A. Alves"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        last_audit(&app, &ana).await["id"],
        id_before,
        "nothing changed"
    );
    // Diego, now an administrator, may not demote or deactivate himself; ana may not either.
    for (token, id) in [(&dt, diego.as_str()), (&ana, "ana")] {
        for body in [json!({"active": false}), json!({"role": "user"})] {
            let a = call(
                &app,
                Method::PATCH,
                &format!("/admin/users/{id}"),
                token,
                Some(body),
            )
            .await;
            assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
            assert_eq!(a.code(), "own_account");
        }
    }
    // Renaming oneself is fine.
    let a = call(
        &app,
        Method::PATCH,
        "/admin/users/ana",
        &ana,
        Some(json!({"name": "Ana C. Costa"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    for (body, says) in [
        (json!({"name": "  "}), "name"),
        (json!({"role": "reseller_admin"}), "user or customer_admin"),
    ] {
        let a = call(&app, Method::PATCH, "/admin/users/bruno", &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert!(a.body["message"].as_str().unwrap().contains(says));
    }
    let a = call(
        &app,
        Method::PATCH,
        &format!("/admin/users/{}", "x".repeat(65)),
        &ana,
        Some(json!({"name": "X"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // Password: set, audited without the secret, sessions end.
    let a = call(
        &app,
        Method::PUT,
        &format!("/admin/users/{diego}/password"),
        &ana,
        Some(json!({"password": "a brand new one"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    let e = audited(&app, &ana, "ana", "user.password", &diego).await;
    assert_eq!(e["detail"], json!({}));
    assert_eq!(
        app.get("/api/v1/me", &dt).await.status,
        StatusCode::UNAUTHORIZED
    );
    let t = login_email(&app, "diego@acme.example", "a brand new one").await;
    assert_eq!(t.status, StatusCode::OK);
    let a = call(
        &app,
        Method::PUT,
        "/admin/users/bruno/password",
        &ana,
        Some(json!({"password": "1234567"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.code(), "invalid_user");

    // A reseller administrator's account is not a customer administrator's to change.
    app.state
        .store
        .set_role("carla", ucclient_core::api::Role::ResellerAdmin)
        .await
        .unwrap();
    for (m, path, body) in [
        (
            Method::PATCH,
            "/admin/users/carla",
            json!({"active": false}),
        ),
        (
            Method::PUT,
            "/admin/users/carla/password",
            json!({"password": "taken over!"}),
        ),
    ] {
        let a = call(&app, m, path, &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
    }
    // Nothing else in the log than the changes made (the audit never logs a refusal).
    let all = get(&app, "/admin/audit?limit=100", &ana).await.body;
    let actions: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.password",
            "user.update",
            "user.update",
            "user.create",
            "user.create"
        ]
    );
}

#[tokio::test]
async fn devices_groups_wrap_up_and_orgs_are_managed_and_audited() {
    let app = app().await;
    let ana = app.login("ana").await;
    // Devices.
    let a = call(
        &app,
        Method::POST,
        "/admin/users/carla/devices",
        &ana,
        Some(json!({"kind": "softphone"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["label"], "Softphone", "the kind's name by default");
    assert_eq!(a.body["number"], "203", "the user's extension by default");
    let soft = a.body["id"].as_str().unwrap().to_owned();
    let e = audited(&app, &ana, "ana", "device.add", &soft).await;
    assert_eq!(e["detail"]["user"], "carla");
    let carla = get(&app, "/admin/users", &ana).await.body[2].clone();
    assert_eq!(carla["devices"][1]["id"], soft.as_str(), "at the end");
    for (body, says) in [
        (json!({"kind": "desk", "label": "x".repeat(65)}), "label"),
        (json!({"kind": "desk", "number": "two words"}), "spaces"),
        (json!({"kind": "desk", "number": "1".repeat(129)}), "128"),
    ] {
        let a = call(
            &app,
            Method::POST,
            "/admin/users/carla/devices",
            &ana,
            Some(body),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.code(), "invalid_device");
        assert!(
            a.body["message"].as_str().unwrap().contains(says),
            "{}",
            a.text
        );
    }
    let a = call(
        &app,
        Method::POST,
        "/admin/users/carla/devices",
        &ana,
        Some(json!({"kind": "fax"})),
    )
    .await;
    assert!(a.status.is_client_error(), "{}", a.text);
    // At most 20 per user.
    for i in 0..18 {
        let a = call(
            &app,
            Method::POST,
            "/admin/users/carla/devices",
            &ana,
            Some(json!({"kind": "mobile", "number": format!("+3519120003{i:02}")})),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{i}: {}", a.text);
    }
    let a = call(
        &app,
        Method::POST,
        "/admin/users/carla/devices",
        &ana,
        Some(json!({"kind": "mobile"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body["message"].as_str().unwrap().contains("20"));
    let a = call(
        &app,
        Method::DELETE,
        &format!("/admin/devices/{soft}"),
        &ana,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    let e = audited(&app, &ana, "ana", "device.remove", &soft).await;
    assert_eq!(e["detail"]["user"], "carla");
    let a = call(
        &app,
        Method::DELETE,
        &format!("/admin/devices/{soft}"),
        &ana,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "gone");

    // Groups.
    let a = call(
        &app,
        Method::POST,
        "/admin/groups",
        &ana,
        Some(
            json!({"name": "Support", "extension": "610", "voicemail": true,
                    "members": [{"user": "carla"}, {"extension_list_of": "ana"}]}),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let support = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.body,
        json!({"id": support, "name": "Support", "extension": "610", "voicemail": true,
               "members": [{"user": "carla"}, {"extension_list_of": "ana"}]})
    );
    audited(&app, &ana, "ana", "group.put", &support).await;
    let groups = get(&app, "/admin/groups", &ana).await.body;
    assert_eq!(groups.as_array().unwrap().len(), 2);
    assert_eq!(groups[0]["id"], "sales");
    assert_eq!(groups[0]["extension"], "600");
    assert_eq!(groups[1]["id"], support.as_str());
    // Its extension is now taken for users and other groups, free for itself.
    let a = call(
        &app,
        Method::POST,
        "/admin/users",
        &ana,
        Some(json!({"name": "Z", "email": "z@acme.example", "extension": "610"})),
    )
    .await;
    assert_eq!(a.code(), "extension_taken");
    let a = call(
        &app,
        Method::PUT,
        "/admin/groups/sales",
        &ana,
        Some(json!({"name": "Sales", "extension": "610", "members": []})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.code(), "extension_taken");
    let a = call(
        &app,
        Method::PUT,
        &format!("/admin/groups/{support}"),
        &ana,
        Some(json!({"name": "Support desk", "extension": "610", "members": [{"user": "bruno"}]})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["voicemail"], false);
    assert_eq!(a.body["members"], json!([{"user": "bruno"}]));
    audited(&app, &ana, "ana", "group.put", &support).await;
    let many: Vec<Value> = (0..101).map(|_| json!({"user": "bruno"})).collect();
    for (body, says) in [
        (json!({"name": "", "members": []}), "name"),
        (
            json!({"name": "G", "extension": "6", "members": []}),
            "2 to 6 digits",
        ),
        (json!({"name": "G", "members": many}), "100"),
        (
            json!({"name": "G", "members": [{"user": "bruno"}, {"extension_list_of": "bruno"}]}),
            "once",
        ),
        (
            json!({"name": "G", "members": [{"user": "nobody"}]}),
            "your company",
        ),
    ] {
        let a = call(&app, Method::POST, "/admin/groups", &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.code(), "invalid_group");
        assert!(
            a.body["message"].as_str().unwrap().contains(says),
            "{}",
            a.text
        );
    }
    let a = call(
        &app,
        Method::DELETE,
        &format!("/admin/groups/{support}"),
        &ana,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    audited(&app, &ana, "ana", "group.delete", &support).await;
    let a = call(
        &app,
        Method::DELETE,
        &format!("/admin/groups/{support}"),
        &ana,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // Wrap-up.
    let w = get(&app, "/admin/wrap-up", &ana).await;
    assert_eq!(w.status, StatusCode::OK);
    assert_eq!(w.body["seconds"], 120);
    let new = json!({"dispositions": [{"code": "sale", "label": "Sale"},
                                      {"code": "no_sale", "label": "No sale"}], "seconds": 45});
    let a = call(&app, Method::PUT, "/admin/wrap-up", &ana, Some(new.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body, new);
    let e = audited(&app, &ana, "ana", "wrap_up.put", "acme").await;
    assert_eq!(
        e["detail"],
        json!({"dispositions": ["sale", "no_sale"], "seconds": 45})
    );
    let bruno = app.login("bruno").await;
    assert_eq!(app.get("/api/v1/me", &bruno).await.body["wrap_up"], new);
    for body in [
        json!({"dispositions": [], "seconds": 45}),
        json!({"dispositions": [{"code": "Sale!", "label": "Sale"}], "seconds": 45}),
        json!({"dispositions": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}], "seconds": 45}),
        json!({"dispositions": [{"code": "a", "label": "A"}], "seconds": 5}),
    ] {
        let a = call(&app, Method::PUT, "/admin/wrap-up", &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.code(), "invalid_settings");
    }

    // Orgs are audited too.
    let a = call(
        &app,
        Method::POST,
        "/admin/orgs",
        &ana,
        Some(json!({"crm": "salesforce", "org": "acme-eu"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let org = a.body["id"].as_str().unwrap().to_owned();
    let e = audited(&app, &ana, "ana", "org.add", &org).await;
    assert_eq!(e["detail"]["crm"], "salesforce");
    assert_eq!(e["detail"]["org"], "acme-eu");
    let a = call(
        &app,
        Method::DELETE,
        &format!("/admin/orgs/{org}"),
        &ana,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    audited(&app, &ana, "ana", "org.remove", &org).await;

    // Paging: newest first, `before` continues, bounds are 400.
    let all = get(&app, "/admin/audit?limit=100", &ana).await.body;
    let all = all.as_array().unwrap();
    assert_eq!(
        all.len(),
        26,
        "19 devices added, 1 removed, 3 group changes, wrap-up, 2 orgs"
    );
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let page = get(
        &app,
        &format!("/admin/audit?before={}&limit=2", ids[1]),
        &ana,
    )
    .await
    .body;
    let page_ids: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page_ids, ids[2..4]);
    assert_eq!(
        get(&app, "/admin/audit", &ana)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        26,
        "50 by default"
    );
    for q in ["limit=0", "limit=101", "before=0", "limit=x"] {
        let a = get(&app, &format!("/admin/audit?{q}"), &ana).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
    }
}

#[tokio::test]
async fn writes_spend_the_write_budget() {
    let app = TestApp::demo_with(|c| c.writes_per_minute = 2).await;
    let ana = app.login("ana").await;
    for i in 0..2 {
        let a = call(
            &app,
            Method::PATCH,
            "/admin/users/bruno",
            &ana,
            Some(json!({"name": format!("Bruno {i}")})),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let a = call(
        &app,
        Method::PATCH,
        "/admin/users/bruno",
        &ana,
        Some(json!({"name": "Bruno 3"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.get("retry-after").is_some());
    // Reads are not budgeted.
    assert_eq!(get(&app, "/admin/users", &ana).await.status, StatusCode::OK);
}

/// A demo backend on a real socket (for live streams), with a generous write budget.
async fn served() -> (tempfile::TempDir, Served) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    config.writes_per_minute = 10_000;
    common::seed(&config).await;
    let s = Served::start(config).await;
    (dir, s)
}

async fn patch(s: &Served, token: &str, user: &str, body: Value) -> reqwest::Response {
    Served::client()
        .patch(format!("{}/api/v1/admin/users/{user}", s.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn deactivation_ends_the_users_sessions_and_streams_and_keeps_them_out() {
    let (_dir, s) = served().await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut stream = s.events(&bruno, None).await;
    assert_eq!(stream.next().await.event, "snapshot");
    let r = patch(&s, &ana, "bruno", json!({"active": false})).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["active"], false);
    // His stream ends with the reason, at once.
    let seen = stream.until_end(Duration::from_secs(10)).await;
    let last = seen.last().expect("an access_ended event");
    assert_eq!(last.event, "access_ended", "{seen:?}");
    assert_eq!(last.data["reason"], "user_deleted");
    // His token is dead, and he cannot sign in again (like a wrong password: no hint).
    let http = Served::client();
    let me = http
        .get(format!("{}/api/v1/me", s.base))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    let ticket = http
        .post(format!("{}/api/v1/events/ticket", s.base))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), 401);
    let login = http
        .post(format!("{}/api/v1/login", s.base))
        .json(&json!({"email": "bruno@acme.example", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
    // The audit row names ana and her address (the socket's).
    let log: Value = http
        .get(format!("{}/api/v1/admin/audit?limit=1", s.base))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["action"], "user.update");
    assert_eq!(log[0]["target"], "bruno");
    assert_eq!(log[0]["detail"], json!({"active": false}));
    assert_eq!(log[0]["from"], "127.0.0.1");
    // Reactivated, he signs in again.
    let r = patch(&s, &ana, "bruno", json!({"active": true})).await;
    assert_eq!(r.status(), 200);
    let bruno = s.login("bruno").await;
    let mut stream = s.events(&bruno, None).await;
    assert_eq!(stream.next().await.event, "snapshot");
    s.stop().await;
}

#[tokio::test]
async fn revoking_crm_client_reaches_the_users_stream_live() {
    let (_dir, s) = served().await;
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut stream = s.events(&bruno, None).await;
    assert_eq!(stream.next().await.event, "snapshot");
    let r = patch(&s, &ana, "bruno", json!({"crm_client": false})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["crm_client"], false);
    let seen = stream.until_end(Duration::from_secs(10)).await;
    let last = seen.last().expect("an access_ended event");
    assert_eq!(last.event, "access_ended", "{seen:?}");
    assert_eq!(last.data["reason"], "not_licensed");
    // /me still answers (it tells the widget "not enabled"), without the permission.
    let http = Served::client();
    let me: Value = http
        .get(format!("{}/api/v1/me", s.base))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["permissions"], json!([]));
    let ticket = http
        .post(format!("{}/api/v1/events/ticket", s.base))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), 403);
    // Granted again: he is back.
    let r = patch(&s, &ana, "bruno", json!({"crm_client": true})).await;
    assert_eq!(r.status(), 200);
    let mut stream = s.events(&bruno, None).await;
    assert_eq!(stream.next().await.event, "snapshot");
    s.stop().await;
}

#[tokio::test]
async fn the_operators_commands_are_audited_as_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_in(&dir);
    common::seed(&config).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ucclient-server"))
            .args(args)
            .arg("--database")
            .arg(&config.database)
            .env_remove("UCCLIENT_DATABASE")
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["user", "revoke", "bruno", "crm_client"]);
    run(&["user", "deactivate", "carla"]);
    run(&["group", "delete", "sales"]);
    run(&["reseller", "mode", "demo-active", "passive"]);
    let engine = common::open_store(&config.database).await;
    let store = engine.store();
    use ucclient_server::store::AuditScope;
    let acme = store
        .audit(&AuditScope::Customer("acme".into()), None, 10)
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = acme
        .iter()
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("group.delete", "sales"),
            ("user.update", "carla"),
            ("user.update", "bruno"),
        ]
    );
    for e in &acme {
        assert_eq!(e.actor.name, "operator (CLI)");
        assert_eq!(e.from, "cli");
    }
    assert_eq!(acme[1].detail, json!({"active": false}));
    assert_eq!(acme[2].detail, json!({"crm_client": false}));
    let reseller = store
        .audit(&AuditScope::Reseller("demo-active".into()), None, 10)
        .await
        .unwrap();
    assert_eq!(reseller.len(), 1);
    assert_eq!(reseller[0].action, "reseller.mode");
    engine.close().await;
    // carla is deactivated for the server too: she cannot sign in.
    let backend = ucclient_server::Backend::open(config).await.unwrap();
    let a = common::send(
        &backend.router(),
        Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"email": "carla@acme.example", "password": "demo"}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    backend.stop().await;
}

#[tokio::test]
async fn bodies_are_json_objects_and_integral_numbers_may_carry_a_point() {
    let app = app().await;
    let ana = app.login("ana").await;
    for body in [json!([null, null]), json!("name"), json!(null)] {
        let a = call(&app, Method::PATCH, "/admin/users/bruno", &ana, Some(body)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        assert!(
            a.body["message"].as_str().unwrap().contains("object"),
            "{}",
            a.text
        );
    }
    let a = call(
        &app,
        Method::PUT,
        "/admin/wrap-up",
        &ana,
        Some(json!({"dispositions": [{"code": "sale", "label": "Sale"}], "seconds": 45.0})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["seconds"], 45);
    let a = call(
        &app,
        Method::PUT,
        "/admin/wrap-up",
        &ana,
        Some(json!({"dispositions": [{"code": "sale", "label": "Sale"}], "seconds": 45.5})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    // A member is exactly one of user and extension_list_of.
    for member in [
        json!({}),
        json!({"user": "bruno", "extension_list_of": "ana"}),
    ] {
        let a = call(
            &app,
            Method::POST,
            "/admin/groups",
            &ana,
            Some(json!({"name": "G", "members": [member]})),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
        assert_eq!(a.code(), "invalid_group");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_audit_records_the_forwarded_client() {
    let app = TestApp::demo_with(|c| {
        c.trusted_proxies = vec![FROM_TEXT.parse().unwrap()];
    })
    .await;
    let ana = app.login("ana").await;
    let mut req = Request::builder()
        .method(Method::PATCH)
        .uri("/api/v1/admin/users/bruno")
        .header("authorization", format!("Bearer {ana}"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "198.51.100.9")
        .body(Body::from(json!({"name": "Bruno S."}).to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((FROM, 40_000))));
    let a = app.request(req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(last_audit(&app, &ana).await["from"], "198.51.100.9");
    // Not from a trusted proxy: the header is ignored.
    let app = TestApp::demo().await;
    let ana = app.login("ana").await;
    let mut req = Request::builder()
        .method(Method::PATCH)
        .uri("/api/v1/admin/users/bruno")
        .header("authorization", format!("Bearer {ana}"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "198.51.100.9")
        .body(Body::from(json!({"name": "Bruno S."}).to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((FROM, 40_000))));
    app.request(req).await;
    assert_eq!(last_audit(&app, &ana).await["from"], FROM_TEXT);
}
