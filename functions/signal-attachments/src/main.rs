//! `signal-attachments` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/public/signals/{uuid}/attachments`
//! (and `…/`), `ANY /signals/v1/private/signals/{id}/attachments` (and `…/`)
//! and `ANY /signals/v1/private/signals/{id}/attachments/{att_id}`.
//! Does: stores attachments of signals in S3 — the citizen's photo upload
//! (spec 03 §4) and the back office's list, upload, change and delete
//! (04 §7) — with the file rules of 01 §3.10 and, per upload or delete, the
//! row, note, history entry and outbox events in one transaction; answers
//! with presigned `location` URLs (docs/attachments.md).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `ATTACHMENTS_BUCKET`, `S3_FORCE_PATH_STYLE` (local S3), `AWS_REGION` and
//! the SDK's `AWS_ENDPOINT_URL_S3`, `API_MAX_UPLOAD_SIZE` (20971520),
//! `S3_STORAGE_EXPIRATION_SECS` (300), `OIDC_OP_ISSUER`, `OIDC_JWKS` or
//! `OIDC_OP_JWKS_ENDPOINT`, `OIDC_VERIFY_AUDIENCE`, `OIDC_TRUSTED_AUDIENCES`
//! (docs/auth.md), `API_BASE_URL` (optional), `MAINTENANCE_MODE`.

use std::sync::Arc;

use signal_attachments::{AppState, Config, router};
use signalen_api::auth::Authenticator;
use signalen_infra::config::{DatabaseConfig, S3Config, required};
use signalen_infra::s3::ObjectStore;
use signalen_infra::{aws, pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let config = Config::from_env().expect("signal-attachments configuration");
    let bucket = required("ATTACHMENTS_BUCKET").expect("ATTACHMENTS_BUCKET");
    let s3 = S3Config::from_env().expect("S3 configuration");
    let pool = pg::pool(&database).expect("database pool");
    let auth = Authenticator::from_env(pool.clone()).expect("OIDC configuration");
    let store = ObjectStore::new(&aws::load().await, s3, bucket);
    let state = AppState {
        pool,
        auth,
        store,
        config: Arc::new(config),
    };
    signalen_api::run(router(state)).await
}
