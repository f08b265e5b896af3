//! The index behind its aliases, and versioned writes to it.
//!
//! * `<alias>` (default `signals`) points at exactly one concrete index,
//!   `<alias>-<UTC timestamp>`; searches read it, the indexer writes it.
//! * `<alias>-rebuild` exists only while a rebuild runs and points at the
//!   index being built. The indexer writes every change to both aliases, so
//!   nothing that happens during a rebuild is missing from the new index
//!   (docs/search.md, "Rebuilding").
//!
//! Writes go through the aliases with `require_alias=true`: a write to an
//! alias that vanished (a rebuild just swapped) fails and is retried,
//! instead of auto-creating an index with dynamic mappings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use signalen_infra::pg::IndexedSignal;
use signalen_infra::search::{self, SearchClient};

use crate::schema;

/// A change to apply to the index.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Write the signal's current document.
    Upsert(Box<IndexedSignal>),
    /// The signal no longer exists: remove its document. `version` is the
    /// time the absence was observed, so that a snapshot read before the
    /// deletion can no longer be written over it.
    Delete { signal_id: i32, version: i64 },
}

impl Change {
    pub fn upsert(signal: IndexedSignal) -> Self {
        Change::Upsert(Box::new(signal))
    }

    pub fn signal_id(&self) -> i32 {
        match self {
            Change::Upsert(signal) => signal.id,
            Change::Delete { signal_id, .. } => *signal_id,
        }
    }

    /// A deletion observed at `at`.
    pub fn delete(signal_id: i32, at: DateTime<Utc>) -> Self {
        Change::Delete {
            signal_id,
            version: at.timestamp_micros(),
        }
    }
}

/// What became of a change in one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written or deleted.
    Applied,
    /// The index already holds this version or a newer one (a duplicate or
    /// stale event): nothing to do.
    AlreadyCurrent,
    /// Deleting a document that is not there.
    Absent,
    Failed(String),
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        !matches!(self, Outcome::Failed(_))
    }

    fn of(item: &search::BulkItem, is_delete: bool) -> Self {
        match item.status {
            200 | 201 => Outcome::Applied,
            409 if item.error_type.as_deref() == Some("version_conflict_engine_exception") => {
                Outcome::AlreadyCurrent
            }
            404 if is_delete && item.error_type.is_none() => Outcome::Absent,
            status => Outcome::Failed(format!(
                "{status} {}: {}",
                item.error_type.as_deref().unwrap_or("error"),
                item.error_reason.as_deref().unwrap_or("")
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Search(#[from] search::Error),
    #[error("OpenSearch answered the bulk request with {answered} items for {sent} actions")]
    BulkMismatch { sent: usize, answered: usize },
    #[error("the alias {alias} points at {count} indices; exactly one is needed to write")]
    AmbiguousAlias { alias: String, count: usize },
}

/// The signals index of one deployment, named by its alias.
#[derive(Debug, Clone)]
pub struct SignalIndex {
    client: SearchClient,
    alias: String,
}

impl SignalIndex {
    pub fn new(client: SearchClient, alias: impl Into<String>) -> Self {
        Self {
            client,
            alias: alias.into(),
        }
    }

    pub fn client(&self) -> &SearchClient {
        &self.client
    }

    /// The alias searches read.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The alias of the index a running rebuild fills.
    pub fn rebuild_alias(&self) -> String {
        format!("{}-rebuild", self.alias)
    }

    /// A new concrete index name, `<alias>-<yyyymmddhhmmssSSS>`.
    pub fn new_index_name(&self, at: DateTime<Utc>) -> String {
        format!("{}-{}", self.alias, at.format("%Y%m%d%H%M%S%3f"))
    }

    /// The index created when the alias does not exist at all (a fresh
    /// deployment before its first rebuild). Its fixed name makes
    /// concurrent bootstraps converge on one index.
    pub fn bootstrap_index_name(&self) -> String {
        format!("{}-initial", self.alias)
    }

    /// The concrete indices behind the alias and behind the rebuild alias.
    pub async fn targets(&self) -> Result<(Vec<String>, Vec<String>), Error> {
        let rebuild = self.rebuild_alias();
        let targets = self
            .client
            .alias_targets(&[self.alias.as_str(), rebuild.as_str()])
            .await?;
        let (live, building): (Vec<_>, Vec<_>) =
            targets.into_iter().partition(|t| t.alias == self.alias);
        Ok((
            live.into_iter().map(|t| t.index).collect(),
            building.into_iter().map(|t| t.index).collect(),
        ))
    }

    /// The aliases a change must be written to: the alias (created with a
    /// bootstrap index when missing) and the rebuild alias while it exists.
    pub async fn write_aliases(&self, replicas: u32) -> Result<Vec<String>, Error> {
        let (live, building) = self.targets().await?;
        if live.is_empty() {
            self.bootstrap(replicas).await?;
        } else if live.len() > 1 {
            return Err(Error::AmbiguousAlias {
                alias: self.alias.clone(),
                count: live.len(),
            });
        }
        let mut aliases = vec![self.alias.clone()];
        if !building.is_empty() {
            aliases.push(self.rebuild_alias());
        }
        Ok(aliases)
    }

    async fn bootstrap(&self, replicas: u32) -> Result<(), Error> {
        let index = self.bootstrap_index_name();
        tracing::warn!(
            alias = %self.alias,
            index = %index,
            "the search alias does not exist: creating an empty index; run `reindex` to fill it"
        );
        let mut body = schema::index_body(replicas);
        body["aliases"] = json!({ self.alias.clone(): {} });
        match self.client.create_index(&index, body).await {
            Ok(()) => Ok(()),
            Err(search::Error::Status { body, .. })
                if body.contains("resource_already_exists_exception") =>
            {
                self.client
                    .update_aliases(vec![json!({"add": {"index": index, "alias": self.alias}})])
                    .await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Applies `changes` to every alias of `aliases` in one `_bulk` request
    /// and returns, per signal id, the first failure or the outcome.
    pub async fn write(
        &self,
        aliases: &[String],
        changes: &[Change],
        refresh: bool,
    ) -> Result<HashMap<i32, Outcome>, Error> {
        let mut lines = Vec::with_capacity(changes.len() * aliases.len() * 2);
        let mut actions = Vec::with_capacity(changes.len() * aliases.len());
        for change in changes {
            for alias in aliases {
                push_action(&mut lines, alias, change);
                actions.push((change.signal_id(), matches!(change, Change::Delete { .. })));
            }
        }
        let mut outcomes = HashMap::new();
        if actions.is_empty() {
            return Ok(outcomes);
        }
        let items = self.client.bulk(lines, true, refresh).await?;
        if items.len() != actions.len() {
            return Err(Error::BulkMismatch {
                sent: actions.len(),
                answered: items.len(),
            });
        }
        for ((signal_id, is_delete), item) in actions.into_iter().zip(&items) {
            let outcome = Outcome::of(item, is_delete);
            match outcomes.get(&signal_id) {
                Some(first) if !first.is_ok() || outcome.is_ok() => {}
                _ => {
                    outcomes.insert(signal_id, outcome);
                }
            }
        }
        Ok(outcomes)
    }
}

fn push_action(lines: &mut Vec<Value>, alias: &str, change: &Change) {
    match change {
        Change::Upsert(signal) => {
            lines.push(json!({"index": {
                "_index": alias,
                "_id": signal.id.to_string(),
                "version": schema::version(signal),
                "version_type": "external_gte",
            }}));
            lines.push(schema::document(signal));
        }
        Change::Delete { signal_id, version } => {
            lines.push(json!({"delete": {
                "_index": alias,
                "_id": signal_id.to_string(),
                "version": version,
                "version_type": "external_gte",
            }}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: u16, error_type: Option<&str>) -> search::BulkItem {
        search::BulkItem {
            id: "1".into(),
            status,
            error_type: error_type.map(str::to_owned),
            error_reason: None,
        }
    }

    #[test]
    fn a_version_conflict_means_the_index_is_already_current() {
        assert_eq!(
            Outcome::of(&item(409, Some("version_conflict_engine_exception")), false),
            Outcome::AlreadyCurrent
        );
        assert_eq!(Outcome::of(&item(201, None), false), Outcome::Applied);
    }

    #[test]
    fn a_missing_document_is_fine_to_delete_but_a_missing_index_is_not() {
        assert_eq!(Outcome::of(&item(404, None), true), Outcome::Absent);
        assert!(!Outcome::of(&item(404, Some("index_not_found_exception")), true).is_ok());
        assert!(!Outcome::of(&item(429, Some("es_rejected_execution_exception")), false).is_ok());
    }

    #[test]
    fn index_names_carry_the_alias_and_a_sortable_timestamp() {
        let index = SignalIndex::new(
            SearchClient::new(&signalen_infra::config::SearchConfig {
                url: "http://127.0.0.1:9".into(),
            })
            .expect("client"),
            "signals",
        );
        let at = DateTime::parse_from_rfc3339("2024-03-01T09:15:30.123Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(index.new_index_name(at), "signals-20240301091530123");
        assert_eq!(index.rebuild_alias(), "signals-rebuild");
    }

    #[test]
    fn a_deletion_is_versioned_by_when_it_was_seen() {
        let at = DateTime::from_timestamp(1_700_000_000, 5_000).expect("time");
        assert_eq!(
            Change::delete(9, at),
            Change::Delete {
                signal_id: 9,
                version: 1_700_000_000_000_005
            }
        );
    }
}
