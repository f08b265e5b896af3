//! `POST /signals/category/prediction`: the category of a text, in the shape
//! the Signalen frontend parses (spec/14 §14.2, spec/03 §8).

pub mod categories;
pub mod model;
pub mod prediction;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use signalen_api::with_common_layers;

pub use crate::categories::{CategoryCache, CategorySet};
pub use crate::model::{LoadError, ModelCache};
pub use crate::prediction::{PredictionError, PredictionResponse};

/// The path, as in the reference (no trailing slash, not under `/v1`).
pub const PATH: &str = "/signals/category/prediction";

/// Larger bodies are refused before they are parsed; the longest text a
/// signal may have is 3,000 characters.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub model: Arc<ModelCache>,
    pub categories: Arc<CategoryCache>,
    /// Entries per level in the answer; the reference's proxy answers 1.
    pub top_n: usize,
}

/// The routes of this function, with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            PATH,
            post(prediction::predict).fallback(prediction::method_not_allowed),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    with_common_layers(routes)
}
