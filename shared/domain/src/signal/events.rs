//! The domain events a change of a signal writes to the outbox (spec 10
//! §10.1–§10.2), in the transaction of the change.
//!
//! Every event has `aggregate_type = "signal"` and `aggregate_id` = the
//! signal's id. Its payload is a [`SignalChanged`]: the facts its consumers
//! decide on (the search indexer re-reads the signal and skips stale writes
//! by `updated_at`; the mailer evaluates its rules on the rows the event
//! names, which are append-only, so it sees the state that triggered the
//! event and not the state at send time — spec 11's flaw not copied). No
//! personal data: a consumer that needs the reporter reads its row by id.
//!
//! `signal.created` keeps its own payload ([`super::SignalCreated`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `aggregate_type` of every signal event.
pub const SIGNAL_AGGREGATE: &str = "signal";

/// A new status row (PATCH `status`, or a system transition).
pub const SIGNAL_STATUS_CHANGED: &str = "signal.status_changed";
/// A new category assignment (routing and assignee were cleared with it).
pub const SIGNAL_CATEGORY_CHANGED: &str = "signal.category_changed";
pub const SIGNAL_LOCATION_CHANGED: &str = "signal.location_changed";
pub const SIGNAL_PRIORITY_CHANGED: &str = "signal.priority_changed";
pub const SIGNAL_TYPE_CHANGED: &str = "signal.type_changed";
pub const SIGNAL_NOTE_ADDED: &str = "signal.note_added";
pub const SIGNAL_DIRECTING_DEPARTMENTS_CHANGED: &str = "signal.directing_departments_changed";
/// A new routing relation (PATCH `routing_departments` or the routing rules).
pub const SIGNAL_ROUTING_CHANGED: &str = "signal.routing_changed";
pub const SIGNAL_USER_ASSIGNED: &str = "signal.user_assigned";
pub const SIGNAL_ATTACHMENT_ADDED: &str = "signal.attachment_added";
pub const SIGNAL_ATTACHMENT_DELETED: &str = "signal.attachment_deleted";
/// A new current reporter (contact details changed, or anonymised).
pub const SIGNAL_REPORTER_CHANGED: &str = "signal.reporter_changed";
/// The signal and everything below it were deleted (retention, spec 16).
pub const SIGNAL_DELETED: &str = "signal.deleted";

/// Every event type a signal can have, `signal.created` included.
pub const SIGNAL_EVENT_TYPES: &[&str] = &[
    super::SIGNAL_CREATED,
    SIGNAL_STATUS_CHANGED,
    SIGNAL_CATEGORY_CHANGED,
    SIGNAL_LOCATION_CHANGED,
    SIGNAL_PRIORITY_CHANGED,
    SIGNAL_TYPE_CHANGED,
    SIGNAL_NOTE_ADDED,
    SIGNAL_DIRECTING_DEPARTMENTS_CHANGED,
    SIGNAL_ROUTING_CHANGED,
    SIGNAL_USER_ASSIGNED,
    SIGNAL_ATTACHMENT_ADDED,
    SIGNAL_ATTACHMENT_DELETED,
    SIGNAL_REPORTER_CHANGED,
    SIGNAL_DELETED,
];

/// The payload of every signal event but `signal.created`.
///
/// `object_id` is the id of the row the change inserted (status, category
/// assignment, location, note, attachment, …; `None` for a deletion).
/// `previous_id` is the row that was current before it, where the aspect
/// has a current pointer — the mailer compares old and new status with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalChanged {
    pub signal_id: i32,
    /// The signal's `updated_at` after the change.
    pub updated_at: DateTime<Utc>,
    pub object_id: Option<i32>,
    pub previous_id: Option<i32>,
    /// The employee's e-mail, `None` for the system or the citizen.
    pub actor: Option<String>,
    /// Facts of this event type that consumers decide on without a read:
    /// for `signal.status_changed` `{"state", "previous_state", "send_email"}`;
    /// for `signal.category_changed` `{"category_id", "main_slug", "sub_slug"}`;
    /// otherwise `{}`.
    #[serde(default)]
    pub facts: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_distinct_and_namespaced() {
        let mut seen = std::collections::BTreeSet::new();
        for t in SIGNAL_EVENT_TYPES {
            assert!(t.starts_with("signal."), "{t}");
            assert!(seen.insert(*t), "duplicate {t}");
        }
    }

    #[test]
    fn payload_round_trips() {
        let event = SignalChanged {
            signal_id: 7,
            updated_at: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            object_id: Some(12),
            previous_id: Some(11),
            actor: Some("medewerker@example.org".into()),
            facts: serde_json::json!({"state": "b", "previous_state": "m", "send_email": false}),
        };
        let json = serde_json::to_value(&event).expect("serialise");
        assert_eq!(json["signal_id"], 7);
        assert_eq!(json["facts"]["state"], "b");
        let back: SignalChanged = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, event);
    }
}
