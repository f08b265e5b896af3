//! The public map (`GET /signals/v1/public/signals/geography`, spec 03 §5)
//! on a real database: what it shows and hides, its filters, its paging
//! headers (also on HEAD) and its refusals.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fixtures::citizen_report;
use crate::helpers::TestDatabase;

const MAP: &str = "/signals/v1/public/signals/geography";
const CATEGORIES: &str = "https://api.example.org/signals/v1/public/terms/categories";

struct Map {
    db: TestDatabase,
    app: axum::Router,
}

impl Map {
    async fn new() -> Self {
        let db = TestDatabase::new().await;
        let app = public_signals::router(public_signals::AppState {
            pool: db.pool.clone(),
            config: Arc::new(public_signals::Config {
                throttle: None,
                ..public_signals::Config::default()
            }),
        });
        // Only publicly accessible sub categories are on the map.
        db.client()
            .await
            .execute(
                "UPDATE signals_category SET is_public_accessible = true, public_name = 'Grof afval'
                 WHERE slug = 'grofvuil'",
                &[],
            )
            .await
            .expect("public category");
        db.client()
            .await
            .execute(
                "UPDATE signals_category SET is_public_accessible = true WHERE slug = 'container-is-vol'",
                &[],
            )
            .await
            .expect("public category");
        Self { db, app }
    }

    async fn report(&self, sub: &str, lon: f64, lat: f64) -> i32 {
        citizen_report(
            &self.db.pool,
            &json!({
                "text": "Er ligt afval op straat.",
                "location": {"geometrie": {"type": "Point", "coordinates": [lon, lat]}},
                "category": {"sub_category": format!("{CATEGORIES}/afval/sub_categories/{sub}")},
                "reporter": {"email": null, "sharing_allowed": false},
                "incident_date_start": "2024-03-01T09:30:00+01:00"
            }),
        )
        .await
    }

    async fn close(&self, id: i32) {
        self.db
            .client()
            .await
            .execute(
                "WITH st AS (INSERT INTO signals_status (_signal_id, state, text)
                             VALUES ($1, 'o', 'Opgeruimd') RETURNING id)
                 UPDATE signals_signal SET status_id = st.id FROM st WHERE signals_signal.id = $1",
                &[&id],
            )
            .await
            .expect("closed");
    }

    async fn get(&self, method: Method, query: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
        let request = Request::builder()
            .method(method)
            .uri(format!("{MAP}?{query}"))
            .header("host", "api.example.org")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        };
        (status, headers, body)
    }
}

fn coordinates(body: &Value) -> Vec<(f64, f64)> {
    body["features"]
        .as_array()
        .map(|features| {
            features
                .iter()
                .map(|f| {
                    let c = &f["geometry"]["coordinates"];
                    (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_map_shows_open_signals_of_public_categories_within_the_box() {
    let map = Map::new().await;
    map.report("grofvuil", 4.90, 52.37).await;
    map.report("container-is-vol", 4.91, 52.36).await;
    let closed = map.report("grofvuil", 4.89, 52.38).await;
    map.close(closed).await;
    map.report("grofvuil", 5.50, 52.00).await; // outside the box
    map.report("huisafval", 4.90, 52.37).await; // not a public category
    let bbox = "bbox=4.80,52.30,5.00,52.40";

    let (status, headers, body) = map.get(Method::GET, bbox).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-total-count"], "2");
    assert_eq!(body["type"], "FeatureCollection");
    let mut points = coordinates(&body);
    points.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    assert_eq!(points, [(4.90, 52.37), (4.91, 52.36)]);
    let grofvuil = body["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["category"]["slug"] == "grofvuil")
        .expect("the grofvuil point");
    assert_eq!(
        grofvuil["properties"]["category"],
        json!({"name": "Grof afval", "slug": "grofvuil", "parent": {"name": "Afval", "slug": "afval"}})
    );
    assert!(
        grofvuil["properties"]["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with("+01:00") || t.ends_with("+02:00")),
        "{grofvuil}"
    );

    let (_, _, sub) = map
        .get(
            Method::GET,
            &format!("{bbox}&category_slug=container-is-vol"),
        )
        .await;
    assert_eq!(coordinates(&sub), [(4.91, 52.36)]);
    let (_, _, point) = map.get(Method::GET, "lon=4.90&lat=52.37").await;
    assert_eq!(coordinates(&point), [(4.90, 52.37)]);
    let (_, headers, empty) = map.get(Method::GET, "bbox=0,0,1,1").await;
    assert_eq!(
        empty,
        json!({"type": "FeatureCollection", "features": null})
    );
    assert_eq!(headers["x-total-count"], "0");
    map.db.cleanup().await;
}

#[tokio::test]
async fn pages_are_linked_and_head_reads_the_count_without_a_body() {
    let map = Map::new().await;
    for n in 0..5 {
        map.report("grofvuil", 4.90 + f64::from(n) / 100.0, 52.37)
            .await;
    }
    let query = "bbox=4.80,52.30,5.00,52.40&page_size=2";

    let (status, headers, body) = map.get(Method::HEAD, query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-total-count"], "5");
    assert_eq!(body, Value::Null);

    let mut seen = Vec::new();
    for page in 1..=3 {
        let (_, headers, body) = map
            .get(Method::GET, &format!("{query}&geopage={page}"))
            .await;
        let link = headers["link"].to_str().expect("link");
        assert!(link.contains(r#"rel="self""#), "{link}");
        assert_eq!(link.contains(r#"rel="next""#), page < 3, "{link}");
        assert_eq!(link.contains(r#"rel="prev""#), page > 1, "{link}");
        seen.extend(coordinates(&body));
    }
    seen.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    seen.dedup();
    assert_eq!(seen.len(), 5, "pages do not overlap: {seen:?}");
    let (status, _, body) = map.get(Method::GET, &format!("{query}&geopage=4")).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "Ongeldige pagina."})
        )
    );

    let (_, _, grouped) = map
        .get(Method::GET, "bbox=4.80,52.30,5.00,52.40&group_by=category")
        .await;
    assert_eq!(
        coordinates(&grouped).len(),
        5,
        "one feature per category and point"
    );
    map.db.cleanup().await;
}

#[tokio::test]
async fn a_map_without_an_area_or_with_unknown_categories_is_a_400() {
    let map = Map::new().await;
    for (query, expected) in [
        (
            "category_slug=grofvuil",
            json!({"non_field_errors": ["Either bbox or lon/lat must be filled in"]}),
        ),
        (
            "lon=4.9",
            json!({"non_field_errors": ["Either bbox or lon/lat must be filled in"]}),
        ),
        ("lon=oost&lat=52.3", json!({"lon": ["Voer een getal in."]})),
        (
            "bbox=4.8,52.3,5.0,52.4&category_slug=huisafval",
            json!({"category_slug": ["Selecteer een geldige keuze. huisafval is geen beschikbare keuze."]}),
        ),
        (
            "bbox=4.8,52.3,5.0,52.4&maincategory_slug=grofvuil",
            json!({"maincategory_slug": ["Selecteer een geldige keuze. grofvuil is geen beschikbare keuze."]}),
        ),
    ] {
        let (status, _, body) = map.get(Method::GET, query).await;
        assert_eq!(
            (status, &body),
            (StatusCode::BAD_REQUEST, &expected),
            "{query}"
        );
    }
    let (status, _, body) = map.get(Method::GET, "bbox=1,2,3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["bbox"].is_array(), "{body}");
    map.db.cleanup().await;
}
