//! Webhooks: the outbox holds exactly one message per change of the final state (a
//! booking made, promoted or cancelled, a hold offered or expired, a ticket checked in),
//! none for changes that did not happen, and every message reached the receiver.

use std::collections::HashMap;

use super::Anomaly;
use crate::history::state::FinalState;

/// The messages the final state calls for: (type, resource, id) → how many.
fn expected(state: &FinalState) -> HashMap<(&'static str, &'static str, i64), usize> {
    let mut wanted = HashMap::new();
    let mut want = |kind, resource, id| *wanted.entry((kind, resource, id)).or_default() += 1;
    for booking in &state.bookings {
        want(
            if booking.source == "waitlist" { "waitlist.promoted" } else { "booking.confirmed" },
            "booking",
            booking.id,
        );
        if booking.status == "cancelled" {
            want("booking.cancelled", "booking", booking.id);
        }
    }
    for hold in &state.holds {
        if hold.source == "waitlist" {
            want("waitlist.promoted", "hold", hold.id);
        }
        if hold.status == "expired" {
            want("hold.expired", "hold", hold.id);
        }
    }
    for ticket in state.tickets.iter().filter(|t| t.status == "checked_in") {
        want("ticket.checked_in", "ticket", ticket.id);
    }
    for event in state.events.iter().filter(|e| e.status == "cancelled") {
        want("event.cancelled", "event", event.id);
    }
    wanted
}

pub fn check(state: &FinalState, found: &mut Vec<Anomaly>) {
    let mut made: HashMap<(&str, &str, i64), usize> = HashMap::new();
    for message in state.messages.iter().filter(|m| m.kind != "event.updated") {
        *made.entry((message.kind.as_str(), message.resource.as_str(), message.resource_id)).or_default() += 1;
    }
    let wanted = expected(state);
    for (key, n) in &wanted {
        let got = made.get(key).copied().unwrap_or(0);
        if got != *n {
            let (kind, resource, id) = key;
            let detail = format!("{kind} of {resource} {id}: {got} messages, the final state calls for {n}");
            found.push(Anomaly::new("one webhook message per committed change", detail));
        }
    }
    for ((kind, resource, id), n) in made.iter().filter(|(key, _)| !wanted.contains_key(*key)) {
        let detail = format!("{n} {kind} messages of {resource} {id}, a change the final state does not hold");
        found.push(Anomaly::new("no webhook message for a change that did not happen", detail));
    }
    for message in &state.messages {
        let id = format!("msg_{}", message.id);
        if !message.delivered || !state.received.contains(&id) {
            let detail = format!(
                "{id} ({}) delivered: {}, received: {}",
                message.kind,
                message.delivered,
                state.received.contains(&id)
            );
            found.push(Anomaly::new("every webhook message is delivered", detail));
        }
    }
}
