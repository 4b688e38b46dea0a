//! Queued events: every seat taken directly (a booking or a hold) was taken by a user the
//! queue admitted, at a time their admission was current.

use chrono::TimeDelta;

use super::Anomaly;
use crate::history::state::FinalState;

const RULE: &str = "only admitted users take a queued event's seats";

/// How long a booking's transaction may have waited for the event's lock: its
/// `created_at` is when it began, its admission was checked once the lock was granted
/// (the statement timeout bounds the wait).
const LOCK_WAIT: TimeDelta = TimeDelta::seconds(5);

pub fn check(state: &FinalState, found: &mut Vec<Anomaly>) {
    for event in state.events.iter().filter(|e| e.queued) {
        let admission = |user: i64| state.queue_tickets.iter().find(|t| t.event_id == event.id && t.user_id == user);
        for booking in state.bookings.iter().filter(|b| b.event_id == event.id && b.source == "direct") {
            let admitted = admission(booking.user_id).and_then(|t| t.admitted_at.zip(t.expires_at));
            if !admitted.is_some_and(|(from, to)| from - LOCK_WAIT <= booking.created_at && booking.created_at < to) {
                let detail = format!(
                    "booking {} of queued event {} by user {} at {}, admission {admitted:?}",
                    booking.id, event.id, booking.user_id, booking.created_at
                );
                found.push(Anomaly::new(RULE, detail).pair(booking.user_id, event.id).booking(booking.id));
            }
        }
        for hold in state.holds.iter().filter(|h| h.event_id == event.id && h.source == "direct") {
            if admission(hold.user_id).and_then(|t| t.admitted_at).is_none() {
                let detail =
                    format!("hold {} of queued event {} by user {} never admitted", hold.id, event.id, hold.user_id);
                found.push(Anomaly::new(RULE, detail).pair(hold.user_id, event.id));
            }
        }
    }
}
