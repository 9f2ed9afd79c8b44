//! Phone numbers normalised to E.164 with a default country (SPEC §6).
//!
//! A full numbering-plan library costs hundreds of kilobytes in the widget, so the rules here are a
//! compact table: the international and trunk prefixes and the national-number lengths of the
//! countries our customers are in, plus the general E.164 bounds for every other country code. A
//! number is refused (never guessed at) when it breaks them; nothing is dialled then.

use serde::{Deserialize, Serialize};

/// Longest input accepted, in bytes, before any parsing.
pub const MAX_INPUT_LEN: usize = 64;
/// E.164's longest number: 15 digits after the `+`.
pub const MAX_E164_DIGITS: usize = 15;
/// The shortest international number we accept (country code included).
pub const MIN_E164_DIGITS: usize = 7;

/// The shape of a number as a person types it, as the OpenAPI document states it (a JSON Schema
/// `pattern`, written out again in `core::api`'s and `core::settings`' schema attributes, which
/// take only literals; a server test holds them to this constant): an optional `tel:`, an optional
/// `+` before the first digit, digits and the separators [`normalise`] skips, at least one digit.
/// Whether the digits make a number is decided by [`normalise`] with the customer's country (422
/// `invalid_number`), which no pattern can say; a string that does not have this shape is always
/// refused.
pub const NUMBER_PATTERN: &str = r"^ *(tel:)?[ ()./-]*\+?[0-9 ()./-]*[0-9][0-9 ()./-]*$";

/// The numbering facts of one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code (`PT`).
    pub iso: &'static str,
    /// Country calling code without `+` (`351`).
    pub calling_code: &'static str,
    /// The trunk prefix dialled before a national number, if the country has one (`0`).
    pub trunk_prefix: Option<&'static str>,
    /// The prefix dialled before an international number from this country (`00`).
    pub international_prefix: &'static str,
    /// Shortest national significant number.
    pub min_len: usize,
    /// Longest national significant number.
    pub max_len: usize,
}

const fn c(
    iso: &'static str,
    calling_code: &'static str,
    trunk_prefix: Option<&'static str>,
    international_prefix: &'static str,
    min_len: usize,
    max_len: usize,
) -> Country {
    Country {
        iso,
        calling_code,
        trunk_prefix,
        international_prefix,
        min_len,
        max_len,
    }
}

/// The countries whose national numbers we can normalise.
pub const COUNTRIES: &[Country] = &[
    c("PT", "351", None, "00", 9, 9),
    c("BR", "55", Some("0"), "00", 10, 11),
    c("US", "1", Some("1"), "011", 10, 10),
    c("CA", "1", Some("1"), "011", 10, 10),
    c("GB", "44", Some("0"), "00", 9, 10),
    c("IE", "353", Some("0"), "00", 7, 9),
    c("ES", "34", None, "00", 9, 9),
    c("FR", "33", Some("0"), "00", 9, 9),
    c("DE", "49", Some("0"), "00", 6, 13),
    c("IT", "39", None, "00", 6, 11),
    c("NL", "31", Some("0"), "00", 9, 9),
    c("BE", "32", Some("0"), "00", 8, 9),
    c("CH", "41", Some("0"), "00", 9, 9),
    c("AO", "244", None, "00", 9, 9),
    c("MZ", "258", None, "00", 8, 9),
    c("CV", "238", None, "00", 7, 7),
    c("MX", "52", None, "00", 10, 10),
];

/// The country with this ISO code (case-insensitive), if we know it.
pub fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso.eq_ignore_ascii_case(iso))
}

/// A phone number in E.164 form: `+` and 7 to 15 digits, never starting with 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// The number as text (`+351912345678`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a number could not be normalised. The `Display` text is the sentence a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but spaces and punctuation.
    #[error("the number is empty")]
    Empty,
    /// Longer than [`MAX_INPUT_LEN`].
    #[error("the number is too long")]
    TooLong,
    /// Letters or symbols other than spaces, `+`, `-`, `.`, `/` and parentheses.
    #[error("the number may contain only digits, spaces, and + - . / ( )")]
    InvalidCharacters,
    /// A `+` anywhere but at the start.
    #[error("a + may only start the number")]
    MisplacedPlus,
    /// The default country is not one we can normalise national numbers for.
    #[error(
        "national numbers of country {0} are not supported; type the number with + and its country code"
    )]
    UnsupportedCountry(String),
    /// Too few or too many digits for the country or for E.164.
    #[error("the number has the wrong number of digits")]
    WrongLength,
    /// A country code cannot start with 0.
    #[error("the country code is not valid")]
    InvalidCountryCode,
}

/// Normalises a number as a person typed or a CRM delivered it to E.164. A number with `+` or the
/// default country's international prefix is international; any other number is national in
/// `default_country` (ISO alpha-2).
pub fn normalise(input: &str, default_country: &str) -> Result<E164, PhoneError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(PhoneError::TooLong);
    }
    let input = input.trim();
    let input = input.strip_prefix("tel:").unwrap_or(input);
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for ch in input.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if digits.is_empty() && !plus => plus = true,
            '+' => return Err(PhoneError::MisplacedPlus),
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let home = country(default_country);
    let international = if plus {
        digits
    } else if let Some(rest) = home.and_then(|h| digits.strip_prefix(h.international_prefix)) {
        rest.to_owned()
    } else {
        let home =
            home.ok_or_else(|| PhoneError::UnsupportedCountry(default_country.to_owned()))?;
        let national = match home.trunk_prefix {
            Some(t) if digits.len() > home.max_len => digits.strip_prefix(t).unwrap_or(&digits),
            // `strip_prefix` rather than slicing: the same, without a panic path in the module.
            Some(t) if digits.starts_with(t) && home.trunk_prefix != Some(home.calling_code) => {
                digits.strip_prefix(t).unwrap_or(&digits)
            }
            _ => &digits,
        };
        if !(home.min_len..=home.max_len).contains(&national.len()) {
            return Err(PhoneError::WrongLength);
        }
        format!("{}{}", home.calling_code, national)
    };
    check_international(&international)?;
    Ok(E164(format!("+{international}")))
}

/// Checks the digits of an international number (country code first, no `+`).
fn check_international(digits: &str) -> Result<(), PhoneError> {
    if digits.starts_with('0') || digits.is_empty() {
        return Err(PhoneError::InvalidCountryCode);
    }
    if !(MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len()) {
        return Err(PhoneError::WrongLength);
    }
    // Where we know the country, its national lengths apply too. Several countries may share a
    // code (US and CA): they agree on lengths, so the first match decides.
    if let Some(c) = COUNTRIES
        .iter()
        .find(|c| digits.starts_with(c.calling_code))
    {
        let national = digits.len() - c.calling_code.len();
        if !(c.min_len..=c.max_len).contains(&national) {
            return Err(PhoneError::WrongLength);
        }
    }
    Ok(())
}

/// Shortest internal extension.
pub const MIN_EXTENSION_LEN: usize = 2;
/// Longest internal extension.
pub const MAX_EXTENSION_LEN: usize = 6;

/// The input as an internal extension (2 to 6 digits, nothing else), if it can be one. Whether a
/// colleague has that extension is for the caller to decide.
pub fn as_extension(input: &str) -> Option<&str> {
    let input = input.trim();
    let ok = (MIN_EXTENSION_LEN..=MAX_EXTENSION_LEN).contains(&input.len())
        && input.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(input)
}

/// Fewest digits two numbers must share (at their end) to count as one number when the country
/// of the E.164 number is not in [`COUNTRIES`]: a shorter overlap is a coincidence.
pub const MIN_MATCH_DIGITS: usize = MIN_E164_DIGITS;

/// Whether `stored` — a number as a person typed it into a CRM record: E.164, national (with or
/// without a trunk `0`), with the `00` international prefix, formatted with spaces, dashes, dots
/// or brackets — is the number `e164`. Only digits count and leading zeros (trunk or
/// international prefix) are ignored; then one must end with the other, over at least the whole
/// national significant number (its length from [`COUNTRIES`], else [`MIN_MATCH_DIGITS`]):
/// `912 345 678` and `00351912345678` are `+351912345678`; `932 345 678` and `12345678` are not.
pub fn same_number(stored: &str, e164: &str) -> bool {
    if stored.len() > MAX_INPUT_LEN * 2 {
        return false;
    }
    let digits = |s: &str| -> String {
        let all: String = s.chars().filter(char::is_ascii_digit).collect();
        all.trim_start_matches('0').to_owned()
    };
    let (a, b) = (digits(stored), digits(e164));
    let national = COUNTRIES.iter().find_map(|c| {
        let n = b.strip_prefix(c.calling_code)?.len();
        (c.min_len..=c.max_len).contains(&n).then_some(n)
    });
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.len() >= national.unwrap_or(MIN_MATCH_DIGITS) && long.ends_with(short.as_str())
}

/// Where a dialled input goes: a colleague's extension, or a number outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A colleague of the same customer has this extension.
    Extension(String),
    /// A number in E.164 form.
    Number(E164),
}

impl DialTarget {
    /// The target as the call's `to` field carries it (`201`, `+351912345678`).
    pub fn into_string(self) -> String {
        match self {
            DialTarget::Extension(e) => e,
            DialTarget::Number(n) => n.into_string(),
        }
    }
}

/// Why a dialled input is refused. The `Display` text is the sentence both the widget's preview and
/// the server's 422 show, so they always say the same thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// Not a number that can be normalised.
    #[error("{0}")]
    InvalidNumber(PhoneError),
    /// Shaped like an extension, but nobody of the customer has it.
    #[error("nobody in your company has extension {0}")]
    UnknownExtension(String),
}

impl DialError {
    /// The API error code the server answers with: 422 `invalid_number` for both, as API.md has
    /// it for every number that cannot be dialled.
    pub fn code(&self) -> crate::api::ErrorCode {
        crate::api::ErrorCode::InvalidNumber
    }

    /// The more specific code the server adds as the error's `reason`: `unknown_extension`.
    pub fn reason(&self) -> Option<crate::api::ErrorCode> {
        match self {
            DialError::InvalidNumber(_) => None,
            DialError::UnknownExtension(_) => Some(crate::api::ErrorCode::UnknownExtension),
        }
    }
}

/// What dialling `input` does, for a customer whose default country is `default_country` (SPEC
/// §8: the customer's country, never the interface language). `extension_exists` says whether a
/// colleague has an extension. The widget's preview and the server's `POST /calls` both decide with
/// this function, so they always agree:
///
/// 1. an extension (2 to 6 digits) a colleague has dials that colleague;
/// 2. otherwise the input is normalised to E.164 with the default country;
/// 3. an input that cannot be, but is shaped like an extension, is an unknown extension;
///    anything else is an invalid number, with core's reason.
pub fn dial_target(
    input: &str,
    default_country: &str,
    extension_exists: impl FnOnce(&str) -> bool,
) -> Result<DialTarget, DialError> {
    let extension = as_extension(input);
    if let Some(ext) = extension
        && extension_exists(ext)
    {
        return Ok(DialTarget::Extension(ext.to_owned()));
    }
    match normalise(input, default_country) {
        Ok(n) => Ok(DialTarget::Number(n)),
        Err(_) if extension.is_some() => Err(DialError::UnknownExtension(
            extension.unwrap_or_default().to_owned(),
        )),
        Err(e) => Err(DialError::InvalidNumber(e)),
    }
}

/// The country calling code at the start of international digits (no `+`), by ITU-T E.164's
/// assignment: `1` and `7` are one digit, the two-digit codes below, every other code three.
fn calling_code_len(digits: &str) -> usize {
    const TWO_DIGIT: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.iter().any(|c| digits.starts_with(c)) {
        2
    } else {
        3
    }
}

/// `digits` split into groups of the given sizes (the last group takes what is left).
fn grouped(out: &mut String, digits: &str, sizes: &[usize], sep: char) {
    let mut rest = digits;
    for (i, size) in sizes.iter().enumerate() {
        if rest.is_empty() {
            break;
        }
        if i > 0 {
            out.push(sep);
        }
        let take = if i + 1 == sizes.len() {
            rest.len()
        } else {
            (*size).min(rest.len())
        };
        // `split_at_checked`: no slicing panic path in the widget's module (ARCHITECTURE.md).
        let Some((head, tail)) = rest.split_at_checked(take) else {
            break;
        };
        out.push_str(head);
        rest = tail;
    }
}

/// A number formatted for reading by its own country's habits: `+351 912 345 678`,
/// `+55 11 98765-4321` (Brazilian mobiles; landlines `+55 11 3456-7890`), `+1 415 555 2671`,
/// `+44 20 7946 0958`; any other country's number keeps its calling code apart and the rest in
/// groups of three (a lone last digit joins the group before it). Extensions and anything that is not E.164 come back unchanged.
///
/// Hand-written rather than the `phonenumber` crate: that crate carries libphonenumber's whole
/// metadata and the `regex` engine, hundreds of kilobytes of wasm against the widget's 150 KB
/// budget (ARCHITECTURE.md, "Where we differ").
pub fn format_for_reading(number: &str) -> String {
    let Some(digits) = number.strip_prefix('+') else {
        return number.to_owned();
    };
    if !(MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return number.to_owned();
    }
    let Some((code, national)) = digits.split_at_checked(calling_code_len(digits)) else {
        return number.to_owned();
    };
    let mut out = String::with_capacity(24);
    out.push('+');
    out.push_str(code);
    out.push(' ');
    let n = national.len();
    match code {
        "351" if n == 9 => grouped(&mut out, national, &[3, 3, 3], ' '),
        "55" if n == 11 || n == 10 => {
            if let Some((area, subscriber)) = national.split_at_checked(2) {
                out.push_str(area);
                out.push(' ');
                grouped(&mut out, subscriber, &[n - 6, 4], '-');
            }
        }
        "1" if n == 10 => grouped(&mut out, national, &[3, 3, 4], ' '),
        "44" if n == 10 && national.starts_with('2') => {
            grouped(&mut out, national, &[2, 4, 4], ' ')
        }
        "44" if n == 10 => grouped(&mut out, national, &[4, 6], ' '),
        "33" if n == 9 => grouped(&mut out, national, &[1, 2, 2, 2, 2], ' '),
        "34" if n == 9 => grouped(&mut out, national, &[3, 3, 3], ' '),
        _ => {
            // Threes, the last group taking a lone remaining digit, or a pair of its own.
            let mut sizes = vec![3; (n / 3).max(1)];
            if n % 3 == 2 {
                sizes.push(2);
            }
            grouped(&mut out, national, &sizes, ' ')
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str, country: &str) -> String {
        normalise(input, country)
            .unwrap_or_else(|e| panic!("{input} in {country}: {e}"))
            .into_string()
    }

    #[test]
    fn national_numbers_take_the_default_country() {
        assert_eq!(ok("912 345 678", "PT"), "+351912345678");
        assert_eq!(ok("21 123 4567", "pt"), "+351211234567");
        assert_eq!(ok("(11) 98765-4321", "BR"), "+5511987654321");
        assert_eq!(ok("011 98765-4321", "BR"), "+5511987654321");
        assert_eq!(ok("(415) 555-2671", "US"), "+14155552671");
        assert_eq!(ok("1 415 555 2671", "US"), "+14155552671");
        assert_eq!(ok("020 7946 0958", "GB"), "+442079460958");
        assert_eq!(ok("06 12 34 56 78", "FR"), "+33612345678");
        assert_eq!(ok("tel:912345678", "PT"), "+351912345678");
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(ok("+351 912 345 678", "BR"), "+351912345678");
        assert_eq!(ok("00351912345678", "PT"), "+351912345678");
        assert_eq!(ok("011 44 20 7946 0958", "US"), "+442079460958");
        assert_eq!(ok("+81 3-1234-5678", "PT"), "+81312345678");
        assert_eq!(ok("+55 11 98765 4321", "XX"), "+5511987654321");
    }

    #[test]
    fn invalid_numbers_are_refused_with_a_reason() {
        assert_eq!(normalise("", "PT"), Err(PhoneError::Empty));
        assert_eq!(normalise(" - ", "PT"), Err(PhoneError::Empty));
        assert_eq!(normalise("91234567", "PT"), Err(PhoneError::WrongLength));
        assert_eq!(normalise("9123456789", "PT"), Err(PhoneError::WrongLength));
        assert_eq!(
            normalise("+351 91234567", "US"),
            Err(PhoneError::WrongLength)
        );
        assert_eq!(
            normalise("call me", "PT"),
            Err(PhoneError::InvalidCharacters)
        );
        assert_eq!(
            normalise("91+2345678", "PT"),
            Err(PhoneError::MisplacedPlus)
        );
        assert_eq!(
            normalise("++351912345678", "PT"),
            Err(PhoneError::MisplacedPlus)
        );
        assert_eq!(
            normalise("+0351912345678", "PT"),
            Err(PhoneError::InvalidCountryCode)
        );
        assert_eq!(
            normalise("+1234567890123456", "PT"),
            Err(PhoneError::WrongLength)
        );
        assert_eq!(normalise(&"9".repeat(65), "PT"), Err(PhoneError::TooLong));
        assert!(matches!(
            normalise("912345678", "ZZ"),
            Err(PhoneError::UnsupportedCountry(_))
        ));
        assert_eq!(
            normalise("912 345 678\u{0}", "PT"),
            Err(PhoneError::InvalidCharacters)
        );
    }

    #[test]
    fn extensions_are_short_digit_strings() {
        assert_eq!(as_extension(" 201 "), Some("201"));
        assert_eq!(as_extension("2"), None);
        assert_eq!(as_extension("1234567"), None);
        assert_eq!(as_extension("20a"), None);
    }

    #[test]
    fn the_preview_and_the_server_decide_dialling_alike() {
        // ana (Acme, Portugal) and dora (Globex, Brazil): the customer's country decides, never
        // the interface language; 201 is ana's colleague-visible extension, 123 is nobody's.
        let acme = |e: &str| e == "201" || e == "202";
        let globex = |e: &str| e == "301";
        assert_eq!(
            dial_target("912345678", "PT", acme),
            Ok(DialTarget::Number(E164("+351912345678".into())))
        );
        assert_eq!(
            dial_target("(11) 98765-4321", "BR", globex),
            Ok(DialTarget::Number(E164("+5511987654321".into())))
        );
        assert_eq!(
            dial_target("912345678", "BR", globex),
            Err(DialError::InvalidNumber(PhoneError::WrongLength)),
            "a Portuguese national number is not Brazilian"
        );
        assert_eq!(
            dial_target("(11) 98765-4321", "PT", acme),
            Err(DialError::InvalidNumber(PhoneError::WrongLength))
        );
        assert_eq!(
            dial_target(" 201 ", "PT", acme),
            Ok(DialTarget::Extension("201".into()))
        );
        let unknown = dial_target("123", "PT", acme).unwrap_err();
        assert_eq!(unknown, DialError::UnknownExtension("123".into()));
        assert_eq!(unknown.code(), crate::api::ErrorCode::InvalidNumber);
        assert_eq!(
            unknown.reason(),
            Some(crate::api::ErrorCode::UnknownExtension)
        );
        assert_eq!(
            unknown.to_string(),
            "nobody in your company has extension 123"
        );
        let letters = dial_target("abc", "PT", acme).unwrap_err();
        assert_eq!(
            (letters.code(), letters.reason()),
            (crate::api::ErrorCode::InvalidNumber, None)
        );
        assert_eq!(
            letters.to_string(),
            PhoneError::InvalidCharacters.to_string()
        );
        // A six-digit German national number is a number, not an unknown extension.
        assert_eq!(
            dial_target("123456", "DE", |_| false).map(DialTarget::into_string),
            Ok("+49123456".into())
        );
    }

    #[test]
    fn numbers_read_the_way_their_country_writes_them() {
        assert_eq!(format_for_reading("+351912345678"), "+351 912 345 678");
        assert_eq!(format_for_reading("+351912000999"), "+351 912 000 999");
        assert_eq!(format_for_reading("+5511987654321"), "+55 11 98765-4321");
        assert_eq!(format_for_reading("+551134567890"), "+55 11 3456-7890");
        assert_eq!(format_for_reading("+14155552671"), "+1 415 555 2671");
        assert_eq!(format_for_reading("+442079460958"), "+44 20 7946 0958");
        assert_eq!(format_for_reading("+33612345678"), "+33 6 12 34 56 78");
        // Fallback: the calling code apart, then groups of three.
        assert_eq!(format_for_reading("+81312345678"), "+81 312 345 678");
        assert_eq!(format_for_reading("+2449231234567"), "+244 923 123 4567");
        // Not E.164: unchanged.
        assert_eq!(format_for_reading("201"), "201");
        assert_eq!(format_for_reading("+12ab"), "+12ab");
    }

    proptest! {
        #[test]
        fn normalised_numbers_are_e164_and_normalising_is_idempotent(input in "[0-9 +()./-]{0,40}", iso in "PT|BR|US|GB|DE|XX") {
            if let Ok(n) = normalise(&input, &iso) {
                let s = n.as_str();
                prop_assert!(s.starts_with('+'));
                let digits = &s[1..];
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!((MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len()));
                prop_assert!(!digits.starts_with('0'));
                prop_assert_eq!(normalise(s, &iso), Ok(n.clone()));
                prop_assert_eq!(normalise(s, "PT"), Ok(n));
            }
        }

        #[test]
        fn every_string_of_the_documented_shape_is_refused_only_for_its_digits(
            input in NUMBER_PATTERN.trim_start_matches('^').trim_end_matches('$'),
            iso in "PT|BR|US|GB|DE|XX",
        ) {
            // The OpenAPI document promises that a string of this shape is a number as far as
            // characters go; only the count and the country of its digits may still refuse it.
            if let Err(e) = normalise(&input, &iso) {
                prop_assert!(
                    matches!(
                        e,
                        PhoneError::WrongLength
                            | PhoneError::InvalidCountryCode
                            | PhoneError::TooLong
                            | PhoneError::UnsupportedCountry(_)
                    ),
                    "{input:?} in {iso}: {e}"
                );
            }
        }

        #[test]
        fn any_input_is_answered_without_panicking(input in "\\PC{0,80}", iso in "\\PC{0,3}") {
            let _ = normalise(&input, &iso);
            let _ = dial_target(&input, &iso, |e| e.len() == 3);
            let _ = format_for_reading(&input);
        }
    }

    #[test]
    fn a_number_stored_as_people_type_it_is_the_same_number() {
        let rita = "+351912345678";
        for stored in [
            "+351912345678",
            "+351 912 345 678",
            "912 345 678",
            "912345678",
            "00351 912 345 678",
            "(+351) 912-345-678",
        ] {
            assert!(same_number(stored, rita), "{stored}");
        }
        // Brazil: national with area code; the UK: the trunk 0.
        assert!(same_number("(21) 3456-7890", "+552134567890"));
        assert!(same_number("020 7946 0000", "+442079460000"));
        for other in ["932 345 678", "345 678", "", "+351 912 345 679", "12345678"] {
            assert!(!same_number(other, rita), "{other}");
        }
        assert!(!same_number(&"9".repeat(200), rita));
    }
}
