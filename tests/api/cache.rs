use std::process::{Child, Command, Stdio};
use std::time::Duration;

use evently_test_db::TestDatabase;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use std::time::Instant;

use evently::Coherence;
use evently_infra::NEAR_TTL;

use crate::helpers::{Answer, Process, TestApp, settings, tokens, try_book};

/// A server on a fresh database whose cache is the Redis at `redis_url`, in a namespace
/// of its own.
async fn app_with_redis(redis_url: &str, db: Option<TestDatabase>) -> TestApp {
    let db = match db {
        Some(db) => db,
        None => TestDatabase::create().await,
    };
    let mut settings = settings(Some(db.url()));
    settings.redis_url = Some(redis_url.into());
    settings.cache_namespace = crate::instances::cache_namespace(&db).to_owned();
    TestApp::with(settings, Some(db)).await
}

/// Cache lookups with `outcome` so far, from `/metrics`.
async fn lookups(app: &TestApp, outcome: &str) -> u64 {
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    let prefix = format!("evently_cache_lookups_total{{outcome=\"{outcome}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(0, |n| n.parse().unwrap())
}

async fn booked_seats(app: &TestApp, event: i64) -> u64 {
    app.event_json(event).await["booked_seats"].as_u64().unwrap()
}

async fn listed_booked_seats(app: &TestApp) -> u64 {
    let page: Value = app.get("/api/v1/events", None).await.json().await.unwrap();
    page["items"][0]["booked_seats"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_reads_hit_the_cache_and_writes_invalidate_it() {
    let app = app_with_redis("redis://127.0.0.1:6379", None).await;
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    assert_eq!(booked_seats(&app, event).await, 0);
    // A new listing is loaded twice: first to learn which events it holds.
    for _ in 0..2 {
        assert_eq!(listed_booked_seats(&app).await, 0);
    }
    let hits = lookups(&app, "hit").await;
    assert_eq!(booked_seats(&app, event).await, 0);
    assert_eq!(listed_booked_seats(&app).await, 0);
    // The listing is two hits: which events it holds, then the page.
    assert_eq!(lookups(&app, "hit").await, hits + 3, "both repeats were hits");
    assert_eq!(app.book(event, &token, 3).await.status(), StatusCode::CREATED);
    assert_eq!(booked_seats(&app, event).await, 3, "the booking invalidated the event");
    assert_eq!(listed_booked_seats(&app).await, 3, "and the lists");
}

/// The names of the first page of `path`'s events, with their booked seats.
async fn listed(app: &TestApp, path: &str) -> Vec<(String, u64)> {
    let page: Value = app.get(path, None).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    items.iter().map(|e| (e["name"].as_str().unwrap().to_owned(), e["booked_seats"].as_u64().unwrap())).collect()
}

/// A listing stays cached through writes to events it does not hold, and shows writes to
/// the events it holds, new events and edits at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_go_stale_only_by_their_own_events() {
    let app = app_with_redis("redis://127.0.0.1:6379", None).await;
    let (first, second) = (app.event(10).await, app.event(10).await);
    let (_, token) = app.user("ada@example.org").await;
    let page = "/api/v1/events?limit=1&status=scheduled";
    assert_eq!(listed(&app, page).await, [("Concert".to_owned(), 0)]);
    listed(&app, page).await;
    let misses = lookups(&app, "miss").await;
    assert_eq!(app.book(second, &token, 2).await.status(), StatusCode::CREATED);
    assert_eq!(listed(&app, page).await, [("Concert".to_owned(), 0)]);
    assert_eq!(lookups(&app, "miss").await, misses, "a booking elsewhere left the listing current");
    assert_eq!(app.book(first, &token, 3).await.status(), StatusCode::CREATED);
    assert_eq!(listed(&app, page).await, [("Concert".to_owned(), 3)], "its own event's booking shows at once");
    let rename = json!({"name": "Renamed"});
    let path = format!("/api/v1/events/{first}");
    assert_eq!(app.send(Method::PATCH, &path, Some(&app.admin_token), rename).await.status(), StatusCode::OK);
    assert_eq!(listed(&app, page).await, [("Renamed".to_owned(), 3)]);
    assert_eq!(app.send(Method::DELETE, &path, Some(&app.admin_token), json!({})).await.status(), StatusCode::OK);
    assert_eq!(listed(&app, page).await, [("Concert".to_owned(), 2)], "the cancelled event left the listing");
    let all = "/api/v1/events?limit=5";
    let listed_ids = async || {
        let page: Value = app.get(all, None).await.json().await.unwrap();
        page["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    let before = listed_ids().await;
    let third = app.event(10).await;
    assert_eq!(listed_ids().await, [before, vec![third]].concat(), "a new event shows at once");
}

/// Two servers on one database and one Redis namespace (the third part), in `coherence`
/// mode.
async fn two_instances(coherence: Coherence) -> (TestApp, TestApp, String) {
    let db = TestDatabase::create().await;
    let url = db.url().to_owned();
    let mut first = settings(Some(&url));
    first.redis_url = Some("redis://127.0.0.1:6379".into());
    first.cache_namespace = crate::instances::cache_namespace(&db).to_owned();
    first.cache_coherence = coherence;
    let (second, namespace) = (first.clone(), first.cache_namespace.clone());
    let a = TestApp::with(first, Some(db)).await;
    (a, TestApp::with(second, None).await, namespace)
}

/// Deletes every key of `namespace` from the shared Redis: answers and versions.
fn forget_shared_answers(namespace: &str) {
    let script = format!("redis-cli --scan --pattern '{namespace}:*' | xargs -r redis-cli del");
    let status = Command::new("sh").args(["-c", &script]).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_strict_instances_sharing_redis_stay_coherent_at_once() {
    let (a, b, _) = two_instances(Coherence::Strict).await;
    let event = a.event(10).await;
    for round in 1..=5_u64 {
        let (_, token) = a.user(&format!("fan{round}@example.org")).await;
        // B caches the event and the list; a booking through A shows on B at once.
        assert_eq!(booked_seats(&b, event).await, round - 1);
        assert_eq!(booked_seats(&b, event).await, round - 1);
        assert_eq!(listed_booked_seats(&b).await, round - 1);
        let response = a.book(event, &token, 2).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(booked_seats(&b, event).await, round + 1);
        assert_eq!(listed_booked_seats(&b).await, round + 1);
        // The token A issued works on B, and B's cancellation shows on A at once.
        let id = response.json::<Value>().await.unwrap()["id"].clone();
        let cancel = b.post(&format!("/api/v1/bookings/{id}/cancel"), Some(&token), serde_json::json!({})).await;
        assert_eq!(cancel.status(), StatusCode::OK);
        assert_eq!(booked_seats(&a, event).await, round - 1);
        assert_eq!(listed_booked_seats(&a).await, round - 1);
        assert_eq!(a.book(event, &token, 1).await.status(), StatusCode::CREATED);
    }
    assert!(lookups(&b, "hit").await > 0);
}

/// A seated event's gzipped seats, cached in the shared Redis beside the plain ones, go
/// stale with them on every instance: a seat booked through A shows booked in B's next
/// gzipped answer at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzipped_seats_cached_in_redis_go_stale_on_every_instance() {
    let (a, b, _) = two_instances(Coherence::Strict).await;
    let body = json!({"name": "Recital", "venue": "Hall", "starts_at": "2027-06-01T19:30:00Z",
        "seating": {"sections": [{"name": "Stalls", "rows": [{"label": "A", "seats": 50}]}]}});
    let created = a.post("/api/v1/events", Some(&a.admin_token), body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let event = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let path = format!("/api/v1/events/{event}/seats");
    let gzipped_seat = |app: &TestApp, number: usize| {
        let request = app.request(Method::GET, &path, None).header("accept-encoding", "gzip");
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.headers()["content-encoding"], "gzip");
            let seats: Value =
                serde_json::from_slice(&crate::seating::unzip(&response.bytes().await.unwrap())).unwrap();
            seats["sections"][0]["rows"][0]["seats"][number - 1]["status"].as_str().unwrap().to_owned()
        }
    };
    for number in 1..=5 {
        assert_eq!(gzipped_seat(&b, number).await, "available");
        assert_eq!(gzipped_seat(&b, number).await, "available");
        let (_, token) = a.user(&format!("fan{number}@example.org")).await;
        let label = format!("Stalls:A:{number}");
        let bookings = format!("/api/v1/events/{event}/bookings");
        let booked = a.post(&bookings, Some(&token), json!({"seat_labels": [label]})).await;
        assert_eq!(booked.status(), StatusCode::CREATED);
        assert_eq!(gzipped_seat(&b, number).await, "booked", "seat {number} on B");
        assert_eq!(gzipped_seat(&a, number).await, "booked", "seat {number} on A");
    }
    assert!(lookups(&b, "hit").await > 0, "B's gzipped answers came from the cache");
}

/// Near caches: repeated reads are answered in process (Redis is not asked), and a
/// write through one instance shows on the other within [`NEAR_TTL`] — in practice
/// within the announcement's delivery, which this measures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_near_instances_see_each_others_writes_within_the_bound() {
    let (a, b, namespace) = two_instances(Coherence::Near).await;
    let event = a.event(100).await;
    // Until its listener has subscribed an instance reads through to Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut lags = Vec::new();
    for round in 1..=10_u64 {
        let (_, token) = a.user(&format!("fan{round}@example.org")).await;
        assert_eq!(booked_seats(&b, event).await, round - 1);
        assert_eq!(listed_booked_seats(&b).await, round - 1);
        let booked = a.book(event, &token, 1).await;
        assert_eq!(booked.status(), StatusCode::CREATED);
        // The writer's own instance reads its write at once.
        assert_eq!(booked_seats(&a, event).await, round);
        let after = Instant::now();
        while booked_seats(&b, event).await != round || listed_booked_seats(&b).await != round {
            assert!(after.elapsed() < NEAR_TTL, "round {round}: B still stale after {:?}", after.elapsed());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(after.elapsed());
    }
    // Repeated reads are answered in process: with Redis's copies gone they still hit.
    // B's copies are made afresh first (those the loop made may be near the end of
    // their time in process on a busy machine).
    tokio::time::sleep(NEAR_TTL).await;
    assert_eq!(booked_seats(&b, event).await, 10);
    assert_eq!(listed_booked_seats(&b).await, 10);
    forget_shared_answers(&namespace);
    let hits = lookups(&b, "hit").await;
    assert_eq!(booked_seats(&b, event).await, 10);
    assert_eq!(listed_booked_seats(&b).await, 10);
    // The listing is two lookups: which events it holds, then the page.
    assert_eq!(lookups(&b, "hit").await, hits + 3, "both reads were answered in process");
    lags.sort();
    eprintln!("near cache: a write through A showed on B after {:?} (median) / {:?} (max)", lags[5], lags[9]);
    // Without the announcements B would wait for its copies to lapse (half of NEAR_TTL
    // on average).
    assert!(lags[5] < NEAR_TTL / 10, "B learns of writes from the announcements: {lags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_costs_only_the_cache() {
    let app = app_with_redis("redis://127.0.0.1:1", None).await;
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    assert_eq!(app.book(event, &token, 2).await.status(), StatusCode::CREATED);
    assert_eq!(booked_seats(&app, event).await, 2);
    assert_eq!(listed_booked_seats(&app).await, 2);
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        (ready["status"].as_str(), ready["store"].as_str(), ready["redis"].as_str()),
        (Some("degraded"), Some("ok"), Some("unavailable"))
    );
    assert!(lookups(&app, "error").await >= 2);
}

/// A private Redis on a free port, stopped on drop.
struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let redis = Self { child, port };
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopping_and_coming_back_mid_test() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut redis = PrivateRedis::start(port);
    let app = app_with_redis(&format!("redis://127.0.0.1:{}", redis.port), None).await;
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    booked_seats(&app, event).await;
    let hits = lookups(&app, "hit").await;
    booked_seats(&app, event).await;
    assert_eq!(lookups(&app, "hit").await, hits + 1);

    redis.stop();
    assert_eq!(app.book(event, &token, 2).await.status(), StatusCode::CREATED);
    assert_eq!(booked_seats(&app, event).await, 2, "served from PostgreSQL while Redis is down");
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::SERVICE_UNAVAILABLE);

    let _back = PrivateRedis::start(port);
    tokio::time::sleep(Duration::from_millis(1_200)).await; // past the back-off
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::OK);
    assert_eq!(booked_seats(&app, event).await, 2);
    let hits = lookups(&app, "hit").await;
    assert_eq!(booked_seats(&app, event).await, 2);
    assert_eq!(lookups(&app, "hit").await, hits + 1, "caching resumed by itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_redis_is_logged_once_and_stalls_no_request() {
    // A "Redis" that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redis_url = format!("redis://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let db = TestDatabase::create().await;
    let log_path = std::env::temp_dir().join(format!("evently-silent-redis-{}.txt", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [("REDIS_URL", redis_url.as_str()), ("RUST_LOG", "warn")];
    let mut server = Process::spawn_with(db.url(), &env, Stdio::from(log)).await;
    let base = server.1.clone();
    // Each request gets the client's usual patience, no more: a stalled cache would fail it.
    let client = Client::builder().timeout(Duration::from_secs(3)).build().unwrap();
    let admin = crate::helpers::admin_token(&client, &base).await;
    let event = crate::helpers::create_event(&client, &base, &admin, 10).await;
    let fans = tokens(&client, &base, "fan", 3).await;
    for (round, token) in fans.iter().enumerate() {
        assert!(matches!(try_book(&client, &base, event, token).await, Answer::Booked(_)));
        for _ in 0..10 {
            let seen: Value =
                client.get(format!("{base}/api/v1/events/{event}")).send().await.unwrap().json().await.unwrap();
            assert_eq!(seen["booked_seats"].as_u64(), Some(round as u64 + 1));
            let list = client.get(format!("{base}/api/v1/events")).send().await.unwrap();
            assert_eq!(list.status(), StatusCode::OK);
        }
        tokio::time::sleep(Duration::from_millis(1_100)).await; // past the back-off: Redis is tried again
    }
    server.kill();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_file(&log_path).ok();
    assert_eq!(logs.matches("redis is unavailable").count(), 1, "logged once per outage:\n{logs}");
}
