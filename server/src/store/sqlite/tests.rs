//! Tests of the SQLite store's transactions.

use ucclient_core::ProfileId;
use ucclient_core::api::{
    Call, CallState, Device, DeviceKind, PbxSync, PbxUserState, ProfileSettings, Role,
};
use ucclient_core::pbx::Mode;

use crate::store::{AdminChange, AdminWrite, NewUser, Overlay, OwnedCall, PbxWork, PresenceChange};

use crate::store::prelude::*;

use super::*;
use crate::store::OverrideChange;

/// A store in `dir` with reseller `r` (in `mode`), customer `c` and user `u`.
async fn store_with_user(
    dir: &tempfile::TempDir,
    mode: Mode,
    extension_lists: bool,
) -> SqliteStore {
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    store
        .create_reseller("r", "R", mode, extension_lists)
        .await
        .unwrap();
    store.create_customer("c", "r", "C", "PT").await.unwrap();
    store
        .create_user(&NewUser {
            id: "u".into(),
            customer_id: "c".into(),
            name: "U".into(),
            email: "u@c.example".into(),
            extension: "100".into(),
            password_hash: "x".into(),
            role: Role::User,
            permissions: vec![],
        })
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn both_sides_of_a_call_move_together_or_not_at_all() {
    use ucclient_core::api::{CallDirection, CallOutcome};
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_user(&dir, Mode::Passive, false).await;
    let leg = |id: &str, peer: &str, direction| OwnedCall {
        user_id: "u".into(),
        customer_id: "c".into(),
        call: Call {
            id: id.into(),
            direction,
            from: "100".into(),
            to: "100".into(),
            state: CallState::Ringing,
            started_at: Utc::now().into(),
            answered_at: None,
            ended_at: None,
            context: None,
            internal: true,
            outcome: None,
            answered_on: None,
            forwarded_to: None,
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        },
        peer: Some(peer.into()),
        from_device: None,
    };
    let out = leg("out", "in", CallDirection::Outbound);
    let inbound = leg("in", "out", CallDirection::Inbound);
    store
        .write_calls(&[], std::slice::from_ref(&out), &[], &[], &[], &[])
        .await
        .unwrap();
    let event = NewEvent {
        customer_id: "c".into(),
        audience: None,
        kind: "call",
        data: "{}".into(),
    };
    // Inserted with the caller's change, in one transaction.
    assert!(
        store
            .write_calls(
                &[(out.clone(), CallState::Ringing)],
                std::slice::from_ref(&inbound),
                std::slice::from_ref(&event),
                &[],
                &[],
                &[],
            )
            .await
            .unwrap()
    );
    let declined = |c: &OwnedCall| {
        let mut c = c.clone();
        c.call.state = CallState::Failed;
        c.call.outcome = Some(CallOutcome::Declined);
        c.call.answered_on = Some("desk".into());
        c
    };
    // One side had moved on (it is not connected): nothing is written, not even the other.
    let (events_before, _) = store.stream_bounds("c").await.unwrap();
    assert!(
        !store
            .write_calls(
                &[
                    (declined(&inbound), CallState::Ringing),
                    (declined(&out), CallState::Connected)
                ],
                &[],
                std::slice::from_ref(&event),
                &[],
                &[],
                &[],
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.call("in").await.unwrap().unwrap().call.state,
        CallState::Ringing
    );
    assert_eq!(
        store.stream_bounds("c").await.unwrap().0,
        events_before,
        "no event either"
    );
    assert!(
        store
            .write_calls(
                &[
                    (declined(&inbound), CallState::Ringing),
                    (declined(&out), CallState::Ringing)
                ],
                &[],
                &[event],
                &[],
                &[],
                &[],
            )
            .await
            .unwrap()
    );
    let stored = store.call("in").await.unwrap().unwrap();
    assert_eq!(
        stored.call,
        declined(&inbound).call,
        "every new field round-trips"
    );
    assert_eq!(stored.peer.as_deref(), Some("out"));
}

#[tokio::test]
async fn the_busy_overlay_is_logged_only_when_no_other_call_of_the_user_is_connected() {
    use ucclient_core::api::{CallDirection, CallOutcome};
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_user(&dir, Mode::Passive, false).await;
    let connected = |id: &str| OwnedCall {
        user_id: "u".into(),
        customer_id: "c".into(),
        call: Call {
            id: id.into(),
            direction: CallDirection::Outbound,
            from: "100".into(),
            to: "+351912345678".into(),
            state: CallState::Connected,
            started_at: Utc::now().into(),
            answered_at: Some(Utc::now().into()),
            ended_at: None,
            context: None,
            internal: false,
            outcome: Some(CallOutcome::Forwarded),
            answered_on: None,
            forwarded_to: Some("+351912000001".into()),
            held: false,
            wrap_up: None,
            crm_record: None,
            transferred_to: None,
            consult_of: None,
            rings_on: Vec::new(),
            leaving_message: false,
        },
        peer: None,
        from_device: None,
    };
    let ended = |c: &OwnedCall| {
        let mut c = c.clone();
        c.call.state = CallState::Ended;
        (c, CallState::Connected)
    };
    let overlay = Overlay {
        user_id: "u".into(),
        event: NewEvent {
            customer_id: "c".into(),
            audience: None,
            kind: "presence",
            data: "{}".into(),
        },
    };
    let (a, b, c) = (connected("a"), connected("b"), connected("c"));
    for call in [&a, &b, &c] {
        store
            .write_calls(&[], std::slice::from_ref(call), &[], &[], &[], &[])
            .await
            .unwrap();
    }
    assert_eq!(
        store.call("a").await.unwrap().unwrap().call,
        a.call,
        "forwarded_to round-trips"
    );
    let presence_events = async || {
        let (events, _) = store.log_after("c", 0, 100).await.unwrap();
        events.iter().filter(|e| e.kind == "presence").count()
    };
    // "b" and "c" are still connected: no overlay.
    let write = [ended(&a)];
    assert!(
        store
            .write_calls(&write, &[], &[], std::slice::from_ref(&overlay), &[], &[])
            .await
            .unwrap()
    );
    assert_eq!(presence_events().await, 0);
    // "b" and "c" end in one write: nothing else connected, the overlay is logged once.
    let write = [ended(&b), ended(&c)];
    assert!(
        store
            .write_calls(&write, &[], &[], std::slice::from_ref(&overlay), &[], &[])
            .await
            .unwrap()
    );
    assert_eq!(presence_events().await, 1);
}

#[tokio::test]
async fn an_admin_change_is_all_or_nothing_and_refuses_stale_consequences() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_user(&dir, Mode::Passive, false).await;
    let row = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
    let change = AdminChange::ResellerMode {
        id: "r".into(),
        mode: Mode::Active,
        extension_lists: true,
    };
    let event = NewEvent {
        customer_id: "c".into(),
        audience: None,
        kind: "presence",
        data: "{}".into(),
    };
    let consequence = |version| PresenceChange {
        user_id: "u".into(),
        expected_version: version,
        profile: None,
        pbx: PbxWork::Reconcile,
        overrides: vec![],
    };
    // Computed from an older version: nothing at all is written, not even the change.
    let stale = store
        .admin_change(
            &change,
            &[consequence(row.desired_version - 1)],
            std::slice::from_ref(&event),
        )
        .await
        .unwrap();
    assert_eq!(stale, AdminWrite::Stale);
    assert_eq!(store.list_resellers().await.unwrap()[0].2, Mode::Passive);
    assert_eq!(store.stream_bounds("c").await.unwrap().0, 0, "no event");
    assert!(store.due_syncs(i64::MAX).await.unwrap().is_empty());
    // Current: the change, the pending reconcile (due now) and the event, together.
    let done = store
        .admin_change(
            &change,
            &[consequence(row.desired_version)],
            std::slice::from_ref(&event),
        )
        .await
        .unwrap();
    assert_eq!(done, AdminWrite::Done);
    assert_eq!(store.list_resellers().await.unwrap()[0].2, Mode::Active);
    assert_eq!(store.stream_bounds("c").await.unwrap().0, 1);
    assert_eq!(store.due_syncs(i64::MAX).await.unwrap(), ["u"]);
    let after = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
    assert_eq!(after.pbx_sync, PbxSync::Pending);
    assert_eq!(after.desired, None);
    assert_eq!(after.desired_version, row.desired_version + 1);
    // The worker's computed state lands only on that version, once.
    let d = PbxUserState::default();
    assert!(
        !store
            .set_desired("u", row.desired_version, &d)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_desired("u", after.desired_version, &d)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_desired("u", after.desired_version, &d)
            .await
            .unwrap()
    );
    // An unknown target writes nothing either.
    let unknown = AdminChange::RemoveDevice {
        device_id: "nope".into(),
    };
    assert_eq!(
        store.admin_change(&unknown, &[], &[event]).await.unwrap(),
        AdminWrite::Unknown
    );
    assert_eq!(store.stream_bounds("c").await.unwrap().0, 1);
}

#[tokio::test]
async fn a_routing_save_and_a_device_removal_never_overwrite_each_other() {
    use ucclient_core::settings::default_settings;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_user(&dir, Mode::Active, true).await;
    let device = |id: &str| Device {
        id: id.into(),
        kind: DeviceKind::Desk,
        label: id.into(),
        number: "201".into(),
    };
    store.add_device("u", &device("d1")).await.unwrap();
    let lunch = ProfileId::Lunch;
    let mut saved = default_settings(lunch);
    saved.dnd = !saved.dnd;

    // The user's save was validated against devices an operator changed since: not written.
    let stale_devices = ["d1".to_owned(), "gone".to_owned()];
    let written = store
        .set_override("u", lunch, Some(&saved), &stale_devices, None, &[])
        .await
        .unwrap();
    assert_eq!(written, None);
    assert!(store.overrides("u").await.unwrap().is_empty());
    let written = store
        .set_override("u", lunch, Some(&saved), &["d1".to_owned()], None, &[])
        .await
        .unwrap();
    assert!(written.is_some());

    // The operator's rewrite was computed from an override the user has replaced since:
    // nothing is written (the caller recomputes from the new one).
    let row = store.presence_rows(&["u".into()]).await.unwrap().remove(0);
    let rewrite = |was: ProfileSettings| PresenceChange {
        user_id: "u".into(),
        expected_version: row.desired_version,
        profile: None,
        pbx: PbxWork::Keep,
        overrides: vec![OverrideChange {
            profile: lunch,
            was,
            now: Some(default_settings(lunch)),
        }],
    };
    let removal = AdminChange::RemoveDevice {
        device_id: "d1".into(),
    };
    let stale = store
        .admin_change(&removal, &[rewrite(default_settings(lunch))], &[])
        .await
        .unwrap();
    assert_eq!(stale, AdminWrite::Stale);
    assert_eq!(store.overrides("u").await.unwrap()[&lunch], saved);
    assert_eq!(store.devices("u").await.unwrap().len(), 1, "not removed");
    let done = store
        .admin_change(&removal, &[rewrite(saved)], &[])
        .await
        .unwrap();
    assert_eq!(done, AdminWrite::Done);
    assert_eq!(
        store.overrides("u").await.unwrap()[&lunch],
        default_settings(lunch)
    );
}

#[tokio::test]
async fn a_rate_limit_window_opens_at_the_first_hit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    // Three hits straddling a minute boundary of the clock stay in one window.
    let t0 = 59_000;
    assert_eq!(
        store.hit_rate_limit("k", 60_000, t0).await.unwrap(),
        (1, t0)
    );
    assert_eq!(
        store.hit_rate_limit("k", 60_000, t0 + 2_000).await.unwrap(),
        (2, t0)
    );
    assert_eq!(
        store
            .hit_rate_limit("k", 60_000, t0 + 59_999)
            .await
            .unwrap(),
        (3, t0)
    );
    // The window closes a full window after its first hit; the next hit opens a new one.
    assert_eq!(
        store
            .hit_rate_limit("k", 60_000, t0 + 60_000)
            .await
            .unwrap(),
        (1, t0 + 60_000)
    );
    // Keys are independent.
    assert_eq!(
        store.hit_rate_limit("other", 60_000, t0 + 1).await.unwrap(),
        (1, t0 + 1)
    );
}
