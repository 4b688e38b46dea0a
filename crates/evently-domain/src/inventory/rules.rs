//! The inventory rules, as pure functions on one event's seats, its tiers and its holds.
//!
//! Every store loads the event's [`Inventory`] under the event's lock, asks these rules
//! for a decision, and writes that decision in the same atomic operation. A rule that
//! refuses leaves the inventory as it was. Nothing here performs I/O.

use thiserror::Error;

use super::{
    BookConflict, BookingStatus, CancelConflict, Capacity, EventCancelled, EventStatus, JoinConflict, Promotion,
    ResizeConflict, Seats, TierConflict,
};
use crate::{TierId, UserId, WaitlistEntryId};

/// One tier's seats: its own quota (`None`: bounded by the event only), the seats its
/// confirmed bookings hold and those its active, unexpired holds hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierStock {
    /// The tier.
    pub id: TierId,
    /// Its quota.
    pub capacity: Option<Capacity>,
    /// Seats booked in it.
    pub booked: u32,
    /// Seats held in it.
    pub held: u32,
}

/// An event's seats: capacity, its tiers (in id order, at least one), the per-booking
/// limit, the status and what promotion gives. Seats booked and held in all tiers never
/// exceed the capacity, nor those of one tier its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    capacity: Capacity,
    booked: u32,
    held: u32,
    max_per_booking: Seats,
    status: EventStatus,
    promotion: Promotion,
    tiers: Vec<TierStock>,
}

/// A stored inventory that breaks the rules (a corrupt row).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("corrupt inventory: {0}")]
pub struct InventoryError(&'static str);

/// What a user already holds for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// Neither a confirmed booking, an active hold nor a waiting entry.
    Nothing,
    /// A confirmed booking.
    Booked,
    /// An active hold.
    Holding,
    /// A waiting entry.
    Waiting,
}

/// A waiting entry, as the promotion rule sees it. Queues are given in `joined_at`
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// The entry.
    pub entry: WaitlistEntryId,
    /// Who waits.
    pub user: UserId,
    /// How many seats they wait for.
    pub seats: Seats,
    /// The tier they wait in.
    pub tier: TierId,
}

impl Inventory {
    /// Builds an inventory from stored values; the seats booked and held are the tiers'
    /// sums.
    ///
    /// # Errors
    /// [`InventoryError`] without tiers, or with more seats booked and held than the
    /// event's capacity or a tier's quota allows.
    pub fn new(
        capacity: Capacity,
        max_per_booking: Seats,
        status: EventStatus,
        promotion: Promotion,
        tiers: Vec<TierStock>,
    ) -> Result<Self, InventoryError> {
        if tiers.is_empty() {
            return Err(InventoryError("an event without tiers"));
        }
        if tiers.iter().any(|t| t.capacity.is_some_and(|c| t.booked + t.held > c.get())) {
            return Err(InventoryError("a tier taken beyond its quota"));
        }
        let booked = tiers.iter().map(|t| t.booked).sum::<u32>();
        let held = tiers.iter().map(|t| t.held).sum::<u32>();
        if booked + held > capacity.get() {
            return Err(InventoryError("taken beyond capacity"));
        }
        Ok(Self { capacity, booked, held, max_per_booking, status, promotion, tiers })
    }

    /// Seats booked.
    pub fn booked(&self) -> u32 {
        self.booked
    }

    /// Seats held by active holds.
    pub fn held(&self) -> u32 {
        self.held
    }

    /// What promoting a waiting entry gives it.
    pub fn promotion(&self) -> Promotion {
        self.promotion
    }

    /// Seats free in the event: neither booked nor held.
    pub fn available(&self) -> u32 {
        self.capacity.get() - self.booked - self.held
    }

    /// The event's capacity.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// The most seats one booking or entry may hold.
    pub fn max_per_booking(&self) -> Seats {
        self.max_per_booking
    }

    /// Scheduled or cancelled.
    pub fn status(&self) -> EventStatus {
        self.status
    }

    /// The tiers, in id order.
    pub fn tiers(&self) -> &[TierStock] {
        &self.tiers
    }

    /// Seats free in `tier`: its quota's free seats, bounded by the event's.
    pub fn available_in(&self, tier: TierId) -> u32 {
        self.stock(tier).map_or(0, |stock| self.free_in(stock))
    }

    fn free_in(&self, stock: &TierStock) -> u32 {
        let quota = stock.capacity.map_or(u32::MAX, |c| c.get().saturating_sub(stock.booked + stock.held));
        quota.min(self.available())
    }

    fn stock(&self, tier: TierId) -> Option<&TierStock> {
        self.tiers.iter().find(|t| t.id == tier)
    }

    fn stock_mut(&mut self, tier: TierId) -> Option<&mut TierStock> {
        self.tiers.iter_mut().find(|t| t.id == tier)
    }

    /// The tier a request names, or the event's first tier when it names none.
    fn resolve(&self, tier: Option<TierId>) -> Result<TierId, RequestRefusal> {
        match tier {
            None => self.tiers.first().map(|t| t.id).ok_or(RequestRefusal::UnknownTier),
            Some(id) => self.stock(id).map(|t| t.id).ok_or(RequestRefusal::UnknownTier),
        }
    }

    fn check_request(&self, tier: Option<TierId>, seats: Seats, holding: Holding) -> Result<TierId, RequestRefusal> {
        if self.status == EventStatus::Cancelled {
            return Err(RequestRefusal::EventCancelled);
        }
        let tier = self.resolve(tier)?;
        if seats > self.max_per_booking {
            return Err(RequestRefusal::SeatsAboveLimit { max: self.max_per_booking.get() });
        }
        match holding {
            Holding::Nothing => Ok(tier),
            Holding::Booked => Err(RequestRefusal::AlreadyBooked),
            Holding::Holding => Err(RequestRefusal::AlreadyHolding),
            Holding::Waiting => Err(RequestRefusal::AlreadyWaitlisted),
        }
    }

    /// The tier's and the event's counts of `count`.
    fn counts(&mut self, count: Count, tier: TierId) -> Option<(&mut u32, &mut u32)> {
        let Self { tiers, booked, held, .. } = self;
        let stock = tiers.iter_mut().find(|t| t.id == tier)?;
        Some(match count {
            Count::Booked => (&mut stock.booked, booked),
            Count::Held => (&mut stock.held, held),
        })
    }

    fn add(&mut self, count: Count, tier: TierId, seats: Seats) {
        if let Some((in_tier, in_event)) = self.counts(count, tier) {
            *in_tier += seats.get();
            *in_event += seats.get();
        }
    }

    fn remove(&mut self, count: Count, tier: TierId, seats: Seats) {
        if let Some((in_tier, in_event)) = self.counts(count, tier) {
            let freed = seats.get().min(*in_tier);
            *in_tier -= freed;
            *in_event -= freed;
        }
    }

    /// Takes `seats` of `tier` (the first tier when `None`) as `count` for a user holding
    /// `holding`: the rule bookings and holds share.
    fn claim(
        &mut self,
        count: Count,
        tier: Option<TierId>,
        seats: Seats,
        holding: Holding,
    ) -> Result<TierId, BookConflict> {
        let tier = self.check_request(tier, seats, holding)?;
        let available = self.available_in(tier);
        if seats.get() > available {
            return Err(BookConflict::SoldOut { available });
        }
        self.add(count, tier, seats);
        Ok(tier)
    }

    /// Books `seats` in `tier` (the first tier when `None`) for a user holding
    /// `holding`; the tier booked.
    ///
    /// # Errors
    /// In order of precedence, [`BookConflict`]'s variants.
    pub fn book(&mut self, tier: Option<TierId>, seats: Seats, holding: Holding) -> Result<TierId, BookConflict> {
        self.claim(Count::Booked, tier, seats, holding)
    }

    /// Holds `seats` in `tier` (the first tier when `None`) for a user holding `holding`;
    /// the tier held. The same refusals as a booking.
    ///
    /// # Errors
    /// In order of precedence, [`BookConflict`]'s variants.
    pub fn hold(&mut self, tier: Option<TierId>, seats: Seats, holding: Holding) -> Result<TierId, BookConflict> {
        self.claim(Count::Held, tier, seats, holding)
    }

    /// Confirms an active hold of `seats` in `tier`: its seats stay taken, now booked.
    pub fn confirm_hold(&mut self, tier: TierId, seats: Seats) {
        self.remove(Count::Held, tier, seats);
        self.add(Count::Booked, tier, seats);
    }

    /// Gives back the seats of active holds that were released or expired, `(tier,
    /// seats)` each, and promotes from `queue`; the entries promoted.
    pub fn release_holds(&mut self, holds: &[(TierId, Seats)], queue: &[Queued]) -> Vec<Queued> {
        for &(tier, seats) in holds {
            self.remove(Count::Held, tier, seats);
        }
        self.promote(queue)
    }

    /// Checks that a user holding `holding` may wait for `seats` of `tier` (the first
    /// tier when `None`): only when they do not fit now. The tier to wait in.
    ///
    /// # Errors
    /// In order of precedence, [`JoinConflict`]'s variants.
    pub fn join_waitlist(&self, tier: Option<TierId>, seats: Seats, holding: Holding) -> Result<TierId, JoinConflict> {
        let tier = self.check_request(tier, seats, holding)?;
        let available = self.available_in(tier);
        if seats.get() <= available {
            return Err(JoinConflict::EventNotFull { available });
        }
        Ok(tier)
    }

    /// Cancels a booking of `seats` in `tier`, in state `status`, and promotes from
    /// `queue`; the entries promoted, in queue order.
    ///
    /// # Errors
    /// [`CancelConflict::EventCancelled`] when the event is cancelled (it wins over
    /// every other conflict; its bookings were all cancelled with it),
    /// [`CancelConflict::AlreadyCancelled`] for a cancelled booking.
    pub fn cancel_booking(
        &mut self,
        status: BookingStatus,
        tier: TierId,
        seats: Seats,
        queue: &[Queued],
    ) -> Result<Vec<Queued>, CancelConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(CancelConflict::EventCancelled);
        }
        if status == BookingStatus::Cancelled {
            return Err(CancelConflict::AlreadyCancelled);
        }
        self.remove(Count::Booked, tier, seats);
        Ok(self.promote(queue))
    }

    /// Changes the capacity (and the per-booking limit) and promotes from `queue` if
    /// seats were freed; the entries promoted.
    ///
    /// # Errors
    /// [`ResizeConflict::EventCancelled`], [`ResizeConflict::CapacityBelowBooked`].
    pub fn resize(
        &mut self,
        capacity: Capacity,
        max_per_booking: Seats,
        queue: &[Queued],
    ) -> Result<Vec<Queued>, ResizeConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(ResizeConflict::EventCancelled);
        }
        if capacity.get() < self.booked + self.held {
            let booked = self.booked + self.held;
            return Err(ResizeConflict::CapacityBelowBooked { capacity: capacity.get(), booked });
        }
        self.capacity = capacity;
        self.max_per_booking = max_per_booking;
        Ok(self.promote(queue))
    }

    /// Checks that a tier with quota `capacity` may be added (it starts with nothing
    /// booked, so adding it changes no other seat).
    ///
    /// # Errors
    /// [`TierConflict::EventCancelled`], [`TierConflict::AboveEventCapacity`].
    pub fn admits_tier(&self, capacity: Option<Capacity>) -> Result<(), TierConflict> {
        self.check_quota(capacity)
    }

    /// Changes `tier`'s quota (pass its current one to change something else) and promotes
    /// from `queue` if seats were freed; the entries promoted.
    ///
    /// # Errors
    /// In order of precedence, [`TierConflict`]'s variants.
    pub fn resize_tier(
        &mut self,
        tier: TierId,
        capacity: Option<Capacity>,
        queue: &[Queued],
    ) -> Result<Vec<Queued>, TierConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(TierConflict::EventCancelled);
        }
        let stock = self.stock(tier).ok_or(TierConflict::UnknownTier)?;
        // An unchanged quota may exceed the event's capacity (which may have been lowered
        // below it); a new one may not.
        if capacity != stock.capacity {
            self.check_quota(capacity)?;
        }
        let taken = stock.booked + stock.held;
        if let Some(quota) = capacity
            && quota.get() < taken
        {
            return Err(TierConflict::CapacityBelowBooked { capacity: quota.get(), booked: taken });
        }
        if let Some(stock) = self.stock_mut(tier) {
            stock.capacity = capacity;
        }
        Ok(self.promote(queue))
    }

    fn check_quota(&self, capacity: Option<Capacity>) -> Result<(), TierConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(TierConflict::EventCancelled);
        }
        match capacity {
            Some(quota) if quota > self.capacity => Err(TierConflict::AboveEventCapacity { max: self.capacity.get() }),
            _ => Ok(()),
        }
    }

    /// Cancels the event: every confirmed booking is cancelled and every active hold
    /// released, so no seat stays taken.
    ///
    /// # Errors
    /// [`EventCancelled`] when it is cancelled already.
    pub fn cancel_event(&mut self) -> Result<(), EventCancelled> {
        if self.status == EventStatus::Cancelled {
            return Err(EventCancelled);
        }
        self.status = EventStatus::Cancelled;
        self.booked = 0;
        self.held = 0;
        self.tiers.iter_mut().for_each(|t| (t.booked, t.held) = (0, 0));
        Ok(())
    }

    /// First come, first served, first fit: visits `queue` in order and promotes every
    /// entry whose seats fit in what its tier still has free, to a booking or to an
    /// offer (a hold) as [`Self::promotion`] says.
    fn promote(&mut self, queue: &[Queued]) -> Vec<Queued> {
        let mut promoted = Vec::new();
        for waiting in queue {
            if self.available() == 0 {
                break;
            }
            if waiting.seats.get() <= self.available_in(waiting.tier) {
                match self.promotion {
                    Promotion::Book => self.add(Count::Booked, waiting.tier, waiting.seats),
                    Promotion::Offer => self.add(Count::Held, waiting.tier, waiting.seats),
                }
                promoted.push(*waiting);
            }
        }
        promoted
    }
}

/// The two counts of taken seats.
#[derive(Debug, Clone, Copy)]
enum Count {
    Booked,
    Held,
}

/// Refusals shared by booking and joining the waitlist.
enum RequestRefusal {
    EventCancelled,
    UnknownTier,
    SeatsAboveLimit { max: u32 },
    AlreadyBooked,
    AlreadyHolding,
    AlreadyWaitlisted,
}

impl From<RequestRefusal> for BookConflict {
    fn from(refusal: RequestRefusal) -> Self {
        match refusal {
            RequestRefusal::EventCancelled => Self::EventCancelled,
            RequestRefusal::UnknownTier => Self::UnknownTier,
            RequestRefusal::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            RequestRefusal::AlreadyBooked => Self::AlreadyBooked,
            RequestRefusal::AlreadyHolding => Self::AlreadyHolding,
            RequestRefusal::AlreadyWaitlisted => Self::AlreadyWaitlisted,
        }
    }
}

impl From<RequestRefusal> for JoinConflict {
    fn from(refusal: RequestRefusal) -> Self {
        match refusal {
            RequestRefusal::EventCancelled => Self::EventCancelled,
            RequestRefusal::UnknownTier => Self::UnknownTier,
            RequestRefusal::SeatsAboveLimit { max } => Self::SeatsAboveLimit { max },
            RequestRefusal::AlreadyBooked => Self::AlreadyBooked,
            RequestRefusal::AlreadyHolding => Self::AlreadyHolding,
            RequestRefusal::AlreadyWaitlisted => Self::AlreadyWaitlisted,
        }
    }
}

#[cfg(test)]
mod tests;
