//! `GET /signals/v1/private/csv` (spec 04b §11): the newest datawarehouse
//! zip of today, with `sia_read` + `sia_signal_report`.
//!
//! The reference streams the newest `*.zip` (by ctime) of
//! `<DWH_MEDIA_ROOT>/YYYY/MM/DD/` for today's date — `timezone.now()`, so
//! the UTC date, the same date the export names its folders by. Here the
//! export writes to S3 (functions/dwh-export: `<DWH_PREFIX>YYYY/MM/DD/
//! YYYYmmdd_HHMMSSUTC.zip`), and a zip of 50 MB and more is far beyond what a
//! Lambda function may answer through API Gateway (6 MB). So the answer is a
//! `302` to a presigned GET of the zip that lasts
//! `CSV_DOWNLOAD_URL_EXPIRY_SECS`, with the reference's
//! `Content-Disposition: attachment; filename="…"` signed into it. The
//! frontend's `fetch` follows the redirect and reads the blob; the exports
//! bucket's CORS rule lets it (docs/private-reports.md).
//!
//! 404s, in the reference's order and words: no bucket configured
//! (`Unconfigured Csv location`), no object at all under today's folder
//! (`Incorrect Csv folder`: S3 has no folders, a folder exists when a key
//! is under it), no `*.zip` directly in it (`No Csv files in folder`).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dwh_export::RunNames;
use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderValue, StatusCode};
use signalen_api::ApiError;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::routing::{both, read_only};
use signalen_domain::user::Permission;
use signalen_infra::s3::ObjectSummary;

use crate::{AppState, SIA_WRITE};

const CSV: &str = "/signals/v1/private/csv";

/// `SIAPermissions & SIAReportPermissions` for a GET.
const REPORT: &[Permission] = &[Permission::SIA_READ, Permission::SIA_SIGNAL_REPORT];

pub const UNCONFIGURED: &str = "Unconfigured Csv location";
pub const NO_FOLDER: &str = "Incorrect Csv folder";
pub const NO_ZIP: &str = "No Csv files in folder";

pub fn routes() -> Router<AppState> {
    both(Router::new(), CSV, read_only(download, SIA_WRITE))
}

/// A redirect to today's newest zip. `HEAD` needs the same permissions as
/// `GET` (the reference asks none for `HEAD`, whose answer carries no
/// file; ours would carry the presigned URL, which is the file).
async fn download(
    State(state): State<AppState>,
    user: AuthenticatedUser,
) -> Result<Response, ApiError> {
    user.require_all(REPORT)?;
    let exports = state
        .exports
        .as_deref()
        .ok_or(ApiError::NotFound(UNCONFIGURED))?;
    let today = RunNames::new(&exports.prefix, Utc::now());
    let objects = exports
        .store
        .list_objects(today.folder())
        .await
        .map_err(ApiError::unexpected)?;
    let zip = newest_zip(today.folder(), objects)?;
    let file_name = zip.key.rsplit('/').next().unwrap_or(&zip.key);
    let url = exports
        .store
        .presigned_download(&zip.key, exports.url_expiry, &attachment(file_name))
        .await
        .map_err(ApiError::unexpected)?;
    tracing::info!(user_id = user.id, key = %zip.key, "datawarehouse zip handed out");
    redirect(&url)
}

/// The zip a download serves from the objects under `folder`: of those
/// directly in it whose name ends in `.zip` (the reference's
/// `glob('<folder>/*.zip')`), the last modified; among equals (S3 keeps
/// seconds), the greatest key — the export's names sort by run time.
pub fn newest_zip(folder: &str, objects: Vec<ObjectSummary>) -> Result<ObjectSummary, ApiError> {
    if objects.is_empty() {
        return Err(ApiError::NotFound(NO_FOLDER));
    }
    objects
        .into_iter()
        .filter(|object| {
            object
                .key
                .strip_prefix(folder)
                .is_some_and(|name| !name.contains('/') && name.ends_with(".zip"))
        })
        .max_by(|a, b| (a.last_modified_epoch, &a.key).cmp(&(b.last_modified_epoch, &b.key)))
        .ok_or(ApiError::NotFound(NO_ZIP))
}

/// The `Content-Disposition` of a download, as Django's `FileResponse`
/// writes it: `attachment; filename="<name>"` (backslash and quote escaped),
/// or RFC 6266's `filename*=utf-8''<percent-encoded>` for a name that is not
/// printable ASCII.
pub fn attachment(file_name: &str) -> String {
    if file_name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let escaped = file_name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("attachment; filename=\"{escaped}\"")
    } else {
        let mut encoded = String::with_capacity(file_name.len() * 3);
        for byte in file_name.bytes() {
            if byte.is_ascii_alphanumeric() || b"_.-~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        format!("attachment; filename*=utf-8''{encoded}")
    }
}

/// `302 Found` to `url`, never cached: the URL expires, and it is a
/// credential.
fn redirect(url: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(url).map_err(ApiError::unexpected)?;
    Ok((
        StatusCode::FOUND,
        [
            (LOCATION, location),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, modified: i64) -> ObjectSummary {
        ObjectSummary {
            key: key.to_owned(),
            size: 1,
            last_modified_epoch: Some(modified),
        }
    }

    fn not_found_text(result: Result<ObjectSummary, ApiError>) -> &'static str {
        match result {
            Err(ApiError::NotFound(text)) => text,
            other => panic!("expected a 404, got {other:?}"),
        }
    }

    const TODAY: &str = "dwh/2024/03/01/";

    #[test]
    fn the_last_modified_zip_of_the_folder_is_served() {
        let zip = newest_zip(
            TODAY,
            vec![
                object("dwh/2024/03/01/20240301_040000UTC.zip", 100),
                object("dwh/2024/03/01/20240301_120000UTC.zip", 200),
                object("dwh/2024/03/01/120000UTC_signals.csv", 300),
            ],
        )
        .expect("a zip");
        assert_eq!(zip.key, "dwh/2024/03/01/20240301_120000UTC.zip");
    }

    #[test]
    fn zips_of_the_same_second_are_ordered_by_their_names() {
        let zip = newest_zip(
            TODAY,
            vec![
                object("dwh/2024/03/01/20240301_120001UTC.zip", 200),
                object("dwh/2024/03/01/20240301_120000UTC.zip", 200),
            ],
        )
        .expect("a zip");
        assert_eq!(zip.key, "dwh/2024/03/01/20240301_120001UTC.zip");
    }

    #[test]
    fn an_empty_folder_is_an_incorrect_folder() {
        assert_eq!(not_found_text(newest_zip(TODAY, vec![])), NO_FOLDER);
    }

    #[test]
    fn a_folder_with_only_csv_files_or_nested_zips_has_no_csv_files() {
        let objects = vec![
            object("dwh/2024/03/01/120000UTC_signals.csv", 100),
            object("dwh/2024/03/01/old/20240301_110000UTC.zip", 100),
            object("dwh/2024/03/01/20240301_110000UTC.ZIP", 100),
        ];
        assert_eq!(not_found_text(newest_zip(TODAY, objects)), NO_ZIP);
    }

    #[test]
    fn the_file_name_is_quoted_as_django_quotes_it() {
        assert_eq!(
            attachment("20240301_120000UTC.zip"),
            r#"attachment; filename="20240301_120000UTC.zip""#
        );
        assert_eq!(
            attachment(r#"a "b"\c.zip"#),
            r#"attachment; filename="a \"b\"\\c.zip""#
        );
        assert_eq!(
            attachment("exporté 1.zip"),
            "attachment; filename*=utf-8''export%C3%A9%201.zip"
        );
    }

    #[test]
    fn the_redirect_is_not_cacheable() {
        let response = redirect("https://s3.example.org/b/k?X-Amz-Signature=abc").expect("302");
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response.headers()[LOCATION],
            "https://s3.example.org/b/k?X-Amz-Signature=abc"
        );
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    }
}
