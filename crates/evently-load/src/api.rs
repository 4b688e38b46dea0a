//! The few calls the scenarios make, each timed.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// What one request answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    /// The problem code of an error answer.
    pub code: Option<String>,
    /// The body as received: parsed only by the scenarios that read it, so that the
    /// load tool spends its cores on sending requests.
    raw: Bytes,
    /// Until the whole body arrived.
    pub latency: Duration,
    /// What the request did, for scenarios that report latency by operation.
    pub operation: Option<&'static str>,
}

impl Outcome {
    /// The outcome of a timed step that is not a request of its own (no body).
    pub fn timed(status: u16, code: Option<String>, latency: Duration) -> Self {
        Self { status, code, raw: Bytes::new(), latency, operation: None }
    }

    /// This outcome, counted under `operation` as well.
    pub fn of(self, operation: &'static str) -> Self {
        Self { operation: Some(operation), ..self }
    }

    pub fn created(&self) -> bool {
        self.status == StatusCode::CREATED.as_u16()
    }

    /// The JSON body (`null` when there is none or it is not JSON).
    pub fn body(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or(Value::Null)
    }
}

/// A server and a connection pool to it.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    client: Client,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build()?;
        Ok(Self { base: base.trim_end_matches('/').to_owned(), client })
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Outcome {
        self.send(self.client.request(method, format!("{}{path}", self.base)), token, body).await
    }

    /// Books `seats` with an `Idempotency-Key`, as a client that may retry does.
    pub async fn book_keyed(&self, event: i64, token: &str, seats: u32, key: &str) -> Outcome {
        let request = self.client.post(format!("{}/api/v1/events/{event}/bookings", self.base));
        self.send(request.header("idempotency-key", key), Some(token), Some(json!({"seats": seats}))).await
    }

    async fn send(&self, mut request: reqwest::RequestBuilder, token: Option<&str>, body: Option<Value>) -> Outcome {
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let started = Instant::now();
        let (status, raw) = match request.send().await {
            Ok(response) => (response.status().as_u16(), response.bytes().await.unwrap_or_default()),
            Err(_) => (0, Bytes::new()),
        };
        let latency = started.elapsed();
        let mut outcome = Outcome { status, code: None, raw, latency, operation: None };
        if status >= 400 || status == 0 {
            let code = outcome.body()["code"].as_str().map(str::to_owned);
            outcome.code = Some(code.unwrap_or_else(|| format!("http_{status}")));
        }
        outcome
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let answer = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password})))
            .await;
        answer.body()["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("login of {email} failed: {} {}", answer.status, answer.body()))
    }

    /// Registers and logs in `count` users, `concurrency` at a time.
    pub async fn users(&self, prefix: &str, count: usize, concurrency: usize) -> anyhow::Result<Vec<String>> {
        let mut tokens = Vec::with_capacity(count);
        for chunk in (0..count).collect::<Vec<_>>().chunks(concurrency.max(1)) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|i| {
                    let api = self.clone();
                    let email = format!("{prefix}-{i}@load.example");
                    tokio::spawn(async move {
                        let body = json!({"name": "Load", "email": email, "password": "load-password"});
                        let registered = api.call(Method::POST, "/api/v1/auth/register", None, Some(body)).await;
                        anyhow::ensure!(
                            registered.created(),
                            "register failed: {} {}",
                            registered.status,
                            registered.body()
                        );
                        api.login(&email, "load-password").await
                    })
                })
                .collect();
            for task in tasks {
                tokens.push(task.await??);
            }
        }
        Ok(tokens)
    }

    pub async fn create_event(&self, admin: &str, name: &str, capacity: u32) -> anyhow::Result<i64> {
        let body = json!({"name": name, "venue": "Load Arena", "starts_at": "2030-01-01T20:00:00Z",
            "capacity": capacity, "max_seats_per_booking": 10});
        let answer = self.call(Method::POST, "/api/v1/events", Some(admin), Some(body)).await;
        answer.body()["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("cannot create an event: {} {}", answer.status, answer.body()))
    }

    pub async fn event(&self, id: i64) -> anyhow::Result<Value> {
        let answer = self.call(Method::GET, &format!("/api/v1/events/{id}"), None, None).await;
        anyhow::ensure!(answer.status == 200, "cannot read event {id}: {}", answer.status);
        Ok(answer.body())
    }

    pub async fn book(&self, event: i64, token: &str, seats: u32) -> Outcome {
        self.call(Method::POST, &format!("/api/v1/events/{event}/bookings"), Some(token), Some(json!({"seats": seats})))
            .await
    }
}
