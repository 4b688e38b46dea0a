//! The direct-booking transaction: lock the event, read what the requesting users hold,
//! claim their idempotency keys, apply the rule to each request in arrival order and
//! write every accepted booking at once. A lone request is a batch of one.

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRequest};
use evently_domain::inventory::{Holding, Inventory};
use evently_domain::{EventId, StoreError};

use super::error::TxError;
use super::inventory::{
    ExpiredRow, LockedRow, StockRow, expire_query, into_locked, lock_query, promoted_holding, seat_count,
    settle_expired, stock_query, store_failure, tier_counts,
};
use super::keys::{self, Claim};
use super::rows::{BOOKING_COLUMNS, BookingRow};

/// One answer per request of a batch.
pub(super) type Answers = Vec<Result<BookOutcome, BookError>>;

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Integer)]
    waiting: i32,
}

/// Decides `requests` for `event` in one transaction on `conn`. Their idempotency keys
/// must be distinct (the batch queue defers a duplicate to the next transaction).
pub(super) async fn decide(
    conn: &mut AsyncPgConnection,
    event: EventId,
    requests: Vec<BookingRequest>,
) -> Result<Answers, TxError<StoreError>> {
    tracing::debug!(event.id = %event, batch.size = requests.len(), "booking transaction");
    let users: Vec<i64> = requests.iter().map(|r| r.user_id.get()).collect();
    let held_query = diesel::sql_query(
        "SELECT user_id, 0 AS waiting FROM bookings WHERE event_id = $1 AND status = 'confirmed' AND user_id = ANY($2) \
         UNION ALL \
         SELECT user_id, 1 AS waiting FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting' AND user_id = ANY($2) \
         UNION ALL \
         SELECT id, 2 AS waiting FROM users WHERE id = ANY($2) \
         UNION ALL \
         SELECT user_id, 3 AS waiting FROM holds WHERE event_id = $1 AND status = 'active' AND user_id = ANY($2)",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(users);
    // Pipelined: the server expires holds and reads the holdings after granting the
    // lock, in one round trip.
    let (row, expired, stock, held) = tokio::join!(
        lock_query(event).get_result::<LockedRow>(&mut &*conn),
        expire_query(event).load::<ExpiredRow>(&mut &*conn),
        stock_query(event).load::<StockRow>(&mut &*conn),
        held_query.load::<Held>(&mut &*conn)
    );
    let Some(mut locked) = into_locked(row, stock, Holding::Nothing)? else {
        return Ok(requests.iter().map(|_| Err(BookError::EventNotFound)).collect());
    };
    let held = held?;
    // Rows of kind 2 only say the account exists; 0, 1 and 3 are what it holds.
    let existing: HashSet<i64> = held.iter().filter(|h| h.waiting == 2).map(|h| h.user_id).collect();
    let mut holdings: HashMap<i64, Holding> = held
        .into_iter()
        .filter_map(|h| {
            let holding = match h.waiting {
                0 => Holding::Booked,
                1 => Holding::Waiting,
                3 => Holding::Holding,
                _ => return None,
            };
            Some((h.user_id, holding))
        })
        .collect();
    // Expired holds are settled first: no booking overtakes a waiting entry.
    for promoted in settle_expired(conn, event, &mut locked, expired?).await? {
        holdings.insert(promoted.user.get(), promoted_holding(locked.inventory.promotion()));
    }
    let known: Vec<&BookingRequest> = requests.iter().filter(|r| existing.contains(&r.user_id.get())).collect();
    let mut claims = keys::claim(conn, event, &known).await?.into_iter();
    let mut inventory = locked.inventory;
    // `None`: accepted, the booking still to be written.
    let mut decisions: Vec<Option<Result<BookOutcome, BookError>>> = Vec::with_capacity(requests.len());
    // The tier of each accepted request, in order.
    let mut tiers: Vec<i64> = Vec::new();
    // Keys claimed for requests the rule refused: a refusal is not remembered.
    let mut refused_keys: Vec<(i64, &str)> = Vec::new();
    for request in &requests {
        if !existing.contains(&request.user_id.get()) {
            decisions.push(Some(Err(BookError::UnknownUser)));
            continue;
        }
        if let Some(Claim::Answered(answer)) = claims.next() {
            decisions.push(Some(answer));
            continue;
        }
        let key = request.idempotency_key.as_ref().map(|k| (request.user_id.get(), k.as_str()));
        let holding = holdings.get(&request.user_id.get()).copied().unwrap_or(Holding::Nothing);
        match inventory.book(request.tier, request.seats, holding) {
            Ok(tier) => {
                tiers.push(tier.get());
                holdings.insert(request.user_id.get(), Holding::Booked);
                decisions.push(None);
            }
            Err(refused) => {
                refused_keys.extend(key);
                decisions.push(Some(Err(refused.into())));
            }
        }
    }
    let accepted: Vec<&BookingRequest> =
        requests.iter().zip(&decisions).filter(|(_, d)| d.is_none()).map(|(r, _)| r).collect();
    let mut made: HashMap<i64, Booking> = HashMap::new();
    if !accepted.is_empty() || !refused_keys.is_empty() {
        for row in
            write(conn, event, &inventory, Accepted { requests: &accepted, tiers: &tiers }, &refused_keys).await?
        {
            let booking = Booking::try_from(row).map_err(store_failure)?;
            made.insert(booking.user_id.get(), booking);
        }
    }
    Ok(requests
        .iter()
        .zip(decisions)
        .map(|(request, decision)| match decision {
            Some(answer) => answer,
            None => {
                made.remove(&request.user_id.get()).map(|booking| BookOutcome { booking, replayed: false }).ok_or_else(
                    || BookError::Store(StoreError::Unknown(anyhow::anyhow!("accepted booking was not inserted"))),
                )
            }
        })
        .collect())
}

/// The requests the rules accepted, with the tier each books.
struct Accepted<'a> {
    requests: &'a [&'a BookingRequest],
    tiers: &'a [i64],
}

/// One statement: the event's and its tiers' new seat counts, the accepted bookings (one
/// per user, at their tier's price), each linked to its request's idempotency key, and
/// the keys of refused requests forgotten.
async fn write(
    conn: &mut AsyncPgConnection,
    event: EventId,
    inventory: &Inventory,
    accepted: Accepted<'_>,
    refused_keys: &[(i64, &str)],
) -> diesel::QueryResult<Vec<BookingRow>> {
    let users: Vec<i64> = accepted.requests.iter().map(|r| r.user_id.get()).collect();
    let seats: Vec<i32> = accepted.requests.iter().map(|r| seat_count(r.seats.get())).collect();
    let keys: Vec<Option<&str>> =
        accepted.requests.iter().map(|r| r.idempotency_key.as_ref().map(|k| k.as_str())).collect();
    let (forget_users, forget_keys): (Vec<i64>, Vec<&str>) = refused_keys.iter().copied().unzip();
    let (tier_ids, tier_booked) = tier_counts(inventory);
    diesel::sql_query(format!(
        "WITH e AS (UPDATE events SET booked_seats = $4 WHERE id = $1 AND booked_seats <> $4), \
         tc AS (UPDATE tiers SET booked_seats = n.b FROM unnest($9::bigint[], $10::int[]) AS n(id, b) \
               WHERE tiers.id = n.id AND tiers.booked_seats <> n.b), \
         b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency) \
               SELECT $1, t.u, t.s, 'direct', t.tier, p.price_cents, p.currency \
               FROM unnest($2::bigint[], $3::int[], $8::bigint[]) AS t(u, s, tier) \
               JOIN (SELECT tiers.id, tiers.price_cents, events.currency FROM tiers JOIN events ON events.id = tiers.event_id \
                     WHERE tiers.event_id = $1) AS p ON p.id = t.tier \
               RETURNING {BOOKING_COLUMNS}), \
         k AS (UPDATE idempotency_keys i SET booking_id = b.id \
               FROM b JOIN unnest($2::bigint[], $5::text[]) AS t(u, key) ON t.u = b.user_id \
               WHERE i.user_id = t.u AND i.key = t.key), \
         f AS (DELETE FROM idempotency_keys \
               WHERE (user_id, key) IN (SELECT * FROM unnest($6::bigint[], $7::text[]))) \
         SELECT {BOOKING_COLUMNS} FROM b"
    ))
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Integer>, _>(&seats)
    .bind::<Integer, _>(seat_count(inventory.booked()))
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Array<BigInt>, _>(&forget_users)
    .bind::<Array<Text>, _>(&forget_keys)
    .bind::<Array<BigInt>, _>(accepted.tiers)
    .bind::<Array<BigInt>, _>(&tier_ids)
    .bind::<Array<Integer>, _>(&tier_booked)
    .load(conn)
    .await
}
