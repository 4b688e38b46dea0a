//! What a failed operation means to its caller, named by the contract's machine codes.
//! Every operation's error converts into a [`Refusal`] by an exhaustive match in this
//! crate, so a new variant cannot compile until it says what it means; adapters (HTTP,
//! a CLI) translate the few kinds of refusal instead of every variant of every error.

use crate::StoreError;
use crate::user::Forbidden;

/// The meaning of an operation's error. Deliberately exhaustive: a new kind of refusal
/// is a change every adapter must answer for.
#[derive(Debug)]
pub enum Refusal {
    /// No such resource, or it is not the caller's to see; what was looked for.
    NotFound(&'static str),
    /// The request conflicts with the current state.
    Conflict {
        /// The machine code clients switch on (`sold_out`, `already_booked`, ...).
        code: &'static str,
        /// What conflicts, in words.
        detail: String,
    },
    /// A well-typed value that breaks a rule.
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// Why, in words.
        detail: String,
    },
    /// The acting account no longer exists.
    Unauthenticated,
    /// The acting account lacks the role the operation needs.
    Forbidden,
    /// A queued event's seats need a current admission from its on-sale queue.
    NotAdmitted,
    /// Unknown email or wrong password, deliberately alike.
    InvalidCredentials,
    /// A ticket code that is malformed, badly signed, of another event, outside its
    /// window, or of no ticket; why, in words.
    InvalidTicket(String),
    /// A ticket scanned a second time.
    CheckedIn {
        /// When it was checked in.
        checked_in_at: chrono::DateTime<chrono::Utc>,
        /// Where.
        gate: Option<String>,
    },
    /// A webhook URL that is not http(s) or not a public destination; why, in words.
    UrlRefused(String),
    /// An idempotency key reused with a different request.
    IdempotencyMismatch,
    /// The store failed; nothing changed.
    Store(StoreError),
}

impl Refusal {
    /// A conflict named `code`, described by `error`.
    pub(crate) fn conflict(code: &'static str, error: &impl std::fmt::Display) -> Self {
        Self::Conflict { code, detail: error.to_string() }
    }

    /// An invalid `field`, described by `error`.
    pub(crate) fn invalid(field: &'static str, error: &impl std::fmt::Display) -> Self {
        Self::Invalid { field, detail: error.to_string() }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl From<Forbidden> for Refusal {
    fn from(Forbidden: Forbidden) -> Self {
        Self::Forbidden
    }
}
