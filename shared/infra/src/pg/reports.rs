//! The back office's signal reports (spec 04b §11): how many signals of each
//! sub category meet a condition, with the category's responsible
//! departments. One query per report, whatever the number of signals.

use chrono::{DateTime, Utc};

use super::{Error, GenericClient};

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    pub category_id: i32,
    pub name: String,
    /// Codes of the departments responsible for the category, in code
    /// order (one per link: departments may share a code).
    pub departments: Vec<String>,
    pub signal_count: i64,
}

/// An optional lower and upper bound, both inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Signals whose current state is none of `closed_states` and whose current
/// category assignment's `deadline_factor_3` lies before `now`, created
/// within `created`; per sub category of that assignment, largest count
/// first (ties by name). A signal without status counts as open.
#[tracing::instrument(skip_all)]
pub async fn open_signals_past_deadline_per_category(
    client: &impl GenericClient,
    now: DateTime<Utc>,
    closed_states: &[&str],
    created: Period,
) -> Result<Vec<CategoryCount>, Error> {
    client
        .query(
            "WITH counts AS (
                 SELECT ca.category_id, count(*) AS signal_count
                 FROM signals_signal s
                 JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
                 LEFT JOIN signals_status st ON st.id = s.status_id
                 WHERE ca.deadline_factor_3 < $1
                   AND NOT (COALESCE(st.state, '') = ANY($2::text[]))
                   AND ($3::timestamptz IS NULL OR s.created_at >= $3)
                   AND ($4::timestamptz IS NULL OR s.created_at <= $4)
                 GROUP BY ca.category_id
             )
             SELECT c.id, c.name, counts.signal_count,
                    ARRAY(SELECT d.code
                          FROM signals_categorydepartment cd
                          JOIN signals_department d ON d.id = cd.department_id
                          WHERE cd.category_id = c.id AND cd.is_responsible
                          ORDER BY d.code, d.id) AS departments
             FROM counts JOIN signals_category c ON c.id = counts.category_id
             ORDER BY counts.signal_count DESC, c.name, c.id",
            &[&now, &closed_states, &created.start, &created.end],
        )
        .await?
        .iter()
        .map(category_count)
        .collect()
}

/// Signals whose current state is `state`, set within `set` (the current
/// status' `created_at`), per sub category of their current category
/// assignment, largest count first (ties by name).
#[tracing::instrument(skip_all, fields(state))]
pub async fn signals_in_state_per_category(
    client: &impl GenericClient,
    state: &str,
    set: Period,
) -> Result<Vec<CategoryCount>, Error> {
    client
        .query(
            "WITH counts AS (
                 SELECT ca.category_id, count(*) AS signal_count
                 FROM signals_signal s
                 JOIN signals_status st ON st.id = s.status_id
                 JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
                 WHERE st.state = $1
                   AND ($2::timestamptz IS NULL OR st.created_at >= $2)
                   AND ($3::timestamptz IS NULL OR st.created_at <= $3)
                 GROUP BY ca.category_id
             )
             SELECT c.id, c.name, counts.signal_count,
                    ARRAY(SELECT d.code
                          FROM signals_categorydepartment cd
                          JOIN signals_department d ON d.id = cd.department_id
                          WHERE cd.category_id = c.id AND cd.is_responsible
                          ORDER BY d.code, d.id) AS departments
             FROM counts JOIN signals_category c ON c.id = counts.category_id
             ORDER BY counts.signal_count DESC, c.name, c.id",
            &[&state, &set.start, &set.end],
        )
        .await?
        .iter()
        .map(category_count)
        .collect()
}

fn category_count(row: &tokio_postgres::Row) -> Result<CategoryCount, Error> {
    Ok(CategoryCount {
        category_id: row.try_get("id")?,
        name: row.try_get("name")?,
        departments: row.try_get("departments")?,
        signal_count: row.try_get("signal_count")?,
    })
}
