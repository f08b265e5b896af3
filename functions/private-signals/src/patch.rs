//! `PATCH /signals/v1/private/signals/{id}` (spec 04 §3.2): an employee
//! changes a signal — location, status, category, priority, notes, type,
//! directing and routing departments, assignee — in one transaction with
//! the history entries and outbox events of every change; the answer is
//! the fresh detail.
//!
//! Checks in the reference's order: authentication (401), `sia_write`
//! (403), the signal exists (404) and is visible by the object rule (403),
//! the body (400), the per-key permissions (403), then under the signal's
//! row lock the checks that need its state ([`apply`]).

mod apply;
mod request;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{Request, StatusCode};
use signalen_api::ApiError;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::body::json_body;
use signalen_api::routing::{connection, path_id};
use signalen_domain::user::Permission;
use signalen_infra::pg;

pub use apply::{
    ASSIGNEE_CLEARED_BY_CATEGORY, ASSIGNEE_CLEARED_BY_ROUTING, ApplyError,
    DIRECTING_ONLY_ON_PARENT, NO_SUCH_USER, ROUTING_CLEARED_BY_CATEGORY,
};
pub use request::{PatchRequest, RequestError};

use crate::AppState;

/// The largest PATCH body read: a location, a status text (≤ 10,000
/// characters) and a note (≤ 3,000) fit many times over.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// How long a PATCH waits for another change of the same signal to finish
/// before it answers 409 (spec 04 §3.3).
pub const LOCK_TIMEOUT_MS: u32 = 3_000;

const BUSY: &str = "Deze melding wordt op dit moment gewijzigd. Probeer het opnieuw.";
const NOT_FOUND: &str = "No Signal matches the given query.";

/// The handler.
pub async fn patch(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(raw_id): Path<String>,
    request: Request<Body>,
) -> Response {
    match run(&state, &user, &raw_id, request).await {
        Ok(document) => (StatusCode::OK, Json(document)).into_response(),
        Err(response) => response,
    }
}

async fn run(
    state: &AppState,
    user: &AuthenticatedUser,
    raw_id: &str,
    request: Request<Body>,
) -> Result<serde_json::Value, Response> {
    user.require(Permission::SIA_WRITE)
        .map_err(IntoResponse::into_response)?;
    let id = path_id(raw_id, NOT_FOUND).map_err(IntoResponse::into_response)?;
    let mut client = connection(&state.pool)
        .await
        .map_err(IntoResponse::into_response)?;
    crate::visibility::object_access(&client, user, id)
        .await
        .map_err(IntoResponse::into_response)?;

    let (parts, body) = request.into_parts();
    let body = json_body(&parts.headers, body, MAX_BODY_BYTES)
        .await
        .map_err(IntoResponse::into_response)?;
    let settings = &*state.location;
    let patch = match request::read(&body, &settings.bounding_box) {
        Ok(patch) => patch,
        Err(RequestError::Invalid(errors)) => return Err(errors.into_response()),
    };
    if patch.category.is_some() {
        user.require(Permission::SIA_SIGNAL_CHANGE_CATEGORY)
            .map_err(IntoResponse::into_response)?;
    }
    if matches!(patch.notes, Some(Some(_))) {
        user.require(Permission::SIA_SIGNAL_CREATE_NOTE)
            .map_err(IntoResponse::into_response)?;
    }

    if !patch.is_empty() {
        let transaction = client.transaction().await.map_err(database_error)?;
        pg::set_lock_timeout(&transaction, LOCK_TIMEOUT_MS)
            .await
            .map_err(|e| refused(ApplyError::Database(e)))?;
        let applied = apply::apply(&transaction, settings, user, id, &patch)
            .await
            .map_err(refused)?;
        transaction.commit().await.map_err(database_error)?;
        tracing::info!(
            signal_id = id,
            events = applied.event_count,
            "signal changed"
        );
    }
    crate::detail::detail_document(state, &client, user, id)
        .await
        .map_err(IntoResponse::into_response)
}

fn database_error(error: pg::tokio_postgres::Error) -> Response {
    refused(ApplyError::Database(pg::Error::Db(error)))
}

/// The answer to a refused or failed change.
fn refused(error: ApplyError) -> Response {
    match error {
        ApplyError::NotFound => ApiError::NotFound(NOT_FOUND).into_response(),
        ApplyError::Invalid(errors) => errors.into_response(),
        ApplyError::InvalidList(messages) => {
            (StatusCode::BAD_REQUEST, Json(messages)).into_response()
        }
        ApplyError::Forbidden(body) => (StatusCode::FORBIDDEN, Json(body)).into_response(),
        ApplyError::Busy => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({ "detail": BUSY })),
        )
            .into_response(),
        ApplyError::Database(error) => ApiError::unexpected(error).into_response(),
    }
}
