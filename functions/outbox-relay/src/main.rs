//! `outbox-relay` — Lambda function on a schedule (and a command).
//!
//! Trigger: EventBridge schedule, every minute (the event's content is not
//! read).
//! Does: publishes the `outbox` (spec 10 §10.1, docs/async.md) — the only
//! publisher: writers commit their rows and nothing else. Each invocation
//! drains what is pending (every row to the SQS queue of each consumer that
//! subscribes to its type, marked published, in batches), then follows:
//! polls for new rows every `OUTBOX_RELAY_POLL_MILLIS` and publishes them at
//! once, until `OUTBOX_RELAY_FOLLOW_SECONDS` after its start (ending 20 s
//! before the invocation's deadline at the latest). Invocations overlap by a
//! few seconds, so one is always polling. Rows that failed are retried by the
//! next invocation; while SQS refuses whole batches it backs off (20 polls)
//! and logs the outage once. Answers the run's totals.
//! Command line (outside Lambda): `outbox-relay --once` (one drain) or
//! `outbox-relay --follow SECONDS`, one line per batch on stderr, the report
//! as JSON on stdout.
//! Environment: `DATABASE_URL`, `SEARCH_INDEX_QUEUE_URL`, `MAIL_QUEUE_URL`
//! (every consumer's queue; one missing fails the start),
//! `OUTBOX_RELAY_BATCH_SIZE` (100), `OUTBOX_RELAY_FOLLOW_SECONDS` (65; 0 =
//! one drain per invocation), `OUTBOX_RELAY_POLL_MILLIS` (250),
//! `OUTBOX_RELAY_BUDGET_SECONDS` (45, the limit of a drain when not
//! following).

use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use outbox_relay::{RelayConfig, run};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::outbox_relay::{BatchReport, Publisher, SendLimits};
use signalen_infra::{pg, telemetry};

const USAGE: &str = "usage: outbox-relay --once              (publish what is pending, then exit)
       outbox-relay --follow SECONDS   (and keep publishing new events for SECONDS)";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let config = RelayConfig::from_env().expect("relay configuration");
    let pool = pg::pool(&database).expect("database pool");
    let publisher = Publisher::from_env(SendLimits::RELAY)
        .await
        .expect("queue configuration")
        .expect("no consumer queue is configured (SEARCH_INDEX_QUEUE_URL, MAIL_QUEUE_URL)");

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let config = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["--once"] => config.once(),
            ["--follow", seconds] => match seconds.parse::<u64>() {
                Ok(seconds) => config.following(Duration::from_secs(seconds)),
                Err(_) => usage(),
            },
            _ => usage(),
        };
        for (consumer, url) in publisher.routes() {
            eprintln!("route: {consumer} → {url}");
        }
        let report = run(&pool, &publisher, config, None, |batch| {
            eprintln!("{}", progress_line(batch))
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (pool, publisher) = (pool.clone(), publisher.clone());
        let deadline = event.context.deadline();
        async move {
            run(&pool, &publisher, config, Some(deadline), |batch| {
                tracing::info!(
                    claimed = batch.claimed,
                    published = batch.published,
                    failed = batch.failed.len(),
                    "outbox batch"
                )
            })
            .await
            .map_err(|e| Diagnostic {
                error_type: "OutboxRelayFailed".into(),
                error_message: format!("{e:#}"),
            })
        }
    }))
    .await
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

fn progress_line(batch: &BatchReport) -> String {
    let mut line = format!(
        "batch: claimed {}, published {} ({} messages), failed {}",
        batch.claimed,
        batch.published,
        batch.messages,
        batch.failed.len()
    );
    if let Some(first) = batch.failed.first() {
        line.push_str(&format!(" — e.g. outbox {}: {}", first.id, first.error));
    }
    line
}
