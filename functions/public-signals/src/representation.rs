//! The public serializer of a signal (spec 03 §2.10, §3): no personal data,
//! the state only as open or closed.

use serde_json::{Value, json};
use signalen_api::datetime::format_datetime;
use signalen_domain::status::State;
use signalen_infra::pg::PublicSignal;

/// `{"_display": "SIG-1234", "id": 1234, …}`; `status` is null for a signal
/// without status.
pub fn public_signal(signal: &PublicSignal, id_display_prefix: &str) -> Value {
    let id_display = format!("{id_display_prefix}{}", signal.id);
    let status = if signal.state == State::Leeg {
        Value::Null
    } else {
        let public = signal.state.public_state();
        json!({"state": public.code(), "state_display": public.state_display()})
    };
    json!({
        "_display": id_display,
        "id": signal.id,
        "id_display": id_display,
        "signal_id": signal.uuid.to_string(),
        "status": status,
        "created_at": format_datetime(signal.created_at),
        "updated_at": format_datetime(signal.updated_at),
        "incident_date_start": format_datetime(signal.incident_date_start),
        "incident_date_end": signal.incident_date_end.map(format_datetime),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn signal(state: State) -> PublicSignal {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
            + chrono::Duration::microseconds(123_456);
        PublicSignal {
            id: 1234,
            uuid: Uuid::parse_str("6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77").expect("uuid"),
            state,
            created_at: at,
            updated_at: at,
            incident_date_start: Utc
                .with_ymd_and_hms(2024, 3, 1, 8, 30, 0)
                .single()
                .expect("valid"),
            incident_date_end: None,
        }
    }

    #[test]
    fn the_public_shape_has_exactly_the_references_fields_in_its_order() {
        let document = public_signal(&signal(State::Gemeld), "SIG-");
        assert_eq!(
            document.to_string(),
            concat!(
                r#"{"_display":"SIG-1234","id":1234,"id_display":"SIG-1234","#,
                r#""signal_id":"6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77","#,
                r#""status":{"state":"OPEN","state_display":"Open"},"#,
                r#""created_at":"2024-03-01T10:15:30.123456+01:00","#,
                r#""updated_at":"2024-03-01T10:15:30.123456+01:00","#,
                r#""incident_date_start":"2024-03-01T09:30:00+01:00","incident_date_end":null}"#
            )
        );
    }

    #[test]
    fn closed_states_show_as_closed_and_the_prefix_is_configurable() {
        let document = public_signal(&signal(State::Afgehandeld), "MELDING-");
        assert_eq!(
            document["status"],
            json!({"state": "CLOSED", "state_display": "Gesloten"})
        );
        assert_eq!(document["_display"], "MELDING-1234");
        assert_eq!(
            public_signal(&signal(State::Leeg), "SIG-")["status"],
            Value::Null
        );
    }
}
