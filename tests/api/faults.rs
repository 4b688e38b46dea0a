//! Faults driven from the tests: database connections killed mid-load, pool
//! exhaustion, locks held elsewhere, graceful shutdown, and what reaches the logs.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use evently_test_db::TestDatabase;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Answer, JWT_SECRET, Process, TestApp, assert_invariants, count, execute, problem, settings, tokens,
    try_book,
};

const ADMIN_DB: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn db_name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_killed_mid_load_lose_nothing_acknowledged() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(10_000).await;
    let tokens = tokens(&app.client, &app.base, "fan", 400).await;
    let answers = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = tokens
        .chunks(400 / 32)
        .map(|share| {
            let (client, base, share, answers) =
                (app.client.clone(), app.base.clone(), share.to_vec(), answers.clone());
            tokio::spawn(async move {
                for token in share {
                    let started = Instant::now();
                    let answer = try_book(&client, &base, event, &token).await;
                    answers.lock().unwrap().push((answer, started.elapsed()));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    let name = db_name(&url);
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        execute(ADMIN_DB, &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            .await;
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let booked: Vec<i64> =
        answers.iter().filter_map(|(a, _)| if let Answer::Booked(id) = a { Some(*id) } else { None }).collect();
    let unavailable = answers.iter().filter(|(a, _)| *a == Answer::Refused("unavailable".into())).count();
    assert_eq!(booked.len() + unavailable, answers.len(), "only 201 or 503: {answers:?}");
    assert!(answers.iter().all(|(_, took)| *took < Duration::from_secs(5)), "no request hung");
    eprintln!("killed connections 4 times: {} booked, {unavailable} answered 503", booked.len());
    // Every acknowledged booking is there, once; nothing else broke a rule.
    let ids = booked.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let kept =
        count(&url, &format!("SELECT count(*) AS n FROM bookings WHERE status = 'confirmed' AND id IN ({ids})")).await;
    assert_eq!(kept, i64::try_from(booked.len()).unwrap());
    assert_invariants(&url).await;
    // Healed without a restart.
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::OK);
    let (_, late) = app.user("late@example.org").await;
    assert_eq!(app.book(event, &late, 1).await.status(), StatusCode::CREATED);
}

/// Holds `FOR UPDATE` locks on events from a connection of the test's own.
async fn hold_locks(url: &str, events: &[i64]) -> AsyncPgConnection {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let ids = events.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    conn.batch_execute(&format!("BEGIN; SELECT id FROM events WHERE id IN ({ids}) FOR UPDATE")).await.unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_held_elsewhere_times_out_as_503_and_spares_its_holder() {
    let db = TestDatabase::create().await;
    let url = db.url().to_owned();
    let mut tight = settings(Some(&url));
    tight.db_statement_timeout = Duration::from_millis(500);
    let app = TestApp::with(tight, Some(db)).await;
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    let mut holder = hold_locks(&url, &[event]).await;
    let started = Instant::now();
    problem(app.book(event, &token, 1).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(started.elapsed() < Duration::from_secs(3), "bounded by the lock timeout");
    holder.batch_execute(&format!("UPDATE events SET name = 'Renamed' WHERE id = {event}; COMMIT")).await.unwrap();
    assert_eq!(app.event_json(event).await["booked_seats"], 0);
    assert_eq!(
        count(&url, &format!("SELECT count(*) AS n FROM events WHERE id = {event} AND name = 'Renamed'")).await,
        1
    );
    assert_eq!(app.book(event, &token, 1).await.status(), StatusCode::CREATED);
}

/// Answers that no lock holder could change (a booking already cancelled, a user who is
/// not waiting) are given at once, not after the event's lock is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn final_refusals_do_not_queue_for_the_event_lock() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    let booking = app.book(event, &token, 1).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let cancel = format!("/api/v1/bookings/{booking}/cancel");
    assert_eq!(app.post(&cancel, Some(&token), json!({})).await.status(), StatusCode::OK);
    let mut holder = hold_locks(&url, &[event]).await;
    let started = Instant::now();
    problem(app.post(&cancel, Some(&token), json!({})).await, StatusCode::CONFLICT, "already_cancelled").await;
    let leave = app.request(Method::DELETE, &format!("/api/v1/events/{event}/waitlist/me"), Some(&token)).send();
    problem(leave.await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    assert!(started.elapsed() < Duration::from_secs(2), "answered while the lock is held: {:?}", started.elapsed());
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_invariants(&url).await;
}

/// `evently_http_writes_in_flight` from `/metrics`.
async fn writes_in_flight(app: &TestApp) -> i64 {
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    let line = metrics.lines().find(|l| l.starts_with("evently_http_writes_in_flight ")).unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Writes whose clients hang up while they wait for the event's lock stay counted while
/// the server finishes them, and are counted out when it has: a count left behind would
/// keep the webhook worker deferring deliveries for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_whose_clients_hang_up_are_counted_out_once_finished() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(100).await;
    let tokens = tokens(&app.client, &app.base, "gone", 20).await;
    let mut holder = hold_locks(&url, &[event]).await;
    let impatient = Client::builder().timeout(Duration::from_millis(1_500)).build().unwrap();
    let gone: Vec<_> = tokens
        .iter()
        .map(|token| {
            let request = impatient
                .post(format!("{}/api/v1/events/{event}/bookings", app.base))
                .bearer_auth(token)
                .json(&json!({"seats": 1}));
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(writes_in_flight(&app).await, 20, "the bookings wait for the lock");
    for request in gone {
        assert!(request.await.unwrap().unwrap_err().is_timeout(), "the client hung up first");
    }
    holder.batch_execute("ROLLBACK").await.unwrap();
    let started = Instant::now();
    while writes_in_flight(&app).await > 0 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(writes_in_flight(&app).await, 0, "counted out once the server finished them");
    let booked = count(&url, &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event}")).await;
    assert_eq!(booked, 20, "the writes whose clients hung up were made");
    assert_invariants(&url).await;
}

/// Group commit decides many events in one transaction; an event whose row is locked
/// elsewhere is passed by, so only its own bookings wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_held_elsewhere_holds_up_only_its_own_event() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let locked = app.event(10).await;
    let mut others = Vec::new();
    for _ in 0..12 {
        others.push(app.event(10).await);
    }
    let tokens = tokens(&app.client, &app.base, "fan", 36).await;
    let mut holder = hold_locks(&url, &[locked]).await;
    let book = |event: i64, token: &String| {
        let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
        tokio::spawn(async move { try_book(&client, &base, event, &token).await })
    };
    let stuck: Vec<_> = tokens[..4].iter().map(|token| book(locked, token)).collect();
    let started = Instant::now();
    // Two bookings for every other event, sent while the lock is held.
    let free: Vec<_> = tokens[4..].iter().enumerate().map(|(i, token)| book(others[i % others.len()], token)).collect();
    for booking in free {
        assert!(matches!(booking.await.unwrap(), Answer::Booked(_)));
    }
    assert!(started.elapsed() < Duration::from_secs(3), "answered within the lock timeout: {:?}", started.elapsed());
    assert!(stuck.iter().all(|booking| !booking.is_finished()), "the locked event's bookings wait for its lock");
    holder.batch_execute("COMMIT").await.unwrap();
    for booking in stuck {
        assert!(matches!(booking.await.unwrap(), Answer::Booked(_)));
    }
    assert_eq!(app.event_json(locked).await["booked_seats"], 4);
    assert_invariants(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_exhaustion_queues_briefly_then_503_while_health_answers() {
    let db = TestDatabase::create().await;
    let url = db.url().to_owned();
    let mut small = settings(Some(&url));
    small.db_pool_size = 2;
    small.db_acquire_timeout = Duration::from_millis(300);
    small.db_statement_timeout = Duration::from_secs(3);
    // Set-up goes through an instance with the default pool: a pool of two with a short
    // acquire timeout is what is under test, not a way to register users on a busy machine.
    let setup = TestApp::with(settings(Some(&url)), Some(db)).await;
    let (a, b) = (setup.event(10).await, setup.event(10).await);
    let tokens = tokens(&setup.client, &setup.base, "fan", 40).await;
    let (_, reader) = setup.user("reader@example.org").await;
    let (base, client) = crate::helpers::start(small).await;
    let app = TestApp { base, client, admin_token: setup.admin_token.clone(), db: None };
    let mut holder = hold_locks(&url, &[a, b]).await;
    // Both pooled connections end up waiting on the held rows...
    let bookings: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            let event = if i % 2 == 0 { a } else { b };
            tokio::spawn(async move {
                let started = Instant::now();
                (try_book(&client, &base, event, &token).await, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...so other requests wait at most the acquire timeout, then answer 503.
    let started = Instant::now();
    problem(app.get("/api/v1/users/me/bookings", Some(&reader)).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let health = Instant::now();
    assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
    assert!(health.elapsed() < Duration::from_millis(500), "the server stays responsive");
    for booking in bookings {
        let (answer, took) = booking.await.unwrap();
        assert_eq!(answer, Answer::Refused("unavailable".into()));
        assert!(took < Duration::from_secs(8), "no hang: {took:?}");
    }
    holder.batch_execute("COMMIT").await.unwrap();
    assert_eq!(app.book(a, &tokens[0], 1).await.status(), StatusCode::CREATED);
    assert_invariants(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_requests_and_exits_cleanly() {
    let db = TestDatabase::create().await;
    let mut server = Process::spawn(db.url()).await;
    let client = Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let base = server.1.clone();
    let admin = crate::helpers::admin_token(&client, &base).await;
    let event = crate::helpers::create_event(&client, &base, &admin, 10).await;
    let tokens = tokens(&client, &base, "fan", 2).await;
    let Answer::Booked(before) = try_book(&client, &base, event, &tokens[0]).await else { panic!("booking failed") };

    // A booking stuck behind a lock is in flight when SIGTERM arrives.
    let mut holder = hold_locks(db.url(), &[event]).await;
    let in_flight = {
        let (client, base, token) = (client.clone(), base.clone(), tokens[1].clone());
        tokio::spawn(async move { try_book(&client, &base, event, &token).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.batch_execute("COMMIT").await.unwrap();
    let Answer::Booked(during) = in_flight.await.unwrap() else { panic!("the in-flight booking was not finished") };
    let status = tokio::task::spawn_blocking(move || {
        let status = server.0.wait().unwrap();
        (server, status)
    });
    let (server, status) = tokio::time::timeout(Duration::from_secs(15), status).await.unwrap().unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(client.get(format!("{base}/health")).send().await.is_err(), "no longer accepting");
    drop(server);

    let restarted = Process::spawn(db.url()).await;
    for id in [before, during] {
        let found =
            client.get(format!("{}/api/v1/bookings/{id}", restarted.1)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(found.status(), StatusCode::OK, "booking {id} survived the restart");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secrets_never_reach_the_logs() {
    let db = TestDatabase::create().await;
    let log_path = std::env::temp_dir().join(format!("evently-log-{}.txt", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Process::spawn_with(db.url(), &[("RUST_LOG", "trace")], Stdio::from(log)).await;
    let client = Client::new();
    let base = server.1.clone();
    let password = "correct horse battery";
    let body = json!({"name": "Ada", "email": "ada@example.org", "password": password});
    client.post(format!("{base}/api/v1/auth/register")).json(&body).send().await.unwrap();
    let token = crate::helpers::login(&client, &base, "ada@example.org", password).await;
    client.get(format!("{base}/api/v1/users/me")).bearer_auth(&token).send().await.unwrap();
    let wrong = json!({"email": "ada@example.org", "password": "wrong password!"});
    client.post(format!("{base}/api/v1/auth/login")).json(&wrong).send().await.unwrap();
    server.kill();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_file(&log_path).ok();
    assert!(!logs.is_empty(), "the server logged something");
    for secret in [password, "wrong password!", ADMIN_PASSWORD, JWT_SECRET, token.as_str(), "$argon2"] {
        assert!(!logs.contains(secret), "{secret:?} appeared in the log");
    }
}

/// A request's id reaches the log lines of work moved off the request's task: the booking
/// transaction runs on a task of its own, started by the event's batch worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_lines_carry_the_request_id_into_transactions() {
    let db = TestDatabase::create().await;
    let log_path = std::env::temp_dir().join(format!("evently-request-ids-{}.txt", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [("RUST_LOG", "info,evently_infra=debug"), ("NO_COLOR", "1")];
    let mut server = Process::spawn_with(db.url(), &env, Stdio::from(log)).await;
    let client = Client::new();
    let base = server.1.clone();
    let admin = crate::helpers::admin_token(&client, &base).await;
    let event = crate::helpers::create_event(&client, &base, &admin, 10).await;
    let token = tokens(&client, &base, "traced", 1).await.remove(0);
    let booked = client
        .post(format!("{base}/api/v1/events/{event}/bookings"))
        .bearer_auth(&token)
        .header("x-request-id", "trace-me-42")
        .json(&json!({"seats": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), StatusCode::CREATED);
    assert_eq!(booked.headers()["x-request-id"], "trace-me-42");
    let unnamed = client.get(format!("{base}/health")).header("x-request-id", "not a usable id").send().await.unwrap();
    let fresh = unnamed.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(fresh.len() == 16 && fresh.bytes().all(|b| b.is_ascii_hexdigit()), "{fresh}");
    server.kill();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_file(&log_path).ok();
    let in_transaction = logs.lines().filter(|line| line.contains("seat-taking transaction")).collect::<Vec<_>>();
    assert!(
        in_transaction.iter().any(|line| line.contains("request.id=trace-me-42")),
        "no transaction log line names the request: {in_transaction:#?}"
    );
}
