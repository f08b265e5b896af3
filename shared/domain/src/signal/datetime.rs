//! Date-times as clients send them (spec 05 §5.1): ISO-8601, and a value
//! without offset is Europe/Amsterdam local time — what Django REST
//! framework's `DateTimeField` accepts under `TIME_ZONE = Europe/Amsterdam`
//! (Django's `parse_datetime`: `datetime.fromisoformat`, then its own regex).

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use chrono::{TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;

/// The framework's message for a value it cannot read as a date-time.
pub const INVALID_DATETIME: &str = "Datetime heeft een ongeldig formaat, gebruik 1 van de volgende formaten: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

/// Reads `2024-03-01T09:30:00+01:00`, `…Z`, `2024-03-01 09:30`,
/// `2024-03-01T09:30:00.123456` (local), `2024-03-01` (local midnight).
///
/// Accepted: a four-digit year, one- or two-digit month, day, hour and
/// minute (Django's regex), optional seconds with up to twelve fraction
/// digits (only microseconds are kept), `T`, `t` or a space between date and
/// time, and an offset `Z`, `±HH`, `±HHMM` or `±HH:MM`, optionally after
/// spaces. `None` for anything else, including dates that do not exist and
/// instants outside the years 1–9999.
///
/// A local time that does not exist (the hour skipped in March) or exists
/// twice (October) is read as Python's `zoneinfo` does with `fold=0`: with
/// the offset in force before the change (02:30 → 03:30 CEST; the first,
/// CEST, 02:30).
pub fn parse_datetime(input: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = date_part(input)?;
    let (time, offset) = if rest.is_empty() {
        (NaiveTime::MIN, None)
    } else {
        let rest = rest
            .strip_prefix(['T', 't', ' '])
            .filter(|r| !r.is_empty())?;
        time_and_offset(rest)?
    };
    let local = date.and_time(time);
    let at = match offset {
        Some(offset) => offset.from_local_datetime(&local).single()?.to_utc(),
        None => amsterdam_to_utc(local),
    };
    let year = at.with_timezone(&Amsterdam).naive_local().date();
    (NaiveDate::from_ymd_opt(1, 1, 1)?..=NaiveDate::from_ymd_opt(9999, 12, 31)?)
        .contains(&year)
        .then_some(at)
}

/// The instant of an Amsterdam wall-clock time; in a gap or an overlap the
/// offset before the change counts (see [`parse_datetime`]).
pub fn amsterdam_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Amsterdam.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.to_utc(),
        LocalResult::None => {
            let before = Amsterdam
                .offset_from_utc_datetime(&(local - TimeDelta::days(1)))
                .fix();
            (local - before).and_utc()
        }
    }
}

/// `YYYY-M(M)-D(D)`, or `YYYYMMDD` when nothing follows; the rest of the input.
fn date_part(input: &str) -> Option<(NaiveDate, &str)> {
    let (year, rest) = digits(input, 4, 4)?;
    if let Some(rest) = rest.strip_prefix('-') {
        let (month, rest) = digits(rest, 1, 2)?;
        let rest = rest.strip_prefix('-')?;
        let (day, rest) = digits(rest, 1, 2)?;
        return Some((NaiveDate::from_ymd_opt(year as i32, month, day)?, rest));
    }
    let (month, rest) = digits(rest, 2, 2)?;
    let (day, rest) = digits(rest, 2, 2)?;
    rest.is_empty()
        .then(|| NaiveDate::from_ymd_opt(year as i32, month, day))
        .flatten()
        .map(|date| (date, rest))
}

fn time_and_offset(input: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    let (hour, rest) = digits(input, 1, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (minute, mut rest) = digits(rest, 1, 2)?;
    let (mut second, mut micro) = (0, 0);
    if let Some(after) = rest.strip_prefix(':') {
        let (s, after) = digits(after, 1, 2)?;
        second = s;
        rest = after;
        if let Some(after) = rest.strip_prefix(['.', ',']) {
            let count = after.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=12).contains(&count) {
                return None;
            }
            let fraction = &after[..count.min(6)];
            micro = fraction.parse::<u32>().ok()? * 10u32.pow(6 - fraction.len() as u32);
            rest = &after[count..];
        }
    }
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micro)?;
    let rest = rest.trim_start_matches(char::is_whitespace);
    Some((time, offset(rest)?))
}

/// `""` → no offset; `Z`, `±HH`, `±HHMM`, `±HH:MM` → that offset.
fn offset(input: &str) -> Option<Option<FixedOffset>> {
    if input.is_empty() {
        return Some(None);
    }
    if input == "Z" || input == "z" {
        return Some(FixedOffset::east_opt(0));
    }
    let sign = match input.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, rest) = digits(&input[1..], 2, 2)?;
    let minutes = match rest {
        "" => 0,
        _ => {
            let (minutes, rest) = digits(rest.strip_prefix(':').unwrap_or(rest), 2, 2)?;
            if !rest.is_empty() || minutes > 59 {
                return None;
            }
            minutes
        }
    };
    if hours > 23 {
        return None;
    }
    Some(Some(FixedOffset::east_opt(
        sign * (hours as i32 * 3600 + minutes as i32 * 60),
    )?))
}

/// Between `min` and `max` ASCII digits at the start of `input`, as a number.
fn digits(input: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let count = input
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if count < min {
        return None;
    }
    Some((input[..count].parse().ok()?, &input[count..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(input: &str) -> String {
        parse_datetime(input)
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_else(|| "none".to_owned())
    }

    #[test]
    fn what_the_frontend_sends_is_read_with_its_offset() {
        assert_eq!(utc("2024-03-01T09:30:00+01:00"), "2024-03-01T08:30:00Z");
        assert_eq!(utc("2024-07-01T09:30:00+02:00"), "2024-07-01T07:30:00Z");
        assert_eq!(
            utc("2018-06-18T13:30:47.604472Z"),
            "2018-06-18T13:30:47.604472Z"
        );
    }

    #[test]
    fn a_value_without_offset_is_amsterdam_time() {
        assert_eq!(utc("2024-03-01T09:30:00"), "2024-03-01T08:30:00Z");
        assert_eq!(utc("2024-07-01 09:30"), "2024-07-01T07:30:00Z");
        assert_eq!(utc("2024-03-01"), "2024-02-29T23:00:00Z");
    }

    #[test]
    fn djangos_lenient_forms_are_accepted() {
        assert_eq!(utc("2024-3-1T9:05"), "2024-03-01T08:05:00Z");
        assert_eq!(utc("2024-03-01T09:30:00 +0100"), "2024-03-01T08:30:00Z");
        assert_eq!(utc("2024-03-01T09:30:00+01"), "2024-03-01T08:30:00Z");
        assert_eq!(utc("2024-03-01T09:30:00,5Z"), "2024-03-01T09:30:00.500Z");
        assert_eq!(
            utc("2024-03-01T09:30:00.123456789Z"),
            "2024-03-01T09:30:00.123456Z",
            "only microseconds are kept"
        );
        assert_eq!(utc("20240301"), "2024-02-29T23:00:00Z");
    }

    #[test]
    fn what_is_not_a_date_time_is_refused() {
        for input in [
            "",
            "gisteren",
            "2024-02-30T10:00:00Z",
            "2024-03-01T24:00:00Z",
            "2024-03-01T10:60Z",
            "2024-03-01T10:00:61Z",
            "2024-03-01T",
            "2024-03-01T10",
            "24-03-01T10:00Z",
            "2024-03-01T10:00:00+25:00",
            "2024-03-01T10:00:00+01:00:00",
            "2024-03-01T10:00:00Q",
            "2024-03-01T10:00:00.Z",
            "10:00",
            "9999-12-31T23:30:00-02:00",
        ] {
            assert_eq!(parse_datetime(input), None, "{input:?}");
        }
    }

    #[test]
    fn the_skipped_march_hour_and_the_repeated_october_hour_take_the_earlier_offset() {
        assert_eq!(utc("2024-03-31T02:30:00"), "2024-03-31T01:30:00Z");
        assert_eq!(utc("2024-10-27T02:30:00"), "2024-10-27T00:30:00Z");
    }
}
