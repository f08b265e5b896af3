use chrono::{DateTime, Utc};

use super::Deadlines;
use crate::status::{NOT_OPEN_FOR_COUNTS, State};

/// The `punctuality` filter of the private signal list (spec 04 §2.1): which
/// open signals are on time or late against their current category
/// assignment's deadlines.
///
/// The list query implements it in SQL; [`Punctuality::matches`] is the rule
/// it must agree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Punctuality {
    /// `on_time`: `deadline` after now.
    OnTime,
    /// `late`: `deadline` before now.
    Late,
    /// `late_factor_3`: `deadline_factor_3` before now.
    LateFactor3,
    /// `null`: no deadline (a category without service level, or old data).
    NoDeadline,
}

impl Punctuality {
    pub const ALL: [Punctuality; 4] = [
        Punctuality::OnTime,
        Punctuality::Late,
        Punctuality::LateFactor3,
        Punctuality::NoDeadline,
    ];

    /// The query-string value.
    pub const fn code(self) -> &'static str {
        match self {
            Punctuality::OnTime => "on_time",
            Punctuality::Late => "late",
            Punctuality::LateFactor3 => "late_factor_3",
            Punctuality::NoDeadline => "null",
        }
    }

    pub fn from_code(code: &str) -> Option<Punctuality> {
        Punctuality::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Whether a signal in `state` with `deadlines` passes the filter at
    /// `now`. Signals in `o`, `a` or `s` never do; the comparisons are strict,
    /// so a deadline of exactly `now` is neither on time nor late.
    pub fn matches(self, state: State, deadlines: Option<Deadlines>, now: DateTime<Utc>) -> bool {
        if NOT_OPEN_FOR_COUNTS.contains(&state) {
            return false;
        }
        match (self, deadlines) {
            (Punctuality::NoDeadline, deadlines) => deadlines.is_none(),
            (_, None) => false,
            (Punctuality::OnTime, Some(d)) => d.deadline > now,
            (Punctuality::Late, Some(d)) => d.deadline < now,
            (Punctuality::LateFactor3, Some(d)) => d.deadline_factor_3 < now,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-03-10T12:00:00+01:00")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn deadlines(deadline_in_hours: i64, factor_3_in_hours: i64) -> Option<Deadlines> {
        Some(Deadlines {
            deadline: now() + TimeDelta::hours(deadline_in_hours),
            deadline_factor_3: now() + TimeDelta::hours(factor_3_in_hours),
        })
    }

    #[test]
    fn codes_round_trip() {
        for p in Punctuality::ALL {
            assert_eq!(Punctuality::from_code(p.code()), Some(p));
        }
        assert_eq!(Punctuality::from_code("late_factor_2"), None);
    }

    #[test]
    fn an_open_signal_is_on_time_late_or_late_by_factor_three() {
        let b = State::Behandeling;
        assert!(Punctuality::OnTime.matches(b, deadlines(1, 24), now()));
        assert!(!Punctuality::Late.matches(b, deadlines(1, 24), now()));

        assert!(Punctuality::Late.matches(b, deadlines(-1, 24), now()));
        assert!(!Punctuality::LateFactor3.matches(b, deadlines(-1, 24), now()));
        assert!(Punctuality::LateFactor3.matches(b, deadlines(-48, -1), now()));
        assert!(Punctuality::Late.matches(b, deadlines(-48, -1), now()));

        assert!(!Punctuality::OnTime.matches(b, deadlines(0, 0), now()));
        assert!(!Punctuality::Late.matches(b, deadlines(0, 0), now()));
    }

    #[test]
    fn the_null_choice_finds_open_signals_without_deadline() {
        assert!(Punctuality::NoDeadline.matches(State::Gemeld, None, now()));
        assert!(!Punctuality::NoDeadline.matches(State::Gemeld, deadlines(1, 2), now()));
        for p in [
            Punctuality::OnTime,
            Punctuality::Late,
            Punctuality::LateFactor3,
        ] {
            assert!(!p.matches(State::Gemeld, None, now()), "{p:?}");
        }
    }

    #[test]
    fn closed_signals_are_never_on_time_or_late() {
        for state in State::ALL {
            let closed = matches!(
                state,
                State::Afgehandeld | State::Geannuleerd | State::Gesplitst
            );
            assert_eq!(
                Punctuality::Late.matches(state, deadlines(-1, -1), now()),
                !closed,
                "{state:?}"
            );
            assert_eq!(
                Punctuality::NoDeadline.matches(state, None, now()),
                !closed,
                "{state:?}"
            );
        }
    }
}
