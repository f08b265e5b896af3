//! The body of `POST /signals/v1/public/signals/` (spec 03 §2.1–§2.8), read
//! field by field as the reference's `PublicSignalCreateSerializer` reads
//! it, with its messages and error shapes.
//!
//! Reading happens in two steps, as in the reference: every field is read
//! ([`CreateSignalFields::read`]) and the lookups that need the database
//! (category, source) may refuse a field afterwards; only when no field is
//! refused do the object-level checks run — unknown keys, then the
//! questionnaire session ([`CreateSignalFields::into_request`]).

use chrono::{DateTime, Utc};
use serde_json::Value;
use signalen_api::signal_fields::{
    CategoryInput, LocationInput, category, datetime, email, finish, location, nested,
    storable_json,
};
use signalen_api::validation::fields::{CharField, boolean};
use signalen_api::validation::{ErrorDetail, FieldErrors, messages, python_type_name};
use signalen_domain::signal::{
    BoundingBox, INVALID_EXTRA_PROPERTIES, NewReporter, PHONE_MAX_CHARS, TEXT_EXTRA_MAX_CHARS,
    TEXT_MAX_CHARS, extra_properties_are_valid,
};
use uuid::Uuid;

/// The keys the endpoint accepts, in the serializer's field order (the
/// order errors are reported in).
pub const FIELDS: [&str; 10] = [
    "source",
    "text",
    "text_extra",
    "location",
    "category",
    "reporter",
    "incident_date_start",
    "incident_date_end",
    "extra_properties",
    "session",
];

/// The reference's message for a source that is not an active public one.
pub const UNKNOWN_SOURCE: &str = "Invalid source given, value not known";
/// No questionnaire session exists here (questionnaires are another writer's).
pub const UNKNOWN_SESSION: &str = "Session matching query does not exist.";

/// Every field of the body, read or refused.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSignalFields {
    /// `None`: not sent (the default source).
    pub source: Result<Option<String>, ErrorDetail>,
    pub text: Result<String, ErrorDetail>,
    pub text_extra: Result<String, ErrorDetail>,
    pub location: Result<LocationInput, ErrorDetail>,
    pub category: Result<CategoryInput, ErrorDetail>,
    pub reporter: Result<NewReporter, ErrorDetail>,
    pub incident_date_start: Result<DateTime<Utc>, ErrorDetail>,
    pub incident_date_end: Result<Option<DateTime<Utc>>, ErrorDetail>,
    pub extra_properties: Result<Option<Value>, ErrorDetail>,
    pub session: Result<Option<Uuid>, ErrorDetail>,
    /// Keys outside [`FIELDS`], in the order sent.
    pub unknown_keys: Vec<String>,
}

/// A body that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSignalRequest {
    pub source: Option<String>,
    pub text: String,
    pub text_extra: String,
    pub location: LocationInput,
    pub category: CategoryInput,
    pub reporter: NewReporter,
    pub incident_date_start: DateTime<Utc>,
    pub incident_date_end: Option<DateTime<Utc>>,
    pub extra_properties: Option<Value>,
}

impl CreateSignalFields {
    /// Reads every field of `body`; a body that is not an object is refused
    /// as a whole.
    pub fn read(body: &Value, bounding_box: &BoundingBox) -> Result<Self, FieldErrors> {
        let body = match body {
            Value::Object(body) => body,
            Value::Null => return Err(FieldErrors::non_field(messages::NO_DATA)),
            other => {
                return Err(FieldErrors::non_field(messages::expected_dict(
                    python_type_name(other),
                )));
            }
        };
        let field = |name: &str| body.get(name);
        Ok(CreateSignalFields {
            source: CharField::optional().read(field("source")),
            text: CharField::required()
                .max_chars(TEXT_MAX_CHARS)
                .read(field("text"))
                .map(Option::unwrap_or_default),
            text_extra: CharField::optional()
                .allow_blank()
                .max_chars(TEXT_EXTRA_MAX_CHARS)
                .read(field("text_extra"))
                .map(Option::unwrap_or_default),
            location: location(field("location"), bounding_box),
            category: category(field("category")),
            reporter: reporter(field("reporter")),
            incident_date_start: datetime(field("incident_date_start"), true, false)
                .and_then(|at| at.ok_or_else(|| ErrorDetail::message(messages::REQUIRED))),
            incident_date_end: datetime(field("incident_date_end"), false, true),
            extra_properties: extra_properties(field("extra_properties")),
            session: session(field("session")),
            unknown_keys: body
                .keys()
                .filter(|key| !FIELDS.contains(&key.as_str()))
                .cloned()
                .collect(),
        })
    }

    /// Whether the body can still pass: no field refused, no unknown key,
    /// no session (the database may still refuse category or source).
    pub fn may_pass(&self) -> bool {
        self.source.is_ok()
            && self.text.is_ok()
            && self.text_extra.is_ok()
            && self.location.is_ok()
            && self.category.is_ok()
            && self.reporter.is_ok()
            && self.incident_date_start.is_ok()
            && self.incident_date_end.is_ok()
            && self.extra_properties.is_ok()
            && matches!(self.session, Ok(None))
            && self.unknown_keys.is_empty()
    }

    /// The request, or the errors: field errors first (all of them, in
    /// field order); then unknown keys; then the session.
    pub fn into_request(self) -> Result<CreateSignalRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let source = errors.take("source", self.source);
        let text = errors.take("text", self.text);
        let text_extra = errors.take("text_extra", self.text_extra);
        let location = errors.take("location", self.location);
        let category = errors.take("category", self.category);
        let reporter = errors.take("reporter", self.reporter);
        let incident_date_start = errors.take("incident_date_start", self.incident_date_start);
        let incident_date_end = errors.take("incident_date_end", self.incident_date_end);
        let extra_properties = errors.take("extra_properties", self.extra_properties);
        let session = errors.take("session", self.session);
        let (
            Some(source),
            Some(text),
            Some(text_extra),
            Some(location),
            Some(category),
            Some(reporter),
            Some(incident_date_start),
            Some(incident_date_end),
            Some(extra_properties),
            Some(session),
        ) = (
            source,
            text,
            text_extra,
            location,
            category,
            reporter,
            incident_date_start,
            incident_date_end,
            extra_properties,
            session,
        )
        else {
            return Err(errors);
        };
        if !self.unknown_keys.is_empty() {
            return Err(FieldErrors::non_field(format!(
                "Extra properties present: {}",
                self.unknown_keys.join(", ")
            )));
        }
        if session.is_some() {
            let mut errors = FieldErrors::new();
            errors.push("session", UNKNOWN_SESSION);
            return Err(errors);
        }
        Ok(CreateSignalRequest {
            source,
            text,
            text_extra,
            location,
            category,
            reporter,
            incident_date_start,
            incident_date_end,
            extra_properties,
        })
    }
}

fn reporter(value: Option<&Value>) -> Result<NewReporter, ErrorDetail> {
    let map = nested(value)?;
    let mut errors = FieldErrors::new();
    let email = errors.take("email", email(map.get("email")));
    let phone = errors.take(
        "phone",
        CharField::optional()
            .allow_null()
            .allow_blank()
            .max_chars(PHONE_MAX_CHARS)
            .read(map.get("phone"))
            .map(|phone| phone.filter(|p| !p.is_empty())),
    );
    let sharing_allowed = errors.take(
        "sharing_allowed",
        boolean(map.get("sharing_allowed"), false),
    );
    finish(errors, || {
        Some(NewReporter {
            email: email?,
            phone: phone?,
            sharing_allowed: sharing_allowed?.unwrap_or(false),
        })
    })
}

fn extra_properties(value: Option<&Value>) -> Result<Option<Value>, ErrorDetail> {
    let Some(value) = storable_json(value)? else {
        return Ok(None);
    };
    if extra_properties_are_valid(&value) {
        Ok(Some(value))
    } else {
        Err(ErrorDetail::message(INVALID_EXTRA_PROPERTIES))
    }
}

/// A questionnaire session's UUID, or null. As Python's `uuid.UUID`, a
/// non-negative integer counts too.
fn session(value: Option<&Value>) -> Result<Option<Uuid>, ErrorDetail> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Uuid::parse_str(text)
            .map(Some)
            .map_err(|_| ErrorDetail::message(messages::NOT_A_UUID)),
        Some(Value::Number(n)) if n.is_u64() => {
            Ok(n.as_u64().map(|n| Uuid::from_u128(u128::from(n))))
        }
        Some(_) => Err(ErrorDetail::message(messages::NOT_A_UUID)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use signalen_domain::signal::{INVALID_DATETIME, Stadsdeel};

    use super::*;

    const SUB: &str =
        "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil";

    /// The body of spec 03 §2.1.
    fn body() -> Value {
        json!({
            "text": "Naast de container ligt een grote berg afval.",
            "text_extra": "",
            "location": {
                "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                            "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"},
                "stadsdeel": "A",
                "buurt_code": "A04i",
                "extra_properties": null
            },
            "category": {"sub_category": SUB},
            "reporter": {"email": "melder@example.com", "phone": "0612345678", "sharing_allowed": true},
            "incident_date_start": "2024-03-01T09:30:00+01:00",
            "incident_date_end": null,
            "extra_properties": [{
                "id": "extra_container_kind", "label": "Wat voor container is het?",
                "answer": {"id": "rest", "label": "Restafval"},
                "category_url": "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
            }],
            "source": "online",
            "session": null
        })
    }

    fn read(body: &Value) -> Result<CreateSignalRequest, Value> {
        CreateSignalFields::read(body, &BoundingBox::default())
            .and_then(CreateSignalFields::into_request)
            .map_err(FieldErrors::into_json)
    }

    fn errors(body: Value) -> Value {
        read(&body).expect_err("refused")
    }

    fn with(pointer: &str, value: Value) -> Value {
        let mut body = body();
        *body.pointer_mut(pointer).expect("pointer") = value;
        body
    }

    fn without(key: &str) -> Value {
        let mut body = body();
        body.as_object_mut().expect("object").remove(key);
        body
    }

    #[test]
    fn the_example_of_the_spec_is_read_whole() {
        let request = read(&body()).expect("valid");

        assert_eq!(
            request.text,
            "Naast de container ligt een grote berg afval."
        );
        assert_eq!(request.source.as_deref(), Some("online"));
        assert_eq!(request.location.stadsdeel, Some(Stadsdeel::Centrum));
        assert_eq!(request.location.point.lon, 4.90022563);
        assert_eq!(request.category.link.sub_slug, "grofvuil");
        assert_eq!(request.category.key, "sub_category");
        assert_eq!(
            request.reporter,
            NewReporter {
                email: Some("melder@example.com".to_owned()),
                phone: Some("0612345678".to_owned()),
                sharing_allowed: true
            }
        );
        assert_eq!(
            request.incident_date_start.to_rfc3339(),
            "2024-03-01T08:30:00+00:00"
        );
        assert!(request.extra_properties.is_some());
    }

    #[test]
    fn the_frontends_minimal_body_is_read() {
        let body = json!({
            "text": "De container lijkt stuk",
            "category": {"sub_category": SUB},
            "reporter": {"sharing_allowed": false},
            "location": {"geometrie": {"type": "Point", "coordinates": [4.9006, 52.3732]}},
            "incident_date_start": "2024-03-01T10:15:30+01:00"
        });
        let request = read(&body).expect("valid");
        assert_eq!(request.source, None);
        assert_eq!(request.text_extra, "");
        assert_eq!(request.reporter, NewReporter::default());
        assert_eq!(request.location.address, None);
    }

    #[test]
    fn missing_required_fields_are_each_reported_in_field_order() {
        assert_eq!(
            errors(json!({})),
            json!({
                "text": ["Dit veld is vereist."],
                "location": ["Dit veld is vereist."],
                "category": ["Dit veld is vereist."],
                "reporter": ["Dit veld is vereist."],
                "incident_date_start": ["Dit veld is vereist."]
            })
        );
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            errors(with("/text", json!(""))),
            json!({"text": ["Dit veld mag niet leeg zijn."]})
        );
        assert_eq!(
            errors(with("/text", json!("x".repeat(3001)))),
            json!({"text": ["Zorg ervoor dat dit veld niet meer dan 3000 karakters bevat."]})
        );
        assert!(
            read(&with("/text", json!("é".repeat(3000)))).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            errors(with("/text", json!(["a"]))),
            json!({"text": ["Not a valid string."]})
        );
        assert_eq!(
            errors(with("/text_extra", json!("x".repeat(10_001)))),
            json!({"text_extra": ["Zorg ervoor dat dit veld niet meer dan 10000 karakters bevat."]})
        );
        assert_eq!(
            errors(with("/text", json!("a\u{0}b"))),
            json!({"text": ["Null-tekens zijn niet toegestaan."]})
        );
    }

    #[test]
    fn location_rules_nest_under_location() {
        assert_eq!(
            errors(with(
                "/location/geometrie",
                json!({"type": "Point", "coordinates": [52.37, 4.9]})
            )),
            json!({"location": {"geometrie": ["The location coordinates (WS84) are not inside the bounding box we are accepting signals for."]}})
        );
        let mut no_point = body();
        no_point["location"]
            .as_object_mut()
            .expect("location")
            .remove("geometrie");
        assert_eq!(
            errors(no_point),
            json!({"location": {"geometrie": ["Dit veld is vereist."]}})
        );
        assert_eq!(
            errors(with("/location", json!("Amstel 1"))),
            json!({"location": {"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een str."]}})
        );
        assert_eq!(
            errors(with("/location", json!(null))),
            json!({"location": ["Dit veld mag niet leeg zijn."]})
        );
        assert_eq!(
            errors(with("/location/stadsdeel", json!("X"))),
            json!({"location": {"stadsdeel": ["\"X\" is een ongeldige keuze."]}})
        );
        assert_eq!(
            errors(with("/location/buurt_code", json!("A04ix"))),
            json!({"location": {"buurt_code": ["Zorg ervoor dat dit veld niet meer dan 4 karakters bevat."]}})
        );
        assert_eq!(
            errors(with("/location/address", json!({"postcode": "1011PN"}))),
            json!({"location": {"address": {"openbare_ruimte": ["Dit veld is vereist."], "huisnummer": ["Dit veld is vereist."]}}})
        );
        assert_eq!(
            errors(with(
                "/location/geometrie",
                json!({"type": "Point", "coordinates": ["x", 1]})
            )),
            json!({"location": {"geometrie": ["Invalid format: string or unicode input unrecognized as GeoJSON, WKT EWKT or HEXEWKB."]}})
        );
        assert_eq!(
            errors(with("/location/extra_properties", json!({"a": "\u{0}"}))),
            json!({"location": {"extra_properties": ["Null-tekens zijn niet toegestaan."]}})
        );
    }

    #[test]
    fn category_rules() {
        assert_eq!(
            errors(with("/category", json!({}))),
            json!({"category": ["Either the \"sub_category\" OR the \"category_url\" must be given"]})
        );
        assert_eq!(
            errors(with(
                "/category",
                json!({"sub_category": SUB, "category_url": SUB})
            )),
            json!({"category": ["Only the \"sub_category\" OR \"category_url\" can be given"]})
        );
        assert_eq!(
            errors(with(
                "/category/sub_category",
                json!("https://api.example.org/signals/v1/public/terms/categories/afval")
            )),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Ongeldige URL"]}})
        );
        assert_eq!(
            errors(with("/category/sub_category", json!("/elders"))),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Geen overeenkomende URL."]}})
        );
        assert_eq!(
            errors(with("/category/sub_category", json!(12))),
            json!({"category": {"sub_category": ["Ongeldig type. Verwacht een URL, ontving int."]}})
        );
        assert_eq!(
            errors(with("/category/sub_category", json!(""))),
            json!({"category": {"sub_category": ["Dit veld mag niet leeg zijn."]}})
        );
        let by_url = read(&with(
            "/category",
            json!({"category_url": SUB, "text": "Toelichting"}),
        ))
        .expect("category_url works too");
        assert_eq!(by_url.category.key, "category_url");
        assert_eq!(by_url.category.text.as_deref(), Some("Toelichting"));
        assert_eq!(
            errors(with("/category", json!({"sub_category": SUB, "text": ""}))),
            json!({"category": {"text": ["Dit veld mag niet leeg zijn."]}})
        );
    }

    #[test]
    fn reporter_rules() {
        assert_eq!(
            errors(with("/reporter/email", json!("geen-adres"))),
            json!({"reporter": {"email": ["Voer een geldig e-mailadres in."]}})
        );
        assert_eq!(
            errors(with("/reporter/phone", json!("0".repeat(18)))),
            json!({"reporter": {"phone": ["Zorg ervoor dat dit veld niet meer dan 17 karakters bevat."]}})
        );
        assert_eq!(
            errors(with("/reporter/sharing_allowed", json!("misschien"))),
            json!({"reporter": {"sharing_allowed": ["Must be a valid boolean."]}})
        );
        let blank = read(&with(
            "/reporter",
            json!({"email": "", "phone": "", "allows_contact": false}),
        ))
        .expect("blank contact details");
        assert_eq!(blank.reporter, NewReporter::default());
        let trimmed =
            read(&with("/reporter/email", json!(" melder@example.com "))).expect("trimmed");
        assert_eq!(
            trimmed.reporter.email.as_deref(),
            Some("melder@example.com")
        );
        let long = format!("{}@example.com", "a".repeat(320));
        assert_eq!(
            errors(with("/reporter/email", json!(long))),
            json!({"reporter": {"email": [
                "Zorg ervoor dat dit veld niet meer dan 254 karakters bevat.",
                "Voer een geldig e-mailadres in."
            ]}})
        );
    }

    #[test]
    fn dates_extra_properties_source_and_session() {
        assert_eq!(
            errors(with("/incident_date_start", json!("gisteren"))),
            json!({"incident_date_start": [INVALID_DATETIME]})
        );
        assert_eq!(
            errors(with("/incident_date_start", json!(null))),
            json!({"incident_date_start": ["Dit veld mag niet leeg zijn."]})
        );
        assert_eq!(
            errors(with("/extra_properties", json!({}))),
            json!({"extra_properties": ["Invalid input."]})
        );
        assert!(read(&with("/extra_properties", json!(null))).is_ok());
        assert_eq!(
            errors(with("/source", json!(""))),
            json!({"source": ["Dit veld mag niet leeg zijn."]})
        );
        assert_eq!(
            errors(with("/session", json!("geen-uuid"))),
            json!({"session": ["Must be a valid UUID."]})
        );
        assert_eq!(
            errors(with(
                "/session",
                json!("6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77")
            )),
            json!({"session": ["Session matching query does not exist."]})
        );
    }

    #[test]
    fn unknown_keys_are_refused_only_once_every_field_is_valid() {
        let mut body = body();
        body["priority"] = json!({"priority": "high"});
        body["type"] = json!({"code": "REQ"});
        assert_eq!(
            errors(body.clone()),
            json!({"non_field_errors": ["Extra properties present: priority, type"]})
        );
        body["text"] = json!("");
        assert_eq!(
            errors(body),
            json!({"text": ["Dit veld mag niet leeg zijn."]})
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_as_a_whole() {
        assert_eq!(
            errors(json!([1])),
            json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een list."]})
        );
        assert_eq!(
            errors(json!(null)),
            json!({"non_field_errors": ["No data provided"]})
        );
    }

    #[test]
    fn several_fields_are_refused_at_once() {
        let mut body = without("text");
        body["reporter"]["email"] = json!("x");
        body["location"]["geometrie"] = json!(null);
        assert_eq!(
            errors(body),
            json!({
                "text": ["Dit veld is vereist."],
                "location": {"geometrie": ["Dit veld mag niet leeg zijn."]},
                "reporter": {"email": ["Voer een geldig e-mailadres in."]}
            })
        );
    }
}
