//! `mailer` — Lambda function fed by the `MailQueue`.
//!
//! Trigger: SQS, batches of outbox events (`signal.created`,
//! `signal.status_changed`) with `ReportBatchItemFailures`.
//! Does: sends the reporter the status mail the event's status row calls
//! for (spec 11 §11.4), through SES, once per event (docs/mail.md).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `MAIL_FROM`, `FRONTEND_URL`, `ORGANIZATION_NAME`,
//! `SIGNAL_ID_DISPLAY_PREFIX`, `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED`,
//! `REPORTER_MAIL_HANDLED_NEGATIVE_CONTACT_ENABLED`.

// The Lambda handler nests the batch loop, the claim transaction and the
// effect as async blocks; their layout exceeds the default query depth.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use mailer::{MailSettings, Mailer};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::consumer::SqsEvent;
use signalen_infra::{aws, pg, ses, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let settings = MailSettings::from_env().expect("mail configuration");
    let sdk = aws::load().await;
    let mailer = Mailer {
        pool: pg::pool_with_aws(&database, &sdk).expect("database pool"),
        ses: ses::Mailer::new(&sdk, settings.from.clone()),
        settings: Arc::new(settings),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let mailer = mailer.clone();
        async move {
            mailer
                .handle(event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
