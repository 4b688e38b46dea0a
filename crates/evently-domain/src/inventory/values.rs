//! The counted values the inventory rules work with: capacities and the states of
//! events and bookings (seat counts are [`crate::seats`]).

use thiserror::Error;

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
    fn capacity_bounds() {
        assert_eq!(Capacity::new(0), Err(CapacityError));
        assert_eq!(Capacity::new(-5), Err(CapacityError));
        assert_eq!(Capacity::new(1_000_001), Err(CapacityError));
        assert_eq!(Capacity::new(100).map(Capacity::get), Ok(100));
    }
}
