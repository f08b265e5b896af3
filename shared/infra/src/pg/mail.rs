//! What the mailer reads and writes (spec 11; docs/mail.md).
//!
//! The status row an event names is append-only, and so are the category
//! assignments, locations and feedback rows: [`status_mail_row`] reads the
//! ones that were current when that status was set, so a mail describes
//! the change that caused it even when the signal changed again before the
//! mailer ran. The reporter is the current one: an address changed or
//! anonymised since must not receive the mail.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Error, GenericClient};

/// A signal with the status row an event names, and what was current
/// when it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMailRow {
    pub signal_id: i32,
    pub signal_uuid: Uuid,
    pub created_at: DateTime<Utc>,
    pub incident_date_start: DateTime<Utc>,
    pub text: String,
    pub text_extra: String,
    pub source: String,
    pub extra_properties: Option<Value>,
    /// The location's address JSON (`None` without one).
    pub address: Option<Value>,
    pub status_id: i32,
    pub state: String,
    pub status_text: Option<String>,
    pub send_email: bool,
    pub status_created_at: DateTime<Utc>,
    /// No other status row of the signal was set before this one.
    pub is_first_status: bool,
    pub previous_state: Option<String>,
    /// `Some` for a child: its parent's current state.
    pub parent_state: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_sharing_allowed: bool,
    /// The handling message stored on the category assignment.
    pub stored_handling_message: Option<String>,
    /// The category's handling message now.
    pub category_handling_message: Option<String>,
    pub category_name: String,
    pub category_public_name: Option<String>,
    pub main_category_name: Option<String>,
    pub main_category_public_name: Option<String>,
    /// The newest feedback submitted before the status was set.
    pub feedback: Option<SubmittedFeedback>,
}

/// A submitted KTO answer (spec 15 §15.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedFeedback {
    pub allows_contact: bool,
    pub is_satisfied: Option<bool>,
    pub text: Option<String>,
    pub text_extra: Option<String>,
    pub text_list: Vec<String>,
}

/// Where to look for the rows current at the status: the ids a creation
/// event names (rows written in one transaction share no order by time),
/// or `None` for "the newest set at or before the status".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AtStatus {
    pub category_assignment_id: Option<i32>,
    pub location_id: Option<i32>,
}

const STATUS_MAIL_ROW: &str = "
    SELECT s.id, s.uuid, s.created_at, s.incident_date_start, s.text, s.text_extra, s.source,
           s.extra_properties, loc.address,
           st.id AS status_id, st.state, st.text AS status_text, st.send_email,
           st.created_at AS status_created_at,
           prev.state IS NULL AS is_first_status, prev.state AS previous_state,
           parent_status.state AS parent_state,
           r.email, r.phone, coalesce(r.sharing_allowed, false) AS sharing_allowed,
           ca.stored_handling_message, c.handling_message, c.name, c.public_name,
           mc.name AS main_name, mc.public_name AS main_public_name,
           fb.allows_contact, fb.is_satisfied, fb.text AS fb_text, fb.text_extra AS fb_text_extra,
           fb.text_list AS fb_text_list, fb.token IS NOT NULL AS has_feedback
    FROM signals_signal s
    JOIN signals_status st ON st.id = $2 AND st._signal_id = s.id
    LEFT JOIN LATERAL (
        SELECT p.state FROM signals_status p
        WHERE p._signal_id = s.id AND p.id <> st.id
          AND (p.created_at, p.id) < (st.created_at, st.id)
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1
    ) prev ON true
    LEFT JOIN signals_signal parent ON parent.id = s.parent_id
    LEFT JOIN signals_status parent_status ON parent_status.id = parent.status_id
    LEFT JOIN signals_reporter r ON r.id = s.reporter_id
    LEFT JOIN LATERAL (
        SELECT a.* FROM signals_categoryassignment a
        WHERE a._signal_id = s.id
          AND (a.id = $3 OR ($3::int4 IS NULL AND a.created_at <= st.created_at))
        ORDER BY a.created_at DESC, a.id DESC LIMIT 1
    ) ca_at ON true
    LEFT JOIN signals_categoryassignment ca
           ON ca.id = coalesce(ca_at.id, s.category_assignment_id)
    LEFT JOIN signals_category c ON c.id = ca.category_id
    LEFT JOIN signals_category mc ON mc.id = c.parent_id
    LEFT JOIN LATERAL (
        SELECT l.address FROM signals_location l
        WHERE l._signal_id = s.id
          AND (l.id = $4 OR ($4::int4 IS NULL AND l.created_at <= st.created_at))
        ORDER BY l.created_at DESC, l.id DESC LIMIT 1
    ) loc_at ON true
    LEFT JOIN LATERAL (
        SELECT coalesce(loc_at.address, (SELECT l.address FROM signals_location l
                                         WHERE l.id = s.location_id)) AS address
    ) loc ON true
    LEFT JOIN LATERAL (
        SELECT f.* FROM feedback_feedback f
        WHERE f._signal_id = s.id AND f.submitted_at IS NOT NULL
          AND f.submitted_at <= st.created_at
        ORDER BY f.submitted_at DESC LIMIT 1
    ) fb ON true
    WHERE s.id = $1";

/// The signal with status row `status_id` (`None` when either is gone —
/// deleted by retention, or a status of another signal).
pub async fn status_mail_row(
    client: &impl GenericClient,
    signal_id: i32,
    status_id: i32,
    at: AtStatus,
) -> Result<Option<StatusMailRow>, Error> {
    let row = client
        .query_opt(
            &client.prepare_cached(STATUS_MAIL_ROW).await?,
            &[
                &signal_id,
                &status_id,
                &at.category_assignment_id,
                &at.location_id,
            ],
        )
        .await?;
    row.map(|row| status_mail_from(&row)).transpose()
}

fn status_mail_from(row: &Row) -> Result<StatusMailRow, Error> {
    let feedback = if row.try_get::<_, bool>("has_feedback")? {
        Some(SubmittedFeedback {
            allows_contact: row.try_get("allows_contact")?,
            is_satisfied: row.try_get("is_satisfied")?,
            text: row.try_get("fb_text")?,
            text_extra: row.try_get("fb_text_extra")?,
            text_list: row
                .try_get::<_, Option<Vec<String>>>("fb_text_list")?
                .unwrap_or_default(),
        })
    } else {
        None
    };
    Ok(StatusMailRow {
        signal_id: row.try_get("id")?,
        signal_uuid: row.try_get("uuid")?,
        created_at: row.try_get("created_at")?,
        incident_date_start: row.try_get("incident_date_start")?,
        text: row.try_get("text")?,
        text_extra: row.try_get("text_extra")?,
        source: row.try_get("source")?,
        extra_properties: row.try_get("extra_properties")?,
        address: row.try_get("address")?,
        status_id: row.try_get("status_id")?,
        state: row.try_get("state")?,
        status_text: row.try_get("status_text")?,
        send_email: row.try_get("send_email")?,
        status_created_at: row.try_get("status_created_at")?,
        is_first_status: row.try_get("is_first_status")?,
        previous_state: row.try_get("previous_state")?,
        parent_state: row.try_get("parent_state")?,
        reporter_email: row.try_get("email")?,
        reporter_phone: row.try_get("phone")?,
        reporter_sharing_allowed: row.try_get("sharing_allowed")?,
        stored_handling_message: row.try_get("stored_handling_message")?,
        category_handling_message: row.try_get("handling_message")?,
        category_name: row
            .try_get::<_, Option<String>>("name")?
            .unwrap_or_default(),
        category_public_name: row.try_get("public_name")?,
        main_category_name: row.try_get("main_name")?,
        main_category_public_name: row.try_get("main_public_name")?,
        feedback,
    })
}

/// A stored e-mail template (spec 11 §11.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEmailTemplate {
    pub key: String,
    pub title: String,
    pub body: String,
}

/// The template stored under `key`, if the municipality wrote one.
pub async fn email_template(
    client: &impl GenericClient,
    key: &str,
) -> Result<Option<StoredEmailTemplate>, Error> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT key, title, body FROM email_integrations_emailtemplate WHERE key = $1",
                )
                .await?,
            &[&key],
        )
        .await?;
    row.map(|row| {
        Ok(StoredEmailTemplate {
            key: row.try_get(0)?,
            title: row.try_get(1)?,
            body: row.try_get(2)?,
        })
    })
    .transpose()
}

/// Stores (or replaces) the template under `key`; the validation CLI and
/// tests use it. `created_by` is the administrator's e-mail.
pub async fn put_email_template(
    client: &impl GenericClient,
    template: &StoredEmailTemplate,
    created_by: Option<&str>,
) -> Result<(), Error> {
    client
        .execute(
            &client
                .prepare_cached(
                    "INSERT INTO email_integrations_emailtemplate (key, title, body, created_by)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (key) DO UPDATE
                     SET title = excluded.title, body = excluded.body,
                         created_by = excluded.created_by, updated_at = now()",
                )
                .await?,
            &[&template.key, &template.title, &template.body, &created_by],
        )
        .await?;
    Ok(())
}

/// Creates the KTO request of a "handled" mail (spec 15 §15.1 step 1).
pub async fn insert_feedback_request(
    client: &impl GenericClient,
    signal_id: i32,
    token: &str,
) -> Result<(), Error> {
    client
        .execute(
            &client
                .prepare_cached("INSERT INTO feedback_feedback (token, _signal_id) VALUES ($1, $2)")
                .await?,
            &[&token, &signal_id],
        )
        .await?;
    Ok(())
}

/// A mail handed to SES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDelivery<'a> {
    pub signal_id: i32,
    pub event_id: Uuid,
    pub template_key: &'a str,
    pub stored_template: bool,
    pub ses_message_id: &'a str,
}

/// Records a mail the mailer sent (no address, no text).
pub async fn insert_mail_delivery(
    client: &impl GenericClient,
    delivery: &MailDelivery<'_>,
) -> Result<(), Error> {
    client
        .execute(
            &client
                .prepare_cached(
                    "INSERT INTO mail_delivery (_signal_id, event_id, template_key, stored_template,
                                                ses_message_id)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .await?,
            &[
                &delivery.signal_id,
                &delivery.event_id,
                &delivery.template_key,
                &delivery.stored_template,
                &delivery.ses_message_id,
            ],
        )
        .await?;
    Ok(())
}
