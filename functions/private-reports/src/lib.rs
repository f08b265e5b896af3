//! The back office's exports and reports (spec 04b §11):
//!
//! * [`csv`] — `GET /signals/v1/private/csv`: today's newest datawarehouse
//!   zip, answered with a redirect to a short-lived presigned S3 URL (the
//!   zip is larger than a Lambda response may be);
//! * [`reports`] — `GET /signals/v1/private/reports/signals/open` and
//!   `…/reopen-requested`: signal counts per sub category.
//!
//! Every route authenticates first (401), then checks permissions (403),
//! then the method (405), as the reference does (05 §4.4).

pub mod csv;
pub mod reports;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use signalen_api::auth::Authenticator;
use signalen_api::with_common_layers;
use signalen_domain::user::Permission;
use signalen_infra::config::{ConfigError, parsed_or};
use signalen_infra::pg;
use signalen_infra::s3::ObjectStore;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub auth: Authenticator,
    /// `None` when no exports bucket is configured: the download answers
    /// 404 `Unconfigured Csv location`, as the reference does without
    /// `DWH_MEDIA_ROOT`.
    pub exports: Option<Arc<CsvExports>>,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// Where the datawarehouse export writes its zips, and how long a download
/// link stays valid.
#[derive(Debug, Clone)]
pub struct CsvExports {
    /// The exports bucket (`EXPORTS_BUCKET`).
    pub store: ObjectStore,
    /// `DWH_PREFIX`, normalised as the export normalises it (`dwh/`).
    pub prefix: String,
    /// `CSV_DOWNLOAD_URL_EXPIRY_SECS`: the presigned URL only has to last
    /// until the browser follows the redirect.
    pub url_expiry: Duration,
}

/// The default of `CSV_DOWNLOAD_URL_EXPIRY_SECS`.
pub const DEFAULT_URL_EXPIRY: Duration = Duration::from_secs(60);

/// `CSV_DOWNLOAD_URL_EXPIRY_SECS`: 1 s to 1 hour (a presigned URL gives
/// access to reporters' contact details; it only needs to outlive the
/// redirect).
pub fn url_expiry_from_env() -> Result<Duration, ConfigError> {
    url_expiry(parsed_or(
        "CSV_DOWNLOAD_URL_EXPIRY_SECS",
        DEFAULT_URL_EXPIRY.as_secs(),
    )?)
}

fn url_expiry(seconds: u64) -> Result<Duration, ConfigError> {
    if seconds == 0 || seconds > 3600 {
        return Err(ConfigError::Invalid {
            name: "CSV_DOWNLOAD_URL_EXPIRY_SECS",
            reason: format!("{seconds} is not between 1 and 3600 seconds"),
        });
    }
    Ok(Duration::from_secs(seconds))
}

/// The routes of this function (each with and without its trailing slash),
/// with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(csv::routes())
        .merge(reports::routes())
        .with_state(state);
    with_common_layers(routes)
}

/// Writes on resources guarded by `SIAPermissions`.
const SIA_WRITE: &[Permission] = &[Permission::SIA_WRITE];

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use dev_token::SigningKey;
    use signalen_api::test_util::{
        api_gateway_request, assert_every_route_asks_for_a_token, authenticator_for, send,
    };

    use super::*;

    /// A pool whose server does not exist, and no exports bucket.
    fn unreachable_state(key: &SigningKey) -> AppState {
        let pool = pg::unreachable_pool();
        let auth = authenticator_for(key, pool.clone());
        AppState {
            pool,
            auth,
            exports: None,
        }
    }

    fn app() -> Router {
        router(unreachable_state(&SigningKey::generate().expect("key")))
    }

    #[tokio::test]
    async fn an_api_gateway_event_without_a_token_is_a_401_before_any_storage_or_database_work() {
        let event = include_str!("../../../events/private-reports/get-csv-without-token.json");
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
                (Method::GET, "/signals/v1/private/csv"),
                (Method::GET, "/signals/v1/private/csv/"),
                (Method::HEAD, "/signals/v1/private/csv"),
                (Method::POST, "/signals/v1/private/csv/"),
                (Method::GET, "/signals/v1/private/reports/signals/open"),
                (Method::GET, "/signals/v1/private/reports/signals/open/"),
                (
                    Method::GET,
                    "/signals/v1/private/reports/signals/reopen-requested",
                ),
                (
                    Method::GET,
                    "/signals/v1/private/reports/signals/reopen-requested/?start=gisteren",
                ),
                (Method::DELETE, "/signals/v1/private/reports/signals/open"),
            ],
        )
        .await;
    }

    #[test]
    fn a_download_link_lasts_between_a_second_and_an_hour() {
        assert_eq!(url_expiry(60).expect("valid"), Duration::from_secs(60));
        assert_eq!(url_expiry(3600).expect("valid"), Duration::from_secs(3600));
        for seconds in [0, 3601, 604_800] {
            let error = url_expiry(seconds).expect_err("out of range").to_string();
            assert!(error.contains("CSV_DOWNLOAD_URL_EXPIRY_SECS"), "{error}");
        }
    }

    #[tokio::test]
    async fn a_path_beside_the_reports_is_not_routed_here() {
        let request = Request::get("/signals/v1/private/reports/signals/closed")
            .body(Body::empty())
            .expect("request");
        let (status, _, _) = send(app(), request).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
