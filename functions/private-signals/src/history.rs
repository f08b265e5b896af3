//! `GET /signals/v1/private/signals/{id}/history` (spec 04 §4, 06): every
//! history entry of the signal, newest first, as a plain array; `?what=`
//! keeps one kind of entry, `?created_after=` the entries from then on.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{Method, Uri};
use serde_json::{Value, json};
use signalen_api::ApiError;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::datetime::format_datetime;
use signalen_api::routing::path_id;
use signalen_api::validation::FieldErrors;
use signalen_domain::history::{self, HistoryEntryView};
use signalen_domain::signal::parse_datetime;
use signalen_domain::user::Permission;
use signalen_infra::pg::signal_read;

use crate::visibility::object_access;
use crate::{AppState, NO_SIGNAL, connection};

pub async fn history(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    Path(raw_id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let id = path_id(&raw_id, NO_SIGNAL)?;
    let client = connection(&state).await?;
    object_access(&client, &user, id).await?;

    let last = |name: &str| {
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .last()
            .filter(|value| !value.is_empty())
    };
    let created_after = match last("created_after") {
        None => None,
        Some(raw) => match parse_datetime(&raw) {
            Some(at) => Some(at),
            None => {
                let mut errors = FieldErrors::new();
                errors.push("created_after", "Voer een geldige datum/tijd in.");
                return Ok(errors.into_response());
            }
        },
    };
    let what = match last("what") {
        None => None,
        Some(raw) => match history::parse_what(&raw) {
            Some(filter) => Some(filter),
            // Names no kind of entry: none match.
            None => return Ok(Json(json!([])).into_response()),
        },
    };
    let rows = signal_read::signal_history(&client, id, what.as_ref(), created_after)
        .await
        .map_err(ApiError::unexpected)?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|row| entry(&history::render(row)))
        .collect();
    Ok(Json(Value::Array(entries)).into_response())
}

/// An entry in the shape of 06 §2.
fn entry(view: &HistoryEntryView) -> Value {
    json!({
        "identifier": view.identifier,
        "when": format_datetime(view.when),
        "what": view.what,
        "action": view.action,
        "description": view.description,
        "who": view.who,
        "_signal": view.signal_id,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn an_entry_has_the_fields_of_the_spec_in_order() {
        let view = HistoryEntryView {
            identifier: "UPDATE_STATUS_9876".into(),
            when: Utc
                .with_ymd_and_hms(2024, 3, 2, 7, 0, 0)
                .single()
                .expect("valid"),
            what: "UPDATE_STATUS".into(),
            action: "Status gewijzigd naar: In behandeling".into(),
            description: Some("We gaan ermee aan de slag.".into()),
            who: "medewerker@example.org".into(),
            signal_id: 1234,
        };
        assert_eq!(
            entry(&view).to_string(),
            r#"{"identifier":"UPDATE_STATUS_9876","when":"2024-03-02T08:00:00+01:00","what":"UPDATE_STATUS","action":"Status gewijzigd naar: In behandeling","description":"We gaan ermee aan de slag.","who":"medewerker@example.org","_signal":1234}"#
        );
    }
}
