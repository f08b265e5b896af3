//! Readers of the fields a signal's create and update bodies share (spec 03
//! §2.3–§2.6, 04 §3.2): location, category hyperlink, e-mail, date-time and
//! free JSON — the reference's serializer fields with their messages and
//! error shapes. A reader returns the field's value or its [`ErrorDetail`];
//! the caller files it under the key it was sent with.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use signalen_domain::signal::{
    AREA_FIELD_MAX_CHARS, Address, AddressError, BUURT_CODE_MAX_CHARS, BoundingBox,
    CATEGORY_TEXT_MAX_CHARS, EMAIL_MAX_CHARS, INVALID_DATETIME, INVALID_EMAIL, NewLocation, Point,
    Stadsdeel, SubCategoryLink, address_columns, contains_nul, derive_stadsdeel,
    hyperlink_incorrect_type, is_valid_email, parse_datetime,
};

use crate::validation::fields::{CharField, object};
use crate::validation::{ErrorDetail, FieldErrors, messages, python_type_name};

/// The location as sent, with its point read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationInput {
    pub point: Point,
    pub stadsdeel: Option<Stadsdeel>,
    pub buurt_code: Option<String>,
    pub area_type_code: Option<String>,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    pub address: Option<Value>,
    pub extra_properties: Option<Value>,
}

impl LocationInput {
    /// The location row to store (spec 01 §3.1): the district of the area of
    /// type `sia-stadsdeel` the point lies in (overriding what the client
    /// sent, see [`derive_stadsdeel`]), the default-type area the point lies
    /// in as `(type code, code, name)` (else what was sent), and the address
    /// texts computed from the address.
    pub fn into_new_location(
        self,
        stadsdeel_area_code: Option<&str>,
        default_area: Option<(String, String, String)>,
    ) -> NewLocation {
        let stadsdeel = derive_stadsdeel(stadsdeel_area_code, self.stadsdeel);
        let (area_type_code, area_code, area_name) = match default_area {
            Some((type_code, code, name)) => (Some(type_code), Some(code), Some(name)),
            None => (self.area_type_code, self.area_code, self.area_name),
        };
        let (address_text, postcode) = address_columns(self.address.as_ref());
        NewLocation {
            point: self.point,
            stadsdeel,
            buurt_code: self.buurt_code,
            area_type_code,
            area_code,
            area_name,
            address: self.address,
            address_text,
            postcode,
            extra_properties: self.extra_properties,
        }
    }
}

/// The category hyperlink and the key it was sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInput {
    pub link: SubCategoryLink,
    /// `sub_category` or `category_url`.
    pub key: &'static str,
    pub text: Option<String>,
}

impl CategoryInput {
    /// The refusal of a link that names no category.
    pub fn does_not_exist(&self) -> ErrorDetail {
        let mut errors = FieldErrors::new();
        errors.push(
            self.key,
            signalen_domain::signal::HyperlinkError::DoesNotExist.to_string(),
        );
        ErrorDetail::Fields(errors)
    }
}

/// The nested object of a required field, or its refusal.
pub fn nested(value: Option<&Value>) -> Result<&Map<String, Value>, ErrorDetail> {
    object(value, true, false)?.ok_or_else(|| ErrorDetail::message(messages::REQUIRED))
}

/// Finishes a nested object: its value when no field was refused.
pub fn finish<T>(errors: FieldErrors, value: impl FnOnce() -> Option<T>) -> Result<T, ErrorDetail> {
    if !errors.is_empty() {
        return Err(ErrorDetail::Fields(errors));
    }
    value().ok_or_else(|| ErrorDetail::message(messages::REQUIRED))
}

pub fn location(
    value: Option<&Value>,
    bounding_box: &BoundingBox,
) -> Result<LocationInput, ErrorDetail> {
    let map = nested(value)?;
    let mut errors = FieldErrors::new();
    let area = CharField::optional()
        .allow_null()
        .max_chars(AREA_FIELD_MAX_CHARS);
    let stadsdeel = errors.take("stadsdeel", stadsdeel(map.get("stadsdeel")));
    let buurt_code = errors.take(
        "buurt_code",
        CharField::optional()
            .allow_null()
            .max_chars(BUURT_CODE_MAX_CHARS)
            .read(map.get("buurt_code")),
    );
    let area_type_code = errors.take("area_type_code", area.read(map.get("area_type_code")));
    let area_code = errors.take("area_code", area.read(map.get("area_code")));
    let area_name = errors.take("area_name", area.read(map.get("area_name")));
    let address = errors.take("address", address(map.get("address")));
    let point = errors.take("geometrie", geometrie(map.get("geometrie"), bounding_box));
    let extra_properties = errors.take(
        "extra_properties",
        storable_json(map.get("extra_properties")),
    );
    finish(errors, || {
        Some(LocationInput {
            point: point?,
            stadsdeel: stadsdeel?,
            buurt_code: buurt_code?,
            area_type_code: area_type_code?,
            area_code: area_code?,
            area_name: area_name?,
            address: address?,
            extra_properties: extra_properties?,
        })
    })
}

/// A choice field: one of the district codes, or null.
pub fn stadsdeel(value: Option<&Value>) -> Result<Option<Stadsdeel>, ErrorDetail> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let text = python_str(value);
            Stadsdeel::from_code(&text)
                .map(Some)
                .ok_or_else(|| ErrorDetail::message(messages::invalid_choice(&text)))
        }
    }
}

/// How Python's `str()` shows a JSON value in a message.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// An address object (or null), stored as sent once it passes
/// [`Address::check`].
pub fn address(value: Option<&Value>) -> Result<Option<Value>, ErrorDetail> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let Value::Object(map) = value else {
        return Err(ErrorDetail::message(messages::expected_dict(
            python_type_name(value),
        )));
    };
    if contains_nul(value) {
        return Err(ErrorDetail::message(messages::NULL_CHARACTERS));
    }
    let problems = Address(map).check();
    if problems.is_empty() {
        return Ok(Some(value.clone()));
    }
    if let [AddressError::TooLong] = problems.as_slice() {
        return Err(ErrorDetail::message(AddressError::TooLong.to_string()));
    }
    let mut errors = FieldErrors::new();
    for problem in problems {
        if let Some(key) = problem.key() {
            errors.push(key, problem.to_string());
        }
    }
    Err(ErrorDetail::Fields(errors))
}

pub fn geometrie(value: Option<&Value>, bounding_box: &BoundingBox) -> Result<Point, ErrorDetail> {
    match value {
        None => Err(ErrorDetail::message(messages::REQUIRED)),
        Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
        Some(value) => Point::from_geometrie(value, bounding_box)
            .map_err(|error| ErrorDetail::message(error.to_string())),
    }
}

/// Free JSON (a `JSONField`): anything PostgreSQL's `jsonb` can store.
pub fn storable_json(value: Option<&Value>) -> Result<Option<Value>, ErrorDetail> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) if contains_nul(value) => Err(ErrorDetail::message(messages::NULL_CHARACTERS)),
        Some(value) => Ok(Some(value.clone())),
    }
}

pub fn category(value: Option<&Value>) -> Result<CategoryInput, ErrorDetail> {
    let map = nested(value)?;
    let key = match (
        map.contains_key("sub_category"),
        map.contains_key("category_url"),
    ) {
        (false, false) => {
            return Err(ErrorDetail::message(
                "Either the \"sub_category\" OR the \"category_url\" must be given",
            ));
        }
        (true, true) => {
            return Err(ErrorDetail::message(
                "Only the \"sub_category\" OR \"category_url\" can be given",
            ));
        }
        (true, false) => "sub_category",
        (false, true) => "category_url",
    };
    let mut errors = FieldErrors::new();
    let link = errors.take(key, hyperlink(map.get(key)));
    let text = errors.take(
        "text",
        CharField::optional()
            .max_chars(CATEGORY_TEXT_MAX_CHARS)
            .read(map.get("text")),
    );
    finish(errors, || {
        Some(CategoryInput {
            link: link?,
            key,
            text: text?,
        })
    })
}

/// A hyperlinked related field: empty counts as null.
pub fn hyperlink(value: Option<&Value>) -> Result<SubCategoryLink, ErrorDetail> {
    match value {
        None | Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
        Some(Value::String(link)) if link.is_empty() => Err(ErrorDetail::message(messages::NULL)),
        Some(Value::String(link)) => {
            SubCategoryLink::parse(link).map_err(|error| ErrorDetail::message(error.to_string()))
        }
        Some(other) => Err(ErrorDetail::message(hyperlink_incorrect_type(
            python_type_name(other),
        ))),
    }
}

/// An e-mail field that may be blank or null (both stored as NULL); all of
/// its validators' messages, in the framework's order.
pub fn email(value: Option<&Value>) -> Result<Option<String>, ErrorDetail> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(ErrorDetail::message(messages::NOT_A_STRING)),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let mut problems = Vec::new();
    if text.chars().count() > EMAIL_MAX_CHARS {
        problems.push(messages::max_length(EMAIL_MAX_CHARS));
    }
    if text.contains('\0') {
        problems.push(messages::NULL_CHARACTERS.to_owned());
    }
    if !is_valid_email(&text) {
        problems.push(INVALID_EMAIL.to_owned());
    }
    if problems.is_empty() {
        Ok(Some(text))
    } else {
        Err(ErrorDetail::Messages(problems))
    }
}

/// A date-time field (`serializers.DateTimeField`).
pub fn datetime(
    value: Option<&Value>,
    required: bool,
    allow_null: bool,
) -> Result<Option<DateTime<Utc>>, ErrorDetail> {
    match value {
        None if required => Err(ErrorDetail::message(messages::REQUIRED)),
        None => Ok(None),
        Some(Value::Null) if allow_null => Ok(None),
        Some(Value::Null) => Err(ErrorDetail::message(messages::NULL)),
        Some(Value::String(text)) => parse_datetime(text)
            .map(Some)
            .ok_or_else(|| ErrorDetail::message(INVALID_DATETIME)),
        Some(_) => Err(ErrorDetail::message(INVALID_DATETIME)),
    }
}
