//! `private-reports` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API routes `ANY /signals/v1/private/csv`,
//! `ANY /signals/v1/private/reports/signals/open` and
//! `ANY /signals/v1/private/reports/signals/reopen-requested` (each with and
//! without trailing slash).
//! Does: the back office's exports and reports (spec 04b §11) — a redirect
//! to a presigned URL of today's newest datawarehouse zip, and the counts of
//! open signals past three times their deadline and of reopen requests per
//! sub category — behind bearer-token authentication and the reference's
//! permissions (docs/private-reports.md).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `DATABASE_IAM_AUTH` (docs/database-access.md),
//! `EXPORTS_BUCKET` (optional: without it the download is a 404
//! `Unconfigured Csv location`), `DWH_PREFIX` (`dwh/`, as the export),
//! `CSV_DOWNLOAD_URL_EXPIRY_SECS` (60), `S3_FORCE_PATH_STYLE` (local S3),
//! `AWS_REGION` and the SDK's `AWS_ENDPOINT_URL_S3`, `OIDC_OP_ISSUER`,
//! `OIDC_JWKS` or `OIDC_OP_JWKS_ENDPOINT`, `OIDC_VERIFY_AUDIENCE`,
//! `OIDC_TRUSTED_AUDIENCES` (docs/auth.md), `MAINTENANCE_MODE`.

use std::sync::Arc;

use dwh_export::ExportConfig;
use private_reports::{AppState, CsvExports, router, url_expiry_from_env};
use signalen_api::auth::Authenticator;
use signalen_infra::config::{DatabaseConfig, S3Config, optional};
use signalen_infra::s3::ObjectStore;
use signalen_infra::{aws, pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");
    let auth = Authenticator::from_env(pool.clone()).expect("OIDC configuration");
    let exports = match optional("EXPORTS_BUCKET").expect("EXPORTS_BUCKET") {
        Some(bucket) => {
            let s3 = S3Config::from_env().expect("S3 configuration");
            Some(Arc::new(CsvExports {
                store: ObjectStore::new(&aws::load().await, s3, bucket),
                prefix: ExportConfig::from_env().expect("DWH_PREFIX").prefix,
                url_expiry: url_expiry_from_env().expect("CSV_DOWNLOAD_URL_EXPIRY_SECS"),
            }))
        }
        None => None,
    };
    let state = AppState {
        pool,
        auth,
        exports,
    };
    signalen_api::run(router(state)).await
}
