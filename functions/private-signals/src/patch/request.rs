//! The body of `PATCH /signals/v1/private/signals/{id}` (spec 04 §3.2), read
//! as the reference's `PrivateSignalSerializerDetail` reads it: every key
//! that has an effect, with its framework messages and error shapes; the
//! other writable keys of the detail (`text`, `text_extra`, `source`,
//! `extra_properties`, the incident dates, `reporter`) are checked and then
//! ignored; read-only and unknown keys are ignored.
//!
//! All field errors are reported together, in the serializer's field order,
//! before anything is looked up or written.

use serde_json::{Map, Value};
use signalen_api::signal_fields::{
    CategoryInput, LocationInput, category, datetime, email, location, storable_json,
};
use signalen_api::validation::fields::{CharField, boolean, object};
use signalen_api::validation::{ErrorDetail, FieldErrors, messages, python_type_name};
use signalen_domain::signal::{
    BoundingBox, INVALID_EXTRA_PROPERTIES, Priority, SignalType, TEXT_EXTRA_MAX_CHARS,
    TEXT_MAX_CHARS, extra_properties_are_valid,
};
use signalen_domain::status::{State, TargetApi};

/// The longest note (spec 04 §3.2: 1–3000 characters).
pub const NOTE_MAX_CHARS: usize = 3000;
/// The longest status text the status serializer takes (spec 01 §3.2).
pub const STATUS_TEXT_MAX_CHARS: usize = 10_000;

/// A status as sent, read but not yet checked against the workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusInput {
    pub state: State,
    /// Trimmed; `None` when absent or null.
    pub text: Option<String>,
    pub target_api: Option<TargetApi>,
    pub send_email: bool,
    pub email_override: Option<String>,
    pub extra_properties: Option<Value>,
}

/// A PATCH body that passed the field checks: `None` = key absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatchRequest {
    pub location: Option<LocationInput>,
    pub status: Option<StatusInput>,
    pub category: Option<CategoryInput>,
    pub priority: Option<Priority>,
    /// The first note's text; `Some(None)` for an empty list (no effect).
    pub notes: Option<Option<String>>,
    pub signal_type: Option<SignalType>,
    pub directing_departments: Option<Vec<i32>>,
    pub routing_departments: Option<Vec<i32>>,
    /// `Some(None)` unassigns.
    pub assigned_user_email: Option<Option<String>>,
}

impl PatchRequest {
    /// Whether the body changes nothing.
    pub fn is_empty(&self) -> bool {
        self.location.is_none()
            && self.status.is_none()
            && self.category.is_none()
            && self.priority.is_none()
            && !matches!(self.notes, Some(Some(_)))
            && self.signal_type.is_none()
            && self.directing_departments.is_none()
            && self.routing_departments.is_none()
            && self.assigned_user_email.is_none()
    }
}

/// Why a body was refused before anything was looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestError {
    /// 400 with the field errors.
    Invalid(FieldErrors),
}

/// Reads `body`. A body that is not an object is refused as a whole.
pub fn read(body: &Value, bounding_box: &BoundingBox) -> Result<PatchRequest, RequestError> {
    let body = match body {
        Value::Object(body) => body,
        Value::Null => {
            return Err(RequestError::Invalid(FieldErrors::non_field(
                messages::NO_DATA,
            )));
        }
        other => {
            return Err(RequestError::Invalid(FieldErrors::non_field(
                messages::expected_dict(python_type_name(other)),
            )));
        }
    };
    let mut errors = FieldErrors::new();
    let field = |name: &str| body.get(name);

    // Checked, then ignored (spec 04 §3.2).
    check_ignored(body, &mut errors);

    let location = optional(&mut errors, "location", field("location"), |value| {
        location(Some(value), bounding_box)
    });
    let status = optional(&mut errors, "status", field("status"), status);
    let category = optional(&mut errors, "category", field("category"), |value| {
        category(Some(value))
    });
    let priority = optional(&mut errors, "priority", field("priority"), priority);
    let notes = optional(&mut errors, "notes", field("notes"), notes);
    let signal_type = match field("type") {
        None => None,
        Some(value) => match signal_type(value) {
            Ok(kind) => Some(kind),
            Err(TypeError::Field(detail)) => {
                errors.insert("type", detail);
                None
            }
            Err(TypeError::UnknownCode(code)) => {
                // The model's choice check, reported under the model field
                // name (spec 04 §3.2).
                errors.push("name", format!("Waarde '{code}' is geen geldige keuze."));
                None
            }
        },
    };
    let directing_departments = optional(
        &mut errors,
        "directing_departments",
        field("directing_departments"),
        departments,
    );
    let routing_departments = optional(
        &mut errors,
        "routing_departments",
        field("routing_departments"),
        departments,
    );
    let assigned_user_email = match field("assigned_user_email") {
        None => None,
        Some(value) => errors.take("assigned_user_email", assigned_email(value)),
    };

    if !errors.is_empty() {
        return Err(RequestError::Invalid(errors));
    }
    Ok(PatchRequest {
        location,
        status,
        category,
        priority,
        notes,
        signal_type,
        directing_departments,
        routing_departments,
        assigned_user_email,
    })
}

/// A key that may be absent; when present it is read by `read` and its
/// errors are filed under `key`.
fn optional<T>(
    errors: &mut FieldErrors,
    key: &str,
    value: Option<&Value>,
    read: impl FnOnce(&Value) -> Result<T, ErrorDetail>,
) -> Option<T> {
    let value = value?;
    errors.take(key, read(value))
}

/// The writable keys without effect: refused when malformed (so that a
/// client learns of its mistake), ignored otherwise.
fn check_ignored(body: &Map<String, Value>, errors: &mut FieldErrors) {
    if let Some(value) = body.get("text") {
        let _ = errors.take(
            "text",
            CharField::required()
                .max_chars(TEXT_MAX_CHARS)
                .read(Some(value)),
        );
    }
    if let Some(value) = body.get("text_extra") {
        let _ = errors.take(
            "text_extra",
            CharField::optional()
                .allow_blank()
                .max_chars(TEXT_EXTRA_MAX_CHARS)
                .read(Some(value)),
        );
    }
    if let Some(value) = body.get("source") {
        let _ = errors.take("source", CharField::optional().read(Some(value)));
    }
    for key in ["incident_date_start", "incident_date_end"] {
        if let Some(value) = body.get(key) {
            let _ = errors.take(
                key,
                datetime(Some(value), false, key == "incident_date_end"),
            );
        }
    }
    if let Some(value) = body.get("extra_properties") {
        let checked = storable_json(Some(value)).and_then(|value| match value {
            Some(value) if !extra_properties_are_valid(&value) => {
                Err(ErrorDetail::message(INVALID_EXTRA_PROPERTIES))
            }
            _ => Ok(()),
        });
        let _ = errors.take("extra_properties", checked);
    }
    if let Some(value) = body.get("reporter") {
        let _ = errors.take("reporter", object(Some(value), false, true).map(|_| ()));
    }
}

/// A nested object that must be an object (not null).
fn map(value: &Value) -> Result<&Map<String, Value>, ErrorDetail> {
    object(Some(value), true, false)?.ok_or_else(|| ErrorDetail::message(messages::REQUIRED))
}

/// The status serializer's fields (spec 02 §3, rule 1 and the field types).
fn status(value: &Value) -> Result<StatusInput, ErrorDetail> {
    let map = map(value)?;
    let mut errors = FieldErrors::new();
    let state = errors.take("state", state(map.get("state")));
    let text = errors.take(
        "text",
        CharField::optional()
            .allow_null()
            .allow_blank()
            .max_chars(STATUS_TEXT_MAX_CHARS)
            .read(map.get("text")),
    );
    let target_api = errors.take("target_api", target_api(map.get("target_api")));
    let send_email = errors.take("send_email", boolean(map.get("send_email"), false));
    let email_override = errors.take("email_override", email(map.get("email_override")));
    let extra_properties = errors.take(
        "extra_properties",
        storable_json(map.get("extra_properties")),
    );
    if !errors.is_empty() {
        return Err(ErrorDetail::Fields(errors));
    }
    match (
        state,
        text,
        target_api,
        send_email,
        email_override,
        extra_properties,
    ) {
        (
            Some(state),
            Some(text),
            Some(target_api),
            Some(send_email),
            Some(email_override),
            Some(extra_properties),
        ) => Ok(StatusInput {
            state,
            text,
            target_api,
            send_email: send_email.unwrap_or(false),
            email_override,
            extra_properties,
        }),
        _ => Err(ErrorDetail::message(messages::REQUIRED)),
    }
}

/// `state`: required, any known code (the system-only ones are refused by
/// the workflow check, with the same message).
fn state(value: Option<&Value>) -> Result<State, ErrorDetail> {
    match value {
        None => Err(ErrorDetail::message(messages::REQUIRED)),
        Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
        Some(Value::String(code)) => State::from_code(code)
            .ok()
            .filter(|state| *state != State::Leeg)
            .ok_or_else(|| ErrorDetail::message(messages::invalid_choice(code))),
        Some(other) => Err(ErrorDetail::message(messages::invalid_choice(
            &other.to_string(),
        ))),
    }
}

/// `target_api`: a choice, null or blank meaning none.
fn target_api(value: Option<&Value>) -> Result<Option<TargetApi>, ErrorDetail> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(code)) if code.is_empty() => Ok(None),
        Some(Value::String(code)) => TargetApi::from_code(code)
            .map(Some)
            .map_err(|_| ErrorDetail::message(messages::invalid_choice(code))),
        Some(other) => Err(ErrorDetail::message(messages::invalid_choice(
            &other.to_string(),
        ))),
    }
}

fn priority(value: &Value) -> Result<Priority, ErrorDetail> {
    let map = map(value)?;
    let mut errors = FieldErrors::new();
    let priority = match map.get("priority") {
        None => {
            errors.push("priority", messages::REQUIRED);
            None
        }
        Some(Value::String(code)) => match Priority::from_code(code) {
            Some(priority) => Some(priority),
            None => {
                errors.push("priority", messages::invalid_choice(code));
                None
            }
        },
        Some(other) => {
            errors.push("priority", messages::invalid_choice(&other.to_string()));
            None
        }
    };
    match priority {
        Some(priority) if errors.is_empty() => Ok(priority),
        _ => Err(ErrorDetail::Fields(errors)),
    }
}

/// `notes`: a list of `{"text"}`; only the first one is stored.
fn notes(value: &Value) -> Result<Option<String>, ErrorDetail> {
    let Value::Array(items) = value else {
        return Err(ErrorDetail::non_field(expected_list(value)));
    };
    let mut texts = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        let mut errors = FieldErrors::new();
        match map(item) {
            Ok(map) => {
                let text = errors.take(
                    "text",
                    CharField::required()
                        .max_chars(NOTE_MAX_CHARS)
                        .read(map.get("text")),
                );
                texts.push(text.flatten());
            }
            Err(detail) => {
                if let ErrorDetail::Fields(fields) = detail {
                    errors = fields;
                } else {
                    errors.insert(signalen_api::validation::NON_FIELD_ERRORS, detail);
                }
            }
        }
        failed |= !errors.is_empty();
        item_errors.push(errors);
    }
    if failed {
        return Err(ErrorDetail::List(item_errors));
    }
    Ok(texts.into_iter().next().flatten())
}

enum TypeError {
    Field(ErrorDetail),
    UnknownCode(String),
}

/// `type`: `{"code"}` of at most 3 characters; a 3-letter code that is no
/// type is refused by the model (top-level key `name`).
fn signal_type(value: &Value) -> Result<SignalType, TypeError> {
    let map = map(value).map_err(TypeError::Field)?;
    let code = CharField::required()
        .max_chars(3)
        .read(map.get("code"))
        .map_err(|detail| {
            let mut errors = FieldErrors::new();
            errors.insert("code", detail);
            TypeError::Field(ErrorDetail::Fields(errors))
        })?
        .unwrap_or_default();
    SignalType::from_code(&code).ok_or(TypeError::UnknownCode(code))
}

/// `directing_departments` / `routing_departments`: a list of `{"id"}`.
/// Whether the ids exist is checked against the database later.
fn departments(value: &Value) -> Result<Vec<i32>, ErrorDetail> {
    let Value::Array(items) = value else {
        return Err(ErrorDetail::non_field(expected_list(value)));
    };
    let mut ids = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        let mut errors = FieldErrors::new();
        match map(item) {
            Ok(map) => match primary_key(map.get("id")) {
                Ok(id) => ids.push(id),
                Err(detail) => errors.insert("id", detail),
            },
            Err(ErrorDetail::Fields(fields)) => errors = fields,
            Err(detail) => errors.insert(signalen_api::validation::NON_FIELD_ERRORS, detail),
        }
        failed |= !errors.is_empty();
        item_errors.push(errors);
    }
    if failed {
        return Err(ErrorDetail::List(item_errors));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    Ok(ids)
}

/// A primary key field: an integer, or a string of digits.
fn primary_key(value: Option<&Value>) -> Result<i32, ErrorDetail> {
    match value {
        None => Err(ErrorDetail::message(messages::REQUIRED)),
        Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| ErrorDetail::message(does_not_exist(&n.to_string()))),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<i32>()
            .map_err(|_| ErrorDetail::message(does_not_exist(s))),
        Some(other) => Err(ErrorDetail::message(format!(
            "Ongeldig type. Verwacht een pk-waarde, ontving {}.",
            python_type_name(other)
        ))),
    }
}

/// `Ongeldige pk "<pk>" - object bestaat niet.`
pub fn does_not_exist(pk: &str) -> String {
    format!("Ongeldige pk \"{pk}\" - object bestaat niet.")
}

/// The framework's "expected a list" message.
fn expected_list(value: &Value) -> String {
    format!(
        "Verwachtte een lijst met items, maar kreeg type \"{}\".",
        python_type_name(value)
    )
}

/// `assigned_user_email`: an e-mail address or null (blank counts as null).
fn assigned_email(value: &Value) -> Result<Option<String>, ErrorDetail> {
    email(Some(value))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bbox() -> BoundingBox {
        BoundingBox::default()
    }

    fn errors(body: Value) -> Value {
        match read(&body, &bbox()) {
            Err(RequestError::Invalid(errors)) => errors.into_json(),
            Ok(request) => panic!("accepted: {request:?}"),
        }
    }

    #[test]
    fn every_key_with_an_effect_is_read() {
        let body = json!({
            "location": {"geometrie": {"type": "Point", "coordinates": [4.9, 52.37]}},
            "status": {"state": "b", "text": " Aan de slag ", "send_email": true},
            "category": {"sub_category": "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil", "text": "Verkeerd"},
            "priority": {"priority": "high"},
            "notes": [{"text": "Eerste"}, {"text": "Tweede"}],
            "type": {"code": "REQ"},
            "directing_departments": [{"id": 3}],
            "routing_departments": [{"id": 7}, {"id": "8"}, {"id": 7}],
            "assigned_user_email": "behandelaar@example.org",
            "id": 99, "_links": {}, "unknown": true
        });
        let request = read(&body, &bbox()).expect("valid");
        let status = request.status.as_ref().expect("status");
        assert_eq!(status.state, State::Behandeling);
        assert_eq!(status.text.as_deref(), Some("Aan de slag"));
        assert!(status.send_email);
        assert_eq!(
            request.category.as_ref().map(|c| c.link.sub_slug.as_str()),
            Some("grofvuil")
        );
        assert_eq!(request.priority, Some(Priority::High));
        assert_eq!(request.notes, Some(Some("Eerste".to_owned())));
        assert_eq!(request.signal_type, Some(SignalType::Request));
        assert_eq!(request.directing_departments, Some(vec![3]));
        assert_eq!(
            request.routing_departments,
            Some(vec![7, 8]),
            "deduplicated"
        );
        assert_eq!(
            request.assigned_user_email,
            Some(Some("behandelaar@example.org".to_owned()))
        );
        assert!(request.location.is_some());
        assert!(!request.is_empty());
    }

    #[test]
    fn an_empty_body_or_an_empty_note_list_changes_nothing() {
        assert!(read(&json!({}), &bbox()).expect("valid").is_empty());
        let request = read(&json!({"notes": []}), &bbox()).expect("valid");
        assert_eq!(request.notes, Some(None));
        assert!(request.is_empty());
        let request = read(
            &json!({"text": "Nieuwe tekst", "source": "online"}),
            &bbox(),
        )
        .expect("valid");
        assert!(request.is_empty(), "accepted and ignored");
    }

    #[test]
    fn assigned_user_email_null_unassigns() {
        let request = read(&json!({"assigned_user_email": null}), &bbox()).expect("valid");
        assert_eq!(request.assigned_user_email, Some(None));
        assert_eq!(
            errors(json!({"assigned_user_email": "geen-adres"})),
            json!({"assigned_user_email": ["Voer een geldig e-mailadres in."]})
        );
    }

    #[test]
    fn status_fields_nest_under_status() {
        assert_eq!(
            errors(json!({"status": {"text": "x"}})),
            json!({"status": {"state": ["Dit veld is vereist."]}})
        );
        assert_eq!(
            errors(json!({"status": {"state": "x"}})),
            json!({"status": {"state": ["\"x\" is een ongeldige keuze."]}})
        );
        assert_eq!(
            errors(
                json!({"status": {"state": "b", "target_api": "fax", "send_email": "misschien"}})
            ),
            json!({"status": {"target_api": ["\"fax\" is een ongeldige keuze."],
                              "send_email": ["Must be a valid boolean."]}})
        );
        assert_eq!(
            errors(json!({"status": {"state": "b", "email_override": "nee"}})),
            json!({"status": {"email_override": ["Voer een geldig e-mailadres in."]}})
        );
        assert_eq!(
            errors(json!({"status": "b"})),
            json!({"status": {"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een str."]}})
        );
        let long = "x".repeat(STATUS_TEXT_MAX_CHARS + 1);
        assert_eq!(
            errors(json!({"status": {"state": "b", "text": long}})),
            json!({"status": {"text": ["Zorg ervoor dat dit veld niet meer dan 10000 karakters bevat."]}})
        );
    }

    #[test]
    fn priority_and_type_rules() {
        assert_eq!(
            errors(json!({"priority": {"priority": "urgent"}})),
            json!({"priority": {"priority": ["\"urgent\" is een ongeldige keuze."]}})
        );
        assert_eq!(
            errors(json!({"type": {"code": "XYZ"}})),
            json!({"name": ["Waarde 'XYZ' is geen geldige keuze."]})
        );
        assert_eq!(
            errors(json!({"type": {"code": "ABCD"}})),
            json!({"type": {"code": ["Zorg ervoor dat dit veld niet meer dan 3 karakters bevat."]}})
        );
    }

    #[test]
    fn notes_are_a_list_of_texts_of_at_most_3000_characters() {
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(
            errors(json!({"notes": [{"text": "ok"}, {"text": long}, {}]})),
            json!({"notes": [{}, {"text": ["Zorg ervoor dat dit veld niet meer dan 3000 karakters bevat."]},
                             {"text": ["Dit veld is vereist."]}]})
        );
        assert_eq!(
            errors(json!({"notes": {"text": "x"}})),
            json!({"notes": {"non_field_errors": ["Verwachtte een lijst met items, maar kreeg type \"dict\"."]}})
        );
        assert_eq!(
            errors(json!({"notes": [{"text": ""}]})),
            json!({"notes": [{"text": ["Dit veld mag niet leeg zijn."]}]})
        );
    }

    #[test]
    fn department_ids_must_be_primary_keys() {
        assert_eq!(
            errors(json!({"routing_departments": [{"id": "x"}, {"id": 1}, {}]})),
            json!({"routing_departments": [
                {"id": ["Ongeldig type. Verwacht een pk-waarde, ontving str."]}, {},
                {"id": ["Dit veld is vereist."]}]})
        );
        assert_eq!(
            errors(json!({"directing_departments": 3})),
            json!({"directing_departments": {"non_field_errors": ["Verwachtte een lijst met items, maar kreeg type \"int\"."]}})
        );
        assert_eq!(
            errors(json!({"routing_departments": [{"id": 99999999999_i64}]})),
            json!({"routing_departments": [{"id": ["Ongeldige pk \"99999999999\" - object bestaat niet."]}]})
        );
    }

    #[test]
    fn location_and_category_use_the_create_rules() {
        assert_eq!(
            errors(
                json!({"location": {"geometrie": {"type": "Point", "coordinates": [0.0, 0.0]}}})
            ),
            json!({"location": {"geometrie": [signalen_domain::signal::GeometryError::OutsideBoundingBox.to_string()]}})
        );
        assert_eq!(
            errors(json!({"category": {}})),
            json!({"category": ["Either the \"sub_category\" OR the \"category_url\" must be given"]})
        );
    }

    #[test]
    fn ignored_keys_are_still_checked_and_all_errors_come_together() {
        assert_eq!(
            errors(json!({"text": "", "incident_date_start": "gisteren", "priority": {}})),
            json!({"text": ["Dit veld mag niet leeg zijn."],
                   "incident_date_start": [signalen_domain::signal::INVALID_DATETIME],
                   "priority": {"priority": ["Dit veld is vereist."]}})
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(
            errors(json!([1])),
            json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een list."]})
        );
        assert_eq!(
            errors(Value::Null),
            json!({"non_field_errors": ["No data provided"]})
        );
    }
}
