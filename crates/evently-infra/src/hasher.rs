//! Argon2id password hashing on a few threads of its own, behind a bounded queue.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::password_hash::{self, Error};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use evently_domain::StoreError;
use evently_domain::user::{Password, PasswordHash, PasswordHasher};
use tokio::sync::oneshot;

/// Hashes that may wait, per hashing thread; beyond them a request is refused at once.
const QUEUED_PER_THREAD: usize = 32;

/// How long a hashing thread keeps its working memory without work.
const IDLE_RELEASE: Duration = Duration::from_secs(5);

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

/// Work for a hashing thread, given the thread's own engine.
type Job = Box<dyn FnOnce(&mut Engine) + Send>;

/// Argon2id with working memory of its own, allocated once and reused by every hash of
/// the configured cost while work keeps coming: a burst of logins churns no allocations,
/// and resident memory is bounded by the number of hashing threads.
struct Engine {
    params: Params,
    memory: Vec<Block>,
}

impl Engine {
    fn new(params: Params) -> Self {
        Self { params, memory: Vec::new() }
    }

    /// The hash of `password` with `salt` at `params`, in memory sized for them.
    fn output(&mut self, password: &[u8], salt: &Salt, params: &Params) -> password_hash::Result<Output> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut out = [0_u8; Output::MAX_LENGTH];
        let out = out.get_mut(..params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)).ok_or(Error::OutputSize)?;
        let blocks = params.block_count();
        if params.block_count() == self.params.block_count() {
            if self.memory.len() != blocks {
                self.memory = vec![Block::default(); blocks];
            }
            argon2.hash_password_into_with_memory(password, salt.as_ref(), out, &mut self.memory)?;
        } else {
            // A hash made at another cost (before a change of settings): memory of its own.
            argon2.hash_password_into_with_memory(password, salt.as_ref(), out, vec![Block::default(); blocks])?;
        }
        Ok(Output::new(out)?)
    }

    /// A PHC string for `password` at the configured cost, with a fresh salt.
    fn hash(&mut self, password: &[u8]) -> password_hash::Result<String> {
        let salt_bytes = argon2::password_hash::generate_salt();
        let salt = Salt::new(&salt_bytes)?;
        let params = self.params.clone();
        let output = self.output(password, &salt, &params)?;
        let phc = Phc {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the PHC string `hash` (argon2id, at the cost it names).
    fn verify(&mut self, password: &[u8], hash: &str) -> password_hash::Result<bool> {
        let phc = Phc::new(hash)?;
        if phc.algorithm != Algorithm::Argon2id.ident() || phc.version != Some(Version::V0x13.into()) {
            return Err(Error::Algorithm);
        }
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else { return Err(Error::EncodingInvalid) };
        let params = Params::try_from(&phc)?;
        // `Output` compares in constant time.
        Ok(self.output(password, &salt, &params)? == expected)
    }
}

/// Hashes with argon2id at a configured cost; verification uses the cost stored in
/// each hash. Hashing runs on as many threads of its own as there are cores, each with
/// its working memory allocated once, so resident memory stays bounded however many
/// logins arrive. A bounded number of hashes wait; a burst beyond that is refused as
/// unavailable.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    jobs: SyncSender<Job>,
    dummy: PasswordHash,
}

impl Argon2Hasher {
    /// Builds a hasher, hashing one random password up front for unknown-email logins.
    ///
    /// # Errors
    /// When the cost parameters are out of argon2's range, or no thread can be started.
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::with_threads(cost, cores)
    }

    /// Like [`Argon2Hasher::new`], hashing on `threads` threads.
    ///
    /// # Errors
    /// When the cost parameters are out of argon2's range, or no thread can be started.
    pub fn with_threads(cost: HashCost, threads: usize) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let threads = threads.max(1);
        let (jobs, queue) = sync_channel::<Job>(threads * QUEUED_PER_THREAD);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let (engine, queue) = (Engine::new(params.clone()), Arc::clone(&queue));
            std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || serve(engine, &queue))?;
        }
        let (reply, dummy) = std::sync::mpsc::channel();
        let job: Job = Box::new(move |engine| {
            let _ = reply.send(engine.hash(&argon2::password_hash::generate_salt()));
        });
        jobs.send(job).map_err(|_| anyhow::anyhow!("the hashing threads stopped"))?;
        let dummy = dummy.recv()?.map_err(|e| anyhow::anyhow!("cannot hash: {e}"))?;
        Ok(Self { jobs, dummy: PasswordHash::new(dummy) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Engine) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |engine| {
            let _request = span.enter();
            // A request whose client went away is not worth a hash.
            if !reply.is_closed() {
                let _ = reply.send(work(engine));
            }
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::Unavailable(anyhow::anyhow!("too many password hashes queued")),
            TrySendError::Disconnected(_) => StoreError::Unknown(anyhow::anyhow!("the hashing threads stopped")),
        })?;
        answer.await.map_err(|_| StoreError::Unknown(anyhow::anyhow!("a hashing thread stopped")))?
    }
}

/// A hashing thread: runs jobs until every [`Argon2Hasher`] is gone, giving its working
/// memory back after [`IDLE_RELEASE`] without work.
fn serve(mut engine: Engine, queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv_timeout(IDLE_RELEASE);
        match job {
            Ok(job) => job(&mut engine),
            Err(RecvTimeoutError::Timeout) => engine.memory = Vec::new(),
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, StoreError> {
        self.blocking(move |engine| {
            engine
                .hash(password.expose().as_bytes())
                .map(PasswordHash::new)
                .map_err(|e| StoreError::Unknown(anyhow::anyhow!("cannot hash: {e}")))
        })
        .await
    }

    async fn verify(&self, password: Password, hash: PasswordHash) -> Result<bool, StoreError> {
        self.blocking(move |engine| {
            engine
                .verify(password.expose().as_bytes(), hash.as_str())
                .map_err(|e| StoreError::Unknown(anyhow::anyhow!("unreadable password hash: {e}")))
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

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = Argon2Hasher::new(HashCost { memory_kib: 1024, iterations: 1 }).unwrap();
        let ours = hasher.hash(Password::new("correct horse").unwrap()).await.unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap());
        assert!(reference.verify_password(b"correct horse", ours.as_str()).is_ok());
        assert!(reference.verify_password(b"wrong horse", ours.as_str()).is_err());
        // A hash made elsewhere, at another cost, verifies here.
        let theirs = reference.hash_password(b"battery staple").unwrap().to_string();
        let other_cost = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(2048, 2, 1, None).unwrap());
        let theirs_costlier = other_cost.hash_password(b"battery staple").unwrap().to_string();
        for hash in [theirs, theirs_costlier] {
            assert!(
                hasher.verify(Password::new("battery staple").unwrap(), PasswordHash::new(hash.clone())).await.unwrap()
            );
            assert!(!hasher.verify(Password::new("battery stable").unwrap(), PasswordHash::new(hash)).await.unwrap());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_beyond_the_queue_is_refused_and_the_rest_served() {
        let hasher = Argon2Hasher::with_threads(HashCost { memory_kib: 8192, iterations: 4 }, 1).unwrap();
        let burst: Vec<_> = (0..QUEUED_PER_THREAD + 20)
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
        assert!(hashed >= QUEUED_PER_THREAD, "only {hashed} served");
        let after = hasher.hash(Password::new("correct horse").unwrap()).await;
        assert!(after.is_ok(), "the queue drains and serves again");
    }
}
