//! Argon2id password hashing on the blocking thread pool.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use evently_domain::StoreError;
use evently_domain::user::{Password, PasswordHash, PasswordHasher};

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
/// each hash.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    argon2: Arc<Argon2<'static>>,
    dummy: PasswordHash,
}

impl Argon2Hasher {
    /// Builds a hasher, hashing one random password up front for unknown-email logins.
    ///
    /// # Errors
    /// When the cost parameters are out of argon2's range.
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = argon2::password_hash::generate_salt();
        let dummy = argon2.hash_password(&salt).map_err(|e| anyhow::anyhow!("cannot hash: {e}"))?.to_string();
        Ok(Self { argon2: Arc::new(argon2), dummy: PasswordHash::new(dummy) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
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
}
