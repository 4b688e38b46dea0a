use chrono::{Duration, Utc};
use evently_domain::analytics::StatsSort;
use evently_domain::{PageRequest, Store};

use crate::fixtures::{book, event, seats, users};

/// A fixture whose figures are known: three events, bookings, a cancellation, a
/// promotion, a waiting entry and a cancelled event.
pub async fn figures_match_a_known_fixture<S: Store>(store: S) {
    let users = users(&store, 6).await;
    let (a, b, c) = (event(&store, 10).await, event(&store, 4).await, event(&store, 5).await);
    book(&store, a, users[0], 5).await.unwrap();
    let cancelled = book(&store, a, users[1], 2).await.unwrap().booking;
    store.cancel_booking(cancelled.id).await.unwrap();
    book(&store, b, users[2], 4).await.unwrap();
    store.join_waitlist(b, users[3], seats(1), None).await.unwrap();
    store.join_waitlist(b, users[4], seats(2), None).await.unwrap();
    let first = book(&store, c, users[5], 1).await.unwrap();
    store.cancel_event(c).await.unwrap();
    let b_booking = store.list_user_bookings(users[2], None, PageRequest::default()).await.unwrap().items[0].id;
    store.cancel_booking(b_booking).await.unwrap(); // frees 4 in b: both waiting entries promoted (1 + 2)
    let _ = first;

    let now = Utc::now();
    let overview = store.overview(now).await.unwrap();
    // Confirmed: a(5), b(1 promoted), b(2 promoted). Cancelled: a(2), c(1 by the event), b(4).
    assert_eq!((overview.total_bookings, overview.cancelled_bookings), (3, 3));
    assert!((overview.cancellation_rate() - 0.5).abs() < 1e-9);
    assert_eq!((overview.seats_booked, overview.total_capacity), (8, 14), "scheduled events a and b");
    assert!((overview.utilization() - 8.0 / 14.0).abs() < 1e-9);
    assert_eq!((overview.waitlist_waiting, overview.waitlist_promotions), (0, 2));
    let top: Vec<_> = overview.top_events.iter().map(|t| (t.event_id, t.booked_seats, t.capacity)).collect();
    assert_eq!(top, vec![(a, 5, 10), (b, 3, 4)]);
    assert_eq!(overview.daily.len(), 30);
    let today = overview.daily.last().unwrap();
    assert_eq!((today.date, today.bookings, today.cancellations), (now.date_naive(), 6, 3));
    assert!(overview.daily[..29].iter().all(|d| d.bookings == 0 && d.cancellations == 0));
    assert_eq!(overview.daily[0].date, (now - Duration::days(29)).date_naive());
    // Seen from three days later, today's figures sit in the bucket of their own UTC date;
    // from thirty days later they have left the window.
    let later = store.overview(now + Duration::days(3)).await.unwrap();
    let day = later.daily.iter().position(|d| d.date == now.date_naive()).unwrap();
    assert_eq!((day, later.daily[day].bookings, later.daily[day].cancellations), (26, 6, 3));
    assert_eq!(later.daily.iter().map(|d| d.bookings).sum::<u64>(), 6);
    let month_later = store.overview(now + Duration::days(30)).await.unwrap();
    assert!(month_later.daily.iter().all(|d| d.bookings == 0 && d.cancellations == 0));
    assert_eq!(month_later.total_bookings, 3, "totals are not windowed");

    let by = |sort| {
        let store = store.clone();
        async move { store.event_stats(sort, PageRequest::default()).await.unwrap() }
    };
    let utilization = by(StatsSort::Utilization).await;
    assert_eq!(utilization.total, 3);
    let rows: Vec<_> =
        utilization.items.iter().map(|s| (s.event_id, s.booked_seats, s.waitlist_length, s.cancellations)).collect();
    assert_eq!(rows, vec![(b, 3, 0, 1), (a, 5, 0, 1), (c, 0, 0, 1)]);
    let booked: Vec<_> = by(StatsSort::BookedSeats).await.items.iter().map(|s| s.event_id).collect();
    assert_eq!(booked, vec![a, b, c]);
    let waiting: Vec<_> = by(StatsSort::WaitlistLength).await.items.iter().map(|s| s.event_id).collect();
    assert_eq!(waiting, vec![a, b, c], "all zero: ties by id");
}
