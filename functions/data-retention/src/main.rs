//! `data-retention` — Lambda function on schedules (and a command).
//!
//! Trigger: EventBridge schedules, each with its job as `Input`:
//! `{"job": "anonymise-reporters"}`, `{"job": "delete-signals"}`,
//! `{"job": "purge-objects"}`, `{"job": "housekeeping"}`; `"dry_run": true`
//! counts without writing.
//! Does: anonymises reporters of closed signals, deletes signals per the
//! retention policy with their stored files and an audit row each, prunes
//! operational tables (docs/retention.md). Bounded batches, one
//! transaction each; an interrupted run is continued by the next.
//! Command line (outside Lambda): `data-retention <job> [--dry-run]`,
//! progress on stderr, the report as JSON on stdout.
//! Environment: `DATABASE_URL`, `ATTACHMENTS_BUCKET`, `S3_FORCE_PATH_STYLE`,
//! `RETENTION_ANONYMISE_AFTER_DAYS` (365), `RETENTION_DELETE_ENABLED`
//! (false), `RETENTION_DELETE_POLICIES` (`a:365,o:1826`),
//! `RETENTION_BATCH_SIZE` (100), `RETENTION_TIME_BUDGET_SECONDS` (600),
//! `OUTBOX_KEEP_DAYS` (7), `CONSUMER_EFFECT_KEEP_DAYS` (30),
//! `THROTTLE_IDLE_HOURS` (48), `REPORTER_TOKEN_GRACE_DAYS` (30).

use anyhow::{Context as _, bail};
use data_retention::{Context, Hooks, Job, JobRequest, RetentionConfig, run};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use signalen_infra::config::{DatabaseConfig, S3Config};
use signalen_infra::{pg, telemetry};

const USAGE: &str = "usage: data-retention <anonymise-reporters|delete-signals|purge-objects|housekeeping> [--dry-run]";

fn request_from_args(args: impl Iterator<Item = String>) -> anyhow::Result<JobRequest> {
    let mut job = None;
    let mut dry_run = false;
    for arg in args {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            name if job.is_none() => {
                job = Some(
                    Job::parse(name).with_context(|| format!("unknown job `{name}`; {USAGE}"))?,
                )
            }
            other => bail!("unexpected argument `{other}`; {USAGE}"),
        }
    }
    Ok(JobRequest {
        job: job.context(USAGE)?,
        dry_run,
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = RetentionConfig::from_env().expect("retention configuration");
    let pool = pg::pool(&DatabaseConfig::from_env().expect("database configuration"))
        .expect("database pool");
    let s3 = S3Config::from_env().expect("S3 configuration");
    let sdk = signalen_infra::aws::load().await;

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let request = request_from_args(std::env::args().skip(1))?;
        let ctx = Context {
            pool: &pool,
            sdk: &sdk,
            s3,
            config: &config,
        };
        let report = run(&ctx, &request, Hooks::default(), &mut |line| {
            eprintln!("{line}")
        })
        .await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|event: LambdaEvent<JobRequest>| {
        let (pool, sdk, config) = (pool.clone(), sdk.clone(), config.clone());
        async move {
            let ctx = Context {
                pool: &pool,
                sdk: &sdk,
                s3,
                config: &config,
            };
            run(&ctx, &event.payload, Hooks::default(), &mut |line| {
                tracing::info!("{line}")
            })
            .await
            .map_err(|e| Diagnostic {
                error_type: "RetentionJobFailed".into(),
                error_message: format!("{e:#}"),
            })
        }
    }))
    .await
}
