//! Everything the application needs from one store, in one bound.

use crate::StoreError;

/// Everything the application needs from one store, in one bound.
pub trait Store:
    crate::user::UserRepository
    + crate::event::EventRepository
    + crate::booking::BookingRepository
    + crate::waitlist::WaitlistRepository
    + crate::hold::HoldRepository
    + crate::notification::NotificationRepository
    + crate::ticket::TicketRepository
    + crate::webhook::WebhookRepository
    + crate::analytics::AnalyticsRepository
    + crate::queue::QueueRepository
    + Clone
{
    /// Checks that the store answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    fn ping(&self) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}
