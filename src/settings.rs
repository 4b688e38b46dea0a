//! Typed settings from the environment (the table in the API contract).

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use evently_domain::webhook::RetrySchedule;
use evently_infra::HashCost;
use evently_ticket::{PublicKey, TicketSigner};
use secrecy::SecretString;
use thiserror::Error;

/// Everything the server reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `EVENTLY_ADDR`: where to listen.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: PostgreSQL; `None` serves from the in-memory store.
    pub database_url: Option<SecretString>,
    /// `REDIS_URL`: the cache shared by instances; `None` caches in this process only.
    pub redis_url: Option<SecretString>,
    /// `EVENTLY_CACHE`: `on` (Redis when `REDIS_URL` is set, else in-process) or `off`.
    pub cache_enabled: bool,
    /// `EVENTLY_CACHE_NAMESPACE`: prefix of every Redis key (deployments sharing a Redis
    /// need different ones).
    pub cache_namespace: String,
    /// `EVENTLY_CACHE_COHERENCE`: how instances sharing Redis agree on cached answers.
    pub cache_coherence: Coherence,
    /// `EVENTLY_DB_POOL_SIZE`: connections per instance.
    pub db_pool_size: usize,
    /// `EVENTLY_DB_PGBOUNCER`: connections go through PgBouncer (1.21 or later in
    /// transaction mode): no session settings, no migrations at start-up.
    pub db_pgbouncer: bool,
    /// `EVENTLY_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a pooled connection
    /// before answering 503.
    pub db_acquire_timeout: Duration,
    /// `EVENTLY_DB_STATEMENT_TIMEOUT_MS`: the longest a statement may run or wait for a
    /// lock before the request answers 503.
    pub db_statement_timeout: Duration,
    /// `EVENTLY_GROUP_COMMIT`: whether concurrent bookings of one event share a
    /// transaction (`true` by default; `false` runs one transaction per booking).
    pub group_commit: bool,
    /// `EVENTLY_JWT_SECRET`: required with a database, random per process otherwise; at
    /// least 32 bytes.
    pub jwt_secret: Option<SecretString>,
    /// `EVENTLY_ADMIN_EMAIL` and `EVENTLY_ADMIN_PASSWORD`: an admin to ensure at start-up.
    pub admin: Option<(String, SecretString)>,
    /// `EVENTLY_ADMIN_PROMOTE_EXISTING`: whether an existing non-admin account with the
    /// admin's email is raised to admin (`false`: the server refuses to start).
    pub admin_promote_existing: bool,
    /// `EVENTLY_ARGON2_MEMORY_KIB` and `EVENTLY_ARGON2_ITERATIONS`.
    pub hash_cost: HashCost,
    /// `EVENTLY_AUTH_RATE_PER_MIN`: login/register attempts per IP per minute; 0 = off.
    pub auth_rate_per_min: u32,
    /// `EVENTLY_TICKET_SIGNING_KEY`: the Ed25519 seed that signs ticket codes; required
    /// with a database, random per process otherwise.
    pub ticket_signer: Option<TicketSigner>,
    /// `EVENTLY_TICKET_PREVIOUS_KEYS`: retired public keys whose codes still verify.
    pub ticket_previous_keys: Vec<PublicKey>,
    /// `EVENTLY_WEBHOOK_RETRY_SCHEDULE`: delays between webhook delivery attempts.
    pub webhook_retry_schedule: RetrySchedule,
    /// `EVENTLY_WEBHOOK_ALLOW_PRIVATE`: whether webhooks may go to loopback and private
    /// addresses (tests, on-premises receivers).
    pub webhook_allow_private: bool,
}

/// A setting that is present but unusable.
#[derive(Debug, Error)]
pub enum SettingsError {
    /// The value does not parse.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A variable that another one makes mandatory is missing.
    #[error("{0}")]
    Missing(&'static str),
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: FromStr>(name: &'static str, default: T) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| SettingsError::Invalid { name, reason: e.to_string() }),
    }
}

/// A duration given in milliseconds.
fn millis(name: &'static str, default: Duration) -> Result<Duration, SettingsError> {
    let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
    parsed(name, default).map(Duration::from_millis)
}

/// How instances sharing Redis agree on cached answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coherence {
    /// `near` (the default): answers are kept in each process too and dropped when
    /// another instance announces a write, so a read may trail a write made elsewhere by
    /// the announcement's delivery (at most [`evently_infra::NEAR_TTL`]).
    Near,
    /// `strict`: every lookup asks Redis, so a read never trails a write made elsewhere.
    Strict,
}

impl FromStr for Coherence {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "near" => Ok(Self::Near),
            "strict" => Ok(Self::Strict),
            other => Err(format!("{other:?} is not near or strict")),
        }
    }
}

impl Default for Settings {
    /// What an empty environment gives: the in-memory store, an in-process cache, a
    /// random token secret, no bootstrap admin.
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            redis_url: None,
            cache_enabled: true,
            cache_namespace: "evently".to_owned(),
            cache_coherence: Coherence::Near,
            db_pool_size: 16,
            db_pgbouncer: false,
            db_acquire_timeout: Duration::from_millis(2_000),
            db_statement_timeout: Duration::from_millis(5_000),
            group_commit: true,
            jwt_secret: None,
            admin: None,
            admin_promote_existing: false,
            hash_cost: HashCost::default(),
            auth_rate_per_min: 20,
            ticket_signer: None,
            ticket_previous_keys: Vec::new(),
            webhook_retry_schedule: RetrySchedule::default(),
            webhook_allow_private: false,
        }
    }
}

impl Settings {
    /// Reads the environment; what it leaves out keeps its [`Default`].
    ///
    /// # Errors
    /// [`SettingsError`] for unparsable values, or a database without a JWT secret or a
    /// ticket signing key.
    pub fn from_env() -> Result<Self, SettingsError> {
        let database_url = var("DATABASE_URL").map(SecretString::from);
        let jwt_secret = var("EVENTLY_JWT_SECRET").map(SecretString::from);
        if database_url.is_some() && jwt_secret.is_none() {
            return Err(SettingsError::Missing(
                "EVENTLY_JWT_SECRET is required when DATABASE_URL is set (tokens must survive restarts and be shared by instances)",
            ));
        }
        let ticket_signer = var("EVENTLY_TICKET_SIGNING_KEY")
            .map(|seed| TicketSigner::from_base64(&seed))
            .transpose()
            .map_err(|e| SettingsError::Invalid { name: "EVENTLY_TICKET_SIGNING_KEY", reason: e.to_string() })?;
        if database_url.is_some() && ticket_signer.is_none() {
            return Err(SettingsError::Missing(
                "EVENTLY_TICKET_SIGNING_KEY is required when DATABASE_URL is set (ticket codes must verify across \
                 restarts and instances); `evently ticket keygen` makes one",
            ));
        }
        let ticket_previous_keys = var("EVENTLY_TICKET_PREVIOUS_KEYS")
            .map(|keys| keys.split(',').filter(|k| !k.trim().is_empty()).map(PublicKey::from_base64).collect())
            .transpose()
            .map_err(|e| SettingsError::Invalid { name: "EVENTLY_TICKET_PREVIOUS_KEYS", reason: e.to_string() })?
            .unwrap_or_default();
        let admin = match (var("EVENTLY_ADMIN_EMAIL"), var("EVENTLY_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some((email, SecretString::from(password))),
            (None, None) => None,
            _ => {
                return Err(SettingsError::Missing("EVENTLY_ADMIN_EMAIL and EVENTLY_ADMIN_PASSWORD go together"));
            }
        };
        let default = Self::default();
        Ok(Self {
            addr: parsed("EVENTLY_ADDR", default.addr)?,
            database_url,
            redis_url: var("REDIS_URL").map(SecretString::from),
            cache_enabled: match var("EVENTLY_CACHE").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => {
                    return Err(SettingsError::Invalid {
                        name: "EVENTLY_CACHE",
                        reason: format!("{other:?} is not on or off"),
                    });
                }
            },
            cache_namespace: var("EVENTLY_CACHE_NAMESPACE").unwrap_or(default.cache_namespace),
            cache_coherence: parsed("EVENTLY_CACHE_COHERENCE", default.cache_coherence)?,
            db_pool_size: parsed("EVENTLY_DB_POOL_SIZE", default.db_pool_size)?,
            group_commit: parsed("EVENTLY_GROUP_COMMIT", default.group_commit)?,
            db_pgbouncer: parsed("EVENTLY_DB_PGBOUNCER", default.db_pgbouncer)?,
            db_acquire_timeout: millis("EVENTLY_DB_ACQUIRE_TIMEOUT_MS", default.db_acquire_timeout)?,
            db_statement_timeout: millis("EVENTLY_DB_STATEMENT_TIMEOUT_MS", default.db_statement_timeout)?,
            jwt_secret,
            admin,
            admin_promote_existing: parsed("EVENTLY_ADMIN_PROMOTE_EXISTING", default.admin_promote_existing)?,
            hash_cost: HashCost {
                memory_kib: parsed("EVENTLY_ARGON2_MEMORY_KIB", default.hash_cost.memory_kib)?,
                iterations: parsed("EVENTLY_ARGON2_ITERATIONS", default.hash_cost.iterations)?,
            },
            auth_rate_per_min: parsed("EVENTLY_AUTH_RATE_PER_MIN", default.auth_rate_per_min)?,
            ticket_signer,
            ticket_previous_keys,
            webhook_retry_schedule: parsed("EVENTLY_WEBHOOK_RETRY_SCHEDULE", default.webhook_retry_schedule)?,
            webhook_allow_private: parsed("EVENTLY_WEBHOOK_ALLOW_PRIVATE", default.webhook_allow_private)?,
        })
    }
}
