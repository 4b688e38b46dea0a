//! Bookings: acknowledged ones stored as answered and once, replays identical to the
//! first answer, refused requests without effect, keys pointing at their booking, and
//! cancellations that stick and happen only when asked.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::{BookingRow, FinalState};

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let rows: HashMap<i64, &BookingRow> = state.bookings.iter().map(|b| (b.id, b)).collect();
    acknowledged_are_stored(history, &rows, found);
    replays_repeat_the_first_answer(history, found);
    refusals_had_no_effect(history, state, found);
    keys_point_at_their_booking(history, state, &rows, found);
    cancellations(history, state, &rows, found);
}

fn booked(call: &Call) -> Option<(i64, &Option<String>)> {
    match &call.op {
        Op::Book { seats, key, .. } => Some((*seats, key)),
        _ => None,
    }
}

fn acknowledged_are_stored(history: &[Call], rows: &HashMap<i64, &BookingRow>, found: &mut Vec<Anomaly>) {
    let mut answered_to: HashMap<i64, usize> = HashMap::new();
    for call in history.iter().filter(|c| c.is(201)) {
        let Some((seats, _)) = booked(call) else { continue };
        let rule = "acknowledged bookings are stored as answered, once";
        let Some(id) = call.body_i64("id") else {
            found.push(Anomaly::new(rule, format!("{} answered 201 without an id", describe(call))));
            continue;
        };
        let at = |detail: String| Anomaly::new(rule, detail).pair(call.user, call.event).booking(id);
        match answered_to.insert(id, call.request) {
            Some(other) if other != call.request => {
                found.push(at(format!(
                    "booking {id} was answered to two different requests ({other} and {})",
                    call.request
                )));
            }
            Some(_) => continue,
            None => {}
        }
        match rows.get(&id) {
            None => found.push(at(format!("booking {id} answered 201 to {} is not stored", describe(call)))),
            Some(row)
                if (row.user_id, row.event_id, i64::from(row.seats), row.source.as_str())
                    != (call.user, call.event, seats, "direct") =>
            {
                found.push(at(format!(
                    "booking {id} answered to {} is stored as user {} event {} seats {} source {}",
                    describe(call),
                    row.user_id,
                    row.event_id,
                    row.seats,
                    row.source
                )));
            }
            Some(_) => {}
        }
    }
}

/// The attempts of each keyed booking, by (user, key), in start order.
fn keyed_groups(history: &[Call]) -> BTreeMap<(i64, &str), Vec<&Call>> {
    let mut groups: BTreeMap<(i64, &str), Vec<&Call>> = BTreeMap::new();
    for call in history {
        if let Some((_, Some(key))) = booked(call) {
            groups.entry((call.user, key.as_str())).or_default().push(call);
        }
    }
    groups
}

fn replays_repeat_the_first_answer(history: &[Call], found: &mut Vec<Anomaly>) {
    let rule = "a key answered 201 replays that answer";
    for ((user, key), attempts) in keyed_groups(history) {
        let Some(first) = attempts.iter().filter(|c| c.is(201)).min_by_key(|c| c.end) else { continue };
        for attempt in &attempts {
            let at = |detail: String| Anomaly::new(rule, detail).pair(user, attempt.event);
            if attempt.is(201) && attempt.body() != first.body() {
                found.push(at(format!(
                    "key {key} of user {user}: {} differs from the first answer {}",
                    attempt.body().unwrap_or_default(),
                    first.body().unwrap_or_default()
                )));
            } else if attempt.start > first.end && !attempt.is(201) && !attempt.is(503) && !attempt.is_indeterminate() {
                found.push(at(format!(
                    "key {key} of user {user} answered {:?} {:?} after its 201",
                    attempt.status(),
                    attempt.code()
                )));
            }
        }
    }
}

/// Per (user, event): stored direct bookings that nobody was told of must each be
/// explained by a request whose outcome is unknown (a keyed request counts once).
fn refusals_had_no_effect(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let mut acked: HashMap<(i64, i64), HashSet<i64>> = HashMap::new();
    let mut unknown: HashMap<(i64, i64), usize> = HashMap::new();
    for call in history.iter().filter(|c| booked(c).is_some()) {
        if let Some(id) = call.body_i64("id").filter(|_| call.is(201)) {
            acked.entry((call.user, call.event)).or_default().insert(id);
        }
    }
    for call in history.iter().filter(|c| matches!(booked(c), Some((_, None))) && c.is_indeterminate()) {
        *unknown.entry((call.user, call.event)).or_default() += 1;
    }
    for attempts in keyed_groups(history).values() {
        if !attempts.iter().any(|c| c.is(201)) && attempts.iter().any(|c| c.is_indeterminate()) {
            *unknown.entry((attempts[0].user, attempts[0].event)).or_default() += 1;
        }
    }
    let mut stored: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
    for row in state.bookings.iter().filter(|b| b.source == "direct") {
        stored.entry((row.user_id, row.event_id)).or_default().push(row.id);
    }
    for ((user, event), ids) in stored {
        let known = acked.get(&(user, event));
        let untold: Vec<i64> = ids.iter().copied().filter(|id| known.is_none_or(|k| !k.contains(id))).collect();
        let explained = unknown.get(&(user, event)).copied().unwrap_or(0);
        if untold.len() > explained {
            found.push(
                Anomaly::new(
                    "refused bookings had no effect",
                    format!(
                        "user {user} event {event}: {} direct bookings stored, {} acknowledged, only {explained} \
                         requests of unknown outcome for the unacknowledged {untold:?}",
                        ids.len(),
                        known.map_or(0, HashSet::len)
                    ),
                )
                .pair(user, event),
            );
        }
    }
}

fn keys_point_at_their_booking(
    history: &[Call],
    state: &FinalState,
    rows: &HashMap<i64, &BookingRow>,
    found: &mut Vec<Anomaly>,
) {
    let rule = "remembered keys point at their booking";
    let groups = keyed_groups(history);
    let mut remembered = HashSet::new();
    for key in &state.keys {
        remembered.insert((key.user_id, key.key.as_str()));
        let at = |detail: String| Anomaly::new(rule, detail).pair(key.user_id, key.event_id);
        let attempts = groups.get(&(key.user_id, key.key.as_str())).map_or(&[][..], Vec::as_slice);
        let Some(id) = key.booking_id else {
            found.push(at(format!("key {} of user {} is claimed but has no booking", key.key, key.user_id)));
            continue;
        };
        match rows.get(&id) {
            Some(b)
                if (b.user_id, b.event_id, b.seats, b.source.as_str())
                    == (key.user_id, key.event_id, key.seats, "direct") => {}
            _ => found.push(at(format!(
                "key {} of user {} points at booking {id}, not stored as keyed",
                key.key, key.user_id
            ))),
        }
        if let Some(other) = attempts.iter().filter(|c| c.is(201)).find(|c| c.body_i64("id") != Some(id)) {
            found.push(at(format!("key {} remembers booking {id} but answered {:?}", key.key, other.body_i64("id"))));
        }
        if !attempts.iter().any(|c| c.is(201) || c.is_indeterminate()) {
            found.push(at(format!("key {} of user {} was only refused, yet it is remembered", key.key, key.user_id)));
        }
    }
    for ((user, key), attempts) in groups {
        if attempts.iter().any(|c| c.is(201)) && !remembered.contains(&(user, key)) {
            found.push(Anomaly::new(rule, format!("key {key} of user {user} answered 201 but is not remembered")));
        }
    }
}

fn cancellations(history: &[Call], state: &FinalState, rows: &HashMap<i64, &BookingRow>, found: &mut Vec<Anomaly>) {
    let mut asked = HashSet::new();
    for call in history.iter().filter(|c| c.is(200) || c.is_indeterminate()) {
        if let Op::Cancel { booking } = call.op {
            asked.insert(booking);
            let stored = rows.get(&booking).map(|b| b.status.as_str());
            if call.is(200) && stored != Some("cancelled") {
                let detail = format!("{} answered 200 but the booking is {stored:?}", describe(call));
                found.push(
                    Anomaly::new("acknowledged cancellations stick", detail)
                        .pair(call.user, call.event)
                        .booking(booking),
                );
            }
        }
    }
    let called_off: HashSet<i64> = state.events.iter().filter(|e| e.status == "cancelled").map(|e| e.id).collect();
    for row in state.bookings.iter().filter(|b| b.status == "cancelled") {
        if !asked.contains(&row.id) && !called_off.contains(&row.event_id) {
            let detail = format!("booking {} was cancelled though nobody asked", row.id);
            found.push(
                Anomaly::new("bookings are cancelled only when asked", detail)
                    .pair(row.user_id, row.event_id)
                    .booking(row.id),
            );
        }
    }
}
