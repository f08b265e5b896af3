//! The outbox relay's slow path and the DLQ replay (docs/async.md).
//!
//! The publishing itself is `signalen_infra::outbox_relay` (shared with the
//! writers' fast path); this crate runs it on a schedule and from the
//! command line, and moves dead letters back to their queue.

pub mod replay;

use std::time::Duration;

use signalen_infra::config::{ConfigError, parsed_or};
use signalen_infra::outbox_relay::{BatchReport, DrainOptions, DrainReport, Publisher};
use signalen_infra::pg;

/// `OUTBOX_RELAY_BATCH_SIZE` (rows per claim, default 100) and
/// `OUTBOX_RELAY_BUDGET_SECONDS` (stop claiming after this long, default
/// 45: the function's timeout is 60).
pub fn options_from_env() -> Result<DrainOptions, ConfigError> {
    let defaults = DrainOptions::default();
    Ok(DrainOptions {
        batch_size: parsed_or("OUTBOX_RELAY_BATCH_SIZE", defaults.batch_size)?,
        budget: Duration::from_secs(parsed_or(
            "OUTBOX_RELAY_BUDGET_SECONDS",
            defaults.budget.as_secs(),
        )?),
    })
}

/// One run of the slow path on a connection of `pool`.
pub async fn run(
    pool: &pg::Pool,
    publisher: &Publisher,
    options: DrainOptions,
    progress: impl FnMut(&BatchReport),
) -> anyhow::Result<DrainReport> {
    use anyhow::Context;
    let mut client = pool.get().await.context("no database connection")?;
    let report = publisher
        .drain(&mut client, options, progress)
        .await
        .context("the outbox could not be read or updated")?;
    match report.stopped {
        signalen_infra::outbox_relay::StopReason::SqsFailing => tracing::error!(
            failed = report.failed,
            pending = report.pending,
            "SQS refused a whole batch; the events stay pending for the next run"
        ),
        _ => tracing::info!(
            published = report.published,
            messages = report.messages,
            failed = report.failed,
            pending = report.pending,
            stopped = ?report.stopped,
            "outbox relay run done"
        ),
    }
    Ok(report)
}
