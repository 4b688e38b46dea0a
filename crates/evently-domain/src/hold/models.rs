use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

use crate::booking::{Booking, IdempotencyKey};
use crate::inventory::{Given, Seats};
use crate::money::{Currency, Price};
use crate::seating::{Placement, SeatPick};
use crate::{BookingId, EventId, HoldId, TierId, UserId};

/// How long a new hold of an event lasts: 5 to 3,600 seconds. It cannot be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HoldTtl(u32);

/// Why a hold time was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between {min} and {max} seconds", min = HoldTtl::MIN, max = HoldTtl::MAX)]
pub struct HoldTtlError;

impl HoldTtl {
    /// The shortest hold time.
    pub const MIN: u32 = 5;
    /// The longest hold time.
    pub const MAX: u32 = 3600;
    /// The hold time of events that set none: ten minutes.
    pub const DEFAULT: Self = Self(600);

    /// Validates a raw number of seconds.
    ///
    /// # Errors
    /// [`HoldTtlError`] outside `MIN..=MAX`.
    pub fn new(raw: i64) -> Result<Self, HoldTtlError> {
        u32::try_from(raw).ok().filter(|s| (Self::MIN..=Self::MAX).contains(s)).map(Self).ok_or(HoldTtlError)
    }

    /// The number of seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// The hold time as a duration.
    pub fn duration(self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.0))
    }
}

impl Default for HoldTtl {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where a hold stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldStatus {
    /// Its seats are taken until `expires_at`.
    Active,
    /// It became a booking.
    Confirmed,
    /// Its holder (or an admin, or the event's cancellation) gave it up.
    Released,
    /// Its timer ran out.
    Expired,
}

impl HoldStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Confirmed => "confirmed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "confirmed" => Some(Self::Confirmed),
            "released" => Some(Self::Released),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// How a hold came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldSource {
    /// Asked for by the user.
    Direct,
    /// Offered to a waiting entry (`waitlist_promotion: "offer"`).
    Waitlist,
}

impl HoldSource {
    /// The source's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Waitlist => "waitlist",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "direct" => Some(Self::Direct),
            "waitlist" => Some(Self::Waitlist),
            _ => None,
        }
    }
}

/// A hold, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Its id.
    pub id: HoldId,
    /// The event held.
    pub event_id: EventId,
    /// Who holds it.
    pub user_id: UserId,
    /// The tier held.
    pub tier_id: TierId,
    /// How many seats.
    pub seats: Seats,
    /// Its stored status; see [`Hold::status_at`].
    pub status: HoldStatus,
    /// Direct or offered.
    pub source: HoldSource,
    /// When its seats stop counting.
    pub expires_at: DateTime<Utc>,
    /// The booking it became, once confirmed.
    pub booking_id: Option<BookingId>,
    /// Its seats; `None` unless the event is seated.
    pub placement: Option<Placement>,
    /// The price of one seat when it was made.
    pub unit_price: Price,
    /// The currency of the price.
    pub currency: Currency,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl Hold {
    /// The status at `now`: an active hold past `expires_at` is expired, swept or not.
    pub fn status_at(&self, now: DateTime<Utc>) -> HoldStatus {
        match self.status {
            HoldStatus::Active if now >= self.expires_at => HoldStatus::Expired,
            status => status,
        }
    }

    /// What it costs: seats times the unit price.
    pub fn amount(&self) -> u64 {
        self.unit_price.times(self.seats.get())
    }

    /// The seats it gives back when released or expired.
    pub fn given(&self) -> Given<'_> {
        Given { tier: self.tier_id, seats: self.seats, placement: self.placement.as_ref() }
    }

    /// The hold as it was when made (what an idempotent replay answers).
    pub fn as_first_made(mut self) -> Self {
        self.status = HoldStatus::Active;
        self.booking_id = None;
        self
    }
}

/// A request to hold seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// The event.
    pub event_id: EventId,
    /// Who holds.
    pub user_id: UserId,
    /// Which seats, or how many.
    pub pick: SeatPick,
    /// The tier; the event's first tier when `None` (for named seats, theirs).
    pub tier: Option<TierId>,
    /// Makes the request safe to repeat (a key space of its own, apart from bookings').
    pub idempotency_key: Option<IdempotencyKey>,
}

impl HoldRequest {
    /// How many seats it asks for.
    pub fn seats(&self) -> Seats {
        self.pick.seats()
    }
}

/// A hold made, or the first answer to a repeated idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldOutcome {
    /// The hold.
    pub hold: Hold,
    /// Whether this answers an earlier request with the same key.
    pub replayed: bool,
}

/// A confirmed hold's booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// The booking.
    pub booking: Booking,
    /// `false` when the hold was confirmed before (a safe retry).
    pub first: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_times_are_bounded() {
        assert_eq!(HoldTtl::new(4), Err(HoldTtlError));
        assert_eq!(HoldTtl::new(3601), Err(HoldTtlError));
        assert_eq!(HoldTtl::new(5).map(HoldTtl::seconds), Ok(5));
        assert_eq!(HoldTtl::default().duration(), TimeDelta::minutes(10));
    }

    #[test]
    fn an_active_hold_reads_expired_once_its_time_is_up() {
        let now = Utc::now();
        let hold = Hold {
            id: HoldId::new(1).unwrap(),
            event_id: EventId::new(1).unwrap(),
            user_id: UserId::new(1).unwrap(),
            tier_id: TierId::new(1).unwrap(),
            seats: Seats::new(2).unwrap(),
            status: HoldStatus::Active,
            source: HoldSource::Direct,
            expires_at: now,
            booking_id: None,
            placement: None,
            unit_price: Price::new(250).unwrap(),
            currency: Currency::EUR,
            created_at: now - TimeDelta::minutes(10),
        };
        assert_eq!(hold.status_at(now - TimeDelta::milliseconds(1)), HoldStatus::Active);
        assert_eq!(hold.status_at(now), HoldStatus::Expired);
        let released = Hold { status: HoldStatus::Released, ..hold.clone() };
        assert_eq!(released.status_at(now), HoldStatus::Released);
        assert_eq!(hold.amount(), 500);
    }
}
