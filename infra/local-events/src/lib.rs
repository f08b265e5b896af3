//! The local driver of the queue-triggered and scheduled functions
//! (docs/async.md, "Locally"): what the Lambda service does in AWS for SQS
//! event sources and EventBridge schedules, against moto and
//! `cargo lambda watch`. Local development only; never deployed.

pub mod driver;
pub mod schedule;
pub mod template;
