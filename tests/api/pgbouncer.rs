//! Instances behind PgBouncer in transaction mode: fewer server connections than the
//! instances' pools hold, each transaction on whichever server connection is free.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use evently_test_db::TestDatabase;

use crate::helpers::Process;
use crate::instances::{REDIS_URL, cache_namespace, stampede_and_churn};

/// Server connections PgBouncer keeps per database: far fewer than the instances ask for.
const SERVER_CONNECTIONS: u32 = 4;

/// A PgBouncer in transaction mode in front of one test database, killed on drop.
struct PgBouncer {
    child: Child,
    port: u16,
    /// The database's URL through this PgBouncer.
    url: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl PgBouncer {
    /// Starts one for the server and database of `database_url`
    /// (`postgres://user@host:port/name`, trust authentication).
    #[expect(clippy::zombie_processes, reason = "Drop kills and waits for the child")]
    async fn start(database_url: &str) -> Self {
        let binary = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pgbouncer.sh"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(binary.status.success(), "scripts/pgbouncer.sh found or built no PgBouncer");
        let binary = String::from_utf8(binary.stdout).unwrap().trim().to_owned();
        let (rest, name) = database_url.rsplit_once('/').unwrap();
        let (user, upstream) = rest.trim_start_matches("postgres://").split_once('@').unwrap();
        let (host, upstream_port) = upstream.split_once(':').unwrap_or((upstream, "5432"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("evently-pgbouncer-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dir = TempDir(dir);
        std::fs::write(dir.0.join("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
        let config = format!(
            "[databases]\n* = host={host} port={upstream_port}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {users}\npool_mode = transaction\n\
             default_pool_size = {SERVER_CONNECTIONS}\nmax_client_conn = 500\nmax_prepared_statements = 200\n\
             admin_users = {user}\nignore_startup_parameters = extra_float_digits\n",
            users = dir.0.join("users.txt").display(),
        );
        std::fs::write(dir.0.join("pgbouncer.ini"), config).unwrap();
        let mut command = Command::new(binary);
        // PgBouncer refuses to run as root.
        if Command::new("id").arg("-u").output().is_ok_and(|id| id.stdout.trim_ascii() == b"0") {
            command.args(["-u", "postgres"]);
        }
        let child =
            command.arg(dir.0.join("pgbouncer.ini")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let url = format!("postgres://{user}@127.0.0.1:{port}/{name}");
                return Self { child, port, url, _dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("PgBouncer did not start");
    }

    /// One column of a `SHOW` command of PgBouncer's admin console, for `database`.
    fn show(&self, command: &str, database: &str, column: &str) -> Vec<String> {
        let output = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "pgbouncer"])
            .args(["-X", "--csv", "-c", command])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (db_column, wanted) = (at("database"), at(column));
        lines
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|fields| fields[db_column] == database)
            .map(|fields| fields[wanted].to_owned())
            .collect()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_work_behind_pgbouncer_in_transaction_mode() {
    let db = TestDatabase::create().await;
    let bouncer = PgBouncer::start(db.url()).await;
    let name = cache_namespace(&db);
    let env = [
        ("REDIS_URL", REDIS_URL),
        ("EVENTLY_CACHE_NAMESPACE", name),
        ("EVENTLY_DB_PGBOUNCER", "true"),
        ("EVENTLY_DB_POOL_SIZE", "16"),
    ];
    let mut servers = Vec::new();
    for _ in 0..2 {
        servers.push(Process::spawn_with(&bouncer.url, &env, Stdio::null()).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.1.clone()).collect();
    stampede_and_churn(&bases, db.url()).await;

    // It all went through PgBouncer, on at most its few server connections.
    let clients = bouncer.show("SHOW CLIENTS", name, "database").len();
    let servers_used = bouncer.show("SHOW SERVERS", name, "database").len();
    assert!(clients > servers_used, "{clients} client connections shared {servers_used} server connections");
    assert!(servers_used <= SERVER_CONNECTIONS as usize);
    let transactions: u64 = bouncer.show("SHOW STATS", name, "total_xact_count")[0].parse().unwrap();
    assert!(transactions > 500, "only {transactions} transactions went through PgBouncer");
}
