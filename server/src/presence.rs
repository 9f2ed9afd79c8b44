//! Presence and active mode: choosing a profile, overriding a profile's settings, and bringing the
//! PBX to the state they ask for.
//!
//! Order of work, always: compute with `core`, store (the desired PBX state first, `pbx_sync`
//! pending), then apply through the [`Pbx`](crate::pbx::Pbx) connector, then record the outcome and
//! announce it in the same transaction. A failing PBX is retried with capped exponential backoff by
//! [`run_sync_worker`], which also reconciles whatever was pending when the process stopped; after
//! `pbx_max_attempts` the presence shows `failed` with a reason. The chosen profile is never lost.
//!
//! A pending row without a desired state is a *reconcile* an operator's command asked for
//! ([`crate::admin_live`]): the worker computes the desired state from the user's current profile
//! (`core::pbx::reconciled_state`), stores it, then applies it like any other; in passive mode that
//! is releasing the PBX, after which `pbx_sync` is `not_applicable`.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use ucclient_core::api::{
    PbxSync, PbxUserState, Presence, PresenceUpdate, Profile, ProfileSettings,
};
use ucclient_core::pbx::{Mode, creates_extension_list, desired_state, reconciled_state};
use ucclient_core::profile::{ColourScheme, shown_colour};
use ucclient_core::settings::default_settings;
use ucclient_core::{Language, ProfileId, licence};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::{Account, NewEvent, PresenceRow, SyncOutcome};

/// The presence everyone sees, from the stored row: the licence rule and the busy overlay applied.
pub fn presence_of(
    state: &AppState,
    row: &PresenceRow,
    permissions: &[String],
    on_call: bool,
) -> Presence {
    presence_view(&state.colours, row, permissions, on_call)
}

/// [`presence_of`] with the colour scheme given (the admin commands have no [`AppState`]).
pub fn presence_view(
    colours: &ColourScheme,
    row: &PresenceRow,
    permissions: &[String],
    on_call: bool,
) -> Presence {
    let profile = licence::licensed_profile(permissions, row.profile);
    Presence {
        profile,
        status: profile.status(),
        colour: shown_colour(profile, on_call, colours),
        on_call,
        since: row.since.into(),
        pbx_sync: row.pbx_sync,
        pbx_error: row.pbx_error.clone(),
    }
}

/// A `presence` event for everyone of the customer.
pub fn presence_event(customer_id: &str, user_id: &str, presence: &Presence) -> NewEvent {
    let data = serde_json::to_string(&PresenceUpdate {
        user_id: user_id.to_owned(),
        presence: presence.clone(),
    })
    .unwrap_or_default();
    NewEvent {
        customer_id: customer_id.to_owned(),
        audience: None,
        kind: "presence",
        data,
    }
}

/// A user's stored presence row (every user has one from creation).
pub async fn row_of(state: &AppState, user_id: &str) -> ApiResult<PresenceRow> {
    state
        .store
        .presence_rows(&[user_id.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(format!("no presence row for {user_id}")))
}

/// Whether the user is on a call now.
pub async fn on_call(state: &AppState, customer_id: &str, user_id: &str) -> ApiResult<bool> {
    Ok(state
        .store
        .users_on_call(customer_id)
        .await?
        .contains(user_id))
}

/// The presence of one user as everyone sees it now.
pub async fn current(state: &AppState, account: &Account) -> ApiResult<Presence> {
    let row = row_of(state, &account.user.id).await?;
    let busy = on_call(state, &account.customer_id, &account.user.id).await?;
    Ok(presence_of(state, &row, &account.permissions, busy))
}

/// The presence of every listed user of a customer, in the given order.
pub async fn of_users(
    state: &AppState,
    customer_id: &str,
    users: &[(String, Vec<String>)],
) -> ApiResult<Vec<Presence>> {
    let ids: Vec<String> = users.iter().map(|(id, _)| id.clone()).collect();
    let rows: HashMap<String, PresenceRow> = state
        .store
        .presence_rows(&ids)
        .await?
        .into_iter()
        .map(|r| (r.user_id.clone(), r))
        .collect();
    let busy = state.store.users_on_call(customer_id).await?;
    users
        .iter()
        .map(|(id, perms)| {
            let row = rows
                .get(id)
                .ok_or_else(|| ApiError::Internal(format!("no presence row for {id}")))?;
            Ok(presence_of(state, row, perms, busy.contains(id)))
        })
        .collect()
}

/// A profile's effective settings for a user, and whether they are the user's own override.
pub fn effective(
    overrides: &HashMap<ProfileId, ProfileSettings>,
    profile: ProfileId,
) -> (ProfileSettings, bool) {
    match overrides.get(&profile) {
        Some(s) => (s.clone(), true),
        None => (default_settings(profile), false),
    }
}

/// A profile as `GET /profiles` shows it.
pub fn profile_view(
    state: &AppState,
    profile: ProfileId,
    overrides: &HashMap<ProfileId, ProfileSettings>,
    lang: Language,
) -> Profile {
    profile_view_with(&state.colours, profile, overrides, lang)
}

/// [`profile_view`] with the colour scheme given (the admin commands have no [`AppState`]).
pub fn profile_view_with(
    colours: &ColourScheme,
    profile: ProfileId,
    overrides: &HashMap<ProfileId, ProfileSettings>,
    lang: Language,
) -> Profile {
    let (settings, customised) = effective(overrides, profile);
    Profile {
        id: profile,
        name: profile.name(lang).to_owned(),
        status: profile.status(),
        colour: colours.colour(profile),
        settings,
        customised,
    }
}

/// What the PBX should hold for the user's current profile: the last desired state if there is one
/// (it is what the PBX is being brought to), otherwise what the PBX holds now.
async fn pbx_baseline(state: &AppState, row: &PresenceRow) -> ApiResult<PbxUserState> {
    match &row.desired {
        Some(d) => Ok(d.clone()),
        None => state
            .pbx
            .user_state(&row.user_id)
            .await
            .map_err(|e| ApiError::Internal(format!("pbx read: {e}"))),
    }
}

/// `PUT /me/presence`: stores the profile; in passive mode announces it at once, in active mode
/// stores the desired PBX state and applies it (announcing the outcome).
pub async fn set_profile(
    state: &AppState,
    account: &Account,
    profile: ProfileId,
) -> ApiResult<Presence> {
    let user_id = &account.user.id;
    let row = row_of(state, user_id).await?;
    let now = Utc::now();
    let desired = if account.mode == Mode::Active {
        let devices = device_ids(state, user_id).await?;
        let overrides = state.store.overrides(user_id).await?;
        let (settings, _) = effective(&overrides, profile);
        let baseline = pbx_baseline(state, &row).await?;
        desired_state(
            account.mode,
            account.extension_lists_enabled,
            user_id,
            &settings,
            &devices,
            &baseline,
            false,
        )
    } else {
        None
    };
    let busy = on_call(state, &account.customer_id, user_id).await?;
    // A release of the PBX still pending (the reseller just went passive) must not be cancelled
    // by a passive profile change: it stays pending, for the sync worker to finish.
    let releasing = desired.is_none() && row.pbx_sync == PbxSync::Pending;
    let sync = if desired.is_some() || releasing {
        PbxSync::Pending
    } else {
        PbxSync::NotApplicable
    };
    let new_row = PresenceRow {
        profile,
        since: now,
        pbx_sync: sync,
        pbx_error: None,
        ..row
    };
    let presence = presence_of(state, &new_row, &account.permissions, busy);
    // The change is announced with its commit (in active mode as `pending`); the outcome of the
    // PBX apply follows as a second event.
    let events = vec![presence_event(&account.customer_id, user_id, &presence)];
    state
        .store
        .set_presence(user_id, profile, now, sync, desired.as_ref(), &events)
        .await?;
    state.hub.notify(&account.customer_id).await;
    if desired.is_some() || releasing {
        sync_user(state, user_id).await?;
        return current(state, account).await;
    }
    Ok(presence)
}

/// `PUT` / `DELETE /me/profiles/<id>/settings`: stores (validated) or clears an override. If the
/// profile is current, or this first routing customisation creates the extension list, the PBX is
/// brought to the new desired state. A `profile` event goes to the user's own streams.
pub async fn put_settings(
    state: &AppState,
    account: &Account,
    profile: ProfileId,
    settings: Option<ProfileSettings>,
    lang: Language,
) -> ApiResult<Profile> {
    if account.mode != Mode::Active {
        return Err(ApiError::ActiveModeRequired);
    }
    // Validated against the devices read here and written only if they are still the same (an
    // operator may add or remove one meanwhile): else validated again, against the new ones.
    for _ in 0..SAVE_ATTEMPTS {
        if let Some(view) =
            try_put_settings(state, account, profile, settings.clone(), lang).await?
        {
            return Ok(view);
        }
    }
    Err(ApiError::Internal(
        "the user's devices kept changing during a routing save".into(),
    ))
}

/// How often a routing save is validated again when the user's devices changed under it.
const SAVE_ATTEMPTS: usize = 3;

/// One attempt of [`put_settings`]; `None` when the devices changed before the write.
async fn try_put_settings(
    state: &AppState,
    account: &Account,
    profile: ProfileId,
    settings: Option<ProfileSettings>,
    lang: Language,
) -> ApiResult<Option<Profile>> {
    let user_id = &account.user.id;
    let devices = device_ids(state, user_id).await?;
    let settings = match settings {
        Some(s) => Some(
            s.validated(&devices, &account.default_country)
                .map_err(|e| ApiError::InvalidSettings(e.to_string()))?,
        ),
        None => None,
    };
    let row = row_of(state, user_id).await?;
    let baseline = pbx_baseline(state, &row).await?;
    let create = settings
        .as_ref()
        .is_some_and(|s| creates_extension_list(account.extension_lists_enabled, &baseline, s));
    let mut overrides = state.store.overrides(user_id).await?;
    match &settings {
        Some(s) => overrides.insert(profile, s.clone()),
        None => overrides.remove(&profile),
    };
    let desired = if row.profile == profile || create {
        let (current_settings, _) = effective(&overrides, row.profile);
        desired_state(
            account.mode,
            account.extension_lists_enabled,
            user_id,
            &current_settings,
            &devices,
            &baseline,
            create,
        )
    } else {
        None
    };
    let view = profile_view(state, profile, &overrides, lang);
    let event = NewEvent {
        customer_id: account.customer_id.clone(),
        audience: Some(user_id.clone()),
        kind: "profile",
        data: serde_json::to_string(&view).unwrap_or_default(),
    };
    let written = state
        .store
        .set_override(
            user_id,
            profile,
            settings.as_ref(),
            &devices,
            desired.as_ref(),
            &[event],
        )
        .await?;
    if written.is_none() {
        return Ok(None);
    }
    state.hub.notify(&account.customer_id).await;
    if desired.is_some() {
        sync_user(state, user_id).await?;
    }
    Ok(Some(view))
}

/// The user's device ids in their natural order.
pub async fn device_ids(state: &AppState, user_id: &str) -> ApiResult<Vec<String>> {
    Ok(state
        .store
        .devices(user_id)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect())
}

/// One attempt to bring the PBX to the user's desired state, if it is pending; records the
/// outcome and announces a visible change of the user's presence.
pub async fn sync_user(state: &AppState, user_id: &str) -> ApiResult<()> {
    // One apply per user at a time, so an older desired state cannot overtake a newer one: in this
    // process the user's turn, across the nodes sharing the database the user's claim.
    let turn = state.pbx_turns.of(user_id);
    let _turn = turn.lock().await;
    let row = row_of(state, user_id).await?;
    if row.pbx_sync != PbxSync::Pending {
        return Ok(());
    }
    let now = Utc::now().timestamp_millis();
    if !state
        .store
        .claim_apply(user_id, &state.node, now, now + apply_lease_ms(state))
        .await?
    {
        // Another node is applying this user's state; when it releases the claim it makes a newer
        // desired state (this one) due, and a worker applies it.
        return Ok(());
    }
    let version = row.desired_version;
    let applied = apply_claimed(state, user_id, row).await;
    let released = state
        .store
        .release_apply(user_id, &state.node, version, Utc::now().timestamp_millis())
        .await;
    applied?;
    Ok(released?)
}

/// How long a node's claim to apply a user's state holds if the node dies before releasing it:
/// an apply takes at most two PBX round trips (the reconcile's read, the apply), each bounded by
/// the PBX timeout.
fn apply_lease_ms(state: &AppState) -> i64 {
    (2 * state.config.pbx_timeout_ms + 5_000) as i64
}

/// Applies the user's pending desired state (the caller holds the user's turn and claim) and
/// records the outcome.
async fn apply_claimed(state: &AppState, user_id: &str, row: PresenceRow) -> ApiResult<()> {
    let Some(account) = state.store.account(user_id).await? else {
        return Ok(());
    };
    let timeout = Duration::from_millis(state.config.pbx_timeout_ms);
    let desired = match &row.desired {
        Some(desired) => Ok(desired.clone()),
        // A reconcile an operator's change asked for (mode, feature, licence, devices): the
        // desired state is computed here, where the PBX connector is, then stored first.
        None => {
            match tokio::time::timeout(timeout, reconcile_target(state, &account, &row)).await {
                Ok(r) => r,
                Err(_) => Err(crate::pbx::PbxError::Unreachable),
            }
        }
    };
    let desired = match desired {
        Ok(d) if row.desired.is_none() => {
            if !state
                .store
                .set_desired(user_id, row.desired_version, &d)
                .await?
            {
                return Ok(()); // a newer desired state replaced it: the worker takes that one
            }
            Ok(d)
        }
        other => other,
    };
    let result = match desired {
        Ok(desired) => {
            match tokio::time::timeout(timeout, state.pbx.apply(user_id, &desired)).await {
                Ok(r) => r,
                Err(_) => Err(crate::pbx::PbxError::Unreachable),
            }
        }
        Err(e) => Err(e),
    };
    let outcome = match result {
        // In passive mode the only PBX work is releasing it; once done it is no longer managed.
        Ok(()) if account.mode == Mode::Passive => SyncOutcome::Released,
        Ok(()) => SyncOutcome::Applied,
        Err(e) => {
            let attempts = row.sync_attempts + 1;
            tracing::warn!(user = %user_id, attempts, error = %e, "PBX apply failed");
            if attempts >= state.config.pbx_max_attempts {
                SyncOutcome::Failed {
                    error: e.to_string(),
                }
            } else {
                let delay = retry_delay(
                    attempts,
                    state.config.pbx_retry_ms,
                    state.config.pbx_retry_cap_ms,
                );
                SyncOutcome::Retry {
                    error: e.to_string(),
                    next_attempt_ms: Utc::now().timestamp_millis() + delay as i64,
                }
            }
        }
    };
    let (sync, error) = match &outcome {
        SyncOutcome::Applied => (PbxSync::Applied, None),
        SyncOutcome::Released => (PbxSync::NotApplicable, None),
        SyncOutcome::Retry { error, .. } => (PbxSync::Pending, Some(error.clone())),
        SyncOutcome::Failed { error } => (PbxSync::Failed, Some(error.clone())),
    };
    let mut events = Vec::new();
    // Announce only what a subscriber can see change (the first failure, the final outcome).
    let visible = sync != row.pbx_sync || error != row.pbx_error;
    if visible {
        let busy = on_call(state, &account.customer_id, user_id).await?;
        let new_row = PresenceRow {
            pbx_sync: sync,
            pbx_error: error,
            ..row.clone()
        };
        let presence = presence_of(state, &new_row, &account.permissions, busy);
        events.push(presence_event(&account.customer_id, user_id, &presence));
    }
    if state
        .store
        .record_sync(user_id, row.desired_version, &outcome, &events)
        .await?
    {
        state.hub.notify(&account.customer_id).await;
    }
    Ok(())
}

/// What the PBX should hold for a user whose reconcile is pending: `core`'s
/// [`reconciled_state`] for their current profile (after the licence rule), devices and mode,
/// against what the PBX holds now.
async fn reconcile_target(
    state: &AppState,
    account: &Account,
    row: &PresenceRow,
) -> Result<PbxUserState, crate::pbx::PbxError> {
    let internal = |e: crate::store::StoreError| {
        tracing::error!(error = %e, "reading a reconcile's inputs");
        crate::pbx::PbxError::Internal
    };
    let user_id = &account.user.id;
    let devices: Vec<String> = state
        .store
        .devices(user_id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let overrides = state.store.overrides(user_id).await.map_err(internal)?;
    let profile = licence::licensed_profile(&account.permissions, row.profile);
    let (settings, _) = effective(&overrides, profile);
    let current = state.pbx.user_state(user_id).await?;
    Ok(reconciled_state(
        account.mode,
        account.extension_lists_enabled,
        user_id,
        &settings,
        &devices,
        &current,
    ))
}

/// One async lock per user with a PBX apply in flight; entries go when nobody holds them.
#[derive(Default)]
pub struct UserTurns {
    /// The locks by user id.
    locks: std::sync::Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl UserTurns {
    /// The user's lock (created on demand); idle locks of other users are dropped on the way.
    pub fn of(&self, user_id: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|id, l| id == user_id || std::sync::Arc::strong_count(l) > 1);
        locks.entry(user_id.to_owned()).or_default().clone()
    }
}

/// The delay before retry number `attempts` (1-based): `base` doubled each time, capped.
pub fn retry_delay(attempts: i64, base_ms: u64, cap_ms: u64) -> u64 {
    let shift = (attempts - 1).clamp(0, 20) as u32;
    base_ms.saturating_mul(1u64 << shift).min(cap_ms)
}

/// How often the worker looks in the store for due work (also the bound on how late it starts):
/// retries, and pending applies written by other processes — the admin commands' reconciles
/// (see [`crate::admin_live`]) and, later, other nodes — which no in-process wake-up announces.
const SYNC_POLL: Duration = Duration::from_millis(200);

/// Retries pending PBX applies until they succeed or fail for good, reconciling whatever was
/// pending when the process last stopped (it is simply due at start-up).
pub async fn run_sync_worker(state: AppState) {
    loop {
        let now = Utc::now().timestamp_millis();
        match state.store.due_syncs(now).await {
            Ok(due) => {
                for user in due {
                    if let Err(e) = sync_user(&state, &user).await {
                        tracing::error!(error = %e, "PBX sync");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "PBX sync worker"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SYNC_POLL) => {}
            _ = state.sync_wakeup.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        assert_eq!(retry_delay(1, 500, 30_000), 500);
        assert_eq!(retry_delay(2, 500, 30_000), 1000);
        assert_eq!(retry_delay(4, 500, 30_000), 4000);
        assert_eq!(retry_delay(10, 500, 30_000), 30_000);
        assert_eq!(retry_delay(1000, 500, 30_000), 30_000);
    }
}
