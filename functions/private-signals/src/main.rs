//! `private-signals` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/private/signals`, `…/signals/`
//! and `…/signals/{proxy+}` (attachment routes below a signal go to
//! `signal-attachments`).
//! Does: the back office's signal list with every filter and ordering, the
//! map (`…/geography`), one signal, its history and its children (spec 04
//! §2.1, §3.1, §4–§6), each limited to what the caller may see (01 §9.3);
//! and the update of one signal (`PATCH …/{id}`, 04 §3.2).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `OIDC_OP_ISSUER`, `OIDC_JWKS` or `OIDC_OP_JWKS_ENDPOINT` (+
//! `OIDC_JWKS_CACHE_SECONDS`), `OIDC_VERIFY_AUDIENCE`, `OIDC_TRUSTED_AUDIENCES`
//! (docs/auth.md), `API_BASE_URL` (optional), `MAINTENANCE_MODE`,
//! `SIGNAL_ID_DISPLAY_PREFIX` (`SIG-`), `SIGNALS_API_GEO_PAGINATE_BY`
//! (4000); for PATCH locations `BOUNDING_BOX`, `DEFAULT_SIGNAL_AREA_TYPE`,
//! `API_DETERMINE_STADSDEEL_ENABLED`. A PATCH writes Postgres only: its
//! events reach the consumers through the outbox relay (docs/async.md).

use std::sync::Arc;

use private_signals::{AppState, Config, router};
use signalen_api::auth::Authenticator;
use signalen_infra::config::{DatabaseConfig, LocationSettings};
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");
    let auth = Authenticator::from_env(pool.clone()).expect("OIDC configuration");
    let config = Config::from_env().expect("private-signals configuration");
    let location = LocationSettings::from_env().expect("location settings");
    let state = AppState {
        pool,
        auth,
        config: Arc::new(config),
        location: Arc::new(location),
    };
    signalen_api::run(router(state)).await
}
