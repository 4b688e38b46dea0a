use evently_domain::booking::BookError;
use evently_domain::event::EventPatch;
use evently_domain::inventory::BookingStatus;
use evently_domain::inventory::Capacity;
use evently_domain::{EventId, PageRequest, Store, UserId};

use crate::fixtures::{book, event, keyed, reload, seats, users};

/// Seats held by confirmed bookings of `event`, summed from every user's bookings.
async fn confirmed_seats<S: Store>(store: &S, event: EventId, users: &[UserId]) -> u32 {
    let mut sum = 0;
    for user in users {
        let page = store.list_user_bookings(*user, Some(BookingStatus::Confirmed), PageRequest::new(100, 0).unwrap());
        sum += page.await.unwrap().items.iter().filter(|b| b.event_id == event).map(|b| b.seats.get()).sum::<u32>();
    }
    sum
}

pub async fn a_thousand_concurrent_bookings_never_oversell<S: Store>(store: S) {
    let users = users(&store, 1_000).await;
    let id = event(&store, 100).await;
    let attempts: Vec<_> = users
        .iter()
        .map(|user| {
            let (store, user) = (store.clone(), *user);
            tokio::spawn(async move { book(&store, id, user, 1).await })
        })
        .collect();
    let (mut confirmed, mut sold_out) = (0, 0);
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => confirmed += 1,
            Err(BookError::SoldOut { available: 0 }) => sold_out += 1,
            Err(other) => panic!("unexpected answer: {other:?}"),
        }
    }
    assert_eq!((confirmed, sold_out), (100, 900));
    assert_eq!(reload(&store, id).await.booked_seats, 100);
    assert_eq!(confirmed_seats(&store, id, &users).await, 100);
}

pub async fn concurrent_duplicates_of_one_key_book_once<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let user = users[0];
            tokio::spawn(async move { store.book(keyed(id, user, 2, "same-key")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for attempt in attempts {
        ids.push(attempt.await.unwrap().unwrap().booking.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every duplicate answers the one booking");
    assert_eq!(reload(&store, id).await.booked_seats, 2);
}

pub async fn churn_keeps_every_invariant<S: Store>(store: S) {
    let users = users(&store, 40).await;
    let id = event(&store, 20).await;
    let workers: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let (store, user) = (store.clone(), *user);
            tokio::spawn(async move {
                for round in 0..8_usize {
                    let n = i64::try_from((i + round) % 3 + 1).unwrap();
                    match (i + round) % 5 {
                        0 | 1 => {
                            if let Ok(outcome) = book(&store, id, user, n).await
                                && round % 2 == 0
                            {
                                let _ = store.cancel_booking(outcome.booking.id).await;
                            }
                        }
                        2 => {
                            let _ = store.join_waitlist(id, user, seats(n), None).await;
                        }
                        3 => {
                            let _ = store.leave_waitlist(id, user).await;
                        }
                        _ => {
                            let mine =
                                store.list_user_bookings(user, Some(BookingStatus::Confirmed), PageRequest::default());
                            if let Some(booking) = mine.await.unwrap().items.into_iter().find(|b| b.event_id == id) {
                                let _ = store.cancel_booking(booking.id).await;
                            }
                            if i % 10 == 0 {
                                let capacity = Capacity::new(i64::try_from(15 + round).unwrap()).unwrap();
                                let _ = store
                                    .update_event(id, EventPatch { capacity: Some(capacity), ..EventPatch::default() })
                                    .await;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let event = reload(&store, id).await;
    assert!(event.booked_seats <= event.capacity.get());
    assert_eq!(event.booked_seats, confirmed_seats(&store, id, &users).await);
    let queue = store.list_queue(id, PageRequest::new(100, 0).unwrap()).await.unwrap();
    assert_eq!(queue.total, u64::from(event.waitlist_length));
    for entry in &queue.items {
        assert!(entry.seats.get() > event.available_seats(), "a waiting entry fits in the free seats");
        let holds = store.list_user_bookings(entry.user_id, Some(BookingStatus::Confirmed), PageRequest::default());
        assert!(holds.await.unwrap().items.iter().all(|b| b.event_id != id), "booked and waiting at once");
    }
}

pub async fn concurrent_requests_of_one_user_book_once<S: Store>(store: S) {
    let users = users(&store, 3).await;
    let id = event(&store, 3).await;
    book(&store, id, users[2], 3).await.unwrap();
    store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    let cancel = store.list_user_bookings(users[2], None, PageRequest::default()).await.unwrap().items[0].id;
    store.cancel_booking(cancel).await.unwrap(); // users[1] promoted: 2 seats free
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let (store, user) = (store.clone(), users[i % 2]);
            tokio::spawn(async move { book(&store, id, user, 1).await })
        })
        .collect();
    let (mut ok, mut already) = (0, 0);
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => ok += 1,
            Err(BookError::AlreadyBooked) => already += 1,
            Err(other) => panic!("unexpected answer: {other:?}"),
        }
    }
    assert_eq!((ok, already), (1, 29), "users[1] holds a promoted booking; users[0] books once");
    assert_eq!(reload(&store, id).await.booked_seats, 2);
}

/// The same user racing to join, book and join again: one waiting entry or one booking,
/// never both, never an error.
pub async fn racing_joins_and_bookings_of_one_user_hold_one_place<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 2).await;
    book(&store, id, users[1], 2).await.unwrap();
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let (store, user) = (store.clone(), users[0]);
            tokio::spawn(async move {
                if i % 3 == 0 {
                    book(&store, id, user, 1).await.map(drop).map_err(|e| format!("{e:?}"))
                } else {
                    store.join_waitlist(id, user, seats(1), None).await.map(drop).map_err(|e| format!("{e:?}"))
                }
            })
        })
        .collect();
    let mut joined = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => joined += 1,
            Err(refusal) => assert!(
                ["AlreadyWaitlisted", "SoldOut { available: 0 }"].contains(&refusal.as_str()),
                "unexpected answer: {refusal}"
            ),
        }
    }
    assert_eq!(joined, 1, "one waiting entry");
    assert_eq!(store.list_queue(id, PageRequest::default()).await.unwrap().total, 1);
}

/// A hot event booked by clients that send an `Idempotency-Key` with every request and
/// repeat each request at once (as a client retrying after a timeout does): no deadlock
/// or store error, no oversell, one booking per key, duplicates answered alike.
pub async fn keyed_and_repeated_bookings_of_a_hot_event_book_once<S: Store>(store: S) {
    let users = users(&store, 400).await;
    let id = event(&store, 100).await;
    let attempts: Vec<_> = users
        .iter()
        .flat_map(|user| [*user, *user])
        .map(|user| {
            let store = store.clone();
            tokio::spawn(async move { (user, store.book(keyed(id, user, 1, &format!("key-{user}"))).await) })
        })
        .collect();
    let mut answers: std::collections::HashMap<UserId, Vec<Option<i64>>> = std::collections::HashMap::new();
    for attempt in attempts {
        let (user, answer) = attempt.await.unwrap();
        let booked = match answer {
            Ok(outcome) => Some(outcome.booking.id.get()),
            Err(BookError::SoldOut { available: 0 }) => None,
            Err(other) => panic!("unexpected answer: {other:?}"),
        };
        answers.entry(user).or_default().push(booked);
    }
    for (user, pair) in &answers {
        assert_eq!(pair[0], pair[1], "the two copies of {user}'s request were answered differently");
    }
    assert_eq!(answers.values().filter(|pair| pair[0].is_some()).count(), 100);
    assert_eq!(reload(&store, id).await.booked_seats, 100);
    assert_eq!(confirmed_seats(&store, id, &users).await, 100);
}

/// Keyed requests spread over many small events, each sent twice at once, as retrying
/// clients do; every user also sends one more key to every event. Whatever transactions
/// the store shares among events, no event oversells, a key's copies answer alike and a
/// key books at most once.
pub async fn keyed_requests_over_many_events_book_once_each<S: Store>(store: S) {
    const EVENTS: usize = 16;
    let users = users(&store, 12).await;
    let mut events = Vec::new();
    for _ in 0..EVENTS {
        events.push(event(&store, 8).await);
    }
    let mut attempts = Vec::new();
    for (u, user) in users.iter().enumerate() {
        for (e, id) in events.iter().enumerate() {
            // Copies 0 and 1 carry the key of this user and event, copy 2 the user's key
            // for every event.
            for copy in 0..3 {
                let key = if copy < 2 { format!("key-{u}-{e}") } else { format!("every-{u}") };
                let (store, request) = (store.clone(), keyed(*id, *user, 1, &key));
                attempts.push((u, e, tokio::spawn(async move { store.book(request).await })));
            }
        }
    }
    let mut answers: std::collections::HashMap<(usize, usize), Vec<Result<i64, BookError>>> = Default::default();
    for (u, e, attempt) in attempts {
        let answer = attempt.await.unwrap().map(|outcome| outcome.booking.id.get());
        answers.entry((u, e)).or_default().push(answer);
    }
    let mut every_key: std::collections::HashMap<usize, Vec<i64>> = Default::default();
    for ((u, e), copies) in &answers {
        for answer in copies {
            assert!(
                matches!(
                    answer,
                    Ok(_) | Err(BookError::SoldOut { .. } | BookError::IdempotencyMismatch | BookError::AlreadyBooked)
                ),
                "user {u}, event {e}: {answer:?}"
            );
        }
        assert_eq!(copies[0].as_ref().ok(), copies[1].as_ref().ok(), "one key's copies answer alike");
        every_key.entry(*u).or_default().extend(copies[2].as_ref().ok());
    }
    for (u, booked) in every_key {
        assert!(booked.len() <= 1, "user {u}'s key for every event booked {booked:?}");
    }
    for (e, id) in events.iter().enumerate() {
        let booked = reload(&store, *id).await.booked_seats;
        let mut ids: Vec<i64> =
            (0..users.len()).flat_map(|u| answers[&(u, e)].iter().filter_map(|a| a.as_ref().ok().copied())).collect();
        ids.sort_unstable();
        ids.dedup();
        assert!(booked <= 8, "event {e} oversold: {booked}");
        assert_eq!(u32::try_from(ids.len()).unwrap(), booked, "every booking answered is counted");
        assert_eq!(confirmed_seats(&store, *id, &users).await, booked);
    }
}
