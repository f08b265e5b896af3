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
///
/// The HTTP functions call it from a current-thread runtime
/// (`#[tokio::main(flavor = "current_thread")]`): Lambda hands a process one
/// request at a time and gives it at most a share of a vCPU at the memory
/// sizes of template.yaml, so worker threads only add the hand-offs between
/// them (measured on private-signals' list: 2.5–3.4 → 1.8–2.4 ms of CPU per
/// request, docs/benchmarks.md). Concurrency inside a request (the count
/// beside the page) is I/O and needs no second thread.
pub async fn run(router: axum::Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
