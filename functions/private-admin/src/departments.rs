//! `GET /signals/v1/private/departments/` and `…/{id}` (spec 04b §4), with
//! `sia_read`. The list filters on `can_direct`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use http::{Method, Uri};
use serde_json::Value;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::pagination::HalPage;
use signalen_api::{ApiError, BaseUrl, PageRequest, filters};
use signalen_domain::user::Permission;
use signalen_infra::pg;

use crate::representation::Documents;
use crate::{AppState, both, connection, path_id, read_only};

const DEPARTMENTS: &str = "/signals/v1/private/departments";
const NO_DEPARTMENT: &str = "No Department matches the given query.";
/// ModelWrite(department) (04b §0).
const WRITE: &[Permission] = &[Permission::SIA_WRITE, Permission::SIA_DEPARTMENT_WRITE];

pub fn routes() -> Router<AppState> {
    let router = both(Router::new(), DEPARTMENTS, read_only(list, WRITE));
    both(
        router,
        &format!("{DEPARTMENTS}/{{id}}"),
        read_only(detail, WRITE),
    )
}

/// In name order; `category_names` are those of linked active categories.
async fn list(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    uri: Uri,
) -> Result<Json<HalPage<Vec<Value>>>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let request = PageRequest::from_query(uri.query());
    let can_direct = filters::boolean(uri.query(), "can_direct");
    let client = connection(&state).await?;
    let departments = pg::departments_with_category_names(&client, can_direct)
        .await
        .map_err(ApiError::unexpected)?;
    let page = request.resolve(departments.len() as u64)?;
    let documents = Documents::new(&base, state.media_base_url.as_deref());
    let results = departments
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(|(department, names)| documents.department_item(department, names))
        .collect();
    Ok(Json(page.document(&base, &uri, results)))
}

/// One department with its links to active categories.
async fn detail(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let id = path_id(&id, NO_DEPARTMENT)?;
    let client = connection(&state).await?;
    let department = pg::department_by_id(&client, id)
        .await
        .map_err(ApiError::unexpected)?
        .ok_or(ApiError::NotFound(NO_DEPARTMENT))?;
    let taxonomy = pg::back_office_taxonomy(&client)
        .await
        .map_err(ApiError::unexpected)?;
    Ok(Json(
        Documents::new(&base, state.media_base_url.as_deref())
            .department_detail(&department, &taxonomy),
    ))
}
