//! Signalen's domain: types and rules, organised by concept, free of I/O.
//!
//! Adapters (Postgres, S3, SQS, SES, OpenSearch) live in `signalen-infra`;
//! HTTP conventions shared by the API functions live in `signalen-api`.

pub mod category;
pub mod deadline;
pub mod department;
pub mod history;
pub mod mail;
pub mod signal;
pub mod source;
pub mod status;
pub mod user;
pub mod version;
