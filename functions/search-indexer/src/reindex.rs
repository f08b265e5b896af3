//! A full rebuild of the index from Postgres, behind an alias swap
//! (docs/search.md, "Rebuilding").
//!
//! 1. [`begin`]: create a new concrete index (periodic refresh off while it
//!    loads) and point `<alias>-rebuild` at it. From then on the indexer
//!    writes every change to both aliases.
//! 2. [`copy`]: read every signal in keyset pages (by id) and bulk-write
//!    them into the new index through the rebuild alias, versioned like the
//!    indexer's writes — so a page read before a change cannot overwrite the
//!    indexer's newer document, whichever write lands first.
//! 3. [`finish`]: restore the refresh interval and refresh, then in one
//!    atomic `_aliases` request move the alias to the new index and remove
//!    the rebuild alias; then drop the old indices.
//!
//! Searches keep reading the old index until the swap. Nothing is lost:
//! a change committed before step 1 is read by the copy (it reads after
//! step 1); one committed after step 1 reaches the new index through the
//! indexer, because its event is handled after its commit, hence after the
//! rebuild alias exists. A crash leaves the rebuild alias behind; the next
//! run refuses to start until told to abandon it ([`begin`]'s
//! `abandon_previous`).

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use signalen_infra::{pg, search};

use crate::index::{self, Change, SignalIndex};
use crate::schema;

/// Signals per keyset page and `_bulk` request.
pub const DEFAULT_BATCH_SIZE: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Index(#[from] index::Error),
    #[error(transparent)]
    Search(#[from] search::Error),
    #[error("database error")]
    Database(#[from] pg::Error),
    #[error(
        "a rebuild is running or was interrupted (alias {alias} → {indices:?}); \
         rerun with --abandon-previous to delete it"
    )]
    RebuildInProgress { alias: String, indices: Vec<String> },
    #[error("{failed} of {signals} signals could not be written, e.g. signal {example}: {reason}")]
    WriteFailed {
        signals: usize,
        failed: usize,
        example: i32,
        reason: String,
    },
}

/// A rebuild that has begun: the index being filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    pub index: String,
}

/// Where a copy is, for progress output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub copied: u64,
    /// Signals when the copy started (changes while it runs move it a little).
    pub total: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.copied as f64 / secs
        } else {
            0.0
        }
    }
}

/// What a whole rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub index: String,
    pub copied: u64,
    pub dropped: Vec<String>,
    pub elapsed: Duration,
}

/// Creates the new index and its rebuild alias. With `abandon_previous`, a
/// rebuild left behind (its alias and index) is deleted first; without, it
/// is an error.
pub async fn begin(
    index: &SignalIndex,
    replicas: u32,
    abandon_previous: bool,
) -> Result<Rebuild, Error> {
    let (live, building) = index.targets().await?;
    if !building.is_empty() {
        if !abandon_previous {
            return Err(Error::RebuildInProgress {
                alias: index.rebuild_alias(),
                indices: building,
            });
        }
        for stale in building.iter().filter(|i| !live.contains(i)) {
            tracing::warn!(index = %stale, "deleting an abandoned rebuild");
            index.client().delete_index(stale).await?;
        }
    }
    let name = index.new_index_name(Utc::now());
    let mut body = schema::index_body(replicas);
    body["aliases"] = json!({ index.rebuild_alias(): {} });
    // No periodic refresh while the bulk load runs (nobody searches the new
    // index yet); `finish` restores it before the swap.
    body["settings"]["refresh_interval"] = json!("-1");
    index.client().create_index(&name, body).await?;
    tracing::info!(index = %name, "rebuild begun");
    Ok(Rebuild { index: name })
}

/// Copies every signal into the rebuild, `batch_size` per page, calling
/// `progress` after each page. Returns the number copied.
pub async fn copy(
    pool: &pg::Pool,
    index: &SignalIndex,
    batch_size: i64,
    mut progress: impl FnMut(Progress),
) -> Result<u64, Error> {
    let started = Instant::now();
    let client = pool.get().await.map_err(pg::Error::Pool)?;
    let total = pg::signal_count(&client).await?.max(0) as u64;
    let target = vec![index.rebuild_alias()];
    let mut after_id = 0;
    let mut copied = 0u64;
    loop {
        let page = pg::indexed_signals_after(&client, after_id, batch_size.max(1)).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let signals = page.len();
        let changes: Vec<Change> = page.into_iter().map(Change::upsert).collect();
        let outcomes = index.write(&target, &changes, false).await?;
        let failures: Vec<(&i32, &index::Outcome)> =
            outcomes.iter().filter(|(_, o)| !o.is_ok()).collect();
        if let Some((example, outcome)) = failures.first() {
            return Err(Error::WriteFailed {
                signals,
                failed: failures.len(),
                example: **example,
                reason: format!("{outcome:?}"),
            });
        }
        copied += signals as u64;
        progress(Progress {
            copied,
            total,
            elapsed: started.elapsed(),
        });
    }
    Ok(copied)
}

/// Makes the rebuild searchable, swaps the alias onto it atomically and
/// drops the indices the alias pointed at before. Returns those.
pub async fn finish(index: &SignalIndex, rebuild: &Rebuild) -> Result<Vec<String>, Error> {
    index
        .client()
        .put_settings(
            &rebuild.index,
            json!({"index": {"refresh_interval": schema::REFRESH_INTERVAL}}),
        )
        .await?;
    index.client().refresh(&rebuild.index).await?;
    let (live, _) = index.targets().await?;
    let mut actions: Vec<_> = live
        .iter()
        .filter(|old| **old != rebuild.index)
        .map(|old| json!({"remove": {"index": old, "alias": index.alias()}}))
        .collect();
    actions.push(json!({"add": {"index": rebuild.index, "alias": index.alias()}}));
    actions.push(json!({"remove": {"index": rebuild.index, "alias": index.rebuild_alias()}}));
    index.client().update_aliases(actions).await?;
    tracing::info!(index = %rebuild.index, alias = %index.alias(), "alias swapped");
    let mut dropped = Vec::new();
    for old in live.into_iter().filter(|old| *old != rebuild.index) {
        index.client().delete_index(&old).await?;
        dropped.push(old);
    }
    Ok(dropped)
}

/// Removes a rebuild that failed: its alias and its index. Best effort: the
/// error that ended the rebuild is what the caller reports.
pub async fn abandon(index: &SignalIndex, rebuild: &Rebuild) {
    if let Err(e) = index.client().delete_index(&rebuild.index).await {
        tracing::error!(index = %rebuild.index, error.message = %e, "could not delete the failed rebuild");
    }
}

/// [`begin`], [`copy`] and [`finish`]; on a failure after `begin` the new
/// index is deleted again, the live one is untouched.
pub async fn run(
    pool: &pg::Pool,
    index: &SignalIndex,
    replicas: u32,
    batch_size: i64,
    abandon_previous: bool,
    progress: impl FnMut(Progress),
) -> Result<Report, Error> {
    let started = Instant::now();
    let rebuild = begin(index, replicas, abandon_previous).await?;
    let result = async {
        let copied = copy(pool, index, batch_size, progress).await?;
        let dropped = finish(index, &rebuild).await?;
        Ok::<_, Error>((copied, dropped))
    }
    .await;
    match result {
        Ok((copied, dropped)) => Ok(Report {
            index: rebuild.index,
            copied,
            dropped,
            elapsed: started.elapsed(),
        }),
        Err(e) => {
            abandon(index, &rebuild).await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reports_a_rate() {
        let progress = Progress {
            copied: 500,
            total: 1000,
            elapsed: Duration::from_millis(250),
        };
        assert!((progress.per_second() - 2000.0).abs() < 1e-6);
        let at_start = Progress {
            elapsed: Duration::ZERO,
            ..progress
        };
        assert_eq!(at_start.per_second(), 0.0);
    }
}
