//! The webhook delivery worker every instance runs: it claims due deliveries from the
//! outbox (each attempt made by one instance), posts them signed, and records the
//! outcome. Endpoints are served side by side, each with a few attempts at a time, so a
//! receiver that hangs holds up only its own messages. While the instance answers a
//! crowd of writes, deliveries give way to them for up to [`DEFER`].

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web;
use chrono::Utc;
use evently_domain::EndpointId;
use evently_domain::webhook::{Attempt, Claim, Due, Message, MessageData};
use serde_json::json;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

use crate::dto::{BookingDto, EventDto, HoldDto, TicketDto};
use crate::{AppState, Backend, Metrics};

/// Attempts in flight in one instance.
const IN_FLIGHT: usize = 256;
/// Attempts in flight to one endpoint: a quarter of the instance's, so endpoints that
/// hang leave room for the others.
const PER_ENDPOINT: u32 = 64;
/// Free slots a busy endpoint waits for before its deliveries are claimed again: one
/// claim for a few deliveries costs the database about as much as for many.
const ENDPOINT_AT_LEAST: NonZeroU32 = NonZeroU32::new(PER_ENDPOINT / 2).unwrap();
/// How long a claim holds: longer than an attempt may take (10 s), so an attempt is
/// made by one instance; an instance that dies leaves its claims due again after it.
const LEASE: Duration = Duration::from_secs(15);
/// Free slots a busy worker waits for before claiming again.
const CLAIM_AT_LEAST: usize = IN_FLIGHT / 4;
/// How often an idle worker looks for due deliveries.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Writes in flight in this instance at which deliveries give way to them: a hot
/// event's transactions take turns, so every statement delivery runs beside them costs
/// bookings (subscribed hot bookings ran at 0.6x of unsubscribed ones when delivered
/// at once).
const CROWD: i64 = 16;
/// How long a crowd defers a delivery: under a crowd, only deliveries due at least this
/// long ago are claimed, so a burst shorter than this is delivered after it, and a
/// longer one at most this late.
const DEFER: Duration = Duration::from_secs(30);

/// The body of a message: `{"type", "timestamp", "data"}` with `data` as the API
/// shows the resource.
fn message_body<B: Backend>(state: &AppState<B>, message: &Message) -> Vec<u8> {
    let data = match &message.data {
        MessageData::Booking(booking) => json!(BookingDto::from(booking.clone())),
        MessageData::Hold(hold) => json!(HoldDto::at(hold.clone(), Utc::now())),
        MessageData::Event(event) => json!(EventDto::from(event.clone())),
        MessageData::Ticket(ticket) => json!(TicketDto::from(state.tickets.issued(ticket.clone()))),
    };
    let body = json!({
        "type": message.event_type.as_str(),
        "timestamp": message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A fraction in `0.0..1.0` to spread retries.
fn jitter() -> f64 {
    let mut bytes = [0_u8; 4];
    let _ = getrandom::fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// An attempt made, waiting to be recorded, with the permit it holds until then.
type Made = (Due, Attempt, OwnedSemaphorePermit);

/// Delivers webhook messages until the process ends.
pub async fn deliver<B: Backend>(state: web::Data<AppState<B>>, metrics: Metrics) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let in_flight: Arc<Mutex<HashMap<EndpointId, u32>>> = Arc::default();
    // Woken when recorded attempts leave an endpoint room for a batch, so a busy worker
    // claims again at once.
    let room_made = Arc::new(Notify::new());
    let (made, to_record) = mpsc::unbounded_channel::<Made>();
    tokio::spawn(record(state.clone(), metrics.clone(), to_record, in_flight.clone(), room_made.clone()));
    let mut gauge_at = tokio::time::Instant::now();
    loop {
        if gauge_at.elapsed() >= Duration::from_secs(1) {
            gauge_at = tokio::time::Instant::now();
            if let Ok(open) = state.webhooks.open_deliveries().await {
                metrics.webhook_queue(open);
            }
        }
        // Claims are worth their query when they can take a few: with most slots busy,
        // wait for attempts to finish (or the poll) first.
        let free = permits.available_permits();
        if free < CLAIM_AT_LEAST {
            let _ = tokio::time::timeout(IDLE_POLL, room_made.notified()).await;
            if permits.available_permits() == 0 {
                continue;
            }
        }
        let free = permits.available_permits();
        let busy = in_flight.lock().map(|m| m.iter().map(|(e, n)| (*e, *n)).collect());
        let claim = Claim {
            limit: u32::try_from(free).unwrap_or(u32::MAX),
            per_endpoint: PER_ENDPOINT,
            min_free: ENDPOINT_AT_LEAST,
            in_flight: busy.unwrap_or_default(),
            lease: LEASE,
            deferred: if metrics.writes_peak() >= CROWD { DEFER } else { Duration::ZERO },
        };
        let due = match state.webhooks.claim(claim).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim webhook deliveries");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Fewer than asked for: nothing else is claimable until an endpoint has room
        // again or new messages are made.
        let drained = due.len() < free;
        for delivery in due {
            let Ok(permit) = permits.clone().acquire_owned().await else { return };
            if let Ok(mut counts) = in_flight.lock() {
                *counts.entry(delivery.endpoint).or_default() += 1;
            }
            let (state, made) = (state.clone(), made.clone());
            tokio::spawn(async move {
                let body = message_body(&state, &delivery.message);
                let attempt = state.webhooks.attempt(&delivery, body, jitter()).await;
                let _ = made.send((delivery, attempt, permit));
            });
        }
        if drained {
            let _ = tokio::time::timeout(IDLE_POLL, room_made.notified()).await;
        }
    }
}

/// Times a batch of attempts is recorded again after a failure, waiting 0.25 s, then twice
/// as long each time (3.75 s in all, well within the lease).
const RECORD_RETRIES: u32 = 4;

/// Records a batch of attempts, trying again after a failure: an attempt made but not
/// recorded is made again once its lease ends, so a brief outage (no free connection, a
/// database restart) must not cost a healthy receiver a second delivery.
async fn record_attempts<B: Backend>(state: &AppState<B>, attempts: Vec<(Due, Attempt)>) {
    let mut wait = Duration::from_millis(250);
    for retry in 0..=RECORD_RETRIES {
        match state.webhooks.record(attempts.clone()).await {
            Ok(()) => return,
            Err(e) if retry < RECORD_RETRIES => {
                tracing::debug!(error = %e, "recording webhook attempts again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            // Their leases end and they are attempted again: at least once.
            Err(e) => tracing::warn!(error = %e, "cannot record webhook attempts"),
        }
    }
}

/// Records attempts as they finish, many in one statement, then frees their slots.
async fn record<B: Backend>(
    state: web::Data<AppState<B>>,
    metrics: Metrics,
    mut made: mpsc::UnboundedReceiver<Made>,
    in_flight: Arc<Mutex<HashMap<EndpointId, u32>>>,
    room_made: Arc<Notify>,
) {
    let mut batch = Vec::with_capacity(IN_FLIGHT);
    while made.recv_many(&mut batch, IN_FLIGHT).await > 0 {
        let (attempts, permits): (Vec<(Due, Attempt)>, Vec<OwnedSemaphorePermit>) =
            batch.drain(..).map(|(due, attempt, permit)| ((due, attempt), permit)).unzip();
        for (_, attempt) in &attempts {
            metrics.webhook_attempt(attempt.status.as_str(), attempt.took.as_secs_f64());
        }
        let endpoints: Vec<EndpointId> = attempts.iter().map(|(due, _)| due.endpoint).collect();
        record_attempts(&state, attempts).await;
        // The claimer is woken when an endpoint has room for a batch again: a claim
        // while every endpoint with due deliveries is crowded finds nothing, at the cost
        // of reading past all their due deliveries.
        let mut room = false;
        if let Ok(mut counts) = in_flight.lock() {
            for endpoint in endpoints {
                if let Some(n) = counts.get_mut(&endpoint) {
                    *n -= 1;
                    room |= *n == PER_ENDPOINT - ENDPOINT_AT_LEAST.get();
                    if *n == 0 {
                        counts.remove(&endpoint);
                        room = true;
                    }
                }
            }
        }
        drop(permits);
        if room {
            room_made.notify_one();
        }
    }
}
