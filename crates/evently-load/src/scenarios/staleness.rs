//! How long a write made through one instance takes to show on another that has the
//! answers cached: each round reads the event and a listing holding it through `other`
//! (caching them there), books a seat through the first instance, then reads both
//! through `other` until the seat shows in each. The latencies reported are those lags,
//! from the booking's answer to the first reads that show it (each read a round trip, so
//! an upper bound).

use std::time::{Duration, Instant};

use reqwest::Method;

use super::Setup;
use crate::api::{Api, Outcome};
use crate::report::{Recorder, Report};

/// Longer than any lag the cache allows.
const GIVE_UP: Duration = Duration::from_secs(5);

/// The event's booked seats as `api` shows them: alone, and in `listing` (which holds only it).
async fn booked_seats(api: &Api, event: i64, listing: &str) -> anyhow::Result<(u64, u64)> {
    let alone = api.event(event).await?["booked_seats"].as_u64().unwrap_or_default();
    let listed = api.call(Method::GET, listing, None, None).await;
    anyhow::ensure!(listed.status == 200, "cannot list events: {}", listed.status);
    Ok((alone, listed.body()["items"][0]["booked_seats"].as_u64().unwrap_or_default()))
}

pub async fn run(setup: &Setup, other: &str, rounds: usize) -> anyhow::Result<Report> {
    let other = Api::new(other)?;
    let name = format!("Staleness {}", setup.run);
    let event = setup.api.create_event(&setup.admin, &name, 1_000_000).await?;
    let listing = format!("/api/v1/events?limit=1&q={}", name.replace(' ', "%20"));
    let tokens = setup.api.users(&format!("stale-{}", setup.run), rounds, 16).await?;
    let mut recorder = Recorder::default();
    let started = Instant::now();
    for (round, token) in (0_u64..).zip(&tokens) {
        // The other instance caches the event as it is.
        let shown = booked_seats(&other, event, &listing).await?;
        anyhow::ensure!(shown == (round, round), "round {round}: the other instance lags: {shown:?}");
        let answer = setup.api.book(event, token, 1).await;
        anyhow::ensure!(answer.created(), "round {round}: booking answered {}", answer.status);
        let written = Instant::now();
        while booked_seats(&other, event, &listing).await? != (round + 1, round + 1) {
            anyhow::ensure!(written.elapsed() < GIVE_UP, "round {round}: stale after {GIVE_UP:?}");
        }
        recorder.record(&Outcome::timed(200, None, written.elapsed()));
    }
    let mut report = recorder.report("staleness", 1, started.elapsed());
    report.notes.push(format!("{rounds} writes; latencies are the lags until the other instance showed each"));
    Ok(report)
}
