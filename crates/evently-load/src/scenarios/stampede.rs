//! One event of capacity C; U users fire at once. Exactly C seats must be confirmed and
//! every other answer must be `409 sold_out`.

use std::sync::Arc;
use std::time::Duration;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, capacity: u32, users: usize) -> anyhow::Result<Report> {
    let event = setup.api.create_event(&setup.admin, &format!("Stampede {}", setup.run), capacity).await?;
    let tokens = Arc::new(setup.api.users(&format!("stampede-{}", setup.run), users, 64).await?);
    let (clients, api) = (setup.clients, setup.api.clone());
    let (recorder, elapsed) = drive(clients, Duration::from_secs(3600), move |worker, iteration| {
        let (api, tokens) = (api.clone(), tokens.clone());
        async move {
            let token = tokens.get(worker + iteration * clients)?;
            Some(api.book(event, token, 1).await)
        }
    })
    .await;
    let created = recorder.created();
    let errors = unexpected(&recorder, &["201", "409 sold_out"]);
    let mut report = recorder.report("stampede", clients, elapsed);
    report.errors = errors;
    let booked = setup.api.event(event).await?["booked_seats"].as_u64().unwrap_or(u64::MAX);
    if created != u64::from(capacity) || booked != u64::from(capacity) || errors != 0 {
        report.invariants_violated = Some(format!(
            "capacity {capacity}: {created} answered 201, booked_seats {booked}, {errors} unexpected answers"
        ));
    }
    report.notes.push(format!("event {event}: {users} attempts for {capacity} seats"));
    Ok(report)
}
