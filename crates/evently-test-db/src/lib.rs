//! Throwaway databases for tests. The first [`TestDatabase`] of a test process migrates
//! a template database; every database after that is a copy of it (`CREATE DATABASE …
//! TEMPLATE`), so migrations run once per process, not once per test. Each database is
//! dropped with its value; leftovers of crashed processes (and their templates) are
//! swept on the next run.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};
use tokio::sync::OnceCell;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Every database this crate makes is named `PREFIX<pid>_…`, so a sweep can tell whose
/// it is.
const PREFIX: &str = "evently_test_";

/// The maintenance database to connect to, overridable with `EVENTLY_TEST_DATABASE_URL`.
fn admin_url() -> String {
    std::env::var("EVENTLY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `admin_url` with its database replaced by `name`.
fn url_of(name: &str) -> String {
    let admin = admin_url();
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("EVENTLY_TEST_DATABASE_URL must end in a database name"),
    }
}

/// A fresh, migrated database that is dropped on drop.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

impl TestDatabase {
    /// Creates a migrated database named after this process and a counter.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached: database tests need it.
    #[expect(clippy::expect_used, reason = "test support: failing loudly is the point")]
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = template().await;
        let mut conn =
            AsyncPgConnection::establish(&admin_url()).await.expect("PostgreSQL must be running for database tests");
        let name = format!("{PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        execute(&mut conn, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop stale database");
        execute(&mut conn, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await.expect("clone the template");
        Self { url: url_of(&name), name }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// This process's template: created, swept around and migrated by the first caller.
#[expect(clippy::expect_used, reason = "test support: failing loudly is the point")]
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut conn = AsyncPgConnection::establish(&admin_url())
                .await
                .expect("PostgreSQL must be running for database tests");
            sweep(&mut conn).await;
            let name = format!("{PREFIX}{}_template", std::process::id());
            execute(&mut conn, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop template");
            execute(&mut conn, &format!("CREATE DATABASE {name}")).await.expect("create template");
            let url = url_of(&name);
            tokio::task::spawn_blocking(move || {
                let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
                    .expect("open template");
                conn.run_pending_migrations(MIGRATIONS).map(drop).expect("migrate template");
            })
            .await
            .expect("migrate template");
            name
        })
        .await
}

async fn execute(conn: &mut AsyncPgConnection, sql: &str) -> diesel::QueryResult<usize> {
    diesel::sql_query(sql).execute(conn).await
}

/// Drops test databases whose creating process is gone.
async fn sweep(conn: &mut AsyncPgConnection) {
    let Ok(names) = diesel::sql_query(format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"))
        .load::<Name>(conn)
        .await
    else {
        return;
    };
    for Name { datname } in names {
        let pid = datname.trim_start_matches(PREFIX).split('_').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = execute(conn, &format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)")).await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any async context we could await in: use a private runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin_url()).await.ok()?;
                execute(&mut conn, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop test database {}; the next run sweeps it", self.name);
        }
    }
}
