//! Why the rules refuse an operation. Each operation's error in the booking, event and
//! waitlist modules converts from these.

use thiserror::Error;

use super::{BookingStatus, EventStatus};
use crate::seating::PickRefusal;

/// Why seats cannot be booked, in order of precedence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BookConflict {
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
        /// The event's per-booking limit.
        max: u32,
    },
    /// The user already holds a confirmed booking.
    #[error("already booked")]
    AlreadyBooked,
    /// The user is waiting already.
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
    /// The seats asked for cannot be given (named seats unknown, of another tier or
    /// taken; no seats side by side). Named seats' refusals come before the user's
    /// holdings are looked at, a taken one before `SoldOut`.
    #[error(transparent)]
    Seats(#[from] PickRefusal),
}

/// Why a user may not wait for seats, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum JoinConflict {
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
    /// More seats than the event allows per entry.
    #[error("at most {max} seats per entry")]
    SeatsAboveLimit {
        /// The event's per-booking limit.
        max: u32,
    },
    /// The user already holds a confirmed booking.
    #[error("already booked")]
    AlreadyBooked,
    /// The user is waiting already.
    #[error("already on the waitlist")]
    AlreadyWaitlisted,
    /// The user holds an active hold for the event.
    #[error("already holding seats of this event")]
    AlreadyHolding,
    /// The seats fit now: book them instead.
    #[error("{available} seats are available: book instead")]
    EventNotFull {
        /// Seats free now.
        available: u32,
    },
}

/// Why a booking cannot be cancelled, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CancelConflict {
    /// The event is cancelled, and its bookings with it.
    #[error("the event is cancelled")]
    EventCancelled,
    /// The booking is cancelled already.
    #[error("the booking is already cancelled")]
    AlreadyCancelled,
}

impl CancelConflict {
    /// Why a booking in state `booking` of an event in state `event` cannot be
    /// cancelled, if it cannot. Both states are final once reached, so the answer holds
    /// whether or not the event's lock is held.
    pub fn of(event: EventStatus, booking: BookingStatus) -> Option<Self> {
        match (event, booking) {
            (EventStatus::Cancelled, _) => Some(Self::EventCancelled),
            (_, BookingStatus::Cancelled) => Some(Self::AlreadyCancelled),
            (EventStatus::Scheduled, BookingStatus::Confirmed) => None,
        }
    }
}

/// Why an event's capacity cannot change, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ResizeConflict {
    /// The event is cancelled.
    #[error("the event is cancelled")]
    EventCancelled,
    /// Fewer seats than are booked.
    #[error("capacity {capacity} is below the {booked} seats already booked")]
    CapacityBelowBooked {
        /// The capacity asked for.
        capacity: u32,
        /// Seats booked now.
        booked: u32,
    },
    /// A seated event's capacity is its seat count.
    #[error("a seated event's capacity is its seat count, {seats}")]
    Seated {
        /// The seat count.
        seats: u32,
    },
}

/// Why a tier cannot be added or changed, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TierConflict {
    /// The event is cancelled.
    #[error("the event is cancelled")]
    EventCancelled,
    /// A quota larger than the event's capacity.
    #[error("must be at most the event's capacity, {max}")]
    AboveEventCapacity {
        /// The event's capacity.
        max: u32,
    },
    /// The event has no such tier.
    #[error("the event has no such tier")]
    UnknownTier,
    /// A quota below the seats the tier has booked.
    #[error("capacity {capacity} is below the {booked} seats already booked in this tier")]
    CapacityBelowBooked {
        /// The quota asked for.
        capacity: u32,
        /// Seats booked in the tier now.
        booked: u32,
    },
    /// A seated event's tiers are its sections': their quotas are their seat counts.
    #[error("a seated event's tiers are given by its sections; their capacity is their seat count")]
    Seated,
}

/// The event is cancelled already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the event is already cancelled")]
pub struct EventCancelled;
