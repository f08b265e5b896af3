//! The back office's signals (spec 04 §1–§6): the list with every filter
//! and ordering of 04 §2.1, one signal (§3.1; its `PATCH`, §3.2, lives in
//! [`patch`]), its history (§4, texts of 06), its children (§5) and the
//! map (§6) — each limited to what the caller may see (01 §9.3).
//!
//! Every route authenticates first (401/403 of 05 §3.3), then checks the
//! view permission (403), then the method (405), then looks the object up
//! (404) and checks object access (403), as the reference does (05 §4.4).
//! A request costs a constant number of queries whatever the page size:
//! the user lookup, at most one for filter values that live in the
//! database, then the count and the page with everything nested in it,
//! sent together (docs/private-signals.md).

mod children;
mod config;
pub mod detail;
mod geography;
mod history;
mod list;
pub mod patch;
mod query;
pub mod visibility;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use http::Method;
use signalen_api::auth::{AuthenticatedUser, Authenticator};
use signalen_api::routing::{both, method_not_allowed, refuse_method};
use signalen_api::{BaseUrl, with_common_layers};
use signalen_domain::user::Permission;
use signalen_infra::config::LocationSettings;
use signalen_infra::pg;

pub use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub auth: Authenticator,
    pub config: Arc<Config>,
    /// How a PATCH's location is checked and enriched.
    pub location: Arc<LocationSettings>,
}

impl AppState {
    /// With the reference's default settings.
    pub fn new(pool: pg::Pool, auth: Authenticator) -> Self {
        AppState {
            pool,
            auth,
            config: Arc::new(Config::default()),
            location: Arc::new(LocationSettings::default()),
        }
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

const SIGNALS: &str = "/signals/v1/private/signals";
const NO_SIGNAL: &str = "No Signal matches the given query.";

tokio::task_local! {
    /// The base URL of the request being served, for documents built
    /// outside a handler's arguments ([`detail::detail_document`]).
    static REQUEST_BASE: BaseUrl;
}

/// The base URL of the request being served (`API_BASE_URL`, else the
/// forwarded scheme and host); outside a request, `API_BASE_URL` or
/// `http://localhost`.
pub fn request_base() -> BaseUrl {
    REQUEST_BASE.try_with(Clone::clone).unwrap_or_else(|_| {
        BaseUrl::new(
            &std::env::var("API_BASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "http://localhost".to_owned()),
        )
    })
}

async fn with_request_base(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let base = BaseUrl::from_parts(&parts);
    REQUEST_BASE
        .scope(base, next.run(Request::from_parts(parts, body)))
        .await
}

/// The routes of this function (each with and without its trailing
/// slash), with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let item = format!("{SIGNALS}/{{id}}");
    let mut routes = Router::new();
    routes = both(routes, SIGNALS, collection(get(list::list)));
    routes = both(
        routes,
        &format!("{SIGNALS}/geography"),
        read_only(get(geography::geography)),
    );
    routes = both(
        routes,
        &item,
        get(detail::detail).patch(patch::patch).fallback(
            |user: AuthenticatedUser, method: Method| async move {
                // PUT is refused after the write permission, DELETE has no
                // permission entry in the reference and is refused at once.
                let write: &[Permission] = if method == Method::DELETE {
                    &[]
                } else {
                    &[Permission::SIA_WRITE]
                };
                refuse_method(&user, &method, write, "GET, PATCH, HEAD, OPTIONS")
            },
        ),
    );
    routes = both(
        routes,
        &format!("{item}/history"),
        read_only(get(history::history)),
    );
    routes = both(
        routes,
        &format!("{item}/children"),
        read_only(get(children::children)),
    );
    let routes = routes
        .layer(middleware::from_fn(with_request_base))
        .with_state(state);
    with_common_layers(routes)
}

/// A GET route whose other methods are authenticated, checked against
/// `sia_write` and refused with 405.
fn read_only(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(|user: AuthenticatedUser, method: Method| async move {
        refuse_method(
            &user,
            &method,
            &[Permission::SIA_WRITE],
            "GET, HEAD, OPTIONS",
        )
    })
}

/// The list route. Creating signals (`POST`, 04 §2.2) is not served by
/// this function yet: it is authenticated and permission-checked as the
/// reference's create, then refused.
fn collection(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(|user: AuthenticatedUser, method: Method| async move {
        if method == Method::POST {
            user.require_all(&[Permission::SIA_WRITE, Permission::SIA_SIGNAL_CREATE_INITIAL])?;
            return Ok(method_not_allowed(&method, "GET, HEAD, OPTIONS"));
        }
        refuse_method(
            &user,
            &method,
            &[Permission::SIA_WRITE],
            "GET, HEAD, OPTIONS",
        )
    })
}

/// A database connection, or 503.
async fn connection(state: &AppState) -> Result<pg::Client, signalen_api::ApiError> {
    signalen_api::routing::connection(&state.pool).await
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use dev_token::SigningKey;
    use signalen_api::test_util::{
        api_gateway_request, assert_every_route_asks_for_a_token, authenticator_for, send,
    };

    use super::*;

    fn unreachable_state(key: &SigningKey) -> AppState {
        let pool = pg::unreachable_pool();
        let auth = authenticator_for(key, pool.clone());
        AppState::new(pool, auth)
    }

    fn app() -> Router {
        router(unreachable_state(&SigningKey::generate().expect("key")))
    }

    #[tokio::test]
    async fn an_api_gateway_event_without_a_token_is_a_401_before_any_database_work() {
        let event = include_str!("../../../events/private-signals/get-list-without-token.json");
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
                (Method::GET, "/signals/v1/private/signals"),
                (Method::GET, "/signals/v1/private/signals/"),
                (Method::POST, "/signals/v1/private/signals/"),
                (Method::GET, "/signals/v1/private/signals/geography"),
                (Method::GET, "/signals/v1/private/signals/12"),
                (Method::GET, "/signals/v1/private/signals/12/"),
                (Method::PATCH, "/signals/v1/private/signals/12"),
                (Method::PUT, "/signals/v1/private/signals/12"),
                (Method::DELETE, "/signals/v1/private/signals/12"),
                (Method::GET, "/signals/v1/private/signals/12/history"),
                (Method::GET, "/signals/v1/private/signals/12/children/"),
                (Method::POST, "/signals/v1/private/signals/12/history"),
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn outside_a_request_the_base_is_the_configured_or_local_one() {
        let inside = REQUEST_BASE
            .scope(BaseUrl::new("https://api.example.org"), async {
                request_base()
            })
            .await;
        assert_eq!(inside.as_str(), "https://api.example.org");
        assert!(!request_base().as_str().is_empty());
    }
}
