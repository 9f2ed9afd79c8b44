//! The live consequences of the operator's commands: what a change of a reseller's mode or
//! extension-list feature, of a user's licence or of a user's devices means for the presence and
//! PBX state of the users it touches.
//!
//! An admin command runs as its own process on the database the server uses, so it cannot tell the
//! server anything in memory. It computes the consequences here (with `core`'s rules) and writes
//! them with the change in one transaction ([`AdminStore::admin_change`]): presence rows updated,
//! `pbx_sync` pending and due now where the PBX must change (the desired state cleared, for the
//! server's sync worker to recompute where the PBX connector is), and the `presence` / `profile`
//! events that announce it. The running server picks both up from the store: its sync worker polls
//! for due work, and every customer's event tail re-reads the log on its own poll. The admin
//! command never talks to the PBX itself: the server owns the connector.
//!
//! Each consequence carries the desired version it was computed from, and each override it
//! rewrites the override it was computed from; if the user changed profile or saved that routing
//! meanwhile, the transaction writes nothing and the computation is redone.
//!
//! [`AdminStore::admin_change`]: crate::store::AdminStore::admin_change

use std::collections::HashMap;

use chrono::Utc;
use ucclient_core::api::{AccessEndReason, Device, PbxSync, PresenceColours};
use ucclient_core::pbx::Mode;
use ucclient_core::profile::ColourScheme;
use ucclient_core::{Language, ProfileId, licence};

use crate::presence::{presence_event, presence_view, profile_view_with};
use crate::store::{
    Account, AdminChange, AdminWrite, NewEvent, OverrideChange, PbxWork, PresenceChange,
    PresenceRow, Store, StoreError, StoreResult, end_of_access,
};

/// How often a change is recomputed when users' presence moves under it before giving up.
const ATTEMPTS: usize = 5;

/// One user as a consequence is computed from.
struct Seen {
    account: Account,
    row: PresenceRow,
    on_call: bool,
}

async fn seen(store: &dyn Store, user_id: &str) -> StoreResult<Option<Seen>> {
    let Some(account) = store.account(user_id).await? else {
        return Ok(None);
    };
    let Some(row) = store.presence_rows(&[user_id.to_owned()]).await?.pop() else {
        return Ok(None);
    };
    let on_call = store
        .users_on_call(&account.customer_id)
        .await?
        .contains(user_id);
    Ok(Some(Seen {
        account,
        row,
        on_call,
    }))
}

/// The consequence for one user and the `presence` event announcing it (`permissions` as they
/// will be after the change).
fn consequence(
    seen: &Seen,
    permissions: &[String],
    profile: Option<ProfileId>,
    pbx: PbxWork,
    overrides: Vec<OverrideChange>,
) -> (PresenceChange, Option<NewEvent>) {
    let now = Utc::now();
    let mut row = seen.row.clone();
    if let Some(p) = profile {
        row.profile = p;
        row.since = now;
    }
    if pbx == PbxWork::Reconcile {
        row.pbx_sync = PbxSync::Pending;
        row.pbx_error = None;
    }
    let before = presence_view(
        &ColourScheme::default(),
        &seen.row,
        &seen.account.permissions,
        seen.on_call,
    );
    let after = presence_view(&ColourScheme::default(), &row, permissions, seen.on_call);
    let event = (after != before)
        .then(|| presence_event(&seen.account.customer_id, &seen.account.user.id, &after));
    (
        PresenceChange {
            user_id: seen.account.user.id.clone(),
            expected_version: seen.row.desired_version,
            profile: profile.map(|p| (p, now)),
            pbx,
            overrides,
        },
        event,
    )
}

/// Writes `change` with the consequences `compute` finds, recomputing when they went stale.
async fn write<F, Fut>(store: &dyn Store, change: AdminChange, compute: F) -> StoreResult<bool>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = StoreResult<Option<(Vec<PresenceChange>, Vec<NewEvent>)>>>,
{
    for _ in 0..ATTEMPTS {
        let Some((changes, events)) = compute().await? else {
            return Ok(false);
        };
        match store.admin_change(&change, &changes, &events).await? {
            AdminWrite::Done => return Ok(true),
            AdminWrite::Unknown => return Ok(false),
            AdminWrite::Stale => continue,
        }
    }
    Err(StoreError::Conflict(
        "users kept changing their presence; try again".into(),
    ))
}

/// `reseller mode`: every user of the reseller gets their PBX state reconciled when the mode
/// changes (active: their current profile's state is applied; passive: the PBX is released, see
/// `core::pbx::released_state`), or when the extension-list feature changes in active mode.
/// False if the reseller is unknown.
pub async fn reseller_mode(
    store: &dyn Store,
    id: &str,
    mode: Mode,
    extension_lists: bool,
) -> StoreResult<bool> {
    let change = AdminChange::ResellerMode {
        id: id.to_owned(),
        mode,
        extension_lists,
    };
    write(store, change, || async {
        let Some(users) = store.reseller_user_ids(id).await? else {
            return Ok(None);
        };
        let (mut changes, mut events) = (Vec::new(), Vec::new());
        for user in users {
            let Some(s) = seen(store, &user).await? else {
                continue;
            };
            let a = &s.account;
            let reconcile = a.mode != mode
                || (mode == Mode::Active && a.extension_lists_enabled != extension_lists);
            if !reconcile {
                continue;
            }
            let (c, e) = consequence(&s, &a.permissions, None, PbxWork::Reconcile, Vec::new());
            changes.push(c);
            events.extend(e);
        }
        Ok(Some((changes, events)))
    })
    .await
}

/// `reseller colours`: stores the reseller's presence colours (`None`: back to the defaults) and
/// announces them with a `colours` event in each of its customers' streams, in the same
/// transaction, so open widgets repaint within the server's poll. No presence changes: a
/// presence names its colour (`available`, `away`, `busy`), not how it is painted. False if the
/// reseller is unknown.
pub async fn reseller_colours(
    store: &dyn Store,
    id: &str,
    colours: Option<PresenceColours>,
) -> StoreResult<bool> {
    let Some((_, customers)) = store.reseller_colours(id).await? else {
        return Ok(false);
    };
    let shown = colours.clone().unwrap_or_default();
    let data = serde_json::to_string(&shown).map_err(|e| StoreError::Data(e.to_string()))?;
    let events: Vec<NewEvent> = customers
        .into_iter()
        .map(|customer_id| NewEvent {
            customer_id,
            audience: None,
            kind: COLOURS_EVENT,
            data: data.clone(),
        })
        .collect();
    let change = AdminChange::ResellerColours {
        id: id.to_owned(),
        colours,
    };
    Ok(store.admin_change(&change, &[], &events).await? == AdminWrite::Done)
}

/// The `event:` name of a presence-colour change (data: `PresenceColours`).
pub const COLOURS_EVENT: &str = "colours";

/// `user grant` / `user revoke`: when the user gains or loses access to every UcClient client,
/// the licence rule (SPEC §2, `core::licence`) puts them on the Available profile — stored, so
/// that what they show, what the PBX holds and what they find when licensed again agree — and in
/// active mode their PBX follows it. False if the user is unknown.
pub async fn permission(
    store: &dyn Store,
    user_id: &str,
    permission: &str,
    granted: bool,
) -> StoreResult<bool> {
    let change = AdminChange::Permission {
        user_id: user_id.to_owned(),
        permission: permission.to_owned(),
        granted,
    };
    write(store, change, || async {
        let Some(s) = seen(store, user_id).await? else {
            return Ok(None);
        };
        let before = &s.account.permissions;
        let mut after: Vec<String> = before
            .iter()
            .filter(|p| p.as_str() != permission)
            .cloned()
            .collect();
        if granted {
            after.push(permission.to_owned());
            after.sort();
        }
        // Losing this client ends the streams the user has open (new tickets are refused by
        // the licence check); the marker is logged with the change.
        let end =
            (licence::has_crm_client(before) && !licence::has_crm_client(&after)).then(|| {
                end_of_access(
                    &s.account.customer_id,
                    user_id,
                    AccessEndReason::NotLicensed,
                    None,
                )
            });
        if licence::has_any_client(before) == licence::has_any_client(&after) {
            return Ok(Some((Vec::new(), end.into_iter().collect())));
        }
        let pbx = if s.account.mode == Mode::Active {
            PbxWork::Reconcile
        } else {
            PbxWork::Keep
        };
        let (c, e) = consequence(&s, &after, Some(ProfileId::Available), pbx, Vec::new());
        Ok(Some((vec![c], e.into_iter().chain(end).collect())))
    })
    .await
}

/// `device add`: in active mode, a user whose PBX state depends on their list of devices (an
/// extension list, which for "Ring all" holds every device) or whose apply is pending gets it
/// reconciled. False if the user is unknown.
pub async fn add_device(store: &dyn Store, user_id: &str, device: &Device) -> StoreResult<bool> {
    let change = AdminChange::AddDevice {
        user_id: user_id.to_owned(),
        device: device.clone(),
    };
    write(store, change, || async {
        let Some(s) = seen(store, user_id).await? else {
            return Ok(None);
        };
        let depends = s.row.pbx_sync == PbxSync::Pending
            || s.row
                .desired
                .as_ref()
                .is_some_and(|d| d.extension_list.is_some());
        if s.account.mode != Mode::Active || !depends {
            return Ok(Some((Vec::new(), Vec::new())));
        }
        let (c, e) = consequence(
            &s,
            &s.account.permissions,
            None,
            PbxWork::Reconcile,
            Vec::new(),
        );
        Ok(Some((vec![c], e.into_iter().collect())))
    })
    .await
}

/// `device remove`: the device leaves the user's routing overrides (`core`'s
/// `ProfileSettings::without_device`; a `profile` event to the user for each one changed), and in
/// active mode a PBX state that refers to the user's devices (find-me/follow-me, extension list,
/// or a changed current profile) is reconciled. False if the device is unknown.
pub async fn remove_device(store: &dyn Store, device_id: &str) -> StoreResult<bool> {
    let change = AdminChange::RemoveDevice {
        device_id: device_id.to_owned(),
    };
    write(store, change, || async {
        let Some(owner) = store.device_owner(device_id).await? else {
            return Ok(None);
        };
        let Some(s) = seen(store, &owner).await? else {
            return Ok(None);
        };
        let mut overrides = store.overrides(&owner).await?;
        let mut changed: Vec<OverrideChange> = Vec::new();
        for (profile, settings) in overrides.iter_mut() {
            let scrubbed = settings.without_device(device_id);
            if scrubbed != *settings {
                changed.push(OverrideChange {
                    profile: *profile,
                    was: std::mem::replace(settings, scrubbed.clone()),
                    now: Some(scrubbed),
                });
            }
        }
        changed.sort_by_key(|o| o.profile.as_str());
        let current = licence::licensed_profile(&s.account.permissions, s.row.profile);
        let depends = s.row.pbx_sync == PbxSync::Pending
            || changed.iter().any(|o| o.profile == current)
            || s.row
                .desired
                .as_ref()
                .is_some_and(|d| d.extension_list.is_some() || d.find_me_follow_me.is_some());
        let pbx = if s.account.mode == Mode::Active && depends {
            PbxWork::Reconcile
        } else {
            PbxWork::Keep
        };
        let mut events = Vec::new();
        let all: HashMap<_, _> = overrides;
        for o in &changed {
            let view = profile_view_with(&ColourScheme::default(), o.profile, &all, Language::En);
            events.push(NewEvent {
                customer_id: s.account.customer_id.clone(),
                audience: Some(owner.clone()),
                kind: "profile",
                data: serde_json::to_string(&view).unwrap_or_default(),
            });
        }
        let (c, e) = consequence(&s, &s.account.permissions, None, pbx, changed);
        events.extend(e);
        Ok(Some((vec![c], events)))
    })
    .await
}

// --- admin-api: what the operator's commands and the administration API share (issue 15) ---

/// `group put` and `PUT /admin/groups/{id}`: creates or replaces a customer's hunt group with its
/// members in ring order, then sets its own extension (`None`: not dialable) and whether calls
/// nobody answers go to voicemail. The callers check the group is the customer's and the
/// extension free. A running server reads groups from the store on every call it rings, so the
/// change applies to the next call.
pub async fn put_group(
    store: &dyn Store,
    customer_id: &str,
    id: &str,
    name: &str,
    members: &[ucclient_core::ring::GroupMember],
    extension: Option<&str>,
    voicemail: bool,
) -> StoreResult<()> {
    store.put_group(customer_id, id, name, members).await?;
    store
        .set_group_dialling(customer_id, id, extension, voicemail)
        .await?;
    Ok(())
}

/// `customer dispositions` and `PUT /admin/wrap-up`: sets a customer's dispositions and wrap-up
/// time limit, each only when given (`Some(None)`: back to core's defaults). Validated by the
/// caller (`core::wrapup`). Widgets read them on their next `/me`. False if there is no such
/// customer.
pub async fn set_wrap_up(
    store: &dyn Store,
    customer_id: &str,
    dispositions: Option<Option<&[ucclient_core::api::Disposition]>>,
    seconds: Option<Option<u32>>,
) -> StoreResult<bool> {
    let mut known = true;
    if let Some(list) = dispositions {
        known &= store.set_dispositions(customer_id, list).await?;
    }
    if let Some(secs) = seconds {
        known &= store.set_wrap_up_seconds(customer_id, secs).await?;
    }
    Ok(known)
}

/// `customer crm-presence` and `PUT /admin/crm-presence`: replaces a customer's CRM presence map
/// (`None`: back to core's default). Checked and trimmed by the caller (`CrmPresenceMap::check`,
/// `trimmed`). Widgets read it on their next `/me`. False if there is no such customer.
pub async fn set_crm_presence(
    store: &dyn Store,
    customer_id: &str,
    map: Option<&ucclient_core::crm_presence::CrmPresenceMap>,
) -> StoreResult<bool> {
    store.set_crm_presence(customer_id, map).await
}

/// What the audit log keeps of a CRM presence map change (`crm_presence.put`): whether it is on
/// and how many rules each CRM has (the rules themselves are read back with `GET`).
pub fn crm_presence_detail(map: &ucclient_core::crm_presence::CrmPresenceMap) -> serde_json::Value {
    serde_json::json!({
        "enabled": map.enabled,
        "salesforce_rules": map.salesforce.len(),
        "dynamics_rules": map.dynamics.len(),
    })
}

/// `user deactivate` / `user activate` and `PATCH /admin/users/{id}` with `active`: a deactivated
/// user cannot sign in, their sessions and tickets are deleted and their open streams end
/// (`access_ended`), all in one transaction. False if there is no such user of the customer.
pub async fn set_active(
    store: &dyn Store,
    customer_id: &str,
    user_id: &str,
    active: bool,
) -> StoreResult<bool> {
    store.set_user_active(customer_id, user_id, active).await
}
