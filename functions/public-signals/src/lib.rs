//! The citizen's report (spec 03 §2, §3): create a signal, read it back by
//! its uuid; and the public map of open signals (§5).

pub mod config;
mod create;
mod error;
pub mod geography;
mod representation;
pub mod request;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Json;
use axum::routing::{get, post};
use serde_json::Value;
use signalen_api::{ApiError, with_common_layers};
use signalen_infra::pg;
use uuid::Uuid;

pub use crate::config::Config;
use crate::create::{CreateError, ThrottleCheck, count_request, create_signal};
pub use crate::error::Error;
use crate::representation::public_signal;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub config: Arc<Config>,
}

const SIGNALS: &str = "/signals/v1/public/signals";
const NO_SIGNAL: &str = "No Signal matches the given query.";
const MALFORMED_ID: &str = "Niet gevonden.";
const DATABASE_DOWN: &str = "De database is tijdelijk niet bereikbaar.";

/// The largest body read. Far above any real report (text ≤ 3,000 and
/// `text_extra` ≤ 10,000 characters, a few answers); larger ones are refused
/// with a 400 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The routes of this function, each with and without its trailing slash,
/// with the layers every API function shares. The list itself only takes
/// POST (GET answers 405, as in the reference).
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(SIGNALS, post(create))
        .route(&format!("{SIGNALS}/"), post(create))
        .route(&format!("{SIGNALS}/geography"), get(geography::geography))
        .route(&format!("{SIGNALS}/geography/"), get(geography::geography))
        .route(&format!("{SIGNALS}/{{uuid}}"), get(detail))
        .route(&format!("{SIGNALS}/{{uuid}}/"), get(detail))
        .with_state(state);
    with_common_layers(routes)
}

async fn connection(state: &AppState) -> Result<pg::Client, ApiError> {
    state.pool.get().await.map_err(|e| {
        tracing::error!(error.message = %e, "no database connection");
        ApiError::Unavailable(DATABASE_DOWN)
    })
}

/// `POST …/signals/`: read the JSON body, count the request against the
/// throttle (every POST counts, valid or not, and a throttled one is
/// refused whatever its body, as in the reference), create; 201 with the
/// public shape.
async fn create(
    State(state): State<AppState>,
    request: Request<Body>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let (parts, body) = request.into_parts();
    let client = connection(&state).await?;
    let check = state.config.throttle.map(|rate| ThrottleCheck {
        ident: throttle::address_hash(
            state.config.throttle_key.as_ref(),
            &throttle::client_address(&parts),
        ),
        rate,
    });
    let body = match json_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(refused) => {
            let throttled = count_request(&client, check.as_ref())
                .await
                .map_err(ApiError::unexpected)?;
            return Err(match throttled {
                Some(retry_after) => Error::Throttled { retry_after },
                None => refused,
            });
        }
    };
    let created = create_signal(&client, &state.config, check.as_ref(), &body)
        .await
        .map_err(|error| match error {
            CreateError::Invalid(errors) => Error::Invalid(errors),
            CreateError::Throttled { retry_after } => Error::Throttled { retry_after },
            CreateError::Database(error) => Error::Api(ApiError::unexpected(error)),
        })?;
    let signal = pg::PublicSignal {
        id: created.ids.signal_id,
        uuid: created.signal.uuid,
        state: signalen_domain::signal::NewSignal::INITIAL_STATE,
        created_at: created.signal.created_at,
        updated_at: created.signal.created_at,
        incident_date_start: created.signal.incident_date_start,
        incident_date_end: created.signal.incident_date_end,
    };
    Ok((
        StatusCode::CREATED,
        Json(public_signal(&signal, &state.config.id_display_prefix)),
    ))
}

/// The body as JSON (at most [`MAX_BODY_BYTES`]).
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Value, Error> {
    signalen_api::body::json_body(headers, body, MAX_BODY_BYTES)
        .await
        .map_err(Error::Body)
}

/// `GET …/signals/{uuid}`: any signal with that uuid, in the public shape.
async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let uuid = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound(MALFORMED_ID))?;
    let client = connection(&state).await?;
    let signal = pg::public_signal_by_uuid(&client, uuid)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    Ok(Json(public_signal(
        &signal,
        &state.config.id_display_prefix,
    )))
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use signalen_api::body::BodyError;
    use tower::ServiceExt;

    use super::*;

    fn unreachable_state() -> AppState {
        AppState {
            pool: pg::unreachable_pool(),
            config: Arc::new(Config::default()),
        }
    }

    async fn send(request: Request<Body>) -> (StatusCode, String) {
        let response = router(unreachable_state())
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let body = to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn event(file: &str) -> Request<Body> {
        let request = lambda_http::request::from_str(file).expect("API Gateway v2 event");
        request.map(|body| Body::from(body.to_vec()))
    }

    #[tokio::test]
    async fn an_api_gateway_post_reaches_the_create_and_an_unreachable_database_is_a_503() {
        let request = event(include_str!(
            "../../../events/public-signals/post-signal.json"
        ));
        assert_eq!(request.uri().path(), "/signals/v1/public/signals/");

        let (status, body) = send(request).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            r#"{"detail":"De database is tijdelijk niet bereikbaar."}"#
        );
    }

    #[tokio::test]
    async fn an_api_gateway_get_with_a_malformed_uuid_is_not_found_without_the_database() {
        let (status, body) = send(event(include_str!(
            "../../../events/public-signals/get-signal-malformed-uuid.json"
        )))
        .await;

        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"detail":"Niet gevonden."}"#);
    }

    #[tokio::test]
    async fn the_api_gateway_source_ip_is_the_client_and_not_the_forwarded_header() {
        let request = event(include_str!(
            "../../../events/public-signals/post-signal.json"
        ));
        let (parts, _) = request.into_parts();
        assert_eq!(throttle::client_address(&parts), "192.0.2.10");
    }

    #[tokio::test]
    async fn the_list_takes_no_get_and_the_detail_no_write() {
        for (method, path) in [
            ("GET", "/signals/v1/public/signals/"),
            ("GET", "/signals/v1/public/signals"),
            (
                "PUT",
                "/signals/v1/public/signals/6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77",
            ),
            (
                "PATCH",
                "/signals/v1/public/signals/6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77",
            ),
            (
                "DELETE",
                "/signals/v1/public/signals/6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77/",
            ),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .expect("request");
            let (status, body) = send(request).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(
                body,
                format!(r#"{{"detail":"Methode \"{method}\" niet toegestaan."}}"#)
            );
        }
    }

    #[tokio::test]
    async fn bodies_that_are_no_json_object_are_refused_before_anything_is_read() {
        let headers = |content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                content_type.parse().expect("header"),
            );
            headers
        };
        let json = headers("application/json; charset=utf-8");
        assert!(matches!(
            json_body(&json, Body::from("{\"text\": ")).await,
            Err(Error::Body(BodyError::Parse(_)))
        ));
        assert!(matches!(
            json_body(&json, Body::from("{\"a\": NaN}")).await,
            Err(Error::Body(BodyError::Parse(_)))
        ));
        assert!(matches!(
            json_body(&json, Body::from(vec![b' '; MAX_BODY_BYTES + 1])).await,
            Err(Error::Body(BodyError::Parse(reason))) if reason.contains("larger")
        ));
        assert!(matches!(
            json_body(&headers("text/plain"), Body::from("{}")).await,
            Err(Error::Body(BodyError::UnsupportedMediaType(t))) if t == "text/plain"
        ));
        assert_eq!(
            json_body(&HeaderMap::new(), Body::empty()).await.ok(),
            Some(serde_json::json!({}))
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            json_body(&json, Body::from(deep)).await,
            Err(Error::Body(BodyError::Parse(_)))
        ));
    }
}
