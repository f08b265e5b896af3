//! EventBridge schedule expressions: `rate(5 minutes)` and
//! `cron(Minutes Hours Day-of-month Month Day-of-week Year)` (UTC), as
//! template.yaml writes them. `L`, `W` and `#` are not supported.

use std::time::Duration;

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Timelike, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Rate(Duration),
    Cron(Cron),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule expression `{expression}`: {reason}")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let error = |reason: &str| ScheduleError {
            expression: expression.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = expression.trim();
        if let Some(inner) = trimmed
            .strip_prefix("rate(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let mut parts = inner.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(error("expected rate(<n> <unit>)"));
            };
            let n: u64 = n.parse().map_err(|_| error("the rate is not a number"))?;
            if n == 0 {
                return Err(error("the rate must be positive"));
            }
            let seconds = match unit {
                "minute" | "minutes" => 60,
                "hour" | "hours" => 3600,
                "day" | "days" => 86_400,
                _ => return Err(error("the unit is minute(s), hour(s) or day(s)")),
            };
            return Ok(Schedule::Rate(Duration::from_secs(n * seconds)));
        }
        if let Some(inner) = trimmed
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return Cron::parse(inner)
                .map(Schedule::Cron)
                .map_err(|reason| error(&reason));
        }
        Err(error("expected rate(…) or cron(…)"))
    }

    /// The first firing strictly after `after`. A rate fires every period
    /// from `after`; a cron at the next matching minute (within five years).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Rate(period) => Some(after + TimeDelta::from_std(*period).ok()?),
            Schedule::Cron(cron) => cron.next_after(after),
        }
    }
}

/// A field's allowed values (a bit set), or "any" for `*` and `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    any: bool,
    values: u64,
}

impl Field {
    fn matches(&self, value: u32) -> bool {
        self.any || (value < 64 && self.values & (1 << value) != 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    days_of_month: Field,
    months: Field,
    /// 1 = Sunday … 7 = Saturday, as EventBridge counts.
    days_of_week: Field,
    /// Years since 1970 don't fit a u64 set: kept as a list of ranges.
    years: Ranges,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(token: &str, names: &[&str], offset: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(token)) {
        return Ok(i as u32 + offset);
    }
    token
        .parse()
        .map_err(|_| format!("`{token}` is not a value"))
}

/// `(low, high, step)` runs of a field; `None` for `*` and `?`.
type Ranges = Option<Vec<(i32, i32, i32)>>;

fn ranges(field: &str, min: i64, max: i64, names: &[&str], offset: u32) -> Result<Ranges, String> {
    if field == "*" || field == "?" {
        return Ok(None);
    }
    if field.contains(['L', 'W', '#']) && names.is_empty() {
        return Err(format!("`{field}`: L, W and # are not supported locally"));
    }
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<i32>()
                    .map_err(|_| format!("`{part}`: bad step"))?,
            ),
            None => (part, 1),
        };
        let (low, high) = if range == "*" {
            (min as i32, max as i32)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, names, offset)? as i32,
                value(b, names, offset)? as i32,
            )
        } else {
            let v = value(range, names, offset)? as i32;
            (v, if part.contains('/') { max as i32 } else { v })
        };
        if step < 1 || low < min as i32 || high > max as i32 || low > high {
            return Err(format!("`{part}` is out of range {min}-{max}"));
        }
        out.push((low, high, step));
    }
    Ok(Some(out))
}

fn field(field: &str, min: i64, max: i64, names: &[&str], offset: u32) -> Result<Field, String> {
    let Some(ranges) = ranges(field, min, max, names, offset)? else {
        return Ok(Field {
            any: true,
            values: 0,
        });
    };
    let mut values = 0u64;
    for (low, high, step) in ranges {
        let mut v = low;
        while v <= high {
            values |= 1 << v;
            v += step;
        }
    }
    Ok(Field { any: false, values })
}

impl Cron {
    fn parse(inner: &str) -> Result<Self, String> {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields.as_slice() else {
            return Err("a cron expression has six fields".into());
        };
        if dom.contains(['L', 'W']) || dow.contains(['L', '#']) {
            return Err("L, W and # are not supported locally".into());
        }
        if (*dom == "?") == (*dow == "?") && !(*dom == "*" || *dow == "*") {
            return Err("one of day-of-month and day-of-week must be `?`".into());
        }
        Ok(Self {
            minutes: field(minutes, 0, 59, &[], 0)?,
            hours: field(hours, 0, 23, &[], 0)?,
            days_of_month: field(dom, 1, 31, &[], 0)?,
            months: field(month, 1, 12, &MONTHS, 1)?,
            days_of_week: field(dow, 1, 7, &DAYS, 1)?,
            years: ranges(year, 1970, 2199, &[], 0)?,
        })
    }

    fn matches(&self, t: DateTime<Utc>) -> bool {
        let year_ok = self.years.as_ref().is_none_or(|ranges| {
            ranges.iter().any(|(low, high, step)| {
                (*low..=*high).contains(&t.year()) && (t.year() - low) % step == 0
            })
        });
        year_ok
            && self.minutes.matches(t.minute())
            && self.hours.matches(t.hour())
            && self.days_of_month.matches(t.day())
            && self.months.matches(t.month())
            && self
                .days_of_week
                .matches(t.weekday().num_days_from_sunday() + 1)
    }

    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut t = after.duration_trunc(TimeDelta::minutes(1)).ok()? + TimeDelta::minutes(1);
        let end = after + TimeDelta::days(5 * 366);
        while t <= end {
            if self.matches(t) {
                return Some(t);
            }
            t += if self.hours.matches(t.hour()) {
                TimeDelta::minutes(1)
            } else {
                TimeDelta::minutes(60 - i64::from(t.minute()))
            };
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn rates_are_periods() {
        assert_eq!(
            Schedule::parse("rate(1 minute)"),
            Ok(Schedule::Rate(Duration::from_secs(60)))
        );
        assert_eq!(
            Schedule::parse("rate(2 hours)"),
            Ok(Schedule::Rate(Duration::from_secs(7200)))
        );
        assert!(Schedule::parse("rate(0 minutes)").is_err());
        assert!(Schedule::parse("rate(1 fortnight)").is_err());
    }

    #[test]
    fn the_nightly_training_cron_fires_at_half_past_two_utc() {
        let cron = Schedule::parse("cron(30 2 * * ? *)").expect("parse");

        assert_eq!(
            cron.next_after(at(2026, 5, 4, 1, 0)),
            Some(at(2026, 5, 4, 2, 30))
        );
        assert_eq!(
            cron.next_after(at(2026, 5, 4, 2, 30)),
            Some(at(2026, 5, 5, 2, 30))
        );
    }

    #[test]
    fn cron_steps_lists_and_weekday_names() {
        let every_quarter = Schedule::parse("cron(0/15 * * * ? *)").expect("parse");
        let weekdays = Schedule::parse("cron(0 7 ? * MON-FRI *)").expect("parse");

        assert_eq!(
            every_quarter.next_after(at(2026, 5, 4, 9, 16)),
            Some(at(2026, 5, 4, 9, 30))
        );
        // 2026-05-09 is a Saturday: the next weekday 07:00 is Monday the 11th.
        assert_eq!(
            weekdays.next_after(at(2026, 5, 8, 8, 0)),
            Some(at(2026, 5, 11, 7, 0))
        );
    }

    #[test]
    fn unsupported_or_malformed_crons_are_refused() {
        assert!(Schedule::parse("cron(0 7 L * ? *)").is_err());
        assert!(Schedule::parse("cron(0 7 * * *)").is_err());
        assert!(Schedule::parse("cron(61 7 * * ? *)").is_err());
        assert!(Schedule::parse("every minute").is_err());
    }
}
