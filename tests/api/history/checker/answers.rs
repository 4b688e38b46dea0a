//! Each answer on its own: only the contract's statuses and codes, no 5xx but a 503
//! `unavailable` while a fault was on, and 2xx bodies that describe the request.

use chrono::TimeDelta;

use super::Anomaly;
use crate::history::record::{Call, FaultWindow, Op};

/// How long after a fault is over a 503 is still excused (pools reconnecting).
pub const GRACE: TimeDelta = TimeDelta::seconds(3);

/// Whether `call` was in flight during a fault or its grace period.
pub fn during_fault(call: &Call, faults: &[FaultWindow]) -> bool {
    faults.iter().any(|f| call.overlaps(f.start, f.end + GRACE))
}

/// The statuses and problem codes the contract allows for `op`.
fn allowed(op: &Op, status: u16, code: &str) -> bool {
    match (op, status) {
        (_, 503) => code == "unavailable",
        (Op::Create { .. } | Op::Book { .. } | Op::Join { .. } | Op::Hold { .. } | Op::Confirm { .. }, 201) => true,
        (Op::Cancel { .. } | Op::Resize { .. } | Op::CancelEvent | Op::ListBookings | Op::Confirm { .. }, 200) => true,
        (Op::Release { .. } | Op::Tickets { .. } | Op::Scan { .. }, 200) => true,
        (Op::Leave, 204) => true,
        (Op::QueueJoin, 200 | 201) => true,
        (Op::Book { .. } | Op::Hold { .. } | Op::Join { .. }, 403) => code == "not_admitted",
        (Op::Leave, 404) => code == "not_found",
        (_, 409) => matches!(
            (op, code),
            (
                Op::Book { .. } | Op::Hold { .. },
                "sold_out"
                    | "already_booked"
                    | "already_holding"
                    | "already_waitlisted"
                    | "event_cancelled"
                    | "seat_unavailable"
                    | "no_adjacent_seats"
            ) | (
                Op::Join { .. },
                "already_booked" | "already_holding" | "already_waitlisted" | "event_not_full" | "event_cancelled"
            ) | (Op::Confirm { .. }, "hold_expired" | "hold_released")
                | (Op::Release { .. }, "hold_not_active")
                | (Op::Cancel { .. }, "already_cancelled" | "event_cancelled")
                | (Op::Resize { .. }, "capacity_below_booked" | "event_cancelled")
                | (Op::CancelEvent | Op::Leave, "event_cancelled")
                | (Op::Scan { .. }, "already_checked_in" | "ticket_revoked")
                | (Op::QueueJoin, "event_cancelled" | "sold_out")
        ),
        _ => false,
    }
}

pub fn check(history: &[Call], faults: &[FaultWindow], found: &mut Vec<Anomaly>) {
    for call in history {
        let Some(status) = call.status() else { continue };
        let code = call.code().unwrap_or("");
        let at = |rule: &str, detail: String| Anomaly::new(rule, detail).pair(call.user, call.event);
        if status >= 500 && !(status == 503 && code == "unavailable") {
            found.push(at("no 5xx but 503 unavailable", format!("{} answered {status} {code:?}", describe(call))));
        } else if !allowed(&call.op, status, code) {
            found.push(at("only the contract's answers", format!("{} answered {status} {code:?}", describe(call))));
        }
        if status == 503 && !during_fault(call, faults) {
            found.push(at(
                "503 only while a dependency is down",
                format!("{} answered 503 with no fault", describe(call)),
            ));
        }
        if let Some(wrong) = body_mismatch(call) {
            found.push(at("answers describe the request", format!("{}: {wrong}", describe(call))));
        }
    }
}

/// What a 2xx body gets wrong about its request, if anything.
fn body_mismatch(call: &Call) -> Option<String> {
    let body = call.body()?;
    let expect: Vec<(&str, serde_json::Value)> = match (&call.op, call.status()?) {
        (Op::Book { seats, .. }, 201) => vec![
            ("user_id", call.user.into()),
            ("event_id", call.event.into()),
            ("seats", (*seats).into()),
            ("status", "confirmed".into()),
            ("source", "direct".into()),
        ],
        (Op::Cancel { booking }, 200) => {
            vec![("id", (*booking).into()), ("user_id", call.user.into()), ("status", "cancelled".into())]
        }
        (Op::Join { seats }, 201) => vec![
            ("user_id", call.user.into()),
            ("event_id", call.event.into()),
            ("seats", (*seats).into()),
            ("status", "waiting".into()),
        ],
        (Op::Resize { capacity }, 200) => vec![("id", call.event.into()), ("capacity", (*capacity).into())],
        (Op::Hold { seats, .. }, 201) => vec![
            ("user_id", call.user.into()),
            ("event_id", call.event.into()),
            ("seats", (*seats).into()),
            ("status", "active".into()),
            ("source", "direct".into()),
        ],
        (Op::Confirm { .. }, 200 | 201) => {
            vec![("user_id", call.user.into()), ("event_id", call.event.into()), ("source", "hold".into())]
        }
        (Op::Release { hold }, 200) => vec![("id", (*hold).into()), ("status", "released".into())],
        (Op::CancelEvent, 200) => vec![("id", call.event.into()), ("status", "cancelled".into())],
        (Op::Scan { ticket, offline: false }, 200) => {
            let (ticket_id, status) = (&body["ticket"]["id"], &body["ticket"]["status"]);
            let first = &body["first_scan"];
            let wrong =
                (ticket_id.as_i64() != Some(*ticket) || status != "checked_in" || first.as_bool() != Some(true))
                    .then(|| format!("ticket {ticket_id} {status} first_scan {first}"));
            return wrong;
        }
        _ => return None,
    };
    let wrong: Vec<String> = expect
        .into_iter()
        .filter(|(field, value)| body[*field] != *value)
        .map(|(field, value)| format!("{field} = {} (asked {value})", body[field]))
        .collect();
    (!wrong.is_empty()).then(|| wrong.join(", "))
}

/// One line for a call: who did what to which event.
pub fn describe(call: &Call) -> String {
    format!("{:?} by user {} on event {} at {}", call.op, call.user, call.event, call.start.format("%H:%M:%S%.3f"))
}
