//! Error responses in the reference's format: `{"detail": "…"}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// An error an API function answers with. Unexpected failures are logged
/// once, with their cause, and answered with a generic body.
#[derive(Debug)]
pub enum ApiError {
    /// 403: the caller lacks a permission the action needs (spec 05 §4.1).
    Forbidden,
    /// 404 with the reference's text for a missing object.
    NotFound(&'static str),
    /// 503: a backing service is unavailable; the message says which.
    Unavailable(&'static str),
    /// 500: a failure the client cannot act on. The cause is logged, never sent.
    Unexpected(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn unexpected(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unexpected(Box::new(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Je hebt geen toestemming om deze actie uit te voeren.",
            ),
            ApiError::NotFound(detail) => (StatusCode::NOT_FOUND, detail),
            ApiError::Unavailable(detail) => (StatusCode::SERVICE_UNAVAILABLE, detail),
            ApiError::Unexpected(error) => {
                let chain = error_chain(error.as_ref());
                tracing::error!(error.message = %error, error.cause_chain = %chain, "unexpected error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Er is een serverfout opgetreden.",
                )
            }
        };
        (status, Json(json!({ "detail": detail }))).into_response()
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use axum::body::to_bytes;

    use super::*;

    #[derive(Debug)]
    struct Wrapped(std::io::Error);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("query failed")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn the_chain_lists_every_cause() {
        let error = Wrapped(std::io::Error::other("socket closed"));
        assert_eq!(error_chain(&error), "query failed: socket closed");
    }

    #[tokio::test]
    async fn an_unexpected_error_answers_500_without_its_cause() {
        let response = ApiError::unexpected(Wrapped(std::io::Error::other("password=hunter2")))
            .into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("\"detail\""), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[tokio::test]
    async fn not_found_uses_the_given_text() {
        let response = ApiError::NotFound("No Signal matches the given query.").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        assert_eq!(
            &body[..],
            br#"{"detail":"No Signal matches the given query."}"#
        );
    }
}
