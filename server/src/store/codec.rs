//! Conversions between rows and core's types that every engine shares: enums as their wire
//! names, JSON columns, profiles, users and presence colours, and a broken uniqueness or reference
//! rule as [`StoreError::Conflict`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{ColumnIndex, Decode, Row, Type};
use ucclient_core::ProfileId;
use ucclient_core::api::{HexColour, PresenceColours, User};

use crate::store::{CallStep, StoreError, StoreResult, StoredStep};
use crate::voicemail::CallerMessage;

/// An enum's wire name (its serde string), as stored in a TEXT column.
pub(crate) fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// An enum read back from its wire name.
pub(crate) fn parse_enum<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StoreError::Data(format!("{s}: {e}")))
}

/// A value as the JSON text of a column.
pub(crate) fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Data(e.to_string()))
}

/// A JSON column read back.
pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Data(e.to_string()))
}

/// A call's `rings_on` as its column: NULL when the call rang nothing (every row stored before the
/// column was), else the device ids as a JSON array.
pub(crate) fn rings_on_column(devices: &[String]) -> StoreResult<Option<String>> {
    (!devices.is_empty()).then(|| to_json(&devices)).transpose()
}

/// A call's `rings_on` read back from its column.
pub(crate) fn rings_on_of(column: Option<String>) -> StoreResult<Vec<String>> {
    Ok(column
        .map(|c| from_json(&c))
        .transpose()?
        .unwrap_or_default())
}

/// A stored profile id.
pub(crate) fn profile(s: &str) -> StoreResult<ProfileId> {
    ProfileId::parse(s).ok_or_else(|| StoreError::Data(format!("profile {s}")))
}

/// A broken uniqueness or reference rule as a conflict (admin commands report it); anything else
/// stays a database failure.
pub(crate) fn conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("unknown reference: {}", d.message()))
        }
        _ => StoreError::Db(e),
    }
}

/// The user of a row with the columns `id`, `name`, `email` and `extension`.
pub(crate) fn user_of<'r, R>(r: &'r R) -> User
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    User {
        id: r.get("id"),
        name: r.get("name"),
        email: r.get("email"),
        extension: r.get("extension"),
    }
}

/// A reseller's presence colours from its row; an unset (or unreadable) colour is core's default.
pub(crate) fn colours_of<'r, R>(r: &'r R) -> PresenceColours
where
    R: Row,
    &'static str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let defaults = PresenceColours::default();
    let read = |column: &'static str, default: HexColour| {
        r.get::<Option<String>, _>(column)
            .and_then(|c| HexColour::parse(&c).ok())
            .unwrap_or(default)
    };
    PresenceColours {
        available: read("colour_available", defaults.available),
        away: read("colour_away", defaults.away),
        busy: read("colour_busy", defaults.busy),
    }
}

/// The columns of `call_steps` that [`step_of`] reads.
pub(crate) const STEP_COLUMNS: &str = "call_id, kind, since_ms, node, message, message_ms";

/// A `call_steps` row ([`STEP_COLUMNS`]).
pub(crate) fn step_of<'r, R>(r: &'r R) -> StoreResult<StoredStep>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let message = match (
        r.get::<Option<Vec<u8>>, _>("message"),
        r.get::<Option<i64>, _>("message_ms"),
    ) {
        (Some(wav), Some(ms)) => Some(CallerMessage {
            wav: std::sync::Arc::new(wav),
            duration_ms: u32::try_from(ms).unwrap_or(0),
        }),
        _ => None,
    };
    Ok(StoredStep {
        step: CallStep {
            call_id: r.get("call_id"),
            kind: parse_enum(&r.get::<String, _>("kind"))?,
            since_ms: r.get("since_ms"),
            message,
        },
        node: r.get("node"),
    })
}
