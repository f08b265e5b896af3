//! Classifier models in S3: immutable versioned objects and a pointer.
//!
//! ```text
//! classifier/<version>/model.bin      the model file (never overwritten)
//! classifier/<version>/metrics.json   its held-out metrics and provenance
//! classifier/current                  {"version": …, "model_key": …, …}, written last
//! ```
//!
//! A publication writes the version's objects first and the pointer last.
//! S3 replaces an object atomically, so a reader that reads the pointer and
//! then the object it names sees either the old or the new model, whole —
//! never a half-written one. The byte format of the model is not this
//! module's business (see `signalen-classifier`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::s3::{self, ObjectStore};

pub const PREFIX: &str = "classifier";
pub const CURRENT_KEY: &str = "classifier/current";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    S3(#[from] s3::Error),
    #[error("the model pointer {CURRENT_KEY} is not valid")]
    Pointer(#[source] serde_json::Error),
    #[error("`{0}` is not a model version (letters, digits, `.`, `_`, `-`; at most 100)")]
    Version(String),
    #[error("model version {version} is named by the pointer but {key} does not exist")]
    MissingModel { version: String, key: String },
    #[error("model version {0} exists already; versions are immutable")]
    VersionExists(String),
}

/// The content of `classifier/current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPointer {
    pub version: String,
    pub model_key: String,
    pub metrics_key: String,
    /// sha256 of the training rows the model was fitted on.
    pub fingerprint: String,
    /// RFC 3339.
    pub published_at: String,
}

/// The models of one bucket.
#[derive(Debug, Clone)]
pub struct ModelStore {
    objects: ObjectStore,
}

fn check_version(version: &str) -> Result<(), Error> {
    let valid = !version.is_empty()
        && version.len() <= 100
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !version.starts_with('.');
    if valid {
        Ok(())
    } else {
        Err(Error::Version(version.to_owned()))
    }
}

pub fn model_key(version: &str) -> String {
    format!("{PREFIX}/{version}/model.bin")
}

pub fn metrics_key(version: &str) -> String {
    format!("{PREFIX}/{version}/metrics.json")
}

impl ModelStore {
    pub fn new(objects: ObjectStore) -> Self {
        Self { objects }
    }

    pub fn objects(&self) -> &ObjectStore {
        &self.objects
    }

    /// Writes a new version (model, then metrics) and then switches the
    /// pointer to it. Refuses a version that exists.
    #[tracing::instrument(skip_all, fields(version = %version))]
    pub async fn publish(
        &self,
        version: &str,
        fingerprint: &str,
        published_at: &str,
        model: Bytes,
        metrics: Bytes,
    ) -> Result<ModelPointer, Error> {
        check_version(version)?;
        if !self
            .objects
            .list(&format!("{PREFIX}/{version}/"))
            .await?
            .is_empty()
        {
            return Err(Error::VersionExists(version.to_owned()));
        }
        let pointer = ModelPointer {
            version: version.to_owned(),
            model_key: model_key(version),
            metrics_key: metrics_key(version),
            fingerprint: fingerprint.to_owned(),
            published_at: published_at.to_owned(),
        };
        self.objects
            .put(&pointer.model_key, model, "application/octet-stream")
            .await?;
        self.objects
            .put(&pointer.metrics_key, metrics, "application/json")
            .await?;
        self.switch_to(&pointer).await?;
        Ok(pointer)
    }

    /// Points `classifier/current` at a version (the last step of a
    /// publication; also a rollback).
    pub async fn switch_to(&self, pointer: &ModelPointer) -> Result<(), Error> {
        check_version(&pointer.version)?;
        // A struct of strings always serialises.
        let body = serde_json::to_vec(pointer).unwrap_or_default();
        self.objects
            .put(CURRENT_KEY, Bytes::from(body), "application/json")
            .await?;
        Ok(())
    }

    /// The pointer, or `None` when no model was ever published.
    pub async fn current(&self) -> Result<Option<ModelPointer>, Error> {
        let Some(object) = self.objects.get(CURRENT_KEY).await? else {
            return Ok(None);
        };
        let pointer: ModelPointer = serde_json::from_slice(&object.body).map_err(Error::Pointer)?;
        check_version(&pointer.version)?;
        Ok(Some(pointer))
    }

    /// The model bytes a pointer names; a missing object is an error (the
    /// pointer is only ever written after its objects).
    pub async fn model(&self, pointer: &ModelPointer) -> Result<Bytes, Error> {
        match self.objects.get(&pointer.model_key).await? {
            Some(object) => Ok(object.body),
            None => Err(Error::MissingModel {
                version: pointer.version.clone(),
                key: pointer.model_key.clone(),
            }),
        }
    }

    /// Pointer and model bytes of the current version, `None` when there is none.
    #[tracing::instrument(skip_all)]
    pub async fn load_current(&self) -> Result<Option<(ModelPointer, Bytes)>, Error> {
        let Some(pointer) = self.current().await? else {
            return Ok(None);
        };
        let bytes = self.model(&pointer).await?;
        Ok(Some((pointer, bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_plain_names_that_cannot_leave_their_prefix() {
        for ok in ["20261201T190628Z-3fa2b1c4d5e6", "v1", "a.b_c-d"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../current", "a/b", ".hidden", "é", &"x".repeat(101)] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_under_the_version() {
        assert_eq!(model_key("v1"), "classifier/v1/model.bin");
        assert_eq!(metrics_key("v1"), "classifier/v1/metrics.json");
    }
}
