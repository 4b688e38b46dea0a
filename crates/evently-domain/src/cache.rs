//! The shared cache port: opaque answers stored under keys and stamped with the versions
//! of the data they were computed from. A write bumps the versions of what it changed,
//! so every instance sees stale entries as misses at once — no scans, no deletes.

use std::future::Future;

use thiserror::Error;

use crate::EventId;

/// A piece of data whose changes invalidate cached answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheTag {
    /// One event's row, seats and queue.
    Event(EventId),
    /// Which events each listing holds, and in what order: changed by events created,
    /// edited or cancelled, not by their seats (a listing is also stamped with each of
    /// its events' own tags).
    EventList,
    /// Anything analytics aggregate.
    Analytics,
}

impl CacheTag {
    /// The tags a change to `event`'s seats or queue invalidates.
    pub fn for_event(event: EventId) -> [Self; 2] {
        [Self::Event(event), Self::Analytics]
    }

    /// The tags an edit or cancellation of `event` invalidates: what listings hold too.
    pub fn for_listed_event(event: EventId) -> [Self; 3] {
        [Self::Event(event), Self::EventList, Self::Analytics]
    }
}

/// The versions of an answer's tags when it was looked up, to store it under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stamp(pub String);

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A current answer.
    Hit(Vec<u8>),
    /// Nothing current; store a fresh answer with this stamp.
    Miss(Stamp),
}

/// The cache failed or is unreachable; callers go to the store instead.
#[derive(Debug, Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(#[source] pub anyhow::Error);

/// A cache shared by every instance (or one process's, when none is configured).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Cache: Send + Sync + 'static {
    /// Looks `key` up; a hit is current for every tag in `tags`.
    ///
    /// # Errors
    /// [`CacheError`] when the cache cannot answer.
    fn lookup(&self, key: String, tags: Vec<CacheTag>) -> impl Future<Output = Result<Lookup, CacheError>> + Send;

    /// Stores an answer computed after `stamp` was taken, for at most `ttl_secs`.
    ///
    /// # Errors
    /// [`CacheError`] when the cache cannot answer.
    fn store(
        &self,
        key: String,
        stamp: Stamp,
        value: Vec<u8>,
        ttl_secs: u64,
    ) -> impl Future<Output = Result<(), CacheError>> + Send;

    /// Makes every answer stamped with any of `tags` stale.
    ///
    /// # Errors
    /// [`CacheError`] when the cache cannot answer; implementations must then keep
    /// stale answers from being served (see the Redis adapter).
    fn invalidate(&self, tags: Vec<CacheTag>) -> impl Future<Output = Result<(), CacheError>> + Send;

    /// Checks that the cache answers.
    ///
    /// # Errors
    /// [`CacheError`] when it does not.
    fn ping(&self) -> impl Future<Output = Result<(), CacheError>> + Send;
}

/// Makes cached answers about `event`'s seats and queue stale. A cache that cannot be
/// reached keeps stale answers from being served by itself, so the outcome of the write
/// stands either way.
pub(crate) async fn invalidate_event<C: Cache>(cache: &C, event: EventId) {
    cache.invalidate(CacheTag::for_event(event).to_vec()).await.ok();
}

/// Like [`invalidate_event`] after an edit or cancellation, which may also change which
/// events listings hold.
pub(crate) async fn invalidate_listed_event<C: Cache>(cache: &C, event: EventId) {
    cache.invalidate(CacheTag::for_listed_event(event).to_vec()).await.ok();
}
