//! Attachments of signals (spec 17 §17.1–§17.2, 04 §7, 03 §4): files in S3,
//! never in Postgres, whose rows, notes, history and outbox events are
//! written in one transaction with the object stored first
//! (docs/attachments.md).
//!
//! Routes: the citizen's upload `POST /signals/v1/public/signals/{uuid}/attachments/`
//! and the back office's `…/private/signals/{id}/attachments/` (list,
//! upload) and `…/attachments/{att_id}` (read, change, delete). Both halves
//! are exposed separately ([`public_routes`], [`private_routes`]) so that
//! another function can serve them; [`router`] serves both.

mod config;
mod error;
pub mod file;
pub mod form;
pub mod key;
mod private;
mod public;
mod representation;
pub mod rules;
mod storage;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use signalen_api::auth::Authenticator;
use signalen_api::routing::both;
use signalen_api::validation::FieldErrors;
use signalen_api::with_common_layers;
use signalen_infra::pg;
use signalen_infra::s3::ObjectStore;

pub use crate::config::{Config, DEFAULT_URL_EXPIRY};
pub use crate::error::Error;
use crate::file::{Audience, CheckedFile};
use crate::form::{FileField, FilePart, UploadForm};

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    pub auth: Authenticator,
    /// The attachments bucket (`ATTACHMENTS_BUCKET`).
    pub store: ObjectStore,
    pub config: Arc<Config>,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

pub const PUBLIC_ATTACHMENTS: &str = "/signals/v1/public/signals/{uuid}/attachments";
pub const PRIVATE_ATTACHMENTS: &str = "/signals/v1/private/signals/{id}/attachments";
pub const PRIVATE_ATTACHMENT: &str = "/signals/v1/private/signals/{id}/attachments/{attachment}";

/// The citizen's upload, with and without trailing slash; only `POST`
/// (anything else is 405, `GET` included, as in the reference).
pub fn public_routes() -> Router<AppState> {
    both(Router::new(), PUBLIC_ATTACHMENTS, post(public::upload))
}

/// The back office's routes, with and without trailing slash.
pub fn private_routes() -> Router<AppState> {
    let router = both(Router::new(), PRIVATE_ATTACHMENTS, private::collection());
    both(router, PRIVATE_ATTACHMENT, private::item())
}

/// Every route of this function, with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(public_routes())
        .merge(private_routes())
        .with_state(state);
    with_common_layers(routes)
}

/// 400 texts of the `file` field that are the framework's (DRF, in Dutch).
const NO_FILE: &str = "Er is geen bestand opgestuurd.";
const NOT_A_FILE: &str =
    "De verstuurde gegevens zijn geen bestand. Controleer de encoding type op het formulier.";

/// The form's file, checked against the file rules for `audience`; every
/// refusal as `{"file": [...]}`.
fn checked_file(
    form: &UploadForm,
    audience: Audience,
    max_size: usize,
) -> Result<(&FilePart, CheckedFile), Error> {
    let refuse = |messages: Vec<String>| {
        let mut errors = FieldErrors::new();
        for message in messages {
            errors.push("file", message);
        }
        Error::Invalid(errors)
    };
    match &form.file {
        FileField::Missing => Err(refuse(vec![NO_FILE.to_owned()])),
        FileField::NotAFile => Err(refuse(vec![NOT_A_FILE.to_owned()])),
        FileField::File(part) => file::check(&part.file_name, &part.content, audience, max_size)
            .map(|checked| (part, checked))
            .map_err(|errors| refuse(errors.iter().map(|e| e.message()).collect())),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use dev_token::SigningKey;
    use signalen_api::test_util::{api_gateway_request, authenticator_for, send};
    use signalen_infra::config::S3Config;

    use super::*;
    use crate::form::{multipart_body, read_form};

    const UUID: &str = "6c7c2d3a-2f1e-4a36-8d1b-1f0b3c2f9a77";

    /// No database (port 9) and a bucket nobody serves: every request
    /// here must be answered before either is reached, or with a 503.
    fn unreachable_state() -> AppState {
        let pool = pg::unreachable_pool();
        let auth = authenticator_for(&SigningKey::generate().expect("key"), pool.clone());
        // No lookup of region or credentials: nothing here reaches S3.
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let store = ObjectStore::new(&sdk, S3Config::default(), "nowhere");
        AppState {
            pool,
            auth,
            store,
            config: Arc::new(Config {
                max_upload_size: 1024,
                ..Config::default()
            }),
        }
    }

    fn app() -> Router {
        router(unreachable_state())
    }

    fn event() -> Request<Body> {
        let event = include_str!("../../../events/signal-attachments/post-public-attachment.json");
        api_gateway_request(event)
    }

    #[tokio::test]
    async fn a_base64_encoded_api_gateway_upload_arrives_as_the_file_s_bytes() {
        let (parts, body) = event().into_parts();
        assert_eq!(
            parts.uri.path(),
            format!("/signals/v1/public/signals/{UUID}/attachments/")
        );

        let form = read_form(&parts.headers, body, 1024).await.expect("form");

        let FileField::File(file) = form.file else {
            panic!("no file");
        };
        assert_eq!(file.file_name, "container.png");
        assert!(file.content.starts_with(b"\x89PNG\r\n\x1a\n"));
        let checked = file::check(&file.file_name, &file.content, Audience::Public, 1024)
            .expect("a sound PNG");
        assert_eq!(checked.mime, file::PNG);
    }

    #[tokio::test]
    async fn the_api_gateway_upload_reaches_the_route_and_an_unreachable_database_is_a_503() {
        let app = app();
        let (status, _, body) = send(app.clone(), event()).await;

        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            r#"{"detail":"De database is tijdelijk niet bereikbaar."}"#
        );
    }

    fn post(path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request")
    }

    #[tokio::test]
    async fn bodies_that_are_no_upload_are_refused_before_the_database() {
        let app = app();
        let path = format!("/signals/v1/public/signals/{UUID}/attachments");
        let (status, _, body) =
            send(app.clone(), post(&path, "text/plain", b"foto".to_vec())).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            body,
            r#"{"detail":"Ongeldige media type \"text/plain\" in aanvraag."}"#
        );

        let boundary = "xYzZY";
        let large = multipart_body(
            boundary,
            &[(
                "file",
                Some(("groot.jpg", "image/jpeg")),
                &vec![0xffu8; 1024 + form::FORM_OVERHEAD],
            )],
        );
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let (status, _, body) = send(app.clone(), post(&path, &content_type, large)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.contains("larger than the allowed"), "{body}");

        let (status, _, body) = send(
            app.clone(),
            post(&path, "multipart/form-data", b"--x".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.starts_with(r#"{"detail":"Multipart form parse error - "#),
            "{body}"
        );
    }

    #[tokio::test]
    async fn the_public_route_takes_only_post_and_a_uuid() {
        let app = app();
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let request = Request::builder()
                .method(method.clone())
                .uri(format!("/signals/v1/public/signals/{UUID}/attachments/"))
                .body(Body::empty())
                .expect("request");
            let (status, _, body) = send(app.clone(), request).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(
                body,
                format!(r#"{{"detail":"Methode \"{method}\" niet toegestaan."}}"#)
            );
        }
        let (status, _, body) = send(
            app.clone(),
            post(
                "/signals/v1/public/signals/not-a-uuid/attachments",
                "multipart/form-data; boundary=x",
                b"--x--\r\n".to_vec(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"detail":"Niet gevonden."}"#);
    }

    #[tokio::test]
    async fn every_private_route_and_method_asks_for_a_token_first() {
        let app = app();
        for (method, path) in [
            (Method::GET, "/signals/v1/private/signals/1/attachments"),
            (Method::GET, "/signals/v1/private/signals/1/attachments/"),
            (Method::POST, "/signals/v1/private/signals/1/attachments/"),
            (Method::DELETE, "/signals/v1/private/signals/1/attachments/"),
            (Method::GET, "/signals/v1/private/signals/1/attachments/2"),
            (Method::PATCH, "/signals/v1/private/signals/1/attachments/2"),
            (Method::PUT, "/signals/v1/private/signals/1/attachments/2/"),
            (
                Method::DELETE,
                "/signals/v1/private/signals/1/attachments/2",
            ),
            (Method::POST, "/signals/v1/private/signals/1/attachments/2"),
        ] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .body(Body::empty())
                .expect("request");
            let (status, _, body) = send(app.clone(), request).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(
                body, r#"{"detail":"Authenticatiegegevens zijn niet opgegeven."}"#,
                "{method} {path}"
            );
        }
    }
}
