//! Changing a signal (spec 04 §3.2): the row lock, the facts the checks
//! need, and the writes — one new row per changed aspect with its history
//! entry, the current pointers moved in one statement, and the outbox
//! events. Every function runs inside the caller's transaction.
//!
//! Each new row and its `history_log` entry are one statement; the entry
//! takes the row's `created_at` (spec 06: "created_at of a row is copied from
//! the changed object"). Rows get `clock_timestamp()`, so the aspects of one
//! PATCH are ordered in time as they were applied.

use chrono::{DateTime, Utc};
use serde_json::Value;
use signalen_domain::signal::NewLocation;
use signalen_domain::status::State;

use super::outbox::OutboxEvent;
use super::{Error, GenericClient};

/// SQLSTATE `lock_not_available`: the row lock was not granted within
/// `lock_timeout`.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";

/// What a change needs to know of the signal, read under its row lock.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalForUpdate {
    pub id: i32,
    pub created_at: DateTime<Utc>,
    pub parent_id: Option<i32>,
    pub child_count: i64,
    pub location_id: Option<i32>,
    pub status_id: Option<i32>,
    /// [`State::Leeg`] without status.
    pub state: State,
    pub category_assignment_id: Option<i32>,
    pub category_id: Option<i32>,
    /// The current reporter has an e-mail address.
    pub reporter_has_email: bool,
    pub priority_id: Option<i32>,
    pub type_assignment_id: Option<i32>,
    pub directing_id: Option<i32>,
    pub routing_id: Option<i32>,
    /// Department ids of the current routing relation (empty without one).
    pub routing_department_ids: Vec<i32>,
    pub user_assignment_id: Option<i32>,
    /// The user the current assignment names (`None`: nobody).
    pub assigned_user_id: Option<i32>,
}

impl SignalForUpdate {
    pub fn is_parent(&self) -> bool {
        self.child_count > 0
    }
}

/// Sets how long this transaction waits for a row lock before failing with
/// [`LOCK_NOT_AVAILABLE`] (spec 04 §3.3: a concurrent write waits briefly).
pub async fn set_lock_timeout(client: &impl GenericClient, millis: u32) -> Result<(), Error> {
    client
        .batch_execute(&format!("SET LOCAL lock_timeout = '{millis}ms'"))
        .await?;
    Ok(())
}

/// Locks the signal's row (`FOR UPDATE`) and reads [`SignalForUpdate`];
/// `None` when no signal has this id. Writers of a signal's events hold this
/// lock, which keeps one signal's outbox events in commit order.
#[tracing::instrument(skip_all, fields(signal_id = id))]
pub async fn lock_signal(
    client: &impl GenericClient,
    id: i32,
) -> Result<Option<SignalForUpdate>, Error> {
    let Some(row) = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT s.id, s.created_at, s.parent_id,
                            (SELECT count(*) FROM signals_signal c WHERE c.parent_id = s.id) AS child_count,
                            s.location_id, s.status_id, st.state, s.category_assignment_id, ca.category_id,
                            coalesce(r.email, '') <> '' AS reporter_has_email,
                            s.priority_id, s.type_assignment_id, s.directing_departments_assignment_id,
                            s.routing_assignment_id,
                            coalesce((SELECT array_agg(d.department_id ORDER BY d.department_id)
                                      FROM signals_signaldepartments_departments d
                                      WHERE d.signaldepartments_id = s.routing_assignment_id),
                                     '{}') AS routing_department_ids,
                            s.user_assignment_id, su.user_id AS assigned_user_id
                     FROM signals_signal s
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     LEFT JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
                     LEFT JOIN signals_reporter r ON r.id = s.reporter_id
                     LEFT JOIN signals_signaluser su ON su.id = s.user_assignment_id
                     WHERE s.id = $1
                     FOR UPDATE OF s",
                )
                .await?,
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let state: Option<String> = row.try_get("state")?;
    Ok(Some(SignalForUpdate {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        parent_id: row.try_get("parent_id")?,
        child_count: row.try_get("child_count")?,
        location_id: row.try_get("location_id")?,
        status_id: row.try_get("status_id")?,
        // The CHECK on signals_status.state admits only known codes.
        state: state
            .as_deref()
            .and_then(|code| State::from_code(code).ok())
            .unwrap_or(State::Leeg),
        category_assignment_id: row.try_get("category_assignment_id")?,
        category_id: row.try_get("category_id")?,
        reporter_has_email: row.try_get("reporter_has_email")?,
        priority_id: row.try_get("priority_id")?,
        type_assignment_id: row.try_get("type_assignment_id")?,
        directing_id: row.try_get("directing_departments_assignment_id")?,
        routing_id: row.try_get("routing_assignment_id")?,
        routing_department_ids: row.try_get("routing_department_ids")?,
        user_assignment_id: row.try_get("user_assignment_id")?,
        assigned_user_id: row.try_get("assigned_user_id")?,
    }))
}

/// A row written by a change: its id and `created_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: i32,
    pub created_at: DateTime<Utc>,
}

impl Written {
    fn from_row(row: &tokio_postgres::Row) -> Result<Self, Error> {
        Ok(Written {
            id: row.try_get("id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// The history entry written with a row (spec 06 §1): the row's table as
/// `object_type` and its id as `object_pk` are implied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryText<'a> {
    /// `CREATE`, `UPDATE`, `DELETE`.
    pub action: &'static str,
    pub extra: Option<&'a str>,
    pub description: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// A new location (`UPDATE_LOCATION`; its description is computed when read).
pub async fn insert_location(
    client: &impl GenericClient,
    signal_id: i32,
    location: &NewLocation,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let stadsdeel = location.stadsdeel.map(|s| s.code());
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_location (_signal_id, geometrie, stadsdeel, buurt_code, area_type_code,
                                                       area_code, area_name, address, address_text, postcode,
                                                       extra_properties, bag_validated, created_by, created_at,
                                                       updated_at)
                         SELECT $1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, $5, $6, $7, $8, $9, $10, $11, $12,
                                false, $13, at.t, at.t
                         FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'location', row.id::text, 'UPDATE', 'Locatie gewijzigd', $13, row.created_at, $1
                         FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
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
                &created_by,
            ],
        )
        .await?;
    Written::from_row(&row)
}

/// The columns of a new status row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStatusRow<'a> {
    pub state: State,
    pub text: Option<&'a str>,
    pub target_api: Option<&'static str>,
    pub send_email: bool,
    pub email_override: Option<&'a str>,
    pub extra_properties: Option<&'a Value>,
    /// The employee's e-mail; `None` for the system.
    pub created_by: Option<&'a str>,
}

/// A new status (`UPDATE_STATUS`, extra = the state code, description = its text).
pub async fn insert_status(
    client: &impl GenericClient,
    signal_id: i32,
    status: &NewStatusRow<'_>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_status (_signal_id, state, text, target_api, send_email, email_override,
                                                     extra_properties, created_by, created_at, updated_at)
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                                  created_at, _signal_id)
                         SELECT 'status', row.id::text, 'UPDATE', $2, $3, $8, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[
                &signal_id,
                &status.state.code(),
                &status.text,
                &status.target_api,
                &status.send_email,
                &status.email_override,
                &status.extra_properties,
                &status.created_by,
            ],
        )
        .await?;
    Written::from_row(&row)
}

/// The columns of a new category assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignmentRow<'a> {
    pub category_id: i32,
    /// For the history entry's extra.
    pub category_name: &'a str,
    pub text: Option<&'a str>,
    pub deadline: Option<DateTime<Utc>>,
    pub deadline_factor_3: Option<DateTime<Utc>>,
    pub stored_handling_message: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// A new category assignment (`UPDATE_CATEGORY_ASSIGNMENT`, extra = the category's name).
pub async fn insert_category_assignment(
    client: &impl GenericClient,
    signal_id: i32,
    assignment: &NewAssignmentRow<'_>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_categoryassignment (_signal_id, category_id, text, deadline,
                                                                 deadline_factor_3, stored_handling_message,
                                                                 created_by, created_at, updated_at)
                         SELECT $1, $2, $3, $4, $5, $6, $7, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'category_assignment', row.id::text, 'UPDATE', $8, $7, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[
                &signal_id,
                &assignment.category_id,
                &assignment.text,
                &assignment.deadline,
                &assignment.deadline_factor_3,
                &assignment.stored_handling_message,
                &assignment.created_by,
                &assignment.category_name,
            ],
        )
        .await?;
    Written::from_row(&row)
}

/// A new priority (`UPDATE_PRIORITY`, extra = the code).
pub async fn insert_priority(
    client: &impl GenericClient,
    signal_id: i32,
    priority: &str,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_priority (_signal_id, priority, created_by, created_at, updated_at)
                         SELECT $1, $2, $3, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'priority', row.id::text, 'UPDATE', $2, $3, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[&signal_id, &priority, &created_by],
        )
        .await?;
    Written::from_row(&row)
}

/// A new type (`UPDATE_TYPE_ASSIGNMENT`, extra = the code).
pub async fn insert_type(
    client: &impl GenericClient,
    signal_id: i32,
    code: &str,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_type (_signal_id, name, created_by, created_at)
                         SELECT $1, $2, $3, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'type', row.id::text, 'UPDATE', $2, $3, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[&signal_id, &code, &created_by],
        )
        .await?;
    Written::from_row(&row)
}

/// A note (`CREATE_NOTE`, extra `Notitie toegevoegd`, description = its text).
/// Notes have no current pointer; they are listed newest first.
pub async fn insert_note(
    client: &impl GenericClient,
    signal_id: i32,
    text: &str,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_note (_signal_id, text, created_by, created_at, updated_at)
                         SELECT $1, $2, $3, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                                  created_at, _signal_id)
                         SELECT 'note', row.id::text, 'CREATE', 'Notitie toegevoegd', $2, $3, row.created_at, $1
                         FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[&signal_id, &text, &created_by],
        )
        .await?;
    Written::from_row(&row)
}

/// A department relation (`directing` or `routing`) with its departments;
/// the history entry's extra is their codes joined by `, ` in the order
/// given (`UPDATE_DIRECTING_DEPARTMENTS_ASSIGNMENT` / `UPDATE_ROUTING_ASSIGNMENT`).
pub async fn insert_department_relation(
    client: &impl GenericClient,
    signal_id: i32,
    relation_type: &str,
    department_ids: &[i32],
    codes: &str,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_signaldepartments (_signal_id, relation_type, created_by, created_at,
                                                                updated_at)
                         SELECT $1, $2, $4, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     members AS (
                         INSERT INTO signals_signaldepartments_departments (signaldepartments_id, department_id)
                         SELECT row.id, d FROM row, unnest($3::int4[]) AS d
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'signal_departments', row.id::text, 'UPDATE', $5, $4, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[&signal_id, &relation_type, &department_ids, &created_by, &codes],
        )
        .await?;
    Written::from_row(&row)
}

/// A user assignment (`UPDATE_USER_ASSIGNMENT`, extra = the user's e-mail,
/// NULL when unassigning).
pub async fn insert_user_assignment(
    client: &impl GenericClient,
    signal_id: i32,
    user: Option<(i32, &str)>,
    created_by: Option<&str>,
) -> Result<Written, Error> {
    let user_id = user.map(|(id, _)| id);
    let email = user.map(|(_, email)| email);
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH at AS (SELECT clock_timestamp() AS t),
                     row AS (
                         INSERT INTO signals_signaluser (_signal_id, user_id, created_by, created_at, updated_at)
                         SELECT $1, $2, $3, at.t, at.t FROM at
                         RETURNING id, created_at
                     ),
                     entry AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, created_by, created_at,
                                                  _signal_id)
                         SELECT 'signal_user', row.id::text, 'UPDATE', $4, $3, row.created_at, $1 FROM row
                     )
                     SELECT id, created_at FROM row",
                )
                .await?,
            &[&signal_id, &user_id, &created_by, &email],
        )
        .await?;
    Written::from_row(&row)
}

/// A history entry for a change that writes no row of its own: the
/// clearing of a pointer (`DELETE` on the row that was current), which the
/// reference leaves unlogged (spec 01 §3.8). `object_type` is the cleared
/// row's table (`signal_departments`, `signal_user`).
pub async fn insert_history_entry(
    client: &impl GenericClient,
    signal_id: i32,
    object_type: &str,
    object_pk: i32,
    entry: &EntryText<'_>,
) -> Result<DateTime<Utc>, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                              created_at, _signal_id)
                     VALUES ($2, $3::int4::text, $4, $5, $6, $7, clock_timestamp(), $1)
                     RETURNING created_at",
                )
                .await?,
            &[
                &signal_id,
                &object_type,
                &object_pk,
                &entry.action,
                &entry.extra,
                &entry.description,
                &entry.created_by,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Where each current pointer goes: `None` keeps it, `Some(None)` clears
/// it, `Some(Some(id))` moves it to row `id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointerMoves {
    pub location: Option<i32>,
    pub status: Option<i32>,
    pub category_assignment: Option<i32>,
    pub priority: Option<i32>,
    pub type_assignment: Option<i32>,
    pub directing: Option<i32>,
    pub routing: Option<Option<i32>>,
    pub user_assignment: Option<Option<i32>>,
}

/// Moves the signal's pointers and its `updated_at` (spec 01 §2.1) in one
/// statement; returns the new `updated_at`.
pub async fn move_pointers(
    client: &impl GenericClient,
    signal_id: i32,
    moves: &PointerMoves,
) -> Result<DateTime<Utc>, Error> {
    let (routing_set, routing) = split(moves.routing);
    let (user_set, user) = split(moves.user_assignment);
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "UPDATE signals_signal SET
                         location_id = coalesce($2, location_id),
                         status_id = coalesce($3, status_id),
                         category_assignment_id = coalesce($4, category_assignment_id),
                         priority_id = coalesce($5, priority_id),
                         type_assignment_id = coalesce($6, type_assignment_id),
                         directing_departments_assignment_id = coalesce($7, directing_departments_assignment_id),
                         routing_assignment_id = CASE WHEN $8 THEN $9 ELSE routing_assignment_id END,
                         user_assignment_id = CASE WHEN $10 THEN $11 ELSE user_assignment_id END,
                         updated_at = greatest(clock_timestamp(), updated_at)
                     WHERE id = $1
                     RETURNING updated_at",
                )
                .await?,
            &[
                &signal_id,
                &moves.location,
                &moves.status,
                &moves.category_assignment,
                &moves.priority,
                &moves.type_assignment,
                &moves.directing,
                &routing_set,
                &routing,
                &user_set,
                &user,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

fn split(pointer: Option<Option<i32>>) -> (bool, Option<i32>) {
    match pointer {
        None => (false, None),
        Some(target) => (true, target),
    }
}

/// Writes `events` to the outbox, in order.
pub async fn insert_outbox_events(
    client: &impl GenericClient,
    events: &[OutboxEvent<'_>],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let aggregate_types: Vec<&str> = events.iter().map(|e| e.aggregate_type).collect();
    let aggregate_ids: Vec<&str> = events.iter().map(|e| e.aggregate_id.as_str()).collect();
    let event_types: Vec<&str> = events.iter().map(|e| e.event_type).collect();
    let payloads: Vec<&Value> = events.iter().map(|e| &e.payload).collect();
    let occurred_at: Vec<DateTime<Utc>> = events.iter().map(|e| e.occurred_at).collect();
    client
        .execute(
            &client
                .prepare_cached(
                    "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
                     SELECT e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.occurred_at
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])
                          WITH ORDINALITY AS e (aggregate_type, aggregate_id, event_type, payload, occurred_at, n)
                     ORDER BY e.n",
                )
                .await?,
            &[
                &aggregate_types,
                &aggregate_ids,
                &event_types,
                &payloads,
                &occurred_at,
            ],
        )
        .await?;
    Ok(())
}

/// A department as a relation shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRef {
    pub id: i32,
    pub code: String,
}

/// The departments with these ids that exist, in no particular order.
pub async fn departments_by_ids(
    client: &impl GenericClient,
    ids: &[i32],
) -> Result<Vec<DepartmentRef>, Error> {
    let rows = client
        .query(
            &client
                .prepare_cached("SELECT id, code FROM signals_department WHERE id = ANY ($1)")
                .await?,
            &[&ids],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DepartmentRef {
                id: row.try_get("id")?,
                code: row.try_get("code")?,
            })
        })
        .collect()
}

/// The id of the user whose e-mail is exactly `email` (spec 04 §3.2: the
/// reference's `User.objects.get(email=…)`), the lowest id when several are.
pub async fn user_id_by_email(
    client: &impl GenericClient,
    email: &str,
) -> Result<Option<i32>, Error> {
    let row = client
        .query_opt(
            &client
                .prepare_cached("SELECT id FROM auth_user WHERE email = $1 ORDER BY id LIMIT 1")
                .await?,
            &[&email],
        )
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// The children of a parent with their current state, locked for update,
/// by id.
pub async fn lock_children(
    client: &impl GenericClient,
    parent_id: i32,
) -> Result<Vec<(i32, Option<i32>, State)>, Error> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT s.id, s.status_id, st.state
                     FROM signals_signal s
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     WHERE s.parent_id = $1
                     ORDER BY s.id
                     FOR UPDATE OF s",
                )
                .await?,
            &[&parent_id],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let state: Option<String> = row.try_get("state")?;
            Ok((
                row.try_get("id")?,
                row.try_get("status_id")?,
                state
                    .as_deref()
                    .and_then(|code| State::from_code(code).ok())
                    .unwrap_or(State::Leeg),
            ))
        })
        .collect()
}
