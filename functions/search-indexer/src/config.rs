//! Configuration of the index, shared by the indexer, the rebuild and the
//! search endpoint.

use signalen_infra::config::{ConfigError, SearchConfig, optional, parsed_or};
use signalen_infra::search::SearchClient;

use crate::SignalIndex;

/// The alias searches read when `SEARCH_INDEX_ALIAS` is not set.
pub const DEFAULT_ALIAS: &str = "signals";

/// `OPENSEARCH_URL`, `SEARCH_INDEX_ALIAS` (default `signals`) and
/// `SEARCH_INDEX_REPLICAS` (default 1: `number_of_replicas` of the indices
/// this code creates; 0 on a single-node cluster keeps it green).
#[derive(Debug, Clone)]
pub struct IndexConfig {
    pub search: SearchConfig,
    pub alias: String,
    pub replicas: u32,
}

impl IndexConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            search: SearchConfig::from_env()?,
            alias: optional("SEARCH_INDEX_ALIAS")?.unwrap_or_else(|| DEFAULT_ALIAS.to_owned()),
            replicas: parsed_or("SEARCH_INDEX_REPLICAS", 1)?,
        })
    }

    /// The index this configuration names (no I/O).
    pub fn index(&self) -> Result<SignalIndex, ConfigError> {
        let client = SearchClient::new(&self.search).map_err(|e| ConfigError::Invalid {
            name: "OPENSEARCH_URL",
            reason: e.to_string(),
        })?;
        Ok(SignalIndex::new(client, self.alias.clone()))
    }
}
