//! Waitlists: users waiting for seats of a full event, promoted first come, first
//! served, first fit.

mod errors;
mod models;
mod ports;
mod service;

pub use errors::{JoinWaitlistError, LeaveWaitlistError};
pub use models::{QueueStanding, WaitlistEntry, WaitlistStatus};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockWaitlistRepository;
pub use ports::WaitlistRepository;
pub use service::WaitlistService;
