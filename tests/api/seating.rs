use std::collections::{HashMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invariants, count, on_both_stores, problem, tokens};

on_both_stores!(
    a_seated_event_shows_its_seats_and_draws_its_map,
    bad_seating_input_is_refused_and_changes_nothing,
    seated_holds_and_bookings_name_their_seats,
    cached_answers_free_a_lapsed_holds_seats_at_once,
    the_seat_answers_go_out_gzipped_to_clients_that_accept_it,
);

/// Stalls (Standard, 30.00): rows A and B of `row` seats; Balcony (VIP, 90.00): row A
/// of 2.
fn theatre(row: i64) -> Value {
    json!({"name": "Hamlet", "venue": "Globe", "starts_at": "2027-06-01T19:30:00Z", "max_seats_per_booking": 4,
        "tiers": [{"name": "Standard", "price_cents": 3000}, {"name": "VIP", "price_cents": 9000}],
        "seating": {"sections": [
            {"name": "Stalls", "rows": [{"label": "A", "seats": row}, {"label": "B", "seats": row}]},
            {"name": "Balcony", "tier": "VIP", "rows": [{"label": "A", "seats": 2}]}]}})
}

async fn create(app: &TestApp, body: Value) -> Value {
    let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn take(app: &TestApp, event: i64, what: &str, token: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/events/{event}/{what}"), Some(token), body).await
}

async fn seats(app: &TestApp, event: i64) -> Value {
    let response = app.get(&format!("/api/v1/events/{event}/seats"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The status of `section`'s `row` seat `number` in a `/seats` answer.
fn status_of(seats: &Value, section: &str, row: &str, number: u64) -> String {
    let section = seats["sections"].as_array().unwrap().iter().find(|s| s["name"] == section).unwrap();
    let row = section["rows"].as_array().unwrap().iter().find(|r| r["label"] == row).unwrap();
    let seat = row["seats"].as_array().unwrap().iter().find(|s| s["number"] == number).unwrap();
    seat["status"].as_str().unwrap().to_owned()
}

async fn a_seated_event_shows_its_seats_and_draws_its_map(app: TestApp) {
    let event = create(&app, theatre(6)).await;
    let id = event["id"].as_i64().unwrap();
    assert_eq!((event["seated"].as_bool(), event["capacity"].as_u64()), (Some(true), Some(14)));
    assert_eq!((event["tiers"][0]["capacity"].as_u64(), event["tiers"][1]["capacity"].as_u64()), (Some(12), Some(2)));
    let (_, guest) = app.user("guest@example.org").await;
    let booked = take(&app, id, "bookings", &guest, json!({"seats": 2})).await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let booked: Value = booked.json().await.unwrap();
    assert_eq!(booked["seat_labels"], json!(["Stalls:A:1", "Stalls:A:2"]));

    let listed = seats(&app, id).await;
    let vip = event["tiers"][1]["id"].clone();
    assert_eq!(listed["sections"][1]["tier_id"], vip);
    assert_eq!(listed["sections"][0]["rows"][1]["seats"].as_array().unwrap().len(), 6);
    assert_eq!(status_of(&listed, "Stalls", "A", 2), "booked");
    assert_eq!(status_of(&listed, "Stalls", "A", 3), "available");

    let response = app.get(&format!("/api/v1/events/{id}/seatmap.svg"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(svg.contains(">Stalls<") && svg.contains(">Balcony<") && svg.contains(">B<"), "sections and rows labelled");
    let (booked_seat, free_seat) = (first_seat(&svg, "#9e9e9e"), first_seat(&svg, "#2e7d32"));
    let pixels = render(&svg);
    let (booked_pixel, free_pixel) = (pixels(booked_seat), pixels(free_seat));
    assert_ne!(booked_pixel, free_pixel, "a booked and a free seat are drawn differently");
    assert_eq!(booked_pixel, [0x9e, 0x9e, 0x9e], "booked seats are grey");
    assert_eq!(free_pixel, [0x2e, 0x7d, 0x32], "free seats are green");

    // Both answers are cached, and a booking makes them stale at once.
    take(&app, id, "bookings", &app.user("second@example.org").await.1, json!({"seat_labels": ["Stalls:A:3"]})).await;
    assert_eq!(status_of(&seats(&app, id).await, "Stalls", "A", 3), "booked");
    let again = app.get(&format!("/api/v1/events/{id}/seatmap.svg"), None).await.text().await.unwrap();
    assert_ne!(again, svg);

    let plain = app.event(5).await;
    for path in [
        format!("/api/v1/events/{plain}/seats"),
        format!("/api/v1/events/{plain}/seatmap.svg"),
        "/api/v1/events/999999/seats".into(),
    ] {
        problem(app.get(&path, None).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}

async fn the_seat_answers_go_out_gzipped_to_clients_that_accept_it(app: TestApp) {
    let id = create(&app, theatre(200)).await["id"].as_i64().unwrap();
    let (_, guest) = app.user("guest@example.org").await;
    take(&app, id, "bookings", &guest, json!({"seats": 3})).await;
    let gzipped = |path: String, accept: &'static str| {
        let request = app.request(Method::GET, &path, None).header("accept-encoding", accept);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["vary"], "accept-encoding", "{path}");
            let coding = response.headers().get("content-encoding").map(|c| c.to_str().unwrap().to_owned());
            (coding, response.bytes().await.unwrap())
        }
    };
    for what in ["seats", "seatmap.svg"] {
        let path = format!("/api/v1/events/{id}/{what}");
        let plain = app.get(&path, None).await;
        assert_eq!(plain.headers().get("content-encoding"), None, "{path} without Accept-Encoding");
        let plain = plain.bytes().await.unwrap();
        let (coding, body) = gzipped(path.clone(), "br, gzip;q=0.8").await;
        assert_eq!(coding.as_deref(), Some("gzip"), "{path}");
        assert_eq!(unzip(&body), plain, "{path}: the same answer");
        assert!(body.len() * 5 < plain.len(), "{path}: {} bytes gzipped of {}", body.len(), plain.len());
        assert_eq!(gzipped(path.clone(), "gzip;q=0, identity").await, (None, plain), "{path}: gzip refused");

        // The gzipped answer is cached and goes stale with the plain one.
        take(&app, id, "bookings", &app.user(&format!("{what}@example.org")).await.1, json!({"seats": 1})).await;
        let (_, after) = gzipped(path.clone(), "gzip").await;
        assert_eq!(unzip(&after), app.get(&path, None).await.bytes().await.unwrap(), "{path} after a booking");
        assert_ne!(after, body, "{path} after a booking");
    }
    // Small answers go out as they are, with their length.
    let event = app.request(Method::GET, &format!("/api/v1/events/{id}"), None).header("accept-encoding", "gzip");
    let event = event.send().await.unwrap();
    assert_eq!(event.headers().get("content-encoding"), None);
    assert!(event.headers().contains_key("content-length"));
}

/// A gzipped body, unzipped.
pub fn unzip(gzipped: &[u8]) -> Vec<u8> {
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzipped), &mut unzipped).unwrap();
    unzipped
}

/// Where the first seat drawn in `colour` is: the start of its row's path, moved to the
/// middle of the seat.
fn first_seat(svg: &str, colour: &str) -> (u32, u32) {
    let at = svg.find(&format!(r#"stroke="{colour}" stroke-width="8" d="M"#)).unwrap();
    let rest = &svg[at..];
    let start = rest.find(" d=\"M").unwrap() + 5;
    let numbers: Vec<u32> = rest[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    (numbers[0] + 4, numbers[1])
}

/// The SVG rendered by a real renderer; a function reading a pixel's colour.
fn render(svg: &str) -> impl Fn((u32, u32)) -> [u8; 3] {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    move |(x, y)| {
        let pixel = pixmap.pixel(x, y).unwrap();
        [pixel.red(), pixel.green(), pixel.blue()]
    }
}

async fn bad_seating_input_is_refused_and_changes_nothing(app: TestApp) {
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = theatre(6);
        change(&mut body);
        body
    };
    let plans: Vec<(Value, &str)> = vec![
        (with(&|b| b["seating"]["sections"][0]["name"] = json!("St:alls")), "seating.sections[0].name"),
        (
            with(&|b| b["seating"]["sections"][0]["rows"][0]["label"] = json!("A:1")),
            "seating.sections[0].rows[0].label",
        ),
        (with(&|b| b["seating"]["sections"][0]["rows"][0]["seats"] = json!(0)), "seating.sections[0].rows[0].seats"),
        (with(&|b| b["seating"]["sections"][0]["rows"][0]["seats"] = json!(201)), "seating.sections[0].rows[0].seats"),
        (with(&|b| b["seating"]["sections"][1]["name"] = json!("Stalls")), "seating"),
        (with(&|b| b["seating"]["sections"][0]["rows"][1]["label"] = json!("A")), "seating"),
        (with(&|b| b["seating"]["sections"][0]["rows"] = json!([])), "seating"),
        (with(&|b| b["seating"]["sections"] = json!([])), "seating"),
        (with(&|b| b["seating"]["sections"][1]["tier"] = json!("Gold")), "seating.sections[1].tier"),
        (with(&|b| b["capacity"] = json!(15)), "capacity"),
        (with(&|b| b["tiers"][1]["capacity"] = json!(3)), "tiers"),
        (with(&|b| b["seating"]["sections"][1]["tier"] = json!("Standard")), "tiers"),
        (
            with(&|b| {
                let rows: Vec<Value> = (0..501).map(|i| json!({"label": format!("R{i}"), "seats": 200})).collect();
                b["seating"]["sections"][0]["rows"] = json!(rows);
            }),
            "seating",
        ),
    ];
    for (body, field) in plans {
        let response = app.post("/api/v1/events", Some(&app.admin_token), body).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{field}: {problem}");
    }
    problem(
        app.post(
            "/api/v1/events",
            Some(&app.admin_token),
            with(&|b| b["seating"]["sections"][0]["rows"][0]["seats"] = json!("six")),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let listed: Value = app.get("/api/v1/events", None).await.json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing was created");

    let id = create(&app, theatre(6)).await["id"].as_i64().unwrap();
    let (_, guest) = app.user("guest@example.org").await;
    let requests: Vec<(Value, &str, StatusCode, &str)> = vec![
        (json!({"seat_labels": ["Stalls:C:1"]}), "seat_labels", StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (json!({"seat_labels": ["Stalls:A:7"]}), "seat_labels", StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (
            json!({"seat_labels": ["Stalls:A:1", "Stalls:A:1"]}),
            "seat_labels",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (json!({"seat_labels": []}), "seat_labels", StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (
            json!({"seat_labels": ["Stalls:A:1", "Stalls:A:2", "Stalls:A:3", "Stalls:A:4", "Stalls:A:5"]}),
            "seats",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"seat_labels": ["Stalls:A:1"], "seats": 2}),
            "seats",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"seat_labels": ["Balcony:A:1"], "tier_id": 0}),
            "tier_id",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"seat_labels": ["Stalls:A:1", "Balcony:A:1"]}),
            "seat_labels",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (json!({"seats": 3, "adjacent": "yes"}), "", StatusCode::BAD_REQUEST, "bad_request"),
        (json!({"seat_labels": "Stalls:A:1"}), "", StatusCode::BAD_REQUEST, "bad_request"),
    ];
    for what in ["bookings", "holds"] {
        for (body, field, status, code) in &requests {
            let problem = problem(take(&app, id, what, &guest, body.clone()).await, *status, code).await;
            assert!(problem["detail"].as_str().unwrap().starts_with(field), "{what} {body}: {problem}");
        }
    }
    let plain = app.event(5).await;
    let refused = take(&app, plain, "bookings", &guest, json!({"seat_labels": ["A:1:1"]})).await;
    problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let event = app.event_json(id).await;
    assert_eq!((event["booked_seats"].as_u64(), event["held_seats"].as_u64()), (Some(0), Some(0)), "nothing was taken");
    let bigger =
        app.send(Method::PATCH, &format!("/api/v1/events/{id}"), Some(&app.admin_token), json!({"capacity": 20})).await;
    problem(bigger, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    if let Some(db) = &app.db {
        assert_invariants(db.url()).await;
    }
}

async fn seated_holds_and_bookings_name_their_seats(app: TestApp) {
    let id = create(&app, theatre(4)).await["id"].as_i64().unwrap();
    let (_, first) = app.user("first@example.org").await;
    let (_, second) = app.user("second@example.org").await;
    let held = take(&app, id, "holds", &first, json!({"seat_labels": ["Balcony:A:2", "Balcony:A:1"]})).await;
    assert_eq!(held.status(), StatusCode::CREATED);
    let held: Value = held.json().await.unwrap();
    assert_eq!(held["seat_labels"], json!(["Balcony:A:1", "Balcony:A:2"]), "in plan order");
    assert_eq!(held["unit_price_cents"], 9000);
    assert_eq!(status_of(&seats(&app, id).await, "Balcony", "A", 1), "held");
    let taken = take(&app, id, "bookings", &second, json!({"seat_labels": ["Balcony:A:1"]})).await;
    problem(taken, StatusCode::CONFLICT, "seat_unavailable").await;
    let confirmed = app.post(&format!("/api/v1/holds/{}/confirm", held["id"]), Some(&first), json!({})).await;
    let confirmed: Value = confirmed.json().await.unwrap();
    assert_eq!(confirmed["seat_labels"], json!(["Balcony:A:1", "Balcony:A:2"]));
    let tickets: Value =
        app.get(&format!("/api/v1/bookings/{}/tickets", confirmed["id"]), Some(&first)).await.json().await.unwrap();
    let labels: Vec<&str> =
        tickets["items"].as_array().unwrap().iter().map(|t| t["seat_label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Balcony:A:1", "Balcony:A:2"]);
    // B:2 taken: three side by side are in row A, then two in row B, then none.
    take(&app, id, "bookings", &second, json!({"seat_labels": ["Stalls:B:2"]})).await;
    let mut labels_of = Vec::new();
    for (email, body) in [("third@example.org", json!({"seats": 3})), ("fourth@example.org", json!({"seats": 2}))] {
        let (_, token) = app.user(email).await;
        let booked: Value = take(&app, id, "bookings", &token, body).await.json().await.unwrap();
        labels_of.push(booked["seat_labels"].clone());
    }
    assert_eq!(labels_of, [json!(["Stalls:A:1", "Stalls:A:2", "Stalls:A:3"]), json!(["Stalls:B:3", "Stalls:B:4"])]);
    let (_, fifth) = app.user("fifth@example.org").await;
    problem(take(&app, id, "holds", &fifth, json!({"seats": 2})).await, StatusCode::CONFLICT, "no_adjacent_seats")
        .await;
    let scattered: Value =
        take(&app, id, "holds", &fifth, json!({"seats": 2, "adjacent": false})).await.json().await.unwrap();
    assert_eq!(scattered["seat_labels"], json!(["Stalls:A:4", "Stalls:B:1"]));
    let (_, sixth) = app.user("sixth@example.org").await;
    problem(take(&app, id, "bookings", &sixth, json!({"seats": 1})).await, StatusCode::CONFLICT, "sold_out").await;
    problem(
        take(&app, id, "bookings", &sixth, json!({"seat_labels": ["Stalls:A:4"]})).await,
        StatusCode::CONFLICT,
        "seat_unavailable",
    )
    .await;
    if let Some(db) = &app.db {
        assert_invariants(db.url()).await;
    }
}

/// Reads cached while a hold is active do not outlive it: the seats, the map and the
/// event show its seats free the moment it lapses.
async fn cached_answers_free_a_lapsed_holds_seats_at_once(app: TestApp) {
    let mut body = theatre(4);
    body["hold_ttl_seconds"] = json!(5);
    let id = create(&app, body).await["id"].as_i64().unwrap();
    let (_, guest) = app.user("guest@example.org").await;
    let held = take(&app, id, "holds", &guest, json!({"seat_labels": ["Stalls:A:1"]})).await;
    let held: Value = held.json().await.unwrap();
    let lapses = chrono::DateTime::parse_from_rfc3339(held["expires_at"].as_str().unwrap()).unwrap();
    let map = format!("/api/v1/events/{id}/seatmap.svg");
    let svg = app.get(&map, None).await.text().await.unwrap();
    assert_eq!(status_of(&seats(&app, id).await, "Stalls", "A", 1), "held");
    assert_eq!(app.event_json(id).await["held_seats"], 1);
    // Twice: a new listing is kept from its second read.
    for _ in 0..2 {
        assert_eq!(listed_held_seats(&app, id).await, 1);
    }
    let left = (lapses.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().unwrap();
    tokio::time::sleep(left + std::time::Duration::from_millis(50)).await;
    assert_eq!(status_of(&seats(&app, id).await, "Stalls", "A", 1), "available");
    assert_eq!(app.event_json(id).await["held_seats"], 0);
    assert_eq!(listed_held_seats(&app, id).await, 0);
    assert_ne!(app.get(&map, None).await.text().await.unwrap(), svg);
}

/// The held seats the event listing shows for `event`.
async fn listed_held_seats(app: &TestApp, event: i64) -> Value {
    let page: Value = app.get("/api/v1/events?limit=100", None).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    items.iter().find(|e| e["id"] == event).map(|e| e["held_seats"].clone()).unwrap()
}

/// 64 clients race for overlapping named seats and the best available of a small hall,
/// each sending its request twice at once under one `Idempotency-Key` (a retry after a
/// timeout): every key books at most once and answers alike, no seat is sold twice, and
/// the rules hold in SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_seat_stampede_with_retries_sells_no_seat_twice() {
    let app = TestApp::postgres().await;
    let db = app.db.as_ref().unwrap().url().to_owned();
    let event = create(&app, theatre(8)).await;
    let id = event["id"].as_i64().unwrap();
    let tokens = tokens(&app.client, &app.base, "racer", 64).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(128));
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .flat_map(|(i, token)| {
            let body = match i % 4 {
                3 => json!({"seats": 2}),
                n => {
                    let first = (i / 4) % 6 + 1 + n % 2;
                    json!({"seat_labels": [format!("Stalls:A:{first}"), format!("Stalls:A:{}", first + 1)]})
                }
            };
            (0..2).map(move |_| (i, token.clone(), body.clone()))
        })
        .map(|(i, token, body)| {
            let (client, base, barrier) = (app.client.clone(), app.base.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let response = client
                    .post(format!("{base}/api/v1/events/{id}/bookings"))
                    .bearer_auth(token)
                    .header("Idempotency-Key", format!("seat-{i}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (i, response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers: HashMap<usize, Vec<(StatusCode, Value)>> = HashMap::new();
    for task in tasks {
        let (i, status, body) = task.await.unwrap();
        answers.entry(i).or_default().push((status, body));
    }
    let mut sold = Vec::new();
    for (client, pair) in &answers {
        let [(status, body), (again_status, again)] = pair.as_slice() else { panic!("two answers per client") };
        assert!([StatusCode::CREATED, StatusCode::CONFLICT].contains(status), "client {client}: {status} {body}");
        if *status == StatusCode::CREATED && *again_status == StatusCode::CREATED {
            assert_eq!(body, again, "one key, one booking");
        }
        for answer in pair.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, b)| b).take(1) {
            sold.extend(answer["seat_labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()));
        }
        if *status != StatusCode::CREATED {
            assert!(
                ["seat_unavailable", "no_adjacent_seats", "sold_out", "already_booked"]
                    .contains(&body["code"].as_str().unwrap()),
                "{body}"
            );
        }
    }
    let unique: HashSet<&String> = sold.iter().collect();
    assert_eq!(unique.len(), sold.len(), "a seat sold twice: {sold:?}");
    // Sixteen clients asked for the best two: no two seats side by side are left.
    let seats = seats(&app, id).await;
    for row in seats["sections"][0]["rows"].as_array().unwrap() {
        let free: Vec<bool> = row["seats"].as_array().unwrap().iter().map(|s| s["status"] == "available").collect();
        assert!(!free.windows(2).any(|pair| pair[0] && pair[1]), "two free side by side: {row}");
    }
    let in_sql = count(
        &db,
        &format!(
            "SELECT count(*) AS n FROM bookings, unnest(seat_numbers) WHERE event_id = {id} AND status = 'confirmed'"
        ),
    )
    .await;
    assert_eq!(in_sql as usize, sold.len());
    let keyed = count(&db, &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {id}")).await;
    assert_eq!(
        keyed as usize,
        answers.values().filter(|pair| pair.iter().any(|(s, _)| *s == StatusCode::CREATED)).count()
    );
    assert_invariants(&db).await;
}
