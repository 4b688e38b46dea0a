use super::*;

mod model;

const GA: i64 = 1;
const VIP: i64 = 2;

fn tier(id: i64) -> TierId {
    TierId::new(id).unwrap()
}

fn stock(id: i64, capacity: Option<i64>, booked: u32) -> TierStock {
    TierStock { id: tier(id), capacity: capacity.map(|c| Capacity::new(c).unwrap()), booked, held: 0 }
}

/// One unlimited tier holding every booked seat.
fn inventory(capacity: i64, booked: u32) -> Inventory {
    tiered(capacity, vec![stock(GA, None, booked)])
}

fn tiered(capacity: i64, tiers: Vec<TierStock>) -> Inventory {
    Inventory::new(
        Capacity::new(capacity).unwrap(),
        Seats::new(4).unwrap(),
        EventStatus::Scheduled,
        Promotion::Book,
        tiers,
    )
    .unwrap()
}

fn cancelled(capacity: i64, booked: u32) -> Inventory {
    let mut inventory = inventory(capacity, booked);
    inventory.cancel_event().unwrap();
    inventory
}

fn seats(n: i64) -> Seats {
    Seats::new(n).unwrap()
}

fn pick(n: i64) -> SeatPick {
    SeatPick::count(seats(n))
}

fn given(tier_id: i64, n: i64) -> Given<'static> {
    Given { tier: tier(tier_id), seats: seats(n), placement: None }
}

/// The tier a booking or hold was given.
fn claimed(claim: Result<Claim, BookConflict>) -> Result<TierId, BookConflict> {
    claim.map(|c| c.tier)
}

/// The entries promoted.
fn entries<E>(promoted: Result<Vec<Promoted>, E>) -> Result<Vec<Queued>, E> {
    promoted.map(|p| p.into_iter().map(|p| p.entry).collect())
}

fn queued(id: i64, n: i64) -> Queued {
    queued_in(id, n, GA)
}

fn queued_in(id: i64, n: i64, tier_id: i64) -> Queued {
    Queued {
        entry: WaitlistEntryId::new(id).unwrap(),
        user: UserId::new(id).unwrap(),
        seats: seats(n),
        tier: tier(tier_id),
    }
}

#[test]
fn stored_values_that_break_the_rules_are_corrupt() {
    let new = |capacity: i64, tiers| {
        Inventory::new(Capacity::new(capacity).unwrap(), Seats::ONE, EventStatus::Scheduled, Promotion::Book, tiers)
    };
    assert!(new(2, vec![stock(GA, None, 3)]).is_err(), "booked beyond capacity");
    assert!(new(10, vec![stock(GA, Some(2), 3)]).is_err(), "booked beyond a quota");
    assert!(new(10, Vec::new()).is_err(), "no tier");
    let split = new(10, vec![stock(GA, None, 3), stock(VIP, Some(5), 4)]).unwrap();
    assert_eq!(split.booked(), 7);
}

#[test]
fn booking_takes_free_seats_of_the_first_tier_by_default() {
    let mut inventory = inventory(10, 7);
    assert_eq!(claimed(inventory.book(None, &pick(3), Holding::Nothing)), Ok(tier(GA)));
    assert_eq!((inventory.booked(), inventory.available()), (10, 0));
}

#[test]
fn booking_more_than_free_is_sold_out_and_changes_nothing() {
    let mut inventory = inventory(10, 8);
    assert_eq!(claimed(inventory.book(None, &pick(3), Holding::Nothing)), Err(BookConflict::SoldOut { available: 2 }));
    assert_eq!(inventory, self::inventory(10, 8));
}

#[test]
fn booking_precedence_puts_cancellation_first() {
    let mut gone = cancelled(10, 10);
    assert_eq!(claimed(gone.book(Some(tier(9)), &pick(9), Holding::Booked)), Err(BookConflict::EventCancelled));
    let mut full = inventory(10, 10);
    assert_eq!(claimed(full.book(Some(tier(9)), &pick(9), Holding::Booked)), Err(BookConflict::UnknownTier));
    assert_eq!(claimed(full.book(None, &pick(9), Holding::Booked)), Err(BookConflict::SeatsAboveLimit { max: 4 }));
    assert_eq!(claimed(full.book(None, &pick(1), Holding::Booked)), Err(BookConflict::AlreadyBooked));
    assert_eq!(claimed(full.book(None, &pick(1), Holding::Waiting)), Err(BookConflict::AlreadyWaitlisted));
    assert_eq!(claimed(full.book(None, &pick(1), Holding::Nothing)), Err(BookConflict::SoldOut { available: 0 }));
}

#[test]
fn a_tier_is_bounded_by_its_quota_and_by_the_event() {
    // 10 seats; VIP has a quota of 3.
    let mut inventory = tiered(10, vec![stock(GA, None, 0), stock(VIP, Some(3), 0)]);
    assert_eq!(claimed(inventory.book(Some(tier(VIP)), &pick(3), Holding::Nothing)), Ok(tier(VIP)));
    assert_eq!(
        claimed(inventory.book(Some(tier(VIP)), &pick(1), Holding::Nothing)),
        Err(BookConflict::SoldOut { available: 0 }),
        "the quota is spent"
    );
    assert_eq!(inventory.available_in(tier(GA)), 7);
    assert_eq!(claimed(inventory.book(Some(tier(GA)), &pick(4), Holding::Nothing)), Ok(tier(GA)));
    assert_eq!(
        claimed(inventory.book(Some(tier(GA)), &pick(4), Holding::Nothing)),
        Err(BookConflict::SoldOut { available: 3 })
    );
    // The event bounds a tier whose quota has room.
    let mut small = tiered(4, vec![stock(GA, None, 2), stock(VIP, Some(4), 0)]);
    assert_eq!(small.available_in(tier(VIP)), 2);
    assert_eq!(
        claimed(small.book(Some(tier(VIP)), &pick(3), Holding::Nothing)),
        Err(BookConflict::SoldOut { available: 2 })
    );
}

#[test]
fn joining_needs_the_chosen_tier_to_be_full() {
    let partly = inventory(10, 8);
    assert_eq!(
        partly.join_waitlist(None, seats(2), Holding::Nothing),
        Err(JoinConflict::EventNotFull { available: 2 })
    );
    assert_eq!(partly.join_waitlist(None, seats(3), Holding::Nothing), Ok(tier(GA)));
    let full = inventory(10, 10);
    assert_eq!(full.join_waitlist(None, seats(1), Holding::Booked), Err(JoinConflict::AlreadyBooked));
    assert_eq!(full.join_waitlist(None, seats(1), Holding::Waiting), Err(JoinConflict::AlreadyWaitlisted));
    assert_eq!(full.join_waitlist(None, seats(5), Holding::Nothing), Err(JoinConflict::SeatsAboveLimit { max: 4 }));
    assert_eq!(full.join_waitlist(Some(tier(3)), seats(1), Holding::Nothing), Err(JoinConflict::UnknownTier));
    assert_eq!(cancelled(10, 0).join_waitlist(None, seats(1), Holding::Waiting), Err(JoinConflict::EventCancelled));
    // A full tier may be waited for while the event has room.
    let vip_full = tiered(10, vec![stock(GA, None, 0), stock(VIP, Some(2), 2)]);
    assert_eq!(vip_full.join_waitlist(Some(tier(VIP)), seats(1), Holding::Nothing), Ok(tier(VIP)));
}

#[test]
fn cancelling_promotes_first_fit_in_queue_order() {
    // 10 seats, all booked; a booking of 3 is cancelled. Queue: 4, 2, 3, 1.
    let queue = [queued(1, 4), queued(2, 2), queued(3, 3), queued(4, 1)];
    let mut inventory = inventory(10, 10);
    let promoted = entries(inventory.cancel_booking(BookingStatus::Confirmed, given(GA, 3), &queue)).unwrap();
    // 4 does not fit in 3; 2 does (1 left); 3 does not; 1 does.
    assert_eq!(promoted, vec![queue[1], queue[3]]);
    assert_eq!(inventory.available(), 0);
}

#[test]
fn promotion_fits_each_entry_into_its_own_tier() {
    // VIP (quota 2) is full, GA holds the rest; a GA booking of 2 is cancelled.
    let mut inventory = tiered(6, vec![stock(GA, None, 4), stock(VIP, Some(2), 2)]);
    let queue = [queued_in(1, 1, VIP), queued_in(2, 2, GA)];
    let promoted = entries(inventory.cancel_booking(BookingStatus::Confirmed, given(GA, 2), &queue)).unwrap();
    // The VIP entry does not fit its full quota; the GA entry takes the two seats.
    assert_eq!(promoted, vec![queue[1]]);
    assert_eq!(inventory.available_in(tier(VIP)), 0);
    // The quota (3) now exceeds the event (5 booked of 5)? No: but an unchanged quota above
    // a lowered capacity is kept when something else of the tier changes.
    let mut lowered = tiered(10, vec![stock(GA, None, 0), stock(VIP, Some(8), 0)]);
    lowered.resize(Capacity::new(5).unwrap(), seats(4), &[]).unwrap();
    assert_eq!(lowered.resize_tier(tier(VIP), Some(Capacity::new(8).unwrap()), &[]), Ok(Vec::new()));
    assert_eq!(
        lowered.resize_tier(tier(VIP), Some(Capacity::new(9).unwrap()), &[]),
        Err(TierConflict::AboveEventCapacity { max: 5 })
    );
}

#[test]
fn cancelling_twice_is_refused() {
    let result = inventory(10, 5).cancel_booking(BookingStatus::Cancelled, given(GA, 1), &[]);
    assert_eq!(result, Err(CancelConflict::AlreadyCancelled));
}

#[test]
fn cancelling_a_booking_of_a_cancelled_event_names_the_event() {
    let result = cancelled(10, 5).cancel_booking(BookingStatus::Cancelled, given(GA, 1), &[]);
    assert_eq!(result, Err(CancelConflict::EventCancelled));
}

#[test]
fn raising_capacity_promotes_and_lowering_below_booked_is_refused() {
    let queue = [queued(1, 2), queued(2, 1)];
    let mut raised = inventory(10, 10);
    assert_eq!(entries(raised.resize(Capacity::new(12).unwrap(), seats(4), &queue)), Ok(vec![queue[0]]));
    assert_eq!(raised.booked(), 12);
    let lowered = inventory(10, 6).resize(Capacity::new(5).unwrap(), seats(4), &[]);
    assert_eq!(lowered, Err(ResizeConflict::CapacityBelowBooked { capacity: 5, booked: 6 }));
    let mut to_booked = inventory(10, 6);
    to_booked.resize(Capacity::new(6).unwrap(), seats(4), &[]).unwrap();
    assert_eq!(to_booked.available(), 0);
}

#[test]
fn tier_quotas_change_within_the_event_and_above_their_bookings() {
    let mut inventory = tiered(10, vec![stock(GA, None, 2), stock(VIP, Some(2), 2)]);
    let queue = [queued_in(1, 1, VIP)];
    assert_eq!(
        inventory.resize_tier(tier(VIP), Some(Capacity::new(11).unwrap()), &queue),
        Err(TierConflict::AboveEventCapacity { max: 10 })
    );
    assert_eq!(
        inventory.resize_tier(tier(VIP), Some(Capacity::new(1).unwrap()), &queue),
        Err(TierConflict::CapacityBelowBooked { capacity: 1, booked: 2 })
    );
    assert_eq!(inventory.resize_tier(tier(7), None, &queue), Err(TierConflict::UnknownTier));
    assert_eq!(entries(inventory.resize_tier(tier(VIP), Some(Capacity::new(3).unwrap()), &queue)), Ok(vec![queue[0]]));
    assert_eq!(
        inventory.admits_tier(Some(Capacity::new(11).unwrap())),
        Err(TierConflict::AboveEventCapacity { max: 10 })
    );
    assert_eq!(inventory.admits_tier(Some(Capacity::new(10).unwrap())), Ok(()));
    // The event's capacity may fall below a tier's quota, never below its bookings.
    assert_eq!(inventory.resize(Capacity::new(5).unwrap(), seats(4), &[]), Ok(Vec::new()));
    assert_eq!(inventory.available_in(tier(VIP)), 0);
}

#[test]
fn a_cancelled_event_frees_every_seat_and_refuses_edits() {
    let mut gone = tiered(10, vec![stock(GA, None, 5), stock(VIP, Some(2), 2)]);
    gone.cancel_event().unwrap();
    assert_eq!((gone.booked(), gone.status()), (0, EventStatus::Cancelled));
    assert!(gone.tiers().iter().all(|t| t.booked == 0));
    assert_eq!(gone.cancel_event(), Err(EventCancelled));
    assert_eq!(gone.resize(Capacity::new(20).unwrap(), seats(4), &[]), Err(ResizeConflict::EventCancelled));
    assert_eq!(gone.admits_tier(None), Err(TierConflict::EventCancelled));
    assert_eq!(gone.resize_tier(tier(GA), None, &[]), Err(TierConflict::EventCancelled));
}

#[test]
fn holds_take_seats_until_confirmed_or_released() {
    let mut inventory = tiered(6, vec![stock(GA, None, 0), stock(VIP, Some(2), 0)]);
    assert_eq!(claimed(inventory.hold(Some(tier(VIP)), &pick(2), Holding::Nothing)), Ok(tier(VIP)));
    assert_eq!((inventory.held(), inventory.available(), inventory.available_in(tier(VIP))), (2, 4, 0));
    assert_eq!(
        claimed(inventory.book(Some(tier(VIP)), &pick(1), Holding::Nothing)),
        Err(BookConflict::SoldOut { available: 0 })
    );
    assert_eq!(claimed(inventory.hold(None, &pick(1), Holding::Holding)), Err(BookConflict::AlreadyHolding));
    assert_eq!(claimed(inventory.book(None, &pick(1), Holding::Holding)), Err(BookConflict::AlreadyHolding));
    assert_eq!(inventory.join_waitlist(Some(tier(VIP)), seats(1), Holding::Holding), Err(JoinConflict::AlreadyHolding));
    inventory.confirm_hold(tier(VIP), seats(2));
    assert_eq!((inventory.booked(), inventory.held(), inventory.available()), (2, 0, 4));
    // Released or expired holds give their seats to the queue, first fit.
    claimed(inventory.hold(None, &pick(4), Holding::Nothing)).unwrap();
    let queue = [queued(1, 3), queued(2, 2)];
    assert_eq!(entries(Ok::<_, ()>(inventory.release_holds(&[given(GA, 4)], &queue))).unwrap(), vec![queue[0]]);
    assert_eq!((inventory.booked(), inventory.held()), (5, 0));
    // Capacity and quotas count held seats.
    claimed(inventory.hold(None, &pick(1), Holding::Nothing)).unwrap();
    assert_eq!(
        inventory.resize(Capacity::new(5).unwrap(), seats(4), &[]),
        Err(ResizeConflict::CapacityBelowBooked { capacity: 5, booked: 6 })
    );
}

#[test]
fn offers_promote_into_holds() {
    let tiers = vec![stock(GA, None, 4)];
    let mut inventory = Inventory::new(
        Capacity::new(4).unwrap(),
        Seats::new(4).unwrap(),
        EventStatus::Scheduled,
        Promotion::Offer,
        tiers,
    )
    .unwrap();
    let queue = [queued(1, 2), queued(2, 1)];
    let promoted = entries(inventory.cancel_booking(BookingStatus::Confirmed, given(GA, 3), &queue)).unwrap();
    assert_eq!(promoted, vec![queue[0], queue[1]]);
    assert_eq!((inventory.booked(), inventory.held(), inventory.available()), (1, 3, 0));
    let mut gone = inventory.clone();
    gone.cancel_event().unwrap();
    assert_eq!((gone.booked(), gone.held()), (0, 0));
}

mod seated {
    use std::sync::Arc;

    use super::*;
    use crate::seating::{RowLabel, RowPlan, SeatLabels, SeatMap, SeatNo, SeatingPlan, SectionName, SectionPlan};

    /// Stalls (GA): rows A of 4 and B of 3; Balcony (VIP): row A of 2. Nothing taken.
    fn hall() -> Inventory {
        let row = |label: &str, n| RowPlan::new(RowLabel::new(label).unwrap(), n).unwrap();
        let section = |name: &str, tier_id, rows| SectionPlan {
            name: SectionName::new(name).unwrap(),
            tier: tier(tier_id),
            rows,
        };
        let plan = SeatingPlan::new(vec![
            section("Stalls", GA, vec![row("A", 4), row("B", 3)]),
            section("Balcony", VIP, vec![row("A", 2)]),
        ])
        .unwrap();
        let map = SeatMap::new(Arc::new(plan), []).unwrap();
        tiered(9, vec![stock(GA, Some(7), 0), stock(VIP, Some(2), 0)]).seated(map).unwrap()
    }

    fn named(labels: &[&str]) -> SeatPick {
        SeatPick::Named(SeatLabels::new(labels.iter().map(|l| (*l).to_owned()).collect()).unwrap())
    }

    fn labels(claim: &Claim) -> Vec<String> {
        claim.placement.as_ref().map(|p| p.labels().to_vec()).unwrap_or_default()
    }

    #[test]
    fn a_seated_inventory_must_agree_with_its_counts() {
        let plan = hall().seating().unwrap().plan().clone();
        let one_taken = SeatMap::new(Arc::new(plan), [SeatNo::new(0)]).unwrap();
        let counts = tiered(9, vec![stock(GA, Some(7), 0), stock(VIP, Some(2), 0)]);
        assert!(counts.clone().seated(one_taken.clone()).is_err(), "a taken seat nobody booked");
        assert!(tiered(9, vec![stock(GA, Some(7), 1), stock(VIP, Some(2), 0)]).seated(one_taken).is_ok());
    }

    #[test]
    fn best_available_books_side_by_side_and_frees_on_cancel() {
        let mut hall = hall();
        let first = hall.book(None, &pick(3), Holding::Nothing).unwrap();
        assert_eq!(labels(&first), ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"]);
        let second = hall.book(None, &pick(2), Holding::Nothing).unwrap();
        assert_eq!(labels(&second), ["Stalls:B:1", "Stalls:B:2"], "row A has one seat left");
        // Two seats are free (A:4, B:3) but not side by side.
        assert_eq!(
            hall.book(None, &pick(2), Holding::Nothing),
            Err(BookConflict::Seats(PickRefusal::NoAdjacentSeats { seats: 2 }))
        );
        let scattered = SeatPick::Best { seats: seats(2), adjacent: false };
        let before = hall.clone();
        assert_eq!(
            labels(&hall.clone().hold(None, &scattered, Holding::Nothing).unwrap()),
            ["Stalls:A:4", "Stalls:B:3"]
        );
        assert_eq!(hall, before, "a clone took them");
        assert_eq!(hall.book(None, &pick(3), Holding::Nothing), Err(BookConflict::SoldOut { available: 2 }));
        let given = Given { tier: first.tier, seats: seats(3), placement: first.placement.as_ref() };
        hall.cancel_booking(BookingStatus::Confirmed, given, &[]).unwrap();
        assert_eq!(
            labels(&hall.book(None, &pick(4), Holding::Nothing).unwrap()),
            ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3", "Stalls:A:4"]
        );
    }

    #[test]
    fn named_seats_take_their_tier_and_refuse_in_order() {
        let mut hall = hall();
        let vip = hall.book(None, &named(&["Balcony:A:2"]), Holding::Nothing).unwrap();
        assert_eq!((vip.tier, labels(&vip)), (tier(VIP), vec!["Balcony:A:2".to_owned()]));
        let refused = |hall: &mut Inventory, tier_id: Option<i64>, pick: SeatPick, holding| {
            hall.book(tier_id.map(tier), &pick, holding).unwrap_err()
        };
        assert_eq!(
            refused(&mut hall, None, named(&["Stalls:Z:1"]), Holding::Booked),
            BookConflict::Seats(PickRefusal::UnknownSeat("Stalls:Z:1".into())),
            "an unknown label before what the user holds"
        );
        assert_eq!(
            refused(&mut hall, Some(GA), named(&["Balcony:A:1"]), Holding::Nothing),
            BookConflict::Seats(PickRefusal::OtherTier("Balcony:A:1".into()))
        );
        assert_eq!(refused(&mut hall, None, named(&["Balcony:A:1"]), Holding::Booked), BookConflict::AlreadyBooked);
        assert_eq!(
            refused(&mut hall, None, named(&["Balcony:A:1", "Balcony:A:2"]), Holding::Nothing),
            BookConflict::Seats(PickRefusal::SeatUnavailable("Balcony:A:2".into()))
        );
        let mut unseated = inventory(10, 0);
        assert_eq!(
            refused(&mut unseated, None, named(&["A:1:1"]), Holding::Nothing),
            BookConflict::Seats(PickRefusal::NotSeated)
        );
        // A seat named taken wins over too few seats free.
        hall.book(None, &pick(4), Holding::Nothing).unwrap();
        hall.book(None, &pick(3), Holding::Nothing).unwrap();
        assert_eq!(
            refused(&mut hall, None, named(&["Stalls:A:1"]), Holding::Nothing),
            BookConflict::Seats(PickRefusal::SeatUnavailable("Stalls:A:1".into()))
        );
    }

    #[test]
    fn promotion_gives_the_best_seats_side_by_side_when_it_can() {
        let mut hall = hall();
        let a = hall.book(None, &pick(4), Holding::Nothing).unwrap();
        let b = hall.book(None, &named(&["Stalls:B:2"]), Holding::Nothing).unwrap();
        let queue = [queued(1, 3), queued(2, 2)];
        // B:2 freed: B has 3 side by side for the first entry.
        let given = Given { tier: tier(GA), seats: seats(1), placement: b.placement.as_ref() };
        let promoted = hall.cancel_booking(BookingStatus::Confirmed, given, &queue).unwrap();
        assert_eq!(promoted.len(), 1);
        assert_eq!(promoted[0].placement.as_ref().unwrap().labels(), ["Stalls:B:1", "Stalls:B:2", "Stalls:B:3"]);
        // Row A freed, with one seat taken back by a named booking: 2 side by side remain.
        let given = Given { tier: tier(GA), seats: seats(4), placement: a.placement.as_ref() };
        let mut freed = hall.clone();
        freed.cancel_booking(BookingStatus::Confirmed, given, &[]).unwrap();
        freed.book(None, &named(&["Stalls:A:2"]), Holding::Nothing).unwrap();
        freed.book(None, &named(&["Stalls:A:4"]), Holding::Nothing).unwrap();
        // Two seats free (A:1, A:3), not side by side: promotion takes them anyway.
        let promoted = freed.clone().release_holds(&[], &[queued(2, 2)]);
        assert_eq!(promoted[0].placement.as_ref().unwrap().labels(), ["Stalls:A:1", "Stalls:A:3"]);
        freed.cancel_event().unwrap();
        assert_eq!(freed.seating().unwrap().free_in(tier(GA)), 7);
    }

    #[test]
    fn a_seated_event_keeps_its_seat_count() {
        let mut hall = hall();
        assert_eq!(hall.resize(Capacity::new(10).unwrap(), seats(4), &[]), Err(ResizeConflict::Seated { seats: 9 }));
        assert_eq!(entries(hall.resize(Capacity::new(9).unwrap(), seats(2), &[])), Ok(Vec::new()));
        assert_eq!(hall.admits_tier(None), Err(TierConflict::Seated));
        assert_eq!(hall.resize_tier(tier(VIP), None, &[]), Err(TierConflict::Seated));
        assert_eq!(entries(hall.resize_tier(tier(VIP), Some(Capacity::new(2).unwrap()), &[])), Ok(Vec::new()));
    }
}
