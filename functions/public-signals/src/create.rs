//! Creating a signal from a checked body (spec 03 §2.9): the lookups that
//! can still refuse it, the enrichment, and one transaction that writes the
//! signal, its first sub-records, their history and the `signal.created`
//! event — committed together or not at all.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use signalen_api::validation::{ErrorDetail, FieldErrors};
use signalen_domain::deadline::Deadlines;
use signalen_domain::signal::{
    AssignedCategory, CreatedSignal, DEFAULT_SOURCE, NewCategoryAssignment, NewSignal, Priority,
    SIGNAL_CREATED, STADSDEEL_AREA_TYPE, SignalCreated, SignalType, initial_history,
};
use signalen_infra::pg::{self, AreasAtPoint, GenericClient, OutboxEvent};
use uuid::Uuid;

use crate::config::Config;
use crate::request::{CreateSignalFields, CreateSignalRequest, UNKNOWN_SOURCE};
use crate::throttle::{self, ThrottleRate};

/// Why no signal was created.
#[derive(Debug)]
pub enum CreateError {
    /// The body was refused (400).
    Invalid(FieldErrors),
    /// Over the rate (429); `retry_after` in seconds.
    Throttled { retry_after: Option<f64> },
    /// The database failed.
    Database(pg::Error),
}

impl From<pg::Error> for CreateError {
    fn from(error: pg::Error) -> Self {
        CreateError::Database(error)
    }
}

impl From<FieldErrors> for CreateError {
    fn from(errors: FieldErrors) -> Self {
        CreateError::Invalid(errors)
    }
}

/// The signal as created, for the response.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub ids: CreatedSignal,
    pub signal: NewSignal,
}

/// Counts the request against the throttle, checks `body`, then creates the
/// signal it describes. The throttle statement runs in the same pipeline as
/// the lookups; a throttled request is refused whatever its body.
pub async fn create_signal(
    client: &pg::Client,
    config: &Config,
    throttle: Option<&ThrottleCheck>,
    body: &Value,
) -> Result<Created, CreateError> {
    let (throttled, read) = match CreateSignalFields::read(body, &config.bounding_box) {
        Ok(mut fields) => {
            let (throttled, found) = tokio::try_join!(
                count_request(client, throttle),
                look_up(client, config, &mut fields)
            )?;
            (throttled, Ok((fields, found)))
        }
        Err(errors) => (count_request(client, throttle).await?, Err(errors)),
    };
    if let Some(retry_after) = throttled {
        return Err(CreateError::Throttled { retry_after });
    }
    let (fields, found) = read?;
    let request = fields.into_request()?;
    // `look_up` refused the category field when no category has its slugs,
    // and drew ids for every body without errors.
    let (Some(category), Some(ids)) = (found.category, found.ids) else {
        let mut errors = FieldErrors::new();
        errors.insert("category", request.category.does_not_exist());
        return Err(CreateError::Invalid(errors));
    };
    let signal = new_signal(request, category, found.areas, config, now());
    write(client, &signal, &ids).await?;
    tracing::info!(signal_id = ids.signal_id, "signal created");
    Ok(Created { ids, signal })
}

/// A request to count against the throttle: the client's hashed address
/// and the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleCheck {
    pub ident: [u8; 32],
    pub rate: ThrottleRate,
}

/// Counts a request; `Some(retry_after)` when it is over the rate.
pub async fn count_request(
    client: &impl GenericClient,
    check: Option<&ThrottleCheck>,
) -> Result<Option<Option<f64>>, pg::Error> {
    let Some(check) = check else {
        return Ok(None);
    };
    let decision = pg::throttle_request(
        client,
        throttle::SCOPE,
        &check.ident,
        check.rate.requests,
        check.rate.window,
    )
    .await?;
    Ok(match decision {
        pg::ThrottleDecision::Allowed => None,
        pg::ThrottleDecision::Throttled { retry_after } => {
            tracing::info!("public create throttled");
            Some(retry_after)
        }
    })
}

/// Now, to the microsecond the database keeps, so the deadlines computed
/// from it are those of the stored `created_at`.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The database lookups, pipelined on one connection: the category a valid
/// link names (refused when none has its slugs), whether a source other
/// than the default is an active public one, and the areas the point lies
/// in (only when the body may still pass).
async fn look_up(
    client: &impl GenericClient,
    config: &Config,
    fields: &mut CreateSignalFields,
) -> Result<Found, pg::Error> {
    let category = async {
        match &fields.category {
            Ok(input) => {
                pg::sub_category_for_assignment(client, &input.link.main_slug, &input.link.sub_slug)
                    .await
            }
            Err(_) => Ok(None),
        }
    };
    let source = async {
        match &fields.source {
            Ok(Some(name)) if !name.eq_ignore_ascii_case(DEFAULT_SOURCE) => {
                pg::public_source_exists(client, name).await.map(Some)
            }
            _ => Ok(None),
        }
    };
    let areas = async {
        match &fields.location {
            Ok(location) if config.determine_stadsdeel || config.default_area_type.is_some() => {
                pg::areas_at(
                    client,
                    location.point,
                    config.determine_stadsdeel.then_some(STADSDEEL_AREA_TYPE),
                    config.default_area_type.as_deref(),
                )
                .await
            }
            _ => Ok(AreasAtPoint::default()),
        }
    };
    let ids = async {
        if fields.may_pass() {
            pg::allocate_signal_ids(client).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (category, source_known, areas, ids) = tokio::try_join!(category, source, areas, ids)?;
    if let (Ok(input), None) = (&fields.category, &category) {
        fields.category = Err(input.does_not_exist());
    }
    if source_known == Some(false) {
        fields.source = Err(ErrorDetail::message(UNKNOWN_SOURCE));
    }
    Ok(Found {
        category,
        areas,
        ids,
    })
}

/// What the lookups found.
struct Found {
    category: Option<AssignedCategory>,
    areas: AreasAtPoint,
    /// Drawn only for a body that may still pass.
    ids: Option<CreatedSignal>,
}

/// The signal to write: district and area from the areas (overriding what
/// the client sent), the address texts, the source rewritten for internal
/// reporters, the deadlines of the category's current service level.
fn new_signal(
    request: CreateSignalRequest,
    category: AssignedCategory,
    areas: AreasAtPoint,
    config: &Config,
    created_at: DateTime<Utc>,
) -> NewSignal {
    let location = request.location.into_new_location(
        areas.stadsdeel_area.as_ref().map(|area| area.code.as_str()),
        areas
            .default_area
            .map(|area| (area.type_code, area.code, area.name)),
    );
    let source = request
        .reporter
        .email
        .as_deref()
        .zip(config.source_rewrite.as_ref())
        .and_then(|(email, rewrite)| rewrite.source_for(email).map(str::to_owned))
        .or(request.source)
        .unwrap_or_else(|| DEFAULT_SOURCE.to_owned());
    let deadlines = Deadlines::compute(created_at, category.service_level.map(|(_, level)| level))
        .unwrap_or_else(|error| {
            tracing::warn!(category_id = category.id, error.message = %error, "no deadlines");
            None
        });
    NewSignal {
        uuid: Uuid::new_v4(),
        source,
        text: request.text,
        text_extra: request.text_extra,
        incident_date_start: request.incident_date_start,
        incident_date_end: request.incident_date_end,
        extra_properties: request.extra_properties,
        created_at,
        location,
        category_assignment: NewCategoryAssignment {
            category,
            text: request.category.text,
            deadlines,
        },
        reporter: request.reporter,
        priority: Priority::Normal,
        signal_type: SignalType::Signal,
    }
}

/// One statement, so one transaction: the signal, its first sub-records,
/// their history entries and the `signal.created` event.
async fn write(
    client: &impl GenericClient,
    signal: &NewSignal,
    ids: &CreatedSignal,
) -> Result<(), pg::Error> {
    let history = initial_history(signal, ids, None);
    let event = OutboxEvent {
        aggregate_type: "signal",
        aggregate_id: ids.signal_id.to_string(),
        event_type: SIGNAL_CREATED,
        payload: serde_json::to_value(SignalCreated::new(signal, ids)).unwrap_or(Value::Null),
        occurred_at: signal.created_at,
    };
    pg::insert_initial_signal(client, signal, ids, &history, &event).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;
    use signalen_domain::category::ServiceLevel;
    use signalen_domain::signal::{BoundingBox, Stadsdeel};
    use signalen_infra::pg::AreaMatch;

    use super::*;

    fn request(email: Option<&str>, source: Option<&str>) -> CreateSignalRequest {
        let mut body = json!({
            "text": "Afval",
            "location": {"geometrie": {"type": "Point", "coordinates": [4.9, 52.37]},
                         "stadsdeel": "A", "area_code": "eigen", "area_name": "Eigen",
                         "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN",
                                     "woonplaats": "Amsterdam"}},
            "category": {"sub_category": "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"},
            "reporter": {"email": email},
            "incident_date_start": "2024-03-01T09:30:00+01:00"
        });
        if let Some(source) = source {
            body["source"] = json!(source);
        }
        CreateSignalFields::read(&body, &BoundingBox::default())
            .and_then(CreateSignalFields::into_request)
            .expect("valid")
    }

    fn grofvuil() -> AssignedCategory {
        AssignedCategory {
            id: 7,
            main_slug: "afval".to_owned(),
            slug: "grofvuil".to_owned(),
            name: "Grofvuil".to_owned(),
            handling_message: Some("Wij halen het op.".to_owned()),
            service_level: Some((
                3,
                ServiceLevel {
                    n_days: 3,
                    use_calendar_days: false,
                },
            )),
        }
    }

    fn friday_morning() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
            .single()
            .expect("valid")
    }

    #[test]
    fn areas_override_the_district_and_area_the_client_sent() {
        let areas = AreasAtPoint {
            stadsdeel_area: Some(AreaMatch {
                type_code: "sia-stadsdeel".to_owned(),
                code: "noord".to_owned(),
                name: "Noord".to_owned(),
            }),
            default_area: Some(AreaMatch {
                type_code: "district".to_owned(),
                code: "N61".to_owned(),
                name: "Oostzanerwerf".to_owned(),
            }),
        };
        let signal = new_signal(
            request(None, None),
            grofvuil(),
            areas,
            &Config::default(),
            friday_morning(),
        );
        let location = &signal.location;
        assert_eq!(location.stadsdeel, Some(Stadsdeel::Noord));
        assert_eq!(
            (
                location.area_type_code.as_deref(),
                location.area_code.as_deref(),
                location.area_name.as_deref()
            ),
            (Some("district"), Some("N61"), Some("Oostzanerwerf"))
        );
        assert_eq!(location.address_text, "Amstel 1 1011PN Amsterdam");
        assert_eq!(location.postcode.as_deref(), Some("1011PN"));
    }

    #[test]
    fn without_areas_the_client_values_stay() {
        let signal = new_signal(
            request(None, None),
            grofvuil(),
            AreasAtPoint::default(),
            &Config::default(),
            friday_morning(),
        );
        assert_eq!(signal.location.stadsdeel, Some(Stadsdeel::Centrum));
        assert_eq!(signal.location.area_code.as_deref(), Some("eigen"));
    }

    #[test]
    fn deadlines_come_from_the_service_level_and_the_creation_time() {
        let signal = new_signal(
            request(None, None),
            grofvuil(),
            AreasAtPoint::default(),
            &Config::default(),
            friday_morning(),
        );
        let deadlines = signal
            .category_assignment
            .deadlines
            .expect("a service level");
        // Friday 10:15 local + 3 working days = Wednesday 10:15 local.
        assert_eq!(deadlines.deadline.to_rfc3339(), "2024-03-06T09:15:30+00:00");
        assert_eq!(signal.created_at, friday_morning());
        assert_eq!(
            signal.category_assignment.stored_handling_message(),
            Some("Wij halen het op.")
        );
    }

    #[test]
    fn internal_reporters_get_the_internal_source_and_others_keep_theirs() {
        let make = |email, source| {
            new_signal(
                request(email, source),
                grofvuil(),
                AreasAtPoint::default(),
                &Config::default(),
                friday_morning(),
            )
            .source
        };
        assert_eq!(
            make(Some("medewerker@amsterdam.nl"), None),
            "Interne melding"
        );
        assert_eq!(make(Some("webcare@amsterdam.nl"), Some("online")), "online");
        assert_eq!(make(Some("melder@example.com"), Some("ONLINE")), "ONLINE");
        assert_eq!(make(None, None), "online");
        let no_rewrite = Config {
            source_rewrite: None,
            ..Config::default()
        };
        assert_eq!(
            new_signal(
                request(Some("medewerker@amsterdam.nl"), None),
                grofvuil(),
                AreasAtPoint::default(),
                &no_rewrite,
                friday_morning(),
            )
            .source,
            "online"
        );
    }
}
