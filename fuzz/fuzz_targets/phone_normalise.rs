//! Fuzzes `ucclient_core::phone::normalise`: it never panics, and whatever it accepts is a valid
//! E.164 number that normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ucclient_core::phone::{COUNTRIES, MAX_E164_DIGITS, MIN_E164_DIGITS, normalise};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    // The first byte picks the default country (or an unknown one), the rest is the number typed.
    let country = COUNTRIES
        .get(pick as usize % (COUNTRIES.len() + 1))
        .map_or("ZZ", |c| c.iso);
    let Ok(typed) = std::str::from_utf8(rest) else {
        return;
    };
    if let Ok(e164) = normalise(typed, country) {
        let s = e164.as_str();
        let digits = s.strip_prefix('+').expect("E.164 starts with +");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{s}");
        assert!(
            (MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len()),
            "{s}"
        );
        assert!(!digits.starts_with('0'), "{s}");
        assert_eq!(
            normalise(s, country).as_ref(),
            Ok(&e164),
            "not idempotent: {typed:?}"
        );
    }
});
