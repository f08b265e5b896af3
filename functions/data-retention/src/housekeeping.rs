//! The periodic clean-ups of what this system keeps besides signals
//! (spec 10 §10.4 for what still applies; the reference's Django sessions
//! and public-map view do not exist here):
//! * `outbox` rows published more than `OUTBOX_KEEP_DAYS` ago;
//! * `consumer_effect` records older than `CONSUMER_EFFECT_KEEP_DAYS`
//!   (a redelivery that late cannot happen: SQS keeps a message 14 days);
//! * `api_throttle` rows idle for `THROTTLE_IDLE_HOURS` (their window has
//!   long passed; the throttle's own statement only prunes a few per request);
//! * reporter e-mail verification tokens that expired more than
//!   `REPORTER_TOKEN_GRACE_DAYS` ago (the reference's expired-token job
//!   concerns my_signals tokens, which do not exist here; these tokens
//!   are the same kind of dead secret).
//!
//! Each is a loop of small `DELETE … LIMIT`-style statements, so no long
//! lock is taken on a busy table.

use std::time::Instant;

use chrono::{Duration, Utc};
use signalen_infra::pg::{self, GenericClient};

use crate::{Context, JobReport, RetentionError};

const BATCH: i64 = 5_000;

struct Prune {
    name: &'static str,
    count: &'static str,
    delete: &'static str,
}

const PRUNES: [Prune; 4] = [
    Prune {
        name: "outbox",
        count: "SELECT count(*) FROM outbox WHERE published_at < $1",
        delete: "DELETE FROM outbox WHERE id IN (
                     SELECT id FROM outbox WHERE published_at < $1 ORDER BY published_at LIMIT $2)",
    },
    Prune {
        name: "consumer_effect",
        count: "SELECT count(*) FROM consumer_effect WHERE created_at < $1",
        delete: "DELETE FROM consumer_effect WHERE (consumer, event_id) IN (
                     SELECT consumer, event_id FROM consumer_effect WHERE created_at < $1
                     ORDER BY created_at LIMIT $2)",
    },
    Prune {
        name: "api_throttle",
        count: "SELECT count(*) FROM api_throttle WHERE updated_at < $1",
        delete: "DELETE FROM api_throttle WHERE (scope, ident) IN (
                     SELECT scope, ident FROM api_throttle WHERE updated_at < $1
                     ORDER BY updated_at LIMIT $2)",
    },
    Prune {
        name: "signals_reporter.email_verification_token",
        count: "SELECT count(*) FROM signals_reporter
                WHERE email_verification_token IS NOT NULL AND email_verification_token_expires < $1",
        delete: "UPDATE signals_reporter SET email_verification_token = NULL
                 WHERE id IN (SELECT id FROM signals_reporter
                              WHERE email_verification_token IS NOT NULL
                                AND email_verification_token_expires < $1
                              LIMIT $2)",
    },
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    dry_run: bool,
    deadline: Instant,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<JobReport, RetentionError> {
    let config = ctx.config;
    let now = Utc::now();
    let cutoffs = [
        now - Duration::days(i64::from(config.outbox_keep_days)),
        now - Duration::days(i64::from(config.consumer_effect_keep_days)),
        now - Duration::hours(i64::from(config.throttle_idle_hours)),
        now - Duration::days(i64::from(config.token_grace_days)),
    ];
    let client = ctx.pool.get().await.map_err(pg::Error::from)?;
    let mut report = JobReport {
        dry_run,
        ..JobReport::default()
    };
    for (prune, cutoff) in PRUNES.iter().zip(cutoffs) {
        let mut removed = 0u64;
        if dry_run {
            let n: i64 = client
                .query_one(prune.count, &[&cutoff])
                .await?
                .try_get(0)?;
            removed = n as u64;
        } else {
            loop {
                if Instant::now() >= deadline {
                    report.unfinished = true;
                    break;
                }
                let n = client.execute(prune.delete, &[&cutoff, &BATCH]).await?;
                removed += n;
                report.batches += 1;
                if n < BATCH as u64 {
                    break;
                }
            }
        }
        progress(&format!(
            "{}: {} {removed} row(s) older than {cutoff}",
            prune.name,
            if dry_run { "would remove" } else { "removed" }
        ));
        report.pruned.push((prune.name.to_owned(), removed));
    }
    Ok(report)
}
