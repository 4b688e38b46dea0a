use chrono::{TimeZone, Utc};
use evently_domain::booking::CancelBookingError;
use evently_domain::event::{
    CancelEventError, EventFilter, EventName, EventPatch, SearchText, UpdateEventError, Venue,
};
use evently_domain::inventory::BookingStatus;
use evently_domain::inventory::{Capacity, EventStatus};
use evently_domain::notification::NotificationKind;
use evently_domain::waitlist::WaitlistStatus;
use evently_domain::{PageRequest, Store};

use crate::fixtures::{book, event, new_event, reload, seats, users};

pub async fn events_are_created_found_and_listed_in_order<S: Store>(store: S) {
    let late = store.create_event(new_event("Late", 10, 20)).await.unwrap();
    let early = store.create_event(new_event("Early", 10, 5)).await.unwrap();
    assert_eq!(late.booked_seats, 0);
    assert_eq!(late.available_seats(), 10);
    assert_eq!(late.status, EventStatus::Scheduled);
    assert_eq!(reload(&store, late.id).await, late);
    let page = store.list_events(EventFilter::default(), PageRequest::default()).await.unwrap();
    assert_eq!(page.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![early.id, late.id]);
    assert_eq!(page.total, 2);
    let second = store.list_events(EventFilter::default(), PageRequest::new(1, 1).unwrap()).await.unwrap();
    assert_eq!((second.items[0].id, second.total), (late.id, 2));
}

pub async fn listing_filters_by_status_time_and_text<S: Store>(store: S) {
    let rust = store.create_event(new_event("RustConf 100%", 10, 3)).await.unwrap();
    let mut jazz = new_event("Jazz night", 10, 10);
    jazz.venue = Venue::new("Blue_Note Club").unwrap();
    let jazz = store.create_event(jazz).await.unwrap();
    let gone = store.create_event(new_event("Gone", 10, 15)).await.unwrap();
    store.cancel_event(gone.id).await.unwrap();
    let list = |filter: EventFilter| {
        let store = store.clone();
        async move {
            let page = store.list_events(filter, PageRequest::default()).await.unwrap();
            page.items.into_iter().map(|e| e.id).collect::<Vec<_>>()
        }
    };
    let scheduled = EventFilter { status: Some(EventStatus::Scheduled), ..EventFilter::default() };
    assert_eq!(list(scheduled.clone()).await, vec![rust.id, jazz.id]);
    assert_eq!(list(EventFilter::default()).await, vec![rust.id, jazz.id, gone.id]);
    let cancelled = EventFilter { status: Some(EventStatus::Cancelled), ..EventFilter::default() };
    assert_eq!(list(cancelled).await, vec![gone.id]);
    let window = EventFilter {
        from: Some(Utc.with_ymd_and_hms(2027, 3, 10, 19, 30, 0).unwrap()),
        to: Some(Utc.with_ymd_and_hms(2027, 3, 15, 19, 30, 0).unwrap()),
        ..EventFilter::default()
    };
    assert_eq!(list(window).await, vec![jazz.id, gone.id]);
    let text = |q: &str| EventFilter { query: Some(SearchText::new(q).unwrap()), ..scheduled.clone() };
    assert_eq!(list(text("blue_note")).await, vec![jazz.id]);
    assert_eq!(list(text("JAZZ")).await, vec![jazz.id]);
    assert_eq!(list(text("100%")).await, vec![rust.id]);
    assert_eq!(list(text("_")).await, vec![jazz.id]);
    assert!(list(text("opera")).await.is_empty());
}

pub async fn capacity_cannot_drop_below_booked_seats<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    book(&store, id, users[0], 6).await.unwrap();
    let lower = EventPatch { capacity: Some(Capacity::new(5).unwrap()), ..EventPatch::default() };
    assert!(matches!(
        store.update_event(id, lower).await,
        Err(UpdateEventError::CapacityBelowBooked { capacity: 5, booked: 6 })
    ));
    let exact = EventPatch {
        capacity: Some(Capacity::new(6).unwrap()),
        name: Some(EventName::new("Renamed").unwrap()),
        ..EventPatch::default()
    };
    let updated = store.update_event(id, exact).await.unwrap();
    assert_eq!((updated.capacity.get(), updated.available_seats(), updated.name.as_str()), (6, 0, "Renamed"));
    assert!(updated.updated_at >= updated.created_at);
}

pub async fn raising_capacity_promotes_waiting_entries<S: Store>(store: S) {
    let users = users(&store, 4).await;
    let id = event(&store, 4).await;
    book(&store, id, users[0], 4).await.unwrap();
    store.join_waitlist(id, users[1], seats(3), None).await.unwrap();
    store.join_waitlist(id, users[2], seats(1), None).await.unwrap();
    store.join_waitlist(id, users[3], seats(2), None).await.unwrap();
    let raise = EventPatch { capacity: Some(Capacity::new(7).unwrap()), ..EventPatch::default() };
    let raised = store.update_event(id, raise).await.unwrap();
    // 3 fit, then 1 does not... 3 free: the 3-seat entry takes them all.
    assert_eq!((raised.booked_seats, raised.waitlist_length), (7, 2));
    let promoted = store.list_user_entries(users[1], PageRequest::default()).await.unwrap();
    assert_eq!(promoted.items[0].status, WaitlistStatus::Promoted);
    let booking = promoted.items[0].booking_id.unwrap();
    let booking = store.find_booking(booking).await.unwrap().unwrap();
    assert_eq!((booking.seats.get(), booking.status), (3, BookingStatus::Confirmed));
    let raise = EventPatch { capacity: Some(Capacity::new(8).unwrap()), ..EventPatch::default() };
    let raised = store.update_event(id, raise).await.unwrap();
    assert_eq!((raised.booked_seats, raised.waitlist_length), (8, 1), "first fit: the 1-seat entry");
    let inbox = store.list_notifications(users[2], PageRequest::default()).await.unwrap();
    assert_eq!(inbox.items[0].kind, NotificationKind::WaitlistPromoted);
}

pub async fn cancelling_an_event_cancels_everything_and_tells_everyone<S: Store>(store: S) {
    let users = users(&store, 3).await;
    let id = event(&store, 2).await;
    let booking = book(&store, id, users[0], 2).await.unwrap().booking;
    store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    let cancelled = store.cancel_event(id).await.unwrap();
    assert_eq!(cancelled.status, EventStatus::Cancelled);
    assert_eq!((cancelled.booked_seats, cancelled.waitlist_length), (0, 0));
    let booking = store.find_booking(booking.id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Cancelled);
    assert!(booking.cancelled_at.is_some());
    let entries = store.list_user_entries(users[1], PageRequest::default()).await.unwrap();
    assert_eq!(entries.items[0].status, WaitlistStatus::Cancelled);
    assert_eq!(entries.items[0].position, None);
    for user in &users[..2] {
        let inbox = store.list_notifications(*user, PageRequest::default()).await.unwrap();
        assert_eq!(inbox.items.iter().map(|n| n.kind).collect::<Vec<_>>(), vec![NotificationKind::EventCancelled]);
    }
    assert_eq!(store.list_notifications(users[2], PageRequest::default()).await.unwrap().total, 0);
    assert!(matches!(store.cancel_event(id).await, Err(CancelEventError::EventCancelled)));
    let edit = EventPatch { name: Some(EventName::new("Back").unwrap()), ..EventPatch::default() };
    assert!(matches!(store.update_event(id, edit).await, Err(UpdateEventError::EventCancelled)));
    assert!(matches!(store.cancel_booking(booking.id).await, Err(CancelBookingError::EventCancelled)));
}

pub async fn details_changes_are_announced<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 1).await;
    book(&store, id, users[0], 1).await.unwrap();
    store.join_waitlist(id, users[1], seats(1), None).await.unwrap();
    let capacity_only = EventPatch { capacity: Some(Capacity::new(1).unwrap()), ..EventPatch::default() };
    store.update_event(id, capacity_only).await.unwrap();
    assert_eq!(store.list_notifications(users[0], PageRequest::default()).await.unwrap().total, 0);
    let moved =
        EventPatch { starts_at: Some(Utc.with_ymd_and_hms(2027, 4, 1, 20, 0, 0).unwrap()), ..EventPatch::default() };
    store.update_event(id, moved).await.unwrap();
    for user in users {
        let inbox = store.list_notifications(user, PageRequest::default()).await.unwrap();
        assert_eq!(inbox.items.iter().map(|n| n.kind).collect::<Vec<_>>(), vec![NotificationKind::EventChanged]);
    }
}
