//! One seated event of `rows` rows of 200 seats (100 rows: 20,000 seats); N clients book
//! one seat each by a fresh user until it sells out or the time is up: the best available
//! (`named` false) or a seat named by label, every client its own (`named` true). Reports
//! successful bookings per second and checks that no seat was sold twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::json;

use super::{Setup, drive, unexpected};
use crate::report::Report;

/// Seats in a row of the plan.
const ROW: usize = 200;

pub async fn run(setup: &Setup, rows: usize, named: bool) -> anyhow::Result<Report> {
    let seats = rows * ROW;
    let rows_json: Vec<_> = (0..rows).map(|r| json!({"label": format!("R{r}"), "seats": ROW})).collect();
    let body = json!({"name": format!("Seated {}", setup.run), "venue": "Load Arena",
        "starts_at": "2030-01-01T20:00:00Z", "max_seats_per_booking": 10,
        "seating": {"sections": [{"name": "Arena", "rows": rows_json}]}});
    let created = setup.api.call(Method::POST, "/api/v1/events", Some(&setup.admin), Some(body)).await;
    let event = created.body()["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("cannot create a seated event: {} {}", created.status, created.body()))?;
    let tokens = Arc::new(setup.api.users(&format!("seated-{}", setup.run), seats, 64).await?);
    let (next, sold_out) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let api = setup.api.clone();
    let path = format!("/api/v1/events/{event}/bookings");
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |_, _| {
        let (api, tokens, next, sold_out, path) =
            (api.clone(), tokens.clone(), next.clone(), sold_out.clone(), path.clone());
        async move {
            if sold_out.load(Ordering::Relaxed) {
                return None;
            }
            let n = next.fetch_add(1, Ordering::Relaxed);
            let token = tokens.get(n)?;
            let body = if named {
                json!({"seat_labels": [format!("Arena:R{}:{}", n / ROW, n % ROW + 1)]})
            } else {
                json!({"seats": 1})
            };
            let outcome = api.call(Method::POST, &path, Some(token), Some(body)).await;
            if outcome.code.as_deref() == Some("sold_out") {
                sold_out.store(true, Ordering::Relaxed);
            }
            Some(outcome)
        }
    })
    .await;
    let created = recorder.created();
    let errors = unexpected(&recorder, &["201", "sold_out"]);
    let mut report = recorder.report(if named { "seated-named" } else { "seated-best" }, setup.clients, elapsed);
    report.errors = errors;
    let chart = setup.api.call(Method::GET, &format!("/api/v1/events/{event}/seats"), None, None).await;
    let booked = chart.body()["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["rows"].as_array().into_iter().flatten())
        .flat_map(|r| {
            let label = r["label"].as_str().unwrap_or_default().to_owned();
            r["seats"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["status"] == "booked")
                .map(move |s| format!("{label}:{}", s["number"]))
        })
        .collect::<HashSet<_>>()
        .len();
    let counted = setup.api.event(event).await?["booked_seats"].as_u64().unwrap_or(u64::MAX);
    if counted != created || booked as u64 != created {
        report.invariants_violated =
            Some(format!("{created} answered 201, booked_seats is {counted}, the seat map shows {booked} booked"));
    }
    report.notes.push(format!("{seats} seats; {created} sold in {:.2} s", elapsed.as_secs_f64()));
    Ok(report)
}
