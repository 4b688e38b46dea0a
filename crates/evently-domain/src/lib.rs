//! Evently's domain: the language of accounts, events, bookings and waitlists, the pure
//! booking rules, and the ports that adapters implement.
//!
//! Nothing here performs I/O. Stores, hashers and transports live in other crates and
//! plug into the traits declared in each module's `ports`.

pub mod analytics;
pub mod booking;
pub mod cache;
pub mod event;
pub mod ids;
pub mod notification;
pub mod page;
pub mod store;
pub mod text;
pub mod user;
pub mod waitlist;

pub use ids::{BookingId, EventId, NotificationId, UserId, WaitlistEntryId};
pub use page::{Page, PageRequest};
pub use store::{Store, StoreError};
