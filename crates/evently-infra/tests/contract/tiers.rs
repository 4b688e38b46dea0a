use std::sync::Arc;

use evently_domain::booking::{BookError, BookingRequest};
use evently_domain::event::{EventPatch, NewTier, TierError, TierName, TierPatch, TierPlan};
use evently_domain::inventory::{Capacity, Seats};
use evently_domain::money::{Currency, Price};
use evently_domain::waitlist::{JoinWaitlistError, WaitlistStatus};
use evently_domain::{EventId, Store, TierId};

use crate::fixtures::{keyed, new_event, reload, request, seats, users};

fn tier(name: &str, price: i64, capacity: Option<i64>) -> NewTier {
    NewTier {
        name: TierName::new(name).unwrap(),
        price: Price::new(price).unwrap(),
        capacity: capacity.map(|c| Capacity::new(c).unwrap()),
    }
}

/// An event of `capacity` seats in USD with a free, unlimited tier and a "VIP" tier of
/// `vip` seats at 50.00.
async fn tiered<S: Store>(store: &S, capacity: i64, vip: i64) -> (EventId, TierId, TierId) {
    let mut new = new_event("Gala", capacity, 2);
    new.currency = Currency::new("USD").unwrap();
    let plan = vec![tier("Standard", 0, None), tier("VIP", 5_000, Some(vip))];
    new.tiers = TierPlan::new(plan, new.capacity).unwrap();
    new.max_seats_per_booking = Seats::new(4).unwrap();
    let event = store.create_event(new).await.unwrap();
    (event.id, event.tiers[0].id, event.tiers[1].id)
}

fn in_tier(event: EventId, user: evently_domain::UserId, n: i64, tier: TierId) -> BookingRequest {
    BookingRequest { tier: Some(tier), ..request(event, user, n) }
}

pub async fn events_have_tiers_in_the_order_given<S: Store>(store: S) {
    let plain = store.create_event(new_event("Plain", 10, 1)).await.unwrap();
    assert_eq!(plain.currency, Currency::EUR);
    assert_eq!(plain.tiers.len(), 1);
    assert_eq!(plain.tiers[0].name.as_str(), "General admission");
    assert_eq!((plain.tiers[0].price, plain.tiers[0].capacity), (Price::FREE, None));
    let (id, standard, vip) = tiered(&store, 10, 3).await;
    assert!(standard < vip, "ids follow the order given");
    let event = reload(&store, id).await;
    assert_eq!(event.currency.as_str(), "USD");
    assert_eq!(event.tiers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Standard", "VIP"]);
    assert_eq!(event.tiers[1].capacity, Some(Capacity::new(3).unwrap()));
    assert_eq!(event.tiers[1].price, Price::new(5_000).unwrap());
}

pub async fn a_tier_sells_within_its_quota_and_the_event<S: Store>(store: S) {
    let (id, standard, vip) = tiered(&store, 6, 3).await;
    let users = users(&store, 6).await;
    let booked = store.book(in_tier(id, users[0], 3, vip)).await.unwrap().booking;
    assert_eq!((booked.tier_id, booked.unit_price, booked.currency.as_str()), (vip, Price::new(5_000).unwrap(), "USD"));
    assert_eq!(booked.amount(), 15_000);
    let over = store.book(in_tier(id, users[1], 1, vip)).await;
    assert!(matches!(over, Err(BookError::SoldOut { available: 0 })), "{over:?}");
    // The default tier is the first one.
    let plain = store.book(request(id, users[1], 2)).await.unwrap().booking;
    assert_eq!((plain.tier_id, plain.unit_price), (standard, Price::FREE));
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.tiers[0].booked_seats, event.tiers[1].booked_seats), (5, 2, 3));
    assert_eq!(event.tiers[0].available_seats(event.available_seats()), 1);
    assert!(matches!(store.book(request(id, users[2], 2)).await, Err(BookError::SoldOut { available: 1 })));
    let foreign = store.create_event(new_event("Other", 5, 3)).await.unwrap().tiers[0].id;
    assert!(matches!(store.book(in_tier(id, users[3], 1, foreign)).await, Err(BookError::UnknownTier)));
    // Cancelling gives the seats back to their tier.
    store.cancel_booking(booked.id).await.unwrap();
    assert_eq!(reload(&store, id).await.tiers[1].booked_seats, 0);
    store.book(in_tier(id, users[4], 1, vip)).await.unwrap();
}

pub async fn waiting_entries_wait_in_their_tier<S: Store>(store: S) {
    let (id, standard, vip) = tiered(&store, 10, 2).await;
    let users = users(&store, 5).await;
    let first = store.book(in_tier(id, users[0], 2, vip)).await.unwrap().booking;
    // VIP is full while the event has room: one may wait for VIP, not for Standard.
    let entry = store.join_waitlist(id, users[1], seats(1), Some(vip)).await.unwrap();
    assert_eq!(entry.tier_id, vip);
    let refused = store.join_waitlist(id, users[2], seats(1), Some(standard)).await;
    assert!(matches!(refused, Err(JoinWaitlistError::EventNotFull { available: 8 })), "{refused:?}");
    // Standard seats do not promote the VIP entry; a VIP cancellation does.
    let other = store.book(in_tier(id, users[3], 4, standard)).await.unwrap().booking;
    store.cancel_booking(other.id).await.unwrap();
    assert_eq!(store.find_standing(id, users[1]).await.unwrap().map(|s| s.entry.status), Some(WaitlistStatus::Waiting));
    store.cancel_booking(first.id).await.unwrap();
    let promoted = store.list_user_bookings(users[1], None, Default::default()).await.unwrap().items;
    assert_eq!((promoted.len(), promoted[0].tier_id, promoted[0].unit_price), (1, vip, Price::new(5_000).unwrap()));
    assert_eq!(reload(&store, id).await.tiers[1].booked_seats, 1);
}

pub async fn tiers_are_added_and_changed_under_the_rules<S: Store>(store: S) {
    let (id, _, vip) = tiered(&store, 10, 2).await;
    let users = users(&store, 4).await;
    let balcony = store.create_tier(id, tier("Balcony", 2_500, Some(4))).await.unwrap();
    assert_eq!((balcony.name.as_str(), balcony.booked_seats), ("Balcony", 0));
    assert!(matches!(store.create_tier(id, tier("VIP", 1, None)).await, Err(TierError::NameTaken(_))));
    assert!(matches!(
        store.create_tier(id, tier("Box", 1, Some(11))).await,
        Err(TierError::AboveEventCapacity { max: 10 })
    ));
    let nowhere = EventId::new(9_999).unwrap();
    assert!(matches!(store.create_tier(nowhere, tier("Box", 1, None)).await, Err(TierError::NotFound)));
    store.book(in_tier(id, users[0], 2, vip)).await.unwrap();
    store.join_waitlist(id, users[1], seats(2), Some(vip)).await.unwrap();
    let lowered = TierPatch { capacity: Some(Some(Capacity::new(1).unwrap())), ..TierPatch::default() };
    assert!(matches!(
        store.update_tier(id, vip, lowered).await,
        Err(TierError::CapacityBelowBooked { capacity: 1, booked: 2 })
    ));
    // A price change applies to later bookings; raising the quota promotes at once.
    let raised = TierPatch {
        price: Some(Price::new(7_000).unwrap()),
        capacity: Some(Some(Capacity::new(4).unwrap())),
        ..TierPatch::default()
    };
    let changed = store.update_tier(id, vip, raised).await.unwrap();
    assert_eq!((changed.price, changed.booked_seats), (Price::new(7_000).unwrap(), 4));
    let promoted = store.list_user_bookings(users[1], None, Default::default()).await.unwrap().items;
    assert_eq!(promoted[0].unit_price, Price::new(7_000).unwrap());
    let first = store.list_user_bookings(users[0], None, Default::default()).await.unwrap().items;
    assert_eq!(first[0].unit_price, Price::new(5_000).unwrap());
    let renamed = TierPatch { name: Some(TierName::new("Balcony").unwrap()), ..TierPatch::default() };
    assert!(matches!(store.update_tier(id, vip, renamed).await, Err(TierError::NameTaken(_))));
    // The event may shrink below a tier's quota; the tier still takes other changes.
    let roomy = TierPatch { capacity: Some(Some(Capacity::new(8).unwrap())), ..TierPatch::default() };
    store.update_tier(id, balcony.id, roomy).await.unwrap();
    let shrunk = EventPatch { capacity: Some(Capacity::new(5).unwrap()), ..EventPatch::default() };
    store.update_event(id, shrunk).await.unwrap();
    let repriced = TierPatch { price: Some(Price::new(7_500).unwrap()), ..TierPatch::default() };
    assert_eq!(store.update_tier(id, balcony.id, repriced).await.unwrap().price, Price::new(7_500).unwrap());
    let unlimited = TierPatch { capacity: Some(None), ..TierPatch::default() };
    assert_eq!(store.update_tier(id, vip, unlimited).await.unwrap().capacity, None);
    let foreign = store.create_event(new_event("Other", 5, 3)).await.unwrap().tiers[0].id;
    assert!(matches!(store.update_tier(id, foreign, TierPatch::default()).await, Err(TierError::NotFound)));
    store.cancel_event(id).await.unwrap();
    assert!(matches!(store.update_tier(id, vip, TierPatch::default()).await, Err(TierError::EventCancelled)));
    assert!(matches!(store.create_tier(id, tier("Late", 1, None)).await, Err(TierError::EventCancelled)));
    assert!(reload(&store, id).await.tiers.iter().all(|t| t.booked_seats == 0));
}

pub async fn a_key_names_its_tier<S: Store>(store: S) {
    let (id, standard, vip) = tiered(&store, 10, 5).await;
    let users = users(&store, 1).await;
    let first = store.book(BookingRequest { tier: Some(vip), ..keyed(id, users[0], 1, "k") }).await.unwrap();
    let again = store.book(BookingRequest { tier: Some(vip), ..keyed(id, users[0], 1, "k") }).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.booking, first.booking);
    let other = store.book(BookingRequest { tier: Some(standard), ..keyed(id, users[0], 1, "k") }).await;
    assert!(matches!(other, Err(BookError::IdempotencyMismatch)));
    assert!(matches!(store.book(keyed(id, users[0], 1, "k")).await, Err(BookError::IdempotencyMismatch)));
}

pub async fn a_stampede_on_a_tier_never_oversells_it<S: Store>(store: S) {
    let (id, _, vip) = tiered(&store, 60, 10).await;
    let users = users(&store, 200).await;
    let store = Arc::new(store);
    let tasks: Vec<_> = users
        .iter()
        .map(|&user| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.book(in_tier(id, user, 1, vip)).await.is_ok() })
        })
        .collect();
    let mut booked = 0;
    for task in tasks {
        booked += usize::from(task.await.unwrap());
    }
    assert_eq!(booked, 10);
    let event = reload(&*store, id).await;
    assert_eq!((event.booked_seats, event.tiers[1].booked_seats), (10, 10));
}
