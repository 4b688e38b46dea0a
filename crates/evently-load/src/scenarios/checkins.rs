//! Door scanning: one event whose `users` bookings of 10 seats each issue a ticket per
//! seat; N scanners check distinct tickets in (each code once) in a closed loop as door
//! staff. Reports check-ins per second; afterwards the event's figures must count every
//! 200 as one check-in.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::json;

use super::{Setup, drive, unexpected};
use crate::report::Report;

/// Seats per booking, so tickets per user.
const SEATS: usize = 10;

pub async fn run(setup: &Setup, users: usize) -> anyhow::Result<Report> {
    let capacity = u32::try_from(users * SEATS)?;
    let event = setup.api.create_event(&setup.admin, &format!("Door {}", setup.run), capacity).await?;
    let tokens = setup.api.users(&format!("door-{}", setup.run), users, 64).await?;
    let mut codes = Vec::with_capacity(users * SEATS);
    for chunk in tokens.chunks(64) {
        let fetches: Vec<_> = chunk
            .iter()
            .map(|token| {
                let (api, token) = (setup.api.clone(), token.clone());
                tokio::spawn(async move {
                    let booked = api.book(event, &token, 10).await;
                    anyhow::ensure!(booked.created(), "booking failed: {} {}", booked.status, booked.body());
                    let path = format!("/api/v1/bookings/{}/tickets?limit=100", booked.body()["id"]);
                    let tickets = api.call(Method::GET, &path, Some(&token), None).await;
                    let items = tickets.body()["items"].as_array().cloned().unwrap_or_default();
                    Ok(items.iter().filter_map(|t| t["code"].as_str().map(str::to_owned)).collect::<Vec<_>>())
                })
            })
            .collect();
        for fetch in fetches {
            codes.extend(fetch.await??);
        }
    }
    let available = codes.len();
    let codes = Arc::new(codes);
    let next = Arc::new(AtomicUsize::new(0));
    let (api, admin) = (setup.api.clone(), Arc::new(setup.admin.clone()));
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |worker, _| {
        let (api, admin, codes, next) = (api.clone(), admin.clone(), codes.clone(), next.clone());
        async move {
            let code = codes.get(next.fetch_add(1, Ordering::Relaxed))?;
            let body = json!({"code": code, "gate": format!("gate {}", worker % 8)});
            Some(api.call(Method::POST, &format!("/api/v1/events/{event}/checkins"), Some(&admin), Some(body)).await)
        }
    })
    .await;
    let admitted = recorder.statuses().get("200").copied().unwrap_or(0);
    let errors = unexpected(&recorder, &["200"]);
    let exhausted = recorder.statuses().values().sum::<u64>() >= u64::try_from(available).unwrap_or(u64::MAX);
    let mut report = recorder.report("checkins", setup.clients, elapsed);
    report.errors = errors;
    let stats =
        setup.api.call(Method::GET, &format!("/api/v1/events/{event}/checkins/stats"), Some(&setup.admin), None).await;
    let counted = stats.body()["checked_in"].as_u64().unwrap_or(u64::MAX);
    if counted != admitted {
        report.invariants_violated = Some(format!("{admitted} scans answered 200 but the event counts {counted}"));
    }
    if exhausted {
        report
            .notes
            .push(format!("all {available} tickets were scanned before the time was up; pass a larger --users"));
    }
    Ok(report)
}
