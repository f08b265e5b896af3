//! Reading a JSON request body as the reference's parser does (spec 05
//! §4.1): `application/json` (any parameters), bounded in size; an empty
//! body is an empty object.

use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

/// Why a body could not be read as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// 400 `{"detail": "JSON parse error - …"}`: not JSON, or too large.
    Parse(String),
    /// 415 `{"detail": "Ongeldige media type \"…\" in aanvraag."}`.
    UnsupportedMediaType(String),
}

impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        match self {
            BodyError::Parse(reason) => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "detail": format!("JSON parse error - {reason}") })),
            )
                .into_response(),
            BodyError::UnsupportedMediaType(media_type) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Json(json!({
                    "detail": format!("Ongeldige media type \"{media_type}\" in aanvraag.")
                })),
            )
                .into_response(),
        }
    }
}

/// The body as JSON, at most `max_bytes` long.
pub async fn json_body(
    headers: &HeaderMap,
    body: Body,
    max_bytes: usize,
) -> Result<Value, BodyError> {
    let bytes = axum::body::to_bytes(body, max_bytes)
        .await
        .map_err(|_| BodyError::Parse(format!("the body is larger than {max_bytes} bytes")))?;
    if bytes.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type != "application/json" {
        return Err(BodyError::UnsupportedMediaType(content_type));
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Parse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            "application/json; charset=utf-8".parse().expect("header"),
        );
        headers
    }

    #[tokio::test]
    async fn reads_json_and_takes_an_empty_body_as_an_empty_object() {
        assert_eq!(
            json_body(&json_headers(), Body::from("{\"a\":1}"), 100).await,
            Ok(json!({"a": 1}))
        );
        assert_eq!(
            json_body(&HeaderMap::new(), Body::empty(), 100).await,
            Ok(json!({}))
        );
    }

    #[tokio::test]
    async fn refuses_other_media_types_malformed_and_oversized_bodies() {
        let err = json_body(&HeaderMap::new(), Body::from("a=1"), 100)
            .await
            .expect_err("no type");
        assert_eq!(err, BodyError::UnsupportedMediaType(String::new()));
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let err = json_body(&json_headers(), Body::from("{"), 100)
            .await
            .expect_err("malformed");
        assert!(matches!(err, BodyError::Parse(_)));
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        assert!(String::from_utf8_lossy(&body).contains("JSON parse error - "));

        let err = json_body(&json_headers(), Body::from(vec![b' '; 101]), 100)
            .await
            .expect_err("big");
        assert_eq!(
            err,
            BodyError::Parse("the body is larger than 100 bytes".into())
        );
    }
}
