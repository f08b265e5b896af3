//! Attachments of signals (spec 01 §3.10, 17 §17.1, 04 §7, 03 §4): the
//! rows that name objects in the attachments bucket, the notes and history
//! their upload and removal write, and the signal facts their access rules
//! read (visibility by the list rule of 01 §9.3, parent/child, state).
//!
//! The objects themselves are in S3; a row is written only after its object
//! was stored, and removed before its object is (docs/attachments.md).

use chrono::{DateTime, Utc};
use serde_json::Value;
use signalen_domain::status::State;
use uuid::Uuid;

use super::outbox::OutboxEvent;
use super::{Error, GenericClient};

/// A signal as the private attachment routes see it for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalAccess {
    pub id: i32,
    /// By the list rule of 01 §9.3: the user sees all categories, or the
    /// current category is linked to one of the user's departments
    /// (`is_responsible OR can_view`), or the current routing relation
    /// contains one of them.
    pub visible: bool,
    /// Has children.
    pub is_parent: bool,
    /// Has a parent.
    pub is_child: bool,
}

/// The access query; `FOR UPDATE OF s` is appended where the caller writes.
macro_rules! access_query {
    () => {
        "SELECT s.id, s.parent_id IS NOT NULL AS is_child,
                EXISTS (SELECT 1 FROM signals_signal c WHERE c.parent_id = s.id) AS is_parent,
                ($2::bool
                 OR EXISTS (SELECT 1 FROM signals_categoryassignment ca
                            JOIN signals_categorydepartment cd ON cd.category_id = ca.category_id
                            WHERE ca.id = s.category_assignment_id
                              AND (cd.is_responsible OR cd.can_view)
                              AND cd.department_id = ANY ($3::int4[]))
                 OR EXISTS (SELECT 1 FROM signals_signaldepartments_departments sdd
                            WHERE sdd.signaldepartments_id = s.routing_assignment_id
                              AND sdd.department_id = ANY ($3::int4[]))) AS visible
         FROM signals_signal s
         WHERE s.id = $1"
    };
}

/// The signal `signal_id` with what a user of `department_ids` (who sees
/// all categories when `sees_all`) may do with it; `None` when there is no
/// such signal. With `lock`, the signal row stays locked until the
/// transaction ends (writers of a signal's rows and events hold it).
#[tracing::instrument(skip_all, fields(signal_id))]
pub async fn signal_access(
    client: &impl GenericClient,
    signal_id: i32,
    sees_all: bool,
    department_ids: &[i32],
    lock: bool,
) -> Result<Option<SignalAccess>, Error> {
    let query = if lock {
        concat!(access_query!(), " FOR UPDATE OF s")
    } else {
        access_query!()
    };
    let Some(row) = client
        .query_opt(
            &client.prepare_cached(query).await?,
            &[&signal_id, &sees_all, &department_ids],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(SignalAccess {
        id: row.try_get("id")?,
        visible: row.try_get("visible")?,
        is_parent: row.try_get("is_parent")?,
        is_child: row.try_get("is_child")?,
    }))
}

fn state_of(code: Option<String>) -> State {
    // The CHECK on signals_status.state admits only known codes.
    code.as_deref()
        .and_then(|code| State::from_code(code).ok())
        .unwrap_or(State::Leeg)
}

/// The id and current state of the signal with `uuid` (the public upload).
#[tracing::instrument(skip_all)]
pub async fn signal_state_by_uuid(
    client: &impl GenericClient,
    uuid: Uuid,
) -> Result<Option<(i32, State)>, Error> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT s.id, st.state FROM signals_signal s
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     WHERE s.uuid = $1",
                )
                .await?,
            &[&uuid],
        )
        .await?;
    row.map(|row| Ok((row.try_get("id")?, state_of(row.try_get("state")?))))
        .transpose()
}

/// Locks the signal row for the rest of the transaction and reads its
/// current state; `None` when the signal is gone.
#[tracing::instrument(skip_all, fields(signal_id))]
pub async fn lock_signal_state(
    client: &impl GenericClient,
    signal_id: i32,
) -> Result<Option<State>, Error> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT st.state FROM signals_signal s
                     LEFT JOIN signals_status st ON st.id = s.status_id
                     WHERE s.id = $1
                     FOR UPDATE OF s",
                )
                .await?,
            &[&signal_id],
        )
        .await?;
    row.map(|row| Ok(state_of(row.try_get("state")?)))
        .transpose()
}

/// Whether the signal has a feedback request (KTO, spec 15 §15.1) that is
/// not submitted and younger than 14 days: the "handled" mail creates one
/// (functions/mailer), the citizen's answer submits it.
#[tracing::instrument(skip_all, fields(signal_id))]
pub async fn open_feedback_request_exists(
    client: &impl GenericClient,
    signal_id: i32,
) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM feedback_feedback
                            WHERE _signal_id = $1 AND submitted_at IS NULL
                              AND created_at > now() - interval '14 days')",
            &[&signal_id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// A row of `signals_attachment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub id: i32,
    pub signal_id: i32,
    /// The object's key in the attachments bucket.
    pub file: String,
    pub mimetype: String,
    pub is_image: bool,
    pub public: bool,
    pub caption: Option<String>,
    /// The employee's e-mail; `None` for a citizen's upload.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ATTACHMENT_COLUMNS: &str =
    "id, _signal_id, file, mimetype, is_image, public, caption, created_by, created_at, updated_at";

fn attachment(row: &tokio_postgres::Row) -> Result<AttachmentRecord, Error> {
    Ok(AttachmentRecord {
        id: row.try_get("id")?,
        signal_id: row.try_get("_signal_id")?,
        file: row.try_get("file")?,
        mimetype: row.try_get("mimetype")?,
        is_image: row.try_get("is_image")?,
        public: row.try_get("public")?,
        caption: row.try_get("caption")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The number of attachments of a signal.
#[tracing::instrument(skip_all, fields(signal_id))]
pub async fn count_attachments(client: &impl GenericClient, signal_id: i32) -> Result<i64, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached("SELECT count(*) FROM signals_attachment WHERE _signal_id = $1")
                .await?,
            &[&signal_id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// One page of a signal's attachments, oldest first (04 §7.1).
#[tracing::instrument(skip_all, fields(signal_id))]
pub async fn attachments_of_signal(
    client: &impl GenericClient,
    signal_id: i32,
    offset: i64,
    limit: i64,
) -> Result<Vec<AttachmentRecord>, Error> {
    let query = format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM signals_attachment WHERE _signal_id = $1
         ORDER BY created_at, id OFFSET $2 LIMIT $3"
    );
    client
        .query(
            &client.prepare_cached(&query).await?,
            &[&signal_id, &offset, &limit],
        )
        .await?
        .iter()
        .map(attachment)
        .collect()
}

/// The attachment `id` if it belongs to signal `signal_id`; with `lock`, its
/// row stays locked until the transaction ends.
#[tracing::instrument(skip_all, fields(signal_id, attachment_id = id))]
pub async fn attachment_of_signal(
    client: &impl GenericClient,
    signal_id: i32,
    id: i32,
    lock: bool,
) -> Result<Option<AttachmentRecord>, Error> {
    let query = format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM signals_attachment WHERE _signal_id = $1 AND id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    client
        .query_opt(&client.prepare_cached(&query).await?, &[&signal_id, &id])
        .await?
        .as_ref()
        .map(attachment)
        .transpose()
}

/// Whether an attachment row with this id exists (after a commit whose
/// outcome is unknown).
#[tracing::instrument(skip_all, fields(attachment_id = id))]
pub async fn attachment_exists(client: &impl GenericClient, id: i32) -> Result<bool, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM signals_attachment WHERE id = $1)")
                .await?,
            &[&id],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Ids for a new attachment and its note, drawn from their sequences so
/// that the outbox payloads can name them before the rows are written.
#[tracing::instrument(skip_all)]
pub async fn allocate_attachment_ids(client: &impl GenericClient) -> Result<(i32, i32), Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT nextval(pg_get_serial_sequence('signals_attachment', 'id'))::int4 AS attachment_id,
                            nextval(pg_get_serial_sequence('signals_note', 'id'))::int4 AS note_id",
                )
                .await?,
            &[],
        )
        .await?;
    Ok((row.try_get("attachment_id")?, row.try_get("note_id")?))
}

/// A note id, for the note of an attachment's removal.
#[tracing::instrument(skip_all)]
pub async fn allocate_note_id(client: &impl GenericClient) -> Result<i32, Error> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT nextval(pg_get_serial_sequence('signals_note', 'id'))::int4",
                )
                .await?,
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// A note that an attachment change writes on its signal, with its
/// `CREATE_NOTE` history entry (spec 06 §4).
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentNote<'a> {
    pub id: i32,
    pub text: &'a str,
    /// The employee's e-mail; `None` for the citizen.
    pub created_by: Option<&'a str>,
    /// When the change happened: the note's and history entry's time and
    /// the signal's new `updated_at`.
    pub at: DateTime<Utc>,
}

/// A new attachment row (with ids from [`allocate_attachment_ids`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment<'a> {
    pub id: i32,
    pub signal_id: i32,
    pub file: &'a str,
    pub mimetype: &'a str,
    pub is_image: bool,
    pub public: bool,
    pub caption: Option<&'a str>,
    pub created_by: Option<&'a str>,
    /// Storage facts never exposed by the API (size, checksum, …).
    pub meta: Value,
}

/// Writes an attachment, its note with the note's history entry, the
/// signal's new `updated_at` and the outbox `events` (in their order) in
/// one statement. The caller holds the signal's row lock.
#[tracing::instrument(skip_all, fields(signal_id = new.signal_id, attachment_id = new.id))]
pub async fn insert_attachment(
    client: &impl GenericClient,
    new: &NewAttachment<'_>,
    note: &AttachmentNote<'_>,
    events: &[OutboxEvent<'_>],
) -> Result<(), Error> {
    let (types, ids, event_types, payloads, occurred) = event_columns(events);
    client
        .execute(
            &client
                .prepare_cached(
                    "WITH attachment AS (
                         INSERT INTO signals_attachment (id, _signal_id, file, mimetype, is_image, public, caption,
                                                         created_by, meta, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12, $12)
                     ),
                     note AS (
                         INSERT INTO signals_note (id, _signal_id, text, created_by, created_at, updated_at)
                         VALUES ($10, $2, $11, $13, $12, $12)
                     ),
                     history AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                                  created_at, _signal_id)
                         VALUES ('note', $10::int4::text, 'CREATE', 'Notitie toegevoegd', $11, $13, $12, $2)
                     ),
                     signal AS (
                         UPDATE signals_signal SET updated_at = $12 WHERE id = $2
                     )
                     INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
                     SELECT e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.occurred_at
                     FROM unnest($14::text[], $15::text[], $16::text[], $17::jsonb[], $18::timestamptz[])
                          WITH ORDINALITY AS e (aggregate_type, aggregate_id, event_type, payload, occurred_at, n)
                     ORDER BY e.n",
                )
                .await?,
            &[
                &new.id,
                &new.signal_id,
                &new.file,
                &new.mimetype,
                &new.is_image,
                &new.public,
                &new.caption,
                &new.created_by,
                &new.meta,
                &note.id,
                &note.text,
                &note.at,
                &note.created_by,
                &types,
                &ids,
                &event_types,
                &payloads,
                &occurred,
            ],
        )
        .await?;
    Ok(())
}

/// Sets `public` and `caption` of an attachment of signal `signal_id`;
/// returns the stored values, `None` when there is no such attachment.
#[tracing::instrument(skip_all, fields(signal_id, attachment_id = id))]
pub async fn update_attachment(
    client: &impl GenericClient,
    signal_id: i32,
    id: i32,
    public: Option<bool>,
    caption: Option<Option<&str>>,
) -> Result<Option<(bool, Option<String>)>, Error> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "UPDATE signals_attachment
                     SET public = coalesce($3, public),
                         caption = CASE WHEN $4 THEN $5 ELSE caption END,
                         updated_at = now()
                     WHERE _signal_id = $1 AND id = $2
                     RETURNING public, caption",
                )
                .await?,
            &[
                &signal_id,
                &id,
                &public,
                &caption.is_some(),
                &caption.flatten(),
            ],
        )
        .await?;
    row.map(|row| Ok((row.try_get("public")?, row.try_get("caption")?)))
        .transpose()
}

/// Deletes attachment `attachment_id` of signal `signal_id` and writes its
/// note with history, the signal's new `updated_at` and the outbox `events`
/// in one statement; returns whether the row was there. The caller holds
/// the signal's row lock. The object in S3 is the caller's to delete, after
/// the commit.
#[tracing::instrument(skip_all, fields(signal_id, attachment_id))]
pub async fn delete_attachment(
    client: &impl GenericClient,
    signal_id: i32,
    attachment_id: i32,
    note: &AttachmentNote<'_>,
    events: &[OutboxEvent<'_>],
) -> Result<bool, Error> {
    let (types, ids, event_types, payloads, occurred) = event_columns(events);
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH gone AS (
                         DELETE FROM signals_attachment WHERE _signal_id = $1 AND id = $2 RETURNING id
                     ),
                     note AS (
                         INSERT INTO signals_note (id, _signal_id, text, created_by, created_at, updated_at)
                         SELECT $3, $1, $4, $5, $6, $6 FROM gone
                     ),
                     history AS (
                         INSERT INTO history_log (object_type, object_pk, action, extra, description, created_by,
                                                  created_at, _signal_id)
                         SELECT 'note', $3::int4::text, 'CREATE', 'Notitie toegevoegd', $4, $5, $6, $1 FROM gone
                     ),
                     signal AS (
                         UPDATE signals_signal SET updated_at = $6 WHERE id = $1 AND EXISTS (SELECT 1 FROM gone)
                     ),
                     events AS (
                         INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
                         SELECT e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.occurred_at
                         FROM unnest($7::text[], $8::text[], $9::text[], $10::jsonb[], $11::timestamptz[])
                              WITH ORDINALITY AS e (aggregate_type, aggregate_id, event_type, payload, occurred_at, n)
                         WHERE EXISTS (SELECT 1 FROM gone)
                         ORDER BY e.n
                     )
                     SELECT EXISTS (SELECT 1 FROM gone)",
                )
                .await?,
            &[
                &signal_id,
                &attachment_id,
                &note.id,
                &note.text,
                &note.created_by,
                &note.at,
                &types,
                &ids,
                &event_types,
                &payloads,
                &occurred,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

type EventColumns<'a> = (
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<&'a Value>,
    Vec<DateTime<Utc>>,
);

fn event_columns<'a>(events: &'a [OutboxEvent<'a>]) -> EventColumns<'a> {
    (
        events.iter().map(|e| e.aggregate_type).collect(),
        events.iter().map(|e| e.aggregate_id.as_str()).collect(),
        events.iter().map(|e| e.event_type).collect(),
        events.iter().map(|e| &e.payload).collect(),
        events.iter().map(|e| e.occurred_at).collect(),
    )
}
