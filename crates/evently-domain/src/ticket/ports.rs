use std::future::Future;

use super::{CheckIn, CheckInError, CheckInStats, RevocationCursor, Revocations, ScanResult, Ticket};
use crate::{BookingId, EventId, Page, PageRequest, StoreError, TicketId, UserId};

/// Persistence of tickets. Tickets are issued in the transaction that confirms a booking
/// (one per seat) and revoked in the one that cancels it or its event; a check-in changes
/// one ticket's state at most once, however many scans race.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TicketRepository: Send + Sync + 'static {
    /// A booking's owner and tickets, in id order; `None` when there is no such booking.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn booking_tickets(
        &self,
        booking: BookingId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Option<(UserId, Page<Ticket>)>, StoreError>> + Send;

    /// Finds a ticket by id.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn find_ticket(&self, id: TicketId) -> impl Future<Output = Result<Option<Ticket>, StoreError>> + Send;

    /// Checks a valid ticket of `event` in; exactly one of concurrent scans succeeds.
    ///
    /// # Errors
    /// [`CheckInError::AlreadyCheckedIn`], [`CheckInError::Revoked`],
    /// [`CheckInError::UnknownTicket`] (none of this event).
    fn check_in(&self, event: EventId, check_in: CheckIn) -> impl Future<Output = Result<Ticket, CheckInError>> + Send;

    /// Resolves an offline scanner's verified scans by
    /// [`resolve_scans`](super::resolve_scans) against the tickets' states, atomically;
    /// results in upload order. `None` when there is no such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn check_in_batch(
        &self,
        event: EventId,
        scans: Vec<CheckIn>,
    ) -> impl Future<Output = Result<Option<Vec<ScanResult>>, StoreError>> + Send;

    /// Up to `limit` of the event's revocations after `after`, oldest first; `None` when
    /// there is no such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn revocations(
        &self,
        event: EventId,
        after: RevocationCursor,
        limit: u32,
    ) -> impl Future<Output = Result<Option<Revocations>, StoreError>> + Send;

    /// The event's door figures; `None` when there is no such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn check_in_stats(&self, event: EventId) -> impl Future<Output = Result<Option<CheckInStats>, StoreError>> + Send;
}
