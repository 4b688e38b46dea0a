use std::collections::HashSet;
use std::sync::Arc;

use evently_domain::booking::{BookError, BookingRequest, IdempotencyKey};
use evently_domain::event::{CancelEventError, EventPatch, NewTier, TierName, TierPatch, TierPlan, UpdateEventError};
use evently_domain::hold::{HoldRequest, HoldTtl};
use evently_domain::inventory::{Capacity, Promotion};
use evently_domain::money::Price;
use evently_domain::seating::{
    PickRefusal, RowLabel, RowPlan, SeatChart, SeatLabels, SeatNo, SeatPick, SeatStatus, SeatingPlan, SectionName,
    SectionPlan,
};
use evently_domain::ticket::Ticket;
use evently_domain::{EventId, PageRequest, Store, UserId};

use crate::fixtures::{new_event, reload, seats, users};

/// Stalls (the first tier): rows A of 4 and B of 3 seats; Balcony (VIP): row A of 2.
async fn hall<S: Store>(store: &S, promotion: Promotion, ttl: u32) -> EventId {
    let row = |label: &str, n| RowPlan::new(RowLabel::new(label).unwrap(), n).unwrap();
    let section = |name: &str, tier, rows| SectionPlan { name: SectionName::new(name).unwrap(), tier, rows };
    let plan = SeatingPlan::new(vec![
        section("Stalls", 0, vec![row("A", 4), row("B", 3)]),
        section("Balcony", 1, vec![row("A", 2)]),
    ])
    .unwrap();
    let tier = |name: &str, cents| NewTier {
        name: TierName::new(name).unwrap(),
        price: Price::new(cents).unwrap(),
        capacity: None,
    };
    let capacity = Capacity::new(9).unwrap();
    let tiers = TierPlan::new(vec![tier("Stalls", 3000), tier("VIP", 9000)], capacity).unwrap().seated(&plan).unwrap();
    let new = evently_domain::event::NewEvent {
        capacity,
        tiers,
        seating: Some(plan),
        waitlist_promotion: promotion,
        hold_ttl: HoldTtl::new(i64::from(ttl)).unwrap(),
        ..new_event("Gala", 9, 1)
    };
    store.create_event(new).await.unwrap().id
}

fn named(event: EventId, user: UserId, labels: &[&str]) -> BookingRequest {
    let labels = SeatLabels::new(labels.iter().map(|l| (*l).to_owned()).collect()).unwrap();
    BookingRequest { event_id: event, user_id: user, pick: SeatPick::Named(labels), tier: None, idempotency_key: None }
}

fn best(event: EventId, user: UserId, n: i64, adjacent: bool) -> BookingRequest {
    let pick = SeatPick::Best { seats: seats(n), adjacent };
    BookingRequest { event_id: event, user_id: user, pick, tier: None, idempotency_key: None }
}

fn hold(request: BookingRequest) -> HoldRequest {
    let BookingRequest { event_id, user_id, pick, tier, idempotency_key } = request;
    HoldRequest { event_id, user_id, pick, tier, idempotency_key }
}

fn labels(placement: Option<&evently_domain::seating::Placement>) -> Vec<String> {
    placement.map(|p| p.labels().to_vec()).unwrap_or_default()
}

async fn chart<S: Store>(store: &S, event: EventId) -> SeatChart {
    store.find_seats(event).await.unwrap().unwrap()
}

fn status(chart: &SeatChart, label: &str) -> SeatStatus {
    chart.status(chart.plan().find(label).unwrap())
}

fn seat_refusal(result: Result<impl std::fmt::Debug, BookError>) -> PickRefusal {
    match result {
        Err(BookError::Seats(refusal)) => refusal,
        other => panic!("expected a seat refusal, got {other:?}"),
    }
}

pub async fn seated_events_sell_named_and_best_available_seats<S: Store>(store: S) {
    let users = users(&store, 8).await;
    let id = hall(&store, Promotion::Book, 600).await;
    let event = reload(&store, id).await;
    assert!(event.seated);
    assert_eq!(event.capacity.get(), 9);
    let quotas: Vec<_> = event.tiers.iter().map(|t| t.capacity.map(Capacity::get)).collect();
    assert_eq!(quotas, [Some(7), Some(2)], "each tier's quota is its seat count");
    assert!(store.find_seats(EventId::new(id.get() + 1000).unwrap()).await.unwrap().is_none());

    let first = store.book(best(id, users[0], 3, true)).await.unwrap().booking;
    assert_eq!(labels(first.placement.as_ref()), ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"]);
    assert_eq!(first.unit_price.cents(), 3000);
    let vip = store.book(named(id, users[1], &["Balcony:A:2"])).await.unwrap().booking;
    assert_eq!((vip.tier_id, vip.unit_price.cents()), (event.tiers[1].id, 9000), "named seats choose their tier");
    assert_eq!(
        seat_refusal(store.book(named(id, users[2], &["Stalls:A:4", "Stalls:A:3"])).await),
        PickRefusal::SeatUnavailable("Stalls:A:3".into())
    );
    assert_eq!(
        seat_refusal(store.book(named(id, users[2], &["Stalls:C:1"])).await),
        PickRefusal::UnknownSeat("Stalls:C:1".into())
    );
    let other_tier = BookingRequest { tier: Some(event.tiers[0].id), ..named(id, users[2], &["Balcony:A:1"]) };
    assert_eq!(seat_refusal(store.book(other_tier).await), PickRefusal::OtherTier("Balcony:A:1".into()));
    let second = store.book(best(id, users[2], 2, true)).await.unwrap().booking;
    assert_eq!(labels(second.placement.as_ref()), ["Stalls:B:1", "Stalls:B:2"]);
    // A:4 and B:3 are free, but not side by side.
    assert_eq!(seat_refusal(store.book(best(id, users[3], 2, true)).await), PickRefusal::NoAdjacentSeats { seats: 2 });
    let scattered = store.book(best(id, users[3], 2, false)).await.unwrap().booking;
    assert_eq!(labels(scattered.placement.as_ref()), ["Stalls:A:4", "Stalls:B:3"]);
    assert!(matches!(store.book(best(id, users[4], 1, true)).await, Err(BookError::SoldOut { available: 0 })));

    // The chart, tickets and a cancellation.
    let now = chart(&store, id).await;
    assert_eq!(status(&now, "Balcony:A:1"), SeatStatus::Available);
    assert_eq!(status(&now, "Balcony:A:2"), SeatStatus::Booked);
    let tickets: Vec<Ticket> = store.booking_tickets(first.id, PageRequest::default()).await.unwrap().unwrap().1.items;
    let seat_labels: Vec<_> = tickets.iter().map(|t| t.seat_label.clone().unwrap()).collect();
    assert_eq!(seat_labels, ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"]);
    let cancelled = store.cancel_booking(first.id).await.unwrap();
    assert_eq!(labels(cancelled.placement.as_ref()), ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"], "kept for the record");
    assert_eq!(status(&chart(&store, id).await, "Stalls:A:2"), SeatStatus::Available);
    let again = store.book(named(id, users[4], &["Stalls:A:2"])).await.unwrap().booking;
    assert_eq!(labels(again.placement.as_ref()), ["Stalls:A:2"]);
}

pub async fn seated_events_keep_their_seat_count<S: Store>(store: S) {
    let id = hall(&store, Promotion::Book, 600).await;
    let event = reload(&store, id).await;
    let bigger = EventPatch { capacity: Some(Capacity::new(10).unwrap()), ..EventPatch::default() };
    assert!(matches!(store.update_event(id, bigger).await, Err(UpdateEventError::Seated { seats: 9 })));
    let renamed =
        EventPatch { name: Some(evently_domain::event::EventName::new("Gala II").unwrap()), ..EventPatch::default() };
    assert_eq!(store.update_event(id, renamed).await.unwrap().capacity.get(), 9);
    let tier = NewTier { name: TierName::new("Standing").unwrap(), price: Price::FREE, capacity: None };
    assert!(store.create_tier(id, tier).await.is_err());
    let quota = TierPatch { capacity: Some(Some(Capacity::new(1).unwrap())), ..TierPatch::default() };
    assert!(store.update_tier(id, event.tiers[1].id, quota).await.is_err());
    let price = TierPatch { price: Some(Price::new(100).unwrap()), ..TierPatch::default() };
    assert_eq!(store.update_tier(id, event.tiers[1].id, price).await.unwrap().price.cents(), 100);
    let unseated = crate::fixtures::event(&store, 5).await;
    assert!(store.find_seats(unseated).await.unwrap().is_none());
    let labels = BookingRequest { ..named(unseated, crate::fixtures::users(&store, 1).await[0], &["A:1:1"]) };
    assert_eq!(seat_refusal(store.book(labels).await), PickRefusal::NotSeated);
    store.cancel_event(id).await.unwrap();
    assert!(matches!(store.cancel_event(id).await, Err(CancelEventError::EventCancelled)));
    let after = chart(&store, id).await;
    assert!(after.plan().rows().all(|(_, row, first)| {
        (0..row.seats()).all(|n| after.status(SeatNo::new(first.get() + n)) == SeatStatus::Available)
    }));
}

pub async fn holds_on_seats_expire_back_and_confirm_in_place<S: Store>(store: S) {
    let users = users(&store, 4).await;
    let id = hall(&store, Promotion::Book, 5).await;
    let held = store.create_hold(hold(named(id, users[0], &["Stalls:B:2", "Stalls:B:3"]))).await.unwrap().hold;
    assert_eq!(labels(held.placement.as_ref()), ["Stalls:B:2", "Stalls:B:3"]);
    assert_eq!(status(&chart(&store, id).await, "Stalls:B:3"), SeatStatus::Held);
    assert_eq!(
        seat_refusal(store.book(named(id, users[1], &["Stalls:B:3"])).await),
        PickRefusal::SeatUnavailable("Stalls:B:3".into())
    );
    let confirmed = store.confirm_hold(held.id, users[0], None).await.unwrap().booking;
    assert_eq!(labels(confirmed.placement.as_ref()), ["Stalls:B:2", "Stalls:B:3"]);
    assert_eq!(status(&chart(&store, id).await, "Stalls:B:3"), SeatStatus::Booked);

    let lapsing = store.create_hold(hold(best(id, users[1], 4, true))).await.unwrap().hold;
    assert_eq!(labels(lapsing.placement.as_ref()), ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3", "Stalls:A:4"]);
    let released = store.create_hold(hold(named(id, users[2], &["Balcony:A:1"]))).await.unwrap().hold;
    store.release_hold(released.id).await.unwrap();
    assert_eq!(status(&chart(&store, id).await, "Balcony:A:1"), SeatStatus::Available);
    tokio::time::sleep(std::time::Duration::from_millis(5_300)).await;
    // Past its time the hold's seats read available at once, swept or not, and can be
    // booked by name.
    assert_eq!(status(&chart(&store, id).await, "Stalls:A:1"), SeatStatus::Available);
    let taken = store.book(named(id, users[3], &["Stalls:A:1", "Stalls:A:2"])).await.unwrap().booking;
    assert_eq!(labels(taken.placement.as_ref()), ["Stalls:A:1", "Stalls:A:2"]);
}

pub async fn promotion_gives_waiting_entries_the_best_seats<S: Store>(store: S) {
    let everyone = users(&store, 8).await;
    for (users, promotion) in everyone.chunks(4).zip([Promotion::Book, Promotion::Offer]) {
        let id = hall(&store, promotion, 600).await;
        let a = store.book(best(id, users[0], 4, true)).await.unwrap().booking;
        store.book(best(id, users[1], 3, true)).await.unwrap();
        store.join_waitlist(id, users[2], seats(3), None).await.unwrap();
        store.join_waitlist(id, users[3], seats(1), None).await.unwrap();
        store.cancel_booking(a.id).await.unwrap();
        // Row A is free: three side by side for the first entry, the fourth seat next.
        let (first, second) =
            (promoted_seats(&store, users[2], promotion).await, promoted_seats(&store, users[3], promotion).await);
        assert_eq!(first, ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"], "{promotion:?}");
        assert_eq!(second, ["Stalls:A:4"], "{promotion:?}");
    }
}

/// The seats a promoted user was given: their booking's, or their offer's.
async fn promoted_seats<S: Store>(store: &S, user: UserId, promotion: Promotion) -> Vec<String> {
    match promotion {
        Promotion::Book => {
            let booking = store.list_user_bookings(user, None, PageRequest::default()).await.unwrap().items.remove(0);
            labels(booking.placement.as_ref())
        }
        Promotion::Offer => {
            let now = chrono::Utc::now();
            let hold = store.list_user_holds(user, None, now, PageRequest::default()).await.unwrap().items.remove(0);
            labels(hold.placement.as_ref())
        }
    }
}

pub async fn keys_remember_which_seats_were_asked_for<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = hall(&store, Promotion::Book, 600).await;
    let key = || Some(IdempotencyKey::new("seat-key").unwrap());
    let first = BookingRequest { idempotency_key: key(), ..named(id, users[0], &["Stalls:A:2"]) };
    let booked = store.book(first.clone()).await.unwrap();
    let replay = store.book(first).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.booking.id, booked.booking.id);
    let other = BookingRequest { idempotency_key: key(), ..named(id, users[0], &["Stalls:A:3"]) };
    assert!(matches!(store.book(other).await, Err(BookError::IdempotencyMismatch)));
    let scattered = BookingRequest { idempotency_key: key(), ..best(id, users[0], 1, false) };
    assert!(matches!(store.book(scattered).await, Err(BookError::IdempotencyMismatch)));
}

/// 64 clients race for overlapping named seats and the best available of one row: every
/// seat ends in at most one confirmed booking, and the chart agrees with the bookings.
pub async fn a_seat_stampede_never_sells_a_seat_twice<S: Store>(store: S) {
    let store = Arc::new(store);
    let users = users(&*store, 64).await;
    let id = hall(&*store, Promotion::Book, 600).await;
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            let store = store.clone();
            tokio::spawn(async move {
                let request = match i % 4 {
                    0 => named(id, user, &["Stalls:A:2", "Stalls:A:3"]),
                    1 => named(id, user, &["Stalls:A:3", "Stalls:A:4"]),
                    2 => best(id, user, 2, true),
                    _ => best(id, user, 1, false),
                };
                store.book(request).await
            })
        })
        .collect();
    let mut sold: Vec<String> = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(outcome) => sold.extend(labels(outcome.booking.placement.as_ref())),
            Err(BookError::Seats(_) | BookError::SoldOut { .. }) => {}
            Err(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    let unique: HashSet<&String> = sold.iter().collect();
    assert_eq!(unique.len(), sold.len(), "a seat sold twice: {sold:?}");
    let now = chart(&*store, id).await;
    let booked: HashSet<String> = now
        .plan()
        .rows()
        .flat_map(|(_, row, first)| (0..row.seats()).map(move |n| SeatNo::new(first.get() + n)))
        .filter(|&seat| now.status(seat) == SeatStatus::Booked)
        .map(|seat| now.plan().label(seat).unwrap())
        .collect();
    assert_eq!(booked, unique.into_iter().cloned().collect());
    assert_eq!(reload(&*store, id).await.booked_seats as usize, sold.len());
}

/// Names may hold quotes, commas, braces and backslashes: labels survive the round trip.
pub async fn labels_keep_every_character_of_their_names<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let name = r#"Loge "B", {x}\y"#;
    let row = RowPlan::new(RowLabel::new("1,2").unwrap(), 2).unwrap();
    let plan = SeatingPlan::new(vec![SectionPlan { name: SectionName::new(name).unwrap(), tier: 0, rows: vec![row] }]);
    let plan = plan.unwrap();
    let capacity = Capacity::new(2).unwrap();
    let tiers = TierPlan::general_admission().seated(&plan).unwrap();
    let new = evently_domain::event::NewEvent { capacity, tiers, seating: Some(plan), ..new_event("Odd", 2, 1) };
    let id = store.create_event(new).await.unwrap().id;
    let booked = store.book(best(id, users[0], 1, true)).await.unwrap().booking;
    let label = format!("{name}:1,2:1");
    assert_eq!(labels(booked.placement.as_ref()), std::slice::from_ref(&label));
    let held = store.create_hold(hold(named(id, users[1], &[&format!("{name}:1,2:2")]))).await.unwrap().hold;
    assert_eq!(labels(held.placement.as_ref()), [format!("{name}:1,2:2")]);
    let tickets = store.booking_tickets(booked.id, PageRequest::default()).await.unwrap().unwrap().1.items;
    assert_eq!(tickets[0].seat_label.as_deref(), Some(label.as_str()));
}
