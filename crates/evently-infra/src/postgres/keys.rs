//! Idempotency keys of booking requests. Keys are claimed inside the booking's own
//! transaction, after its events' row locks and in key order: keyed bookings queue on
//! those locks like any other (and share their group commit), so two of them can never
//! deadlock on a key row.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRequest, IdempotencyKey};
use evently_domain::seating::SeatPick;
use evently_domain::{EventId, StoreError, TierId};

use super::error::TxError;
use super::inventory::{seat_count, store_failure};
use super::prepared::Prepare as _;
use super::rows::{BookingRow, seats};

/// How long an idempotency key answers replays, as a PostgreSQL interval.
pub(super) fn key_lifetime() -> String {
    format!("{} seconds", IdempotencyKey::LIFETIME.num_seconds())
}

/// What claiming a request's key decided.
pub(super) enum Claim {
    /// No key, or a key seen for the first time: the rules decide the request.
    Decide,
    /// The key answered already: the first booking replayed, or a mismatch.
    Answered(Result<BookOutcome, BookError>),
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    key: String,
}

/// The request a remembered key was first used with (columns `key_event_id`,
/// `key_seats`, `key_tier_id`, `key_pick`); bookings' and holds' keys alike.
#[derive(QueryableByName)]
pub(super) struct KeyedRequest {
    #[diesel(sql_type = BigInt)]
    key_event_id: i64,
    #[diesel(sql_type = Integer)]
    key_seats: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    key_tier_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    key_pick: Option<String>,
}

impl KeyedRequest {
    /// Whether a request for `pick` of `tier` of `event` repeats it.
    pub(super) fn is(&self, event: EventId, pick: &SeatPick, tier: Option<TierId>) -> bool {
        self.key_event_id == event.get()
            && seats(self.key_seats).ok() == Some(pick.seats())
            && self.key_tier_id == tier.map(TierId::get)
            && self.key_pick == pick_key(pick)
    }
}

/// What a key remembers of a request's pick beyond its count: nothing for seats side by
/// side (all an event without seating looks at), `scattered`, or the seats named.
pub(super) fn pick_key(pick: &SeatPick) -> Option<String> {
    match pick {
        SeatPick::Best { adjacent: true, .. } => None,
        SeatPick::Best { adjacent: false, .. } => Some("scattered".to_owned()),
        SeatPick::Named(labels) => serde_json::to_string(labels.as_slice()).ok().map(|named| format!("named:{named}")),
    }
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    key_user_id: i64,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(embed)]
    first: KeyedRequest,
    #[diesel(embed)]
    booking: BookingRow,
}

/// Claims the keys of `requests`, whose events' rows the caller has locked. Keys must be
/// distinct and their users must exist. A fresh key is inserted (in key order, so
/// that transactions claiming overlapping keys of one user cannot deadlock); a key that
/// answered within [`IdempotencyKey::LIFETIME`] replays its booking or refuses a different request. One
/// round trip when every key is fresh, two otherwise.
pub(super) async fn claim<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    requests: &[&BookingRequest],
) -> Result<Vec<Claim>, TxError<E>> {
    let keyed: Vec<(&BookingRequest, &str)> =
        requests.iter().filter_map(|r| r.idempotency_key.as_ref().map(|k| (*r, k.as_str()))).collect();
    if keyed.is_empty() {
        return Ok(requests.iter().map(|_| Claim::Decide).collect());
    }
    let users: Vec<i64> = keyed.iter().map(|(r, _)| r.user_id.get()).collect();
    let keys: Vec<&str> = keyed.iter().map(|(_, k)| *k).collect();
    let events: Vec<i64> = keyed.iter().map(|(r, _)| r.event_id.get()).collect();
    let counts: Vec<i32> = keyed.iter().map(|(r, _)| seat_count(r.seats().get())).collect();
    let tiers: Vec<Option<i64>> = keyed.iter().map(|(r, _)| r.tier.map(TierId::get)).collect();
    let picks: Vec<Option<String>> = keyed.iter().map(|(r, _)| pick_key(&r.pick)).collect();
    let fresh: Vec<Claimed> = diesel::sql_query(format!(
        "INSERT INTO idempotency_keys (user_id, key, event_id, seats, tier_id, pick) \
         SELECT u, k, e, s, tier, pick \
         FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::int[], $5::bigint[], $6::text[]) \
           AS t(u, k, e, s, tier, pick) \
         ORDER BY u, k \
         ON CONFLICT (user_id, key) DO UPDATE \
           SET event_id = EXCLUDED.event_id, seats = EXCLUDED.seats, tier_id = EXCLUDED.tier_id, \
               pick = EXCLUDED.pick, booking_id = NULL, created_at = now() \
           WHERE idempotency_keys.created_at < now() - interval '{lifetime}' \
         RETURNING user_id, key",
        lifetime = key_lifetime()
    ))
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Text>, _>(&keys)
    .bind::<Array<BigInt>, _>(&events)
    .bind::<Array<Integer>, _>(&counts)
    .bind::<Array<Nullable<BigInt>>, _>(&tiers)
    .bind::<Array<Nullable<Text>>, _>(&picks)
    .prepared()
    .load(conn)
    .await?;
    let mut stored: Vec<Stored> = Vec::new();
    if fresh.len() < keyed.len() {
        stored = diesel::sql_query(
            "SELECT k.user_id AS key_user_id, k.key, k.event_id AS key_event_id, k.seats AS key_seats, \
               k.tier_id AS key_tier_id, k.pick AS key_pick, b.id, b.event_id, b.user_id, b.seats, b.status, b.source, b.created_at, \
               b.cancelled_at, b.tier_id, b.unit_price_cents, b.currency, b.payment_reference, b.seat_numbers, b.seat_labels \
             FROM idempotency_keys k JOIN bookings b ON b.id = k.booking_id \
             WHERE (k.user_id, k.key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))",
        )
        .bind::<Array<BigInt>, _>(&users)
        .bind::<Array<Text>, _>(&keys)
        .prepared().load(conn)
        .await?;
    }
    requests
        .iter()
        .map(move |request| {
            let Some(key) = &request.idempotency_key else { return Ok(Claim::Decide) };
            let user = request.user_id.get();
            if fresh.iter().any(|c| c.user_id == user && c.key == key.as_str()) {
                return Ok(Claim::Decide);
            }
            let at = stored.iter().position(|s| s.key_user_id == user && s.key == key.as_str()).ok_or_else(|| {
                store_failure(StoreError::Unknown(anyhow::anyhow!("an idempotency key answered without a booking")))
            })?;
            let earlier = stored.swap_remove(at);
            if !earlier.first.is(request.event_id, &request.pick, request.tier) {
                return Ok(Claim::Answered(Err(BookError::IdempotencyMismatch)));
            }
            let booking = Booking::try_from(earlier.booking).map_err(store_failure)?;
            Ok(Claim::Answered(Ok(BookOutcome { booking: booking.as_first_confirmed(), replayed: true })))
        })
        .collect()
}
