//! The history: every request the clients made, when, and what came of it.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Admin publishes the event (set-up).
    Create { capacity: i64 },
    /// `POST /events/{id}/bookings`, with its `Idempotency-Key` if any; on a seated
    /// event sometimes naming its seats (`labels`).
    Book { seats: i64, key: Option<String>, labels: Option<Vec<String>> },
    /// `POST /bookings/{id}/cancel` by the owner.
    Cancel { booking: i64 },
    /// `POST /events/{id}/waitlist`.
    Join { seats: i64 },
    /// `DELETE /events/{id}/waitlist/me`.
    Leave,
    /// Admin `PATCH /events/{id}` of the capacity.
    Resize { capacity: i64 },
    /// Admin `DELETE /events/{id}`.
    CancelEvent,
    /// `GET /users/me/bookings?status=confirmed`, how clients learn of promotions.
    ListBookings,
    /// `POST /events/{id}/holds`, with its `Idempotency-Key` if any, and the seats it
    /// names if it names them.
    Hold { seats: i64, key: Option<String>, labels: Option<Vec<String>> },
    /// `POST /holds/{id}/confirm` by the holder.
    Confirm { hold: i64 },
    /// `DELETE /holds/{id}` by the holder.
    Release { hold: i64 },
    /// `GET /bookings/{id}/tickets` by the owner, to show one at the door.
    Tickets { booking: i64 },
    /// Door staff `POST /events/{id}/checkins` of a ticket's code, or (`offline`) an
    /// offline scanner's upload of it to `.../checkins/batch`.
    Scan { ticket: i64, offline: bool },
    /// `POST /events/{id}/queue`: a ticket in the event's on-sale queue, taken after a
    /// `403 not_admitted`.
    QueueJoin,
}

impl Op {
    /// A short name, for summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Book { key: Some(_), .. } => "book(key)",
            Self::Book { key: None, .. } => "book",
            Self::Cancel { .. } => "cancel",
            Self::Join { .. } => "join",
            Self::Leave => "leave",
            Self::Resize { .. } => "resize",
            Self::CancelEvent => "cancel_event",
            Self::ListBookings => "list",
            Self::Hold { key: Some(_), .. } => "hold(key)",
            Self::Hold { key: None, .. } => "hold",
            Self::Confirm { .. } => "confirm",
            Self::Release { .. } => "release",
            Self::Tickets { .. } => "tickets",
            Self::Scan { offline: false, .. } => "scan",
            Self::Scan { offline: true, .. } => "scan(offline)",
            Self::QueueJoin => "queue",
        }
    }
}

/// What came of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A status and its parsed body (`null` when empty, a string when not JSON).
    Answered { status: u16, body: Value },
    /// Timeout or connection error: the effect is unknown.
    Indeterminate(String),
}

/// One request of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The client (task) that sent it.
    pub client: usize,
    /// The logical request: the attempts of one keyed booking (retries, duplicates) share it.
    pub request: usize,
    /// The acting user (the admin for admin operations).
    pub user: i64,
    /// The event concerned (0 when none).
    pub event: i64,
    pub op: Op,
    /// The instance it was sent to.
    pub base: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub outcome: Outcome,
}

impl Call {
    /// The status, when answered.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            Outcome::Answered { status, .. } => Some(status),
            Outcome::Indeterminate(_) => None,
        }
    }

    /// The body, when answered.
    pub fn body(&self) -> Option<&Value> {
        match &self.outcome {
            Outcome::Answered { body, .. } => Some(body),
            Outcome::Indeterminate(_) => None,
        }
    }

    /// The problem document's `code`, when there is one.
    pub fn code(&self) -> Option<&str> {
        self.body().and_then(|body| body["code"].as_str())
    }

    /// Answered with `status`.
    pub fn is(&self, status: u16) -> bool {
        self.status() == Some(status)
    }

    /// Timed out or lost its connection.
    pub fn is_indeterminate(&self) -> bool {
        matches!(self.outcome, Outcome::Indeterminate(_))
    }

    /// An id field of the body (`id`, `event_id`, ...).
    pub fn body_i64(&self, field: &str) -> Option<i64> {
        self.body().and_then(|body| body[field].as_i64())
    }

    /// Whether the call was in flight at some moment of `[from, to]`.
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.start <= to && self.end >= from
    }
}

/// A fault injected during the run, from its first effect to the moment it was over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultWindow {
    pub what: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}
