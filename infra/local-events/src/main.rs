//! `local-events` — local development only, never deployed: drives the
//! queue-triggered and scheduled functions of template.yaml the way Lambda
//! does, beside `cargo lambda watch` (started by `infra/stack api`).
//!
//! Does: creates every `AWS::SQS::Queue` of the template in moto (named by
//! its logical id, with its visibility timeout and redrive policy), checks
//! that the environment gives each queue variable of the template the local
//! queue's URL, then long-polls each queue a function has an `SQS` event on
//! and invokes the function with the batch through the watch server's
//! Lambda Invoke API, deleting what it handled; fires each `Schedule`
//! event (a rate at start and every period, a cron at its minutes, UTC).
//! Usage: `local-events [--template template.yaml] [--invoke-url URL]
//! [--setup-only]`. `--setup-only` creates the queues and exits.
//! Environment: the AWS SDK's (`AWS_ENDPOINT_URL`, `AWS_REGION`, from
//! `infra/stack env`), the queue variables (`SEARCH_INDEX_QUEUE_URL`, …),
//! `SIGNALEN_API_URL` (the watch server, default http://127.0.0.1:8000).

use std::path::PathBuf;

use anyhow::{Context, bail};
use local_events::driver::{self, Invoker};
use local_events::template::Template;

struct Args {
    template: PathBuf,
    invoke_url: String,
    setup_only: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut parsed = Args {
        template: PathBuf::from("template.yaml"),
        invoke_url: std::env::var("SIGNALEN_API_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned()),
        setup_only: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--template" => {
                parsed.template = args.next().context("--template needs a path")?.into()
            }
            "--invoke-url" => {
                parsed.invoke_url = args.next().context("--invoke-url needs a URL")?
            }
            "--setup-only" => parsed.setup_only = true,
            other => bail!(
                "unknown argument {other}\nusage: local-events [--template PATH] [--invoke-url URL] [--setup-only]"
            ),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    signalen_infra::telemetry::init();
    let args = parse(std::env::args().skip(1))?;
    let template = Template::load(&args.template)?;
    let sdk = signalen_infra::aws::load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "eu-west-1".to_owned());
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queues = driver::ensure_queues(&sqs, &template)
        .await
        .context("creating the template's queues in the local SQS")?;
    for spec in &template.queues {
        let redrive = spec
            .redrive
            .as_ref()
            .map(|(dlq, max)| format!(", to {dlq} after {max} receives"))
            .unwrap_or_default();
        println!(
            "queue     {} {}{redrive}",
            spec.logical_id, queues[&spec.logical_id].url
        );
    }
    let mismatches = driver::environment_mismatches(&template.queue_variables, &queues, |name| {
        std::env::var(name).ok()
    });
    for (variable, actual, expected) in &mismatches {
        tracing::error!(
            function = %variable.function,
            variable = %variable.variable,
            actual = actual.as_deref().unwrap_or("(unset)"),
            expected = %expected,
            "the environment does not point this variable at the local queue: add it to `infra/stack env`"
        );
    }
    if args.setup_only {
        return Ok(());
    }
    let invoker = Invoker::new(&args.invoke_url);
    let mut tasks = tokio::task::JoinSet::new();
    for source in &template.sqs_sources {
        println!(
            "sqs       {} → {} (batch {}{})",
            source.queue,
            source.function,
            source.batch_size,
            if source.report_batch_item_failures {
                ", item failures"
            } else {
                ""
            }
        );
        tasks.spawn(driver::run_source(
            sqs.clone(),
            template.clone(),
            source.clone(),
            invoker.clone(),
            region.clone(),
        ));
    }
    for schedule in &template.schedules {
        println!("schedule  {} → {}", schedule.expression, schedule.function);
        tasks.spawn(driver::run_schedule(
            schedule.clone(),
            invoker.clone(),
            region.clone(),
        ));
    }
    println!(
        "driving {} queue(s) and {} schedule(s) through {}",
        template.sqs_sources.len(),
        template.schedules.len(),
        args.invoke_url
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tasks.shutdown().await;
    Ok(())
}
