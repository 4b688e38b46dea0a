//! Events: the booking rules on the final state (in SQL, and again in Rust with the
//! domain's own `Inventory`), no deadlock, cancelled events left empty and closed, and
//! capacities that an admin set.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use evently_domain::inventory::{Capacity, EventStatus};
use evently_domain::inventory::{Inventory, Promotion, Queued, Seats, TierStock};
use evently_domain::{TierId, UserId, WaitlistEntryId};

use super::Anomaly;
use super::answers::describe;
use crate::history::record::{Call, Op};
use crate::history::state::{EventRow, FinalState};

pub fn check(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    for rule in state.invariants.iter().filter(|r| r.violations != 0) {
        found.push(Anomaly::new(format!("bench/invariants.sql: {}", rule.rule), format!("{} rows", rule.violations)));
    }
    if state.deadlocks > 0 {
        let detail = format!("PostgreSQL detected {} deadlocks (pg_stat_database)", state.deadlocks);
        found.push(Anomaly::new("transactions never deadlock", detail));
    }
    for event in &state.events {
        seats_and_holdings(event, state, found);
        no_waiting_entry_fits(event, state, found);
        if event.status == "cancelled" {
            cancelled_is_empty(event, state, found);
        }
    }
    cancellations(history, state, found);
    capacities(history, state, found);
}

/// Rules 1 to 3 on one event.
fn seats_and_holdings(event: &EventRow, state: &FinalState, found: &mut Vec<Anomaly>) {
    let confirmed: Vec<_> =
        state.bookings.iter().filter(|b| b.event_id == event.id && b.status == "confirmed").collect();
    let seats: i32 = confirmed.iter().map(|b| b.seats).sum();
    if seats != event.booked_seats || seats > event.capacity {
        let detail = format!(
            "event {}: booked_seats {}, confirmed seats {seats}, capacity {}",
            event.id, event.booked_seats, event.capacity
        );
        found.push(Anomaly::new("rule 1: booked_seats = confirmed seats <= capacity", detail).event(event.id));
    }
    let mut held: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for booking in &confirmed {
        held.entry(booking.user_id).or_default().0 += 1;
    }
    let waiting: Vec<_> = state.entries.iter().filter(|e| e.event_id == event.id && e.status == "waiting").collect();
    for entry in &waiting {
        held.entry(entry.user_id).or_default().1 += 1;
    }
    for (user, (booked, queued)) in held {
        if booked > 1 || queued > 1 || (booked > 0 && queued > 0) {
            let detail = format!("user {user} holds {booked} confirmed bookings and {queued} waiting entries");
            found.push(Anomaly::new("rule 2: one booking or one waiting entry", detail).pair(user, event.id));
        }
    }
    let sizes = confirmed.iter().map(|b| (b.user_id, b.seats)).chain(waiting.iter().map(|e| (e.user_id, e.seats)));
    for (user, seats) in sizes.filter(|(_, s)| !(1..=event.max_seats_per_booking).contains(s)) {
        let detail = format!("{seats} seats, limit {}", event.max_seats_per_booking);
        found.push(Anomaly::new("rule 3: 1 <= seats <= max_seats_per_booking", detail).pair(user, event.id));
    }
}

/// Rule 4 as the domain decides it: rebuilt from the final capacity and confirmed seats,
/// the event's own promotion (a resize to the same capacity) must promote nobody.
fn no_waiting_entry_fits(event: &EventRow, state: &FinalState, found: &mut Vec<Anomaly>) {
    let rule = "rule 4: no waiting entry fits in the free seats";
    let confirmed: i32 =
        state.bookings.iter().filter(|b| b.event_id == event.id && b.status == "confirmed").map(|b| b.seats).sum();
    let built = (|| {
        let capacity = Capacity::new(event.capacity.into()).ok()?;
        let max = Seats::new(event.max_seats_per_booking.into()).ok()?;
        let status = EventStatus::parse(&event.status)?;
        let queue = state
            .entries
            .iter()
            .filter(|e| e.event_id == event.id && e.status == "waiting")
            .map(|e| {
                let (entry, user) = (WaitlistEntryId::new(e.id)?, UserId::new(e.user_id)?);
                Some(Queued { entry, user, seats: Seats::new(e.seats.into()).ok()?, tier: TierId::new(e.tier_id)? })
            })
            .collect::<Option<Vec<_>>>()?;
        let tiers = state
            .tiers
            .iter()
            .filter(|t| t.event_id == event.id)
            .map(|t| {
                let booked: i32 = state
                    .bookings
                    .iter()
                    .filter(|b| b.tier_id == t.id && b.status == "confirmed")
                    .map(|b| b.seats)
                    .sum();
                let capacity = t.capacity.map(|c| Capacity::new(c.into()).ok()).unwrap_or(None);
                // The history's holds last longer than the run: every active one holds its seats.
                let held: i32 =
                    state.holds.iter().filter(|h| h.tier_id == t.id && h.status == "active").map(|h| h.seats).sum();
                let (booked, held) = (u32::try_from(booked).ok()?, u32::try_from(held).ok()?);
                Some(TierStock { id: TierId::new(t.id)?, capacity, booked, held })
            })
            .collect::<Option<Vec<_>>>()?;
        let inventory = Inventory::new(capacity, max, status, Promotion::Book, tiers).ok()?;
        (inventory.booked() == u32::try_from(confirmed).ok()?).then_some((inventory, capacity, max, queue))
    })();
    let Some((mut inventory, capacity, max, queue)) = built else {
        let detail = format!("event {} cannot be rebuilt as an Inventory: {event:?}", event.id);
        found.push(Anomaly::new(rule, detail).event(event.id));
        return;
    };
    let available = inventory.available();
    if let Ok(promoted) = inventory.resize(capacity, max, &queue)
        && !promoted.is_empty()
    {
        let fits: Vec<String> =
            promoted.iter().map(|p| format!("entry {} ({} seats)", p.entry.entry, p.entry.seats.get())).collect();
        let detail = format!("event {}: {available} seats free, yet {} wait", event.id, fits.join(", "));
        found.push(Anomaly::new(rule, detail).event(event.id));
    }
}

/// Rule 5's aftermath: a cancelled event holds no confirmed booking and no waiting entry.
fn cancelled_is_empty(event: &EventRow, state: &FinalState, found: &mut Vec<Anomaly>) {
    let booked = state.bookings.iter().filter(|b| b.event_id == event.id && b.status == "confirmed").count();
    let waiting = state.entries.iter().filter(|e| e.event_id == event.id && e.status == "waiting").count();
    if booked + waiting > 0 {
        let detail =
            format!("cancelled event {} keeps {booked} confirmed bookings, {waiting} waiting entries", event.id);
        found.push(Anomaly::new("a cancelled event is emptied", detail).event(event.id));
    }
}

/// Event cancellations stick, happen only when asked, and close the event: no booking,
/// entry or resize is made after the acknowledgement.
fn cancellations(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let status: HashMap<i64, &str> = state.events.iter().map(|e| (e.id, e.status.as_str())).collect();
    for event in state.events.iter().filter(|e| e.status == "cancelled") {
        let asked = history
            .iter()
            .any(|c| c.op == Op::CancelEvent && c.event == event.id && (c.is(200) || c.is_indeterminate()));
        if !asked {
            let detail = format!("event {} is cancelled though nobody asked", event.id);
            found.push(Anomaly::new("events are cancelled only when asked", detail).event(event.id));
        }
    }
    for cancel in history.iter().filter(|c| c.op == Op::CancelEvent && c.is(200)) {
        if status.get(&cancel.event) != Some(&"cancelled") {
            let detail = format!("{} answered 200 but the event is {:?}", describe(cancel), status.get(&cancel.event));
            found.push(Anomaly::new("acknowledged event cancellations stick", detail).event(cancel.event));
        }
        // A keyed retry may replay a booking made before: what counts is when the
        // booking's or entry's transaction ran.
        let made: HashMap<i64, _> = state.bookings.iter().map(|b| (b.id, b.created_at)).collect();
        let joined: HashMap<i64, _> = state.entries.iter().map(|e| (e.id, e.joined_at)).collect();
        let after = |at: Option<&DateTime<Utc>>| at.is_some_and(|at| *at > cancel.end);
        let accepted = history.iter().filter(|c| c.event == cancel.event && c.start > cancel.end).filter(|c| {
            let id = c.body_i64("id").unwrap_or(0);
            match c.op {
                Op::Book { .. } => c.is(201) && after(made.get(&id)),
                Op::Join { .. } => c.is(201) && after(joined.get(&id)),
                Op::Resize { .. } => c.is(200),
                _ => false,
            }
        });
        for call in accepted {
            let detail = format!("{} was accepted after the event's cancellation was acknowledged", describe(call));
            found.push(Anomaly::new("rule 5: a cancelled event accepts nothing", detail).pair(call.user, call.event));
        }
    }
}

/// The final capacity is one an admin set, and the last acknowledged resize wins when
/// no other resize may have landed after it.
fn capacities(history: &[Call], state: &FinalState, found: &mut Vec<Anomaly>) {
    let rule = "capacity is the last one an admin set";
    for event in &state.events {
        let calls: Vec<&Call> = history.iter().filter(|c| c.event == event.id).collect();
        let set = |c: &&Call| match c.op {
            Op::Create { capacity } if c.is(201) => Some(capacity),
            Op::Resize { capacity } if c.is(200) || c.is_indeterminate() => Some(capacity),
            _ => None,
        };
        if !calls.iter().filter_map(set).any(|c| c == i64::from(event.capacity)) {
            let detail = format!("event {} has capacity {}, which no admin request set", event.id, event.capacity);
            found.push(Anomaly::new(rule, detail).event(event.id));
        }
        let resizes: Vec<&Call> = calls.iter().copied().filter(|c| matches!(c.op, Op::Resize { .. })).collect();
        let Some(last) = resizes.iter().filter(|c| c.is(200)).max_by_key(|c| c.end) else { continue };
        let unsure = resizes.iter().any(|c| c.is_indeterminate());
        let alone = resizes.iter().filter(|c| c.is(200) && !std::ptr::eq(**c, *last)).all(|c| c.end < last.start);
        if let (Op::Resize { capacity }, false, true) = (&last.op, unsure, alone)
            && *capacity != i64::from(event.capacity)
        {
            let detail = format!("{} was the last resize, yet capacity is {}", describe(last), event.capacity);
            found.push(Anomaly::new(rule, detail).event(event.id));
        }
    }
}
