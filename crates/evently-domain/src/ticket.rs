//! Tickets: one per seat of a confirmed booking, each with a signed code that scanners
//! verify offline, checked in exactly once at the door.

mod errors;
mod keys;
mod models;
mod ports;
mod rules;
mod service;

pub use errors::CheckInError;
pub use evently_ticket::{InvalidTicket, PublishedKeys};
pub use keys::TicketKeys;
pub use models::{
    CheckIn, CheckInStats, Gate, GateCount, Issued, Revocation, RevocationCursor, Revocations, Scan, ScanOutcome,
    ScanResult, Ticket, TicketStatus,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockTicketRepository;
pub use ports::TicketRepository;
pub use rules::resolve_scans;
pub use service::TicketService;
