//! `GET /signals/v1/private/signals/{id}` (spec 04 §3.1): one signal with
//! everything nested in it (§1.3); also the answer of its PATCH.

use axum::Json;
use axum::extract::{Path, State};
use http::Method;
use serde_json::Value;
use signalen_api::ApiError;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::routing::path_id;
use signalen_domain::user::{Permission, User};
use signalen_infra::pg::{GenericClient, signal_read};

use crate::visibility::object_access;
use crate::{AppState, NO_SIGNAL, connection, request_base};
use signalen_api::signal_documents::Documents;

pub async fn detail(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let id = path_id(&raw_id, NO_SIGNAL)?;
    let client = connection(&state).await?;
    object_access(&client, &user, id).await?;
    Ok(Json(detail_document(&state, &client, &user, id).await?))
}

/// The detail document (04 §1.3) of signal `id` as `user` sees it (contact
/// details masked without `sia_can_view_contact_details`), with links under
/// the base URL of the request being served. One query. Does not check
/// access: callers do ([`object_access`]); 404 when there is no such signal.
pub async fn detail_document(
    state: &AppState,
    client: &impl GenericClient,
    user: &User,
    id: i32,
) -> Result<Value, ApiError> {
    let rows = signal_read::signals_by_ids(client, &[id])
        .await
        .map_err(ApiError::unexpected)?;
    let signal = rows.first().ok_or(ApiError::NotFound(NO_SIGNAL))?;
    let base = request_base();
    let documents = Documents {
        base: &base,
        id_display_prefix: &state.config.id_display_prefix,
        show_contact_details: user.has(Permission::SIA_CAN_VIEW_CONTACT_DETAILS),
        feedback_allows_contact: state.config.feedback_allows_contact,
    };
    Ok(documents.detail(signal))
}
