//! Instants on the wire: [`Timestamp`], a UTC instant written and read as the RFC 3339 strings of
//! `API.md` ("Times are RFC 3339 UTC strings"), and the calendar arithmetic that needs (civil dates).
//!
//! It exists so the widget carries no date library: these few hundred lines replace chrono, whose
//! RFC 3339/2822 parsers and formatters cost the wasm tens of kilobytes. What it writes is byte for
//! byte what chrono's serde wrote for `DateTime<Utc>` before (`2023-11-14T22:13:20Z`, with 3, 6 or 9
//! fractional digits only when the instant has them), so the wire did not change; the tests hold it
//! to chrono's output and parser. It never reads a clock: `now` is the caller's (the widget's
//! `js_sys::Date`, the backend's system clock). The backend keeps chrono for its own arithmetic and
//! converts at the boundary through the `chrono` feature's `From` impls.
//!
//! Why not the `time` crate (or jiff) instead, measured for issue 12 (2026-12-06): `Timestamp::parse`
//! and its serialisation delegated to `time` 0.3 (`parsing` + `formatting`, RFC 3339) made the
//! whole widget 190.9 → 195.2 KB gzip (+4.4 KB) against a 180 KB budget it already misses, and
//! `time`'s RFC 3339 writer trims fractional zeros (`.5Z`) where the wire has always had chrono's
//! 3, 6 or 9 digits (`.500Z`), so it would also need a format of our own per precision. jiff was
//! not measured. Revisit when the budget has room: the tests against chrono stay the oracle.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest timestamp text accepted. The longest useful form,
/// `9999-12-31T23:59:59.999999999+00:00`, has 35 bytes; the slack admits extra fractional digits
/// (RFC 3339 sets no limit; they are read to the nanosecond and the rest ignored, as chrono does).
pub const MAX_TIMESTAMP_LEN: usize = 64;

const NANOS_PER_SEC: u32 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;
/// `0000-01-01T00:00:00Z`: RFC 3339 years have four digits.
const MIN_SECS: i64 = -62_167_219_200;
/// `9999-12-31T23:59:59Z`.
const MAX_SECS: i64 = 253_402_300_799;
/// The wire form's longest length: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const WIRE_LEN: usize = 30;

/// An instant in UTC with nanosecond precision, between `0000-01-01T00:00:00Z` and
/// `9999-12-31T23:59:59.999999999Z` (the years RFC 3339 can write). Leap seconds do not exist here,
/// as in Unix time: a parsed `23:59:60` is the next minute's `00`.
///
/// Nanoseconds rather than milliseconds because the backend's clock has them and its wire form
/// always showed them (`…:20.123456789Z`); a coarser type would have changed the bytes it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since `1970-01-01T00:00:00Z` (negative before it), in `MIN_SECS..=MAX_SECS`.
    secs: i64,
    /// Nanoseconds after `secs`, below one second.
    nanos: u32,
}

/// A day of the proleptic Gregorian calendar, as UTC sees it (Salesforce's `ActivityDate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// The year, `0..=9999`.
    year: u16,
    /// The month, `1..=12`.
    month: u8,
    /// The day of the month, `1..=31`.
    day: u8,
}

/// Why a text is not a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Longer than [`MAX_TIMESTAMP_LEN`] bytes.
    #[error("a timestamp has at most {MAX_TIMESTAMP_LEN} bytes")]
    TooLong,
    /// Not the RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` shape; says what was expected.
    #[error("not an RFC 3339 timestamp: expected {0}")]
    Syntax(&'static str),
    /// A field with an impossible value; names the field.
    #[error("not an RFC 3339 timestamp: the {0} is out of range")]
    Field(&'static str),
    /// A valid text whose instant in UTC falls outside the years 0000 to 9999.
    #[error("the timestamp is outside the years 0000 to 9999 in UTC")]
    OutOfRange,
}

impl Timestamp {
    /// `1970-01-01T00:00:00Z`.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };
    /// The earliest instant, `0000-01-01T00:00:00Z`.
    pub const MIN: Timestamp = Timestamp {
        secs: MIN_SECS,
        nanos: 0,
    };
    /// The latest instant, `9999-12-31T23:59:59.999999999Z`.
    pub const MAX: Timestamp = Timestamp {
        secs: MAX_SECS,
        nanos: NANOS_PER_SEC - 1,
    };

    /// The instant `secs` seconds and `nanos` nanoseconds after the Unix epoch; `None` when `nanos`
    /// is a second or more or the instant is outside [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub fn from_unix(secs: i64, nanos: u32) -> Option<Timestamp> {
        ((MIN_SECS..=MAX_SECS).contains(&secs) && nanos < NANOS_PER_SEC)
            .then_some(Timestamp { secs, nanos })
    }

    /// The instant `millis` milliseconds after the Unix epoch (what `Date.now()` gives); `None`
    /// outside the representable years.
    pub fn from_millis(millis: i64) -> Option<Timestamp> {
        let nanos = millis.rem_euclid(1000) as u32 * 1_000_000;
        Timestamp::from_unix(millis.div_euclid(1000), nanos)
    }

    /// Whole seconds since the Unix epoch, rounded down.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// The nanoseconds after [`Timestamp::unix_seconds`], below one second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since the Unix epoch, rounded down.
    pub fn as_millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// Nanoseconds from `earlier` to `self`, negative when `earlier` is later. Cannot overflow: the
    /// whole range is about 3.2·10²⁰ ns, so this is an `i128`.
    fn nanos_since(self, earlier: Timestamp) -> i128 {
        (i128::from(self.secs) - i128::from(earlier.secs)) * i128::from(NANOS_PER_SEC)
            + (i128::from(self.nanos) - i128::from(earlier.nanos))
    }

    /// Whole seconds from `earlier` to `self`, rounded toward zero (negative when `earlier` is
    /// later), as chrono's `(self - earlier).num_seconds()`.
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.nanos_since(earlier) / i128::from(NANOS_PER_SEC)) as i64
    }

    /// Whole milliseconds from `earlier` to `self`, rounded toward zero (negative when `earlier`
    /// is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        (self.nanos_since(earlier) / 1_000_000) as i64
    }

    /// The instant `seconds` later (earlier when negative); `None` outside the representable years.
    pub fn checked_add_seconds(self, seconds: i64) -> Option<Timestamp> {
        Timestamp::from_unix(self.secs.checked_add(seconds)?, self.nanos)
    }

    /// The UTC calendar day of this instant.
    pub fn date(self) -> CivilDate {
        let (year, month, day) = civil_from_days(self.secs.div_euclid(SECS_PER_DAY));
        CivilDate {
            year: year as u16,
            month,
            day,
        }
    }

    /// Reads an RFC 3339 date-time: `YYYY-MM-DD`, `T` (or `t`, or a space as RFC 3339 §5.6
    /// allows), `HH:MM:SS`, optional fraction (any number of digits, read to the nanosecond), then
    /// `Z` (or `z`) or an offset `±HH:MM`, which is applied to give UTC. At most
    /// [`MAX_TIMESTAMP_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        if text.len() > MAX_TIMESTAMP_LEN {
            return Err(TimestampError::TooLong);
        }
        let mut r = Reader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let year = r.digits(4, "a four-digit year")?;
        r.byte(|b| b == b'-', "'-' after the year")?;
        let month = r.digits(2, "a two-digit month")?;
        r.byte(|b| b == b'-', "'-' after the month")?;
        let day = r.digits(2, "a two-digit day")?;
        r.byte(|b| matches!(b, b'T' | b't' | b' '), "'T' after the date")?;
        let hour = r.digits(2, "a two-digit hour")?;
        r.byte(|b| b == b':', "':' after the hour")?;
        let minute = r.digits(2, "two-digit minutes")?;
        r.byte(|b| b == b':', "':' after the minutes")?;
        let second = r.digits(2, "two-digit seconds")?;
        let mut nanos = 0;
        if r.peek() == Some(b'.') {
            r.at += 1;
            let start = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                // Digits past the ninth are read and dropped, as chrono does.
                if r.at - start < 9 {
                    nanos = nanos * 10 + u32::from(r.bytes[r.at] - b'0');
                }
                r.at += 1;
            }
            if r.at == start {
                return Err(TimestampError::Syntax("digits after '.'"));
            }
            for _ in (r.at - start)..9 {
                nanos *= 10;
            }
        }
        let offset_sign = r.byte(
            |b| matches!(b, b'Z' | b'z' | b'+' | b'-'),
            "'Z' or an offset like +01:00",
        )?;
        let mut offset_secs = 0;
        if offset_sign != b'Z' && offset_sign != b'z' {
            let hours = r.digits(2, "a two-digit offset hour")?;
            r.byte(|b| b == b':', "':' in the offset")?;
            let minutes = r.digits(2, "two-digit offset minutes")?;
            if hours > 23 {
                return Err(TimestampError::Field("offset hour"));
            }
            if minutes > 59 {
                return Err(TimestampError::Field("offset minutes"));
            }
            offset_secs = i64::from(hours * 3600 + minutes * 60);
            if offset_sign == b'-' {
                offset_secs = -offset_secs;
            }
        }
        if r.at != r.bytes.len() {
            return Err(TimestampError::Syntax("nothing after the offset"));
        }

        if !(1..=12).contains(&month) {
            return Err(TimestampError::Field("month"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimestampError::Field("day"));
        }
        if hour > 23 {
            return Err(TimestampError::Field("hour"));
        }
        if minute > 59 {
            return Err(TimestampError::Field("minutes"));
        }
        // 60 is a leap second, which Unix time folds into the next minute's first second.
        if second > 60 {
            return Err(TimestampError::Field("seconds"));
        }
        let days = days_from_civil(year, month, day);
        let secs =
            days * SECS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
        Timestamp::from_unix(secs, nanos).ok_or(TimestampError::OutOfRange)
    }

    /// The wire form in a stack buffer: chrono's `SecondsFormat::AutoSi` with `Z`, that is no
    /// fraction on a whole second, else 3, 6 or 9 digits, the fewest that hold it exactly.
    fn encode(self) -> ([u8; WIRE_LEN], usize) {
        let mut out = [0u8; WIRE_LEN];
        let CivilDate { year, month, day } = self.date();
        let second_of_day = self.secs.rem_euclid(SECS_PER_DAY) as u32;
        let fields = [
            (u32::from(year), 4, b'-'),
            (u32::from(month), 2, b'-'),
            (u32::from(day), 2, b'T'),
            (second_of_day / 3600, 2, b':'),
            (second_of_day / 60 % 60, 2, b':'),
            (second_of_day % 60, 2, b'.'),
        ];
        let mut len = 0;
        for (value, width, after) in fields {
            put_digits(&mut out[len..len + width], value);
            out[len + width] = after;
            len += width + 1;
        }
        let digits = match self.nanos {
            0 => 0,
            n if n.is_multiple_of(1_000_000) => 3,
            n if n.is_multiple_of(1_000) => 6,
            _ => 9,
        };
        if digits == 0 {
            len -= 1; // no '.'
        } else {
            put_digits(
                &mut out[len..len + digits],
                self.nanos / 10u32.pow(9 - digits as u32),
            );
            len += digits;
        }
        out[len] = b'Z';
        (out, len + 1)
    }
}

impl fmt::Display for Timestamp {
    /// The wire form, e.g. `2023-11-14T22:13:20Z` or `2023-11-14T22:13:20.500Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bytes, len) = self.encode();
        f.write_str(std::str::from_utf8(&bytes[..len]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (bytes, len) = self.encode();
        let text = std::str::from_utf8(&bytes[..len]).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl CivilDate {
    /// The year, `0..=9999`.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, `1..=12`.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, `1..=31`.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for CivilDate {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(feature = "chrono")]
impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    /// The same instant; clamped to [`Timestamp::MIN`]..=[`Timestamp::MAX`] when chrono's is
    /// outside the years 0000 to 9999. A chrono leap second (`:60`) becomes the next minute's `:00`.
    fn from(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
        let (mut secs, mut nanos) = (t.timestamp(), t.timestamp_subsec_nanos());
        if nanos >= NANOS_PER_SEC {
            secs += 1;
            nanos -= NANOS_PER_SEC;
        }
        if secs < MIN_SECS {
            Timestamp::MIN
        } else if secs > MAX_SECS {
            Timestamp::MAX
        } else {
            Timestamp { secs, nanos }
        }
    }
}

#[cfg(feature = "chrono")]
impl From<Timestamp> for chrono::DateTime<chrono::Utc> {
    /// The same instant.
    fn from(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(t.secs, t.nanos)
            .expect("chrono represents every year from 0000 to 9999")
    }
}

/// A cursor over the text being parsed.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// One byte that `ok` accepts, else a syntax error saying `expected`.
    fn byte(
        &mut self,
        ok: impl Fn(u8) -> bool,
        expected: &'static str,
    ) -> Result<u8, TimestampError> {
        match self.peek() {
            Some(b) if ok(b) => {
                self.at += 1;
                Ok(b)
            }
            _ => Err(TimestampError::Syntax(expected)),
        }
    }

    /// Exactly `n` ASCII digits as a number, else a syntax error saying `expected`.
    fn digits(&mut self, n: usize, expected: &'static str) -> Result<u32, TimestampError> {
        let mut value = 0;
        for _ in 0..n {
            let d = self.byte(|b| b.is_ascii_digit(), expected)?;
            value = value * 10 + u32::from(d - b'0');
        }
        Ok(value)
    }
}

/// Writes `value` as `out.len()` decimal digits, zero-padded (the value always fits).
fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let shifted_month = i64::from((month + 9) % 12); // March is 0
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March is 0
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Utc};
    use proptest::prelude::*;

    fn at(secs: i64, nanos: u32) -> Timestamp {
        Timestamp::from_unix(secs, nanos).unwrap()
    }

    /// The oracle: chrono's instant for the same seconds and nanoseconds.
    fn chrono_of(t: Timestamp) -> DateTime<Utc> {
        DateTime::from_timestamp(t.unix_seconds(), t.subsec_nanos()).unwrap()
    }

    /// Unix seconds and nanoseconds of a chrono instant, its leap second (`:60`, which chrono
    /// keeps apart) folded into the next minute as Unix time does.
    fn unix_of<Tz: chrono::TimeZone>(c: &DateTime<Tz>) -> (i64, u32) {
        let (secs, nanos) = (c.timestamp(), c.timestamp_subsec_nanos());
        if nanos >= NANOS_PER_SEC {
            (secs + 1, nanos - NANOS_PER_SEC)
        } else {
            (secs, nanos)
        }
    }

    fn unix(t: Timestamp) -> (i64, u32) {
        (t.unix_seconds(), t.subsec_nanos())
    }

    #[test]
    fn writes_the_fewest_of_0_3_6_9_fractional_digits_like_chrono() {
        let cases = [
            (at(1_700_000_000, 0), "2023-11-14T22:13:20Z"),
            (at(1_700_000_000, 500_000_000), "2023-11-14T22:13:20.500Z"),
            (at(1_700_000_000, 1_500_000), "2023-11-14T22:13:20.001500Z"),
            (at(1_700_000_000, 1), "2023-11-14T22:13:20.000000001Z"),
            (
                at(1_700_000_000, 123_456_789),
                "2023-11-14T22:13:20.123456789Z",
            ),
            (Timestamp::UNIX_EPOCH, "1970-01-01T00:00:00Z"),
            (at(-1, 999_000_000), "1969-12-31T23:59:59.999Z"),
            (at(951_782_400, 0), "2000-02-29T00:00:00Z"),
            (at(946_684_799, 0), "1999-12-31T23:59:59Z"),
            (at(946_684_800, 0), "2000-01-01T00:00:00Z"),
            (Timestamp::MIN, "0000-01-01T00:00:00Z"),
            (Timestamp::MAX, "9999-12-31T23:59:59.999999999Z"),
        ];
        for (t, text) in cases {
            assert_eq!(t.to_string(), text);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
            assert_eq!(
                serde_json::to_string(&chrono_of(t)).unwrap(),
                format!("\"{text}\""),
                "chrono disagrees"
            );
            assert_eq!(Timestamp::parse(text), Ok(t));
        }
    }

    #[test]
    fn reads_offsets_fractions_and_calendar_edges() {
        let epoch = 1_700_000_000; // 2023-11-14T22:13:20Z
        let cases = [
            ("2023-11-14T22:13:20Z", at(epoch, 0)),
            ("2023-11-14t22:13:20z", at(epoch, 0)),
            ("2023-11-14 22:13:20Z", at(epoch, 0)),
            ("2023-11-14T22:13:20+00:00", at(epoch, 0)),
            ("2023-11-14T22:13:20-00:00", at(epoch, 0)),
            ("2023-11-14T23:13:20+01:00", at(epoch, 0)),
            ("2023-11-15T03:43:20+05:30", at(epoch, 0)),
            ("2023-11-14T14:13:20-08:00", at(epoch, 0)),
            ("2023-11-15T22:12:20+23:59", at(epoch, 0)),
            ("2023-11-14T22:13:20.5Z", at(epoch, 500_000_000)),
            ("2023-11-14T22:13:20.000000001Z", at(epoch, 1)),
            // Digits past the ninth are dropped, not rounded.
            ("2023-11-14T22:13:20.1234567899999Z", at(epoch, 123_456_789)),
            // Leap years: 2024 and 2000 are, 1900 and 2023 are not.
            ("2024-02-29T00:00:00Z", at(1_709_164_800, 0)),
            ("2000-02-29T12:00:00Z", at(951_825_600, 0)),
            ("2024-12-31T23:59:59Z", at(1_735_689_599, 0)),
            // An offset that crosses the year boundary.
            ("2025-01-01T00:30:00+01:00", at(1_735_687_800, 0)),
            ("1969-12-31T23:59:59.999Z", at(-1, 999_000_000)),
            // A leap second is the next minute's first second, as in Unix time.
            ("2016-12-31T23:59:60Z", at(1_483_228_800, 0)),
            ("2016-12-31T23:59:60.5Z", at(1_483_228_800, 500_000_000)),
            ("0000-01-01T00:00:00Z", Timestamp::MIN),
            ("9999-12-31T23:59:59.999999999Z", Timestamp::MAX),
            ("9999-12-31T23:59:59.999999999+00:00", Timestamp::MAX),
        ];
        for (text, t) in cases {
            assert_eq!(Timestamp::parse(text), Ok(t), "{text}");
            let chrono = DateTime::parse_from_rfc3339(text).unwrap();
            assert_eq!(unix(t), unix_of(&chrono), "chrono reads {text} otherwise");
        }
    }

    #[test]
    fn refuses_garbage_with_a_reason() {
        use TimestampError::*;
        let cases = [
            ("", Syntax("a four-digit year")),
            ("now", Syntax("a four-digit year")),
            ("2023", Syntax("'-' after the year")),
            ("2023-11-14", Syntax("'T' after the date")),
            ("2023-11-14T22:13", Syntax("':' after the minutes")),
            (
                "2023-11-14T22:13:20",
                Syntax("'Z' or an offset like +01:00"),
            ),
            ("2023-11-14T22:13:20.Z", Syntax("digits after '.'")),
            ("2023-11-14T22:13:20+0100", Syntax("':' in the offset")),
            (
                "2023-11-14T22:13:20+1:00",
                Syntax("a two-digit offset hour"),
            ),
            ("2023-11-14T22:13:20Z ", Syntax("nothing after the offset")),
            ("2023-11-14T22:13:20ZZ", Syntax("nothing after the offset")),
            (" 2023-11-14T22:13:20Z", Syntax("a four-digit year")),
            ("+2023-11-14T22:13:20Z", Syntax("a four-digit year")),
            ("12023-11-14T22:13:20Z", Syntax("'-' after the year")),
            ("2023-1-14T22:13:20Z", Syntax("a two-digit month")),
            ("2023-11-14X22:13:20Z", Syntax("'T' after the date")),
            (
                "2023-11-14T22:13:20,5Z",
                Syntax("'Z' or an offset like +01:00"),
            ),
            (
                "2023-11-14T22:13:20UTC",
                Syntax("'Z' or an offset like +01:00"),
            ),
            ("２023-11-14T22:13:20Z", Syntax("a four-digit year")),
            ("2023-00-14T22:13:20Z", Field("month")),
            ("2023-13-14T22:13:20Z", Field("month")),
            ("2023-11-00T22:13:20Z", Field("day")),
            ("2023-11-31T22:13:20Z", Field("day")),
            ("2023-02-29T22:13:20Z", Field("day")),
            ("1900-02-29T22:13:20Z", Field("day")),
            ("2023-11-14T24:00:00Z", Field("hour")),
            ("2023-11-14T22:60:00Z", Field("minutes")),
            ("2023-11-14T22:13:61Z", Field("seconds")),
            ("2023-11-14T22:13:20+24:00", Field("offset hour")),
            ("2023-11-14T22:13:20+01:60", Field("offset minutes")),
            ("0000-01-01T00:30:00+01:00", OutOfRange),
            ("9999-12-31T23:30:00-01:00", OutOfRange),
        ];
        for (text, error) in cases {
            assert_eq!(Timestamp::parse(text), Err(error), "{text:?}");
        }
        assert_eq!(
            Syntax("':' in the offset").to_string(),
            "not an RFC 3339 timestamp: expected ':' in the offset"
        );
        assert_eq!(
            Field("day").to_string(),
            "not an RFC 3339 timestamp: the day is out of range"
        );
        let json = serde_json::from_str::<Timestamp>("\"2023-13-14T22:13:20Z\"");
        assert!(
            json.unwrap_err()
                .to_string()
                .contains("month is out of range")
        );
        assert!(serde_json::from_str::<Timestamp>("1700000000").is_err());
    }

    #[test]
    fn input_is_bounded_at_max_timestamp_len() {
        let base = "2023-11-14T22:13:20.";
        let fits = format!("{base}{}Z", "1".repeat(MAX_TIMESTAMP_LEN - base.len() - 1));
        assert_eq!(fits.len(), MAX_TIMESTAMP_LEN);
        assert_eq!(Timestamp::parse(&fits), Ok(at(1_700_000_000, 111_111_111)));
        let over = format!("{base}{}Z", "1".repeat(MAX_TIMESTAMP_LEN - base.len()));
        assert_eq!(Timestamp::parse(&over), Err(TimestampError::TooLong));
        let huge = "9".repeat(1 << 20);
        assert_eq!(Timestamp::parse(&huge), Err(TimestampError::TooLong));
    }

    #[test]
    fn millis_differences_and_dates() {
        let t = at(1_700_000_000, 999_999_999);
        assert_eq!(t.as_millis(), 1_700_000_000_999);
        assert_eq!(Timestamp::from_millis(-1), Some(at(-1, 999_000_000)));
        assert_eq!(Timestamp::from_millis(-1).unwrap().as_millis(), -1);
        assert_eq!(Timestamp::from_millis(i64::MAX), None);
        assert_eq!(Timestamp::from_millis(MIN_SECS * 1000 - 1), None);
        assert_eq!(Timestamp::from_unix(0, 1_000_000_000), None);
        assert_eq!(Timestamp::from_unix(MAX_SECS + 1, 0), None);

        let start = at(1_700_000_000, 900_000_000);
        let later = at(1_700_000_061, 800_000_000);
        assert_eq!(later.seconds_since(start), 60);
        assert_eq!(start.seconds_since(later), -60);
        assert_eq!(later.millis_since(start), 60_900);
        assert_eq!(
            Timestamp::MAX.seconds_since(Timestamp::MIN),
            MAX_SECS - MIN_SECS
        );
        assert_eq!(
            start.checked_add_seconds(61),
            Some(at(1_700_000_061, 900_000_000))
        );
        assert_eq!(Timestamp::MAX.checked_add_seconds(1), None);
        assert_eq!(Timestamp::MIN.checked_add_seconds(i64::MIN), None);

        let date = |text: &str| Timestamp::parse(text).unwrap().date().to_string();
        assert_eq!(date("2024-02-29T23:59:59.999Z"), "2024-02-29");
        assert_eq!(date("2024-03-01T00:30:00+01:00"), "2024-02-29");
        assert_eq!(date("1969-12-31T23:59:59.999Z"), "1969-12-31");
        assert_eq!(date("0000-01-01T00:00:00Z"), "0000-01-01");
        assert_eq!(date("9999-12-31T23:59:59Z"), "9999-12-31");
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn converts_to_and_from_chrono() {
        let t = at(1_700_000_000, 123_456_789);
        let c: DateTime<Utc> = t.into();
        assert_eq!(c, chrono_of(t));
        assert_eq!(Timestamp::from(c), t);
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .unwrap()
            .and_utc();
        assert_eq!(Timestamp::from(leap), at(1_483_228_800, 500_000_000));
        assert_eq!(Timestamp::from(DateTime::<Utc>::MIN_UTC), Timestamp::MIN);
        assert_eq!(Timestamp::from(DateTime::<Utc>::MAX_UTC), Timestamp::MAX);
    }

    fn any_timestamp() -> impl Strategy<Value = Timestamp> {
        let nanos = prop_oneof![
            Just(0u32),
            (0..1000u32).prop_map(|ms| ms * 1_000_000),
            (0..1_000_000u32).prop_map(|us| us * 1000),
            0..NANOS_PER_SEC,
        ];
        (MIN_SECS..=MAX_SECS, nanos).prop_map(|(s, n)| at(s, n))
    }

    proptest! {
        #[test]
        fn wire_form_round_trips_and_matches_chrono_serde(t in any_timestamp()) {
            let json = serde_json::to_string(&t).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&chrono_of(t)).unwrap());
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
            prop_assert_eq!(t.date().to_string(), chrono_of(t).date_naive().to_string());
            prop_assert_eq!(t.as_millis(), chrono_of(t).timestamp_millis());
        }

        #[test]
        fn reads_what_chrono_writes_in_any_offset_and_precision(
            t in any_timestamp(),
            offset in -86_399..86_400i32,
            format in 0..5usize,
            use_z: bool,
        ) {
            let offset = offset / 60 * 60; // RFC 3339 offsets are whole minutes
            let local = chrono_of(t).with_timezone(&FixedOffset::east_opt(offset).unwrap());
            let format = [
                SecondsFormat::Secs,
                SecondsFormat::Millis,
                SecondsFormat::Micros,
                SecondsFormat::Nanos,
                SecondsFormat::AutoSi,
            ][format];
            let text = local.to_rfc3339_opts(format, use_z);
            let chrono = DateTime::parse_from_rfc3339(&text).map(|d| d.with_timezone(&Utc));
            match Timestamp::parse(&text) {
                Ok(ours) => prop_assert_eq!(Ok(chrono_of(ours)), chrono),
                // Only a local year outside 0000..=9999, which chrono writes with a sign.
                Err(e) => {
                    prop_assert_eq!(e, TimestampError::Syntax("a four-digit year"));
                    prop_assert!(text.starts_with(['+', '-']));
                }
            }
        }

        #[test]
        fn what_it_accepts_chrono_reads_the_same(
            // Mostly valid fields, with the edges and a few just past them.
            text in "[0-9]{4}-(0[0-9]|1[0-3])-([0-2][0-9]|3[0-2])[Tt ]([01][0-9]|2[0-4]):[0-6][0-9]:[0-6][0-9](\\.[0-9]{1,12})?([Zz]|[+-]([01][0-9]|2[0-4]):[0-6][0-9])"
        ) {
            let chrono = DateTime::parse_from_rfc3339(&text).map(|d| d.with_timezone(&Utc));
            match (Timestamp::parse(&text), chrono) {
                (Ok(ours), Ok(chrono)) => {
                    prop_assert_eq!(unix(ours), unix_of(&chrono));
                    let json = format!("\"{text}\"");
                    prop_assert_eq!(
                        unix(serde_json::from_str(&json).unwrap()),
                        unix_of(&serde_json::from_str::<DateTime<Utc>>(&json).unwrap())
                    );
                }
                (Err(_), Err(_)) => {}
                // chrono has no year limit; RFC 3339 (and so this type) has.
                (Err(TimestampError::OutOfRange), Ok(chrono)) => {
                    prop_assert!(!(0..=9999).contains(&chrono.year()));
                }
                (ours, chrono) => prop_assert!(false, "{text}: ours {ours:?}, chrono {chrono:?}"),
            }
        }

        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,80}") {
            let _ = Timestamp::parse(&text);
        }

        #[test]
        fn order_and_differences_agree_with_chrono(a in any_timestamp(), b in any_timestamp()) {
            prop_assert_eq!(a.cmp(&b), chrono_of(a).cmp(&chrono_of(b)));
            let d = chrono_of(a) - chrono_of(b);
            prop_assert_eq!(a.seconds_since(b), d.num_seconds());
            prop_assert_eq!(a.millis_since(b), d.num_milliseconds());
        }
    }
}
