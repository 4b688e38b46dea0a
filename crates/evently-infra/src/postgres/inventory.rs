//! The steps every seat-changing transaction shares: lock the event row, load its
//! queue, write promotions.

use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::inventory::{Capacity, EventStatus, Holding, Inventory, Queued, TierStock};
use evently_domain::notification::Notice;
use evently_domain::{BookingId, EventId, StoreError, TierId, UserId, WaitlistEntryId};

use super::error::TxError;
use super::notifications::write_notices;
use super::rows::{id, seats, unsigned};
use super::users::not_found_as_none;

/// An event row held under its row lock, as the rules see it.
pub(super) struct Locked {
    pub name: String,
    pub inventory: Inventory,
    pub holding: Holding,
}

#[derive(QueryableByName)]
pub(super) struct LockedRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    capacity: i32,
    #[diesel(sql_type = Integer)]
    booked_seats: i32,
    #[diesel(sql_type = Integer)]
    max_seats_per_booking: i32,
    #[diesel(sql_type = Text)]
    status: String,
}

/// A tier's stock as the rules see it.
#[derive(QueryableByName)]
pub(super) struct StockRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    capacity: Option<i32>,
    #[diesel(sql_type = Integer)]
    booked_seats: i32,
}

#[derive(QueryableByName)]
struct HoldingRow {
    #[diesel(sql_type = Bool)]
    booked: bool,
    #[diesel(sql_type = Bool)]
    waiting: bool,
}

/// Wraps a store failure met inside a transaction.
pub(super) fn store_failure<E: From<StoreError>>(error: StoreError) -> TxError<E> {
    TxError::Domain(E::from(error))
}

/// Locks an event's row and reads its inventory and what `user` holds for it (pass
/// `None` when no user is involved). `Ok(None)` when there is no such event.
pub(super) async fn lock_event<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: Option<UserId>,
) -> Result<Option<Locked>, TxError<E>> {
    let Some(user) = user else {
        let (row, stock) = tokio::join!(
            lock_query(event).get_result::<LockedRow>(&mut &*conn),
            stock_query(event).load::<StockRow>(&mut &*conn),
        );
        return into_locked(row, stock, Holding::Nothing);
    };
    // Pipelined: one round trip, and the server runs the tier and holdings queries after
    // the lock is granted, so they see what the lock's previous holder committed.
    let (row, stock, held) = tokio::join!(
        lock_query(event).get_result::<LockedRow>(&mut &*conn),
        stock_query(event).load::<StockRow>(&mut &*conn),
        holding_query(event, user).get_result::<HoldingRow>(&mut &*conn),
    );
    let row = row.map(Some).or_else(not_found_as_none).map_err(store_failure)?;
    let holding = match (row.is_some(), held) {
        (false, _) => Holding::Nothing,
        (true, held) => holding_from(held?),
    };
    into_locked(row.ok_or(diesel::result::Error::NotFound), stock, holding)
}

/// The event's tiers in id order. Like the holdings, it must run as a statement of its
/// own after the lock is granted.
pub(super) fn stock_query(event: EventId) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    diesel::sql_query("SELECT id, capacity, booked_seats FROM tiers WHERE event_id = $1 ORDER BY id")
        .into_boxed()
        .bind::<BigInt, _>(event.get())
}

/// `SELECT ... FOR NO KEY UPDATE` of an event's row: seat-changing transactions of one
/// event take turns, while rows that merely reference the event (bookings, keys) can be
/// inserted without waiting for it.
pub(super) fn lock_query(event: EventId) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    diesel::sql_query(
        "SELECT name, capacity, booked_seats, max_seats_per_booking, status FROM events WHERE id = $1 FOR NO KEY UPDATE",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
}

/// The row [`lock_query`] returned, as the rules see it; `Ok(None)` when there is no
/// such event.
pub(super) fn into_locked<E: From<StoreError>>(
    row: diesel::QueryResult<LockedRow>,
    stock: diesel::QueryResult<Vec<StockRow>>,
    holding: Holding,
) -> Result<Option<Locked>, TxError<E>> {
    let Some(row) = row.map(Some).or_else(not_found_as_none).map_err(store_failure)? else { return Ok(None) };
    let corrupt = |what: &str| store_failure(StoreError::Unknown(anyhow::anyhow!("corrupt event row: {what}")));
    let capacity = Capacity::new(i64::from(row.capacity)).map_err(|_| corrupt("capacity"))?;
    let status = EventStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let max = seats(row.max_seats_per_booking).map_err(store_failure)?;
    let tiers = stock?
        .into_iter()
        .map(|t| {
            Ok(TierStock {
                id: id(t.id, TierId::new).map_err(store_failure)?,
                capacity: t
                    .capacity
                    .map(|c| Capacity::new(i64::from(c)))
                    .transpose()
                    .map_err(|_| corrupt("tier capacity"))?,
                booked: unsigned(t.booked_seats).map_err(store_failure)?,
            })
        })
        .collect::<Result<Vec<_>, TxError<E>>>()?;
    let inventory = Inventory::new(capacity, max, status, tiers).map_err(|e| corrupt(&e.to_string()))?;
    if unsigned(row.booked_seats).map_err(store_failure)? != inventory.booked() {
        return Err(corrupt("booked seats differ from the tiers' sum"));
    }
    Ok(Some(Locked { name: row.name, inventory, holding }))
}

/// The tiers' booked seats, as arrays for `unnest($ids::bigint[], $booked::int[])`.
pub(super) fn tier_counts(inventory: &Inventory) -> (Vec<i64>, Vec<i32>) {
    inventory.tiers().iter().map(|t| (t.id.get(), seat_count(t.booked))).unzip()
}

/// What `user` holds for `event`. It must run as a statement of its own after the lock
/// is granted: a statement that waited for the lock still reads from the snapshot it
/// started with, and would miss what the lock's previous holder committed.
fn holding_query(event: EventId, user: UserId) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    diesel::sql_query(
        "SELECT \
           EXISTS (SELECT 1 FROM bookings WHERE event_id = $1 AND user_id = $2 AND status = 'confirmed') AS booked, \
           EXISTS (SELECT 1 FROM waitlist_entries WHERE event_id = $1 AND user_id = $2 AND status = 'waiting') AS waiting",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .bind::<BigInt, _>(user.get())
}

fn holding_from(row: HoldingRow) -> Holding {
    match (row.booked, row.waiting) {
        (true, _) => Holding::Booked,
        (false, true) => Holding::Waiting,
        (false, false) => Holding::Nothing,
    }
}

#[derive(QueryableByName)]
struct QueuedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Integer)]
    seats: i32,
    #[diesel(sql_type = BigInt)]
    tier_id: i64,
}

/// An event's waiting entries in queue order (call with the event locked).
pub(super) async fn load_queue<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<Vec<Queued>, TxError<E>> {
    let rows: Vec<QueuedRow> = diesel::sql_query(
        "SELECT id, user_id, seats, tier_id FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting' \
         ORDER BY joined_at, id",
    )
    .bind::<BigInt, _>(event.get())
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Queued {
                entry: id(row.id, WaitlistEntryId::new)?,
                user: id(row.user_id, UserId::new)?,
                seats: seats(row.seats)?,
                tier: id(row.tier_id, TierId::new)?,
            })
        })
        .collect::<Result<_, StoreError>>()
        .map_err(store_failure)
}

#[derive(QueryableByName)]
struct NewId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Turns promoted entries into confirmed bookings (at their tier's price now), stores
/// the event's and its tiers' new seat counts and writes every notice owed (the
/// promotions' and `extra`).
pub(super) async fn settle<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    event_name: &str,
    inventory: &Inventory,
    promoted: &[Queued],
    mut notices: Vec<Notice>,
) -> Result<(), TxError<E>> {
    for entry in promoted {
        let booking: NewId = diesel::sql_query(
            "WITH b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency) \
                        SELECT $1, $2, $3, 'waitlist', t.id, t.price_cents, e.currency \
                        FROM tiers t JOIN events e ON e.id = t.event_id WHERE t.id = $5 RETURNING id) \
             UPDATE waitlist_entries SET status = 'promoted', booking_id = (SELECT id FROM b) \
             WHERE id = $4 AND status = 'waiting' RETURNING booking_id AS id",
        )
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(entry.user.get())
        .bind::<Integer, _>(seat_count(entry.seats.get()))
        .bind::<BigInt, _>(entry.entry.get())
        .bind::<BigInt, _>(entry.tier.get())
        .get_result(conn)
        .await?;
        let booking = id(booking.id, BookingId::new).map_err(store_failure)?;
        notices.push(Notice::promoted(entry.user, event, event_name, booking, entry.seats));
    }
    let (tiers, booked) = tier_counts(inventory);
    diesel::sql_query(
        "WITH t AS (UPDATE tiers SET booked_seats = c.b FROM unnest($3::bigint[], $4::int[]) AS c(id, b) \
                    WHERE tiers.id = c.id AND tiers.booked_seats <> c.b) \
         UPDATE events SET booked_seats = $2 WHERE id = $1",
    )
    .bind::<BigInt, _>(event.get())
    .bind::<Integer, _>(seat_count(inventory.booked()))
    .bind::<Array<BigInt>, _>(&tiers)
    .bind::<Array<Integer>, _>(&booked)
    .execute(conn)
    .await?;
    write_notices(conn, &notices).await?;
    Ok(())
}

/// A seat count as the database's integer (every count is bounded by `Capacity::MAX`).
pub(super) fn seat_count(seats: u32) -> i32 {
    i32::try_from(seats).unwrap_or(i32::MAX)
}
