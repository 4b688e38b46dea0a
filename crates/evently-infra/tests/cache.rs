//! The cache adapters against the same expectations: the local cache, and the real
//! Redis on 127.0.0.1:6379 (each test in its own key namespace).
#![expect(clippy::unwrap_used, reason = "tests fail loudly on anything unexpected")]

use std::time::{Duration, Instant};

use evently_domain::EventId;
use evently_domain::cache::{Cache, CacheTag, Lookup};
use evently_infra::{LocalCache, RedisCache, RedisSettings};

fn redis(namespace: &str) -> RedisCache {
    RedisCache::connect(&RedisSettings::new(
        "redis://127.0.0.1:6379",
        format!("test:{}:{namespace}", std::process::id()),
    ))
    .unwrap()
}

async fn versions_make_answers_stale<C: Cache>(cache: C) {
    let event = CacheTag::Event(EventId::new(1).unwrap());
    let other = CacheTag::Event(EventId::new(2).unwrap());
    let tags = vec![event, CacheTag::EventList];
    let Lookup::Miss(stamp) = cache.lookup("k".into(), tags.clone()).await.unwrap() else { panic!("cold cache hit") };
    cache.store("k".into(), stamp, b"answer".to_vec(), 30).await.unwrap();
    assert_eq!(cache.lookup("k".into(), tags.clone()).await.unwrap(), Lookup::Hit(b"answer".to_vec()));
    cache.invalidate(vec![other]).await.unwrap();
    assert_eq!(cache.lookup("k".into(), tags.clone()).await.unwrap(), Lookup::Hit(b"answer".to_vec()), "other tags");
    cache.invalidate(vec![event]).await.unwrap();
    let Lookup::Miss(fresh) = cache.lookup("k".into(), tags.clone()).await.unwrap() else { panic!("stale hit") };
    cache.store("k".into(), fresh, b"new".to_vec(), 30).await.unwrap();
    assert_eq!(cache.lookup("k".into(), tags).await.unwrap(), Lookup::Hit(b"new".to_vec()));
}

async fn a_store_racing_an_invalidation_stays_stale<C: Cache>(cache: C) {
    let tags = vec![CacheTag::EventList];
    let Lookup::Miss(old) = cache.lookup("k".into(), tags.clone()).await.unwrap() else { panic!() };
    cache.invalidate(tags.clone()).await.unwrap(); // a write lands while the answer loads
    cache.store("k".into(), old, b"stale".to_vec(), 30).await.unwrap();
    assert!(matches!(cache.lookup("k".into(), tags).await.unwrap(), Lookup::Miss(_)));
}

#[tokio::test]
async fn local_versions_make_answers_stale() {
    versions_make_answers_stale(LocalCache::new()).await;
}

#[tokio::test]
async fn local_stores_racing_invalidations_stay_stale() {
    a_store_racing_an_invalidation_stays_stale(LocalCache::new()).await;
}

#[tokio::test]
async fn redis_versions_make_answers_stale() {
    versions_make_answers_stale(redis("versions")).await;
}

#[tokio::test]
async fn redis_stores_racing_invalidations_stay_stale() {
    a_store_racing_an_invalidation_stays_stale(redis("race")).await;
}

#[tokio::test]
async fn a_dead_redis_fails_fast() {
    let dead = RedisCache::connect(&RedisSettings::new("redis://127.0.0.1:1", "dead")).unwrap();
    let started = Instant::now();
    for _ in 0..100 {
        assert!(dead.lookup("k".into(), vec![CacheTag::EventList]).await.is_err());
    }
    assert!(dead.invalidate(vec![CacheTag::EventList]).await.is_err());
    assert!(dead.ping().await.is_err());
    assert!(started.elapsed() < Duration::from_secs(5), "calls are bounded and back off");
}
