//! JSON text ⇄ core's wire types, the one place the widget turns text into values and back.
//!
//! In the browser the text is read and written by the browser's own `JSON.parse`/`JSON.stringify`,
//! with serde-wasm-bindgen between JavaScript values and the serde derives of `ucclient-core`: that
//! keeps a JSON parser and printer (serde_json, ~90 KB of wasm) out of the module. Native builds (the
//! unit tests) use serde_json with the same derives; `browser_tests` checks the browser path
//! against the exact wire text of API.md.

use serde::Serialize;
use serde::de::DeserializeOwned;
use ucclient_core::api::Event;

/// Reads `text` as a `T`; the error is a short sentence.
#[cfg(target_arch = "wasm32")]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "the answer is not JSON".to_owned())?;
    from_js(value)
}

/// Reads `text` as a `T`; the error is a short sentence.
#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Reads a JavaScript value (plain data, as `JSON.parse` makes) as a `T`.
#[cfg(target_arch = "wasm32")]
pub fn from_js<T: DeserializeOwned>(value: wasm_bindgen::JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// `value` as JSON text exactly as serde_json would write it (`None` as `null`, maps as objects).
#[cfg(target_arch = "wasm32")]
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    let js = to_js(value)?;
    js_sys::JSON::stringify(&js)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "the value cannot be written as JSON".to_owned())
}

/// `value` as JSON text.
#[cfg(not(target_arch = "wasm32"))]
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// `value` as a plain JavaScript value that stringifies to the same JSON as serde_json writes.
#[cfg(target_arch = "wasm32")]
pub fn to_js<T: Serialize>(value: &T) -> Result<wasm_bindgen::JsValue, String> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

/// An event of the live stream from its SSE name and `data:` text (`None` for an unknown name or
/// data that is not that event's JSON).
#[cfg(target_arch = "wasm32")]
pub fn event(name: &str, data: &str) -> Option<Event> {
    let value = js_sys::JSON::parse(data).ok()?;
    Event::deserialize_named(name, serde_wasm_bindgen::Deserializer::from(value))
        .ok()
        .flatten()
}

/// An event of the live stream from its SSE name and `data:` text.
#[cfg(not(target_arch = "wasm32"))]
pub fn event(name: &str, data: &str) -> Option<Event> {
    Event::parse(name, data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucclient_core::api::{ErrorBody, ErrorCode};

    #[test]
    fn wire_types_read_and_write_and_bad_text_is_a_sentence() {
        let b: ErrorBody = from_str(r#"{"error":"unauthenticated","message":"x"}"#).unwrap();
        assert_eq!(b.error, ErrorCode::Unauthenticated);
        assert!(
            to_string(&b)
                .unwrap()
                .starts_with(r#"{"error":"unauthenticated""#)
        );
        assert!(!from_str::<ErrorBody>("<html>").unwrap_err().is_empty());
        assert!(event("presence", "{}").is_none());
        assert!(event("nope", "{}").is_none());
    }

    #[test]
    fn the_badge_colour_names_are_the_wire_names() {
        use ucclient_core::profile::Colour;
        for c in [Colour::Available, Colour::Away, Colour::Busy] {
            let name = crate::components::badge::colour_name(c);
            assert_eq!(to_string(&c).unwrap(), format!("\"{name}\""));
        }
    }
}
