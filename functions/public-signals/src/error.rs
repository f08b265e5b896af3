//! The answers of this function that are not a signal.

use axum::response::{IntoResponse, Response};
use signalen_api::ApiError;
use signalen_api::validation::FieldErrors;

use crate::throttle;

/// Every refusal and failure, mapped to the reference's status and body.
#[derive(Debug)]
pub enum Error {
    /// 400 field errors.
    Invalid(FieldErrors),
    /// 400 not JSON or too large, 415 not `application/json`.
    Body(signalen_api::body::BodyError),
    /// 429.
    Throttled { retry_after: Option<f64> },
    /// 404, 503 and 500 as every function answers them.
    Api(ApiError),
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Error::Api(error)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Invalid(errors) => errors.into_response(),
            Error::Body(error) => error.into_response(),
            Error::Throttled { retry_after } => throttle::throttled(retry_after),
            Error::Api(error) => error.into_response(),
        }
    }
}
