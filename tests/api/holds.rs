use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, assert_invariants, count, on_both_stores, problem, stampede_of, tokens};

on_both_stores!(
    a_hold_is_made_read_confirmed_once_and_listed,
    invalid_holds_are_refused_and_change_nothing,
    an_expired_hold_reads_expired_and_the_server_settles_it,
    events_take_a_hold_time_and_a_promotion_mode,
);

/// An event of `capacity` seats whose holds last `ttl` seconds; its id.
async fn event(app: &TestApp, capacity: i64, ttl: i64) -> i64 {
    let body = json!({"name": "Recital", "venue": "Hall", "starts_at": "2027-04-01T19:00:00Z", "capacity": capacity,
        "hold_ttl_seconds": ttl});
    let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn hold(app: &TestApp, event: i64, token: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/events/{event}/holds"), Some(token), body).await
}

async fn a_hold_is_made_read_confirmed_once_and_listed(app: TestApp) {
    let id = event(&app, 10, 600).await;
    let (alice_id, alice) = app.user("alice@example.org").await;
    let (_, bob) = app.user("bob@example.org").await;
    let response = hold(&app, id, &alice, json!({"seats": 2})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let held: Value = response.json().await.unwrap();
    assert_eq!((&held["status"], &held["source"], &held["seats"]), (&json!("active"), &json!("direct"), &json!(2)));
    assert_eq!(
        (&held["user_id"], &held["seat_labels"], &held["booking_id"]),
        (&json!(alice_id), &Value::Null, &Value::Null)
    );
    assert_eq!(
        (&held["unit_price_cents"], &held["amount_cents"], &held["currency"]),
        (&json!(0), &json!(0), &json!("EUR"))
    );
    let event_read = app.event_json(id).await;
    assert_eq!((event_read["held_seats"].as_u64(), event_read["available_seats"].as_u64()), (Some(2), Some(8)));
    let path = format!("/api/v1/holds/{}", held["id"]);
    assert_eq!(app.get(&path, Some(&alice)).await.json::<Value>().await.unwrap(), held);
    problem(app.get(&path, Some(&bob)).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.get(&path, Some(&app.admin_token)).await.status(), StatusCode::OK);
    problem(app.get(&path, None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    problem(hold(&app, id, &alice, json!({})).await, StatusCode::CONFLICT, "already_holding").await;
    problem(app.book(id, &alice, 1).await, StatusCode::CONFLICT, "already_holding").await;
    let confirm = format!("{path}/confirm");
    // Only the holder confirms, admins included.
    problem(app.post(&confirm, Some(&app.admin_token), json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    let first = app.post(&confirm, Some(&alice), json!({"payment_reference": "pi_123"})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let booking: Value = first.json().await.unwrap();
    assert_eq!(
        (&booking["source"], &booking["payment_reference"], &booking["seats"]),
        (&json!("hold"), &json!("pi_123"), &json!(2))
    );
    let again = app.post(&confirm, Some(&alice), json!({})).await;
    assert_eq!(again.status(), StatusCode::OK, "a safe retry");
    assert_eq!(again.json::<Value>().await.unwrap(), booking);
    problem(app.send(Method::DELETE, &path, Some(&alice), json!({})).await, StatusCode::CONFLICT, "hold_not_active")
        .await;
    let mine: Value = app.get("/api/v1/users/me/holds?status=confirmed", Some(&alice)).await.json().await.unwrap();
    assert_eq!((&mine["total"], &mine["items"][0]["booking_id"]), (&json!(1), &booking["id"]));
    let none: Value = app.get("/api/v1/users/me/holds?status=active", Some(&alice)).await.json().await.unwrap();
    assert_eq!(none["total"], 0);
    problem(app.get("/api/v1/users/me/holds?status=lost", Some(&alice)).await, StatusCode::BAD_REQUEST, "bad_request")
        .await;
    // Release: the seats go back at once.
    let bobs: Value = hold(&app, id, &bob, json!({"seats": 3})).await.json().await.unwrap();
    let released = app.send(Method::DELETE, &format!("/api/v1/holds/{}", bobs["id"]), Some(&bob), json!({})).await;
    assert_eq!(released.status(), StatusCode::OK);
    assert_eq!(released.json::<Value>().await.unwrap()["status"], "released");
    let after = app.event_json(id).await;
    assert_eq!((after["booked_seats"].as_u64(), after["held_seats"].as_u64()), (Some(2), Some(0)));
    problem(
        app.post(&format!("/api/v1/holds/{}/confirm", bobs["id"]), Some(&bob), json!({})).await,
        StatusCode::CONFLICT,
        "hold_released",
    )
    .await;
    if let Some(db) = &app.db {
        assert_invariants(db.url()).await;
    }
}

async fn invalid_holds_are_refused_and_change_nothing(app: TestApp) {
    let id = event(&app, 5, 600).await;
    let (_, user) = app.user("fan@example.org").await;
    for (body, field) in [
        (json!({"seats": 0}), "seats"),
        (json!({"seats": 101}), "seats"),
        (json!({"tier_id": 424_242}), "tier_id"),
        (json!({"tier_id": -1}), "tier_id"),
        (json!({"seat_labels": ["A:1:1"]}), "seat_labels"),
    ] {
        let problem =
            problem(hold(&app, id, &user, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    problem(hold(&app, id, &user, json!({"seats": "two"})).await, StatusCode::BAD_REQUEST, "bad_request").await;
    problem(hold(&app, 999_999, &user, json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    let keyed = |seats: i64| {
        app.request(Method::POST, &format!("/api/v1/events/{id}/holds"), Some(&user))
            .header("Idempotency-Key", "hold-1")
            .json(&json!({"seats": seats}))
            .send()
    };
    let first: Value = keyed(1).await.unwrap().json().await.unwrap();
    let replay = keyed(1).await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], first["id"]);
    problem(keyed(2).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "idempotency_mismatch").await;
    let confirm = format!("/api/v1/holds/{}/confirm", first["id"]);
    for reference in [json!(""), json!("x".repeat(201))] {
        let refused = app.post(&confirm, Some(&user), json!({"payment_reference": reference})).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    problem(app.post("/api/v1/holds/0/confirm", Some(&user), json!({})).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    let read = app.event_json(id).await;
    assert_eq!((read["held_seats"].as_u64(), read["booked_seats"].as_u64()), (Some(1), Some(0)), "only the first hold");
    assert_eq!(
        app.send(Method::DELETE, &format!("/api/v1/events/{id}"), Some(&app.admin_token), json!({})).await.status(),
        StatusCode::OK
    );
    problem(hold(&app, id, &user, json!({})).await, StatusCode::CONFLICT, "event_cancelled").await;
    let released: Value = app.get(&format!("/api/v1/holds/{}", first["id"]), Some(&user)).await.json().await.unwrap();
    assert_eq!(released["status"], "released", "cancelling the event releases its holds");
}

async fn an_expired_hold_reads_expired_and_the_server_settles_it(app: TestApp) {
    let id = event(&app, 1, 5).await;
    let (_, holder) = app.user("holder@example.org").await;
    let (_, waiting) = app.user("waiting@example.org").await;
    let held: Value = hold(&app, id, &holder, json!({})).await.json().await.unwrap();
    let joined = app.post(&format!("/api/v1/events/{id}/waitlist"), Some(&waiting), json!({})).await;
    assert_eq!(joined.status(), StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let read: Value = app.get(&format!("/api/v1/holds/{}", held["id"]), Some(&holder)).await.json().await.unwrap();
    assert_eq!(read["status"], "expired", "reads expired before any sweep");
    // Nobody touches the event: the server's sweeper promotes the waiting user within 5 s.
    let started = Instant::now();
    loop {
        let mine: Value = app.get("/api/v1/users/me/bookings", Some(&waiting)).await.json().await.unwrap();
        if mine["total"] == 1 {
            assert_eq!(mine["items"][0]["source"], "waitlist");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "not promoted within 5 s of the expiry");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let confirm = app.post(&format!("/api/v1/holds/{}/confirm", held["id"]), Some(&holder), json!({})).await;
    problem(confirm, StatusCode::CONFLICT, "hold_expired").await;
    let told: Value = app.get("/api/v1/users/me/notifications", Some(&holder)).await.json().await.unwrap();
    assert_eq!((&told["items"][0]["kind"], &told["items"][0]["hold_id"]), (&json!("hold_expired"), &held["id"]));
    if let Some(db) = &app.db {
        assert_invariants(db.url()).await;
    }
}

async fn events_take_a_hold_time_and_a_promotion_mode(app: TestApp) {
    let body = json!({"name": "Offer", "venue": "Hall", "starts_at": "2027-04-01T19:00:00Z", "capacity": 1,
        "hold_ttl_seconds": 120, "waitlist_promotion": "offer"});
    let event: Value = app.post("/api/v1/events", Some(&app.admin_token), body.clone()).await.json().await.unwrap();
    assert_eq!((&event["hold_ttl_seconds"], &event["waitlist_promotion"]), (&json!(120), &json!("offer")));
    for (field, value) in
        [("hold_ttl_seconds", json!(4)), ("hold_ttl_seconds", json!(3601)), ("waitlist_promotion", json!("maybe"))]
    {
        let mut bad = body.clone();
        bad[field] = value;
        let refused = app.post("/api/v1/events", Some(&app.admin_token), bad).await;
        let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    let id = event["id"].as_i64().unwrap();
    let (_, first) = app.user("first@example.org").await;
    let (_, second) = app.user("second@example.org").await;
    let booking: Value = app.book(id, &first, 1).await.json().await.unwrap();
    app.post(&format!("/api/v1/events/{id}/waitlist"), Some(&second), json!({})).await;
    app.post(&format!("/api/v1/bookings/{}/cancel", booking["id"]), Some(&first), json!({})).await;
    let offers: Value = app.get("/api/v1/users/me/holds", Some(&second)).await.json().await.unwrap();
    assert_eq!((&offers["items"][0]["source"], &offers["items"][0]["status"]), (&json!("waitlist"), &json!("active")));
    let told: Value = app.get("/api/v1/users/me/notifications", Some(&second)).await.json().await.unwrap();
    assert_eq!(
        (&told["items"][0]["kind"], &told["items"][0]["hold_id"]),
        (&json!("waitlist_offer"), &offers["items"][0]["id"])
    );
    let entries: Value = app.get("/api/v1/users/me/waitlist", Some(&second)).await.json().await.unwrap();
    assert_eq!(
        (&entries["items"][0]["status"], &entries["items"][0]["hold_id"]),
        (&json!("promoted"), &offers["items"][0]["id"])
    );
    let patched = app
        .send(
            Method::PATCH,
            &format!("/api/v1/events/{id}"),
            Some(&app.admin_token),
            json!({"waitlist_promotion": "book", "hold_ttl_seconds": 30}),
        )
        .await;
    let patched: Value = patched.json().await.unwrap();
    assert_eq!((&patched["hold_ttl_seconds"], &patched["waitlist_promotion"]), (&json!(30), &json!("book")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_clients_stampeding_for_holds_never_oversell() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(100).await;
    let tokens = tokens(&app.client, &app.base, "fan", 1_000).await;
    let answers = stampede_of("holds", &app.client, std::slice::from_ref(&app.base), event, tokens, 64).await;
    let held = answers.iter().filter(|a| matches!(a, Answer::Booked(_))).count();
    let sold_out = answers.iter().filter(|a| **a == Answer::Refused("sold_out".into())).count();
    assert_eq!((held, sold_out), (100, 900), "every answer is 201 or sold_out");
    let active =
        count(&url, &format!("SELECT count(*) AS n FROM holds WHERE event_id = {event} AND status = 'active'")).await;
    assert_eq!(active, 100);
    assert_eq!(app.event_json(event).await["available_seats"], 0);
    assert_invariants(&url).await;
}
