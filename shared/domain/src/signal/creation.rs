//! A new signal with everything created with it (spec 03 §2.9), the
//! history entries the reference logs for it (06 §4) and the event that
//! tells the background work about it (10 §10.2, `create_initial`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::location::{Point, Stadsdeel};
use super::reporter::NewReporter;
use crate::category::ServiceLevel;
use crate::deadline::Deadlines;
use crate::status::State;

/// Longest texts the database stores (spec 01 §2, §3.3).
pub const TEXT_MAX_CHARS: usize = 3000;
pub const TEXT_EXTRA_MAX_CHARS: usize = 10_000;
pub const CATEGORY_TEXT_MAX_CHARS: usize = 10_000;
/// `buurt_code`, and `area_type_code`, `area_code`, `area_name` of a location.
pub const BUURT_CODE_MAX_CHARS: usize = 4;
pub const AREA_FIELD_MAX_CHARS: usize = 256;

/// The source of public signals unless a known public source is given,
/// accepted in any case even without a `signals_source` row.
pub const DEFAULT_SOURCE: &str = "online";

/// The urgency of a signal (spec 01 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    Low,
    Normal,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Normal, Priority::High];

    /// The priority with this code (`low`, `normal`, `high`), exactly.
    pub fn from_code(code: &str) -> Option<Priority> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub const fn code(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    /// The Dutch name history texts use (`Urgentie gewijzigd naar: Normaal`).
    pub const fn display(self) -> &'static str {
        match self {
            Priority::Low => "Laag",
            Priority::Normal => "Normaal",
            Priority::High => "Hoog",
        }
    }
}

/// What kind of report a signal is (spec 01 §3.6; API field `type.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalType {
    Signal,
    Request,
    Question,
    Complaint,
    Maintenance,
    ProjectMaintenance,
}

impl SignalType {
    pub const ALL: [SignalType; 6] = [
        SignalType::Signal,
        SignalType::Request,
        SignalType::Question,
        SignalType::Complaint,
        SignalType::Maintenance,
        SignalType::ProjectMaintenance,
    ];

    /// The type with this code (`SIG`, `REQ`, …), exactly.
    pub fn from_code(code: &str) -> Option<SignalType> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub const fn code(self) -> &'static str {
        match self {
            SignalType::Signal => "SIG",
            SignalType::Request => "REQ",
            SignalType::Question => "QUE",
            SignalType::Complaint => "COM",
            SignalType::Maintenance => "MAI",
            SignalType::ProjectMaintenance => "PRJ",
        }
    }

    /// The Dutch name history texts use (`Type gewijzigd naar: Melding`).
    pub const fn display(self) -> &'static str {
        match self {
            SignalType::Signal => "Melding",
            SignalType::Request => "Aanvraag",
            SignalType::Question => "Vraag",
            SignalType::Complaint => "Klacht",
            SignalType::Maintenance => "Groot onderhoud",
            SignalType::ProjectMaintenance => "Projectverzoek",
        }
    }
}

/// The location a signal is created with, after enrichment (district and
/// area from the areas, texts from the address).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLocation {
    pub point: Point,
    pub stadsdeel: Option<Stadsdeel>,
    pub buurt_code: Option<String>,
    pub area_type_code: Option<String>,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
    /// As the client sent it (an object, possibly empty, or none).
    pub address: Option<Value>,
    pub address_text: String,
    pub postcode: Option<String>,
    pub extra_properties: Option<Value>,
}

/// The sub category a signal is filed under, as it is at creation.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignedCategory {
    pub id: i32,
    pub main_slug: String,
    pub slug: String,
    pub name: String,
    pub handling_message: Option<String>,
    /// The current service level objective: its id and terms.
    pub service_level: Option<(i32, ServiceLevel)>,
}

/// The category assignment a signal is created with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCategoryAssignment {
    pub category: AssignedCategory,
    /// `category.text` of the request.
    pub text: Option<String>,
    /// From the signal's `created_at` and the current service level.
    pub deadlines: Option<Deadlines>,
}

impl NewCategoryAssignment {
    /// The copy of the category's handling message kept on the assignment.
    pub fn stored_handling_message(&self) -> Option<&str> {
        self.category.handling_message.as_deref()
    }
}

/// A signal as it is created, with its first location, status (`m`),
/// category assignment, reporter (approved at once), priority (`normal`) and
/// type (`SIG`). One instant, `created_at`, stamps every row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSignal {
    pub uuid: Uuid,
    pub source: String,
    pub text: String,
    pub text_extra: String,
    pub incident_date_start: DateTime<Utc>,
    pub incident_date_end: Option<DateTime<Utc>>,
    pub extra_properties: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub location: NewLocation,
    pub category_assignment: NewCategoryAssignment,
    pub reporter: NewReporter,
    pub priority: Priority,
    pub signal_type: SignalType,
}

impl NewSignal {
    pub const INITIAL_STATE: State = State::Gemeld;
}

/// The ids of the rows written for a new signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedSignal {
    pub signal_id: i32,
    pub location_id: i32,
    pub status_id: i32,
    pub category_assignment_id: i32,
    pub reporter_id: i32,
    pub priority_id: i32,
    pub type_id: i32,
}

/// A row of `history_log` (spec 06 §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// `history_log.object_type`: `location`, `status`, …
    pub object_type: &'static str,
    pub object_pk: String,
    /// `CREATE`, `UPDATE`, …
    pub action: &'static str,
    pub extra: Option<String>,
    pub description: Option<String>,
    /// NULL: the system or the citizen.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The entries the reference logs when a signal is created (spec 06 §4), in
/// its order: location, status, the service level (only when the category
/// has one), category assignment, priority, type. The reporter gets none.
/// `description` of the location entry stays empty: the history endpoint
/// computes it from the location row.
pub fn initial_history(
    signal: &NewSignal,
    created: &CreatedSignal,
    created_by: Option<&str>,
) -> Vec<HistoryEntry> {
    let entry = |object_type, object_pk: i32, extra: Option<String>, description| HistoryEntry {
        object_type,
        object_pk: object_pk.to_string(),
        action: "UPDATE",
        extra,
        description,
        created_by: created_by.map(str::to_owned),
        created_at: signal.created_at,
    };
    let assignment = &signal.category_assignment;
    let mut entries = vec![
        entry(
            "location",
            created.location_id,
            Some("Locatie gewijzigd".to_owned()),
            None,
        ),
        entry(
            "status",
            created.status_id,
            Some(NewSignal::INITIAL_STATE.code().to_owned()),
            None,
        ),
    ];
    if let Some((slo_id, _)) = assignment.category.service_level {
        entries.push(entry(
            "service_level_objective",
            slo_id,
            None,
            assignment.stored_handling_message().map(str::to_owned),
        ));
    }
    entries.extend([
        entry(
            "category_assignment",
            created.category_assignment_id,
            Some(assignment.category.name.clone()),
            None,
        ),
        entry(
            "priority",
            created.priority_id,
            Some(signal.priority.code().to_owned()),
            None,
        ),
        entry(
            "type",
            created.type_id,
            Some(signal.signal_type.code().to_owned()),
            None,
        ),
    ]);
    entries
}

/// The outbox event type of a created signal.
pub const SIGNAL_CREATED: &str = "signal.created";

/// The payload of [`SIGNAL_CREATED`]: the ids of the rows as they were when
/// the event happened, and the facts its consumers decide on — the
/// confirmation mail (first status `m`, a reporter with an e-mail address,
/// not a child: spec 11 §11.4 rule 1), the search index (`updated_at` to
/// skip stale writes: 13), routing and auto-children (category, location:
/// 16). No personal data: consumers read the reporter row by its id, and
/// that row is never changed but to anonymise it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalCreated {
    pub signal_id: i32,
    pub signal_uuid: Uuid,
    pub parent_id: Option<i32>,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: StatusFacts,
    pub category_assignment: CategoryFacts,
    pub location_id: i32,
    pub reporter: ReporterFacts,
    pub priority_id: i32,
    pub type_id: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusFacts {
    pub id: i32,
    pub state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryFacts {
    pub id: i32,
    pub category_id: i32,
    pub main_slug: String,
    pub sub_slug: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReporterFacts {
    pub id: i32,
    pub has_email: bool,
    pub has_phone: bool,
}

impl SignalCreated {
    pub fn new(signal: &NewSignal, created: &CreatedSignal) -> Self {
        let category = &signal.category_assignment.category;
        SignalCreated {
            signal_id: created.signal_id,
            signal_uuid: signal.uuid,
            parent_id: None,
            source: signal.source.clone(),
            created_at: signal.created_at,
            updated_at: signal.created_at,
            status: StatusFacts {
                id: created.status_id,
                state: NewSignal::INITIAL_STATE.code(),
            },
            category_assignment: CategoryFacts {
                id: created.category_assignment_id,
                category_id: category.id,
                main_slug: category.main_slug.clone(),
                sub_slug: category.slug.clone(),
            },
            location_id: created.location_id,
            reporter: ReporterFacts {
                id: created.reporter_id,
                has_email: signal.reporter.email.is_some(),
                has_phone: signal.reporter.phone.is_some(),
            },
            priority_id: created.priority_id,
            type_id: created.type_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn signal(service_level: Option<(i32, ServiceLevel)>) -> NewSignal {
        let created_at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid");
        NewSignal {
            uuid: Uuid::nil(),
            source: DEFAULT_SOURCE.to_owned(),
            text: "Naast de container ligt afval.".to_owned(),
            text_extra: String::new(),
            incident_date_start: created_at,
            incident_date_end: None,
            extra_properties: None,
            created_at,
            location: NewLocation {
                point: Point {
                    lon: 4.9,
                    lat: 52.37,
                },
                stadsdeel: Some(Stadsdeel::Centrum),
                buurt_code: None,
                area_type_code: None,
                area_code: None,
                area_name: None,
                address: None,
                address_text: String::new(),
                postcode: None,
                extra_properties: None,
            },
            category_assignment: NewCategoryAssignment {
                category: AssignedCategory {
                    id: 55,
                    main_slug: "afval".to_owned(),
                    slug: "grofvuil".to_owned(),
                    name: "Grofvuil".to_owned(),
                    handling_message: Some("Wij halen het binnen 3 werkdagen op.".to_owned()),
                    service_level,
                },
                text: None,
                deadlines: None,
            },
            reporter: NewReporter {
                email: Some("melder@example.com".to_owned()),
                phone: None,
                sharing_allowed: false,
            },
            priority: Priority::Normal,
            signal_type: SignalType::Signal,
        }
    }

    const CREATED: CreatedSignal = CreatedSignal {
        signal_id: 1234,
        location_id: 5678,
        status_id: 9870,
        category_assignment_id: 812,
        reporter_id: 77,
        priority_id: 1288,
        type_id: 1301,
    };

    #[test]
    fn creation_logs_location_status_sla_category_priority_and_type_in_that_order() {
        let level = ServiceLevel {
            n_days: 3,
            use_calendar_days: false,
        };
        let entries = initial_history(&signal(Some((12, level))), &CREATED, None);

        let summary: Vec<_> = entries
            .iter()
            .map(|e| (e.object_type, e.object_pk.as_str(), e.extra.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("location", "5678", Some("Locatie gewijzigd")),
                ("status", "9870", Some("m")),
                ("service_level_objective", "12", None),
                ("category_assignment", "812", Some("Grofvuil")),
                ("priority", "1288", Some("normal")),
                ("type", "1301", Some("SIG")),
            ]
        );
        assert_eq!(
            entries[2].description.as_deref(),
            Some("Wij halen het binnen 3 werkdagen op.")
        );
        assert!(
            entries
                .iter()
                .all(|e| e.action == "UPDATE" && e.created_by.is_none())
        );
        assert!(
            entries
                .iter()
                .all(|e| e.created_at == entries[0].created_at)
        );
    }

    #[test]
    fn without_a_service_level_there_is_no_sla_entry() {
        let entries = initial_history(&signal(None), &CREATED, None);
        assert_eq!(entries.len(), 5);
        assert!(
            entries
                .iter()
                .all(|e| e.object_type != "service_level_objective")
        );
    }

    #[test]
    fn the_event_names_the_rows_and_carries_no_personal_data() {
        let event = SignalCreated::new(&signal(None), &CREATED);
        let payload = serde_json::to_value(&event).expect("serializable");

        assert_eq!(payload["signal_id"], 1234);
        assert_eq!(
            payload["status"],
            serde_json::json!({"id": 9870, "state": "m"})
        );
        assert_eq!(payload["reporter"]["has_email"], true);
        assert_eq!(payload["category_assignment"]["sub_slug"], "grofvuil");
        let text = payload.to_string();
        assert!(!text.contains("melder@example.com"), "{text}");
        assert!(!text.contains("container"), "{text}");
    }
}
