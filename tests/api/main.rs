//! Integration tests against the real local stack: PostgreSQL + PostGIS,
//! moto (S3, SQS, SES) and OpenSearch, started by `infra/stack up` and found
//! through the variables `infra/stack env` prints. A test whose service is
//! missing fails and names the script to run; none is skipped.

mod fixtures;
mod helpers;
mod seed_sql;

mod deployment;
mod local_api;

mod api_root;
mod attachments;
mod auth;
mod classification;
mod database;
mod database_access;
mod dwh_export;
mod faults;
mod frontend_contract;
mod mail;
mod mailer;
mod object_store;
mod outbox;
mod private_admin;
mod private_reports;
mod private_signals;
mod private_signals_patch;
mod public_map;
mod public_signals;
mod public_terms;
mod queue;
mod report_lifecycle;
mod retention;
mod search;
mod search_index;
mod signal_counts;
