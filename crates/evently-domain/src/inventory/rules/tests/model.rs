//! Drives random operation sequences through the rules and compares every step with a
//! deliberately naive reference model.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const USERS: i64 = 6;

#[derive(Debug, Clone)]
enum Op {
    Book { user: i64, seats: i64 },
    Cancel { user: i64 },
    Join { user: i64, seats: i64 },
    Leave { user: i64 },
    Resize { capacity: i64 },
    CancelEvent,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1..=USERS;
    let seats = 1..=4_i64;
    prop_oneof![
        4 => (user.clone(), seats.clone()).prop_map(|(user, seats)| Op::Book { user, seats }),
        3 => user.clone().prop_map(|user| Op::Cancel { user }),
        3 => (user.clone(), seats).prop_map(|(user, seats)| Op::Join { user, seats }),
        1 => user.prop_map(|user| Op::Leave { user }),
        1 => (1..=12_i64).prop_map(|capacity| Op::Resize { capacity }),
        1 => Just(Op::CancelEvent),
    ]
}

/// The system under test: the rules plus the bookkeeping a store does around them.
#[derive(Debug, Clone)]
struct Ledger {
    inventory: Inventory,
    confirmed: BTreeMap<i64, u32>,
    queue: Vec<Queued>,
    next_entry: i64,
}

/// The reference: plain numbers and a loop that promotes whoever fits first.
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    capacity: u32,
    cancelled: bool,
    confirmed: BTreeMap<i64, u32>,
    waiting: Vec<(i64, u32)>,
}

impl Reference {
    fn free(&self) -> u32 {
        self.capacity - self.confirmed.values().sum::<u32>()
    }

    fn holds(&self, user: i64) -> bool {
        self.confirmed.contains_key(&user) || self.waiting.iter().any(|(u, _)| *u == user)
    }

    fn promote(&mut self) {
        while let Some(i) = self.waiting.iter().position(|(_, s)| *s <= self.free()) {
            let (user, seats) = self.waiting.remove(i);
            self.confirmed.insert(user, seats);
        }
    }

    /// Applies `op`; `true` when it succeeded.
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Book { user, seats } => {
                let ok = !self.cancelled && !self.holds(user) && seats as u32 <= self.free();
                if ok {
                    self.confirmed.insert(user, seats as u32);
                }
                ok
            }
            Op::Cancel { user } => {
                let ok = self.confirmed.remove(&user).is_some();
                self.promote();
                ok
            }
            Op::Join { user, seats } => {
                let ok = !self.cancelled && !self.holds(user) && seats as u32 > self.free();
                if ok {
                    self.waiting.push((user, seats as u32));
                }
                ok
            }
            Op::Leave { user } => {
                let before = self.waiting.len();
                self.waiting.retain(|(u, _)| *u != user);
                before != self.waiting.len()
            }
            Op::Resize { capacity } => {
                let booked: u32 = self.confirmed.values().sum();
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
        } else if self.queue.iter().any(|q| q.user.get() == user) {
            Holding::Waiting
        } else {
            Holding::Nothing
        }
    }

    fn settle(&mut self, released: Released) {
        self.inventory = released.inventory;
        for promoted in released.promoted {
            self.queue.retain(|q| q.entry != promoted.entry);
            self.confirmed.insert(promoted.user.get(), promoted.seats.get());
        }
    }

    /// Applies `op` through the rules; `true` when they allowed it.
    fn apply(&mut self, op: &Op) -> bool {
        let user_id = |u: i64| UserId::new(u).unwrap();
        match *op {
            Op::Book { user, seats } => match self.inventory.book(Seats::new(seats).unwrap(), self.holding(user)) {
                Ok(after) => {
                    self.inventory = after;
                    self.confirmed.insert(user, seats as u32);
                    true
                }
                Err(_) => false,
            },
            Op::Cancel { user } => {
                let Some(&held) = self.confirmed.get(&user) else {
                    return false;
                };
                let seats = Seats::new(i64::from(held)).unwrap();
                match self.inventory.cancel_booking(BookingStatus::Confirmed, seats, &self.queue) {
                    Ok(released) => {
                        self.confirmed.remove(&user);
                        self.settle(released);
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::Join { user, seats } => {
                let seats = Seats::new(seats).unwrap();
                if self.inventory.join_waitlist(seats, self.holding(user)).is_err() {
                    return false;
                }
                self.next_entry += 1;
                let entry = WaitlistEntryId::new(self.next_entry).unwrap();
                self.queue.push(Queued { entry, user: user_id(user), seats });
                true
            }
            Op::Leave { user } => {
                let before = self.queue.len();
                self.queue.retain(|q| q.user.get() != user);
                before != self.queue.len()
            }
            Op::Resize { capacity } => {
                let capacity = Capacity::new(capacity).unwrap();
                match self.inventory.resize(capacity, Seats::new(4).unwrap(), &self.queue) {
                    Ok(released) => {
                        self.settle(released);
                        true
                    }
                    Err(_) => false,
                }
            }
            Op::CancelEvent => match self.inventory.cancel_event() {
                Ok(after) => {
                    self.inventory = after;
                    self.confirmed.clear();
                    self.queue.clear();
                    true
                }
                Err(_) => false,
            },
        }
    }

    fn check_invariants(&self) {
        let sum: u32 = self.confirmed.values().sum();
        assert_eq!(self.inventory.booked(), sum, "booked seats equal confirmed seats");
        assert!(self.inventory.booked() <= self.inventory.capacity().get(), "no overselling");
        assert!(
            self.queue.iter().all(|q| q.seats.get() > self.inventory.available()),
            "no waiting entry fits in the free seats"
        );
        for q in &self.queue {
            assert!(!self.confirmed.contains_key(&q.user.get()), "never booked and waiting at once");
            assert_eq!(self.queue.iter().filter(|o| o.user == q.user).count(), 1, "one waiting entry per user");
        }
    }

    fn as_reference(&self) -> Reference {
        Reference {
            capacity: self.inventory.capacity().get(),
            cancelled: self.inventory.status() == EventStatus::Cancelled,
            confirmed: self.confirmed.clone(),
            waiting: self.queue.iter().map(|q| (q.user.get(), q.seats.get())).collect(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rules_match_the_reference_model(capacity in 1..=10_i64, ops in proptest::collection::vec(op(), 1..60)) {
        let mut ledger = Ledger {
            inventory: Inventory::new(Capacity::new(capacity).unwrap(), 0, Seats::new(4).unwrap(), EventStatus::Scheduled).unwrap(),
            confirmed: BTreeMap::new(),
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
