//! Tickets: a booking shows one per seat, a ticket is admitted once however many gates
//! scan it, and every scan's answer agrees with the ticket's final state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::{BookingRow, FinalState, TicketRow};

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let tickets: HashMap<i64, &TicketRow> = state.tickets.iter().map(|t| (t.id, t)).collect();
    let bookings: HashMap<i64, &BookingRow> = state.bookings.iter().map(|b| (b.id, b)).collect();
    a_ticket_per_seat(history, &bookings, found);
    admitted_once(history, found);
    scans_agree_with_the_ticket(history, &tickets, found);
}

fn a_ticket_per_seat(history: &[Call], bookings: &HashMap<i64, &BookingRow>, found: &mut Vec<Anomaly>) {
    for call in history.iter().filter(|c| c.is(200)) {
        let Op::Tickets { booking } = call.op else { continue };
        let listed = call.body().and_then(|b| b["items"].as_array()).map_or(0, Vec::len);
        let seats = bookings.get(&booking).map(|b| b.seats);
        if seats.and_then(|s| usize::try_from(s).ok()) != Some(listed) {
            let detail = format!("{} listed {listed} tickets, the booking holds {seats:?} seats", describe(call));
            found.push(Anomaly::new("a booking shows a ticket per seat", detail).booking(booking));
        }
    }
}

/// A scan's outcome as an offline upload names it, and the check-in time it gives,
/// whichever way the scan was made; `None` without an answer of the contract.
fn scan_answer(call: &Call) -> Option<(&str, Option<DateTime<Utc>>)> {
    let body = call.body()?;
    match (&call.op, call.status()?, call.code()) {
        (Op::Scan { offline: true, .. }, 200, _) => {
            let result = &body["results"][0];
            Some((result["outcome"].as_str()?, time(&result["checked_in_at"])))
        }
        (Op::Scan { offline: false, .. }, 200, _) => Some(("checked_in", time(&body["ticket"]["checked_in_at"]))),
        (Op::Scan { .. }, 409, Some("already_checked_in")) => {
            Some(("already_checked_in", time(&body["checked_in_at"])))
        }
        (Op::Scan { .. }, 409, Some("ticket_revoked")) => Some(("ticket_revoked", None)),
        _ => None,
    }
}

fn admitted_once(history: &[Call], found: &mut Vec<Anomaly>) {
    let mut admitted: HashMap<i64, &Call> = HashMap::new();
    for call in history.iter().filter(|c| scan_answer(c).is_some_and(|(outcome, _)| outcome == "checked_in")) {
        let Op::Scan { ticket, .. } = call.op else { continue };
        if let Some(first) = admitted.insert(ticket, call) {
            let detail = format!("ticket {ticket} admitted by {} and by {}", describe(first), describe(call));
            found.push(Anomaly::new("a ticket is admitted once", detail).event(call.event));
        }
    }
}

fn time(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

fn scans_agree_with_the_ticket(history: &[Call], tickets: &HashMap<i64, &TicketRow>, found: &mut Vec<Anomaly>) {
    let rule = "a scan's answer agrees with the ticket's final state";
    for call in history {
        let (Op::Scan { ticket, .. }, Some((outcome, at))) = (&call.op, scan_answer(call)) else { continue };
        let stored = tickets.get(ticket).map(|t| (t.status.as_str(), t.checked_in_at));
        let expected = match outcome {
            "checked_in" | "already_checked_in" => Some(("checked_in", at)),
            "ticket_revoked" => Some(("revoked", None)),
            _ => None,
        };
        if expected != stored {
            let detail = format!("{} answered {outcome} {at:?}, the ticket is stored as {stored:?}", describe(call));
            found.push(Anomaly::new(rule, detail).event(call.event));
        }
    }
}
