use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, execute, problem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let app = TestApp::postgres().await;
    let health: Value = app.get("/health", None).await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap()["store"], "ok");
    app.get("/api/v1/events", None).await;
    app.get("/api/v1/events/77", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains(r#"evently_http_requests_total{method="GET",route="/api/v1/events",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"route="/api/v1/events/{id}",status="404""#));
    // A path no route has, and a method its route lacks.
    app.get("/api/v1/nowhere", None).await;
    app.request(reqwest::Method::PUT, "/api/v1/events/77", None).send().await.unwrap();
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains(r#"evently_http_requests_total{method="GET",route="unmatched",status="404"} 1"#));
    assert!(metrics.contains(r#"{method="PUT",route="/api/v1/events/{id}",status="405"} 1"#), "{metrics}");
    assert!(metrics.contains("evently_http_request_duration_seconds_bucket"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_heals_without_a_restart() {
    let app = TestApp::postgres().await;
    let event = app.event(10).await;
    let (_, token) = app.user("ada@example.org").await;
    let name = app.db.as_ref().unwrap().url().rsplit('/').next().unwrap().to_owned();
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    execute(admin, &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    execute(admin, &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")).await;

    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json::<Value>().await.unwrap()["failed"][0], "store");
    // Until the pool notices every dead connection, a request may still find one: each
    // such request is a 503 too, never a 500, and never books.
    for _ in 0..20 {
        problem(app.book(event, &token, 1).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    }
    problem(app.get("/api/v1/events", None).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;

    execute(admin, &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::OK);
    assert_eq!(app.book(event, &token, 1).await.status(), StatusCode::CREATED);
    assert_eq!(app.event_json(event).await["booked_seats"], 1, "nothing was booked during the outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_work_offline_and_the_document_covers_every_route() {
    let app = TestApp::memory().await;
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
    let asset = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(asset.status(), StatusCode::OK, "assets are embedded");
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me/bookings", "get"),
        ("/api/v1/users/me/waitlist", "get"),
        ("/api/v1/users/me/notifications", "get"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users/{id}", "patch"),
        ("/api/v1/admin/analytics", "get"),
        ("/api/v1/admin/analytics/events", "get"),
        ("/api/v1/events", "get"),
        ("/api/v1/events", "post"),
        ("/api/v1/events/{id}", "get"),
        ("/api/v1/events/{id}", "patch"),
        ("/api/v1/events/{id}", "delete"),
        ("/api/v1/events/{id}/tiers", "post"),
        ("/api/v1/events/{id}/tiers/{tier_id}", "patch"),
        ("/api/v1/events/{id}/bookings", "post"),
        ("/api/v1/bookings/{id}", "get"),
        ("/api/v1/bookings/{id}/cancel", "post"),
        ("/api/v1/events/{id}/waitlist", "post"),
        ("/api/v1/events/{id}/waitlist", "get"),
        ("/api/v1/events/{id}/waitlist/me", "get"),
        ("/api/v1/events/{id}/waitlist/me", "delete"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
    ];
    for (path, method) in expected {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let has_problem = operation["responses"].as_object().unwrap().iter().any(|(status, response)| {
            status.starts_with('4') && response["content"]["application/problem+json"].is_object()
        });
        assert!(
            has_problem || path.starts_with("/health") || path == "/ready" || path == "/metrics",
            "{method} {path} documents its errors"
        );
    }
}
