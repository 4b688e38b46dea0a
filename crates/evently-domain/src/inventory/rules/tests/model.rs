//! Drives random operation sequences through the rules and compares every step with a
//! deliberately naive reference model.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const USERS: i64 = 6;
/// Tier 1 has no quota of its own; tier 2 starts with a quota of 3.
const TIERS: i64 = 2;

#[derive(Debug, Clone)]
enum Op {
    Book { user: i64, seats: i64, tier: i64 },
    Cancel { user: i64 },
    Join { user: i64, seats: i64, tier: i64 },
    Leave { user: i64 },
    Resize { capacity: i64 },
    ResizeTier { tier: i64, capacity: Option<i64> },
    CancelEvent,
    Hold { user: i64, seats: i64, tier: i64 },
    Confirm { user: i64 },
    Release { user: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1..=USERS;
    let seats = 1..=4_i64;
    let tier = 1..=TIERS;
    prop_oneof![
        4 => (user.clone(), seats.clone(), tier.clone()).prop_map(|(user, seats, tier)| Op::Book { user, seats, tier }),
        3 => user.clone().prop_map(|user| Op::Cancel { user }),
        3 => (user.clone(), seats, tier.clone()).prop_map(|(user, seats, tier)| Op::Join { user, seats, tier }),
        1 => user.prop_map(|user| Op::Leave { user }),
        1 => (1..=12_i64).prop_map(|capacity| Op::Resize { capacity }),
        1 => (tier, proptest::option::of(1..=12_i64)).prop_map(|(tier, capacity)| Op::ResizeTier { tier, capacity }),
        1 => Just(Op::CancelEvent),
        3 => (1..=USERS, 1..=4_i64, 1..=TIERS).prop_map(|(user, seats, tier)| Op::Hold { user, seats, tier }),
        2 => (1..=USERS).prop_map(|user| Op::Confirm { user }),
        2 => (1..=USERS).prop_map(|user| Op::Release { user }),
    ]
}

/// The system under test: the rules plus the bookkeeping a store does around them.
#[derive(Debug, Clone)]
struct Ledger {
    inventory: Inventory,
    confirmed: BTreeMap<i64, (u32, i64)>,
    held: BTreeMap<i64, (u32, i64)>,
    queue: Vec<Queued>,
    next_entry: i64,
}

/// The reference: plain numbers and a loop that promotes whoever fits first.
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    capacity: u32,
    quotas: BTreeMap<i64, Option<u32>>,
    offers: bool,
    cancelled: bool,
    confirmed: BTreeMap<i64, (u32, i64)>,
    held: BTreeMap<i64, (u32, i64)>,
    waiting: Vec<(i64, u32, i64)>,
}

impl Reference {
    fn booked_in(&self, tier: i64) -> u32 {
        self.confirmed.values().chain(self.held.values()).filter(|(_, t)| *t == tier).map(|(s, _)| s).sum()
    }

    fn taken(&self) -> u32 {
        self.confirmed.values().chain(self.held.values()).map(|(s, _)| s).sum()
    }

    fn free(&self, tier: i64) -> u32 {
        let event = self.capacity - self.taken();
        match self.quotas[&tier] {
            Some(quota) => event.min(quota.saturating_sub(self.booked_in(tier))),
            None => event,
        }
    }

    fn holds(&self, user: i64) -> bool {
        self.confirmed.contains_key(&user)
            || self.held.contains_key(&user)
            || self.waiting.iter().any(|(u, _, _)| *u == user)
    }

    fn promote(&mut self) {
        while let Some(i) = self.waiting.iter().position(|(_, s, t)| *s <= self.free(*t)) {
            let (user, seats, tier) = self.waiting.remove(i);
            if self.offers {
                self.held.insert(user, (seats, tier));
            } else {
                self.confirmed.insert(user, (seats, tier));
            }
        }
    }

    /// Applies `op`; `true` when it succeeded.
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Book { user, seats, tier } => {
                let ok = !self.cancelled && !self.holds(user) && seats as u32 <= self.free(tier);
                if ok {
                    self.confirmed.insert(user, (seats as u32, tier));
                }
                ok
            }
            Op::Cancel { user } => {
                let ok = self.confirmed.remove(&user).is_some();
                self.promote();
                ok
            }
            Op::Join { user, seats, tier } => {
                let ok = !self.cancelled && !self.holds(user) && seats as u32 > self.free(tier);
                if ok {
                    self.waiting.push((user, seats as u32, tier));
                }
                ok
            }
            Op::Leave { user } => {
                let before = self.waiting.len();
                self.waiting.retain(|(u, _, _)| *u != user);
                before != self.waiting.len()
            }
            Op::ResizeTier { tier, capacity } => {
                let capacity = capacity.map(|c| c as u32);
                // An unchanged quota may exceed a capacity lowered below it; a new one may not.
                let unchanged = self.quotas.get(&tier).copied().flatten() == capacity;
                let ok = !self.cancelled
                    && capacity.is_none_or(|c| (c <= self.capacity || unchanged) && c >= self.booked_in(tier));
                if ok {
                    self.quotas.insert(tier, capacity);
                    self.promote();
                }
                ok
            }
            Op::Hold { user, seats, tier } => {
                let ok = !self.cancelled && !self.holds(user) && seats as u32 <= self.free(tier);
                if ok {
                    self.held.insert(user, (seats as u32, tier));
                }
                ok
            }
            Op::Confirm { user } => match self.held.remove(&user) {
                Some(hold) => {
                    self.confirmed.insert(user, hold);
                    true
                }
                None => false,
            },
            Op::Release { user } => {
                let ok = self.held.remove(&user).is_some();
                self.promote();
                ok
            }
            Op::Resize { capacity } => {
                let booked = self.taken();
                let ok = !self.cancelled && capacity as u32 >= booked;
                if ok {
                    self.capacity = capacity as u32;
                    self.promote();
                }
                ok
            }
            Op::CancelEvent => {
                let ok = !self.cancelled;
                if ok {
                    self.cancelled = true;
                    self.confirmed.clear();
                    self.held.clear();
                    self.waiting.clear();
                }
                ok
            }
        }
    }
}

impl Ledger {
    fn holding(&self, user: i64) -> Holding {
        if self.confirmed.contains_key(&user) {
            Holding::Booked
        } else if self.held.contains_key(&user) {
            Holding::Holding
        } else if self.queue.iter().any(|q| q.user.get() == user) {
            Holding::Waiting
        } else {
            Holding::Nothing
        }
    }

    fn settle(&mut self, promoted: Vec<Promoted>) {
        for Promoted { entry: promoted, .. } in promoted {
            self.queue.retain(|q| q.entry != promoted.entry);
            let place = (promoted.seats.get(), promoted.tier.get());
            match self.inventory.promotion() {
                Promotion::Book => self.confirmed.insert(promoted.user.get(), place),
                Promotion::Offer => self.held.insert(promoted.user.get(), place),
            };
        }
    }

    /// Applies `op` through the rules; `true` when they allowed it.
    fn apply(&mut self, op: &Op) -> bool {
        let user_id = |u: i64| UserId::new(u).unwrap();
        match *op {
            Op::Book { user, seats, tier } => {
                let tier = TierId::new(tier).unwrap();
                match self.inventory.book(Some(tier), &SeatPick::count(Seats::new(seats).unwrap()), self.holding(user))
                {
                    Ok(booked) => {
                        self.confirmed.insert(user, (seats as u32, booked.tier.get()));
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::Cancel { user } => {
                let Some(&(held, tier)) = self.confirmed.get(&user) else {
                    return false;
                };
                let seats = Seats::new(i64::from(held)).unwrap();
                let tier = TierId::new(tier).unwrap();
                match self.inventory.cancel_booking(
                    BookingStatus::Confirmed,
                    Given { tier, seats, placement: None },
                    &self.queue,
                ) {
                    Ok(promoted) => {
                        self.confirmed.remove(&user);
                        self.settle(promoted);
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::Join { user, seats, tier } => {
                let seats = Seats::new(seats).unwrap();
                let Ok(tier) = self.inventory.join_waitlist(TierId::new(tier), seats, self.holding(user)) else {
                    return false;
                };
                self.next_entry += 1;
                let entry = WaitlistEntryId::new(self.next_entry).unwrap();
                self.queue.push(Queued { entry, user: user_id(user), seats, tier });
                true
            }
            Op::Hold { user, seats, tier } => {
                let tier = TierId::new(tier).unwrap();
                match self.inventory.hold(Some(tier), &SeatPick::count(Seats::new(seats).unwrap()), self.holding(user))
                {
                    Ok(held) => {
                        self.held.insert(user, (seats as u32, held.tier.get()));
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::Confirm { user } => match self.held.remove(&user) {
                Some((seats, tier)) => {
                    self.inventory.confirm_hold(TierId::new(tier).unwrap(), Seats::new(i64::from(seats)).unwrap());
                    self.confirmed.insert(user, (seats, tier));
                    true
                }
                None => false,
            },
            Op::Release { user } => {
                let released: Vec<Given<'_>> = self
                    .held
                    .remove(&user)
                    .map(|(seats, tier)| Given {
                        tier: TierId::new(tier).unwrap(),
                        seats: Seats::new(i64::from(seats)).unwrap(),
                        placement: None,
                    })
                    .into_iter()
                    .collect();
                let promoted = self.inventory.release_holds(&released, &self.queue);
                self.settle(promoted);
                !released.is_empty()
            }
            Op::ResizeTier { tier, capacity } => {
                let capacity = capacity.map(|c| Capacity::new(c).unwrap());
                match self.inventory.resize_tier(TierId::new(tier).unwrap(), capacity, &self.queue) {
                    Ok(promoted) => {
                        self.settle(promoted);
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::Leave { user } => {
                let before = self.queue.len();
                self.queue.retain(|q| q.user.get() != user);
                before != self.queue.len()
            }
            Op::Resize { capacity } => {
                let capacity = Capacity::new(capacity).unwrap();
                match self.inventory.resize(capacity, Seats::new(4).unwrap(), &self.queue) {
                    Ok(promoted) => {
                        self.settle(promoted);
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::CancelEvent => match self.inventory.cancel_event() {
                Ok(()) => {
                    self.confirmed.clear();
                    self.held.clear();
                    self.queue.clear();
                    true
                }
                Err(_) => false,
            },
        }
    }

    fn check_invariants(&self) {
        let sum: u32 = self.confirmed.values().map(|(s, _)| s).sum();
        let held: u32 = self.held.values().map(|(s, _)| s).sum();
        assert_eq!(self.inventory.booked(), sum, "booked seats equal confirmed seats");
        assert_eq!(self.inventory.held(), held, "held seats equal active holds' seats");
        assert!(self.inventory.booked() + self.inventory.held() <= self.inventory.capacity().get(), "no overselling");
        for stock in self.inventory.tiers() {
            let in_tier = |of: &BTreeMap<i64, (u32, i64)>| -> u32 {
                of.values().filter(|(_, t)| *t == stock.id.get()).map(|(s, _)| s).sum()
            };
            assert_eq!((stock.booked, stock.held), (in_tier(&self.confirmed), in_tier(&self.held)), "a tier's seats");
            assert!(stock.capacity.is_none_or(|c| stock.booked + stock.held <= c.get()), "no tier oversold");
        }
        assert!(
            self.queue.iter().all(|q| q.seats.get() > self.inventory.available_in(q.tier)),
            "no waiting entry fits in the free seats of its tier"
        );
        for q in &self.queue {
            assert!(!self.confirmed.contains_key(&q.user.get()), "never booked and waiting at once");
            assert!(!self.held.contains_key(&q.user.get()), "never holding and waiting at once");
            assert_eq!(self.queue.iter().filter(|o| o.user == q.user).count(), 1, "one waiting entry per user");
        }
    }

    fn as_reference(&self) -> Reference {
        Reference {
            capacity: self.inventory.capacity().get(),
            quotas: self.inventory.tiers().iter().map(|t| (t.id.get(), t.capacity.map(Capacity::get))).collect(),
            offers: self.inventory.promotion() == Promotion::Offer,
            cancelled: self.inventory.status() == EventStatus::Cancelled,
            confirmed: self.confirmed.clone(),
            held: self.held.clone(),
            waiting: self.queue.iter().map(|q| (q.user.get(), q.seats.get(), q.tier.get())).collect(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rules_match_the_reference_model(
        capacity in 1..=10_i64,
        offers in proptest::bool::ANY,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let promotion = if offers { Promotion::Offer } else { Promotion::Book };
        let mut ledger = Ledger {
            inventory: Inventory::new(
                Capacity::new(capacity).unwrap(),
                Seats::new(4).unwrap(),
                EventStatus::Scheduled,
                promotion,
                vec![
                    TierStock { id: TierId::new(1).unwrap(), capacity: None, booked: 0, held: 0 },
                    TierStock { id: TierId::new(2).unwrap(), capacity: Capacity::new(3).ok().filter(|c| c.get() <= capacity as u32), booked: 0, held: 0 },
                ],
            )
            .unwrap(),
            confirmed: BTreeMap::new(),
            held: BTreeMap::new(),
            queue: Vec::new(),
            next_entry: 0,
        };
        let mut reference = ledger.as_reference();
        for op in &ops {
            let ours = ledger.apply(op);
            let theirs = reference.apply(op);
            prop_assert_eq!(ours, theirs, "outcome of {:?}", op);
            ledger.check_invariants();
            prop_assert_eq!(ledger.as_reference(), reference.clone(), "state after {:?}", op);
        }
    }
}
