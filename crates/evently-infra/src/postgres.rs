//! The PostgreSQL store: diesel-async over a deadpool pool. Every change that touches
//! seats is one transaction that takes the event's row lock first, decides with the
//! domain rules, and writes the decision before committing.

mod analytics;
mod batch;
mod bookings;
mod direct;
mod error;
mod events;
mod hold_writes;
mod holds;
mod inventory;
mod keys;
mod migrate;
mod notifications;
mod prepared;
mod queue;
mod rows;
mod seating;
mod tickets;
mod tx;
mod users;
mod waitlist;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection as _};
use evently_domain::{Store, StoreError};
pub use migrate::migrate;

/// How the store connects and how long it waits.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// The PostgreSQL URL.
    pub url: String,
    /// Connections in this instance's pool.
    pub pool_size: usize,
    /// How long a request waits for a pooled connection before answering 503.
    pub acquire_timeout: Duration,
    /// The longest any statement may run (and wait for a lock).
    pub statement_timeout: Duration,
    /// Whether concurrent bookings of one event share a transaction (group commit).
    pub group_commit: bool,
    /// Whether connections go through a pooler (PgBouncer) that may lend each transaction
    /// another server connection: no session settings are made then (set the timeouts on
    /// the database role instead: `ALTER ROLE ... SET statement_timeout = ...`).
    pub pooled_by_pgbouncer: bool,
}

impl PgSettings {
    /// Settings with the default pool (16 connections, 2 s to acquire, 5 s per statement)
    /// and group commit on.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 16,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            group_commit: true,
            pooled_by_pgbouncer: false,
        }
    }
}

/// The PostgreSQL adapter of every port.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
    /// The runtime the store was made on: connections, write transactions and
    /// group-commit workers run there, not on the thread of the request that started them
    /// (an HTTP worker busy with other requests would hold every statement of a
    /// transaction, and the event lock it holds, until it got round to it).
    db: tokio::runtime::Handle,
    /// Present when group commit is on.
    batches: Option<Arc<batch::Batches>>,
    /// The seating plans of the events seen so far.
    plans: Arc<seating::Plans>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool", &self.pool.status()).finish()
    }
}

type Conn = Object<AsyncPgConnection>;

impl PgStore {
    /// Builds the pool (connections open lazily) on the current Tokio runtime, where its
    /// connections and transactions will run.
    ///
    /// # Errors
    /// When the pool cannot be configured, or when called outside a Tokio runtime.
    pub fn connect(settings: &PgSettings) -> anyhow::Result<Self> {
        let statement_timeout_ms = settings.statement_timeout.as_millis();
        let session_settings = !settings.pooled_by_pgbouncer;
        let db = tokio::runtime::Handle::try_current().context("the store is made on a Tokio runtime")?;
        let mut config = ManagerConfig::<AsyncPgConnection>::default();
        config.recycling_method = RecyclingMethod::Fast;
        let spawn_on = db.clone();
        config.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            // Established on the store's runtime, so the connection's socket is driven there.
            let established = spawn_on.spawn(async move {
                use diesel_async::AsyncConnection as _;
                let mut conn = AsyncPgConnection::establish(&url).await?;
                if !session_settings {
                    return Ok(conn);
                }
                // Statements are kept prepared with one plan each: they are short indexed
                // statements, for which PostgreSQL's default of weighing a fresh plan at
                // every run (and mostly making one) cost a quarter of its time under load.
                let setup = format!(
                    "SET statement_timeout = {statement_timeout_ms}; SET lock_timeout = {statement_timeout_ms}; \
                     SET idle_in_transaction_session_timeout = {}; SET plan_cache_mode = force_generic_plan",
                    statement_timeout_ms * 2
                );
                conn.batch_execute(&setup).await.map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(conn)
            });
            Box::pin(
                async move { established.await.map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))? },
            )
        });
        let manager = AsyncDieselConnectionManager::new_with_config(settings.url.clone(), config);
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self { pool, db, batches: settings.group_commit.then(Arc::default), plans: Arc::default() })
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        self.pool.get().await.map_err(error::pool)
    }
}

impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        conn.batch_execute("SELECT 1").await.map_err(error::classify)
    }
}
