//! Events: what admins publish and users book.

mod models;
mod ports;
mod service;

pub use models::{Description, Event, EventFilter, EventName, EventPatch, NewEvent, SearchText, Venue};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockEventRepository;
pub use ports::{CancelEventError, EventRepository, UpdateEventError};
pub use service::EventService;
