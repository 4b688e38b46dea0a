//! Throwaway databases for tests: each [`TestDatabase`] is a fresh database with the
//! migrations applied, dropped when the value is dropped. Leftovers of crashed test
//! processes are swept on the next run.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

/// Where the test server listens, overridable with `EVENTLY_TEST_DATABASE_URL`
/// (pointing at a maintenance database such as `postgres`).
fn admin_url() -> String {
    std::env::var("EVENTLY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

const PREFIX: &str = "evently_test_";

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
    /// Creates and migrates a database named after this process and a counter.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached: database tests need it.
    #[expect(clippy::expect_used, reason = "test support: failing loudly is the point")]
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let mut conn =
            AsyncPgConnection::establish(&admin).await.expect("PostgreSQL must be running for database tests");
        sweep(&mut conn).await;
        let name = format!("{PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop stale test database");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("EVENTLY_TEST_DATABASE_URL must end in a database name"),
        };
        super::migrate(&url).await.expect("migrate test database");
        Self { name, url }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
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
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)")).execute(conn).await;
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
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop test database {}; the next run sweeps it", self.name);
        }
    }
}
