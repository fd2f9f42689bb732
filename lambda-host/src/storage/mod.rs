//! Where variants go. The host knows storage only through [`Store`]; a store knows nothing about
//! images beyond bytes and a content type.

pub mod fs;
mod locks;
pub mod s3;

use std::collections::BTreeMap;
use std::sync::Arc;
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

/// One write of one object, chosen before the write and stored with the object (S3 metadata
/// `write-id`; a directory's file header): a clean-up removes its own write and nothing newer,
/// even after a write whose outcome it never learnt (the connection dropped: S3 may have it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

impl Version {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl Default for Version {
    fn default() -> Self {
        Self::new()
    }
}

/// The right to write a set of objects, held in the store for every process that shares it: an
/// object written as `version`, deleted to give the right back (one never given back ends by itself).
#[derive(Debug)]
pub struct Lease {
    pub key: String,
    pub version: Version,
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn put(&self, key: &str, object: &Object, write: Write, version: &Version) -> Result<(), StoreError>;
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
    store: &Arc<dyn Store>,
    locks: &Arc<KeyLocks>,
    set: &str,
    objects: &[(String, Object)],
    write: Write,
    wait: Duration,
) -> Result<(), PutAllError> {
    let failed = |source| PutAllError { key: set.to_string(), source };
    let started = std::time::Instant::now();
    let _local = locks.lock(set, wait).await.ok_or_else(|| failed(StoreError::Busy(set.to_string())))?;
    let lease = store.lease(set, objects.len(), wait.saturating_sub(started.elapsed())).await.map_err(failed)?;
    let result = put_each(store, (locks, set), objects, write).await;
    if let Some(lease) = lease {
        clean_up(store, (locks, set), vec![(lease.key, lease.version)]).await;
    }
    result
}

async fn put_each(
    store: &Arc<dyn Store>,
    set: (&Arc<KeyLocks>, &str),
    objects: &[(String, Object)],
    write: Write,
) -> Result<(), PutAllError> {
    let mut written = Vec::with_capacity(objects.len());
    for (key, object) in objects {
        let version = Version::new();
        let result = store.put(key, object, write, &version).await;
        // A failed write may still have landed (an answer lost on the way): clean it up too.
        written.push((key.clone(), version));
        if let Err(source) = result {
            clean_up(store, set, written).await;
            return Err(PutAllError { key: key.clone(), source });
        }
    }
    Ok(())
}

/// How long a clean-up the store refused keeps being retried, once a second, in the background.
const CLEAN_UP_RETRIES: u32 = 600;

/// Deletes what a failed write had written (and a released lease). When the store cannot be
/// reached (the outage that failed the write), it keeps trying in the background: the deletes are
/// conditional, so a late one never removes a newer write. (In Lambda the instance may be frozen before it is done; the
/// variants then stay until the next write of the key replaces them.)
///
/// The retries hold the set's lock, as writers do: S3's ETag is the MD5 of the bytes, and a
/// retried upload of the same file writes the same bytes, so a delete conditional on the ETag
/// read before a retry's write would still match after it and delete the retry's variant (the
/// soak hit this once: a 201's variant read back missing).
async fn clean_up(store: &Arc<dyn Store>, (locks, set): (&Arc<KeyLocks>, &str), written: Vec<(String, Version)>) {
    let mut left = delete_each(store.as_ref(), written).await;
    if left.is_empty() {
        return;
    }
    let (store, locks, set) = (store.clone(), locks.clone(), set.to_string());
    tokio::spawn(async move {
        for _ in 0..CLEAN_UP_RETRIES {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(_writing) = locks.lock(&set, Duration::from_secs(1)).await else { continue };
            left = delete_each(store.as_ref(), left).await;
            if left.is_empty() {
                tracing::info!("cleaned up after a failed store once the store answered again");
                return;
            }
        }
        for (key, _) in left {
            tracing::error!(%key, "gave up cleaning up after a failed store");
        }
    });
}

/// The deletes that failed, to try again.
async fn delete_each(store: &dyn Store, written: Vec<(String, Version)>) -> Vec<(String, Version)> {
    let mut left = Vec::new();
    for (key, version) in written {
        if let Err(e) = store.delete_version(&key, &version).await {
            tracing::warn!(%key, error = %e, "could not clean up after a failed store; will retry");
            left.push((key, version));
        }
    }
    left
}
