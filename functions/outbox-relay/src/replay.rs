//! Moving dead letters back (docs/async.md, "Replaying the DLQ"): once the
//! cause of the failures is fixed, the messages of a consumer's DLQ go back
//! to the consumer's queue, unchanged (body and message attributes), and are
//! delivered again — with a fresh receive count. Consumers are idempotent on
//! the envelope's `event_id`, so replaying a message whose effect happened
//! after all does no harm.

use anyhow::{Context, bail};
use serde::Serialize;
use signalen_infra::sqs::Queue;

/// A queue named by URL (`https://…`, `http://…`) or by name.
pub async fn resolve(client: &aws_sdk_sqs::Client, queue: &str) -> anyhow::Result<Queue> {
    if queue.starts_with("https://") || queue.starts_with("http://") {
        return Ok(Queue::with_client(client.clone(), queue));
    }
    Queue::by_name(client.clone(), queue)
        .await
        .with_context(|| format!("no queue named {queue}"))
}

/// The DLQ and the queue its messages go back to. `queue` may be either: a
/// queue with a redrive policy is the source and its policy names the DLQ;
/// otherwise it is the DLQ, and its one source queue (or `target`) gets the
/// messages.
pub async fn dead_letters_and_source(
    client: &aws_sdk_sqs::Client,
    queue: &str,
    target: Option<&str>,
) -> anyhow::Result<(Queue, Queue)> {
    let given = resolve(client, queue).await?;
    if let Some(target) = target {
        return Ok((given, resolve(client, target).await?));
    }
    if let Some(dlq_arn) = given
        .dead_letter_target()
        .await
        .context("reading the redrive policy")?
    {
        let dlq = Queue::by_arn(client.clone(), &dlq_arn)
            .await
            .with_context(|| format!("the dead-letter queue {dlq_arn} does not exist"))?;
        return Ok((dlq, given));
    }
    let sources = given
        .dead_letter_sources()
        .await
        .context("listing the queues that use it as their dead-letter queue")?;
    match sources.as_slice() {
        [source] => Ok((given, Queue::with_client(client.clone(), source))),
        [] => bail!(
            "{queue} has no redrive policy and is no queue's dead-letter queue: name the target with --to"
        ),
        _ => bail!(
            "{queue} is the dead-letter queue of {} queues ({}): name the target with --to",
            sources.len(),
            sources.join(", ")
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    pub dead_letter_queue: String,
    pub target: String,
    pub moved: usize,
    /// `ApproximateNumberOfMessages` of the DLQ afterwards.
    pub left: u64,
}

/// Moves up to `max` messages from `dlq` to `target`.
pub async fn replay(
    dlq: &Queue,
    target: &Queue,
    max: usize,
    progress: impl FnMut(usize),
) -> anyhow::Result<ReplayReport> {
    let moved = dlq
        .move_messages_to(target, max, 1, progress)
        .await
        .context("moving the messages")?;
    let (left, _) = dlq
        .approximate_counts()
        .await
        .context("counting what is left")?;
    Ok(ReplayReport {
        dead_letter_queue: dlq.url().to_owned(),
        target: target.url().to_owned(),
        moved,
        left,
    })
}
