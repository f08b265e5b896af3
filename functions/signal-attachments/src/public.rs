//! `POST /signals/v1/public/signals/{uuid}/attachments/` (spec 03 §4): a
//! citizen's photo, without authentication (an `Authorization` header is
//! ignored) and without throttling, as in the reference.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use serde_json::Value;
use signalen_api::routing::connection;
use signalen_api::{ApiError, BaseUrl};
use signalen_infra::pg;
use uuid::Uuid;

use crate::error::Error;
use crate::file::Audience;
use crate::form::read_form;
use crate::representation::public_attachment;
use crate::storage::{self, NO_SIGNAL, Upload, Uploader};
use crate::{AppState, checked_file, rules};

/// Checks in the reference's order: the signal (404), the file (400
/// `{"file": [...]}`), the state (400 bare list); then stores.
pub async fn upload(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    base: BaseUrl,
    request: Request<Body>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let uuid = Uuid::parse_str(&raw).map_err(|_| ApiError::NotFound("Niet gevonden."))?;
    let (parts, body) = request.into_parts();
    let form = read_form(&parts.headers, body, state.config.max_upload_size).await?;
    let mut client = connection(&state.pool).await?;
    let (signal_id, signal_state) = pg::signal_state_by_uuid(&client, uuid)
        .await?
        .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    let (file, checked) = checked_file(&form, Audience::Public, state.config.max_upload_size)?;
    let window = rules::public_window(signal_state);
    let feedback = window == rules::PublicWindow::IfFeedbackExpected
        && pg::open_feedback_request_exists(&client, signal_id).await?;
    if let Some(refusal) = rules::public_refusal(window, feedback) {
        return Err(Error::Refused(refusal));
    }
    let upload = Upload {
        signal_id,
        file,
        checked,
        public: true,
        caption: None,
        uploader: Uploader::Citizen,
    };
    let record = storage::add(&state.store, &state.pool, &mut client, &upload).await?;
    let location = storage::location(&state.store, &record, state.config.url_expiry).await?;
    Ok((
        StatusCode::CREATED,
        Json(public_attachment(&base, uuid, &record, &location)),
    ))
}
