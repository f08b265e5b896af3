//! `GET /signals/v1/private/reports/signals/open` and
//! `…/reopen-requested` (spec 04b §11), with `sia_read`: signal counts per
//! sub category, largest first, not paginated, without department
//! visibility filtering (as the reference).
//!
//! * open: signals not in `o`, `a` or `s` whose current category
//!   assignment's `deadline_factor_3` has passed; `start`/`end` bound the
//!   signal's `created_at`;
//! * reopen-requested: signals currently in `reopen requested`;
//!   `start`/`end` bound when that status was set.
//!
//! `start` and `end` are ISO date-times (inclusive; without an offset they
//! are Amsterdam time), as django-filter's `IsoDateTimeFilter` reads them;
//! anything else is a 400 naming the parameter.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{Method, Uri};
use serde_json::{Value, json};
use signalen_api::ApiError;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::routing::{both, connection, read_only};
use signalen_api::validation::FieldErrors;
use signalen_domain::signal::parse_datetime;
use signalen_domain::status::State as SignalState;
use signalen_domain::user::Permission;
use signalen_infra::pg::{self, CategoryCount, Period};

use crate::{AppState, SIA_WRITE};

const OPEN: &str = "/signals/v1/private/reports/signals/open";
const REOPEN_REQUESTED: &str = "/signals/v1/private/reports/signals/reopen-requested";

/// Django's `DateTimeField` message, in Dutch.
pub const INVALID_DATETIME: &str = "Voer een geldige datum/tijd in.";

/// The states in which a signal is no longer open (the reference's
/// AFGEHANDELD, GEANNULEERD, GESPLITST).
const CLOSED: [SignalState; 3] = [
    SignalState::Afgehandeld,
    SignalState::Geannuleerd,
    SignalState::Gesplitst,
];

pub fn routes() -> Router<AppState> {
    let router = both(Router::new(), OPEN, read_only(open, SIA_WRITE));
    both(
        router,
        REOPEN_REQUESTED,
        read_only(reopen_requested, SIA_WRITE),
    )
}

async fn open(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    uri: Uri,
) -> Result<Response, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let created = match period(uri.query()) {
        Ok(period) => period,
        Err(errors) => return Ok(errors.into_response()),
    };
    let client = connection(&state.pool).await?;
    let closed = CLOSED.map(SignalState::code);
    let rows = pg::open_signals_past_deadline_per_category(&client, Utc::now(), &closed, created)
        .await
        .map_err(ApiError::unexpected)?;
    Ok(Json(report(&rows)).into_response())
}

async fn reopen_requested(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    uri: Uri,
) -> Result<Response, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let set = match period(uri.query()) {
        Ok(period) => period,
        Err(errors) => return Ok(errors.into_response()),
    };
    let client = connection(&state.pool).await?;
    let rows =
        pg::signals_in_state_per_category(&client, SignalState::VerzoekTotHeropenen.code(), set)
            .await
            .map_err(ApiError::unexpected)?;
    Ok(Json(report(&rows)).into_response())
}

/// `start` and `end` of a query string: the last value of each counts, an
/// empty one means no bound (Django's `QueryDict` and form fields).
pub fn period(query: Option<&str>) -> Result<Period, FieldErrors> {
    let last = |name: &str| {
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .last()
            .filter(|value| !value.is_empty())
    };
    let mut errors = FieldErrors::new();
    let mut bound = |name: &str| {
        let raw = last(name)?;
        let at = parse_datetime(&raw);
        if at.is_none() {
            errors.push(name, INVALID_DATETIME);
        }
        at
    };
    let period = Period {
        start: bound("start"),
        end: bound("end"),
    };
    if errors.is_empty() {
        Ok(period)
    } else {
        Err(errors)
    }
}

/// `{"total_signal_count": …, "results": [{"category": {"name", "departments"}, "signal_count"}]}`.
pub fn report(rows: &[CategoryCount]) -> Value {
    let total: i64 = rows.iter().map(|row| row.signal_count).sum();
    let results: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "category": {"name": row.name, "departments": row.departments},
                "signal_count": row.signal_count,
            })
        })
        .collect();
    json!({"total_signal_count": total, "results": results})
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone};

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn no_parameters_mean_no_bounds() {
        assert_eq!(period(None).expect("valid"), Period::default());
        assert_eq!(
            period(Some("start=&end=%20&page=2")).expect("valid"),
            Period::default()
        );
    }

    #[test]
    fn bounds_are_read_with_their_offset_or_as_amsterdam_time() {
        let read = period(Some(
            "start=2024-03-01T09:30:00%2B01:00&end=2024-07-01T10:00:00",
        ))
        .expect("valid");
        assert_eq!(read.start, Some(utc(2024, 3, 1, 8, 30)));
        assert_eq!(read.end, Some(utc(2024, 7, 1, 8, 0)));
    }

    #[test]
    fn what_the_frontend_sends_is_read() {
        let read = period(Some("end=2024-02-16T11:22:33.456Z")).expect("valid");
        assert_eq!(
            read.end,
            Some(utc(2024, 2, 16, 11, 22) + chrono::Duration::milliseconds(33_456))
        );
        assert_eq!(read.start, None);
    }

    #[test]
    fn the_last_value_of_a_parameter_counts() {
        let read = period(Some("start=gisteren&start=2024-03-01T00:00:00Z")).expect("valid");
        assert_eq!(read.start, Some(utc(2024, 3, 1, 0, 0)));
    }

    #[test]
    fn bad_bounds_are_named_in_the_frameworks_shape() {
        let errors = period(Some("end=morgen&start=2024-13-01")).expect_err("invalid");
        assert_eq!(
            errors.into_json(),
            json!({
                "start": ["Voer een geldige datum/tijd in."],
                "end": ["Voer een geldige datum/tijd in."],
            })
        );
        let errors = period(Some("start=2024-03-01T10:00:00%2B01:00&end=1")).expect_err("invalid");
        assert_eq!(
            errors.into_json(),
            json!({"end": ["Voer een geldige datum/tijd in."]})
        );
    }

    #[test]
    fn a_report_totals_its_lines_in_their_order() {
        let rows = vec![
            CategoryCount {
                category_id: 7,
                name: "Grofvuil".into(),
                departments: vec!["ASC".into(), "STW".into()],
                signal_count: 5,
            },
            CategoryCount {
                category_id: 3,
                name: "Huisafval".into(),
                departments: vec![],
                signal_count: 2,
            },
        ];
        assert_eq!(
            serde_json::to_string(&report(&rows)).expect("JSON"),
            r#"{"total_signal_count":7,"results":[{"category":{"name":"Grofvuil","departments":["ASC","STW"]},"signal_count":5},{"category":{"name":"Huisafval","departments":[]},"signal_count":2}]}"#
        );
        assert_eq!(report(&[]), json!({"total_signal_count": 0, "results": []}));
    }
}
