//! SQS: the queues background work flows through.

use std::collections::HashMap;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};

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
}
