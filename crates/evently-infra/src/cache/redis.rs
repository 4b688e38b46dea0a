//! The Redis cache shared by every instance.
//!
//! Every call is bounded by a short timeout. When Redis fails, the adapter logs it once,
//! answers errors at once for a second (callers go to the store), and probes again.
//! An invalidation that could not be written would let other entries look current
//! later, so after one the adapter serves no hits until it has bumped the global epoch
//! (a version every stamp includes), which makes every older entry stale.
//!
//! Invalidations that arrive while one is being written are coalesced: the next write
//! bumps every tag they name at once (a hot event's batch of bookings costs one round
//! trip, not one each) and announces the tags on the [`INVALIDATIONS`] channel, which
//! near caches ([`super::NearCache`]) listen to.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use deadpool_redis::redis::{self, AsyncCommands as _};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use evently_domain::cache::{Cache, CacheError, CacheTag, Lookup, Stamp};
use tokio::sync::oneshot;

use super::{join_stored, judge, stamp_of, tag_name, version_key};

/// The channel (under the namespace) on which written invalidations are announced: a
/// message is the names of the tags bumped, separated by spaces.
pub(super) const INVALIDATIONS: &str = "invalidations";

/// The version every stamp starts with.
const EPOCH_KEY: &str = "v:epoch";

/// How long an untouched version key lives: far longer than any stored answer, so one
/// that expires (and restarts from 0) can no longer match a stored stamp.
const VERSION_TTL_SECS: i64 = 86_400;

/// How long the adapter leaves Redis alone after a failure.
const BACKOFF: Duration = Duration::from_secs(1);

/// How to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `REDIS_URL`.
    pub url: String,
    /// Prefix of every key, so that deployments (or tests) can share one Redis.
    pub namespace: String,
    /// Connections in the pool (each multiplexes many requests).
    pub pool_size: usize,
    /// The bound on every call, connecting included.
    pub timeout: Duration,
}

impl RedisSettings {
    /// Settings with a pool of 8 and a 100 ms timeout.
    pub fn new(url: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self { url: url.into(), namespace: namespace.into(), pool_size: 8, timeout: Duration::from_millis(100) }
    }
}

#[derive(Debug)]
struct Health {
    started: Instant,
    /// Milliseconds since `started` of the last failure; 0 while healthy.
    failed_at_ms: AtomicU64,
    /// An invalidation was lost: serve no hits until the epoch is bumped.
    stale_risk: AtomicBool,
}

/// Invalidations waiting for the next write to Redis.
#[derive(Debug, Default)]
struct Outbox {
    tags: HashSet<CacheTag>,
    /// Told whether the write that carried their tags succeeded.
    waiters: Vec<oneshot::Sender<bool>>,
    /// A task is writing; it takes whatever is queued when it is done.
    writing: bool,
}

/// The shared cache.
#[derive(Clone)]
pub struct RedisCache {
    pool: Pool,
    namespace: String,
    timeout: Duration,
    health: Arc<Health>,
    outbox: Arc<Mutex<Outbox>>,
    /// The runtime the cache was made on.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

fn failure(error: impl Into<anyhow::Error>) -> CacheError {
    CacheError(error.into())
}

impl RedisCache {
    /// Builds the pool; connections open lazily, so a Redis that is down now is not an
    /// error (the server starts degraded and caches once Redis answers).
    ///
    /// # Errors
    /// When the URL is invalid, or when called outside a Tokio runtime.
    pub fn connect(settings: &RedisSettings) -> anyhow::Result<Self> {
        let mut config = Config::from_url(settings.url.clone());
        let timeouts =
            Timeouts { wait: Some(settings.timeout), create: Some(settings.timeout), recycle: Some(settings.timeout) };
        config.pool = Some(PoolConfig { max_size: settings.pool_size, timeouts, ..PoolConfig::default() });
        let pool = config.create_pool(Some(Runtime::Tokio1))?;
        let health =
            Health { started: Instant::now(), failed_at_ms: AtomicU64::new(0), stale_risk: AtomicBool::new(false) };
        Ok(Self {
            pool,
            runtime: tokio::runtime::Handle::try_current().context("the cache is made on a Tokio runtime")?,
            namespace: settings.namespace.clone(),
            timeout: settings.timeout,
            health: Arc::new(health),
            outbox: Arc::default(),
        })
    }

    pub(super) fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.health.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    /// A pooled connection. One the pool must open is opened on the cache's runtime,
    /// whose threads then drive its socket: opened on a busy HTTP worker, every command
    /// on it would wait for that worker (an invalidation took 18 ms at the median).
    async fn connection(&self) -> Result<deadpool_redis::Connection, CacheError> {
        if self.pool.status().available > 0 {
            return self.pool.get().await.map_err(failure);
        }
        let pool = self.pool.clone();
        self.runtime.spawn(async move { pool.get().await }).await.map_err(failure)?.map_err(failure)
    }

    /// Runs one exchange with Redis under the timeout and the back-off.
    async fn call<T, F, Fut>(&self, exchange: F) -> Result<T, CacheError>
    where
        F: FnOnce(deadpool_redis::Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let failed_at = self.health.failed_at_ms.load(Ordering::Relaxed);
        if failed_at != 0
            && self.now_ms().saturating_sub(failed_at) < u64::try_from(BACKOFF.as_millis()).unwrap_or(1000)
        {
            return Err(failure(anyhow::anyhow!("redis is backing off after a failure")));
        }
        let outcome = tokio::time::timeout(self.timeout, async {
            let conn = self.connection().await?;
            exchange(conn).await.map_err(failure)
        })
        .await
        .unwrap_or_else(|_| Err(failure(anyhow::anyhow!("redis did not answer within {:?}", self.timeout))));
        match &outcome {
            Ok(_) if failed_at != 0 => {
                self.health.failed_at_ms.store(0, Ordering::Relaxed);
                tracing::info!("redis answers again; caching resumes");
            }
            Err(e) => {
                let previous = self.health.failed_at_ms.swap(self.now_ms(), Ordering::Relaxed);
                if previous == 0 {
                    tracing::warn!(error = %e, "redis is unavailable; serving from the store until it answers");
                }
            }
            Ok(_) => {}
        }
        outcome
    }

    /// Writes queued invalidations, one pipeline per round, until none are left.
    async fn write_invalidations(&self) {
        loop {
            let (tags, waiters) = {
                let mut outbox = self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if outbox.waiters.is_empty() {
                    outbox.writing = false;
                    return;
                }
                (std::mem::take(&mut outbox.tags), std::mem::take(&mut outbox.waiters))
            };
            let mut pipe = redis::pipe();
            let mut names = Vec::with_capacity(tags.len());
            for tag in tags {
                let key = self.key(&version_key(tag));
                pipe.incr(&key, 1).ignore().expire(&key, VERSION_TTL_SECS).ignore();
                names.push(tag_name(tag));
            }
            pipe.publish(self.key(INVALIDATIONS), names.join(" ")).ignore();
            let written = self.call(async |mut conn| pipe.query_async::<()>(&mut conn).await).await.is_ok();
            if !written {
                self.health.stale_risk.store(true, Ordering::Relaxed);
            }
            for waiter in waiters {
                let _ = waiter.send(written);
            }
        }
    }

    /// Queues `tags` for the next write of invalidations, starting the writer if none
    /// runs; the answer says whether that write succeeded.
    fn queue_invalidation(&self, tags: Vec<CacheTag>) -> oneshot::Receiver<bool> {
        let (told, written) = oneshot::channel();
        let start = {
            let mut outbox = self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            outbox.tags.extend(tags);
            outbox.waiters.push(told);
            !std::mem::replace(&mut outbox.writing, true)
        };
        if start {
            // A task of its own, so that a caller going away cannot strand the queue.
            let cache = self.clone();
            self.runtime.spawn(async move { cache.write_invalidations().await });
        }
        written
    }

    /// After a lost invalidation: bumps the epoch, or fails.
    async fn settle_stale_risk(&self) -> Result<(), CacheError> {
        if !self.health.stale_risk.load(Ordering::Relaxed) {
            return Ok(());
        }
        let epoch = self.key(EPOCH_KEY);
        self.call(async |mut conn| conn.incr::<_, _, u64>(&epoch, 1).await).await?;
        self.health.stale_risk.store(false, Ordering::Relaxed);
        Ok(())
    }
}

impl Cache for RedisCache {
    async fn lookup(&self, key: String, tags: Vec<CacheTag>) -> Result<Lookup, CacheError> {
        self.settle_stale_risk().await?;
        let mut keys = vec![self.key(&key), self.key(EPOCH_KEY)];
        keys.extend(tags.into_iter().map(|tag| self.key(&version_key(tag))));
        let values: Vec<Option<Vec<u8>>> = self.call(async |mut conn| conn.mget(&keys).await).await?;
        let mut values = values.into_iter();
        let stored = values.next().flatten();
        let versions = values.map(|v| v.and_then(|v| String::from_utf8(v).ok()?.parse().ok()).unwrap_or(0));
        Ok(judge(stored.as_deref(), stamp_of(versions)))
    }

    async fn store(&self, key: String, stamp: Stamp, value: Vec<u8>, ttl_secs: u64) -> Result<(), CacheError> {
        let stored = join_stored(&stamp, &value);
        let key = self.key(&key);
        self.call(async |mut conn| conn.set_ex::<_, _, ()>(&key, stored, ttl_secs).await).await
    }

    async fn invalidate(&self, tags: Vec<CacheTag>) -> Result<(), CacheError> {
        match self.queue_invalidation(tags).await {
            Ok(true) => Ok(()),
            _ => Err(failure(anyhow::anyhow!("the invalidation was not written"))),
        }
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.call(async |mut conn| redis::cmd("PING").query_async::<String>(&mut conn).await).await.map(drop)
    }
}
