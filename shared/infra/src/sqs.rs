//! SQS: the queues background work flows through.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("SQS {operation} failed: {message}")]
    Sdk {
        operation: &'static str,
        message: String,
    },
    #[error("SQS answered {operation} without {field}")]
    Incomplete {
        operation: &'static str,
        field: &'static str,
    },
}

fn sdk<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Sdk {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

/// A message taken from a queue; delete it with its receipt handle once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub receive_count: u32,
}

/// One queue, addressed by URL.
#[derive(Debug, Clone)]
pub struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    pub fn new(sdk_config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk_config),
            url: url.into(),
        }
    }

    /// Creates the queue if needed (local stack and tests; in AWS the template
    /// creates queues) and returns it. `attributes` are SQS queue attributes
    /// such as `VisibilityTimeout` or `RedrivePolicy`.
    pub async fn create(
        sdk_config: &aws_config::SdkConfig,
        name: &str,
        attributes: HashMap<QueueAttributeName, String>,
    ) -> Result<Self, Error> {
        let client = aws_sdk_sqs::Client::new(sdk_config);
        let output = client
            .create_queue()
            .queue_name(name)
            .set_attributes(Some(attributes))
            .send()
            .await
            .map_err(sdk("CreateQueue"))?;
        let url = output.queue_url().ok_or(Error::Incomplete {
            operation: "CreateQueue",
            field: "QueueUrl",
        })?;
        Ok(Self {
            client,
            url: url.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The queue's ARN (for redrive policies that point at it).
    pub async fn arn(&self) -> Result<String, Error> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(sdk("GetQueueAttributes"))?;
        output
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or(Error::Incomplete {
                operation: "GetQueueAttributes",
                field: "QueueArn",
            })
    }

    /// Sends one message; returns its message id.
    pub async fn send(&self, body: &str) -> Result<String, Error> {
        let output = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(sdk("SendMessage"))?;
        output
            .message_id()
            .map(str::to_owned)
            .ok_or(Error::Incomplete {
                operation: "SendMessage",
                field: "MessageId",
            })
    }

    /// Up to `max` (1–10) messages, waiting up to `wait_seconds` (0–20) for the first.
    pub async fn receive(&self, max: i32, wait_seconds: i32) -> Result<Vec<Received>, Error> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(wait_seconds.clamp(0, 20))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(sdk("ReceiveMessage"))?;
        output
            .messages()
            .iter()
            .map(|m| {
                let missing = |field| Error::Incomplete {
                    operation: "ReceiveMessage",
                    field,
                };
                Ok(Received {
                    message_id: m
                        .message_id()
                        .ok_or_else(|| missing("MessageId"))?
                        .to_owned(),
                    receipt_handle: m
                        .receipt_handle()
                        .ok_or_else(|| missing("ReceiptHandle"))?
                        .to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                    receive_count: m
                        .attributes()
                        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                })
            })
            .collect()
    }

    pub async fn delete(&self, receipt_handle: &str) -> Result<(), Error> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(sdk("DeleteMessage"))?;
        Ok(())
    }

    /// Deletes the queue (test clean-up).
    pub async fn delete_queue(&self) -> Result<(), Error> {
        self.client
            .delete_queue()
            .queue_url(&self.url)
            .send()
            .await
            .map_err(sdk("DeleteQueue"))?;
        Ok(())
    }

    /// A queue on an existing client (several queues can share one, with
    /// the client's timeouts: see [`client_with_limits`]).
    pub fn with_client(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue called `name` in this account and region.
    pub async fn by_name(client: aws_sdk_sqs::Client, name: &str) -> Result<Self, Error> {
        let output = client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(sdk("GetQueueUrl"))?;
        let url = output.queue_url().ok_or(Error::Incomplete {
            operation: "GetQueueUrl",
            field: "QueueUrl",
        })?;
        Ok(Self::with_client(client, url))
    }

    /// The queue an ARN names (`arn:aws:sqs:<region>:<account>:<name>`).
    pub async fn by_arn(client: aws_sdk_sqs::Client, arn: &str) -> Result<Self, Error> {
        let mut parts = arn.rsplitn(3, ':');
        let (Some(name), Some(account)) = (parts.next(), parts.next()) else {
            return Err(Error::Incomplete {
                operation: "GetQueueUrl",
                field: "queue name in the ARN",
            });
        };
        let output = client
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(sdk("GetQueueUrl"))?;
        let url = output.queue_url().ok_or(Error::Incomplete {
            operation: "GetQueueUrl",
            field: "QueueUrl",
        })?;
        Ok(Self::with_client(client, url))
    }

    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }

    /// Sends up to ten messages in one `SendMessageBatch`; says which
    /// entries SQS took and which it refused (with its reason). `Err` when
    /// the call itself failed: then none was sent.
    pub async fn send_batch(&self, entries: &[Outgoing]) -> Result<BatchSent, Error> {
        let mut request = self.client.send_message_batch().queue_url(&self.url);
        for entry in entries.iter().take(10) {
            let mut builder = SendMessageBatchRequestEntry::builder()
                .id(&entry.id)
                .message_body(&entry.body);
            for (name, value) in &entry.attributes {
                builder = builder.message_attributes(*name, string_attribute(value)?);
            }
            request = request.entries(builder.build().map_err(sdk("SendMessageBatch"))?);
        }
        let output = request.send().await.map_err(sdk("SendMessageBatch"))?;
        Ok(BatchSent {
            sent: output
                .successful()
                .iter()
                .map(|s| s.id().to_owned())
                .collect(),
            failed: output
                .failed()
                .iter()
                .map(|f| {
                    (
                        f.id().to_owned(),
                        format!("{}: {}", f.code(), f.message().unwrap_or_default()),
                    )
                })
                .collect(),
        })
    }

    /// The ARN of the dead-letter queue of this queue's redrive policy.
    pub async fn dead_letter_target(&self) -> Result<Option<String>, Error> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(sdk("GetQueueAttributes"))?;
        let Some(policy) = output
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        else {
            return Ok(None);
        };
        let policy: serde_json::Value =
            serde_json::from_str(policy).map_err(|_| Error::Incomplete {
                operation: "GetQueueAttributes",
                field: "a JSON RedrivePolicy",
            })?;
        Ok(policy["deadLetterTargetArn"].as_str().map(str::to_owned))
    }

    /// The URLs of the queues whose redrive policy names this queue.
    pub async fn dead_letter_sources(&self) -> Result<Vec<String>, Error> {
        let output = self
            .client
            .list_dead_letter_source_queues()
            .queue_url(&self.url)
            .send()
            .await
            .map_err(sdk("ListDeadLetterSourceQueues"))?;
        Ok(output.queue_urls().to_vec())
    }

    /// `ApproximateNumberOfMessages` (visible) and
    /// `ApproximateNumberOfMessagesNotVisible` (in flight).
    pub async fn approximate_counts(&self) -> Result<(u64, u64), Error> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(sdk("GetQueueAttributes"))?;
        let count = |name: QueueAttributeName| {
            output
                .attributes()
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok((
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        ))
    }

    /// Moves up to `max` messages from this queue to `target`, ten at a
    /// time: each keeps its body and message attributes and is deleted here
    /// only once `target` took it (a failed delete leaves a copy in both: at
    /// least once, never lost). Stops early when a receive waiting
    /// `wait_seconds` finds nothing. Returns how many were moved.
    pub async fn move_messages_to(
        &self,
        target: &Queue,
        max: usize,
        wait_seconds: i32,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, Error> {
        let mut moved = 0;
        while moved < max {
            let want = (max - moved).min(10) as i32;
            let output = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(want)
                .wait_time_seconds(wait_seconds.clamp(0, 20))
                .message_attribute_names("All")
                .send()
                .await
                .map_err(sdk("ReceiveMessage"))?;
            let messages = output.messages();
            if messages.is_empty() {
                break;
            }
            let mut request = target.client.send_message_batch().queue_url(&target.url);
            let mut handles = HashMap::new();
            for (n, message) in messages.iter().enumerate() {
                let id = format!("m{n}");
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(&id)
                    .message_body(message.body().unwrap_or_default())
                    .set_message_attributes(message.message_attributes().cloned())
                    .build()
                    .map_err(sdk("SendMessageBatch"))?;
                request = request.entries(entry);
                if let Some(handle) = message.receipt_handle() {
                    handles.insert(id, handle.to_owned());
                }
            }
            let sent = request.send().await.map_err(sdk("SendMessageBatch"))?;
            if let Some(refused) = sent.failed().first() {
                tracing::warn!(
                    refused = sent.failed().len(),
                    code = refused.code(),
                    "the target refused messages; they stay where they are"
                );
            }
            let taken: Vec<_> = sent
                .successful()
                .iter()
                .filter_map(|s| handles.get(s.id()).map(|h| (s.id(), h)))
                .collect();
            if taken.is_empty() {
                break;
            }
            let mut delete = self.client.delete_message_batch().queue_url(&self.url);
            for (id, handle) in &taken {
                delete = delete.entries(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(*id)
                        .receipt_handle(*handle)
                        .build()
                        .map_err(sdk("DeleteMessageBatch"))?,
                );
            }
            delete.send().await.map_err(sdk("DeleteMessageBatch"))?;
            moved += taken.len();
            progress(moved);
        }
        Ok(moved)
    }
}

/// A message for [`Queue::send_batch`]. `id` names it in the answer: unique
/// in the batch, at most 80 letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: String,
    pub body: String,
    /// String message attributes (name, value); at most ten.
    pub attributes: Vec<(&'static str, String)>,
}

/// What `SendMessageBatch` did: the ids SQS took, and those it refused with
/// its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSent {
    pub sent: Vec<String>,
    pub failed: Vec<(String, String)>,
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, Error> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(sdk("SendMessageBatch"))
}

/// An SQS client that gives up after `operation_timeout` per call
/// (retries included) and makes at most `max_attempts` attempts, for callers
/// that must not hang on an unreachable SQS (the outbox relay, whose
/// batch holds its rows' locks while it sends).
pub fn client_with_limits(
    sdk_config: &aws_config::SdkConfig,
    operation_timeout: Duration,
    max_attempts: u32,
) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::config::Builder::from(sdk_config)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(operation_timeout.min(Duration::from_secs(2)))
                .operation_timeout(operation_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts.max(1)))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}
