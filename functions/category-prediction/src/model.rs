//! The classifier model of this container: read from S3 on first use (the
//! pointer, then the immutable version it names), and re-checked at most
//! every `refresh` so a warm container picks up a retrained model. A failed
//! refresh keeps serving the model it has.

use std::sync::Arc;
use std::time::{Duration, Instant};

use signalen_classifier::{FormatError, Model, decode};
use signalen_infra::models::{self, ModelPointer, ModelStore};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no classifier model is published (classifier/current is missing)")]
    NoModel,
    #[error("the model could not be read")]
    Store(#[from] models::Error),
    #[error("model version {version} is not a valid model file")]
    Format {
        version: String,
        #[source]
        source: FormatError,
    },
}

struct Loaded {
    version: String,
    model: Arc<Model>,
    checked_at: Instant,
}

pub struct ModelCache {
    store: ModelStore,
    refresh: Duration,
    state: Mutex<Option<Loaded>>,
}

impl ModelCache {
    pub fn new(store: ModelStore, refresh: Duration) -> Self {
        Self {
            store,
            refresh,
            state: Mutex::new(None),
        }
    }

    /// The model to predict with.
    pub async fn get(&self) -> Result<Arc<Model>, LoadError> {
        let mut state = self.state.lock().await;
        match state.as_mut() {
            None => {
                let pointer = self.store.current().await?.ok_or(LoadError::NoModel)?;
                let loaded = self.load(pointer).await?;
                let model = loaded.model.clone();
                *state = Some(loaded);
                Ok(model)
            }
            Some(loaded) if loaded.checked_at.elapsed() < self.refresh => Ok(loaded.model.clone()),
            Some(loaded) => {
                loaded.checked_at = Instant::now();
                match self.newer_than(&loaded.version).await {
                    Ok(Some(newer)) => *loaded = newer,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error.message = %e, error.cause_chain = ?e, version = %loaded.version, "classifier: refresh failed, keeping the loaded model");
                    }
                }
                Ok(loaded.model.clone())
            }
        }
    }

    async fn newer_than(&self, version: &str) -> Result<Option<Loaded>, LoadError> {
        match self.store.current().await? {
            Some(pointer) if pointer.version != version => Ok(Some(self.load(pointer).await?)),
            _ => Ok(None),
        }
    }

    async fn load(&self, pointer: ModelPointer) -> Result<Loaded, LoadError> {
        let started = Instant::now();
        let bytes = self.store.model(&pointer).await?;
        let fetched = started.elapsed();
        let model = decode(&bytes).map_err(|source| LoadError::Format {
            version: pointer.version.clone(),
            source,
        })?;
        tracing::info!(
            version = %pointer.version,
            bytes = bytes.len(),
            fetch_ms = fetched.as_secs_f64() * 1e3,
            load_ms = started.elapsed().as_secs_f64() * 1e3,
            "classifier model loaded"
        );
        Ok(Loaded {
            version: pointer.version,
            model: Arc::new(model),
            checked_at: Instant::now(),
        })
    }
}
