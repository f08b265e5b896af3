//! What every Signalen API function shares: how absolute links are built, the
//! error body, and the layers that the reference applies to every response
//! (CORS, `X-API-Version`, maintenance mode); with the `auth` feature, the
//! authentication and permission checks of the private API and the JSON of
//! the back office's signals.

#[cfg(feature = "auth")]
pub mod auth;
pub mod body;
pub mod datetime;
pub mod error;
pub mod filters;
pub mod layers;
pub mod links;
pub mod pagination;
pub mod routing;
/// Needs the signal rows of `signalen-infra`, which `auth` brings.
#[cfg(feature = "auth")]
pub mod signal_documents;
pub mod signal_fields;
#[cfg(feature = "test-util")]
pub mod test_util;
pub mod validation;

pub use error::ApiError;
pub use layers::with_common_layers;
pub use links::BaseUrl;
pub use pagination::{Page, PageRequest};

/// Serves `router` as a Lambda function behind API Gateway (HTTP API,
/// payload v2) — and under `cargo lambda watch` locally, which emulates the same.
pub async fn run(router: axum::Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
