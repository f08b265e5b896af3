//! `api-root` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `GET|HEAD /signals`, `/signals/`,
//! `/signals/v1/relations` and `/status/health`.
//! Does: answers the API root document the frontend checks, the empty HAL
//! curies target, and a health check that queries the database.
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `API_BASE_URL` (optional), `MAINTENANCE_MODE` (optional, read per request).

use api_root::{AppState, router};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");
    signalen_api::run(router(AppState { pool })).await
}
