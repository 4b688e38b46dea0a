//! The checker: a pure function from a run's history, its fault windows and the final
//! database state to every anomaly found (it never stops at the first).

mod answers;
mod bookings;
mod events;
mod holds;
mod queue;
mod seats;
mod tickets;
mod waitlist;
mod webhooks;

#[cfg(test)]
mod tests;

use std::fmt;

pub use answers::{GRACE, during_fault};

use super::record::{Call, FaultWindow};
use super::state::FinalState;

/// A broken promise, with what it concerns (to slice the history around it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub rule: String,
    pub detail: String,
    pub user: Option<i64>,
    pub event: Option<i64>,
    pub booking: Option<i64>,
}

impl Anomaly {
    pub fn new(rule: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { rule: rule.into(), detail: detail.into(), user: None, event: None, booking: None }
    }

    pub fn pair(mut self, user: i64, event: i64) -> Self {
        (self.user, self.event) = (Some(user), Some(event));
        self
    }

    pub fn event(mut self, event: i64) -> Self {
        self.event = Some(event);
        self
    }

    pub fn booking(mut self, booking: i64) -> Self {
        self.booking = Some(booking);
        self
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.detail)
    }
}

/// Checks the whole history against the contract and the final state.
pub fn check(history: &[Call], faults: &[FaultWindow], state: &FinalState) -> Vec<Anomaly> {
    let mut found = Vec::new();
    answers::check(history, faults, &mut found);
    bookings::check(history, state, &mut found);
    waitlist::check(history, state, &mut found);
    events::check(history, state, &mut found);
    holds::check(history, state, &mut found);
    seats::check(history, state, &mut found);
    queue::check(state, &mut found);
    tickets::check(history, state, &mut found);
    webhooks::check(state, &mut found);
    found
}
