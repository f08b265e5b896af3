//! `GET /signals/v1/private/sources/` and `…/{id}` (spec 04b §9): for any
//! authenticated user, filtered on `is_active` and `can_be_selected`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use http::Uri;
use serde_json::Value;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::pagination::HalPage;
use signalen_api::{ApiError, BaseUrl, PageRequest, filters};
use signalen_infra::pg;

use crate::representation::source;
use crate::{AppState, both, connection, path_id, read_only};

const SOURCES: &str = "/signals/v1/private/sources";
const NO_SOURCE: &str = "No Source matches the given query.";

pub fn routes() -> Router<AppState> {
    let router = both(Router::new(), SOURCES, read_only(list, &[]));
    both(router, &format!("{SOURCES}/{{id}}"), read_only(detail, &[]))
}

async fn list(
    State(state): State<AppState>,
    _user: AuthenticatedUser,
    base: BaseUrl,
    uri: Uri,
) -> Result<Json<HalPage<Vec<Value>>>, ApiError> {
    let request = PageRequest::from_query(uri.query());
    let is_active = filters::boolean(uri.query(), "is_active");
    let can_be_selected = filters::boolean(uri.query(), "can_be_selected");
    let client = connection(&state).await?;
    let sources = pg::sources(&client, is_active, can_be_selected)
        .await
        .map_err(ApiError::unexpected)?;
    let page = request.resolve(sources.len() as u64)?;
    let results = sources
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(source)
        .collect();
    Ok(Json(page.document(&base, &uri, results)))
}

async fn detail(
    State(state): State<AppState>,
    _user: AuthenticatedUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(&id, NO_SOURCE)?;
    let client = connection(&state).await?;
    let found = pg::source_by_id(&client, id)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound(NO_SOURCE))?;
    Ok(Json(source(&found)))
}
