//! The inventory rules, as pure functions on one event's seats.
//!
//! Every store loads the event's [`Inventory`] under the event's lock, asks these rules
//! for a decision, and writes that decision in the same atomic operation. Nothing here
//! performs I/O.

use thiserror::Error;

use super::{
    BookConflict, BookingStatus, CancelConflict, Capacity, EventCancelled, EventStatus, JoinConflict, ResizeConflict,
    Seats,
};
use crate::{UserId, WaitlistEntryId};

/// An event's seats: capacity, seats booked, the per-booking limit and the status.
/// `booked <= capacity` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inventory {
    capacity: Capacity,
    booked: u32,
    max_per_booking: Seats,
    status: EventStatus,
}

/// A stored inventory that breaks the rules (a corrupt row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("{booked} seats booked exceed capacity {capacity}")]
pub struct InventoryError {
    booked: u32,
    capacity: u32,
}

/// What a user already holds for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// Neither a confirmed booking nor a waiting entry.
    Nothing,
    /// A confirmed booking.
    Booked,
    /// A waiting entry.
    Waiting,
}

/// A waiting entry, as the promotion rule sees it. Queues are given in `joined_at`
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// The entry.
    pub entry: WaitlistEntryId,
    /// Who waits.
    pub user: UserId,
    /// How many seats they wait for.
    pub seats: Seats,
}

/// The decision after seats were freed: the new inventory and the waiting entries to
/// turn into confirmed bookings, in queue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The inventory with promotions applied.
    pub inventory: Inventory,
    /// Entries promoted, in queue order.
    pub promoted: Vec<Queued>,
}

impl Inventory {
    /// Builds an inventory from stored values.
    ///
    /// # Errors
    /// [`InventoryError`] when `booked` exceeds `capacity`.
    pub fn new(
        capacity: Capacity,
        booked: u32,
        max_per_booking: Seats,
        status: EventStatus,
    ) -> Result<Self, InventoryError> {
        if booked > capacity.get() {
            return Err(InventoryError { booked, capacity: capacity.get() });
        }
        Ok(Self { capacity, booked, max_per_booking, status })
    }

    /// Seats booked.
    pub fn booked(self) -> u32 {
        self.booked
    }

    /// Seats free.
    pub fn available(self) -> u32 {
        self.capacity.get() - self.booked
    }

    /// The event's capacity.
    pub fn capacity(self) -> Capacity {
        self.capacity
    }

    /// The most seats one booking or entry may hold.
    pub fn max_per_booking(self) -> Seats {
        self.max_per_booking
    }

    /// Scheduled or cancelled.
    pub fn status(self) -> EventStatus {
        self.status
    }

    fn check_request(self, seats: Seats, holding: Holding) -> Result<(), RequestRefusal> {
        if self.status == EventStatus::Cancelled {
            return Err(RequestRefusal::EventCancelled);
        }
        if seats > self.max_per_booking {
            return Err(RequestRefusal::SeatsAboveLimit { max: self.max_per_booking.get() });
        }
        match holding {
            Holding::Nothing => Ok(()),
            Holding::Booked => Err(RequestRefusal::AlreadyBooked),
            Holding::Waiting => Err(RequestRefusal::AlreadyWaitlisted),
        }
    }

    /// Books `seats` for a user holding `holding`.
    ///
    /// # Errors
    /// In order of precedence: [`BookConflict`]'s variants.
    pub fn book(self, seats: Seats, holding: Holding) -> Result<Self, BookConflict> {
        self.check_request(seats, holding)?;
        if seats.get() > self.available() {
            return Err(BookConflict::SoldOut { available: self.available() });
        }
        Ok(Self { booked: self.booked + seats.get(), ..self })
    }

    /// Checks that a user holding `holding` may wait for `seats`: only when they do not
    /// fit now.
    ///
    /// # Errors
    /// In order of precedence, [`JoinConflict`]'s variants.
    pub fn join_waitlist(self, seats: Seats, holding: Holding) -> Result<(), JoinConflict> {
        self.check_request(seats, holding)?;
        if seats.get() <= self.available() {
            return Err(JoinConflict::EventNotFull { available: self.available() });
        }
        Ok(())
    }

    /// Cancels a booking of `seats` in state `status` and promotes from `queue`.
    ///
    /// # Errors
    /// [`CancelConflict::EventCancelled`] when the event is cancelled (it wins over
    /// every other conflict; its bookings were all cancelled with it),
    /// [`CancelConflict::AlreadyCancelled`] for a cancelled booking.
    pub fn cancel_booking(
        self,
        status: BookingStatus,
        seats: Seats,
        queue: &[Queued],
    ) -> Result<Released, CancelConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(CancelConflict::EventCancelled);
        }
        if status == BookingStatus::Cancelled {
            return Err(CancelConflict::AlreadyCancelled);
        }
        let freed = Self { booked: self.booked.saturating_sub(seats.get()), ..self };
        Ok(freed.promote(queue))
    }

    /// Changes the capacity (and the per-booking limit) and promotes from `queue` if
    /// seats were freed.
    ///
    /// # Errors
    /// [`ResizeConflict::EventCancelled`], [`ResizeConflict::CapacityBelowBooked`].
    pub fn resize(
        self,
        capacity: Capacity,
        max_per_booking: Seats,
        queue: &[Queued],
    ) -> Result<Released, ResizeConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(ResizeConflict::EventCancelled);
        }
        if capacity.get() < self.booked {
            return Err(ResizeConflict::CapacityBelowBooked { capacity: capacity.get(), booked: self.booked });
        }
        Ok(Self { capacity, max_per_booking, ..self }.promote(queue))
    }

    /// Cancels the event: every confirmed booking is cancelled, so no seat stays booked.
    ///
    /// # Errors
    /// [`EventCancelled`] when it is cancelled already.
    pub fn cancel_event(self) -> Result<Self, EventCancelled> {
        if self.status == EventStatus::Cancelled {
            return Err(EventCancelled);
        }
        Ok(Self { booked: 0, status: EventStatus::Cancelled, ..self })
    }

    /// First come, first served, first fit: visits `queue` in order and confirms every
    /// entry whose seats fit in what is still free.
    fn promote(mut self, queue: &[Queued]) -> Released {
        let mut promoted = Vec::new();
        for waiting in queue {
            if self.available() == 0 {
                break;
            }
            if waiting.seats.get() <= self.available() {
                self.booked += waiting.seats.get();
                promoted.push(*waiting);
            }
        }
        Released { inventory: self, promoted }
    }
}

/// Refusals shared by booking and joining the waitlist.
enum RequestRefusal {
    EventCancelled,
    SeatsAboveLimit { max: u32 },
    AlreadyBooked,
    AlreadyWaitlisted,
}

impl From<RequestRefusal> for BookConflict {
    fn from(refusal: RequestRefusal) -> Self {
        match refusal {
            RequestRefusal::EventCancelled => Self::EventCancelled,
            RequestRefusal::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            RequestRefusal::AlreadyBooked => Self::AlreadyBooked,
            RequestRefusal::AlreadyWaitlisted => Self::AlreadyWaitlisted,
        }
    }
}

impl From<RequestRefusal> for JoinConflict {
    fn from(refusal: RequestRefusal) -> Self {
        match refusal {
            RequestRefusal::EventCancelled => Self::EventCancelled,
            RequestRefusal::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            RequestRefusal::AlreadyBooked => Self::AlreadyBooked,
            RequestRefusal::AlreadyWaitlisted => Self::AlreadyWaitlisted,
        }
    }
}

#[cfg(test)]
mod tests;
