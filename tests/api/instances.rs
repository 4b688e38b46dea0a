use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evently_infra::postgres::test_db::TestDatabase;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Answer, JWT_SECRET, assert_invariants, count, settings, stampede, start, tokens,
    try_book,
};

async fn admin_token(client: &Client, base: &str) -> String {
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let token: Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap().json().await.unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}

async fn create_event(client: &Client, base: &str, token: &str, capacity: i64) -> i64 {
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
    event["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_never_oversell() {
    let db = TestDatabase::create().await;
    let (a, client) = start(settings(Some(db.url()))).await;
    let (b, _) = start(settings(Some(db.url()))).await;
    let token = admin_token(&client, &a).await;
    let event = create_event(&client, &b, &token, 50).await;
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

/// A server process of the real binary, killed with SIGKILL on drop.
struct Process(Child, String);

impl Process {
    #[expect(clippy::zombie_processes, reason = "Process's Drop kills and waits for the child")]
    async fn spawn(database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_evently"))
            .env("EVENTLY_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("EVENTLY_JWT_SECRET", JWT_SECRET)
            .env("EVENTLY_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("EVENTLY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("EVENTLY_ARGON2_MEMORY_KIB", "1024")
            .env("EVENTLY_ARGON2_ITERATIONS", "1")
            .env("EVENTLY_AUTH_RATE_PER_MIN", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
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

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_mid_load_loses_no_acknowledged_booking() {
    let db = TestDatabase::create().await;
    let mut server = Process::spawn(db.url()).await;
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let token = admin_token(&client, &server.1).await;
    let event = create_event(&client, &server.1, &token, 1_000).await;
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
