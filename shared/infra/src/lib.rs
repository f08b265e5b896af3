//! Signalen's adapters: one module per backend, each behind a cargo feature so
//! that a function compiles only what it uses.
//!
//! | feature     | module        | backend                              |
//! |-------------|---------------|--------------------------------------|
//! | `pg`        | [`pg`]        | PostgreSQL + PostGIS (pool, migrations, seed) |
//! | `s3`        | [`s3`]        | S3 (attachments, exports, models)    |
//! | `s3`        | [`models`]    | classifier models in S3 (versions + pointer) |
//! | `sqs`       | [`sqs`]       | SQS (background work)                |
//! | `ses`       | [`ses`]       | SES v2 (e-mail)                      |
//! | `search`    | [`search`]    | OpenSearch (full-text search)        |
//! | `telemetry` | [`telemetry`] | tracing subscriber (JSON in Lambda)  |
//! | `relay`     | [`outbox_relay`] | outbox → SQS, one queue per consumer (docs/async.md) |
//! | `consumer`  | [`consumer`]  | SQS batches with item failures, effects once per event |
//! | `relay` or `consumer` | [`envelope`] | the message contract between them |

pub mod config;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "consumer")]
pub mod consumer;
#[cfg(any(feature = "relay", feature = "consumer"))]
pub mod envelope;
#[cfg(feature = "s3")]
pub mod models;
#[cfg(feature = "relay")]
pub mod outbox_relay;
#[cfg(feature = "pg")]
pub mod pg;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(feature = "telemetry")]
pub mod telemetry;
