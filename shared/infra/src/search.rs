//! OpenSearch: the full-text index of signals. Postgres stays the source of
//! truth; everything here can be rebuilt from it.

use opensearch::http::StatusCode;
use opensearch::http::transport::Transport;
use opensearch::indices::{IndicesCreateParts, IndicesDeleteParts, IndicesExistsParts};
use opensearch::params::Refresh;
use opensearch::{IndexParts, OpenSearch, SearchParts};
use serde_json::Value;

use crate::config::SearchConfig;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("OPENSEARCH_URL is not a valid URL")]
    Url(#[source] opensearch::Error),
    #[error("OpenSearch is unreachable or failed")]
    Transport(#[from] opensearch::Error),
    #[error("OpenSearch answered {status} to {operation}: {body}")]
    Status {
        operation: &'static str,
        status: StatusCode,
        body: String,
    },
}

/// A client of one OpenSearch cluster.
#[derive(Debug, Clone)]
pub struct SearchClient {
    client: OpenSearch,
}

impl SearchClient {
    pub fn new(config: &SearchConfig) -> Result<Self, Error> {
        let transport = Transport::single_node(&config.url).map_err(Error::Url)?;
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
