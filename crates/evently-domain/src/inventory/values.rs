//! The counted values the inventory rules work with: seats, capacities and the states
//! of events and bookings.

use thiserror::Error;

/// A number of seats in one booking or waitlist entry: `1..=100`. An event's own
/// `max_seats_per_booking` may lower the bound further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seats(u32);

/// Why a seat count was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 1 and {max}", max = Seats::MAX)]
pub struct SeatsError;

impl Seats {
    /// The most seats any booking may hold.
    pub const MAX: u32 = 100;
    /// One seat, the default request.
    pub const ONE: Self = Self(1);
    /// The per-booking limit of events that set none.
    pub const DEFAULT_LIMIT: Self = Self(10);

    /// Validates a raw seat count.
    ///
    /// # Errors
    /// [`SeatsError`] outside `1..=MAX`.
    pub fn new(raw: i64) -> Result<Self, SeatsError> {
        u32::try_from(raw).ok().filter(|s| (1..=Self::MAX).contains(s)).map(Self).ok_or(SeatsError)
    }

    /// The number of seats.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// How many seats an event has: `1..=1_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(u32);

/// Why a capacity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 1 and {max}", max = Capacity::MAX)]
pub struct CapacityError;

impl Capacity {
    /// The largest capacity accepted.
    pub const MAX: u32 = 1_000_000;

    /// Validates a raw capacity.
    ///
    /// # Errors
    /// [`CapacityError`] outside `1..=MAX`.
    pub fn new(raw: i64) -> Result<Self, CapacityError> {
        u32::try_from(raw).ok().filter(|c| (1..=Self::MAX).contains(c)).map(Self).ok_or(CapacityError)
    }

    /// The number of seats.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// What promoting a waiting entry gives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Promotion {
    /// A confirmed booking.
    #[default]
    Book,
    /// An offer: an active hold for the entry's seats, to confirm before it expires.
    Offer,
}

impl Promotion {
    /// The mode's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Book => "book",
            Self::Offer => "offer",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "book" => Some(Self::Book),
            "offer" => Some(Self::Offer),
            _ => None,
        }
    }
}

/// Whether an event still takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// Open for bookings.
    Scheduled,
    /// Called off: accepts no bookings, waitlist entries or edits.
    Cancelled,
}

impl EventStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "scheduled" => Some(Self::Scheduled),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// Whether a booking still holds its seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingStatus {
    /// Holds its seats.
    Confirmed,
    /// Gave its seats back.
    Cancelled,
}

impl BookingStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "confirmed" => Some(Self::Confirmed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_bounds() {
        assert_eq!(Seats::new(0), Err(SeatsError));
        assert_eq!(Seats::new(-1), Err(SeatsError));
        assert_eq!(Seats::new(101), Err(SeatsError));
        assert_eq!(Seats::new(100).map(Seats::get), Ok(100));
    }

    #[test]
    fn capacity_bounds() {
        assert_eq!(Capacity::new(0), Err(CapacityError));
        assert_eq!(Capacity::new(-5), Err(CapacityError));
        assert_eq!(Capacity::new(1_000_001), Err(CapacityError));
        assert_eq!(Capacity::new(100).map(Capacity::get), Ok(100));
    }
}
