//! JSON text ⇄ core's wire types, the one place the widget turns text into values and back.
//!
//! In the browser the text is read and written by the browser's own `JSON.parse`/`JSON.stringify`;
//! between JavaScript values and the serde derives of `ucclient-core` sit a small deserializer of our
//! own (`js_de`, whose one error carries no message, so no serde error text or float printing is
//! built) and serde-wasm-bindgen's serializer. That keeps a JSON parser and printer (serde_json,
//! ~90 KB of wasm) out of the module. Native builds (the unit tests) use serde_json with the same
//! derives; `browser_tests` checks the browser path against serde_json's text byte for byte.

use serde::Serialize;
use serde::de::DeserializeOwned;
use ucclient_core::api::Event;

/// Reads `text` as a `T`; the error is a short sentence.
#[cfg(target_arch = "wasm32")]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    from_js(parse(text)?)
}

/// `text` parsed by the browser's `JSON.parse` (not generic, so one copy serves every `T`).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn parse(text: &str) -> Result<wasm_bindgen::JsValue, String> {
    js_sys::JSON::parse(text).map_err(|_| "the answer is not JSON".to_owned())
}

/// Reads `text` as a `T`; the error is a short sentence.
#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Reads a JavaScript value (plain data, as `JSON.parse` makes) as a `T`.
#[cfg(target_arch = "wasm32")]
pub fn from_js<T: DeserializeOwned>(value: wasm_bindgen::JsValue) -> Result<T, String> {
    T::deserialize(js_de::De(value)).map_err(js_de::Mismatch::sentence)
}

/// `value` as JSON text exactly as serde_json would write it (`None` as `null`, maps as objects).
#[cfg(target_arch = "wasm32")]
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    stringify(to_js(value)?)
}

/// `js` as JSON text by the browser's `JSON.stringify` (not generic, one copy for every `T`).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn stringify(js: wasm_bindgen::JsValue) -> Result<String, String> {
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
        .map_err(write_error)
}

/// serde-wasm-bindgen's error as a sentence (not generic, one copy for every `T`).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn write_error(e: serde_wasm_bindgen::Error) -> String {
    e.to_string()
}

/// An event of the live stream from its SSE name and `data:` text (`None` for an unknown name or
/// data that is not that event's JSON).
#[cfg(target_arch = "wasm32")]
pub fn event(name: &str, data: &str) -> Option<Event> {
    let value = js_sys::JSON::parse(data).ok()?;
    Event::deserialize_named(name, js_de::De(value))
        .ok()
        .flatten()
}

/// An event of the live stream from its SSE name and `data:` text.
#[cfg(not(target_arch = "wasm32"))]
pub fn event(name: &str, data: &str) -> Option<Event> {
    Event::parse(name, data).ok()
}

/// A serde deserializer over a plain JavaScript value (what `JSON.parse` makes): objects, arrays,
/// strings, numbers, booleans and `null`. Its one error says only that the value does not fit, so
/// no serde error message (nor the float printing they pull in) is built in the module.
#[cfg(target_arch = "wasm32")]
mod js_de {
    use js_sys::{Array, Number, Object, Reflect};
    use serde::de::{self, IntoDeserializer, Visitor};
    use wasm_bindgen::{JsCast, JsValue};

    /// The value does not fit the type asked for.
    #[derive(Debug)]
    pub struct Mismatch;

    /// What [`Mismatch`] says.
    const SENTENCE: &str = "the answer does not have the expected shape";

    impl Mismatch {
        /// The error as the sentence [`super::from_js`] returns (not generic, one copy).
        #[inline(never)]
        pub fn sentence(self) -> String {
            SENTENCE.to_owned()
        }
    }

    impl std::fmt::Display for Mismatch {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(SENTENCE)
        }
    }

    impl std::error::Error for Mismatch {}

    impl de::Error for Mismatch {
        fn custom<T: std::fmt::Display>(_msg: T) -> Mismatch {
            Mismatch
        }
    }

    /// One JavaScript value to deserialize.
    pub struct De(pub JsValue);

    impl<'de> de::Deserializer<'de> for De {
        type Error = Mismatch;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
            // The JavaScript checks are made once, outside the generic part, so that each visitor's
            // copy of this function is only the dispatch.
            match Kind::of(self.0) {
                Kind::Unit => visitor.visit_unit(),
                Kind::Bool(b) => visitor.visit_bool(b),
                Kind::U64(n) => visitor.visit_u64(n),
                Kind::I64(n) => visitor.visit_i64(n),
                Kind::F64(n) => visitor.visit_f64(n),
                Kind::Str(s) => visitor.visit_string(s),
                Kind::Seq(seq) => visitor.visit_seq(seq),
                Kind::Map(map) => visitor.visit_map(map),
                Kind::Other => Err(Mismatch),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
            if self.0.is_null() || self.0.is_undefined() {
                visitor.visit_none()
            } else {
                visitor.visit_some(self)
            }
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            match variant_parts(self.0)? {
                (name, None) => visitor.visit_enum(name.into_deserializer()),
                (name, Some(value)) => visitor.visit_enum(Variant { name, value }),
            }
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(
            self,
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            visitor.visit_unit()
        }

        // Structs, sequences and maps: their visitors take only arrays or objects (anything else
        // would be the same `Mismatch` through a default `visit_*`), so their copies skip the rest.
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            match Kind::of(self.0) {
                Kind::Seq(seq) => visitor.visit_seq(seq),
                Kind::Map(map) => visitor.visit_map(map),
                _ => Err(Mismatch),
            }
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
            match Kind::of(self.0) {
                Kind::Seq(seq) => visitor.visit_seq(seq),
                _ => Err(Mismatch),
            }
        }

        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
            match Kind::of(self.0) {
                Kind::Map(map) => visitor.visit_map(map),
                _ => Err(Mismatch),
            }
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            unit unit_struct tuple tuple_struct identifier
        }
    }

    /// What a JavaScript value is, as serde's data model sees it.
    enum Kind {
        Unit,
        Bool(bool),
        U64(u64),
        I64(i64),
        F64(f64),
        Str(String),
        Seq(Seq),
        Map(Map),
        Other,
    }

    impl Kind {
        /// `null` and `undefined` are unit, safe integers are integers, other numbers floats.
        #[inline(never)]
        fn of(v: JsValue) -> Kind {
            if v.is_null() || v.is_undefined() {
                Kind::Unit
            } else if let Some(b) = v.as_bool() {
                Kind::Bool(b)
            } else if let Some(n) = v.as_f64() {
                if Number::is_safe_integer(&v) {
                    if n >= 0.0 {
                        Kind::U64(n as u64)
                    } else {
                        Kind::I64(n as i64)
                    }
                } else {
                    Kind::F64(n)
                }
            } else if let Some(s) = v.as_string() {
                Kind::Str(s)
            } else if Array::is_array(&v) {
                let array: Array = v.unchecked_into();
                Kind::Seq(Seq {
                    len: array.length(),
                    array,
                    next: 0,
                })
            } else if v.is_object() {
                let object: Object = v.unchecked_into();
                Kind::Map(Map {
                    keys: Object::keys(&object),
                    object,
                    next: 0,
                })
            } else {
                Kind::Other
            }
        }
    }

    /// An enum's variant name and, for a variant with data (`{"name": data}`), its value; a unit
    /// variant is its name alone.
    #[inline(never)]
    fn variant_parts(v: JsValue) -> Result<(String, Option<JsValue>), Mismatch> {
        if let Some(name) = v.as_string() {
            return Ok((name, None));
        }
        let object = v.dyn_into::<Object>().map_err(|_| Mismatch)?;
        let keys = Object::keys(&object);
        if keys.length() != 1 {
            return Err(Mismatch);
        }
        let key = keys.get(0);
        let value = Reflect::get(&object, &key).map_err(|_| Mismatch)?;
        Ok((key.as_string().ok_or(Mismatch)?, Some(value)))
    }

    /// The elements of an array, in order.
    struct Seq {
        array: Array,
        len: u32,
        next: u32,
    }

    impl Seq {
        /// The next element, if any.
        #[inline(never)]
        fn take(&mut self) -> Option<JsValue> {
            if self.next >= self.len {
                return None;
            }
            let value = self.array.get(self.next);
            self.next += 1;
            Some(value)
        }
    }

    impl<'de> de::SeqAccess<'de> for Seq {
        type Error = Mismatch;

        fn next_element_seed<T: de::DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Mismatch> {
            match self.take() {
                Some(value) => seed.deserialize(De(value)).map(Some),
                None => Ok(None),
            }
        }

        fn size_hint(&self) -> Option<usize> {
            Some((self.len - self.next) as usize)
        }
    }

    /// The own enumerable fields of an object, in order.
    struct Map {
        object: Object,
        keys: Array,
        next: u32,
    }

    impl Map {
        /// The next key, if any.
        #[inline(never)]
        fn take_key(&mut self) -> Result<Option<String>, Mismatch> {
            if self.next >= self.keys.length() {
                return Ok(None);
            }
            self.keys
                .get(self.next)
                .as_string()
                .ok_or(Mismatch)
                .map(Some)
        }

        /// The value of the key [`Map::take_key`] gave last.
        #[inline(never)]
        fn take_value(&mut self) -> Result<JsValue, Mismatch> {
            let key = self.keys.get(self.next);
            self.next += 1;
            Reflect::get(&self.object, &key).map_err(|_| Mismatch)
        }
    }

    impl<'de> de::MapAccess<'de> for Map {
        type Error = Mismatch;

        fn next_key_seed<K: de::DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Mismatch> {
            match self.take_key()? {
                Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
                None => Ok(None),
            }
        }

        fn next_value_seed<V: de::DeserializeSeed<'de>>(
            &mut self,
            seed: V,
        ) -> Result<V::Value, Mismatch> {
            seed.deserialize(De(self.take_value()?))
        }
    }

    /// A variant with data: its name and its value.
    struct Variant {
        name: String,
        value: JsValue,
    }

    impl<'de> de::EnumAccess<'de> for Variant {
        type Error = Mismatch;
        type Variant = De;

        fn variant_seed<S: de::DeserializeSeed<'de>>(
            self,
            seed: S,
        ) -> Result<(S::Value, De), Mismatch> {
            let name = seed.deserialize(self.name.into_deserializer())?;
            Ok((name, De(self.value)))
        }
    }

    impl<'de> de::VariantAccess<'de> for De {
        type Error = Mismatch;

        fn unit_variant(self) -> Result<(), Mismatch> {
            match self.0.is_null() || self.0.is_undefined() {
                true => Ok(()),
                false => Err(Mismatch),
            }
        }

        fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
            self,
            seed: T,
        ) -> Result<T::Value, Mismatch> {
            seed.deserialize(self)
        }

        fn tuple_variant<V: Visitor<'de>>(
            self,
            _len: usize,
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            de::Deserializer::deserialize_any(self, visitor)
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            _fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Mismatch> {
            de::Deserializer::deserialize_any(self, visitor)
        }
    }
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
