use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Process, TestApp, admin_token, count, on_both_stores, problem, tokens};

on_both_stores!(a_queued_event_sells_to_its_admitted_users, bad_queue_input_is_refused_and_changes_nothing);

fn queued(rate: i64) -> Value {
    json!({"name": "Festival", "venue": "Field", "starts_at": "2027-07-01T12:00:00Z", "capacity": 100,
        "queue": {"admit_per_minute": rate}})
}

async fn create(app: &TestApp, body: Value) -> Value {
    let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn join(app: &TestApp, event: i64, token: &str) -> (StatusCode, Value) {
    let response = app.post(&format!("/api/v1/events/{event}/queue"), Some(token), json!({})).await;
    (response.status(), response.json().await.unwrap())
}

/// The caller's ticket once `wanted` holds of it (the admitter runs four times a second;
/// positions may lag a second), within `within`.
async fn until(app: &TestApp, event: i64, token: &str, wanted: impl Fn(&Value) -> bool, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let response = app.get(&format!("/api/v1/events/{event}/queue/me"), Some(token)).await;
        if response.status() == StatusCode::OK {
            let ticket: Value = response.json().await.unwrap();
            if wanted(&ticket) {
                return ticket;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no such ticket within {within:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

async fn a_queued_event_sells_to_its_admitted_users(app: TestApp) {
    // One a minute: the first ticket is admitted at once, the second a minute later.
    let event = create(&app, queued(1)).await;
    assert_eq!(event["queue"], json!({"admit_per_minute": 1, "admission_ttl_seconds": 600}));
    let id = event["id"].as_i64().unwrap();
    let (_, first) = app.user("first@example.org").await;
    let (_, second) = app.user("second@example.org").await;
    let (status, ticket) = join(&app, id, &first).await;
    assert_eq!(status, StatusCode::CREATED);
    let (again, same) = join(&app, id, &first).await;
    assert_eq!((again, &same["id"]), (StatusCode::OK, &ticket["id"]), "one ticket per user");
    join(&app, id, &second).await;
    let admitted = until(&app, id, &first, |t| t["status"] == "admitted", Duration::from_secs(5)).await;
    let (at, until_) = (instant(&admitted["admitted_at"]), instant(&admitted["expires_at"]));
    assert_eq!((until_ - at).num_seconds(), 600);
    assert_eq!(app.book(id, &first, 2).await.status(), StatusCode::CREATED);

    let front = |t: &Value| t["status"] == "waiting" && t["position"] == 1;
    let waiting = until(&app, id, &second, front, Duration::from_secs(5)).await;
    assert_eq!((waiting["position"].as_u64(), waiting["estimated_wait_seconds"].as_u64()), (Some(1), Some(60)));
    for (what, body) in [("bookings", json!({"seats": 1})), ("holds", json!({"seats": 1})), ("waitlist", json!({}))] {
        let refused = app.post(&format!("/api/v1/events/{id}/{what}"), Some(&second), body).await;
        problem(refused, StatusCode::FORBIDDEN, "not_admitted").await;
    }
    let figures: Value =
        app.get(&format!("/api/v1/events/{id}/queue"), Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!(
        figures,
        json!({"waiting": 1, "admitted": 1, "expired": 0, "closed": 0, "admit_per_minute": 1, "on_sale_at": null})
    );
    problem(app.get(&format!("/api/v1/events/{id}/queue"), Some(&second)).await, StatusCode::FORBIDDEN, "forbidden")
        .await;

    // Polling faster than once a second is refused with the wait to honour.
    let mut limited = None;
    for _ in 0..6 {
        let response = app.get(&format!("/api/v1/events/{id}/queue/me"), Some(&second)).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.unwrap_or_else(|| panic!("a burst of polls is limited"));
    assert!(limited.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    // Events without a queue take no tickets; a queue set later gates them at once.
    let plain = app.event(5).await;
    problem(
        app.post(&format!("/api/v1/events/{plain}/queue"), Some(&second), json!({})).await,
        StatusCode::CONFLICT,
        "no_queue",
    )
    .await;
    let later = (Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let patch = json!({"queue": {"admit_per_minute": 100, "admission_ttl_seconds": 120}, "on_sale_at": later});
    let patched = app.send(Method::PATCH, &format!("/api/v1/events/{plain}"), Some(&app.admin_token), patch).await;
    assert_eq!(patched.status(), StatusCode::OK);
    problem(app.book(plain, &second, 1).await, StatusCode::FORBIDDEN, "not_admitted").await;
    let (status, early) = join(&app, plain, &second).await;
    assert_eq!((status, &early["position"]), (StatusCode::CREATED, &Value::Null), "no position before the draw");
    problem(
        app.get(&format!("/api/v1/events/{plain}/queue/me"), Some(&first)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

async fn bad_queue_input_is_refused_and_changes_nothing(app: TestApp) {
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = queued(60);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|b| b["queue"]["admit_per_minute"] = json!(0)), "queue.admit_per_minute"),
        (with(&|b| b["queue"]["admit_per_minute"] = json!(100_001)), "queue.admit_per_minute"),
        (with(&|b| b["queue"]["admission_ttl_seconds"] = json!(59)), "queue.admission_ttl_seconds"),
        (with(&|b| b["queue"]["admission_ttl_seconds"] = json!(3601)), "queue.admission_ttl_seconds"),
        (with(&|b| b["on_sale_at"] = json!("soon")), "on_sale_at"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{field}: {problem}");
    }
    let wrong = with(&|b| b["queue"] = json!({"admit_per_minute": "fast"}));
    problem(app.post("/api/v1/events", Some(&app.admin_token), wrong).await, StatusCode::BAD_REQUEST, "bad_request")
        .await;
    let listed: Value = app.get("/api/v1/events", None).await.json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing was created");
}

/// Three server processes share one queue admitting 600 a minute; one is killed with
/// SIGKILL a second in. Sampled in SQL every 200 ms, the admissions never run ahead of
/// the pace, never fall more than 2 s behind it, and each ticket is admitted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_keep_one_pace_through_a_kill() {
    let db = evently_test_db::TestDatabase::create().await;
    let mut servers =
        vec![Process::spawn(db.url()).await, Process::spawn(db.url()).await, Process::spawn(db.url()).await];
    let client = reqwest::Client::new();
    let bases: Vec<String> = servers.iter().map(|s| s.1.clone()).collect();
    let admin = admin_token(&client, &bases[0]).await;
    let users = tokens(&client, &bases[1], "queued", 120).await;
    let on_sale = Utc::now() + chrono::TimeDelta::seconds(2);
    let body = json!({"name": "Festival", "venue": "Field", "starts_at": "2027-07-01T12:00:00Z", "capacity": 1000,
        "on_sale_at": on_sale.to_rfc3339(), "queue": {"admit_per_minute": 600}});
    let event: Value = client
        .post(format!("{}/api/v1/events", bases[0]))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = event["id"].as_i64().unwrap();
    for (i, token) in users.iter().enumerate() {
        let joined =
            client.post(format!("{}/api/v1/events/{id}/queue", bases[i % 3])).bearer_auth(token).send().await.unwrap();
        assert_eq!(joined.status(), StatusCode::CREATED);
    }
    tokio::time::sleep((on_sale - Utc::now()).to_std().unwrap_or_default()).await;
    let mut samples = Vec::new();
    for round in 0..40 {
        if round == 5 {
            servers[0].kill();
        }
        let admitted = count(
            db.url(),
            &format!("SELECT count(*) AS n FROM queue_tickets WHERE event_id = {id} AND admitted_at IS NOT NULL"),
        )
        .await;
        samples.push((Utc::now(), admitted));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (at, admitted) in &samples {
        let t = (*at - on_sale).num_milliseconds() as f64 / 1000.0;
        assert!(
            admitted <= &((600.0 * t / 60.0).ceil() as i64 + 1),
            "{admitted} admitted {t:.1} s in: ahead of the pace"
        );
        let least = ((600.0 * (t - 2.0) / 60.0).floor() as i64).min(120);
        assert!(admitted >= &least, "{admitted} admitted {t:.1} s in: more than 2 s behind");
    }
    // In one statement (one snapshot): the instances still admit while this reads.
    let apart = count(
        db.url(),
        &format!(
            "SELECT (SELECT admitted FROM queues WHERE event_id = {id}) \
               - (SELECT count(*) FROM queue_tickets WHERE event_id = {id} AND admitted_at IS NOT NULL) AS n"
        ),
    )
    .await;
    assert_eq!(apart, 0, "each admission counted once");
    drop(servers);
}
