//! The answers of this function that are not an attachment.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;
use signalen_api::ApiError;
use signalen_api::validation::FieldErrors;
use signalen_infra::{pg, s3};

use crate::form::FormError;

/// Every refusal and failure, mapped to the reference's status and body.
#[derive(Debug)]
pub enum Error {
    /// 400 field errors (`{"file": ["…"]}`).
    Invalid(FieldErrors),
    /// 400 with a bare list: a rule of the signal's state (03 §4).
    Refused(&'static str),
    /// 403 with the reference's text for a delete permission (04 §7.4).
    DeleteForbidden(&'static str),
    /// 400 `{"detail": "JSON parse error - …"}`.
    BadJson(String),
    /// 400, 413, 415: a body that is no upload form.
    Form(FormError),
    /// 401 (from the extractor), 403, 404, 503 and 500 as every function
    /// answers them.
    Api(ApiError),
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Error::Api(error)
    }
}

impl From<FormError> for Error {
    fn from(error: FormError) -> Self {
        Error::Form(error)
    }
}

impl From<pg::Error> for Error {
    fn from(error: pg::Error) -> Self {
        if is_lock_timeout(&error) {
            tracing::warn!("the signal stayed locked by another request");
            return Error::Api(ApiError::Unavailable(
                "De melding wordt op dit moment gewijzigd; probeer het opnieuw.",
            ));
        }
        Error::Api(ApiError::unexpected(error))
    }
}

impl From<s3::Error> for Error {
    fn from(error: s3::Error) -> Self {
        Error::Api(ApiError::unexpected(error))
    }
}

/// SQLSTATE 55P03: `lock_timeout` passed while waiting for the signal.
fn is_lock_timeout(error: &pg::Error) -> bool {
    match error {
        pg::Error::Db(e) => e.code().map(|c| c.code()) == Some("55P03"),
        _ => false,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let detail = |status: StatusCode, detail: String| {
            (status, Json(json!({ "detail": detail }))).into_response()
        };
        match self {
            Error::Invalid(errors) => errors.into_response(),
            Error::Refused(message) => {
                (StatusCode::BAD_REQUEST, Json(json!([message]))).into_response()
            }
            Error::DeleteForbidden(message) => detail(StatusCode::FORBIDDEN, message.to_owned()),
            Error::BadJson(reason) => detail(
                StatusCode::BAD_REQUEST,
                format!("JSON parse error - {reason}"),
            ),
            Error::Form(FormError::TooLarge { limit }) => detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body is larger than the allowed {limit} bytes!"),
            ),
            Error::Form(FormError::UnsupportedMediaType(media_type)) => detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Ongeldige media type \"{media_type}\" in aanvraag."),
            ),
            Error::Form(FormError::Malformed(reason)) => detail(
                StatusCode::BAD_REQUEST,
                format!("Multipart form parse error - {reason}"),
            ),
            Error::Api(error) => error.into_response(),
        }
    }
}
