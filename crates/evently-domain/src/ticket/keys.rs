use chrono::{DateTime, Utc};
use evently_ticket::{Claims, InvalidTicket, Keyring, PublicKey, PublishedKeys, TicketSigner};

use super::Ticket;
use crate::EventId;

/// The key that signs ticket codes and the keys that verify them (it and retired ones).
#[derive(Debug, Clone)]
pub struct TicketKeys {
    signer: TicketSigner,
    keyring: Keyring,
}

impl TicketKeys {
    /// Signs with `signer`; codes of the `previous` keys still verify.
    pub fn new(signer: TicketSigner, previous: &[PublicKey]) -> Self {
        let keyring = signer.keyring(previous);
        Self { signer, keyring }
    }

    /// The ticket's code, signed by the active key (signing is deterministic, so a
    /// ticket's code is the same at every read while the key is).
    pub fn code(&self, ticket: &Ticket) -> String {
        self.signer.sign(&Claims::new(
            ticket.event_id.get(),
            ticket.id.get(),
            ticket.seat_label.clone(),
            ticket.issued_at.timestamp(),
            ticket.valid_until.timestamp(),
        ))
    }

    /// Verifies a code of `event` at `at`.
    ///
    /// # Errors
    /// [`InvalidTicket`] naming the check that failed.
    pub fn verify(&self, code: &str, event: EventId, at: DateTime<Utc>) -> Result<Claims, InvalidTicket> {
        self.keyring.verify(code, Some(event.get()), at.timestamp())
    }

    /// The keys as published to scanners.
    pub fn published(&self) -> PublishedKeys {
        self.keyring.published()
    }
}
