//! Seated events: every answer that makes a booking or hold names as many seats as it
//! takes (none on an event without seats), named seats are the ones given, a booking's
//! or hold's seats are those it was first answered with, and a confirmed hold's booking
//! keeps the hold's seats. (No seat in two bookings or holds: `bench/invariants.sql`.)

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::FinalState;

const RULE: &str = "seats are as answered and as named";

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let seated: HashMap<i64, bool> = state.events.iter().map(|e| (e.id, e.seated)).collect();
    let bookings: HashMap<i64, &Option<Vec<String>>> = state.bookings.iter().map(|b| (b.id, &b.seat_labels)).collect();
    let holds: HashMap<i64, &Option<Vec<String>>> = state.holds.iter().map(|h| (h.id, &h.seat_labels)).collect();
    for call in history.iter().filter(|c| c.is(201) || (c.is(200) && matches!(c.op, Op::Confirm { .. }))) {
        let (seats, named, stored) = match &call.op {
            Op::Book { seats, labels, .. } => (Some(*seats), labels, &bookings),
            Op::Hold { seats, labels, .. } => (Some(*seats), labels, &holds),
            Op::Confirm { .. } => (None, &None, &bookings),
            _ => continue,
        };
        let (Some(id), Some(body)) = (call.body_i64("id"), call.body()) else { continue };
        let answered = labels(&body["seat_labels"]);
        let mut wrong = Vec::new();
        if stored.get(&id).is_some_and(|s| **s != answered) {
            wrong.push(format!("stored seats {:?}", stored.get(&id)));
        }
        let count = answered.as_ref().map(|a| i64::try_from(a.len()).unwrap_or(i64::MAX));
        let expected = body["seats"].as_i64().or(seats);
        match (seated.get(&call.event).copied().unwrap_or(false), count) {
            (true, Some(n)) if Some(n) == expected => {}
            (false, None) => {}
            (is_seated, _) => wrong.push(format!("{count:?} seats named for {expected:?} taken (seated: {is_seated})")),
        }
        if let (Some(named), Some(answered)) = (named, &answered)
            && named.iter().collect::<BTreeSet<_>>() != answered.iter().collect::<BTreeSet<_>>()
        {
            wrong.push(format!("named {named:?}"));
        }
        if let Op::Confirm { hold } = call.op
            && holds.get(&hold).is_some_and(|h| **h != answered)
        {
            wrong.push(format!("its hold's seats are {:?}", holds.get(&hold)));
        }
        if !wrong.is_empty() {
            let detail = format!("{} answered seats {answered:?}, yet {}", describe(call), wrong.join("; "));
            found.push(Anomaly::new(RULE, detail).pair(call.user, call.event));
        }
    }
}

fn labels(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect())
}
