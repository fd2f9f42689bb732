//! Objects in an S3 bucket (or any S3-compatible server), through aws-sdk-s3 with the standard
//! AWS configuration: region, credentials chain, `AWS_ENDPOINT_URL(_S3)`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use serde::{Deserialize, Serialize};

use super::{Bounded, Direct, Lease, Object, Store, StoreError, Version, Write};
use crate::module::sha256_hex;

/// How objects are written.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub bucket: String,
    /// Needed by most S3-compatible servers (moto, MinIO) on an IP or localhost endpoint.
    pub force_path_style: bool,
    pub cache_control: String,
    /// Opt-in `public-read` ACL, for buckets made before 2023 that still allow ACLs.
    pub public_read: bool,
    /// Longest one S3 operation may take, retries included: a store that stops answering costs a
    /// request this much per write, not forever.
    pub timeout: Duration,
    /// Where the lock objects of sets being written live (under the upload prefix, which keys may
    /// not use and the bucket's lifecycle rule sweeps).
    pub lock_prefix: String,
}

pub struct S3Store {
    client: Client,
    options: S3Options,
}

impl S3Store {
    /// Configured the standard AWS way: environment, profile files, instance or Lambda role.
    pub async fn connect(options: S3Options) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::with_config(&shared, options)
    }

    pub fn with_config(shared: &aws_config::SdkConfig, options: S3Options) -> Self {
        let timeouts = TimeoutConfig::builder().operation_timeout(options.timeout).build();
        let config = aws_sdk_s3::config::Builder::from(shared)
            .force_path_style(options.force_path_style)
            .timeout_config(timeouts)
            .build();
        Self { client: Client::from_conf(config), options }
    }

    /// The object's headers and unread body; `None` when nothing is stored under `key`.
    async fn get_object(&self, key: &str) -> Result<Option<GetObjectOutput>, StoreError> {
        match self.client.get_object().bucket(&self.options.bucket).key(key).send().await {
            Ok(response) => Ok(Some(response)),
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }
}

/// Whether S3 answered with one of `statuses`. A conditional request lost its condition with 412
/// (the key holds another object, or for If-None-Match any) or 409 (another conditional write of
/// the key was in progress); 404 means the key is gone.
fn answered<E>(error: &SdkError<E, HttpResponse>, statuses: &[u16]) -> bool {
    error.raw_response().is_some_and(|r| statuses.contains(&r.status().as_u16()))
}

/// A conditional request's condition failed.
const LOST_CONDITION: &[u16] = &[409, 412];
/// Lost its condition, or the key is gone: either way not ours to touch.
const NOT_OURS: &[u16] = &[404, 409, 412];

/// Network trouble means the store is unavailable (503); an answer refusing the write, failed (502).
fn classify<E: ProvideErrorMetadata + std::fmt::Debug>(error: SdkError<E>) -> StoreError {
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            StoreError::Failed(format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("no message")))
        }
        // No connection, no answer in time, or the connection dropped before a whole answer.
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("{error:?}"))
        }
        _ => StoreError::Failed(format!("{error:?}")),
    }
}

#[async_trait]
impl Store for S3Store {
    async fn put(&self, key: &str, object: &Object, write: Write, version: &Version) -> Result<(), StoreError> {
        let mut metadata: HashMap<String, String> = object.metadata.clone().into_iter().collect();
        metadata.insert("sha256".into(), object.sha256.clone());
        metadata.insert(WRITE_ID.into(), version.0.clone());
        let mut put = self
            .client
            .put_object()
            .bucket(&self.options.bucket)
            .key(key)
            .body(ByteStream::from(object.bytes.clone()))
            .content_type(&object.content_type)
            .cache_control(&self.options.cache_control)
            .set_metadata(Some(metadata));
        if self.options.public_read {
            put = put.acl(ObjectCannedAcl::PublicRead);
        }
        if write == Write::CreateOnly {
            put = put.if_none_match("*");
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if write == Write::CreateOnly && answered(&e, LOST_CONDITION) => Err(StoreError::Exists(key.into())),
            Err(e) => Err(classify(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let Some(response) = self.get_object(key).await? else {
            return Ok(None);
        };
        let content_type = response.content_type().unwrap_or("application/octet-stream").to_string();
        let mut metadata: std::collections::BTreeMap<_, _> =
            response.metadata().cloned().unwrap_or_default().into_iter().collect();
        let bytes = read_body(response.body).await?;
        let sha256 = metadata.remove("sha256").unwrap_or_else(|| crate::module::sha256_hex(&bytes));
        metadata.remove(WRITE_ID);
        Ok(Some(Object { bytes, content_type, sha256, metadata }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client.delete_object().bucket(&self.options.bucket).key(key).send().await.map_err(classify)?;
        Ok(())
    }

    /// The object's write id is read first; the delete is conditional on the ETag read with it,
    /// so a write landing in between is not deleted either.
    async fn delete_version(&self, key: &str, version: &Version) -> Result<(), StoreError> {
        let head = match self.client.head_object().bucket(&self.options.bucket).key(key).send().await {
            Ok(head) => head,
            Err(e) if answered(&e, &[404]) => return Ok(()),
            Err(e) => return Err(classify(e)),
        };
        let ours = head.metadata().and_then(|m| m.get(WRITE_ID)) == Some(&version.0);
        let Some(etag) = head.e_tag().filter(|_| ours) else {
            return Ok(());
        };
        let delete = self.client.delete_object().bucket(&self.options.bucket).key(key).if_match(etag);
        match delete.send().await {
            Ok(_) => Ok(()),
            // Replaced meanwhile (412, 409) or gone already (404): not ours to delete.
            Err(e) if answered(&e, NOT_OURS) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    /// A lock object per set, created with `If-None-Match: *` (S3 lets exactly one such write
    /// succeed), holding its holder's deadline. A lock past its deadline (its holder died) is
    /// taken over with `If-Match` on its ETag, so two writers cannot both take it over. It is given
    /// back like a variant is cleaned up: deleted only while it holds this lease's write id.
    async fn lease(&self, key: &str, writes: usize, wait: Duration) -> Result<Option<Lease>, StoreError> {
        let lock_key = format!("{}{}", self.options.lock_prefix, sha256_hex(key.as_bytes()));
        // Long enough for every write and its clean-up, each bounded by the timeout.
        let hold = self.options.timeout * (2 * writes as u32 + 2);
        let give_up = Instant::now() + wait;
        let mut pause = Duration::from_millis(20);
        let version = Version::new();
        loop {
            let body = LockBody { key: key.into(), until_unix_ms: unix_ms() + hold.as_millis() as u64 };
            if self.put_lock(&lock_key, &body, &version, None).await? {
                return Ok(Some(Lease { key: lock_key, version }));
            }
            if let Some((etag, held)) = self.read_lock(&lock_key).await?
                && held.until_unix_ms < unix_ms()
            {
                tracing::warn!(%key, "taking over the lock of a writer that ran out of time");
                if self.put_lock(&lock_key, &body, &version, Some(&etag)).await? {
                    return Ok(Some(Lease { key: lock_key, version }));
                }
            }
            if Instant::now() + pause > give_up {
                return Err(StoreError::Busy(key.into()));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }

    fn describe(&self) -> String {
        format!("s3://{}", self.options.bucket)
    }

    fn direct(&self) -> Option<&dyn Direct> {
        Some(self)
    }
}

/// The metadata naming the write an object came from (see [`Version`]).
const WRITE_ID: &str = "write-id";

/// What a lock object holds: whose set, and until when (its holder's clock).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockBody {
    key: String,
    until_unix_ms: u64,
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl S3Store {
    /// Writes the lock if nobody holds it (`replacing` none) or it still is `replacing` (an
    /// ETag); false when another writer got there first.
    async fn put_lock(
        &self,
        lock_key: &str,
        body: &LockBody,
        version: &Version,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        let bytes = serde_json::to_vec(body).map_err(|e| StoreError::Failed(e.to_string()))?;
        let put = self.client.put_object().bucket(&self.options.bucket).key(lock_key).body(ByteStream::from(bytes));
        let put = put.metadata(WRITE_ID, &version.0);
        let put = match replacing {
            None => put.if_none_match("*"),
            Some(etag) => put.if_match(etag),
        };
        match put.content_type("application/json").send().await {
            Ok(_) => Ok(true),
            Err(e) if answered(&e, NOT_OURS) => Ok(false),
            Err(e) => Err(classify(e)),
        }
    }

    /// The lock's ETag and body; `None` when it is gone (or unreadable, which waiting outlasts).
    async fn read_lock(&self, lock_key: &str) -> Result<Option<(String, LockBody)>, StoreError> {
        let Some(response) = self.get_object(lock_key).await? else {
            return Ok(None);
        };
        let etag = response.e_tag().unwrap_or_default().to_string();
        let bytes = read_body(response.body).await?;
        Ok(serde_json::from_slice(&bytes).ok().map(|body| (etag, body)))
    }
}

async fn read_body(body: ByteStream) -> Result<Vec<u8>, StoreError> {
    Ok(body.collect().await.map_err(|e| StoreError::Unavailable(e.to_string()))?.to_vec())
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(ttl).map_err(|e| StoreError::Failed(format!("presigning: {e}")))
}

#[async_trait]
impl Direct for S3Store {
    async fn presigned_get(&self, key: &str, ttl: Duration) -> Result<String, StoreError> {
        let get = self.client.get_object().bucket(&self.options.bucket).key(key);
        Ok(get.presigned(presigning(ttl)?).await.map_err(classify)?.uri().to_string())
    }

    /// Content-Type and Content-Length are signed: S3 refuses a PUT of another size or type.
    async fn presigned_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.options.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length as i64);
        Ok(put.presigned(presigning(ttl)?).await.map_err(classify)?.uri().to_string())
    }

    async fn read_bounded(&self, key: &str, max_bytes: usize) -> Result<Bounded, StoreError> {
        let Some(response) = self.get_object(key).await? else {
            return Ok(Bounded::Missing);
        };
        // Dropping the response unread closes the connection instead of downloading the body.
        let length = response.content_length().unwrap_or(0).max(0) as u64;
        if length > max_bytes as u64 {
            return Ok(Bounded::TooLarge(length));
        }
        let bytes = read_body(response.body).await?;
        if bytes.len() > max_bytes {
            return Ok(Bounded::TooLarge(bytes.len() as u64));
        }
        Ok(Bounded::Bytes(bytes))
    }
}
