use super::*;

mod model;

fn inventory(capacity: i64, booked: u32) -> Inventory {
    Inventory::new(Capacity::new(capacity).unwrap(), booked, Seats::new(4).unwrap(), EventStatus::Scheduled).unwrap()
}

fn seats(n: i64) -> Seats {
    Seats::new(n).unwrap()
}

fn queued(id: i64, n: i64) -> Queued {
    Queued { entry: WaitlistEntryId::new(id).unwrap(), user: UserId::new(id).unwrap(), seats: seats(n) }
}

#[test]
fn booked_beyond_capacity_is_corrupt() {
    let result = Inventory::new(Capacity::new(2).unwrap(), 3, Seats::ONE, EventStatus::Scheduled);
    assert!(result.is_err());
}

#[test]
fn booking_takes_free_seats() {
    let after = inventory(10, 7).book(seats(3), Holding::Nothing).unwrap();
    assert_eq!((after.booked(), after.available()), (10, 0));
}

#[test]
fn booking_more_than_free_is_sold_out() {
    let result = inventory(10, 8).book(seats(3), Holding::Nothing);
    assert!(matches!(result, Err(BookConflict::SoldOut { available: 2 })));
}

#[test]
fn booking_precedence_puts_cancellation_first() {
    let cancelled = inventory(10, 10).cancel_event().unwrap();
    assert!(matches!(cancelled.book(seats(9), Holding::Booked), Err(BookConflict::EventCancelled)));
    let full = inventory(10, 10);
    assert!(matches!(full.book(seats(9), Holding::Booked), Err(BookConflict::SeatsAboveLimit { max: 4 })));
    assert!(matches!(full.book(seats(1), Holding::Booked), Err(BookConflict::AlreadyBooked)));
    assert!(matches!(full.book(seats(1), Holding::Waiting), Err(BookConflict::AlreadyWaitlisted)));
    assert!(matches!(full.book(seats(1), Holding::Nothing), Err(BookConflict::SoldOut { available: 0 })));
}

#[test]
fn joining_needs_a_full_event() {
    assert!(matches!(
        inventory(10, 8).join_waitlist(seats(2), Holding::Nothing),
        Err(JoinConflict::EventNotFull { available: 2 })
    ));
    assert!(inventory(10, 8).join_waitlist(seats(3), Holding::Nothing).is_ok());
    assert!(matches!(inventory(10, 10).join_waitlist(seats(1), Holding::Booked), Err(JoinConflict::AlreadyBooked)));
    assert!(matches!(
        inventory(10, 10).join_waitlist(seats(1), Holding::Waiting),
        Err(JoinConflict::AlreadyWaitlisted)
    ));
    assert!(matches!(
        inventory(10, 10).join_waitlist(seats(5), Holding::Nothing),
        Err(JoinConflict::SeatsAboveLimit { max: 4 })
    ));
    let cancelled = inventory(10, 0).cancel_event().unwrap();
    assert!(matches!(cancelled.join_waitlist(seats(1), Holding::Waiting), Err(JoinConflict::EventCancelled)));
}

#[test]
fn cancelling_promotes_first_fit_in_queue_order() {
    // 10 seats, all booked; a booking of 3 is cancelled. Queue: 4, 2, 3, 1.
    let queue = [queued(1, 4), queued(2, 2), queued(3, 3), queued(4, 1)];
    let released = inventory(10, 10).cancel_booking(BookingStatus::Confirmed, seats(3), &queue).unwrap();
    // 4 does not fit in 3; 2 does (1 left); 3 does not; 1 does.
    assert_eq!(released.promoted, vec![queue[1], queue[3]]);
    assert_eq!(released.inventory.available(), 0);
}

#[test]
fn cancelling_twice_is_refused() {
    let result = inventory(10, 5).cancel_booking(BookingStatus::Cancelled, seats(1), &[]);
    assert!(matches!(result, Err(CancelConflict::AlreadyCancelled)));
}

#[test]
fn cancelling_a_booking_of_a_cancelled_event_names_the_event() {
    let cancelled = inventory(10, 5).cancel_event().unwrap();
    let result = cancelled.cancel_booking(BookingStatus::Cancelled, seats(1), &[]);
    assert!(matches!(result, Err(CancelConflict::EventCancelled)));
}

#[test]
fn raising_capacity_promotes_and_lowering_below_booked_is_refused() {
    let queue = [queued(1, 2), queued(2, 1)];
    let raised = inventory(10, 10).resize(Capacity::new(12).unwrap(), seats(4), &queue).unwrap();
    assert_eq!(raised.promoted, vec![queue[0]]);
    assert_eq!(raised.inventory.booked(), 12);
    let lowered = inventory(10, 6).resize(Capacity::new(5).unwrap(), seats(4), &[]);
    assert!(matches!(lowered, Err(ResizeConflict::CapacityBelowBooked { capacity: 5, booked: 6 })));
    let to_booked = inventory(10, 6).resize(Capacity::new(6).unwrap(), seats(4), &[]).unwrap();
    assert_eq!(to_booked.inventory.available(), 0);
}

#[test]
fn a_cancelled_event_frees_every_seat_and_refuses_edits() {
    let cancelled = inventory(10, 7).cancel_event().unwrap();
    assert_eq!((cancelled.booked(), cancelled.status()), (0, EventStatus::Cancelled));
    assert!(matches!(cancelled.cancel_event(), Err(EventCancelled)));
    assert!(matches!(cancelled.resize(Capacity::new(20).unwrap(), seats(4), &[]), Err(ResizeConflict::EventCancelled)));
}
