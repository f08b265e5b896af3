//! Request throttling shared by every Lambda instance (spec 05 §5.3): the
//! reference's sliding-window log (Django REST framework's
//! `SimpleRateThrottle`), kept in `api_throttle` (migration V0010).

use std::time::Duration;

use super::{Error, GenericClient};

/// The outcome of one throttled request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThrottleDecision {
    /// Allowed and recorded.
    Allowed,
    /// Refused (not recorded). `retry_after`: seconds until the oldest
    /// request in the window leaves it, as the reference computes it; `None`
    /// when more requests than allowed are in the window (the rate was
    /// lowered), where the reference gives no estimate either.
    Throttled { retry_after: Option<f64> },
}

/// Counts a request of client `ident` (a 32-byte hash, never an address)
/// against `limit` requests per `window` in `scope`: prunes the requests that
/// left the window, allows and records this one when fewer than `limit`
/// remain. One statement, serialised per client by the row lock of the
/// upsert. It also deletes up to two rows of other clients whose window has
/// passed, so the table stays about as large as the set of recent clients.
#[tracing::instrument(skip_all, fields(scope = scope, limit = limit))]
pub async fn throttle_request(
    client: &impl GenericClient,
    scope: &str,
    ident: &[u8],
    limit: u32,
    window: Duration,
) -> Result<ThrottleDecision, Error> {
    let window_seconds = window.as_secs_f64();
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "WITH stale AS (
                 DELETE FROM api_throttle
                 WHERE ctid IN (
                     SELECT ctid FROM api_throttle
                     WHERE updated_at < statement_timestamp() - make_interval(secs => $3)
                       AND NOT (scope = $1 AND ident = $2)
                     LIMIT 2
                     FOR UPDATE SKIP LOCKED
                 )
             ),
             upsert AS (
                 INSERT INTO api_throttle AS t (scope, ident, hits, allowed, updated_at)
                 VALUES ($1, $2,
                         CASE WHEN $4 > 0 THEN ARRAY[statement_timestamp()] ELSE '{}' END,
                         $4 > 0, statement_timestamp())
                 ON CONFLICT (scope, ident) DO UPDATE SET
                     allowed = cardinality(ARRAY(
                         SELECT h FROM unnest(t.hits) AS h
                         WHERE h > statement_timestamp() - make_interval(secs => $3))) < $4,
                     hits = ARRAY(
                         SELECT h FROM unnest(t.hits) AS h
                         WHERE h > statement_timestamp() - make_interval(secs => $3)
                         ORDER BY h)
                         || CASE WHEN cardinality(ARRAY(
                                SELECT h FROM unnest(t.hits) AS h
                                WHERE h > statement_timestamp() - make_interval(secs => $3))) < $4
                            THEN ARRAY[statement_timestamp()] ELSE '{}' END,
                     updated_at = statement_timestamp()
                 RETURNING allowed, cardinality(hits) AS count,
                           extract(epoch FROM hits[1] + make_interval(secs => $3)
                                              - statement_timestamp())::float8 AS oldest_leaves_in
             )
             SELECT allowed, count, oldest_leaves_in FROM upsert",
                )
                .await?,
            &[&scope, &ident, &window_seconds, &limit],
        )
        .await?;
    if row.try_get::<_, bool>("allowed")? {
        return Ok(ThrottleDecision::Allowed);
    }
    let count: i32 = row.try_get("count")?;
    let oldest_leaves_in: Option<f64> = row.try_get("oldest_leaves_in")?;
    let retry_after = match oldest_leaves_in {
        Some(seconds) if count <= limit => Some(seconds.max(0.0)),
        // No request in the window (limit 0) or more than the limit in it.
        Some(_) => None,
        None => Some(window_seconds),
    };
    Ok(ThrottleDecision::Throttled { retry_after })
}
