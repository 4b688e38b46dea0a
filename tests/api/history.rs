//! A Jepsen/Elle-style history check. Concurrent clients book, cancel, join and leave
//! waitlists on two server processes of one database while database connections are
//! terminated and processes SIGKILLed; every request is recorded with its outcome, and
//! the whole history is then checked against the contract and the final state.
//!
//! `record` holds the history, `checker` the rules it is held to (a pure function of the
//! history, the fault windows and the final state, whose own tests plant anomalies).
//! `EVENTLY_HISTORY_SECS` sets the run's length (20 s by default; `bench/history.sh`
//! runs 600), `EVENTLY_HISTORY_SEED` replays a run's random choices.

mod checker;
mod client;
mod faults;
mod record;
mod report;
mod requests;
mod rng;
mod state;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::{Duration, Instant};

use evently_test_db::TestDatabase;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{admin_token, assert_invariants, count, tokens};
use client::World;
use faults::Servers;
use requests::Sale;
use rng::Rng;
use state::FinalState;

const CLIENTS: usize = 24;
const USERS: usize = 60;
const EVENTS: usize = 6;
/// The event sold through an on-sale queue.
const QUEUED: usize = 4;
/// Seconds a hold lasts on the events whose holds lapse during the run (the least
/// allowed).
const SHORT_HOLD_TTL: u32 = 5;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|raw| raw.parse().unwrap_or_else(|_| panic!("{name}={raw} is not a number")))
}

async fn user_id(http: &Client, base: &str, token: &str) -> i64 {
    let me: Value =
        http.get(format!("{base}/api/v1/users/me")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    me["id"].as_i64().unwrap()
}

/// Waits until no request sent before now can still be running on the servers (then
/// they are stopped, so every backend flushes its statistics).
async fn settle(database_url: &str) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let busy = "SELECT count(*) AS n FROM pg_stat_activity \
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'";
    for _ in 0..40 {
        if count(database_url, busy).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_faulty_run_keeps_every_promise() {
    let secs = env_u64("EVENTLY_HISTORY_SECS").unwrap_or(20);
    assert!(secs <= 3_000, "tokens last an hour: EVENTLY_HISTORY_SECS must stay below 3000");
    let seed = env_u64("EVENTLY_HISTORY_SEED")
        .unwrap_or_else(|| u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(1));
    eprintln!("history: {secs} s, seed {seed} (EVENTLY_HISTORY_SEED={seed} replays the choices)");
    let db = TestDatabase::create().await;
    let servers = Servers::start(db.url()).await;
    let bases = servers.bases();
    let setup = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let admin = admin_token(&setup, &bases[0]).await;
    let admin = (user_id(&setup, &bases[0], &admin).await, admin);
    let mut users = Vec::new();
    for token in tokens(&setup, &bases[1], "history", USERS).await {
        users.push((user_id(&setup, &bases[0], &token).await, token));
    }
    let mut rng = Rng::new(seed, u64::MAX - 1);
    let mut history = Vec::new();
    // Every other event sells numbered seats; one sells through an on-sale queue.
    let mut seated = HashMap::new();
    for i in 0..EVENTS {
        let capacity = rng.range(3, 12);
        let sale = match i {
            _ if i % 2 == 1 => Sale::Seated,
            QUEUED => Sale::Queued,
            _ => Sale::Open,
        };
        // Holds on two events (one open, one seated) lapse within the run, so that
        // expiries race cancellations, releases and promotions from the waitlists.
        let hold_ttl = if i == 0 || i == 3 { SHORT_HOLD_TTL } else { 600 };
        let created = requests::create_event(&setup, &bases[0], &admin, capacity, sale, hold_ttl).await;
        match sale {
            Sale::Seated => {
                seated.insert(created.event, requests::seat_labels(capacity));
            }
            Sale::Queued | Sale::Open => {}
        }
        history.push(created);
    }
    let events: Vec<i64> = history.iter().map(|c| c.event).collect();
    // Every kind of change goes out as a webhook to a receiver in this process.
    let receiver = crate::webhooks::Receiver::start(200).await;
    let endpoint = json!({"url": receiver.url, "event_types": ["booking.confirmed", "booking.cancelled",
        "waitlist.promoted", "hold.expired", "event.updated", "event.cancelled", "ticket.checked_in"]});
    let registered = setup.post(format!("{}/api/v1/admin/webhooks", bases[0])).bearer_auth(&admin.1).json(&endpoint);
    assert_eq!(registered.send().await.unwrap().status(), reqwest::StatusCode::CREATED);

    let started = Instant::now();
    let world = Arc::new(World {
        http: Client::builder().timeout(Duration::from_secs(2)).build().unwrap(),
        live: servers.live.clone(),
        users,
        admin,
        doomed: events[EVENTS - 1],
        events,
        seated,
        started,
        deadline: started + Duration::from_secs(secs),
        known: Default::default(),
        requests: AtomicUsize::new(1),
        doomed_asked: AtomicBool::new(false),
    });
    let faults = tokio::spawn(faults::inject(servers, db.url().to_owned(), world.deadline, seed));
    let clients: Vec<_> = (0..CLIENTS).map(|i| tokio::spawn(client::run(world.clone(), i, seed))).collect();
    for client in clients {
        history.extend(client.await.unwrap());
    }
    let (servers, windows) = faults.await.unwrap();
    settle(db.url()).await;
    let open = "SELECT (SELECT count(*) FROM webhook_deliveries WHERE due_at IS NOT NULL) \
                + (SELECT count(*) FROM webhook_fan_outs) AS n";
    for _ in 0..150 {
        if count(db.url(), open).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(servers);
    tokio::time::sleep(Duration::from_millis(500)).await;
    history.sort_by_key(|c| (c.start, c.end));

    let mut state = FinalState::read(db.url()).await;
    state.received = receiver.got().into_iter().map(|got| got.id).collect();
    let anomalies = checker::check(&history, &windows, &state);
    eprintln!("history: run, settle and check took {:.1} s", started.elapsed().as_secs_f64());
    eprintln!("{}", report::summary(seed, secs, &history, &windows, &state, anomalies.len()));
    if !anomalies.is_empty() {
        eprintln!("{}", report::anomalies(&history, &windows, &state, &anomalies));
        panic!("{} anomalies in the history (seed {seed})", anomalies.len());
    }
    assert_invariants(db.url()).await;
}
