//! Evently's adapters: the PostgreSQL store, the embedded in-memory store, the argon2
//! password hasher and the caches. The composition root instantiates the application
//! once per store type; nothing here dispatches ports at run time.

pub mod destination;
pub mod hasher;
pub mod memory;
pub mod postgres;
mod randomness;

pub mod cache;
pub use cache::{AnyCache, LocalCache, NEAR_TTL, NearCache, RedisCache, RedisSettings};
pub use destination::HttpDestination;
pub use hasher::{Argon2Hasher, HashCost};
pub use memory::MemoryStore;

pub use postgres::{PgSettings, PgStore};
