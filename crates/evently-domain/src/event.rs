//! Events: what admins publish and users book.

mod models;
mod ports;
mod service;
mod tiers;

pub use models::{Description, Event, EventFilter, EventName, EventPatch, NewEvent, SearchText, Venue};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockEventRepository;
pub use ports::{CancelEventError, EventRepository, TierError, UpdateEventError};
pub use service::EventService;
pub use tiers::{NewTier, Tier, TierName, TierPatch, TierPlan, TierPlanError};
