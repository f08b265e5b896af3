//! `GET /signals/v1/private/signals/geography` (spec 04 §6): the visible
//! signals with a location that pass the list's filters, as GeoJSON, in the
//! list's order; paginated by `geopage` with `Link` and `X-Total-Count`
//! headers (05 §2.2).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Timelike, Utc};
use http::{HeaderValue, Method, Uri};
use serde_json::{Value, json};
use signalen_api::auth::AuthenticatedUser;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_domain::user::Permission;
use signalen_infra::pg::signal_read::{self, ListQuery, MapPoint, Visibility};

use crate::list::{checked_request, offset};
use crate::{AppState, connection};

pub async fn geography(
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
    let page_request =
        PageRequest::from_query_with(uri.query(), "geopage", state.config.geo_page_size);
    let visibility = Visibility::of(&user);
    let list = ListQuery {
        visibility: &visibility,
        filter: &request.filter,
        ordering: &request.ordering,
    };
    let size = page_request.page_size;
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let (count, points) = match page_request.number() {
        Some(number) => tokio::try_join!(
            signal_read::count_located_signals(&client, list),
            signal_read::map_page(&client, list, limit, offset(number, size)),
        )
        .map_err(ApiError::unexpected)?,
        None => {
            let count = signal_read::count_located_signals(&client, list)
                .await
                .map_err(ApiError::unexpected)?;
            let page = page_request.resolve(count.max(0) as u64)?;
            let points = signal_read::map_page(&client, list, limit, offset(page.number, size))
                .await
                .map_err(ApiError::unexpected)?;
            (count, points)
        }
    };
    let page = page_request.resolve(count.max(0) as u64)?;

    let mut response = Json(feature_collection(&points)).into_response();
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(count.max(0)));
    if let Ok(value) = HeaderValue::from_str(&page.link_header(&base, &uri, "geopage")) {
        headers.insert(http::header::LINK, value);
    }
    Ok(response)
}

/// `features` is `null` when there are none (04 §6).
fn feature_collection(points: &[MapPoint]) -> Value {
    let features = if points.is_empty() {
        Value::Null
    } else {
        points
            .iter()
            .map(|point| {
                json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": {"id": point.id, "created_at": utc_datetime(point.created_at)},
                })
            })
            .collect()
    };
    json!({"type": "FeatureCollection", "features": features})
}

/// The database's JSON form of a timestamp in UTC:
/// `2024-03-01T09:15:30.123456+00:00`, microseconds only when not zero.
fn utc_datetime(at: DateTime<Utc>) -> String {
    if at.nanosecond() / 1_000 == 0 {
        at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_empty_map_has_null_features_and_points_carry_utc_times() {
        assert_eq!(
            feature_collection(&[]),
            json!({"type": "FeatureCollection", "features": null})
        );
        let point = MapPoint {
            id: 1234,
            lon: 4.90022563,
            lat: 52.36768424,
            created_at: Utc
                .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
                .single()
                .expect("valid")
                + chrono::TimeDelta::microseconds(123_456),
        };
        assert_eq!(
            feature_collection(&[point])["features"][0],
            json!({"type": "Feature",
                   "geometry": {"type": "Point", "coordinates": [4.90022563, 52.36768424]},
                   "properties": {"id": 1234, "created_at": "2024-03-01T09:15:30.123456+00:00"}})
        );
    }
}
