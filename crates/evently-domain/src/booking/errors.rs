use thiserror::Error;

use crate::StoreError;
use crate::store::Transient;

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
    /// Fewer seats are free than requested.
    #[error("only {available} seats are available")]
    SoldOut {
        /// Seats free now.
        available: u32,
    },
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
