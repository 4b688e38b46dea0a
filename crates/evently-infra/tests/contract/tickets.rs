use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use evently_domain::booking::PaymentReference;
use evently_domain::hold::HoldRequest;
use evently_domain::seating::SeatPick;
use evently_domain::ticket::{CheckIn, CheckInError, Gate, RevocationCursor, ScanOutcome, Ticket, TicketStatus};
use evently_domain::{BookingId, EventId, PageRequest, Store, TicketId};

use crate::fixtures::{book, event, reload, seats, users};

async fn tickets<S: Store>(store: &S, booking: BookingId) -> Vec<Ticket> {
    store.booking_tickets(booking, PageRequest::default()).await.unwrap().unwrap().1.items
}

fn scan(ticket: TicketId, gate: Option<&str>, at: DateTime<Utc>) -> CheckIn {
    CheckIn { ticket, gate: gate.map(|g| Gate::new(g).unwrap()), at }
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).unwrap()
}

pub async fn every_confirmed_booking_has_a_ticket_per_seat<S: Store>(store: S) {
    let users = users(&store, 4).await;
    let id = event(&store, 6).await;
    let starts_at = reload(&store, id).await.starts_at;
    let direct = book(&store, id, users[0], 3).await.unwrap().booking;
    let issued = tickets(&store, direct.id).await;
    assert_eq!(issued.len(), 3);
    for ticket in &issued {
        assert_eq!((ticket.booking_id, ticket.holder, ticket.event_id), (direct.id, users[0], id));
        assert_eq!(
            (ticket.tier_id, ticket.status, ticket.seat_label.as_deref()),
            (direct.tier_id, TicketStatus::Valid, None)
        );
        assert_eq!(ticket.valid_until, starts_at + TimeDelta::days(1));
        assert_eq!(ticket.issued_at, whole_seconds(ticket.issued_at));
        assert!(ticket.issued_at <= Utc::now() && Utc::now() - ticket.issued_at < TimeDelta::seconds(60));
        assert_eq!(store.find_ticket(ticket.id).await.unwrap().as_ref(), Some(ticket));
    }
    assert!(issued.windows(2).all(|pair| pair[0].id < pair[1].id), "listed in id order");

    // A confirmed hold and a promotion from the waitlist issue tickets too.
    let request = HoldRequest {
        event_id: id,
        user_id: users[1],
        pick: SeatPick::count(seats(2)),
        tier: None,
        idempotency_key: None,
    };
    let hold = store.create_hold(request).await.unwrap().hold;
    let confirmed = store.confirm_hold(hold.id, users[1], Some(PaymentReference::new("pay-1").unwrap())).await.unwrap();
    assert_eq!(tickets(&store, confirmed.booking.id).await.len(), 2);
    store.join_waitlist(id, users[2], seats(2), None).await.unwrap();
    store.cancel_booking(confirmed.booking.id).await.unwrap();
    let entry = store.list_user_entries(users[2], PageRequest::default()).await.unwrap().items.remove(0);
    let promoted = tickets(&store, entry.booking_id.unwrap()).await;
    assert_eq!(promoted.iter().map(|t| t.status).collect::<Vec<_>>(), [TicketStatus::Valid; 2]);

    assert!(store.booking_tickets(BookingId::new(9_999).unwrap(), PageRequest::default()).await.unwrap().is_none());
}

pub async fn cancelling_revokes_tickets_not_checked_in_and_feeds_them_in_order<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 10).await;
    let first = book(&store, id, users[0], 2).await.unwrap().booking;
    let second = book(&store, id, users[1], 1).await.unwrap().booking;
    let [entered, left] = <[Ticket; 2]>::try_from(tickets(&store, first.id).await).unwrap();
    store.check_in(id, scan(entered.id, Some("North"), Utc::now())).await.unwrap();

    let start = store.revocations(id, RevocationCursor::default(), 100).await.unwrap().unwrap();
    assert_eq!((start.items.len(), start.cursor), (0, RevocationCursor::default()));

    store.cancel_booking(first.id).await.unwrap();
    let after_cancel = tickets(&store, first.id).await;
    assert_eq!(
        after_cancel.iter().map(|t| t.status).collect::<Vec<_>>(),
        [TicketStatus::CheckedIn, TicketStatus::Revoked]
    );
    let feed = store.revocations(id, start.cursor, 100).await.unwrap().unwrap();
    assert_eq!(feed.items.iter().map(|r| r.ticket_id).collect::<Vec<_>>(), [left.id]);
    let unchanged = store.revocations(id, feed.cursor, 100).await.unwrap().unwrap();
    assert_eq!((unchanged.items.len(), unchanged.cursor), (0, feed.cursor));

    // Another event's revocations stay out of this feed.
    let other = event(&store, 5).await;
    let elsewhere = book(&store, other, users[0], 1).await.unwrap().booking;
    store.cancel_booking(elsewhere.id).await.unwrap();

    store.cancel_event(id).await.unwrap();
    let newer = store.revocations(id, feed.cursor, 100).await.unwrap().unwrap();
    let second_ticket = tickets(&store, second.id).await.remove(0);
    assert_eq!(newer.items.iter().map(|r| r.ticket_id).collect::<Vec<_>>(), [second_ticket.id]);
    assert!(newer.cursor > feed.cursor);
    let everything = store.revocations(id, RevocationCursor::default(), 100).await.unwrap().unwrap();
    assert_eq!(everything.items.iter().map(|r| r.ticket_id).collect::<Vec<_>>(), [left.id, second_ticket.id]);
    let one = store.revocations(id, RevocationCursor::default(), 1).await.unwrap().unwrap();
    assert_eq!((one.items.len(), one.cursor), (1, feed.cursor));
    // The checked-in ticket stays checked in through the event's cancellation.
    assert_eq!(store.find_ticket(entered.id).await.unwrap().unwrap().status, TicketStatus::CheckedIn);
    assert!(store.revocations(EventId::new(9_999).unwrap(), RevocationCursor::default(), 10).await.unwrap().is_none());
}

pub async fn a_ticket_checks_in_once<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    let other = event(&store, 10).await;
    let booking = book(&store, id, users[0], 2).await.unwrap().booking;
    let [ticket, revoked] = <[Ticket; 2]>::try_from(tickets(&store, booking.id).await).unwrap();
    let now = whole_seconds(Utc::now());
    assert!(matches!(store.check_in(other, scan(ticket.id, None, now)).await, Err(CheckInError::UnknownTicket)));
    let checked = store.check_in(id, scan(ticket.id, Some("South"), now)).await.unwrap();
    assert_eq!((checked.status, checked.checked_in_at), (TicketStatus::CheckedIn, Some(now)));
    assert_eq!(checked.gate.as_ref().map(Gate::as_str), Some("South"));
    let again = store.check_in(id, scan(ticket.id, Some("North"), now + TimeDelta::seconds(5))).await;
    assert!(
        matches!(&again, Err(CheckInError::AlreadyCheckedIn { at, gate }) if *at == now && gate.as_ref().map(Gate::as_str) == Some("South")),
        "{again:?}"
    );
    store.cancel_booking(booking.id).await.unwrap();
    assert!(matches!(store.check_in(id, scan(revoked.id, None, now)).await, Err(CheckInError::Revoked)));
    let stats = store.check_in_stats(id).await.unwrap().unwrap();
    assert_eq!((stats.tickets_valid, stats.checked_in, stats.revoked), (0, 1, 1));
}

pub async fn batches_resolve_by_the_earliest_scan<S: Store>(store: S) {
    let users = users(&store, 2).await;
    let id = event(&store, 10).await;
    let booking = book(&store, id, users[0], 3).await.unwrap().booking;
    let cancelled = book(&store, id, users[1], 1).await.unwrap().booking;
    let [a, b, c] = <[Ticket; 3]>::try_from(tickets(&store, booking.id).await).unwrap();
    let gone = tickets(&store, cancelled.id).await.remove(0);
    store.cancel_booking(cancelled.id).await.unwrap();
    let t0 = whole_seconds(Utc::now()) - TimeDelta::minutes(30);
    let minutes = |m| t0 + TimeDelta::minutes(m);
    store.check_in(id, scan(c.id, Some("North"), minutes(20))).await.unwrap();

    let upload = vec![
        scan(a.id, Some("North"), minutes(9)),
        scan(a.id, Some("South"), minutes(3)),
        scan(b.id, None, minutes(5)),
        scan(c.id, Some("South"), minutes(1)),
        scan(gone.id, Some("South"), minutes(2)),
        scan(TicketId::new(9_999).unwrap(), None, minutes(2)),
    ];
    let results = store.check_in_batch(id, upload).await.unwrap().unwrap();
    let outcomes: Vec<_> = results.iter().map(|r| (r.outcome, r.checked_in_at)).collect();
    assert_eq!(
        outcomes,
        [
            (ScanOutcome::AlreadyCheckedIn, Some(minutes(3))),
            (ScanOutcome::CheckedIn, Some(minutes(3))),
            (ScanOutcome::CheckedIn, Some(minutes(5))),
            (ScanOutcome::AlreadyCheckedIn, Some(minutes(20))),
            (ScanOutcome::Revoked, None),
            (ScanOutcome::Invalid, None),
        ]
    );
    let a = store.find_ticket(a.id).await.unwrap().unwrap();
    assert_eq!((a.checked_in_at, a.gate.as_ref().map(Gate::as_str)), (Some(minutes(3)), Some("South")));

    // A later upload cannot move a check-in.
    let later = store.check_in_batch(id, vec![scan(b.id, Some("East"), minutes(0))]).await.unwrap().unwrap();
    assert_eq!((later[0].outcome, later[0].checked_in_at), (ScanOutcome::AlreadyCheckedIn, Some(minutes(5))));

    let stats = store.check_in_stats(id).await.unwrap().unwrap();
    assert_eq!((stats.tickets_valid, stats.checked_in, stats.revoked), (0, 3, 1));
    let by_gate: Vec<_> =
        stats.by_gate.iter().map(|g| (g.gate.as_ref().map(|g| g.as_str().to_owned()), g.checked_in)).collect();
    assert_eq!(by_gate, [(Some("North".to_owned()), 1), (Some("South".to_owned()), 1), (None, 1)]);
    assert!(store.check_in_batch(EventId::new(9_999).unwrap(), Vec::new()).await.unwrap().is_none());
    assert!(store.check_in_stats(EventId::new(9_999).unwrap()).await.unwrap().is_none());
}

pub async fn racing_scans_check_a_ticket_in_once<S: Store>(store: S) {
    let users = users(&store, 1).await;
    let id = event(&store, 10).await;
    let booking = book(&store, id, users[0], 2).await.unwrap().booking;
    let [single, batched] = <[Ticket; 2]>::try_from(tickets(&store, booking.id).await).unwrap();
    let store = Arc::new(store);
    let now = Utc::now();
    // Half the scanners scan one ticket online; the other half upload it with a second
    // ticket. Each ticket must be checked in by exactly one scan.
    let scans: Vec<_> = (0..64)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                if n % 2 == 0 {
                    let gate = format!("gate {n}");
                    (store.check_in(id, scan(single.id, Some(&gate), now)).await.is_ok(), false)
                } else {
                    let upload = vec![scan(single.id, None, now), scan(batched.id, None, now)];
                    let results = store.check_in_batch(id, upload).await.unwrap().unwrap();
                    (results[0].outcome == ScanOutcome::CheckedIn, results[1].outcome == ScanOutcome::CheckedIn)
                }
            })
        })
        .collect();
    let (mut singles, mut batches) = (0, 0);
    for task in scans {
        let (single_first, batched_first) = task.await.unwrap();
        singles += usize::from(single_first);
        batches += usize::from(batched_first);
    }
    assert_eq!((singles, batches), (1, 1));
    let stats = store.check_in_stats(id).await.unwrap().unwrap();
    assert_eq!((stats.checked_in, stats.tickets_valid), (2, 0));
}
