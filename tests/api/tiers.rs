use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invariants, on_both_stores, problem};

on_both_stores!(
    events_carry_tiers_and_a_currency,
    invalid_tiers_are_refused_and_nothing_is_created,
    bookings_and_entries_take_a_tier_and_its_price,
    admins_add_and_change_tiers,
);

/// A USD event of `capacity` seats: "Floor" (free, no quota) and "VIP" (45.00, `vip` seats).
fn gala(capacity: i64, vip: i64) -> Value {
    json!({"name": "Gala", "venue": "Main Hall", "starts_at": "2027-05-01T19:00:00Z", "capacity": capacity,
        "max_seats_per_booking": 4, "currency": "USD",
        "tiers": [{"name": "Floor", "price_cents": 0}, {"name": "VIP", "price_cents": 4500, "capacity": vip}]})
}

async fn create(app: &TestApp, body: Value) -> Value {
    let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn tier_ids(event: &Value) -> (i64, i64) {
    (event["tiers"][0]["id"].as_i64().unwrap(), event["tiers"][1]["id"].as_i64().unwrap())
}

async fn events_carry_tiers_and_a_currency(app: TestApp) {
    let event = create(&app, gala(10, 3)).await;
    assert_eq!((event["currency"].as_str(), event["held_seats"].as_u64()), (Some("USD"), Some(0)));
    let tiers = event["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 2);
    assert_eq!(
        tiers[1],
        json!({"id": tiers[1]["id"], "name": "VIP", "price_cents": 4500, "capacity": 3, "booked_seats": 0,
            "held_seats": 0, "available_seats": 3})
    );
    assert_eq!((tiers[0]["capacity"].clone(), tiers[0]["available_seats"].as_u64()), (Value::Null, Some(10)));
    assert!(tiers[0]["id"].as_i64() < tiers[1]["id"].as_i64(), "ids in request order");
    let plain =
        create(&app, json!({"name": "Gig", "venue": "Club", "starts_at": "2027-05-02T19:00:00Z", "capacity": 5})).await;
    assert_eq!(plain["currency"], "EUR");
    assert_eq!(
        plain["tiers"],
        json!([{"id": plain["tiers"][0]["id"], "name": "General admission", "price_cents": 0, "capacity": null,
            "booked_seats": 0, "held_seats": 0, "available_seats": 5}])
    );
    assert_eq!(app.event_json(event["id"].as_i64().unwrap()).await, event);
}

async fn invalid_tiers_are_refused_and_nothing_is_created(app: TestApp) {
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = gala(10, 3);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|b| b["tiers"] = json!([])), "tiers"),
        (with(&|b| b["tiers"] = json!(vec![json!({"name": "A", "price_cents": 1}); 21])), "tiers"),
        (with(&|b| b["tiers"][1]["name"] = json!("Floor")), "tiers"),
        (with(&|b| b["tiers"][1]["capacity"] = json!(11)), "tiers"),
        (with(&|b| b["tiers"][1]["capacity"] = json!(0)), "tiers[1].capacity"),
        (with(&|b| b["tiers"][0]["price_cents"] = json!(-1)), "tiers[0].price_cents"),
        (with(&|b| b["tiers"][0]["price_cents"] = json!(10_000_000_001_i64)), "tiers[0].price_cents"),
        (with(&|b| b["tiers"][0]["name"] = json!("  ")), "tiers[0].name"),
        (with(&|b| b["currency"] = json!("usd")), "currency"),
        (with(&|b| b["currency"] = json!("EURO")), "currency"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/v1/events", Some(&app.admin_token), body.clone()).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{field}: {problem} for {body}");
    }
    let wrong_type = with(&|b| b["tiers"][0]["price_cents"] = json!("free"));
    problem(
        app.post("/api/v1/events", Some(&app.admin_token), wrong_type).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let listed: Value = app.get("/api/v1/events?status=all", None).await.json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing was created");
}

async fn bookings_and_entries_take_a_tier_and_its_price(app: TestApp) {
    let event = create(&app, gala(6, 2)).await;
    let id = event["id"].as_i64().unwrap();
    let (floor, vip) = tier_ids(&event);
    let (_, alice) = app.user("alice@example.org").await;
    let (_, bob) = app.user("bob@example.org").await;
    let (_, carol) = app.user("carol@example.org").await;
    let book = |token: String, body: Value| {
        let app = &app;
        async move { app.post(&format!("/api/v1/events/{id}/bookings"), Some(&token), body).await }
    };
    let response = book(alice.clone(), json!({"seats": 2, "tier_id": vip})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let booking: Value = response.json().await.unwrap();
    assert_eq!(
        (&booking["tier_id"], &booking["unit_price_cents"], &booking["amount_cents"], &booking["currency"]),
        (&json!(vip), &json!(4500), &json!(9000), &json!("USD"))
    );
    // VIP is sold out while the floor has room.
    problem(book(bob.clone(), json!({"tier_id": vip})).await, StatusCode::CONFLICT, "sold_out").await;
    let other = create(&app, gala(5, 1)).await;
    for bad in [json!(other["tiers"][0]["id"]), json!(0), json!(-3), json!(999_999)] {
        let refused = book(bob.clone(), json!({"tier_id": bad})).await;
        let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with("tier_id"), "{problem}");
    }
    problem(book(bob.clone(), json!({"tier_id": "vip"})).await, StatusCode::BAD_REQUEST, "bad_request").await;
    // The default tier is the first; a VIP waiting entry is promoted into VIP.
    let plain: Value = book(bob.clone(), json!({})).await.json().await.unwrap();
    assert_eq!((&plain["tier_id"], &plain["amount_cents"]), (&json!(floor), &json!(0)));
    let waitlist = format!("/api/v1/events/{id}/waitlist");
    let entry = app.post(&waitlist, Some(&carol), json!({"seats": 1, "tier_id": vip})).await;
    assert_eq!(entry.status(), StatusCode::CREATED);
    assert_eq!(entry.json::<Value>().await.unwrap()["tier_id"], vip);
    problem(
        app.post(&waitlist, Some(&carol), json!({"tier_id": floor})).await,
        StatusCode::CONFLICT,
        "already_waitlisted",
    )
    .await;
    let read = app.event_json(id).await;
    assert_eq!((read["booked_seats"].as_u64(), read["available_seats"].as_u64()), (Some(3), Some(3)));
    assert_eq!(
        (read["tiers"][0]["booked_seats"].as_u64(), read["tiers"][1]["available_seats"].as_u64()),
        (Some(1), Some(0))
    );
    let cancelled = app.post(&format!("/api/v1/bookings/{}/cancel", booking["id"]), Some(&alice), json!({})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let mine: Value = app.get("/api/v1/users/me/bookings", Some(&carol)).await.json().await.unwrap();
    assert_eq!((&mine["items"][0]["tier_id"], &mine["items"][0]["source"]), (&json!(vip), &json!("waitlist")));
    if let Some(db) = &app.db {
        assert_invariants(db.url()).await;
    }
}

async fn admins_add_and_change_tiers(app: TestApp) {
    let event = create(&app, gala(10, 2)).await;
    let id = event["id"].as_i64().unwrap();
    let (_, vip) = tier_ids(&event);
    let (_, user) = app.user("fan@example.org").await;
    let tiers = format!("/api/v1/events/{id}/tiers");
    let balcony = json!({"name": "Balcony", "price_cents": 2500, "capacity": 4});
    problem(app.post(&tiers, Some(&user), balcony.clone()).await, StatusCode::FORBIDDEN, "forbidden").await;
    problem(app.post(&tiers, None, balcony.clone()).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let created = app.post(&tiers, Some(&app.admin_token), balcony.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!((&created["name"], &created["available_seats"]), (&json!("Balcony"), &json!(4)));
    for (body, field) in [
        (balcony.clone(), "name"),
        (json!({"name": "Box", "price_cents": 1, "capacity": 11}), "capacity"),
        (json!({"name": "Box", "price_cents": -5}), "price_cents"),
    ] {
        let refused = app.post(&tiers, Some(&app.admin_token), body).await;
        let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{problem}");
    }
    problem(
        app.post("/api/v1/events/999/tiers", Some(&app.admin_token), balcony).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.book(id, &user, 1).await.status(), StatusCode::CREATED);
    let vip_path = format!("{tiers}/{vip}");
    let (_, vip_fan) = app.user("vip@example.org").await;
    let (_, waiting) = app.user("waiting@example.org").await;
    let vip_booking =
        app.post(&format!("/api/v1/events/{id}/bookings"), Some(&vip_fan), json!({"seats": 2, "tier_id": vip})).await;
    assert_eq!(vip_booking.status(), StatusCode::CREATED);
    let joined = app.post(&format!("/api/v1/events/{id}/waitlist"), Some(&waiting), json!({"tier_id": vip})).await;
    assert_eq!(joined.status(), StatusCode::CREATED);
    let patch = |body: Value| app.send(Method::PATCH, &vip_path, Some(&app.admin_token), body);
    problem(patch(json!({"capacity": 1})).await, StatusCode::CONFLICT, "capacity_below_booked").await;
    let raised = patch(json!({"capacity": 3, "price_cents": 6000})).await;
    assert_eq!(raised.status(), StatusCode::OK);
    let raised: Value = raised.json().await.unwrap();
    assert_eq!(
        (&raised["capacity"], &raised["booked_seats"], &raised["price_cents"]),
        (&json!(3), &json!(3), &json!(6000))
    );
    let promoted: Value = app.get("/api/v1/users/me/bookings", Some(&waiting)).await.json().await.unwrap();
    assert_eq!(promoted["items"][0]["unit_price_cents"], 6000, "promoted at the price of the moment");
    let unlimited: Value = patch(json!({"capacity": null})).await.json().await.unwrap();
    assert_eq!(unlimited["capacity"], Value::Null);
    let kept: Value = patch(json!({"name": "VIP lounge"})).await.json().await.unwrap();
    assert_eq!(
        (&kept["name"], &kept["capacity"], &kept["price_cents"]),
        (&json!("VIP lounge"), &Value::Null, &json!(6000))
    );
    problem(
        app.send(Method::PATCH, &format!("{tiers}/999"), Some(&app.admin_token), json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(patch(json!({"name": "Balcony"})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    problem(patch(json!({"price_cents": 1.5})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(
        app.send(Method::DELETE, &format!("/api/v1/events/{id}"), Some(&app.admin_token), json!({})).await.status(),
        StatusCode::OK
    );
    problem(patch(json!({"price_cents": 1})).await, StatusCode::CONFLICT, "event_cancelled").await;
    problem(
        app.post(&tiers, Some(&app.admin_token), json!({"name": "Late", "price_cents": 0})).await,
        StatusCode::CONFLICT,
        "event_cancelled",
    )
    .await;
}
