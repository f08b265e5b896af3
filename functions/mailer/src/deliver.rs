//! One event → at most one mail, exactly once.
//!
//! Everything happens in the transaction [`consumer::apply_once`] opens
//! with the `consumer_effect` claim: the reads, the KTO request of a
//! "handled" mail, the SES call, the note on the signal (with its history
//! entry and outbox event) and the `mail_delivery` record. A failure before
//! the commit rolls all of it back and SQS delivers the event again; a
//! concurrent delivery waits on the claim and then skips.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use serde_json::json;
use signalen_domain::mail::{SUSPICIOUS_TEXT_NOTE, StatusMail, StatusMailFacts, status_mail};
use signalen_domain::signal::events::{SIGNAL_AGGREGATE, SIGNAL_NOTE_ADDED, SignalChanged};
use signalen_domain::status::State;
use signalen_infra::consumer::{self, Applied, Failure, OnceError, Transaction};
use signalen_infra::envelope::Envelope;
use signalen_infra::pg::mail::{self as store, MailDelivery, StatusMailRow};
use signalen_infra::pg::{self, OutboxEvent, PointerMoves};
use signalen_infra::ses;
use uuid::Uuid;

use crate::context::{self, Extras, Sanitised};
use crate::templates;
use crate::trigger::{TriggerError, trigger};
use crate::{CONSUMER, Mailer};

/// What the mailer did with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A mail went out (`template_key`; `stored` = the municipality's text).
    Sent {
        template_key: &'static str,
        stored: bool,
    },
    /// No rule applies to the status (or the reporter gate is shut).
    NoMail,
    /// The signal or its status row is gone (deleted by retention).
    Gone,
    /// The signal's text holds encoded characters: not sent, noted.
    Suspicious,
    /// An earlier delivery of the same event did the work.
    AlreadyDone,
}

impl Outcome {
    pub fn describe(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::NoMail => "no rule applies",
            Outcome::Gone => "signal gone",
            Outcome::Suspicious => "not sent: suspicious text",
            Outcome::AlreadyDone => "already done",
        }
    }
}

/// Why an event was not handled (nothing of it was kept).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    #[error("no database connection could be had")]
    Pool(#[source] pg::Error),
    #[error("database error")]
    Db(#[source] pg::Error),
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
    #[error("SES did not take the mail")]
    Ses(#[source] ses::Error),
    #[error("no random token could be made")]
    Random,
}

impl From<pg::Error> for MailError {
    fn from(error: pg::Error) -> Self {
        match error {
            pg::Error::Pool(_) => MailError::Pool(error),
            other => MailError::Db(other),
        }
    }
}

impl From<pg::tokio_postgres::Error> for MailError {
    fn from(error: pg::tokio_postgres::Error) -> Self {
        MailError::Db(pg::Error::Db(error))
    }
}

impl From<MailError> for Failure {
    /// A database that cannot be reached or an SES that refuses stops the
    /// batch (every other message would fail the same way); anything else
    /// is this message's failure.
    fn from(error: MailError) -> Self {
        match error {
            MailError::Pool(_) | MailError::Ses(_) => Failure::unavailable(error),
            other => Failure::item(other),
        }
    }
}

/// Delivers the mail `envelope` causes, once.
pub async fn deliver(mailer: &Mailer, envelope: &Envelope) -> Result<Outcome, MailError> {
    let trigger = trigger(envelope)?;
    let mut client = mailer
        .pool
        .get()
        .await
        .map_err(|e| MailError::Pool(pg::Error::Pool(e)))?;
    let applied = consumer::apply_once(
        &mut client,
        CONSUMER,
        envelope.event_id,
        async |tx: &Transaction<'_>| -> Result<Outcome, MailError> {
            let Some(row) =
                store::status_mail_row(tx, trigger.signal_id, trigger.status_id, trigger.at)
                    .await?
            else {
                return Ok(Outcome::Gone);
            };
            mail_once(mailer, tx, envelope.event_id, &row).await
        },
    )
    .await;
    match applied {
        Ok(Applied::Done(outcome)) => Ok(outcome),
        Ok(Applied::AlreadyDone) => Ok(Outcome::AlreadyDone),
        Err(OnceError::Pool(e)) => Err(MailError::Pool(pg::Error::Pool(e))),
        Err(OnceError::Db(e)) => Err(e.into()),
        Err(OnceError::Effect(e)) => Err(e),
    }
}

/// The rules' view of `row`.
pub fn facts<'a>(row: &'a StatusMailRow, mailer: &Mailer) -> Option<StatusMailFacts<'a>> {
    let state = State::from_code(&row.state).ok()?;
    let parse = |code: &Option<String>| code.as_deref().and_then(|c| State::from_code(c).ok());
    Some(StatusMailFacts {
        state,
        text: row.status_text.as_deref().unwrap_or(""),
        send_email: row.send_email,
        is_first_status: row.is_first_status,
        previous_state: parse(&row.previous_state),
        reporter_has_email: row
            .reporter_email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty()),
        parent_state: parse(&row.parent_state),
        latest_feedback_allows_contact: row.feedback.as_ref().map(|f| f.allows_contact),
        flags: mailer.settings.flags,
    })
}

async fn mail_once(
    mailer: &Mailer,
    tx: &Transaction<'_>,
    event_id: Uuid,
    row: &StatusMailRow,
) -> Result<Outcome, MailError> {
    let Some(action) = facts(row, mailer).as_ref().and_then(status_mail) else {
        return Ok(Outcome::NoMail);
    };
    let Some(to) = row.reporter_email.as_deref() else {
        return Ok(Outcome::NoMail);
    };
    let sanitised = match Sanitised::of(row) {
        Ok(sanitised) => sanitised,
        Err(_) => {
            note(tx, row.signal_id, SUSPICIOUS_TEXT_NOTE).await?;
            tracing::warn!(
                signal_id = row.signal_id,
                rule = action.template_key(),
                "mail not sent: the signal's text holds encoded characters"
            );
            return Ok(Outcome::Suspicious);
        }
    };
    let text = templates::for_action(tx, action).await?;
    let extras = extras(mailer, tx, action, row).await?;
    let context = context::build(
        &mailer.settings,
        row,
        &sanitised,
        &[extras],
        chrono::Utc::now(),
    );
    let rendered = text.render(action, &context)?;
    let message_id = mailer
        .ses
        .send(&ses::Email {
            to: to.to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
        })
        .await
        .map_err(MailError::Ses)?;
    note(tx, row.signal_id, action.note()).await?;
    store::insert_mail_delivery(
        tx,
        &MailDelivery {
            signal_id: row.signal_id,
            event_id,
            template_key: action.template_key(),
            stored_template: text.is_stored(),
            ses_message_id: &message_id,
        },
    )
    .await?;
    tracing::info!(
        signal_id = row.signal_id,
        rule = action.template_key(),
        stored_template = text.is_stored(),
        ses_message_id = %message_id,
        "mail sent"
    );
    Ok(Outcome::Sent {
        template_key: action.template_key(),
        stored: text.is_stored(),
    })
}

/// What one action adds to the context, with the rows it creates.
async fn extras(
    mailer: &Mailer,
    tx: &Transaction<'_>,
    action: StatusMail,
    row: &StatusMailRow,
) -> Result<Extras, MailError> {
    Ok(match action {
        StatusMail::Handled => {
            let token = feedback_token()?;
            store::insert_feedback_request(tx, row.signal_id, &token).await?;
            let base = &mailer.settings.frontend_url;
            Extras::Handled {
                positive_feedback_url: format!("{base}/kto/ja/{token}"),
                negative_feedback_url: format!("{base}/kto/nee/{token}"),
            }
        }
        other => Extras::of(other),
    })
}

/// A URL-safe random token of 32 bytes (43 characters), as the reference's
/// `secrets.token_urlsafe()`.
fn feedback_token() -> Result<String, MailError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| MailError::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A system note on the signal, with its history entry, the signal's new
/// `updated_at` and the `signal.note_added` event (the search document
/// shows notes' count and time).
async fn note(tx: &Transaction<'_>, signal_id: i32, text: &str) -> Result<(), MailError> {
    let written = pg::insert_note(tx, signal_id, text, None).await?;
    let updated_at = pg::move_pointers(tx, signal_id, &PointerMoves::default()).await?;
    let payload = SignalChanged {
        signal_id,
        updated_at,
        object_id: Some(written.id),
        previous_id: None,
        actor: None,
        facts: json!({}),
    };
    pg::insert_outbox_events(
        tx,
        &[OutboxEvent {
            aggregate_type: SIGNAL_AGGREGATE,
            aggregate_id: signal_id.to_string(),
            event_type: SIGNAL_NOTE_ADDED,
            payload: serde_json::to_value(payload).unwrap_or_default(),
            occurred_at: updated_at,
        }],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_tokens_are_43_url_safe_characters_and_differ() {
        let a = feedback_token().expect("token");
        let b = feedback_token().expect("token");
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{a}"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn an_unreachable_backend_stops_the_batch_anything_else_fails_the_message() {
        let ses = MailError::Ses(ses::Error::NoMessageId);
        assert!(matches!(Failure::from(ses), Failure::Unavailable(_)));
        let random = MailError::Random;
        assert!(matches!(Failure::from(random), Failure::Item(_)));
    }
}
