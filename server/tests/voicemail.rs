//! Voicemail over the API (issue 13): a call that rings out, meets Do Not Disturb or is declined
//! leaves a message in the user's mailbox (the caller's WAV, or the PBX's generated one); a
//! mailbox turned off gives missed and declined calls again; WAVs are validated; messages are the
//! owner's only, counted live on their streams, marked heard, deleted, and kept across a restart.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine;
use common::{Served, TestApp, config_in, seed, wav};
use serde_json::{Value, json};
use ucclient_server::config::CallTimings;

/// Dial and ring phases real time never reaches, and the ring timeout `ring_timeout_secs`.
fn calls_ringing_for(secs: u64) -> impl FnOnce(&mut ucclient_server::Config) {
    move |c| {
        c.call_timings = CallTimings {
            dial: Duration::from_secs(3600),
            ring: Duration::from_secs(3600),
            talk: None,
        };
        c.ring_timeout_secs = secs;
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An inbound call to `to` from an outside number, placed by ana (the customer administrator who
/// may play the embedded PBX), with the caller's message when given.
async fn call(app: &TestApp, ana: &str, to: &str, message: Option<&[u8]>) -> common::Answer {
    let mut body = json!({"from": "+351912345678", "to_user": to});
    if let Some(m) = message {
        body["message_wav"] = json!(b64(m));
    }
    app.post("/api/v1/pbx/calls/inbound", ana, body).await
}

/// Polls the user's mailbox until it holds `n` messages.
async fn wait_mailbox(app: &TestApp, token: &str, n: usize) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = app.get("/api/v1/voicemail", token).await.body;
        if last["messages"].as_array().map(Vec::len) == Some(n) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the mailbox never held {n} messages: {last}");
}

#[tokio::test]
async fn a_call_nobody_answers_leaves_the_generated_message_after_the_ring_timeout() {
    let app = TestApp::demo_with(calls_ringing_for(1)).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let empty = app.get("/api/v1/voicemail", &bruno).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(
        empty.body,
        json!({"enabled": true, "unheard": 0, "messages": []})
    );

    let r = call(&app, &ana, "bruno", None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "ringing");
    let id = r.body["id"].as_str().unwrap();
    let mailbox = wait_mailbox(&app, &bruno, 1).await;
    assert_eq!(mailbox["unheard"], 1);
    let m = &mailbox["messages"][0];
    assert_eq!(
        (&m["call_id"], &m["from"], &m["duration_ms"], &m["heard"]),
        (
            &json!(id),
            &json!("+351912345678"),
            &json!(2000),
            &json!(false)
        )
    );
    let history = app.get("/api/v1/calls", &bruno).await.body;
    assert_eq!(history[0]["id"], id);
    assert_eq!(
        (&history[0]["state"], &history[0]["outcome"]),
        (&json!("failed"), &json!("voicemail"))
    );

    let audio = app
        .get(
            &format!("/api/v1/voicemail/{}/audio", m["id"].as_str().unwrap()),
            &bruno,
        )
        .await;
    assert_eq!(audio.status, StatusCode::OK);
    assert_eq!(audio.headers["content-type"], "audio/wav");
    assert_eq!(&audio.bytes[..4], b"RIFF");
    assert_eq!(
        audio.bytes.len(),
        44 + 2 * 8_000 * 2,
        "2 s of 8 kHz 16-bit mono"
    );
    // Ana's mailbox has none of it.
    assert_eq!(app.get("/api/v1/voicemail", &ana).await.body["unheard"], 0);
}

#[tokio::test]
async fn do_not_disturb_sends_a_call_straight_to_voicemail_with_the_callers_own_wav() {
    let app = TestApp::demo_with(calls_ringing_for(3600)).await;
    let ana = app.login("ana").await;
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;
    let said = wav(8_000, 1, 16, 8_000);
    let r = call(&app, &ana, "ana", Some(&said)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (&r.body["state"], &r.body["outcome"]),
        (&json!("failed"), &json!("voicemail"))
    );
    // Stored in the same write as the call: there at once.
    let mailbox = app.get("/api/v1/voicemail", &ana).await.body;
    assert_eq!(mailbox["unheard"], 1);
    let m = &mailbox["messages"][0];
    assert_eq!(
        (&m["call_id"], &m["duration_ms"]),
        (&r.body["id"], &json!(500))
    );
    let audio = app
        .get(
            &format!("/api/v1/voicemail/{}/audio", m["id"].as_str().unwrap()),
            &ana,
        )
        .await;
    assert_eq!(audio.headers["content-type"], "audio/wav");
    assert_eq!(audio.bytes, said, "the exact bytes the caller left");
}

#[tokio::test]
async fn a_declined_call_goes_to_voicemail_and_with_the_mailbox_off_calls_are_declined_or_missed() {
    let app = TestApp::demo_with(calls_ringing_for(3600)).await;
    let ana = app.login("ana").await;
    assert_eq!(app.get("/api/v1/me", &ana).await.body["voicemail"], true);
    let said = wav(16_000, 2, 16, 16_000 * 4 * 3);
    let r = call(&app, &ana, "ana", Some(&said)).await;
    let id = r.body["id"].as_str().unwrap();
    let declined = app
        .post(&format!("/api/v1/calls/{id}/decline"), &ana, json!({}))
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.text);
    assert_eq!(declined.body["outcome"], "voicemail");
    let mailbox = app.get("/api/v1/voicemail", &ana).await.body;
    assert_eq!(mailbox["messages"][0]["duration_ms"], 3000);

    // The mailbox off: a declined call is declined, a call under DND missed, nothing stored.
    let bad = app
        .put("/api/v1/voicemail/settings", &ana, json!({"enabled": "no"}))
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let off = app
        .put(
            "/api/v1/voicemail/settings",
            &ana,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.body, json!({"enabled": false}));
    // `/me` says so too: the widget words the profiles' effect from it.
    assert_eq!(app.get("/api/v1/me", &ana).await.body["voicemail"], false);
    let r = call(&app, &ana, "ana", None).await;
    let id = r.body["id"].as_str().unwrap();
    let declined = app
        .post(&format!("/api/v1/calls/{id}/decline"), &ana, json!({}))
        .await;
    assert_eq!(declined.body["outcome"], "declined");
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;
    assert_eq!(
        call(&app, &ana, "ana", None).await.body["outcome"],
        "missed"
    );
    let mailbox = app.get("/api/v1/voicemail", &ana).await.body;
    assert_eq!(
        (&mailbox["enabled"], &mailbox["unheard"]),
        (&json!(false), &json!(1))
    );

    // On again: DND is voicemail again.
    app.put("/api/v1/voicemail/settings", &ana, json!({"enabled": true}))
        .await;
    assert_eq!(
        call(&app, &ana, "ana", None).await.body["outcome"],
        "voicemail"
    );
}

#[tokio::test]
async fn a_message_that_is_not_a_short_pcm_wav_is_refused_and_nothing_is_called() {
    let app = TestApp::demo_with(calls_ringing_for(3600)).await;
    let ana = app.login("ana").await;
    let mut float = wav(8_000, 1, 16, 800);
    float[20] = 3; // IEEE float, not integer PCM
    let mut cut = wav(8_000, 1, 16, 800);
    cut.truncate(100);
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "not RIFF",
            b"ID3\x04\x00 an mp3 file".to_vec(),
            "not a WAV file",
        ),
        (
            "too big",
            wav(48_000, 2, 16, 520 * 1024),
            "larger than 512 KiB",
        ),
        (
            "too long",
            wav(8_000, 1, 8, 8_000 * 61),
            "longer than 60 seconds",
        ),
        ("bad fmt", float, "only integer PCM"),
        ("truncated", cut, "truncated"),
    ];
    for (what, bytes, says) in cases {
        let r = call(&app, &ana, "ana", Some(&bytes)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_audio"),
            "{what}: {}",
            r.text
        );
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{what}: {}",
            r.text
        );
    }
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351912345678", "to_user": "ana", "message_wav": "%%%"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_audio", "{}", r.text);
    assert_eq!(app.get("/api/v1/calls", &ana).await.body, json!([]));
    // Over the body bound of this endpoint: 413, like every other body.
    let huge = "A".repeat(ucclient_server::api::MAX_INBOUND_CALL_BODY_BYTES);
    let r = app
        .post(
            "/api/v1/pbx/calls/inbound",
            &ana,
            json!({"from": "+351912345678", "to_user": "ana", "message_wav": huge}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
}

#[tokio::test]
async fn another_users_or_another_customers_message_is_not_found() {
    let app = TestApp::demo_with(calls_ringing_for(3600)).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let dora = app.login("dora").await;
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;
    call(&app, &ana, "ana", None).await;
    let mailbox = app.get("/api/v1/voicemail", &ana).await.body;
    let id = mailbox["messages"][0]["id"].as_str().unwrap().to_owned();
    for token in [&bruno, &dora] {
        let audio = app
            .get(&format!("/api/v1/voicemail/{id}/audio"), token)
            .await;
        assert_eq!(
            (audio.status, audio.code()),
            (StatusCode::NOT_FOUND, "not_found")
        );
        let heard = app
            .post(&format!("/api/v1/voicemail/{id}/heard"), token, json!({}))
            .await;
        assert_eq!(heard.status, StatusCode::NOT_FOUND);
        let gone = app.delete(&format!("/api/v1/voicemail/{id}"), token).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get("/api/v1/voicemail", token).await.body["messages"],
            json!([])
        );
    }
    let long = "x".repeat(65);
    let r = app
        .get(&format!("/api/v1/voicemail/{long}/audio"), &ana)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Still ana's, unheard.
    assert_eq!(app.get("/api/v1/voicemail", &ana).await.body["unheard"], 1);
    let unauthenticated = app
        .send(
            axum::http::Method::GET,
            &format!("/api/v1/voicemail/{id}/audio"),
            None,
            None,
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn messages_are_kept_across_a_restart() {
    let app = TestApp::demo_with(calls_ringing_for(3600)).await;
    let ana = app.login("ana").await;
    app.set_profile(&ana, "lunch").await;
    app.wait_sync(&ana, "applied").await;
    let said = wav(8_000, 1, 16, 4_000);
    call(&app, &ana, "ana", Some(&said)).await;
    let before = app.get("/api/v1/voicemail", &ana).await.body;
    let app = app.restart().await;
    let ana = app.login("ana").await;
    let after = app.get("/api/v1/voicemail", &ana).await.body;
    assert_eq!(after, before);
    let id = after["messages"][0]["id"].as_str().unwrap();
    let audio = app
        .get(&format!("/api/v1/voicemail/{id}/audio"), &ana)
        .await;
    assert_eq!(audio.bytes, said);
}

#[tokio::test]
async fn heard_and_delete_move_the_count_live_on_the_owners_streams_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    calls_ringing_for(3600)(&mut config);
    seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut bruno_events = s.events(&bruno, None).await;
    let mut ana_events = s.events(&ana, None).await;
    assert_eq!(bruno_events.next().await.event, "snapshot");
    assert_eq!(ana_events.next().await.event, "snapshot");

    let post = |path: String, token: String| {
        let http = http.clone();
        async move {
            http.post(path)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = http
        .post(format!("{api}/pbx/calls/inbound"))
        .bearer_auth(&ana)
        .json(&json!({"from": "+351912345678", "to_user": "bruno"}))
        .send()
        .await
        .unwrap();
    let call: Value = r.json().await.unwrap();
    let call_id = call["id"].as_str().unwrap();
    let declined = post(format!("{api}/calls/{call_id}/decline"), bruno.clone()).await;
    assert_eq!(declined.status(), 200);

    let new = until_voicemail(&mut bruno_events).await;
    assert_eq!(new["unheard"], 1);
    assert_eq!(new["message"]["call_id"], call_id);
    assert_eq!(new["message"]["heard"], false);
    let id = new["message"]["id"].as_str().unwrap().to_owned();

    let heard = post(format!("{api}/voicemail/{id}/heard"), bruno.clone()).await;
    assert_eq!(heard.status(), 200);
    let heard: Value = heard.json().await.unwrap();
    assert_eq!(heard["heard"], true);
    let e = until_voicemail(&mut bruno_events).await;
    assert_eq!(
        (&e["unheard"], &e["message"]["heard"]),
        (&json!(0), &json!(true))
    );

    let gone = http
        .delete(format!("{api}/voicemail/{id}"))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let e = until_voicemail(&mut bruno_events).await;
    assert_eq!((&e["unheard"], &e["deleted"]), (&json!(0), &json!(id)));
    let again = http
        .delete(format!("{api}/voicemail/{id}"))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    // Ana's stream saw none of it: her own presence change comes with no voicemail event before.
    s.put_profile(&ana, "lunch").await;
    loop {
        let e = ana_events.next().await;
        assert_ne!(e.event, "voicemail", "{e:?}");
        if e.event == "presence" && e.data["presence"]["profile"] == "lunch" {
            break;
        }
    }
    s.stop().await;
}

/// The data of the next `voicemail` event on the stream (other events skipped).
async fn until_voicemail(sse: &mut common::Sse) -> Value {
    loop {
        let e = sse.next().await;
        if e.event == "voicemail" {
            return e.data;
        }
    }
}

/// A stream that opens (or could not resume) gets the unheard count in its snapshot, the owner's
/// own only, so the message-waiting count is right without a `voicemail` event.
#[tokio::test]
async fn a_snapshot_carries_the_owners_unheard_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(&dir);
    calls_ringing_for(3600)(&mut config);
    seed(&config).await;
    let s = Served::start(config).await;
    let http = Served::client();
    let api = format!("{}/api/v1", s.base);
    let ana = s.login("ana").await;
    let bruno = s.login("bruno").await;
    let mut first = s.events(&bruno, None).await;
    let snap = first.next().await;
    assert_eq!(snap.event, "snapshot");
    assert_eq!(snap.data["voicemail_unheard"], 0);

    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = http
            .post(format!("{api}/pbx/calls/inbound"))
            .bearer_auth(&ana)
            .json(&json!({"from": "+351912345678", "to_user": "bruno"}))
            .send()
            .await
            .unwrap();
        let call: Value = r.json().await.unwrap();
        let call_id = call["id"].as_str().unwrap();
        let declined = http
            .post(format!("{api}/calls/{call_id}/decline"))
            .bearer_auth(&bruno)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(declined.status(), 200);
        let e = until_voicemail(&mut first).await;
        ids.push(e["message"]["id"].as_str().unwrap().to_owned());
    }
    let heard = http
        .post(format!("{api}/voicemail/{}/heard", ids[0]))
        .bearer_auth(&bruno)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(heard.status(), 200);
    assert_eq!(until_voicemail(&mut first).await["unheard"], 1);

    // A new stream (no resume point): the count is in its snapshot.
    let mut fresh = s.events(&bruno, None).await;
    let snap = fresh.next().await;
    assert_eq!(snap.event, "snapshot");
    assert_eq!(snap.data["voicemail_unheard"], 1);
    // One that cannot resume (a cursor from another database) gets it too.
    let mut stale = s.events(&bruno, Some("999999999")).await;
    let snap = stale.next().await;
    assert_eq!(snap.event, "snapshot");
    assert_eq!(snap.data["voicemail_unheard"], 1);
    // Ana's snapshot counts her own mailbox: empty.
    let mut theirs = s.events(&ana, None).await;
    let snap = theirs.next().await;
    assert_eq!(snap.data["voicemail_unheard"], 0);
    s.stop().await;
}

/// Ana's call from `device` to bruno's extension, its dial phase jumped over; its id.
async fn ana_calls_bruno_from(app: &TestApp, ana: &str, device: &str) -> String {
    let placed = app
        .post("/api/v1/calls", ana, json!({"to": "202", "device": device}))
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    common::calls::jump(Duration::from_secs(3600)).await;
    placed.body["id"].as_str().unwrap().to_owned()
}

/// A colleague calling from her softphone is answered by the mailbox instead of failing — at
/// once under Do Not Disturb, or when declined — her call `connected` and `leaving_message` until
/// the longest message passes (the `message_ends` step, on tokio's clock) or she hangs up; with no
/// recording on this node (no media here), the message is the PBX's. From her desk phone the call
/// fails at once, as before. (The recording itself: `tests/media.rs`.)
#[tokio::test]
async fn a_softphone_caller_is_answered_by_the_mailbox_until_she_hangs_up_or_it_is_full() {
    let app = TestApp::demo_with(calls_ringing_for(7200)).await;
    let ana = app.login("ana").await;
    let bruno = app.login("bruno").await;
    let ana_call = |id: String| {
        let app = &app;
        let ana = &ana;
        async move {
            let calls = app.get("/api/v1/calls", ana).await.body;
            calls
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id.as_str())
                .cloned()
                .unwrap()
        }
    };

    // Do Not Disturb: the mailbox answers her at once; nothing is left until she is done.
    app.set_profile(&bruno, "lunch").await;
    let id = ana_calls_bruno_from(&app, &ana, "ana-softphone").await;
    let c = common::calls::wait_for(&app, &ana, |c| {
        c["id"] == id.as_str() && c["state"] == "connected"
    })
    .await;
    assert_eq!(c["leaving_message"], true, "{c}");
    assert!(c["outcome"].is_null(), "{c}");
    assert_eq!(
        app.get("/api/v1/voicemail", &bruno).await.body["unheard"],
        0
    );
    assert_eq!(common::calls::on_call(&app, &ana).await, true);
    // The longest message passes: the mailbox hangs up, and the message is left.
    common::calls::jump(Duration::from_millis(u64::from(
        ucclient_core::api::MAX_RECORDED_MS,
    )))
    .await;
    let mailbox = wait_mailbox(&app, &bruno, 1).await;
    let m = &mailbox["messages"][0];
    assert_eq!(
        (&m["from"], &m["duration_ms"]),
        (&json!("201"), &json!(2000))
    );
    let c = ana_call(id).await;
    assert_eq!(
        (&c["state"], &c["outcome"]),
        (&json!("ended"), &json!("voicemail")),
        "{c}"
    );

    // From the desk phone: failed at once, the PBX's message left at once.
    let id = ana_calls_bruno_from(&app, &ana, "ana-desk").await;
    wait_mailbox(&app, &bruno, 2).await;
    let c = ana_call(id).await;
    assert_eq!(
        (&c["state"], &c["outcome"]),
        (&json!("failed"), &json!("voicemail")),
        "{c}"
    );
    assert!(c.get("leaving_message").is_none(), "{c}");

    // Declined while it rang: the mailbox answers her; she hangs up.
    app.set_profile(&bruno, "available").await;
    let id = ana_calls_bruno_from(&app, &ana, "ana-softphone").await;
    let ringing = common::calls::wait_for(&app, &bruno, |c| c["state"] == "ringing").await;
    let declined = common::calls::post(
        &app,
        &format!("/api/v1/calls/{}/decline", ringing["id"].as_str().unwrap()),
        &bruno,
    )
    .await;
    assert_eq!(declined.body["outcome"], "voicemail", "{}", declined.text);
    let c = ana_call(id.clone()).await;
    assert_eq!(
        (&c["state"], &c["leaving_message"]),
        (&json!("connected"), &json!(true)),
        "{c}"
    );
    let hung = common::calls::post(&app, &format!("/api/v1/calls/{id}/hangup"), &ana).await;
    assert_eq!(
        (&hung.body["state"], &hung.body["outcome"]),
        (&json!("ended"), &json!("voicemail"))
    );
    let mailbox = wait_mailbox(&app, &bruno, 3).await;
    assert_eq!(mailbox["messages"][0]["call_id"], ringing["id"]);
    assert_eq!(common::calls::on_call(&app, &ana).await, false);
}
