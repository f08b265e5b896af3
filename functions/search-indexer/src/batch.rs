//! One SQS batch of outbox events → one Postgres read and one `_bulk`
//! request.
//!
//! Every signal event means the same thing here: "this signal changed,
//! index what it is now". So the batch is reduced to its distinct signal
//! ids, their current rows are read in one statement, and each is written
//! (or, when the row is gone, deleted) with its `updated_at` as external
//! version. That makes the effect idempotent and order-safe without an
//! effect table: a duplicate or late event re-reads the current row and
//! writes what the index already holds, and a snapshot older than the
//! indexed one is refused by OpenSearch (`external_gte`).
//!
//! The envelopes and the response are those of the consumer framework
//! (`signalen_infra::consumer`), whose `handle_batch` takes one message at
//! a time; this consumer needs the whole batch for one bulk write, so it
//! walks the records itself with the same rules: a body that is not an
//! envelope is an item failure, a record without a message id fails the
//! invocation, a database that cannot be reached fails the invocation
//! (every message is retried), an unreachable OpenSearch or a failed
//! document fails the messages of the signals concerned.

use std::collections::BTreeMap;

use chrono::Utc;
use signalen_domain::signal::events::SIGNAL_AGGREGATE;
use signalen_infra::consumer::{BatchError, BatchItemFailure};
pub use signalen_infra::consumer::{SqsBatchResponse, SqsEvent};
use signalen_infra::envelope::Envelope;
use signalen_infra::pg;

use crate::index::{Change, SignalIndex};

/// The indexer's dependencies, built once per container.
#[derive(Debug, Clone)]
pub struct Indexer {
    pub pool: pg::Pool,
    pub index: SignalIndex,
    /// `number_of_replicas` of an index the indexer has to create itself.
    pub replicas: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error("the database is unavailable; the whole batch is retried")]
    Database(#[source] pg::Error),
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        let error_type = match error {
            Error::Batch(_) => "MalformedBatch",
            Error::Database(_) => "DatabaseUnavailable",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// A record of the batch the indexer acts on.
struct Pending {
    message_id: String,
    signal_id: i32,
}

impl Indexer {
    /// Indexes a batch; answers the ids of the messages that failed.
    #[tracing::instrument(skip_all, fields(records = event.records.len()))]
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, Error> {
        let mut failed: Vec<String> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for (n, record) in event.records.into_iter().enumerate() {
            let message_id = match record.message_id {
                Some(id) if !id.is_empty() => id,
                _ => return Err(BatchError::MissingMessageId(n).into()),
            };
            match signal_of(record.body.as_deref().unwrap_or("")) {
                Ok(Some(signal_id)) => pending.push(Pending {
                    message_id,
                    signal_id,
                }),
                Ok(None) => {
                    tracing::debug!(message_id = %message_id, "not a signal event; nothing to index");
                }
                Err(reason) => {
                    tracing::error!(
                        message_id = %message_id,
                        error.message = %reason,
                        "the message is not a signal event envelope; it goes to the DLQ after its last receive"
                    );
                    failed.push(message_id);
                }
            }
        }

        let ids: Vec<i32> = {
            let mut ids: Vec<i32> = pending.iter().map(|p| p.signal_id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if !ids.is_empty() {
            let outcomes = self.index_signals(&ids).await?;
            for record in pending {
                if let Some(reason) = outcomes.get(&record.signal_id) {
                    tracing::error!(
                        message_id = %record.message_id,
                        signal_id = record.signal_id,
                        error.message = %reason,
                        "indexing failed; SQS delivers the event again"
                    );
                    failed.push(record.message_id);
                }
            }
        }
        tracing::info!(signals = ids.len(), failed = failed.len(), "batch indexed");
        Ok(response(failed))
    }

    /// Reads and writes `ids`; returns the failure reason of each signal
    /// that could not be indexed (none: all were).
    async fn index_signals(&self, ids: &[i32]) -> Result<BTreeMap<i32, String>, Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| Error::Database(pg::Error::Pool(e)))?;
        let signals = pg::indexed_signals_by_ids(&client, ids)
            .await
            .map_err(Error::Database)?;
        drop(client);
        let seen_at = Utc::now();
        let mut by_id: BTreeMap<i32, Change> = ids
            .iter()
            .map(|&id| (id, Change::delete(id, seen_at)))
            .collect();
        for signal in signals {
            by_id.insert(signal.id, Change::upsert(signal));
        }
        let changes: Vec<Change> = by_id.into_values().collect();

        let all_failed = |reason: String| ids.iter().map(|&id| (id, reason.clone())).collect();
        let aliases = match self.index.write_aliases(self.replicas).await {
            Ok(aliases) => aliases,
            Err(e) => return Ok(all_failed(format!("OpenSearch: {e}"))),
        };
        let outcomes = match self.index.write(&aliases, &changes, false).await {
            Ok(outcomes) => outcomes,
            Err(e) => return Ok(all_failed(format!("OpenSearch: {e}"))),
        };
        Ok(ids
            .iter()
            .filter_map(|id| match outcomes.get(id) {
                Some(outcome) if outcome.is_ok() => None,
                Some(outcome) => Some((*id, format!("{outcome:?}"))),
                None => Some((*id, "no bulk item answered".to_owned())),
            })
            .collect())
    }
}

/// The signal a message body is about: `Ok(None)` for an event of another
/// aggregate, `Err` for a body that is not an envelope.
fn signal_of(body: &str) -> Result<Option<i32>, String> {
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if envelope.aggregate_type != SIGNAL_AGGREGATE {
        return Ok(None);
    }
    envelope
        .aggregate_id
        .trim()
        .parse::<i32>()
        .map(Some)
        .map_err(|_| format!("`{}` is not a signal id", envelope.aggregate_id))
}

fn response(failed: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(aggregate_type: &str, aggregate_id: &str) -> String {
        format!(
            r#"{{"event_id":"0b6f2c1e-5d4a-4f1e-9a7b-2c3d4e5f6a7b","event_type":"signal.status_changed",
               "aggregate_type":"{aggregate_type}","aggregate_id":"{aggregate_id}",
               "occurred_at":"2026-05-04T09:30:00.123456Z","payload":{{}}}}"#
        )
    }

    #[test]
    fn a_signal_event_names_its_signal() {
        assert_eq!(signal_of(&body("signal", "42")), Ok(Some(42)));
    }

    #[test]
    fn events_of_other_aggregates_are_ignored() {
        assert_eq!(signal_of(&body("category", "7")), Ok(None));
    }

    #[test]
    fn a_body_that_is_not_an_envelope_or_has_no_signal_id_is_refused() {
        assert!(signal_of("{not json").is_err());
        assert!(signal_of(r#"{"event_type":"signal.created"}"#).is_err());
        assert!(signal_of(&body("signal", "veertig")).is_err());
    }

    #[test]
    fn the_response_lists_the_failed_message_ids() {
        let response = response(vec!["a".into(), "b".into()]);
        assert_eq!(
            serde_json::to_value(&response).expect("json"),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]})
        );
    }
}
