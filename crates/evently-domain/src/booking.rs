//! Bookings: seats held by users, the rules that keep them within capacity, and the
//! service that takes and cancels them.

mod errors;
mod models;
mod ports;
mod rules;
mod service;

pub use errors::{BookError, CancelBookingError, GetBookingError};
pub use models::{
    BookOutcome, Booking, BookingRequest, BookingSource, BookingStatus, IdempotencyKey, IdempotencyKeyError, Seats,
    SeatsError,
};
pub use ports::BookingRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockBookingRepository;
pub use rules::{Holding, Inventory, InventoryError, Queued, Released};
pub use service::BookingService;
pub(crate) use service::invalidate;
