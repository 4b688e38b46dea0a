use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores, problem};

on_both_stores!(analytics_report_exact_figures_to_admins_only);

async fn analytics_report_exact_figures_to_admins_only(app: TestApp) {
    let admin = Some(app.admin_token.as_str());
    let (a, b) = (app.event(10).await, app.event(4).await);
    let (_, ada) = app.user("ada@example.org").await;
    let (_, bob) = app.user("bob@example.org").await;
    problem(app.get("/api/v1/admin/analytics", Some(&ada)).await, StatusCode::FORBIDDEN, "forbidden").await;
    let empty: Value = app.get("/api/v1/admin/analytics", admin).await.json().await.unwrap();
    assert_eq!((empty["total_bookings"].as_u64(), empty["cancellation_rate"].as_f64()), (Some(0), Some(0.0)));

    app.book(a, &ada, 5).await;
    let gone: Value = app.book(b, &ada, 4).await.json().await.unwrap();
    app.post(&format!("/api/v1/events/{b}/waitlist"), Some(&bob), json!({"seats": 3})).await;
    app.post(&format!("/api/v1/bookings/{}/cancel", gone["id"]), Some(&ada), json!({})).await;

    // Written after the cached empty answer: the writes made it stale.
    let figures: Value = app.get("/api/v1/admin/analytics", admin).await.json().await.unwrap();
    assert_eq!((figures["total_bookings"].as_u64(), figures["cancelled_bookings"].as_u64()), (Some(2), Some(1)));
    assert!((figures["cancellation_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((figures["seats_booked"].as_u64(), figures["total_capacity"].as_u64()), (Some(8), Some(14)));
    assert!((figures["utilization"].as_f64().unwrap() - 8.0 / 14.0).abs() < 1e-9);
    assert_eq!((figures["waitlist_waiting"].as_u64(), figures["waitlist_promotions"].as_u64()), (Some(0), Some(1)));
    assert_eq!(figures["top_events"][0]["event_id"].as_i64(), Some(a));
    assert!((figures["top_events"][1]["utilization"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    let daily = figures["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!((daily[29]["bookings"].as_u64(), daily[29]["cancellations"].as_u64()), (Some(3), Some(1)));
    assert_eq!(daily[29]["date"].as_str().unwrap().len(), 10);

    let stats: Value = app.get("/api/v1/admin/analytics/events?sort=booked_seats", admin).await.json().await.unwrap();
    assert_eq!(stats["total"], 2);
    let first = &stats["items"][0];
    assert_eq!(
        (first["event_id"].as_i64(), first["booked_seats"].as_u64(), first["cancellations"].as_u64()),
        (Some(a), Some(5), Some(0))
    );
    let by_use: Value = app.get("/api/v1/admin/analytics/events?sort=utilization", admin).await.json().await.unwrap();
    assert_eq!(
        (by_use["items"][0]["event_id"].as_i64(), by_use["items"][0]["cancellations"].as_u64()),
        (Some(b), Some(1))
    );
    problem(app.get("/api/v1/admin/analytics/events?sort=name", admin).await, StatusCode::BAD_REQUEST, "bad_request")
        .await;
}
