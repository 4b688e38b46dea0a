use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Process, TestApp, admin_token, count, create_event, execute, lines, problem, settings};

/// A message as the receiver got it.
#[derive(Debug, Clone)]
pub struct Got {
    pub id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A real HTTP receiver on loopback: answers `status` (0: never answers), records
/// every request.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Got>>>,
    status: Arc<AtomicU16>,
    /// Milliseconds to wait before answering.
    delay: Arc<AtomicU64>,
}

impl Receiver {
    pub async fn start(status: u16) -> Self {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(status));
        let delay = Arc::new(AtomicU64::new(0));
        let (record, answer, wait) = (got.clone(), status.clone(), delay.clone());
        let server = HttpServer::new(move || {
            let (record, answer, wait) = (record.clone(), answer.clone(), wait.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (record, answer, wait) = (record.clone(), answer.clone(), wait.clone());
                async move {
                    let header = |name: &str| {
                        req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
                    };
                    record.lock().unwrap().push(Got {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                    });
                    tokio::time::sleep(Duration::from_millis(wait.load(Ordering::SeqCst))).await;
                    match answer.load(Ordering::SeqCst) {
                        0 => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            HttpResponse::Ok().finish()
                        }
                        code => HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish(),
                    }
                }
            }))
        })
        .workers(2)
        .max_connection_rate(1024)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self { url: format!("http://127.0.0.1:{port}/hook"), got, status, delay }
    }

    pub fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most `within`).
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Got> {
        let started = Instant::now();
        while self.got().len() < n && started.elapsed() < within {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.got()
    }
}

/// Registers an endpoint for `types`; (id, secret).
async fn register(app: &TestApp, url: &str, types: &[&str]) -> (i64, String) {
    let body = json!({"url": url, "event_types": types, "description": "test receiver"});
    let response = app.post("/api/v1/admin/webhooks", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let endpoint: Value = response.json().await.unwrap();
    (endpoint["id"].as_i64().unwrap(), endpoint["secret"].as_str().unwrap().to_owned())
}

/// Verifies a `webhook-signature` by the specification: HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed with the base64-decoded part of the secret after
/// `whsec_`, base64, after `v1,`; any of the space-separated signatures may match.
fn signed_by(got: &Got, secret: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", got.id, got.timestamp).as_bytes());
    mac.update(&got.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

async fn deliveries(app: &TestApp, endpoint: i64) -> Vec<Value> {
    let path = format!("/api/v1/admin/webhooks/{endpoint}/deliveries?limit=100");
    let page: Value = app.get(&path, Some(&app.admin_token)).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Waits until the endpoint's newest delivery has `status`.
async fn settled(app: &TestApp, endpoint: i64, status: &str, within: Duration) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let all = deliveries(app, endpoint).await;
        if all.first().is_some_and(|d| d["status"] == status) || started.elapsed() > within {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server that may post to loopback, retrying after 300 ms twice.
async fn app(db: bool) -> TestApp {
    let database = if db { Some(evently_test_db::TestDatabase::create().await) } else { None };
    let mut settings = settings(database.as_ref().map(|d| d.url()));
    settings.webhook_allow_private = true;
    settings.webhook_retry_schedule = "300ms,300ms".parse().unwrap();
    TestApp::with(settings, database).await
}

macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::app(false).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::app(true).await).await;
                }
            )*
        }
    };
}

on_both!(
    messages_are_signed_by_the_specification,
    failures_are_retried_with_one_id_until_dead,
    a_410_disables_the_endpoint,
    a_rotation_signs_with_both_secrets,
    a_hanging_receiver_does_not_stall_another,
    endpoints_are_managed_and_bad_input_refused,
);

async fn messages_are_signed_by_the_specification(app: TestApp) {
    let receiver = Receiver::start(200).await;
    let (endpoint, secret) = register(&app, &receiver.url, &["booking.confirmed", "ticket.checked_in"]).await;
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() == 32);
    let event = app.event(10).await;
    let (user, token) = app.user("guest@example.org").await;
    let booking: Value = app.book(event, &token, 2).await.json().await.unwrap();
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "one message: {got:?}");
    let message = &got[0];
    assert!(signed_by(message, &secret), "signature {:?}", message.signature);
    assert!(message.id.starts_with("msg_"));
    let sent_at: i64 = message.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 30);
    let body = message.json();
    assert_eq!(body["type"], "booking.confirmed");
    assert!(body["timestamp"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().is_ok());
    assert_eq!(
        (&body["data"]["id"], &body["data"]["user_id"], &body["data"]["seats"]),
        (&booking["id"], &json!(user), &json!(2))
    );
    assert_eq!(body["data"]["status"], "confirmed");
    // A changed byte breaks the signature.
    let mut forged = message.clone();
    forged.body[2] ^= 1;
    assert!(!signed_by(&forged, &secret));
    let logged = settled(&app, endpoint, "succeeded", Duration::from_secs(5)).await;
    assert_eq!((&logged[0]["attempts"], &logged[0]["last_status_code"]), (&json!(1), &json!(200)));
    assert_eq!(logged[0]["message_id"], json!(message.id));
    // Cancelling is not subscribed: no message.
    let cancel = app.post(&format!("/api/v1/bookings/{}/cancel", booking["id"]), Some(&token), json!({})).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.got().len(), 1);
}

async fn failures_are_retried_with_one_id_until_dead(app: TestApp) {
    let receiver = Receiver::start(500).await;
    let (endpoint, secret) = register(&app, &receiver.url, &["event.updated"]).await;
    let event = app.event(10).await;
    let patched = app
        .send(Method::PATCH, &format!("/api/v1/events/{event}"), Some(&app.admin_token), json!({"name": "Renamed"}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "one attempt and two retries");
    assert!(got.iter().all(|g| g.id == got[0].id && signed_by(g, &secret)));
    assert_eq!(got[0].json()["data"]["name"], "Renamed");
    let logged = settled(&app, endpoint, "dead", Duration::from_secs(5)).await;
    assert_eq!(
        (&logged[0]["status"], &logged[0]["attempts"], &logged[0]["last_status_code"]),
        (&json!("dead"), &json!(3), &json!(500))
    );
    assert_eq!(logged[0]["next_attempt_at"], Value::Null);
    // Redelivery by hand, to a receiver that has recovered.
    receiver.status.store(204, Ordering::SeqCst);
    let retry = format!("/api/v1/admin/webhooks/{endpoint}/deliveries/{}/retry", logged[0]["id"]);
    assert_eq!(app.post(&retry, Some(&app.admin_token), json!({})).await.status(), StatusCode::ACCEPTED);
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(got[3].id, got[0].id);
    let logged = settled(&app, endpoint, "succeeded", Duration::from_secs(5)).await;
    assert_eq!((&logged[0]["attempts"], &logged[0]["last_status_code"]), (&json!(4), &json!(204)));
}

async fn rename(app: &TestApp, event: i64, name: &str) -> StatusCode {
    let path = format!("/api/v1/events/{event}");
    app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"name": name})).await.status()
}

async fn a_410_disables_the_endpoint(app: TestApp) {
    let receiver = Receiver::start(410).await;
    let (endpoint, _) = register(&app, &receiver.url, &["event.updated"]).await;
    let event = app.event(10).await;
    assert_eq!(rename(&app, event, "First").await, StatusCode::OK);
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let logged = settled(&app, endpoint, "dead", Duration::from_secs(5)).await;
    assert_eq!((&logged[0]["attempts"], &logged[0]["last_status_code"]), (&json!(1), &json!(410)));
    let shown: Value =
        app.get(&format!("/api/v1/admin/webhooks/{endpoint}"), Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!(shown["enabled"], false);
    assert_eq!(rename(&app, event, "Second").await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        (receiver.got().len(), deliveries(&app, endpoint).await.len()),
        (1, 1),
        "no message for a disabled endpoint"
    );
}

async fn a_rotation_signs_with_both_secrets(app: TestApp) {
    let receiver = Receiver::start(200).await;
    let (endpoint, old) = register(&app, &receiver.url, &["event.updated"]).await;
    let rotated =
        app.post(&format!("/api/v1/admin/webhooks/{endpoint}/rotate-secret"), Some(&app.admin_token), json!({})).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let new = rotated.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let shown: Value =
        app.get(&format!("/api/v1/admin/webhooks/{endpoint}"), Some(&app.admin_token)).await.json().await.unwrap();
    assert!(shown.get("secret").is_none(), "the secret shows only on creation and rotation");
    let event = app.event(10).await;
    app.send(Method::PATCH, &format!("/api/v1/events/{event}"), Some(&app.admin_token), json!({"venue": "Elsewhere"}))
        .await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].signature.split(' ').count(), 2);
    assert!(signed_by(&got[0], &new) && signed_by(&got[0], &old));
}

async fn a_hanging_receiver_does_not_stall_another(app: TestApp) {
    let hanging = Receiver::start(0).await;
    let healthy = Receiver::start(200).await;
    register(&app, &hanging.url, &["event.updated"]).await;
    register(&app, &healthy.url, &["event.updated"]).await;
    let event = app.event(10).await;
    let started = Instant::now();
    for n in 0..20 {
        let body = json!({"description": format!("version {n}")});
        app.send(Method::PATCH, &format!("/api/v1/events/{event}"), Some(&app.admin_token), body).await;
    }
    let got = healthy.wait_for(20, Duration::from_secs(8)).await;
    assert_eq!(got.len(), 20, "the healthy endpoint got every message while the other hung");
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(!hanging.got().is_empty());
}

async fn endpoints_are_managed_and_bad_input_refused(app: TestApp) {
    let receiver = Receiver::start(200).await;
    let (endpoint, _) = register(&app, &receiver.url, &["booking.confirmed"]).await;
    let path = format!("/api/v1/admin/webhooks/{endpoint}");
    let patch =
        json!({"event_types": ["hold.expired", "waitlist.promoted"], "description": "changed", "enabled": false});
    let patched: Value = app.send(Method::PATCH, &path, Some(&app.admin_token), patch).await.json().await.unwrap();
    assert_eq!(
        (&patched["event_types"], &patched["enabled"]),
        (&json!(["hold.expired", "waitlist.promoted"]), &json!(false))
    );
    let listed: Value = app.get("/api/v1/admin/webhooks", Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    let (_, user) = app.user("user@example.org").await;
    problem(app.get("/api/v1/admin/webhooks", Some(&user)).await, StatusCode::FORBIDDEN, "forbidden").await;
    let create = |body: Value| app.post("/api/v1/admin/webhooks", Some(&app.admin_token), body);
    for url in ["ftp://example.org/hook", "not a url", "http://", "http://user:pw@example.org/"] {
        let refused = create(json!({"url": url, "event_types": ["booking.confirmed"]})).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "webhook_url_refused").await;
    }
    for types in [json!([]), json!(["booking.made"]), json!(["hold.expired", "hold.expired"])] {
        let refused = create(json!({"url": receiver.url, "event_types": types})).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    problem(create(json!({"url": 5})).await, StatusCode::BAD_REQUEST, "bad_request").await;
    problem(app.get("/api/v1/admin/webhooks/999", Some(&app.admin_token)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    let deleted = app.request(Method::DELETE, &path, Some(&app.admin_token)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path, Some(&app.admin_token)).await, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_destinations_are_refused_by_default() {
    let app = TestApp::memory().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
    ] {
        let body = json!({"url": url, "event_types": ["booking.confirmed"]});
        let refused = app.post("/api/v1/admin/webhooks", Some(&app.admin_token), body).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "webhook_url_refused").await;
    }
}

const ALLOW_PRIVATE: (&str, &str) = ("EVENTLY_WEBHOOK_ALLOW_PRIVATE", "true");

/// Registers an endpoint through `base`; its id.
async fn register_at(http: &reqwest::Client, base: &str, token: &str, url: &str) -> i64 {
    let body = json!({"url": url, "event_types": ["event.updated"]});
    let response =
        http.post(format!("{base}/api/v1/admin/webhooks")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Makes `n` event.updated messages by editing `event` through the instances in turn,
/// `at_once` edits in flight.
async fn edits(http: &reqwest::Client, bases: &[String], token: &str, event: i64, n: usize, at_once: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(at_once) {
        let sent: Vec<_> = chunk
            .iter()
            .map(|i| {
                let request = http
                    .patch(format!("{}/api/v1/events/{event}", bases[i % bases.len()]))
                    .bearer_auth(token)
                    .json(&json!({"description": format!("edit {i}")}));
                tokio::spawn(async move { request.send().await.unwrap().status() })
            })
            .collect();
        for status in sent {
            assert_eq!(status.await.unwrap(), StatusCode::OK);
        }
    }
}

/// How many times each message id arrived.
fn arrivals(got: &[Got]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for message in got {
        *seen.entry(message.id.clone()).or_default() += 1;
    }
    seen
}

const MADE: &str = "SELECT count(*) AS n FROM webhook_deliveries";
/// Deliveries not delivered by their first attempt, with their attempts.
const UNSETTLED: &str = "SELECT format('delivery %s: %s after %s attempts, due in %s; %s', d.id, d.status, d.attempts, \
    d.due_at - now(), (SELECT string_agg(format('%s %s %s ms', a.attempted_at, coalesce(a.status_code::text, a.error), \
    a.duration_ms), ', ' ORDER BY a.id) FROM webhook_attempts a WHERE a.delivery_id = d.id)) AS line \
    FROM webhook_deliveries d WHERE d.status <> 'succeeded' OR d.attempts <> 1 ORDER BY d.id";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_deliver_a_thousand_messages_each_once() {
    let db = evently_test_db::TestDatabase::create().await;
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(Process::spawn_with(db.url(), &[ALLOW_PRIVATE], Stdio::null()).await);
    }
    let bases: Vec<String> = instances.iter().map(|p| p.1.clone()).collect();
    let http = reqwest::Client::new();
    let token = admin_token(&http, &bases[0]).await;
    let receiver = Receiver::start(200).await;
    register_at(&http, &bases[1], &token, &receiver.url).await;
    let event = create_event(&http, &bases[2], &token, 10).await;
    edits(&http, &bases, &token, event, 1_000, 16).await;
    let got = receiver.wait_for(1_000, Duration::from_secs(60)).await;
    let seen = arrivals(&got);
    let (made, unsettled) = (count(db.url(), MADE).await, lines(db.url(), UNSETTLED).await);
    assert_eq!((got.len(), seen.len()), (1_000, 1_000), "every message arrived ({made} deliveries made):\n{unsettled}");
    // Attempts are recorded after they are made: wait for the last ones.
    let delivered = "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded' AND attempts = 1";
    let started = Instant::now();
    while count(db.url(), delivered).await < 1_000 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unsettled = lines(db.url(), UNSETTLED).await;
    assert_eq!(count(db.url(), delivered).await, 1_000, "each delivered by its first attempt:\n{unsettled}");
    assert!(arrivals(&receiver.got()).values().all(|n| *n == 1), "a healthy receiver gets each message once");
}

/// A crowd of writes on one instance: its worker defers the messages (fan-out and
/// claims alike) while the crowd lasts, then delivers each once, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crowds_messages_wait_for_it_to_pass_and_arrive_once() {
    let db = evently_test_db::TestDatabase::create().await;
    let instance = Process::spawn_with(db.url(), &[ALLOW_PRIVATE], Stdio::null()).await;
    let http = reqwest::Client::new();
    let token = admin_token(&http, &instance.1).await;
    let receiver = Receiver::start(200).await;
    register_at(&http, &instance.1, &token, &receiver.url).await;
    let event = create_event(&http, &instance.1, &token, 10).await;
    edits(&http, std::slice::from_ref(&instance.1), &token, event, 640, 64).await;
    let during = receiver.got().len();
    assert!(during < 320, "{during} of 640 messages were delivered while 64 writes at a time were in flight");
    let got = receiver.wait_for(640, Duration::from_secs(60)).await;
    let (made, unsettled) = (count(db.url(), MADE).await, lines(db.url(), UNSETTLED).await);
    assert_eq!(arrivals(&got).len(), 640, "every message arrived ({made} deliveries made):\n{unsettled}");
    assert!(arrivals(&got).values().all(|n| *n == 1), "a healthy receiver gets each message once");
}

/// An edit whose transaction began before the last edit committed may read a clock behind
/// that edit's: its `updated_at` still moves forward, and it is still announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_behind_the_last_one_moves_forward_and_is_announced() {
    let app = app(true).await;
    let event = app.event(10).await;
    let ahead = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let url = app.db.as_ref().unwrap().url().to_owned();
    execute(&url, &format!("UPDATE events SET updated_at = '{}' WHERE id = {event}", ahead.to_rfc3339())).await;
    let receiver = Receiver::start(200).await;
    register(&app, &receiver.url, &["event.updated"]).await;
    let mut last = ahead;
    for name in ["First", "Second"] {
        let path = format!("/api/v1/events/{event}");
        let patched = app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"name": name})).await;
        let updated_at: chrono::DateTime<chrono::Utc> =
            patched.json::<Value>().await.unwrap()["updated_at"].as_str().unwrap().parse().unwrap();
        assert!(updated_at > last, "{updated_at} after {last}");
        last = updated_at;
    }
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(arrivals(&got).len(), 2, "one message per edit: {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigkill_mid_delivery_loses_no_message() {
    let db = evently_test_db::TestDatabase::create().await;
    let mut first = Process::spawn_with(db.url(), &[ALLOW_PRIVATE], Stdio::null()).await;
    let http = reqwest::Client::new();
    let token = admin_token(&http, &first.1).await;
    let receiver = Receiver::start(200).await;
    receiver.delay.store(3_000, Ordering::SeqCst);
    register_at(&http, &first.1, &token, &receiver.url).await;
    let event = create_event(&http, &first.1, &token, 10).await;
    edits(&http, std::slice::from_ref(&first.1), &token, event, 20, 16).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    // Attempts are in flight: the instance dies before it can record them.
    first.kill();
    receiver.delay.store(0, Ordering::SeqCst);
    let second = Process::spawn_with(db.url(), &[ALLOW_PRIVATE], Stdio::null()).await;
    let done = "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'";
    let started = Instant::now();
    while count(db.url(), done).await < 20 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(count(db.url(), done).await, 20, "every message delivered after the crash");
    assert_eq!(arrivals(&receiver.got()).len(), 20);
    assert!(receiver.got().len() > 20, "the attempts the crash cut short were made again");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_is_checked_again_at_delivery() {
    let db = evently_test_db::TestDatabase::create().await;
    let url = db.url().to_owned();
    let receiver = Receiver::start(200).await;
    // Registered by an instance that allowed private destinations...
    let mut lenient = Process::spawn_with(&url, &[ALLOW_PRIVATE], Stdio::null()).await;
    let http = reqwest::Client::new();
    let token = admin_token(&http, &lenient.1).await;
    let endpoint = register_at(&http, &lenient.1, &token, &receiver.url).await;
    lenient.kill();
    // ...delivered by one that does not: refused, dead at once, nothing sent.
    let strict = TestApp::with(settings(Some(&url)), Some(db)).await;
    let event = strict.event(10).await;
    assert_eq!(rename(&strict, event, "Renamed").await, StatusCode::OK);
    let logged = settled(&strict, endpoint, "dead", Duration::from_secs(10)).await;
    assert_eq!(
        (&logged[0]["status"], &logged[0]["attempts"], &logged[0]["last_status_code"]),
        (&json!("dead"), &json!(1), &Value::Null)
    );
    assert!(receiver.got().is_empty());
}
