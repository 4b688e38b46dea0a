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
use crate::seating::{PickRefusal, Placement, SeatMap, SeatPick};
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
/// limit, the status and what promotion gives, and for a seated event which seats are
/// taken. Seats booked and held in all tiers never exceed the capacity, nor those of one
/// tier its quota; a seated event's taken seats are exactly its booked and held ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    capacity: Capacity,
    booked: u32,
    held: u32,
    max_per_booking: Seats,
    status: EventStatus,
    promotion: Promotion,
    tiers: Vec<TierStock>,
    seating: Option<SeatMap>,
    queued: bool,
}

/// Who asks: what they hold for the event and whether its on-sale queue admits them now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// What they hold.
    pub holding: Holding,
    /// Whether they hold a current admission (only a queued event asks).
    pub admitted: bool,
}

impl From<Holding> for Caller {
    /// A caller without an admission.
    fn from(holding: Holding) -> Self {
        Self { holding, admitted: false }
    }
}

/// What a booking or hold was given: its tier and, on a seated event, its seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The tier.
    pub tier: TierId,
    /// The seats; `None` unless the event is seated.
    pub placement: Option<Placement>,
}

/// Seats a booking or hold gives back: its tier, how many and, on a seated event, which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Given<'a> {
    /// The tier.
    pub tier: TierId,
    /// How many seats.
    pub seats: Seats,
    /// Which seats; `None` unless the event is seated.
    pub placement: Option<&'a Placement>,
}

/// A waiting entry promoted, with the seats it was given on a seated event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promoted {
    /// The entry.
    pub entry: Queued,
    /// Its seats; `None` unless the event is seated.
    pub placement: Option<Placement>,
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
        Ok(Self { capacity, booked, held, max_per_booking, status, promotion, tiers, seating: None, queued: false })
    }

    /// The inventory of an event sold through an on-sale queue: bookings, holds and
    /// waiting entries need a current admission.
    pub fn queued(mut self) -> Self {
        self.queued = true;
        self
    }

    /// The inventory of a seated event whose taken seats are `seats`.
    ///
    /// # Errors
    /// [`InventoryError`] when a tier's taken seats differ from its booked and held ones,
    /// or the capacity from the seat count.
    pub fn seated(mut self, seats: SeatMap) -> Result<Self, InventoryError> {
        if seats.plan().seats() != self.capacity.get() {
            return Err(InventoryError("a seated event's capacity differs from its seat count"));
        }
        for tier in &self.tiers {
            let quota = tier.capacity.map_or(0, Capacity::get);
            if quota != seats.plan().seats_in(&tier.id) || seats.free_in(tier.id) + tier.booked + tier.held != quota {
                return Err(InventoryError("a tier's seats differ from its booked and held ones"));
            }
        }
        self.seating = Some(seats);
        Ok(self)
    }

    /// The taken seats of a seated event.
    pub fn seating(&self) -> Option<&SeatMap> {
        self.seating.as_ref()
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

    fn check_request(&self, tier: Option<TierId>, seats: Seats, caller: Caller) -> Result<TierId, RequestRefusal> {
        let tier = self.check_basics(tier, seats, caller)?;
        Self::check_holding(caller.holding)?;
        Ok(tier)
    }

    /// The refusals of every request that come before what the user holds: a cancelled
    /// event, then a missing admission, then the request's own values.
    fn check_basics(&self, tier: Option<TierId>, seats: Seats, caller: Caller) -> Result<TierId, RequestRefusal> {
        if self.status == EventStatus::Cancelled {
            return Err(RequestRefusal::EventCancelled);
        }
        if self.queued && !caller.admitted {
            return Err(RequestRefusal::NotAdmitted);
        }
        let tier = self.resolve(tier)?;
        if seats > self.max_per_booking {
            return Err(RequestRefusal::SeatsAboveLimit { max: self.max_per_booking.get() });
        }
        Ok(tier)
    }

    fn check_holding(holding: Holding) -> Result<(), RequestRefusal> {
        match holding {
            Holding::Nothing => Ok(()),
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

    /// Takes the seats `pick` asks for in `tier` (the first tier when `None`; for named
    /// seats, their tier) as `count` for a user holding `holding`: the rule bookings and
    /// holds share.
    fn claim(
        &mut self,
        count: Count,
        tier: Option<TierId>,
        pick: &SeatPick,
        caller: Caller,
    ) -> Result<Claim, BookConflict> {
        let seats = pick.seats();
        let mut chosen_tier = self.check_basics(tier, seats, caller)?;
        let named = match pick {
            SeatPick::Best { .. } => None,
            SeatPick::Named(labels) => {
                let map = self.seating.as_ref().ok_or(PickRefusal::NotSeated)?;
                let (named_tier, named) = map.named(tier, labels.as_slice())?;
                chosen_tier = named_tier;
                Some((labels.as_slice(), named))
            }
        };
        let tier = chosen_tier;
        Self::check_holding(caller.holding)?;
        let placement = match (&self.seating, named) {
            (None, _) => None,
            (Some(map), Some((labels, mut named))) => {
                if let Some(taken) = named.iter().position(|&seat| map.is_taken(seat)) {
                    return Err(PickRefusal::SeatUnavailable(labels[taken].clone()).into());
                }
                named.sort_unstable();
                map.placement(named)
            }
            (Some(map), None) => {
                let available = self.available_in(tier);
                if seats.get() > available {
                    return Err(BookConflict::SoldOut { available });
                }
                let adjacent = !matches!(pick, SeatPick::Best { adjacent: false, .. });
                let best = map.best(tier, seats.get(), adjacent);
                map.placement(best.ok_or(PickRefusal::NoAdjacentSeats { seats: available })?)
            }
        };
        let available = self.available_in(tier);
        if seats.get() > available {
            return Err(BookConflict::SoldOut { available });
        }
        if let (Some(map), Some(placement)) = (&mut self.seating, &placement) {
            map.take(placement.seats());
        }
        self.add(count, tier, seats);
        Ok(Claim { tier, placement })
    }

    /// Books the seats `pick` asks for in `tier` (the first tier when `None`; for named
    /// seats, their tier) for a user holding `holding`.
    ///
    /// # Errors
    /// In order of precedence, [`BookConflict`]'s variants.
    pub fn book(
        &mut self,
        tier: Option<TierId>,
        pick: &SeatPick,
        caller: impl Into<Caller>,
    ) -> Result<Claim, BookConflict> {
        self.claim(Count::Booked, tier, pick, caller.into())
    }

    /// Holds the seats `pick` asks for, as [`Self::book`] would book them.
    ///
    /// # Errors
    /// In order of precedence, [`BookConflict`]'s variants.
    pub fn hold(
        &mut self,
        tier: Option<TierId>,
        pick: &SeatPick,
        caller: impl Into<Caller>,
    ) -> Result<Claim, BookConflict> {
        self.claim(Count::Held, tier, pick, caller.into())
    }

    /// Confirms an active hold of `seats` in `tier`: its seats stay taken, now booked.
    pub fn confirm_hold(&mut self, tier: TierId, seats: Seats) {
        self.remove(Count::Held, tier, seats);
        self.add(Count::Booked, tier, seats);
    }

    /// Gives back the seats of active holds that were released or expired and promotes
    /// from `queue`; the entries promoted.
    pub fn release_holds(&mut self, holds: &[Given<'_>], queue: &[Queued]) -> Vec<Promoted> {
        for hold in holds {
            self.give_back(Count::Held, hold);
        }
        self.promote(queue)
    }

    fn give_back(&mut self, count: Count, given: &Given<'_>) {
        self.remove(count, given.tier, given.seats);
        if let (Some(map), Some(placement)) = (&mut self.seating, given.placement) {
            map.free(placement.seats());
        }
    }

    /// Checks that a user holding `holding` may wait for `seats` of `tier` (the first
    /// tier when `None`): only when they do not fit now. The tier to wait in.
    ///
    /// # Errors
    /// In order of precedence, [`JoinConflict`]'s variants.
    pub fn join_waitlist(
        &self,
        tier: Option<TierId>,
        seats: Seats,
        caller: impl Into<Caller>,
    ) -> Result<TierId, JoinConflict> {
        let tier = self.check_request(tier, seats, caller.into())?;
        let available = self.available_in(tier);
        if seats.get() <= available {
            return Err(JoinConflict::EventNotFull { available });
        }
        Ok(tier)
    }

    /// Cancels a booking in state `status` that gives back `given`, and promotes from
    /// `queue`; the entries promoted, in queue order.
    ///
    /// # Errors
    /// [`CancelConflict::EventCancelled`] when the event is cancelled (it wins over
    /// every other conflict; its bookings were all cancelled with it),
    /// [`CancelConflict::AlreadyCancelled`] for a cancelled booking.
    pub fn cancel_booking(
        &mut self,
        status: BookingStatus,
        given: Given<'_>,
        queue: &[Queued],
    ) -> Result<Vec<Promoted>, CancelConflict> {
        if let Some(conflict) = CancelConflict::of(self.status, status) {
            return Err(conflict);
        }
        self.give_back(Count::Booked, &given);
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
    ) -> Result<Vec<Promoted>, ResizeConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(ResizeConflict::EventCancelled);
        }
        if self.seating.is_some() && capacity != self.capacity {
            return Err(ResizeConflict::Seated { seats: self.capacity.get() });
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
    ) -> Result<Vec<Promoted>, TierConflict> {
        if self.status == EventStatus::Cancelled {
            return Err(TierConflict::EventCancelled);
        }
        let stock = self.stock(tier).ok_or(TierConflict::UnknownTier)?;
        if self.seating.is_some() && capacity != stock.capacity {
            return Err(TierConflict::Seated);
        }
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
        if self.seating.is_some() {
            return Err(TierConflict::Seated);
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
        if let Some(map) = &mut self.seating {
            map.clear();
        }
        Ok(())
    }

    /// First come, first served, first fit: visits `queue` in order and promotes every
    /// entry whose seats fit in what its tier still has free, to a booking or to an
    /// offer (a hold) as [`Self::promotion`] says. On a seated event each gets the best
    /// seats: side by side when a row has them, else the first free ones.
    fn promote(&mut self, queue: &[Queued]) -> Vec<Promoted> {
        let mut promoted = Vec::new();
        for waiting in queue {
            if self.available() == 0 {
                break;
            }
            if waiting.seats.get() > self.available_in(waiting.tier) {
                continue;
            }
            let placement = match &mut self.seating {
                None => None,
                Some(map) => {
                    let (tier, n) = (waiting.tier, waiting.seats.get());
                    let Some(seats) = map.best(tier, n, true).or_else(|| map.best(tier, n, false)) else { continue };
                    map.take(&seats);
                    map.placement(seats)
                }
            };
            match self.promotion {
                Promotion::Book => self.add(Count::Booked, waiting.tier, waiting.seats),
                Promotion::Offer => self.add(Count::Held, waiting.tier, waiting.seats),
            }
            promoted.push(Promoted { entry: *waiting, placement });
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
    NotAdmitted,
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
            RequestRefusal::NotAdmitted => Self::NotAdmitted,
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
            RequestRefusal::NotAdmitted => Self::NotAdmitted,
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
