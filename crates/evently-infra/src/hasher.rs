//! Argon2id password hashing on the blocking thread pool, a few hashes at a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use evently_domain::StoreError;
use evently_domain::user::{Password, PasswordHash, PasswordHasher};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Hashes that may wait for a slot, per slot; beyond them a request is refused at once.
const QUEUED_PER_SLOT: usize = 32;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
}

impl Default for HashCost {
    /// The OWASP minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self { memory_kib: 19_456, iterations: 2 }
    }
}

/// Hashes with argon2id at a configured cost; verification uses the cost stored in
/// each hash. As many hashes run at once as there are cores (each holds the cost's
/// memory); a bounded number wait, and a burst beyond that is refused as unavailable.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    argon2: Arc<Argon2<'static>>,
    dummy: PasswordHash,
    gate: Arc<Gate>,
}

/// Slots for hashes in flight and a bounded queue in front of them.
#[derive(Debug)]
struct Gate {
    slots: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Counts a request in the queue until it is dropped (served or abandoned).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    fn new(slots: usize) -> Self {
        Self { slots: Semaphore::new(slots), waiting: AtomicUsize::new(0), max_waiting: slots * QUEUED_PER_SLOT }
    }

    /// A slot, after waiting in the queue if it has room.
    async fn enter(&self) -> Result<SemaphorePermit<'_>, StoreError> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            return Err(StoreError::Unavailable(anyhow::anyhow!("too many password hashes queued")));
        }
        let permit = self.slots.acquire().await.map_err(|e| StoreError::Unknown(e.into()));
        drop(waiting);
        permit
    }
}

impl Argon2Hasher {
    /// Builds a hasher, hashing one random password up front for unknown-email logins.
    ///
    /// # Errors
    /// When the cost parameters are out of argon2's range.
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::with_slots(cost, cores)
    }

    /// Like [`Argon2Hasher::new`], with `slots` hashes at once.
    ///
    /// # Errors
    /// When the cost parameters are out of argon2's range.
    pub fn with_slots(cost: HashCost, slots: usize) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = argon2::password_hash::generate_salt();
        let dummy = argon2.hash_password(&salt).map_err(|e| anyhow::anyhow!("cannot hash: {e}"))?.to_string();
        Ok(Self { argon2: Arc::new(argon2), dummy: PasswordHash::new(dummy), gate: Arc::new(Gate::new(slots.max(1))) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let _slot = self.gate.enter().await?;
        let argon2 = Arc::clone(&self.argon2);
        tokio::task::spawn_blocking(move || work(&argon2))
            .await
            .map_err(|e| StoreError::Unknown(anyhow::anyhow!("hashing task failed: {e}")))?
    }
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, StoreError> {
        self.blocking(move |argon2| {
            argon2
                .hash_password(password.expose().as_bytes())
                .map(|phc| PasswordHash::new(phc.to_string()))
                .map_err(|e| StoreError::Unknown(anyhow::anyhow!("cannot hash: {e}")))
        })
        .await
    }

    async fn verify(&self, password: Password, hash: PasswordHash) -> Result<bool, StoreError> {
        self.blocking(move |argon2| {
            let parsed = Phc::new(hash.as_str())
                .map_err(|e| StoreError::Unknown(anyhow::anyhow!("unreadable password hash: {e}")))?;
            Ok(argon2.verify_password(password.expose().as_bytes(), &parsed).is_ok())
        })
        .await
    }

    fn dummy_hash(&self) -> PasswordHash {
        self.dummy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Argon2Hasher::new(HashCost { memory_kib: 1024, iterations: 1 }).unwrap();
        let password = Password::new("correct horse").unwrap();
        let hash = hasher.hash(password.clone()).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(password, hash.clone()).await.unwrap());
        assert!(!hasher.verify(Password::new("wrong horse").unwrap(), hash).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_beyond_the_queue_is_refused_and_the_rest_served() {
        let hasher = Argon2Hasher::with_slots(HashCost { memory_kib: 8192, iterations: 4 }, 1).unwrap();
        let burst: Vec<_> = (0..QUEUED_PER_SLOT + 20)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(Password::new("correct horse").unwrap()).await })
            })
            .collect();
        let (mut hashed, mut refused) = (0, 0);
        for answer in burst {
            match answer.await.unwrap() {
                Ok(_) => hashed += 1,
                Err(StoreError::Unavailable(_)) => refused += 1,
                Err(other) => panic!("unexpected: {other}"),
            }
        }
        assert!(refused >= 19, "only {refused} refused");
        assert!(hashed > QUEUED_PER_SLOT, "only {hashed} served");
        assert_eq!(hasher.gate.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(hasher.gate.slots.available_permits(), 1);
    }
}
