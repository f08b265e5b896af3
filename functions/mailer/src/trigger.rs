//! Which status row an event asks the mailer to consider.

use serde::Deserialize;
use signalen_domain::signal::SIGNAL_CREATED;
use signalen_domain::signal::events::{SIGNAL_AGGREGATE, SIGNAL_STATUS_CHANGED, SignalChanged};
use signalen_infra::envelope::Envelope;
use signalen_infra::pg::mail::AtStatus;

/// A status row of a signal, and where the rows current at it are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub signal_id: i32,
    pub status_id: i32,
    pub at: AtStatus,
}

/// Why an envelope names nothing to mail about; each is a message the
/// mailer cannot use (an item failure: it ends in the DLQ).
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the mailer does not subscribe to {aggregate}/{event_type}")]
    NotSubscribed {
        aggregate: String,
        event_type: String,
    },
    #[error("the payload of {event_type} is not what its writers write: {source}")]
    Payload {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{event_type} names no status row")]
    NoStatus { event_type: String },
}

/// The part of `signal.created`'s payload the mailer reads.
#[derive(Debug, Deserialize)]
struct Created {
    signal_id: i32,
    status: Id,
    category_assignment: Id,
    location_id: i32,
}

#[derive(Debug, Deserialize)]
struct Id {
    id: i32,
}

/// The status row `envelope` is about.
pub fn trigger(envelope: &Envelope) -> Result<Trigger, TriggerError> {
    let payload_error = |source| TriggerError::Payload {
        event_type: envelope.event_type.clone(),
        source,
    };
    if envelope.aggregate_type != SIGNAL_AGGREGATE {
        return Err(TriggerError::NotSubscribed {
            aggregate: envelope.aggregate_type.clone(),
            event_type: envelope.event_type.clone(),
        });
    }
    match envelope.event_type.as_str() {
        SIGNAL_CREATED => {
            let created: Created = envelope.payload_as().map_err(payload_error)?;
            Ok(Trigger {
                signal_id: created.signal_id,
                status_id: created.status.id,
                at: AtStatus {
                    category_assignment_id: Some(created.category_assignment.id),
                    location_id: Some(created.location_id),
                },
            })
        }
        SIGNAL_STATUS_CHANGED => {
            let changed: SignalChanged = envelope.payload_as().map_err(payload_error)?;
            let status_id = changed.object_id.ok_or_else(|| TriggerError::NoStatus {
                event_type: envelope.event_type.clone(),
            })?;
            Ok(Trigger {
                signal_id: changed.signal_id,
                status_id,
                at: AtStatus::default(),
            })
        }
        other => Err(TriggerError::NotSubscribed {
            aggregate: envelope.aggregate_type.clone(),
            event_type: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(event_type: &str, payload: serde_json::Value) -> Envelope {
        serde_json::from_value(json!({
            "event_id": "00000000-0000-4000-8000-000000000001",
            "event_type": event_type,
            "aggregate_type": "signal",
            "aggregate_id": "7",
            "occurred_at": "2026-05-04T09:30:00Z",
            "payload": payload,
        }))
        .expect("an envelope")
    }

    #[test]
    fn a_creation_names_its_first_status_and_the_rows_written_with_it() {
        let created = envelope(
            "signal.created",
            json!({"signal_id": 7, "status": {"id": 11, "state": "m"},
                   "category_assignment": {"id": 12, "category_id": 3, "main_slug": "afval",
                                           "sub_slug": "container-is-vol"},
                   "location_id": 13, "reporter": {}, "priority_id": 1, "type_id": 1}),
        );
        let trigger = trigger(&created).expect("a trigger");
        assert_eq!(trigger.signal_id, 7);
        assert_eq!(trigger.status_id, 11);
        assert_eq!(trigger.at.category_assignment_id, Some(12));
        assert_eq!(trigger.at.location_id, Some(13));
    }

    #[test]
    fn a_status_change_names_its_row() {
        let changed = envelope(
            "signal.status_changed",
            json!({"signal_id": 7, "updated_at": "2026-05-04T09:30:00Z", "object_id": 21,
                   "previous_id": 11, "actor": null, "facts": {"state": "o"}}),
        );
        let trigger = trigger(&changed).expect("a trigger");
        assert_eq!((trigger.signal_id, trigger.status_id), (7, 21));
        assert_eq!(trigger.at, AtStatus::default());
    }

    #[test]
    fn other_events_and_broken_payloads_are_refused() {
        let note = envelope("signal.note_added", json!({}));
        assert!(matches!(
            trigger(&note),
            Err(TriggerError::NotSubscribed { .. })
        ));
        let broken = envelope("signal.status_changed", json!({"signal_id": "x"}));
        assert!(matches!(
            trigger(&broken),
            Err(TriggerError::Payload { .. })
        ));
        let no_row = envelope(
            "signal.status_changed",
            json!({"signal_id": 7, "updated_at": "2026-05-04T09:30:00Z", "object_id": null,
                   "previous_id": null, "actor": null}),
        );
        assert!(matches!(
            trigger(&no_row),
            Err(TriggerError::NoStatus { .. })
        ));
    }
}
