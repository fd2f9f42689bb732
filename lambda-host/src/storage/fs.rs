//! The embedded default: objects as files under a data directory. A file's name is the sha256
//! of its key, so no key ("../x", "/etc/passwd", 1,000 bytes, NUL) can name a path outside the
//! directory, and keys like "a" and "a/b" never collide as file and folder. Each file holds a
//! JSON header (key, content type, metadata) and the bytes, written to a temporary file and
//! renamed (or, for a create-only write, hard-linked: that fails when the name exists), so a
//! reader never sees half an object. Each write has an id in the header: its version.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Object, Store, StoreError, Version, Write};
use crate::module::sha256_hex;

pub struct FsStore {
    root: PathBuf,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    key: String,
    content_type: String,
    sha256: String,
    metadata: std::collections::BTreeMap<String, String>,
    /// This write's id (files from before versions read as an empty one).
    #[serde(default)]
    version: String,
}

impl FsStore {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("objects"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root: root.canonicalize()? })
    }

    fn path(&self, key: &str) -> PathBuf {
        let name = sha256_hex(key.as_bytes());
        self.root.join("objects").join(&name[..2]).join(name)
    }
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

#[async_trait]
impl Store for FsStore {
    async fn put(&self, key: &str, object: &Object, write: Write, version: &Version) -> Result<(), StoreError> {
        let header = Header {
            key: key.into(),
            content_type: object.content_type.clone(),
            sha256: object.sha256.clone(),
            metadata: object.metadata.clone(),
            version: version.0.clone(),
        };
        let header = serde_json::to_vec(&header).map_err(failed)?;
        let mut file = Vec::with_capacity(4 + header.len() + object.bytes.len());
        file.extend_from_slice(&(header.len() as u32).to_le_bytes());
        file.extend_from_slice(&header);
        file.extend_from_slice(&object.bytes);

        let path = self.path(key);
        let tmp = self.root.join("tmp").join(format!("{}.{}", path.file_name().unwrap().to_string_lossy(), version.0));
        tokio::fs::create_dir_all(path.parent().unwrap()).await.map_err(failed)?;
        tokio::fs::write(&tmp, &file).await.map_err(failed)?;
        let placed = match write {
            Write::Replace => tokio::fs::rename(&tmp, &path).await,
            Write::CreateOnly => tokio::fs::hard_link(&tmp, &path).await,
        };
        let _ = tokio::fs::remove_file(&tmp).await;
        match placed {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Exists(key.into())),
            Err(e) => Err(failed(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let Some((header, bytes)) = self.read(key).await? else {
            return Ok(None);
        };
        Ok(Some(Object { bytes, content_type: header.content_type, sha256: header.sha256, metadata: header.metadata }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
            _ => Ok(()),
        }
    }

    /// Read, compare and remove are not one step: the host's lock on the set (this directory
    /// has one writer, the server) keeps another write of the key out between them.
    async fn delete_version(&self, key: &str, version: &Version) -> Result<(), StoreError> {
        match self.read(key).await? {
            Some((header, _)) if header.version == version.0 => self.delete(key).await,
            _ => Ok(()),
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

impl FsStore {
    async fn read(&self, key: &str) -> Result<Option<(Header, Vec<u8>)>, StoreError> {
        let mut file = match tokio::fs::read(self.path(key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        let corrupt = || failed(format!("object file for {key:?} is corrupt"));
        let len = u32::from_le_bytes(file.get(..4).ok_or_else(corrupt)?.try_into().unwrap()) as usize;
        let header: Header =
            serde_json::from_slice(file.get(4..4 + len).ok_or_else(corrupt)?).map_err(|_| corrupt())?;
        Ok(Some((header, file.split_off(4 + len))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(bytes: &[u8]) -> Object {
        Object {
            bytes: bytes.to_vec(),
            content_type: "image/jpeg".into(),
            sha256: sha256_hex(bytes),
            metadata: Default::default(),
        }
    }

    fn temp_store(name: &str) -> (FsStore, PathBuf) {
        let dir = std::env::temp_dir().join(format!("fs-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (FsStore::open(&dir).unwrap(), dir)
    }

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let (store, dir) = temp_store("round-trip");
        store.put("a/b.jpg", &object(b"abc"), Write::Replace, &Version::new()).await.unwrap();
        store.put("a", &object(b"xyz"), Write::Replace, &Version::new()).await.unwrap();
        assert_eq!(store.get("a/b.jpg").await.unwrap(), Some(object(b"abc")));
        assert_eq!(store.get("a").await.unwrap(), Some(object(b"xyz")));
        store.delete("a/b.jpg").await.unwrap();
        assert_eq!(store.get("a/b.jpg").await.unwrap(), None);
        store.delete("never-written").await.unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn hostile_keys_stay_inside_the_data_directory() {
        let (store, dir) = temp_store("hostile");
        let long = "k".repeat(2000);
        for key in ["../escape", "/etc/passwd-copy", "a\0b", "../../..", long.as_str()] {
            store.put(key, &object(key.as_bytes()), Write::Replace, &Version::new()).await.unwrap();
            assert!(store.path(key).starts_with(&store.root));
            assert_eq!(store.get(key).await.unwrap().unwrap().bytes, key.as_bytes());
        }
        assert!(!dir.parent().unwrap().join("escape").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn create_only_refuses_a_stored_key_and_clean_up_spares_newer_writes() {
        let (store, dir) = temp_store("versions");
        let (first, second, newer) = (Version::new(), Version::new(), Version::new());
        store.put("k", &object(b"first"), Write::CreateOnly, &first).await.unwrap();
        let refused = store.put("k", &object(b"second"), Write::CreateOnly, &second).await.unwrap_err();
        assert!(matches!(refused, StoreError::Exists(ref key) if key == "k"), "{refused}");
        store.delete_version("k", &second).await.unwrap();
        assert_eq!(store.get("k").await.unwrap(), Some(object(b"first")), "a refused write's clean-up");
        store.put("k", &object(b"newer"), Write::Replace, &newer).await.unwrap();
        store.delete_version("k", &first).await.unwrap();
        assert_eq!(store.get("k").await.unwrap(), Some(object(b"newer")), "an older write's clean-up");
        store.delete_version("k", &newer).await.unwrap();
        assert_eq!(store.get("k").await.unwrap(), None);
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0, "no temporary file is left");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
