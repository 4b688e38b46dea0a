//! The composition root: picks the store, wires services and routes, binds the
//! listener.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use evently_api::{
    ApiError, AppState, AuthRateLimit, BATCH_BODY_LIMIT, Backend, Metrics, Parts, TokenKeys, configure, docs,
    problem_handlers,
};
use evently_domain::Store;
use evently_domain::ticket::TicketKeys;
use evently_domain::user::{Email, EnsureAdminError, ExistingAccount, Password, UserName};
use evently_infra::{
    AnyCache, Argon2Hasher, HttpDestination, LocalCache, MemoryStore, NearCache, PgSettings, PgStore, RedisCache,
    RedisSettings,
};
use evently_ticket::TicketSigner;
use secrecy::{ExposeSecret as _, SecretString};

use crate::Settings;
use crate::settings::Coherence;

/// How often expired idempotency keys are deleted.
const KEY_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// How often expired holds of events nobody touches are settled (the contract allows 5 s).
const HOLD_SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Events settled per sweeping round trip.
const HOLD_SWEEP_BATCH: u32 = 100;
/// How often each instance advances the on-sale queues (draws, admissions at the pace,
/// lapses, closing): well inside the 2 s the pace may lag.
const QUEUE_TICK: Duration = Duration::from_millis(250);

/// The adapters of a server on PostgreSQL.
#[derive(Debug)]
struct OnPostgres;

impl Backend for OnPostgres {
    type Store = PgStore;
    type Hasher = Argon2Hasher;
    type Cache = AnyCache;
    type Destination = HttpDestination;
}

/// The adapters of a server on the embedded in-memory store.
#[derive(Debug)]
struct InMemory;

impl Backend for InMemory {
    type Store = MemoryStore;
    type Hasher = Argon2Hasher;
    type Cache = AnyCache;
    type Destination = HttpDestination;
}

/// A configured server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    /// Connects the store (applying migrations), ensures the bootstrap admin and binds
    /// the listener (`EVENTLY_ADDR`; port 0 picks a free port).
    ///
    /// # Errors
    /// When the database cannot be reached or migrated, the admin cannot be ensured, or
    /// the address cannot be bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        match open_store(&settings).await? {
            Some(store) => Self::build_on::<OnPostgres>(settings, store).await,
            None => Self::build_on::<InMemory>(settings, MemoryStore::new()).await,
        }
    }

    /// Builds the server over `B`'s adapters. Each store is its own instantiation of the
    /// generic application, so no port is dispatched at run time.
    async fn build_on<B>(settings: Settings, store: B::Store) -> anyhow::Result<Self>
    where
        B: Backend<Hasher = Argon2Hasher, Cache = AnyCache, Destination = HttpDestination>,
        B::Store: Send + Sync,
    {
        tokio::spawn(purge_idempotency_keys(store.clone()));
        let hasher = Argon2Hasher::new(settings.hash_cost)?;
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.clone(),
            None => random_secret()?,
        };
        let tokens = TokenKeys::new(&secret)?;
        let signer = match &settings.ticket_signer {
            Some(signer) => signer.clone(),
            None => {
                let mut seed = [0_u8; 32];
                getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
                TicketSigner::from_seed(seed)
            }
        };
        tracing::info!(kid = %signer.kid(), "ticket codes are signed with this key");
        let ticket_keys = Arc::new(TicketKeys::new(signer, &settings.ticket_previous_keys));
        let cache = open_cache(&settings)?;
        let metrics = Metrics::new()?;
        let parts = Parts::<B> {
            store,
            hasher,
            shared_cache: cache.is_shared(),
            cache,
            tokens: tokens.clone(),
            changes: tokio::runtime::Handle::current(),
            auth_rate: AuthRateLimit::per_minute(settings.auth_rate_per_min),
            ticket_keys,
            destination: HttpDestination::new(settings.webhook_allow_private)?,
            retry_schedule: settings.webhook_retry_schedule.clone(),
        };
        let state = web::Data::new(AppState::new(parts, &metrics));
        tokio::spawn(sweep_expired_holds(state.clone()));
        tokio::spawn(advance_queues(state.clone()));
        tokio::spawn(evently_api::worker::deliver(state.clone(), metrics.clone()));
        if let Some((email, password)) = &settings.admin {
            let email = Email::new(email).context("EVENTLY_ADMIN_EMAIL is not a valid email")?;
            let password = Password::new(password.expose_secret()).context("EVENTLY_ADMIN_PASSWORD is too short")?;
            let name = UserName::new("Administrator")?;
            let existing =
                if settings.admin_promote_existing { ExistingAccount::Promote } else { ExistingAccount::Refuse };
            let admin = match state.accounts.ensure_admin(name, email, password, existing).await {
                Ok(admin) => admin,
                Err(EnsureAdminError::TakenByUser) => anyhow::bail!(
                    "EVENTLY_ADMIN_EMAIL belongs to an account that is not an admin; refusing to raise it \
                     (whoever registered the address first would become admin). Set \
                     EVENTLY_ADMIN_PROMOTE_EXISTING=true if that account is yours"
                ),
                Err(e) => return Err(anyhow::Error::new(e).context("cannot ensure the admin")),
            };
            tracing::info!(user.id = %admin.id, "bootstrap admin is in place");
        }
        let metrics = web::Data::new(metrics);
        let tokens = web::Data::new(tokens);
        let listener =
            TcpListener::bind(settings.addr).with_context(|| format!("cannot listen on {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(evently_api::read_whole_body))
                .wrap(problem_handlers())
                .wrap(from_fn(evently_api::metrics::record))
                .wrap(from_fn(evently_api::trace_request))
                .app_data(state.clone())
                .app_data(tokens.clone())
                .app_data(metrics.clone())
                // `read_whole_body` holds each path to its own limit; this is the largest.
                .app_data(web::PayloadConfig::new(BATCH_BODY_LIMIT))
                .configure(configure::<B>)
                .configure(docs)
                .default_service(web::to(|| async { Err::<&str, _>(ApiError::NotFound("no such resource")) }))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        tracing::info!(addr = %settings.addr, port, "listening");
        Ok(Self { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests (up to 10 s).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// PostgreSQL when `DATABASE_URL` is set (migrated unless behind PgBouncer); `None` for
/// the embedded in-memory store.
async fn open_store(settings: &Settings) -> anyhow::Result<Option<PgStore>> {
    let Some(url) = &settings.database_url else {
        tracing::warn!(
            "DATABASE_URL is not set: serving from the embedded in-memory store; nothing persists across restarts"
        );
        return Ok(None);
    };
    if settings.db_pgbouncer {
        // Migrations take a session-level advisory lock, which transaction pooling breaks.
        tracing::info!("EVENTLY_DB_PGBOUNCER is set: run `evently migrate` against PostgreSQL directly");
    } else {
        evently_infra::postgres::migrate(url.expose_secret()).await.context("cannot migrate the database")?;
    }
    let mut pg = PgSettings::new(url.expose_secret());
    pg.pool_size = settings.db_pool_size;
    pg.group_commit = settings.group_commit;
    pg.pooled_by_pgbouncer = settings.db_pgbouncer;
    pg.acquire_timeout = settings.db_acquire_timeout;
    pg.statement_timeout = settings.db_statement_timeout;
    let store = PgStore::connect(&pg)?;
    tracing::info!(pool.size = pg.pool_size, group_commit = pg.group_commit, "store: PostgreSQL");
    Ok(Some(store))
}

/// Forgets expired idempotency keys now and then, for as long as the process runs.
async fn purge_idempotency_keys<S: Store>(store: S) {
    let mut every = tokio::time::interval(KEY_PURGE_INTERVAL);
    loop {
        every.tick().await;
        match store.purge_idempotency_keys(chrono::Utc::now()).await {
            Ok(purged) => tracing::debug!(keys.purged = purged, "expired idempotency keys purged"),
            Err(e) => tracing::warn!(error = %e, "cannot purge expired idempotency keys"),
        }
    }
}

/// Advances the on-sale queues, for as long as the process runs. Every instance does;
/// each queue is advanced by one at a time, under its row in the store.
async fn advance_queues<B: Backend>(state: web::Data<AppState<B>>) {
    let mut every = tokio::time::interval(QUEUE_TICK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = state.queues.advance().await {
            tracing::warn!(error = %e, "cannot advance the on-sale queues");
        }
    }
}

/// Settles events whose holds expired, for as long as the process runs. Every instance
/// sweeps; each hold is settled once, under its event's lock.
async fn sweep_expired_holds<B: Backend>(state: web::Data<AppState<B>>) {
    let mut every = tokio::time::interval(HOLD_SWEEP_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // A full batch may leave more behind: sweep again at once.
        loop {
            match state.holds.sweep(HOLD_SWEEP_BATCH).await {
                Ok(settled) => {
                    if settled > 0 {
                        tracing::debug!(events = settled, "expired holds settled");
                    }
                    if settled < HOLD_SWEEP_BATCH as usize {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot settle expired holds");
                    break;
                }
            }
        }
    }
}

fn open_cache(settings: &Settings) -> anyhow::Result<AnyCache> {
    if !settings.cache_enabled {
        tracing::warn!("EVENTLY_CACHE=off: every read goes to the store");
        return Ok(AnyCache::Off);
    }
    let Some(url) = &settings.redis_url else {
        tracing::info!("REDIS_URL is not set: caching in this process only");
        return Ok(AnyCache::Local(LocalCache::new()));
    };
    let redis = RedisSettings::new(url.expose_secret(), settings.cache_namespace.clone());
    match settings.cache_coherence {
        Coherence::Near => {
            let cache = NearCache::connect(&redis).context("invalid REDIS_URL")?;
            tracing::info!(
                "cache: Redis, shared by every instance, with answers kept in process until announced stale"
            );
            Ok(AnyCache::Near(cache))
        }
        Coherence::Strict => {
            let cache = RedisCache::connect(&redis).context("invalid REDIS_URL")?;
            tracing::info!("cache: Redis, shared by every instance, asked on every read");
            Ok(AnyCache::Redis(cache))
        }
    }
}

/// 32 random bytes, hex-encoded: tokens die with the process.
fn random_secret() -> anyhow::Result<SecretString> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}
