//! `search-indexer` — Lambda function fed by the `SearchIndexQueue`.
//!
//! Trigger: SQS, batches of outbox events (`signal.*`, one envelope per
//! message) with `ReportBatchItemFailures`.
//! Does: re-reads each signal named in the batch from Postgres and writes
//! its document to the OpenSearch index (or deletes it when the signal is
//! gone), versioned by `updated_at`, in one `_bulk` request; reports the
//! messages it could not index, which SQS retries and finally moves to the
//! DLQ (docs/search.md).
//! Environment: `DATABASE_URL`, `DATABASE_POOL_SIZE` (default 2),
//! `OPENSEARCH_URL`, `SEARCH_INDEX_ALIAS` (default `signals`),
//! `SEARCH_INDEX_REPLICAS` (default 1).

use lambda_runtime::{LambdaEvent, service_fn};
use search_indexer::{IndexConfig, Indexer};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::consumer::SqsEvent;
use signalen_infra::{pg, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let config = IndexConfig::from_env().expect("search configuration");
    let indexer = Indexer {
        pool: pg::pool(&database).expect("database pool"),
        index: config.index().expect("search client"),
        replicas: config.replicas,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let indexer = indexer.clone();
        async move { indexer.handle(event.payload).await }
    }))
    .await
}
