//! Sending one request of the history and telling its outcome: an answer (status and
//! parsed body), or `Indeterminate` when it timed out or lost its connection.

use chrono::{DateTime, Utc};
use reqwest::{Client, Method};
use serde_json::{Value, json};

use super::record::{Call, Op, Outcome};

/// One request's timing and outcome.
pub type Sent = (DateTime<Utc>, DateTime<Utc>, Outcome);

/// Sends one request and records nothing: timeouts and connection errors are
/// `Indeterminate`.
pub async fn send(
    http: &Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> Sent {
    let mut request = http.request(method, format!("{base}/api/v1{path}")).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let start = Utc::now();
    let outcome = match request.send().await {
        Err(e) => Outcome::Indeterminate(failure(&e)),
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Err(e) => Outcome::Indeterminate(failure(&e)),
                Ok(bytes) if bytes.is_empty() => Outcome::Answered { status, body: Value::Null },
                Ok(bytes) => Outcome::Answered {
                    status,
                    body: serde_json::from_slice(&bytes)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
                },
            }
        }
    };
    (start, Utc::now(), outcome)
}

/// Why no answer came: `timeout`, `connect` (refused) or `reset` (connection lost).
fn failure(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "reset"
    };
    kind.to_owned()
}

/// Seats in a row of a seated history event.
const ROW: i64 = 4;

/// The seat labels of a seated history event of `capacity` seats: rows of [`ROW`] seats.
pub fn seat_labels(capacity: i64) -> Vec<String> {
    (0..capacity).map(|n| format!("Hall:{}:{}", n / ROW + 1, n % ROW + 1)).collect()
}

/// How an event of the history sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sale {
    /// General admission, to anyone.
    Open,
    /// The seats of [`seat_labels`].
    Seated,
    /// Through an on-sale queue admitting 6,000 a minute.
    Queued,
}

/// Publishes an event (capacity `capacity`, 3 seats per booking at most, sold as `sale`
/// says) and records it.
pub async fn create_event(
    http: &Client,
    base: &str,
    admin: &(i64, String),
    capacity: i64,
    sale: Sale,
    hold_ttl_seconds: u32,
) -> Call {
    let mut body = json!({"name": "Small venue", "venue": "Club", "starts_at": "2027-06-01T20:00:00Z",
        "capacity": capacity, "max_seats_per_booking": 3, "hold_ttl_seconds": hold_ttl_seconds});
    if sale == Sale::Queued {
        body["queue"] = json!({"admit_per_minute": 6000});
    }
    let seated = sale == Sale::Seated;
    if seated {
        let rows: Vec<_> = (0..(capacity + ROW - 1) / ROW)
            .map(|r| json!({"label": (r + 1).to_string(), "seats": ROW.min(capacity - r * ROW)}))
            .collect();
        body["seating"] = json!({"sections": [{"name": "Hall", "rows": rows}]});
    }
    let (start, end, outcome) = send(http, base, Method::POST, "/events", &admin.1, Some(body), None).await;
    let call = Call {
        client: 0,
        request: 0,
        user: admin.0,
        event: 0,
        op: Op::Create { capacity },
        base: base.to_owned(),
        start,
        end,
        outcome,
    };
    Call { event: call.body_i64("id").unwrap(), ..call }
}
