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
    let page_request = geo_page_request(uri.query(), state.config.geo_page_size);
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
    let mut links = vec![format!(
        "<{}>; rel=\"self\"",
        base.join(uri.path_and_query().map_or(uri.path(), |pq| pq.as_str()))
    )];
    if page.number * page.size < page.count {
        links.push(format!(
            "<{}>; rel=\"next\"",
            base.join(&with_geopage(&uri, page.number + 1))
        ));
    }
    if page.number > 1 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            base.join(&with_geopage(&uri, page.number - 1))
        ));
    }
    if let Ok(value) = HeaderValue::from_str(&links.join(",")) {
        headers.insert(http::header::LINK, value);
    }
    Ok(response)
}

/// `geopage` and `page_size` as the HAL pagination reads `page` and
/// `page_size`, with the map's own default size.
fn geo_page_request(query: Option<&str>, default_size: u64) -> PageRequest {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter_map(|(key, value)| match key.as_ref() {
            "geopage" => Some(("page".to_owned(), value.into_owned())),
            "page_size" => Some((key.into_owned(), value.into_owned())),
            _ => None,
        })
        .collect();
    let explicit_size = pairs
        .iter()
        .rev()
        .find(|(key, _)| key == "page_size")
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .is_some_and(|size| size > 0);
    let rewritten = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut request = PageRequest::from_query(Some(&rewritten));
    if !explicit_size {
        request.page_size = default_size;
    }
    request
}

/// The request's path and query with `geopage` set to `number`, parameters
/// sorted by name (as the reference re-encodes them).
fn with_geopage(uri: &Uri, number: u64) -> String {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(key, _)| key != "geopage")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push(("geopage".to_owned(), number.to_string()));
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}?{query}", uri.path())
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
    fn the_map_pages_by_geopage_with_its_own_default_size() {
        let request = geo_page_request(Some("geopage=2&page=7&status=m"), 4000);
        assert_eq!(request.page_size, 4000);
        assert_eq!(request.number(), Some(2));
        let sized = geo_page_request(Some("page_size=10&geopage=last"), 4000);
        assert_eq!(sized.page_size, 10);
        assert_eq!(sized.number(), None);
        assert_eq!(geo_page_request(Some("page_size=0"), 4000).page_size, 4000);
        assert_eq!(geo_page_request(None, 4000).number(), Some(1));
    }

    #[test]
    fn links_replace_the_geopage() {
        let uri: Uri = "/signals/v1/private/signals/geography?status=m&geopage=2"
            .parse()
            .expect("uri");
        assert_eq!(
            with_geopage(&uri, 3),
            "/signals/v1/private/signals/geography?geopage=3&status=m"
        );
    }

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
