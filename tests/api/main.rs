//! Integration tests against the real local stack: PostgreSQL + PostGIS,
//! moto (S3, SQS, SES) and OpenSearch, started by `infra/stack up` and found
//! through the variables `infra/stack env` prints. A test whose service is
//! missing fails and names the script to run; none is skipped.

mod helpers;

mod deployment;
mod local_api;

mod api_root;
mod auth;
mod classification;
mod database;
mod mail;
mod object_store;
mod private_admin;
mod public_signals;
mod public_terms;
mod queue;
mod search;
