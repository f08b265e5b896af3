//! `GET /signals/v1/private/categories/` and `…/{id}` (spec 04b §5), with
//! `sia_read`: every category, main and sub, in name order, with its service
//! level, all its departments and its internal note.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use http::{Method, Uri};
use serde_json::Value;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::pagination::HalPage;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::category::BackOfficeTaxonomy;
use signalen_domain::user::Permission;
use signalen_infra::pg;

use crate::representation::Documents;
use crate::{AppState, both, connection, path_id, read_only};

const CATEGORIES: &str = "/signals/v1/private/categories";
const NO_CATEGORY: &str = "No Category matches the given query.";
/// ModelWrite(category) (04b §0).
const WRITE: &[Permission] = &[Permission::SIA_WRITE, Permission::SIA_CATEGORY_WRITE];

pub fn routes() -> Router<AppState> {
    let router = both(Router::new(), CATEGORIES, read_only(list, WRITE));
    both(
        router,
        &format!("{CATEGORIES}/{{id}}"),
        read_only(detail, WRITE),
    )
}

async fn taxonomy(state: &AppState) -> Result<BackOfficeTaxonomy, ApiError> {
    let client = connection(state).await?;
    pg::back_office_taxonomy(&client)
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
    let taxonomy = taxonomy(&state).await?;
    let page = request.resolve(taxonomy.all().len() as u64)?;
    let documents = Documents::new(&base, state.media_base_url.as_deref());
    let results = taxonomy
        .all()
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(|category| documents.category(&taxonomy, category))
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
    let id = path_id(&id, NO_CATEGORY)?;
    let taxonomy = taxonomy(&state).await?;
    let category = taxonomy.get(id).ok_or(ApiError::NotFound(NO_CATEGORY))?;
    Ok(Json(
        Documents::new(&base, state.media_base_url.as_deref()).category(&taxonomy, category),
    ))
}
