//! What full-text search reads from the source of truth (spec 13): the
//! facts a signal's index document is built from and the categories a
//! user's departments may see. The list items a search answers with are the
//! list's own rows (`signal_read::visible_signals_by_ids`).
//!
//! Every read is one statement for any number of signals: the indexer reads
//! a whole SQS batch, the reindex a keyset page.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Error, GenericClient};

/// The current facts of a signal that its index document holds.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedSignal {
    pub id: i32,
    pub uuid: Uuid,
    pub source: String,
    pub text: String,
    pub parent_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// The document's version: every change of the signal moves it (01 §2.1).
    pub updated_at: DateTime<Utc>,
    pub incident_date_start: DateTime<Utc>,
    /// Current state code; `None` for a signal without status.
    pub state: Option<String>,
    pub category: Option<IndexedCategory>,
    /// Departments of the current routing relation (list visibility, 01 §9.3).
    pub routing_department_ids: Vec<i32>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub priority: Option<String>,
    pub type_code: Option<String>,
    pub stadsdeel: Option<String>,
    pub buurt_code: Option<String>,
    pub area_code: Option<String>,
    pub address_text: Option<String>,
}

/// The current (sub) category of a signal and its main category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedCategory {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub main_slug: Option<String>,
    pub main_name: Option<String>,
}

const INDEXED_SIGNAL_SELECT: &str =
    "SELECT s.id, s.uuid, s.source, s.text, s.parent_id, s.created_at, s.updated_at,
        s.incident_date_start, st.state, c.id AS category_id, c.slug AS category_slug,
        c.name AS category_name, m.slug AS main_slug, m.name AS main_name,
        ARRAY(SELECT sdd.department_id FROM signals_signaldepartments_departments sdd
              WHERE sdd.signaldepartments_id = s.routing_assignment_id
              ORDER BY sdd.department_id) AS routing_department_ids,
        r.email AS reporter_email, r.phone AS reporter_phone, p.priority, t.name AS type_code,
        l.stadsdeel, l.buurt_code, l.area_code, l.address_text
 FROM signals_signal s
 LEFT JOIN signals_status st ON st.id = s.status_id
 LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
 LEFT JOIN signals_category c ON c.id = ca.category_id
 LEFT JOIN signals_category m ON m.id = c.parent_id
 LEFT JOIN signals_reporter r ON r.id = s.reporter_id
 LEFT JOIN signals_priority p ON p.id = s.priority_id
 LEFT JOIN signals_type t ON t.id = s.type_assignment_id
 LEFT JOIN signals_location l ON l.id = s.location_id";

/// The signals among `ids` that exist (deleted ones are simply absent).
#[tracing::instrument(skip_all, fields(signals = ids.len()))]
pub async fn indexed_signals_by_ids(
    client: &impl GenericClient,
    ids: &[i32],
) -> Result<Vec<IndexedSignal>, Error> {
    let statement = client
        .prepare_cached(&format!(
            "{INDEXED_SIGNAL_SELECT} WHERE s.id = ANY($1) ORDER BY s.id"
        ))
        .await?;
    let rows = client.query(&statement, &[&ids]).await?;
    rows.iter().map(indexed_signal).collect()
}

/// Up to `limit` signals with an id above `after_id`, by id: one keyset
/// page of a full rebuild (no OFFSET, so every page costs the same).
#[tracing::instrument(skip_all, fields(after_id, limit))]
pub async fn indexed_signals_after(
    client: &impl GenericClient,
    after_id: i32,
    limit: i64,
) -> Result<Vec<IndexedSignal>, Error> {
    let statement = client
        .prepare_cached(&format!(
            "{INDEXED_SIGNAL_SELECT} WHERE s.id > $1 ORDER BY s.id LIMIT $2"
        ))
        .await?;
    let rows = client.query(&statement, &[&after_id, &limit]).await?;
    rows.iter().map(indexed_signal).collect()
}

/// How many signals there are (a rebuild's progress denominator).
pub async fn signal_count(client: &impl GenericClient) -> Result<i64, Error> {
    let row = client
        .query_one("SELECT count(*) FROM signals_signal", &[])
        .await?;
    Ok(row.try_get(0)?)
}

fn indexed_signal(row: &tokio_postgres::Row) -> Result<IndexedSignal, Error> {
    let category_id: Option<i32> = row.try_get("category_id")?;
    let category = match category_id {
        Some(id) => Some(IndexedCategory {
            id,
            slug: row.try_get("category_slug")?,
            name: row.try_get("category_name")?,
            main_slug: row.try_get("main_slug")?,
            main_name: row.try_get("main_name")?,
        }),
        None => None,
    };
    Ok(IndexedSignal {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        source: row.try_get("source")?,
        text: row.try_get("text")?,
        parent_id: row.try_get("parent_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        incident_date_start: row.try_get("incident_date_start")?,
        state: row.try_get("state")?,
        category,
        routing_department_ids: row.try_get("routing_department_ids")?,
        reporter_email: row.try_get("reporter_email")?,
        reporter_phone: row.try_get("reporter_phone")?,
        priority: row.try_get("priority")?,
        type_code: row.try_get("type_code")?,
        stadsdeel: row.try_get("stadsdeel")?,
        buurt_code: row.try_get("buurt_code")?,
        area_code: row.try_get("area_code")?,
        address_text: row.try_get("address_text")?,
    })
}
