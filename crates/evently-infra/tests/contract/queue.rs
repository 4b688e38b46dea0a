use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use evently_domain::booking::BookError;
use evently_domain::hold::HoldError;
use evently_domain::notification::NotificationKind;
use evently_domain::queue::{AdmissionTtl, AdmitRate, JoinQueueError, QueueSettings, QueueStatus, admissible};
use evently_domain::waitlist::JoinWaitlistError;
use evently_domain::{EventId, PageRequest, Store, UserId};

use crate::fixtures::{book, new_event, request, seats, users};

/// An event of `capacity` seats sold through a queue admitting `rate` a minute from
/// `on_sale_at` (`None`: at once).
async fn queued<S: Store>(store: &S, capacity: i64, rate: i64, on_sale_at: Option<chrono::DateTime<Utc>>) -> EventId {
    let queue = QueueSettings { admit_per_minute: AdmitRate::new(rate).unwrap(), admission_ttl: AdmissionTtl::DEFAULT };
    let new = evently_domain::event::NewEvent { queue: Some(queue), on_sale_at, ..new_event("On sale", capacity, 1) };
    store.create_event(new).await.unwrap().id
}

async fn status<S: Store>(store: &S, event: EventId, user: UserId) -> QueueStatus {
    store.find_queue_ticket(event, user).await.unwrap().unwrap().status
}

pub async fn one_ticket_per_user_and_only_for_queued_events<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let plain = crate::fixtures::event(&store, 5).await;
    assert!(matches!(store.join_queue(plain, users[0]).await, Err(JoinQueueError::NoQueue)));
    let id = queued(&store, 5, 60, Some(Utc::now() + TimeDelta::hours(1))).await;
    let first = store.join_queue(id, users[0]).await.unwrap();
    assert!(first.created);
    assert_eq!(first.ticket.status, QueueStatus::Waiting);
    let again = store.join_queue(id, users[0]).await.unwrap();
    assert_eq!((again.created, again.ticket.id), (false, first.ticket.id));
    let missing = EventId::new(id.get() + 100).unwrap();
    assert!(matches!(store.join_queue(missing, users[1]).await, Err(JoinQueueError::EventNotFound)));
    store.cancel_event(id).await.unwrap();
    assert!(matches!(store.join_queue(id, users[1]).await, Err(JoinQueueError::EventCancelled)));
}

pub async fn a_queued_event_sells_only_to_admitted_users<S: Store>(store: S) {
    let users = users(&store, 3).await;
    let later = queued(&store, 5, 60, Some(Utc::now() + TimeDelta::hours(1))).await;
    store.join_queue(later, users[0]).await.unwrap();
    store.advance_queues().await.unwrap();
    assert_eq!(status(&store, later, users[0]).await, QueueStatus::Waiting, "no admission before on_sale_at");
    assert!(matches!(book(&store, later, users[0], 1).await, Err(BookError::NotAdmitted)));
    let hold = evently_domain::hold::HoldRequest {
        event_id: later,
        user_id: users[0],
        pick: evently_domain::seating::SeatPick::count(seats(1)),
        tier: None,
        idempotency_key: None,
    };
    assert!(matches!(store.create_hold(hold).await, Err(HoldError::NotAdmitted)));
    assert!(matches!(store.join_waitlist(later, users[0], seats(1), None).await, Err(JoinWaitlistError::NotAdmitted)));

    // On sale now: the first ticket is admitted at once, the next one a minute later.
    let now = queued(&store, 5, 1, None).await;
    store.join_queue(now, users[1]).await.unwrap();
    store.join_queue(now, users[2]).await.unwrap();
    store.advance_queues().await.unwrap();
    let admitted = store.find_queue_ticket(now, users[1]).await.unwrap().unwrap();
    assert_eq!(admitted.status, QueueStatus::Admitted);
    let lasts = admitted.expires_at.unwrap() - admitted.admitted_at.unwrap();
    assert_eq!(lasts, TimeDelta::seconds(600));
    assert_eq!(status(&store, now, users[2]).await, QueueStatus::Waiting);
    book(&store, now, users[1], 2).await.unwrap();
    assert!(matches!(book(&store, now, users[2], 1).await, Err(BookError::NotAdmitted)));
    // A cancelled event answers that first.
    store.cancel_event(now).await.unwrap();
    assert!(matches!(book(&store, now, users[2], 1).await, Err(BookError::EventCancelled)));
}

pub async fn the_draw_shuffles_early_tickets_and_queues_late_ones_behind<S: Store>(store: S) {
    let users = users(&store, 30).await;
    let on_sale = Utc::now() + TimeDelta::milliseconds(1500);
    let id = queued(&store, 100, 1, Some(on_sale)).await;
    let (early, late) = users.split_at(24);
    for user in early {
        store.join_queue(id, *user).await.unwrap();
    }
    let before = store.waiting_order(id).await.unwrap().unwrap();
    assert!(!before.drawn, "no order before on_sale_at");
    tokio::time::sleep((on_sale - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50)).await;
    for user in late {
        store.join_queue(id, *user).await.unwrap();
    }
    store.advance_queues().await.unwrap();
    let order = store.waiting_order(id).await.unwrap().unwrap();
    assert!(order.drawn);
    let admitted = admitted_among(&store, id, early).await;
    assert_eq!(admitted.len(), 1, "one admitted at once at 1 a minute");
    let waiting: Vec<UserId> = order.waiting().collect();
    let drawn: Vec<UserId> = waiting[..23].to_vec();
    let mut all_early: Vec<UserId> = drawn.iter().chain(&admitted).copied().collect();
    all_early.sort();
    assert_eq!(all_early, early.to_vec(), "the draw is a permutation of the early tickets");
    assert_ne!(admitted.iter().chain(&drawn).copied().collect::<Vec<_>>(), early.to_vec(), "not the join order");
    assert_eq!(&waiting[23..], late, "late tickets behind, in arrival order");
    // Drawn once: later rounds keep the order.
    store.advance_queues().await.unwrap();
    let again: Vec<UserId> = store.waiting_order(id).await.unwrap().unwrap().waiting().collect();
    assert_eq!(again, waiting);
}

/// The users among `users` the queue admits.
async fn admitted_among<S: Store>(store: &S, event: EventId, users: &[UserId]) -> Vec<UserId> {
    let mut admitted = Vec::new();
    for user in users {
        if status(store, event, *user).await == QueueStatus::Admitted {
            admitted.push(*user);
        }
    }
    admitted
}

pub async fn admission_keeps_the_pace_and_admits_each_ticket_once<S: Store>(store: S) {
    let users = users(&store, 60).await;
    let rate = 600; // ten a second
    let id = queued(&store, 100, rate, None).await;
    for user in &users {
        store.join_queue(id, *user).await.unwrap();
    }
    let started = Utc::now();
    let mut seen = Vec::new();
    for _ in 0..12 {
        store.advance_queues().await.unwrap();
        let figures = store.queue_figures(id).await.unwrap().unwrap();
        seen.push((Utc::now() - started, figures.admitted));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rate = AdmitRate::new(rate).unwrap();
    for (elapsed, admitted) in &seen {
        // The queue began when it was set, a moment before `started`.
        let most = admissible(rate, *elapsed + TimeDelta::milliseconds(500));
        assert!(u64::from(*admitted) <= most, "{admitted} admitted after {elapsed}, at most {most}");
        let least = admissible(rate, *elapsed - TimeDelta::seconds(2)).saturating_sub(1);
        assert!(u64::from(*admitted) >= least.min(60), "{admitted} admitted after {elapsed}, at least {least}");
    }
    let admitted: HashSet<UserId> = admitted_among(&store, id, &users).await.into_iter().collect();
    assert_eq!(admitted.len() as u32, seen.last().unwrap().1, "each admission is one ticket");
}

pub async fn a_sell_out_closes_the_queue<S: Store>(store: S) {
    let users = users(&store, 4).await;
    let id = queued(&store, 2, 1, None).await;
    for user in &users {
        store.join_queue(id, *user).await.unwrap();
    }
    store.advance_queues().await.unwrap();
    let first = admitted_among(&store, id, &users).await[0];
    store.book(request(id, first, 2)).await.unwrap();
    store.advance_queues().await.unwrap();
    for user in users.iter().filter(|u| **u != first) {
        assert_eq!(status(&store, id, *user).await, QueueStatus::Closed);
        let told = store.list_notifications(*user, PageRequest::default()).await.unwrap().items;
        assert!(told.iter().any(|n| n.kind == NotificationKind::QueueClosed), "{told:?}");
    }
    assert_eq!(status(&store, id, first).await, QueueStatus::Admitted, "closing leaves admissions alone");
    let latecomer = crate::fixtures::user(&store, 99).await;
    assert!(matches!(store.join_queue(id, latecomer).await, Err(JoinQueueError::Closed)));
    let figures = store.queue_figures(id).await.unwrap().unwrap();
    assert_eq!((figures.waiting, figures.admitted, figures.closed), (0, 1, 3));
}
