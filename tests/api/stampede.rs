use std::time::Instant;

use crate::helpers::{Answer, TestApp, assert_invariants, count, stampede, tokens};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_clients_stampeding_through_http_never_oversell() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(100).await;
    let tokens = tokens(&app.client, &app.base, "fan", 1_000).await;
    let started = Instant::now();
    let answers = stampede(&app.client, std::slice::from_ref(&app.base), event, tokens, 64).await;
    let elapsed = started.elapsed();
    let booked = answers.iter().filter(|a| matches!(a, Answer::Booked(_))).count();
    let sold_out = answers.iter().filter(|a| **a == Answer::Refused("sold_out".into())).count();
    eprintln!(
        "stampede: {} attempts from 64 clients, {booked} confirmed, {sold_out} sold out, in {elapsed:?}",
        answers.len()
    );
    assert_eq!((booked, sold_out), (100, 900), "every answer is 201 or sold_out: {answers:?}");
    let confirmed =
        count(&url, &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event} AND status = 'confirmed'"))
            .await;
    assert_eq!(confirmed, 100);
    assert_eq!(count(&url, &format!("SELECT booked_seats::bigint AS n FROM events WHERE id = {event}")).await, 100);
    assert_invariants(&url).await;
}
