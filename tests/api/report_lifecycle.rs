//! Issue 3's acceptance walk in one test: a citizen's report with a photo,
//! handled to closure by a department's employee, through the HTTP routers
//! of the three functions a report passes (public-signals,
//! signal-attachments, private-signals) on the real stack (PostgreSQL +
//! PostGIS, moto S3). Each step has its own detailed tests elsewhere
//! (public_signals, attachments, private_signals, private_signals_patch);
//! this one checks that they fit together.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use signal_attachments::file::fixtures;
use tower::ServiceExt;

use crate::auth::{BackOffice, NewUser};
use crate::helpers::{empty_bucket, test_bucket};

const BOUNDARY: &str = "----signalenLifecycleBoundary";
const TERMS: &str =
    "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories";
const HANDLER: &str = "behandelaar@example.org";
const OTHER_DEPARTMENT: &str = "stadswerken@example.org";
const EMAIL: &str = "melder@example.com";
const PHONE: &str = "0612345678";

/// One request to `app`; the status and the JSON body (`null` when empty).
async fn call(
    app: &Router,
    method: Method,
    path: &str,
    token: Option<String>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 4 << 20).await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, body)
}

fn photo_form(name: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(content);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_citizens_report_with_a_photo_is_handled_to_closure_through_the_http_layer() {
    let office = BackOffice::with_app(|pool, auth| {
        private_signals::router(private_signals::AppState::new(pool, auth))
    })
    .await;
    let store = test_bucket().await;
    let pool = office.db.pool.clone();
    let public = crate::fixtures::public_router(&pool);
    let attachments = signal_attachments::router(signal_attachments::AppState {
        pool: pool.clone(),
        auth: office.authenticator(),
        store: store.clone(),
        config: Arc::new(signal_attachments::Config::default()),
    });
    // ASC handles both afval categories the report passes through; STW
    // handles neither.
    office
        .db
        .client()
        .await
        .batch_execute(
            "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
             SELECT c.id, d.id, true, true FROM signals_category c
             JOIN signals_category m ON m.id = c.parent_id, signals_department d
             WHERE m.slug = 'afval' AND c.slug IN ('grofvuil', 'container-is-vol') AND d.code = 'ASC'",
        )
        .await
        .expect("category departments");
    let handler_permissions: &[&str] = &[
        "sia_read",
        "sia_write",
        "sia_signal_change_status",
        "sia_signal_change_category",
        "sia_signal_create_note",
        "sia_can_view_contact_details",
    ];
    for (email, department) in [(HANDLER, "ASC"), (OTHER_DEPARTMENT, "STW")] {
        office
            .user(NewUser {
                email,
                roles: &[(email, handler_permissions)],
                departments: &[department],
                ..NewUser::default()
            })
            .await;
    }

    // 1. The citizen's report, anonymously.
    let report = json!({
        "text": "Naast de container ligt een grote berg afval.",
        "location": {"geometrie": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                     "address": {"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011PN",
                                 "woonplaats": "Amsterdam"}},
        "category": {"sub_category": format!("{TERMS}/grofvuil")},
        "reporter": {"email": EMAIL, "phone": PHONE, "sharing_allowed": false},
        "incident_date_start": "2024-03-01T09:30:00+01:00"
    });
    let (status, created) = call(
        &public,
        Method::POST,
        "/signals/v1/public/signals/",
        None,
        "application/json",
        report.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let uuid = created["signal_id"].as_str().expect("signal_id").to_owned();

    // 2. Its photo, anonymously, by the report's uuid.
    let photo = fixtures::jpeg(64, 48);
    let (status, attached) = call(
        &attachments,
        Method::POST,
        &format!("/signals/v1/public/signals/{uuid}/attachments/"),
        None,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        photo_form("afval.jpg", &photo),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    assert_eq!(attached["is_image"], true);

    // 3. The public read: the report's state, none of the reporter's data.
    let (status, public_view) = call(
        &public,
        Method::GET,
        &format!("/signals/v1/public/signals/{uuid}"),
        None,
        "application/json",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{public_view}");
    assert_eq!(public_view["signal_id"], uuid.as_str());
    assert_eq!(public_view["status"]["state"], "OPEN");
    let shown = public_view.to_string();
    for personal in [EMAIL, PHONE, "reporter", "Amstel 1"] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }

    // 4. The back office finds it with filters; the other department does not.
    let list = async |query: &str| {
        office
            .get_as(HANDLER, &format!("/signals/v1/private/signals/?{query}"))
            .await
    };
    let (status, page) = list("status=m&maincategory_slug=afval&contact_details=email").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let [id] = ids(&page)[..] else {
        panic!("one signal expected: {page}");
    };
    let item = &page["results"][0];
    assert_eq!(item["reporter"]["email"], EMAIL);
    assert_eq!(item["has_attachments"], true);
    let (_, page) = list("status=b").await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = office
        .get_as(OTHER_DEPARTMENT, "/signals/v1/private/signals/")
        .await;
    assert_eq!(page["count"], 0, "{page}");
    let detail_path = format!("/signals/v1/private/signals/{id}");
    let (status, _) = office.get_as(OTHER_DEPARTMENT, &detail_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // 5. Handled: in behandeling with a note, another category, afgehandeld.
    let patch = async |body: Value| {
        office
            .send_json_as(HANDLER, Method::PATCH, &detail_path, &body)
            .await
    };
    for step in [
        json!({"status": {"state": "b", "text": "We gaan ermee aan de slag."},
               "notes": [{"text": "Melder gebeld."}]}),
        json!({"category": {"sub_category": format!("{TERMS}/container-is-vol"),
                            "text": "Verkeerd ingedeeld"}}),
        json!({"status": {"state": "o", "text": "De container is geleegd.", "send_email": true}}),
    ] {
        let (status, detail) = patch(step.clone()).await;
        assert_eq!(status, StatusCode::OK, "{step}: {detail}");
    }
    let (_, detail) = office.get_as(HANDLER, &detail_path).await;
    assert_eq!(detail["status"]["state"], "o");
    assert_eq!(detail["category"]["sub_slug"], "container-is-vol");
    assert_eq!(detail["attachments"].as_array().map(Vec::len), Some(1));

    // 6. A closed report cannot go back to "in behandeling".
    let (status, refusal) = patch(json!({"status": {"state": "b", "text": "Toch niet"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refusal,
        json!({"state": ["Invalid state transition from `Afgehandeld` to `In behandeling`."]})
    );

    // 7. The history shows every step, newest first.
    let (status, history) = office
        .get_as(HANDLER, &format!("{detail_path}/history"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let steps: Vec<(&str, &str)> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["what"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps[..5],
        [
            ("UPDATE_STATUS", "Status gewijzigd naar: Afgehandeld"),
            (
                "UPDATE_CATEGORY_ASSIGNMENT",
                "Categorie gewijzigd naar: Container is vol"
            ),
            ("CREATE_NOTE", "Notitie toegevoegd:"),
            ("UPDATE_STATUS", "Status gewijzigd naar: In behandeling"),
            ("CREATE_NOTE", "Notitie toegevoegd:"),
        ],
        "{history}"
    );
    let descriptions: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["description"].as_str())
        .collect();
    for text in [
        "De container is geleegd.",
        "Melder gebeld.",
        "We gaan ermee aan de slag.",
        "Bijlage toegevoegd door melder: afval.jpg",
    ] {
        assert!(descriptions.contains(&text), "{text} not in {history}");
    }
    assert!(
        steps.contains(&("UPDATE_STATUS", "Status gewijzigd naar: Gemeld")),
        "the creation's status: {history}"
    );

    empty_bucket(&store).await;
    office.cleanup().await;
}
