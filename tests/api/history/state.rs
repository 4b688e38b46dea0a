//! The database's final state, read with plain SQL once the run has settled.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

use crate::helpers::count;

const DEADLOCKS: &str = "SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()";

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub capacity: i32,
    #[diesel(sql_type = Integer)]
    pub booked_seats: i32,
    #[diesel(sql_type = Integer)]
    pub max_seats_per_booking: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub seated: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub queued: bool,
}

/// A ticket of an on-sale queue.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct QueueTicketRow {
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub admitted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct BookingRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub seat_labels: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct EntryRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub joined_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
}

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HoldRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub seat_labels: Option<Vec<String>>,
}

/// A webhook message: its type and the row it carries.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct MessageRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub resource: String,
    #[diesel(sql_type = BigInt)]
    pub resource_id: i64,
    /// Whether its delivery succeeded.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub delivered: bool,
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TicketRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub booking_id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A tier and its quota.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct TierRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pub capacity: Option<i32>,
}

/// A key remembered in `idempotency_keys`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct KeyRow {
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
}

/// One rule of `bench/invariants.sql` and how many rows break it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct RuleCount {
    #[diesel(sql_type = Text)]
    pub rule: String,
    #[diesel(sql_type = BigInt)]
    pub violations: i64,
}

/// Every event, booking, waitlist entry and remembered key, the SQL rule counts and the
/// deadlock count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalState {
    pub events: Vec<EventRow>,
    /// In id order.
    pub tiers: Vec<TierRow>,
    pub bookings: Vec<BookingRow>,
    /// In id order.
    pub holds: Vec<HoldRow>,
    /// In id order.
    pub tickets: Vec<TicketRow>,
    /// Webhook messages, in id order.
    pub messages: Vec<MessageRow>,
    /// The `webhook-id`s the test's receiver got.
    pub received: std::collections::HashSet<String>,
    /// In queue order (`joined_at`, `id`).
    pub entries: Vec<EntryRow>,
    pub keys: Vec<KeyRow>,
    pub queue_tickets: Vec<QueueTicketRow>,
    pub invariants: Vec<RuleCount>,
    /// Deadlocks PostgreSQL detected in the database (`pg_stat_database`; read once the
    /// servers are gone, so every backend has flushed its statistics).
    pub deadlocks: i64,
}

impl FinalState {
    pub async fn read(database_url: &str) -> Self {
        let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
        let events = "SELECT id, capacity, booked_seats, max_seats_per_booking, status, seated, \
                      queue_admit_per_minute IS NOT NULL AS queued FROM events ORDER BY id";
        let bookings = "SELECT id, event_id, user_id, seats, status, source, created_at, tier_id, seat_labels \
                        FROM bookings ORDER BY id";
        let entries = "SELECT id, event_id, user_id, seats, status, booking_id, joined_at, tier_id \
                       FROM waitlist_entries ORDER BY joined_at, id";
        Self {
            events: diesel::sql_query(events).load(&mut conn).await.unwrap(),
            tiers: diesel::sql_query("SELECT id, event_id, capacity FROM tiers ORDER BY id")
                .load(&mut conn)
                .await
                .unwrap(),
            bookings: diesel::sql_query(bookings).load(&mut conn).await.unwrap(),
            holds: diesel::sql_query(
                "SELECT id, event_id, user_id, tier_id, seats, status, booking_id, source, seat_labels \
                 FROM holds ORDER BY id",
            )
            .load(&mut conn)
            .await
            .unwrap(),
            tickets: diesel::sql_query("SELECT id, booking_id, status, checked_in_at FROM tickets ORDER BY id")
                .load(&mut conn)
                .await
                .unwrap(),
            messages: diesel::sql_query(
                "SELECT m.id, m.type AS kind, m.resource, COALESCE((m.booking).id, (m.hold).id, (m.ticket).id, m.event_id) AS resource_id, \
                 bool_and(d.status = 'succeeded') AS delivered \
                 FROM webhook_messages m JOIN webhook_deliveries d ON d.message_id = m.id GROUP BY m.id ORDER BY m.id",
            )
            .load(&mut conn)
            .await
            .unwrap(),
            received: std::collections::HashSet::new(),
            entries: diesel::sql_query(entries).load(&mut conn).await.unwrap(),
            keys: diesel::sql_query("SELECT user_id, key, event_id, seats, booking_id FROM idempotency_keys")
                .load(&mut conn)
                .await
                .unwrap(),
            queue_tickets: diesel::sql_query("SELECT event_id, user_id, admitted_at, expires_at FROM queue_tickets")
                .load(&mut conn)
                .await
                .unwrap(),
            invariants: diesel::sql_query(include_str!("../../../bench/invariants.sql")).load(&mut conn).await.unwrap(),
            deadlocks: count(database_url, DEADLOCKS).await,
        }
    }
}
