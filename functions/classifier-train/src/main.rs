//! `classifier-train` — Lambda function on a schedule (and a command).
//!
//! Trigger: EventBridge schedule with `{}` (train from the database); a
//! direct invocation may send `{"source": "seed"}` (the corpus shipped in
//! `data/meldingen-train.csv`) and `"if_missing": true` (only when no model
//! is published yet).
//! Does: reads the texts of handled signals with their final category (or
//! the corpus), trains the classifier (held-out evaluation, then a fit on
//! every row), and publishes `classifier/<version>/model.bin` and
//! `metrics.json` to the models bucket, switching `classifier/current` last.
//! Skips training when the rows are the ones the current model was fitted
//! on, or when the database has too few of them.
//! Command line (outside Lambda): `classifier-train [--csv PATH | --seed]
//! [--if-missing] [--no-refit]`, progress on stderr, the report as JSON on stdout.
//! Environment: `MODELS_BUCKET`, `DATABASE_URL` (database source only),
//! `S3_FORCE_PATH_STYLE` (local S3), `TRAINING_MIN_ROWS` (default 500),
//! `TRAINING_MAX_ROWS` (default 200000).

mod run;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use signalen_infra::config::{S3Config, required};
use signalen_infra::models::ModelStore;
use signalen_infra::s3::ObjectStore;
use signalen_infra::telemetry;

use crate::run::{Config, Request, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = Config::from_env().expect("training configuration");
    let bucket = required("MODELS_BUCKET").expect("models bucket");
    let s3 = S3Config::from_env().expect("S3 configuration");
    let sdk = signalen_infra::aws::load().await;
    let store = ModelStore::new(ObjectStore::new(&sdk, s3, bucket));

    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        let request = Request::from_args(std::env::args().skip(1))?;
        let report = run(&store, &config, request, &mut |line| eprintln!("{line}")).await?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    lambda_runtime::run(service_fn(|event: LambdaEvent<Request>| {
        let (store, config) = (store.clone(), config.clone());
        async move {
            // An event cannot name a CSV file or a model cache: those fields
            // are not deserialised (command line only).
            run(&store, &config, event.payload, &mut |line| {
                tracing::info!("{line}")
            })
            .await
            .map_err(|e| Diagnostic {
                error_type: "ClassifierTrainingFailed".into(),
                error_message: format!("{e:#}"),
            })
        }
    }))
    .await
}
