//! `category-prediction` — Lambda function behind the HTTP API.
//!
//! Trigger: HTTP API route `POST /signals/category/prediction`.
//! Does: predicts the main and sub category of a text with the classifier
//! that `classifier-train` published, and answers with public category URLs
//! and probabilities in the reference's shape; categories that are not active
//! here become `overig/overig`. The model is read from S3 on the first
//! request of a container and re-checked every `MODEL_REFRESH_SECONDS`.
//! Environment: `MODELS_BUCKET`, `DATABASE_URL`, `DATABASE_POOL_SIZE`
//! (default 2), `S3_FORCE_PATH_STYLE` (local S3), `MODEL_REFRESH_SECONDS`
//! (default 300), `CATEGORY_CACHE_SECONDS` (default 300),
//! `PREDICTION_TOP_N` (default 1, as the reference's proxy), `API_BASE_URL`
//! (optional), `MAINTENANCE_MODE` (optional, read per request).

use std::sync::Arc;
use std::time::Duration;

use category_prediction::{AppState, CategoryCache, ModelCache, router};
use signalen_infra::config::{DatabaseConfig, S3Config, parsed_or, required};
use signalen_infra::models::ModelStore;
use signalen_infra::s3::ObjectStore;
use signalen_infra::{pg, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let bucket = required("MODELS_BUCKET").expect("models bucket");
    let s3 = S3Config::from_env().expect("S3 configuration");
    let database = DatabaseConfig::from_env().expect("database configuration");
    let refresh: u64 = parsed_or("MODEL_REFRESH_SECONDS", 300).expect("MODEL_REFRESH_SECONDS");
    let category_ttl: u64 =
        parsed_or("CATEGORY_CACHE_SECONDS", 300).expect("CATEGORY_CACHE_SECONDS");
    let top_n: usize = parsed_or("PREDICTION_TOP_N", 1).expect("PREDICTION_TOP_N");

    let sdk = signalen_infra::aws::load().await;
    let store = ModelStore::new(ObjectStore::new(&sdk, s3, bucket));
    let pool = pg::pool(&database).expect("database pool");
    let state = AppState {
        model: Arc::new(ModelCache::new(store, Duration::from_secs(refresh))),
        categories: Arc::new(CategoryCache::new(pool, Duration::from_secs(category_ttl))),
        top_n: top_n.max(1),
    };
    signalen_api::run(router(state)).await
}
