//! `public-signals` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/public/signals`, `…/signals/`
//! and `…/signals/{proxy+}`.
//! Does: creates a citizen's report (`POST …/signals/`: validation, district
//! and area from the areas, deadlines, history and the `signal.created`
//! outbox event in one transaction; throttled per client address) and
//! serves it back by uuid (`GET …/signals/{uuid}`) — spec 03 §2, §3.
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `API_BASE_URL` (optional), `MAINTENANCE_MODE`, `BOUNDING_BOX`
//! (`3.3,50.7,7.3,53.6`), `PUBLIC_THROTTLE_RATE` (`60/hour`; `none` turns it
//! off), `PUBLIC_THROTTLE_KEY` (optional, keys the stored address hashes),
//! `SIGNAL_ID_DISPLAY_PREFIX` (`SIG-`), `DEFAULT_SIGNAL_AREA_TYPE`
//! (`district`; empty turns it off), `API_DETERMINE_STADSDEEL_ENABLED`
//! (true), `API_TRANSFORM_SOURCE_BASED_ON_REPORTER` (true) with
//! `…_DOMAIN_EXTENSIONS` (`@amsterdam.nl`), `…_EXCEPTIONS` and `…_SOURCE`
//! (`Interne melding`). Writes Postgres only: the `signal.created` event
//! reaches the consumers through the outbox relay (docs/async.md).

use std::sync::Arc;

use public_signals::{AppState, Config, router};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let config = Config::from_env().expect("public-signals configuration");
    let state = AppState {
        pool: pg::pool(&database).expect("database pool"),
        config: Arc::new(config),
    };
    signalen_api::run(router(state)).await
}
