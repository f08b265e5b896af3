//! Timestamps in responses (spec 05 §5.2): ISO-8601 in Europe/Amsterdam with
//! its offset, microseconds only when they are not zero — what Django REST
//! Framework writes for an aware datetime under `TIME_ZONE = Europe/Amsterdam`.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use chrono_tz::Europe::Amsterdam;

/// `2024-03-01T10:15:30.123456+01:00`, `2024-07-01T08:00:00+02:00`.
pub fn format_datetime(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Amsterdam);
    // RFC 3339 with the offset as `+01:00` (not `Z`): the same text as the
    // strftime pattern `%Y-%m-%dT%H:%M:%S[%.6f]%:z`, without parsing a
    // pattern for every timestamp of a page.
    let precision = if local.nanosecond() / 1_000 == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    local.to_rfc3339_opts(precision, false)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn winter_and_summer_times_carry_their_offsets() {
        let winter = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid");
        assert_eq!(format_datetime(winter), "2024-03-01T10:15:30+01:00");
        let summer = Utc
            .with_ymd_and_hms(2024, 7, 1, 6, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(format_datetime(summer), "2024-07-01T08:00:00+02:00");
    }

    #[test]
    fn microseconds_appear_only_when_not_zero() {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
            + chrono::Duration::microseconds(123_456);
        assert_eq!(format_datetime(at), "2024-03-01T10:15:30.123456+01:00");
        let sub_micro = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
            + chrono::Duration::nanoseconds(999);
        assert_eq!(format_datetime(sub_micro), "2024-03-01T10:15:30+01:00");
    }
}
