use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores, problem};

on_both_stores!(
    admins_create_and_everyone_reads_events,
    invalid_events_are_refused_and_nothing_is_created,
    events_are_listed_filtered_and_paged,
    events_are_edited_and_cancelled,
);

fn concert(name: &str, starts_at: &str, capacity: i64) -> Value {
    json!({"name": name, "venue": "Main Hall", "starts_at": starts_at, "capacity": capacity})
}

async fn admins_create_and_everyone_reads_events(app: TestApp) {
    let body = json!({"name": "Opera", "venue": "Hall", "description": "Tosca", "starts_at": "2027-03-01T20:30:00+01:00",
        "capacity": 50, "max_seats_per_booking": 4});
    let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["starts_at"], "2027-03-01T19:30:00Z");
    assert_eq!(
        (event["capacity"].as_u64(), event["available_seats"].as_u64(), event["booked_seats"].as_u64()),
        (Some(50), Some(50), Some(0))
    );
    assert_eq!((event["max_seats_per_booking"].as_u64(), event["waitlist_length"].as_u64()), (Some(4), Some(0)));
    assert_eq!(event["status"], "scheduled");
    let read: Value = app.get(&format!("/api/v1/events/{}", event["id"]), None).await.json().await.unwrap();
    assert_eq!(read, event);
    let defaults: Value = app
        .post("/api/v1/events", Some(&app.admin_token), concert("Gig", "2027-01-01T00:00:00Z", 5))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((defaults["max_seats_per_booking"].as_u64(), defaults["description"].as_str()), (Some(10), Some("")));
    problem(app.get("/api/v1/events/999", None).await, StatusCode::NOT_FOUND, "not_found").await;
    problem(app.get("/api/v1/events/-1", None).await, StatusCode::NOT_FOUND, "not_found").await;
    problem(app.get("/api/v1/events/abc", None).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn invalid_events_are_refused_and_nothing_is_created(app: TestApp) {
    let token = Some(app.admin_token.as_str());
    for body in [
        concert("", "2027-01-01T00:00:00Z", 10),
        concert("X", "2027-01-01T00:00:00Z", 0),
        concert("X", "2027-01-01T00:00:00Z", -5),
        concert("X", "2027-01-01T00:00:00Z", 10_000_000),
        concert("X", "not a date", 10),
        concert(&"n".repeat(201), "2027-01-01T00:00:00Z", 10),
        json!({"name": "X", "venue": "v".repeat(201), "starts_at": "2027-01-01T00:00:00Z", "capacity": 10}),
        json!({"name": "X", "venue": "V", "description": "d".repeat(5_001), "starts_at": "2027-01-01T00:00:00Z",
            "capacity": 10}),
        json!({"name": "X", "venue": "V", "starts_at": "2027-01-01T00:00:00Z", "capacity": 2.5}),
        json!({"name": "X", "venue": "V", "starts_at": "2027-01-01T00:00:00Z", "capacity": 10, "max_seats_per_booking": 0}),
    ] {
        problem(app.post("/api/v1/events", token, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    }
    for body in [
        json!({"name": "X", "venue": "V", "starts_at": "2027-01-01T00:00:00Z", "capacity": "10"}),
        json!({"name": "X"}),
        json!([1]),
    ] {
        problem(app.post("/api/v1/events", token, body).await, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let list: Value = app.get("/api/v1/events?status=all", None).await.json().await.unwrap();
    assert_eq!(list["total"], 0);
}

async fn events_are_listed_filtered_and_paged(app: TestApp) {
    let token = Some(app.admin_token.as_str());
    let late: Value =
        app.post("/api/v1/events", token, concert("Jazz Night", "2027-05-01T19:00:00Z", 5)).await.json().await.unwrap();
    let early: Value = app
        .post("/api/v1/events", token, concert("Rust Meetup", "2027-02-01T19:00:00Z", 5))
        .await
        .json()
        .await
        .unwrap();
    let gone: Value =
        app.post("/api/v1/events", token, concert("Gone", "2027-03-01T19:00:00Z", 5)).await.json().await.unwrap();
    app.request(Method::DELETE, &format!("/api/v1/events/{}", gone["id"]), token).send().await.unwrap();
    let ids =
        |page: &Value| page["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let default: Value = app.get("/api/v1/events", None).await.json().await.unwrap();
    assert_eq!(ids(&default), vec![early["id"].as_i64().unwrap(), late["id"].as_i64().unwrap()]);
    assert_eq!(
        (default["total"].as_u64(), default["limit"].as_u64(), default["offset"].as_u64()),
        (Some(2), Some(20), Some(0))
    );
    let all: Value = app.get("/api/v1/events?status=all&limit=1&offset=1", None).await.json().await.unwrap();
    assert_eq!((ids(&all), all["total"].as_u64()), (vec![gone["id"].as_i64().unwrap()], Some(3)));
    let cancelled: Value = app.get("/api/v1/events?status=cancelled", None).await.json().await.unwrap();
    assert_eq!(ids(&cancelled), vec![gone["id"].as_i64().unwrap()]);
    let window: Value =
        app.get("/api/v1/events?from=2027-03-01T00:00:00Z&to=2027-06-01T00:00:00Z", None).await.json().await.unwrap();
    assert_eq!(ids(&window), vec![late["id"].as_i64().unwrap()]);
    let search: Value = app.get("/api/v1/events?q=MEETUP", None).await.json().await.unwrap();
    assert_eq!(ids(&search), vec![early["id"].as_i64().unwrap()]);
    for query in ["limit=0", "limit=101", "offset=-1"] {
        problem(
            app.get(&format!("/api/v1/events?{query}"), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    for query in ["limit=ten", "status=soon", "from=yesterday"] {
        problem(app.get(&format!("/api/v1/events?{query}"), None).await, StatusCode::BAD_REQUEST, "bad_request").await;
    }
}

async fn events_are_edited_and_cancelled(app: TestApp) {
    let token = Some(app.admin_token.as_str());
    let event = app.event(10).await;
    let path = format!("/api/v1/events/{event}");
    let (_, user) = app.user("holder@example.org").await;
    let booking = app.book(event, &user, 4).await;
    assert_eq!(booking.status(), StatusCode::CREATED);
    let booking = booking.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let edited =
        app.send(Method::PATCH, &path, token, json!({"name": "Renamed", "capacity": 6, "description": ""})).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(
        (edited["name"].as_str(), edited["capacity"].as_u64(), edited["available_seats"].as_u64()),
        (Some("Renamed"), Some(6), Some(2))
    );
    let below = app.send(Method::PATCH, &path, token, json!({"capacity": 3})).await;
    problem(below, StatusCode::CONFLICT, "capacity_below_booked").await;
    problem(
        app.send(Method::PATCH, &path, token, json!({"capacity": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    problem(
        app.send(Method::PATCH, &path, Some(&user), json!({"capacity": 9})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let cancelled = app.request(Method::DELETE, &path, token).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!((cancelled["status"].as_str(), cancelled["booked_seats"].as_u64()), (Some("cancelled"), Some(0)));
    problem(app.request(Method::DELETE, &path, token).send().await.unwrap(), StatusCode::CONFLICT, "event_cancelled")
        .await;
    problem(
        app.send(Method::PATCH, &path, token, json!({"capacity": 3})).await,
        StatusCode::CONFLICT,
        "event_cancelled",
    )
    .await;
    problem(app.book(event, &user, 1).await, StatusCode::CONFLICT, "event_cancelled").await;
    // Its bookings went with it; the event's state is the answer that wins.
    let cancel = app.post(&format!("/api/v1/bookings/{booking}/cancel"), Some(&user), json!({})).await;
    problem(cancel, StatusCode::CONFLICT, "event_cancelled").await;
    let bookings: Value = app.get("/api/v1/users/me/bookings", Some(&user)).await.json().await.unwrap();
    assert_eq!(bookings["items"][0]["status"], "cancelled");
    let inbox: Value = app.get("/api/v1/users/me/notifications", Some(&user)).await.json().await.unwrap();
    let kinds: Vec<_> =
        inbox["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, vec!["event_cancelled", "event_changed"]);
}
