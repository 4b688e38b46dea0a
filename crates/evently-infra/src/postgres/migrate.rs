//! Embedded migrations, applied under an advisory lock so that several instances
//! starting at once apply them exactly once.

use diesel::RunQueryDsl as _;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// An arbitrary key that only Evently's migrator locks.
const MIGRATION_LOCK_KEY: i64 = 0x0E7E_4711;

/// Applies pending migrations to the database at `url`.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        use diesel::Connection as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(&mut conn)?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map(|done| done.len());
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(&mut conn)?;
        let applied = applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        tracing::info!(migrations.applied = applied, "database schema is up to date");
        Ok(())
    })
    .await?
}
