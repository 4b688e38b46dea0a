use std::future::Future;

use chrono::{DateTime, Utc};

use super::{BookError, BookOutcome, Booking, BookingRequest, CancelBookingError};
use crate::inventory::BookingStatus;
use crate::{BookingId, Page, PageRequest, StoreError, UserId};

/// Persistence of bookings. Booking and cancelling are each one atomic operation under
/// the event's lock, applying [`Inventory`](crate::inventory::Inventory)'s rules.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait BookingRepository: Send + Sync + 'static {
    /// Books seats. With an idempotency key, the key is stored with the booking; a
    /// repeat of the same request answers the first booking (`replayed`), a different
    /// request under the same key fails. Keys expire after 24 hours.
    ///
    /// # Errors
    /// [`BookError`]'s domain variants as [`Inventory::book`](crate::inventory::Inventory::book)
    /// decides, `EventNotFound`, `IdempotencyMismatch`.
    fn book(&self, request: BookingRequest) -> impl Future<Output = Result<BookOutcome, BookError>> + Send;

    /// Finds a booking by id.
    ///
    /// # Errors
    /// [`StoreError`] only; an unknown id is `Ok(None)`.
    fn find_booking(&self, id: BookingId) -> impl Future<Output = Result<Option<Booking>, StoreError>> + Send;

    /// Cancels a booking, promotes waiting entries into the freed seats and writes the
    /// notifications owed, all in one atomic operation.
    ///
    /// # Errors
    /// [`CancelBookingError::NotFound`], [`CancelBookingError::EventCancelled`],
    /// [`CancelBookingError::AlreadyCancelled`].
    fn cancel_booking(&self, id: BookingId) -> impl Future<Output = Result<Booking, CancelBookingError>> + Send;

    /// Forgets the idempotency keys expired by `now` (stored more than 24 hours before
    /// it); returns how many.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// A user's bookings, newest first, optionally of one status.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_user_bookings(
        &self,
        user: UserId,
        status: Option<BookingStatus>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Booking>, StoreError>> + Send;
}
