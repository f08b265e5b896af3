//! One export run: every file of [`crate::files::ALL`] streamed from one
//! database snapshot into S3 multipart uploads, and the zip of them.
//!
//! Memory is bounded by two part buffers (the CSV being written and the
//! zip), whatever the number of rows: COPY output is consumed chunk by
//! chunk, rewritten ([`crate::rewrite`]), appended to the CSV's part buffer
//! and deflated into the zip's; a buffer that reaches the part size is
//! uploaded as the next part.
//!
//! Nothing becomes visible before the end: every upload stays pending
//! until all files and the zip are written, then the CSVs are completed and
//! the zip last (the zip is the run's "done" marker). An error aborts every
//! upload of the run; a process that is killed leaves only pending uploads,
//! which the next run aborts (runs are serialised by an advisory lock, so
//! any pending upload under the prefix is a dead run's) and the bucket's
//! lifecycle rule removes too.

use std::pin::pin;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use signalen_infra::config::{ConfigError, flag, optional, parsed_or};
use signalen_infra::pg::{self, GenericClient, Pool};
use signalen_infra::s3::{self, MIN_PART_SIZE, MultipartUpload, ObjectStore};

use crate::files::{self, DwhFile};
use crate::rewrite::{FieldCountMismatch, Rewriter, write_header};
use crate::zip::{ZipError, ZipStream};

/// Serialises export runs (any process, any instance).
const EXPORT_LOCK: i64 = 0x0064_7768_5f65_7870; // "dwh_exp"

/// Settings of the export (environment variables).
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// Key prefix of every object (`DWH_PREFIX`, default `dwh/`).
    pub prefix: String,
    /// Upload part size (`DWH_PART_SIZE_MIB`, default 8, at least 5).
    pub part_size: usize,
    /// Also write the zip of the run (`DWH_ZIP`, default true).
    pub zip: bool,
    /// Deflate level of the zip (`DWH_ZIP_LEVEL`, default 1: 1.7 times the
    /// rows/s of zlib's 6 for a 23% larger zip, docs/benchmarks.md).
    pub zip_level: u32,
    /// Objects in date folders more than this many days before today are
    /// deleted after a run (`DWH_KEEP_DAYS`, default 30; 0 keeps all).
    pub keep_days: u32,
    /// `ENVIRONMENT`: the KTO file is written in PRODUCTION/ACCEPTANCE only.
    pub environment: Option<String>,
}

impl ExportConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let part_mib: usize = parsed_or("DWH_PART_SIZE_MIB", 8)?;
        if part_mib < 5 {
            return Err(ConfigError::Invalid {
                name: "DWH_PART_SIZE_MIB",
                reason: "S3 parts are at least 5 MiB".into(),
            });
        }
        let mut prefix = optional("DWH_PREFIX")?.unwrap_or_else(|| "dwh/".to_owned());
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(ExportConfig {
            prefix,
            part_size: part_mib * 1024 * 1024,
            zip: flag("DWH_ZIP", true)?,
            zip_level: parsed_or("DWH_ZIP_LEVEL", 1)?,
            keep_days: parsed_or("DWH_KEEP_DAYS", 30)?,
            environment: optional("ENVIRONMENT")?,
        })
    }
}

/// What a run is asked to do (the Lambda event; the command's flags).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportRequest {
    /// Run the queries and count, write nothing.
    pub dry_run: bool,
    /// Only these files, by their `dumpcsv --report` names.
    pub reports: Option<Vec<String>>,
}

/// Test hooks; all off in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportHooks {
    /// Stop dead, as a killed process would (no abort, no clean-up), once
    /// this many rows were written.
    pub crash_after_rows: Option<u64>,
    /// Fail like an ordinary error (uploads aborted) after this many rows.
    pub fail_after_rows: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database error")]
    Db(#[from] pg::Error),
    #[error("database error")]
    Postgres(#[from] pg::tokio_postgres::Error),
    #[error("S3 error")]
    S3(#[from] s3::Error),
    #[error("zip error")]
    Zip(#[from] ZipError),
    #[error("{file}: {source}")]
    Shape {
        file: String,
        source: FieldCountMismatch,
    },
    #[error("{0}")]
    Request(String),
    #[error("simulated crash after {0} rows")]
    Crashed(u64),
    #[error("simulated failure after {0} rows")]
    Injected(u64),
}

/// One written (or, in a dry run, counted) object.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ObjectReport {
    pub name: String,
    pub key: String,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub dry_run: bool,
    /// Why nothing was done (another run holds the lock).
    pub skipped: Option<String>,
    pub started_at: DateTime<Utc>,
    pub files: Vec<ObjectReport>,
    pub zip: Option<ObjectReport>,
    pub rows: u64,
    pub seconds: f64,
    pub aborted_stale_uploads: usize,
    /// Old exports deleted (in a dry run: that would be deleted).
    pub expired_objects: Vec<String>,
}

/// Object keys of a run (spec 12 §12.3, S3 layout).
#[derive(Debug, Clone)]
pub struct RunNames {
    folder: String,
    stamp: String,
    zip_key: String,
}

impl RunNames {
    pub fn new(prefix: &str, at: DateTime<Utc>) -> Self {
        let folder = format!("{prefix}{}", at.format("%Y/%m/%d/"));
        RunNames {
            zip_key: format!("{folder}{}", at.format("%Y%m%d_%H%M%SUTC.zip")),
            stamp: at.format("%H%M%SUTC").to_string(),
            folder,
        }
    }

    /// `120000UTC_signals.csv`: the stored name, also the name in the zip.
    pub fn stored_name(&self, file: &str) -> String {
        format!("{}_{file}", self.stamp)
    }

    pub fn key(&self, file: &str) -> String {
        format!("{}{}", self.folder, self.stored_name(file))
    }

    pub fn zip_key(&self) -> &str {
        &self.zip_key
    }

    /// `dwh/2020/09/10/`: the run's date folder (UTC), where the back
    /// office's download (functions/private-reports) looks for the zip.
    pub fn folder(&self) -> &str {
        &self.folder
    }
}

/// The date folder of a key under `prefix` (`dwh/2020/09/10/…`).
pub fn key_date(prefix: &str, key: &str) -> Option<NaiveDate> {
    let rest = key.strip_prefix(prefix)?;
    let mut parts = rest.splitn(4, '/');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The uploads of a run that are not completed yet.
#[derive(Default)]
struct Uploads {
    pending: Vec<MultipartUpload>,
}

impl Uploads {
    async fn abort_all(&mut self) {
        for upload in self.pending.drain(..) {
            let key = upload.key().to_owned();
            if let Err(e) = upload.abort().await {
                tracing::warn!(key, error.message = %e, "could not abort an upload; the lifecycle rule will");
            }
        }
    }
}

/// A part buffer feeding one multipart upload (or only counting).
struct PartWriter {
    upload: Option<usize>,
    buffer: Vec<u8>,
    bytes: u64,
}

impl PartWriter {
    async fn flush(&mut self, uploads: &mut Uploads, at_least: usize) -> Result<(), ExportError> {
        if self.buffer.len() < at_least.max(1) {
            return Ok(());
        }
        let body = Bytes::from(std::mem::take(&mut self.buffer));
        self.bytes += body.len() as u64;
        if let Some(index) = self.upload {
            uploads.pending[index].upload_part(body).await?;
        }
        Ok(())
    }
}

/// Runs an export.
pub async fn run(
    pool: &Pool,
    store: &ObjectStore,
    config: &ExportConfig,
    request: &ExportRequest,
    hooks: ExportHooks,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let started_at = Utc::now();
    let selected = match &request.reports {
        Some(names) => files::by_reports(names).map_err(ExportError::Request)?,
        None => files::ALL.to_vec(),
    };
    let mut report = ExportReport {
        dry_run: request.dry_run,
        skipped: None,
        started_at,
        files: Vec::new(),
        zip: None,
        rows: 0,
        seconds: 0.0,
        aborted_stale_uploads: 0,
        expired_objects: Vec::new(),
    };
    let client = pool.get().await.map_err(pg::Error::from)?;
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&EXPORT_LOCK])
        .await?
        .try_get(0)?;
    if !locked {
        progress("another export is running; nothing done");
        report.skipped = Some("another export is running".into());
        return Ok(report);
    }
    let mut uploads = Uploads::default();
    let result = locked_run(
        &client,
        store,
        config,
        request,
        hooks,
        &selected,
        &mut report,
        &mut uploads,
        progress,
    )
    .await;
    match &result {
        Ok(()) => {}
        // A killed process runs no clean-up: leave the uploads pending and
        // the connection as it is (a dead process's session ends with it).
        Err(ExportError::Crashed(_)) => {
            drop(uploads);
            let _ = client.batch_execute("ROLLBACK").await;
            let _ = client
                .execute("SELECT pg_advisory_unlock($1)", &[&EXPORT_LOCK])
                .await;
            return result.map(|()| report);
        }
        Err(e) => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "export failed; aborting its uploads");
            uploads.abort_all().await;
            let _ = client.batch_execute("ROLLBACK").await;
        }
    }
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&EXPORT_LOCK])
        .await;
    result?;
    if !request.dry_run {
        report.expired_objects = expire_old_exports(store, config, started_at, false).await?;
    } else {
        report.expired_objects = expire_old_exports(store, config, started_at, true).await?;
    }
    if !report.expired_objects.is_empty() {
        progress(&format!(
            "{} {} old export object(s)",
            if request.dry_run {
                "would delete"
            } else {
                "deleted"
            },
            report.expired_objects.len()
        ));
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn locked_run(
    client: &pg::Client,
    store: &ObjectStore,
    config: &ExportConfig,
    request: &ExportRequest,
    hooks: ExportHooks,
    selected: &[DwhFile],
    report: &mut ExportReport,
    uploads: &mut Uploads,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ExportError> {
    let names = RunNames::new(&config.prefix, report.started_at);
    let writing = !request.dry_run;
    if writing {
        for stale in store.pending_multiparts(&config.prefix).await? {
            store.abort_multipart(&stale.key, &stale.upload_id).await?;
            report.aborted_stale_uploads += 1;
        }
        if report.aborted_stale_uploads > 0 {
            progress(&format!(
                "aborted {} incomplete upload(s) of an earlier run",
                report.aborted_stale_uploads
            ));
        }
    }
    client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
             SET LOCAL TIME ZONE 'UTC';
             SET LOCAL DateStyle = 'ISO, MDY';
             SET LOCAL extra_float_digits = 1;",
        )
        .await?;

    let part_size = config.part_size.max(MIN_PART_SIZE);
    let zip_enabled = config.zip && writing;
    let mut zip = ZipStream::new(report.started_at, config.zip_level);
    let mut zip_part = PartWriter {
        upload: None,
        buffer: Vec::new(),
        bytes: 0,
    };
    if zip_enabled {
        uploads.pending.push(
            store
                .start_multipart(names.zip_key(), "application/zip")
                .await?,
        );
        zip_part.upload = Some(uploads.pending.len() - 1);
    }

    let mut total_rows = 0u64;
    for file in selected {
        let name = if file.requires_table.is_some() && file.report == "feedback" {
            match files::kto_file_name(config.environment.as_deref()) {
                Some(name) => name,
                None => {
                    progress("kto-feedback: skipped (ENVIRONMENT is not PRODUCTION or ACCEPTANCE)");
                    continue;
                }
            }
        } else {
            file.name.to_owned()
        };
        if let Some(table) = file.requires_table {
            let exists: bool = client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
                .await?
                .try_get(0)?;
            if !exists {
                progress(&format!("{name}: skipped (table {table} does not exist)"));
                continue;
            }
        }
        let file_started = Instant::now();
        let key = names.key(&name);
        let mut csv = PartWriter {
            upload: None,
            buffer: Vec::with_capacity(part_size + 256 * 1024),
            bytes: 0,
        };
        if writing {
            uploads
                .pending
                .push(store.start_multipart(&key, "text/csv").await?);
            csv.upload = Some(uploads.pending.len() - 1);
        }
        if zip_enabled {
            zip.start_entry(&names.stored_name(&name))?;
        }
        let mut rewriter = Rewriter::new(file.shape);
        write_header(file.header, &mut csv.buffer);
        if zip_enabled {
            zip.write(&csv.buffer)?;
        }
        let copy = format!("COPY ({}) TO STDOUT WITH (FORMAT csv)", file.query);
        let mut stream = pin!(client.copy_out(copy.as_str()).await?);
        let mut next_progress = 250_000u64;
        loop {
            let chunk = stream.next().await.transpose()?;
            let mark = csv.buffer.len();
            let done = match &chunk {
                Some(chunk) => {
                    rewriter
                        .feed(chunk, &mut csv.buffer)
                        .map_err(|source| ExportError::Shape {
                            file: name.clone(),
                            source,
                        })?;
                    false
                }
                None => {
                    rewriter
                        .finish(&mut csv.buffer)
                        .map_err(|source| ExportError::Shape {
                            file: name.clone(),
                            source,
                        })?;
                    true
                }
            };
            if zip_enabled {
                zip.write(&csv.buffer[mark..])?;
                if zip.output().len() >= part_size {
                    zip_part.buffer = zip.take_output();
                    zip_part.flush(uploads, part_size).await?;
                }
            }
            csv.flush(uploads, part_size).await?;
            let rows = total_rows + rewriter.rows();
            if let Some(limit) = hooks.crash_after_rows.filter(|limit| rows >= *limit) {
                return Err(ExportError::Crashed(limit));
            }
            if let Some(limit) = hooks.fail_after_rows.filter(|limit| rows >= *limit) {
                return Err(ExportError::Injected(limit));
            }
            if rewriter.rows() >= next_progress {
                progress(&format!("{name}: {} rows…", rewriter.rows()));
                next_progress += 250_000;
            }
            if done {
                break;
            }
        }
        csv.flush(uploads, 0).await?;
        if zip_enabled {
            zip.finish_entry()?;
        }
        total_rows += rewriter.rows();
        progress(&format!(
            "{name}: {} rows, {:.1} MB in {:.1} s",
            rewriter.rows(),
            csv.bytes as f64 / 1e6,
            file_started.elapsed().as_secs_f64()
        ));
        report.files.push(ObjectReport {
            name,
            key,
            rows: rewriter.rows(),
            bytes: csv.bytes,
        });
    }
    client.batch_execute("COMMIT").await?;
    report.rows = total_rows;

    if !writing {
        return Ok(());
    }
    if zip_enabled {
        zip.finish()?;
        zip_part.buffer = zip.take_output();
        zip_part.flush(uploads, 0).await?;
    }
    // Complete the CSVs, then the zip (index 0 when enabled).
    let zip_upload = zip_enabled.then(|| uploads.pending.remove(0));
    let mut csvs = uploads.pending.drain(..).collect::<Vec<_>>().into_iter();
    while let Some(upload) = csvs.next() {
        if let Err(e) = upload.complete().await {
            // The caller aborts the rest; the failed one is left to the next
            // run's clean-up and the lifecycle rule.
            uploads.pending.extend(csvs);
            uploads.pending.extend(zip_upload);
            return Err(e.into());
        }
    }
    if let Some(upload) = zip_upload {
        let key = upload.key().to_owned();
        let bytes = upload.complete().await?;
        progress(&format!("{key}: {:.1} MB", bytes as f64 / 1e6));
        report.zip = Some(ObjectReport {
            name: key.rsplit('/').next().unwrap_or_default().to_owned(),
            key,
            rows: total_rows,
            bytes,
        });
    }
    Ok(())
}

/// Deletes (or with `dry_run` lists) the objects under the prefix whose
/// date folder is more than `keep_days` days before `now`'s date.
pub async fn expire_old_exports(
    store: &ObjectStore,
    config: &ExportConfig,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Vec<String>, ExportError> {
    if config.keep_days == 0 {
        return Ok(Vec::new());
    }
    let cutoff = now.date_naive() - Duration::days(i64::from(config.keep_days));
    let expired: Vec<String> = store
        .list_objects(&config.prefix)
        .await?
        .into_iter()
        .filter(|o| key_date(&config.prefix, &o.key).is_some_and(|date| date < cutoff))
        .map(|o| o.key)
        .collect();
    if !dry_run && !expired.is_empty() {
        store.delete_many(&expired).await?;
    }
    Ok(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn keys_follow_the_reference_layout_in_utc() {
        let names = RunNames::new("dwh/", at("2020-09-10T14:00:00+02:00"));
        assert_eq!(
            names.key("signals.csv"),
            "dwh/2020/09/10/120000UTC_signals.csv"
        );
        assert_eq!(names.stored_name("notes.csv"), "120000UTC_notes.csv");
        assert_eq!(names.zip_key(), "dwh/2020/09/10/20200910_120000UTC.zip");
    }

    #[test]
    fn the_date_folder_is_read_back_from_a_key() {
        assert_eq!(
            key_date("dwh/", "dwh/2020/09/10/120000UTC_signals.csv"),
            NaiveDate::from_ymd_opt(2020, 9, 10)
        );
        assert_eq!(key_date("dwh/", "dwh/2020/09/x.csv"), None);
        assert_eq!(key_date("dwh/", "other/2020/09/10/a.csv"), None);
        assert_eq!(key_date("dwh/", "dwh/2020/13/10/a.csv"), None);
    }

    #[test]
    fn requests_default_to_a_full_real_run() {
        let request: ExportRequest = serde_json::from_str("{}").expect("empty event");
        assert!(!request.dry_run);
        assert!(request.reports.is_none());
        let request: ExportRequest =
            serde_json::from_str(r#"{"dry_run": true, "reports": ["notes"]}"#).expect("event");
        assert!(request.dry_run);
        assert_eq!(request.reports, Some(vec!["notes".to_owned()]));
    }
}
