//! `outbox-relay` — Lambda function on a schedule (and a command).
//!
//! Trigger: EventBridge schedule, every minute (the event's content is not
//! read).
//! Does: the slow path of the outbox (spec 10 §10.1, docs/async.md):
//! publishes every pending `outbox` row to the SQS queue of each consumer
//! that subscribes to its type and marks it published, in batches, until
//! nothing is pending, the time budget is used or SQS refuses a whole
//! batch. Answers the run's report. The writers' fast path publishes most
//! events right after their commit; this covers a crash or an SQS outage
//! between commit and publish.
//! Command line (outside Lambda): `outbox-relay --once`, one batch line per
//! claim on stderr, the report as JSON on stdout.
//! Environment: `DATABASE_URL`, `SEARCH_INDEX_QUEUE_URL`, `MAIL_QUEUE_URL`
//! (every consumer's queue; one missing fails the start),
//! `OUTBOX_RELAY_BATCH_SIZE` (100), `OUTBOX_RELAY_BUDGET_SECONDS` (45).

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use outbox_relay::{options_from_env, run};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::outbox_relay::{BatchReport, Publisher, SendLimits};
use signalen_infra::{pg, telemetry};

const USAGE: &str = "usage: outbox-relay --once   (publish what is pending, then exit)";

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let options = options_from_env().expect("relay configuration");
    let pool = pg::pool(&database).expect("database pool");
    let publisher = Publisher::from_env(SendLimits::RELAY)
        .await
        .expect("queue configuration")
        .expect("no consumer queue is configured (SEARCH_INDEX_QUEUE_URL, MAIL_QUEUE_URL)");

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args != ["--once"] {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
        for (consumer, url) in publisher.routes() {
            eprintln!("route: {consumer} → {url}");
        }
        let report = run(&pool, &publisher, options, |batch| {
            eprintln!("{}", progress_line(batch))
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| {
        let (pool, publisher) = (pool.clone(), publisher.clone());
        async move {
            run(&pool, &publisher, options, |batch| {
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
