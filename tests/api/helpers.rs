//! Starting servers and talking to them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use evently::{Application, Settings};
use evently_infra::HashCost;
use evently_test_db::TestDatabase;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.org";
pub const ADMIN_PASSWORD: &str = "admin password";
pub const JWT_SECRET: &str = "end-to-end test secret, 32 bytes or more";
/// The tests' ticket signing key (an Ed25519 seed, unpadded base64url).
pub const TICKET_SIGNING_KEY: &str = "dGVzdCB0aWNrZXQgc2lnbmluZyBrZXksIDMyIGJ5dGU";

/// Settings for a test server: the defaults, on a free port, with cheap password
/// hashing, a bootstrap admin and no rate limit.
pub fn settings(database_url: Option<&str>) -> Settings {
    show_logs();
    Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.map(SecretString::from),
        jwt_secret: Some(SecretString::from(JWT_SECRET)),
        ticket_signer: Some(evently_ticket::TicketSigner::from_base64(TICKET_SIGNING_KEY).unwrap()),
        admin: Some((ADMIN_EMAIL.to_owned(), SecretString::from(ADMIN_PASSWORD))),
        hash_cost: HashCost { memory_kib: 1024, iterations: 1 },
        auth_rate_per_min: 0,
        ..Settings::default()
    }
}

/// With `TEST_LOG` set, the servers' logs (in-process and spawned) go to the test's
/// output, filtered by `RUST_LOG`.
pub fn show_logs() {
    if test_log() {
        evently::telemetry::init();
    }
}

/// Whether `TEST_LOG` asks for server logs.
pub fn test_log() -> bool {
    std::env::var_os("TEST_LOG").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub admin_token: String,
    /// Kept so the database outlives the server's use of it.
    pub db: Option<TestDatabase>,
}

/// Starts a server in this process with `settings` and waits until it answers.
pub async fn start(settings: Settings) -> (String, Client) {
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder().pool_max_idle_per_host(128).timeout(Duration::from_secs(60)).build().unwrap();
    (base, client)
}

impl TestApp {
    /// A server on the embedded in-memory store.
    pub async fn memory() -> Self {
        Self::with(settings(None), None).await
    }

    /// A server on a fresh PostgreSQL database.
    pub async fn postgres() -> Self {
        let db = TestDatabase::create().await;
        Self::with(settings(Some(db.url())), Some(db)).await
    }

    /// A server with custom settings (on `db` when given).
    pub async fn with(settings: Settings, db: Option<TestDatabase>) -> Self {
        let (base, client) = start(settings).await;
        let mut app = Self { base, client, admin_token: String::new(), db };
        app.admin_token = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        app
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(method, path, token).json(&body).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, body).await
    }

    /// Registers a user and returns their id.
    pub async fn register(&self, email: &str) -> i64 {
        let body = json!({"name": "Test User", "email": email, "password": "password123"});
        let response = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// Registers and logs in a user; returns (id, token).
    pub async fn user(&self, email: &str) -> (i64, String) {
        let id = self.register(email).await;
        (id, self.login(email, "password123").await)
    }

    /// Creates an event as the admin and returns its id.
    pub async fn event(&self, capacity: i64) -> i64 {
        let body =
            json!({"name": "Concert", "venue": "Main Hall", "starts_at": "2027-03-01T19:30:00Z", "capacity": capacity});
        let response = self.post("/api/v1/events", Some(&self.admin_token), body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    pub async fn book(&self, event: i64, token: &str, seats: i64) -> Response {
        self.post(&format!("/api/v1/events/{event}/bookings"), Some(token), json!({"seats": seats})).await
    }

    pub async fn event_json(&self, event: i64) -> Value {
        self.get(&format!("/api/v1/events/{event}"), None).await.json().await.unwrap()
    }
}

/// Asserts a problem document with `status` and `code`; returns it.
pub async fn problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Counts rows with plain SQL.
pub async fn count(database_url: &str, sql: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut conn).await.unwrap().n
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The `line` column of every row `sql` returns, one per line: what a failing test shows.
pub async fn lines(database_url: &str, sql: &str) -> String {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    let rows: Vec<Line> = diesel::sql_query(sql).load(&mut conn).await.unwrap();
    rows.into_iter().map(|row| row.line).collect::<Vec<_>>().join("\n")
}

#[derive(QueryableByName)]
struct Violations {
    #[diesel(sql_type = Text)]
    rule: String,
    #[diesel(sql_type = BigInt)]
    violations: i64,
}

/// Checks the booking rules of the contract on every event, in SQL (`bench/invariants.sql`,
/// the same checks the soak run makes).
pub async fn assert_invariants(database_url: &str) {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    let rules: Vec<Violations> =
        diesel::sql_query(include_str!("../../bench/invariants.sql")).load(&mut conn).await.unwrap();
    assert_eq!(rules.len(), 11, "every rule was checked");
    for Violations { rule, violations } in rules {
        assert_eq!(violations, 0, "violated: {rule}");
    }
}

/// Runs each case against a server on the in-memory store and on PostgreSQL.
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(crate::helpers::TestApp::memory().await).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(crate::helpers::TestApp::postgres().await).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;

/// Runs one SQL statement.
pub async fn execute(database_url: &str, sql: &str) {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

/// Registers and logs in `count` users through `base`, 32 at a time (set-up, not the
/// load under test: a thousand at once would only measure the pool's queue); returns
/// their tokens.
pub async fn tokens(client: &Client, base: &str, prefix: &str, count: usize) -> Vec<String> {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (client, base, slots) = (client.clone(), base.to_owned(), slots.clone());
            let email = format!("{prefix}{i}@example.org");
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                let body = json!({"name": "Fan", "email": email, "password": "password123"});
                let registered = client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await.unwrap();
                assert_eq!(registered.status(), StatusCode::CREATED);
                login(&client, &base, &email, "password123").await
            })
        })
        .collect();
    let mut tokens = Vec::with_capacity(count);
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    tokens
}

/// What a booking attempt answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Booked(i64),
    Refused(String),
    Failed,
}

/// Books one seat of `event` through `base`.
pub async fn try_book(client: &Client, base: &str, event: i64, token: &str) -> Answer {
    try_take(client, base, event, "bookings", token).await
}

/// Books or holds (`resource`: `bookings` or `holds`) one seat of `event` through `base`.
pub async fn try_take(client: &Client, base: &str, event: i64, resource: &str, token: &str) -> Answer {
    let sent = client
        .post(format!("{base}/api/v1/events/{event}/{resource}"))
        .bearer_auth(token)
        .json(&json!({"seats": 1}))
        .send()
        .await;
    let Ok(response) = sent else {
        return Answer::Failed;
    };
    let status = response.status();
    let Ok(body) = response.json::<Value>().await else {
        return Answer::Failed;
    };
    match status {
        StatusCode::CREATED => Answer::Booked(body["id"].as_i64().unwrap()),
        _ => Answer::Refused(body["code"].as_str().unwrap_or("?").to_owned()),
    }
}

/// Fires one booking per token at `event` from `clients` concurrent workers, spreading
/// them over `bases` round-robin, all starting together.
pub async fn stampede(
    client: &Client,
    bases: &[String],
    event: i64,
    tokens: Vec<String>,
    clients: usize,
) -> Vec<Answer> {
    stampede_of("bookings", client, bases, event, tokens, clients).await
}

/// Like [`stampede`], for `resource` (`bookings` or `holds`).
pub async fn stampede_of(
    resource: &'static str,
    client: &Client,
    bases: &[String],
    event: i64,
    tokens: Vec<String>,
    clients: usize,
) -> Vec<Answer> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let mut shares = vec![Vec::new(); clients];
    for (i, token) in tokens.into_iter().enumerate() {
        shares[i % clients].push((bases[i % bases.len()].clone(), token));
    }
    let workers: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let (client, barrier) = (client.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut answers = Vec::new();
                for (base, token) in share {
                    answers.push(try_take(&client, &base, event, resource, &token).await);
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    answers
}

/// A server process of the real binary, killed with SIGKILL on drop.
pub struct Process(pub Child, pub String);

impl Process {
    /// Starts the binary on `database_url` and waits until it answers.
    pub async fn spawn(database_url: &str) -> Self {
        let log = if test_log() { Stdio::inherit() } else { Stdio::null() };
        Self::spawn_with(database_url, &[], log).await
    }

    /// Like [`Self::spawn`], with more environment and the log (stdout) sent to `log`.
    #[expect(clippy::zombie_processes, reason = "Process's Drop kills and waits for the child")]
    pub async fn spawn_with(database_url: &str, env: &[(&str, &str)], log: Stdio) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_evently"))
            .env("EVENTLY_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("EVENTLY_JWT_SECRET", JWT_SECRET)
            .env("EVENTLY_TICKET_SIGNING_KEY", TICKET_SIGNING_KEY)
            .env("EVENTLY_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("EVENTLY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("EVENTLY_ARGON2_MEMORY_KIB", "1024")
            .env("EVENTLY_ARGON2_ITERATIONS", "1")
            .env("EVENTLY_AUTH_RATE_PER_MIN", "0")
            .env(
                "RUST_LOG",
                if test_log() { std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()) } else { "warn".into() },
            )
            .envs(env.iter().copied())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::new();
        for _ in 0..100 {
            if client.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
                return Self(child, base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Logs in through `base`; returns the token.
pub async fn login(client: &Client, base: &str, email: &str, password: &str) -> String {
    let body = json!({"email": email, "password": password});
    let answer: Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap().json().await.unwrap();
    answer["access_token"].as_str().unwrap_or_else(|| panic!("login answered {answer}")).to_owned()
}

/// Logs in as the bootstrap admin through `base`.
pub async fn admin_token(client: &Client, base: &str) -> String {
    login(client, base, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// Creates an event through `base`; returns its id.
pub async fn create_event(client: &Client, base: &str, token: &str, capacity: i64) -> i64 {
    let body = json!({"name": "Hot show", "venue": "Arena", "starts_at": "2027-06-01T20:00:00Z", "capacity": capacity});
    let event: Value = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    event["id"].as_i64().unwrap_or_else(|| panic!("no event was created: {event}"))
}
