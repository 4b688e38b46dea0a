use std::future::Future;

use thiserror::Error;

use super::{QueueFigures, QueueTicket, WaitingOrder};
use crate::failure::Transient;
use crate::{EventId, Refusal, StoreError, UserId};

/// A queue ticket taken, or the one the user had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The ticket (without its position).
    pub ticket: QueueTicket,
    /// Whether this request took it.
    pub created: bool,
}

/// Why a queue ticket could not be taken.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JoinQueueError {
    /// No such event.
    #[error("no such event")]
    EventNotFound,
    /// The event is cancelled.
    #[error("the event is cancelled")]
    EventCancelled,
    /// The event has no on-sale queue.
    #[error("the event has no queue: book directly")]
    NoQueue,
    /// The queue closed: the event sold out.
    #[error("the event sold out; its queue is closed")]
    Closed,
    /// The user's account no longer exists.
    #[error("the account no longer exists")]
    UnknownUser,
    /// The store failed; nothing was taken.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Transient for JoinQueueError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

impl From<JoinQueueError> for Refusal {
    fn from(error: JoinQueueError) -> Self {
        match error {
            JoinQueueError::EventNotFound => Self::NotFound("no such event"),
            JoinQueueError::EventCancelled => Self::conflict("event_cancelled", &error),
            JoinQueueError::NoQueue => Self::conflict("no_queue", &error),
            JoinQueueError::Closed => Self::conflict("sold_out", &error),
            JoinQueueError::UnknownUser => Self::Unauthenticated,
            JoinQueueError::Store(e) => Self::Store(e),
        }
    }
}

/// Persistence of on-sale queues. Each queue is advanced by one instance at a time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait QueueRepository: Send + Sync + 'static {
    /// Gives `user` a ticket in `event`'s queue, or the one they have; a ticket taken
    /// before the on-sale instant gets a secret draw key ([`super::draw_key`]) from a
    /// cryptographic source.
    ///
    /// # Errors
    /// [`JoinQueueError`]'s variants.
    fn join_queue(&self, event: EventId, user: UserId) -> impl Future<Output = Result<Joined, JoinQueueError>> + Send;

    /// The user's ticket for the event, without its position.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn find_queue_ticket(
        &self,
        event: EventId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<QueueTicket>, StoreError>> + Send;

    /// The event's tickets, the waiting ones first in queue order; `None` when it has no
    /// queue.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn waiting_order(&self, event: EventId) -> impl Future<Output = Result<Option<WaitingOrder>, StoreError>> + Send;

    /// The admin's figures of the event's queue; `None` when it has no queue.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn queue_figures(&self, event: EventId) -> impl Future<Output = Result<Option<QueueFigures>, StoreError>> + Send;

    /// Advances every queue that is due, each by one instance at a time: from the
    /// on-sale instant the early tickets queue in draw-key order ([`super::draw_key`],
    /// given each when taken), and the front is admitted at the pace
    /// ([`super::admissible`]), marks lapsed admissions expired, and closes the queue
    /// (telling each waiting user) once the event sold out. The events whose queue changed.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn advance_queues(&self) -> impl Future<Output = Result<Vec<EventId>, StoreError>> + Send;
}
