//! `public-terms` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API route `GET|HEAD /signals/v1/public/terms/{proxy+}`.
//! Does: serves the public category taxonomy the citizen wizard and the
//! classifier's category URLs rely on — main categories with their sub
//! categories, one main category, the sub categories of a main, one sub
//! category (spec 03 §6).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `API_BASE_URL` (optional), `MEDIA_BASE_URL` (optional, where category icons
//! are served; default `<API base>/signals/media/`), `MAINTENANCE_MODE`.

use public_terms::{AppState, router};
use signalen_infra::config::{DatabaseConfig, optional};
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let media_base_url = optional("MEDIA_BASE_URL").expect("MEDIA_BASE_URL");
    let state = AppState {
        pool: pg::pool(&database).expect("database pool"),
        media_base_url,
    };
    signalen_api::run(router(state)).await
}
