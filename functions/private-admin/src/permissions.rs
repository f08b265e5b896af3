//! `GET /signals/v1/private/permissions/` and `…/{id}` (spec 04b §3), with
//! `sia_read`: the exposed codenames (`sia_*`, `push_to_sigmax`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use http::{Method, Uri};
use serde_json::Value;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::pagination::HalPage;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::{Permission, PermissionRecord};
use signalen_infra::pg;

use crate::representation::Documents;
use crate::{AppState, SIA_WRITE, both, connection, path_id, read_only};

const PERMISSIONS: &str = "/signals/v1/private/permissions";
const NO_PERMISSION: &str = "No Permission matches the given query.";

pub fn routes() -> Router<AppState> {
    let router = both(Router::new(), PERMISSIONS, read_only(list, SIA_WRITE));
    both(
        router,
        &format!("{PERMISSIONS}/{{id}}"),
        read_only(detail, SIA_WRITE),
    )
}

async fn exposed(state: &AppState) -> Result<Vec<PermissionRecord>, ApiError> {
    let client = connection(state).await?;
    pg::exposed_permissions(&client)
        .await
        .map_err(ApiError::unexpected)
}

async fn list(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    uri: Uri,
) -> Result<Json<HalPage<Vec<Value>>>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let request = PageRequest::from_query(uri.query());
    let permissions = exposed(&state).await?;
    let page = request.resolve(permissions.len() as u64)?;
    let documents = Documents::new(&base, None);
    let results = permissions
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(|p| documents.permission(p))
        .collect();
    Ok(Json(page.document(&base, &uri, results)))
}

async fn detail(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let id = path_id(&id, NO_PERMISSION)?;
    let permission = exposed(&state)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(ApiError::NotFound(NO_PERMISSION))?;
    Ok(Json(Documents::new(&base, None).permission(&permission)))
}
