//! `dlq-replay` — command (not deployed as a function): moves the messages
//! of a consumer's dead-letter queue back to the consumer's queue once the
//! cause of their failures is fixed (docs/async.md).
//!
//! Usage: `dlq-replay <queue> [--max N] [--to <queue>]`. `<queue>` is a URL
//! or a name, of either the consumer's queue (its redrive policy names the
//! DLQ) or the DLQ (its one source queue gets the messages; `--to` names
//! another). At most N messages (default 1000). Progress on stderr, the
//! report as JSON on stdout.
//! Environment: the AWS SDK's (`AWS_REGION`, credentials; locally
//! `AWS_ENDPOINT_URL` from `infra/stack env`).

use anyhow::{Context, bail};
use outbox_relay::replay::{dead_letters_and_source, replay};

const USAGE: &str = "usage: dlq-replay <queue URL or name> [--max N] [--to <queue URL or name>]";

struct Args {
    queue: String,
    max: usize,
    to: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut queue = None;
    let mut max = 1000;
    let mut to = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--max" => {
                max = args
                    .next()
                    .context("--max needs a number")?
                    .parse()
                    .context("--max needs a number")?
            }
            "--to" => to = Some(args.next().context("--to needs a queue")?),
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n{USAGE}"),
            _ if queue.is_some() => bail!("one queue only\n{USAGE}"),
            _ => queue = Some(arg),
        }
    }
    Ok(Args {
        queue: queue.context(USAGE)?,
        max,
        to,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse(std::env::args().skip(1))?;
    let sdk = signalen_infra::aws::load().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let (dlq, target) = dead_letters_and_source(&client, &args.queue, args.to.as_deref()).await?;
    let (waiting, in_flight) = dlq.approximate_counts().await.context("reading the DLQ")?;
    eprintln!(
        "moving up to {} of ~{waiting} messages ({in_flight} in flight) from {} to {}",
        args.max,
        dlq.url(),
        target.url()
    );
    let report = replay(&dlq, &target, args.max, |moved| eprintln!("moved {moved}")).await?;
    eprintln!("done: moved {}, ~{} left", report.moved, report.left);
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
