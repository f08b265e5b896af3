use api_root::{AppState, router};
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::TestDatabase;

#[tokio::test]
async fn the_health_check_reports_a_reachable_database() {
    let db = TestDatabase::new().await;
    let app = router(AppState {
        pool: db.pool.clone(),
    });

    let response = app
        .oneshot(
            Request::get("/status/health")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");

    assert_eq!(response.status(), StatusCode::OK);
    let body = to_bytes(response.into_body(), 1024).await.expect("body");
    assert_eq!(&body[..], b"Connectivity OK");
    db.cleanup().await;
}
