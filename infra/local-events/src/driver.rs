//! The driver: queues in moto as the template declares them, SQS event
//! sources polled and handed to the functions in batches through the
//! Lambda Invoke API of `cargo lambda watch`, schedules fired.
//!
//! It does what the Lambda service does for these triggers, and nothing
//! the functions could tell apart: a batch of at most `BatchSize` records in
//! the SQS event format; with `ReportBatchItemFailures` the ids the function
//! answers stay in the queue and the others are deleted; a function error
//! (or an answer naming no record of the batch) leaves the whole batch.
//! Messages that stay become visible again after the queue's visibility
//! timeout and move to the DLQ after `maxReceiveCount` receives (moto's
//! redrive). The driver never deletes, moves or re-times a message itself.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};

use crate::template::{QueueVariable, ScheduleSpec, SqsSource, Template};

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("SQS {operation}: {message}")]
    Sqs {
        operation: &'static str,
        message: String,
    },
    #[error("invoking {function}: {source}")]
    Invoke {
        function: String,
        source: reqwest::Error,
    },
    #[error("{0}")]
    Template(String),
}

fn sqs_error<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> DriverError {
    move |e| DriverError::Sqs {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

/// A queue of the template as it exists locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalQueue {
    pub logical_id: String,
    pub url: String,
    pub arn: String,
}

/// Creates (or updates) every queue of the template, named by its logical
/// id, with its visibility timeout, retention and redrive policy. Idempotent.
pub async fn ensure_queues(
    sqs: &aws_sdk_sqs::Client,
    template: &Template,
) -> Result<HashMap<String, LocalQueue>, DriverError> {
    let mut queues: HashMap<String, LocalQueue> = HashMap::new();
    for spec in template.queues_in_creation_order() {
        let url = sqs
            .create_queue()
            .queue_name(&spec.logical_id)
            .send()
            .await
            .map_err(sqs_error("CreateQueue"))?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let mut attributes = HashMap::new();
        if let Some(timeout) = spec.visibility_timeout {
            attributes.insert(QueueAttributeName::VisibilityTimeout, timeout.to_string());
        }
        if let Some(retention) = spec.message_retention {
            attributes.insert(
                QueueAttributeName::MessageRetentionPeriod,
                retention.to_string(),
            );
        }
        if let Some((dlq, max)) = &spec.redrive {
            let dlq = queues.get(dlq).ok_or_else(|| {
                DriverError::Template(format!(
                    "{}: its dead-letter queue {dlq} is no queue of the template",
                    spec.logical_id
                ))
            })?;
            attributes.insert(
                QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": max.to_string()})
                    .to_string(),
            );
        }
        if !attributes.is_empty() {
            sqs.set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(sqs_error("SetQueueAttributes"))?;
        }
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(sqs_error("GetQueueAttributes"))?
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        queues.insert(
            spec.logical_id.clone(),
            LocalQueue {
                logical_id: spec.logical_id.clone(),
                url,
                arn,
            },
        );
    }
    Ok(queues)
}

/// The queue variables of the template whose value in `environment` is not
/// the local queue's URL: the functions would publish to or read from the
/// wrong queue. `infra/stack env` must print them.
pub fn environment_mismatches<'a>(
    variables: &'a [QueueVariable],
    queues: &HashMap<String, LocalQueue>,
    environment: impl Fn(&str) -> Option<String>,
) -> Vec<(&'a QueueVariable, Option<String>, String)> {
    let mut mismatches = Vec::new();
    let mut seen = HashSet::new();
    for variable in variables {
        if !seen.insert((&variable.variable, &variable.queue)) {
            continue;
        }
        let Some(queue) = queues.get(&variable.queue) else {
            continue;
        };
        let actual = environment(&variable.variable);
        if actual.as_deref() != Some(queue.url.as_str()) {
            mismatches.push((variable, actual, queue.url.clone()));
        }
    }
    mismatches
}

/// Calls functions through the Lambda Invoke API that `cargo lambda watch`
/// serves (`POST /2015-03-31/functions/<name>/invocations`).
#[derive(Debug, Clone)]
pub struct Invoker {
    http: reqwest::Client,
    base_url: String,
}

/// What an invocation answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The function's result (JSON; `Null` for an empty answer).
    Response(Value),
    /// The function returned an error (or crashed); its error document.
    FunctionError(String),
    /// No such function under the watch server.
    Missing(String),
}

impl Invoker {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// Whether something listens on the invoke address (checked before
    /// taking messages, so a stopped watch server costs no receives).
    pub async fn reachable(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.base_url) else {
            return false;
        };
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect((host, port)),
        )
        .await
        .is_ok_and(|c| c.is_ok())
    }

    pub async fn invoke(
        &self,
        function: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Invocation, DriverError> {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.base_url
        );
        let failed = |source| DriverError::Invoke {
            function: function.to_owned(),
            source,
        };
        let response = self
            .http
            .post(&url)
            .json(payload)
            .timeout(timeout)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        let body = response.text().await.map_err(failed)?;
        Ok(match status.as_u16() {
            200..=299 if body.trim().is_empty() => Invocation::Response(Value::Null),
            200..=299 => match serde_json::from_str(&body) {
                Ok(value) => Invocation::Response(value),
                Err(_) => Invocation::Response(Value::String(body)),
            },
            404 => Invocation::Missing(body),
            _ => Invocation::FunctionError(body),
        })
    }
}

/// The SQS event Lambda would send for `messages` of `queue`.
pub fn sqs_event(messages: &[Message], queue: &LocalQueue, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            let message_attributes: serde_json::Map<String, Value> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(name, value)| {
                            let b64 = |b: &aws_sdk_sqs::primitives::Blob| {
                                base64::engine::general_purpose::STANDARD.encode(b.as_ref())
                            };
                            (
                                name.clone(),
                                json!({
                                    "stringValue": value.string_value(),
                                    "binaryValue": value.binary_value().map(b64),
                                    "stringListValues": value.string_list_values(),
                                    "binaryListValues": value.binary_list_values().iter().map(b64).collect::<Vec<_>>(),
                                    "dataType": value.data_type(),
                                }),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body(),
                "md5OfMessageAttributes": m.md5_of_message_attributes(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Which message ids of the batch failed, from the function's answer
/// (`{"batchItemFailures": [{"itemIdentifier": …}]}`; `null` or no list =
/// none). `Err` when the answer names an id that is empty or not in the
/// batch: Lambda then takes the whole batch as failed.
pub fn failed_items(answer: &Value, batch: &HashSet<&str>) -> Result<HashSet<String>, String> {
    let Some(failures) = answer.get("batchItemFailures") else {
        return Ok(HashSet::new());
    };
    let Some(failures) = failures.as_array() else {
        return if failures.is_null() {
            Ok(HashSet::new())
        } else {
            Err("batchItemFailures is not a list".into())
        };
    };
    failures
        .iter()
        .map(|f| match f.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if batch.contains(id) => Ok(id.to_owned()),
            Some(id) => Err(format!("itemIdentifier `{id}` is not in the batch")),
            None => Err("a batch item failure without itemIdentifier".into()),
        })
        .collect()
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOutcome {
    pub received: usize,
    /// Deleted because the function handled them.
    pub deleted: usize,
    /// Left in the queue: item failures, or the whole batch.
    pub left: usize,
    /// Why the whole batch was left, if it was.
    pub batch_failure: Option<String>,
}

/// Receives one batch for `source` (waiting up to `wait_seconds`), invokes
/// the function with it and deletes what it handled.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    queue: &LocalQueue,
    source: &SqsSource,
    invoker: &Invoker,
    region: &str,
    wait_seconds: i32,
) -> Result<PollOutcome, DriverError> {
    let output = sqs
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(source.batch_size.clamp(1, 10) as i32)
        .wait_time_seconds(wait_seconds.clamp(0, 20))
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(sqs_error("ReceiveMessage"))?;
    let messages = output.messages();
    if messages.is_empty() {
        return Ok(PollOutcome::default());
    }
    let event = sqs_event(messages, queue, region);
    let ids: HashSet<&str> = messages.iter().filter_map(|m| m.message_id()).collect();
    // Room for cargo lambda watch to (re)compile the function on the first call.
    let timeout = Duration::from_secs(u64::from(source.timeout) * 2).max(Duration::from_secs(600));
    let invocation = invoker.invoke(&source.function, &event, timeout).await?;
    let (failed, batch_failure) = match invocation {
        Invocation::Response(answer) if source.report_batch_item_failures => {
            match failed_items(&answer, &ids) {
                Ok(failed) => (failed, None),
                Err(reason) => (all(&ids), Some(format!("invalid batch response: {reason}"))),
            }
        }
        Invocation::Response(_) => (HashSet::new(), None),
        Invocation::FunctionError(error) => (all(&ids), Some(format!("function error: {error}"))),
        Invocation::Missing(detail) => (all(&ids), Some(format!("no such function: {detail}"))),
    };
    let done: Vec<&Message> = messages
        .iter()
        .filter(|m| m.message_id().is_some_and(|id| !failed.contains(id)))
        .collect();
    for chunk in done.chunks(10) {
        let mut request = sqs.delete_message_batch().queue_url(&queue.url);
        for (n, message) in chunk.iter().enumerate() {
            request = request.entries(
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("d{n}"))
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .build()
                    .map_err(sqs_error("DeleteMessageBatch"))?,
            );
        }
        request
            .send()
            .await
            .map_err(sqs_error("DeleteMessageBatch"))?;
    }
    Ok(PollOutcome {
        received: messages.len(),
        deleted: done.len(),
        left: messages.len() - done.len(),
        batch_failure,
    })
}

fn all(ids: &HashSet<&str>) -> HashSet<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// Polls `source` for ever (long polling), one batch at a time — the
/// function runs with cargo lambda watch's concurrency of one.
pub async fn run_source(
    sqs: aws_sdk_sqs::Client,
    template: Template,
    source: SqsSource,
    invoker: Invoker,
    region: String,
) {
    let mut queue: Option<LocalQueue> = None;
    loop {
        if !invoker.reachable().await {
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        let local = match &queue {
            Some(q) => q.clone(),
            None => match ensure_queues(&sqs, &template).await {
                Ok(mut queues) => match queues.remove(&source.queue) {
                    Some(q) => {
                        queue = Some(q.clone());
                        q
                    }
                    None => {
                        tracing::error!(queue = %source.queue, "no such queue in the template");
                        return;
                    }
                },
                Err(error) => {
                    tracing::warn!(error.message = %error, "local SQS unavailable");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            },
        };
        match poll_once(&sqs, &local, &source, &invoker, &region, 10).await {
            Ok(outcome) if outcome.received == 0 => {}
            Ok(outcome) => {
                if let Some(reason) = &outcome.batch_failure {
                    tracing::warn!(
                        function = %source.function,
                        queue = %source.queue,
                        received = outcome.received,
                        reason = %reason,
                        "batch failed; its messages return to the queue"
                    );
                } else {
                    tracing::info!(
                        function = %source.function,
                        queue = %source.queue,
                        received = outcome.received,
                        deleted = outcome.deleted,
                        item_failures = outcome.left,
                        "batch delivered"
                    );
                }
            }
            Err(error) => {
                tracing::warn!(queue = %source.queue, error.message = %error, "poll failed");
                // moto restarted (its state is in memory): create the queues again.
                queue = None;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// The event a schedule sends: its `Input`, else EventBridge's
/// "Scheduled Event" document.
pub fn schedule_event(spec: &ScheduleSpec, region: &str) -> Value {
    if let Some(input) = &spec.input {
        if let Ok(value) = serde_json::from_str(input) {
            return value;
        }
    }
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": region,
        "resources": [format!("arn:aws:events:{region}:123456789012:rule/{}-{}", spec.function, spec.event)],
        "detail": {}
    })
}

/// Fires `spec` for ever: a rate at once and then every period, a cron at
/// its matching minutes. Each invocation runs in a task of its own, so one
/// that outlasts the period (the outbox relay follows the outbox ~65 s of
/// every minute) never moves the schedule's times, and no queue's polling
/// waits for it (those are tasks of their own too). The watch server runs
/// one instance per function: a firing that comes while the schedule's
/// previous invocation still runs starts the moment it ends — back to back,
/// with no gap, where Lambda would overlap them — and firings missed
/// meanwhile collapse into that one instead of piling up. It waits at most
/// the function's `Timeout` from the previous invocation's start (Lambda
/// would have ended it by then; the watch server loses an invocation whose
/// instance it restarts after a rebuild).
pub async fn run_schedule(spec: ScheduleSpec, invoker: Invoker, region: String) {
    let mut next = match spec.schedule {
        crate::schedule::Schedule::Rate(_) => Some(Utc::now()),
        crate::schedule::Schedule::Cron(_) => spec.schedule.next_after(Utc::now()),
    };
    let limit = Duration::from_secs(u64::from(spec.timeout.max(1)));
    let mut running: Option<(tokio::task::JoinHandle<()>, tokio::time::Instant)> = None;
    while let Some(at) = next {
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        if let Some((previous, started)) = running.take() {
            if !previous.is_finished() {
                tracing::debug!(
                    function = %spec.function,
                    schedule = %spec.expression,
                    "the previous invocation still runs: this firing starts when it ends"
                );
            }
            if tokio::time::timeout_at(started + limit, previous)
                .await
                .is_err()
            {
                tracing::warn!(
                    function = %spec.function,
                    schedule = %spec.expression,
                    timeout_s = limit.as_secs(),
                    "the previous invocation did not answer within the function's Timeout \
                     (the watch server restarts a rebuilt function): firing anyway"
                );
            }
        }
        running = Some((
            tokio::spawn(fire(spec.clone(), invoker.clone(), region.clone())),
            tokio::time::Instant::now(),
        ));
        next = spec.schedule.next_after(at.max(Utc::now()));
    }
}

/// One invocation of a schedule's function, its outcome logged.
async fn fire(spec: ScheduleSpec, invoker: Invoker, region: String) {
    if !invoker.reachable().await {
        tracing::warn!(function = %spec.function, "invoke endpoint not reachable; schedule skipped");
        return;
    }
    let timeout = Duration::from_secs(u64::from(spec.timeout) * 2).max(Duration::from_secs(600));
    match invoker
        .invoke(&spec.function, &schedule_event(&spec, &region), timeout)
        .await
    {
        Ok(Invocation::Response(answer)) => tracing::info!(
            function = %spec.function,
            schedule = %spec.expression,
            answer = %answer,
            "schedule fired"
        ),
        Ok(other) => tracing::warn!(
            function = %spec.function,
            schedule = %spec.expression,
            outcome = ?other,
            "scheduled invocation failed"
        ),
        Err(error) => tracing::warn!(
            function = %spec.function,
            error.message = %error,
            "scheduled invocation failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_failures_must_name_records_of_the_batch() {
        let batch: HashSet<&str> = ["a", "b"].into_iter().collect();

        assert_eq!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &batch
            ),
            Ok(["b".to_owned()].into_iter().collect())
        );
        assert_eq!(failed_items(&Value::Null, &batch), Ok(HashSet::new()));
        assert_eq!(
            failed_items(&json!({"batchItemFailures": null}), &batch),
            Ok(HashSet::new())
        );
        assert!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
                &batch
            )
            .is_err()
        );
        assert!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": "z"}]}),
                &batch
            )
            .is_err()
        );
        assert!(failed_items(&json!({"batchItemFailures": [{}]}), &batch).is_err());
    }

    #[test]
    fn the_event_lambda_would_send_parses_as_an_sqs_event() {
        let message = Message::builder()
            .message_id("m1")
            .receipt_handle("r1")
            .body(r#"{"hello":"world"}"#)
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "3")
            .message_attributes(
                "event_type",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("signal.created")
                    .build()
                    .expect("attribute"),
            )
            .build();
        let queue = LocalQueue {
            logical_id: "WorkQueue".into(),
            url: "http://127.0.0.1:1/123456789012/WorkQueue".into(),
            arn: "arn:aws:sqs:eu-west-1:123456789012:WorkQueue".into(),
        };

        let event = sqs_event(&[message], &queue, "eu-west-1");
        let parsed: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(event).expect("an SqsEvent");

        let record = &parsed.records[0];
        assert_eq!(record.message_id.as_deref(), Some("m1"));
        assert_eq!(record.attributes["ApproximateReceiveCount"], "3");
        assert_eq!(
            record.message_attributes["event_type"]
                .string_value
                .as_deref(),
            Some("signal.created")
        );
        assert_eq!(record.event_source_arn.as_deref(), Some(queue.arn.as_str()));
    }

    #[test]
    fn a_variable_with_another_url_is_a_mismatch() {
        let variables = vec![QueueVariable {
            function: "public-signals".into(),
            variable: "MAIL_QUEUE_URL".into(),
            queue: "MailQueue".into(),
        }];
        let queues = HashMap::from([(
            "MailQueue".to_owned(),
            LocalQueue {
                logical_id: "MailQueue".into(),
                url: "http://local/MailQueue".into(),
                arn: String::new(),
            },
        )]);

        let right = environment_mismatches(&variables, &queues, |_| {
            Some("http://local/MailQueue".into())
        });
        let wrong = environment_mismatches(&variables, &queues, |_| None);

        assert!(right.is_empty());
        assert_eq!(wrong.len(), 1);
    }
}
