//! The number of seats one request asks for: a value the inventory rules and the
//! seating rules both use, depending on neither.

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
}
