//! Ticket tiers: an event's price categories, each with an optional quota of its own.

use thiserror::Error;

use crate::TierId;
use crate::inventory::Capacity;
use crate::text::text_type;

text_type!(
    /// A tier's name, unique within its event: 1 to 100 characters.
    TierName, max = 100, clean, multiline = false
);

/// A price in the currency's minor unit (cents): `0..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(u64);

/// Why a price was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 0 and {max}", max = Price::MAX)]
pub struct PriceError;

impl Price {
    /// The highest price accepted: 10^10 minor units, so that an amount of
    /// [`Seats::MAX`](crate::inventory::Seats::MAX) seats stays exact in JSON.
    pub const MAX: u64 = 10_000_000_000;
    /// Free.
    pub const FREE: Self = Self(0);

    /// Validates a raw price in minor units.
    ///
    /// # Errors
    /// [`PriceError`] outside `0..=MAX`.
    pub fn new(raw: i64) -> Result<Self, PriceError> {
        u64::try_from(raw).ok().filter(|p| *p <= Self::MAX).map(Self).ok_or(PriceError)
    }

    /// The price in minor units.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// `seats` at this price.
    pub fn times(self, seats: u32) -> u64 {
        self.0 * u64::from(seats)
    }
}

/// An ISO 4217 currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// Why a currency code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be three upper-case letters (ISO 4217)")]
pub struct CurrencyError;

impl Currency {
    /// The currency of events that name none.
    pub const EUR: Self = Self(*b"EUR");

    /// Validates a currency code.
    ///
    /// # Errors
    /// [`CurrencyError`] unless `raw` is three upper-case ASCII letters.
    pub fn new(raw: &str) -> Result<Self, CurrencyError> {
        let bytes: [u8; 3] = raw.as_bytes().try_into().map_err(|_| CurrencyError)?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(Self(bytes)).ok_or(CurrencyError)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

/// A tier, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Its id.
    pub id: TierId,
    /// Its name.
    pub name: TierName,
    /// The price of one seat.
    pub price: Price,
    /// Its quota; `None` when only the event's capacity bounds it.
    pub capacity: Option<Capacity>,
    /// Seats held by its confirmed bookings.
    pub booked_seats: u32,
    /// Seats held by its active, unexpired holds.
    pub held_seats: u32,
}

impl Tier {
    /// Seats still free in this tier, given the event's free seats.
    pub fn available_seats(&self, event_available: u32) -> u32 {
        let quota = self.capacity.map_or(u32::MAX, |c| c.get().saturating_sub(self.booked_seats + self.held_seats));
        quota.min(event_available)
    }
}

/// A tier to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTier {
    /// Its name.
    pub name: TierName,
    /// The price of one seat.
    pub price: Price,
    /// Its quota.
    pub capacity: Option<Capacity>,
}

impl NewTier {
    /// The tier of events created without tiers: free, bounded by the event only.
    pub fn general_admission() -> Self {
        Self { name: TierName(String::from("General admission")), price: Price::FREE, capacity: None }
    }
}

/// The fields of a tier an admin changes; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierPatch {
    /// New name.
    pub name: Option<TierName>,
    /// New price; it applies to later bookings only.
    pub price: Option<Price>,
    /// New quota (`Some(None)` removes it); raising it promotes waiting entries.
    pub capacity: Option<Option<Capacity>>,
}

/// The tiers of a new event: 1 to [`TierPlan::MAX_TIERS`], names unique, no quota above
/// the event's capacity. Ids follow the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierPlan(Vec<NewTier>);

/// Why the tiers of a new event were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TierPlanError {
    /// None, or more than [`TierPlan::MAX_TIERS`].
    #[error("must hold 1 to {max} tiers", max = TierPlan::MAX_TIERS)]
    Count,
    /// Two tiers share a name.
    #[error("tier names must be unique within the event; {0:?} repeats")]
    DuplicateName(String),
    /// A quota above the event's capacity.
    #[error("a tier's capacity must be at most the event's capacity, {0}")]
    AboveEventCapacity(u32),
}

impl TierPlan {
    /// The most tiers an event is created with.
    pub const MAX_TIERS: usize = 20;

    /// Validates the tiers of an event of `capacity` seats.
    ///
    /// # Errors
    /// [`TierPlanError`] naming the first rule broken.
    pub fn new(tiers: Vec<NewTier>, capacity: Capacity) -> Result<Self, TierPlanError> {
        if tiers.is_empty() || tiers.len() > Self::MAX_TIERS {
            return Err(TierPlanError::Count);
        }
        for (i, tier) in tiers.iter().enumerate() {
            if tiers[..i].iter().any(|earlier| earlier.name == tier.name) {
                return Err(TierPlanError::DuplicateName(tier.name.as_str().to_owned()));
            }
            if tier.capacity.is_some_and(|quota| quota > capacity) {
                return Err(TierPlanError::AboveEventCapacity(capacity.get()));
            }
        }
        Ok(Self(tiers))
    }

    /// The one free tier of events created without tiers.
    pub fn general_admission() -> Self {
        Self(vec![NewTier::general_admission()])
    }

    /// The tiers, in id order.
    pub fn tiers(&self) -> &[NewTier] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, capacity: Option<i64>) -> NewTier {
        NewTier {
            name: TierName::new(name).unwrap(),
            price: Price::new(1500).unwrap(),
            capacity: capacity.map(|c| Capacity::new(c).unwrap()),
        }
    }

    #[test]
    fn prices_and_currencies_are_checked() {
        assert_eq!(Price::new(-1), Err(PriceError));
        assert_eq!(Price::new(0), Ok(Price::FREE));
        assert!(Price::new(10_000_000_001).is_err());
        assert_eq!(Price::new(250).unwrap().times(3), 750);
        assert_eq!(Currency::new("USD").map(|c| c.as_str().to_owned()), Ok("USD".to_owned()));
        for bad in ["usd", "US", "USDD", "U$D", "ÉUR"] {
            assert_eq!(Currency::new(bad), Err(CurrencyError), "{bad}");
        }
    }

    #[test]
    fn a_plan_needs_unique_names_and_quotas_within_the_event() {
        let capacity = Capacity::new(100).unwrap();
        assert!(TierPlan::new(vec![tier("A", Some(100)), tier("B", None)], capacity).is_ok());
        assert_eq!(TierPlan::new(Vec::new(), capacity), Err(TierPlanError::Count));
        assert_eq!(TierPlan::new(vec![tier("A", None); 21], capacity), Err(TierPlanError::Count));
        assert_eq!(
            TierPlan::new(vec![tier("A", None), tier("A", None)], capacity),
            Err(TierPlanError::DuplicateName("A".into()))
        );
        assert_eq!(TierPlan::new(vec![tier("A", Some(101))], capacity), Err(TierPlanError::AboveEventCapacity(100)));
    }

    #[test]
    fn a_tier_is_bounded_by_its_quota_and_the_event() {
        let mut vip = Tier {
            id: TierId::new(1).unwrap(),
            name: TierName::new("VIP").unwrap(),
            price: Price::FREE,
            capacity: Some(Capacity::new(10).unwrap()),
            booked_seats: 3,
            held_seats: 1,
        };
        assert_eq!(vip.available_seats(100), 6);
        assert_eq!(vip.available_seats(3), 3);
        vip.capacity = None;
        assert_eq!(vip.available_seats(3), 3);
    }
}
