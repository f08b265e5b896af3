//! The handler, its request parsing and its answer.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header::CONTENT_TYPE};
use serde::Serialize;
use serde_json::{Value, json};
use signalen_api::BaseUrl;
use signalen_classifier::Model;

use crate::AppState;
use crate::categories::CategorySet;
use crate::model::LoadError;

/// A signal's text is at most this long (spec/03 §2.2); longer input is no
/// description of a problem in public space.
pub const MAX_TEXT_CHARS: usize = 3000;

/// Every way a prediction request can fail, each answered in the reference's
/// error format.
#[derive(Debug, thiserror::Error)]
pub enum PredictionError {
    #[error("the text is empty")]
    EmptyText,
    #[error("the body has no `text`")]
    MissingText,
    #[error("`text` is not a string")]
    TextNotAString,
    #[error("the text has {0} characters")]
    TextTooLong(usize),
    #[error("the body is a JSON {0}, not an object")]
    NotAnObject(&'static str),
    #[error("the body is not JSON: {0}")]
    Json(String),
    #[error("content type {0} is not JSON")]
    MediaType(String),
    #[error("the body is too large")]
    TooLarge,
    #[error("the body could not be read")]
    Body,
    #[error("method {0} is not allowed")]
    Method(Method),
    #[error("the classifier model is unavailable")]
    Model(#[source] LoadError),
    #[error("the categories are unavailable")]
    Categories(#[source] signalen_infra::pg::Error),
}

impl IntoResponse for PredictionError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            PredictionError::EmptyText => (
                StatusCode::BAD_REQUEST,
                json!(["Zorg dat deze waarde ten minste 1 tekens bevat (het zijn er nu 0)."]),
            ),
            PredictionError::MissingText => (
                StatusCode::BAD_REQUEST,
                json!({"text": ["Dit veld is vereist."]}),
            ),
            PredictionError::TextNotAString => (
                StatusCode::BAD_REQUEST,
                json!({"text": ["Geen geldige string."]}),
            ),
            PredictionError::TextTooLong(_) => (
                StatusCode::BAD_REQUEST,
                json!({"text": [format!("Zorg ervoor dat dit veld niet meer dan {MAX_TEXT_CHARS} karakters bevat.")]}),
            ),
            PredictionError::NotAnObject(kind) => (
                StatusCode::BAD_REQUEST,
                json!({"non_field_errors": [format!("Ongeldige data. Verwacht een dictionary, kreeg een {kind}.")]}),
            ),
            PredictionError::Json(message) => (
                StatusCode::BAD_REQUEST,
                json!({"detail": format!("JSON parse error - {message}")}),
            ),
            PredictionError::MediaType(media_type) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({"detail": format!("Ongeldige media type \"{media_type}\" in aanvraag.")}),
            ),
            PredictionError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"detail": "Het verzoek is te groot."}),
            ),
            PredictionError::Body => (
                StatusCode::BAD_REQUEST,
                json!({"detail": "Het verzoek kon niet gelezen worden."}),
            ),
            PredictionError::Method(method) => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"detail": format!("Methode \"{method}\" niet toegestaan.")}),
            ),
            PredictionError::Model(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "prediction: no model");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"detail": "Het classificatiemodel is niet beschikbaar."}),
                )
            }
            PredictionError::Categories(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "prediction: categories unreadable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"detail": "De categorieën zijn niet beschikbaar."}),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static("POST, OPTIONS"),
            );
        }
        response
    }
}

/// The text of a request body, validated as the reference validates it.
pub fn text_of(headers: &HeaderMap, body: &[u8]) -> Result<String, PredictionError> {
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        let content_type = content_type.to_str().unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let json = essence.eq_ignore_ascii_case("application/json")
            || essence.to_ascii_lowercase().ends_with("+json");
        if !json {
            return Err(PredictionError::MediaType(content_type.to_owned()));
        }
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| PredictionError::Json(e.to_string()))?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => return Err(PredictionError::NotAnObject("list")),
        Value::String(_) => return Err(PredictionError::NotAnObject("str")),
        Value::Number(_) => return Err(PredictionError::NotAnObject("int")),
        Value::Bool(_) => return Err(PredictionError::NotAnObject("bool")),
        Value::Null => return Err(PredictionError::NotAnObject("NoneType")),
    };
    let text = match object.get("text") {
        None => return Err(PredictionError::MissingText),
        Some(Value::String(text)) => text.trim(),
        Some(_) => return Err(PredictionError::TextNotAString),
    };
    if text.is_empty() {
        return Err(PredictionError::EmptyText);
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(PredictionError::TextTooLong(chars));
    }
    Ok(text.to_owned())
}

/// One level of the answer: `[[url, …], [probability, …]]`, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked(pub Vec<String>, pub Vec<f64>);

/// The reference's answer (spec/14 §14.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionResponse {
    pub hoofdrubriek: Ranked,
    pub subrubriek: Ranked,
}

fn main_url(base: &BaseUrl, main: &str) -> String {
    base.join(&format!("/signals/v1/public/terms/categories/{main}"))
}

fn sub_url(base: &BaseUrl, main: &str, sub: &str) -> String {
    base.join(&format!(
        "/signals/v1/public/terms/categories/{main}/sub_categories/{sub}"
    ))
}

fn probability(p: f32) -> f64 {
    (f64::from(p.clamp(0.0, 1.0)) * 1e6).round() / 1e6
}

/// Appends (url, p) unless the url is listed already (two predictions that
/// both fall back to `overig` keep the first, more probable one).
fn push(ranked: &mut Ranked, url: String, p: f32) {
    if !ranked.0.contains(&url) {
        ranked.0.push(url);
        ranked.1.push(probability(p));
    }
}

/// The `top_n` most probable categories on both levels, as public category
/// URLs under `base`; a category that is not active here becomes `overig`.
pub fn answer(
    model: &Model,
    categories: &CategorySet,
    base: &BaseUrl,
    text: &str,
    top_n: usize,
) -> PredictionResponse {
    let prediction = model.predict(text);
    let mut hoofdrubriek = Ranked(Vec::new(), Vec::new());
    for (main, p) in prediction.main.iter().take(top_n) {
        push(&mut hoofdrubriek, main_url(base, categories.main(main)), *p);
    }
    let mut subrubriek = Ranked(Vec::new(), Vec::new());
    for (label, p) in prediction.sub.iter().take(top_n) {
        let (main, sub) = categories.sub(&label.main, &label.sub);
        push(&mut subrubriek, sub_url(base, main, sub), *p);
    }
    PredictionResponse {
        hoofdrubriek,
        subrubriek,
    }
}

/// `POST /signals/category/prediction` with `{"text": "…"}`.
pub async fn predict(
    State(state): State<AppState>,
    base: BaseUrl,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PredictionResponse>, PredictionError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PredictionError::TooLarge
        } else {
            PredictionError::Body
        }
    })?;
    let text = text_of(&headers, &body)?;
    let model = state.model.get().await.map_err(PredictionError::Model)?;
    let categories = state
        .categories
        .get()
        .await
        .map_err(PredictionError::Categories)?;
    Ok(Json(answer(&model, &categories, &base, &text, state.top_n)))
}

/// Any other method on the path, answered as the reference does.
pub async fn method_not_allowed(method: Method) -> PredictionError {
    PredictionError::Method(method)
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use http::{HeaderValue, Request};
    use signalen_classifier::train::{TrainingConfig, TrainingRow, fit};
    use signalen_infra::config::{DatabaseConfig, S3Config};
    use signalen_infra::models::ModelStore;
    use signalen_infra::pg::CategoryState;
    use signalen_infra::s3::ObjectStore;
    use tower::ServiceExt;

    use super::*;
    use crate::{CategoryCache, ModelCache, router};

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers
    }

    #[test]
    fn the_text_is_taken_trimmed_from_a_json_object() {
        let text = text_of(&json_headers(), br#"{"text": "  Container vol \n"}"#).expect("valid");
        assert_eq!(text, "Container vol");
        assert_eq!(
            text_of(&HeaderMap::new(), br#"{"text": "zonder content-type"}"#).expect("valid"),
            "zonder content-type"
        );
    }

    #[test]
    fn bodies_without_a_usable_text_are_refused_with_the_matching_error() {
        let refused = |body: &[u8]| text_of(&json_headers(), body).expect_err("refused");
        assert!(matches!(
            refused(br#"{"text": ""}"#),
            PredictionError::EmptyText
        ));
        assert!(matches!(
            refused(br#"{"text": " \t"}"#),
            PredictionError::EmptyText
        ));
        assert!(matches!(refused(b"{}"), PredictionError::MissingText));
        assert!(matches!(
            refused(br#"{"text": null}"#),
            PredictionError::TextNotAString
        ));
        assert!(matches!(
            refused(b"[1]"),
            PredictionError::NotAnObject("list")
        ));
        assert!(matches!(refused(b"{"), PredictionError::Json(_)));
        let long = format!(r#"{{"text": "{}"}}"#, "a".repeat(MAX_TEXT_CHARS + 1));
        assert!(matches!(
            refused(long.as_bytes()),
            PredictionError::TextTooLong(3001)
        ));
        let mut form = HeaderMap::new();
        form.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(matches!(
            text_of(&form, b"text=x"),
            Err(PredictionError::MediaType(_))
        ));
    }

    fn model() -> Model {
        let mut rows = Vec::new();
        for i in 0..6 {
            rows.push(TrainingRow::new(
                format!("container vol {i}"),
                "afval",
                "container-is-vol",
            ));
            rows.push(TrainingRow::new(
                format!("grofvuil bank matras {i}"),
                "afval",
                "grofvuil",
            ));
            rows.push(TrainingRow::new(
                format!("lantaarnpaal kapot {i}"),
                "wegen",
                "lantaarnpaal",
            ));
        }
        let config = TrainingConfig {
            width: 100,
            min_df: 1,
            ..TrainingConfig::default()
        };
        fit(&rows, &config, &mut |_| {}).expect("fits")
    }

    fn categories(active_vol: bool) -> CategorySet {
        let state = |parent: Option<&str>, slug: &str, is_active| CategoryState {
            parent_slug: parent.map(str::to_owned),
            slug: slug.to_owned(),
            is_active,
        };
        CategorySet::new([
            state(None, "afval", true),
            state(Some("afval"), "container-is-vol", active_vol),
            state(Some("afval"), "grofvuil", true),
            state(None, "overig", true),
            state(Some("overig"), "overig", true),
        ])
    }

    #[test]
    fn the_answer_has_public_category_urls_best_first() {
        let base = BaseUrl::new("https://api.example.org/");
        let answer = answer(&model(), &categories(true), &base, "de container is vol", 1);
        assert_eq!(
            serde_json::to_value(&answer).expect("JSON")["subrubriek"][0],
            json!([
                "https://api.example.org/signals/v1/public/terms/categories/afval/sub_categories/container-is-vol"
            ])
        );
        assert_eq!(
            answer.hoofdrubriek.0,
            ["https://api.example.org/signals/v1/public/terms/categories/afval"]
        );
        assert!(answer.subrubriek.1[0] > 0.41);
    }

    #[test]
    fn categories_unknown_here_become_overig_once() {
        let base = BaseUrl::new("https://api.example.org");
        let answer = answer(
            &model(),
            &categories(false),
            &base,
            "de container is vol",
            3,
        );
        let subs = &answer.subrubriek.0;
        assert_eq!(
            subs[0],
            "https://api.example.org/signals/v1/public/terms/categories/overig/sub_categories/overig"
        );
        assert_eq!(
            subs.len(),
            2,
            "the `wegen` class also falls back: listed once: {subs:?}"
        );
        assert_eq!(answer.subrubriek.1.len(), 2);
        assert!(answer.hoofdrubriek.0[1].ends_with("/categories/overig"));
    }

    /// No credentials and nothing on port 9 (discard): the model and the
    /// categories cannot be read, so any request that gets that far answers 503.
    fn unreachable_state() -> crate::AppState {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let store = ModelStore::new(ObjectStore::new(
            &sdk,
            S3Config {
                force_path_style: true,
            },
            "models",
        ));
        let database = DatabaseConfig {
            url: "postgres://nobody@127.0.0.1:9/none".to_owned().into(),
            pool_size: 1,
            iam_auth: false,
        };
        crate::AppState {
            model: std::sync::Arc::new(ModelCache::new(store, std::time::Duration::from_secs(300))),
            categories: std::sync::Arc::new(CategoryCache::new(
                signalen_infra::pg::pool(&database).expect("pool"),
                std::time::Duration::from_secs(300),
            )),
            top_n: 1,
        }
    }

    async fn call(request: Request<Body>) -> (StatusCode, String) {
        let response = router(unreachable_state())
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let body = to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn an_api_gateway_v2_event_with_an_empty_text_is_refused_before_any_io() {
        let event = include_str!("../../../events/category-prediction/post-empty-text.json");
        let request = lambda_http::request::from_str(event).expect("API Gateway v2 event");
        let request = request.map(|body| Body::from(body.to_vec()));
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            r#"["Zorg dat deze waarde ten minste 1 tekens bevat (het zijn er nu 0)."]"#
        );
    }

    #[tokio::test]
    async fn an_unreadable_model_answers_503_with_a_detail() {
        let event = include_str!("../../../events/category-prediction/post-text.json");
        let request = lambda_http::request::from_str(event).expect("API Gateway v2 event");
        let request = request.map(|body| Body::from(body.to_vec()));
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            r#"{"detail":"Het classificatiemodel is niet beschikbaar."}"#
        );
    }

    #[tokio::test]
    async fn other_methods_are_not_allowed_in_the_reference_format() {
        let request = Request::get(crate::PATH)
            .body(Body::empty())
            .expect("request");
        let (status, body) = call(request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body, r#"{"detail":"Methode \"GET\" niet toegestaan."}"#);
    }
}
