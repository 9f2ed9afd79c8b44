//! JSON values, the few operations the wire readers (`wire`) need on them, and JSON string escaping.
//!
//! In the browser a [`Json`] is the JavaScript value the browser's own `JSON.parse` makes, so the
//! module holds no JSON parser (and no serde); in native builds (the unit tests) it is a
//! `serde_json::Value`, so the same readers run natively over serde_json's own output.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;

/// A parsed JSON value: the browser's (a `JsValue`) in wasm, serde_json's natively.
#[cfg(target_arch = "wasm32")]
pub type Json = wasm_bindgen::JsValue;

/// A parsed JSON value: the browser's (a `JsValue`) in wasm, serde_json's natively.
#[cfg(not(target_arch = "wasm32"))]
pub type Json = serde_json::Value;

/// `null`.
pub fn null() -> Json {
    #[cfg(target_arch = "wasm32")]
    return wasm_bindgen::JsValue::NULL;
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::Value::Null;
}

/// `text` parsed as JSON (by the browser's `JSON.parse` in wasm), `None` if it is not JSON.
pub fn parse(text: &str) -> Option<Json> {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JSON::parse(text).ok();
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::from_str(text).ok();
}

/// Whether `v` is `null`.
pub fn is_null(v: &Json) -> bool {
    v.is_null()
}

/// `v` when it is a string.
pub fn as_string(v: &Json) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return v.as_string();
    #[cfg(not(target_arch = "wasm32"))]
    return v.as_str().map(str::to_owned);
}

/// `v` when it is `true` or `false`.
pub fn as_bool(v: &Json) -> Option<bool> {
    v.as_bool()
}

/// `v` when it is a whole number from 0 to 2^53 − 1 (JavaScript's safe integers; every count the
/// API sends is far below).
pub fn as_u64(v: &Json) -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    return v
        .as_f64()
        .filter(|n| *n >= 0.0 && js_sys::Number::is_safe_integer(v))
        .map(|n| n as u64);
    #[cfg(not(target_arch = "wasm32"))]
    return v.as_u64().filter(|n| *n < 1 << 53);
}

/// The keys of `v` when it is an object (not an array, not `null`), in order.
pub fn keys(v: &Json) -> Option<Vec<String>> {
    #[cfg(target_arch = "wasm32")]
    return is_object(v).then(|| {
        let object = v.unchecked_ref::<js_sys::Object>();
        let keys = js_sys::Object::keys(object);
        keys.iter().filter_map(|k| k.as_string()).collect()
    });
    #[cfg(not(target_arch = "wasm32"))]
    return v.as_object().map(|o| o.keys().cloned().collect());
}

/// Whether `v` is an object (not an array, not `null`).
pub fn is_object(v: &Json) -> bool {
    #[cfg(target_arch = "wasm32")]
    return v.is_object() && !js_sys::Array::is_array(v);
    #[cfg(not(target_arch = "wasm32"))]
    return v.is_object();
}

/// The field `key` of the object `v`, `None` when it has none (JSON has no `undefined`). The
/// caller has checked that `v` is an object.
pub fn get(v: &Json, key: &str) -> Option<Json> {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Reflect::get(v, &wasm_bindgen::JsValue::from_str(key))
        .ok()
        .filter(|f| !f.is_undefined());
    #[cfg(not(target_arch = "wasm32"))]
    return v.get(key).cloned();
}

/// The elements of `v` when it is an array.
pub fn items(v: &Json) -> Option<Vec<Json>> {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Array::is_array(v).then(|| v.unchecked_ref::<js_sys::Array>().to_vec());
    #[cfg(not(target_arch = "wasm32"))]
    return v.as_array().cloned();
}

/// Appends `s` as a JSON string, escaped exactly as serde_json (and `JSON.stringify`) do: `"` and
/// `\`, the short forms `\b \t \n \f \r`, other control characters as `\u00xx`; the rest as is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[c as usize >> 4] as char);
                out.push(HEX[c as usize & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for s in [
            every_ascii.as_str(),
            "Olá, «João» — 日本 🎉",
            "\u{2028}\u{2029}\u{7f}",
            "",
        ] {
            let mut out = String::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn values_are_read_field_by_field() {
        let v = parse(r#"{"a":[1,2.5,-1,9007199254740992],"b":null,"c":"x","d":true}"#).unwrap();
        assert!(is_object(&v) && !is_object(&get(&v, "a").unwrap()));
        assert_eq!(keys(&v).unwrap(), ["a", "b", "c", "d"]);
        let a = items(&get(&v, "a").unwrap()).unwrap();
        assert_eq!(
            a.iter().map(as_u64).collect::<Vec<_>>(),
            [Some(1), None, None, None]
        );
        assert!(is_null(&get(&v, "b").unwrap()) && get(&v, "e").is_none());
        assert_eq!(as_string(&get(&v, "c").unwrap()).as_deref(), Some("x"));
        assert_eq!(as_bool(&get(&v, "d").unwrap()), Some(true));
        assert!(parse("{").is_none() && is_null(&null()));
    }
}
