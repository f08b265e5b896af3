//! The back office's bootstrap resources, which the frontend loads right
//! after login (spec 04b §0): the signed-in user (04 §12), departments
//! (04b §4), categories with their service levels and departments (04b §5),
//! sources (04b §9) and the permission list (04b §3).
//!
//! Every route authenticates first (401/403 of spec 05 §3.3), then checks
//! the view permission (403), then the method (405), as the reference does
//! (05 §4.4). Each request makes a constant number of queries: the user
//! lookup, then one to three for the resource, whatever the data's size.

mod categories;
mod departments;
mod me;
mod permissions;
mod representation;
mod sources;

use axum::Router;
use axum::extract::FromRef;
use signalen_api::auth::Authenticator;
use signalen_api::routing::{both, path_id, read_only};
use signalen_api::{ApiError, with_common_layers};
use signalen_domain::user::Permission;
use signalen_infra::pg;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub auth: Authenticator,
    /// Where category icons are served; `None`: `<API base>/signals/media/`.
    pub media_base_url: Option<String>,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// The routes of this function (each with and without its trailing slash),
/// with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(me::routes())
        .merge(departments::routes())
        .merge(categories::routes())
        .merge(sources::routes())
        .merge(permissions::routes())
        .with_state(state);
    with_common_layers(routes)
}

/// Writes on resources guarded by `SIAPermissions`.
const SIA_WRITE: &[Permission] = &[Permission::SIA_WRITE];

/// A database connection, or 503 when there is none to be had.
async fn connection(state: &AppState) -> Result<pg::Client, ApiError> {
    signalen_api::routing::connection(&state.pool).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use dev_token::SigningKey;
    use signalen_api::test_util::{
        api_gateway_request, assert_every_route_asks_for_a_token, authenticator_for, send,
    };

    use super::*;

    /// A pool whose server does not exist: port 9 (discard) is never a database.
    fn unreachable_state(key: &SigningKey) -> AppState {
        let pool = pg::unreachable_pool();
        let auth = authenticator_for(key, pool.clone());
        AppState {
            pool,
            auth,
            media_base_url: None,
        }
    }

    fn app() -> Router {
        router(unreachable_state(&SigningKey::generate().expect("key")))
    }

    #[tokio::test]
    async fn an_api_gateway_event_without_a_token_is_a_401_before_any_database_work() {
        let event = include_str!("../../../events/private-admin/get-me-without-token.json");
        let request = api_gateway_request(event);

        let (status, headers, body) = send(app(), request).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers["www-authenticate"], r#"Bearer realm="signals""#);
        assert_eq!(
            body,
            r#"{"detail":"Authenticatiegegevens zijn niet opgegeven."}"#
        );
    }

    #[tokio::test]
    async fn every_route_and_method_asks_for_a_token_first() {
        assert_every_route_asks_for_a_token(
            app,
            &[
                (Method::GET, "/signals/v1/private/me"),
                (Method::GET, "/signals/v1/private/departments/"),
                (Method::GET, "/signals/v1/private/departments/3"),
                (Method::GET, "/signals/v1/private/categories/"),
                (Method::GET, "/signals/v1/private/categories/12/"),
                (Method::GET, "/signals/v1/private/sources/"),
                (Method::GET, "/signals/v1/private/permissions/"),
                (Method::POST, "/signals/v1/private/departments/"),
                (Method::PATCH, "/signals/v1/private/categories/12"),
                (Method::DELETE, "/signals/v1/private/me/"),
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn a_malformed_bearer_header_is_a_401_with_its_own_text() {
        let request = Request::get("/signals/v1/private/me/")
            .header("authorization", "Bearer")
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = send(app(), request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("No credentials provided."), "{body}");
    }
}
