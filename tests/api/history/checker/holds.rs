//! Holds: acknowledged ones stored as answered, keyed replays identical to the first
//! answer, confirmations that made exactly one booking of the hold's seats, and releases
//! that stick.

use std::collections::{HashMap, HashSet};

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::{BookingRow, FinalState, HoldRow};

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let holds: HashMap<i64, &HoldRow> = state.holds.iter().map(|h| (h.id, h)).collect();
    let bookings: HashMap<i64, &BookingRow> = state.bookings.iter().map(|b| (b.id, b)).collect();
    acknowledged_are_stored(history, &holds, found);
    refusals_had_no_effect(history, state, found);
    keyed_replays_agree(history, found);
    confirmations_made_one_booking(history, &holds, &bookings, found);
    releases_stick(history, &holds, found);
}

fn acknowledged_are_stored(history: &[Call], holds: &HashMap<i64, &HoldRow>, found: &mut Vec<Anomaly>) {
    let rule = "acknowledged holds are stored as answered";
    for call in history.iter().filter(|c| c.is(201)) {
        let Op::Hold { seats, .. } = &call.op else { continue };
        let Some(id) = call.body_i64("id") else {
            found.push(Anomaly::new(rule, format!("{} answered 201 without an id", describe(call))));
            continue;
        };
        let stored = holds.get(&id).map(|h| (h.user_id, h.event_id, i64::from(h.seats)));
        if stored != Some((call.user, call.event, *seats)) {
            let detail = format!("hold {id} answered to {} is stored as {stored:?}", describe(call));
            found.push(Anomaly::new(rule, detail).pair(call.user, call.event));
        }
    }
}

/// Every stored hold was acknowledged, or asked by a request whose outcome is unknown.
fn refusals_had_no_effect(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let mut acked: HashMap<(i64, i64), Vec<i64>> = HashMap::new();
    let mut unknown: HashMap<(i64, i64), HashSet<usize>> = HashMap::new();
    let mut answered: HashSet<usize> = HashSet::new();
    for call in history.iter().filter(|c| matches!(c.op, Op::Hold { .. })) {
        if let Some(id) = call.body_i64("id").filter(|_| call.is(201)) {
            acked.entry((call.user, call.event)).or_default().push(id);
            answered.insert(call.request);
        }
    }
    for call in history.iter().filter(|c| matches!(c.op, Op::Hold { .. }) && c.is_indeterminate()) {
        if !answered.contains(&call.request) {
            unknown.entry((call.user, call.event)).or_default().insert(call.request);
        }
    }
    let mut stored: HashMap<(i64, i64), Vec<i64>> = HashMap::new();
    for hold in &state.holds {
        stored.entry((hold.user_id, hold.event_id)).or_default().push(hold.id);
    }
    for ((user, event), ids) in stored {
        let known = acked.get(&(user, event));
        let untold = ids.iter().filter(|id| known.is_none_or(|k| !k.contains(id))).count();
        let explained = unknown.get(&(user, event)).map_or(0, HashSet::len);
        if untold > explained {
            let detail =
                format!("user {user} event {event}: {untold} holds never acknowledged, {explained} unknown outcomes");
            found.push(Anomaly::new("refused holds had no effect", detail).pair(user, event));
        }
    }
}

fn keyed_replays_agree(history: &[Call], found: &mut Vec<Anomaly>) {
    let mut first: HashMap<(i64, &str), (i64, &Call)> = HashMap::new();
    for call in history.iter().filter(|c| c.is(201)) {
        let (Op::Hold { key: Some(key), .. }, Some(id)) = (&call.op, call.body_i64("id")) else { continue };
        match first.get(&(call.user, key.as_str())) {
            Some((earlier, by)) if *earlier != id => {
                let detail = format!("{} answered hold {id}, {} answered hold {earlier}", describe(call), describe(by));
                found.push(Anomaly::new("a key answered 201 replays that hold", detail).pair(call.user, call.event));
            }
            Some(_) => {}
            None => {
                first.insert((call.user, key.as_str()), (id, call));
            }
        }
    }
}

fn confirmations_made_one_booking(
    history: &[Call],
    holds: &HashMap<i64, &HoldRow>,
    bookings: &HashMap<i64, &BookingRow>,
    found: &mut Vec<Anomaly>,
) {
    let rule = "a confirmed hold made exactly one booking of its seats";
    let mut answered: HashMap<i64, i64> = HashMap::new();
    for call in history.iter().filter(|c| c.is(201) || c.is(200)) {
        let Op::Confirm { hold } = call.op else { continue };
        let at = |detail: String| Anomaly::new(rule, detail).pair(call.user, call.event);
        let Some(booking) = call.body_i64("id") else {
            found.push(at(format!("{} answered without a booking id", describe(call))));
            continue;
        };
        if let Some(earlier) = answered.insert(hold, booking)
            && earlier != booking
        {
            found.push(at(format!("hold {hold} was confirmed into bookings {earlier} and {booking}")));
        }
        let stored = holds.get(&hold);
        if stored.map(|h| (h.status.as_str(), h.booking_id)) != Some(("confirmed", Some(booking))) {
            found.push(at(format!("{} answered booking {booking}, the hold is stored as {stored:?}", describe(call))));
        }
        let made = bookings.get(&booking).map(|b| (b.user_id, b.event_id, b.seats, b.source.as_str()));
        let expected = stored.map(|h| (h.user_id, h.event_id, h.seats, "hold"));
        if made.is_none() || made != expected {
            found.push(at(format!("booking {booking} of hold {hold} is stored as {made:?}, expected {expected:?}")));
        }
    }
}

fn releases_stick(history: &[Call], holds: &HashMap<i64, &HoldRow>, found: &mut Vec<Anomaly>) {
    for call in history.iter().filter(|c| c.is(200)) {
        let Op::Release { hold } = call.op else { continue };
        let status = holds.get(&hold).map(|h| h.status.as_str());
        if status != Some("released") {
            let detail = format!("{} answered 200, the hold is stored as {status:?}", describe(call));
            found.push(Anomaly::new("a released hold stays released", detail).pair(call.user, call.event));
        }
    }
}
