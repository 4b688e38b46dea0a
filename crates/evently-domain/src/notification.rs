//! Notifications: what users are told when their bookings change without them.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::inventory::Seats;
use crate::user::Actor;
use crate::{BookingId, EventId, HoldId, NotificationId, Page, PageRequest, StoreError, UserId};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// A waiting entry became a confirmed booking.
    WaitlistPromoted,
    /// A booking was cancelled.
    BookingCancelled,
    /// The event was cancelled.
    EventCancelled,
    /// The event's details changed.
    EventChanged,
    /// A hold's timer ran out.
    HoldExpired,
    /// A waiting entry was offered a hold.
    WaitlistOffer,
    /// The event sold out while its holder waited in its on-sale queue.
    QueueClosed,
}

impl NotificationKind {
    /// The kind's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitlistPromoted => "waitlist_promoted",
            Self::BookingCancelled => "booking_cancelled",
            Self::EventCancelled => "event_cancelled",
            Self::EventChanged => "event_changed",
            Self::HoldExpired => "hold_expired",
            Self::WaitlistOffer => "waitlist_offer",
            Self::QueueClosed => "queue_closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "waitlist_promoted" => Some(Self::WaitlistPromoted),
            "booking_cancelled" => Some(Self::BookingCancelled),
            "event_cancelled" => Some(Self::EventCancelled),
            "event_changed" => Some(Self::EventChanged),
            "hold_expired" => Some(Self::HoldExpired),
            "waitlist_offer" => Some(Self::WaitlistOffer),
            "queue_closed" => Some(Self::QueueClosed),
            _ => None,
        }
    }
}

/// A notification, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// What it is about.
    pub kind: NotificationKind,
    /// The event concerned.
    pub event_id: EventId,
    /// The booking concerned, if any.
    pub booking_id: Option<BookingId>,
    /// The hold concerned, if any.
    pub hold_id: Option<HoldId>,
    /// A sentence for people.
    pub message: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// A notification owed to a user, written in the same atomic operation as the change
/// it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Who is told.
    pub user: UserId,
    /// What about.
    pub kind: NotificationKind,
    /// The event concerned.
    pub event: EventId,
    /// The booking concerned, if any.
    pub booking: Option<BookingId>,
    /// The hold concerned, if any.
    pub hold: Option<HoldId>,
    /// A sentence for people.
    pub message: String,
}

impl Notice {
    /// A waiting entry was promoted into `booking`.
    pub fn promoted(user: UserId, event: EventId, event_name: &str, booking: BookingId, seats: Seats) -> Self {
        let message = format!(
            "A place opened up: your {} seat(s) for \"{event_name}\" are confirmed (booking {booking}).",
            seats.get()
        );
        Self { user, kind: NotificationKind::WaitlistPromoted, event, booking: Some(booking), hold: None, message }
    }

    /// `booking` was cancelled.
    pub fn booking_cancelled(user: UserId, event: EventId, event_name: &str, booking: BookingId) -> Self {
        let message = format!("Your booking {booking} for \"{event_name}\" was cancelled.");
        Self { user, kind: NotificationKind::BookingCancelled, event, booking: Some(booking), hold: None, message }
    }

    /// The event was cancelled; `booking` is the user's cancelled booking, if they had one.
    pub fn event_cancelled(user: UserId, event: EventId, event_name: &str, booking: Option<BookingId>) -> Self {
        let message = NotificationKind::EventCancelled.broadcast_message(event_name);
        Self { user, kind: NotificationKind::EventCancelled, event, booking, hold: None, message }
    }

    /// `hold` expired before it was confirmed.
    pub fn hold_expired(user: UserId, event: EventId, event_name: &str, hold: HoldId) -> Self {
        let message = format!("Your hold {hold} for \"{event_name}\" expired; its seats were released.");
        Self { user, kind: NotificationKind::HoldExpired, event, booking: None, hold: Some(hold), message }
    }

    /// A waiting entry was offered `hold`, to confirm before it expires.
    pub fn offered(user: UserId, event: EventId, event_name: &str, hold: HoldId, seats: Seats) -> Self {
        let message = format!(
            "A place opened up: {} seat(s) for \"{event_name}\" are held for you (hold {hold}); confirm before it expires.",
            seats.get()
        );
        Self { user, kind: NotificationKind::WaitlistOffer, event, booking: None, hold: Some(hold), message }
    }

    /// The event sold out while `user` waited in its queue.
    pub fn queue_closed(user: UserId, event: EventId, event_name: &str) -> Self {
        let message = NotificationKind::QueueClosed.broadcast_message(event_name);
        Self { user, kind: NotificationKind::QueueClosed, event, booking: None, hold: None, message }
    }

    /// The event's details changed.
    pub fn event_changed(user: UserId, event: EventId, event_name: &str, booking: Option<BookingId>) -> Self {
        let message = NotificationKind::EventChanged.broadcast_message(event_name);
        Self { user, kind: NotificationKind::EventChanged, event, booking, hold: None, message }
    }
}

impl NotificationKind {
    /// The message told to every attendee of an event at once (stores that write such
    /// notices in bulk use it directly).
    pub fn broadcast_message(self, event_name: &str) -> String {
        match self {
            Self::EventCancelled => format!("\"{event_name}\" was cancelled by the organiser."),
            Self::EventChanged => {
                format!("The details of \"{event_name}\" changed; please check the event.")
            }
            Self::QueueClosed => format!("\"{event_name}\" sold out while you waited in its queue."),
            Self::WaitlistPromoted | Self::BookingCancelled | Self::HoldExpired | Self::WaitlistOffer => {
                format!("An update about \"{event_name}\".")
            }
        }
    }
}

/// Reading notifications.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait NotificationRepository: Send + Sync + 'static {
    /// A user's notifications, newest first.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_notifications(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Notification>, StoreError>> + Send;
}

/// Reading the notifications the store keeps for each user.
#[derive(Debug, Clone)]
pub struct NotificationService<R> {
    notifications: R,
}

impl<R: NotificationRepository> NotificationService<R> {
    /// Builds the service over its port.
    pub fn new(notifications: R) -> Self {
        Self { notifications }
    }

    /// The actor's own notifications, newest first.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(&self, actor: Actor, page: PageRequest) -> Result<Page<Notification>, StoreError> {
        self.notifications.list_notifications(actor.id(), page).await
    }
}
