use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, TestApp, on_both_stores, problem, settings};

on_both_stores!(
    registration_normalises_email_and_hides_the_password,
    emails_are_unique_ignoring_case,
    bad_registrations_are_refused,
    login_answers_alike_for_unknown_email_and_wrong_password,
    tokens_are_required_and_checked,
    admins_list_users_and_change_roles,
    demoted_admins_lose_admin_rights_at_once,
    the_last_admin_cannot_be_demoted,
);

async fn registration_normalises_email_and_hides_the_password(app: TestApp) {
    let body = json!({"name": " Ada ", "email": "  Ada@Example.ORG ", "password": "password123"});
    let response = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(
        (user["email"].as_str(), user["name"].as_str(), user["role"].as_str()),
        (Some("ada@example.org"), Some("Ada"), Some("user"))
    );
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let text = user.to_string();
    assert!(!text.contains("password") && !text.contains("argon2"));
    let token = app.login("ADA@example.org", "password123").await;
    let me: Value = app.get("/api/v1/users/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me, user);
}

async fn emails_are_unique_ignoring_case(app: TestApp) {
    app.register("bob@example.org").await;
    let again = json!({"name": "Bob", "email": "BOB@example.org", "password": "password123"});
    problem(app.post("/api/v1/auth/register", None, again).await, StatusCode::CONFLICT, "email_taken").await;
}

async fn bad_registrations_are_refused(app: TestApp) {
    for body in [
        json!({"name": "A", "email": "not-an-email", "password": "password123"}),
        json!({"name": "A", "email": "a@example.org", "password": "short"}),
        json!({"name": "   ", "email": "a@example.org", "password": "password123"}),
        json!({"name": "A\u{0}B", "email": "a@example.org", "password": "password123"}),
    ] {
        problem(
            app.post("/api/v1/auth/register", None, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    for body in [
        json!({"name": "A", "email": "a@example.org"}),
        json!({"name": 1, "email": "a@example.org", "password": "password123"}),
    ] {
        problem(app.post("/api/v1/auth/register", None, body).await, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let users: Value = app.get("/api/v1/admin/users", Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!(users["total"], 1, "nothing was created");
}

async fn login_answers_alike_for_unknown_email_and_wrong_password(app: TestApp) {
    app.register("carol@example.org").await;
    let wrong =
        app.post("/api/v1/auth/login", None, json!({"email": "carol@example.org", "password": "wrong password"})).await;
    let unknown = app
        .post("/api/v1/auth/login", None, json!({"email": "nobody@example.org", "password": "wrong password"}))
        .await;
    let wrong = problem(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let unknown = problem(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
    let ok: Value = app
        .post("/api/v1/auth/login", None, json!({"email": "carol@example.org", "password": "password123"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((ok["token_type"].as_str(), ok["expires_in"].as_u64()), (Some("Bearer"), Some(3600)));
}

async fn tokens_are_required_and_checked(app: TestApp) {
    for token in [None, Some("garbage"), Some("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")] {
        let response = app.get("/api/v1/users/me", token).await;
        assert_eq!(response.headers().get("www-authenticate").unwrap(), "Bearer");
        problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let (_, token) = app.user("dave@example.org").await;
    let forbidden = app
        .post(
            "/api/v1/events",
            Some(&token),
            json!({"name": "X", "venue": "Y", "starts_at": "2027-01-01T00:00:00Z", "capacity": 1}),
        )
        .await;
    problem(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
    problem(app.get("/api/v1/admin/users", Some(&token)).await, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn admins_list_users_and_change_roles(app: TestApp) {
    let id = app.register("erin@example.org").await;
    let page: Value =
        app.get("/api/v1/admin/users?limit=1&offset=1", Some(&app.admin_token)).await.json().await.unwrap();
    assert_eq!((page["total"].as_u64(), page["limit"].as_u64(), page["offset"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(page["items"][0]["id"].as_i64(), Some(id));
    let path = format!("/api/v1/admin/users/{id}");
    let changed = app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"role": "admin"})).await;
    assert_eq!(changed.json::<Value>().await.unwrap()["role"], "admin");
    let bad = app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"role": "root"})).await;
    problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let missing =
        app.send(Method::PATCH, "/api/v1/admin/users/9999", Some(&app.admin_token), json!({"role": "user"})).await;
    problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

async fn demoted_admins_lose_admin_rights_at_once(app: TestApp) {
    let id = app.register("frank@example.org").await;
    let path = format!("/api/v1/admin/users/{id}");
    app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"role": "admin"})).await;
    let token = app.login("frank@example.org", "password123").await;
    assert_eq!(app.get("/api/v1/admin/users", Some(&token)).await.status(), StatusCode::OK);
    app.send(Method::PATCH, &path, Some(&app.admin_token), json!({"role": "user"})).await;
    problem(app.get("/api/v1/admin/users", Some(&token)).await, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_login_are_rate_limited_per_ip() {
    let mut limited = settings(None);
    limited.auth_rate_per_min = 3;
    let app = TestApp::with(limited, None).await; // the admin's login is the first attempt
    app.register("gina@example.org").await;
    // A malformed body is an attempt too: the limit is checked before the body is read.
    let malformed = app.request(Method::POST, "/api/v1/auth/login", None).body("{\"email\": ").send().await.unwrap();
    problem(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = app.post("/api/v1/auth/login", None, json!({"email": ADMIN_EMAIL, "password": "x"})).await;
    let retry_after: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_deleted_accounts_stop_working() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let event = app.event(5).await;
    let (id, token) = app.user("gone@example.org").await;
    crate::helpers::execute(&url, &format!("DELETE FROM users WHERE id = {id}")).await;
    for path in
        ["/api/v1/users/me", "/api/v1/users/me/bookings", "/api/v1/users/me/waitlist", "/api/v1/users/me/notifications"]
    {
        problem(app.get(path, Some(&token)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    problem(app.book(event, &token, 1).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let join = app.post(&format!("/api/v1/events/{event}/waitlist"), Some(&token), json!({})).await;
    problem(join, StatusCode::CONFLICT, "event_not_full").await;
    assert_eq!(app.event_json(event).await["booked_seats"], 0);
}

async fn the_last_admin_cannot_be_demoted(app: TestApp) {
    let me: Value = app.get("/api/v1/users/me", Some(&app.admin_token)).await.json().await.unwrap();
    let own = format!("/api/v1/admin/users/{}", me["id"]);
    let demote = json!({"role": "user"});
    problem(
        app.send(Method::PATCH, &own, Some(&app.admin_token), demote.clone()).await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    // Two admins demoting each other at once leave one of them.
    let other = app.register("second@example.org").await;
    let other_path = format!("/api/v1/admin/users/{other}");
    app.send(Method::PATCH, &other_path, Some(&app.admin_token), json!({"role": "admin"})).await;
    let other_token = app.login("second@example.org", "password123").await;
    let (first, second) = tokio::join!(
        app.send(Method::PATCH, &other_path, Some(&app.admin_token), demote.clone()),
        app.send(Method::PATCH, &own, Some(&other_token), demote.clone()),
    );
    // The second is refused: `last_admin`, or `forbidden` when its actor was demoted first.
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert!(matches!(statuses, [StatusCode::OK, StatusCode::FORBIDDEN | StatusCode::CONFLICT]), "{statuses:?}");
    let admins: Value = app.get("/api/v1/admin/users", Some(&app.admin_token)).await.json().await.unwrap();
    let admins: Value = if admins["items"].is_array() {
        admins
    } else {
        app.get("/api/v1/admin/users", Some(&other_token)).await.json().await.unwrap()
    };
    let count = admins["items"].as_array().unwrap().iter().filter(|u| u["role"] == "admin").count();
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_admin_never_takes_over_a_registered_account() {
    let app = TestApp::postgres().await;
    let url = app.db.as_ref().unwrap().url().to_owned();
    let id = app.register("boss@example.org").await;
    let mut takeover = settings(Some(&url));
    takeover.admin = Some(("boss@example.org".into(), secrecy::SecretString::from("another password")));
    let refused = evently::Application::build(takeover.clone()).await;
    let message = format!("{:#}", refused.err().unwrap());
    assert!(message.contains("EVENTLY_ADMIN_PROMOTE_EXISTING"), "{message}");
    let user: Value = app.get("/api/v1/admin/users?limit=100", Some(&app.admin_token)).await.json().await.unwrap();
    let boss = user["items"].as_array().unwrap().iter().find(|u| u["id"] == id).unwrap().clone();
    assert_eq!(boss["role"], "user", "nothing changed");
    takeover.admin_promote_existing = true;
    evently::Application::build(takeover).await.unwrap();
    let token = app.login("boss@example.org", "password123").await;
    assert_eq!(app.get("/api/v1/admin/users", Some(&token)).await.status(), StatusCode::OK, "promoted on request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_jwt_secrets_refuse_to_start() {
    for weak in ["short", "change-me-to-32-random-bytes", "change-me-to-32-random-bytes-of-entropy-please"] {
        let mut weak_settings = settings(None);
        weak_settings.jwt_secret = Some(secrecy::SecretString::from(weak));
        let refused = evently::Application::build(weak_settings).await;
        assert!(refused.is_err(), "{weak} was accepted");
    }
}
