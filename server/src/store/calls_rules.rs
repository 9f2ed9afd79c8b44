//! What both engines' `CallStore::write_calls` decide alike, apart from their SQL: whose missed
//! count a write changes, which calls it touches, and the `missed` event.

use ucclient_core::api::CallState;

use crate::store::{NewEvent, OwnedCall};

/// The owners (customer, user) whose missed count changes with a write: a call that becomes final
/// with it (an update from a state that was not final, or a new call already final) and is missed.
/// Each owner once, sorted.
pub(crate) fn missed_owners<'a>(
    updates: &'a [(OwnedCall, CallState)],
    inserts: &'a [OwnedCall],
) -> Vec<(&'a str, &'a str)> {
    let mut owners: Vec<(&str, &str)> = updates
        .iter()
        .filter(|(c, expected)| !expected.is_final() && c.call.state.is_final())
        .map(|(c, _)| c)
        .chain(inserts.iter().filter(|c| c.call.state.is_final()))
        .filter(|c| c.call.is_missed())
        .map(|c| (c.customer_id.as_str(), c.user_id.as_str()))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    owners
}

/// Whether the write updates or inserts the call `id`.
pub(crate) fn writes_call(
    updates: &[(OwnedCall, CallState)],
    inserts: &[OwnedCall],
    id: &str,
) -> bool {
    updates
        .iter()
        .map(|(c, _)| c)
        .chain(inserts)
        .any(|c| c.call.id == id)
}

/// A stored count as the API's (clamped to the history's bound).
pub(crate) fn bounded_count(n: i64) -> u32 {
    u32::try_from(n.clamp(0, crate::calls::MAX_HISTORY)).unwrap_or(0)
}

/// The `missed` event with the user's count, to their own streams.
pub(crate) fn missed_event(customer_id: &str, user_id: &str, count: u32) -> NewEvent {
    NewEvent {
        customer_id: customer_id.to_owned(),
        audience: Some(user_id.to_owned()),
        kind: "missed",
        data: serde_json::to_string(&ucclient_core::api::MissedCalls { count }).unwrap_or_default(),
    }
}
