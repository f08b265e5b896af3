//! `GET /signals/v1/public/signals/geography` (spec 03 §5): the public map
//! of open signals in publicly accessible categories, as GeoJSON, paged by
//! `geopage` with `X-Total-Count` and `Link` headers (the frontend reads
//! the count with a HEAD first). Read live from the tables; the reference
//! reads a materialised view refreshed every 30 minutes.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Uri};
use serde_json::{Value, json};
use signalen_api::datetime::format_datetime;
use signalen_api::validation::FieldErrors;
use signalen_api::{ApiError, BaseUrl, PageRequest};
use signalen_infra::pg::{self, MapArea, PublicMapFeature, PublicMapQuery};

use crate::{AppState, Error, connection};

/// Features per page (`SIGNALS_API_GEO_PAGINATE_BY`); `page_size` overrides.
pub const GEO_PAGE_SIZE: u64 = 4000;

const AREA_REQUIRED: &str = "Either bbox or lon/lat must be filled in";
const INVALID_NUMBER: &str = "Voer een getal in.";
const INVALID_BBOX: &str =
    "Voer vier getallen in, gescheiden door komma's: min_lon,min_lat,max_lon,max_lat.";

/// The query as the reference's filter set reads it: the last value of a
/// single parameter, every value of a repeated one.
#[derive(Debug, Default, Clone, PartialEq)]
struct RawQuery {
    bbox: Option<String>,
    lon: Option<String>,
    lat: Option<String>,
    main_slugs: Vec<String>,
    sub_slugs: Vec<String>,
    group_by: Option<String>,
}

impl RawQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut raw = RawQuery::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = value.into_owned();
            match key.as_ref() {
                "bbox" => raw.bbox = Some(value),
                "lon" => raw.lon = Some(value),
                "lat" => raw.lat = Some(value),
                "group_by" => raw.group_by = Some(value),
                "maincategory_slug" if !value.is_empty() => raw.main_slugs.push(value),
                "category_slug" if !value.is_empty() => raw.sub_slugs.push(value),
                _ => {}
            }
        }
        raw
    }

    /// The area, or the reference's refusals: neither a bbox nor both
    /// coordinates (a non-field error, checked first), then a value that is
    /// not a number.
    fn area(&self) -> Result<MapArea, FieldErrors> {
        let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        if filled(&self.bbox) {
            let bbox = self.bbox.as_deref().unwrap_or_default();
            return parse_bbox(bbox).map(MapArea::Bbox).ok_or_else(|| {
                let mut errors = FieldErrors::new();
                errors.push("bbox", INVALID_BBOX);
                errors
            });
        }
        if !(filled(&self.lon) && filled(&self.lat)) {
            return Err(FieldErrors::non_field(AREA_REQUIRED));
        }
        let mut errors = FieldErrors::new();
        let lon = errors.take("lon", number(self.lon.as_deref()));
        let lat = errors.take("lat", number(self.lat.as_deref()));
        match (lon, lat) {
            (Some(lon), Some(lat)) if errors.is_empty() => Ok(MapArea::Point { lon, lat }),
            _ => Err(errors),
        }
    }
}

fn number(value: Option<&str>) -> Result<f64, signalen_api::validation::ErrorDetail> {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
        .ok_or_else(|| signalen_api::validation::ErrorDetail::message(INVALID_NUMBER))
}

/// `min_lon,min_lat,max_lon,max_lat`, four finite numbers.
fn parse_bbox(bbox: &str) -> Option<[f64; 4]> {
    let numbers: Vec<f64> = bbox
        .split(',')
        .map(|part| part.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect::<Option<_>>()?;
    numbers.try_into().ok()
}

/// Django's `ModelMultipleChoiceField` refusal of the first unknown slug.
fn invalid_choice(field: &str, slug: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.push(
        field,
        format!("Selecteer een geldige keuze. {slug} is geen beschikbare keuze."),
    );
    errors
}

pub async fn geography(
    State(state): State<AppState>,
    base: BaseUrl,
    uri: Uri,
) -> Result<Response, Error> {
    let raw = RawQuery::parse(uri.query());
    let area = raw.area().map_err(Error::Invalid)?;
    let client = connection(&state).await?;
    for (field, slugs, main) in [
        ("maincategory_slug", &raw.main_slugs, true),
        ("category_slug", &raw.sub_slugs, false),
    ] {
        let unknown = pg::unknown_map_slugs(&client, slugs, main)
            .await
            .map_err(ApiError::unexpected)?;
        if let Some(slug) = unknown.first() {
            return Err(Error::Invalid(invalid_choice(field, slug)));
        }
    }
    let query = PublicMapQuery {
        area,
        main_slugs: raw.main_slugs,
        sub_slugs: raw.sub_slugs,
        group_by_category: raw
            .group_by
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case("category")),
    };
    let count = pg::count_public_map(&client, &query)
        .await
        .map_err(ApiError::unexpected)?;
    let page = PageRequest::from_query_with(uri.query(), "geopage", GEO_PAGE_SIZE)
        .resolve(count.max(0) as u64)?;
    let limit = i64::try_from(page.limit()).unwrap_or(i64::MAX);
    let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
    let features = pg::public_map_page(&client, &query, limit, offset)
        .await
        .map_err(ApiError::unexpected)?;

    let mut response = Json(feature_collection(&features)).into_response();
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(count.max(0)));
    if let Ok(link) = HeaderValue::from_str(&page.link_header(&base, &uri, "geopage")) {
        headers.insert(http::header::LINK, link);
    }
    Ok(response)
}

/// `features` is `null` when there are none, as the reference's JSON
/// aggregate of no rows.
fn feature_collection(features: &[PublicMapFeature]) -> Value {
    let features = if features.is_empty() {
        Value::Null
    } else {
        features
            .iter()
            .map(|f| {
                json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
                    "properties": {
                        "category": {
                            "name": f.sub_name,
                            "slug": f.sub_slug,
                            "parent": {"name": f.main_name, "slug": f.main_slug},
                        },
                        "created_at": format_datetime(f.created_at),
                    },
                })
            })
            .collect()
    };
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_bbox_or_both_coordinates_are_required() {
        let none = RawQuery::parse(Some("lon=4.9&category_slug=grofvuil"));
        assert_eq!(
            none.area().expect_err("refused").into_json(),
            json!({"non_field_errors": [AREA_REQUIRED]})
        );
        let empty_box = RawQuery::parse(Some("bbox=&lat=52&lon="));
        assert!(empty_box.area().is_err());
        assert_eq!(
            RawQuery::parse(Some("bbox=4.8,52.3,5.0,52.4"))
                .area()
                .expect("box"),
            MapArea::Bbox([4.8, 52.3, 5.0, 52.4])
        );
        assert_eq!(
            RawQuery::parse(Some("lon=4.9&lat=52.37"))
                .area()
                .expect("point"),
            MapArea::Point {
                lon: 4.9,
                lat: 52.37
            }
        );
    }

    #[test]
    fn bad_numbers_are_field_errors() {
        assert_eq!(
            RawQuery::parse(Some("bbox=4.8,52.3,5.0"))
                .area()
                .expect_err("three numbers")
                .into_json(),
            json!({"bbox": [INVALID_BBOX]})
        );
        assert!(RawQuery::parse(Some("bbox=a,b,c,d")).area().is_err());
        assert_eq!(
            RawQuery::parse(Some("lon=oost&lat=52"))
                .area()
                .expect_err("not a number")
                .into_json(),
            json!({"lon": [INVALID_NUMBER]})
        );
    }

    #[test]
    fn repeated_slugs_are_all_kept_and_the_last_single_value_wins() {
        let raw = RawQuery::parse(Some(
            "maincategory_slug=afval&maincategory_slug=wegen&category_slug=grofvuil&group_by=x&group_by=Category&maincategory_slug=",
        ));
        assert_eq!(raw.main_slugs, ["afval", "wegen"]);
        assert_eq!(raw.sub_slugs, ["grofvuil"]);
        assert_eq!(raw.group_by.as_deref(), Some("Category"));
    }

    #[test]
    fn features_carry_the_public_category_names_and_local_time() {
        assert_eq!(
            feature_collection(&[]),
            json!({"type": "FeatureCollection", "features": null})
        );
        let feature = PublicMapFeature {
            lon: 4.8951,
            lat: 52.3702,
            sub_slug: "grofvuil".into(),
            sub_name: "Grofvuil".into(),
            main_slug: "afval".into(),
            main_name: "Afval".into(),
            created_at: chrono::Utc
                .with_ymd_and_hms(2024, 3, 1, 9, 15, 30)
                .single()
                .expect("valid"),
        };
        assert_eq!(
            feature_collection(&[feature])["features"][0],
            json!({"type": "Feature",
                   "geometry": {"type": "Point", "coordinates": [4.8951, 52.3702]},
                   "properties": {"category": {"name": "Grofvuil", "slug": "grofvuil",
                                               "parent": {"name": "Afval", "slug": "afval"}},
                                  "created_at": "2024-03-01T10:15:30+01:00"}})
        );
    }
}
