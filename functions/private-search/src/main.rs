//! `private-search` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/private/search` and
//! `…/search/`.
//! Does: the back office's free-text search of signals (spec 13.1): the
//! reference's `multi_match`, `ordering` on `created_at`, HAL pages of
//! private list items, with the private list's department visibility inside
//! the OpenSearch query (counts included); 503 when OpenSearch is down.
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `OPENSEARCH_URL`, `SEARCH_INDEX_ALIAS` (default `signals`), `OIDC_*`
//! (docs/auth.md), `API_BASE_URL` (optional), `SIGNAL_ID_DISPLAY_PREFIX`
//! (default `SIG-`), `MAINTENANCE_MODE`.

use std::sync::Arc;

use private_search::{AppState, Config, router};
use search_indexer::IndexConfig;
use signalen_api::auth::Authenticator;
use signalen_infra::config::DatabaseConfig;
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");
    let auth = Authenticator::from_env(pool.clone()).expect("OIDC configuration");
    let index = IndexConfig::from_env()
        .and_then(|config| config.index())
        .expect("search configuration");
    let config = Config::from_env().expect("configuration");
    let state = AppState {
        pool,
        auth,
        index,
        config: Arc::new(config),
    };
    signalen_api::run(router(state)).await
}
