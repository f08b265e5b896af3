//! Changing a signal through `PATCH /signals/v1/private/signals/{id}` on a
//! real database (spec 04 §3.2, 02, 06): the whole back-office flow from a
//! citizen's report to closure, the side effects and their history, the
//! outbox events, permissions, bad input that stores nothing, and the row
//! lock.

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::auth::{BackOffice, NewUser};

const GROFVUIL: &str =
    "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/grofvuil";
const CONTAINER_IS_VOL: &str = "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol";
const FORBIDDEN: &str = "Je hebt geen toestemming om deze actie uit te voeren.";

/// Every permission the handling of a signal takes.
const HANDLER: &[&str] = &[
    "sia_read",
    "sia_write",
    "sia_signal_change_status",
    "sia_signal_change_category",
    "sia_signal_create_note",
    "sia_can_view_all_categories",
    "sia_can_view_contact_details",
];

async fn office() -> BackOffice {
    BackOffice::with_app(|pool, auth| {
        private_signals::router(private_signals::AppState::new(pool, auth))
    })
    .await
}

/// A user with `permissions` (and no departments).
async fn employee(office: &BackOffice, email: &'static str, permissions: &'static [&'static str]) {
    office
        .user(NewUser {
            email,
            roles: &[(email, permissions)],
            ..NewUser::default()
        })
        .await;
}

/// A citizen's report through the public router; its id.
async fn report(office: &BackOffice, email: Option<&str>, category: &str) -> i32 {
    let app = crate::fixtures::public_router(&office.db.pool);
    let body = json!({
        "text": "Naast de container ligt een grote berg afval.",
        "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                     "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN",
                                 "woonplaats": "Amsterdam"}},
        "category": {"sub_category": category},
        "reporter": {"email": email, "phone": null, "sharing_allowed": false},
        "incident_date_start": "2024-03-01T09:30:00+01:00"
    });
    let request = Request::builder()
        .method(Method::POST)
        .uri("/signals/v1/public/signals/")
        .header("host", "api.example.org")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::CREATED);
    let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let created: Value = serde_json::from_slice(&bytes).expect("JSON");
    let uuid = created["signal_id"].as_str().expect("uuid").to_owned();
    office
        .db
        .client()
        .await
        .query_one(
            "SELECT id FROM signals_signal WHERE uuid = $1::text::uuid",
            &[&uuid],
        )
        .await
        .expect("signal")
        .get(0)
}

fn path(id: i32) -> String {
    format!("/signals/v1/private/signals/{id}")
}

async fn patch(office: &BackOffice, email: &str, id: i32, body: Value) -> (StatusCode, Value) {
    office
        .send_json_as(email, Method::PATCH, &path(id), &body)
        .await
}

/// `(what, action, description, who)` of the signal's history, oldest first,
/// read from the table.
async fn history(
    office: &BackOffice,
    id: i32,
) -> Vec<(String, String, Option<String>, Option<String>)> {
    office
        .db
        .client()
        .await
        .query(
            "SELECT object_type, action, description, created_by FROM history_log
             WHERE _signal_id = $1 ORDER BY created_at, id",
            &[&id],
        )
        .await
        .expect("history")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

async fn events(office: &BackOffice, id: i32) -> Vec<(String, Value)> {
    office
        .db
        .client()
        .await
        .query(
            "SELECT event_type, payload FROM outbox WHERE aggregate_type = 'signal' AND aggregate_id = $1
             ORDER BY id",
            &[&id.to_string()],
        )
        .await
        .expect("outbox")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// Rows below a signal, to show that a refused PATCH wrote nothing.
async fn row_counts(office: &BackOffice, id: i32) -> Vec<i64> {
    let client = office.db.client().await;
    let mut counts = Vec::new();
    for table in [
        "signals_location",
        "signals_status",
        "signals_categoryassignment",
        "signals_priority",
        "signals_type",
        "signals_note",
        "signals_signaldepartments",
        "signals_signaluser",
        "history_log",
    ] {
        let count: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE _signal_id = $1"),
                &[&id],
            )
            .await
            .expect("count")
            .get(0);
        counts.push(count);
    }
    let outbox: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox WHERE aggregate_id = $1",
            &[&id.to_string()],
        )
        .await
        .expect("outbox")
        .get(0);
    counts.push(outbox);
    counts
}

#[tokio::test]
async fn a_report_is_handled_from_gemeld_to_afgehandeld_with_every_step_in_history_and_outbox() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    let id = report(&office, Some("melder@example.com"), GROFVUIL).await;

    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"status": {"state": "b", "text": "We gaan ermee aan de slag."},
               "notes": [{"text": "Melder gebeld."}, {"text": "wordt genegeerd"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], id);
    assert_eq!(detail["status"]["state"], "b");
    assert_eq!(detail["status"]["text"], "We gaan ermee aan de slag.");
    assert_eq!(detail["status"]["user"], "medewerker@example.org");
    assert_eq!(detail["notes"][0]["text"], "Melder gebeld.");
    assert_eq!(
        detail["notes"].as_array().map(Vec::len),
        Some(1),
        "only the first note"
    );

    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"category": {"sub_category": CONTAINER_IS_VOL, "text": "Verkeerd ingedeeld"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["category"]["sub_slug"], "container-is-vol");
    assert!(
        detail["category"]["deadline"].is_string(),
        "SLO of the new category"
    );

    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"status": {"state": "o", "text": "De container is geleegd.", "send_email": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["status"]["state"], "o");
    assert_eq!(detail["status"]["send_email"], true);

    // Closed: back to "in behandeling" is not a transition the workflow has.
    let before = row_counts(&office, id).await;
    let (status, body) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"status": {"state": "b", "text": "Toch niet"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"state": ["Invalid state transition from `Afgehandeld` to `In behandeling`."]})
    );
    assert_eq!(row_counts(&office, id).await, before, "nothing stored");

    let entries = history(&office, id).await;
    let steps: Vec<(&str, &str)> = entries
        .iter()
        .map(|(object, action, _, _)| (object.as_str(), action.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("location", "UPDATE"),
            ("status", "UPDATE"),
            ("service_level_objective", "UPDATE"),
            ("category_assignment", "UPDATE"),
            ("priority", "UPDATE"),
            ("type", "UPDATE"),
            ("status", "UPDATE"),
            ("note", "CREATE"),
            ("category_assignment", "UPDATE"),
            ("status", "UPDATE"),
        ]
    );
    assert_eq!(entries[6].2.as_deref(), Some("We gaan ermee aan de slag."));
    assert_eq!(entries[6].3.as_deref(), Some("medewerker@example.org"));
    assert_eq!(entries[7].2.as_deref(), Some("Melder gebeld."));
    assert_eq!(entries[9].2.as_deref(), Some("De container is geleegd."));

    // The same steps through the history endpoint, newest first, as the
    // back office shows them.
    let (status, shown) = office
        .get_as("medewerker@example.org", &format!("{}/history", path(id)))
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let lines: Vec<(String, String)> = shown
        .as_array()
        .expect("array")
        .iter()
        .take(4)
        .map(|e| {
            (
                e["what"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                "UPDATE_STATUS".to_owned(),
                "Status gewijzigd naar: Afgehandeld".to_owned()
            ),
            (
                "UPDATE_CATEGORY_ASSIGNMENT".to_owned(),
                "Categorie gewijzigd naar: Container is vol".to_owned()
            ),
            ("CREATE_NOTE".to_owned(), "Notitie toegevoegd:".to_owned()),
            (
                "UPDATE_STATUS".to_owned(),
                "Status gewijzigd naar: In behandeling".to_owned()
            ),
        ]
    );
    assert_eq!(shown[0]["who"], "medewerker@example.org");
    assert_eq!(shown[0]["description"], "De container is geleegd.");
    let (_, notes) = office
        .get_as(
            "medewerker@example.org",
            &format!("{}/history?what=CREATE_NOTE", path(id)),
        )
        .await;
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");

    let kinds: Vec<String> = events(&office, id)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        kinds,
        [
            "signal.created",
            "signal.status_changed",
            "signal.note_added",
            "signal.category_changed",
            "signal.status_changed",
        ]
    );
    let last = &events(&office, id).await[4].1;
    assert_eq!(last["signal_id"], id);
    assert_eq!(last["facts"]["state"], "o");
    assert_eq!(last["facts"]["previous_state"], "b");
    assert_eq!(last["facts"]["send_email"], true);
    assert_eq!(last["actor"], "medewerker@example.org");
    assert!(last.get("email").is_none(), "no personal data: {last}");
    office.cleanup().await;
}

#[tokio::test]
async fn a_category_change_clears_routing_and_assignee_and_logs_both() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    employee(&office, "behandelaar@example.org", &["sia_read"]).await;
    let stw = office.department_id("STW").await;
    let id = report(&office, None, GROFVUIL).await;

    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"routing_departments": [{"id": stw}], "assigned_user_email": "behandelaar@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["routing_departments"][0]["code"], "STW");
    assert_eq!(
        detail["assigned_user_email"], "behandelaar@example.org",
        "routing first, then the assignee of the same PATCH"
    );

    // The same category: no effect at all.
    let before = row_counts(&office, id).await;
    let (status, _) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"category": {"sub_category": GROFVUIL}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_counts(&office, id).await, before);

    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"category": {"category_url": "/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["routing_departments"], Value::Null);
    assert_eq!(detail["assigned_user_email"], Value::Null);

    let entries = history(&office, id).await;
    let tail: Vec<(&str, &str, Option<&str>)> = entries[entries.len() - 3..]
        .iter()
        .map(|(object, action, description, _)| {
            (object.as_str(), action.as_str(), description.as_deref())
        })
        .collect();
    assert_eq!(
        tail,
        [
            ("category_assignment", "UPDATE", None),
            (
                "signal_departments",
                "DELETE",
                Some("Routering vervallen door wijziging van de categorie.")
            ),
            (
                "signal_user",
                "DELETE",
                Some("Toewijzing vervallen door wijziging van de categorie.")
            ),
        ]
    );
    let (_, shown) = office
        .get_as("medewerker@example.org", &format!("{}/history", path(id)))
        .await;
    let cleared: Vec<(&str, &str, &str)> = shown
        .as_array()
        .expect("array")
        .iter()
        .take(2)
        .map(|e| {
            (
                e["what"].as_str().unwrap_or_default(),
                e["action"].as_str().unwrap_or_default(),
                e["description"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        cleared,
        [
            (
                "DELETE_USER_ASSIGNMENT",
                "Melding niet meer toegewezen aan behandelaar.",
                "Toewijzing vervallen door wijziging van de categorie."
            ),
            (
                "DELETE_ROUTING_ASSIGNMENT",
                "Routering: afdeling/afdelingen gewijzigd naar: Verantwoordelijke afdeling (routering)",
                "Routering vervallen door wijziging van de categorie."
            ),
        ]
    );
    let kinds: Vec<String> = events(&office, id)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [
            "signal.category_changed",
            "signal.routing_changed",
            "signal.user_assigned"
        ]
    );

    // A new routing clears a new assignee again, and says so.
    patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"assigned_user_email": "behandelaar@example.org"}),
    )
    .await;
    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"routing_departments": [{"id": stw}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["assigned_user_email"], Value::Null);
    let last = history(&office, id).await.pop().expect("entry");
    assert_eq!(
        last.2.as_deref(),
        Some("Toewijzing vervallen door wijziging van de routering.")
    );
    office.cleanup().await;
}

#[tokio::test]
async fn priority_type_location_and_unassignment_are_applied() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    let id = report(&office, None, GROFVUIL).await;
    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({
            "priority": {"priority": "high"},
            "type": {"code": "REQ"},
            "location": {"geometrie": {"type": "Point", "coordinates": [4.9, 52.37]},
                         "address": {"openbare_ruimte": "Dam", "huisnummer": 1, "postcode": "1012JS",
                                     "woonplaats": "Amsterdam"}},
            "assigned_user_email": null,
            "text": "genegeerd"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["priority"]["priority"], "high");
    assert_eq!(detail["priority"]["created_by"], "medewerker@example.org");
    assert_eq!(detail["type"]["code"], "REQ");
    assert_eq!(detail["location"]["address_text"], "Dam 1 1012JS Amsterdam");
    assert_eq!(detail["location"]["created_by"], "medewerker@example.org");
    assert_eq!(detail["assigned_user_email"], Value::Null);
    assert_eq!(
        detail["text"], "Naast de container ligt een grote berg afval.",
        "text is not changed by a PATCH"
    );
    office.cleanup().await;
}

#[tokio::test]
async fn closing_a_parent_cancels_its_open_children_in_the_same_transaction() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    let parent = report(&office, None, GROFVUIL).await;
    let open = report(&office, None, GROFVUIL).await;
    let done = report(&office, None, GROFVUIL).await;
    let client = office.db.client().await;
    client
        .execute(
            "UPDATE signals_signal SET parent_id = $1 WHERE id = ANY($2)",
            &[&parent, &vec![open, done]],
        )
        .await
        .expect("children");
    patch(
        &office,
        "medewerker@example.org",
        done,
        json!({"status": {"state": "o", "text": "Klaar"}}),
    )
    .await;

    let (status, body) = patch(
        &office,
        "medewerker@example.org",
        parent,
        json!({"status": {"state": "o", "text": "Alles opgelost."}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let states: Vec<(i32, String, Option<String>, Option<String>)> = client
        .query(
            "SELECT s.id, st.state, st.text, st.created_by FROM signals_signal s
             JOIN signals_status st ON st.id = s.status_id WHERE s.id = ANY($1) ORDER BY s.id",
            &[&vec![open, done]],
        )
        .await
        .expect("states")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect();
    assert_eq!(
        states,
        [
            (
                open,
                "a".to_owned(),
                Some("Hoofdmelding is afgehandeld".to_owned()),
                None
            ),
            (
                done,
                "o".to_owned(),
                Some("Klaar".to_owned()),
                Some("medewerker@example.org".to_owned())
            ),
        ]
    );
    let child_events: Vec<String> = events(&office, open)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(child_events, ["signal.created", "signal.status_changed"]);

    // Directing departments only on a parent.
    let asc = office.department_id("ASC").await;
    let (status, body) = patch(
        &office,
        "medewerker@example.org",
        open,
        json!({"directing_departments": [{"id": asc}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!(["Directing departments can only be set on a parent Signal"])
    );
    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        parent,
        json!({"directing_departments": [{"id": asc}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["directing_departments"][0]["code"], "ASC");
    office.cleanup().await;
}

#[tokio::test]
async fn permissions_are_checked_per_key_and_a_signal_outside_the_users_departments_is_403() {
    let office = office().await;
    employee(
        &office,
        "lezer@example.org",
        &["sia_read", "sia_can_view_all_categories"],
    )
    .await;
    employee(
        &office,
        "schrijver@example.org",
        &["sia_read", "sia_write", "sia_can_view_all_categories"],
    )
    .await;
    office
        .user(NewUser {
            email: "elders@example.org",
            roles: &[("Elders", HANDLER_WITHOUT_VIEW_ALL)],
            departments: &["ASC"],
            ..NewUser::default()
        })
        .await;
    let id = report(&office, Some("melder@example.com"), GROFVUIL).await;
    let before = row_counts(&office, id).await;

    let (status, body) = patch(
        &office,
        "lezer@example.org",
        id,
        json!({"priority": {"priority": "high"}}),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, json!({"detail": FORBIDDEN}))
    );

    for change in [
        json!({"status": {"state": "b"}}),
        json!({"category": {"sub_category": CONTAINER_IS_VOL}}),
        json!({"notes": [{"text": "Notitie"}]}),
    ] {
        let (status, body) = patch(&office, "schrijver@example.org", id, change.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{change}");
        assert_eq!(body, json!({"detail": FORBIDDEN}), "{change}");
    }
    // Without the note permission an empty note list is no change at all.
    let (status, _) = patch(&office, "schrijver@example.org", id, json!({"notes": []})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = patch(
        &office,
        "elders@example.org",
        id,
        json!({"priority": {"priority": "high"}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(row_counts(&office, id).await, before, "nothing stored");

    let (status, _) = patch(&office, "schrijver@example.org", 999_999, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = patch(&office, "schrijver@example.org", 0, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // No token, a forged one.
    let (status, _, _) = office.send(Method::PATCH, &path(id), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = office
        .send(
            Method::PATCH,
            &path(id),
            Some("Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    office.cleanup().await;
}

const HANDLER_WITHOUT_VIEW_ALL: &[&str] = &[
    "sia_read",
    "sia_write",
    "sia_signal_change_status",
    "sia_signal_change_category",
    "sia_signal_create_note",
];

#[tokio::test]
async fn bad_input_for_every_key_is_a_400_and_stores_nothing() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    let id = report(&office, None, GROFVUIL).await;
    let before = row_counts(&office, id).await;
    let cases = [
        (
            json!([1, 2]),
            json!({"non_field_errors": ["Ongeldige data. Verwacht een dictionary, kreeg een list."]}),
        ),
        (
            json!({"status": {"text": "x"}}),
            json!({"status": {"state": ["Dit veld is vereist."]}}),
        ),
        (
            json!({"status": {"state": "sent"}}),
            json!({"status": {"state": ["\"sent\" is een ongeldige keuze."]}}),
        ),
        (
            json!({"status": {"state": "reaction requested", "text": "Waar?"}}),
            json!({"status": {"state": ["No email address known for signal with ID={{ signal.id }}."]}}),
        ),
        (
            json!({"status": {"state": "forward to external", "text": "Graag"}}),
            json!({"status": {"text": ["email_override, send_email, and text must all be set for DOORGEZET_NAAR_EXTERN flow"]}}),
        ),
        (
            json!({"status": {"state": "o"}}),
            json!({"text": ["This field is required when changing `state` to `Afgehandeld`."]}),
        ),
        (
            json!({"status": {"state": "ready to send"}}),
            json!({"target_api": ["This field is required when changing `state` to `Extern: te verzenden`."]}),
        ),
        (
            json!({"category": {"sub_category": "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/bestaat-niet"}}),
            json!({"category": {"sub_category": ["Ongeldige hyperlink - Object bestaat niet."]}}),
        ),
        (
            json!({"priority": {"priority": "urgent"}}),
            json!({"priority": {"priority": ["\"urgent\" is een ongeldige keuze."]}}),
        ),
        (
            json!({"type": {"code": "XYZ"}}),
            json!({"name": ["Waarde 'XYZ' is geen geldige keuze."]}),
        ),
        (
            json!({"notes": [{"text": ""}]}),
            json!({"notes": [{"text": ["Dit veld mag niet leeg zijn."]}]}),
        ),
        (
            json!({"routing_departments": [{"id": 99999}]}),
            json!({"routing_departments": [{"id": ["Ongeldige pk \"99999\" - object bestaat niet."]}]}),
        ),
        (
            json!({"assigned_user_email": "niemand@example.org"}),
            json!(["Could not set user assignment, user does not exist"]),
        ),
        (
            json!({"location": {"geometrie": {"type": "Point", "coordinates": [200, 100]}}}),
            json!({"location": {"geometrie": [signalen_domain::signal::GeometryError::OutsideBoundingBox.to_string()]}}),
        ),
        (
            // A valid key does not make a bad one pass: nothing is half-applied.
            json!({"priority": {"priority": "high"}, "assigned_user_email": "niemand@example.org"}),
            json!(["Could not set user assignment, user does not exist"]),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = patch(&office, "medewerker@example.org", id, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer, expected, "{body}");
    }
    let oversized = json!({"notes": [{"text": "x".repeat(400 * 1024)}]});
    let (status, answer) = patch(&office, "medewerker@example.org", id, oversized).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(row_counts(&office, id).await, before, "nothing stored");
    office.cleanup().await;
}

#[tokio::test]
async fn a_patch_waits_for_a_concurrent_change_and_then_answers_409() {
    let office = office().await;
    employee(&office, "medewerker@example.org", HANDLER).await;
    let id = report(&office, None, GROFVUIL).await;
    let mut holder = office.db.client().await;
    let lock = holder.transaction().await.expect("transaction");
    lock.execute(
        "SELECT 1 FROM signals_signal WHERE id = $1 FOR UPDATE",
        &[&id],
    )
    .await
    .expect("lock");
    let (status, body) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"priority": {"priority": "low"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    lock.rollback().await.expect("release");
    let (status, detail) = patch(
        &office,
        "medewerker@example.org",
        id,
        json!({"priority": {"priority": "low"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["priority"]["priority"], "low");
    office.cleanup().await;
}
