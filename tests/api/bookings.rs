use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores, problem};

on_both_stores!(
    booking_and_cancelling_follow_the_rules,
    bookings_are_private_to_their_owner_and_admins,
    idempotency_keys_replay_the_first_answer,
);

async fn booking_and_cancelling_follow_the_rules(app: TestApp) {
    let event = app.event(3).await;
    let (user_id, ada) = app.user("ada@example.org").await;
    let (_, bob) = app.user("bob@example.org").await;
    // No body at all books one seat.
    let response =
        app.request(Method::POST, &format!("/api/v1/events/{event}/bookings"), Some(&ada)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let booking: Value = response.json().await.unwrap();
    assert_eq!(
        (booking["seats"].as_u64(), booking["user_id"].as_i64(), booking["event_id"].as_i64()),
        (Some(1), Some(user_id), Some(event))
    );
    assert_eq!((booking["status"].as_str(), booking["source"].as_str()), (Some("confirmed"), Some("direct")));
    assert!(booking["cancelled_at"].is_null());
    problem(app.book(event, &ada, 1).await, StatusCode::CONFLICT, "already_booked").await;
    problem(app.book(event, &bob, 3).await, StatusCode::CONFLICT, "sold_out").await;
    problem(app.book(event, &bob, 0).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    problem(app.book(event, &bob, 11).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    problem(app.book(999, &bob, 1).await, StatusCode::NOT_FOUND, "not_found").await;
    problem(
        app.post(&format!("/api/v1/events/{event}/bookings"), Some(&bob), json!({"seats": "2"})).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_eq!(app.event_json(event).await["booked_seats"], 1, "refusals change nothing");
    let cancel = format!("/api/v1/bookings/{}/cancel", booking["id"]);
    let cancelled: Value = app.post(&cancel, Some(&ada), json!({})).await.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    problem(app.post(&cancel, Some(&ada), json!({})).await, StatusCode::CONFLICT, "already_cancelled").await;
    assert_eq!(app.event_json(event).await["available_seats"], 3);
    let mine: Value = app.get("/api/v1/users/me/bookings?status=cancelled", Some(&ada)).await.json().await.unwrap();
    assert_eq!(mine["total"], 1);
    let confirmed: Value =
        app.get("/api/v1/users/me/bookings?status=confirmed", Some(&ada)).await.json().await.unwrap();
    assert_eq!(confirmed["total"], 0);
    problem(
        app.get("/api/v1/users/me/bookings?status=maybe", Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
}

async fn bookings_are_private_to_their_owner_and_admins(app: TestApp) {
    let event = app.event(5).await;
    let (_, ada) = app.user("ada@example.org").await;
    let (_, eve) = app.user("eve@example.org").await;
    let booking: Value = app.book(event, &ada, 2).await.json().await.unwrap();
    let path = format!("/api/v1/bookings/{}", booking["id"]);
    assert_eq!(app.get(&path, Some(&ada)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&path, Some(&app.admin_token)).await.status(), StatusCode::OK);
    problem(app.get(&path, Some(&eve)).await, StatusCode::NOT_FOUND, "not_found").await;
    problem(app.post(&format!("{path}/cancel"), Some(&eve), json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    let by_admin = app.post(&format!("{path}/cancel"), Some(&app.admin_token), json!({})).await;
    assert_eq!(by_admin.status(), StatusCode::OK);
    let inbox: Value = app.get("/api/v1/users/me/notifications", Some(&ada)).await.json().await.unwrap();
    assert_eq!(inbox["items"][0]["kind"], "booking_cancelled");
    problem(app.get("/api/v1/bookings/0", Some(&ada)).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn idempotency_keys_replay_the_first_answer(app: TestApp) {
    let event = app.event(10).await;
    let other = app.event(10).await;
    let (_, ada) = app.user("ada@example.org").await;
    let keyed = |event: i64, seats: i64, key: &str| {
        app.request(Method::POST, &format!("/api/v1/events/{event}/bookings"), Some(&ada))
            .header("Idempotency-Key", key)
            .json(&json!({"seats": seats}))
            .send()
    };
    let first = keyed(event, 2, "order-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = keyed(event, 2, "order-1").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.event_json(event).await["booked_seats"], 2);
    problem(keyed(event, 3, "order-1").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "idempotency_mismatch").await;
    problem(keyed(other, 2, "order-1").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "idempotency_mismatch").await;
    problem(keyed(event, 2, "bad key").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    app.post(&format!("/api/v1/bookings/{}/cancel", first["id"]), Some(&ada), json!({})).await;
    let replay: Value = keyed(event, 2, "order-1").await.unwrap().json().await.unwrap();
    assert_eq!(replay, first, "a replay answers the first booking even after cancellation");
    assert_eq!(app.event_json(event).await["booked_seats"], 0);
}
