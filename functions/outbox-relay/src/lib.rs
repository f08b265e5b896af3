//! The outbox relay and the DLQ replay (docs/async.md).
//!
//! The publishing itself is `signalen_infra::outbox_relay`; this crate runs
//! it on a schedule (follow mode: drain, then keep polling for new rows
//! until the follow period ends) and from the command line, and moves dead
//! letters back to their queue.

pub mod replay;

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use signalen_infra::config::{ConfigError, parsed_or};
use signalen_infra::outbox_relay::{
    BatchReport, DrainOptions, DrainReport, FollowOptions, Publisher, StopReason,
};
use signalen_infra::pg;

/// The relay stops claiming new batches this long before the invocation's
/// deadline: room for the batch in flight (its two `SendMessageBatch`
/// calls at their 10-second limit) and the final count.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(20);

/// Default of `OUTBOX_RELAY_FOLLOW_SECONDS`: a little longer than the
/// schedule's minute, so that consecutive invocations overlap.
pub const DEFAULT_FOLLOW_SECONDS: u64 = 65;
/// Default of `OUTBOX_RELAY_POLL_MILLIS`.
pub const DEFAULT_POLL_MILLIS: u64 = 250;

/// How a run of the relay goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// The first pass, and the whole run when `follow` is zero.
    pub drain: DrainOptions,
    /// How long after its start a run keeps polling (0: one drain).
    pub follow: Duration,
    /// The pause between polls that found nothing.
    pub poll: Duration,
}

impl RelayConfig {
    /// `OUTBOX_RELAY_BATCH_SIZE` (rows per claim, default 100),
    /// `OUTBOX_RELAY_BUDGET_SECONDS` (a drain stops claiming after this
    /// long, default 45; only used when not following),
    /// `OUTBOX_RELAY_FOLLOW_SECONDS` (default 65; 0 = drain once and stop),
    /// `OUTBOX_RELAY_POLL_MILLIS` (default 250).
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = DrainOptions::default();
        let poll = parsed_or("OUTBOX_RELAY_POLL_MILLIS", DEFAULT_POLL_MILLIS)?;
        if poll == 0 {
            return Err(ConfigError::Invalid {
                name: "OUTBOX_RELAY_POLL_MILLIS",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            drain: DrainOptions {
                batch_size: parsed_or("OUTBOX_RELAY_BATCH_SIZE", defaults.batch_size)?,
                budget: Duration::from_secs(parsed_or(
                    "OUTBOX_RELAY_BUDGET_SECONDS",
                    defaults.budget.as_secs(),
                )?),
            },
            follow: Duration::from_secs(parsed_or(
                "OUTBOX_RELAY_FOLLOW_SECONDS",
                DEFAULT_FOLLOW_SECONDS,
            )?),
            poll: Duration::from_millis(poll),
        })
    }

    /// One drain and stop (`outbox-relay --once`).
    pub fn once(self) -> Self {
        Self {
            follow: Duration::ZERO,
            ..self
        }
    }

    /// Following for `follow` (`outbox-relay --follow SECONDS`).
    pub fn following(self, follow: Duration) -> Self {
        Self { follow, ..self }
    }
}

/// The time left before an invocation's deadline, if it is one: a deadline
/// that has already passed when the invocation starts is not (cargo lambda
/// watch sends 600,000 ms after the epoch) and leaves only the follow
/// period as the limit.
pub fn time_left(deadline: SystemTime, now: SystemTime) -> Option<Duration> {
    deadline.duration_since(now).ok()
}

/// How long a run may go on: `wanted` (the follow period or the drain's
/// budget), cut to end [`DEADLINE_MARGIN`] before the deadline when there
/// is one.
pub fn run_length(wanted: Duration, left: Option<Duration>) -> Duration {
    match left {
        Some(left) => wanted.min(left.saturating_sub(DEADLINE_MARGIN)),
        None => wanted,
    }
}

/// One run on one connection of `pool`: a drain when `config.follow` is
/// zero, otherwise follow mode until `config.follow` after the start —
/// both ending [`DEADLINE_MARGIN`] before `deadline`. Logs and returns the
/// totals of the run.
pub async fn run(
    pool: &pg::Pool,
    publisher: &Publisher,
    config: RelayConfig,
    deadline: Option<SystemTime>,
    progress: impl FnMut(&BatchReport),
) -> anyhow::Result<DrainReport> {
    let started = Instant::now();
    let left = deadline.and_then(|d| {
        let left = time_left(d, SystemTime::now());
        if left.is_none() {
            tracing::debug!("the invocation's deadline has passed already: ignored");
        }
        left
    });
    let mut client = pool.get().await.context("no database connection")?;
    let report = if config.follow.is_zero() {
        let options = DrainOptions {
            budget: run_length(config.drain.budget, left),
            ..config.drain
        };
        publisher.drain(&mut client, options, progress).await
    } else {
        let options = FollowOptions::new(config.drain.batch_size, config.poll);
        let until = started + run_length(config.follow, left);
        publisher
            .follow(&mut client, options, until, progress)
            .await
    }
    .context("the outbox could not be read or updated")?;
    match report.stopped {
        StopReason::SqsFailing => tracing::error!(
            failed = report.failed,
            pending = report.pending,
            "SQS refused a whole batch; the events stay pending for the next run"
        ),
        _ if report.refused_batches > 0 => tracing::error!(
            published = report.published,
            failed = report.failed,
            refused_batches = report.refused_batches,
            pending = report.pending,
            elapsed_ms = report.elapsed_ms,
            "outbox relay run done; SQS refused batches, their events stay pending for the next run"
        ),
        _ => tracing::info!(
            published = report.published,
            messages = report.messages,
            failed = report.failed,
            pending = report.pending,
            idle_polls = report.idle_polls,
            elapsed_ms = report.elapsed_ms,
            stopped = ?report.stopped,
            "outbox relay run done"
        ),
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_cuts_the_run_short_by_the_margin_and_a_past_one_is_ignored() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let follow = Duration::from_secs(65);

        let roomy = run_length(follow, time_left(now + Duration::from_secs(90), now));
        let tight = run_length(follow, time_left(now + Duration::from_secs(60), now));
        let nearly_over = run_length(follow, time_left(now + Duration::from_secs(5), now));
        let watch = run_length(
            follow,
            time_left(SystemTime::UNIX_EPOCH + Duration::from_millis(600_000), now),
        );

        assert_eq!(roomy, Duration::from_secs(65));
        assert_eq!(tight, Duration::from_secs(40));
        assert_eq!(nearly_over, Duration::ZERO);
        assert_eq!(watch, follow);
    }

    #[test]
    fn once_drains_and_following_keeps_the_other_settings() {
        let config = RelayConfig {
            drain: DrainOptions::default(),
            follow: Duration::from_secs(65),
            poll: Duration::from_millis(250),
        };

        assert_eq!(config.once().follow, Duration::ZERO);
        assert_eq!(config.once().drain, config.drain);
        let following = config.following(Duration::from_secs(5));
        assert_eq!(following.follow, Duration::from_secs(5));
        assert_eq!(following.poll, config.poll);
    }
}
