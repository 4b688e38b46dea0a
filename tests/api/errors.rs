use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, problem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_failures_are_problem_documents() {
    let app = TestApp::memory().await;
    let token = Some(app.admin_token.as_str());
    problem(app.get("/no/such/route", None).await, StatusCode::NOT_FOUND, "not_found").await;
    problem(app.get("/api/v1/nothing", None).await, StatusCode::NOT_FOUND, "not_found").await;
    let malformed = app.request(Method::POST, "/api/v1/events", token).body("{\"name\": ").send().await.unwrap();
    problem(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(100 * 1024));
    let too_large = app.request(Method::POST, "/api/v1/events", token).body(huge).send().await.unwrap();
    problem(too_large, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let wrong_method = app.request(Method::PUT, "/api/v1/events", token).send().await.unwrap();
    assert_eq!(wrong_method.headers().get("allow").unwrap(), "GET, POST");
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let list = app.get("/api/v1/events", None).await;
    assert_eq!(list.status(), StatusCode::OK, "the server still answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_is_kept_and_control_characters_refused() {
    let app = TestApp::memory().await;
    let token = Some(app.admin_token.as_str());
    let body = serde_json::json!({"name": "Café 🎷 日本", "venue": "Zürich", "description": "line one\nline two",
        "starts_at": "2027-01-01T00:00:00Z", "capacity": 5});
    let created: serde_json::Value = app.post("/api/v1/events", token, body).await.json().await.unwrap();
    assert_eq!(
        (created["name"].as_str(), created["description"].as_str()),
        (Some("Café 🎷 日本"), Some("line one\nline two"))
    );
    let bad =
        serde_json::json!({"name": "Bell\u{7}", "venue": "V", "starts_at": "2027-01-01T00:00:00Z", "capacity": 5});
    problem(app.post("/api/v1/events", token, bad).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}
