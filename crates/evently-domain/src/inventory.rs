//! One event's seats and the pure rules that keep them within capacity. Booking, event
//! and waitlist operations all decide through these rules, and this module depends on
//! none of them.

mod conflicts;
mod rules;
mod values;

pub use crate::seats::{Seats, SeatsError};
pub use conflicts::{BookConflict, CancelConflict, EventCancelled, JoinConflict, ResizeConflict, TierConflict};
pub use rules::{Caller, Claim, Given, Holding, Inventory, InventoryError, Promoted, Queued, TierStock};
pub use values::{BookingStatus, Capacity, CapacityError, EventStatus, Promotion};
