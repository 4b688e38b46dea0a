use thiserror::Error;

use crate::failure::Transient;
use crate::inventory::{BookConflict, CancelConflict};
use crate::seating::PickRefusal;
use crate::{Refusal, StoreError};

/// Why seats could not be booked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BookError {
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
    #[error("at most {max} seats per booking")]
    SeatsAboveLimit {
        /// The event's `max_seats_per_booking`.
        max: u32,
    },
    /// The user already holds a confirmed booking for the event.
    #[error("already booked")]
    AlreadyBooked,
    /// The user is waiting for the event.
    #[error("already on the waitlist")]
    AlreadyWaitlisted,
    /// The user holds an active hold for the event.
    #[error("already holding seats of this event")]
    AlreadyHolding,
    /// Fewer seats are free than requested.
    #[error("only {available} seats are available")]
    SoldOut {
        /// Seats free now.
        available: u32,
    },
    /// The seats asked for cannot be given.
    #[error(transparent)]
    Seats(PickRefusal),
    /// The booking user's account no longer exists.
    #[error("the account no longer exists")]
    UnknownUser,
    /// The idempotency key was used with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyMismatch,
    /// The store failed; nothing was booked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a booking could not be cancelled.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CancelBookingError {
    /// No such booking, or it is someone else's.
    #[error("no such booking")]
    NotFound,
    /// The booking's event is cancelled (and the booking with it).
    #[error("the event is cancelled")]
    EventCancelled,
    /// The booking is already cancelled.
    #[error("the booking is already cancelled")]
    AlreadyCancelled,
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a booking could not be shown.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GetBookingError {
    /// No such booking, or it is someone else's.
    #[error("no such booking")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Transient for BookError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl Transient for CancelBookingError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<BookError> for Refusal {
    fn from(error: BookError) -> Self {
        match error {
            BookError::EventNotFound => Self::NotFound("no such event"),
            BookError::EventCancelled => Self::conflict("event_cancelled", &error),
            BookError::NotAdmitted => Self::NotAdmitted,
            BookError::UnknownTier => Self::invalid("tier_id", &error),
            BookError::SeatsAboveLimit { .. } => Self::invalid("seats", &error),
            BookError::AlreadyBooked => Self::conflict("already_booked", &error),
            BookError::AlreadyWaitlisted => Self::conflict("already_waitlisted", &error),
            BookError::AlreadyHolding => Self::conflict("already_holding", &error),
            BookError::SoldOut { .. } => Self::conflict("sold_out", &error),
            BookError::Seats(refusal) => refusal.into(),
            BookError::UnknownUser => Self::Unauthenticated,
            BookError::IdempotencyMismatch => Self::IdempotencyMismatch,
            BookError::Store(e) => Self::Store(e),
        }
    }
}

impl From<CancelBookingError> for Refusal {
    fn from(error: CancelBookingError) -> Self {
        match error {
            CancelBookingError::NotFound => Self::NotFound("no such booking"),
            CancelBookingError::EventCancelled => Self::conflict("event_cancelled", &error),
            CancelBookingError::AlreadyCancelled => Self::conflict("already_cancelled", &error),
            CancelBookingError::Store(e) => Self::Store(e),
        }
    }
}

impl From<GetBookingError> for Refusal {
    fn from(error: GetBookingError) -> Self {
        match error {
            GetBookingError::NotFound => Self::NotFound("no such booking"),
            GetBookingError::Store(e) => Self::Store(e),
        }
    }
}

impl From<BookConflict> for BookError {
    fn from(conflict: BookConflict) -> Self {
        match conflict {
            BookConflict::EventCancelled => Self::EventCancelled,
            BookConflict::NotAdmitted => Self::NotAdmitted,
            BookConflict::UnknownTier => Self::UnknownTier,
            BookConflict::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            BookConflict::AlreadyBooked => Self::AlreadyBooked,
            BookConflict::AlreadyWaitlisted => Self::AlreadyWaitlisted,
            BookConflict::AlreadyHolding => Self::AlreadyHolding,
            BookConflict::SoldOut { available } => Self::SoldOut { available },
            BookConflict::Seats(refusal) => Self::Seats(refusal),
        }
    }
}

impl From<CancelConflict> for CancelBookingError {
    fn from(conflict: CancelConflict) -> Self {
        match conflict {
            CancelConflict::EventCancelled => Self::EventCancelled,
            CancelConflict::AlreadyCancelled => Self::AlreadyCancelled,
        }
    }
}
