//! Deleting the stored files of deleted signals from S3, from the durable
//! to-do list `retention_object_deletion` that the deleting transaction
//! filled. A row goes only after S3 confirmed; a failure counts an attempt
//! and keeps the row (and its error) for the next run.

use std::collections::BTreeMap;
use std::time::Instant;

use signalen_infra::pg::{self, GenericClient};
use signalen_infra::s3::ObjectStore;

use crate::{Context, JobReport, RetentionError};

const BATCH: i64 = 500;

pub(crate) async fn run(
    ctx: &Context<'_>,
    dry_run: bool,
    deadline: Instant,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<JobReport, RetentionError> {
    let mut report = JobReport {
        dry_run,
        ..JobReport::default()
    };
    if dry_run {
        let client = ctx.pool.get().await.map_err(pg::Error::from)?;
        let pending: i64 = client
            .query_one("SELECT count(*) FROM retention_object_deletion", &[])
            .await?
            .try_get(0)?;
        report.objects = pending as u64;
        progress(&format!("would delete {pending} stored file(s)"));
        return Ok(report);
    }
    report.objects = purge(ctx, deadline, progress).await?;
    Ok(report)
}

/// Deletes pending objects until none is left, one fails, or time is up.
/// Returns the number deleted.
pub(crate) async fn purge(
    ctx: &Context<'_>,
    deadline: Instant,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<u64, RetentionError> {
    let client = ctx.pool.get().await.map_err(pg::Error::from)?;
    let mut deleted = 0u64;
    let mut after = 0i64;
    while Instant::now() < deadline {
        let rows = client
            .query(
                "SELECT id, bucket, key FROM retention_object_deletion WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &BATCH],
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut by_bucket: BTreeMap<String, (Vec<i64>, Vec<String>)> = BTreeMap::new();
        for row in &rows {
            let id: i64 = row.try_get(0)?;
            after = after.max(id);
            let entry = by_bucket.entry(row.try_get(1)?).or_default();
            entry.0.push(id);
            entry.1.push(row.try_get(2)?);
        }
        for (bucket, (ids, keys)) in by_bucket {
            let store = ObjectStore::new(ctx.sdk, ctx.s3, bucket.clone());
            match store.delete_many(&keys).await {
                Ok(()) => {
                    client
                        .execute(
                            "DELETE FROM retention_object_deletion WHERE id = ANY($1)",
                            &[&ids],
                        )
                        .await?;
                    deleted += keys.len() as u64;
                }
                Err(e) => {
                    tracing::warn!(bucket, error.message = %e, "stored files not deleted; kept for the next run");
                    client
                        .execute(
                            "UPDATE retention_object_deletion
                             SET attempts = attempts + 1, last_error = $2
                             WHERE id = ANY($1)",
                            &[&ids, &e.to_string()],
                        )
                        .await?;
                }
            }
        }
    }
    if deleted > 0 {
        progress(&format!("deleted {deleted} stored file(s)"));
    }
    Ok(deleted)
}
