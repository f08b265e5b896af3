//! The public category taxonomy (spec 03 §6).

mod representation;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Json;
use axum::routing::get;
use serde_json::Value;
use signalen_api::pagination::HalPage;
use signalen_api::{ApiError, BaseUrl, PageRequest, with_common_layers};
use signalen_domain::category::CategoryTree;
use signalen_infra::pg;

use crate::representation::Links;

#[derive(Clone)]
pub struct AppState {
    pub pool: pg::Pool,
    /// Where category icons are served; `None`: `<API base>/signals/media/`.
    pub media_base_url: Option<String>,
}

const CATEGORIES: &str = "/signals/v1/public/terms/categories";
const NO_CATEGORY: &str = "No Category matches the given query.";

/// The routes of this function (each with and without its trailing slash),
/// with the layers every API function shares.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(CATEGORIES, get(main_categories))
        .route(&format!("{CATEGORIES}/"), get(main_categories))
        .route(&format!("{CATEGORIES}/{{slug}}"), get(main_category))
        .route(&format!("{CATEGORIES}/{{slug}}/"), get(main_category))
        .route(
            &format!("{CATEGORIES}/{{slug}}/sub_categories"),
            get(sub_categories),
        )
        .route(
            &format!("{CATEGORIES}/{{slug}}/sub_categories/"),
            get(sub_categories),
        )
        .route(
            &format!("{CATEGORIES}/{{slug}}/sub_categories/{{sub_slug}}"),
            get(sub_category),
        )
        .route(
            &format!("{CATEGORIES}/{{slug}}/sub_categories/{{sub_slug}}/"),
            get(sub_category),
        )
        .with_state(state);
    with_common_layers(routes)
}

async fn load(state: &AppState) -> Result<CategoryTree, ApiError> {
    let client = state.pool.get().await.map_err(|e| {
        tracing::error!(error.message = %e, "no database connection");
        ApiError::Unavailable("De database is tijdelijk niet bereikbaar.")
    })?;
    pg::category_tree(&client)
        .await
        .map_err(ApiError::unexpected)
}

fn links<'a>(state: &'a AppState, base: &'a BaseUrl) -> Links<'a> {
    Links::new(base, state.media_base_url.as_deref())
}

/// `GET …/categories/`: the main categories, in name order, each with all
/// its sub categories (inactive ones included: clients filter on `is_active`).
async fn main_categories(
    State(state): State<AppState>,
    base: BaseUrl,
    uri: Uri,
) -> Result<Json<HalPage<Vec<Value>>>, ApiError> {
    let request = PageRequest::from_query(uri.query());
    let tree = load(&state).await?;
    let links = links(&state, &base);
    let mains = tree.mains();
    let page = request.resolve(mains.len() as u64)?;
    let results = mains
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(|main| links.main_category(&tree, main))
        .collect();
    Ok(Json(page.document(&base, &uri, results)))
}

/// `GET …/categories/{slug}`: one main category.
async fn main_category(
    State(state): State<AppState>,
    base: BaseUrl,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tree = load(&state).await?;
    let main = tree.main(&slug).ok_or(ApiError::NotFound(NO_CATEGORY))?;
    Ok(Json(links(&state, &base).main_category(&tree, &main)))
}

/// `GET …/categories/{slug}/sub_categories/`: the sub categories of a main.
async fn sub_categories(
    State(state): State<AppState>,
    base: BaseUrl,
    uri: Uri,
    Path(slug): Path<String>,
) -> Result<Json<HalPage<Vec<Value>>>, ApiError> {
    let request = PageRequest::from_query(uri.query());
    let tree = load(&state).await?;
    let main = tree.main(&slug).ok_or(ApiError::NotFound(NO_CATEGORY))?;
    let page = request.resolve(main.subs.len() as u64)?;
    let links = links(&state, &base);
    let results = main
        .subs
        .iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .map(|sub| links.sub_category(&tree, main.main, sub))
        .collect();
    Ok(Json(page.document(&base, &uri, results)))
}

/// `GET …/categories/{slug}/sub_categories/{sub_slug}`: one sub category;
/// its `self` link is what clients send back as `category.sub_category`.
async fn sub_category(
    State(state): State<AppState>,
    base: BaseUrl,
    Path((slug, sub_slug)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tree = load(&state).await?;
    let (main, sub) = tree
        .sub(&slug, &sub_slug)
        .ok_or(ApiError::NotFound(NO_CATEGORY))?;
    Ok(Json(links(&state, &base).sub_category(&tree, main, sub)))
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    fn unreachable_state() -> AppState {
        AppState {
            pool: pg::unreachable_pool(),
            media_base_url: None,
        }
    }

    #[tokio::test]
    async fn an_api_gateway_event_reaches_the_list_and_an_unreachable_database_is_a_503() {
        let event = include_str!("../../../events/public-terms/get-categories.json");
        let request = lambda_http::request::from_str(event).expect("API Gateway v2 event");
        let request = request.map(|body| Body::from(body.to_vec()));

        let response = router(unreachable_state())
            .oneshot(request)
            .await
            .expect("response");

        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        assert_eq!(
            &body[..],
            r#"{"detail":"De database is tijdelijk niet bereikbaar."}"#.as_bytes()
        );
    }

    #[tokio::test]
    async fn writes_are_not_allowed() {
        let request = Request::post("/signals/v1/public/terms/categories/")
            .body(Body::empty())
            .expect("request");
        let response = router(unreachable_state())
            .oneshot(request)
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
