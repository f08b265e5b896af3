//! Adding and removing an attachment with its object in S3 and its rows in
//! Postgres kept in step (docs/attachments.md):
//!
//! * add: the object is written first, under a key no object has
//!   (conditional put); then one transaction locks the signal, re-checks
//!   what may have changed, and writes the attachment, its note with the
//!   note's history entry, the signal's `updated_at` and the outbox events.
//!   If the transaction does not commit, the object is deleted again — so
//!   no row ever names a missing object. (A process killed between the two
//!   leaves an object without a row, which the retention sweep removes.)
//! * remove: the transaction deletes the row and writes the note, history
//!   and events; after the commit the object is deleted. A failure there is
//!   logged and leaves an object without a row, for the same sweep.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use signalen_api::ApiError;
use signalen_domain::signal::events::{
    SIGNAL_AGGREGATE, SIGNAL_ATTACHMENT_ADDED, SIGNAL_ATTACHMENT_DELETED, SIGNAL_NOTE_ADDED,
    SignalChanged,
};
use signalen_domain::user::User;
use signalen_infra::pg::{self, AttachmentNote, AttachmentRecord, NewAttachment, OutboxEvent};
use signalen_infra::s3::ObjectStore;
use uuid::Uuid;

use crate::error::Error;
use crate::file::CheckedFile;
use crate::form::FilePart;
use crate::key;
use crate::rules;

/// How long a writer waits for the signal's row lock before it answers 503.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '5s'";
/// Keys tried before giving up (each after the first with a random suffix).
const KEY_ATTEMPTS: usize = 8;

pub const NO_SIGNAL: &str = "No Signal matches the given query.";
pub const NO_ATTACHMENT: &str = "No Attachment matches the given query.";

/// Who uploads, and under which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploader<'a> {
    /// The public route: re-checks the state rule under the lock.
    Citizen,
    /// An employee, by e-mail: the private route.
    Employee(&'a str),
}

impl Uploader<'_> {
    fn email(&self) -> Option<&str> {
        match self {
            Uploader::Citizen => None,
            Uploader::Employee(email) => Some(email),
        }
    }
}

/// A checked file to attach to a signal.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub signal_id: i32,
    pub file: &'a FilePart,
    pub checked: CheckedFile,
    pub public: bool,
    pub caption: Option<&'a str>,
    pub uploader: Uploader<'a>,
}

/// The time of a change, as Postgres stores it (microseconds), so that
/// events carry exactly the `updated_at` of the row.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn event(
    signal_id: i32,
    event_type: &'static str,
    changed: &SignalChanged,
) -> OutboxEvent<'static> {
    OutboxEvent {
        aggregate_type: SIGNAL_AGGREGATE,
        aggregate_id: signal_id.to_string(),
        event_type,
        payload: serde_json::to_value(changed).unwrap_or(Value::Null),
        occurred_at: changed.updated_at,
    }
}

/// Stores the object and the rows (see the module documentation). The
/// citizen's upload is refused with the state rule's message when the
/// signal left its upload window in the meantime.
pub async fn add(
    store: &ObjectStore,
    pool: &pg::Pool,
    client: &mut pg::Client,
    upload: &Upload<'_>,
) -> Result<AttachmentRecord, Error> {
    let at = now();
    let key = put_object(store, at, upload.file, upload.checked.mime).await?;
    match write_rows(client, &key, at, upload).await {
        Ok(record) => Ok(record),
        Err(Failure::BeforeCommit(error)) => {
            discard_object(store, &key, upload.signal_id).await;
            Err(error)
        }
        Err(Failure::AtCommit(record, error)) => {
            // The commit may have happened even though its answer was lost.
            let committed = match pool.get().await {
                Ok(other) => pg::attachment_exists(&other, record.id).await.ok(),
                Err(_) => None,
            };
            match committed {
                Some(true) => Ok(record),
                Some(false) => {
                    discard_object(store, &key, upload.signal_id).await;
                    Err(error.into())
                }
                None => {
                    tracing::error!(
                        signal_id = upload.signal_id,
                        attachment_id = record.id,
                        "commit outcome unknown; the object is kept"
                    );
                    Err(error.into())
                }
            }
        }
    }
}

enum Failure {
    BeforeCommit(Error),
    AtCommit(AttachmentRecord, pg::Error),
}

impl From<pg::Error> for Failure {
    fn from(error: pg::Error) -> Self {
        Failure::BeforeCommit(error.into())
    }
}

/// Writes the object under the first free key: the date-and-name key, then
/// the same with random suffixes. Never overwrites (conditional put).
async fn put_object(
    store: &ObjectStore,
    at: DateTime<Utc>,
    file: &FilePart,
    mime: &str,
) -> Result<String, Error> {
    let first = key::object_key(at, &file.file_name);
    let mut candidate = first.clone();
    for _ in 0..KEY_ATTEMPTS {
        if store
            .put_new(&candidate, file.content.clone(), mime)
            .await?
        {
            return Ok(candidate);
        }
        candidate = key::with_suffix(&first, &Uuid::new_v4().simple().to_string());
    }
    Err(Error::Api(ApiError::Unexpected(
        format!("no free key for an attachment after {KEY_ATTEMPTS} attempts").into(),
    )))
}

async fn discard_object(store: &ObjectStore, key: &str, signal_id: i32) {
    if let Err(e) = store.delete(key).await {
        tracing::error!(
            signal_id,
            error.message = %e,
            "an uploaded object whose rows were not written could not be deleted; \
             the retention sweep removes it"
        );
    }
}

fn meta(file: &FilePart, checked: &CheckedFile) -> Value {
    let digest = Sha256::digest(&file.content);
    let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "size": file.content.len(),
        "sha256": sha256,
        "sniffed_type": checked.mime,
        "declared_type": file.content_type,
        "original_name": file.file_name,
        "width": checked.dimensions.map(|d| d.width),
        "height": checked.dimensions.map(|d| d.height),
    })
}

async fn write_rows(
    client: &mut pg::Client,
    key: &str,
    at: DateTime<Utc>,
    upload: &Upload<'_>,
) -> Result<AttachmentRecord, Failure> {
    let transaction = client.transaction().await.map_err(pg::Error::from)?;
    transaction
        .batch_execute(LOCK_TIMEOUT)
        .await
        .map_err(pg::Error::from)?;
    let signal_id = upload.signal_id;
    let Some(state) = pg::lock_signal_state(&transaction, signal_id).await? else {
        return Err(Failure::BeforeCommit(ApiError::NotFound(NO_SIGNAL).into()));
    };
    if upload.uploader == Uploader::Citizen {
        let window = rules::public_window(state);
        let feedback = window == rules::PublicWindow::IfFeedbackExpected
            && pg::open_feedback_request_exists(&transaction, signal_id).await?;
        if let Some(refusal) = rules::public_refusal(window, feedback) {
            return Err(Failure::BeforeCommit(Error::Refused(refusal)));
        }
    }
    let (attachment_id, note_id) = pg::allocate_attachment_ids(&transaction).await?;
    let created_by = upload.uploader.email();
    let note_text = match upload.uploader {
        Uploader::Citizen => format!("Bijlage toegevoegd door melder: {}", key::file_name(key)),
        Uploader::Employee(_) => format!("Bijlage toegevoegd: {}", key::file_name(key)),
    };
    let changed = |event_object: i32| SignalChanged {
        signal_id,
        updated_at: at,
        object_id: Some(event_object),
        previous_id: None,
        actor: created_by.map(str::to_owned),
        facts: json!({}),
    };
    let events = [
        event(signal_id, SIGNAL_ATTACHMENT_ADDED, &changed(attachment_id)),
        event(signal_id, SIGNAL_NOTE_ADDED, &changed(note_id)),
    ];
    let new = NewAttachment {
        id: attachment_id,
        signal_id,
        file: key,
        mimetype: upload.checked.mime,
        is_image: upload.checked.is_image,
        public: upload.public,
        caption: upload.caption,
        created_by,
        meta: meta(upload.file, &upload.checked),
    };
    let note = AttachmentNote {
        id: note_id,
        text: &note_text,
        created_by,
        at,
    };
    pg::insert_attachment(&transaction, &new, &note, &events).await?;
    let record = AttachmentRecord {
        id: attachment_id,
        signal_id,
        file: key.to_owned(),
        mimetype: upload.checked.mime.to_owned(),
        is_image: upload.checked.is_image,
        public: upload.public,
        caption: upload.caption.map(str::to_owned),
        created_by: created_by.map(str::to_owned),
        created_at: at,
        updated_at: at,
    };
    match transaction.commit().await {
        Ok(()) => {
            tracing::info!(signal_id, attachment_id, "attachment added");
            Ok(record)
        }
        Err(e) => Err(Failure::AtCommit(record, e.into())),
    }
}

/// Removes attachment `attachment_id` of signal `signal_id` for `user`, with
/// the checks of 04 §7.4 in their order, then deletes its object.
pub async fn remove(
    store: &ObjectStore,
    client: &mut pg::Client,
    user: &User,
    signal_id: i32,
    attachment_id: i32,
) -> Result<(), Error> {
    let transaction = client.transaction().await.map_err(pg::Error::from)?;
    transaction
        .batch_execute(LOCK_TIMEOUT)
        .await
        .map_err(pg::Error::from)?;
    let signal = pg::signal_access(
        &transaction,
        signal_id,
        user.sees_all_categories(),
        &user.department_ids,
        true,
    )
    .await?
    .filter(|s| s.visible)
    .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    let attachment = pg::attachment_of_signal(&transaction, signal_id, attachment_id, true)
        .await?
        .ok_or(ApiError::NotFound(NO_ATTACHMENT))?;
    if let Some(refusal) = rules::delete_refusal(user, &signal, attachment.created_by.as_deref()) {
        tracing::info!(
            user_id = user.id,
            signal_id,
            attachment_id,
            "delete refused"
        );
        return Err(Error::DeleteForbidden(refusal));
    }
    let at = now();
    let note_id = pg::allocate_note_id(&transaction).await?;
    let note_text = format!(
        "Bijlage {} is verwijderd.",
        key::file_name(&attachment.file)
    );
    let changed = |object_id: Option<i32>, facts: Value| SignalChanged {
        signal_id,
        updated_at: at,
        object_id,
        previous_id: None,
        actor: Some(user.email.clone()),
        facts,
    };
    let events = [
        event(
            signal_id,
            SIGNAL_ATTACHMENT_DELETED,
            &changed(None, json!({ "attachment_id": attachment_id })),
        ),
        event(
            signal_id,
            SIGNAL_NOTE_ADDED,
            &changed(Some(note_id), json!({})),
        ),
    ];
    let note = AttachmentNote {
        id: note_id,
        text: &note_text,
        created_by: Some(&user.email),
        at,
    };
    pg::delete_attachment(&transaction, signal_id, attachment_id, &note, &events).await?;
    transaction.commit().await.map_err(pg::Error::from)?;
    tracing::info!(signal_id, attachment_id, "attachment deleted");
    if let Err(e) = store.delete(&attachment.file).await {
        tracing::error!(
            signal_id,
            attachment_id,
            error.message = %e,
            "the object of a deleted attachment could not be deleted; the retention sweep removes it"
        );
    }
    Ok(())
}

/// The presigned `location` of an attachment.
pub async fn location(
    store: &ObjectStore,
    record: &AttachmentRecord,
    expiry: std::time::Duration,
) -> Result<String, Error> {
    Ok(store.presigned_get(&record.file, expiry).await?)
}
