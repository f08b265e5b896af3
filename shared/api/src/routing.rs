//! Route helpers every private function shares: a path served with and
//! without its trailing slash (spec 05 §1), the reference's order of 401,
//! 403 and 405 for methods a route does not take (05 §4.4), path ids, and a
//! database connection that answers 503 when there is none.

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http::{HeaderValue, Method, StatusCode, header::ALLOW};

use crate::ApiError;

/// `path` and `path/`, both served by `route`.
pub fn both<S>(router: Router<S>, path: &str, route: MethodRouter<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .route(path, route.clone())
        .route(&format!("{path}/"), route)
}

/// A path id as the reference's router takes it: an integer names an
/// object (missing: `No <Model> matches the given query.`); anything else
/// is a 404 `Niet gevonden.` (spec 05 §4.3).
pub fn path_id(raw: &str, missing: &'static str) -> Result<i32, ApiError> {
    match raw.parse::<i32>() {
        Ok(id) => Ok(id),
        Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => {
            Err(ApiError::NotFound(missing))
        }
        Err(_) => Err(ApiError::NotFound("Niet gevonden.")),
    }
}

/// 405 `Methode "<METHOD>" niet toegestaan.` with an `Allow` header.
pub fn method_not_allowed(method: &Method, allow: &'static str) -> Response {
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(serde_json::json!({
            "detail": format!("Methode \"{method}\" niet toegestaan.")
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(feature = "auth")]
pub use with_auth::{connection, read_only, refuse_method};

#[cfg(feature = "auth")]
mod with_auth {
    use axum::extract::FromRef;
    use axum::handler::Handler;
    use axum::response::Response;
    use axum::routing::{MethodRouter, get};
    use http::Method;
    use signalen_domain::user::Permission;
    use signalen_infra::pg;

    use super::method_not_allowed;
    use crate::ApiError;
    use crate::auth::{AuthenticatedUser, Authenticator};

    /// A read-only route: `GET`/`HEAD` go to `handler`; any other method is
    /// authenticated, checked against `write` (what the reference's
    /// permission class asks for writes) and then refused with 405 — so that
    /// the order of 401, 403 and 405 is the reference's.
    pub fn read_only<H, T, S>(handler: H, write: &'static [Permission]) -> MethodRouter<S>
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
        Authenticator: FromRef<S>,
    {
        get(handler).fallback(move |user: AuthenticatedUser, method: Method| async move {
            refuse_method(&user, &method, write, "GET, HEAD, OPTIONS")
        })
    }

    /// The answer to a method a route does not take, for an authenticated
    /// `user`: 403 when the user lacks `write` (not checked for `OPTIONS`),
    /// else 405 naming the methods in `allow`.
    pub fn refuse_method(
        user: &AuthenticatedUser,
        method: &Method,
        write: &[Permission],
        allow: &'static str,
    ) -> Result<Response, ApiError> {
        if method != Method::OPTIONS {
            user.require_all(write)?;
        }
        Ok(method_not_allowed(method, allow))
    }

    /// A database connection, or 503 when there is none to be had.
    pub async fn connection(pool: &pg::Pool) -> Result<pg::Client, ApiError> {
        pool.get().await.map_err(|e| {
            tracing::error!(error.message = %e, "no database connection");
            ApiError::Unavailable("De database is tijdelijk niet bereikbaar.")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_integers_or_not_found() {
        assert_eq!(
            path_id("12", "No Category matches the given query.").ok(),
            Some(12)
        );
        assert!(matches!(
            path_id("99999999999", "No Category matches the given query."),
            Err(ApiError::NotFound("No Category matches the given query."))
        ));
        assert!(matches!(
            path_id("twaalf", "No Category matches the given query."),
            Err(ApiError::NotFound("Niet gevonden."))
        ));
        assert!(matches!(
            path_id("", "No Category matches the given query."),
            Err(ApiError::NotFound("Niet gevonden."))
        ));
    }

    #[tokio::test]
    async fn a_refused_method_names_itself_and_the_allowed_ones() {
        let response = method_not_allowed(&Method::PUT, "GET, PATCH, HEAD, OPTIONS");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET, PATCH, HEAD, OPTIONS");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(
            &body[..],
            br#"{"detail":"Methode \"PUT\" niet toegestaan."}"#
        );
    }
}
