//! The statements on holds that run inside the seat-taking transaction (the event
//! locked): key claims, inserts, confirmations.

use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::Booking;
use evently_domain::hold::{Hold, HoldError, HoldOutcome, HoldRequest, HoldTtl};
use evently_domain::inventory::Claim;
use evently_domain::{EventId, HoldId, StoreError, TierId};

use super::error::TxError;
use super::inventory::{seat_count, store_failure};
use super::keys::{KeyedRequest, key_lifetime, pick_key};
use super::prepared::Prepare as _;
use super::rows::{BOOKING_COLUMNS, BookingRow, HOLD_COLUMNS, HoldRow, convert, id};
use super::seating::literals;

/// A hold read inside or outside a transaction.
pub(super) async fn fetch_hold(conn: &AsyncPgConnection, id: HoldId) -> diesel::QueryResult<HoldRow> {
    diesel::sql_query(format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"))
        .bind::<BigInt, _>(id.get())
        .prepared()
        .get_result(&mut &*conn)
        .await
}

/// A hold key remembered from an earlier request, with its hold.
#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(embed)]
    first: KeyedRequest,
    #[diesel(sql_type = Nullable<BigInt>)]
    key_hold_id: Option<i64>,
}

/// Claims a hold request's key (its user exists): `None` when it is fresh (the rules
/// decide), else the first answer replayed or a mismatch. The caller holds the event's
/// lock.
pub(super) async fn claim_key<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    request: &HoldRequest,
    key: &str,
) -> Result<Option<Result<HoldOutcome, HoldError>>, TxError<E>> {
    let fresh = diesel::sql_query(format!(
        "INSERT INTO hold_keys (user_id, key, event_id, seats, tier_id, pick) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, key) DO UPDATE \
           SET event_id = EXCLUDED.event_id, seats = EXCLUDED.seats, tier_id = EXCLUDED.tier_id, pick = EXCLUDED.pick, \
               hold_id = NULL, created_at = now() \
           WHERE hold_keys.created_at < now() - interval '{lifetime}'",
        lifetime = key_lifetime()
    ))
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(request.event_id.get())
    .bind::<Integer, _>(seat_count(request.seats().get()))
    .bind::<Nullable<BigInt>, _>(request.tier.map(TierId::get))
    .bind::<Nullable<Text>, _>(pick_key(&request.pick))
    .prepared()
    .execute(conn)
    .await?;
    if fresh == 1 {
        return Ok(None);
    }
    let stored: StoredKey = diesel::sql_query(
        "SELECT event_id AS key_event_id, seats AS key_seats, tier_id AS key_tier_id, pick AS key_pick, \
           hold_id AS key_hold_id \
         FROM hold_keys WHERE user_id = $1 AND key = $2",
    )
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Text, _>(key)
    .prepared()
    .get_result(conn)
    .await?;
    if !stored.first.is(request.event_id, &request.pick, request.tier) {
        return Ok(Some(Err(HoldError::IdempotencyMismatch)));
    }
    let hold = stored
        .key_hold_id
        .ok_or_else(|| store_failure(StoreError::Unknown(anyhow::anyhow!("a hold key answered without a hold"))))?;
    let hold = Hold::try_from(fetch_hold(conn, id(hold, HoldId::new).map_err(store_failure)?).await?)
        .map_err(store_failure)?;
    Ok(Some(Ok(HoldOutcome { hold: hold.as_first_made(), replayed: true })))
}

/// Forgets the keys of refused hold requests: only a made hold is remembered.
pub(super) async fn forget_keys<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    keys: &[(i64, &str)],
) -> Result<(), TxError<E>> {
    if keys.is_empty() {
        return Ok(());
    }
    let (users, keys): (Vec<i64>, Vec<&str>) = keys.iter().copied().unzip();
    diesel::sql_query(
        "DELETE FROM hold_keys WHERE hold_id IS NULL AND (user_id, key) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))",
    )
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Text>, _>(&keys)
    .prepared().execute(conn)
    .await?;
    Ok(())
}

/// One statement: the accepted hold requests' holds (one per user, of what the rules
/// gave each, at their tier's price, for the event's hold time from now), each linked to
/// its key.
pub(super) async fn insert_holds<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    requests: &[&HoldRequest],
    claims: &[&Claim],
    ttl: HoldTtl,
) -> Result<Vec<Hold>, TxError<E>> {
    let users: Vec<i64> = requests.iter().map(|r| r.user_id.get()).collect();
    let seats: Vec<i32> = requests.iter().map(|r| seat_count(r.seats().get())).collect();
    let tiers: Vec<i64> = claims.iter().map(|c| c.tier.get()).collect();
    let (numbers, labels): (Vec<Option<String>>, Vec<Option<String>>) =
        claims.iter().map(|c| literals(c.placement.as_ref())).unzip();
    let keys: Vec<Option<&str>> = requests.iter().map(|r| r.idempotency_key.as_ref().map(|k| k.as_str())).collect();
    let rows: Vec<HoldRow> = diesel::sql_query(format!(
        "WITH h AS (INSERT INTO holds (event_id, user_id, tier_id, seats, source, expires_at, unit_price_cents, currency, \
                      seat_numbers, seat_labels) \
                    SELECT $1, t.u, t.tier, t.s, 'direct', clock_timestamp() + make_interval(secs => $5), \
                      p.price_cents, p.currency, t.n::int[], t.l::text[] \
                    FROM unnest($2::bigint[], $3::int[], $4::bigint[], $7::text[], $8::text[]) \
                      WITH ORDINALITY AS t(u, s, tier, n, l, o) \
                    JOIN (SELECT tiers.id, tiers.price_cents, events.currency FROM tiers \
                          JOIN events ON events.id = tiers.event_id WHERE tiers.event_id = $1) AS p ON p.id = t.tier \
                    ORDER BY t.o RETURNING *), \
         k AS (UPDATE hold_keys SET hold_id = h.id \
               FROM h JOIN unnest($2::bigint[], $6::text[]) AS t(u, key) ON t.u = h.user_id \
               WHERE hold_keys.user_id = t.u AND hold_keys.key = t.key) \
         SELECT {HOLD_COLUMNS} FROM h"
    ))
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Integer>, _>(&seats)
    .bind::<Array<BigInt>, _>(&tiers)
    .bind::<Integer, _>(seat_count(ttl.seconds()))
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Array<Nullable<Text>>, _>(&numbers)
    .bind::<Array<Nullable<Text>>, _>(&labels)
    .prepared().load(conn)
    .await?;
    convert(rows).map_err(store_failure)
}

/// Holds by id, inside the caller's transaction.
pub(super) async fn fetch_holds<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<Vec<Hold>, TxError<E>> {
    by_ids::<HoldRow, _, _>(conn, &format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = ANY($1)"), ids).await
}

/// Bookings by id, inside the caller's transaction.
pub(super) async fn fetch_bookings<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<Vec<Booking>, TxError<E>> {
    by_ids::<BookingRow, _, _>(conn, &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = ANY($1)"), ids).await
}

/// The rows `sql` selects for `ids` (its `$1`), converted.
async fn by_ids<R, T, E>(conn: &mut AsyncPgConnection, sql: &str, ids: &[i64]) -> Result<Vec<T>, TxError<E>>
where
    R: QueryableByName<Pg> + Send + 'static,
    T: TryFrom<R, Error = StoreError>,
    E: From<StoreError>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<R> = diesel::sql_query(sql).bind::<Array<BigInt>, _>(ids).prepared().load(conn).await?;
    convert(rows).map_err(store_failure)
}

#[derive(QueryableByName)]
struct ConfirmedRow {
    #[diesel(sql_type = BigInt)]
    hold_id: i64,
    #[diesel(embed)]
    booking: BookingRow,
}

/// One statement: a booking of each active hold in `holds` (with its payment
/// reference) at the hold's tier, seats and prices, the holds marked confirmed and the
/// offers' waiting entries pointed at their booking. The holds' event is locked.
pub(super) async fn confirm_holds<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    holds: &[(i64, Option<&str>)],
) -> Result<Vec<(HoldId, Booking)>, TxError<E>> {
    let (ids, references): (Vec<i64>, Vec<Option<&str>>) = holds.iter().copied().unzip();
    let rows: Vec<ConfirmedRow> = diesel::sql_query(format!(
        "WITH c AS (SELECT h.*, r.reference FROM holds h \
                    JOIN unnest($1::bigint[], $2::text[]) AS r(id, reference) ON r.id = h.id WHERE h.status = 'active'), \
         b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency, \
                 payment_reference, seat_numbers, seat_labels) \
               SELECT event_id, user_id, seats, 'hold', tier_id, unit_price_cents, currency, reference, \
                 seat_numbers, seat_labels FROM c \
               RETURNING *), \
         m AS (SELECT c.id AS hold_id, b.* FROM c JOIN b ON b.user_id = c.user_id AND b.event_id = c.event_id), \
         h AS (UPDATE holds SET status = 'confirmed', booking_id = m.id FROM m WHERE holds.id = m.hold_id), \
         w AS (UPDATE waitlist_entries SET booking_id = m.id FROM m WHERE waitlist_entries.hold_id = m.hold_id) \
         SELECT hold_id, {BOOKING_COLUMNS} FROM m"
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Nullable<Text>>, _>(&references)
    .prepared().load(conn)
    .await?;
    rows.into_iter()
        .map(|row| Ok((id(row.hold_id, HoldId::new)?, Booking::try_from(row.booking)?)))
        .collect::<Result<_, StoreError>>()
        .map_err(store_failure)
}
