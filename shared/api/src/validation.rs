//! Request validation in the reference's shape (Django REST framework,
//! spec 05 §4.2): 400 with an object keyed by field name whose values are
//! lists of messages, or — for a nested object — the same shape again.
//! Object-level messages go under `non_field_errors`.
//!
//! [`fields`] reads JSON values the way the framework's fields do, with its
//! Dutch messages ([`messages`]), so a payload is refused with the same
//! texts the frontend knows.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value};

/// The key of object-level messages.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// The framework's messages (Dutch where its translation has them).
pub mod messages {
    pub const REQUIRED: &str = "Dit veld is vereist.";
    pub const NULL: &str = "Dit veld mag niet leeg zijn.";
    pub const BLANK: &str = "Dit veld mag niet leeg zijn.";
    pub const NOT_A_STRING: &str = "Not a valid string.";
    pub const NOT_A_BOOLEAN: &str = "Must be a valid boolean.";
    pub const NOT_A_UUID: &str = "Must be a valid UUID.";
    /// Django's `ProhibitNullCharactersValidator`, in Dutch.
    pub const NULL_CHARACTERS: &str = "Null-tekens zijn niet toegestaan.";
    /// A request body of JSON `null`.
    pub const NO_DATA: &str = "No data provided";

    pub fn max_length(max: usize) -> String {
        format!("Zorg ervoor dat dit veld niet meer dan {max} karakters bevat.")
    }

    /// `"<value>" is een ongeldige keuze.`
    pub fn invalid_choice(value: &str) -> String {
        format!("\"{value}\" is een ongeldige keuze.")
    }

    /// A nested object that is not one; `python_type` as Python names it.
    pub fn expected_dict(python_type: &str) -> String {
        format!("Ongeldige data. Verwacht een dictionary, kreeg een {python_type}.")
    }
}

/// The errors of one field: messages, or the errors of a nested object.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorDetail {
    Messages(Vec<String>),
    Fields(FieldErrors),
    /// A list field's errors, one object per item in input order (`{}`
    /// for an item without errors), as the framework's list serializer
    /// reports them.
    List(Vec<FieldErrors>),
}

impl ErrorDetail {
    pub fn message(message: impl Into<String>) -> Self {
        ErrorDetail::Messages(vec![message.into()])
    }

    /// A nested object's errors with a single object-level message.
    pub fn non_field(message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(NON_FIELD_ERRORS, message);
        ErrorDetail::Fields(errors)
    }

    pub fn into_json(self) -> Value {
        match self {
            ErrorDetail::Messages(messages) => {
                Value::Array(messages.into_iter().map(Value::String).collect())
            }
            ErrorDetail::Fields(fields) => fields.into_json(),
            ErrorDetail::List(items) => {
                Value::Array(items.into_iter().map(FieldErrors::into_json).collect())
            }
        }
    }
}

/// Field errors in insertion order (fill them in the serializer's field
/// order: clients show the first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldErrors(Vec<(String, ErrorDetail)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `{"non_field_errors": [message]}`.
    pub fn non_field(message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(NON_FIELD_ERRORS, message);
        errors
    }

    /// Sets the errors of `field`; messages for a field that has messages
    /// already are appended.
    pub fn insert(&mut self, field: &str, detail: ErrorDetail) {
        match (self.0.iter_mut().find(|(name, _)| name == field), detail) {
            (Some((_, ErrorDetail::Messages(existing))), ErrorDetail::Messages(more)) => {
                existing.extend(more);
            }
            (Some((_, existing)), detail) => *existing = detail,
            (None, detail) => self.0.push((field.to_owned(), detail)),
        }
    }

    /// Adds one message to `field`.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.insert(field, ErrorDetail::message(message));
    }

    /// Records the outcome of reading `field`: its value, or its errors.
    pub fn take<T>(&mut self, field: &str, result: Result<T, ErrorDetail>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(detail) => {
                self.insert(field, detail);
                None
            }
        }
    }

    /// The messages or nested errors of `field`.
    pub fn get(&self, field: &str) -> Option<&ErrorDetail> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, detail)| detail)
    }

    pub fn into_json(self) -> Value {
        Value::Object(
            self.0
                .into_iter()
                .map(|(name, detail)| (name, detail.into_json()))
                .collect::<Map<_, _>>(),
        )
    }
}

impl IntoResponse for FieldErrors {
    /// 400 with the errors as body.
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(self.into_json())).into_response()
    }
}

/// Python's name for the type of a JSON value, as framework messages
/// quote it (`kreeg een str`).
pub fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Readers for one field of a JSON object, each given the field's value
/// (`None` when the key is absent), as the framework's fields read it.
pub mod fields {
    use serde_json::{Map, Value};

    use super::{ErrorDetail, messages, python_type_name};

    /// What a string field accepts (`serializers.CharField`). Whitespace
    /// around the value is trimmed; numbers are taken as their text.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct CharField {
        pub required: bool,
        pub allow_null: bool,
        pub allow_blank: bool,
        pub max_chars: Option<usize>,
    }

    impl CharField {
        /// A field that must be given and not be blank.
        pub const fn required() -> Self {
            CharField {
                required: true,
                allow_null: false,
                allow_blank: false,
                max_chars: None,
            }
        }

        /// A field that may be left out, but not be null or blank.
        pub const fn optional() -> Self {
            CharField {
                required: false,
                ..Self::required()
            }
        }

        pub const fn max_chars(self, max: usize) -> Self {
            CharField {
                max_chars: Some(max),
                ..self
            }
        }

        pub const fn allow_null(self) -> Self {
            CharField {
                allow_null: true,
                ..self
            }
        }

        pub const fn allow_blank(self) -> Self {
            CharField {
                allow_blank: true,
                ..self
            }
        }

        /// `Ok(None)` when absent or null (where allowed); the trimmed text
        /// otherwise. Every validator's message is collected, in the
        /// framework's order (length, then NUL characters).
        pub fn read(&self, value: Option<&Value>) -> Result<Option<String>, ErrorDetail> {
            let value = match value {
                None if self.required => return Err(ErrorDetail::message(messages::REQUIRED)),
                None => return Ok(None),
                Some(Value::Null) if self.allow_null => return Ok(None),
                Some(Value::Null) => return Err(ErrorDetail::message(messages::NULL)),
                Some(value) => value,
            };
            let text = match value {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                _ => return Err(ErrorDetail::message(messages::NOT_A_STRING)),
            };
            if text.is_empty() {
                return if self.allow_blank {
                    Ok(Some(text))
                } else {
                    Err(ErrorDetail::message(messages::BLANK))
                };
            }
            let mut errors = Vec::new();
            if let Some(max) = self.max_chars.filter(|max| text.chars().count() > *max) {
                errors.push(messages::max_length(max));
            }
            if text.contains('\0') {
                errors.push(messages::NULL_CHARACTERS.to_owned());
            }
            if errors.is_empty() {
                Ok(Some(text))
            } else {
                Err(ErrorDetail::Messages(errors))
            }
        }
    }

    /// `serializers.BooleanField`: `true`/`false`, `1`/`0` and the strings
    /// `t`, `y`, `yes`, `true`, `on`, `1` (and their opposites) in any case.
    /// `Ok(None)` when absent.
    pub fn boolean(value: Option<&Value>, allow_null: bool) -> Result<Option<bool>, ErrorDetail> {
        let value = match value {
            None => return Ok(None),
            Some(Value::Null) if allow_null => return Ok(None),
            Some(Value::Null) => return Err(ErrorDetail::message(messages::NULL)),
            Some(value) => value,
        };
        match value {
            Value::Bool(b) => Ok(Some(*b)),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Some(true)),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Some(false)),
            Value::String(s) => match s.to_lowercase().as_str() {
                "t" | "y" | "yes" | "true" | "on" | "1" => Ok(Some(true)),
                "f" | "n" | "no" | "false" | "off" | "0" => Ok(Some(false)),
                "null" | "" if allow_null => Ok(None),
                _ => Err(ErrorDetail::message(messages::NOT_A_BOOLEAN)),
            },
            _ => Err(ErrorDetail::message(messages::NOT_A_BOOLEAN)),
        }
    }

    /// A nested serializer: an object, required and not null unless said
    /// otherwise. `Ok(None)` when absent (not required) or null (allowed).
    pub fn object(
        value: Option<&Value>,
        required: bool,
        allow_null: bool,
    ) -> Result<Option<&Map<String, Value>>, ErrorDetail> {
        match value {
            None if required => Err(ErrorDetail::message(messages::REQUIRED)),
            None => Ok(None),
            Some(Value::Null) if allow_null => Ok(None),
            Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(ErrorDetail::non_field(messages::expected_dict(
                python_type_name(other),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fields::{CharField, boolean, object};
    use super::*;

    #[test]
    fn errors_keep_their_order_and_nest() {
        let mut location = FieldErrors::new();
        location.push("geometrie", messages::REQUIRED);
        let mut errors = FieldErrors::new();
        errors.push("text", messages::BLANK);
        errors.insert("location", ErrorDetail::Fields(location));
        errors.push("text", "second");

        assert_eq!(
            errors.into_json().to_string(),
            r#"{"text":["Dit veld mag niet leeg zijn.","second"],"location":{"geometrie":["Dit veld is vereist."]}}"#
        );
    }

    #[test]
    fn a_char_field_reads_as_the_framework_does() {
        let text = CharField::required().max_chars(5);
        assert_eq!(
            text.read(Some(&json!("  abc "))),
            Ok(Some("abc".to_owned()))
        );
        assert_eq!(text.read(Some(&json!(12))), Ok(Some("12".to_owned())));
        assert_eq!(
            text.read(None),
            Err(ErrorDetail::message("Dit veld is vereist."))
        );
        assert_eq!(
            text.read(Some(&json!(null))),
            Err(ErrorDetail::message("Dit veld mag niet leeg zijn."))
        );
        assert_eq!(
            text.read(Some(&json!("   "))),
            Err(ErrorDetail::message("Dit veld mag niet leeg zijn."))
        );
        for not_text in [json!(true), json!([]), json!({})] {
            assert_eq!(
                text.read(Some(&not_text)),
                Err(ErrorDetail::message("Not a valid string.")),
                "{not_text}"
            );
        }
        assert_eq!(
            text.read(Some(&json!("abcdef\u{0}"))),
            Err(ErrorDetail::Messages(vec![
                "Zorg ervoor dat dit veld niet meer dan 5 karakters bevat.".to_owned(),
                "Null-tekens zijn niet toegestaan.".to_owned()
            ]))
        );
        assert_eq!(
            CharField::optional().allow_blank().read(Some(&json!(" "))),
            Ok(Some(String::new()))
        );
        assert_eq!(
            CharField::optional().allow_null().read(Some(&json!(null))),
            Ok(None)
        );
    }

    #[test]
    fn a_boolean_takes_the_frameworks_spellings() {
        for yes in [
            json!(true),
            json!(1),
            json!("True"),
            json!("yes"),
            json!("on"),
        ] {
            assert_eq!(boolean(Some(&yes), false), Ok(Some(true)), "{yes}");
        }
        for no in [json!(false), json!(0), json!("f"), json!("OFF")] {
            assert_eq!(boolean(Some(&no), false), Ok(Some(false)), "{no}");
        }
        assert_eq!(
            boolean(Some(&json!("misschien")), false),
            Err(ErrorDetail::message("Must be a valid boolean."))
        );
        assert_eq!(
            boolean(Some(&json!(null)), false),
            Err(ErrorDetail::message("Dit veld mag niet leeg zijn."))
        );
        assert_eq!(boolean(None, false), Ok(None));
    }

    #[test]
    fn a_nested_object_that_is_none_says_what_it_got() {
        assert_eq!(
            object(Some(&json!("x")), true, false)
                .map(|_| ())
                .map_err(ErrorDetail::into_json),
            Err(
                json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een str."]})
            )
        );
        assert_eq!(
            object(Some(&json!([1])), true, false)
                .map(|_| ())
                .map_err(ErrorDetail::into_json),
            Err(
                json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een list."]})
            )
        );
        assert!(object(None, true, false).is_err());
        assert_eq!(object(None, false, false), Ok(None));
        assert_eq!(python_type_name(&json!(1.5)), "float");
        assert_eq!(python_type_name(&json!(1)), "int");
    }
}
