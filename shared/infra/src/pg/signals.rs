//! Signals and their sub-records (spec 01 §1–§3): what creating one looks
//! up, the rows it writes, and the public read by uuid.
//!
//! A create is two round trips after the lookups: ids drawn from the
//! sequences, then one statement that writes every row (docs/data-model.md,
//! "pre-allocate ids"); the caller pipelines the first with its lookups.
//! Statements are prepared once per connection (`prepare_cached`): a string
//! query costs tokio-postgres a prepare round trip on every call.

use chrono::{DateTime, Utc};
use signalen_domain::category::ServiceLevel;
use signalen_domain::signal::{AssignedCategory, CreatedSignal, HistoryEntry, NewSignal, Point};
use signalen_domain::status::State;
use uuid::Uuid;

use super::outbox::OutboxEvent;
use super::{Error, GenericClient};

/// The sub category `sub_slug` of main category `main_slug`, active or not,
/// with its current service level objective (the newest row, spec 01 §4.3).
#[tracing::instrument(skip_all)]
pub async fn sub_category_for_assignment(
    client: &impl GenericClient,
    main_slug: &str,
    sub_slug: &str,
) -> Result<Option<AssignedCategory>, Error> {
    let Some(row) = client
        .query_opt(
            &client.prepare_cached("SELECT sub.id, main.slug AS main_slug, sub.slug, sub.name, sub.handling_message,
                    slo.id AS slo_id, slo.n_days, slo.use_calendar_days
             FROM signals_category sub
             JOIN signals_category main ON main.id = sub.parent_id
             LEFT JOIN LATERAL (
                 SELECT s.id, s.n_days, s.use_calendar_days
                 FROM signals_servicelevelobjective s
                 WHERE s.category_id = sub.id
                 ORDER BY s.created_at DESC, s.id DESC
                 LIMIT 1
             ) slo ON true
             WHERE main.slug = $1 AND sub.slug = $2").await?,
            &[&main_slug, &sub_slug],
        )
        .await?
    else {
        return Ok(None);
    };
    let slo_id: Option<i32> = row.try_get("slo_id")?;
    let service_level = match slo_id {
        Some(id) => {
            let n_days: i32 = row.try_get("n_days")?;
            Some((
                id,
                ServiceLevel {
                    // CHECK (n_days >= 0)
                    n_days: n_days.max(0) as u32,
                    use_calendar_days: row.try_get("use_calendar_days")?,
                },
            ))
        }
        None => None,
    };
    Ok(Some(AssignedCategory {
        id: row.try_get("id")?,
        main_slug: row.try_get("main_slug")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        handling_message: row.try_get("handling_message")?,
        service_level,
    }))
}

/// Whether an active public source has this name, in any case (the
/// reference's `name__iexact`, spec 03 §2.7).
#[tracing::instrument(skip_all)]
pub async fn public_source_exists(client: &impl GenericClient, name: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT EXISTS (
                 SELECT 1 FROM signals_source
                 WHERE lower(name) = lower($1) AND is_public AND is_active
             )",
                )
                .await?,
            &[&name],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// An area a point lies in: its type's code, its code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaMatch {
    pub type_code: String,
    pub code: String,
    pub name: String,
}

/// The areas a new location is stamped with (spec 01 §3.1): the first area
/// (by code) of each of the two types that contains the point; a type that
/// is `None` is not looked up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AreasAtPoint {
    /// Of the district type (`sia-stadsdeel`).
    pub stadsdeel_area: Option<AreaMatch>,
    /// Of the default area type (`DEFAULT_SIGNAL_AREA_TYPE`).
    pub default_area: Option<AreaMatch>,
}

/// Point-in-polygon on `signals_area` (GiST index), both types in one query.
#[tracing::instrument(skip_all)]
pub async fn areas_at(
    client: &impl GenericClient,
    point: Point,
    stadsdeel_area_type: Option<&str>,
    default_area_type: Option<&str>,
) -> Result<AreasAtPoint, Error> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT DISTINCT ON (t.code) t.code AS type_code, a.code, a.name
             FROM signals_area a
             JOIN signals_areatype t ON t.id = a._type_id
             WHERE t.code = ANY (ARRAY[$3::text, $4::text])
               AND ST_Contains(a.geometry, ST_SetSRID(ST_MakePoint($1, $2), 4326))
             ORDER BY t.code, a.code, a.id",
                )
                .await?,
            &[
                &point.lon,
                &point.lat,
                &stadsdeel_area_type,
                &default_area_type,
            ],
        )
        .await?;
    let mut areas = AreasAtPoint::default();
    for row in rows {
        let area = AreaMatch {
            type_code: row.try_get("type_code")?,
            code: row.try_get("code")?,
            name: row.try_get("name")?,
        };
        if Some(area.type_code.as_str()) == stadsdeel_area_type {
            areas.stadsdeel_area = Some(area.clone());
        }
        if Some(area.type_code.as_str()) == default_area_type {
            areas.default_area = Some(area);
        }
    }
    Ok(areas)
}

/// Ids for the rows of a new signal, drawn from their identity sequences,
/// so that one statement can write the signal with its pointers and the
/// rows they point at ([`insert_initial_signal`]). A create that is refused
/// later leaves a gap in the numbering, as a rolled-back insert does.
#[tracing::instrument(skip_all)]
pub async fn allocate_signal_ids(client: &impl GenericClient) -> Result<CreatedSignal, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT nextval(pg_get_serial_sequence('signals_signal', 'id'))::int4 AS signal_id,
                            nextval(pg_get_serial_sequence('signals_location', 'id'))::int4 AS location_id,
                            nextval(pg_get_serial_sequence('signals_status', 'id'))::int4 AS status_id,
                            nextval(pg_get_serial_sequence('signals_categoryassignment', 'id'))::int4
                                AS category_assignment_id,
                            nextval(pg_get_serial_sequence('signals_reporter', 'id'))::int4 AS reporter_id,
                            nextval(pg_get_serial_sequence('signals_priority', 'id'))::int4 AS priority_id,
                            nextval(pg_get_serial_sequence('signals_type', 'id'))::int4 AS type_id",
                )
                .await?,
            &[],
        )
        .await?;
    Ok(CreatedSignal {
        signal_id: row.try_get("signal_id")?,
        location_id: row.try_get("location_id")?,
        status_id: row.try_get("status_id")?,
        category_assignment_id: row.try_get("category_assignment_id")?,
        reporter_id: row.try_get("reporter_id")?,
        priority_id: row.try_get("priority_id")?,
        type_id: row.try_get("type_id")?,
    })
}

/// Writes a new signal in one statement, and so in one transaction: the
/// signal pointing at its first location, status (the system's, without
/// text), category assignment, reporter (approved at once), priority and
/// type — all with the ids of `ids` and stamped `signal.created_at` — then
/// its `history` entries (ids in the order given) and the outbox `event`.
///
/// The sub-records' foreign keys to the signal are checked at the end of
/// the statement and the signal's pointer keys at its commit, so the order
/// of the parts does not matter.
#[tracing::instrument(skip_all, fields(signal_id = ids.signal_id))]
pub async fn insert_initial_signal(
    client: &impl GenericClient,
    signal: &NewSignal,
    ids: &CreatedSignal,
    history: &[HistoryEntry],
    event: &OutboxEvent<'_>,
) -> Result<(), Error> {
    let location = &signal.location;
    let assignment = &signal.category_assignment;
    let stadsdeel = location.stadsdeel.map(|s| s.code());
    let deadline = assignment.deadlines.map(|d| d.deadline);
    let deadline_factor_3 = assignment.deadlines.map(|d| d.deadline_factor_3);
    let object_types: Vec<&str> = history.iter().map(|e| e.object_type).collect();
    let object_pks: Vec<&str> = history.iter().map(|e| e.object_pk.as_str()).collect();
    let actions: Vec<&str> = history.iter().map(|e| e.action).collect();
    let extras: Vec<Option<&str>> = history.iter().map(|e| e.extra.as_deref()).collect();
    let descriptions: Vec<Option<&str>> =
        history.iter().map(|e| e.description.as_deref()).collect();
    let created_by: Vec<Option<&str>> = history.iter().map(|e| e.created_by.as_deref()).collect();
    let created_at: Vec<DateTime<Utc>> = history.iter().map(|e| e.created_at).collect();
    client
        .execute(
            &client
                .prepare_cached(
                    "WITH signal AS (
                         INSERT INTO signals_signal (id, uuid, source, text, text_extra, incident_date_start,
                                                     incident_date_end, extra_properties, location_id, status_id,
                                                     category_assignment_id, reporter_id, priority_id,
                                                     type_assignment_id, created_at, updated_at)
                         VALUES ($1, $8, $9, $10, $11, $12, $13, $14, $2, $3, $4, $5, $6, $7, $15, $15)
                     ),
                     location AS (
                         INSERT INTO signals_location (id, _signal_id, geometrie, stadsdeel, buurt_code,
                                                       area_type_code, area_code, area_name, address,
                                                       address_text, postcode, extra_properties, bag_validated,
                                                       created_at, updated_at)
                         VALUES ($2, $1, ST_SetSRID(ST_MakePoint($16, $17), 4326), $18, $19, $20, $21, $22,
                                 $23, $24, $25, $26, false, $15, $15)
                     ),
                     status AS (
                         INSERT INTO signals_status (id, _signal_id, state, created_at, updated_at)
                         VALUES ($3, $1, $27, $15, $15)
                     ),
                     category_assignment AS (
                         INSERT INTO signals_categoryassignment (id, _signal_id, category_id, text, deadline,
                                                                 deadline_factor_3, stored_handling_message,
                                                                 created_at, updated_at)
                         VALUES ($4, $1, $28, $29, $30, $31, $32, $15, $15)
                     ),
                     reporter AS (
                         INSERT INTO signals_reporter (id, _signal_id, email, phone, sharing_allowed, state,
                                                       created_at, updated_at)
                         VALUES ($5, $1, $33, $34, $35, 'approved', $15, $15)
                     ),
                     priority AS (
                         INSERT INTO signals_priority (id, _signal_id, priority, created_at, updated_at)
                         VALUES ($6, $1, $36, $15, $15)
                     ),
                     kind AS (
                         INSERT INTO signals_type (id, _signal_id, name, created_at)
                         VALUES ($7, $1, $37, $15)
                     ),
                     history AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, description,
                                                  created_by, created_at, _signal_id)
                         SELECT e.object_type, e.object_pk, e.action, e.extra, e.description, e.created_by,
                                e.created_at, $1
                         FROM unnest($38::text[], $39::text[], $40::text[], $41::text[], $42::text[],
                                     $43::text[], $44::timestamptz[])
                              WITH ORDINALITY AS e (object_type, object_pk, action, extra, description,
                                                    created_by, created_at, n)
                         ORDER BY e.n
                     )
                     INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
                     VALUES ($45, $46, $47, $48, $49)",
                )
                .await?,
            &[
                &ids.signal_id,
                &ids.location_id,
                &ids.status_id,
                &ids.category_assignment_id,
                &ids.reporter_id,
                &ids.priority_id,
                &ids.type_id,
                &signal.uuid,
                &signal.source,
                &signal.text,
                &signal.text_extra,
                &signal.incident_date_start,
                &signal.incident_date_end,
                &signal.extra_properties,
                &signal.created_at,
                &location.point.lon,
                &location.point.lat,
                &stadsdeel,
                &location.buurt_code,
                &location.area_type_code,
                &location.area_code,
                &location.area_name,
                &location.address,
                &location.address_text,
                &location.postcode,
                &location.extra_properties,
                &NewSignal::INITIAL_STATE.code(),
                &assignment.category.id,
                &assignment.text,
                &deadline,
                &deadline_factor_3,
                &assignment.stored_handling_message(),
                &signal.reporter.email,
                &signal.reporter.phone,
                &signal.reporter.sharing_allowed,
                &signal.priority.code(),
                &signal.signal_type.code(),
                &object_types,
                &object_pks,
                &actions,
                &extras,
                &descriptions,
                &created_by,
                &created_at,
                &event.aggregate_type,
                &event.aggregate_id,
                &event.event_type,
                &event.payload,
                &event.occurred_at,
            ],
        )
        .await?;
    Ok(())
}

/// What the public API shows of a signal (spec 03 §2.10, §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSignal {
    pub id: i32,
    pub uuid: Uuid,
    /// [`State::Leeg`] for a signal without status.
    pub state: State,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub incident_date_start: DateTime<Utc>,
    pub incident_date_end: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all)]
pub async fn public_signal_by_uuid(
    client: &impl GenericClient,
    uuid: Uuid,
) -> Result<Option<PublicSignal>, Error> {
    let Some(row) = client
        .query_opt(
            &client.prepare_cached("SELECT s.id, s.uuid, st.state, s.created_at, s.updated_at, s.incident_date_start,
                    s.incident_date_end
             FROM signals_signal s
             LEFT JOIN signals_status st ON st.id = s.status_id
             WHERE s.uuid = $1").await?,
            &[&uuid],
        )
        .await?
    else {
        return Ok(None);
    };
    let state: Option<String> = row.try_get("state")?;
    Ok(Some(PublicSignal {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        // The CHECK on signals_status.state admits only known codes.
        state: state
            .as_deref()
            .and_then(|code| State::from_code(code).ok())
            .unwrap_or(State::Leeg),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        incident_date_start: row.try_get("incident_date_start")?,
        incident_date_end: row.try_get("incident_date_end")?,
    }))
}
