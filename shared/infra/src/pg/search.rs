//! What full-text search reads from the source of truth (spec 13): the
//! facts a signal's index document is built from, the categories a user's
//! departments may see, and the list items a search answers with.
//!
//! Every read is one statement for any number of signals: the indexer reads
//! a whole SQS batch, the reindex a keyset page, the search endpoint a page
//! of hits.

use chrono::{DateTime, Utc};
use serde_json::Value;
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

/// The categories whose signals users of `department_ids` see in lists:
/// linked with `is_responsible` or `can_view` (01 §9.3).
#[tracing::instrument(skip_all)]
pub async fn visible_category_ids(
    client: &impl GenericClient,
    department_ids: &[i32],
) -> Result<Vec<i32>, Error> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT DISTINCT category_id FROM signals_categorydepartment
                     WHERE department_id = ANY($1) AND (is_responsible OR can_view)
                     ORDER BY category_id",
                )
                .await?,
            &[&department_ids],
        )
        .await?;
    rows.iter()
        .map(|row| row.try_get(0).map_err(Error::from))
        .collect()
}

/// A signal as the private list shows it (spec 04 §1.2), in raw form; the
/// API function renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalListRow {
    pub id: i32,
    pub uuid: Uuid,
    pub source: String,
    pub text: String,
    pub text_extra: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub incident_date_start: DateTime<Utc>,
    pub incident_date_end: Option<DateTime<Utc>>,
    pub operational_date: Option<DateTime<Utc>>,
    pub extra_properties: Option<Value>,
    pub has_parent: bool,
    pub has_children: bool,
    pub has_attachments: bool,
    pub status: Option<ListStatus>,
    pub location: Option<ListLocation>,
    pub category: Option<ListCategory>,
    pub reporter: Option<ListReporter>,
    /// `(priority, created_by)`.
    pub priority: Option<(String, Option<String>)>,
    /// `(code, created_at, created_by)`.
    pub signal_type: Option<(String, DateTime<Utc>, Option<String>)>,
    /// `[{"text", "created_by"}]`, newest first.
    pub notes: Value,
    /// `None`: the signal never had a directing relation (the key is omitted).
    pub directing_departments: Option<Value>,
    /// `None`: no routing relation (rendered as null).
    pub routing_departments: Option<Value>,
    pub assigned_user_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListStatus {
    pub state: String,
    pub text: Option<String>,
    pub user: Option<String>,
    pub target_api: Option<String>,
    pub extra_properties: Option<Value>,
    pub send_email: bool,
    pub created_at: DateTime<Utc>,
    pub email_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListLocation {
    pub id: i32,
    pub stadsdeel: Option<String>,
    pub buurt_code: Option<String>,
    pub area_type_code: Option<String>,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    pub address: Option<Value>,
    pub address_text: Option<String>,
    pub postcode: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub extra_properties: Option<Value>,
    pub created_by: Option<String>,
    pub bag_validated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListCategory {
    pub sub: String,
    pub sub_slug: String,
    pub main: Option<String>,
    pub main_slug: Option<String>,
    /// Codes of the responsible departments, by department name, `", "`-joined.
    pub departments: String,
    pub created_by: Option<String>,
    pub text: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub deadline_factor_3: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReporter {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sharing_allowed: bool,
    /// `allows_contact` of the signal's newest submitted feedback (spec 15),
    /// `None` without one; `reporter.allows_contact` derives from it (01 §2.3).
    pub latest_feedback_allows_contact: Option<bool>,
}

/// The list items of the signals among `ids`, in no particular order.
///
/// With `visible_to = Some(department_ids)` only signals those departments
/// may see in a list are returned (01 §9.3: current category linked with
/// `is_responsible`/`can_view`, or the current routing relation); `None`
/// means the caller sees every signal.
#[tracing::instrument(skip_all, fields(signals = ids.len()))]
pub async fn signal_list_rows(
    client: &impl GenericClient,
    ids: &[i32],
    visible_to: Option<&[i32]>,
) -> Result<Vec<SignalListRow>, Error> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT s.id, s.uuid, s.source, s.text, s.text_extra, s.created_at, s.updated_at,
                            s.incident_date_start, s.incident_date_end, s.operational_date,
                            s.extra_properties, s.parent_id IS NOT NULL AS has_parent,
                            EXISTS (SELECT 1 FROM signals_signal ch WHERE ch.parent_id = s.id) AS has_children,
                            EXISTS (SELECT 1 FROM signals_attachment a WHERE a._signal_id = s.id) AS has_attachments,
                            st.id AS status_id, st.state, st.text AS status_text, st.created_by AS status_user,
                            st.target_api, st.extra_properties AS status_extra_properties, st.send_email,
                            st.created_at AS status_created_at, st.email_override,
                            l.id AS location_id, l.stadsdeel, l.buurt_code, l.area_type_code, l.area_code,
                            l.area_name, l.address, l.address_text, l.postcode,
                            ST_X(l.geometrie) AS lon, ST_Y(l.geometrie) AS lat,
                            l.extra_properties AS location_extra_properties,
                            l.created_by AS location_created_by, l.bag_validated,
                            c.name AS sub_name, c.slug AS sub_slug, m.name AS main_name, m.slug AS main_slug,
                            (SELECT string_agg(d.code, ', ' ORDER BY d.name, d.id)
                             FROM signals_categorydepartment cd
                             JOIN signals_department d ON d.id = cd.department_id
                             WHERE cd.category_id = c.id AND cd.is_responsible) AS category_departments,
                            ca.created_by AS category_created_by, ca.text AS category_text,
                            ca.deadline, ca.deadline_factor_3,
                            r.id AS reporter_id, r.email, r.phone, r.sharing_allowed,
                            (SELECT f.allows_contact FROM feedback_feedback f
                             WHERE f._signal_id = s.id AND f.submitted_at IS NOT NULL
                             ORDER BY f.submitted_at DESC, f.created_at DESC LIMIT 1)
                              AS latest_feedback_allows_contact,
                            p.priority, p.created_by AS priority_created_by,
                            t.name AS type_code, t.created_at AS type_created_at,
                            t.created_by AS type_created_by,
                            COALESCE((SELECT jsonb_agg(jsonb_build_object('text', n.text, 'created_by', n.created_by)
                                                       ORDER BY n.created_at DESC, n.id DESC)
                                      FROM signals_note n WHERE n._signal_id = s.id), '[]'::jsonb) AS notes,
                            CASE WHEN s.directing_departments_assignment_id IS NOT NULL THEN
                                COALESCE((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'code', d.code,
                                                                              'name', d.name, 'is_intern', d.is_intern)
                                                           ORDER BY d.id)
                                          FROM signals_signaldepartments_departments sdd
                                          JOIN signals_department d ON d.id = sdd.department_id
                                          WHERE sdd.signaldepartments_id = s.directing_departments_assignment_id),
                                         '[]'::jsonb)
                            END AS directing_departments,
                            CASE WHEN s.routing_assignment_id IS NOT NULL THEN
                                COALESCE((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'code', d.code,
                                                                              'name', d.name, 'is_intern', d.is_intern)
                                                           ORDER BY d.id)
                                          FROM signals_signaldepartments_departments sdd
                                          JOIN signals_department d ON d.id = sdd.department_id
                                          WHERE sdd.signaldepartments_id = s.routing_assignment_id),
                                         '[]'::jsonb)
                            END AS routing_departments,
                            u.email AS assigned_user_email
                     FROM signals_signal s
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     LEFT JOIN signals_location l ON l.id = s.location_id
                     LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
                     LEFT JOIN signals_category c ON c.id = ca.category_id
                     LEFT JOIN signals_category m ON m.id = c.parent_id
                     LEFT JOIN signals_reporter r ON r.id = s.reporter_id
                     LEFT JOIN signals_priority p ON p.id = s.priority_id
                     LEFT JOIN signals_type t ON t.id = s.type_assignment_id
                     LEFT JOIN signals_signaluser su ON su.id = s.user_assignment_id
                     LEFT JOIN auth_user u ON u.id = su.user_id
                     WHERE s.id = ANY($1)
                       AND ($2::integer[] IS NULL
                            OR EXISTS (SELECT 1 FROM signals_categorydepartment cd
                                       WHERE cd.category_id = ca.category_id
                                         AND cd.department_id = ANY($2)
                                         AND (cd.is_responsible OR cd.can_view))
                            OR EXISTS (SELECT 1 FROM signals_signaldepartments_departments sdd
                                       WHERE sdd.signaldepartments_id = s.routing_assignment_id
                                         AND sdd.department_id = ANY($2)))",
                )
                .await?,
            &[&ids, &visible_to],
        )
        .await?;
    rows.iter().map(signal_list_row).collect()
}

fn signal_list_row(row: &tokio_postgres::Row) -> Result<SignalListRow, Error> {
    let status_id: Option<i32> = row.try_get("status_id")?;
    let status = match status_id {
        Some(_) => Some(ListStatus {
            state: row.try_get("state")?,
            text: row.try_get("status_text")?,
            user: row.try_get("status_user")?,
            target_api: row.try_get("target_api")?,
            extra_properties: row.try_get("status_extra_properties")?,
            send_email: row.try_get("send_email")?,
            created_at: row.try_get("status_created_at")?,
            email_override: row.try_get("email_override")?,
        }),
        None => None,
    };
    let location_id: Option<i32> = row.try_get("location_id")?;
    let location = match location_id {
        Some(id) => Some(ListLocation {
            id,
            stadsdeel: row.try_get("stadsdeel")?,
            buurt_code: row.try_get("buurt_code")?,
            area_type_code: row.try_get("area_type_code")?,
            area_code: row.try_get("area_code")?,
            area_name: row.try_get("area_name")?,
            address: row.try_get("address")?,
            address_text: row.try_get("address_text")?,
            postcode: row.try_get("postcode")?,
            lon: row.try_get("lon")?,
            lat: row.try_get("lat")?,
            extra_properties: row.try_get("location_extra_properties")?,
            created_by: row.try_get("location_created_by")?,
            bag_validated: row.try_get("bag_validated")?,
        }),
        None => None,
    };
    let sub_name: Option<String> = row.try_get("sub_name")?;
    let category = match sub_name {
        Some(sub) => Some(ListCategory {
            sub,
            sub_slug: row.try_get("sub_slug")?,
            main: row.try_get("main_name")?,
            main_slug: row.try_get("main_slug")?,
            departments: row
                .try_get::<_, Option<String>>("category_departments")?
                .unwrap_or_default(),
            created_by: row.try_get("category_created_by")?,
            text: row.try_get("category_text")?,
            deadline: row.try_get("deadline")?,
            deadline_factor_3: row.try_get("deadline_factor_3")?,
        }),
        None => None,
    };
    let reporter_id: Option<i32> = row.try_get("reporter_id")?;
    let reporter = match reporter_id {
        Some(_) => Some(ListReporter {
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            sharing_allowed: row.try_get("sharing_allowed")?,
            latest_feedback_allows_contact: row.try_get("latest_feedback_allows_contact")?,
        }),
        None => None,
    };
    let priority: Option<String> = row.try_get("priority")?;
    let type_code: Option<String> = row.try_get("type_code")?;
    let signal_type = match type_code {
        Some(code) => Some((
            code,
            row.try_get("type_created_at")?,
            row.try_get("type_created_by")?,
        )),
        None => None,
    };
    Ok(SignalListRow {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        source: row.try_get("source")?,
        text: row.try_get("text")?,
        text_extra: row.try_get("text_extra")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        incident_date_start: row.try_get("incident_date_start")?,
        incident_date_end: row.try_get("incident_date_end")?,
        operational_date: row.try_get("operational_date")?,
        extra_properties: row.try_get("extra_properties")?,
        has_parent: row.try_get("has_parent")?,
        has_children: row.try_get("has_children")?,
        has_attachments: row.try_get("has_attachments")?,
        status,
        location,
        category,
        reporter,
        priority: match priority {
            Some(p) => Some((p, row.try_get("priority_created_by")?)),
            None => None,
        },
        signal_type,
        notes: row.try_get("notes")?,
        directing_departments: row.try_get("directing_departments")?,
        routing_departments: row.try_get("routing_departments")?,
        assigned_user_email: row.try_get("assigned_user_email")?,
    })
}
