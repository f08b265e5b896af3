//! The SQS consumer framework of the background functions (docs/async.md).
//!
//! A consumer is a Lambda function with an SQS event source on its own
//! queue (template.yaml: `FunctionResponseTypes: [ReportBatchItemFailures]`,
//! a DLQ after `maxReceiveCount` receives). Each message body is an
//! [`Envelope`] the outbox relay sent. Delivery is at least once: the same
//! event can arrive twice (an SQS redelivery, a relay retry, a DLQ replay,
//! two deliveries at the same time to two instances).
//!
//! # Handling a batch
//!
//! [`handle_batch`] parses every record and calls the consumer's handler
//! once per envelope, in order, and answers the [`SqsBatchResponse`] Lambda
//! expects: the message ids of the records that failed, which SQS makes
//! visible again (and moves to the DLQ after their last receive); the
//! others are deleted.
//!
//! * A body that is not an envelope is an item failure (logged with its
//!   message id), whatever the handler would say; the rest of the batch goes
//!   on.
//! * The handler returns [`Failure::item`] for a failure of this message
//!   (a payload it cannot use, a row that is missing, an OpenSearch error)
//!   and [`Failure::unavailable`] when no message can succeed (database or
//!   index down): that message and every one after it are reported without
//!   being tried — what failing the invocation would do, without redoing
//!   the messages that already succeeded.
//! * Only a record without a message id fails the whole invocation (an
//!   empty item identifier would make Lambda retry the batch anyway).
//!
//! ```ignore
//! use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
//! use lambda_runtime::{LambdaEvent, service_fn};
//! use signalen_infra::consumer::{self, Failure, Message};
//!
//! lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
//!     let state = state.clone();
//!     async move {
//!         consumer::handle_batch(CONSUMER, event.payload, |message: Message| {
//!             index(&state, message.envelope)
//!         })
//!         .await
//!     }
//! }))
//! .await
//! ```
//!
//! # Exactly one effect
//!
//! * **Naturally idempotent effects** (the search indexer writes the whole
//!   document from the current rows, skipping a write older than the
//!   indexed `updated_at`) need nothing more.
//! * **Effects in Postgres**: [`apply_once`] runs the effect in a
//!   transaction that first inserts `(consumer, event_id)` into
//!   `consumer_effect` (`ON CONFLICT DO NOTHING`). Zero rows inserted means
//!   the effect is done: it is skipped. Both commit together or not at all.
//! * **Effects outside Postgres** (an e-mail through SES): the same
//!   [`apply_once`], with the external call inside the effect — a
//!   claim/complete scheme in one transaction. The uncommitted
//!   `consumer_effect` row is the claim: a concurrent delivery of the same
//!   event blocks on it (primary key), for at most [`CLAIM_WAIT`], and then
//!   sees either the commit (done: skipped) or the rollback (it claims and
//!   sends itself). The commit after the call is the completion; a failed
//!   call rolls the claim back, so the redelivery tries again. The one
//!   window left is a crash between the call's success and the commit: the
//!   redelivery repeats the call (at least once, never lost). Write the
//!   effect's own rows (the mail's note on the signal) in the same
//!   transaction.
//!
//! Key effects on the envelope's `event_id`, never on the SQS message id
//! (a relay retry or a replay sends the same event under a new message id).
//! One consumer name per effect: a consumer with two effects per event uses
//! two names (`mailer`, `mailer:note`).

use std::error::Error as StdError;
use std::time::Duration;

pub use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
pub use deadpool_postgres::Transaction;
use uuid::Uuid;

use crate::envelope::Envelope;
use crate::pg::{self, GenericClient, tokio_postgres};

type BoxError = Box<dyn StdError + Send + Sync>;

/// One record of the batch, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_id: String,
    /// `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
    pub envelope: Envelope,
}

/// Why a handler did not finish a message.
#[derive(Debug)]
pub enum Failure {
    /// This message failed; the others can still succeed.
    Item(BoxError),
    /// Nothing can succeed now (a backend is down): this message and the
    /// rest of the batch are reported as failed without being tried.
    Unavailable(BoxError),
}

impl Failure {
    pub fn item(error: impl Into<BoxError>) -> Self {
        Failure::Item(error.into())
    }

    pub fn unavailable(error: impl Into<BoxError>) -> Self {
        Failure::Unavailable(error.into())
    }
}

/// Why a whole invocation failed (Lambda then retries the whole batch).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("SQS record {0} of the batch has no message id")]
    MissingMessageId(usize),
}

/// Handles a batch of `consumer`: see the module documentation.
#[tracing::instrument(skip_all, fields(consumer = consumer, records = event.records.len()))]
pub async fn handle_batch<F, Fut>(
    consumer: &str,
    event: SqsEvent,
    mut handle: F,
) -> Result<SqsBatchResponse, BatchError>
where
    F: FnMut(Message) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let mut failures = Vec::new();
    let mut unavailable = false;
    let mut handled = 0usize;
    for (n, record) in event.records.into_iter().enumerate() {
        let message_id = match record.message_id {
            Some(id) if !id.is_empty() => id,
            _ => return Err(BatchError::MissingMessageId(n)),
        };
        if unavailable {
            failures.push(message_id);
            continue;
        }
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let envelope = match serde_json::from_str::<Envelope>(record.body.as_deref().unwrap_or(""))
        {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::error!(
                    message_id = %message_id,
                    receive_count,
                    error.message = %error,
                    "the message is not an event envelope; it goes to the DLQ after its last receive"
                );
                failures.push(message_id);
                continue;
            }
        };
        let event_id = envelope.event_id;
        let event_type = envelope.event_type.clone();
        let message = Message {
            message_id: message_id.clone(),
            receive_count,
            envelope,
        };
        match handle(message).await {
            Ok(()) => handled += 1,
            Err(Failure::Item(error)) => {
                tracing::error!(
                    message_id = %message_id,
                    event_id = %event_id,
                    event_type = %event_type,
                    receive_count,
                    error.message = %error,
                    error.cause_chain = ?error,
                    "the event failed; SQS delivers it again"
                );
                failures.push(message_id);
            }
            Err(Failure::Unavailable(error)) => {
                tracing::error!(
                    message_id = %message_id,
                    event_id = %event_id,
                    error.message = %error,
                    error.cause_chain = ?error,
                    "a backend is unavailable: the rest of the batch is returned to the queue"
                );
                unavailable = true;
                failures.push(message_id);
            }
        }
    }
    tracing::info!(handled, failed = failures.len(), "batch handled");
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    Ok(response)
}

/// How long [`apply_once`] waits for a concurrent delivery of the same
/// event to commit or roll back before it gives up (an item failure; the
/// redelivery then finds the effect done).
pub const CLAIM_WAIT: Duration = Duration::from_secs(10);

/// Whether [`apply_once`] ran the effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<T> {
    /// This call ran it and committed; the effect's result.
    Done(T),
    /// An earlier delivery did it; nothing ran.
    AlreadyDone,
}

/// Why [`apply_once`] did not commit an effect (nothing of it was kept).
#[derive(Debug, thiserror::Error)]
pub enum OnceError<E> {
    #[error("no database connection could be had")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database error recording the effect")]
    Db(#[from] tokio_postgres::Error),
    #[error("the effect failed")]
    Effect(#[source] E),
}

/// Runs `effect` at most once per `(consumer, event_id)`, in one
/// transaction with its `consumer_effect` row: see the module documentation.
pub async fn apply_once<T, E>(
    client: &mut pg::Client,
    consumer: &str,
    event_id: Uuid,
    effect: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, E>,
) -> Result<Applied<T>, OnceError<E>> {
    let tx = client.transaction().await?;
    tx.batch_execute(&format!(
        "SET LOCAL lock_timeout = '{}ms'",
        CLAIM_WAIT.as_millis()
    ))
    .await?;
    if !record_effect(&tx, consumer, event_id).await? {
        tx.rollback().await?;
        tracing::info!(consumer, event_id = %event_id, "effect already done; skipped");
        return Ok(Applied::AlreadyDone);
    }
    let value = effect(&tx).await.map_err(OnceError::Effect)?;
    tx.commit().await?;
    Ok(Applied::Done(value))
}

/// Records that `consumer` did its effect for `event_id`; `false` when it
/// was recorded before. For a consumer that owns its transaction: call it
/// first in the effect's transaction and skip the effect on `false`.
pub async fn record_effect(
    client: &impl GenericClient,
    consumer: &str,
    event_id: Uuid,
) -> Result<bool, tokio_postgres::Error> {
    let inserted = client
        .execute(
            &client
                .prepare_cached(
                    "INSERT INTO consumer_effect (consumer, event_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                )
                .await?,
            &[&consumer, &event_id],
        )
        .await?;
    Ok(inserted == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;

    fn record(id: Option<&str>, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = id.map(str::to_owned);
        message.body = Some(body.to_owned());
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), "2".into());
        message
    }

    fn envelope(n: u8) -> String {
        format!(
            r#"{{"event_id":"00000000-0000-4000-8000-0000000000{n:02}","event_type":"signal.created",
            "aggregate_type":"signal","aggregate_id":"{n}","occurred_at":"2026-05-04T09:30:00Z","payload":{{}}}}"#
        )
    }

    fn batch(records: Vec<SqsMessage>) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = records;
        event
    }

    fn failed(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_malformed_body_fails_alone_and_the_others_are_handled() {
        let event = batch(vec![
            record(Some("a"), &envelope(1)),
            record(Some("b"), "{not json"),
            record(Some("c"), r#"{"event_type":"signal.created"}"#),
            record(Some("d"), &envelope(4)),
        ]);
        let mut seen = Vec::new();

        let response = handle_batch("test", event, |m: Message| {
            seen.push((m.message_id, m.envelope.aggregate_id, m.receive_count));
            std::future::ready(Ok(()))
        })
        .await
        .expect("response");

        assert_eq!(failed(&response), vec!["b", "c"]);
        assert_eq!(
            seen,
            vec![("a".into(), "1".into(), 2), ("d".into(), "4".into(), 2)]
        );
    }

    #[tokio::test]
    async fn an_item_failure_is_reported_and_an_unavailable_backend_returns_the_rest() {
        let event = batch(
            (1..=5)
                .map(|n| record(Some(&format!("m{n}")), &envelope(n)))
                .collect(),
        );
        let mut tried = Vec::new();

        let response = handle_batch("test", event, |m: Message| {
            tried.push(m.message_id.clone());
            std::future::ready(match m.message_id.as_str() {
                "m2" => Err(Failure::item("no such signal")),
                "m3" => Err(Failure::unavailable("database down")),
                _ => Ok(()),
            })
        })
        .await
        .expect("response");

        assert_eq!(failed(&response), vec!["m2", "m3", "m4", "m5"]);
        assert_eq!(tried, vec!["m1", "m2", "m3"]);
    }

    #[tokio::test]
    async fn a_record_without_a_message_id_fails_the_invocation() {
        let event = batch(vec![
            record(Some("a"), &envelope(1)),
            record(None, &envelope(2)),
        ]);

        let result = handle_batch("test", event, |_m: Message| std::future::ready(Ok(()))).await;

        assert!(matches!(result, Err(BatchError::MissingMessageId(1))));
    }

    #[tokio::test]
    async fn an_empty_batch_reports_nothing() {
        let response = handle_batch("test", batch(vec![]), |_m: Message| {
            std::future::ready(Ok(()))
        })
        .await
        .expect("response");

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            serde_json::to_value(&response).expect("json"),
            serde_json::json!({"batchItemFailures": []})
        );
    }
}
