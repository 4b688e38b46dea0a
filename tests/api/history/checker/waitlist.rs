//! Waitlists: acknowledged entries stored as answered, refused joins and leaves without
//! effect, a 204 leave final (never promoted afterwards), promotions that are bookings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::{EntryRow, FinalState};

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let mut entries: BTreeMap<(i64, i64), Vec<&EntryRow>> = BTreeMap::new();
    for entry in &state.entries {
        entries.entry((entry.user_id, entry.event_id)).or_default().push(entry);
    }
    joins(history, &entries, found);
    leaves(history, state, &entries, found);
    promotions(state, found);
}

fn joins(history: &[Call], entries: &BTreeMap<(i64, i64), Vec<&EntryRow>>, found: &mut Vec<Anomaly>) {
    let mut acked: HashMap<(i64, i64), usize> = HashMap::new();
    let mut unknown: HashMap<(i64, i64), usize> = HashMap::new();
    for call in history {
        let Op::Join { seats } = call.op else { continue };
        let pair = (call.user, call.event);
        if call.is_indeterminate() {
            *unknown.entry(pair).or_default() += 1;
        }
        if !call.is(201) {
            continue;
        }
        *acked.entry(pair).or_default() += 1;
        let id = call.body_i64("id");
        let stored = entries.get(&pair).and_then(|e| e.iter().find(|e| Some(e.id) == id));
        if stored.is_none_or(|e| i64::from(e.seats) != seats) {
            let detail = format!("entry {id:?} answered 201 to {} is stored as {stored:?}", describe(call));
            found.push(
                Anomaly::new("acknowledged waitlist entries are stored as answered", detail).pair(pair.0, pair.1),
            );
        }
    }
    for (&(user, event), stored) in entries {
        let told = acked.get(&(user, event)).copied().unwrap_or(0);
        let unsure = unknown.get(&(user, event)).copied().unwrap_or(0);
        if stored.len() > told + unsure {
            let detail = format!(
                "user {user} event {event}: {} entries stored, {told} joins acknowledged, {unsure} of unknown outcome",
                stored.len()
            );
            found.push(Anomaly::new("refused joins had no effect", detail).pair(user, event));
        }
    }
}

fn leaves(
    history: &[Call],
    state: &FinalState,
    entries: &BTreeMap<(i64, i64), Vec<&EntryRow>>,
    found: &mut Vec<Anomaly>,
) {
    let created: HashMap<i64, _> = state.bookings.iter().map(|b| (b.id, b.created_at)).collect();
    let mut acked: BTreeMap<(i64, i64), Vec<&Call>> = BTreeMap::new();
    let mut unknown: HashMap<(i64, i64), usize> = HashMap::new();
    for call in history.iter().filter(|c| c.op == Op::Leave) {
        if call.is(204) {
            acked.entry((call.user, call.event)).or_default().push(call);
        } else if call.is_indeterminate() {
            *unknown.entry((call.user, call.event)).or_default() += 1;
        }
    }
    let none = Vec::new();
    let pairs: BTreeSet<(i64, i64)> = acked.keys().chain(entries.keys()).copied().collect();
    for (user, event) in pairs {
        let left_calls = acked.get(&(user, event)).unwrap_or(&none);
        let mine = entries.get(&(user, event)).map_or(&[][..], Vec::as_slice);
        let left = mine.iter().filter(|e| e.status == "left").count();
        let unsure = unknown.get(&(user, event)).copied().unwrap_or(0);
        let statuses: Vec<String> = mine.iter().map(|e| format!("{}:{}", e.id, e.status)).collect();
        if left < left_calls.len() {
            let detail = format!(
                "user {user} left event {event} {} times (204) but only {left} entries are left: {statuses:?}",
                left_calls.len()
            );
            found.push(Anomaly::new("a 204 leave takes the entry out for good", detail).pair(user, event));
        }
        if left > left_calls.len() + unsure {
            let detail =
                format!("user {user} event {event}: {left} entries left, {} leaves acknowledged", left_calls.len());
            found.push(Anomaly::new("refused leaves had no effect", detail).pair(user, event));
        }
        for leave in left_calls {
            for entry in mine.iter().filter(|e| e.status == "promoted" && e.joined_at < leave.start) {
                let promoted_at = entry.booking_id.and_then(|b| created.get(&b));
                if promoted_at.is_some_and(|at| *at > leave.end) {
                    let detail = format!(
                        "entry {} (joined {}) promoted to booking {:?} at {} after {} answered 204 at {}",
                        entry.id,
                        entry.joined_at.format("%H:%M:%S%.6f"),
                        entry.booking_id,
                        promoted_at.map(|at| at.format("%H:%M:%S%.6f").to_string()).unwrap_or_default(),
                        describe(leave),
                        leave.end.format("%H:%M:%S%.6f")
                    );
                    found.push(Anomaly::new("no promotion after a 204 leave", detail).pair(user, event));
                }
            }
        }
    }
}

/// Every promoted entry is one `waitlist` booking of its user, event and seats, and every
/// `waitlist` booking comes from exactly one promoted entry.
fn promotions(state: &FinalState, found: &mut Vec<Anomaly>) {
    let rule = "promotions are bookings of the entry";
    let bookings: HashMap<i64, _> = state.bookings.iter().map(|b| (b.id, b)).collect();
    let mut sources: HashMap<i64, usize> = HashMap::new();
    for entry in state.entries.iter().filter(|e| e.status == "promoted") {
        let booking = entry.booking_id.and_then(|id| bookings.get(&id));
        *sources.entry(entry.booking_id.unwrap_or(0)).or_default() += 1;
        if booking.is_none_or(|b| {
            (b.user_id, b.event_id, b.seats, b.source.as_str())
                != (entry.user_id, entry.event_id, entry.seats, "waitlist")
        }) {
            let detail = format!("promoted entry {} points at {booking:?}", entry.id);
            found.push(Anomaly::new(rule, detail).pair(entry.user_id, entry.event_id));
        }
    }
    for booking in state.bookings.iter().filter(|b| b.source == "waitlist") {
        let entries = sources.get(&booking.id).copied().unwrap_or(0);
        if entries != 1 {
            let detail = format!("waitlist booking {} comes from {entries} promoted entries", booking.id);
            found.push(Anomaly::new(rule, detail).pair(booking.user_id, booking.event_id).booking(booking.id));
        }
    }
}
