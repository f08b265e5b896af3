//! The citizen's report through the router, on a real database: what a
//! create writes (and that a refusal writes nothing), the read by uuid, the
//! throttle.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, Utc};
use public_signals::throttle::ThrottleRate;
use public_signals::{AppState, Config, router};
use serde_json::{Value, json};
use signalen_domain::category::ServiceLevel;
use signalen_domain::deadline::Deadlines;
use tower::ServiceExt;
use uuid::Uuid;

use crate::helpers::TestDatabase;

const HOST: &str = "api.example.org";
const GROFVUIL: &str =
    "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil";

fn app(db: &TestDatabase, config: Config) -> axum::Router {
    router(AppState {
        pool: db.pool.clone(),
        config: Arc::new(config),
    })
}

fn unthrottled() -> Config {
    Config {
        throttle: None,
        ..Config::default()
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(app: axum::Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn post_raw(content_type: &str, body: impl Into<Body>, client: &str) -> Request<Body> {
    Request::post("/signals/v1/public/signals/")
        .header("host", HOST)
        .header("x-forwarded-proto", "https")
        .header("content-type", content_type)
        .header("x-forwarded-for", client)
        .body(body.into())
        .expect("request")
}

async fn post(app: axum::Router, body: &Value) -> Answer {
    send(
        app,
        post_raw("application/json", body.to_string(), "192.0.2.1"),
    )
    .await
}

async fn get(app: axum::Router, path: &str) -> Answer {
    let request = Request::get(path)
        .header("host", HOST)
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .expect("request");
    send(app, request).await
}

/// The body of spec 03 §2.1 (sub category `afval/grofvuil`: 3 working days).
fn spec_body() -> Value {
    json!({
        "text": "Naast de container ligt een grote berg afval.",
        "text_extra": "Al een week.",
        "location": {
            "geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
            "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                        "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"},
            "stadsdeel": "A",
            "buurt_code": "A04i",
            "extra_properties": null
        },
        "category": {"sub_category": GROFVUIL},
        "reporter": {"email": "melder@example.com", "phone": "0612345678", "sharing_allowed": true},
        "incident_date_start": "2024-03-01T09:30:00+01:00",
        "incident_date_end": null,
        "extra_properties": [{
            "id": "extra_container_kind",
            "label": "Wat voor container is het?",
            "answer": {"id": "rest", "label": "Restafval"},
            "category_url": "/signals/v1/public/terms/categories/afval/sub_categories/grofvuil"
        }],
        "source": "online",
        "session": null
    })
}

/// What the frontend's `getPostData` sends for an anonymous report
/// (signals-frontend `IncidentContainer/saga.js`): only the wizard's fields,
/// the sub category as the absolute `_links.self.href` it fetched, the
/// address as PDOK gave it (`huis_nlt` as `huisnummer`), the date from
/// `formatISO`, answers from `mapPaths`.
fn frontend_body() -> Value {
    json!({
        "text": "De container lijkt stuk",
        "category": {"sub_category": "http://localhost:8000/signals/v1/public/terms/categories/afval/sub_categories/container-is-kapot"},
        "reporter": {"email": "me@domain.com", "phone": "14020", "sharing_allowed": false},
        "location": {
            "address": {"openbare_ruimte": "Geldersekade", "huisnummer": "128E",
                        "postcode": "1012BN", "woonplaats": "Amsterdam"},
            "geometrie": {"type": "Point", "coordinates": [4.900631904602052, 52.37324119761923]}
        },
        "incident_date_start": "2024-03-01T10:15:30+01:00",
        "extra_properties": [
            {"id": "extra_container", "label": "Container(s)",
             "category_url": "/signals/v1/public/terms/categories/afval/sub_categories/container-is-kapot",
             "answer": [{"id": "PAA00123", "type": "Papier", "description": "Papier container",
                         "label": "Papier container - PAA00123",
                         "coordinates": {"lat": 52.37324, "lng": 4.90063}}]},
            {"id": "extra_container_kind", "label": "Soort container",
             "category_url": "/signals/v1/public/terms/categories/afval/sub_categories/container-is-kapot",
             "answer": "Glas, papier, plastic"}
        ]
    })
}

/// Rows of every table a create writes.
async fn row_counts(db: &TestDatabase) -> Vec<i64> {
    let row = db
        .client()
        .await
        .query_one(
            "SELECT (SELECT count(*) FROM signals_signal), (SELECT count(*) FROM signals_location),
                    (SELECT count(*) FROM signals_status), (SELECT count(*) FROM signals_categoryassignment),
                    (SELECT count(*) FROM signals_reporter), (SELECT count(*) FROM signals_priority),
                    (SELECT count(*) FROM signals_type), (SELECT count(*) FROM history_log),
                    (SELECT count(*) FROM outbox)",
            &[],
        )
        .await
        .expect("counts");
    (0..9).map(|i| row.get::<_, i64>(i)).collect()
}

#[tokio::test]
async fn a_report_is_created_with_all_its_rows_history_and_one_event_in_one_commit() {
    let db = TestDatabase::new().await;

    let answer = post(app(&db, unthrottled()), &spec_body()).await;

    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = &answer.body;
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "_display",
            "id",
            "id_display",
            "signal_id",
            "status",
            "created_at",
            "updated_at",
            "incident_date_start",
            "incident_date_end"
        ]
    );
    let id = body["id"].as_i64().expect("id") as i32;
    assert_eq!(body["_display"], format!("SIG-{id}"));
    assert_eq!(body["id_display"], format!("SIG-{id}"));
    assert_eq!(
        body["status"],
        json!({"state": "OPEN", "state_display": "Open"})
    );
    assert_eq!(body["incident_date_start"], "2024-03-01T09:30:00+01:00");
    assert_eq!(body["incident_date_end"], Value::Null);
    let uuid: Uuid = body["signal_id"]
        .as_str()
        .and_then(|u| u.parse().ok())
        .expect("uuid");

    let client = db.client().await;
    let signal = client
        .query_one(
            "SELECT uuid, source, text, text_extra, incident_date_start, extra_properties, created_at,
                    updated_at, parent_id, location_id, status_id, category_assignment_id, reporter_id,
                    priority_id, type_assignment_id, xmin::text AS tx
             FROM signals_signal WHERE id = $1",
            &[&id],
        )
        .await
        .expect("the signal");
    assert_eq!(signal.get::<_, Uuid>("uuid"), uuid);
    assert_eq!(signal.get::<_, String>("source"), "online");
    assert_eq!(
        signal.get::<_, String>("text"),
        "Naast de container ligt een grote berg afval."
    );
    assert_eq!(signal.get::<_, String>("text_extra"), "Al een week.");
    assert_eq!(
        signal
            .get::<_, DateTime<Utc>>("incident_date_start")
            .to_rfc3339(),
        "2024-03-01T08:30:00+00:00"
    );
    assert_eq!(
        signal.get::<_, Value>("extra_properties"),
        spec_body()["extra_properties"]
    );
    assert_eq!(signal.get::<_, Option<i32>>("parent_id"), None);
    let created_at: DateTime<Utc> = signal.get("created_at");
    assert_eq!(
        body["created_at"],
        signalen_api::datetime::format_datetime(created_at)
    );
    let tx: String = signal.get("tx");

    let status = client
        .query_one(
            "SELECT state, text, created_by, _signal_id FROM signals_status WHERE id = $1",
            &[&signal.get::<_, i32>("status_id")],
        )
        .await
        .expect("status");
    assert_eq!(status.get::<_, String>("state"), "m");
    assert_eq!(status.get::<_, Option<String>>("text"), None);
    assert_eq!(status.get::<_, Option<String>>("created_by"), None);
    assert_eq!(status.get::<_, i32>("_signal_id"), id);

    let location = client
        .query_one(
            "SELECT ST_X(geometrie) AS lon, ST_Y(geometrie) AS lat, ST_SRID(geometrie) AS srid,
                    GeometryType(geometrie) AS kind, stadsdeel, buurt_code, address, address_text,
                    postcode, bag_validated, created_by
             FROM signals_location WHERE id = $1",
            &[&signal.get::<_, i32>("location_id")],
        )
        .await
        .expect("location");
    assert_eq!(location.get::<_, f64>("lon"), 4.90022563);
    assert_eq!(location.get::<_, f64>("lat"), 52.36768424);
    assert_eq!(location.get::<_, i32>("srid"), 4326);
    assert_eq!(location.get::<_, String>("kind"), "POINT");
    assert_eq!(
        location.get::<_, Option<String>>("stadsdeel").as_deref(),
        Some("A")
    );
    assert_eq!(
        location.get::<_, Option<String>>("buurt_code").as_deref(),
        Some("A04i")
    );
    assert_eq!(
        location.get::<_, Value>("address"),
        spec_body()["location"]["address"]
    );
    assert_eq!(
        location.get::<_, String>("address_text"),
        "Amstel 1 1011PN Amsterdam"
    );
    assert_eq!(
        location.get::<_, Option<String>>("postcode").as_deref(),
        Some("1011PN")
    );
    assert!(!location.get::<_, bool>("bag_validated"));
    assert_eq!(location.get::<_, Option<String>>("created_by"), None);

    let assignment = client
        .query_one(
            "SELECT ca.category_id, c.slug, c.handling_message, ca.deadline, ca.deadline_factor_3,
                    ca.stored_handling_message, ca.text,
                    (SELECT s.id FROM signals_servicelevelobjective s WHERE s.category_id = c.id
                     ORDER BY s.created_at DESC, s.id DESC LIMIT 1) AS slo_id
             FROM signals_categoryassignment ca JOIN signals_category c ON c.id = ca.category_id
             WHERE ca.id = $1",
            &[&signal.get::<_, i32>("category_assignment_id")],
        )
        .await
        .expect("category assignment");
    assert_eq!(assignment.get::<_, String>("slug"), "grofvuil");
    let expected = Deadlines::compute(
        created_at,
        Some(ServiceLevel {
            n_days: 3,
            use_calendar_days: false,
        }),
    )
    .expect("in range")
    .expect("a service level");
    assert_eq!(
        assignment.get::<_, Option<DateTime<Utc>>>("deadline"),
        Some(expected.deadline)
    );
    assert_eq!(
        assignment.get::<_, Option<DateTime<Utc>>>("deadline_factor_3"),
        Some(expected.deadline_factor_3)
    );
    let handling_message: Option<String> = assignment.get("handling_message");
    assert!(handling_message.is_some());
    assert_eq!(
        assignment.get::<_, Option<String>>("stored_handling_message"),
        handling_message
    );
    assert_eq!(assignment.get::<_, Option<String>>("text"), None);

    let reporter = client
        .query_one(
            "SELECT email, phone, sharing_allowed, state FROM signals_reporter WHERE id = $1",
            &[&signal.get::<_, i32>("reporter_id")],
        )
        .await
        .expect("reporter");
    assert_eq!(
        reporter.get::<_, Option<String>>("email").as_deref(),
        Some("melder@example.com")
    );
    assert_eq!(
        reporter.get::<_, Option<String>>("phone").as_deref(),
        Some("0612345678")
    );
    assert!(reporter.get::<_, bool>("sharing_allowed"));
    assert_eq!(reporter.get::<_, String>("state"), "approved");

    let defaults = client
        .query_one(
            "SELECT (SELECT priority FROM signals_priority WHERE id = $1),
                    (SELECT name FROM signals_type WHERE id = $2)",
            &[
                &signal.get::<_, i32>("priority_id"),
                &signal.get::<_, i32>("type_assignment_id"),
            ],
        )
        .await
        .expect("priority and type");
    assert_eq!(defaults.get::<_, String>(0), "normal");
    assert_eq!(defaults.get::<_, String>(1), "SIG");

    let history = client
        .query(
            "SELECT object_type, object_pk, extra, description, created_by, xmin::text AS tx
             FROM history_log WHERE _signal_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .expect("history");
    let what: Vec<(String, String, Option<String>)> = history
        .iter()
        .map(|r| (r.get("object_type"), r.get("object_pk"), r.get("extra")))
        .collect();
    let pk = |column: &str| signal.get::<_, i32>(column).to_string();
    let slo_id = assignment
        .get::<_, Option<i32>>("slo_id")
        .expect("grofvuil has an SLO")
        .to_string();
    let expected_history = [
        ("location", pk("location_id"), Some("Locatie gewijzigd")),
        ("status", pk("status_id"), Some("m")),
        ("service_level_objective", slo_id, None),
        (
            "category_assignment",
            pk("category_assignment_id"),
            Some("Grofvuil"),
        ),
        ("priority", pk("priority_id"), Some("normal")),
        ("type", pk("type_assignment_id"), Some("SIG")),
    ]
    .map(|(kind, object_pk, extra)| (kind.to_owned(), object_pk, extra.map(str::to_owned)));
    assert_eq!(what, expected_history);
    assert_eq!(
        history[2].get::<_, Option<String>>("description"),
        handling_message,
        "the SLA entry's description"
    );
    assert!(
        history
            .iter()
            .all(|h| h.get::<_, Option<String>>("created_by").is_none()),
        "the system's entries"
    );
    assert!(
        history.iter().all(|h| h.get::<_, String>("tx") == tx),
        "in the signal's transaction"
    );

    let events = client
        .query(
            "SELECT aggregate_type, aggregate_id, event_type, payload, published_at, xmin::text
             FROM outbox",
            &[],
        )
        .await
        .expect("outbox");
    assert_eq!(events.len(), 1, "exactly one event");
    let event = &events[0];
    assert_eq!(event.get::<_, String>(0), "signal");
    assert_eq!(event.get::<_, String>(1), id.to_string());
    assert_eq!(event.get::<_, String>(2), "signal.created");
    assert_eq!(event.get::<_, Option<DateTime<Utc>>>(4), None);
    assert_eq!(event.get::<_, String>(5), tx, "in the signal's transaction");
    let payload: Value = event.get(3);
    assert_eq!(payload["signal_id"], id);
    assert_eq!(payload["signal_uuid"], uuid.to_string());
    assert_eq!(
        payload["status"],
        json!({"id": signal.get::<_, i32>("status_id"), "state": "m"})
    );
    assert_eq!(
        payload["reporter"],
        json!({"id": signal.get::<_, i32>("reporter_id"), "has_email": true, "has_phone": true})
    );
    assert_eq!(payload["category_assignment"]["sub_slug"], "grofvuil");
    assert!(!payload.to_string().contains("melder@example.com"));
    drop(client);
    db.cleanup().await;
}

#[tokio::test]
async fn the_frontends_own_payload_is_accepted_and_its_authorization_header_ignored() {
    let db = TestDatabase::new().await;
    let request = Request::post("/signals/v1/public/signals/")
        .header("host", HOST)
        .header("content-type", "application/json")
        .header("authorization", "Bearer not-a-token")
        .body(Body::from(frontend_body().to_string()))
        .expect("request");

    let answer = send(app(&db, unthrottled()), request).await;

    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let row = db
        .client()
        .await
        .query_one(
            "SELECT s.source, l.address_text, l.postcode, l.stadsdeel, c.slug, r.email,
                    s.extra_properties -> 0 -> 'answer' -> 0 ->> 'id' AS container
             FROM signals_signal s
             JOIN signals_location l ON l.id = s.location_id
             JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
             JOIN signals_category c ON c.id = ca.category_id
             JOIN signals_reporter r ON r.id = s.reporter_id
             WHERE s.uuid = $1",
            &[&answer.body["signal_id"]
                .as_str()
                .and_then(|u| u.parse::<Uuid>().ok())
                .expect("uuid")],
        )
        .await
        .expect("the signal");
    assert_eq!(row.get::<_, String>("source"), "online");
    assert_eq!(
        row.get::<_, String>("address_text"),
        "Geldersekade 128E 1012BN Amsterdam"
    );
    assert_eq!(
        row.get::<_, Option<String>>("postcode").as_deref(),
        Some("1012BN")
    );
    assert_eq!(row.get::<_, Option<String>>("stadsdeel"), None);
    assert_eq!(row.get::<_, String>("slug"), "container-is-kapot");
    assert_eq!(
        row.get::<_, Option<String>>("email").as_deref(),
        Some("me@domain.com")
    );
    assert_eq!(
        row.get::<_, Option<String>>("container").as_deref(),
        Some("PAA00123")
    );
    db.cleanup().await;
}

#[tokio::test]
async fn every_class_of_bad_input_is_a_400_or_415_in_the_references_shape_and_writes_nothing() {
    let db = TestDatabase::new().await;
    let app = app(&db, unthrottled());
    let with = |pointer: &str, value: Value| {
        let mut body = spec_body();
        *body.pointer_mut(pointer).expect("pointer") = value;
        body
    };
    let mut unknown_keys = spec_body();
    unknown_keys["priority"] = json!({"priority": "high"});
    unknown_keys["status"] = json!({"state": "b"});
    let bbox = "The location coordinates (WS84) are not inside the bounding box we are accepting signals for.";
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "missing fields",
            json!({}),
            json!({"text": ["Dit veld is vereist."], "location": ["Dit veld is vereist."],
                   "category": ["Dit veld is vereist."], "reporter": ["Dit veld is vereist."],
                   "incident_date_start": ["Dit veld is vereist."]}),
        ),
        (
            "empty text",
            with("/text", json!("  ")),
            json!({"text": ["Dit veld mag niet leeg zijn."]}),
        ),
        (
            "text too long",
            with("/text", json!("x".repeat(3001))),
            json!({"text": ["Zorg ervoor dat dit veld niet meer dan 3000 karakters bevat."]}),
        ),
        (
            "wrong type",
            with("/text", json!({"nl": "tekst"})),
            json!({"text": ["Not a valid string."]}),
        ),
        (
            "NUL character",
            with("/text_extra", json!("a\u{0}b")),
            json!({"text_extra": ["Null-tekens zijn niet toegestaan."]}),
        ),
        (
            "outside the bounding box",
            with(
                "/location/geometrie/coordinates",
                json!([52.36768424, 4.90022563]),
            ),
            json!({"location": {"geometrie": [bbox]}}),
        ),
        (
            "not a point",
            with(
                "/location/geometrie",
                json!({"type": "Point", "coordinates": ["NaN", "NaN"]}),
            ),
            json!({"location": {"geometrie": ["Invalid format: string or unicode input unrecognized as GeoJSON, WKT EWKT or HEXEWKB."]}}),
        ),
        (
            "location not an object",
            with("/location", json!([4.9, 52.3])),
            json!({"location": {"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een list."]}}),
        ),
        (
            "address without a street",
            with(
                "/location/address",
                json!({"huisnummer": 1, "postcode": "1011PN"}),
            ),
            json!({"location": {"address": {"openbare_ruimte": ["Dit veld is vereist."]}}}),
        ),
        (
            "address too long to store",
            with("/location/address/postcode", json!("1011 PN XX")),
            json!({"location": {"address": {"postcode": ["Zorg ervoor dat dit veld niet meer dan 7 karakters bevat."]}}}),
        ),
        (
            "unknown district",
            with("/location/stadsdeel", json!("Z")),
            json!({"location": {"stadsdeel": ["\"Z\" is een ongeldige keuze."]}}),
        ),
        (
            "no category link",
            with("/category", json!({"text": "x"})),
            json!({"category": ["Either the \"sub_category\" OR the \"category_url\" must be given"]}),
        ),
        (
            "both category links",
            with(
                "/category",
                json!({"sub_category": GROFVUIL, "category_url": GROFVUIL}),
            ),
            json!({"category": ["Only the \"sub_category\" OR \"category_url\" can be given"]}),
        ),
        (
            "a main category link",
            with(
                "/category/sub_category",
                json!("https://api.example.org/signals/v1/public/terms/categories/afval"),
            ),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Ongeldige URL"]}}),
        ),
        (
            "an unknown sub category",
            with(
                "/category/sub_category",
                json!("/signals/v1/public/terms/categories/afval/sub_categories/bestaat-niet"),
            ),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Object bestaat niet."]}}),
        ),
        (
            "a sub category under the wrong main",
            with(
                "/category/sub_category",
                json!(
                    "/signals/v1/public/terms/categories/wegen-verkeer-straatmeubilair/sub_categories/grofvuil"
                ),
            ),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Object bestaat niet."]}}),
        ),
        (
            "bad e-mail",
            with("/reporter/email", json!("melder@")),
            json!({"reporter": {"email": ["Voer een geldig e-mailadres in."]}}),
        ),
        (
            "phone too long",
            with("/reporter/phone", json!("+31 6 1234 5678 90")),
            json!({"reporter": {"phone": ["Zorg ervoor dat dit veld niet meer dan 17 karakters bevat."]}}),
        ),
        (
            "reporter null",
            with("/reporter", json!(null)),
            json!({"reporter": ["Dit veld mag niet leeg zijn."]}),
        ),
        (
            "bad date",
            with("/incident_date_start", json!("01-03-2024 09:30")),
            json!({"incident_date_start": ["Datetime heeft een ongeldig formaat, gebruik 1 van de volgende formaten: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}),
        ),
        (
            "extra_properties as an object",
            with("/extra_properties", json!({})),
            json!({"extra_properties": ["Invalid input."]}),
        ),
        (
            "a source that is not public",
            with("/source", json!("Telefoon – ASC")),
            json!({"source": ["Invalid source given, value not known"]}),
        ),
        (
            "unknown keys",
            unknown_keys,
            json!({"non_field_errors": ["Extra properties present: priority, status"]}),
        ),
        (
            "a session that does not exist",
            with("/session", json!(Uuid::new_v4().to_string())),
            json!({"session": ["Session matching query does not exist."]}),
        ),
        (
            "not an object",
            json!("melding"),
            json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een str."]}),
        ),
    ];
    let before = row_counts(&db).await;

    for (case, body, expected) in cases {
        let answer = post(app.clone(), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            answer.body
        );
        assert_eq!(answer.body, expected, "{case}");
    }
    for (case, request) in [
        (
            "malformed JSON",
            post_raw("application/json", r#"{"text": "afval""#, "192.0.2.1"),
        ),
        (
            "NaN in JSON",
            post_raw(
                "application/json",
                r#"{"location": {"geometrie": {"type": "Point", "coordinates": [NaN, 52]}}}"#,
                "192.0.2.1",
            ),
        ),
        (
            "a huge body",
            post_raw(
                "application/json",
                format!(r#"{{"text": "{}"}}"#, "x".repeat(2 * 1024 * 1024)),
                "192.0.2.1",
            ),
        ),
        (
            "deep nesting",
            post_raw(
                "application/json",
                format!(
                    r#"{{"extra_properties": {}{}}}"#,
                    "[".repeat(500),
                    "]".repeat(500)
                ),
                "192.0.2.1",
            ),
        ),
    ] {
        let answer = send(app.clone(), request).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            answer.body
        );
        assert!(
            answer.body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("JSON parse error - ")),
            "{case}: {}",
            answer.body
        );
    }
    let form = send(
        app.clone(),
        post_raw(
            "application/x-www-form-urlencoded",
            "text=afval",
            "192.0.2.1",
        ),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        form.body,
        json!({"detail": "Ongeldige media type \"application/x-www-form-urlencoded\" in aanvraag."})
    );

    assert_eq!(row_counts(&db).await, before, "nothing was written");
    db.cleanup().await;
}

#[tokio::test]
async fn a_failure_inside_the_transaction_leaves_no_row_behind() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute("ALTER TABLE outbox ADD CONSTRAINT refuse_everything CHECK (false)")
        .await
        .expect("break the outbox");
    let before = row_counts(&db).await;

    let answer = post(app(&db, unthrottled()), &spec_body()).await;

    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.body,
        json!({"detail": "Er is een serverfout opgetreden."})
    );
    assert_eq!(row_counts(&db).await, before);
    db.cleanup().await;
}

#[tokio::test]
async fn district_and_area_come_from_the_areas_containing_the_point() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO signals_areatype (name, code) VALUES ('Stadsdeel', 'sia-stadsdeel'), ('Wijk', 'district');
             INSERT INTO signals_area (name, code, _type_id, geometry)
             SELECT 'Noord', 'Noord', id, ST_Multi(ST_MakeEnvelope(4.85, 52.30, 4.95, 52.40, 4326))
             FROM signals_areatype WHERE code = 'sia-stadsdeel';
             INSERT INTO signals_area (name, code, _type_id, geometry)
             SELECT v.name, v.code, t.id, ST_Multi(ST_MakeEnvelope(4.89, 52.36, 4.91, 52.37, 4326))
             FROM signals_areatype t, (VALUES ('Burgwallen', 'A01'), ('Burgwallen-Oost', 'A00')) v (name, code)
             WHERE t.code = 'district';
             INSERT INTO signals_area (name, code, _type_id, geometry)
             SELECT 'Elders', 'X99', id, ST_Multi(ST_MakeEnvelope(5.0, 52.0, 5.1, 52.1, 4326))
             FROM signals_areatype WHERE code = 'district';",
        )
        .await
        .expect("areas");
    let mut inside = spec_body();
    inside["location"]["area_code"] = json!("door de melder");
    let mut outside = spec_body();
    outside["location"]["geometrie"]["coordinates"] = json!([5.5, 52.5]);

    let inside = post(app(&db, unthrottled()), &inside).await;
    let outside = post(app(&db, unthrottled()), &outside).await;

    assert_eq!(inside.status, StatusCode::CREATED, "{}", inside.body);
    assert_eq!(outside.status, StatusCode::CREATED, "{}", outside.body);
    let location = |id: i64| {
        let db = &db;
        async move {
            let row = db
                .client()
                .await
                .query_one(
                    "SELECT l.stadsdeel, l.area_type_code, l.area_code, l.area_name
                     FROM signals_location l JOIN signals_signal s ON s.location_id = l.id
                     WHERE s.id = $1",
                    &[&(id as i32)],
                )
                .await
                .expect("location");
            (0..4)
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Vec<_>>()
        }
    };
    let some = |v: &str| Some(v.to_owned());
    assert_eq!(
        location(inside.body["id"].as_i64().expect("id")).await,
        [
            some("N"),
            some("district"),
            some("A00"),
            some("Burgwallen-Oost")
        ],
        "the district's area code maps to N, the first district area by code wins"
    );
    assert_eq!(
        location(outside.body["id"].as_i64().expect("id")).await,
        [some("A"), None, None, None],
        "outside every area the client's values stay"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn sources_public_ones_internal_reporters_and_categories_without_a_service_level() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute(
            "UPDATE signals_source SET is_public = true WHERE name = 'Waarnemingenapp';
             INSERT INTO signals_source (name, is_active, is_public) VALUES ('Oude app', false, true);",
        )
        .await
        .expect("sources");
    let app = app(&db, unthrottled());
    let source_of = |answer: &Answer| {
        let id = answer.body["id"].as_i64().map(|id| id as i32);
        let db = &db;
        async move {
            db.client()
                .await
                .query_one("SELECT source FROM signals_signal WHERE id = $1", &[&id])
                .await
                .expect("source")
                .get::<_, String>(0)
        }
    };
    let mut body = spec_body();
    body["source"] = json!("waarnemingenapp");
    let public = post(app.clone(), &body).await;
    assert_eq!(public.status, StatusCode::CREATED, "{}", public.body);
    assert_eq!(source_of(&public).await, "waarnemingenapp");

    body["source"] = json!("Oude app");
    let inactive = post(app.clone(), &body).await;
    assert_eq!(
        inactive.body,
        json!({"source": ["Invalid source given, value not known"]})
    );

    let mut internal = spec_body();
    internal["reporter"]["email"] = json!("medewerker@amsterdam.nl");
    let internal = post(app.clone(), &internal).await;
    assert_eq!(source_of(&internal).await, "Interne melding");

    let mut slippery = spec_body();
    slippery["category"]["sub_category"] =
        json!("/signals/v1/public/terms/categories/schoon/sub_categories/gladheid-bladeren");
    let slippery = post(app.clone(), &slippery).await;
    assert_eq!(slippery.status, StatusCode::CREATED, "{}", slippery.body);
    let id = slippery.body["id"].as_i64().expect("id") as i32;
    let row = db
        .client()
        .await
        .query_one(
            "SELECT ca.deadline, ca.deadline_factor_3,
                    (SELECT count(*) FROM history_log h WHERE h._signal_id = s.id
                       AND h.object_type = 'service_level_objective') AS sla_entries,
                    (SELECT count(*) FROM history_log h WHERE h._signal_id = s.id) AS entries
             FROM signals_signal s JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
             WHERE s.id = $1",
            &[&id],
        )
        .await
        .expect("assignment");
    assert_eq!(row.get::<_, Option<DateTime<Utc>>>(0), None);
    assert_eq!(row.get::<_, Option<DateTime<Utc>>>(1), None);
    assert_eq!(row.get::<_, i64>(2), 0);
    assert_eq!(row.get::<_, i64>(3), 5);
    db.cleanup().await;
}

#[tokio::test]
async fn a_report_is_read_back_by_its_uuid_in_the_public_shape() {
    let db = TestDatabase::new().await;
    let created = post(app(&db, unthrottled()), &spec_body()).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let uuid = created.body["signal_id"].as_str().expect("uuid").to_owned();

    let read = get(
        app(&db, unthrottled()),
        &format!("/signals/v1/public/signals/{uuid}"),
    )
    .await;
    let slash = get(
        app(&db, unthrottled()),
        &format!("/signals/v1/public/signals/{}/", uuid.to_uppercase()),
    )
    .await;

    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, created.body);
    assert_eq!(slash.body, created.body, "trailing slash, upper-case uuid");
    let text = read.body.to_string();
    for personal in ["melder@example.com", "0612345678", "Amstel", "afval"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }

    let id = read.body["id"].as_i64().expect("id") as i32;
    db.client()
        .await
        .execute(
            "WITH closed AS (
                 INSERT INTO signals_status (_signal_id, state, text, created_at)
                 VALUES ($1, 'o', 'Opgeruimd.', now()) RETURNING id)
             UPDATE signals_signal SET status_id = (SELECT id FROM closed), updated_at = now()
             WHERE id = $1",
            &[&id],
        )
        .await
        .expect("close the signal");
    let closed = get(
        app(&db, unthrottled()),
        &format!("/signals/v1/public/signals/{uuid}"),
    )
    .await;
    assert_eq!(
        closed.body["status"],
        json!({"state": "CLOSED", "state_display": "Gesloten"})
    );

    let unknown = get(
        app(&db, unthrottled()),
        &format!("/signals/v1/public/signals/{}", Uuid::new_v4()),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.body,
        json!({"detail": "No Signal matches the given query."})
    );
    let malformed = get(app(&db, unthrottled()), "/signals/v1/public/signals/1234").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
    assert_eq!(malformed.body, json!({"detail": "Niet gevonden."}));
    let list = get(app(&db, unthrottled()), "/signals/v1/public/signals/").await;
    assert_eq!(list.status, StatusCode::METHOD_NOT_ALLOWED);
    db.cleanup().await;
}

fn throttled_to(requests: u32) -> Config {
    Config {
        throttle: Some(ThrottleRate {
            requests,
            window: std::time::Duration::from_secs(3600),
        }),
        ..Config::default()
    }
}

#[tokio::test]
async fn the_throttle_counts_every_post_of_a_client_and_answers_429_with_retry_after() {
    let db = TestDatabase::new().await;
    let app = app(&db, throttled_to(3));
    let body = spec_body().to_string();

    let first = send(
        app.clone(),
        post_raw("application/json", body.clone(), "198.51.100.7"),
    )
    .await;
    let invalid = send(
        app.clone(),
        post_raw("application/json", "{}", "198.51.100.7"),
    )
    .await;
    let third = send(
        app.clone(),
        post_raw("application/json", body.clone(), "198.51.100.7:51234"),
    )
    .await;
    let fourth = send(
        app.clone(),
        post_raw("application/json", body.clone(), "198.51.100.7"),
    )
    .await;
    let other = send(
        app.clone(),
        post_raw("application/json", body.clone(), "198.51.100.8"),
    )
    .await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(
        invalid.status,
        StatusCode::BAD_REQUEST,
        "refused posts count too"
    );
    assert_eq!(
        third.status,
        StatusCode::CREATED,
        "the port is not part of the client"
    );
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = fourth.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((3590..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        fourth.body,
        json!({"detail": format!("Aanvraag was verstikt. Expected available in {retry_after} seconds.")})
    );
    assert_eq!(
        other.status,
        StatusCode::CREATED,
        "another client has its own budget"
    );

    let uuid = first.body["signal_id"].as_str().expect("uuid");
    let read = get(app.clone(), &format!("/signals/v1/public/signals/{uuid}")).await;
    assert_eq!(read.status, StatusCode::OK, "reads are not throttled");

    let rows = db
        .client()
        .await
        .query(
            "SELECT ident, cardinality(hits) FROM api_throttle ORDER BY cardinality(hits)",
            &[],
        )
        .await
        .expect("throttle rows");
    let rows: Vec<(Vec<u8>, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 3]);
    for (ident, _) in &rows {
        assert_eq!(ident.len(), 32);
        assert!(!String::from_utf8_lossy(ident).contains("198.51.100"));
    }
    db.cleanup().await;
}

#[tokio::test]
async fn concurrent_posts_of_one_client_cannot_exceed_the_rate() {
    let db = TestDatabase::new().await;
    let app = app(&db, throttled_to(4));
    let body = spec_body().to_string();

    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..10 {
        posts.spawn(send(
            app.clone(),
            post_raw("application/json", body.clone(), "203.0.113.5"),
        ));
    }
    let answers = posts.join_all().await;

    let created = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    let throttled = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((created, throttled), (4, 6));
    assert_eq!(row_counts(&db).await[0], 4);
    db.cleanup().await;
}

#[tokio::test]
async fn clients_whose_window_has_passed_are_cleaned_up_by_later_requests() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO api_throttle (scope, ident, hits, updated_at)
             SELECT 'public-signal-create', sha256(n::text::bytea), ARRAY[now() - interval '2 hours'],
                    now() - interval '2 hours'
             FROM generate_series(1, 3) n",
        )
        .await
        .expect("stale rows");

    let answer = post(app(&db, throttled_to(60)), &spec_body()).await;

    assert_eq!(answer.status, StatusCode::CREATED);
    let left: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM api_throttle", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 2, "two stale rows deleted, one row for this client");
    db.cleanup().await;
}
