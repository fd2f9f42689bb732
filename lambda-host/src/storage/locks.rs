//! One writer per key inside this process: requests storing the same set queue for it, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub struct KeyLocks {
    held: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    /// The key's lock, once every earlier writer of it is done; `None` after `wait`.
    pub async fn lock(&self, key: &str, wait: Duration) -> Option<OwnedMutexGuard<()>> {
        let lock = {
            let mut held = self.held.lock().expect("no panic while the map is held");
            // Locks nobody holds or waits for are only in this map: forget them.
            held.retain(|_, lock| Arc::strong_count(lock) > 1);
            held.entry(key.to_string()).or_default().clone()
        };
        tokio::time::timeout(wait, lock.lock_owned()).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_has_one_writer_and_others_are_free() {
        let locks = KeyLocks::default();
        let wait = Duration::from_millis(50);
        let first = locks.lock("a.jpg", wait).await.expect("free");
        assert!(locks.lock("a.jpg", wait).await.is_none(), "held by the first writer");
        assert!(locks.lock("b.jpg", wait).await.is_some(), "another key is not held");
        drop(first);
        assert!(locks.lock("a.jpg", wait).await.is_some(), "free again");
        assert!(locks.held.lock().unwrap().len() <= 2);
    }
}
