//! Deadlines of a signal from its category's service level (spec 01 §3.3,
//! 16 §16.3), and the punctuality filter built on them (04 §2.1).
//!
//! Both deadlines are computed whenever a category assignment is stored
//! (creation and every category change), always from the **signal's**
//! `created_at`, and stored on the assignment: `deadline` (factor 1) and
//! `deadline_factor_3` (factor 3). A category without service level gives
//! neither.
//!
//! # Europe/Amsterdam local time
//!
//! Days are counted on the Europe/Amsterdam calendar and keep the local time
//! of day: `n` calendar days after 10:00 is 10:00 local, also across a DST
//! change (then 23 or 25 hours later per change). Working days are Monday to
//! Friday, public holidays ignored, and the weekday is the local one.
//!
//! The reference does the same arithmetic on the UTC value, which differs:
//!
//! * between local midnight and 01:00 (CET) / 02:00 (CEST) the UTC weekday is
//!   the day before. A signal made early on Saturday counts there as made on
//!   Friday (work starts at once), one made early on Monday as made on Sunday
//!   (work starts Monday 00:00 UTC, an hour or two later). Here Saturday is
//!   weekend and Monday is Monday;
//! * a weekend signal's work starts on Monday 00:00 UTC there, Monday 00:00
//!   local here;
//! * calendar days are multiples of 24 hours there, so a deadline across a
//!   DST change lands an hour off its local time of day; here it keeps it.
//!
//! A local time that does not exist (the hour skipped on the last Sunday of
//! March) moves forward by the length of the gap (02:30 → 03:30 CEST); one
//! that exists twice (last Sunday of October) is taken the first time (CEST).
//! Only calendar-day deadlines can meet these: a working-day deadline always
//! falls on a weekday, and Amsterdam changes clocks on Sundays.

mod punctuality;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Utc,
};
use chrono_tz::Europe::Amsterdam;

use crate::category::ServiceLevel;

pub use punctuality::Punctuality;

/// The two deadlines stored on a category assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub deadline: DateTime<Utc>,
    pub deadline_factor_3: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The service level is so long that the deadline falls outside the
    /// representable dates (hundreds of thousands of years).
    #[error("a deadline of {n_days} days × {factor} is out of range")]
    OutOfRange { n_days: u32, factor: u32 },
}

impl Deadlines {
    /// Both deadlines of a signal created at `signal_created_at` in a
    /// category with `service_level`; `None` without service level.
    pub fn compute(
        signal_created_at: DateTime<Utc>,
        service_level: Option<ServiceLevel>,
    ) -> Result<Option<Deadlines>, DeadlineError> {
        let Some(service_level) = service_level else {
            return Ok(None);
        };
        Ok(Some(Deadlines {
            deadline: deadline(signal_created_at, service_level, 1)?,
            deadline_factor_3: deadline(signal_created_at, service_level, 3)?,
        }))
    }
}

/// The moment `n_days × factor` calendar or working days after
/// `signal_created_at`, counted in Europe/Amsterdam (see the module docs).
///
/// Working days: a start on Saturday or Sunday moves to the next Monday
/// 00:00; then every 5 working days are a week, and the remaining days add
/// 2 more when they run past Friday. Zero days is the (possibly moved) start.
pub fn deadline(
    signal_created_at: DateTime<Utc>,
    service_level: ServiceLevel,
    factor: u32,
) -> Result<DateTime<Utc>, DeadlineError> {
    let out_of_range = DeadlineError::OutOfRange {
        n_days: service_level.n_days,
        factor,
    };
    let total = u64::from(service_level.n_days) * u64::from(factor);
    let created = signal_created_at.with_timezone(&Amsterdam).naive_local();

    let (start, days) = if service_level.use_calendar_days {
        (created, total)
    } else {
        let start = start_of_work(created).ok_or(out_of_range)?;
        let weekday = u64::from(start.weekday().num_days_from_monday());
        let (weeks, rest) = (total / 5, total % 5);
        let weekend = if weekday + rest > 4 { 2 } else { 0 };
        (start, weeks * 7 + rest + weekend)
    };
    if days == 0 && start == created {
        // The creation moment itself; going through the wall clock could pick
        // the other half of a repeated October hour.
        return Ok(signal_created_at);
    }
    let end = start
        .checked_add_days(Days::new(days))
        .ok_or(out_of_range)?;
    Ok(amsterdam_to_utc(end))
}

/// `created` itself on a weekday; the next Monday 00:00 on a weekend.
fn start_of_work(created: NaiveDateTime) -> Option<NaiveDateTime> {
    let weekday = created.weekday().num_days_from_monday();
    if weekday < 5 {
        return Some(created);
    }
    let monday = created
        .date()
        .checked_add_days(Days::new(u64::from(7 - weekday)))?;
    Some(monday.and_time(NaiveTime::MIN))
}

/// The instant of an Amsterdam wall-clock time: the earlier one if it exists
/// twice, shifted forward by the gap if it does not exist.
fn amsterdam_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Amsterdam.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: read the wall time with the offset in force before it
            // (Amsterdam's clocks never change twice within a day).
            let before = Amsterdam
                .offset_from_utc_datetime(&(local - TimeDelta::days(1)))
                .fix();
            (local - before).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, SecondsFormat};

    use super::*;

    fn working_days(n_days: u32) -> ServiceLevel {
        ServiceLevel {
            n_days,
            use_calendar_days: false,
        }
    }

    fn calendar_days(n_days: u32) -> ServiceLevel {
        ServiceLevel {
            n_days,
            use_calendar_days: true,
        }
    }

    /// An instant given as Amsterdam local time with its offset, e.g.
    /// `2024-03-01T10:00:00+01:00`.
    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("valid timestamp")
            .with_timezone(&Utc)
    }

    /// The instant as Amsterdam local time, for readable assertions.
    fn local(instant: DateTime<Utc>) -> String {
        instant
            .with_timezone(&Amsterdam)
            .fixed_offset()
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    fn working(created: &str, n_days: u32) -> String {
        local(deadline(at(created), working_days(n_days), 1).expect("in range"))
    }

    fn calendar(created: &str, n_days: u32) -> String {
        local(deadline(at(created), calendar_days(n_days), 1).expect("in range"))
    }

    #[test]
    fn calendar_days_are_added_to_the_local_date_at_the_same_local_time() {
        assert_eq!(
            calendar("2024-03-01T10:15:30+01:00", 5),
            "2024-03-06T10:15:30+01:00"
        );
        assert_eq!(
            calendar("2024-03-02T10:00:00+01:00", 1),
            "2024-03-03T10:00:00+01:00",
            "weekends count"
        );
    }

    #[test]
    fn working_days_skip_the_weekend() {
        // Wednesday 2024-03-06
        assert_eq!(
            working("2024-03-06T10:00:00+01:00", 2),
            "2024-03-08T10:00:00+01:00",
            "Wed + 2 = Fri"
        );
        assert_eq!(
            working("2024-03-06T10:00:00+01:00", 3),
            "2024-03-11T10:00:00+01:00",
            "Wed + 3 = Mon"
        );
        assert_eq!(
            working("2024-03-08T16:00:00+01:00", 1),
            "2024-03-11T16:00:00+01:00",
            "Fri + 1 = Mon"
        );
        assert_eq!(
            working("2024-03-04T09:00:00+01:00", 5),
            "2024-03-11T09:00:00+01:00",
            "Mon + 5 = next Mon"
        );
        assert_eq!(
            working("2024-03-06T10:00:00+01:00", 10),
            "2024-03-20T10:00:00+01:00",
            "two weeks"
        );
        assert_eq!(
            working("2024-03-07T10:00:00+01:00", 13),
            "2024-03-26T10:00:00+01:00",
            "Thu + 2 weeks + 3 = Tue"
        );
    }

    #[test]
    fn a_weekend_signal_starts_on_monday_at_local_midnight() {
        assert_eq!(
            working("2024-03-09T14:00:00+01:00", 1),
            "2024-03-12T00:00:00+01:00",
            "Sat → Mon 00:00, + 1 = Tue 00:00"
        );
        assert_eq!(
            working("2024-03-10T23:59:00+01:00", 5),
            "2024-03-18T00:00:00+01:00",
            "Sun → Mon 00:00, + 5 = next Mon 00:00"
        );
        assert_eq!(
            working("2024-03-10T23:59:00+01:00", 4),
            "2024-03-15T00:00:00+01:00",
            "Sun → Mon 00:00, + 4 = Fri 00:00"
        );
    }

    #[test]
    fn zero_days_is_the_start_of_work() {
        assert_eq!(
            calendar("2024-03-09T14:00:00+01:00", 0),
            "2024-03-09T14:00:00+01:00"
        );
        assert_eq!(
            working("2024-03-06T10:00:00+01:00", 0),
            "2024-03-06T10:00:00+01:00"
        );
        assert_eq!(
            working("2024-03-09T14:00:00+01:00", 0),
            "2024-03-11T00:00:00+01:00",
            "a weekend start still moves to Monday"
        );
    }

    #[test]
    fn one_day() {
        assert_eq!(
            calendar("2024-03-08T16:00:00+01:00", 1),
            "2024-03-09T16:00:00+01:00"
        );
        assert_eq!(
            working("2024-03-07T16:00:00+01:00", 1),
            "2024-03-08T16:00:00+01:00"
        );
    }

    #[test]
    fn early_saturday_local_time_is_weekend_although_utc_still_says_friday() {
        // Saturday 00:30 CET = Friday 23:30 UTC. The reference (UTC weekday)
        // would start at once: Fri 23:30 UTC + 1 working day = Mon 23:30 UTC.
        let created = "2024-03-09T00:30:00+01:00";
        assert_eq!(at(created).to_rfc3339(), "2024-03-08T23:30:00+00:00");
        assert_eq!(working(created, 1), "2024-03-12T00:00:00+01:00");
    }

    #[test]
    fn early_monday_local_time_is_a_working_day_although_utc_still_says_sunday() {
        // Monday 01:30 CEST = Sunday 23:30 UTC; the reference would start on
        // Monday 00:00 UTC (02:00 local) instead.
        let created = "2024-04-08T01:30:00+02:00";
        assert_eq!(at(created).to_rfc3339(), "2024-04-07T23:30:00+00:00");
        assert_eq!(working(created, 1), "2024-04-09T01:30:00+02:00");
    }

    #[test]
    fn a_friday_evening_signal_is_a_friday_signal() {
        assert_eq!(
            working("2024-03-08T23:30:00+01:00", 1),
            "2024-03-11T23:30:00+01:00"
        );
        assert_eq!(
            working("2024-10-25T23:59:59+02:00", 1),
            "2024-10-28T23:59:59+01:00",
            "over the October DST weekend"
        );
    }

    #[test]
    fn calendar_days_keep_the_local_time_over_the_march_dst_change() {
        // Clocks go 02:00 CET → 03:00 CEST on Sunday 2024-03-31.
        let deadline = calendar("2024-03-30T10:00:00+01:00", 1);
        assert_eq!(deadline, "2024-03-31T10:00:00+02:00");
        let hours = (at(&deadline) - at("2024-03-30T10:00:00+01:00")).num_hours();
        assert_eq!(hours, 23);
    }

    #[test]
    fn calendar_days_keep_the_local_time_over_the_october_dst_change() {
        // Clocks go 03:00 CEST → 02:00 CET on Sunday 2024-10-27.
        let deadline = calendar("2024-10-26T10:00:00+02:00", 1);
        assert_eq!(deadline, "2024-10-27T10:00:00+01:00");
        let hours = (at(&deadline) - at("2024-10-26T10:00:00+02:00")).num_hours();
        assert_eq!(hours, 25);
    }

    #[test]
    fn a_deadline_in_the_skipped_march_hour_moves_forward_by_the_gap() {
        assert_eq!(
            calendar("2024-03-30T02:30:00+01:00", 1),
            "2024-03-31T03:30:00+02:00"
        );
    }

    #[test]
    fn a_deadline_in_the_repeated_october_hour_is_the_first_one() {
        assert_eq!(
            calendar("2024-10-26T02:30:00+02:00", 1),
            "2024-10-27T02:30:00+02:00"
        );
    }

    #[test]
    fn a_signal_made_in_the_repeated_hour_keeps_its_own_offset() {
        // The second 02:30 (CET) on 2024-10-27, a Sunday: working days start Monday.
        let created = "2024-10-27T02:30:00+01:00";
        assert_eq!(working(created, 1), "2024-10-29T00:00:00+01:00");
        assert_eq!(calendar(created, 0), "2024-10-27T02:30:00+01:00");
    }

    #[test]
    fn working_days_over_dst_keep_the_local_time() {
        assert_eq!(
            working("2024-03-29T09:00:00+01:00", 1),
            "2024-04-01T09:00:00+02:00",
            "Fri before the March change + 1 = Mon"
        );
        assert_eq!(
            working("2024-03-30T12:00:00+01:00", 1),
            "2024-04-02T00:00:00+02:00",
            "Sat before the change: Mon 00:00 CEST + 1"
        );
    }

    #[test]
    fn working_day_deadlines_always_fall_on_a_weekday() {
        let start = at("2024-03-25T00:30:00+01:00");
        for hour in (0..24 * 14).step_by(5) {
            let created = start + TimeDelta::hours(hour);
            for n_days in 0..12 {
                let end = deadline(created, working_days(n_days), 1).expect("in range");
                let weekday = end
                    .with_timezone(&Amsterdam)
                    .weekday()
                    .num_days_from_monday();
                assert!(weekday < 5, "{created} + {n_days}: {end}");
            }
        }
    }

    #[test]
    fn both_deadlines_are_computed_with_factor_one_and_three() {
        let created = at("2024-03-01T10:15:30+01:00");
        let deadlines = Deadlines::compute(created, Some(working_days(3)))
            .expect("in range")
            .expect("a service level");
        assert_eq!(local(deadlines.deadline), "2024-03-06T10:15:30+01:00");
        assert_eq!(
            local(deadlines.deadline_factor_3),
            "2024-03-14T10:15:30+01:00",
            "9 working days"
        );
        let calendar = Deadlines::compute(created, Some(calendar_days(2)))
            .expect("in range")
            .expect("a service level");
        assert_eq!(local(calendar.deadline), "2024-03-03T10:15:30+01:00");
        assert_eq!(
            local(calendar.deadline_factor_3),
            "2024-03-07T10:15:30+01:00"
        );
    }

    #[test]
    fn no_service_level_means_no_deadlines() {
        assert_eq!(
            Deadlines::compute(at("2024-03-01T10:00:00+01:00"), None),
            Ok(None)
        );
    }

    #[test]
    fn an_absurd_service_level_is_out_of_range_not_a_panic() {
        let created = at("2024-03-01T10:00:00+01:00");
        for level in [working_days(u32::MAX), calendar_days(u32::MAX)] {
            assert_eq!(
                deadline(created, level, 3),
                Err(DeadlineError::OutOfRange {
                    n_days: u32::MAX,
                    factor: 3
                })
            );
        }
    }

    #[test]
    fn the_result_is_utc_and_renders_with_the_amsterdam_offset() {
        let end = deadline(at("2024-07-01T10:00:00+02:00"), calendar_days(1), 1).expect("in range");
        assert_eq!(end.to_rfc3339(), "2024-07-02T08:00:00+00:00");
        assert_eq!(
            end.with_timezone(&Amsterdam).offset().fix(),
            FixedOffset::east_opt(2 * 3600).expect("valid offset")
        );
    }
}
