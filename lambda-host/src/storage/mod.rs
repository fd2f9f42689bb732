//! Where variants go. The host knows storage only through [`Store`]; a store knows nothing about
//! images beyond bytes and a content type.

pub mod fs;
pub mod s3;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Hex sha256 of `bytes`; served as the ETag.
    pub sha256: String,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    #[error("storage failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn put(&self, key: &str, object: &Object) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Where the objects live, for the start-up log.
    fn describe(&self) -> String;
    /// Direct access for clients, where the store has it (S3 does, a directory does not).
    fn direct(&self) -> Option<&dyn Direct> {
        None
    }
}

/// What a bucket offers beyond get and put: URLs clients use without the host, and bounded reads
/// of what they uploaded that way.
#[async_trait]
pub trait Direct: Send + Sync {
    /// A URL that GETs `key` until `ttl` has passed.
    async fn presigned_get(&self, key: &str, ttl: Duration) -> Result<String, StoreError>;
    /// A URL that PUTs exactly `length` bytes of `content_type` under `key` until `ttl` has passed.
    async fn presigned_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<String, StoreError>;
    /// The object's bytes, read only when it is at most `max_bytes` long.
    async fn read_bounded(&self, key: &str, max_bytes: usize) -> Result<Bounded, StoreError>;
}

#[derive(Debug, PartialEq, Eq)]
pub enum Bounded {
    Missing,
    TooLarge(u64),
    Bytes(Vec<u8>),
}

/// A write of a set that failed part-way; what was written has been deleted again.
#[derive(Debug, Error)]
#[error("storing {key} failed: {source}")]
pub struct PutAllError {
    pub key: String,
    #[source]
    pub source: StoreError,
}

/// Stores every object or none: after a failed write, deletes the ones already written.
pub async fn put_all(store: &dyn Store, objects: &[(String, Object)]) -> Result<(), PutAllError> {
    for (done, (key, object)) in objects.iter().enumerate() {
        if let Err(source) = store.put(key, object).await {
            for (written, _) in &objects[..done] {
                if let Err(e) = store.delete(written).await {
                    tracing::error!(key = %written, error = %e, "could not remove a variant after a failed store");
                }
            }
            return Err(PutAllError { key: key.clone(), source });
        }
    }
    Ok(())
}
