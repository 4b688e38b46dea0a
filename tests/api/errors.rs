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
async fn oversized_request_heads_are_refused_and_the_server_keeps_serving() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = TestApp::memory().await;
    let long_header = app.request(Method::GET, "/api/v1/events", None).header("x-long", "x".repeat(40_000));
    assert_eq!(long_header.send().await.unwrap().status(), StatusCode::OK, "a 40 KB header is within limits");
    // More than 96 header fields: refused by the HTTP layer itself, before routing.
    let fields: String = (0..100).map(|i| format!("x-field-{i}: v\r\n")).collect();
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(format!("GET /api/v1/events HTTP/1.1\r\nhost: test\r\n{fields}\r\n").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 431"), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(app.get("/api/v1/events", None).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_rights_are_checked_before_the_body_is_read() {
    let app = TestApp::memory().await;
    let (_, user) = app.user("nobody@example.org").await;
    let malformed = app.request(Method::POST, "/api/v1/events", Some(&user)).body("{\"name\": ").send().await.unwrap();
    problem(malformed, StatusCode::FORBIDDEN, "forbidden").await;
    let malformed = app.request(Method::PATCH, "/api/v1/admin/users/1", Some(&user)).body("[").send().await.unwrap();
    problem(malformed, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_strings_parse_strictly() {
    // PostgreSQL: instants beyond its range must never reach it.
    let app = TestApp::postgres().await;
    app.event(5).await;
    for query in ["from=-5000-01-01T00:00:00Z", "to=%2B275760-01-01T00:00:00Z", "from=tomorrow", "to=", "limit=ten"] {
        problem(app.get(&format!("/api/v1/events?{query}"), None).await, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let bounded: serde_json::Value = app
        .get("/api/v1/events?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&q=", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bounded["total"].as_u64(), Some(1));
    let huge_id = app.get("/api/v1/events/99999999999999999999", None).await;
    problem(huge_id, StatusCode::NOT_FOUND, "not_found").await;
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

/// One HTTP/1.1 exchange on `stream`: the status line and whether the server said it
/// will close the connection.
async fn exchange(stream: &mut tokio::net::TcpStream, head: &str, body: &[u8]) -> (String, bool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let request =
        format!("{head}\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len());
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut received = Vec::new();
    let end_of_head = loop {
        let mut chunk = [0_u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection after {head}");
        received.extend_from_slice(&chunk[..n]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let response_head = String::from_utf8_lossy(&received[..end_of_head]).to_lowercase();
    let length: usize =
        response_head.lines().find_map(|l| l.strip_prefix("content-length: ")).map_or(0, |n| n.trim().parse().unwrap());
    while received.len() < end_of_head + length {
        let mut chunk = [0_u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection mid-answer to {head}");
        received.extend_from_slice(&chunk[..n]);
    }
    let status = response_head.lines().next().unwrap().to_owned();
    (status, response_head.contains("connection: close"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_keep_the_connection_open() {
    let mut limited = crate::helpers::settings(None);
    limited.auth_rate_per_min = 3;
    let app = TestApp::with(limited, None).await; // the admin's login is the first attempt
    let token = app.admin_token.clone();
    let event = app.event(1).await;
    let (_, fan) = app.user("fan@example.org").await; // register and login: attempts 2 and 3
    assert_eq!(app.book(event, &fan, 1).await.status(), StatusCode::CREATED);
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let book = format!("POST /api/v1/events/{event}/bookings HTTP/1.1");
    let with_token = |line: &str, token: &str| format!("{line}\r\nauthorization: Bearer {token}");
    let oversized = format!("{{\"name\": \"{}\"}}", "x".repeat(100 * 1024));
    let cases: [(String, &[u8], &str); 7] = [
        (book.clone(), br#"{"seats": 1}"#, "401"),
        (with_token("GET /api/v1/bookings/999999 HTTP/1.1", &fan), b"", "404"),
        (with_token("POST /api/v1/events/999999/bookings HTTP/1.1", &fan), br#"{"seats": 1}"#, "404"),
        (with_token(&book, &fan), br#"{"seats": 1}"#, "409"),
        (with_token("POST /api/v1/events HTTP/1.1", &token), oversized.as_bytes(), "413"),
        ("POST /api/v1/auth/login HTTP/1.1".to_owned(), br#"{"email": "x@example.org", "password": "x"}"#, "429"),
        ("GET /api/v1/events HTTP/1.1".to_owned(), b"", "200"),
    ];
    for (head, body, expected) in cases {
        let (status, closing) = exchange(&mut stream, &head, body).await;
        assert!(status.starts_with(&format!("http/1.1 {expected}")), "{head}: {status}");
        assert!(!closing, "{head} answered {status} and closed the connection");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_must_be_json_objects() {
    let app = TestApp::memory().await;
    let event = app.event(5).await;
    let (_, user) = app.user("fan@example.org").await;
    let path = format!("/api/v1/events/{event}/bookings");
    for body in ["[2]", "2", "\"seats\"", "null", "[{\"seats\": 2}]"] {
        let answer = app.request(Method::POST, &path, Some(&user)).body(body).send().await.unwrap();
        problem(answer, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    assert_eq!(app.event_json(event).await["booked_seats"], 0, "nothing was booked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instants_outside_years_1_to_9999_are_refused() {
    let app = TestApp::memory().await;
    let token = Some(app.admin_token.as_str());
    for starts_at in ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "+10000-01-01T00:00:00Z"] {
        let body = serde_json::json!({"name": "N", "venue": "V", "starts_at": starts_at, "capacity": 5});
        let refused = app.post("/api/v1/events", token, body).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let query = "/api/v1/events?from=9999-12-31T23:30:00-01:00";
    problem(app.get(query, None).await, StatusCode::BAD_REQUEST, "bad_request").await;
    let listed: serde_json::Value = app.get("/api/v1/events?status=all", None).await.json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_need_a_visible_character() {
    let app = TestApp::memory().await;
    let token = Some(app.admin_token.as_str());
    for name in ["\u{200B}\u{200D}", "\u{202E}\u{2066}\u{2069}", "\u{FEFF}", "\u{3164}"] {
        let body = serde_json::json!({"name": name, "venue": "V", "starts_at": "2027-01-01T00:00:00Z", "capacity": 5});
        let refused = app.post("/api/v1/events", token, body).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let body = serde_json::json!({"name": name, "email": "ghost@example.org", "password": "password123"});
        let refused = app.post("/api/v1/auth/register", None, body).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickling_in_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = TestApp::memory().await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let trickle = async {
        for _ in 0..30 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(12), trickle).await.ok();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server closes the connection");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(17));
    assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_share_one_metrics_label() {
    let app = TestApp::memory().await;
    for n in 0..50 {
        let method = Method::from_bytes(format!("M{n}X").as_bytes()).unwrap();
        app.request(method, "/api/v1/events", None).send().await.unwrap();
    }
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(!metrics.contains("M7X"), "a client-chosen method became a label");
    assert!(metrics.contains("method=\"other\""));
}
