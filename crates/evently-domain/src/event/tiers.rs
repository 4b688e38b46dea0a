//! Ticket tiers: an event's price categories, each with an optional quota of its own.

use thiserror::Error;

use crate::TierId;
use crate::inventory::Capacity;
use crate::money::Price;
use crate::seating::SeatingPlan;
use crate::text::text_type;

text_type!(
    /// A tier's name, unique within its event: 1 to 100 characters.
    TierName, max = 100, clean, multiline = false
);

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
    /// A tier of a seated event without seats.
    #[error("tier {0:?} has no seats: every tier of a seated event needs a section")]
    NoSeats(String),
    /// A quota other than the tier's seat count on a seated event.
    #[error("tier {tier:?} has {seats} seats, so its capacity is {seats}")]
    SeatCount {
        /// The tier.
        tier: String,
        /// Its seat count.
        seats: u32,
    },
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

    /// The tiers of a seated event whose sections name them by position: each tier's
    /// quota becomes its seat count.
    ///
    /// # Errors
    /// [`TierPlanError::NoSeats`] for a tier without sections,
    /// [`TierPlanError::SeatCount`] for a quota given that is not the seat count.
    pub fn seated(self, seating: &SeatingPlan<usize>) -> Result<Self, TierPlanError> {
        let tiers = self
            .0
            .into_iter()
            .enumerate()
            .map(|(i, mut tier)| {
                let seats = seating.seats_in(&i);
                let name = || tier.name.as_str().to_owned();
                let quota = Capacity::new(i64::from(seats)).map_err(|_| TierPlanError::NoSeats(name()))?;
                if tier.capacity.is_some_and(|given| given != quota) {
                    return Err(TierPlanError::SeatCount { tier: name(), seats });
                }
                tier.capacity = Some(quota);
                Ok(tier)
            })
            .collect::<Result<_, _>>()?;
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
