//! The checker on hand-made histories: a clean one passes, each planted anomaly is
//! reported.

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use serde_json::{Value, json};

use super::{Anomaly, check};
use crate::history::record::{Call, FaultWindow, Op, Outcome};
use crate::history::state::{
    BookingRow, EntryRow, EventRow, FinalState, HoldRow, KeyRow, MessageRow, RuleCount, TicketRow, TierRow,
};

const ADMIN: i64 = 1;
const EVENT: i64 = 7;
const TIER: i64 = 70;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap() + TimeDelta::milliseconds(ms)
}

fn call(user: i64, op: Op, start: i64, status: u16, body: Value) -> Call {
    let outcome = Outcome::Answered { status, body };
    let request = usize::try_from(start).unwrap();
    Call {
        client: 0,
        request,
        user,
        event: EVENT,
        op,
        base: "http://127.0.0.1:1".into(),
        start: at(start),
        end: at(start + 10),
        outcome,
    }
}

fn keyed(seats: i64, key: &str) -> Op {
    Op::Book { seats, key: Some(key.to_owned()), labels: None }
}

fn booking(id: i64, user: i64, seats: i32, status: &str, source: &str, created: i64) -> BookingRow {
    BookingRow {
        id,
        event_id: EVENT,
        user_id: user,
        seats,
        status: status.into(),
        source: source.into(),
        created_at: at(created),
        tier_id: TIER,
        seat_labels: None,
    }
}

fn message(id: i64, kind: &str, resource: &str, resource_id: i64) -> MessageRow {
    MessageRow { id, kind: kind.into(), resource: resource.into(), resource_id, delivered: true }
}

/// Adds the outbox message of a change and its receipt.
fn sent(state: &mut FinalState, kind: &str, resource: &str, resource_id: i64) {
    let id = i64::try_from(state.messages.len()).unwrap() + 1;
    state.messages.push(message(id, kind, resource, resource_id));
    state.received.insert(format!("msg_{id}"));
}

fn entry(id: i64, user: i64, seats: i32, status: &str, booking_id: Option<i64>, joined: i64) -> EntryRow {
    let status = status.into();
    EntryRow { id, event_id: EVENT, user_id: user, seats, status, booking_id, joined_at: at(joined), tier_id: TIER }
}

/// Event 7 (2 seats): user 10 books both, user 11 joins and leaves, user 12 joins, user
/// 10 cancels and user 12 is promoted; user 13 is refused; a keyed retry ends refused.
fn clean() -> (Vec<Call>, FinalState) {
    let confirmed = |id: i64, user: i64, seats: i64| json!({"id": id, "user_id": user, "event_id": EVENT, "seats": seats, "status": "confirmed", "source": "direct"});
    let waiting = |id: i64, user: i64, seats: i64| json!({"id": id, "user_id": user, "event_id": EVENT, "seats": seats, "status": "waiting"});
    let sold_out = json!({"status": 409, "code": "sold_out"});
    let mut retried = call(10, keyed(2, "k2"), 140, 0, Value::Null);
    retried.outcome = Outcome::Indeterminate("timeout".into());
    let history = vec![
        call(ADMIN, Op::Create { capacity: 2 }, 0, 201, json!({"id": EVENT})),
        call(10, keyed(2, "k1"), 20, 201, confirmed(100, 10, 2)),
        call(11, Op::Join { seats: 1 }, 40, 201, waiting(200, 11, 1)),
        call(11, Op::Leave, 60, 204, Value::Null),
        call(12, Op::Join { seats: 2 }, 80, 201, waiting(201, 12, 2)),
        call(10, Op::Cancel { booking: 100 }, 100, 200, json!({"id": 100, "user_id": 10, "status": "cancelled"})),
        call(13, Op::Book { seats: 1, key: None, labels: None }, 120, 409, sold_out.clone()),
        retried,
        Call { request: 140, ..call(10, keyed(2, "k2"), 160, 409, sold_out) },
    ];
    let state = FinalState {
        events: vec![EventRow {
            id: EVENT,
            capacity: 2,
            booked_seats: 2,
            max_seats_per_booking: 3,
            status: "scheduled".into(),
            seated: false,
            queued: false,
        }],
        tiers: vec![TierRow { id: TIER, event_id: EVENT, capacity: None }],
        bookings: vec![
            booking(100, 10, 2, "cancelled", "direct", 25),
            booking(101, 12, 2, "confirmed", "waitlist", 100),
        ],
        holds: Vec::new(),
        tickets: Vec::new(),
        messages: vec![
            message(1, "booking.confirmed", "booking", 100),
            message(2, "booking.cancelled", "booking", 100),
            message(3, "waitlist.promoted", "booking", 101),
        ],
        received: ["msg_1", "msg_2", "msg_3"].map(String::from).into(),
        entries: vec![entry(200, 11, 1, "left", None, 45), entry(201, 12, 2, "promoted", Some(101), 85)],
        keys: vec![KeyRow { user_id: 10, key: "k1".into(), event_id: EVENT, seats: 2, booking_id: Some(100) }],
        queue_tickets: Vec::new(),
        invariants: (0..10).map(|i| RuleCount { rule: format!("rule {i}"), violations: 0 }).collect(),
        deadlocks: 0,
    };
    (history, state)
}

fn rules(found: &[Anomaly]) -> Vec<&str> {
    found.iter().map(|a| a.rule.as_str()).collect()
}

#[test]
fn a_clean_history_has_no_anomaly() {
    let (history, state) = clean();
    assert_eq!(check(&history, &[], &state), []);
}

#[test]
fn a_lost_acknowledged_booking_is_reported() {
    let (history, mut state) = clean();
    state.bookings.retain(|b| b.id != 100);
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"acknowledged bookings are stored as answered, once"), "{found:#?}");
    assert!(rules(&found).contains(&"acknowledged cancellations stick"), "{found:#?}");
}

#[test]
fn a_promotion_after_a_204_leave_is_reported() {
    let (history, mut state) = clean();
    state.events[0].capacity = 3;
    state.events[0].booked_seats = 3;
    state.entries[0] = entry(200, 11, 1, "promoted", Some(102), 45);
    state.bookings.push(booking(102, 11, 1, "confirmed", "waitlist", 75));
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"no promotion after a 204 leave"), "{found:#?}");
    assert!(rules(&found).contains(&"a 204 leave takes the entry out for good"), "{found:#?}");
}

#[test]
fn a_promotion_racing_a_204_leave_is_reported() {
    // The promoting transaction began while the leave ran: only the count tells.
    let (mut history, mut state) = clean();
    history.push(call(ADMIN, Op::Resize { capacity: 3 }, 55, 200, json!({"id": EVENT, "capacity": 3})));
    (state.events[0].capacity, state.events[0].booked_seats) = (3, 3);
    state.entries[0] = entry(200, 11, 1, "promoted", Some(102), 45);
    state.bookings.push(booking(102, 11, 1, "confirmed", "waitlist", 55));
    sent(&mut state, "waitlist.promoted", "booking", 102);
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["a 204 leave takes the entry out for good"], "{found:#?}");
}

#[test]
fn a_500_is_reported() {
    let (mut history, state) = clean();
    history.push(call(13, Op::Join { seats: 1 }, 300, 500, json!({"status": 500, "code": "internal"})));
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["no 5xx but 503 unavailable"], "{found:#?}");
}

#[test]
fn a_503_needs_a_fault() {
    let (mut history, state) = clean();
    history.push(call(13, keyed(1, "k3"), 3_000, 503, json!({"status": 503, "code": "unavailable"})));
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["503 only while a dependency is down"], "{found:#?}");
    let fault = FaultWindow { what: "pg_terminate_backend".into(), start: at(0), end: at(1_000) };
    assert_eq!(check(&history, &[fault], &state), []);
}

#[test]
fn a_waiting_entry_that_fits_breaks_rule_4() {
    let (mut history, mut state) = clean();
    history.push(call(ADMIN, Op::Resize { capacity: 3 }, 300, 200, json!({"id": EVENT, "capacity": 3})));
    history.push(call(
        13,
        Op::Join { seats: 1 },
        200,
        201,
        json!({"id": 202, "user_id": 13, "event_id": EVENT, "seats": 1, "status": "waiting"}),
    ));
    state.events[0].capacity = 3;
    state.entries.push(entry(202, 13, 1, "waiting", None, 205));
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["rule 4: no waiting entry fits in the free seats"], "{found:#?}");
}

#[test]
fn a_refused_booking_that_took_effect_is_reported() {
    let (history, mut state) = clean();
    state.bookings.push(booking(103, 13, 1, "cancelled", "direct", 125));
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"refused bookings had no effect"), "{found:#?}");
}

#[test]
fn a_replay_with_another_booking_is_reported() {
    let (mut history, state) = clean();
    let other =
        json!({"id": 104, "user_id": 10, "event_id": EVENT, "seats": 2, "status": "confirmed", "source": "direct"});
    history.push(Call { request: 20, ..call(10, keyed(2, "k1"), 300, 201, other) });
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"a key answered 201 replays that answer"), "{found:#?}");
}

#[test]
fn a_booking_accepted_after_the_event_was_cancelled_is_reported() {
    let (mut history, mut state) = clean();
    history.push(call(ADMIN, Op::CancelEvent, 200, 200, json!({"id": EVENT, "status": "cancelled"})));
    let late =
        json!({"id": 105, "user_id": 14, "event_id": EVENT, "seats": 1, "status": "confirmed", "source": "direct"});
    history.push(call(14, Op::Book { seats: 1, key: None, labels: None }, 300, 201, late));
    // A keyed retry replaying a booking made before the cancellation is no violation.
    let replay = history[1].body().cloned().unwrap();
    history.push(Call { request: 20, ..call(10, keyed(2, "k1"), 400, 201, replay) });
    state.events[0].status = "cancelled".into();
    state.events[0].booked_seats = 0;
    state.bookings[1].status = "cancelled".into();
    state.bookings.push(booking(105, 14, 1, "cancelled", "direct", 305));
    sent(&mut state, "booking.cancelled", "booking", 101);
    sent(&mut state, "booking.confirmed", "booking", 105);
    sent(&mut state, "booking.cancelled", "booking", 105);
    sent(&mut state, "event.cancelled", "event", EVENT);
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["rule 5: a cancelled event accepts nothing"], "{found:#?}");
}

#[test]
fn a_deadlock_is_reported() {
    let (history, mut state) = clean();
    state.deadlocks = 2;
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["transactions never deadlock"], "{found:#?}");
}

/// `clean()` plus a third seat and user 14's hold 300 (1 seat, keyed), confirmed into
/// booking 103.
fn with_a_confirmed_hold() -> (Vec<Call>, FinalState) {
    let (mut history, mut state) = clean();
    history.push(call(ADMIN, Op::Resize { capacity: 3 }, 165, 200, json!({"id": EVENT, "capacity": 3})));
    (state.events[0].capacity, state.events[0].booked_seats) = (3, 3);
    let held = json!({"id": 300, "user_id": 14, "event_id": EVENT, "seats": 1, "status": "active", "source": "direct"});
    history.push(call(14, Op::Hold { seats: 1, key: Some("h1".into()), labels: None }, 170, 201, held));
    let booked = json!({"id": 103, "user_id": 14, "event_id": EVENT, "source": "hold"});
    history.push(call(14, Op::Confirm { hold: 300 }, 180, 201, booked));
    state.holds.push(HoldRow {
        id: 300,
        event_id: EVENT,
        user_id: 14,
        tier_id: TIER,
        seats: 1,
        status: "confirmed".into(),
        booking_id: Some(103),
        source: "direct".into(),
        seat_labels: None,
    });
    state.bookings.push(booking(103, 14, 1, "confirmed", "hold", 180));
    sent(&mut state, "booking.confirmed", "booking", 103);
    (history, state)
}

#[test]
fn a_confirmed_hold_checks_clean() {
    let (history, state) = with_a_confirmed_hold();
    assert_eq!(check(&history, &[], &state), []);
}

#[test]
fn a_lost_hold_or_confirmation_is_reported() {
    let (history, mut state) = with_a_confirmed_hold();
    state.bookings.retain(|b| b.id != 103);
    state.holds[0].status = "active".into();
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"a confirmed hold made exactly one booking of its seats"), "{found:#?}");
    state.holds.clear();
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"acknowledged holds are stored as answered"), "{found:#?}");
}

#[test]
fn an_unacknowledged_hold_is_reported() {
    let (history, mut state) = clean();
    state.holds.push(HoldRow {
        id: 301,
        event_id: EVENT,
        user_id: 13,
        tier_id: TIER,
        seats: 1,
        status: "released".into(),
        booking_id: None,
        source: "direct".into(),
        seat_labels: None,
    });
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["refused holds had no effect"], "{found:#?}");
}

/// `clean()` plus booking 101's two tickets: user 12 lists them, two gates scan ticket
/// 500 at once (one admits it), and the cancelled booking 100's ticket is refused.
fn with_scans() -> (Vec<Call>, FinalState) {
    let (mut history, mut state) = clean();
    let checked_in_at = "2027-01-15T08:00:00.123456Z";
    let listed = json!({"items": [{"id": 500}, {"id": 501}], "total": 2});
    history.push(call(12, Op::Tickets { booking: 101 }, 170, 200, listed));
    let admitted =
        json!({"ticket": {"id": 500, "status": "checked_in", "checked_in_at": checked_in_at}, "first_scan": true});
    history.push(call(ADMIN, Op::Scan { ticket: 500, offline: false }, 180, 200, admitted));
    let again = json!({"status": 409, "code": "already_checked_in", "checked_in_at": checked_in_at, "gate": "gate 1"});
    history.push(call(ADMIN, Op::Scan { ticket: 500, offline: false }, 181, 409, again));
    history.push(call(
        ADMIN,
        Op::Scan { ticket: 400, offline: false },
        190,
        409,
        json!({"status": 409, "code": "ticket_revoked"}),
    ));
    let ticket = |id: i64, booking_id: i64, status: &str, checked_in_at: Option<&str>| TicketRow {
        id,
        booking_id,
        status: status.into(),
        checked_in_at: checked_in_at.map(|t| t.parse().unwrap()),
    };
    state.tickets = vec![
        ticket(400, 100, "revoked", None),
        ticket(401, 100, "revoked", None),
        ticket(500, 101, "checked_in", Some(checked_in_at)),
        ticket(501, 101, "valid", None),
    ];
    sent(&mut state, "ticket.checked_in", "ticket", 500);
    (history, state)
}

#[test]
fn scans_check_clean() {
    let (history, state) = with_scans();
    assert_eq!(check(&history, &[], &state), []);
}

#[test]
fn a_ticket_admitted_twice_is_reported() {
    let (mut history, state) = with_scans();
    let mut twice = history[history.len() - 3].clone();
    twice.start = at(185);
    history.push(twice);
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["a ticket is admitted once"], "{found:#?}");
    // An offline upload that admits it again counts as well.
    let (mut history, state) = with_scans();
    let checked_in_at = "2027-01-15T08:00:00.123456Z";
    let upload = json!({"results": [{"code": "EVT1...", "outcome": "checked_in", "checked_in_at": checked_in_at}]});
    history.push(call(ADMIN, Op::Scan { ticket: 500, offline: true }, 185, 200, upload));
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["a ticket is admitted once"], "{found:#?}");
}

#[test]
fn scans_that_disagree_with_the_tickets_are_reported() {
    let (history, mut state) = with_scans();
    state.tickets[0].status = "checked_in".into();
    state.tickets[2].checked_in_at = None;
    state.tickets[2].status = "valid".into();
    state.messages.last_mut().unwrap().resource_id = 400;
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["a scan's answer agrees with the ticket's final state"; 3], "{found:#?}");
}

#[test]
fn a_booking_showing_the_wrong_number_of_tickets_is_reported() {
    let (mut history, state) = with_scans();
    history.push(call(12, Op::Tickets { booking: 101 }, 200, 200, json!({"items": [{"id": 500}], "total": 1})));
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["a booking shows a ticket per seat"], "{found:#?}");
}

#[test]
fn a_change_without_its_webhook_message_is_reported() {
    let (history, mut state) = with_a_confirmed_hold();
    state.messages.retain(|m| m.resource_id != 103);
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["one webhook message per committed change"], "{found:#?}");
    sent(&mut state, "booking.cancelled", "booking", 101);
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"no webhook message for a change that did not happen"), "{found:#?}");
}

#[test]
fn an_undelivered_webhook_message_is_reported() {
    let (history, mut state) = clean();
    state.received.remove("msg_2");
    state.messages[0].delivered = false;
    let found = check(&history, &[], &state);
    assert_eq!(rules(&found), ["every webhook message is delivered"; 2], "{found:#?}");
}

#[test]
fn seats_other_than_answered_or_named_are_reported() {
    let (mut history, mut state) = with_a_confirmed_hold();
    state.events[0].seated = true;
    let seats = |labels: &[&str]| Some(labels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>());
    // Make the clean history seated: every booking and hold names its seats.
    for booking in &mut state.bookings {
        booking.seat_labels = seats(&["Hall:1:1", "Hall:1:2"][..usize::try_from(booking.seats).unwrap()]);
    }
    state.holds[0].seat_labels = seats(&["Hall:1:1"]);
    for call in &mut history {
        if let Outcome::Answered { body, .. } = &mut call.outcome
            && let Some(id) = body["id"].as_i64()
        {
            let stored = match call.op {
                Op::Hold { .. } => state.holds.iter().find(|h| h.id == id).map(|h| h.seat_labels.clone()),
                Op::Book { .. } | Op::Confirm { .. } => {
                    state.bookings.iter().find(|b| b.id == id).map(|b| b.seat_labels.clone())
                }
                _ => None,
            };
            if let Some(stored) = stored {
                body["seats"] = json!(stored.as_ref().map(Vec::len));
                body["seat_labels"] = json!(stored);
            }
        }
    }
    assert_eq!(check(&history, &[], &state), [], "the seated history checks clean");
    let named = json!({"id": 104, "user_id": 15, "event_id": EVENT, "seats": 1, "status": "confirmed",
        "source": "direct", "seat_labels": ["Hall:1:3"]});
    let op = Op::Book { seats: 1, key: None, labels: seats(&["Hall:1:4"]) };
    history.push(call(15, op, 190, 201, named));
    let mut moved = booking(104, 15, 1, "confirmed", "direct", 190);
    moved.seat_labels = seats(&["Hall:1:2"]);
    state.bookings.push(moved);
    let found = check(&history, &[], &state);
    let seat_rules: Vec<_> = found.iter().filter(|a| a.rule == "seats are as answered and as named").collect();
    assert_eq!(seat_rules.len(), 1, "{found:#?}");
    assert!(seat_rules[0].detail.contains("stored seats") && seat_rules[0].detail.contains("named"), "{found:#?}");
}

#[test]
fn a_booking_of_a_queued_event_without_an_admission_is_reported() {
    let (history, mut state) = clean();
    state.events[0].queued = true;
    let found = check(&history, &[], &state);
    assert!(rules(&found).contains(&"only admitted users take a queued event's seats"), "{found:#?}");
    // Admitted before each direct booking and still current: clean.
    state.queue_tickets = state
        .bookings
        .iter()
        .map(|b| crate::history::state::QueueTicketRow {
            event_id: EVENT,
            user_id: b.user_id,
            admitted_at: Some(b.created_at - TimeDelta::seconds(1)),
            expires_at: Some(b.created_at + TimeDelta::minutes(10)),
        })
        .collect();
    assert_eq!(check(&history, &[], &state), []);
}
