//! S3: attachments, CSV exports and classifier models.

use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
    CreateBucketConfiguration, Delete, ObjectIdentifier,
};
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
    #[error("S3 {operation} answered without {field}")]
    Incomplete {
        operation: &'static str,
        field: &'static str,
    },
    #[error("S3 could not delete {key}: {message}")]
    NotDeleted { key: String, message: String },
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

    /// Puts an object only if no object has `key` yet (a conditional write,
    /// `If-None-Match: *`): `Ok(false)` when one exists, which is left
    /// untouched. Attachments are never overwritten (spec 17 §17.2).
    pub async fn put_new(&self, key: &str, body: Bytes, content_type: &str) -> Result<bool, Error> {
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            // 412: the key exists; 409: a concurrent conditional write to it.
            Err(e)
                if matches!(
                    e.raw_response().map(|r| r.status().as_u16()),
                    Some(412 | 409)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk("PutObject")(e)),
        }
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

    /// As [`presigned_get`](Self::presigned_get), and S3 answers the GET
    /// with `Content-Disposition: <content_disposition>` (GetObject's
    /// `response-content-disposition`, part of the signature), so that a
    /// browser saves the download under the name it gives.
    pub async fn presigned_download(
        &self,
        key: &str,
        expires_in: Duration,
        content_disposition: &str,
    ) -> Result<String, Error> {
        let presigning =
            PresigningConfig::expires_in(expires_in).map_err(|_| Error::Expiry(expires_in))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition)
            .presigned(presigning)
            .await
            .map_err(sdk("presign GetObject"))?;
        Ok(request.uri().to_owned())
    }

    /// Every object under `prefix` (all pages), in key order.
    pub async fn list_objects(&self, prefix: &str) -> Result<Vec<ObjectSummary>, Error> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(sdk("ListObjectsV2"))?;
            objects.extend(output.contents().iter().filter_map(|o| {
                Some(ObjectSummary {
                    key: o.key()?.to_owned(),
                    size: o.size().unwrap_or(0),
                    last_modified_epoch: o.last_modified().map(|t| t.secs()),
                })
            }));
            match output.next_continuation_token() {
                Some(next) if output.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(objects),
            }
        }
    }

    /// Deletes `keys` with as few requests as possible (1,000 per request).
    /// A key that does not exist counts as deleted (S3 semantics).
    pub async fn delete_many(&self, keys: &[String]) -> Result<(), Error> {
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(sdk("DeleteObjects request"))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(sdk("DeleteObjects request"))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(sdk("DeleteObjects"))?;
            if let Some(error) = output.errors().first() {
                return Err(Error::NotDeleted {
                    key: error.key().unwrap_or_default().to_owned(),
                    message: error.message().unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Starts a multipart upload of `key`: nothing is visible under the key
    /// until [`MultipartUpload::complete`]; [`MultipartUpload::abort`] (or a
    /// bucket lifecycle rule, for a process that died) discards the parts.
    pub async fn start_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<MultipartUpload, Error> {
        let output = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(sdk("CreateMultipartUpload"))?;
        let upload_id = output.upload_id().ok_or(Error::Incomplete {
            operation: "CreateMultipartUpload",
            field: "UploadId",
        })?;
        Ok(MultipartUpload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
            parts: Vec::new(),
            bytes: 0,
        })
    }

    /// The multipart uploads under `prefix` that were started and neither
    /// completed nor aborted (all pages).
    pub async fn pending_multiparts(&self, prefix: &str) -> Result<Vec<PendingUpload>, Error> {
        let mut uploads = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut upload_id_marker: Option<String> = None;
        loop {
            let output = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(upload_id_marker.take())
                .send()
                .await
                .map_err(sdk("ListMultipartUploads"))?;
            uploads.extend(output.uploads().iter().filter_map(|u| {
                Some(PendingUpload {
                    key: u.key()?.to_owned(),
                    upload_id: u.upload_id()?.to_owned(),
                    initiated_epoch: u.initiated().map(|t| t.secs()),
                })
            }));
            if output.is_truncated() != Some(true) {
                return Ok(uploads);
            }
            key_marker = output.next_key_marker().map(str::to_owned);
            upload_id_marker = output.next_upload_id_marker().map(str::to_owned);
            if key_marker.is_none() && upload_id_marker.is_none() {
                return Ok(uploads);
            }
        }
    }

    /// Discards a pending multipart upload (see [`Self::pending_multiparts`]).
    pub async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), Error> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(sdk("AbortMultipartUpload"))?;
        Ok(())
    }
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: i64,
    /// Seconds since the Unix epoch.
    pub last_modified_epoch: Option<i64>,
}

/// A multipart upload that was started and not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub key: String,
    pub upload_id: String,
    /// Seconds since the Unix epoch.
    pub initiated_epoch: Option<i64>,
}

/// The smallest part S3 accepts, except for the last one.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// An object being written in parts. Each part but the last must be at
/// least [`MIN_PART_SIZE`]; the caller buffers. Dropping it without
/// `complete` or `abort` leaves the upload pending (invisible), to be
/// aborted by a later run or the bucket's lifecycle rule.
#[derive(Debug)]
pub struct MultipartUpload {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    bytes: u64,
}

impl MultipartUpload {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn upload_id(&self) -> &str {
        &self.upload_id
    }

    /// Bytes uploaded so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Uploads the next part.
    pub async fn upload_part(&mut self, body: Bytes) -> Result<(), Error> {
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let len = body.len() as u64;
        let output = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(sdk("UploadPart"))?;
        let e_tag = output.e_tag().ok_or(Error::Incomplete {
            operation: "UploadPart",
            field: "ETag",
        })?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(e_tag)
                .set_checksum_crc32(output.checksum_crc32().map(str::to_owned))
                .build(),
        );
        self.bytes += len;
        Ok(())
    }

    /// Makes the object visible under its key, whole. An upload without
    /// parts gets one empty part (S3 refuses to complete none).
    pub async fn complete(mut self) -> Result<u64, Error> {
        if self.parts.is_empty() {
            self.upload_part(Bytes::new()).await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut self.parts)))
                    .build(),
            )
            .send()
            .await
            .map_err(sdk("CompleteMultipartUpload"))?;
        Ok(self.bytes)
    }

    /// Discards the parts; nothing becomes visible.
    pub async fn abort(self) -> Result<(), Error> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await
            .map_err(sdk("AbortMultipartUpload"))?;
        Ok(())
    }
}
