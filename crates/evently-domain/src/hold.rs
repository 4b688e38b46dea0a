//! Holds: seats reserved for a user while they pay, confirmed into a booking before an
//! honest timer runs out, released, or expired.

mod errors;
mod models;
mod ports;
mod service;

pub use errors::{ConfirmHoldError, HoldError, ReleaseHoldError};
pub use models::{Confirmation, Hold, HoldOutcome, HoldRequest, HoldSource, HoldStatus, HoldTtl, HoldTtlError};
pub use ports::HoldRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockHoldRepository;
pub use service::HoldService;
