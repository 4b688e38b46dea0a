use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores, problem};

on_both_stores!(waitlists_queue_promote_and_notify, capacity_raises_promote_at_once);

async fn waitlists_queue_promote_and_notify(app: TestApp) {
    let event = app.event(3).await;
    let join = format!("/api/v1/events/{event}/waitlist");
    let me = format!("/api/v1/events/{event}/waitlist/me");
    let (_, holder) = app.user("holder@example.org").await;
    let (_, big) = app.user("big@example.org").await;
    let (small_id, small) = app.user("small@example.org").await;
    problem(app.post(&join, Some(&big), json!({"seats": 2})).await, StatusCode::CONFLICT, "event_not_full").await;
    let held: Value = app.book(event, &holder, 3).await.json().await.unwrap();
    let entry = app.post(&join, Some(&big), json!({"seats": 3})).await;
    assert_eq!(entry.status(), StatusCode::CREATED);
    let entry: Value = entry.json().await.unwrap();
    assert_eq!((entry["status"].as_str(), entry["position"].as_u64()), (Some("waiting"), Some(1)));
    assert!(entry["booking_id"].is_null());
    let second: Value = app.request(Method::POST, &join, Some(&small)).send().await.unwrap().json().await.unwrap();
    assert_eq!((second["seats"].as_u64(), second["position"].as_u64()), (Some(1), Some(2)));
    problem(app.post(&join, Some(&small), json!({})).await, StatusCode::CONFLICT, "already_waitlisted").await;
    problem(app.post(&join, Some(&holder), json!({})).await, StatusCode::CONFLICT, "already_booked").await;
    problem(app.book(event, &small, 1).await, StatusCode::CONFLICT, "already_waitlisted").await;
    let standing: Value = app.get(&me, Some(&small)).await.json().await.unwrap();
    assert_eq!((standing["position"].as_u64(), standing["total_waiting"].as_u64()), (Some(2), Some(2)));
    problem(app.get(&me, Some(&holder)).await, StatusCode::NOT_FOUND, "not_found").await;
    let queue: Value = app.get(&join, Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!(queue["total"], 2);
    problem(app.get(&join, Some(&small)).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(app.event_json(event).await["waitlist_length"], 2);

    // Cancelling frees 3 seats... the holder cancels: big (3) fits first and takes them all.
    app.post(&format!("/api/v1/bookings/{}/cancel", held["id"]), Some(&holder), json!({})).await;
    let event_now = app.event_json(event).await;
    assert_eq!((event_now["booked_seats"].as_u64(), event_now["waitlist_length"].as_u64()), (Some(3), Some(1)));
    let promoted: Value = app.get("/api/v1/users/me/waitlist", Some(&big)).await.json().await.unwrap();
    let promoted = &promoted["items"][0];
    assert_eq!((promoted["status"].as_str(), promoted["position"].is_null()), (Some("promoted"), true));
    let booking: Value =
        app.get(&format!("/api/v1/bookings/{}", promoted["booking_id"]), Some(&big)).await.json().await.unwrap();
    assert_eq!((booking["source"].as_str(), booking["seats"].as_u64()), (Some("waitlist"), Some(3)));
    let inbox: Value = app.get("/api/v1/users/me/notifications", Some(&big)).await.json().await.unwrap();
    assert_eq!(
        (inbox["items"][0]["kind"].as_str(), inbox["items"][0]["booking_id"].as_i64()),
        (Some("waitlist_promoted"), booking["id"].as_i64())
    );
    assert_eq!(app.get(&me, Some(&small)).await.json::<Value>().await.unwrap()["position"], 1);

    // Leaving, and joining again at the back.
    assert_eq!(app.request(Method::DELETE, &me, Some(&small)).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    problem(app.request(Method::DELETE, &me, Some(&small)).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found")
        .await;
    let entries: Value = app.get("/api/v1/users/me/waitlist", Some(&small)).await.json().await.unwrap();
    assert_eq!(
        (entries["items"][0]["status"].as_str(), entries["items"][0]["user_id"].as_i64()),
        (Some("left"), Some(small_id))
    );
}

async fn capacity_raises_promote_at_once(app: TestApp) {
    let event = app.event(1).await;
    let (_, holder) = app.user("holder@example.org").await;
    let (_, waiting) = app.user("waiting@example.org").await;
    app.book(event, &holder, 1).await;
    app.post(&format!("/api/v1/events/{event}/waitlist"), Some(&waiting), json!({"seats": 2})).await;
    let raised: Value = app
        .send(Method::PATCH, &format!("/api/v1/events/{event}"), Some(&app.admin_token), json!({"capacity": 3}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (raised["booked_seats"].as_u64(), raised["waitlist_length"].as_u64(), raised["available_seats"].as_u64()),
        (Some(3), Some(0), Some(0))
    );
    let mine: Value = app.get("/api/v1/users/me/bookings", Some(&waiting)).await.json().await.unwrap();
    assert_eq!((mine["items"][0]["source"].as_str(), mine["items"][0]["seats"].as_u64()), (Some("waitlist"), Some(2)));
}

/// A cancellation that has loaded the queue, and a leave of the entry at its head while
/// it runs (a trigger stretches the cancellation to make the race certain): the leave
/// waits for the event's lock and then finds the entry promoted, or it left first and
/// nobody is promoted. A `204` leave is never followed by a promotion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_left_is_never_promoted() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    crate::helpers::execute(
        &url,
        "CREATE FUNCTION slow_cancel() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$",
    )
    .await;
    crate::helpers::execute(
        &url,
        "CREATE TRIGGER slow_cancel BEFORE UPDATE OF status ON bookings FOR EACH ROW \
         WHEN (NEW.status = 'cancelled') EXECUTE FUNCTION slow_cancel()",
    )
    .await;
    let event = app.event(1).await;
    let (_, holder) = app.user("holder@example.org").await;
    let (waiter_id, waiter) = app.user("waiter@example.org").await;
    let held: Value = app.book(event, &holder, 1).await.json().await.unwrap();
    let joined = app.post(&format!("/api/v1/events/{event}/waitlist"), Some(&waiter), json!({})).await;
    assert_eq!(joined.status(), StatusCode::CREATED);
    let cancel = {
        let (client, url) = (app.client.clone(), format!("{}/api/v1/bookings/{}/cancel", app.base, held["id"]));
        tokio::spawn(async move { client.post(url).bearer_auth(holder).send().await.unwrap().status() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let leave = app.request(Method::DELETE, &format!("/api/v1/events/{event}/waitlist/me"), Some(&waiter));
    let left = leave.send().await.unwrap().status();
    assert_eq!(cancel.await.unwrap(), StatusCode::OK);
    let promoted = crate::helpers::count(
        &url,
        &format!("SELECT count(*) AS n FROM waitlist_entries WHERE user_id = {waiter_id} AND status = 'promoted'"),
    )
    .await;
    assert_eq!((left, promoted), (StatusCode::NOT_FOUND, 1), "the leave answered {left}, yet promotions: {promoted}");
    crate::helpers::assert_invariants(&url).await;
}
