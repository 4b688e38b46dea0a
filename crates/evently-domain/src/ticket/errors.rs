use chrono::{DateTime, Utc};
use evently_ticket::InvalidTicket;
use thiserror::Error;

use super::Gate;
use crate::{Refusal, StoreError};

/// Why a scan did not check a ticket in.
#[derive(Debug, Error)]
pub enum CheckInError {
    /// No such event.
    #[error("no such event")]
    EventNotFound,
    /// The code does not verify for this event now.
    #[error(transparent)]
    Invalid(#[from] InvalidTicket),
    /// A well-signed code of a ticket that does not exist.
    #[error("no such ticket")]
    UnknownTicket,
    /// Scanned before.
    #[error("the ticket was checked in already")]
    AlreadyCheckedIn {
        /// When it was checked in.
        at: DateTime<Utc>,
        /// Where.
        gate: Option<Gate>,
    },
    /// Its booking or event was cancelled.
    #[error("the ticket was revoked: its booking or event is cancelled")]
    Revoked,
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CheckInError> for Refusal {
    fn from(error: CheckInError) -> Self {
        match error {
            CheckInError::EventNotFound => Self::NotFound("no such event"),
            CheckInError::Invalid(_) | CheckInError::UnknownTicket => Self::InvalidTicket(error.to_string()),
            CheckInError::AlreadyCheckedIn { at, gate } => {
                Self::CheckedIn { checked_in_at: at, gate: gate.map(|g| g.as_str().to_owned()) }
            }
            CheckInError::Revoked => Self::conflict("ticket_revoked", &error),
            CheckInError::Store(store) => Self::Store(store),
        }
    }
}

impl crate::failure::Transient for CheckInError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}
