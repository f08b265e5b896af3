//! Signals and their sub-records (spec 01 §1–§3): what creating one looks
//! up, the rows it writes, and the public read by uuid.
//!
//! The writes follow docs/data-model.md: insert the signal, insert the
//! sub-records, then point the signal at them (the pointer foreign keys are
//! deferred to the commit) — all inside the caller's transaction.

use chrono::{DateTime, Utc};
use signalen_domain::category::ServiceLevel;
use signalen_domain::signal::{
    AssignedCategory, CreatedSignal, NewCategoryAssignment, NewLocation, NewReporter, NewSignal,
    Point, Priority, SignalType,
};
use signalen_domain::status::State;
use uuid::Uuid;

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
            "SELECT sub.id, main.slug AS main_slug, sub.slug, sub.name, sub.handling_message,
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
             WHERE main.slug = $1 AND sub.slug = $2",
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
            "SELECT EXISTS (
                 SELECT 1 FROM signals_source
                 WHERE lower(name) = lower($1) AND is_public AND is_active
             )",
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
            "SELECT DISTINCT ON (t.code) t.code AS type_code, a.code, a.name
             FROM signals_area a
             JOIN signals_areatype t ON t.id = a._type_id
             WHERE t.code = ANY (ARRAY[$3::text, $4::text])
               AND ST_Contains(a.geometry, ST_SetSRID(ST_MakePoint($1, $2), 4326))
             ORDER BY t.code, a.code, a.id",
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

/// The `signals_signal` row of a new signal, without pointers yet.
#[tracing::instrument(skip_all)]
pub async fn insert_signal(client: &impl GenericClient, signal: &NewSignal) -> Result<i32, Error> {
    let row = client
        .query_one(
            "INSERT INTO signals_signal (uuid, source, text, text_extra, incident_date_start,
                                         incident_date_end, extra_properties, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             RETURNING id",
            &[
                &signal.uuid,
                &signal.source,
                &signal.text,
                &signal.text_extra,
                &signal.incident_date_start,
                &signal.incident_date_end,
                &signal.extra_properties,
                &signal.created_at,
            ],
        )
        .await?;
    Ok(row.try_get("id")?)
}

#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_location(
    client: &impl GenericClient,
    signal_id: i32,
    location: &NewLocation,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let stadsdeel = location.stadsdeel.map(|s| s.code());
    let row = client
        .query_one(
            "INSERT INTO signals_location (_signal_id, geometrie, stadsdeel, buurt_code, area_type_code,
                                           area_code, area_name, address, address_text, postcode,
                                           extra_properties, bag_validated, created_at, updated_at)
             VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, $5, $6, $7, $8, $9, $10, $11,
                     $12, false, $13, $13)
             RETURNING id",
            &[
                &signal_id,
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
                &created_at,
            ],
        )
        .await?;
    Ok(row.try_get("id")?)
}

/// A status without text or author (the system's), as creation writes it.
#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_status(
    client: &impl GenericClient,
    signal_id: i32,
    state: State,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let row = client
        .query_one(
            "INSERT INTO signals_status (_signal_id, state, created_at, updated_at)
             VALUES ($1, $2, $3, $3)
             RETURNING id",
            &[&signal_id, &state.code(), &created_at],
        )
        .await?;
    Ok(row.try_get("id")?)
}

#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_category_assignment(
    client: &impl GenericClient,
    signal_id: i32,
    assignment: &NewCategoryAssignment,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let deadline = assignment.deadlines.map(|d| d.deadline);
    let deadline_factor_3 = assignment.deadlines.map(|d| d.deadline_factor_3);
    let row = client
        .query_one(
            "INSERT INTO signals_categoryassignment (_signal_id, category_id, text, deadline,
                                                     deadline_factor_3, stored_handling_message,
                                                     created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             RETURNING id",
            &[
                &signal_id,
                &assignment.category.id,
                &assignment.text,
                &deadline,
                &deadline_factor_3,
                &assignment.stored_handling_message(),
                &created_at,
            ],
        )
        .await?;
    Ok(row.try_get("id")?)
}

/// The original reporter, approved at once (spec 01 §3.4).
#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_reporter(
    client: &impl GenericClient,
    signal_id: i32,
    reporter: &NewReporter,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let row = client
        .query_one(
            "INSERT INTO signals_reporter (_signal_id, email, phone, sharing_allowed, state,
                                           created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'approved', $5, $5)
             RETURNING id",
            &[
                &signal_id,
                &reporter.email,
                &reporter.phone,
                &reporter.sharing_allowed,
                &created_at,
            ],
        )
        .await?;
    Ok(row.try_get("id")?)
}

#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_priority(
    client: &impl GenericClient,
    signal_id: i32,
    priority: Priority,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let row = client
        .query_one(
            "INSERT INTO signals_priority (_signal_id, priority, created_at, updated_at)
             VALUES ($1, $2, $3, $3)
             RETURNING id",
            &[&signal_id, &priority.code(), &created_at],
        )
        .await?;
    Ok(row.try_get("id")?)
}

#[tracing::instrument(skip_all, fields(signal_id = signal_id))]
pub async fn insert_type(
    client: &impl GenericClient,
    signal_id: i32,
    signal_type: SignalType,
    created_at: DateTime<Utc>,
) -> Result<i32, Error> {
    let row = client
        .query_one(
            "INSERT INTO signals_type (_signal_id, name, created_at)
             VALUES ($1, $2, $3)
             RETURNING id",
            &[&signal_id, &signal_type.code(), &created_at],
        )
        .await?;
    Ok(row.try_get("id")?)
}

/// Points a new signal at its first sub-records and moves `updated_at`.
#[tracing::instrument(skip_all, fields(signal_id = created.signal_id))]
pub async fn set_initial_pointers(
    client: &impl GenericClient,
    created: &CreatedSignal,
    updated_at: DateTime<Utc>,
) -> Result<(), Error> {
    client
        .execute(
            "UPDATE signals_signal
             SET location_id = $2, status_id = $3, category_assignment_id = $4, reporter_id = $5,
                 priority_id = $6, type_assignment_id = $7, updated_at = $8
             WHERE id = $1",
            &[
                &created.signal_id,
                &created.location_id,
                &created.status_id,
                &created.category_assignment_id,
                &created.reporter_id,
                &created.priority_id,
                &created.type_id,
                &updated_at,
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
            "SELECT s.id, s.uuid, st.state, s.created_at, s.updated_at, s.incident_date_start,
                    s.incident_date_end
             FROM signals_signal s
             LEFT JOIN signals_status st ON st.id = s.status_id
             WHERE s.uuid = $1",
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
