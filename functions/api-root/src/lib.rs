//! The API root documents and the health check.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Value, json};
use signalen_api::{BaseUrl, with_common_layers};
use signalen_domain::version::COMPATIBLE_API_VERSION;
use signalen_infra::pg;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
}

/// The routes of this function, with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/signals", get(root))
        .route("/signals/", get(root))
        .route("/signals/v1/relations", get(relations))
        .route("/status/health", get(health))
        .with_state(state);
    with_common_layers(routes)
}

/// `GET /signals/`: the versions this API serves, as the reference lists them.
async fn root(base: BaseUrl) -> Json<Value> {
    Json(root_document(&base))
}

fn root_document(base: &BaseUrl) -> Value {
    json!({
        "v1": {
            "_links": { "self": { "href": base.join("/signals/v1/") } },
            "version": COMPATIBLE_API_VERSION,
            "status": "in production",
        },
        "version": COMPATIBLE_API_VERSION,
    })
}

/// `GET /signals/v1/relations`: the target of every HAL `curies` link; the
/// reference answers it with an empty body.
async fn relations() -> StatusCode {
    StatusCode::OK
}

/// `GET /status/health`: `Connectivity OK` when the database answers a query.
///
/// The reference answers a failure with 500; we answer 503, which says what it
/// is (a dependency is unavailable) and is what load balancers expect.
async fn health(State(state): State<AppState>) -> Response {
    let checked = match state.pool.get().await {
        Ok(client) => pg::ping(&client).await,
        Err(e) => Err(e.into()),
    };
    let plain = [(CONTENT_TYPE, "text/plain; charset=utf-8")];
    match checked {
        Ok(()) => (StatusCode::OK, plain, "Connectivity OK").into_response(),
        Err(e) => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                plain,
                "Database connectivity failed",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn unreachable_state() -> AppState {
        AppState {
            pool: pg::unreachable_pool(),
        }
    }

    async fn call(request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
        let response = router(unreachable_state())
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        (
            status,
            headers,
            String::from_utf8(body.to_vec()).expect("utf-8"),
        )
    }

    #[tokio::test]
    async fn the_root_document_links_to_v1_under_the_host_the_client_used() {
        let request = Request::get("/signals/")
            .header("host", "api.example.org")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .expect("request");
        let (status, headers, body) = call(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-api-version"], COMPATIBLE_API_VERSION);
        let document: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            document,
            json!({
                "v1": {
                    "_links": {"self": {"href": "https://api.example.org/signals/v1/"}},
                    "version": "2.50.12",
                    "status": "in production"
                },
                "version": "2.50.12"
            })
        );
    }

    #[tokio::test]
    async fn the_trailing_slash_is_optional_and_head_has_no_body() {
        let request = Request::get("/signals")
            .body(Body::empty())
            .expect("request");
        assert_eq!(call(request).await.0, StatusCode::OK);

        let request = Request::head("/signals/")
            .body(Body::empty())
            .expect("request");
        let (status, headers, body) = call(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn relations_answers_with_an_empty_body() {
        let request = Request::get("/signals/v1/relations")
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = call(request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn health_reports_an_unreachable_database_as_unavailable() {
        let request = Request::get("/status/health")
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = call(request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "Database connectivity failed");
    }

    #[tokio::test]
    async fn an_api_gateway_v2_event_reaches_the_root_route() {
        let event = include_str!("../../../events/api-root/get-root.json");
        let request = lambda_http::request::from_str(event).expect("API Gateway v2 event");
        let request = request.map(|body| Body::from(body.to_vec()));
        let (status, _, body) = call(request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("https://abc123.execute-api.eu-west-1.amazonaws.com/signals/v1/"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn an_unknown_path_is_not_found() {
        let request = Request::get("/signals/v2/")
            .body(Body::empty())
            .expect("request");
        assert_eq!(call(request).await.0, StatusCode::NOT_FOUND);
    }
}
