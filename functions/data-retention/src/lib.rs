//! Retention and housekeeping jobs (spec 16 §16.4–§16.5, spec 10 §10.4).
//!
//! * [`anonymise`] — reporters of closed signals lose their e-mail address
//!   and phone number after N days;
//! * [`deletion`] — signals closed for N days are deleted, children first,
//!   each with an audit row in `signals_deletedsignal`;
//! * [`objects`] — the stored files of deleted signals are deleted from S3
//!   from a durable to-do list (`retention_object_deletion`);
//! * [`housekeeping`] — published outbox rows, old consumer idempotency
//!   records, idle throttle rows and long-expired verification tokens.
//!
//! Every job works in bounded batches, one transaction each, and selects
//! its work afresh each batch: a crash loses at most the batch in flight
//! (rolled back) and the next run continues where it stopped. Runs are
//! serialised by an advisory lock.

pub mod anonymise;
pub mod config;
pub mod deletion;
pub mod housekeeping;
pub mod objects;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use signalen_infra::pg::{self, GenericClient, Pool};
use signalen_infra::s3;

pub use config::{DeletionPolicy, RetentionConfig};

/// Serialises retention runs.
const RETENTION_LOCK: i64 = 0x7265_7465_6e74; // "retent"

/// Which job a run does (the schedule's `Input`, the command's argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    AnonymiseReporters,
    DeleteSignals,
    PurgeObjects,
    Housekeeping,
}

impl Job {
    pub fn parse(name: &str) -> Option<Job> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// A run: a job, optionally without writing.
#[derive(Debug, Clone, Deserialize)]
pub struct JobRequest {
    pub job: Job,
    #[serde(default)]
    pub dry_run: bool,
}

/// Test hooks, all off in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hooks {
    /// Stop (as a killed process) after this many committed batches.
    pub crash_after_batches: Option<u32>,
    /// Fail inside batch number N (1-based) after its writes, before its
    /// commit: the batch must leave no trace.
    pub fail_inside_batch: Option<u32>,
    /// Deletion: stop after committing, before deleting the objects.
    pub crash_before_purge: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("database error")]
    Db(#[from] pg::Error),
    #[error("database error")]
    Postgres(#[from] pg::tokio_postgres::Error),
    #[error("S3 error")]
    S3(#[from] s3::Error),
    #[error("{0}")]
    Refused(String),
    #[error("simulated crash")]
    Crashed,
    #[error("simulated failure inside batch {0}")]
    Injected(u32),
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct JobReport {
    pub dry_run: bool,
    pub skipped: Option<String>,
    pub batches: u32,
    /// Signals changed (anonymised / deleted, children included).
    pub signals: u64,
    /// Reporter rows anonymised.
    pub reporters: u64,
    /// Stored objects deleted (or queued, when the purge failed).
    pub objects: u64,
    /// Housekeeping: rows removed per table.
    pub pruned: Vec<(String, u64)>,
    /// The time budget ran out with work left; the next run continues.
    pub unfinished: bool,
}

/// What the jobs need.
pub struct Context<'a> {
    pub pool: &'a Pool,
    pub sdk: &'a aws_config::SdkConfig,
    pub s3: signalen_infra::config::S3Config,
    pub config: &'a RetentionConfig,
}

/// Runs one job under the retention lock.
pub async fn run(
    ctx: &Context<'_>,
    request: &JobRequest,
    hooks: Hooks,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<JobReport, RetentionError> {
    let lock = ctx.pool.get().await.map_err(pg::Error::from)?;
    let locked: bool = lock
        .query_one("SELECT pg_try_advisory_lock($1)", &[&RETENTION_LOCK])
        .await?
        .try_get(0)?;
    if !locked {
        progress("another retention run is active; nothing done");
        return Ok(JobReport {
            dry_run: request.dry_run,
            skipped: Some("another retention run is active".into()),
            ..JobReport::default()
        });
    }
    let deadline = Instant::now() + ctx.config.time_budget;
    let result = match request.job {
        Job::AnonymiseReporters => {
            anonymise::run(ctx, request.dry_run, deadline, hooks, progress).await
        }
        Job::DeleteSignals => deletion::run(ctx, request.dry_run, deadline, hooks, progress).await,
        Job::PurgeObjects => objects::run(ctx, request.dry_run, deadline, progress).await,
        Job::Housekeeping => housekeeping::run(ctx, request.dry_run, deadline, progress).await,
    };
    let _ = lock
        .execute("SELECT pg_advisory_unlock($1)", &[&RETENTION_LOCK])
        .await;
    result
}

/// The number of whole days between two instants (Python's
/// `timedelta.days`: floored).
pub fn whole_days(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> i64 {
    (to - from).num_seconds().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_named_in_kebab_case() {
        assert_eq!(
            Job::parse("anonymise-reporters"),
            Some(Job::AnonymiseReporters)
        );
        assert_eq!(Job::parse("delete-signals"), Some(Job::DeleteSignals));
        assert_eq!(Job::parse("purge-objects"), Some(Job::PurgeObjects));
        assert_eq!(Job::parse("housekeeping"), Some(Job::Housekeeping));
        assert_eq!(Job::parse("everything"), None);
        let request: JobRequest =
            serde_json::from_str(r#"{"job": "delete-signals"}"#).expect("schedule input");
        assert!(!request.dry_run);
    }

    #[test]
    fn days_are_floored_like_python_timedelta() {
        let t0 = chrono::DateTime::from_timestamp(0, 0).expect("epoch");
        let t1 = chrono::DateTime::from_timestamp(86_400 * 3 - 1, 0).expect("t1");
        assert_eq!(whole_days(t0, t1), 2);
        assert_eq!(whole_days(t0, t0 + chrono::Duration::days(400)), 400);
    }
}
