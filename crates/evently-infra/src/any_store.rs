//! A store chosen at start-up: the composition root picks PostgreSQL or memory, and the
//! rest of the application sees one concrete type.

use chrono::{DateTime, Utc};
use evently_domain::analytics::{AnalyticsRepository, EventStats, Overview, StatsSort};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRepository, BookingRequest, CancelBookingError};
use evently_domain::event::{
    CancelEventError, Event, EventFilter, EventPatch, EventRepository, NewEvent, UpdateEventError,
};
use evently_domain::inventory::{BookingStatus, Seats};
use evently_domain::notification::{Notification, NotificationRepository};
use evently_domain::user::{CreateUserError, Credentials, Email, NewUser, Role, SetRoleError, User, UserRepository};
use evently_domain::waitlist::{
    JoinWaitlistError, LeaveWaitlistError, QueueStanding, WaitlistEntry, WaitlistRepository,
};
use evently_domain::{BookingId, EventId, Page, PageRequest, Store, StoreError, UserId};

use crate::{MemoryStore, PgStore};

/// PostgreSQL or the in-memory store.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// Durable, shared by every instance.
    Postgres(PgStore),
    /// Embedded, lost at exit.
    Memory(MemoryStore),
}

/// Forwards each listed port method to the chosen store.
macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        $(
            async fn $name(&self, $($arg: $ty),*) -> $out {
                match self {
                    Self::Postgres(store) => store.$name($($arg),*).await,
                    Self::Memory(store) => store.$name($($arg),*).await,
                }
            }
        )*
    };
}

impl UserRepository for AnyStore {
    delegate! {
        create_user(user: NewUser) -> Result<User, CreateUserError>;
        find_credentials(email: Email) -> Result<Option<Credentials>, StoreError>;
        find_user(id: UserId) -> Result<Option<User>, StoreError>;
        list_users(page: PageRequest) -> Result<Page<User>, StoreError>;
        set_role(id: UserId, role: Role) -> Result<User, SetRoleError>;
    }
}

impl EventRepository for AnyStore {
    delegate! {
        create_event(event: NewEvent) -> Result<Event, StoreError>;
        find_event(id: EventId) -> Result<Option<Event>, StoreError>;
        list_events(filter: EventFilter, page: PageRequest) -> Result<Page<Event>, StoreError>;
        update_event(id: EventId, patch: EventPatch) -> Result<Event, UpdateEventError>;
        cancel_event(id: EventId) -> Result<Event, CancelEventError>;
    }
}

impl BookingRepository for AnyStore {
    delegate! {
        book(request: BookingRequest) -> Result<BookOutcome, BookError>;
        find_booking(id: BookingId) -> Result<Option<Booking>, StoreError>;
        cancel_booking(id: BookingId) -> Result<Booking, CancelBookingError>;
        purge_idempotency_keys(now: DateTime<Utc>) -> Result<u64, StoreError>;
        list_user_bookings(user: UserId, status: Option<BookingStatus>, page: PageRequest) -> Result<Page<Booking>, StoreError>;
    }
}

impl WaitlistRepository for AnyStore {
    delegate! {
        join_waitlist(event: EventId, user: UserId, seats: Seats) -> Result<WaitlistEntry, JoinWaitlistError>;
        leave_waitlist(event: EventId, user: UserId) -> Result<(), LeaveWaitlistError>;
        find_standing(event: EventId, user: UserId) -> Result<Option<QueueStanding>, StoreError>;
        list_queue(event: EventId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError>;
        list_user_entries(user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError>;
    }
}

impl NotificationRepository for AnyStore {
    delegate! {
        list_notifications(user: UserId, page: PageRequest) -> Result<Page<Notification>, StoreError>;
    }
}

impl AnalyticsRepository for AnyStore {
    delegate! {
        overview(now: DateTime<Utc>) -> Result<Overview, StoreError>;
        event_stats(sort: StatsSort, page: PageRequest) -> Result<Page<EventStats>, StoreError>;
    }
}

impl Store for AnyStore {
    delegate! {
        ping() -> Result<(), StoreError>;
    }
}
