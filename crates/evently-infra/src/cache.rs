//! Cache adapters: Redis shared by every instance, or a local in-process cache when no
//! `REDIS_URL` is set. Both stamp answers with the versions of their tags.

mod local;
mod near;
mod redis;

use evently_domain::EventId;
use evently_domain::cache::{Cache, CacheError, CacheTag, Lookup, Stamp};
pub use local::LocalCache;
pub use near::{NEAR_TTL, NearCache};
pub use redis::{RedisCache, RedisSettings};

/// A tag's name, as invalidation messages carry it.
fn tag_name(tag: CacheTag) -> String {
    match tag {
        CacheTag::Event(id) => format!("event:{id}"),
        CacheTag::EventList => "events".to_owned(),
        CacheTag::Analytics => "analytics".to_owned(),
    }
}

/// The tag a [`tag_name`] names.
fn parse_tag(name: &str) -> Option<CacheTag> {
    match name {
        "events" => Some(CacheTag::EventList),
        "analytics" => Some(CacheTag::Analytics),
        _ => name.strip_prefix("event:")?.parse().ok().and_then(EventId::new).map(CacheTag::Event),
    }
}

/// The key that holds a tag's version.
fn version_key(tag: CacheTag) -> String {
    format!("v:{}", tag_name(tag))
}

/// A stamp made of versions, in tag order.
fn stamp_of(versions: impl IntoIterator<Item = u64>) -> Stamp {
    Stamp(versions.into_iter().map(|v| v.to_string()).collect::<Vec<_>>().join("."))
}

/// Splits a stored value into its stamp and answer.
fn split_stored(stored: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = stored.iter().position(|b| *b == b'\n')?;
    Some((&stored[..at], &stored[at + 1..]))
}

/// A stored value: the stamp, a newline, the answer.
fn join_stored(stamp: &Stamp, value: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(stamp.0.len() + 1 + value.len());
    stored.extend_from_slice(stamp.0.as_bytes());
    stored.push(b'\n');
    stored.extend_from_slice(value);
    stored
}

/// A hit when `stored` carries the `current` stamp.
fn judge(stored: Option<&[u8]>, current: Stamp) -> Lookup {
    match stored.and_then(split_stored) {
        Some((stamp, answer)) if stamp == current.0.as_bytes() => Lookup::Hit(answer.to_vec()),
        _ => Lookup::Miss(current),
    }
}

/// Redis, the local cache, or none.
#[derive(Debug, Clone)]
pub enum AnyCache {
    /// Shared by every instance, every lookup a round trip to Redis.
    Redis(RedisCache),
    /// Shared by every instance, answers kept in this process until announced stale.
    Near(NearCache),
    /// This process's own.
    Local(LocalCache),
    /// No caching: every read goes to the store (for comparison).
    Off,
}

impl AnyCache {
    /// Whether this cache is shared (and so worth reporting in readiness).
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Redis(_) | Self::Near(_))
    }
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(
            async fn $name(&self, $($arg: $ty),*) -> $out {
                match self {
                    Self::Redis(cache) => cache.$name($($arg),*).await,
                    Self::Near(cache) => cache.$name($($arg),*).await,
                    Self::Local(cache) => cache.$name($($arg),*).await,
                    Self::Off => Err(CacheError(anyhow::anyhow!("caching is off"))),
                }
            }
        )*
    };
}

impl Cache for AnyCache {
    delegate! {
        lookup(key: String, tags: Vec<CacheTag>) -> Result<Lookup, CacheError>;
        store(key: String, stamp: Stamp, value: Vec<u8>, ttl_secs: u64) -> Result<(), CacheError>;
        invalidate(tags: Vec<CacheTag>) -> Result<(), CacheError>;
        ping() -> Result<(), CacheError>;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_are_judged_by_their_stamp() {
        let stamp = stamp_of([3, 1]);
        let stored = join_stored(&stamp, b"{\"a\":\n1}");
        assert_eq!(judge(Some(&stored), stamp_of([3, 1])), Lookup::Hit(b"{\"a\":\n1}".to_vec()));
        assert_eq!(judge(Some(&stored), stamp_of([3, 2])), Lookup::Miss(stamp_of([3, 2])));
        assert_eq!(judge(None, stamp_of([0])), Lookup::Miss(stamp_of([0])));
    }

    #[test]
    fn tags_are_named_and_read_back() {
        for tag in [CacheTag::Event(EventId::new(42).unwrap()), CacheTag::EventList, CacheTag::Analytics] {
            assert_eq!(parse_tag(&tag_name(tag)), Some(tag));
        }
        for junk in ["", "event:", "event:0", "event:x", "eventsx"] {
            assert_eq!(parse_tag(junk), None);
        }
    }
}
