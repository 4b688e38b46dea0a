//! One event too large to sell out; N clients book for a fixed time, each booking by a
//! fresh user (with `keyed`, each request carries its own `Idempotency-Key`, as mobile
//! clients that retry send). Reports successful bookings per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, users: usize, keyed: bool) -> anyhow::Result<Report> {
    let event = setup.api.create_event(&setup.admin, &format!("Hot {}", setup.run), 1_000_000).await?;
    let tokens = Arc::new(setup.api.users(&format!("hot-{}", setup.run), users, 64).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let api = setup.api.clone();
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |_, _| {
        let (api, tokens, next) = (api.clone(), tokens.clone(), next.clone());
        async move {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let token = tokens.get(n)?;
            if keyed {
                return Some(api.book_keyed(event, token, 1, &format!("hot-{event}-{n}")).await);
            }
            Some(api.book(event, token, 1).await)
        }
    })
    .await;
    let created = recorder.created();
    let errors = unexpected(&recorder, &["201"]);
    let exhausted = recorder.statuses().values().sum::<u64>() >= u64::try_from(users).unwrap_or(u64::MAX);
    let mut report = recorder.report(if keyed { "hot-keyed" } else { "hot" }, setup.clients, elapsed);
    report.errors = errors;
    let booked = setup.api.event(event).await?["booked_seats"].as_u64().unwrap_or(u64::MAX);
    if booked != created {
        report.invariants_violated = Some(format!("{created} answered 201 but booked_seats is {booked}"));
    }
    if exhausted {
        report.notes.push(format!("all {users} users booked before the time was up; pass a larger --users"));
    }
    Ok(report)
}
