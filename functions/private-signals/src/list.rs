//! `GET /signals/v1/private/signals/` (spec 04 §2.1): the visible signals
//! that pass every filter, in the asked order, HAL-paginated (05 §2.1).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{Method, Uri};
use signalen_api::auth::AuthenticatedUser;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::Permission;
use signalen_infra::pg::GenericClient;
use signalen_infra::pg::signal_read::{self, ListQuery, Visibility};

use crate::query::{self, ListRequest};
use crate::{AppState, connection};
use signalen_api::signal_documents::{Documents, ListItem};

/// The filters read and checked, or the 400 that refuses them.
pub async fn checked_request(
    client: &impl GenericClient,
    uri: &Uri,
) -> Result<Result<ListRequest, Response>, ApiError> {
    let (mut request, mut errors) = query::read(uri.query());
    query::check_choices(client, &mut request, &mut errors)
        .await
        .map_err(ApiError::unexpected)?;
    if errors.is_empty() {
        Ok(Ok(request))
    } else {
        Ok(Err(errors.into_field_errors().into_response()))
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    method: Method,
    base: BaseUrl,
    uri: Uri,
) -> Result<Response, ApiError> {
    user.require_for(&method, &[Permission::SIA_READ])?;
    let client = connection(&state).await?;
    let request = match checked_request(&client, &uri).await? {
        Ok(request) => request,
        Err(refusal) => return Ok(refusal),
    };
    let page_request = PageRequest::from_query(uri.query());
    let visibility = Visibility::of(&user);
    let list = ListQuery {
        visibility: &visibility,
        filter: &request.filter,
        ordering: &request.ordering,
    };
    let size = page_request.page_size;
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let (count, rows) = match page_request.number() {
        // The page's offset is known: the count on a second connection
        // while this one reads the page (or both in one round trip).
        Some(number) => {
            let page = async {
                let ids = signal_read::page_ids(&client, list, limit, offset(number, size)).await?;
                signal_read::signals_by_ids(&client, &ids).await
            };
            match spare_connection(&state).await {
                Some(counter) => {
                    tokio::try_join!(signal_read::count_signals(&counter, list), page)
                }
                None => tokio::try_join!(signal_read::count_signals(&client, list), page),
            }
            .map_err(ApiError::unexpected)?
        }
        // `last` (or an invalid page): the count first.
        None => {
            let count = signal_read::count_signals(&client, list)
                .await
                .map_err(ApiError::unexpected)?;
            let page = page_request.resolve(count.max(0) as u64)?;
            let ids = signal_read::page_ids(&client, list, limit, offset(page.number, size))
                .await
                .map_err(ApiError::unexpected)?;
            let rows = signal_read::signals_by_ids(&client, &ids)
                .await
                .map_err(ApiError::unexpected)?;
            (count, rows)
        }
    };
    let page = page_request.resolve(count.max(0) as u64)?;
    let documents = Documents {
        base: &base,
        id_display_prefix: &state.config.id_display_prefix,
        show_contact_details: user.has(Permission::SIA_CAN_VIEW_CONTACT_DETAILS),
        feedback_allows_contact: state.config.feedback_allows_contact,
    };
    let results: Vec<ListItem> = rows.iter().map(|row| documents.list_item(row)).collect();
    Ok(Json(page.document(&base, &uri, results)).into_response())
}

/// A second connection of the pool when one is idle or can be opened
/// without waiting for another request's; `None` otherwise (a pool of
/// one, or a failure to connect: the caller then uses its own).
async fn spare_connection(state: &AppState) -> Option<signalen_infra::pg::Client> {
    let status = state.pool.status();
    if status.available == 0 && status.size >= status.max_size {
        return None;
    }
    match state.pool.get().await {
        Ok(client) => Some(client),
        Err(error) => {
            tracing::warn!(error.message = %error, "no second database connection for the count");
            None
        }
    }
}

/// Rows before page `number` of `size` (saturating: a page that far out
/// is beyond every count and refused anyway).
pub fn offset(number: u64, size: u64) -> i64 {
    i64::try_from(number.saturating_sub(1).saturating_mul(size)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_saturate_instead_of_overflowing() {
        assert_eq!(offset(1, 100), 0);
        assert_eq!(offset(3, 50), 100);
        assert_eq!(offset(u64::MAX, u64::MAX), i64::MAX);
    }
}
