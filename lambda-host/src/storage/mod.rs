//! Where variants go. The host knows storage only through [`Store`]; a store knows nothing about
//! images beyond bytes and a content type.

pub mod fs;
mod locks;
pub mod s3;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

pub use locks::KeyLocks;

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
    #[error("{0:?} is already stored, and the request asked not to overwrite it")]
    Exists(String),
    #[error("another request is storing {0:?}; try again shortly")]
    Busy(String),
}

/// How a write treats an object already stored under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Replace,
    /// Fails with [`StoreError::Exists`], atomically, when the key holds an object.
    CreateOnly,
}

/// One write of one object (S3's ETag; a directory's write id): a later write of the same key
/// has another, so a clean-up can remove its own object and nothing newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// The right to write a set of objects, held in the store for every process that shares it.
#[derive(Debug)]
pub struct Lease {
    pub key: String,
    pub version: Version,
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn put(&self, key: &str, object: &Object, write: Write) -> Result<Version, StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Deletes `key` only while it still holds the write `version`.
    async fn delete_version(&self, key: &str, version: &Version) -> Result<(), StoreError>;
    /// Waits up to `wait` for the sole right to write the set named `key`, for as long as
    /// `writes` object writes take. `None` when this process's own lock is enough (a directory
    /// only this server writes to).
    async fn lease(&self, _key: &str, _writes: usize, _wait: Duration) -> Result<Option<Lease>, StoreError> {
        Ok(None)
    }
    /// Gives a lease back early; one not given back ends by itself.
    async fn release(&self, _lease: Lease) {}
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

/// A write of a set that failed part-way; what it had written has been deleted again.
#[derive(Debug, Error)]
#[error("storing {key} failed: {source}")]
pub struct PutAllError {
    pub key: String,
    #[source]
    pub source: StoreError,
}

/// Stores every object of a set or none, one writer per set at a time: two requests storing the
/// same key never leave a mix of their variants. Writers wait for each other in this process
/// (`locks`) and, where the store is shared between processes, for a lease in the store. After a
/// failed write, each object already written is deleted only if it is still this write's.
pub async fn put_all(
    store: &dyn Store,
    locks: &KeyLocks,
    set: &str,
    objects: &[(String, Object)],
    write: Write,
    wait: Duration,
) -> Result<(), PutAllError> {
    let failed = |source| PutAllError { key: set.to_string(), source };
    let started = std::time::Instant::now();
    let _local = locks.lock(set, wait).await.ok_or_else(|| failed(StoreError::Busy(set.to_string())))?;
    let lease = store.lease(set, objects.len(), wait.saturating_sub(started.elapsed())).await.map_err(failed)?;
    let result = put_each(store, objects, write).await;
    if let Some(lease) = lease {
        store.release(lease).await;
    }
    result
}

async fn put_each(store: &dyn Store, objects: &[(String, Object)], write: Write) -> Result<(), PutAllError> {
    let mut written = Vec::with_capacity(objects.len());
    for (key, object) in objects {
        match store.put(key, object, write).await {
            Ok(version) => written.push((key, version)),
            Err(source) => {
                for (key, version) in written {
                    if let Err(e) = store.delete_version(key, &version).await {
                        tracing::error!(%key, error = %e, "could not remove a variant after a failed store");
                    }
                }
                return Err(PutAllError { key: key.clone(), source });
            }
        }
    }
    Ok(())
}
