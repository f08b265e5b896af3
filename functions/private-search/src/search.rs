//! `GET /signals/v1/private/search` (spec 13.1).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, Uri};
use search_indexer::schema::MAX_RESULT_WINDOW;
use serde_json::json;
use signalen_api::auth::AuthenticatedUser;
use signalen_api::routing::connection;
use signalen_api::signal_documents::{Documents, ListItem};
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::Permission;
use signalen_infra::pg::signal_read::{self, Visibility};

use crate::AppState;
use crate::query;

const SEARCH_UNAVAILABLE: &str = "De zoekdienst is tijdelijk niet bereikbaar.";

/// A search answer, or the reference's 400 for a bad `ordering`.
pub enum SearchError {
    Api(ApiError),
    Ordering(String),
}

impl From<ApiError> for SearchError {
    fn from(error: ApiError) -> Self {
        SearchError::Api(error)
    }
}

impl IntoResponse for SearchError {
    fn into_response(self) -> Response {
        match self {
            SearchError::Api(error) => error.into_response(),
            SearchError::Ordering(message) => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "ordering": message })),
            )
                .into_response(),
        }
    }
}

/// The parameters the endpoint reads (the last value of each wins, as in
/// Django); `page` and `page_size` are read by [`PageRequest`].
#[derive(Debug, Default, PartialEq)]
struct Parameters {
    q: String,
    ordering: Option<String>,
}

fn parameters(query: Option<&str>) -> Parameters {
    let mut parameters = Parameters::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "q" => parameters.q = value.into_owned(),
            "ordering" => parameters.ordering = Some(value.into_owned()),
            _ => {}
        }
    }
    parameters
}

pub async fn search(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    uri: Uri,
) -> Result<Response, SearchError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let parameters = parameters(uri.query());
    let ordering = match &parameters.ordering {
        Some(raw) => query::parse_ordering(raw).map_err(SearchError::Ordering)?,
        None => Vec::new(),
    };
    let request = PageRequest::from_query(uri.query());

    let client = connection(&state.pool).await?;
    // One decision for both: the index's filter and the rows' check.
    let visibility = Visibility::of(&user);
    let contact_details = user.has(Permission::SIA_CAN_VIEW_CONTACT_DETAILS);
    let query = query::query(&parameters.q, &visibility, contact_details);

    let search = state.index.client();
    let alias = state.index.alias();
    let count = search
        .count(alias, json!({ "query": query }))
        .await
        .map_err(unavailable)?;
    let page = request.resolve(count)?;
    // OpenSearch refuses `from + size` beyond the index's result window;
    // pages past it are empty, whatever the count says.
    let from = page.offset();
    let size = page
        .limit()
        .min(count.saturating_sub(from))
        .min(MAX_RESULT_WINDOW.saturating_sub(from));
    let ids = if size == 0 {
        Vec::new()
    } else {
        let answer = search
            .search(alias, query::page_request(query, &ordering, from, size))
            .await
            .map_err(unavailable)?;
        query::hit_ids(&answer)
    };

    // The index's visibility filter is re-checked on the rows: the index
    // can lag a change of category or routing.
    let rows = signal_read::visible_signals_by_ids(&client, &ids, &visibility)
        .await
        .map_err(ApiError::unexpected)?;
    let documents = Documents {
        base: &base,
        id_display_prefix: &state.config.id_display_prefix,
        show_contact_details: contact_details,
        feedback_allows_contact: state.config.feedback_allows_contact,
    };
    let results: Vec<ListItem> = rows.iter().map(|row| documents.list_item(row)).collect();
    Ok(Json(page.document(&base, &uri, results)).into_response())
}

fn unavailable(error: signalen_infra::search::Error) -> SearchError {
    tracing::error!(error.message = %error, error.cause_chain = ?error, "search failed");
    SearchError::Api(ApiError::Unavailable(SEARCH_UNAVAILABLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_q_and_ordering_win_and_other_parameters_are_ignored() {
        let parsed = parameters(Some("q=lamp&q=container%20vol&ordering=-created_at&page=2"));
        assert_eq!(
            parsed,
            Parameters {
                q: "container vol".into(),
                ordering: Some("-created_at".into()),
            }
        );
        assert_eq!(parameters(None), Parameters::default());
    }
}
