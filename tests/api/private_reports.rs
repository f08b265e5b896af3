//! The back office's exports and reports through the `private-reports`
//! router, a real database and the local S3 (spec 04b §11): today's newest
//! datawarehouse zip behind a presigned redirect that is followed here, the
//! reference's 404s, and the signal counts per sub category with their
//! bounds, errors and permissions.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::http::{HeaderMap, Method, StatusCode};
use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dwh_export::RunNames;
use private_reports::{AppState, CsvExports, router};
use serde_json::{Value, json};
use signalen_infra::s3::ObjectStore;

use crate::auth::{BackOffice, NewUser};
use crate::helpers::{empty_bucket, test_bucket};
use crate::seed_sql::{SeedSignal, seed_signal};

const CSV: &str = "/signals/v1/private/csv";
const OPEN: &str = "/signals/v1/private/reports/signals/open";
const REOPEN: &str = "/signals/v1/private/reports/signals/reopen-requested";
const PREFIX: &str = "dwh/";

/// May download exports.
const REPORTER: &str = "rapportage@example.org";
/// May read signals, not download exports.
const READER: &str = "lezer@example.org";
/// Has the report permission without `sia_read`.
const REPORT_ONLY: &str = "alleen-rapportage@example.org";
/// May write, and download exports.
const WRITER: &str = "schrijver@example.org";

/// The back office of `private-reports`, its zips in `store` (none: no
/// exports bucket configured), with the users above.
async fn office(store: Option<ObjectStore>) -> BackOffice {
    let exports = store.map(|store| {
        Arc::new(CsvExports {
            store,
            prefix: PREFIX.to_owned(),
            url_expiry: StdDuration::from_secs(60),
        })
    });
    let office = BackOffice::with_app(move |pool, auth| {
        router(AppState {
            pool,
            auth,
            exports,
        })
    })
    .await;
    for (email, permissions) in [
        (REPORTER, &["sia_read", "sia_signal_report"][..]),
        (READER, &["sia_read"][..]),
        (REPORT_ONLY, &["sia_signal_report"][..]),
        (WRITER, &["sia_read", "sia_write", "sia_signal_report"][..]),
    ] {
        office
            .user(NewUser {
                email,
                roles: &[(email, permissions)],
                ..NewUser::default()
            })
            .await;
    }
    office
}

async fn get(office: &BackOffice, email: &str, path: &str) -> (StatusCode, HeaderMap, Value) {
    send(office, Method::GET, email, path).await
}

async fn send(
    office: &BackOffice,
    method: Method,
    email: &str,
    path: &str,
) -> (StatusCode, HeaderMap, Value) {
    let token = format!("Bearer {}", office.token(email));
    office.send(method, path, Some(&token)).await
}

fn detail(text: &str) -> Value {
    json!({ "detail": text })
}

/// Today's and another day's date folders as the export names them.
fn names(at: DateTime<Utc>) -> RunNames {
    RunNames::new(PREFIX, at)
}

async fn put_zip(store: &ObjectStore, key: &str, body: &[u8]) {
    store
        .put(key, Bytes::copy_from_slice(body), "application/zip")
        .await
        .expect("put a zip");
}

/// Follows the redirect of a download: the bytes and headers S3 answers with.
async fn follow(headers: &HeaderMap) -> (u16, reqwest::header::HeaderMap, Bytes) {
    let location = headers["location"].to_str().expect("Location");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    let response = reqwest::get(location).await.expect("GET the presigned URL");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("body"))
}

#[tokio::test]
async fn todays_zip_is_handed_out_as_a_redirect_to_its_bytes() {
    let store = test_bucket().await;
    let today = names(Utc::now());
    let yesterday = names(Utc::now() - Duration::days(1));
    let zip = b"PK\x03\x04 today's export \x00\xff";
    put_zip(&store, yesterday.zip_key(), b"PK yesterday").await;
    put_zip(&store, today.zip_key(), zip).await;
    store
        .put(
            &today.key("signals.csv"),
            Bytes::from_static(b"id\r\n1\r\n"),
            "text/csv",
        )
        .await
        .expect("put a csv");
    let office = office(Some(store.clone())).await;

    let (status, headers, body) = get(&office, REPORTER, CSV).await;

    assert_eq!(status, StatusCode::FOUND, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body, Value::Null, "no body beside the redirect");
    let (s3_status, s3_headers, bytes) = follow(&headers).await;
    assert_eq!(s3_status, 200);
    assert_eq!(bytes.as_ref(), zip);
    let file_name = today.zip_key().rsplit('/').next().expect("name");
    assert_eq!(
        s3_headers["content-disposition"],
        format!("attachment; filename=\"{file_name}\"").as_str()
    );
    assert_eq!(s3_headers["content-type"], "application/zip");

    let (status, headers, _) = get(&office, WRITER, &format!("{CSV}/")).await;
    assert_eq!(status, StatusCode::FOUND, "with the trailing slash too");
    assert_eq!(follow(&headers).await.2.as_ref(), zip);

    empty_bucket(&store).await;
    office.cleanup().await;
}

#[tokio::test]
async fn only_the_newest_zip_of_today_is_served() {
    let store = test_bucket().await;
    let folder = names(Utc::now()).folder().to_owned();
    let date = Utc::now().format("%Y%m%d");
    put_zip(
        &store,
        &format!("{folder}{date}_000001UTC.zip"),
        b"PK first run",
    )
    .await;
    put_zip(
        &store,
        &format!("{folder}{date}_000002UTC.zip"),
        b"PK second run",
    )
    .await;
    put_zip(
        &store,
        &format!("{folder}nested/{date}_235959UTC.zip"),
        b"PK not in the folder itself",
    )
    .await;
    let office = office(Some(store.clone())).await;

    let (status, headers, _) = get(&office, REPORTER, CSV).await;

    assert_eq!(status, StatusCode::FOUND);
    let (_, s3_headers, bytes) = follow(&headers).await;
    assert_eq!(bytes.as_ref(), b"PK second run");
    assert_eq!(
        s3_headers["content-disposition"],
        format!("attachment; filename=\"{date}_000002UTC.zip\"").as_str()
    );
    empty_bucket(&store).await;
    office.cleanup().await;
}

#[tokio::test]
async fn yesterdays_zip_is_not_served_and_the_404s_say_why() {
    let store = test_bucket().await;
    let today = names(Utc::now());
    let yesterday = names(Utc::now() - Duration::days(1));
    put_zip(&store, yesterday.zip_key(), b"PK yesterday").await;
    let office = office(Some(store.clone())).await;

    let (status, headers, body) = get(&office, REPORTER, CSV).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, detail("Incorrect Csv folder"));
    assert!(headers.get("location").is_none());

    store
        .put(
            &today.key("signals.csv"),
            Bytes::from_static(b"id\r\n"),
            "text/csv",
        )
        .await
        .expect("put a csv");
    let (status, _, body) = get(&office, REPORTER, CSV).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, detail("No Csv files in folder"));

    put_zip(&store, today.zip_key(), b"PK today").await;
    let (status, headers, _) = get(&office, REPORTER, CSV).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(follow(&headers).await.2.as_ref(), b"PK today");

    empty_bucket(&store).await;
    office.cleanup().await;
}

#[tokio::test]
async fn without_an_exports_bucket_the_location_is_unconfigured_after_the_permission_check() {
    let office = office(None).await;

    let (status, _, body) = get(&office, REPORTER, CSV).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, detail("Unconfigured Csv location"));

    let (status, _, _) = get(&office, READER, CSV).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    office.cleanup().await;
}

#[tokio::test]
async fn the_download_needs_a_token_sia_read_and_the_report_permission() {
    let store = test_bucket().await;
    put_zip(&store, names(Utc::now()).zip_key(), b"PK today").await;
    let office = office(Some(store.clone())).await;
    let forbidden = detail("Je hebt geen toestemming om deze actie uit te voeren.");

    let (status, headers, body) = office.send(Method::GET, CSV, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, detail("Authenticatiegegevens zijn niet opgegeven."));
    assert!(headers.get("location").is_none());

    for email in [READER, REPORT_ONLY] {
        let (status, headers, body) = get(&office, email, CSV).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(body, forbidden, "{email}");
        assert!(headers.get("location").is_none(), "{email}");
        let (status, headers, _) = send(&office, Method::HEAD, email, CSV).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "HEAD would hand out the URL: {email}"
        );
        assert!(headers.get("location").is_none(), "{email}");
    }
    let (status, headers, _) = send(&office, Method::HEAD, REPORTER, CSV).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(headers.get("location").is_some());

    let (status, _, body) = send(&office, Method::POST, REPORTER, CSV).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a write needs sia_write first"
    );
    assert_eq!(body, forbidden);
    let (status, headers, body) = send(&office, Method::POST, WRITER, CSV).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, detail("Methode \"POST\" niet toegestaan."));
    assert_eq!(headers["allow"], "GET, HEAD, OPTIONS");

    empty_bucket(&store).await;
    office.cleanup().await;
}

/// A signal of `afval/<sub>` in `state`, created `created` ago; the seed
/// sets `deadline_factor_3` to its creation plus nine days.
fn signal(sub: &'static str, state: &'static str, created: Duration) -> SeedSignal {
    let created_at = Utc::now() - created;
    SeedSignal {
        created_at,
        state,
        state_at: created_at + Duration::hours(1),
        sub_slug: sub,
        ..SeedSignal::new("Rommel op straat")
    }
}

async fn seed(office: &BackOffice, signals: &[SeedSignal]) -> Vec<i32> {
    let mut client = office.db.client().await;
    let mut ids = Vec::new();
    for s in signals {
        ids.push(seed_signal(&mut client, s).await.signal);
    }
    ids
}

/// Links `afval/<sub>` to the departments: `responsible` ones in the given
/// order, and `viewing` ones that may only view.
async fn link(office: &BackOffice, sub: &str, responsible: &[&str], viewing: &[&str]) {
    let client = office.db.client().await;
    for (codes, is_responsible) in [(responsible, true), (viewing, false)] {
        for code in codes {
            client
                .execute(
                    "INSERT INTO signals_categorydepartment (category_id, department_id, is_responsible, can_view)
                     SELECT c.id, d.id, $3, true
                     FROM signals_category c JOIN signals_category m ON m.id = c.parent_id,
                          signals_department d
                     WHERE m.slug = 'afval' AND c.slug = $1 AND d.code = $2",
                    &[&sub, code, &is_responsible],
                )
                .await
                .expect("link");
        }
    }
}

fn line(name: &str, departments: &[&str], count: i64) -> Value {
    json!({"category": {"name": name, "departments": departments}, "signal_count": count})
}

#[tokio::test]
async fn open_signals_past_three_times_their_deadline_are_counted_per_category() {
    let office = office(None).await;
    let days = Duration::days;
    link(&office, "grofvuil", &["STW", "ASC"], &["POA"]).await;
    link(&office, "huisafval", &["AEG"], &[]).await;
    let ids = seed(
        &office,
        &[
            signal("grofvuil", "m", days(20)),
            signal("grofvuil", "m", days(20)),
            signal("grofvuil", "b", days(30)),
            signal("grofvuil", "reopen requested", days(40)),
            signal("huisafval", "i", days(15)),
            signal("huisafval", "m", days(10)),
            signal("container-is-vol", "m", days(12)),
            // Not counted: closed, cancelled, split, not yet past, no deadline.
            signal("grofvuil", "o", days(20)),
            signal("grofvuil", "a", days(20)),
            signal("huisafval", "s", days(20)),
            signal("huisafval", "m", days(8)),
            signal("container-is-vol", "b", days(50)),
        ],
    )
    .await;
    office
        .db
        .client()
        .await
        .execute(
            "UPDATE signals_categoryassignment SET deadline_factor_3 = NULL WHERE _signal_id = $1",
            &[&ids[11]],
        )
        .await
        .expect("no deadline");

    let (status, _, body) = get(&office, READER, OPEN).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "total_signal_count": 7,
            "results": [
                line("Grofvuil", &["ASC", "STW"], 4),
                line("Huisafval", &["AEG"], 2),
                line("Container is vol", &[], 1),
            ],
        })
    );
    let (status, _, slash) = get(&office, READER, &format!("{OPEN}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(slash, body);
    office.cleanup().await;
}

#[tokio::test]
async fn the_open_report_bounds_the_creation_time_inclusively() {
    let office = office(None).await;
    let at = |d: u32, h: u32| {
        Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0)
            .single()
            .expect("valid")
    };
    let created = |sub: &'static str, created_at: DateTime<Utc>| SeedSignal {
        created_at,
        sub_slug: sub,
        ..SeedSignal::new("Losse stoeptegel")
    };
    seed(
        &office,
        &[
            created("grofvuil", at(9, 10)),
            created("grofvuil", at(10, 10)),
            created("huisafval", at(10, 10)),
            created("huisafval", at(11, 10)),
        ],
    )
    .await;

    // 11:00 in Amsterdam is 10:00 UTC: both ends are inclusive.
    let (status, _, body) = get(
        &office,
        READER,
        &format!("{OPEN}?start=2024-01-10T11:00:00%2B01:00&end=2024-01-10T11:00:00"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "total_signal_count": 2,
            "results": [line("Grofvuil", &[], 1), line("Huisafval", &[], 1)],
        })
    );

    let (_, _, body) = get(
        &office,
        READER,
        &format!("{OPEN}?start=2024-01-10T10:00:01Z"),
    )
    .await;
    assert_eq!(body["total_signal_count"], 1);
    assert_eq!(body["results"][0]["category"]["name"], "Huisafval");

    let (_, _, body) = get(&office, READER, &format!("{OPEN}?end=2024-01-10T09:59:59Z")).await;
    assert_eq!(
        body,
        json!({"total_signal_count": 1, "results": [line("Grofvuil", &[], 1)]})
    );
    office.cleanup().await;
}

#[tokio::test]
async fn reopen_requests_are_counted_by_when_they_were_made() {
    let office = office(None).await;
    link(&office, "huisafval", &["STW"], &[]).await;
    let requested = |sub: &'static str, requested_days_ago: i64| SeedSignal {
        created_at: Utc::now() - Duration::days(90),
        state: "reopen requested",
        state_at: Utc::now() - Duration::days(requested_days_ago),
        sub_slug: sub,
        ..SeedSignal::new("Container nog steeds vol")
    };
    seed(
        &office,
        &[
            requested("grofvuil", 20),
            requested("grofvuil", 30),
            requested("huisafval", 3),
            signal("container-is-vol", "m", Duration::days(30)),
            signal("grofvuil", "o", Duration::days(30)),
        ],
    )
    .await;

    let (status, _, body) = get(&office, READER, REOPEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "total_signal_count": 3,
            "results": [line("Grofvuil", &[], 2), line("Huisafval", &["STW"], 1)],
        })
    );

    // What the frontend asks: requests older than two weeks.
    let two_weeks_ago =
        (Utc::now() - Duration::days(14)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (_, _, body) = get(&office, READER, &format!("{REOPEN}/?end={two_weeks_ago}")).await;
    assert_eq!(
        body,
        json!({"total_signal_count": 2, "results": [line("Grofvuil", &[], 2)]})
    );

    // Bounds are on the request, not on the signal's creation (90 days ago).
    let week_ago =
        (Utc::now() - Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, _, body) = get(&office, READER, &format!("{REOPEN}?start={week_ago}")).await;
    assert_eq!(
        body,
        json!({"total_signal_count": 1, "results": [line("Huisafval", &["STW"], 1)]})
    );
    office.cleanup().await;
}

#[tokio::test]
async fn bad_bounds_are_a_400_naming_the_parameter() {
    let office = office(None).await;
    let invalid = json!(["Voer een geldige datum/tijd in."]);

    for path in [OPEN, REOPEN] {
        let (status, _, body) = get(&office, READER, &format!("{path}?start=gisteren")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body, json!({ "start": invalid }), "{path}");

        let (status, _, body) = get(
            &office,
            READER,
            &format!("{path}?start=2024-02-30T10:00:00Z&end=2024-03-01T25:00"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body, json!({ "start": invalid, "end": invalid }), "{path}");

        let (status, _, body) = get(&office, READER, &format!("{path}?start=&end=")).await;
        assert_eq!(status, StatusCode::OK, "empty bounds are no bounds: {path}");
        assert_eq!(body, json!({"total_signal_count": 0, "results": []}));
    }
    office.cleanup().await;
}

#[tokio::test]
async fn the_reports_need_a_token_and_sia_read() {
    let office = office(None).await;

    for path in [OPEN, REOPEN] {
        let (status, _, body) = office.send(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body, detail("Authenticatiegegevens zijn niet opgegeven."));

        let (status, _, body) = get(&office, REPORT_ONLY, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            body,
            detail("Je hebt geen toestemming om deze actie uit te voeren.")
        );

        let (status, _, body) = send(&office, Method::POST, WRITER, path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(body, detail("Methode \"POST\" niet toegestaan."));
    }
    office.cleanup().await;
}
