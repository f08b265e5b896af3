//! The transactional outbox (spec 10 §10.1, docs/data-model.md): domain
//! events written in the same transaction as the change, published later by
//! a relay.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{Error, GenericClient};

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent<'a> {
    /// `signal`.
    pub aggregate_type: &'a str,
    /// The aggregate's id as text (a signal's id).
    pub aggregate_id: String,
    /// `signal.created`, …
    pub event_type: &'a str,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

/// Records `event`; its `event_id` (the consumers' idempotency key) is
/// returned.
#[tracing::instrument(skip_all, fields(event_type = event.event_type, aggregate_id = %event.aggregate_id))]
pub async fn insert_outbox_event(
    client: &impl GenericClient,
    event: &OutboxEvent<'_>,
) -> Result<Uuid, Error> {
    let row = client
        .query_one(
            "INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, occurred_at)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING event_id",
            &[
                &event.aggregate_type,
                &event.aggregate_id,
                &event.event_type,
                &event.payload,
                &event.occurred_at,
            ],
        )
        .await?;
    Ok(row.try_get("event_id")?)
}
