use chrono::{TimeDelta, Utc};
use evently_domain::booking::{BookError, BookingSource, CancelBookingError};
use evently_domain::event::EventPatch;
use evently_domain::inventory::BookingStatus;
use evently_domain::notification::NotificationKind;
use evently_domain::{BookingId, EventId, PageRequest, Store};

use crate::fixtures::{book, event, keyed, pages_agree_with_their_totals_until, reload, seats, users};

pub async fn booking_takes_seats_until_sold_out<S: Store>(store: S) {
    let users = users(&store, 3).await;
    let id = event(&store, 5).await;
    let first = book(&store, id, users[0], 3).await.unwrap();
    assert!(!first.replayed);
    let booking = first.booking;
    assert_eq!((booking.event_id, booking.user_id, booking.seats.get()), (id, users[0], 3));
    assert_eq!(
        (booking.status, booking.source, booking.cancelled_at),
        (BookingStatus::Confirmed, BookingSource::Direct, None)
    );
    assert!(matches!(book(&store, id, users[1], 3).await, Err(BookError::SoldOut { available: 2 })));
    book(&store, id, users[1], 2).await.unwrap();
    assert!(matches!(book(&store, id, users[2], 1).await, Err(BookError::SoldOut { available: 0 })));
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.available_seats()), (5, 0));
    assert!(matches!(book(&store, EventId::new(9_999).unwrap(), users[2], 1).await, Err(BookError::EventNotFound)));
}

pub async fn one_confirmed_booking_per_user_and_event<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    let booking = book(&store, id, users[0], 1).await.unwrap().booking;
    assert!(matches!(book(&store, id, users[0], 1).await, Err(BookError::AlreadyBooked)));
    store.cancel_booking(booking.id).await.unwrap();
    book(&store, id, users[0], 2).await.unwrap();
    assert_eq!(reload(&store, id).await.booked_seats, 2);
}

pub async fn bookings_respect_the_event_limit_and_status<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 50).await;
    let limit = EventPatch { max_seats_per_booking: Some(seats(4)), ..EventPatch::default() };
    store.update_event(id, limit).await.unwrap();
    assert!(matches!(book(&store, id, users[0], 5).await, Err(BookError::SeatsAboveLimit { max: 4 })));
    store.cancel_event(id).await.unwrap();
    assert!(matches!(book(&store, id, users[0], 5).await, Err(BookError::EventCancelled)));
    assert_eq!(reload(&store, id).await.booked_seats, 0);
}

pub async fn cancelling_frees_seats_once<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 3).await;
    let booking = book(&store, id, users[0], 3).await.unwrap().booking;
    let cancelled = store.cancel_booking(booking.id).await.unwrap();
    assert_eq!(cancelled.status, BookingStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    assert!(matches!(store.cancel_booking(booking.id).await, Err(CancelBookingError::AlreadyCancelled)));
    assert_eq!(reload(&store, id).await.booked_seats, 0);
    assert!(matches!(store.cancel_booking(BookingId::new(9_999).unwrap()).await, Err(CancelBookingError::NotFound)));
    let inbox = store.list_notifications(users[0], PageRequest::default()).await.unwrap();
    assert_eq!(inbox.items.iter().map(|n| n.kind).collect::<Vec<_>>(), vec![NotificationKind::BookingCancelled]);
    assert_eq!(inbox.items[0].booking_id, Some(booking.id));
}

pub async fn idempotent_requests_book_once<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 10).await;
    let other = event(&store, 10).await;
    let first = store.book(keyed(id, users[0], 2, "k-1")).await.unwrap();
    let again = store.book(keyed(id, users[0], 2, "k-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.booking, first.booking);
    assert_eq!(reload(&store, id).await.booked_seats, 2);
    assert!(matches!(store.book(keyed(id, users[0], 3, "k-1")).await, Err(BookError::IdempotencyMismatch)));
    assert!(matches!(store.book(keyed(other, users[0], 2, "k-1")).await, Err(BookError::IdempotencyMismatch)));
    // Keys belong to their user.
    assert!(!store.book(keyed(id, users[1], 2, "k-1")).await.unwrap().replayed);
    // A replay answers the first booking even after it was cancelled.
    store.cancel_booking(first.booking.id).await.unwrap();
    let replay = store.book(keyed(id, users[0], 2, "k-1")).await.unwrap();
    assert_eq!(replay.booking, first.booking);
    assert_eq!(reload(&store, id).await.booked_seats, 2);
    // A refused request stores nothing: the same key may book once seats are free.
    let full = event(&store, 1).await;
    book(&store, full, users[1], 1).await.unwrap();
    assert!(matches!(store.book(keyed(full, users[0], 1, "k-2")).await, Err(BookError::SoldOut { .. })));
}

pub async fn idempotency_keys_are_forgotten_after_a_day<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    store.book(keyed(id, users[0], 1, "k-day")).await.unwrap();
    let now = Utc::now();
    assert_eq!(store.purge_idempotency_keys(now).await.unwrap(), 0);
    assert_eq!(store.purge_idempotency_keys(now + TimeDelta::hours(23)).await.unwrap(), 0);
    assert!(store.book(keyed(id, users[0], 1, "k-day")).await.unwrap().replayed);
    assert_eq!(store.purge_idempotency_keys(now + TimeDelta::hours(25)).await.unwrap(), 1);
    // Forgotten: the key is free for a new request, here on another event.
    let other = event(&store, 10).await;
    assert!(!store.book(keyed(other, users[0], 1, "k-day")).await.unwrap().replayed);
}

pub async fn user_bookings_are_listed_newest_first<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let (a, b) = (event(&store, 5).await, event(&store, 5).await);
    let first = book(&store, a, users[0], 1).await.unwrap().booking;
    let second = book(&store, b, users[0], 1).await.unwrap().booking;
    store.cancel_booking(first.id).await.unwrap();
    let all = store.list_user_bookings(users[0], None, PageRequest::default()).await.unwrap();
    assert_eq!(all.items.iter().map(|b| b.id).collect::<Vec<_>>(), vec![second.id, first.id]);
    let cancelled =
        store.list_user_bookings(users[0], Some(BookingStatus::Cancelled), PageRequest::default()).await.unwrap();
    assert_eq!((cancelled.total, cancelled.items[0].id), (1, first.id));
}

pub async fn accounts_that_vanished_cannot_book_or_wait<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 1).await;
    let ghost = evently_domain::UserId::new(9_999).unwrap();
    assert!(matches!(book(&store, id, ghost, 1).await, Err(BookError::UnknownUser)));
    assert!(matches!(store.book(keyed(id, ghost, 1, "ghost-key")).await, Err(BookError::UnknownUser)));
    book(&store, id, users[0], 1).await.unwrap();
    let joined = store.join_waitlist(id, ghost, crate::fixtures::seats(1), None).await;
    assert!(matches!(joined, Err(evently_domain::waitlist::JoinWaitlistError::UnknownUser)));
    assert_eq!(reload(&store, id).await.booked_seats, 1);
}

/// A user's page of bookings agrees with its total while they change: the items and
/// the count are read together, never a total the items contradict.
pub async fn a_page_of_bookings_agrees_with_its_total_while_they_change<S: Store>(store: S) {
    let user = users(&store, 1).await[0];
    let mut events = Vec::new();
    for _ in 0..4 {
        events.push(event(&store, 10).await);
    }
    let store = std::sync::Arc::new(store);
    let writer = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move {
            for _ in 0..10 {
                let mut booked = Vec::new();
                for event in &events {
                    booked.push(book(&*store, *event, user, 1).await.unwrap().booking.id);
                }
                for booking in booked {
                    store.cancel_booking(booking).await.unwrap();
                }
            }
        })
    };
    pages_agree_with_their_totals_until(writer, || async {
        store.list_user_bookings(user, Some(BookingStatus::Confirmed), PageRequest::default()).await.unwrap()
    })
    .await;
}
