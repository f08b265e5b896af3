//! `private-admin` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/private/{me,departments,categories,sources,permissions}`
//! (each with and without trailing slash, and `…/{proxy+}` below the last four).
//! Does: the back office's bootstrap resources — the signed-in user with its
//! roles and permissions, departments, private categories with service
//! levels and departments, sources, permissions (spec 04 §12, 04b §3–§5, §9)
//! — each behind bearer-token authentication and the reference's permissions.
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `OIDC_OP_ISSUER`, `OIDC_JWKS` or `OIDC_OP_JWKS_ENDPOINT` (+
//! `OIDC_JWKS_CACHE_SECONDS`), `OIDC_VERIFY_AUDIENCE`, `OIDC_TRUSTED_AUDIENCES`
//! (see docs/auth.md), `API_BASE_URL` (optional), `MEDIA_BASE_URL` (optional,
//! where category icons are served), `MAINTENANCE_MODE`.

use private_admin::{AppState, router};
use signalen_api::auth::Authenticator;
use signalen_infra::config::{DatabaseConfig, optional};
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");
    let auth = Authenticator::from_env(pool.clone()).expect("OIDC configuration");
    let media_base_url = optional("MEDIA_BASE_URL").expect("MEDIA_BASE_URL");
    let state = AppState {
        pool,
        auth,
        media_base_url,
    };
    signalen_api::run(router(state)).await
}
