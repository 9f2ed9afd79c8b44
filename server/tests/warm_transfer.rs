//! Warm transfer and missed calls (issue 13, transfer) over the API: a consultation leg while the
//! first call is held, completed (the held party goes to the target, both of the agent's legs end
//! `transferred` with the target recorded) or cancelled (the first call stays held), every
//! refusal; and the missed-call count with its seen mark, live on every stream of the user. On
//! tokio's clock, moved by [`jump`].

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::calls::{connected_call_of_ana, hour_long_calls, jump, on_call, post, wait_for};
use common::{Served, Sse, TestApp};
use serde_json::{Value, json};

#[tokio::test]
async fn a_warm_transfer_to_a_colleague_consults_then_hands_the_caller_over() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;

    let leg = app
        .post(
            &format!("/api/v1/calls/{id}/consult"),
            &ana,
            json!({"to": "202"}),
        )
        .await;
    assert_eq!(leg.status, StatusCode::CREATED, "{}", leg.text);
    assert_eq!(
        (
            leg.body["direction"].as_str(),
            leg.body["state"].as_str(),
            leg.body["to"].as_str(),
            leg.body["consult_of"].as_str()
        ),
        (
            Some("outbound"),
            Some("dialing"),
            Some("202"),
            Some(id.as_str())
        )
    );
    let leg_id = leg.body["id"].as_str().unwrap().to_owned();
    // The first call is held meanwhile, still connected: ana stays busy.
    let first = wait_for(&app, &ana, |c| c["id"] == id.as_str()).await;
    assert_eq!(
        (first["state"].as_str(), first["held"].as_bool()),
        (Some("connected"), Some(true))
    );
    assert_eq!(on_call(&app, &ana).await, true);

    // Completing before bruno answers is refused; his phone rings after DIAL.
    let early = post(&app, &format!("/api/v1/calls/{id}/consult/complete"), &ana).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "not_consulting"),
        "{}",
        early.text
    );
    jump(Duration::from_secs(3600)).await;
    let rung = wait_for(&app, &bruno, |c| {
        c["direction"] == "inbound" && c["state"] == "ringing"
    })
    .await;
    assert_eq!(
        (rung["from"].as_str(), rung["internal"].as_bool()),
        (Some("201"), Some(true))
    );
    let rung_id = rung["id"].as_str().unwrap().to_owned();
    assert_eq!(on_call(&app, &bruno).await, false, "ringing is not busy");
    let answered = post(&app, &format!("/api/v1/calls/{rung_id}/answer"), &bruno).await;
    assert_eq!(answered.body["state"], "connected", "{}", answered.text);
    assert_eq!(
        on_call(&app, &bruno).await,
        true,
        "the consulted colleague is busy"
    );
    let leg_now = wait_for(&app, &ana, |c| c["id"] == leg_id.as_str()).await;
    assert_eq!(leg_now["state"], "connected");

    let done = post(&app, &format!("/api/v1/calls/{id}/consult/complete"), &ana).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        (
            done.body["state"].as_str(),
            done.body["outcome"].as_str(),
            done.body["transferred_to"].as_str()
        ),
        (Some("ended"), Some("transferred"), Some("202"))
    );
    assert!(done.body.get("held").is_none());
    let leg_after = wait_for(&app, &ana, |c| c["id"] == leg_id.as_str()).await;
    assert_eq!(
        (
            leg_after["state"].as_str(),
            leg_after["outcome"].as_str(),
            leg_after["transferred_to"].as_str()
        ),
        (Some("ended"), Some("transferred"), Some("202"))
    );
    assert_eq!(
        on_call(&app, &ana).await,
        false,
        "both of her legs are over"
    );
    // Bruno talks on, now with the customer who called ana.
    let his = wait_for(&app, &bruno, |c| c["id"] == rung_id.as_str()).await;
    assert_eq!(
        (
            his["state"].as_str(),
            his["from"].as_str(),
            his["internal"].as_bool()
        ),
        (Some("connected"), Some("+351912345678"), Some(false)),
        "a customer's call now, logged on the CRM like one"
    );
    assert_eq!(on_call(&app, &bruno).await, true);
    let again = post(&app, &format!("/api/v1/calls/{id}/consult/complete"), &ana).await;
    assert_eq!(again.code(), "not_consulting");
    // He hangs up: the call is over like any other.
    let hung = post(&app, &format!("/api/v1/calls/{rung_id}/hangup"), &bruno).await;
    assert_eq!(hung.body["state"], "ended");
    assert_eq!(on_call(&app, &bruno).await, false);
}

#[tokio::test]
async fn a_colleague_on_the_held_call_is_handed_to_the_consulted_one() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    // Bruno calls ana; she answers, consults a number outside, and completes.
    let out = app
        .post("/api/v1/calls", &bruno, json!({"to": "201"}))
        .await;
    let out_id = out.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let incoming = wait_for(&app, &ana, |c| c["direction"] == "inbound").await;
    let in_id = incoming["id"].as_str().unwrap().to_owned();
    post(&app, &format!("/api/v1/calls/{in_id}/answer"), &ana).await;

    let to_bruno = app
        .post(
            &format!("/api/v1/calls/{in_id}/consult"),
            &ana,
            json!({"to": "202"}),
        )
        .await;
    assert_eq!(
        (to_bruno.status, to_bruno.body["reason"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("transfer_to_self")),
        "not the colleague she is talking to: {}",
        to_bruno.text
    );
    let leg = app
        .post(
            &format!("/api/v1/calls/{in_id}/consult"),
            &ana,
            json!({"to": "912 000 003"}),
        )
        .await;
    assert_eq!(leg.status, StatusCode::CREATED, "{}", leg.text);
    assert_eq!(leg.body["to"], "+351912000003");
    // The simulated far side rings after DIAL and answers after RING.
    jump(Duration::from_secs(3600)).await;
    let leg_id = leg.body["id"].as_str().unwrap().to_owned();
    wait_for(&app, &ana, |c| {
        c["id"] == leg_id.as_str() && c["state"] == "ringing"
    })
    .await;
    jump(Duration::from_secs(3600)).await;
    wait_for(&app, &ana, |c| {
        c["id"] == leg_id.as_str() && c["state"] == "connected"
    })
    .await;

    let done = post(
        &app,
        &format!("/api/v1/calls/{in_id}/consult/complete"),
        &ana,
    )
    .await;
    assert_eq!(
        done.body["transferred_to"], "+351912000003",
        "{}",
        done.text
    );
    // Bruno's call talks on with the number outside.
    let his = wait_for(&app, &bruno, |c| c["id"] == out_id.as_str()).await;
    assert_eq!(his["state"], "connected");
    assert_eq!(on_call(&app, &bruno).await, true);
    assert_eq!(on_call(&app, &ana).await, false);
}

#[tokio::test]
async fn a_cancelled_consultation_leaves_the_first_call_held() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let id = connected_call_of_ana(&app, &ana).await;
    let leg = app
        .post(
            &format!("/api/v1/calls/{id}/consult"),
            &ana,
            json!({"to": "202"}),
        )
        .await;
    let leg_id = leg.body["id"].as_str().unwrap().to_owned();
    jump(Duration::from_secs(3600)).await;
    let rung = wait_for(&app, &bruno, |c| c["state"] == "ringing").await;

    let cancelled = post(&app, &format!("/api/v1/calls/{id}/consult/cancel"), &ana).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(
        (
            cancelled.body["state"].as_str(),
            cancelled.body["held"].as_bool()
        ),
        (Some("connected"), Some(true))
    );
    let leg_after = wait_for(&app, &ana, |c| c["id"] == leg_id.as_str()).await;
    assert_eq!(leg_after["state"], "ended");
    // Bruno's phone stops ringing: missed on his side, as for any caller hanging up.
    let his = wait_for(&app, &bruno, |c| c["id"] == rung["id"]).await;
    assert_eq!(
        (his["state"].as_str(), his["outcome"].as_str()),
        (Some("failed"), Some("missed"))
    );
    let again = post(&app, &format!("/api/v1/calls/{id}/consult/cancel"), &ana).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "not_consulting")
    );
    // Back to the caller; a new consultation may start after.
    let resumed = post(&app, &format!("/api/v1/calls/{id}/resume"), &ana).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    let second = app
        .post(
            &format!("/api/v1/calls/{id}/consult"),
            &ana,
            json!({"to": "203"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
}

#[tokio::test]
async fn consultations_are_refused_clearly() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let consult = |id: String, to: &'static str, token: String| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/calls/{id}/consult"),
                &token,
                json!({ "to": to }),
            )
            .await
        }
    };

    // Not connected: a ringing call.
    let ringing = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351912345679", "to_user": "ana"}),
        )
        .await;
    let ringing_id = ringing.body["id"].as_str().unwrap().to_owned();
    let r = consult(ringing_id.clone(), "202", ana.clone()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "call_not_connected")
    );
    post(&app, &format!("/api/v1/calls/{ringing_id}/decline"), &ana).await;

    let id = connected_call_of_ana(&app, &ana).await;
    let r = consult(id.clone(), "201", ana.clone()).await;
    assert_eq!(
        (r.status, r.code(), r.body["reason"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            Some("transfer_to_self")
        )
    );
    let r = consult(id.clone(), "299", ana.clone()).await;
    assert_eq!(r.body["reason"], "unknown_extension", "{}", r.text);
    let r = consult(id.clone(), "+35191", ana.clone()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_number")
    );
    let r = consult(id.clone(), "202", bruno.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "someone else's call");
    let r = app
        .post(
            &format!("/api/v1/calls/{id}/consult"),
            &ana,
            json!({"to": 202}),
        )
        .await;
    assert_eq!(r.code(), "bad_request");
    for action in ["complete", "cancel"] {
        let r = post(&app, &format!("/api/v1/calls/{id}/consult/{action}"), &ana).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "not_consulting"),
            "{action}"
        );
        let r = post(
            &app,
            &format!("/api/v1/calls/{id}/consult/{action}"),
            &bruno,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{action} of someone else's call"
        );
    }
    // Still hers after every refusal: connected, not held.
    let call = wait_for(&app, &ana, |c| c["id"] == id.as_str()).await;
    assert_eq!(call["state"], "connected");
    assert!(call.get("held").is_none());

    let leg = consult(id.clone(), "202", ana.clone()).await;
    assert_eq!(leg.status, StatusCode::CREATED, "{}", leg.text);
    let r = consult(id.clone(), "203", ana.clone()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_consulting")
    );
    let leg_id = leg.body["id"].as_str().unwrap().to_owned();
    let r = consult(leg_id, "203", ana.clone()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_consulting"),
        "a consultation leg does not consult in turn"
    );
}

async fn missed_of(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/calls/missed", token).await.body["count"].clone()
}

/// Turns the user's mailbox off, so an unanswered call is missed.
async fn mailbox_off(app: &TestApp, token: &str) {
    let r = app
        .put(
            "/api/v1/voicemail/settings",
            token,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn missed_calls_are_counted_until_seen() {
    let app = TestApp::demo_with(hour_long_calls).await;
    let bruno = app.login("bruno").await;
    // Ana, a customer administrator, plays the PBX's inbound calls.
    let ana = app.login("ana").await;
    mailbox_off(&app, &bruno).await;
    assert_eq!(missed_of(&app, &bruno).await, 0);
    // One rings out, one is declined (his choice: not missed), one he answers.
    for from in ["+351912345601", "+351912345602", "+351912345603"] {
        let r = app
            .post(
                "/api/v1/pbx/calls/inbound",
                &ana,
                json!({"from": from, "to_user": "bruno"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let calls = app.get("/api/v1/calls", &bruno).await.body;
    let id_from = |n: &str| {
        calls
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["from"] == n)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    post(
        &app,
        &format!("/api/v1/calls/{}/decline", id_from("+351912345602")),
        &bruno,
    )
    .await;
    post(
        &app,
        &format!("/api/v1/calls/{}/answer", id_from("+351912345603")),
        &bruno,
    )
    .await;
    jump(Duration::from_secs(7200)).await;
    wait_for(&app, &bruno, |c| {
        c["from"] == "+351912345601" && c["outcome"] == "missed"
    })
    .await;
    assert_eq!(missed_of(&app, &bruno).await, 1);

    let seen = post(&app, "/api/v1/calls/missed/seen", &bruno).await;
    assert_eq!(
        (seen.status, seen.body.clone()),
        (StatusCode::OK, json!({"count": 0}))
    );
    assert_eq!(missed_of(&app, &bruno).await, 0);
    // A new one counts from there.
    app.post(
        "/api/v1/pbx/calls/inbound",
        &ana,
        json!({"from": "+351912345604", "to_user": "bruno"}),
    )
    .await;
    jump(Duration::from_secs(7200)).await;
    wait_for(&app, &bruno, |c| {
        c["from"] == "+351912345604" && c["outcome"] == "missed"
    })
    .await;
    assert_eq!(missed_of(&app, &bruno).await, 1);
    // Ana's count is hers.
    assert_eq!(app.get("/api/v1/calls/missed", &ana).await.body["count"], 0);
}

/// The next event named `name` of a stream.
async fn next_named(sse: &mut Sse, name: &str) -> Value {
    loop {
        let e = sse.next().await;
        if e.event == name {
            return e.data;
        }
    }
}

#[tokio::test]
async fn the_missed_count_and_its_seen_mark_reach_every_tab_live() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_in(&dir);
    config.ring_timeout_secs = 1;
    common::seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let bruno = s.login("bruno").await;
    let ana = s.login("ana").await;
    let mut tab1 = s.events(&bruno, None).await;
    let mut tab2 = s.events(&bruno, None).await;
    let mut ana_tab = s.events(&ana, None).await;
    for sse in [&mut tab1, &mut tab2, &mut ana_tab] {
        assert_eq!(sse.next().await.event, "snapshot");
    }
    let r = http
        .put(format!("{api}/voicemail/settings"))
        .bearer_auth(&bruno)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    http.post(format!("{api}/pbx/calls/inbound"))
        .bearer_auth(&ana)
        .json(&json!({"from": "+351912345678", "to_user": "bruno"}))
        .send()
        .await
        .unwrap();
    for tab in [&mut tab1, &mut tab2] {
        assert_eq!(next_named(tab, "missed").await, json!({"count": 1}));
    }
    let r = http
        .post(format!("{api}/calls/missed/seen"))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for tab in [&mut tab1, &mut tab2] {
        assert_eq!(next_named(tab, "missed").await, json!({"count": 0}));
    }
    // Ana's stream never hears of bruno's count: up to her own next change, no `missed` event.
    s.put_profile(&ana, "lunch").await;
    loop {
        let e = ana_tab.next().await;
        assert_ne!(e.event, "missed", "{:?}", e.data);
        if e.event == "presence" && e.data["user_id"] == "ana" {
            break;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn the_openapi_document_has_the_consultation_and_missed_calls() {
    let app = TestApp::demo().await;
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    assert_eq!(
        common::documented_statuses(&doc, "/calls/{id}/consult", "post"),
        [
            "201", "400", "401", "403", "404", "409", "413", "422", "429", "431", "500", "503"
        ]
    );
    for path in ["/calls/{id}/consult/complete", "/calls/{id}/consult/cancel"] {
        assert_eq!(
            common::documented_statuses(&doc, path, "post"),
            [
                "200", "400", "401", "403", "404", "409", "422", "429", "431", "500", "503"
            ],
            "{path}"
        );
    }
    let missed = &doc["paths"]["/calls/missed"]["get"]["responses"]["200"];
    assert_eq!(
        missed["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/MissedCalls"
    );
    assert!(doc["paths"]["/calls/missed/seen"]["post"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["MissedCalls"]["properties"]["count"]["maximum"],
        200
    );
    for field in ["transferred_to", "consult_of"] {
        assert_eq!(
            schemas["Call"]["properties"][field]["type"][0], "string",
            "{field}"
        );
    }
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    for code in ["already_consulting", "not_consulting"] {
        assert!(codes.contains(&json!(code)), "{code}");
    }
}
