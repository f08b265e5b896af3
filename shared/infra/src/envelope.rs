//! The message contract between the outbox relay and the consumers: every
//! SQS message the relay sends carries one outbox row as an [`Envelope`]
//! (JSON body) and its event type and id as message attributes.
//!
//! ```json
//! {"event_id": "0b6f…", "event_type": "signal.status_changed",
//!  "aggregate_type": "signal", "aggregate_id": "42",
//!  "occurred_at": "2026-05-04T09:30:00.123456Z",
//!  "payload": {"signal_id": 42, "updated_at": "…", "object_id": 7, …}}
//! ```
//!
//! The payload of each event type is defined in `signalen_domain::signal`
//! (`SignalCreated`, `SignalChanged`); it holds no personal data.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Message attribute with the envelope's `event_type` (lets a queue or a
/// DLQ be inspected, and SNS-style filtering, without parsing bodies).
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";
/// Message attribute with the envelope's `event_id`.
pub const EVENT_ID_ATTRIBUTE: &str = "event_id";

/// One outbox event as published. `event_id` is the idempotency key of
/// every consumer (`consumer_effect`): the same event sent twice — a relay
/// retry, a replay from the DLQ — has the same `event_id`, whereas the SQS
/// message id differs. Unknown fields are ignored, so fields can be added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub event_id: Uuid,
    /// `signal.created`, `signal.status_changed`, …
    pub event_type: String,
    /// `signal`.
    pub aggregate_type: String,
    /// The aggregate's id as text (a signal's id).
    pub aggregate_id: String,
    /// When the change happened (the writer's clock, in its transaction).
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

impl Envelope {
    /// The payload as the type its event type defines.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_round_trips_and_ignores_fields_it_does_not_know() {
        let body = r#"{"event_id":"0b6f2c1e-5d4a-4f1e-9a7b-2c3d4e5f6a7b","event_type":"signal.created",
            "aggregate_type":"signal","aggregate_id":"42","occurred_at":"2026-05-04T09:30:00.123456Z",
            "payload":{"signal_id":42},"added_later":true}"#;

        let envelope: Envelope = serde_json::from_str(body).expect("parse");

        assert_eq!(envelope.aggregate_id, "42");
        assert_eq!(envelope.payload["signal_id"], 42);
        let again: Envelope =
            serde_json::from_str(&serde_json::to_string(&envelope).expect("serialise"))
                .expect("parse again");
        assert_eq!(again, envelope);
    }

    #[test]
    fn an_envelope_without_its_event_id_is_refused() {
        let body = r#"{"event_type":"signal.created","aggregate_type":"signal","aggregate_id":"42",
            "occurred_at":"2026-05-04T09:30:00Z","payload":{}}"#;

        assert!(serde_json::from_str::<Envelope>(body).is_err());
    }
}
