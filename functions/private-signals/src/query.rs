//! The list's query string (spec 04 §2.1) read as the reference's filter
//! set reads it: each parameter against its fixed choices or its type,
//! with the framework's Dutch messages; the values whose choices live in
//! the database are checked in one query, in [`check_choices`].
//!
//! Single-valued parameters take their last value, repeatable ones every
//! value (comma-joined values are not split, 05 §5.1). Empty values are
//! ignored, as the framework ignores an empty single value. Errors are
//! reported per parameter, in the filter set's declaration order, each
//! with the first value that failed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use signalen_api::validation::FieldErrors;
use signalen_domain::deadline::Punctuality;
use signalen_domain::signal::{Stadsdeel, parse_datetime};
use signalen_domain::status::State;
use signalen_infra::pg::GenericClient;
use signalen_infra::pg::signal_read::{
    self, ChoiceValues, CodesOrNull, ContactDetails, FeedbackFilter, Kinds, SignalFilter,
    SortField, SortKey,
};

/// The filter set's parameters in declaration order (errors keep it).
const FIELDS: [&str; 30] = [
    "id",
    "address_text",
    "area_code",
    "area_type_code",
    "buurt_code",
    "category_id",
    "category_slug",
    "contact_details",
    "created_before",
    "directing_department",
    "created_after",
    "feedback",
    "has_changed_children",
    "kind",
    "incident_date",
    "incident_date_before",
    "incident_date_after",
    "maincategory_slug",
    "note_keyword",
    "priority",
    "source",
    "stadsdeel",
    "status",
    "type",
    "updated_before",
    "updated_after",
    "assigned_user_email",
    "reporter_email",
    "routing_department_code",
    "punctuality",
];

const NULL: &str = "null";
const INVALID_NUMBER: &str = "Voer een getal in.";
const INVALID_DATETIME: &str = "Voer een geldige datum/tijd in.";
const INVALID_DATE: &str = "Voer een geldige datum in.";

pub fn invalid_choice(value: &str) -> String {
    format!("Selecteer een geldige keuze. {value} is geen beschikbare keuze.")
}

/// The query string's values per parameter, in order.
struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    fn parse(query: Option<&str>) -> Self {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            map.entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Params(map)
    }

    /// Every non-empty value of a repeatable parameter.
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .map(|values| {
                values
                    .iter()
                    .map(String::as_str)
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The last value of a single-valued parameter, trimmed; `None` when
    /// absent or blank.
    fn last(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.last())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Field errors collected out of order, reported in [`FIELDS`] order.
#[derive(Default)]
pub struct Errors(BTreeMap<usize, (&'static str, String)>);

impl Errors {
    fn add(&mut self, field: &'static str, message: String) {
        let position = FIELDS
            .iter()
            .position(|f| *f == field)
            .unwrap_or(FIELDS.len());
        self.0.entry(position).or_insert((field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_field_errors(self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for (_, (field, message)) in self.0 {
            errors.push(field, message);
        }
        errors
    }
}

/// A list request read from its query string, before the database checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub filter: SignalFilter,
    pub ordering: Vec<SortKey>,
    /// Values to check against the database.
    pub choices: ChoiceValues,
}

/// Reads every filter and the ordering, with the errors of the parameters
/// that do not need the database.
pub fn read(query: Option<&str>) -> (ListRequest, Errors) {
    let params = Params::parse(query);
    let mut errors = Errors::default();
    let mut filter = SignalFilter::default();
    let mut choices = ChoiceValues::default();

    if let Some(raw) = params.last("id") {
        match read_id(raw) {
            Some(Some(id)) => filter.id = Some(id),
            Some(None) => filter.id_matches_nothing = true,
            None => errors.add("id", INVALID_NUMBER.to_owned()),
        }
    }
    filter.address_text = params.last("address_text").map(str::to_owned);

    filter.area_code = codes_or_null(&params.all("area_code"));
    choices.area_code = filter.area_code.codes.clone();
    filter.area_type_code = codes_or_null(
        &params
            .last("area_type_code")
            .into_iter()
            .collect::<Vec<_>>(),
    );
    choices.area_type_code = filter.area_type_code.codes.clone();
    filter.buurt_code = owned(&params.all("buurt_code"));
    choices.buurt_code = filter.buurt_code.clone();

    for raw in params.all("category_id") {
        match raw.parse::<i32>() {
            Ok(id) if id.to_string() == raw => filter.category_id.push(id),
            _ => {
                errors.add("category_id", invalid_choice(raw));
                break;
            }
        }
    }
    choices.category_id = filter.category_id.clone();
    filter.category_slug = owned(&params.all("category_slug"));
    filter.maincategory_slug = owned(&params.all("maincategory_slug"));
    choices.category_slug = filter.category_slug.clone();
    choices.maincategory_slug = filter.maincategory_slug.clone();

    match fixed_choices(&params.all("contact_details"), &["none", "email", "phone"]) {
        Ok(values) => {
            filter.contact_details = ContactDetails {
                email: values.contains("email"),
                phone: values.contains("phone"),
                none: values.contains("none"),
            }
        }
        Err(message) => errors.add("contact_details", message),
    }

    for (name, target) in [
        ("created_before", &mut filter.created_before),
        ("created_after", &mut filter.created_after),
        ("updated_before", &mut filter.updated_before),
        ("updated_after", &mut filter.updated_after),
    ] {
        if let Some(raw) = params.last(name) {
            match parse_datetime(raw) {
                Some(at) => *target = Some(at),
                None => errors.add(name, INVALID_DATETIME.to_owned()),
            }
        }
    }
    for (name, target) in [
        ("incident_date", &mut filter.incident_date),
        ("incident_date_before", &mut filter.incident_date_before),
        ("incident_date_after", &mut filter.incident_date_after),
    ] {
        if let Some(raw) = params.last(name) {
            match read_date(raw) {
                Some(date) => *target = Some(date),
                None => errors.add(name, INVALID_DATE.to_owned()),
            }
        }
    }

    filter.directing_department = codes_or_null(&params.all("directing_department"));
    filter.routing_department_code = codes_or_null(&params.all("routing_department_code"));
    let mut departments: BTreeSet<String> = BTreeSet::new();
    departments.extend(filter.directing_department.codes.iter().cloned());
    departments.extend(filter.routing_department_code.codes.iter().cloned());
    choices.department_code = departments.into_iter().collect();

    if let Some(raw) = params.last("feedback") {
        filter.feedback = Some(match raw {
            "satisfied" => FeedbackFilter::Satisfied,
            "not_satisfied" => FeedbackFilter::NotSatisfied,
            "not_received" => FeedbackFilter::NotReceived,
            other => {
                errors.add("feedback", invalid_choice(other));
                FeedbackFilter::NotReceived
            }
        });
    }

    let mut changed = (false, false);
    for raw in params.all("has_changed_children") {
        match raw {
            "true" | "True" | "1" => changed.0 = true,
            "false" | "False" | "0" => changed.1 = true,
            other => {
                errors.add("has_changed_children", invalid_choice(other));
                break;
            }
        }
    }
    if changed != (false, false) {
        filter.has_changed_children = Some(changed);
    }

    match fixed_choices(
        &params.all("kind"),
        &[
            "signal",
            "parent_signal",
            "child_signal",
            "exclude_parent_signal",
        ],
    ) {
        Ok(values) => {
            filter.kind = Kinds {
                signal: values.contains("signal"),
                parent_signal: values.contains("parent_signal"),
                child_signal: values.contains("child_signal"),
                exclude_parent_signal: values.contains("exclude_parent_signal"),
            }
        }
        Err(message) => errors.add("kind", message),
    }

    filter.note_keyword = params.last("note_keyword").map(str::to_owned);

    match fixed_choices(&params.all("priority"), &["low", "normal", "high"]) {
        Ok(values) => filter.priority = values.into_iter().map(str::to_owned).collect(),
        Err(message) => errors.add("priority", message),
    }
    filter.source = owned(&params.all("source"));
    choices.source = filter.source.clone();

    let stadsdeel = params.all("stadsdeel");
    match stadsdeel
        .iter()
        .find(|v| **v != NULL && Stadsdeel::from_code(v).is_none())
    {
        Some(bad) => errors.add("stadsdeel", invalid_choice(bad)),
        None => filter.stadsdeel = codes_or_null(&stadsdeel),
    }

    let status = params.all("status");
    match status
        .iter()
        .find(|v| matches!(State::from_code(v), Err(_) | Ok(State::Leeg)))
    {
        Some(bad) => errors.add("status", invalid_choice(bad)),
        None => filter.status = owned(&status),
    }

    match fixed_choices(
        &params.all("type"),
        &["SIG", "REQ", "QUE", "COM", "MAI", "PRJ"],
    ) {
        Ok(values) => filter.signal_type = values.into_iter().map(str::to_owned).collect(),
        Err(message) => errors.add("type", message),
    }

    filter.assigned_user_email = params
        .last("assigned_user_email")
        .map(|v| if v == NULL { None } else { Some(v.to_owned()) });
    filter.reporter_email = params.last("reporter_email").map(str::to_owned);

    if let Some(raw) = params.last("punctuality") {
        match Punctuality::from_code(raw) {
            Some(p) => filter.punctuality = Some(p),
            None => errors.add("punctuality", invalid_choice(raw)),
        }
    }

    let ordering = ordering(params.last("ordering"));
    (
        ListRequest {
            filter,
            ordering,
            choices,
        },
        errors,
    )
}

/// A date in ISO form or as the Dutch locale writes it (`DATE_INPUT_FORMATS`
/// of the reference's `nl` locale: `01-03-2024`, `01/03/2024`).
fn read_date(raw: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
        .into_iter()
        .find_map(|format| NaiveDate::parse_from_str(raw, format).ok())
}

/// `Some(Some(id))` for an integer id, `Some(None)` for a number no signal
/// has (a fraction, out of range), `None` for no number (the framework's
/// `DecimalField`).
fn read_id(raw: &str) -> Option<Option<i32>> {
    if let Ok(id) = raw.parse::<i64>() {
        return Some(i32::try_from(id).ok());
    }
    let decimal = raw
        .strip_prefix(['+', '-'])
        .unwrap_or(raw)
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    let number: f64 = raw
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && decimal)?;
    let whole =
        number.fract() == 0.0 && number >= f64::from(i32::MIN) && number <= f64::from(i32::MAX);
    Some(whole.then_some(number as i32))
}

fn owned(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// Codes with `null` taken out as "no value".
fn codes_or_null(values: &[&str]) -> CodesOrNull {
    CodesOrNull {
        codes: values
            .iter()
            .filter(|v| **v != NULL)
            .map(|v| (*v).to_owned())
            .collect(),
        null: values.contains(&NULL),
    }
}

/// The distinct values, all of them among `choices`; else the message for
/// the first that is not.
fn fixed_choices<'a>(values: &[&'a str], choices: &[&str]) -> Result<BTreeSet<&'a str>, String> {
    match values.iter().find(|v| !choices.contains(v)) {
        Some(bad) => Err(invalid_choice(bad)),
        None => Ok(values.iter().copied().collect()),
    }
}

/// `ordering=<field>[,<field>…]`, `-` for descending; unknown fields are
/// dropped; none left: the default.
fn ordering(raw: Option<&str>) -> Vec<SortKey> {
    raw.unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            let (descending, name) = match part.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, part),
            };
            SortField::from_name(name).map(|field| SortKey { field, descending })
        })
        .collect()
}

/// Checks the values whose choices live in the database (areas, area
/// types, neighbourhoods, categories, sources, departments) in one query,
/// adding their errors, and applies "every directing department and
/// `null` = no filter". Makes no query when there is nothing to check.
pub async fn check_choices(
    client: &impl GenericClient,
    request: &mut ListRequest,
    errors: &mut Errors,
) -> Result<(), signalen_infra::pg::Error> {
    if request.choices.is_empty() {
        return Ok(());
    }
    let unknown = signal_read::unknown_choices(client, &request.choices).await?;
    for (field, value) in [
        ("area_code", unknown.area_code),
        ("area_type_code", unknown.area_type_code),
        ("buurt_code", unknown.buurt_code),
        ("category_slug", unknown.category_slug),
        ("maincategory_slug", unknown.maincategory_slug),
        ("source", unknown.source),
    ] {
        if let Some(value) = value {
            errors.add(field, invalid_choice(&value));
        }
    }
    if let Some(id) = unknown.category_id {
        errors.add("category_id", invalid_choice(&id.to_string()));
    }
    for (field, given) in [
        ("directing_department", &request.filter.directing_department),
        (
            "routing_department_code",
            &request.filter.routing_department_code,
        ),
    ] {
        if let Some(bad) = given
            .codes
            .iter()
            .find(|code| unknown.department_codes.contains(code))
        {
            errors.add(field, invalid_choice(bad));
        }
    }
    let directing = &request.filter.directing_department;
    let distinct: BTreeSet<&String> = directing.codes.iter().collect();
    if directing.null && distinct.len() as i64 == unknown.distinct_department_codes {
        request.filter.directing_department = CodesOrNull::default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use signalen_infra::pg::signal_read::SortField;

    use super::*;

    fn errors_of(query: &str) -> serde_json::Value {
        read(Some(query)).1.into_field_errors().into_json()
    }

    #[test]
    fn no_parameters_is_no_filter_and_the_default_order() {
        let (request, errors) = read(None);
        assert!(errors.is_empty());
        assert_eq!(request.filter, SignalFilter::default());
        assert!(request.ordering.is_empty());
        assert!(request.choices.is_empty());
    }

    #[test]
    fn repeatable_parameters_keep_every_value_and_single_ones_the_last() {
        let (request, errors) = read(Some(
            "status=m&status=b&priority=high&address_text=a&address_text=%20Amstel%20",
        ));
        assert!(errors.is_empty());
        assert_eq!(request.filter.status, ["m", "b"]);
        assert_eq!(request.filter.priority, ["high"]);
        assert_eq!(request.filter.address_text.as_deref(), Some("Amstel"));
    }

    #[test]
    fn comma_joined_values_are_not_split() {
        assert_eq!(
            errors_of("status=m,b"),
            serde_json::json!({"status": ["Selecteer een geldige keuze. m,b is geen beschikbare keuze."]})
        );
    }

    #[test]
    fn invalid_values_answer_the_frameworks_messages_in_declaration_order() {
        assert_eq!(
            errors_of(
                "punctuality=soon&status=x&created_after=gisteren&id=abc&incident_date=2024-13-01&kind=all"
            ),
            serde_json::json!({
                "id": ["Voer een getal in."],
                "created_after": ["Voer een geldige datum/tijd in."],
                "kind": ["Selecteer een geldige keuze. all is geen beschikbare keuze."],
                "incident_date": ["Voer een geldige datum in."],
                "status": ["Selecteer een geldige keuze. x is geen beschikbare keuze."],
                "punctuality": ["Selecteer een geldige keuze. soon is geen beschikbare keuze."]
            })
        );
    }

    #[test]
    fn the_other_fixed_choices_are_checked_too() {
        for (query, field) in [
            ("stadsdeel=Z", "stadsdeel"),
            ("type=XYZ", "type"),
            ("priority=urgent", "priority"),
            ("contact_details=fax", "contact_details"),
            ("feedback=maybe", "feedback"),
            ("has_changed_children=yes", "has_changed_children"),
            ("category_id=01", "category_id"),
            ("category_id=afval", "category_id"),
            ("status=", "none"),
        ] {
            let errors = errors_of(query);
            if field == "none" {
                assert_eq!(errors, serde_json::json!({}), "{query}");
            } else {
                assert!(errors.get(field).is_some(), "{query}: {errors}");
            }
        }
    }

    #[test]
    fn null_is_a_value_of_the_nullable_codes() {
        let (request, errors) = read(Some(
            "stadsdeel=null&stadsdeel=A&area_code=null&routing_department_code=null&assigned_user_email=null",
        ));
        assert!(errors.is_empty());
        assert_eq!(
            request.filter.stadsdeel,
            CodesOrNull {
                codes: vec!["A".into()],
                null: true
            }
        );
        assert!(request.filter.area_code.null && request.filter.area_code.codes.is_empty());
        assert!(
            request.choices.area_code.is_empty(),
            "null is not looked up"
        );
        assert!(request.filter.routing_department_code.null);
        assert_eq!(request.filter.assigned_user_email, Some(None));
    }

    #[test]
    fn ids_are_numbers_and_fractions_match_nothing() {
        assert_eq!(read_id("12"), Some(Some(12)));
        assert_eq!(read_id("12.0"), Some(Some(12)));
        assert_eq!(read_id("1e2"), Some(Some(100)));
        assert_eq!(read_id("1.5"), Some(None));
        assert_eq!(read_id("99999999999"), Some(None));
        assert_eq!(read_id("abc"), None);
        assert_eq!(read_id("inf"), None);
        assert_eq!(read_id("NaN"), None);
    }

    #[test]
    fn ordering_keeps_known_fields_in_order_and_drops_the_rest() {
        assert_eq!(
            ordering(Some("-priority, address,onbekend,-id")),
            [
                SortKey {
                    field: SortField::Priority,
                    descending: true
                },
                SortKey {
                    field: SortField::Address,
                    descending: false
                },
                SortKey {
                    field: SortField::Id,
                    descending: true
                },
            ]
        );
        assert!(ordering(Some("signal_id")).is_empty());
        assert!(ordering(None).is_empty());
    }

    #[test]
    fn database_choices_are_collected_for_one_lookup() {
        let (request, _) = read(Some(
            "category_slug=grofvuil&maincategory_slug=afval&source=Telefoon&directing_department=ASC&routing_department_code=STW&routing_department_code=ASC&buurt_code=A04i&area_type_code=district",
        ));
        let choices = &request.choices;
        assert_eq!(choices.category_slug, ["grofvuil"]);
        assert_eq!(choices.maincategory_slug, ["afval"]);
        assert_eq!(choices.source, ["Telefoon"]);
        assert_eq!(choices.department_code, ["ASC", "STW"]);
        assert_eq!(choices.buurt_code, ["A04i"]);
        assert_eq!(choices.area_type_code, ["district"]);
    }

    #[test]
    fn dates_are_iso_or_dutch() {
        let march = NaiveDate::from_ymd_opt(2024, 3, 1);
        assert_eq!(read_date("2024-03-01"), march);
        assert_eq!(read_date("01-03-2024"), march);
        assert_eq!(read_date("01/03/2024"), march);
        assert_eq!(read_date("2024-13-01"), None);
        assert_eq!(read_date("maart"), None);
    }

    #[test]
    fn incident_dates_keep_the_references_inverted_names() {
        let (request, errors) = read(Some(
            "incident_date_before=2024-03-01&incident_date_after=2024-03-31",
        ));
        assert!(errors.is_empty());
        assert_eq!(
            request.filter.incident_date_before,
            NaiveDate::from_ymd_opt(2024, 3, 1)
        );
        assert_eq!(
            request.filter.incident_date_after,
            NaiveDate::from_ymd_opt(2024, 3, 31)
        );
    }
}
