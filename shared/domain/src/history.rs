//! A signal's history as the back office reads it (spec 06 §2–§4): each
//! `history_log` row rendered as `what`, `identifier`, `action` (a Dutch
//! line computed from `what` and `extra`), `description` (stored, or
//! computed for locations and service levels) and `who`; and the `what`
//! filter of the history endpoint read back into action and object types.
//!
//! Pure functions: the rows come from `signalen-infra`, the JSON shape from
//! the function crate.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Amsterdam;
use serde_json::Value;

use crate::signal::{Address, Stadsdeel};
use crate::status::State;

/// `who` of an entry without author: the system or the citizen.
pub const SYSTEM_AUTHOR: &str = "Signalen systeem";

/// The action text of a `what` this module has no text for.
pub const UNKNOWN_ACTION: &str = "Actie onbekend.";

/// `description` of an `UPDATE_SLA` entry whose category had no handling
/// message.
pub const UNKNOWN_SERVICE_PROMISE: &str = "Servicebelofte onbekend";

/// The object name `what` uses for a `history_log.object_type`; department
/// relations are named by their relation type (`routing` or `directing`).
pub fn object_name<'a>(object_type: &'a str, relation_type: Option<&str>) -> &'a str {
    match (object_type, relation_type) {
        ("type", _) => "type_assignment",
        ("signal_user", _) => "user_assignment",
        ("service_level_objective", _) => "sla",
        ("signal_departments", Some("routing")) => "routing_assignment",
        ("signal_departments", Some("directing")) => "directing_departments_assignment",
        (other, _) => other,
    }
}

/// `"<ACTION>_<OBJECT NAME>"` in upper case: `UPDATE_STATUS`,
/// `UPDATE_ROUTING_ASSIGNMENT`, `CREATE_NOTE`.
pub fn what(action: &str, object_type: &str, relation_type: Option<&str>) -> String {
    format!("{action}_{}", object_name(object_type, relation_type)).to_uppercase()
}

/// A `?what=` value read back (spec 06 §3): the stored action and the
/// object types whose rows it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatFilter {
    pub action: &'static str,
    pub object_type: &'static str,
}

/// The stored actions (01 §8).
const ACTIONS: [&str; 6] = [
    "UNKNOWN",
    "CREATE",
    "UPDATE",
    "DELETE",
    "RECEIVE",
    "NOT_RECEIVED",
];

/// The rows a `what` selects, or `None` when it names no action and object
/// (the endpoint then lists nothing).
///
/// As the reference: the action is the part before the first underscore
/// and is compared exactly; the rest, in any case, names the object — by
/// its `what` name or by the reference's model name (`type`, `signaluser`,
/// …). `routing_assignment` and `directing_departments_assignment` both
/// select every department-relation row. `RECEIVE_FEEDBACK` selects the
/// feedback rows, which are stored as `CREATE`. Unlike the reference,
/// `NOT_RECEIVED_<object>` works (the reference splits it into `NOT` and
/// `received_session`).
pub fn parse_what(what: &str) -> Option<WhatFilter> {
    if what == "RECEIVE_FEEDBACK" {
        return Some(WhatFilter {
            action: "CREATE",
            object_type: "feedback",
        });
    }
    let (action, object) = match what.strip_prefix("NOT_RECEIVED_") {
        Some(object) => ("NOT_RECEIVED", object),
        None => what.split_once('_')?,
    };
    let action = ACTIONS.into_iter().find(|a| *a == action)?;
    let object_type = match object.to_lowercase().as_str() {
        "location" => "location",
        "status" => "status",
        "category_assignment" | "categoryassignment" => "category_assignment",
        "priority" => "priority",
        "type_assignment" | "type" => "type",
        "note" => "note",
        "user_assignment" | "signaluser" => "signal_user",
        "routing_assignment" | "directing_departments_assignment" | "signaldepartments" => {
            "signal_departments"
        }
        "sla" | "servicelevelobjective" => "service_level_objective",
        "feedback" => "feedback",
        "session" => "session",
        "reporter" => "reporter",
        "signal" => "signal",
        _ => return None,
    };
    Some(WhatFilter {
        action,
        object_type,
    })
}

/// What a location entry's description is computed from: the location row
/// it names (06 §4, "Computed descriptions").
#[derive(Debug, Clone, PartialEq)]
pub struct LocationFacts {
    /// The stored one-letter code (`None` also for a code we do not know).
    pub stadsdeel: Option<Stadsdeel>,
    pub address: Option<Value>,
    pub lon: f64,
    pub lat: f64,
}

/// A `history_log` row of a signal, with what rendering it needs from the
/// rows it names.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub object_type: String,
    pub object_pk: String,
    pub action: String,
    pub extra: Option<String>,
    pub description: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub signal_id: i32,
    /// For `signal_departments` rows: the relation's type.
    pub relation_type: Option<String>,
    /// For `location` rows: the location (if it still exists).
    pub location: Option<LocationFacts>,
}

/// An entry as the history endpoint shows it (06 §2); `when` is formatted
/// by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntryView {
    pub identifier: String,
    pub when: DateTime<Utc>,
    pub what: String,
    pub action: String,
    pub description: Option<String>,
    pub who: String,
    pub signal_id: i32,
}

/// Renders one row (06 §2, §4).
pub fn render(row: &HistoryRow) -> HistoryEntryView {
    let what = what(&row.action, &row.object_type, row.relation_type.as_deref());
    let action = action_text(&what, row.extra.as_deref(), &row.object_pk, row.signal_id);
    let description = match (what.as_str(), &row.location) {
        ("UPDATE_LOCATION", Some(location)) => Some(location_description(location)),
        ("UPDATE_SLA", _) if row.description.is_none() => Some(UNKNOWN_SERVICE_PROMISE.to_owned()),
        _ => row.description.clone(),
    };
    HistoryEntryView {
        identifier: format!("{what}_{}", row.object_pk),
        when: row.created_at,
        action,
        description,
        who: row
            .created_by
            .clone()
            .unwrap_or_else(|| SYSTEM_AUTHOR.to_owned()),
        signal_id: row.signal_id,
        what,
    }
}

/// The Dutch action line for `what` with the row's `extra` (06 §4).
pub fn action_text(what: &str, extra: Option<&str>, object_pk: &str, signal_id: i32) -> String {
    let extra_or = |fallback: &str| {
        extra
            .filter(|e| !e.is_empty())
            .unwrap_or(fallback)
            .to_owned()
    };
    match what {
        "UPDATE_STATUS" => {
            let name = extra
                .and_then(|code| State::from_code(code).ok())
                .filter(|state| *state != State::Leeg)
                .map_or("Onbekend", State::state_display);
            format!("Status gewijzigd naar: {name}")
        }
        "UPDATE_PRIORITY" => {
            let name = match extra {
                Some("high") => "Hoog",
                Some("normal") => "Normaal",
                Some("low") => "Laag",
                _ => "Onbekend",
            };
            format!("Urgentie gewijzigd naar: {name}")
        }
        "UPDATE_CATEGORY_ASSIGNMENT" => {
            format!("Categorie gewijzigd naar: {}", extra.unwrap_or_default())
        }
        "UPDATE_LOCATION" => "Locatie gewijzigd naar:".to_owned(),
        "CREATE_NOTE" => "Notitie toegevoegd:".to_owned(),
        "RECEIVE_FEEDBACK" | "CREATE_FEEDBACK" => "Feedback van melder ontvangen".to_owned(),
        "UPDATE_TYPE_ASSIGNMENT" => {
            format!(
                "Type gewijzigd naar: {}",
                type_display(extra.unwrap_or_default())
            )
        }
        "UPDATE_DIRECTING_DEPARTMENTS_ASSIGNMENT" => {
            format!(
                "Regie gewijzigd naar: {}",
                extra_or("Verantwoordelijke afdeling")
            )
        }
        "UPDATE_ROUTING_ASSIGNMENT" => format!(
            "Routering: afdeling/afdelingen gewijzigd naar: {}",
            extra_or("Verantwoordelijke afdeling (routering)")
        ),
        // A pointer the reference clears without a word (a category change
        // clears routing and assignee, a routing change the assignee; spec
        // 01 §3.8), logged here as a DELETE on the cleared row, with the
        // reason as its description (docs/signal-changes.md).
        "DELETE_ROUTING_ASSIGNMENT" => {
            "Routering: afdeling/afdelingen gewijzigd naar: Verantwoordelijke afdeling (routering)"
                .to_owned()
        }
        "DELETE_USER_ASSIGNMENT" => "Melding niet meer toegewezen aan behandelaar.".to_owned(),
        "UPDATE_USER_ASSIGNMENT" => match extra.filter(|e| !e.is_empty()) {
            Some(email) => format!("Melding toewijzing gewijzigd naar: {email}"),
            None => "Melding niet meer toegewezen aan behandelaar.".to_owned(),
        },
        "CREATE_SIGNAL" if object_pk != signal_id.to_string() => {
            "Deelmelding toegevoegd".to_owned()
        }
        "UPDATE_SLA" => "Servicebelofte:".to_owned(),
        "UPDATE_REPORTER" => "Contactgegevens melder:".to_owned(),
        "RECEIVE_SESSION" => "Toelichting ontvangen".to_owned(),
        "NOT_RECEIVED_SESSION" => "Geen toelichting ontvangen".to_owned(),
        _ => UNKNOWN_ACTION.to_owned(),
    }
}

/// The Dutch name of a type code (`Melding`, …); an unknown code as it is.
fn type_display(code: &str) -> &str {
    match code {
        "SIG" => "Melding",
        "REQ" => "Aanvraag",
        "QUE" => "Vraag",
        "COM" => "Klacht",
        "MAI" => "Groot onderhoud",
        "PRJ" => "Projectverzoek",
        other => other,
    }
}

/// `"Stadsdeel: <name>"` when a district is set, then `"\n<street>
/// <number><letter>[-<addition>]\n<woonplaats>"` for a location with an
/// address, else `"Locatie is gepind op de kaart\n<lon>, <lat>"` — with no
/// newline between district and pin text (the reference's quirk, kept), and
/// a leading newline before the address when there is no district.
pub fn location_description(location: &LocationFacts) -> String {
    let mut text = location
        .stadsdeel
        .map(|s| format!("Stadsdeel: {}", s.name()))
        .unwrap_or_default();
    match &location.address {
        Some(Value::Object(map)) if !map.is_empty() => {
            let address = Address(map);
            let woonplaats = match map.get("woonplaats") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            text.push('\n');
            text.push_str(&address.short_text());
            text.push('\n');
            text.push_str(&woonplaats);
        }
        _ => {
            text.push_str("Locatie is gepind op de kaart\n");
            text.push_str(&python_float(location.lon));
            text.push_str(", ");
            text.push_str(&python_float(location.lat));
        }
    }
    text
}

/// A coordinate as Python prints a float: the shortest text that reads
/// back the same, with `.0` on whole numbers.
fn python_float(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        value.to_string()
    }
}

/// What a submitted feedback form says (spec 15), for the description of
/// its `CREATE_FEEDBACK` entry, which the feedback writer stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackFacts {
    pub is_satisfied: bool,
    /// The predefined answers chosen, in order.
    pub chosen_answers: Vec<String>,
    /// The free text answer, when no predefined answer was chosen.
    pub text: Option<String>,
    pub text_extra: Option<String>,
    pub allows_contact: bool,
}

/// `"Ja, de melder is tevreden\nWaarom: …\nToelichting: …\nToestemming
/// contact opnemen: Ja"` (06 §4, "Computed descriptions").
pub fn feedback_description(feedback: &FeedbackFacts) -> String {
    let mut text = String::from(if feedback.is_satisfied {
        "Ja, de melder is tevreden"
    } else {
        "Nee, de melder is ontevreden"
    });
    let why = if !feedback.chosen_answers.is_empty() {
        feedback.chosen_answers.join(",\n")
    } else {
        feedback
            .text
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Geen Feedback".to_owned())
    };
    text.push_str("\nWaarom: ");
    text.push_str(&why);
    if let Some(extra) = feedback.text_extra.as_deref().filter(|t| !t.is_empty()) {
        text.push_str("\nToelichting: ");
        text.push_str(extra);
    }
    text.push_str("\nToestemming contact opnemen: ");
    text.push_str(if feedback.allows_contact { "Ja" } else { "Nee" });
    text
}

/// `dd-mm-YYYY HH:MM` in Amsterdam time, as the questionnaire texts quote
/// the moment a question was asked.
fn asked_at(at: DateTime<Utc>) -> String {
    at.with_timezone(&Amsterdam)
        .format("%d-%m-%Y %H:%M")
        .to_string()
}

/// Description of a `RECEIVE_SESSION` entry: an external handler answered
/// the question asked at `asked`.
pub fn external_reaction_description(asked: DateTime<Utc>, reaction: &str) -> String {
    format!(
        "Toelichting externe behandelaar op vraag van {} {reaction}",
        asked_at(asked)
    )
}

/// Description of a `NOT_RECEIVED_SESSION` entry: no answer in time.
pub fn no_external_reaction_description(asked: DateTime<Utc>) -> String {
    format!(
        "Geen toelichting ontvangen van externe behandelaar op vraag van {}",
        asked_at(asked)
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
    }

    fn row(object_type: &str, action: &str, extra: Option<&str>) -> HistoryRow {
        HistoryRow {
            object_type: object_type.to_owned(),
            object_pk: "77".to_owned(),
            action: action.to_owned(),
            extra: extra.map(str::to_owned),
            description: None,
            created_by: None,
            created_at: at(),
            signal_id: 1234,
            relation_type: None,
            location: None,
        }
    }

    fn action_of(object_type: &str, action: &str, extra: Option<&str>) -> String {
        render(&row(object_type, action, extra)).action
    }

    #[test]
    fn what_names_the_action_and_the_object_in_upper_case() {
        assert_eq!(what("UPDATE", "status", None), "UPDATE_STATUS");
        assert_eq!(what("UPDATE", "type", None), "UPDATE_TYPE_ASSIGNMENT");
        assert_eq!(
            what("UPDATE", "signal_user", None),
            "UPDATE_USER_ASSIGNMENT"
        );
        assert_eq!(
            what("UPDATE", "service_level_objective", None),
            "UPDATE_SLA"
        );
        assert_eq!(
            what("UPDATE", "signal_departments", Some("routing")),
            "UPDATE_ROUTING_ASSIGNMENT"
        );
        assert_eq!(
            what("UPDATE", "signal_departments", Some("directing")),
            "UPDATE_DIRECTING_DEPARTMENTS_ASSIGNMENT"
        );
        assert_eq!(what("CREATE", "note", None), "CREATE_NOTE");
        assert_eq!(
            what("NOT_RECEIVED", "session", None),
            "NOT_RECEIVED_SESSION"
        );
    }

    #[test]
    fn an_entry_has_an_identifier_a_time_and_an_author() {
        let mut status = row("status", "UPDATE", Some("b"));
        status.description = Some("We gaan ermee aan de slag.".into());
        status.created_by = Some("medewerker@example.org".into());

        let entry = render(&status);

        assert_eq!(entry.identifier, "UPDATE_STATUS_77");
        assert_eq!(entry.what, "UPDATE_STATUS");
        assert_eq!(entry.action, "Status gewijzigd naar: In behandeling");
        assert_eq!(
            entry.description.as_deref(),
            Some("We gaan ermee aan de slag.")
        );
        assert_eq!(entry.who, "medewerker@example.org");
        assert_eq!(entry.when, at());
        assert_eq!(entry.signal_id, 1234);
        assert_eq!(
            render(&row("status", "UPDATE", Some("m"))).who,
            SYSTEM_AUTHOR
        );
    }

    #[test]
    fn status_and_priority_texts_name_the_value_or_say_unknown() {
        assert_eq!(
            action_of("status", "UPDATE", Some("m")),
            "Status gewijzigd naar: Gemeld"
        );
        assert_eq!(
            action_of("status", "UPDATE", Some("ready to send")),
            "Status gewijzigd naar: Extern: te verzenden"
        );
        for unknown in [Some("x"), Some(""), None] {
            assert_eq!(
                action_of("status", "UPDATE", unknown),
                "Status gewijzigd naar: Onbekend"
            );
        }
        assert_eq!(
            action_of("priority", "UPDATE", Some("high")),
            "Urgentie gewijzigd naar: Hoog"
        );
        assert_eq!(
            action_of("priority", "UPDATE", Some("normal")),
            "Urgentie gewijzigd naar: Normaal"
        );
        assert_eq!(
            action_of("priority", "UPDATE", Some("low")),
            "Urgentie gewijzigd naar: Laag"
        );
        assert_eq!(
            action_of("priority", "UPDATE", Some("urgent")),
            "Urgentie gewijzigd naar: Onbekend"
        );
    }

    #[test]
    fn category_type_and_note_texts() {
        assert_eq!(
            action_of("category_assignment", "UPDATE", Some("Grofvuil")),
            "Categorie gewijzigd naar: Grofvuil"
        );
        let types = [
            ("SIG", "Melding"),
            ("REQ", "Aanvraag"),
            ("QUE", "Vraag"),
            ("COM", "Klacht"),
            ("MAI", "Groot onderhoud"),
            ("PRJ", "Projectverzoek"),
        ];
        for (code, name) in types {
            assert_eq!(
                action_of("type", "UPDATE", Some(code)),
                format!("Type gewijzigd naar: {name}")
            );
        }
        assert_eq!(
            action_of("note", "CREATE", Some("Notitie toegevoegd")),
            "Notitie toegevoegd:"
        );
        assert_eq!(
            action_of("location", "UPDATE", Some("Locatie gewijzigd")),
            "Locatie gewijzigd naar:"
        );
    }

    #[test]
    fn department_texts_fall_back_to_the_responsible_department() {
        let mut directing = row("signal_departments", "UPDATE", Some("ASC, STW"));
        directing.relation_type = Some("directing".into());
        assert_eq!(render(&directing).action, "Regie gewijzigd naar: ASC, STW");
        directing.extra = Some(String::new());
        assert_eq!(
            render(&directing).action,
            "Regie gewijzigd naar: Verantwoordelijke afdeling"
        );

        let mut routing = row("signal_departments", "UPDATE", Some("STW"));
        routing.relation_type = Some("routing".into());
        assert_eq!(
            render(&routing).action,
            "Routering: afdeling/afdelingen gewijzigd naar: STW"
        );
        routing.extra = None;
        assert_eq!(
            render(&routing).action,
            "Routering: afdeling/afdelingen gewijzigd naar: Verantwoordelijke afdeling (routering)"
        );
    }

    #[test]
    fn user_assignment_texts() {
        assert_eq!(
            action_of("signal_user", "UPDATE", Some("behandelaar@example.org")),
            "Melding toewijzing gewijzigd naar: behandelaar@example.org"
        );
        assert_eq!(
            action_of("signal_user", "UPDATE", None),
            "Melding niet meer toegewezen aan behandelaar."
        );
    }

    #[test]
    fn a_child_on_the_parent_feedback_reporter_and_sessions() {
        assert_eq!(
            action_of("signal", "CREATE", Some("1240")),
            "Deelmelding toegevoegd"
        );
        let mut itself = row("signal", "CREATE", None);
        itself.object_pk = "1234".into();
        assert_eq!(render(&itself).action, UNKNOWN_ACTION);
        assert_eq!(
            action_of("feedback", "CREATE", Some("Feedback ontvangen")),
            "Feedback van melder ontvangen"
        );
        assert_eq!(
            action_of("feedback", "RECEIVE", None),
            "Feedback van melder ontvangen"
        );
        assert_eq!(
            action_of("reporter", "UPDATE", None),
            "Contactgegevens melder:"
        );
        assert_eq!(
            action_of("session", "RECEIVE", None),
            "Toelichting ontvangen"
        );
        assert_eq!(
            action_of("session", "NOT_RECEIVED", None),
            "Geen toelichting ontvangen"
        );
        assert_eq!(action_of("status", "DELETE", None), UNKNOWN_ACTION);
        assert_eq!(
            action_of("signal_user", "DELETE", None),
            "Melding niet meer toegewezen aan behandelaar."
        );
        assert_eq!(action_of("category", "UPDATE", None), UNKNOWN_ACTION);
    }

    #[test]
    fn a_service_promise_without_text_says_so() {
        let mut sla = row("service_level_objective", "UPDATE", None);
        assert_eq!(render(&sla).action, "Servicebelofte:");
        assert_eq!(
            render(&sla).description.as_deref(),
            Some("Servicebelofte onbekend")
        );
        sla.description =
            Some("Wij laten u binnen 3 werkdagen weten wat wij hebben gedaan.".into());
        assert_eq!(render(&sla).description, sla.description);
    }

    fn location(stadsdeel: Option<Stadsdeel>, address: Option<Value>) -> LocationFacts {
        LocationFacts {
            stadsdeel,
            address,
            lon: 4.90022563,
            lat: 52.36768424,
        }
    }

    #[test]
    fn a_location_is_described_by_district_and_address() {
        let address = json!({"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                             "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"});
        assert_eq!(
            location_description(&location(Some(Stadsdeel::Centrum), Some(address.clone()))),
            "Stadsdeel: Centrum\nAmstel 1\nAmsterdam"
        );
        assert_eq!(
            location_description(&location(None, Some(address))),
            "\nAmstel 1\nAmsterdam"
        );
        let full = json!({"openbare_ruimte": "De Ruijterkade", "huisnummer": "36", "huisletter": "A",
                          "huisnummer_toevoeging": "2", "woonplaats": "Amsterdam"});
        assert_eq!(
            location_description(&location(Some(Stadsdeel::NieuwWest), Some(full))),
            "Stadsdeel: Nieuw-West\nDe Ruijterkade 36A-2\nAmsterdam"
        );
    }

    #[test]
    fn a_location_without_address_is_a_pin_glued_to_the_district() {
        assert_eq!(
            location_description(&location(Some(Stadsdeel::Centrum), None)),
            "Stadsdeel: CentrumLocatie is gepind op de kaart\n4.90022563, 52.36768424"
        );
        assert_eq!(
            location_description(&location(None, Some(json!({})))),
            "Locatie is gepind op de kaart\n4.90022563, 52.36768424"
        );
        let whole = LocationFacts {
            stadsdeel: None,
            address: None,
            lon: 5.0,
            lat: 52.5,
        };
        assert_eq!(
            location_description(&whole),
            "Locatie is gepind op de kaart\n5.0, 52.5"
        );
    }

    #[test]
    fn the_location_entry_computes_its_description_from_the_row() {
        let mut entry = row("location", "UPDATE", Some("Locatie gewijzigd"));
        entry.description = Some("stored".into());
        entry.location = Some(location(Some(Stadsdeel::Centrum), None));
        assert_eq!(
            render(&entry).description.as_deref(),
            Some("Stadsdeel: CentrumLocatie is gepind op de kaart\n4.90022563, 52.36768424")
        );
        entry.location = None;
        assert_eq!(render(&entry).description.as_deref(), Some("stored"));
    }

    #[test]
    fn what_filters_read_back_into_action_and_object_type() {
        let filter = |action, object_type| {
            Some(WhatFilter {
                action,
                object_type,
            })
        };
        assert_eq!(parse_what("UPDATE_STATUS"), filter("UPDATE", "status"));
        assert_eq!(
            parse_what("UPDATE_CATEGORY_ASSIGNMENT"),
            filter("UPDATE", "category_assignment")
        );
        assert_eq!(
            parse_what("UPDATE_SLA"),
            filter("UPDATE", "service_level_objective")
        );
        assert_eq!(
            parse_what("UPDATE_TYPE_ASSIGNMENT"),
            filter("UPDATE", "type")
        );
        assert_eq!(parse_what("UPDATE_TYPE"), filter("UPDATE", "type"));
        assert_eq!(
            parse_what("UPDATE_USER_ASSIGNMENT"),
            filter("UPDATE", "signal_user")
        );
        assert_eq!(
            parse_what("UPDATE_ROUTING_ASSIGNMENT"),
            filter("UPDATE", "signal_departments")
        );
        assert_eq!(
            parse_what("UPDATE_DIRECTING_DEPARTMENTS_ASSIGNMENT"),
            filter("UPDATE", "signal_departments")
        );
        assert_eq!(parse_what("CREATE_NOTE"), filter("CREATE", "note"));
        assert_eq!(parse_what("create_note"), None, "the action is exact");
        assert_eq!(parse_what("CREATE_note"), filter("CREATE", "note"));
        assert_eq!(parse_what("RECEIVE_FEEDBACK"), filter("CREATE", "feedback"));
        assert_eq!(
            parse_what("NOT_RECEIVED_SESSION"),
            filter("NOT_RECEIVED", "session")
        );
        assert_eq!(parse_what("RECEIVE_SESSION"), filter("RECEIVE", "session"));
        assert_eq!(parse_what("UPDATE"), None);
        assert_eq!(parse_what("UPDATE_NOTHING"), None);
        assert_eq!(parse_what("CHANGE_STATUS"), None);
        assert_eq!(parse_what(""), None);
    }

    #[test]
    fn rendered_what_values_filter_back_to_their_own_rows() {
        for (object_type, relation) in [
            ("location", None),
            ("status", None),
            ("category_assignment", None),
            ("priority", None),
            ("type", None),
            ("note", None),
            ("signal_user", None),
            ("signal_departments", Some("routing")),
            ("signal_departments", Some("directing")),
            ("service_level_objective", None),
            ("session", None),
            ("reporter", None),
            ("signal", None),
        ] {
            let rendered = what("UPDATE", object_type, relation);
            assert_eq!(
                parse_what(&rendered).map(|f| f.object_type),
                Some(object_type),
                "{rendered}"
            );
        }
    }

    #[test]
    fn feedback_descriptions() {
        let mut feedback = FeedbackFacts {
            is_satisfied: true,
            chosen_answers: vec!["Ik ben snel geholpen".into(), "Het is opgelost".into()],
            text: None,
            text_extra: Some("Dank!".into()),
            allows_contact: true,
        };
        assert_eq!(
            feedback_description(&feedback),
            "Ja, de melder is tevreden\nWaarom: Ik ben snel geholpen,\nHet is opgelost\nToelichting: Dank!\nToestemming contact opnemen: Ja"
        );
        feedback.is_satisfied = false;
        feedback.chosen_answers.clear();
        feedback.text = Some("Niets gebeurd".into());
        feedback.text_extra = None;
        feedback.allows_contact = false;
        assert_eq!(
            feedback_description(&feedback),
            "Nee, de melder is ontevreden\nWaarom: Niets gebeurd\nToestemming contact opnemen: Nee"
        );
        feedback.text = None;
        assert_eq!(
            feedback_description(&feedback),
            "Nee, de melder is ontevreden\nWaarom: Geen Feedback\nToestemming contact opnemen: Nee"
        );
    }

    #[test]
    fn session_descriptions_quote_the_question_time_in_amsterdam() {
        assert_eq!(
            external_reaction_description(at(), "Is gemaakt."),
            "Toelichting externe behandelaar op vraag van 01-03-2024 10:15 Is gemaakt."
        );
        assert_eq!(
            no_external_reaction_description(at()),
            "Geen toelichting ontvangen van externe behandelaar op vraag van 01-03-2024 10:15"
        );
    }
}
