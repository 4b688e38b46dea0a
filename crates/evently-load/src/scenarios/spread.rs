//! Like `hot`, over many events: each client books (user, event) pairs no one else
//! books, so requests rarely meet on a row lock (with `keyed`, each request carries its
//! own `Idempotency-Key`, so keys are claimed in transactions deciding many events).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, events: usize, users: usize, keyed: bool) -> anyhow::Result<Report> {
    let mut ids = Vec::with_capacity(events);
    for i in 0..events {
        ids.push(setup.api.create_event(&setup.admin, &format!("Spread {} #{i}", setup.run), 1_000_000).await?);
    }
    let tokens = Arc::new(setup.api.users(&format!("spread-{}", setup.run), users, 64).await?);
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let api = setup.api.clone();
    let pairs = events * users;
    let (recorder, elapsed) = {
        let ids = ids.clone();
        drive(setup.clients, setup.duration, move |_, _| {
            let (api, tokens, ids, next) = (api.clone(), tokens.clone(), ids.clone(), next.clone());
            async move {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= pairs {
                    return None;
                }
                // Walk events fastest, so consecutive requests hit different rows.
                let (event, user) = (ids[n % ids.len()], &tokens[n / ids.len()]);
                if keyed {
                    return Some(api.book_keyed(event, user, 1, &format!("spread-{event}-{n}")).await);
                }
                Some(api.book(event, user, 1).await)
            }
        })
        .await
    };
    let created = recorder.created();
    let errors = unexpected(&recorder, &["201"]);
    let mut report = recorder.report(if keyed { "spread-keyed" } else { "spread" }, setup.clients, elapsed);
    report.errors = errors;
    let mut booked = 0;
    for id in ids.iter() {
        booked += setup.api.event(*id).await?["booked_seats"].as_u64().unwrap_or(0);
    }
    if booked != created {
        report.invariants_violated = Some(format!("{created} answered 201 but the events hold {booked} seats"));
    }
    report.notes.push(format!("{events} events"));
    Ok(report)
}
