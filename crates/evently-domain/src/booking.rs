//! Bookings: seats held by users, the rules that keep them within capacity, and the
//! service that takes and cancels them.

mod errors;
mod models;
mod ports;
mod service;

pub use errors::{BookError, CancelBookingError, GetBookingError};
pub use models::{
    BookOutcome, Booking, BookingRequest, BookingSource, IdempotencyKey, IdempotencyKeyError, PaymentReference,
};
pub use ports::BookingRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockBookingRepository;
pub use service::BookingService;
