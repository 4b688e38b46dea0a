//! One event selling through its on-sale queue, admitting `rate` a minute. `joins`: N
//! clients take queue tickets for fresh users (one each) for a fixed time, admission
//! running from the event's creation; reports joins per second. `reads`: an on-sale as it
//! happens — every user takes a ticket before `on_sale_at`, the order is drawn then and
//! admission runs at the pace while N clients read their tickets (`GET .../queue/me`,
//! round robin, each user far below its limit); reports reads per second and, sampled
//! every 200 ms from the admin figures, how far admission lags the pace.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::{Setup, drive, unexpected};
use crate::report::Report;

/// Time given to take every ticket of the `reads` run before its on-sale instant.
const JOINING: Duration = Duration::from_secs(45);

pub async fn run(setup: &Setup, users: usize, rate: u32, reads: bool) -> anyhow::Result<Report> {
    let tokens = Arc::new(setup.api.users(&format!("queue-{}", setup.run), users, 64).await?);
    let joining = chrono::TimeDelta::from_std(JOINING)?;
    let on_sale = reads.then(|| chrono::Utc::now() + joining);
    let body = json!({"name": format!("On sale {}", setup.run), "venue": "Load Arena",
        "starts_at": "2030-01-01T20:00:00Z", "capacity": 1_000_000, "queue": {"admit_per_minute": rate},
        "on_sale_at": on_sale.map(|at| at.to_rfc3339())});
    let created = setup.api.call(Method::POST, "/api/v1/events", Some(&setup.admin), Some(body)).await;
    let event = created.body()["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("cannot create a queued event: {} {}", created.status, created.body()))?;
    let path = format!("/api/v1/events/{event}/queue");
    if !reads {
        let (next, api) = (Arc::new(AtomicUsize::new(0)), setup.api.clone());
        let (recorder, elapsed) = drive(setup.clients, setup.duration, move |_, _| {
            let (api, tokens, next, path) = (api.clone(), tokens.clone(), next.clone(), path.clone());
            async move {
                let token = tokens.get(next.fetch_add(1, Ordering::Relaxed))?;
                Some(api.call(Method::POST, &path, Some(token), None).await)
            }
        })
        .await;
        let errors = unexpected(&recorder, &["201"]);
        let mut report = recorder.report("queue-joins", setup.clients, elapsed);
        report.errors = errors;
        return Ok(report);
    }
    for chunk in tokens.chunks(64) {
        let joins: Vec<_> = chunk
            .iter()
            .map(|token| {
                let (api, path, token) = (setup.api.clone(), path.clone(), token.clone());
                tokio::spawn(async move { api.call(Method::POST, &path, Some(&token), None).await })
            })
            .collect();
        for joined in joins {
            let joined = joined.await?;
            anyhow::ensure!(joined.created(), "join failed: {} {}", joined.status, joined.body());
        }
    }
    let left = on_sale.map(|at| (at - chrono::Utc::now()).to_std().unwrap_or_default()).unwrap_or_default();
    anyhow::ensure!(!left.is_zero(), "joining took longer than {JOINING:?}: pass fewer --users");
    tokio::time::sleep(left).await;
    let opened = Instant::now();
    let sampler = {
        let (api, admin, figures) = (setup.api.clone(), setup.admin.clone(), path.clone());
        let until = Instant::now() + setup.duration;
        tokio::spawn(async move {
            let mut worst: f64 = 0.0;
            while Instant::now() < until {
                let read = api.call(Method::GET, &figures, Some(&admin), None).await;
                if let Some(admitted) = read.body()["admitted"].as_u64() {
                    let minutes = opened.elapsed().as_secs_f64() / 60.0;
                    let due = ((f64::from(rate) * minutes).floor() + 1.0).min(users as f64);
                    worst = worst.max((due - admitted as f64) / (f64::from(rate) / 60.0));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            worst
        })
    };
    let api = setup.api.clone();
    let mine = format!("{path}/me");
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |worker, iteration| {
        let (api, tokens, mine) = (api.clone(), tokens.clone(), mine.clone());
        async move {
            let token = &tokens[(worker * 7919 + iteration * 64) % tokens.len()];
            Some(api.call(Method::GET, &mine, Some(token), None).await)
        }
    })
    .await;
    let lag = sampler.await.unwrap_or(f64::NAN);
    // A user polled faster than its limit answers 429 (the limit at work, not a fault).
    let limited: u64 = recorder.statuses().iter().filter(|(label, _)| label.starts_with("429")).map(|(_, n)| n).sum();
    let errors = unexpected(&recorder, &["200"]) - limited;
    let mut report = recorder.report("queue-reads", setup.clients, elapsed);
    report.errors = errors;
    report.notes.push(format!("{users} tickets; admission at {rate}/min lagged the pace by at most {lag:.2} s"));
    report.notes.push(format!("{limited} reads over a user's one-a-second limit answered 429"));
    if lag > 2.0 {
        report.invariants_violated = Some(format!("admission lagged the pace by {lag:.2} s (the contract allows 2 s)"));
    }
    Ok(report)
}
