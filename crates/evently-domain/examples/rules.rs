//! The pure seat rules of one small event, step by step: bookings until sold out, a
//! waitlist, a cancellation that promotes first come, first fit, a resize, and a tier
//! with a quota of its own.
//!
//! `cargo run -p evently-domain --example rules`

use evently_domain::booking::BookError;
use evently_domain::inventory::{
    BookingStatus, Capacity, EventStatus, Given, Holding, Inventory, Promotion, Queued, Seats, TierStock,
};
use evently_domain::seating::SeatPick;
use evently_domain::{Refusal, TierId, UserId, WaitlistEntryId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seats = |n: i64| Seats::new(n);
    let pick = |n: i64| seats(n).map(SeatPick::count);
    let general = TierId::new(1).ok_or("id")?;
    let balcony = TierId::new(2).ok_or("id")?;
    let tiers = vec![
        TierStock { id: general, capacity: None, booked: 0, held: 0 },
        TierStock { id: balcony, capacity: Some(Capacity::new(1)?), booked: 0, held: 0 },
    ];
    let mut hall = Inventory::new(Capacity::new(4)?, seats(3)?, EventStatus::Scheduled, Promotion::Book, tiers)?;
    hall.book(None, &pick(3)?, Holding::Nothing)?;
    println!("booked 3 of 4 seats in the first tier; {} left", hall.available());

    // The rule's conflict, and what it means to a client (the contract's code).
    let refused = hall.book(None, &pick(2)?, Holding::Nothing).map_err(|c| Refusal::from(BookError::from(c)));
    println!("booking 2 more: {refused:?}");
    hall.join_waitlist(None, seats(2)?, Holding::Nothing)?;

    // The queue in joined_at order: 3 seats first, then 1, then 2.
    let entry = |id: i64, user: i64, n: i64| -> Result<Queued, Box<dyn std::error::Error>> {
        let entry = WaitlistEntryId::new(id).ok_or("id")?;
        Ok(Queued { entry, user: UserId::new(user).ok_or("id")?, seats: seats(n)?, tier: general })
    };
    let queue = [entry(1, 10, 3)?, entry(2, 11, 1)?, entry(3, 12, 2)?];

    // Cancelling the 3-seat booking frees 4 seats: entry 1 (3) fits, then entry 2 (1).
    let promoted = hall.cancel_booking(
        BookingStatus::Confirmed,
        Given { tier: general, seats: seats(3)?, placement: None },
        &queue,
    )?;
    let ids: Vec<i64> = promoted.iter().map(|p| p.entry.entry.get()).collect();
    println!("cancelled 3 seats: promoted entries {ids:?}, {} left", hall.available());

    // Raising the capacity to 6 makes room for entry 3.
    let promoted = hall.resize(Capacity::new(6)?, seats(3)?, &queue[2..])?;
    let ids: Vec<i64> = promoted.iter().map(|p| p.entry.entry.get()).collect();
    println!("capacity 6: promoted entries {ids:?}, {} booked", hall.booked());

    // The balcony's quota of 1 bounds it, whatever the event has free.
    hall.resize(Capacity::new(10)?, seats(3)?, &[])?;
    let balcony_refused = hall.book(Some(balcony), &pick(2)?, Holding::Nothing);
    println!("2 balcony seats with {} free in the event: {balcony_refused:?}", hall.available());
    Ok(())
}
