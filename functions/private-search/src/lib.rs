//! Full-text search of signals for the back office (spec 13.1):
//! `GET /signals/v1/private/search?q=…` with and without trailing slash.
//!
//! The query semantics, response shape and pagination are the reference's;
//! visibility is not: the department rules of the private list are part of
//! the OpenSearch query, so hits, pages and `count` hold only signals the
//! reader may see (the reference filters after paging and leaks the total).
//! The items are read from Postgres (the index only finds them), again
//! under the visibility rules, so a signal whose routing changed a moment
//! ago is never shown to a department that lost it.
//!
//! Per request: the user lookup, one query for the visible categories (not
//! for readers who see all), a count and a page search in OpenSearch, one
//! query for the page's items.

mod query;
mod search;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use search_indexer::SignalIndex;
use signalen_api::auth::Authenticator;
use signalen_api::routing::{both, read_only};
use signalen_api::with_common_layers;
use signalen_domain::user::Permission;
use signalen_infra::pg;

pub use query::CreatedAt;

/// The path of the search endpoint.
pub const SEARCH: &str = "/signals/v1/private/search";

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub auth: Authenticator,
    pub index: SignalIndex,
    pub config: Arc<Config>,
}

/// What the function reads from its environment besides its clients.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SIGNAL_ID_DISPLAY_PREFIX` (default `SIG-`).
    pub id_display_prefix: String,
    /// `REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED` (default
    /// on): a reporter's `allows_contact` follows the newest submitted
    /// feedback; off, it is always `true` (01 §2.3).
    pub feedback_allows_contact: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            id_display_prefix: "SIG-".to_owned(),
            feedback_allows_contact: true,
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, signalen_infra::config::ConfigError> {
        Ok(Self {
            id_display_prefix: signalen_infra::config::optional("SIGNAL_ID_DISPLAY_PREFIX")?
                .unwrap_or_else(|| Self::default().id_display_prefix),
            feedback_allows_contact: signalen_infra::config::flag(
                "REPORTER_MAIL_CONTACT_FEEDBACK_ALLOWS_CONTACT_ENABLED",
                Self::default().feedback_allows_contact,
            )?,
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// The search route (with and without its trailing slash) with the layers
/// every API function shares. Other methods: 401, then 403 without
/// `sia_write`, then 405 — the reference's order (spec 05 §4.4).
pub fn router(state: AppState) -> Router {
    let routes = both(
        Router::new(),
        SEARCH,
        read_only(search::search, &[Permission::SIA_WRITE]),
    )
    .with_state(state);
    with_common_layers(routes)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use dev_token::SigningKey;
    use signalen_api::test_util::{
        api_gateway_request, assert_every_route_asks_for_a_token, authenticator_for, send,
    };
    use signalen_infra::config::SearchConfig;
    use signalen_infra::search::SearchClient;

    use super::*;

    fn unreachable_state(key: &SigningKey) -> AppState {
        let pool = pg::unreachable_pool();
        let auth = authenticator_for(key, pool.clone());
        let client = SearchClient::new(&SearchConfig {
            url: "http://127.0.0.1:9".into(),
        })
        .expect("client");
        AppState {
            pool,
            auth,
            index: SignalIndex::new(client, "signals"),
            config: Arc::new(Config::default()),
        }
    }

    fn app() -> Router {
        router(unreachable_state(&SigningKey::generate().expect("key")))
    }

    #[tokio::test]
    async fn an_api_gateway_event_without_a_token_is_a_401() {
        let event = include_str!("../../../events/private-search/search-without-token.json");
        let request = api_gateway_request(event);

        let (status, _, body) = send(app(), request).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            r#"{"detail":"Authenticatiegegevens zijn niet opgegeven."}"#
        );
    }

    #[tokio::test]
    async fn both_paths_and_every_method_ask_for_a_token_first() {
        assert_every_route_asks_for_a_token(
            app,
            &[
                (Method::GET, "/signals/v1/private/search"),
                (Method::GET, "/signals/v1/private/search/?q=container"),
                (Method::POST, "/signals/v1/private/search/"),
                (Method::DELETE, "/signals/v1/private/search"),
            ],
        )
        .await;
    }
}
