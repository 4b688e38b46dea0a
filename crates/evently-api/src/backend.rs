//! The adapters an application runs on, chosen by the composition root.

use evently_domain::Store;
use evently_domain::cache::Cache;
use evently_domain::user::PasswordHasher;
use evently_domain::webhook::Destination;

/// Names the store, hasher and cache types, so that handlers take one type parameter.
pub trait Backend: 'static {
    /// Every persistence port.
    type Store: Store + std::fmt::Debug;
    /// Password hashing.
    type Hasher: PasswordHasher + std::fmt::Debug;
    /// The shared (or local) cache.
    type Cache: Cache + Clone + std::fmt::Debug;
    /// Where webhook messages go.
    type Destination: Destination + Clone + std::fmt::Debug;
}
