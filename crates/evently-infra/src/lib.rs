//! Evently's adapters: the PostgreSQL store, the embedded in-memory store, the argon2
//! password hasher, and [`AnyStore`], which lets the composition root pick a store at
//! run time.

pub mod hasher;
pub mod memory;
pub mod postgres;

mod any_store;
pub mod cache;
pub use any_store::AnyStore;
pub use cache::{AnyCache, LocalCache, RedisCache, RedisSettings};
pub use hasher::{Argon2Hasher, HashCost};
pub use memory::MemoryStore;

pub use postgres::{PgSettings, PgStore};
