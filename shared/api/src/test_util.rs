//! Helpers for the function crates' handler unit tests (feature
//! `test-util`, only ever enabled from `[dev-dependencies]`): an
//! [`Authenticator`] that trusts a `dev_token` key, and one request sent
//! through a router without a server.

use axum::Router;
use axum::body::{Body, to_bytes};
use dev_token::SigningKey;
use http::{HeaderMap, Request, StatusCode};
use signalen_infra::pg;
use tower::ServiceExt;

use crate::auth::{AuthConfig, Authenticator, JwksSource};

/// The `iss` the test authenticator accepts.
pub const ISSUER: &str = "https://login.example.org";
/// The one audience the test authenticator trusts.
pub const AUDIENCE: &str = "signals";

/// The largest response body [`send`] reads; handler responses in unit
/// tests are far smaller.
const BODY_LIMIT: usize = 1024 * 1024;

/// An authenticator over `pool` that trusts only `key` (as an inline JWKS,
/// so no network), with issuer [`ISSUER`] and audience [`AUDIENCE`]. With
/// `pg::unreachable_pool()` every request that gets past the token check
/// fails at the user lookup.
pub fn authenticator_for(key: &SigningKey, pool: pg::Pool) -> Authenticator {
    Authenticator::new(
        &AuthConfig {
            issuer: ISSUER.into(),
            verify_audience: true,
            trusted_audiences: vec![AUDIENCE.into()],
            jwks: JwksSource::Inline(key.jwks()),
        },
        pool,
    )
    .expect("the test authenticator builds")
}

/// Sends `request` through `router` (no server, no Lambda) and returns the
/// status, the headers and the body as text (invalid UTF-8 replaced).
pub async fn send(router: Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = router.oneshot(request).await.expect("a router never fails");
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), BODY_LIMIT)
        .await
        .expect("the response body");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The request lambda_http makes of an API Gateway (HTTP API, payload v2)
/// event, e.g. one of `events/`.
pub fn api_gateway_request(event: &str) -> Request<Body> {
    lambda_http::request::from_str(event)
        .expect("API Gateway v2 event")
        .map(|body| Body::from(body.to_vec()))
}

/// Every `(method, path)` sent without a token through a fresh `app()`
/// answers 401.
pub async fn assert_every_route_asks_for_a_token(
    app: impl Fn() -> Router,
    routes: &[(http::Method, &str)],
) {
    for (method, path) in routes {
        let request = Request::builder()
            .method(method.clone())
            .uri(*path)
            .body(Body::empty())
            .expect("request");
        let (status, _, _) = send(app(), request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::routing::get;
    use dev_token::TokenRequest;

    use super::*;
    use crate::auth::AuthError;

    #[tokio::test]
    async fn send_returns_status_headers_and_body() {
        let router = Router::new().route(
            "/ping",
            get(|| async { (StatusCode::ACCEPTED, [("x-test", "1")], "pong") }),
        );
        let request = Request::get("/ping").body(Body::empty()).expect("request");

        let (status, headers, body) = send(router, request).await;

        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(headers["x-test"], "1");
        assert_eq!(body, "pong");
    }

    fn bearer(key: &SigningKey) -> HeaderMap {
        let token = key
            .mint(&TokenRequest {
                email: "behandelaar@example.org".into(),
                issuer: ISSUER.into(),
                audience: vec![AUDIENCE.into()],
                ttl: Duration::from_secs(300),
            })
            .expect("token");
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        headers
    }

    #[tokio::test]
    async fn the_authenticator_trusts_its_key_and_then_needs_the_database() {
        let key = SigningKey::generate().expect("key");
        let auth = authenticator_for(&key, pg::unreachable_pool());

        let error = auth.authenticate(&bearer(&key)).await.expect_err("no db");

        assert!(
            matches!(error, AuthError::DatabaseUnavailable(_)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn the_authenticator_refuses_a_token_of_another_key() {
        let key = SigningKey::generate().expect("key");
        let other = SigningKey::generate().expect("other key");
        let auth = authenticator_for(&key, pg::unreachable_pool());

        let error = auth
            .authenticate(&bearer(&other))
            .await
            .expect_err("foreign");

        assert!(matches!(error, AuthError::LoginFailed(_)), "{error:?}");
    }
}
