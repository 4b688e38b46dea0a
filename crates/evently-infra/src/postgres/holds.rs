//! Holds: made, confirmed and released under the event's lock (which settles expired
//! holds first), and swept when nobody touches their event.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::result::Error;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{Booking, PaymentReference};
use evently_domain::hold::HoldTtl;
use evently_domain::hold::{
    ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRepository, HoldRequest, HoldStatus,
    ReleaseHoldError,
};
use evently_domain::{EventId, HoldId, Page, PageRequest, StoreError, TierId, UserId};

use super::PgStore;
use super::direct::{Take, Taken};
use super::error::{TxError, classify};
use super::inventory::{load_queue, lock_event, seat_count, settle, store_failure, try_lock_event};
use super::keys::key_lifetime;
use super::rows::{BOOKING_COLUMNS, BookingRow, HOLD_COLUMNS, HoldRow, Total, convert, id, seats};
use super::users::{not_found_as_none, offset};

/// A hold read inside or outside a transaction.
async fn fetch(conn: &mut AsyncPgConnection, id: HoldId) -> diesel::QueryResult<HoldRow> {
    diesel::sql_query(format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"))
        .bind::<BigInt, _>(id.get())
        .get_result(conn)
        .await
}

/// A hold key remembered from an earlier request, with its hold.
#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = BigInt)]
    key_event_id: i64,
    #[diesel(sql_type = Integer)]
    key_seats: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    key_tier_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    key_hold_id: Option<i64>,
}

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
}

impl HoldRepository for PgStore {
    #[tracing::instrument(skip_all, fields(event.id = %request.event_id, seats = request.seats.get()))]
    async fn create_hold(&self, request: HoldRequest) -> Result<HoldOutcome, HoldError> {
        match self.take(Take::Hold(request)).await {
            Taken::Hold(answer) => answer,
            _ => Err(HoldError::Store(StoreError::Unknown(anyhow::anyhow!("a hold answered otherwise")))),
        }
    }

    async fn find_hold(&self, id: HoldId) -> Result<Option<Hold>, StoreError> {
        let mut conn = self.conn().await?;
        let row = fetch(&mut conn, id).await.map(Some).or_else(not_found_as_none)?;
        row.map(Hold::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(hold.id = %id))]
    async fn confirm_hold(
        &self,
        id: HoldId,
        holder: UserId,
        payment_reference: Option<PaymentReference>,
    ) -> Result<Confirmation, ConfirmHoldError> {
        // Only the holder confirms; the hold's event routes it to that event's batch.
        let hold = self.find_hold(id).await?.filter(|h| h.user_id == holder).ok_or(ConfirmHoldError::NotFound)?;
        let take = Take::Confirm { event: hold.event_id, hold: id, holder, payment_reference };
        match self.take(take).await {
            Taken::Confirm(answer) => answer,
            _ => {
                Err(ConfirmHoldError::Store(StoreError::Unknown(anyhow::anyhow!("a confirmation answered otherwise"))))
            }
        }
    }

    #[tracing::instrument(skip_all, fields(hold.id = %id))]
    async fn release_hold(&self, id: HoldId) -> Result<Hold, ReleaseHoldError> {
        self.write(move |conn| {
            Box::pin(async move {
                let not_found = |e: Error| match e {
                    Error::NotFound => TxError::Domain(ReleaseHoldError::NotFound),
                    e => TxError::Db(e),
                };
                let before = Hold::try_from(fetch(conn, id).await.map_err(not_found)?).map_err(store_failure)?;
                let mut locked = lock_event(conn, before.event_id, None)
                    .await?
                    .ok_or(TxError::Domain(ReleaseHoldError::NotFound))?;
                // Re-read under the lock, which settled the event's expired holds.
                let hold = Hold::try_from(fetch(conn, id).await?).map_err(store_failure)?;
                if hold.status != HoldStatus::Active {
                    return Err(TxError::Domain(ReleaseHoldError::NotActive));
                }
                let row: HoldRow = diesel::sql_query(format!(
                    "UPDATE holds SET status = 'released' WHERE id = $1 RETURNING {HOLD_COLUMNS}"
                ))
                .bind::<BigInt, _>(id.get())
                .get_result(conn)
                .await?;
                let queue = load_queue(conn, hold.event_id).await?;
                let promoted = locked.inventory.release_holds(&[(hold.tier_id, hold.seats)], &queue);
                settle(conn, hold.event_id, &locked, &promoted, Vec::new()).await?;
                Hold::try_from(row).map_err(store_failure)
            })
        })
        .await
    }

    async fn list_user_holds(
        &self,
        user: UserId,
        status: Option<HoldStatus>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Hold>, StoreError> {
        let mut conn = self.conn().await?;
        // Filtered by the status a client reads: active holds past their time are expired.
        let filter = "user_id = $1 AND ($2::text IS NULL OR \
             (CASE WHEN status = 'active' AND expires_at <= $3 THEN 'expired' ELSE status END) = $2)";
        let rows: Vec<HoldRow> = diesel::sql_query(format!(
            "SELECT {HOLD_COLUMNS} FROM holds WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<Text>, _>(status.map(HoldStatus::as_str))
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let total: Total = diesel::sql_query(format!("SELECT count(*) AS total FROM holds WHERE {filter}"))
            .bind::<BigInt, _>(user.get())
            .bind::<Nullable<Text>, _>(status.map(HoldStatus::as_str))
            .bind::<Timestamptz, _>(now)
            .get_result(&mut conn)
            .await
            .map_err(classify)?;
        Ok(Page { items: convert(rows)?, total: total.total.unsigned_abs(), request: page })
    }

    async fn sweep_expired_holds(&self, events: u32) -> Result<Vec<EventId>, StoreError> {
        let mut conn = self.conn().await?;
        let due: Vec<EventIdRow> = diesel::sql_query(
            "SELECT DISTINCT event_id FROM holds WHERE status = 'active' AND expires_at <= now() LIMIT $1",
        )
        .bind::<BigInt, _>(i64::from(events))
        .load(&mut conn)
        .await
        .map_err(classify)?;
        drop(conn);
        let mut settled = Vec::new();
        for row in due {
            let event = id(row.event_id, EventId::new)?;
            // An event locked elsewhere is skipped: whoever holds its lock settles it.
            let swept = self
                .write(move |conn| {
                    Box::pin(async move { Ok::<_, TxError<StoreError>>(try_lock_event(conn, event).await?.is_some()) })
                })
                .await?;
            if swept {
                settled.push(event);
            }
        }
        Ok(settled)
    }
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
        "INSERT INTO hold_keys (user_id, key, event_id, seats, tier_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id, key) DO UPDATE \
           SET event_id = EXCLUDED.event_id, seats = EXCLUDED.seats, tier_id = EXCLUDED.tier_id, hold_id = NULL, \
               created_at = now() \
           WHERE hold_keys.created_at < now() - interval '{lifetime}'",
        lifetime = key_lifetime()
    ))
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(request.event_id.get())
    .bind::<Integer, _>(seat_count(request.seats.get()))
    .bind::<Nullable<BigInt>, _>(request.tier.map(TierId::get))
    .execute(conn)
    .await?;
    if fresh == 1 {
        return Ok(None);
    }
    let stored: StoredKey = diesel::sql_query(
        "SELECT event_id AS key_event_id, seats AS key_seats, tier_id AS key_tier_id, hold_id AS key_hold_id \
         FROM hold_keys WHERE user_id = $1 AND key = $2",
    )
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Text, _>(key)
    .get_result(conn)
    .await?;
    let same = stored.key_event_id == request.event_id.get()
        && seats(stored.key_seats).ok() == Some(request.seats)
        && stored.key_tier_id == request.tier.map(TierId::get);
    if !same {
        return Ok(Some(Err(HoldError::IdempotencyMismatch)));
    }
    let hold = stored
        .key_hold_id
        .ok_or_else(|| store_failure(StoreError::Unknown(anyhow::anyhow!("a hold key answered without a hold"))))?;
    let hold =
        Hold::try_from(fetch(conn, id(hold, HoldId::new).map_err(store_failure)?).await?).map_err(store_failure)?;
    Ok(Some(Ok(HoldOutcome { hold, replayed: true })))
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
    .execute(conn)
    .await?;
    Ok(())
}

/// One statement: the accepted hold requests' holds (one per user, in `tiers`, at their
/// tier's price, for the event's hold time from now), each linked to its key.
pub(super) async fn insert_holds<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    requests: &[&HoldRequest],
    tiers: &[i64],
    ttl: HoldTtl,
) -> Result<Vec<Hold>, TxError<E>> {
    let users: Vec<i64> = requests.iter().map(|r| r.user_id.get()).collect();
    let seats: Vec<i32> = requests.iter().map(|r| seat_count(r.seats.get())).collect();
    let keys: Vec<Option<&str>> = requests.iter().map(|r| r.idempotency_key.as_ref().map(|k| k.as_str())).collect();
    let rows: Vec<HoldRow> = diesel::sql_query(format!(
        "WITH h AS (INSERT INTO holds (event_id, user_id, tier_id, seats, source, expires_at, unit_price_cents, currency) \
                    SELECT $1, t.u, t.tier, t.s, 'direct', clock_timestamp() + make_interval(secs => $5), \
                      p.price_cents, p.currency \
                    FROM unnest($2::bigint[], $3::int[], $4::bigint[]) WITH ORDINALITY AS t(u, s, tier, o) \
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
    .bind::<Array<BigInt>, _>(tiers)
    .bind::<Integer, _>(seat_count(ttl.seconds()))
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .load(conn)
    .await?;
    convert(rows).map_err(store_failure)
}

/// Holds by id, inside the caller's transaction.
pub(super) async fn fetch_holds<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<Vec<Hold>, TxError<E>> {
    let rows: Vec<HoldRow> = diesel::sql_query(format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = ANY($1)"))
        .bind::<Array<BigInt>, _>(ids)
        .load(conn)
        .await?;
    convert(rows).map_err(store_failure)
}

/// Bookings by id, inside the caller's transaction.
pub(super) async fn fetch_bookings<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<Vec<Booking>, TxError<E>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BookingRow> = diesel::sql_query(format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = ANY($1)"))
        .bind::<Array<BigInt>, _>(ids)
        .load(conn)
        .await?;
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
                 payment_reference) \
               SELECT event_id, user_id, seats, 'hold', tier_id, unit_price_cents, currency, reference FROM c \
               RETURNING *), \
         m AS (SELECT c.id AS hold_id, b.* FROM c JOIN b ON b.user_id = c.user_id AND b.event_id = c.event_id), \
         h AS (UPDATE holds SET status = 'confirmed', booking_id = m.id FROM m WHERE holds.id = m.hold_id), \
         w AS (UPDATE waitlist_entries SET booking_id = m.id FROM m WHERE waitlist_entries.hold_id = m.hold_id) \
         SELECT hold_id, {BOOKING_COLUMNS} FROM m"
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Nullable<Text>>, _>(&references)
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|row| Ok((id(row.hold_id, HoldId::new)?, Booking::try_from(row.booking)?)))
        .collect::<Result<_, StoreError>>()
        .map_err(store_failure)
}
