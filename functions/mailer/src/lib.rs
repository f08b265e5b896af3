//! The mailer (spec 11; docs/mail.md): a consumer of `signal.created` and
//! `signal.status_changed` on its own queue. For each event it reads the
//! status row the event names with what was current when it was set,
//! evaluates the status-mail rules on that ([`signalen_domain::mail`]),
//! renders the municipality's stored template (or the built-in fallback)
//! and sends the mail through SES — once per event, in the transaction of
//! its `consumer_effect` row, its note, its KTO request and its delivery
//! record (see [`signalen_infra::consumer`]).

mod context;
mod deliver;
mod fallback;
pub mod settings;
pub mod templates;
mod trigger;

use signalen_infra::consumer::{self, Failure, Message, SqsBatchResponse, SqsEvent};
use signalen_infra::pg::Pool;
use signalen_infra::ses;

pub use deliver::{Outcome, deliver};
pub use settings::MailSettings;
pub use trigger::{Trigger, TriggerError, trigger};

/// The consumer name of the mail effect (`consumer_effect.consumer`); the
/// relay's subscription of the mail queue has the same name
/// (`signalen_infra::outbox_relay::MAILER`).
pub const CONSUMER: &str = "mailer";

/// What the Lambda function holds between invocations.
#[derive(Clone)]
pub struct Mailer {
    pub pool: Pool,
    pub ses: ses::Mailer,
    pub settings: std::sync::Arc<MailSettings>,
}

impl Mailer {
    /// Handles one SQS batch: every message is delivered on its own; the
    /// ones that failed are reported back to SQS.
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, consumer::BatchError> {
        consumer::handle_batch(CONSUMER, event, |message: Message| async move {
            deliver(self, &message.envelope)
                .await
                .map(|outcome| {
                    tracing::info!(
                        event_id = %message.envelope.event_id,
                        event_type = %message.envelope.event_type,
                        outcome = outcome.describe(),
                        "event handled"
                    );
                })
                .map_err(Failure::from)
        })
        .await
    }
}
