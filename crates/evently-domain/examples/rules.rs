//! The pure seat rules of one small event, step by step: bookings until sold out, a
//! waitlist, a cancellation that promotes first come, first fit, and a resize.
//!
//! `cargo run -p evently-domain --example rules`

use evently_domain::booking::BookError;
use evently_domain::inventory::{BookingStatus, Capacity, EventStatus, Holding, Inventory, Queued, Seats};
use evently_domain::{Refusal, UserId, WaitlistEntryId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seats = |n: i64| Seats::new(n);
    let mut hall = Inventory::new(Capacity::new(4)?, 0, seats(3)?, EventStatus::Scheduled)?;
    hall = hall.book(seats(3)?, Holding::Nothing)?;
    println!("booked 3 of 4 seats; {} left", hall.available());

    // The rule's conflict, and what it means to a client (the contract's code).
    let refused = hall.book(seats(2)?, Holding::Nothing).map_err(|c| Refusal::from(BookError::from(c)));
    println!("booking 2 more: {refused:?}");
    hall.join_waitlist(seats(2)?, Holding::Nothing)?;

    // The queue in joined_at order: 3 seats first, then 1, then 2.
    let entry = |id: i64, user: i64, n: i64| -> Result<Queued, Box<dyn std::error::Error>> {
        let entry = WaitlistEntryId::new(id).ok_or("id")?;
        Ok(Queued { entry, user: UserId::new(user).ok_or("id")?, seats: seats(n)? })
    };
    let queue = [entry(1, 10, 3)?, entry(2, 11, 1)?, entry(3, 12, 2)?];

    // Cancelling the 3-seat booking frees 4 seats: entry 1 (3) fits, then entry 2 (1).
    let released = hall.cancel_booking(BookingStatus::Confirmed, seats(3)?, &queue)?;
    let promoted: Vec<i64> = released.promoted.iter().map(|q| q.entry.get()).collect();
    println!("cancelled 3 seats: promoted entries {promoted:?}, {} left", released.inventory.available());

    // Raising the capacity to 6 makes room for entry 3.
    let resized = released.inventory.resize(Capacity::new(6)?, seats(3)?, &queue[2..])?;
    let promoted: Vec<i64> = resized.promoted.iter().map(|q| q.entry.get()).collect();
    println!("capacity 6: promoted entries {promoted:?}, {} booked", resized.inventory.booked());
    Ok(())
}
