//! A near cache: answers kept in this process in front of the shared Redis cache, made
//! stale by the invalidations every instance announces on Redis.
//!
//! A hit costs no round trip. Each instance listens on the invalidations channel and
//! bumps its local versions of the tags a message names; its own writes bump them at
//! once. An answer served from here is therefore at most as old as the delivery of the
//! last announcement (measured in `bench/staleness`), and never older than
//! [`NEAR_TTL`] even if the channel stalls without closing. While the channel is down
//! nothing is served from here: lookups go to Redis as in the strict mode, and the
//! local answers are dropped before it is trusted again (announcements may have been
//! missed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use deadpool_redis::redis;
use evently_domain::cache::{Cache, CacheError, CacheTag, Lookup, Stamp};
use futures_util::StreamExt as _;

use super::redis::INVALIDATIONS;
use super::{LocalCache, RedisCache, RedisSettings, parse_tag};

/// The longest an answer is served from this process.
pub const NEAR_TTL: Duration = Duration::from_secs(1);

/// How long the listener waits before subscribing again after losing the channel.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(250);

/// Whether the invalidations channel can be trusted, and since when.
#[derive(Debug, Default)]
struct Link {
    /// Subscribed, and the local answers dropped since the last loss.
    live: AtomicBool,
    /// Bumped at every loss: an answer looked up before one is not kept.
    epoch: AtomicU64,
}

/// Redis, fronted by answers kept in this process.
#[derive(Debug, Clone)]
pub struct NearCache {
    shared: RedisCache,
    local: LocalCache,
    link: Arc<Link>,
}

impl NearCache {
    /// Connects like [`RedisCache::connect`] and starts listening for invalidations (so
    /// it must be called within a Tokio runtime). Until the listener has subscribed,
    /// every lookup goes to Redis.
    ///
    /// # Errors
    /// When the URL is invalid.
    pub fn connect(settings: &RedisSettings) -> anyhow::Result<Self> {
        let shared = RedisCache::connect(settings)?;
        let client = redis::Client::open(settings.url.as_str())?;
        let near = Self { shared, local: LocalCache::new(), link: Arc::default() };
        tokio::spawn(near.clone().listen(client, settings.timeout));
        Ok(near)
    }

    /// Keeps a subscription to the invalidations channel, applying each message.
    async fn listen(self, client: redis::Client, timeout: Duration) {
        let channel = self.shared.key(INVALIDATIONS);
        loop {
            let subscribed = tokio::time::timeout(timeout, async {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(&channel).await?;
                redis::RedisResult::Ok(pubsub)
            })
            .await;
            if let Ok(Ok(pubsub)) = subscribed {
                // Announcements made while unsubscribed are lost: forget what they
                // would have made stale before trusting the channel.
                self.local.clear();
                self.link.live.store(true, Ordering::SeqCst);
                tracing::debug!("near cache: listening for invalidations");
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    let names = String::from_utf8_lossy(message.get_payload_bytes()).into_owned();
                    self.local.bump(names.split(' ').filter_map(parse_tag));
                }
                self.link.live.store(false, Ordering::SeqCst);
                self.link.epoch.fetch_add(1, Ordering::SeqCst);
                tracing::warn!("near cache: the invalidations channel closed; reading through to Redis");
            }
            tokio::time::sleep(RESUBSCRIBE_AFTER).await;
        }
    }
}

/// A near cache's stamp: Redis's, then the epoch and local versions it was taken at
/// (empty when the channel was down, so nothing is kept locally).
fn near_stamp(shared: &Stamp, local: Option<(u64, &Stamp)>) -> Stamp {
    match local {
        Some((epoch, stamp)) => Stamp(format!("{}|{epoch}|{}", shared.0, stamp.0)),
        None => Stamp(format!("{}|", shared.0)),
    }
}

/// The parts of a [`near_stamp`].
fn split_stamp(stamp: &Stamp) -> (Stamp, Option<(u64, Stamp)>) {
    let mut parts = stamp.0.splitn(3, '|');
    let shared = Stamp(parts.next().unwrap_or_default().to_owned());
    let local = match (parts.next().and_then(|e| e.parse().ok()), parts.next()) {
        (Some(epoch), Some(local)) => Some((epoch, Stamp(local.to_owned()))),
        _ => None,
    };
    (shared, local)
}

impl Cache for NearCache {
    async fn lookup(&self, key: String, tags: Vec<CacheTag>) -> Result<Lookup, CacheError> {
        let epoch = self.link.epoch.load(Ordering::SeqCst);
        let local = if self.link.live.load(Ordering::SeqCst) {
            match self.local.lookup(key.clone(), tags.clone()).await? {
                hit @ Lookup::Hit(_) => return Ok(hit),
                Lookup::Miss(stamp) => Some((epoch, stamp)),
            }
        } else {
            None
        };
        match self.shared.lookup(key.clone(), tags).await? {
            Lookup::Hit(value) => {
                if let Some((epoch, stamp)) = local {
                    self.keep(key, epoch, stamp, value.clone()).await?;
                }
                Ok(Lookup::Hit(value))
            }
            Lookup::Miss(shared) => Ok(Lookup::Miss(near_stamp(&shared, local.as_ref().map(|(e, s)| (*e, s))))),
        }
    }

    async fn store(&self, key: String, stamp: Stamp, value: Vec<u8>, ttl_secs: u64) -> Result<(), CacheError> {
        let (shared, local) = split_stamp(&stamp);
        if let Some((epoch, stamp)) = local {
            self.keep(key.clone(), epoch, stamp, value.clone()).await?;
        }
        self.shared.store(key, shared, value, ttl_secs).await
    }

    async fn invalidate(&self, tags: Vec<CacheTag>) -> Result<(), CacheError> {
        // This instance's own reads see the write at once; the others when told.
        self.local.bump(tags.iter().copied());
        self.shared.invalidate(tags).await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.shared.ping().await
    }
}

impl NearCache {
    /// Keeps an answer looked up at `epoch` under its local stamp, unless the channel
    /// was lost since (an announcement it should have heard may be missing).
    async fn keep(&self, key: String, epoch: u64, stamp: Stamp, value: Vec<u8>) -> Result<(), CacheError> {
        if self.link.epoch.load(Ordering::SeqCst) != epoch {
            return Ok(());
        }
        self.local.store(key, stamp, value, NEAR_TTL.as_secs()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_carry_the_shared_and_the_local_parts() {
        let (shared, local) = (Stamp("3.1.4".into()), Stamp("2.0".into()));
        assert_eq!(split_stamp(&near_stamp(&shared, Some((7, &local)))), (shared.clone(), Some((7, local))));
        assert_eq!(split_stamp(&near_stamp(&shared, None)), (shared, None));
        assert_eq!(split_stamp(&Stamp(String::new())), (Stamp(String::new()), None));
    }
}
