//! S3: attachments, CSV exports and classifier models.

use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use bytes::Bytes;

use crate::config::S3Config;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("S3 {operation} failed: {message}")]
    Sdk {
        operation: &'static str,
        message: String,
    },
    #[error("a presigned URL cannot last {0:?}")]
    Expiry(Duration),
}

fn sdk<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Sdk {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

/// An object read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: Bytes,
    pub content_type: Option<String>,
}

/// One bucket, addressed by key.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl ObjectStore {
    pub fn new(
        sdk_config: &aws_config::SdkConfig,
        s3: S3Config,
        bucket: impl Into<String>,
    ) -> Self {
        let config = aws_sdk_s3::config::Builder::from(sdk_config)
            .force_path_style(s3.force_path_style)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist (local stack and tests; in AWS
    /// the template creates buckets).
    pub async fn ensure_bucket(&self) -> Result<(), Error> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        let mut request = self.client.create_bucket().bucket(&self.bucket);
        let region = self.client.config().region().map(|r| r.as_ref().to_owned());
        if let Some(region) = region.filter(|r| r != "us-east-1") {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        request.send().await.map_err(sdk("CreateBucket"))?;
        Ok(())
    }

    pub async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(sdk("PutObject"))?;
        Ok(())
    }

    /// The object under `key`, or `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(sdk("GetObject")(e)),
        };
        let content_type = output.content_type().map(str::to_owned);
        let body = output
            .body
            .collect()
            .await
            .map_err(sdk("GetObject body"))?
            .into_bytes();
        Ok(Some(Object { body, content_type }))
    }

    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(sdk("DeleteObject"))?;
        Ok(())
    }

    /// Keys under `prefix`, in key order (one page of up to 1,000).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let output = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .send()
            .await
            .map_err(sdk("ListObjectsV2"))?;
        Ok(output
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect())
    }

    /// A URL that lets its holder GET the object until it expires.
    pub async fn presigned_get(&self, key: &str, expires_in: Duration) -> Result<String, Error> {
        let presigning =
            PresigningConfig::expires_in(expires_in).map_err(|_| Error::Expiry(expires_in))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(sdk("presign GetObject"))?;
        Ok(request.uri().to_owned())
    }
}
