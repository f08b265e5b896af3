//! `db-migrate` — Lambda function invoked by the deploy (and runnable from
//! the command line).
//!
//! Trigger: a direct invocation with `{"seed": true}` (seeding is the default;
//! `{"seed": false}` only migrates).
//! Does: applies the migrations of `migrations/` that the database lacks, then
//! loads the reference data (categories with their service levels,
//! departments, sources, permissions) idempotently, in one transaction.
//! Command line (outside Lambda): `db-migrate [--no-seed]`, printing the
//! report as JSON.
//! Environment: `DATABASE_URL`.

mod run;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use signalen_infra::config::DatabaseConfig;
use signalen_infra::{pg, telemetry};

use crate::run::{Request, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let database = DatabaseConfig::from_env().expect("database configuration");
    let pool = pg::pool(&database).expect("database pool");

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let seed = !std::env::args().skip(1).any(|a| a == "--no-seed");
        let report = run(&pool, Request { seed }).await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|event: LambdaEvent<Request>| {
        let pool = pool.clone();
        async move {
            run(&pool, event.payload).await.map_err(|e| Diagnostic {
                error_type: "DbMigrateFailed".into(),
                error_message: format!("{e:#}"),
            })
        }
    }))
    .await
}
