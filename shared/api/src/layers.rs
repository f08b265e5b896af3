//! Layers every API function applies, in the reference's behaviour.

use axum::Router;
use axum::body::Body;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Method, Request, StatusCode};
use signalen_domain::version::COMPATIBLE_API_VERSION;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub const X_API_VERSION: HeaderName = HeaderName::from_static("x-api-version");
pub const X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");
const LINK: HeaderName = HeaderName::from_static("link");

/// The path that answers even in maintenance mode.
pub const HEALTH_PATH: &str = "/status/health";

/// Wraps a function's router in the layers the reference applies to every
/// response: CORS for the browser frontend (preflight answered here), the
/// `X-API-Version` header, and maintenance mode.
pub fn with_common_layers(router: Router) -> Router {
    router
        .layer(middleware::from_fn(method_not_allowed))
        .layer(middleware::from_fn(maintenance_mode))
        .layer(SetResponseHeaderLayer::overriding(
            X_API_VERSION,
            HeaderValue::from_static(COMPATIBLE_API_VERSION),
        ))
        .layer(cors())
}

/// All origins are allowed, as in the reference (`CORS_ALLOW_ALL_ORIGINS`);
/// in AWS the HTTP API's CORS configuration narrows this to the frontend's origin.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static("accept-language"),
        ])
        .expose_headers([LINK, X_API_VERSION, X_TOTAL_COUNT])
        .max_age(std::time::Duration::from_secs(86_400))
}

/// `MAINTENANCE_MODE=true`, read per request as the reference does, answers
/// every path but the health check with 503.
async fn maintenance_mode(request: Request<Body>, next: Next) -> Response {
    let on = maintenance_mode_on(std::env::var("MAINTENANCE_MODE").ok().as_deref());
    if on && request.uri().path() != HEALTH_PATH {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "API in maintenance mode",
        )
            .into_response();
    }
    next.run(request).await
}

/// The router answers a method a route lacks with an empty 405; the
/// reference answers with its error body, which clients show.
async fn method_not_allowed(request: Request<Body>, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let body = axum::Json(
        serde_json::json!({ "detail": format!("Methode \"{method}\" niet toegestaan.") }),
    );
    let mut replaced = body.into_response();
    for (name, value) in parts.headers.iter() {
        if name != CONTENT_TYPE {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *replaced.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    replaced
}

/// Whether a `MAINTENANCE_MODE` value switches maintenance on (`true`, any
/// case, or `1`); unset or anything else leaves the API serving.
fn maintenance_mode_on(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1")
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        with_common_layers(Router::new().route("/signals/", get(|| async { "ok" })))
    }

    #[test]
    fn only_an_explicit_true_switches_maintenance_on() {
        assert!(maintenance_mode_on(Some("true")));
        assert!(maintenance_mode_on(Some("True")));
        assert!(maintenance_mode_on(Some("1")));
        assert!(!maintenance_mode_on(None));
        assert!(!maintenance_mode_on(Some("false")));
        assert!(!maintenance_mode_on(Some("")));
    }

    #[tokio::test]
    async fn a_method_the_route_lacks_is_refused_in_the_reference_format() {
        let request = Request::post("/signals/")
            .body(Body::empty())
            .expect("request");
        let response = app().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(response.headers().contains_key(http::header::ALLOW));
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(
            &body[..],
            r#"{"detail":"Methode \"POST\" niet toegestaan."}"#.as_bytes()
        );
    }

    #[tokio::test]
    async fn every_response_carries_the_api_version() {
        let request = Request::get("/signals/")
            .body(Body::empty())
            .expect("request");
        let response = app().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[X_API_VERSION], COMPATIBLE_API_VERSION);
    }

    #[tokio::test]
    async fn a_preflight_allows_authorization_and_exposes_the_total_count() {
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/signals/")
            .header("origin", "http://localhost:3001")
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .body(Body::empty())
            .expect("request");
        let response = app().oneshot(request).await.expect("response");
        assert!(response.status().is_success());
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "*");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .expect("ascii");
        assert!(
            allowed.contains("authorization") && allowed.contains("content-type"),
            "{allowed}"
        );
        assert!(
            headers["access-control-allow-methods"]
                .to_str()
                .expect("ascii")
                .contains("PATCH")
        );

        let request = Request::get("/signals/")
            .header("origin", "http://localhost:3001")
            .body(Body::empty())
            .expect("request");
        let response = app().oneshot(request).await.expect("response");
        let exposed = response.headers()["access-control-expose-headers"]
            .to_str()
            .expect("ascii");
        assert!(exposed.contains("x-total-count"), "{exposed}");
    }
}
