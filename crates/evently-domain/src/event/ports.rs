use std::future::Future;

use thiserror::Error;

use super::{Event, EventFilter, EventPatch, NewEvent, NewTier, Tier, TierPatch};
use crate::failure::Transient;
use crate::inventory::{EventCancelled, ResizeConflict, TierConflict};
use crate::seating::SeatChart;
use crate::{EventId, Page, PageRequest, Refusal, StoreError, TierId};

/// Why an event could not be changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UpdateEventError {
    /// No such event.
    #[error("no such event")]
    NotFound,
    /// The event is cancelled and accepts no edits.
    #[error("the event is cancelled")]
    EventCancelled,
    /// The new capacity is below the seats already booked.
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
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an event could not be cancelled.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CancelEventError {
    /// No such event.
    #[error("no such event")]
    NotFound,
    /// The event is already cancelled.
    #[error("the event is already cancelled")]
    EventCancelled,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a tier could not be added or changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TierError {
    /// No such event, or no such tier of it.
    #[error("no such tier")]
    NotFound,
    /// The event is cancelled and accepts no edits.
    #[error("the event is cancelled")]
    EventCancelled,
    /// Another tier of the event has the name.
    #[error("another tier of this event is named {0:?}")]
    NameTaken(String),
    /// A quota above the event's capacity.
    #[error("must be at most the event's capacity, {max}")]
    AboveEventCapacity {
        /// The event's capacity.
        max: u32,
    },
    /// A quota below the seats the tier has booked.
    #[error("capacity {capacity} is below the {booked} seats already booked in this tier")]
    CapacityBelowBooked {
        /// The quota asked for.
        capacity: u32,
        /// Seats booked in the tier now.
        booked: u32,
    },
    /// A seated event's tiers are its sections': no new tier, no quota change.
    #[error("a seated event's tiers are given by its sections; their capacity is their seat count")]
    Seated,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Transient for TierError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<TierConflict> for TierError {
    fn from(conflict: TierConflict) -> Self {
        match conflict {
            TierConflict::EventCancelled => Self::EventCancelled,
            TierConflict::AboveEventCapacity { max } => Self::AboveEventCapacity { max },
            TierConflict::UnknownTier => Self::NotFound,
            TierConflict::CapacityBelowBooked { capacity, booked } => Self::CapacityBelowBooked { capacity, booked },
            TierConflict::Seated => Self::Seated,
        }
    }
}

impl From<TierError> for Refusal {
    fn from(error: TierError) -> Self {
        match error {
            TierError::NotFound => Self::NotFound("no such tier"),
            TierError::EventCancelled => Self::conflict("event_cancelled", &error),
            TierError::NameTaken(_) => Self::invalid("name", &error),
            TierError::AboveEventCapacity { .. } => Self::invalid("capacity", &error),
            TierError::CapacityBelowBooked { .. } => Self::conflict("capacity_below_booked", &error),
            TierError::Seated => Self::invalid("capacity", &error),
            TierError::Store(e) => Self::Store(e),
        }
    }
}

impl Transient for UpdateEventError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl Transient for CancelEventError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<ResizeConflict> for UpdateEventError {
    fn from(conflict: ResizeConflict) -> Self {
        match conflict {
            ResizeConflict::EventCancelled => Self::EventCancelled,
            ResizeConflict::CapacityBelowBooked { capacity, booked } => Self::CapacityBelowBooked { capacity, booked },
            ResizeConflict::Seated { seats } => Self::Seated { seats },
        }
    }
}

impl From<EventCancelled> for CancelEventError {
    fn from(EventCancelled: EventCancelled) -> Self {
        Self::EventCancelled
    }
}

/// Persistence of events. Changes that touch seats run as one atomic operation under the
/// event's lock, applying [`crate::inventory::Inventory`]'s rules.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventRepository: Send + Sync + 'static {
    /// Creates an event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<Event, StoreError>> + Send;

    /// Finds an event by id.
    ///
    /// # Errors
    /// [`StoreError`] only; an unknown id is `Ok(None)`.
    fn find_event(&self, id: EventId) -> impl Future<Output = Result<Option<Event>, StoreError>> + Send;

    /// The seats of a seated event and what each is now (a seat of a hold past its
    /// `expires_at` is available).
    ///
    /// # Errors
    /// [`StoreError`] only; an unknown or unseated event is `Ok(None)`.
    fn find_seats(&self, id: EventId) -> impl Future<Output = Result<Option<SeatChart>, StoreError>> + Send;

    /// Lists events matching `filter`, ordered by `starts_at`, then id.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_events(
        &self,
        filter: EventFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Event>, StoreError>> + Send;

    /// Applies a patch; a raised capacity promotes waiting entries in the same
    /// operation, and holders are told of changed details.
    ///
    /// # Errors
    /// [`UpdateEventError::NotFound`], [`UpdateEventError::EventCancelled`],
    /// [`UpdateEventError::CapacityBelowBooked`].
    fn update_event(
        &self,
        id: EventId,
        patch: EventPatch,
    ) -> impl Future<Output = Result<Event, UpdateEventError>> + Send;

    /// Cancels an event with all its confirmed bookings and waiting entries, and tells
    /// every affected user.
    ///
    /// # Errors
    /// [`CancelEventError::NotFound`], [`CancelEventError::EventCancelled`].
    fn cancel_event(&self, id: EventId) -> impl Future<Output = Result<Event, CancelEventError>> + Send;

    /// Adds a tier to an event, under the event's lock.
    ///
    /// # Errors
    /// [`TierError::NotFound`] for an unknown event, [`TierError::NameTaken`], and the
    /// rule's refusals ([`TierError::EventCancelled`], [`TierError::AboveEventCapacity`]).
    fn create_tier(&self, event: EventId, tier: NewTier) -> impl Future<Output = Result<Tier, TierError>> + Send;

    /// Changes a tier under the event's lock; a raised quota promotes waiting entries in
    /// the same operation.
    ///
    /// # Errors
    /// [`TierError`]'s variants.
    fn update_tier(
        &self,
        event: EventId,
        tier: TierId,
        patch: TierPatch,
    ) -> impl Future<Output = Result<Tier, TierError>> + Send;
}

impl From<UpdateEventError> for Refusal {
    fn from(error: UpdateEventError) -> Self {
        match error {
            UpdateEventError::NotFound => Self::NotFound("no such event"),
            UpdateEventError::EventCancelled => Self::conflict("event_cancelled", &error),
            UpdateEventError::CapacityBelowBooked { .. } => Self::conflict("capacity_below_booked", &error),
            UpdateEventError::Seated { .. } => Self::invalid("capacity", &error),
            UpdateEventError::Store(e) => Self::Store(e),
        }
    }
}

impl From<CancelEventError> for Refusal {
    fn from(error: CancelEventError) -> Self {
        match error {
            CancelEventError::NotFound => Self::NotFound("no such event"),
            CancelEventError::EventCancelled => Self::conflict("event_cancelled", &error),
            CancelEventError::Store(e) => Self::Store(e),
        }
    }
}
