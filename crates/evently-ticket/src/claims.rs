//! What a ticket code says.

use serde::{Deserialize, Serialize};

/// The signed contents of a ticket code, with the wire names of the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The id of the key that signed it.
    pub kid: String,
    /// The event the ticket admits to.
    pub eid: i64,
    /// The ticket's id.
    pub tid: i64,
    /// Its seat label, for reserved seating.
    pub seat: Option<String>,
    /// Valid from (unix seconds): the issue time.
    pub nbf: i64,
    /// Valid until (unix seconds, exclusive): the event's start plus a day.
    pub exp: i64,
}

impl Claims {
    /// Claims for a ticket; the signer fills in `kid`.
    pub fn new(event: i64, ticket: i64, seat: Option<String>, not_before: i64, expires: i64) -> Self {
        Self { kid: String::new(), eid: event, tid: ticket, seat, nbf: not_before, exp: expires }
    }

    /// Whether the window admits `at` (unix seconds).
    pub fn valid_at(&self, at: i64) -> bool {
        self.nbf <= at && at < self.exp
    }
}
