//! The failure every port may report besides its own domain errors, and the retry of
//! operations the store aborted.

use thiserror::Error;

/// A store failed for reasons outside the domain.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached or timed out; the operation had no effect.
    #[error("the store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The store aborted the operation (serialization failure, deadlock); it had no effect
    /// and may be retried as a whole.
    #[error("the store aborted the operation; it may be retried")]
    Transient(#[source] anyhow::Error),
    /// Anything else: a bug or a broken invariant.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl StoreError {
    /// Whether running the whole operation again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Errors that may wrap a [`StoreError::Transient`].
pub(crate) trait Transient {
    /// Whether running the whole operation again may succeed.
    fn is_transient(&self) -> bool;
}

impl Transient for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

/// How many times an aborted operation is attempted in all.
pub(crate) const MAX_ATTEMPTS: usize = 3;

/// Runs `operation` until it succeeds, fails for a non-transient reason, or has been
/// attempted [`MAX_ATTEMPTS`] times.
///
/// # Errors
/// The last error `operation` returned.
pub(crate) async fn retry_transient<T, E, F, Fut>(mut operation: F) -> Result<T, E>
where
    E: Transient,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => attempt += 1,
            outcome => return outcome,
        }
    }
}
