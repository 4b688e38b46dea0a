//! The in-process cache used when no Redis is configured: correct for one instance.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use evently_domain::cache::{Cache, CacheError, CacheTag, Lookup, Stamp};

use super::stamp_of;

/// The bytes of answers kept by default (keys included); the oldest go first beyond it.
pub const DEFAULT_BUDGET: usize = 4 * 1024 * 1024;

#[derive(Debug)]
struct Stored {
    stamp: Stamp,
    value: Vec<u8>,
    expires: Instant,
    /// Which insertion of the key this is, to tell its place in `order`.
    seq: u64,
}

#[derive(Debug, Default)]
struct Entries {
    versions: HashMap<CacheTag, u64>,
    values: HashMap<String, Stored>,
    /// Keys in insertion order; a key stored again leaves a stale place behind.
    order: VecDeque<(u64, String)>,
    next_seq: u64,
    bytes: usize,
    budget: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.values.remove(key) {
            self.bytes -= key.len() + old.stamp.0.len() + old.value.len();
        }
    }

    /// Drops the oldest answers until `incoming` more bytes fit in the budget.
    fn make_room(&mut self, incoming: usize) {
        while self.bytes + incoming > self.budget {
            let Some((seq, key)) = self.order.pop_front() else { break };
            if self.values.get(&key).is_some_and(|stored| stored.seq == seq) {
                self.remove(&key);
            }
        }
        if self.order.len() > 2 * self.values.len() + 64 {
            let values = &self.values;
            self.order.retain(|(seq, key)| values.get(key).is_some_and(|stored| stored.seq == *seq));
        }
    }
}

/// A versioned cache in this process's memory, bounded in bytes.
#[derive(Debug, Clone)]
pub struct LocalCache {
    entries: Arc<Mutex<Entries>>,
}

impl Default for LocalCache {
    fn default() -> Self {
        Self::with_budget(DEFAULT_BUDGET)
    }
}

impl LocalCache {
    /// An empty cache with the [`DEFAULT_BUDGET`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache keeping at most `budget` bytes of keys and answers; an answer
    /// larger than an eighth of it is not kept.
    pub fn with_budget(budget: usize) -> Self {
        Self { entries: Arc::new(Mutex::new(Entries { budget, ..Entries::default() })) }
    }

    /// Bytes of keys and answers held now.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.bytes)
    }

    /// Makes every answer stamped with any of `tags` stale.
    pub fn bump(&self, tags: impl IntoIterator<Item = CacheTag>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for tag in tags {
            *entries.versions.entry(tag).or_default() += 1;
        }
    }

    /// Drops every answer.
    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.values.clear();
        entries.order.clear();
        entries.bytes = 0;
    }

    fn lock(&self) -> Result<MutexGuard<'_, Entries>, CacheError> {
        self.entries.lock().map_err(|_| CacheError(anyhow::anyhow!("local cache poisoned")))
    }
}

impl Cache for LocalCache {
    async fn lookup(&self, key: String, tags: Vec<CacheTag>) -> Result<Lookup, CacheError> {
        let entries = self.lock()?;
        let current = stamp_of(tags.iter().map(|t| entries.versions.get(t).copied().unwrap_or(0)));
        let stored =
            entries.values.get(&key).filter(|stored| stored.expires > Instant::now() && stored.stamp == current);
        Ok(stored.map_or(Lookup::Miss(current), |stored| Lookup::Hit(stored.value.clone())))
    }

    async fn store(&self, key: String, stamp: Stamp, value: Vec<u8>, ttl_secs: u64) -> Result<(), CacheError> {
        let size = key.len() + stamp.0.len() + value.len();
        let mut entries = self.lock()?;
        entries.remove(&key);
        if size > entries.budget / 8 {
            return Ok(());
        }
        entries.make_room(size);
        let seq = entries.next_seq;
        entries.next_seq += 1;
        entries.order.push_back((seq, key.clone()));
        entries.bytes += size;
        let expires = Instant::now() + Duration::from_secs(ttl_secs);
        entries.values.insert(key, Stored { stamp, value, expires, seq });
        Ok(())
    }

    async fn invalidate(&self, tags: Vec<CacheTag>) -> Result<(), CacheError> {
        self.bump(tags);
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.lock().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_stay_within_the_byte_budget_oldest_out_first() {
        let cache = LocalCache::with_budget(64 * 1024);
        // The stamp of a lookup with no tags.
        let stamp = Stamp(String::new());
        for n in 0..1_000 {
            cache.store(format!("k{n}"), stamp.clone(), vec![b'x'; 1_000], 30).await.unwrap();
            assert!(cache.bytes() <= 64 * 1024);
        }
        let lookup = |key: &str| cache.lookup(key.to_owned(), vec![]);
        assert!(matches!(lookup("k999").await.unwrap(), Lookup::Hit(v) if v.len() == 1_000));
        assert!(matches!(lookup("k0").await.unwrap(), Lookup::Miss(_)));
        // Storing one key over and over keeps one copy.
        for _ in 0..1_000 {
            cache.store("same".into(), stamp.clone(), vec![b'y'; 10], 30).await.unwrap();
        }
        assert!(cache.entries.lock().unwrap().order.len() < 200);
        // An answer over an eighth of the budget is not kept.
        cache.store("big".into(), stamp, vec![b'z'; 9_000], 30).await.unwrap();
        assert!(matches!(lookup("big").await.unwrap(), Lookup::Miss(_)));
    }
}
