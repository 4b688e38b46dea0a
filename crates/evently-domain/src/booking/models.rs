use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

use crate::inventory::{BookingStatus, Given, Seats};
use crate::money::{Currency, Price};
use crate::seating::{Placement, SeatPick};
use crate::text::text_type;
use crate::{BookingId, EventId, TierId, UserId};

text_type!(
    /// A payment provider's reference for a confirmed hold: 1 to 200 characters.
    PaymentReference, max = 200, clean, multiline = false
);

/// How a booking came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingSource {
    /// Booked by the user.
    Direct,
    /// Promoted from the waitlist.
    Waitlist,
    /// A confirmed hold.
    Hold,
}

impl BookingSource {
    /// The source's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Waitlist => "waitlist",
            Self::Hold => "hold",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "direct" => Some(Self::Direct),
            "waitlist" => Some(Self::Waitlist),
            "hold" => Some(Self::Hold),
            _ => None,
        }
    }
}

/// A booking, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// Its id.
    pub id: BookingId,
    /// The event booked.
    pub event_id: EventId,
    /// Who holds it.
    pub user_id: UserId,
    /// How many seats.
    pub seats: Seats,
    /// The tier booked.
    pub tier_id: TierId,
    /// The price of one seat when it was booked.
    pub unit_price: Price,
    /// The currency of the price.
    pub currency: Currency,
    /// Confirmed or cancelled.
    pub status: BookingStatus,
    /// Direct, promoted from the waitlist, or a confirmed hold.
    pub source: BookingSource,
    /// The payment reference given when its hold was confirmed.
    pub payment_reference: Option<PaymentReference>,
    /// Its seats; `None` unless the event is seated.
    pub placement: Option<Placement>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Booking {
    /// The booking as it was when first confirmed (what an idempotent replay answers).
    pub fn as_first_confirmed(mut self) -> Self {
        self.status = BookingStatus::Confirmed;
        self.cancelled_at = None;
        self
    }

    /// What it costs: seats times the unit price.
    pub fn amount(&self) -> u64 {
        self.unit_price.times(self.seats.get())
    }

    /// The seats it gives back when cancelled.
    pub fn given(&self) -> Given<'_> {
        Given { tier: self.tier_id, seats: self.seats, placement: self.placement.as_ref() }
    }
}

/// A client-chosen key that makes a booking request safe to retry: 1 to 255 visible
/// ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why an idempotency key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be 1 to {max} visible ASCII characters", max = IdempotencyKey::MAX_CHARS)]
pub struct IdempotencyKeyError;

impl IdempotencyKey {
    /// How long a key answers replays of its request; after that it may be used anew.
    pub const LIFETIME: TimeDelta = TimeDelta::hours(24);

    /// The longest key accepted.
    pub const MAX_CHARS: usize = 255;

    /// Validates a raw key.
    ///
    /// # Errors
    /// [`IdempotencyKeyError`] when empty, too long or not visible ASCII.
    pub fn new(raw: &str) -> Result<Self, IdempotencyKeyError> {
        let valid = !raw.is_empty() && raw.len() <= Self::MAX_CHARS && raw.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(raw.to_owned())).ok_or(IdempotencyKeyError)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request to book seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    /// The event to book.
    pub event_id: EventId,
    /// Who books.
    pub user_id: UserId,
    /// Which seats, or how many.
    pub pick: SeatPick,
    /// The tier to book; the event's first tier when `None` (for named seats, theirs).
    pub tier: Option<TierId>,
    /// Makes the request safe to repeat.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl BookingRequest {
    /// How many seats it asks for.
    pub fn seats(&self) -> Seats {
        self.pick.seats()
    }
}

/// A booking made, or the first answer to a repeated idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOutcome {
    /// The booking as first confirmed.
    pub booking: Booking,
    /// Whether this answer replays an earlier request.
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::new("order-42").is_ok());
        assert_eq!(IdempotencyKey::new(""), Err(IdempotencyKeyError));
        assert_eq!(IdempotencyKey::new("a b"), Err(IdempotencyKeyError));
        assert_eq!(IdempotencyKey::new("é"), Err(IdempotencyKeyError));
        assert_eq!(IdempotencyKey::new(&"k".repeat(256)), Err(IdempotencyKeyError));
    }
}
