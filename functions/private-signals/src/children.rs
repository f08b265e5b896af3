//! `GET /signals/v1/private/signals/{id}/children/` (spec 04 §5): a
//! parent's children, abridged, in creation order, HAL-paginated — also
//! the ones the caller may not open (`can_view_signal` says so).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, Uri};
use serde_json::json;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::routing::path_id;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::Permission;
use signalen_infra::pg::signal_read::{self, Visibility};

use crate::list::offset;
use crate::visibility::object_access;
use crate::{AppState, NO_SIGNAL, connection};
use signalen_api::signal_documents::Documents;

/// 404 with a text that names the signal.
fn not_found(detail: String) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "detail": detail }))).into_response()
}

pub async fn children(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    uri: Uri,
    Path(raw_id): Path<String>,
) -> Result<Response, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let id = path_id(&raw_id, NO_SIGNAL)?;
    let client = connection(&state).await?;
    object_access(&client, &user, id).await?;
    let family = signal_read::signal_family(&client, id)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound(NO_SIGNAL))?;
    if family.is_child {
        return Ok(not_found(format!(
            "Signal {id} has no children, it itself is a child signal."
        )));
    }
    if family.children == 0 {
        return Ok(not_found(format!("Signal {id} has no children.")));
    }
    let page = PageRequest::from_query(uri.query()).resolve(family.children as u64)?;
    let rows = signal_read::children_page(
        &client,
        id,
        &Visibility::of(&user),
        i64::try_from(page.limit()).unwrap_or(i64::MAX),
        offset(page.number, page.size),
    )
    .await
    .map_err(ApiError::unexpected)?;
    let documents = Documents {
        base: &base,
        id_display_prefix: &state.config.id_display_prefix,
        show_contact_details: false,
        feedback_allows_contact: state.config.feedback_allows_contact,
    };
    let results: Vec<_> = rows.iter().map(|child| documents.child(child)).collect();
    Ok(Json(page.document(&base, &uri, results)).into_response())
}
