use thiserror::Error;

use crate::failure::Transient;
use crate::inventory::JoinConflict;
use crate::{Refusal, StoreError};

/// Why a user could not join a waitlist.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JoinWaitlistError {
    /// No such event.
    #[error("no such event")]
    EventNotFound,
    /// The event is cancelled.
    #[error("the event is cancelled")]
    EventCancelled,
    /// The event sells through its on-sale queue, and the caller holds no current
    /// admission.
    #[error("this event sells through its queue: take a queue ticket and wait to be admitted")]
    NotAdmitted,
    /// The request names a tier the event does not have.
    #[error("the event has no such tier")]
    UnknownTier,
    /// More seats than the event allows per booking.
    #[error("at most {max} seats per entry")]
    SeatsAboveLimit {
        /// The event's `max_seats_per_booking`.
        max: u32,
    },
    /// The user holds a confirmed booking for the event.
    #[error("already booked")]
    AlreadyBooked,
    /// The user is already waiting.
    #[error("already on the waitlist")]
    AlreadyWaitlisted,
    /// The user holds an active hold for the event.
    #[error("already holding seats of this event")]
    AlreadyHolding,
    /// The joining user's account no longer exists.
    #[error("the account no longer exists")]
    UnknownUser,
    /// The seats asked for are free: book instead.
    #[error("{available} seats are available: book instead")]
    EventNotFull {
        /// Seats free now.
        available: u32,
    },
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a user could not leave a waitlist.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LeaveWaitlistError {
    /// The user is not waiting for the event (or there is no such event).
    #[error("not on the waitlist")]
    NotWaiting,
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Transient for JoinWaitlistError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl Transient for LeaveWaitlistError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<JoinWaitlistError> for Refusal {
    fn from(error: JoinWaitlistError) -> Self {
        match error {
            JoinWaitlistError::EventNotFound => Self::NotFound("no such event"),
            JoinWaitlistError::EventCancelled => Self::conflict("event_cancelled", &error),
            JoinWaitlistError::NotAdmitted => Self::NotAdmitted,
            JoinWaitlistError::UnknownTier => Self::invalid("tier_id", &error),
            JoinWaitlistError::SeatsAboveLimit { .. } => Self::invalid("seats", &error),
            JoinWaitlistError::AlreadyBooked => Self::conflict("already_booked", &error),
            JoinWaitlistError::AlreadyWaitlisted => Self::conflict("already_waitlisted", &error),
            JoinWaitlistError::AlreadyHolding => Self::conflict("already_holding", &error),
            JoinWaitlistError::UnknownUser => Self::Unauthenticated,
            JoinWaitlistError::EventNotFull { .. } => Self::conflict("event_not_full", &error),
            JoinWaitlistError::Store(e) => Self::Store(e),
        }
    }
}

impl From<LeaveWaitlistError> for Refusal {
    fn from(error: LeaveWaitlistError) -> Self {
        match error {
            LeaveWaitlistError::NotWaiting => Self::NotFound("you are not on this waitlist"),
            LeaveWaitlistError::Store(e) => Self::Store(e),
        }
    }
}

impl From<JoinConflict> for JoinWaitlistError {
    fn from(conflict: JoinConflict) -> Self {
        match conflict {
            JoinConflict::EventCancelled => Self::EventCancelled,
            JoinConflict::NotAdmitted => Self::NotAdmitted,
            JoinConflict::UnknownTier => Self::UnknownTier,
            JoinConflict::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            JoinConflict::AlreadyBooked => Self::AlreadyBooked,
            JoinConflict::AlreadyWaitlisted => Self::AlreadyWaitlisted,
            JoinConflict::AlreadyHolding => Self::AlreadyHolding,
            JoinConflict::EventNotFull { available } => Self::EventNotFull { available },
        }
    }
}
