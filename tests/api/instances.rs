use std::sync::{Arc, Mutex};
use std::time::Duration;

use evently_test_db::TestDatabase;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, Process, assert_invariants, count, settings, stampede, start, tokens, try_book};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_never_oversell() {
    let db = TestDatabase::create().await;
    let (a, client) = start(settings(Some(db.url()))).await;
    let (b, _) = start(settings(Some(db.url()))).await;
    let token = crate::helpers::admin_token(&client, &a).await;
    let event = crate::helpers::create_event(&client, &b, &token, 50).await;
    let tokens = tokens(&client, &a, "fan", 400).await;
    let answers = stampede(&client, &[a.clone(), b.clone()], event, tokens, 64).await;
    let booked = answers.iter().filter(|x| matches!(x, Answer::Booked(_))).count();
    let sold_out = answers.iter().filter(|x| **x == Answer::Refused("sold_out".into())).count();
    assert_eq!((booked, sold_out), (50, 350));
    assert_eq!(
        count(
            db.url(),
            &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event} AND status = 'confirmed'")
        )
        .await,
        50
    );
    assert_invariants(db.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_mid_load_loses_no_acknowledged_booking() {
    let db = TestDatabase::create().await;
    let mut server = Process::spawn(db.url()).await;
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let token = crate::helpers::admin_token(&client, &server.1).await;
    let event = crate::helpers::create_event(&client, &server.1, &token, 1_000).await;
    let tokens = tokens(&client, &server.1, "fan", 600).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = tokens
        .chunks(600 / 32)
        .map(|share| {
            let (client, base, share, acknowledged) =
                (client.clone(), server.1.clone(), share.to_vec(), acknowledged.clone());
            tokio::spawn(async move {
                for token in share {
                    match try_book(&client, &base, event, &token).await {
                        Answer::Booked(id) => acknowledged.lock().unwrap().push(id),
                        Answer::Refused(code) => panic!("refused before the crash: {code}"),
                        Answer::Failed => break,
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for worker in workers {
        worker.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 150 && acknowledged.len() < 600, "the crash interrupted the load");

    let restarted = Process::spawn(db.url()).await;
    let ids = acknowledged.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let kept =
        count(db.url(), &format!("SELECT count(*) AS n FROM bookings WHERE status = 'confirmed' AND id IN ({ids})"))
            .await;
    assert_eq!(kept, i64::try_from(acknowledged.len()).unwrap(), "every acknowledged booking survived");
    assert_invariants(db.url()).await;
    // The restarted server serves what the first one wrote, to the same tokens.
    let event_now: Value =
        client.get(format!("{}/api/v1/events/{event}", restarted.1)).send().await.unwrap().json().await.unwrap();
    let booked = count(
        db.url(),
        &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event} AND status = 'confirmed'"),
    )
    .await;
    assert_eq!(event_now["booked_seats"].as_i64(), Some(booked));
    let mine =
        client.get(format!("{}/api/v1/users/me/bookings", restarted.1)).bearer_auth(&tokens[0]).send().await.unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_share_one_database_and_redis() {
    let db = TestDatabase::create().await;
    let namespace = cache_namespace(&db);
    let env = [("REDIS_URL", REDIS_URL), ("EVENTLY_CACHE_NAMESPACE", namespace)];
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(Process::spawn_with(db.url(), &env, std::process::Stdio::null()).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.1.clone()).collect();
    stampede_and_churn(&bases, db.url()).await;
}

/// The Redis that instances share.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// A Redis key namespace of `db`'s own (its name), so parallel tests never meet.
pub fn cache_namespace(db: &TestDatabase) -> &str {
    db.url().rsplit('/').next().unwrap()
}

/// Spreads a stampede and a churn load over the instances at `bases`, then checks: no
/// oversell, promotions exactly once, every instance coherent with the database within
/// the near cache's bound after writes made on the others (their caches warmed first; at
/// once with `EVENTLY_CACHE_COHERENCE=strict`), tokens issued by one
/// accepted by all, and the invariants in SQL (`database_url`).
pub async fn stampede_and_churn(bases: &[String], database_url: &str) {
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let admin = crate::helpers::admin_token(&client, &bases[0]).await;

    // A stampede spread over every instance.
    let hot = crate::helpers::create_event(&client, &bases[1 % bases.len()], &admin, 60).await;
    let fans = tokens(&client, &bases[bases.len() - 1], "fan", 480).await;
    let answers = stampede(&client, bases, hot, fans, 64).await;
    let booked = answers.iter().filter(|x| matches!(x, Answer::Booked(_))).count();
    assert_eq!(booked, 60);
    assert_eq!(answers.iter().filter(|x| **x == Answer::Refused("sold_out".into())).count(), 420);

    // Churn: a small event, a queue, cancellations on one instance promoting entries
    // that were queued through another.
    let small = crate::helpers::create_event(&client, &bases[0], &admin, 6).await;
    let crowd = tokens(&client, &bases[1 % bases.len()], "crowd", 24).await;
    let mut held = Vec::new();
    for (i, token) in crowd.iter().enumerate() {
        let base = &bases[i % bases.len()];
        match try_book(&client, base, small, token).await {
            Answer::Booked(id) => held.push((id, token.clone())),
            Answer::Refused(code) => {
                assert_eq!(code, "sold_out");
                let join = client
                    .post(format!("{base}/api/v1/events/{small}/waitlist"))
                    .bearer_auth(token)
                    .json(&json!({"seats": 1 + i % 2}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(join.status(), StatusCode::CREATED);
            }
            Answer::Failed => panic!("request failed"),
        }
    }
    // Every instance caches the full event before the cancellations.
    for base in bases {
        for _ in 0..2 {
            let event = event_seen(&client, base, small).await;
            assert_eq!(event["available_seats"].as_i64(), Some(0), "{base} before the cancellations");
        }
    }
    let cancels: Vec<_> = held
        .iter()
        .enumerate()
        .map(|(i, (id, token))| {
            let (client, base, token, id) = (client.clone(), bases[(i + 1) % bases.len()].clone(), token.clone(), *id);
            tokio::spawn(async move {
                client
                    .post(format!("{base}/api/v1/bookings/{id}/cancel"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for cancel in cancels {
        assert_eq!(cancel.await.unwrap(), StatusCode::OK);
    }
    // Every instance shows the same, current event within the near cache's bound.
    let sql_booked =
        count(database_url, &format!("SELECT booked_seats::bigint AS n FROM events WHERE id = {small}")).await;
    let waiting = format!("SELECT count(*) AS n FROM waitlist_entries WHERE event_id = {small} AND status = 'waiting'");
    let sql_waiting = count(database_url, &waiting).await;
    for base in bases {
        let deadline = std::time::Instant::now() + evently_infra::NEAR_TTL;
        loop {
            let event = event_seen(&client, base, small).await;
            let seen = (event["booked_seats"].as_i64(), event["waitlist_length"].as_i64());
            if seen == (Some(sql_booked), Some(sql_waiting)) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{base} is not coherent within the bound: {seen:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert_eq!(sql_booked, 6, "the queue refilled every freed seat");
    // Promotions happened exactly once each.
    let promoted = count(database_url, "SELECT count(*) AS n FROM waitlist_entries WHERE status = 'promoted'").await;
    let from_waitlist = count(database_url, "SELECT count(*) AS n FROM bookings WHERE source = 'waitlist'").await;
    let distinct =
        count(database_url, "SELECT count(DISTINCT booking_id) AS n FROM waitlist_entries WHERE status = 'promoted'")
            .await;
    assert!(promoted > 0);
    assert_eq!((from_waitlist, distinct), (promoted, promoted));
    let notified =
        count(database_url, "SELECT count(*) AS n FROM notifications WHERE kind = 'waitlist_promoted'").await;
    assert_eq!(notified, promoted);
    assert_invariants(database_url).await;
}

async fn event_seen(client: &Client, base: &str, event: i64) -> Value {
    client.get(format!("{base}/api/v1/events/{event}")).send().await.unwrap().json().await.unwrap()
}

/// Three server processes sweep one set of expired holds while one of them is killed
/// (SIGKILL) as the holds expire: every hold expires once, its holder is told once, and
/// each waiting user is promoted exactly once, within 5 s of the expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_settle_expired_holds_once_through_a_crash() {
    const EVENTS: usize = 20;
    let db = TestDatabase::create().await;
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(Process::spawn(db.url()).await);
    }
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let base = servers[0].1.clone();
    let admin = crate::helpers::admin_token(&client, &base).await;
    let holders = tokens(&client, &base, "holder", EVENTS).await;
    let waiting = tokens(&client, &base, "waiting", EVENTS).await;
    let mut latest_expiry = chrono::DateTime::<chrono::Utc>::MIN_UTC;
    for (holder, waiter) in holders.iter().zip(&waiting) {
        let body = json!({"name": "Quiet", "venue": "Hall", "starts_at": "2027-04-01T19:00:00Z", "capacity": 1,
            "hold_ttl_seconds": 5});
        let event: Value = client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = event["id"].as_i64().unwrap();
        let held: Value = client
            .post(format!("{base}/api/v1/events/{id}/holds"))
            .bearer_auth(holder)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        latest_expiry = latest_expiry.max(held["expires_at"].as_str().unwrap().parse().unwrap());
        let joined =
            client.post(format!("{base}/api/v1/events/{id}/waitlist")).bearer_auth(waiter).json(&json!({})).send();
        assert_eq!(joined.await.unwrap().status(), StatusCode::CREATED);
    }
    // Kill one instance right as the holds run out, while the others sweep.
    let until = (latest_expiry - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until + Duration::from_millis(300)).await;
    servers[1].kill();
    let promoted =
        || count(db.url(), "SELECT count(*) AS n FROM bookings WHERE source = 'waitlist' AND status = 'confirmed'");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while promoted().await < i64::try_from(EVENTS).unwrap() {
        assert!(std::time::Instant::now() < deadline, "not every waiting user was promoted within 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let n = i64::try_from(EVENTS).unwrap();
    assert_eq!(promoted().await, n, "each waiting user promoted once");
    assert_eq!(count(db.url(), "SELECT count(*) AS n FROM holds WHERE status = 'expired'").await, n);
    assert_eq!(count(db.url(), "SELECT count(*) AS n FROM notifications WHERE kind = 'hold_expired'").await, n);
    assert_eq!(count(db.url(), "SELECT count(*) AS n FROM notifications WHERE kind = 'waitlist_promoted'").await, n);
    assert_invariants(db.url()).await;
}
