//! The fair on-sale queue of an event (a virtual waiting room): tickets taken before the
//! on-sale instant are put in a uniformly random order once, later ones queue behind them
//! by arrival, and the front is admitted at the event's pace; only a current admission
//! lets its holder book, hold or join the waitlist.

mod draw;
mod models;
mod pace;
mod ports;
mod service;

pub use draw::draw_key;
pub use models::{
    AdmissionTtl, AdmitRate, QueueFigures, QueueSettings, QueueStatus, QueueTicket, QueueValueError, WaitingOrder,
};
pub use pace::{admissible, estimated_wait};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockQueueRepository;
pub use ports::{JoinQueueError, Joined, QueueRepository};
pub use service::QueueService;
