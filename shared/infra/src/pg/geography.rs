//! The public map of open signals (spec 03 §5), read live: the reference
//! reads a materialised view refreshed every 30 minutes.

use chrono::{DateTime, Utc};

use super::{Error, GenericClient};

/// Where the map looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapArea {
    /// `min_lon, min_lat, max_lon, max_lat`: points within the box.
    Bbox([f64; 4]),
    /// Points exactly at `lon, lat`.
    Point { lon: f64, lat: f64 },
}

/// What the public map shows and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicMapQuery {
    pub area: MapArea,
    /// Main category slugs (empty: any).
    pub main_slugs: Vec<String>,
    /// Sub-category slugs (empty: any).
    pub sub_slugs: Vec<String>,
    /// One feature per (sub category, point), with the earliest `created_at`.
    pub group_by_category: bool,
}

/// One point of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicMapFeature {
    pub lon: f64,
    pub lat: f64,
    pub sub_slug: String,
    /// `public_name` when not empty, else `name`.
    pub sub_name: String,
    pub main_slug: String,
    pub main_name: String,
    pub created_at: DateTime<Utc>,
}

/// States the public map never shows (closed, or waiting for a reopen).
const HIDDEN_STATES: [&str; 5] = ["o", "done external", "a", "s", "reopen requested"];

const FROM: &str = "
    FROM signals_signal s
    JOIN signals_status st ON st.id = s.status_id
    JOIN signals_location l ON l.id = s.location_id
    JOIN signals_categoryassignment ca ON ca.id = s.category_assignment_id
    JOIN signals_category c ON c.id = ca.category_id
    JOIN signals_category m ON m.id = c.parent_id
    WHERE st.state <> ALL ($1::text[])
      AND c.is_public_accessible
      AND CASE WHEN $2 THEN ST_Within(l.geometrie, ST_MakeEnvelope($3, $4, $5, $6, 4326))
               ELSE ST_Equals(l.geometrie, ST_SetSRID(ST_MakePoint($3, $4), 4326)) END
      AND (cardinality($7::text[]) = 0 OR m.slug = ANY ($7))
      AND (cardinality($8::text[]) = 0 OR c.slug = ANY ($8))";

const SELECT: &str = "
    SELECT ST_X(l.geometrie) AS lon, ST_Y(l.geometrie) AS lat, c.slug AS sub_slug,
           coalesce(nullif(c.public_name, ''), c.name) AS sub_name, m.slug AS main_slug,
           coalesce(nullif(m.public_name, ''), m.name) AS main_name, s.created_at";

const GROUPED: &str = "
    SELECT ST_X(l.geometrie) AS lon, ST_Y(l.geometrie) AS lat, c.slug AS sub_slug,
           coalesce(nullif(c.public_name, ''), c.name) AS sub_name, m.slug AS main_slug,
           coalesce(nullif(m.public_name, ''), m.name) AS main_name, min(s.created_at) AS created_at";

const GROUP_BY: &str = " GROUP BY c.id, m.id, l.geometrie";

/// The area as the statements' `$2`–`$6`: box or point, four numbers.
fn area(query: &PublicMapQuery) -> (bool, [f64; 4]) {
    match query.area {
        MapArea::Bbox(b) => (true, b),
        MapArea::Point { lon, lat } => (false, [lon, lat, 0.0, 0.0]),
    }
}

/// How many features the map has (rows, or groups).
pub async fn count_public_map(
    client: &impl GenericClient,
    query: &PublicMapQuery,
) -> Result<i64, Error> {
    let sql = if query.group_by_category {
        format!("SELECT count(*) FROM (SELECT 1 {FROM}{GROUP_BY}) g")
    } else {
        format!("SELECT count(*) {FROM}")
    };
    let (is_box, c) = area(query);
    let row = client
        .query_one(
            &client.prepare_cached(&sql).await?,
            &[
                &HIDDEN_STATES.as_slice(),
                &is_box,
                &c[0],
                &c[1],
                &c[2],
                &c[3],
                &query.main_slugs,
                &query.sub_slugs,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// One page of the map, ordered by geometry (then by signal or category,
/// so that pages never overlap).
pub async fn public_map_page(
    client: &impl GenericClient,
    query: &PublicMapQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<PublicMapFeature>, Error> {
    let sql = if query.group_by_category {
        format!("{GROUPED}{FROM}{GROUP_BY} ORDER BY l.geometrie, c.id LIMIT $9 OFFSET $10")
    } else {
        format!("{SELECT}{FROM} ORDER BY l.geometrie, s.id LIMIT $9 OFFSET $10")
    };
    let (is_box, c) = area(query);
    client
        .query(
            &client.prepare_cached(&sql).await?,
            &[
                &HIDDEN_STATES.as_slice(),
                &is_box,
                &c[0],
                &c[1],
                &c[2],
                &c[3],
                &query.main_slugs,
                &query.sub_slugs,
                &limit,
                &offset,
            ],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(PublicMapFeature {
                lon: row.try_get("lon")?,
                lat: row.try_get("lat")?,
                sub_slug: row.try_get("sub_slug")?,
                sub_name: row.try_get("sub_name")?,
                main_slug: row.try_get("main_slug")?,
                main_name: row.try_get("main_name")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// Which of `slugs` are not main categories (`main`) or not publicly
/// accessible sub categories (`!main`), in the order given.
pub async fn unknown_map_slugs(
    client: &impl GenericClient,
    slugs: &[String],
    main: bool,
) -> Result<Vec<String>, Error> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT slug FROM signals_category
                     WHERE slug = ANY ($1)
                       AND CASE WHEN $2 THEN parent_id IS NULL
                                ELSE parent_id IS NOT NULL AND is_public_accessible END",
                )
                .await?,
            &[&slugs, &main],
        )
        .await?;
    let known: Vec<String> = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(slugs
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect())
}
