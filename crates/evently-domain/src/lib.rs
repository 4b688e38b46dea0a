#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod analytics;
pub mod booking;
pub mod cache;
pub mod event;
mod failure;
pub mod hold;
pub mod ids;
pub mod inventory;
pub mod money;
pub mod notification;
pub mod page;
pub mod queue;
pub mod refusal;
pub mod seating;
pub mod seats;
pub mod store;
pub mod text;
pub mod ticket;
pub mod user;
pub mod waitlist;
pub mod webhook;

pub use failure::StoreError;
pub use ids::{
    BookingId, DeliveryId, EndpointId, EventId, HoldId, MessageId, NotificationId, QueueTicketId, TicketId, TierId,
    UserId, WaitlistEntryId,
};
pub use page::{Page, PageRequest};
pub use refusal::Refusal;
pub use store::Store;
