use std::future::Future;

use super::{JoinWaitlistError, LeaveWaitlistError, QueueStanding, WaitlistEntry};
use crate::inventory::Seats;
use crate::{EventId, Page, PageRequest, StoreError, TierId, UserId};

/// Persistence of waitlists. Joining and leaving run under the event's lock.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WaitlistRepository: Send + Sync + 'static {
    /// Puts a user at the back of an event's queue, applying
    /// [`Inventory::join_waitlist`](crate::inventory::Inventory::join_waitlist).
    ///
    /// # Errors
    /// [`JoinWaitlistError`]'s domain variants as the rule decides, `EventNotFound`.
    fn join_waitlist(
        &self,
        event: EventId,
        user: UserId,
        seats: Seats,
        tier: Option<TierId>,
    ) -> impl Future<Output = Result<WaitlistEntry, JoinWaitlistError>> + Send;

    /// Takes a user's waiting entry out of the queue (status `left`).
    ///
    /// # Errors
    /// [`LeaveWaitlistError::NotWaiting`] when the user is not waiting.
    fn leave_waitlist(
        &self,
        event: EventId,
        user: UserId,
    ) -> impl Future<Output = Result<(), LeaveWaitlistError>> + Send;

    /// A user's waiting entry for an event, with its position and the queue's length.
    ///
    /// # Errors
    /// [`StoreError`] only; `Ok(None)` when the user is not waiting.
    fn find_standing(
        &self,
        event: EventId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<QueueStanding>, StoreError>> + Send;

    /// An event's waiting entries in queue order.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_queue(
        &self,
        event: EventId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<WaitlistEntry>, StoreError>> + Send;

    /// A user's entries of every status, newest first.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_user_entries(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<WaitlistEntry>, StoreError>> + Send;
}
