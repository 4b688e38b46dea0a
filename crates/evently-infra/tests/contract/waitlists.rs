use evently_domain::booking::{BookError, BookingSource};
use evently_domain::inventory::BookingStatus;
use evently_domain::notification::NotificationKind;
use evently_domain::waitlist::{JoinWaitlistError, LeaveWaitlistError, WaitlistStatus};
use evently_domain::{PageRequest, Store};

use crate::fixtures::{book, event, pages_agree_with_their_totals_until, reload, seats, users};

pub async fn joining_needs_a_full_event_and_keeps_order<S: Store>(store: S) {
    let users = users(&store, 4).await;
    let id = event(&store, 3).await;
    book(&store, id, users[0], 2).await.unwrap();
    assert!(matches!(
        store.join_waitlist(id, users[1], seats(1), None).await,
        Err(JoinWaitlistError::EventNotFull { available: 1 })
    ));
    let first = store.join_waitlist(id, users[1], seats(2), None).await.unwrap();
    assert_eq!((first.status, first.position, first.booking_id), (WaitlistStatus::Waiting, Some(1), None));
    let second = store.join_waitlist(id, users[2], seats(3), None).await.unwrap();
    assert_eq!(second.position, Some(2));
    assert!(matches!(
        store.join_waitlist(id, users[2], seats(3), None).await,
        Err(JoinWaitlistError::AlreadyWaitlisted)
    ));
    assert!(matches!(store.join_waitlist(id, users[0], seats(2), None).await, Err(JoinWaitlistError::AlreadyBooked)));
    let standing = store.find_standing(id, users[2]).await.unwrap().unwrap();
    assert_eq!((standing.entry.position, standing.total_waiting), (Some(2), 2));
    assert!(store.find_standing(id, users[3]).await.unwrap().is_none());
    let queue = store.list_queue(id, PageRequest::default()).await.unwrap();
    assert_eq!(queue.items.iter().map(|e| e.user_id).collect::<Vec<_>>(), vec![users[1], users[2]]);
    assert_eq!(queue.items.iter().map(|e| e.position).collect::<Vec<_>>(), vec![Some(1), Some(2)]);
    assert_eq!(reload(&store, id).await.waitlist_length, 2);
}

pub async fn cancellation_promotes_first_fit_and_notifies<S: Store>(store: S) {
    let users = users(&store, 5).await;
    let id = event(&store, 5).await;
    let big = book(&store, id, users[0], 3).await.unwrap().booking;
    book(&store, id, users[1], 2).await.unwrap();
    store.join_waitlist(id, users[2], seats(4), None).await.unwrap();
    store.join_waitlist(id, users[3], seats(2), None).await.unwrap();
    store.join_waitlist(id, users[4], seats(1), None).await.unwrap();
    store.cancel_booking(big.id).await.unwrap();
    // 3 free: 4 does not fit, 2 does, then 1 does.
    let event = reload(&store, id).await;
    assert_eq!((event.booked_seats, event.waitlist_length), (5, 1));
    for (user, promoted) in [(users[2], false), (users[3], true), (users[4], true)] {
        let entries = store.list_user_entries(user, PageRequest::default()).await.unwrap();
        let entry = &entries.items[0];
        assert_eq!(entry.status == WaitlistStatus::Promoted, promoted);
        if promoted {
            let booking = store.find_booking(entry.booking_id.unwrap()).await.unwrap().unwrap();
            assert_eq!(
                (booking.source, booking.status, booking.user_id),
                (BookingSource::Waitlist, BookingStatus::Confirmed, user)
            );
            let inbox = store.list_notifications(user, PageRequest::default()).await.unwrap();
            assert_eq!(inbox.items[0].kind, NotificationKind::WaitlistPromoted);
            assert_eq!(inbox.items[0].booking_id, Some(booking.id));
        } else {
            assert_eq!(entry.position, Some(1));
        }
    }
}

pub async fn leaving_and_rejoining_goes_to_the_back<S: Store>(store: S) {
    let users = users(&store, 3).await;
    let id = event(&store, 1).await;
    book(&store, id, users[0], 1).await.unwrap();
    store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    store.join_waitlist(id, users[2], seats(1), None).await.unwrap();
    store.leave_waitlist(id, users[1]).await.unwrap();
    assert!(matches!(store.leave_waitlist(id, users[1]).await, Err(LeaveWaitlistError::NotWaiting)));
    assert_eq!(store.find_standing(id, users[2]).await.unwrap().unwrap().entry.position, Some(1));
    let back = store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    assert_eq!(back.position, Some(2));
    let mine = store.list_user_entries(users[1], PageRequest::default()).await.unwrap();
    assert_eq!(
        mine.items.iter().map(|e| e.status).collect::<Vec<_>>(),
        vec![WaitlistStatus::Waiting, WaitlistStatus::Left]
    );
}

pub async fn waiting_users_cannot_book_directly<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 2).await;
    book(&store, id, users[0], 2).await.unwrap();
    store.join_waitlist(id, users[1], seats(2), None).await.unwrap();
    assert!(matches!(book(&store, id, users[1], 1).await, Err(BookError::AlreadyWaitlisted)));
}

/// A page of an event's queue and its total come from one read: users joining and
/// leaving between two statements would show a total its items contradict.
pub async fn a_page_of_the_queue_agrees_with_its_total_while_it_changes<S: Store>(store: S) {
    let users = users(&store, 5).await;
    let id = event(&store, 1).await;
    book(&store, id, users[0], 1).await.unwrap();
    let store = std::sync::Arc::new(store);
    let writer = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move {
            for _ in 0..10 {
                for user in &users[1..] {
                    store.join_waitlist(id, *user, seats(1), None).await.unwrap();
                }
                for user in &users[1..] {
                    store.leave_waitlist(id, *user).await.unwrap();
                }
            }
        })
    };
    pages_agree_with_their_totals_until(writer, || async {
        store.list_queue(id, PageRequest::default()).await.unwrap()
    })
    .await;
}
