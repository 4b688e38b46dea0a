use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use evently_domain::booking::{BookError, BookingSource, IdempotencyKey, PaymentReference};
use evently_domain::event::{EventPatch, NewTier, TierName, TierPatch};
use evently_domain::hold::{
    ConfirmHoldError, HoldError, HoldRequest, HoldSource, HoldStatus, HoldTtl, ReleaseHoldError,
};
use evently_domain::inventory::{Capacity, Promotion};
use evently_domain::money::Price;
use evently_domain::notification::NotificationKind;
use evently_domain::seating::SeatPick;
use evently_domain::waitlist::{JoinWaitlistError, WaitlistStatus};
use evently_domain::{EventId, PageRequest, Store, UserId};

use crate::fixtures::{book, keyed, new_event, reload, seats, users};

/// An event of `capacity` seats whose holds last `ttl` seconds and whose promotions
/// give `promotion`.
async fn event<S: Store>(store: &S, capacity: i64, ttl: i64, promotion: Promotion) -> EventId {
    let mut new = new_event("Recital", capacity, 4);
    new.hold_ttl = HoldTtl::new(ttl).unwrap();
    new.waitlist_promotion = promotion;
    store.create_event(new).await.unwrap().id
}

fn hold(event: EventId, user: UserId, n: i64) -> HoldRequest {
    HoldRequest { event_id: event, user_id: user, pick: SeatPick::count(seats(n)), tier: None, idempotency_key: None }
}

/// Waits until every hold made so far has run out (the shortest hold time is 5 s).
async fn outlive_holds() {
    tokio::time::sleep(Duration::from_millis(5_200)).await;
}

pub async fn holds_take_seats_until_confirmed<S: Store>(store: S) {
    let id = event(&store, 5, 600, Promotion::Book).await;
    let users = users(&store, 3).await;
    let made = store.create_hold(hold(id, users[0], 3)).await.unwrap();
    assert!(!made.replayed);
    let held = made.hold;
    assert_eq!((held.status, held.source, held.seats.get()), (HoldStatus::Active, HoldSource::Direct, 3));
    let ttl = held.expires_at - held.created_at;
    assert!((ttl.num_seconds() - 600).abs() <= 1, "{ttl}");
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.held_seats, event.available_seats()), (0, 3, 2));
    assert_eq!(event.tiers[0].held_seats, 3);
    assert!(matches!(book(&store, id, users[1], 3).await, Err(BookError::SoldOut { available: 2 })));
    // The hold keeps its price: a later change of the tier's price does not touch it.
    let tier = event.tiers[0].id;
    let pricier = TierPatch { price: Some(Price::new(900).unwrap()), ..TierPatch::default() };
    store.update_tier(id, tier, pricier).await.unwrap();
    let reference = PaymentReference::new("pay-1").ok();
    let confirmed = store.confirm_hold(held.id, users[0], reference.clone()).await.unwrap();
    assert!(confirmed.first);
    let booking = confirmed.booking;
    assert_eq!((booking.source, booking.seats.get(), booking.unit_price), (BookingSource::Hold, 3, Price::FREE));
    assert_eq!(booking.payment_reference, reference);
    let again = store.confirm_hold(held.id, users[0], None).await.unwrap();
    assert!(!again.first);
    assert_eq!(again.booking, booking, "a retry answers the same booking");
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.held_seats), (3, 0));
    assert_eq!(store.find_hold(held.id).await.unwrap().unwrap().booking_id, Some(booking.id));
    // Only the holder confirms.
    let other = store.create_hold(hold(id, users[1], 1)).await.unwrap().hold;
    assert!(matches!(store.confirm_hold(other.id, users[2], None).await, Err(ConfirmHoldError::NotFound)));
}

pub async fn one_place_per_user_counts_holds<S: Store>(store: S) {
    let id = event(&store, 4, 600, Promotion::Book).await;
    let users = users(&store, 3).await;
    store.create_hold(hold(id, users[0], 1)).await.unwrap();
    assert!(matches!(store.create_hold(hold(id, users[0], 1)).await, Err(HoldError::AlreadyHolding)));
    assert!(matches!(book(&store, id, users[0], 1).await, Err(BookError::AlreadyHolding)));
    store.create_hold(hold(id, users[1], 3)).await.unwrap();
    let joined = store.join_waitlist(id, users[0], seats(1), None).await;
    assert!(matches!(joined, Err(JoinWaitlistError::AlreadyHolding)), "{joined:?}");
    book(&store, id, users[2], 1).await.err().unwrap();
    assert!(matches!(store.create_hold(hold(id, users[2], 1)).await, Err(HoldError::SoldOut { available: 0 })));
    store.join_waitlist(id, users[2], seats(1), None).await.unwrap();
    assert!(matches!(store.create_hold(hold(id, users[2], 1)).await, Err(HoldError::AlreadyWaitlisted)));
    let nowhere = EventId::new(9_999).unwrap();
    assert!(matches!(store.create_hold(hold(nowhere, users[2], 1)).await, Err(HoldError::EventNotFound)));
}

pub async fn releasing_gives_the_seats_to_the_queue<S: Store>(store: S) {
    let id = event(&store, 3, 600, Promotion::Book).await;
    let users = users(&store, 3).await;
    let held = store.create_hold(hold(id, users[0], 3)).await.unwrap().hold;
    store.join_waitlist(id, users[1], seats(2), None).await.unwrap();
    let released = store.release_hold(held.id).await.unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    let promoted = store.list_user_bookings(users[1], None, PageRequest::default()).await.unwrap().items;
    assert_eq!((promoted.len(), promoted[0].source), (1, BookingSource::Waitlist));
    assert!(matches!(store.release_hold(held.id).await, Err(ReleaseHoldError::NotActive)));
    assert!(matches!(store.confirm_hold(held.id, users[0], None).await, Err(ConfirmHoldError::Released)));
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.held_seats), (2, 0));
}

pub async fn expired_holds_free_their_seats_at_once_and_are_settled_once<S: Store>(store: S) {
    let id = event(&store, 2, 5, Promotion::Book).await;
    let users = users(&store, 3).await;
    let held = store.create_hold(hold(id, users[0], 2)).await.unwrap().hold;
    store.join_waitlist(id, users[1], seats(2), None).await.unwrap();
    outlive_holds().await;
    // The seats count as free the instant the timer ends, swept or not.
    assert_eq!(reload(&store, id).await.held_seats, 0);
    let listed = store.list_user_holds(users[0], Some(HoldStatus::Expired), Utc::now(), PageRequest::default());
    assert_eq!(listed.await.unwrap().items.len(), 1);
    // No overtaking: the next transaction settles the expired hold first, so the waiting
    // entry gets the seats before this booking is decided.
    assert!(matches!(book(&store, id, users[2], 1).await, Err(BookError::SoldOut { available: 0 })));
    let promoted = store.list_user_bookings(users[1], None, PageRequest::default()).await.unwrap().items;
    assert_eq!(promoted.len(), 1);
    assert!(matches!(store.confirm_hold(held.id, users[0], None).await, Err(ConfirmHoldError::Expired)));
    assert!(matches!(store.release_hold(held.id).await, Err(ReleaseHoldError::NotActive)));
    assert!(store.sweep_expired_holds(10).await.unwrap().is_empty(), "nothing left to settle");
    let told = store.list_notifications(users[0], PageRequest::default()).await.unwrap().items;
    let expired: Vec<_> = told.iter().filter(|n| n.kind == NotificationKind::HoldExpired).collect();
    assert_eq!(expired.len(), 1, "told once");
    assert_eq!(expired[0].hold_id, Some(held.id));
}

/// A cancellation whose lock settles an expired hold first: the entries that hold's seats
/// promoted are not promoted again with the seats the cancellation frees.
pub async fn a_cancellation_settles_expired_holds_before_promoting<S: Store>(store: S) {
    let id = event(&store, 3, 5, Promotion::Book).await;
    let users = users(&store, 5).await;
    store.create_hold(hold(id, users[0], 2)).await.unwrap();
    let booked = book(&store, id, users[1], 1).await.unwrap().booking;
    for user in &users[2..] {
        store.join_waitlist(id, *user, seats(1), None).await.unwrap();
    }
    outlive_holds().await;
    store.cancel_booking(booked.id).await.unwrap();
    for user in &users[2..] {
        let theirs = store.list_user_bookings(*user, None, PageRequest::default()).await.unwrap().items;
        assert_eq!(theirs.len(), 1, "each waiting entry promoted once");
    }
    assert_eq!((reload(&store, id).await.booked_seats, reload(&store, id).await.held_seats), (3, 0));
}

pub async fn the_sweeper_settles_events_nobody_touches<S: Store>(store: S) {
    let quiet = event(&store, 1, 5, Promotion::Book).await;
    let users = users(&store, 2).await;
    store.create_hold(hold(quiet, users[0], 1)).await.unwrap();
    store.join_waitlist(quiet, users[1], seats(1), None).await.unwrap();
    assert!(store.sweep_expired_holds(10).await.unwrap().is_empty(), "nothing expired yet");
    outlive_holds().await;
    assert_eq!(store.sweep_expired_holds(10).await.unwrap(), vec![quiet]);
    let standing = store.find_standing(quiet, users[1]).await.unwrap();
    assert!(standing.is_none(), "the waiting entry was promoted");
    assert!(store.sweep_expired_holds(10).await.unwrap().is_empty(), "each hold is settled once");
}

pub async fn offers_promote_into_holds<S: Store>(store: S) {
    let id = event(&store, 2, 600, Promotion::Offer).await;
    let users = users(&store, 2).await;
    let booking = book(&store, id, users[0], 2).await.unwrap().booking;
    let entry = store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    store.cancel_booking(booking.id).await.unwrap();
    let offered = store.list_user_holds(users[1], None, Utc::now(), PageRequest::default()).await.unwrap().items;
    assert_eq!(offered.len(), 1);
    let offer = &offered[0];
    assert_eq!((offer.source, offer.status, offer.seats.get()), (HoldSource::Waitlist, HoldStatus::Active, 1));
    let entries = store.list_user_entries(users[1], PageRequest::default()).await.unwrap().items;
    assert_eq!(
        (entries[0].id, entries[0].status, entries[0].hold_id),
        (entry.id, WaitlistStatus::Promoted, Some(offer.id))
    );
    let told = store.list_notifications(users[1], PageRequest::default()).await.unwrap().items;
    assert_eq!(told.iter().map(|n| n.kind).collect::<Vec<_>>(), vec![NotificationKind::WaitlistOffer]);
    assert_eq!(told[0].hold_id, Some(offer.id));
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.held_seats), (0, 1));
    let confirmed = store.confirm_hold(offer.id, users[1], None).await.unwrap().booking;
    let entries = store.list_user_entries(users[1], PageRequest::default()).await.unwrap().items;
    assert_eq!(entries[0].booking_id, Some(confirmed.id));
}

pub async fn keyed_holds_replay_in_their_own_key_space<S: Store>(store: S) {
    let id = event(&store, 5, 600, Promotion::Book).await;
    let users = users(&store, 1).await;
    let key = || Some(IdempotencyKey::new("order-7").unwrap());
    let request = || HoldRequest { idempotency_key: key(), ..hold(id, users[0], 2) };
    let first = store.create_hold(request()).await.unwrap();
    let again = store.create_hold(request()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.hold, first.hold);
    let other = HoldRequest { pick: SeatPick::count(seats(1)), ..request() };
    assert!(matches!(store.create_hold(other).await, Err(HoldError::IdempotencyMismatch)));
    // Bookings are another key space: the same key books (after the hold is confirmed).
    store.confirm_hold(first.hold.id, users[0], None).await.unwrap();
    let late = store.create_hold(request()).await.unwrap();
    assert_eq!(late.hold, first.hold, "a replay answers the hold as first made, though it is confirmed now");
    let second = event(&store, 5, 600, Promotion::Book).await;
    assert!(store.book(keyed(second, users[0], 1, "order-7")).await.is_ok());
}

pub async fn cancelling_the_event_releases_its_holds<S: Store>(store: S) {
    let id = event(&store, 5, 600, Promotion::Book).await;
    let users = users(&store, 1).await;
    let held = store.create_hold(hold(id, users[0], 2)).await.unwrap().hold;
    store.cancel_event(id).await.unwrap();
    assert_eq!(store.find_hold(held.id).await.unwrap().unwrap().status, HoldStatus::Released);
    let told = store.list_notifications(users[0], PageRequest::default()).await.unwrap().items;
    assert_eq!((told[0].kind, told[0].hold_id), (NotificationKind::EventCancelled, Some(held.id)));
    assert!(matches!(store.create_hold(hold(id, users[0], 1)).await, Err(HoldError::EventCancelled)));
    let lowered = EventPatch { capacity: Some(Capacity::new(1).unwrap()), ..EventPatch::default() };
    assert!(store.update_event(id, lowered).await.is_err());
}

pub async fn capacity_counts_held_seats<S: Store>(store: S) {
    let id = event(&store, 5, 600, Promotion::Book).await;
    let users = users(&store, 2).await;
    store.create_hold(hold(id, users[0], 2)).await.unwrap();
    book(&store, id, users[1], 2).await.unwrap();
    let below = EventPatch { capacity: Some(Capacity::new(3).unwrap()), ..EventPatch::default() };
    assert!(store.update_event(id, below).await.is_err());
    let exact = EventPatch { capacity: Some(Capacity::new(4).unwrap()), ..EventPatch::default() };
    assert_eq!(store.update_event(id, exact).await.unwrap().available_seats(), 0);
}

pub async fn a_hold_stampede_never_oversells<S: Store>(store: S) {
    // 25 seats; a VIP tier of 10. Half the crowd asks for VIP seats.
    let id = event(&store, 25, 600, Promotion::Book).await;
    let vip = NewTier {
        name: TierName::new("VIP").unwrap(),
        price: Price::new(5_000).unwrap(),
        capacity: Some(Capacity::new(10).unwrap()),
    };
    let vip = store.create_tier(id, vip).await.unwrap().id;
    let users = users(&store, 300).await;
    let store = Arc::new(store);
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            let store = Arc::clone(&store);
            let tier = (i % 2 == 0).then_some(vip);
            tokio::spawn(async move { store.create_hold(HoldRequest { tier, ..hold(id, user, 1) }).await.is_ok() })
        })
        .collect();
    let mut held = 0;
    for task in tasks {
        held += usize::from(task.await.unwrap());
    }
    assert_eq!(held, 25);
    let event = reload(&*store, id).await;
    assert_eq!((event.held_seats, event.available_seats()), (25, 0));
    let vip_held = event.tiers.iter().find(|t| t.id == vip).unwrap().held_seats;
    assert_eq!(vip_held, 10, "the VIP quota is never oversold");
}

pub async fn confirming_races_expiry_and_exactly_one_wins<S: Store>(store: S) {
    let id = event(&store, 1, 5, Promotion::Book).await;
    let users = users(&store, 1).await;
    let held = store.create_hold(hold(id, users[0], 1)).await.unwrap().hold;
    let store = Arc::new(store);
    // Aim both at the moment the timer ends.
    let until = (held.expires_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until.saturating_sub(Duration::from_millis(15))).await;
    let (confirmed, swept) = tokio::join!(
        {
            let store = Arc::clone(&store);
            async move { store.confirm_hold(held.id, users[0], None).await }
        },
        {
            let store = Arc::clone(&store);
            async move {
                tokio::time::sleep(Duration::from_millis(15)).await;
                store.sweep_expired_holds(10).await
            }
        }
    );
    swept.unwrap();
    let hold = store.find_hold(held.id).await.unwrap().unwrap();
    let event = reload(&*store, id).await;
    match confirmed {
        Ok(confirmation) => {
            assert_eq!(hold.status, HoldStatus::Confirmed);
            assert_eq!((event.booked_seats, confirmation.booking.seats.get()), (1, 1));
        }
        Err(ConfirmHoldError::Expired) => {
            assert_eq!(hold.status_at(Utc::now()), HoldStatus::Expired);
            assert_eq!(event.booked_seats, 0);
        }
        Err(other) => panic!("neither confirmed nor expired: {other:?}"),
    }
    assert_eq!(event.held_seats, 0);
}

pub async fn bookings_and_holds_of_a_hot_event_share_its_seats<S: Store>(store: S) {
    let id = event(&store, 40, 600, Promotion::Book).await;
    let users = users(&store, 200).await;
    let store = Arc::new(store);
    // Each user sends two copies of one keyed request at once: even users hold, odd users book.
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .flat_map(|(i, &user)| [(i, user), (i, user)])
        .map(|(i, user)| {
            let store = Arc::clone(&store);
            let key = Some(IdempotencyKey::new(&format!("k{i}")).unwrap());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let request = HoldRequest { idempotency_key: key, ..hold(id, user, 1) };
                    store.create_hold(request).await.ok().map(|o| (i, o.hold.id.get()))
                } else {
                    let request = evently_domain::booking::BookingRequest {
                        idempotency_key: key,
                        ..crate::fixtures::request(id, user, 1)
                    };
                    store.book(request).await.ok().map(|o| (i, o.booking.id.get()))
                }
            })
        })
        .collect();
    let mut answers: Vec<(usize, i64)> = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers.sort_unstable();
    answers.dedup();
    let users_served: std::collections::BTreeSet<usize> = answers.iter().map(|(i, _)| *i).collect();
    assert_eq!(answers.len(), users_served.len(), "both copies of a key got the same answer");
    assert_eq!(users_served.len(), 40, "exactly the seats there are");
    let event = reload(&*store, id).await;
    assert_eq!(event.booked_seats + event.held_seats, 40);
    assert_eq!(event.available_seats(), 0);
}

pub async fn concurrent_confirmations_book_each_hold_once<S: Store>(store: S) {
    let id = event(&store, 30, 600, Promotion::Book).await;
    let users = users(&store, 20).await;
    let mut holds = Vec::new();
    for &user in &users {
        holds.push((user, store.create_hold(hold(id, user, 1)).await.unwrap().hold.id));
    }
    let store = Arc::new(store);
    // Every hold confirmed by three concurrent retries of its holder.
    let tasks: Vec<_> = holds
        .iter()
        .flat_map(|&pair| [pair, pair, pair])
        .map(|(user, held)| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { (held, store.confirm_hold(held, user, None).await.unwrap()) })
        })
        .collect();
    let mut firsts = std::collections::HashMap::new();
    let mut bookings = std::collections::HashMap::new();
    for task in tasks {
        let (held, confirmation) = task.await.unwrap();
        *firsts.entry(held).or_insert(0) += usize::from(confirmation.first);
        assert_eq!(*bookings.entry(held).or_insert(confirmation.booking.id), confirmation.booking.id);
    }
    assert!(firsts.values().all(|n| *n == 1), "each hold confirmed first exactly once: {firsts:?}");
    let event = reload(&*store, id).await;
    assert_eq!((event.booked_seats, event.held_seats), (20, 0));
}

pub async fn holds_expire_during_a_stampede_of_bookings<S: Store>(store: S) {
    let id = event(&store, 20, 5, Promotion::Book).await;
    let users = users(&store, 135).await;
    let mut expiry = Utc::now();
    for &user in &users[..10] {
        expiry = store.create_hold(hold(id, user, 1)).await.unwrap().hold.expires_at;
    }
    for &user in &users[10..20] {
        book(&store, id, user, 1).await.unwrap();
    }
    for &user in &users[20..25] {
        store.join_waitlist(id, user, seats(1), None).await.unwrap();
    }
    // Bookings hammer the event from just before the holds expire to just after.
    let store = Arc::new(store);
    let until = (expiry - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until.saturating_sub(Duration::from_millis(300))).await;
    let tasks: Vec<_> = users[25..]
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(6 * u64::try_from(i).unwrap())).await;
                store.book(crate::fixtures::request(id, user, 1)).await.is_ok()
            })
        })
        .collect();
    let mut booked = 0;
    for task in tasks {
        booked += usize::from(task.await.unwrap());
    }
    let event = reload(&*store, id).await;
    assert_eq!((event.booked_seats, event.held_seats), (20, 0), "every seat booked once the holds expired");
    // The waiting entries were first in line for the freed seats: none was overtaken.
    for &user in &users[20..25] {
        let mine = store.list_user_bookings(user, None, PageRequest::default()).await.unwrap().items;
        assert_eq!(mine.len(), 1, "the waiting user {user} was promoted once");
    }
    assert_eq!(booked, 5, "the stampede got only what the queue left");
}

pub async fn offers_made_by_a_change_last_the_hold_time_it_sets<S: Store>(store: S) {
    let id = event(&store, 1, 600, Promotion::Offer).await;
    let users = users(&store, 2).await;
    book(&store, id, users[0], 1).await.unwrap();
    store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    let change = EventPatch {
        capacity: Some(Capacity::new(2).unwrap()),
        hold_ttl: Some(HoldTtl::new(60).unwrap()),
        ..EventPatch::default()
    };
    store.update_event(id, change).await.unwrap();
    let offers = store.list_user_holds(users[1], None, Utc::now(), PageRequest::default()).await.unwrap().items;
    let ttl = offers[0].expires_at - offers[0].created_at;
    assert!((ttl.num_seconds() - 60).abs() <= 1, "the offer lasts {ttl}");
}

/// More holds expiring together than one statement tells (1,000): every holder is
/// told once and the waiting entry is promoted, in one settlement.
pub async fn a_thousand_and_one_holds_expiring_together_are_settled_at_once<S: Store>(store: S) {
    const HOLDS: usize = 1_001;
    // Holds long enough to outlast making them one by one on a busy machine (5 s did not).
    let id = event(&store, 1_001, 20, Promotion::Book).await;
    let users = users(&store, 1_002).await;
    let mut last = None;
    for user in &users[..HOLDS] {
        last = Some(store.create_hold(hold(id, *user, 1)).await.unwrap().hold.expires_at);
    }
    store.join_waitlist(id, users[HOLDS], seats(1), None).await.unwrap();
    let left = last.unwrap() - Utc::now() + chrono::TimeDelta::milliseconds(200);
    tokio::time::sleep(left.to_std().unwrap_or_default()).await;
    assert_eq!(store.sweep_expired_holds(10).await.unwrap(), vec![id]);
    for user in &users[..HOLDS] {
        let told = store.list_notifications(*user, PageRequest::default()).await.unwrap().items;
        assert_eq!(told.iter().filter(|n| n.kind == NotificationKind::HoldExpired).count(), 1, "told once");
    }
    let promoted = store.list_user_bookings(users[HOLDS], None, PageRequest::default()).await.unwrap().items;
    assert_eq!(promoted.len(), 1, "the waiting entry was promoted");
    assert_eq!(reload(&store, id).await.held_seats, 0);
    assert!(store.sweep_expired_holds(10).await.unwrap().is_empty(), "each hold is settled once");
}
