//! Fuzzes the request bodies the backend parses with core's serde types (`PlaceCallRequest`,
//! `ProfileSettings`, `LoginRequest`, `SetPresenceRequest`): parsing never panics, and whatever
//! parses serialises and parses back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ucclient_core::api::{LoginRequest, PlaceCallRequest, SetPresenceRequest};
use ucclient_core::settings::ProfileSettings;

/// Parses `data` as `T`; when it parses, the value must survive a round trip.
fn round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&value).expect("a parsed value serialises");
        let again: T = serde_json::from_slice(&json).expect("what we write parses");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<PlaceCallRequest>(data);
    round_trip::<ProfileSettings>(data);
    round_trip::<LoginRequest>(data);
    round_trip::<SetPresenceRequest>(data);
});
