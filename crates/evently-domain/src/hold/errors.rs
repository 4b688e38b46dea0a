use thiserror::Error;

use crate::failure::Transient;
use crate::inventory::BookConflict;
use crate::seating::PickRefusal;
use crate::{Refusal, StoreError};

/// Why seats could not be held.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HoldError {
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
    #[error("at most {max} seats per hold")]
    SeatsAboveLimit {
        /// The event's `max_seats_per_booking`.
        max: u32,
    },
    /// The user holds a confirmed booking for the event.
    #[error("already booked")]
    AlreadyBooked,
    /// The user holds an active hold for the event.
    #[error("already holding seats of this event")]
    AlreadyHolding,
    /// The user is waiting for the event.
    #[error("already on the waitlist")]
    AlreadyWaitlisted,
    /// Fewer seats are free than requested.
    #[error("only {available} seats are available")]
    SoldOut {
        /// Seats free now in the chosen tier.
        available: u32,
    },
    /// The seats asked for cannot be given.
    #[error(transparent)]
    Seats(PickRefusal),
    /// The holding user's account no longer exists.
    #[error("the account no longer exists")]
    UnknownUser,
    /// The idempotency key was used with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyMismatch,
    /// The store failed; nothing was held.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a hold could not be confirmed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfirmHoldError {
    /// No such hold, or it is not the caller's.
    #[error("no such hold")]
    NotFound,
    /// Its timer ran out.
    #[error("the hold expired")]
    Expired,
    /// It was released.
    #[error("the hold was released")]
    Released,
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a hold could not be released.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReleaseHoldError {
    /// No such hold, or it is someone else's.
    #[error("no such hold")]
    NotFound,
    /// It is confirmed, released or expired already.
    #[error("the hold is no longer active")]
    NotActive,
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Transient for HoldError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl Transient for ConfirmHoldError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl Transient for ReleaseHoldError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<BookConflict> for HoldError {
    fn from(conflict: BookConflict) -> Self {
        match conflict {
            BookConflict::EventCancelled => Self::EventCancelled,
            BookConflict::NotAdmitted => Self::NotAdmitted,
            BookConflict::UnknownTier => Self::UnknownTier,
            BookConflict::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            BookConflict::AlreadyBooked => Self::AlreadyBooked,
            BookConflict::AlreadyHolding => Self::AlreadyHolding,
            BookConflict::AlreadyWaitlisted => Self::AlreadyWaitlisted,
            BookConflict::SoldOut { available } => Self::SoldOut { available },
            BookConflict::Seats(refusal) => Self::Seats(refusal),
        }
    }
}

impl From<HoldError> for Refusal {
    fn from(error: HoldError) -> Self {
        match error {
            HoldError::EventNotFound => Self::NotFound("no such event"),
            HoldError::EventCancelled => Self::conflict("event_cancelled", &error),
            HoldError::NotAdmitted => Self::NotAdmitted,
            HoldError::UnknownTier => Self::invalid("tier_id", &error),
            HoldError::SeatsAboveLimit { .. } => Self::invalid("seats", &error),
            HoldError::AlreadyBooked => Self::conflict("already_booked", &error),
            HoldError::AlreadyHolding => Self::conflict("already_holding", &error),
            HoldError::AlreadyWaitlisted => Self::conflict("already_waitlisted", &error),
            HoldError::SoldOut { .. } => Self::conflict("sold_out", &error),
            HoldError::Seats(refusal) => refusal.into(),
            HoldError::UnknownUser => Self::Unauthenticated,
            HoldError::IdempotencyMismatch => Self::IdempotencyMismatch,
            HoldError::Store(e) => Self::Store(e),
        }
    }
}

impl From<ConfirmHoldError> for Refusal {
    fn from(error: ConfirmHoldError) -> Self {
        match error {
            ConfirmHoldError::NotFound => Self::NotFound("no such hold"),
            ConfirmHoldError::Expired => Self::conflict("hold_expired", &error),
            ConfirmHoldError::Released => Self::conflict("hold_released", &error),
            ConfirmHoldError::Store(e) => Self::Store(e),
        }
    }
}

impl From<ReleaseHoldError> for Refusal {
    fn from(error: ReleaseHoldError) -> Self {
        match error {
            ReleaseHoldError::NotFound => Self::NotFound("no such hold"),
            ReleaseHoldError::NotActive => Self::conflict("hold_not_active", &error),
            ReleaseHoldError::Store(e) => Self::Store(e),
        }
    }
}
