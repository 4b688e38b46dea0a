use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use evently_ticket::{Claims, TicketSigner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TICKET_SIGNING_KEY, TestApp, on_both_stores, problem, settings};

on_both_stores!(
    codes_verify_with_the_published_key_by_the_format_alone,
    staff_scan_once_and_only_staff_scan,
    sixty_four_concurrent_scans_of_one_code_give_one_200,
    cancelled_bookings_are_revoked_and_fed_to_scanners,
    offline_uploads_resolve_by_the_earliest_scan,
    the_qr_code_decodes_to_the_ticket_code,
    bad_codes_and_bodies_are_refused_and_change_nothing,
);

/// A user holding a confirmed booking of `seats` seats: (token, booking id, tickets).
async fn booked(app: &TestApp, event: i64, email: &str, seats: i64) -> (String, i64, Vec<Value>) {
    let (_, token) = app.user(email).await;
    let response = app.book(event, &token, seats).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let booking = response.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let tickets = list_tickets(app, booking, &token).await;
    (token, booking, tickets)
}

async fn list_tickets(app: &TestApp, booking: i64, token: &str) -> Vec<Value> {
    let response = app.get(&format!("/api/v1/bookings/{booking}/tickets"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

/// A staff member's token (made staff by the admin).
async fn staff(app: &TestApp, email: &str) -> String {
    let (id, token) = app.user(email).await;
    let response = app
        .send(Method::PATCH, &format!("/api/v1/admin/users/{id}"), Some(&app.admin_token), json!({"role": "staff"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["role"], "staff");
    token
}

async fn scan(app: &TestApp, event: i64, token: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/events/{event}/checkins"), Some(token), body).await
}

fn code(ticket: &Value) -> String {
    ticket["code"].as_str().unwrap().to_owned()
}

async fn codes_verify_with_the_published_key_by_the_format_alone(app: TestApp) {
    let event = app.event(10).await;
    let (_, booking, tickets) = booked(&app, event, "guest@example.org", 2).await;
    assert_eq!(tickets.len(), 2);
    let keys: Value = app.get("/api/v1/ticket-keys", None).await.json().await.unwrap();
    let key = &keys["keys"][0];
    assert_eq!((&key["alg"], &key["active"]), (&json!("Ed25519"), &json!(true)));
    let public: [u8; 32] = URL_SAFE_NO_PAD.decode(key["public_key"].as_str().unwrap()).unwrap().try_into().unwrap();
    let verifier = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
    let starts_at: DateTime<Utc> = "2027-03-01T19:30:00Z".parse().unwrap();
    for ticket in &tickets {
        assert_eq!(
            (&ticket["booking_id"], &ticket["event_id"], &ticket["status"]),
            (&json!(booking), &json!(event), &json!("valid"))
        );
        assert_eq!(
            (&ticket["seat_label"], &ticket["checked_in_at"], &ticket["gate"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );
        // EVT1.<payload>.<signature>, the signature over the ASCII of "EVT1.<payload>".
        let code = code(ticket);
        let parts: Vec<&str> = code.split('.').collect();
        assert_eq!((parts.len(), parts[0]), (3, "EVT1"));
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!((&payload["kid"], &payload["eid"], &payload["tid"]), (&key["kid"], &json!(event), &ticket["id"]));
        assert_eq!(payload["seat"], Value::Null);
        assert_eq!(payload["exp"].as_i64().unwrap(), starts_at.timestamp() + 86_400);
        let nbf = payload["nbf"].as_i64().unwrap();
        assert!(nbf <= Utc::now().timestamp() && Utc::now().timestamp() - nbf < 60, "nbf {nbf} is the issue time");
        let signature: [u8; 64] = URL_SAFE_NO_PAD.decode(parts[2]).unwrap().try_into().unwrap();
        let signed = format!("EVT1.{}", parts[1]);
        verifier.verify_strict(signed.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature)).unwrap();
        // A changed byte of the payload no longer verifies.
        let mut changed = signed.clone().into_bytes();
        changed[10] ^= 1;
        assert!(verifier.verify_strict(&changed, &ed25519_dalek::Signature::from_bytes(&signature)).is_err());
    }
    // The kid is derived from the key: the first 9 bytes of its SHA-256, base64url.
    assert_eq!(key["kid"].as_str().unwrap().len(), 12);
}

async fn staff_scan_once_and_only_staff_scan(app: TestApp) {
    let event = app.event(10).await;
    let (guest, booking, tickets) = booked(&app, event, "guest@example.org", 1).await;
    let door = staff(&app, "door@example.org").await;
    let code = code(&tickets[0]);
    // Users may not scan; staff may not do what admins do, nor read others' tickets.
    problem(scan(&app, event, &guest, json!({"code": code})).await, StatusCode::FORBIDDEN, "forbidden").await;
    let body = json!({"name": "Mine", "venue": "Hall", "starts_at": "2027-03-01T19:30:00Z", "capacity": 5});
    problem(app.post("/api/v1/events", Some(&door), body).await, StatusCode::FORBIDDEN, "forbidden").await;
    problem(
        app.get(&format!("/api/v1/bookings/{booking}/tickets"), Some(&door)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{booking}/tickets"), Some(&app.admin_token)).await.status(),
        StatusCode::OK
    );

    let first = scan(&app, event, &door, json!({"code": code, "gate": "North"})).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(
        (&first["first_scan"], &first["ticket"]["status"], &first["ticket"]["gate"]),
        (&json!(true), &json!("checked_in"), &json!("North"))
    );
    let again = problem(
        scan(&app, event, &app.admin_token, json!({"code": code, "gate": "South"})).await,
        StatusCode::CONFLICT,
        "already_checked_in",
    )
    .await;
    assert_eq!((&again["checked_in_at"], &again["gate"]), (&first["ticket"]["checked_in_at"], &json!("North")));
    let listed = list_tickets(&app, booking, &guest).await;
    assert_eq!(
        (&listed[0]["status"], &listed[0]["checked_in_at"]),
        (&json!("checked_in"), &first["ticket"]["checked_in_at"])
    );

    let stats: Value =
        app.get(&format!("/api/v1/events/{event}/checkins/stats"), Some(&door)).await.json().await.unwrap();
    assert_eq!(
        stats,
        json!({"tickets_valid": 0, "checked_in": 1, "revoked": 0, "by_gate": [{"gate": "North", "checked_in": 1}]})
    );
    problem(
        app.get(&format!("/api/v1/events/{event}/checkins/stats"), Some(&guest)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(app.get("/api/v1/events/9999/checkins/stats", Some(&door)).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn sixty_four_concurrent_scans_of_one_code_give_one_200(app: TestApp) {
    let event = app.event(10).await;
    let (_, _, tickets) = booked(&app, event, "guest@example.org", 1).await;
    let door = staff(&app, "door@example.org").await;
    let body = json!({"code": code(&tickets[0]), "gate": "Main"});
    let scans: Vec<_> = (0..64)
        .map(|_| {
            let request =
                app.request(Method::POST, &format!("/api/v1/events/{event}/checkins"), Some(&door)).json(&body);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut statuses = Vec::new();
    for scan in scans {
        let answer = scan.await.unwrap();
        let status = answer.status();
        if status == StatusCode::CONFLICT {
            assert_eq!(answer.json::<Value>().await.unwrap()["code"], "already_checked_in");
        }
        statuses.push(status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 63);
    if let Some(db) = &app.db {
        let checked =
            crate::helpers::count(db.url(), "SELECT count(*) AS n FROM tickets WHERE status = 'checked_in'").await;
        assert_eq!(checked, 1);
    }
}

async fn cancelled_bookings_are_revoked_and_fed_to_scanners(app: TestApp) {
    let event = app.event(10).await;
    let (guest, booking, issued) = booked(&app, event, "guest@example.org", 2).await;
    let (_, _, others) = booked(&app, event, "other@example.org", 1).await;
    let door = staff(&app, "door@example.org").await;
    let feed = |after: Option<&str>| {
        let query = after.map(|c| format!("?after={c}")).unwrap_or_default();
        let request = app.request(Method::GET, &format!("/api/v1/events/{event}/revocations{query}"), Some(&door));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let start = feed(None).await;
    assert_eq!(start["items"], json!([]));
    let cursor = start["cursor"].as_str().unwrap().to_owned();

    let cancel = app.post(&format!("/api/v1/bookings/{booking}/cancel"), Some(&guest), json!({})).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    let revoked = list_tickets(&app, booking, &guest).await;
    assert!(revoked.iter().all(|t| t["status"] == "revoked"));
    problem(scan(&app, event, &door, json!({"code": code(&issued[0])})).await, StatusCode::CONFLICT, "ticket_revoked")
        .await;

    let newer = feed(Some(&cursor)).await;
    let ids: Vec<&Value> = newer["items"].as_array().unwrap().iter().map(|r| &r["ticket_id"]).collect();
    assert_eq!(ids, [&issued[0]["id"], &issued[1]["id"]]);
    assert!(newer["items"][0]["revoked_at"].is_string());
    let cursor = newer["cursor"].as_str().unwrap().to_owned();
    let unchanged = feed(Some(&cursor)).await;
    assert_eq!((&unchanged["items"], unchanged["cursor"].as_str()), (&json!([]), Some(cursor.as_str())));

    // Cancelling the event revokes the rest; a scan of its tickets is `ticket_revoked`.
    let cancelled =
        app.request(Method::DELETE, &format!("/api/v1/events/{event}"), Some(&app.admin_token)).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let last = feed(Some(&cursor)).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["items"][0]["ticket_id"], others[0]["id"]);
    problem(scan(&app, event, &door, json!({"code": code(&others[0])})).await, StatusCode::CONFLICT, "ticket_revoked")
        .await;
    let stats: Value =
        app.get(&format!("/api/v1/events/{event}/checkins/stats"), Some(&door)).await.json().await.unwrap();
    assert_eq!((&stats["tickets_valid"], &stats["revoked"]), (&json!(0), &json!(3)));
    problem(
        app.get(&format!("/api/v1/events/{event}/revocations"), Some(&guest)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

async fn offline_uploads_resolve_by_the_earliest_scan(app: TestApp) {
    let event = app.event(10).await;
    let other_event = app.event(10).await;
    let (_, _, tickets) = booked(&app, event, "guest@example.org", 2).await;
    let (_, _, elsewhere) = booked(&app, other_event, "other@example.org", 1).await;
    let door = staff(&app, "door@example.org").await;
    let (a, b) = (code(&tickets[0]), code(&tickets[1]));
    let at = |minute: u32| format!("2026-12-03T10:{minute:02}:00Z");
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let upload = json!({"scans": [
        {"code": a, "gate": "North", "scanned_at": now},
        {"code": a, "gate": "South", "scanned_at": now},
        {"code": b, "scanned_at": now},
        {"code": code(&elsewhere[0]), "scanned_at": now},
        {"code": "EVT1.garbage.garbage", "scanned_at": now},
        {"code": b, "gate": "West", "scanned_at": at(0)},
    ]});
    let answer = app.post(&format!("/api/v1/events/{event}/checkins/batch"), Some(&door), upload).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let results: Value = answer.json().await.unwrap();
    let outcomes: Vec<&str> =
        results["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    // `b` scanned at 10:00 today is before its issue time: outside its window, so its
    // later scan wins.
    assert_eq!(
        outcomes,
        ["checked_in", "already_checked_in", "checked_in", "invalid_ticket", "invalid_ticket", "invalid_ticket"]
    );
    assert_eq!(results["results"][0]["code"], json!(a));
    assert_eq!(results["results"][1]["checked_in_at"], results["results"][0]["checked_in_at"]);

    // Out of order: a later upload with an earlier scan does not move a check-in.
    let later = json!({"scans": [{"code": a, "gate": "East", "scanned_at": now}]});
    let answer: Value =
        app.post(&format!("/api/v1/events/{event}/checkins/batch"), Some(&door), later).await.json().await.unwrap();
    assert_eq!(answer["results"][0]["outcome"], "already_checked_in");
    let stats: Value =
        app.get(&format!("/api/v1/events/{event}/checkins/stats"), Some(&door)).await.json().await.unwrap();
    assert_eq!(stats["by_gate"], json!([{"gate": "North", "checked_in": 1}, {"gate": null, "checked_in": 1}]));
}

async fn the_qr_code_decodes_to_the_ticket_code(app: TestApp) {
    let event = app.event(10).await;
    let (guest, _, tickets) = booked(&app, event, "guest@example.org", 1).await;
    let id = tickets[0]["id"].as_i64().unwrap();
    let response = app.get(&format!("/api/v1/tickets/{id}/qr.svg"), Some(&guest)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert_eq!(decode_qr(&svg), code(&tickets[0]));
    let (_, stranger) = app.user("stranger@example.org").await;
    problem(
        app.get(&format!("/api/v1/tickets/{id}/qr.svg"), Some(&stranger)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.get(&format!("/api/v1/tickets/{id}/qr.svg"), Some(&app.admin_token)).await.status(), StatusCode::OK);
    problem(app.get("/api/v1/tickets/9999/qr.svg", Some(&guest)).await, StatusCode::NOT_FOUND, "not_found").await;
}

/// Renders an SVG with a real renderer, then reads the QR code in the pixels.
fn decode_qr(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let width = pixmap.width() as usize;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, pixmap.height() as usize, |x, y| {
        let pixel = pixmap.pixels()[y * width + x];
        // Premultiplied colour over a white page.
        255 - pixel.alpha() + pixel.red()
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (meta, content) = grids[0].decode().unwrap();
    // The level as the format bits give it: L = 1, M = 0, Q = 3, H = 2.
    assert_ne!(meta.ecc_level, 1, "error correction M or higher");
    content
}

async fn bad_codes_and_bodies_are_refused_and_change_nothing(app: TestApp) {
    let event = app.event(10).await;
    let other = app.event(10).await;
    let (guest, booking, tickets) = booked(&app, event, "guest@example.org", 1).await;
    let door = staff(&app, "door@example.org").await;
    let real = code(&tickets[0]);
    let id = tickets[0]["id"].as_i64().unwrap();
    let signer = TicketSigner::from_base64(TICKET_SIGNING_KEY).unwrap();
    let now = Utc::now().timestamp();
    let forged_by = TicketSigner::from_seed([9; 32]);
    let mut flipped = real.clone().into_bytes();
    let last = flipped.len() - 3;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let invalid = [
        String::new(),
        "not a ticket".to_owned(),
        "EVT1..".to_owned(),
        String::from_utf8(flipped).unwrap(),
        real.replacen("EVT1", "EVT2", 1),
        "EVT1.".to_owned() + &"A".repeat(20_000),
        forged_by.sign(&Claims::new(event, id, None, now - 60, now + 3_600)),
        signer.sign(&Claims::new(event, id, None, now - 7_200, now - 3_600)),
        signer.sign(&Claims::new(event, id, None, now + 3_600, now + 7_200)),
        signer.sign(&Claims::new(event, 99_999, None, now - 60, now + 3_600)),
    ];
    for bad in &invalid {
        problem(
            scan(&app, event, &door, json!({"code": bad})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ticket",
        )
        .await;
    }
    problem(scan(&app, other, &door, json!({"code": real})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_ticket")
        .await;
    problem(scan(&app, 9_999, &door, json!({"code": real})).await, StatusCode::NOT_FOUND, "not_found").await;
    for gate in ["", "   ", &"g".repeat(51)] {
        let refused = scan(&app, event, &door, json!({"code": real, "gate": gate})).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    for body in [json!({}), json!({"code": 5}), json!({"code": real, "gate": 3})] {
        problem(scan(&app, event, &door, body).await, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let batch = format!("/api/v1/events/{event}/checkins/batch");
    let scan_of = |code: &str| json!({"code": code, "scanned_at": Utc::now().to_rfc3339()});
    let too_many: Vec<Value> = (0..501).map(|_| scan_of(&real)).collect();
    for body in [json!({"scans": []}), json!({"scans": too_many})] {
        problem(app.post(&batch, Some(&door), body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let no_time = json!({"scans": [{"code": real}]});
    problem(app.post(&batch, Some(&door), no_time).await, StatusCode::BAD_REQUEST, "bad_request").await;
    let huge = json!({"scans": [scan_of(&"A".repeat(700 * 1024))]});
    problem(app.post(&batch, Some(&door), huge).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let revocations = format!("/api/v1/events/{event}/revocations");
    for query in ["?after=nope", "?after=-1", "?limit=0", "?limit=1001"] {
        let refused = app.get(&format!("{revocations}{query}"), Some(&door)).await;
        problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    // Nothing changed: the ticket is still valid and scans once.
    assert_eq!(list_tickets(&app, booking, &guest).await[0]["status"], "valid");
    assert_eq!(scan(&app, event, &door, json!({"code": real})).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_key_still_admits_what_it_signed() {
    let db = evently_test_db::TestDatabase::create().await;
    let url = db.url().to_owned();
    let old = TestApp::with(settings(Some(&url)), Some(db)).await;
    let event = old.event(10).await;
    let (_, _, tickets) = booked(&old, event, "guest@example.org", 1).await;
    let old_key = TicketSigner::from_base64(TICKET_SIGNING_KEY).unwrap().public_key();

    let mut rotated = settings(Some(&url));
    rotated.ticket_signer = Some(TicketSigner::from_seed([42; 32]));
    rotated.ticket_previous_keys = vec![old_key.clone()];
    let new = TestApp::with(rotated, None).await;
    let keys: Value = new.get("/api/v1/ticket-keys", None).await.json().await.unwrap();
    let listed: Vec<(&Value, &Value)> =
        keys["keys"].as_array().unwrap().iter().map(|k| (&k["public_key"], &k["active"])).collect();
    let new_key = TicketSigner::from_seed([42; 32]).public_key().to_base64();
    assert_eq!(listed, [(&json!(new_key), &json!(true)), (&json!(old_key.to_base64()), &json!(false))]);
    let door = staff(&new, "door@example.org").await;
    let admitted = scan(&new, event, &door, json!({"code": code(&tickets[0])})).await;
    assert_eq!(admitted.status(), StatusCode::OK);
    // Reads now give codes signed by the active key.
    let reissued: Value = admitted.json().await.unwrap();
    assert_ne!(reissued["ticket"]["code"], tickets[0]["code"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_verifies_a_code_offline() {
    let app = TestApp::memory().await;
    let event = app.event(10).await;
    let (_, _, tickets) = booked(&app, event, "guest@example.org", 1).await;
    let keys = app.get("/api/v1/ticket-keys", None).await.text().await.unwrap();
    let file = std::env::temp_dir().join(format!("ticket-keys-{}.json", std::process::id()));
    std::fs::write(&file, keys).unwrap();
    let verify = |code: &str, event: i64| {
        Command::new(env!("CARGO_BIN_EXE_evently"))
            .args(["ticket", "verify", code, "--keys", file.to_str().unwrap(), "--event", &event.to_string()])
            .output()
            .unwrap()
    };
    let valid = verify(&code(&tickets[0]), event);
    assert!(valid.status.success(), "{}", String::from_utf8_lossy(&valid.stderr));
    let claims: Value = serde_json::from_slice(&valid.stdout).unwrap();
    assert_eq!((&claims["eid"], &claims["tid"]), (&json!(event), &tickets[0]["id"]));
    let other_event = verify(&code(&tickets[0]), event + 1);
    assert_eq!(other_event.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&other_event.stderr).contains("another event"));
    let forged = verify(&code(&tickets[0]).replace('.', ".A"), event);
    assert_eq!(forged.status.code(), Some(1));
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn a_database_without_a_signing_key_refuses_to_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_evently"))
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused")
        .env("EVENTLY_JWT_SECRET", crate::helpers::JWT_SECRET)
        .env_remove("EVENTLY_TICKET_SIGNING_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("EVENTLY_TICKET_SIGNING_KEY is required"));
}
