//! A blend of browsing, booking, cancelling and waitlisting over a few small events, so
//! that events fill up, queues form and cancellations promote. Afterwards every event
//! is checked: seats within capacity, and no waiting entry fits in the free seats.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, events: usize, users: usize) -> anyhow::Result<Report> {
    let mut ids = Vec::with_capacity(events);
    for i in 0..events {
        ids.push(setup.api.create_event(&setup.admin, &format!("Mixed {} #{i}", setup.run), 20).await?);
    }
    let ids = Arc::new(ids);
    let tokens = Arc::new(setup.api.users(&format!("mixed-{}", setup.run), users, 64).await?);
    let api = setup.api.clone();
    let (recorder, elapsed) = {
        let ids = ids.clone();
        drive(setup.clients, setup.duration, move |worker, iteration| {
            let (api, ids, tokens) = (api.clone(), ids.clone(), tokens.clone());
            async move {
                // A cheap deterministic spread of choices.
                let roll = (worker * 7919 + iteration * 104_729) % 100;
                let event = ids[(worker * 31 + iteration * 17) % ids.len()];
                let token = &tokens[(worker * 13 + iteration * 7) % tokens.len()];
                let seats = u32::try_from(roll % 3 + 1).unwrap_or(1);
                Some(match roll {
                    0..50 => api.call(Method::GET, "/api/v1/events?limit=20", None, None).await.of("list events"),
                    50..70 => {
                        api.call(Method::GET, &format!("/api/v1/events/{event}"), None, None).await.of("read event")
                    }
                    70..82 => api.book(event, token, seats).await.of("book"),
                    82..90 => {
                        let mine = api
                            .call(Method::GET, "/api/v1/users/me/bookings?status=confirmed", Some(token), None)
                            .await;
                        match mine.body()["items"][0]["id"].as_i64() {
                            Some(id) => api
                                .call(Method::POST, &format!("/api/v1/bookings/{id}/cancel"), Some(token), None)
                                .await
                                .of("cancel"),
                            None => mine.of("list own bookings"),
                        }
                    }
                    90..96 => {
                        let body = json!({"seats": seats});
                        api.call(Method::POST, &format!("/api/v1/events/{event}/waitlist"), Some(token), Some(body))
                            .await
                            .of("join waitlist")
                    }
                    _ => api
                        .call(Method::DELETE, &format!("/api/v1/events/{event}/waitlist/me"), Some(token), None)
                        .await
                        .of("leave waitlist"),
                })
            }
        })
        .await
    };
    let expected = [
        "200",
        "201",
        "204",
        "404 not_found",
        "409 sold_out",
        "409 already_booked",
        "409 already_waitlisted",
        "409 event_not_full",
        "409 already_cancelled",
    ];
    let errors = unexpected(&recorder, &expected);
    let mut report = recorder.report("mixed", setup.clients, elapsed);
    report.errors = errors;
    for id in ids.iter() {
        let event = setup.api.event(*id).await?;
        let (booked, capacity) = (event["booked_seats"].as_u64().unwrap_or(0), event["capacity"].as_u64().unwrap_or(0));
        let queue = setup
            .api
            .call(Method::GET, &format!("/api/v1/events/{id}/waitlist?limit=100"), Some(&setup.admin), None)
            .await;
        let fits = queue.body()["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["seats"].as_u64().unwrap_or(0) <= capacity - booked.min(capacity));
        if booked > capacity || fits {
            report.invariants_violated =
                Some(format!("event {id}: {booked}/{capacity} booked, a waiting entry fits: {fits}"));
        }
    }
    Ok(report)
}
