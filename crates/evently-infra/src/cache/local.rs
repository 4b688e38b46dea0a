//! The in-process cache used when no Redis is configured: correct for one instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use evently_domain::cache::{Cache, CacheError, CacheTag, Lookup, Stamp};

use super::{join_stored, judge, stamp_of};

/// Entries kept before the cache starts over (bounds memory).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
struct Entries {
    versions: HashMap<CacheTag, u64>,
    values: HashMap<String, (Vec<u8>, Instant)>,
}

/// A versioned cache in this process's memory.
#[derive(Debug, Clone, Default)]
pub struct LocalCache {
    entries: Arc<Mutex<Entries>>,
}

impl LocalCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Entries>, CacheError> {
        self.entries.lock().map_err(|_| CacheError(anyhow::anyhow!("local cache poisoned")))
    }
}

impl Cache for LocalCache {
    async fn lookup(&self, key: String, tags: Vec<CacheTag>) -> Result<Lookup, CacheError> {
        let entries = self.lock()?;
        let current = stamp_of(tags.iter().map(|t| entries.versions.get(t).copied().unwrap_or(0)));
        let stored = entries.values.get(&key).filter(|(_, expires)| *expires > Instant::now());
        Ok(judge(stored.map(|(v, _)| v.as_slice()), current))
    }

    async fn store(&self, key: String, stamp: Stamp, value: Vec<u8>, ttl_secs: u64) -> Result<(), CacheError> {
        let mut entries = self.lock()?;
        if entries.values.len() >= MAX_ENTRIES {
            entries.values.clear();
        }
        let expires = Instant::now() + Duration::from_secs(ttl_secs);
        entries.values.insert(key, (join_stored(&stamp, &value), expires));
        Ok(())
    }

    async fn invalidate(&self, tags: Vec<CacheTag>) -> Result<(), CacheError> {
        let mut entries = self.lock()?;
        for tag in tags {
            *entries.versions.entry(tag).or_default() += 1;
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.lock().map(drop)
    }
}
