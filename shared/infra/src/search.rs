//! OpenSearch: the full-text index of signals. Postgres stays the source of
//! truth; everything here can be rebuilt from it.

use std::time::Duration;

use opensearch::cat::CatAliasesParts;
use opensearch::http::request::JsonBody;
use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::http::{StatusCode, Url};
use opensearch::indices::{
    IndicesCreateParts, IndicesDeleteParts, IndicesExistsParts, IndicesPutSettingsParts,
    IndicesRefreshParts,
};
use opensearch::params::Refresh;
use opensearch::{BulkParts, CountParts, IndexParts, OpenSearch, SearchParts};
use serde_json::{Value, json};

use crate::config::SearchConfig;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("OPENSEARCH_URL is not a valid URL: {0}")]
    Url(String),
    #[error("OpenSearch is unreachable or failed")]
    Transport(#[from] opensearch::Error),
    #[error("OpenSearch answered {status} to {operation}: {body}")]
    Status {
        operation: &'static str,
        status: StatusCode,
        body: String,
    },
}

/// How long one request may take, connect to last byte, before it fails:
/// a hanging cluster must not hold an API request (Lambda timeout 10 s) or
/// a batch until the function times out.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A client of one OpenSearch cluster.
#[derive(Debug, Clone)]
pub struct SearchClient {
    client: OpenSearch,
}

/// The outcome of one action of a `_bulk` request, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    pub id: String,
    /// The HTTP status of the action (201 created, 200 updated, 404 not
    /// found, 409 version conflict, …).
    pub status: u16,
    /// `error.type` when the action failed (`version_conflict_engine_exception`, …).
    pub error_type: Option<String>,
    pub error_reason: Option<String>,
}

/// An alias and one index it points at (`_cat/aliases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTarget {
    pub alias: String,
    pub index: String,
}

impl SearchClient {
    /// A client with [`REQUEST_TIMEOUT`]; builds no connection yet.
    pub fn new(config: &SearchConfig) -> Result<Self, Error> {
        Self::with_timeout(config, REQUEST_TIMEOUT)
    }

    pub fn with_timeout(config: &SearchConfig, timeout: Duration) -> Result<Self, Error> {
        let url = Url::parse(&config.url).map_err(|e| Error::Url(e.to_string()))?;
        let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Url(e.to_string()))?;
        Ok(Self {
            client: OpenSearch::new(transport),
        })
    }

    /// `Ok` when the cluster answers its root document.
    pub async fn ping(&self) -> Result<(), Error> {
        let response = self.client.ping().send().await?;
        check("ping", response).await.map(drop)
    }

    pub async fn index_exists(&self, index: &str) -> Result<bool, Error> {
        let response = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[index]))
            .send()
            .await?;
        Ok(response.status_code().is_success())
    }

    /// Creates an index with the given settings and mappings document.
    pub async fn create_index(&self, index: &str, body: Value) -> Result<(), Error> {
        let response = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(index))
            .body(body)
            .send()
            .await?;
        check("create index", response).await.map(drop)
    }

    pub async fn delete_index(&self, index: &str) -> Result<(), Error> {
        let response = self
            .client
            .indices()
            .delete(IndicesDeleteParts::Index(&[index]))
            .send()
            .await?;
        check("delete index", response).await.map(drop)
    }

    /// Writes (creates or replaces) one document; with `refresh` it is
    /// searchable when this returns.
    pub async fn put_document(
        &self,
        index: &str,
        id: &str,
        document: &Value,
        refresh: bool,
    ) -> Result<(), Error> {
        let response = self
            .client
            .index(IndexParts::IndexId(index, id))
            .refresh(if refresh {
                Refresh::True
            } else {
                Refresh::False
            })
            .body(document)
            .send()
            .await?;
        check("index document", response).await.map(drop)
    }

    /// Runs a search request body and returns OpenSearch's answer as is.
    pub async fn search(&self, index: &str, body: Value) -> Result<Value, Error> {
        let response = self
            .client
            .search(SearchParts::Index(&[index]))
            .body(body)
            .send()
            .await?;
        check("search", response).await
    }

    /// Runs a count request body (`{"query": …}`) and returns the number of
    /// matching documents.
    pub async fn count(&self, index: &str, body: Value) -> Result<u64, Error> {
        let response = self
            .client
            .count(CountParts::Index(&[index]))
            .body(body)
            .send()
            .await?;
        let answer = check("count", response).await?;
        Ok(answer["count"].as_u64().unwrap_or(0))
    }

    /// Changes dynamic settings of an index (`{"index": {"refresh_interval": "1s"}}`).
    pub async fn put_settings(&self, index: &str, body: Value) -> Result<(), Error> {
        let response = self
            .client
            .indices()
            .put_settings(IndicesPutSettingsParts::Index(&[index]))
            .body(body)
            .send()
            .await?;
        check("put settings", response).await.map(drop)
    }

    /// Makes everything written to `index` so far searchable.
    pub async fn refresh(&self, index: &str) -> Result<(), Error> {
        let response = self
            .client
            .indices()
            .refresh(IndicesRefreshParts::Index(&[index]))
            .send()
            .await?;
        check("refresh", response).await.map(drop)
    }

    /// Sends `_bulk` action/document lines and returns one item per action.
    /// With `require_alias`, every action must name an alias: a write to a
    /// missing one fails instead of creating an index with dynamic mappings.
    pub async fn bulk(
        &self,
        lines: Vec<Value>,
        require_alias: bool,
        refresh: bool,
    ) -> Result<Vec<BulkItem>, Error> {
        let body: Vec<JsonBody<Value>> = lines.into_iter().map(JsonBody::new).collect();
        let response = self
            .client
            .bulk(BulkParts::None)
            .require_alias(require_alias)
            .refresh(if refresh {
                Refresh::WaitFor
            } else {
                Refresh::False
            })
            .body(body)
            .send()
            .await?;
        let answer = check("bulk", response).await?;
        Ok(bulk_items(&answer))
    }

    /// The indices behind each of `aliases` that exists (none: empty).
    pub async fn alias_targets(&self, aliases: &[&str]) -> Result<Vec<AliasTarget>, Error> {
        let response = self
            .client
            .cat()
            .aliases(CatAliasesParts::Name(aliases))
            .format("json")
            .send()
            .await?;
        let answer = check("cat aliases", response).await?;
        let rows = answer.as_array().cloned().unwrap_or_default();
        let mut targets: Vec<AliasTarget> = rows
            .iter()
            .filter_map(|row| {
                Some(AliasTarget {
                    alias: row["alias"].as_str()?.to_owned(),
                    index: row["index"].as_str()?.to_owned(),
                })
            })
            .collect();
        targets.sort_by(|a, b| (&a.alias, &a.index).cmp(&(&b.alias, &b.index)));
        Ok(targets)
    }

    /// Applies `_aliases` actions (`[{"add": …}, {"remove": …}]`) atomically.
    pub async fn update_aliases(&self, actions: Vec<Value>) -> Result<(), Error> {
        let response = self
            .client
            .indices()
            .update_aliases()
            .body(json!({ "actions": actions }))
            .send()
            .await?;
        check("update aliases", response).await.map(drop)
    }

    /// Reads one document's `_source` and `_version`; `None` when absent.
    pub async fn get_document(&self, index: &str, id: &str) -> Result<Option<Value>, Error> {
        let response = self
            .client
            .get(opensearch::GetParts::IndexId(index, id))
            .send()
            .await?;
        if response.status_code() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        check("get document", response).await.map(Some)
    }
}

fn bulk_items(answer: &Value) -> Vec<BulkItem> {
    let items = answer["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|item| item.as_object()?.values().next().cloned())
        .map(|result| BulkItem {
            id: result["_id"].as_str().unwrap_or_default().to_owned(),
            status: result["status"].as_u64().unwrap_or(0) as u16,
            error_type: result["error"]["type"].as_str().map(str::to_owned),
            error_reason: result["error"]["reason"].as_str().map(str::to_owned),
        })
        .collect()
}

async fn check(
    operation: &'static str,
    response: opensearch::http::response::Response,
) -> Result<Value, Error> {
    let status = response.status_code();
    if status.is_success() {
        let text = response.text().await?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(Error::Status {
            operation,
            status,
            body,
        })
    }
}
