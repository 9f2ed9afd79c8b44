//! Active mode through the HTTP surface: SPEC §4's table on the PBX for all eleven profiles, the
//! extension-list lifecycle with `/pbx/ring` for a user and the Sales group, overrides, and a PBX
//! that fails and recovers.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};

/// SPEC §4, as data: the profiles whose defaults turn DND on.
const DND_ON: [&str; 6] = [
    "away",
    "comfort_break",
    "in_a_meeting",
    "lunch",
    "on_holiday",
    "out_of_office",
];
const ALL: [&str; 11] = [
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
    "working_remotely",
];

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_profile_applies_the_spec_table_on_the_pbx() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    for profile in ALL {
        let p = app.set_profile(&t, profile).await;
        assert_eq!(p["pbx_sync"], "applied", "{profile}");
        let pbx = app.get("/api/v1/pbx/users/ana", &t).await;
        assert_eq!(pbx.status, StatusCode::OK);
        assert_eq!(
            pbx.body,
            json!({"dnd": DND_ON.contains(&profile), "forwarding": {"enabled": false, "to": null},
                   "find_me_follow_me": null, "extension_list": null}),
            "{profile}"
        );
    }
}

#[tokio::test]
async fn the_extension_list_lifecycle_and_who_rings() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let ring = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move { app.get(&format!("/api/v1/pbx/ring?{q}"), &t).await.body }
    };
    let all_ana = ["ana-desk", "ana-softphone", "ana-mobile"];

    // Nobody customised: no list; the group rings all of ana's devices and bruno's.
    assert_eq!(
        app.get("/api/v1/pbx/users/ana", &t).await.body["extension_list"],
        Value::Null
    );
    assert_eq!(ids(&ring("user=ana").await["devices"]), all_ana);
    assert_eq!(ring("user=ana").await["forwarded_to"], Value::Null);
    assert_eq!(
        ids(&ring("group=sales").await["devices"]),
        [
            "ana-desk",
            "ana-softphone",
            "ana-mobile",
            "bruno-desk",
            "bruno-mobile"
        ]
    );

    // DND alone does not create a list.
    let dnd_only = json!({"dnd": true, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}});
    let r = app
        .put("/api/v1/me/profiles/in_the_office/settings", &t, dnd_only)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["customised"], true);
    assert_eq!(
        app.get("/api/v1/pbx/users/ana", &t).await.body["extension_list"],
        Value::Null
    );

    // The first routing customisation creates it, holding the current profile's devices (Ring all).
    let home = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [{"devices": ["ana-softphone"], "after_seconds": 0},
                                                   {"devices": ["ana-mobile"], "after_seconds": 15}]}});
    let r = app
        .put(
            "/api/v1/me/profiles/working_from_home/settings",
            &t,
            home.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], "working_from_home");
    assert_eq!(r.body["settings"], home);
    assert_eq!(r.body["customised"], true);
    let pbx = app.get("/api/v1/pbx/users/ana", &t).await.body;
    assert_eq!(
        pbx["extension_list"],
        json!({"id": "xl-ana", "devices": all_ana})
    );
    assert_eq!(
        pbx["find_me_follow_me"],
        Value::Null,
        "available is still current"
    );

    // Switching to the customised profile: find-me/follow-me and the list follow it.
    app.set_profile(&t, "working_from_home").await;
    let pbx = app.get("/api/v1/pbx/users/ana", &t).await.body;
    assert_eq!(
        pbx["find_me_follow_me"],
        json!({"steps": home["routing"]["steps"]})
    );
    assert_eq!(
        ids(&pbx["extension_list"]["devices"]),
        ["ana-softphone", "ana-mobile"]
    );
    assert_eq!(
        ids(&ring("user=ana").await["devices"]),
        ["ana-softphone", "ana-mobile"]
    );
    assert_eq!(
        ids(&ring("group=sales").await["devices"]),
        ["ana-softphone", "ana-mobile", "bruno-desk", "bruno-mobile"]
    );

    // Forwarding on the current profile: direct calls go to the number, group calls do not change.
    let mut fwd = home.clone();
    fwd["forwarding"] = json!({"enabled": true, "to": "912 345 678"});
    let r = app
        .put("/api/v1/me/profiles/working_from_home/settings", &t, fwd)
        .await;
    assert_eq!(r.body["settings"]["forwarding"]["to"], "+351912345678");
    assert_eq!(
        ring("user=ana").await,
        json!({"devices": [], "forwarded_to": "+351912345678"})
    );
    assert_eq!(
        ids(&ring("group=sales").await["devices"]),
        ["ana-softphone", "ana-mobile", "bruno-desk", "bruno-mobile"]
    );

    // DND: nothing rings directly, the list is emptied, the group skips ana.
    app.set_profile(&t, "lunch").await;
    let pbx = app.get("/api/v1/pbx/users/ana", &t).await.body;
    assert_eq!(pbx["dnd"], true);
    assert_eq!(
        pbx["extension_list"],
        json!({"id": "xl-ana", "devices": []})
    );
    assert_eq!(
        ring("user=ana").await,
        json!({"devices": [], "forwarded_to": null})
    );
    assert_eq!(
        ids(&ring("group=sales").await["devices"]),
        ["bruno-desk", "bruno-mobile"]
    );

    // Back to a Ring-all profile: every device again, and the list stays.
    app.set_profile(&t, "on_the_road").await;
    let pbx = app.get("/api/v1/pbx/users/ana", &t).await.body;
    assert_eq!(ids(&pbx["extension_list"]["devices"]), all_ana);
    assert_eq!(pbx["forwarding"]["enabled"], false);

    // Defaults back: not customised any more; the list remains (it follows the current profile).
    let r = app
        .delete("/api/v1/me/profiles/working_from_home/settings", &t)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["customised"], false);
    assert_eq!(r.body["settings"]["routing"], json!({"ring": "all"}));
    let profiles = app.get("/api/v1/profiles", &t).await.body;
    assert_eq!(profiles[9]["customised"], false);
    assert_eq!(profiles[4]["customised"], true);
    assert!(app.get("/api/v1/pbx/users/ana", &t).await.body["extension_list"].is_object());
}

#[tokio::test]
async fn overrides_are_validated_with_core() {
    let app = TestApp::demo().await;
    let t = app.login("ana").await;
    let foreign = json!({"dnd": false, "forwarding": {"enabled": false, "to": null},
        "routing": {"ring": "selected", "steps": [{"devices": ["bruno-desk"], "after_seconds": 0}]}});
    let r = app
        .put("/api/v1/me/profiles/available/settings", &t, foreign)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_settings");
    assert_eq!(
        r.body["message"],
        "device bruno-desk is not one of your devices"
    );
    let no_number = json!({"dnd": false, "forwarding": {"enabled": true, "to": null}, "routing": {"ring": "all"}});
    let r = app
        .put("/api/v1/me/profiles/available/settings", &t, no_number)
        .await;
    assert_eq!(r.body["message"], "forwarding needs a number to forward to");
    let malformed = json!({"dnd": false, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "some"}});
    assert_eq!(
        app.put("/api/v1/me/profiles/available/settings", &t, malformed)
            .await
            .code(),
        "bad_request"
    );
    let ok = json!({"dnd": false, "forwarding": {"enabled": false, "to": null}, "routing": {"ring": "all"}});
    let r = app.put("/api/v1/me/profiles/nope/settings", &t, ok).await;
    assert_eq!(r.code(), "unknown_profile");
    assert_eq!(
        app.delete("/api/v1/me/profiles/nope/settings", &t)
            .await
            .code(),
        "unknown_profile"
    );
    // Nothing was stored or applied.
    assert_eq!(
        app.get("/api/v1/pbx/users/ana", &t).await.body["extension_list"],
        Value::Null
    );
    assert!(
        app.get("/api/v1/profiles", &t)
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["customised"] == false)
    );
}

#[tokio::test]
async fn a_failing_pbx_is_retried_until_it_recovers() {
    let app = TestApp::demo_with(|c| {
        c.pbx_retry_ms = 20;
        c.pbx_retry_cap_ms = 100;
    })
    .await;
    let t = app.login("ana").await;
    app.embedded.fail_next(2);
    let p = app.set_profile(&t, "lunch").await;
    assert_eq!(p["profile"], "lunch", "the choice is kept");
    assert_eq!(p["pbx_sync"], "pending");
    assert!(p["pbx_error"].as_str().unwrap().contains("refused"));
    let p = app.wait_sync(&t, "applied").await;
    assert_eq!(p["profile"], "lunch");
    assert!(p.get("pbx_error").is_none());
    assert_eq!(app.get("/api/v1/pbx/users/ana", &t).await.body["dnd"], true);
}

#[tokio::test]
async fn a_pbx_that_keeps_failing_ends_failed_with_a_reason() {
    let app = TestApp::demo_with(|c| {
        c.pbx_retry_ms = 10;
        c.pbx_retry_cap_ms = 20;
        c.pbx_max_attempts = 3;
    })
    .await;
    let t = app.login("ana").await;
    app.embedded.fail_next(100);
    app.set_profile(&t, "on_holiday").await;
    let p = app.wait_sync(&t, "failed").await;
    assert_eq!(p["profile"], "on_holiday");
    assert!(p["pbx_error"].as_str().unwrap().contains("refused"));
    assert_eq!(
        app.get("/api/v1/pbx/users/ana", &t).await.body["dnd"],
        false,
        "the PBX never took it"
    );
    // Choosing again once the PBX works applies it.
    app.embedded.fail_next(0);
    assert_eq!(
        app.set_profile(&t, "on_holiday").await["pbx_sync"],
        "applied"
    );
    assert_eq!(app.get("/api/v1/pbx/users/ana", &t).await.body["dnd"], true);
}

#[tokio::test]
async fn a_hanging_pbx_times_out_and_is_retried() {
    let app = TestApp::demo_with(|c| {
        c.pbx_timeout_ms = 100;
        c.pbx_retry_ms = 20;
    })
    .await;
    let t = app.login("bruno").await;
    app.embedded
        .hang_next(1, std::time::Duration::from_secs(30));
    let p = app.set_profile(&t, "away").await;
    assert_eq!(p["pbx_sync"], "pending");
    assert_eq!(p["pbx_error"], "the phone system did not answer in time");
    app.wait_sync(&t, "applied").await;
    assert_eq!(
        app.get("/api/v1/pbx/users/bruno", &t).await.body["dnd"],
        true
    );
}

#[tokio::test]
async fn pending_changes_are_reconciled_after_a_restart() {
    let app = TestApp::demo_with(|c| c.pbx_retry_ms = 60_000).await;
    let t = app.login("ana").await;
    app.embedded.fail_next(1);
    assert_eq!(
        app.set_profile(&t, "comfort_break").await["pbx_sync"],
        "pending"
    );
    // The retry is a minute away; the restart reconciles at once.
    let app = app.restart().await;
    assert_eq!(
        app.get("/api/v1/me", &t).await.status,
        StatusCode::OK,
        "sessions survive restarts"
    );
    let p = app.wait_sync(&t, "applied").await;
    assert_eq!(
        p["profile"], "comfort_break",
        "the choice survived the restart"
    );
    assert_eq!(app.get("/api/v1/pbx/users/ana", &t).await.body["dnd"], true);
}

#[tokio::test]
async fn one_users_hanging_apply_does_not_hold_up_another_users() {
    let app = std::sync::Arc::new(TestApp::demo_with(|c| c.pbx_timeout_ms = 600_000).await);
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    app.embedded
        .hang_next(1, std::time::Duration::from_secs(600));
    let hanging = {
        let app = app.clone();
        tokio::spawn(async move { app.set_profile(&ana, "lunch").await })
    };
    // Let ana's apply start (and take the hang) before bruno's.
    for _ in 0..2000 {
        if app.embedded.faults_consumed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(app.embedded.faults_consumed(), "ana's apply started");
    let p = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app.set_profile(&bruno, "away"),
    )
    .await
    .expect("bruno's change was not held up by ana's");
    assert_eq!(p["pbx_sync"], "applied");
    assert!(!hanging.is_finished());
    hanging.abort();
}
