//! Read-through caching of JSON answers, with single flight per key and version.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use std::io::Write as _;

use actix_web::http::header::{AcceptEncoding, CONTENT_ENCODING, Encoding, Header as _, VARY};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use evently_domain::EventId;
use evently_domain::cache::{Cache, CacheTag, Lookup, Stamp};
use flate2::Compression;
use flate2::write::GzEncoder;
use prometheus::IntCounter;
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::error::ApiError;
use crate::metrics::Metrics;

/// A load in progress; `None` once it failed (waiters then load for themselves).
type Flight = Arc<OnceCell<Option<Bytes>>>;

/// Where an answer is cached and what it is.
#[derive(Debug)]
pub struct Cached {
    /// Its key.
    pub key: String,
    /// What makes it stale.
    pub tags: Vec<CacheTag>,
    /// How long it may live at most.
    pub ttl_secs: u64,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// How it may be encoded.
    pub coding: Coding,
}

/// How a cached answer may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// As it is, always: a small answer.
    Plain,
    /// Gzipped to a request that takes it, else as it is (`Vary: Accept-Encoding`).
    Negotiated {
        /// Whether this request takes it gzipped.
        gzip: bool,
    },
}

impl Coding {
    /// Negotiated for `req`: gzipped if its `Accept-Encoding` prefers gzip to none.
    pub fn negotiated(req: &HttpRequest) -> Self {
        let offered = [Encoding::gzip(), Encoding::identity()];
        let chosen = AcceptEncoding::parse(req).ok().and_then(|accept| accept.negotiate(offered.iter()));
        Self::Negotiated { gzip: chosen == Some(Encoding::gzip()) }
    }
}

/// An answer loaded for the cache: its body, and when it goes stale by itself (the
/// first of its event's holds lapsing), if it does.
#[derive(Debug)]
pub struct Fresh {
    /// The body.
    pub body: Bytes,
    /// When it stops being true without any write.
    pub until: Option<DateTime<Utc>>,
}

/// A listing as loaded for [`ResponseCache::listing`].
#[derive(Debug)]
pub struct Listing<T> {
    /// The answer.
    pub answer: T,
    /// The events it holds, in its order.
    pub members: Vec<EventId>,
    /// When it stops being true without any write.
    pub until: Option<DateTime<Utc>>,
}

/// Serves JSON answers from the cache, loading and storing them on a miss.
#[derive(Debug)]
pub struct ResponseCache<C> {
    cache: C,
    flights: Mutex<HashMap<(String, Stamp), Flight>>,
    hits: IntCounter,
    misses: IntCounter,
    errors: IntCounter,
}

impl<C: Cache> ResponseCache<C> {
    /// Wraps `cache`, counting outcomes in `metrics`.
    pub fn new(cache: C, metrics: &Metrics) -> Self {
        let outcomes = metrics.cache_lookups();
        Self {
            cache,
            flights: Mutex::new(HashMap::new()),
            hits: outcomes.with_label_values(&["hit"]),
            misses: outcomes.with_label_values(&["miss"]),
            errors: outcomes.with_label_values(&["error"]),
        }
    }

    /// The cache itself.
    pub fn cache(&self) -> &C {
        &self.cache
    }

    /// A `200` JSON answer for `key`: cached if current for `tags`, else loaded once per
    /// version however many requests miss together, and stored for `ttl_secs`.
    pub async fn json<T, F, Fut>(
        &self,
        key: String,
        tags: Vec<CacheTag>,
        ttl_secs: u64,
        load: F,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let load = || async { Ok(Fresh { body: serialize(load().await?)?, until: None }) };
        self.body(Cached { key, tags, ttl_secs, content_type: "application/json", coding: Coding::Plain }, load).await
    }

    /// Like [`Self::json`] for an answer that goes stale by itself at the instant its
    /// loader gives with it (a hold lapsing), if any: stored until then at most.
    pub async fn json_until<T, F, Fut>(&self, cached: Cached, load: F) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Option<DateTime<Utc>>), ApiError>>,
    {
        let load = || async {
            let (value, until) = load().await?;
            Ok(Fresh { body: serialize(value)?, until })
        };
        self.body(cached, load).await
    }

    /// A `200` answer of `cached.content_type`, cached as [`Self::json`] caches and
    /// stored until the answer's own [`Fresh::until`] at most. Gzipped if `cached.coding` says so:
    /// compressed once per version and cached beside the plain answer, under the same tags.
    pub async fn body<F, Fut>(&self, cached: Cached, load: F) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh, ApiError>>,
    {
        let Cached { key, tags, ttl_secs, content_type, coding } = cached;
        let gzip = coding == Coding::Negotiated { gzip: true };
        let body = if gzip {
            let gzipped = || async {
                let Fresh { body, until } = load().await?;
                let body = tokio::task::spawn_blocking(move || compress(&body))
                    .await
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("compressing an answer failed: {e}")))?;
                Ok(Fresh { body, until })
            };
            self.bytes(format!("{key}.gz"), tags, ttl_secs, gzipped).await?
        } else {
            self.bytes(key, tags, ttl_secs, load).await?
        };
        let mut response = HttpResponse::Ok();
        response.content_type(content_type);
        if let Coding::Negotiated { gzip } = coding {
            response.insert_header((VARY, "accept-encoding"));
            if gzip {
                response.insert_header((CONTENT_ENCODING, "gzip"));
            }
        }
        Ok(response.body(body))
    }

    /// A `200` JSON listing of `T` whose members (events) change by themselves: cached
    /// under `key` as long as neither which members it holds ([`CacheTag::EventList`])
    /// nor any member ([`CacheTag::Event`]) changed, so a write to one event leaves the
    /// listings without it current. `load` gives the listing, its members and when it
    /// goes stale by itself. The members are kept under `members:{key}`; a listing
    /// whose load finds other members than those it was looked up with is not kept.
    pub async fn listing<T, F, Fut>(&self, key: String, ttl_secs: u64, load: F) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Listing<T>, ApiError>>,
    {
        let respond = |body: Bytes| HttpResponse::Ok().content_type("application/json").body(body);
        let (load, mut loaded) = (&load, None);
        let slot = &mut loaded;
        let members = self
            .bytes(format!("members:{key}"), vec![CacheTag::EventList], ttl_secs, move || async move {
                let listing = load().await?;
                let members = serialize(listing.members.iter().map(|id| id.get()).collect::<Vec<_>>())?;
                *slot = Some(listing.answer);
                Ok(Fresh { body: members, until: None })
            })
            .await?;
        if let Some(answer) = loaded {
            // Loaded here, after its members' versions were read: answered, not kept.
            return Ok(respond(serialize(answer)?));
        }
        let Ok(members) = serde_json::from_slice::<Vec<i64>>(&members) else {
            // Not an entry this version wrote: answered from the store, not kept.
            return Ok(respond(serialize(load().await?.answer)?));
        };
        let members: Vec<EventId> = members.into_iter().filter_map(EventId::new).collect();
        let tags = std::iter::once(CacheTag::EventList).chain(members.iter().map(|id| CacheTag::Event(*id))).collect();
        let body = self
            .bytes(key, tags, ttl_secs, || async {
                let listing = load().await?;
                let body = serialize(listing.answer)?;
                // Other members than those tagged: stale at once, as far as the tags know.
                let until = if listing.members == members { listing.until } else { Some(Utc::now()) };
                Ok(Fresh { body, until })
            })
            .await?;
        Ok(respond(body))
    }

    /// An answer's body: cached if current for `tags`, else loaded once per version
    /// however many requests miss together, and stored for `ttl_secs` (until the
    /// answer's own [`Fresh::until`] at most).
    async fn bytes<F, Fut>(&self, key: String, tags: Vec<CacheTag>, ttl_secs: u64, load: F) -> Result<Bytes, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fresh, ApiError>>,
    {
        let stamp = match self.cache.lookup(key.clone(), tags).await {
            Ok(Lookup::Hit(bytes)) => {
                self.hits.inc();
                return Ok(Bytes::from(bytes));
            }
            Ok(Lookup::Miss(stamp)) => {
                self.misses.inc();
                stamp
            }
            Err(_) => {
                // Without a version to key the flight on, waiters could be handed an answer
                // older than a write they saw acknowledged: load alone.
                self.errors.inc();
                return Ok(load().await?.body);
            }
        };
        let flight_key = (key, stamp);
        let flight = self.join(&flight_key);
        let mut load = Some(load);
        let mut outcome = None;
        let shared = flight
            .get_or_init(|| async {
                let loaded = match load.take() {
                    Some(load) => load().await,
                    None => Err(ApiError::Internal(anyhow::anyhow!("a flight ran twice"))),
                };
                let shared = loaded.as_ref().ok().map(|fresh| fresh.body.clone());
                outcome = Some(loaded);
                shared
            })
            .await
            .clone();
        self.land(&flight_key, &flight);
        match (outcome, shared, load) {
            // This request loaded: store what it got.
            (Some(loaded), _, _) => {
                let Fresh { body, until } = loaded?;
                let ttl_secs = until.map_or(ttl_secs, |until| {
                    let left = (until - Utc::now()).num_seconds();
                    ttl_secs.min(u64::try_from(left).unwrap_or(0))
                });
                if ttl_secs > 0 {
                    let (key, stamp) = flight_key;
                    self.cache.store(key, stamp, body.to_vec(), ttl_secs).await.ok();
                }
                Ok(body)
            }
            (None, Some(bytes), _) => Ok(bytes),
            // The load this request waited on failed (a 404, an outage): answer alone.
            (None, None, Some(load)) => Ok(load().await?.body),
            (None, None, None) => Err(ApiError::Internal(anyhow::anyhow!("a flight lost its loader"))),
        }
    }

    fn join(&self, key: &(String, Stamp)) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        flights.entry(key.clone()).or_default().clone()
    }

    fn land(&self, key: &(String, Stamp), flight: &Flight) {
        let mut flights = self.flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }
}

/// `body` gzipped at the fast level (a 3.6 MB list of seats to 92 KB in ~15 ms).
fn compress(body: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 8), Compression::fast());
    // Writing to a Vec cannot fail.
    encoder.write_all(body).and_then(|()| encoder.finish()).map(Bytes::from).unwrap_or_default()
}

fn serialize<T: Serialize>(value: T) -> Result<Bytes, ApiError> {
    serde_json::to_vec(&value).map(Bytes::from).map_err(|e| ApiError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use evently_domain::cache::CacheError;

    use super::*;

    /// Answers every lookup alike; remembers nothing.
    struct Fixed(Lookup);

    /// Always misses, with one stamp.
    fn forgetful() -> Fixed {
        Fixed(Lookup::Miss(Stamp("1".into())))
    }

    impl Cache for Fixed {
        async fn lookup(&self, _: String, _: Vec<CacheTag>) -> Result<Lookup, CacheError> {
            Ok(self.0.clone())
        }
        async fn store(&self, _: String, _: Stamp, _: Vec<u8>, _: u64) -> Result<(), CacheError> {
            Ok(())
        }
        async fn invalidate(&self, _: Vec<CacheTag>) -> Result<(), CacheError> {
            Ok(())
        }
        async fn ping(&self) -> Result<(), CacheError> {
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_misses_loads_once() {
        let cache = Arc::new(ResponseCache::new(forgetful(), &Metrics::new().unwrap()));
        let loads = Arc::new(AtomicUsize::new(0));
        let requests: Vec<_> = (0..50)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .json("k".into(), vec![CacheTag::EventList], 30, || async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            Ok(vec![1, 2, 3])
                        })
                        .await
                        .map(|r| r.status())
                })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap(), actix_web::http::StatusCode::OK);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_listing_whose_members_cannot_be_read_is_loaded() {
        let cache = ResponseCache::new(Fixed(Lookup::Hit(b"not a list of ids".to_vec())), &Metrics::new().unwrap());
        let listing = || async { Ok(Listing { answer: vec![7], members: vec![], until: None }) };
        let answer = cache.listing("k".into(), 30, listing).await.unwrap();
        assert_eq!(answer.status(), actix_web::http::StatusCode::OK);
        let body = actix_web::body::to_bytes(answer.into_body()).await.unwrap();
        assert_eq!(&body[..], b"[7]");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_load_is_not_shared() {
        let cache = Arc::new(ResponseCache::new(forgetful(), &Metrics::new().unwrap()));
        let first = cache.json("k".into(), vec![], 30, || async { Err::<u8, _>(ApiError::NotFound("no such event")) });
        assert!(matches!(first.await, Err(ApiError::NotFound(_))));
        let second = cache.json("k".into(), vec![], 30, || async { Ok(7) }).await.unwrap();
        assert_eq!(second.status(), actix_web::http::StatusCode::OK);
    }
}
