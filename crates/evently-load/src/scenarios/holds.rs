//! One event too large to sell out; N clients hold seats for a fixed time, each hold by a
//! fresh user; with `confirm`, each client then confirms its hold (the operation timed is
//! hold plus confirm). Reports successful holds (or confirmations) per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::json;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, users: usize, confirm: bool) -> anyhow::Result<Report> {
    let event = setup.api.create_event(&setup.admin, &format!("Holds {}", setup.run), 1_000_000).await?;
    let tokens = Arc::new(setup.api.users(&format!("holds-{}", setup.run), users, 64).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let api = setup.api.clone();
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |_, _| {
        let (api, tokens, next) = (api.clone(), tokens.clone(), next.clone());
        async move {
            let token = tokens.get(next.fetch_add(1, Ordering::Relaxed))?;
            let path = format!("/api/v1/events/{event}/holds");
            let held = api.call(Method::POST, &path, Some(token), Some(json!({"seats": 1}))).await;
            if !confirm || !held.created() {
                return Some(held);
            }
            let confirm = format!("/api/v1/holds/{}/confirm", held.body()["id"]);
            let mut confirmed = api.call(Method::POST, &confirm, Some(token), None).await;
            confirmed.latency += held.latency;
            Some(confirmed)
        }
    })
    .await;
    let created = recorder.created();
    let errors = unexpected(&recorder, &["201"]);
    let exhausted = recorder.statuses().values().sum::<u64>() >= u64::try_from(users).unwrap_or(u64::MAX);
    let mut report = recorder.report(if confirm { "hold-confirm" } else { "holds" }, setup.clients, elapsed);
    report.errors = errors;
    let read = setup.api.event(event).await?;
    let taken = if confirm { &read["booked_seats"] } else { &read["held_seats"] };
    let taken = taken.as_u64().unwrap_or(u64::MAX);
    if taken != created {
        report.invariants_violated = Some(format!("{created} answered 201 but the event counts {taken} seats"));
    }
    if exhausted {
        report.notes.push(format!("all {users} users held before the time was up; pass a larger --users"));
    }
    Ok(report)
}
