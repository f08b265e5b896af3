use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use public_terms::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::TestDatabase;

const BASE: &str = "https://api.example.org";

async fn get(db: &TestDatabase, path: &str) -> (StatusCode, Value) {
    let app = router(AppState {
        pool: db.pool.clone(),
        media_base_url: None,
    });
    let request = Request::get(path)
        .header("host", "api.example.org")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).expect("JSON")
    };
    (status, json)
}

#[tokio::test]
async fn the_main_categories_come_with_their_sub_categories_in_name_order() {
    let db = TestDatabase::new().await;

    let (status, page) = get(&db, "/signals/v1/public/terms/categories/").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 13);
    let results = page["results"].as_array().expect("results");
    let names: Vec<&str> = results
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let afval = results
        .iter()
        .find(|c| c["slug"] == "afval")
        .expect("afval");
    assert_eq!(afval["_display"], "Afval");
    assert_eq!(
        afval["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/public/terms/categories/afval")
    );
    assert_eq!(
        afval["_links"]["curies"]["href"],
        format!("{BASE}/signals/v1/relations")
    );
    let subs = afval["sub_categories"].as_array().expect("subs");
    assert!(subs.iter().any(|s| s["slug"] == "container-is-vol"));
    assert!(
        subs.iter().any(|s| s["is_active"] == false),
        "inactive sub categories are listed too"
    );
    let total_subs: usize = results
        .iter()
        .map(|c| c["sub_categories"].as_array().expect("subs").len())
        .sum();
    assert_eq!(total_subs, 155);
    db.cleanup().await;
}

#[tokio::test]
async fn a_sub_category_links_to_itself_and_lists_its_responsible_departments() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
             SELECT c.id, d.id, d.code = 'STW', true
             FROM signals_category c JOIN signals_category m ON m.id = c.parent_id, signals_department d
             WHERE m.slug = 'afval' AND c.slug = 'container-is-vol' AND d.code IN ('STW', 'ASC')",
        )
        .await
        .expect("departments for the category");

    let (status, sub) = get(
        &db,
        "/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol",
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sub["_links"]["self"]["href"],
        format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol")
    );
    assert_eq!(sub["_display"], "Container is vol (Afval)");
    assert_eq!(sub["is_active"], true);
    assert!(
        sub["handling_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let departments = sub["departments"].as_array().expect("departments");
    assert_eq!(
        departments.len(),
        1,
        "only the responsible department: {departments:?}"
    );
    assert_eq!(departments[0]["code"], "STW");
    assert!(sub.get("questionnaire").is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn pages_of_sub_categories_link_to_each_other() {
    let db = TestDatabase::new().await;

    let (status, page) = get(
        &db,
        "/signals/v1/public/terms/categories/afval/sub_categories/?page_size=5&page=2",
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["results"].as_array().expect("results").len(), 5);
    let base = format!("{BASE}/signals/v1/public/terms/categories/afval/sub_categories/");
    assert_eq!(
        page["_links"]["previous"]["href"],
        format!("{base}?page=1&page_size=5")
    );
    assert_eq!(
        page["_links"]["next"]["href"],
        format!("{base}?page=3&page_size=5")
    );
    let (status, beyond) = get(
        &db,
        "/signals/v1/public/terms/categories/afval/sub_categories/?page=99",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(beyond["detail"], "Ongeldige pagina.");
    db.cleanup().await;
}

#[tokio::test]
async fn slugs_are_matched_per_level_and_unknown_ones_are_not_found() {
    let db = TestDatabase::new().await;

    let (main_status, main) = get(&db, "/signals/v1/public/terms/categories/overig").await;
    let (sub_as_main, body) =
        get(&db, "/signals/v1/public/terms/categories/container-is-vol").await;
    let (wrong_parent, _) = get(&db, "/signals/v1/public/terms/categories/wegen-verkeer-straatmeubilair/sub_categories/container-is-vol").await;

    assert_eq!(main_status, StatusCode::OK);
    assert_eq!(main["slug"], "overig");
    assert_eq!(sub_as_main, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], "No Category matches the given query.");
    assert_eq!(wrong_parent, StatusCode::NOT_FOUND);
    db.cleanup().await;
}
