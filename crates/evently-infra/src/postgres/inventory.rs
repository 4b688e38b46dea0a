//! The steps every seat-changing transaction shares: lock the event row, settle its
//! expired holds, load its queue, write promotions.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::hold::HoldTtl;
use evently_domain::inventory::{
    Caller, Capacity, EventStatus, Holding, Inventory, Promoted, Promotion, Queued, TierStock,
};
use evently_domain::notification::Notice;
use evently_domain::{BookingId, EventId, HoldId, StoreError, TierId, UserId, WaitlistEntryId};

use super::error::TxError;
use super::notifications::write_notices;
use super::prepared::{Prepare as _, Statement};
use super::rows::{self, id, unsigned};
use super::seating::{Plans, Seats, labels, map, numbers, read_seats};
use super::users::not_found_as_none;

/// An event row held under its row lock, as the rules see it, its expired holds settled.
pub(super) struct Locked {
    pub name: String,
    pub inventory: Inventory,
    /// What the user holds, and whether the event's queue admits them now.
    pub caller: Caller,
    pub hold_ttl: HoldTtl,
    /// The waiting entries promoted when the lock's holder settled expired holds.
    pub settled: Vec<WaitlistEntryId>,
}

#[derive(QueryableByName)]
pub(super) struct LockedRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
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
    #[diesel(sql_type = Integer)]
    hold_ttl_seconds: i32,
    #[diesel(sql_type = Text)]
    waitlist_promotion: String,
    #[diesel(sql_type = Bool)]
    queued: bool,
}

/// A tier's stock as the rules see it: held seats are those of active, unexpired holds.
#[derive(QueryableByName)]
pub(super) struct StockRow {
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    capacity: Option<i32>,
    #[diesel(sql_type = Integer)]
    booked_seats: i32,
    #[diesel(sql_type = Integer)]
    held_seats: i32,
    /// Whether some active hold of the tier is past its time, to be marked expired.
    #[diesel(sql_type = Bool)]
    pub expiring: bool,
}

/// Marks expired the holds past their time of the events whose `stock` shows some
/// ([`expire_query`]); nothing runs when there are none, so that the holds' statement
/// triggers stay quiet.
pub(super) async fn expire(conn: &AsyncPgConnection, stock: &[StockRow]) -> diesel::QueryResult<Vec<ExpiredRow>> {
    let mut events: Vec<i64> = stock.iter().filter(|t| t.expiring).map(|t| t.event_id).collect();
    events.dedup();
    if events.is_empty() {
        return Ok(Vec::new());
    }
    expire_query(&events).load(&mut &*conn).await
}

/// A hold the lock's holder found expired and marked so.
#[derive(QueryableByName)]
pub(super) struct ExpiredRow {
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

#[derive(QueryableByName)]
struct HoldingRow {
    #[diesel(sql_type = Bool)]
    booked: bool,
    #[diesel(sql_type = Bool)]
    holding: bool,
    #[diesel(sql_type = Bool)]
    waiting: bool,
    #[diesel(sql_type = Bool)]
    admitted: bool,
}

/// Wraps a store failure met inside a transaction.
pub(super) fn store_failure<E: From<StoreError>>(error: StoreError) -> TxError<E> {
    TxError::Domain(E::from(error))
}

/// Locks an event's row, settles its expired holds and reads its inventory and what
/// `user` holds for it (pass `None` when no user is involved). `Ok(None)` when there is
/// no such event.
pub(super) async fn lock_event<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    plans: &Plans,
    event: EventId,
    user: Option<UserId>,
) -> Result<Option<Locked>, TxError<E>> {
    // Pipelined: one round trip, and the server runs the statements after the lock is
    // granted, so they see what the lock's previous holder committed.
    let (row, stock, seats, held) = tokio::join!(
        lock_query(&[event.get()], Wait::Block).get_result::<LockedRow>(&mut &*conn),
        stock_query(&[event.get()]).load::<StockRow>(&mut &*conn),
        read_seats(conn, plans, event),
        async {
            match user {
                Some(user) => holding_query(event, user).get_result::<HoldingRow>(&mut &*conn).await.map(Some),
                None => Ok(None),
            }
        },
    );

    let row = row.map(Some).or_else(not_found_as_none).map_err(store_failure)?;
    let expired = match (&row, &stock) {
        (Some(_), Ok(stock)) => expire(conn, stock).await?,
        _ => Vec::new(),
    };
    let caller = match (row.is_some(), held?) {
        (true, Some(held)) => Caller { admitted: held.admitted, holding: holding_from(&held) },
        _ => Caller::from(Holding::Nothing),
    };
    let seats = match row {
        Some(_) => seats.seats(plans).map_err(store_failure)?,
        None => Seats { plan: None, claimed: Ok(None) },
    };
    let Some(mut locked) = into_locked(row.ok_or(diesel::result::Error::NotFound), stock, seats, caller)? else {
        return Ok(None);
    };
    for promoted in settle_expired(conn, event, &mut locked, expired).await? {
        if Some(promoted.entry.user) == user {
            locked.caller.holding = promoted_holding(locked.inventory.promotion());
        }
        locked.settled.push(promoted.entry.entry);
    }
    Ok(Some(locked))
}

/// Like [`lock_event`], but `Ok(None)` as well when another transaction holds the lock
/// (a sweeper leaves such an event to that transaction, which settles it first). Nothing
/// else runs unless the lock is granted: expiring holds without settling them would
/// strand the waiting entries they owe seats to.
pub(super) async fn try_lock_event<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    plans: &Plans,
    event: EventId,
) -> Result<Option<Locked>, TxError<E>> {
    let granted = lock_query(&[event.get()], Wait::Skip)
        .get_result::<LockedRow>(conn)
        .await
        .map(Some)
        .or_else(not_found_as_none)
        .map_err(store_failure)?;
    match granted {
        Some(_) => lock_event(conn, plans, event, None).await,
        None => Ok(None),
    }
}

/// What a promoted user holds afterwards.
pub(super) fn promoted_holding(promotion: Promotion) -> Holding {
    match promotion {
        Promotion::Book => Holding::Booked,
        Promotion::Offer => Holding::Holding,
    }
}

/// Holders told per statement when many holds expire at once, so that the memory a
/// settlement takes is bounded by this and not by how many holds expired (40,000
/// holds of one event expiring together took the server from 28 to 63 MiB).
const NOTICES_PER_STATEMENT: usize = 1_000;

/// Settles the holds the lock's holder found expired: they were marked in the same
/// round trip and their seats no longer count, so waiting entries that now fit are
/// promoted and every holder is told, before the transaction decides anything else.
/// The entries promoted.
pub(super) async fn settle_expired<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    event: EventId,
    locked: &mut Locked,
    expired: Vec<ExpiredRow>,
) -> Result<Vec<Promoted>, TxError<E>> {
    if expired.is_empty() {
        return Ok(Vec::new());
    }
    let notices = |holds: &[ExpiredRow]| {
        holds
            .iter()
            .map(|h| {
                let (hold, user) = (id(h.id, HoldId::new)?, id(h.user_id, UserId::new)?);
                Ok(Notice::hold_expired(user, event, &locked.name, hold))
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(store_failure)
    };
    // The last few holders are told with the promotions, in their round trip.
    let mut chunks = expired.chunks(NOTICES_PER_STATEMENT);
    let last = notices(chunks.next_back().unwrap_or_default())?;
    for holds in chunks {
        write_notices(conn, &notices(holds)?).await?;
    }
    tracing::debug!(event.id = %event, holds = expired.len(), "expired holds settled");
    let queue = load_queue(conn, event).await?;
    let promoted = locked.inventory.release_holds(&[], &queue);
    settle(conn, event, locked, &promoted, last).await?;
    Ok(promoted)
}

/// What a lock does about rows another transaction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// Waits for them (up to the lock timeout).
    Block,
    /// Passes them by: they are not returned.
    Skip,
}

/// `SELECT ... FOR NO KEY UPDATE` of events' rows, in id order (so that transactions
/// locking several cannot deadlock on them): seat-changing transactions of one event
/// take turns, while rows that merely reference the event (bookings, keys) can be
/// inserted without waiting for it.
pub(super) fn lock_query(events: &[i64], wait: Wait) -> Statement {
    const LOCK: &str = "SELECT id, name, capacity, booked_seats, max_seats_per_booking, status, hold_ttl_seconds, \
         waitlist_promotion, queue_admit_per_minute IS NOT NULL AS queued FROM events WHERE id = ANY($1) \
         ORDER BY id FOR NO KEY UPDATE";
    let text = match wait {
        Wait::Block => LOCK.to_owned(),
        Wait::Skip => format!("{LOCK} SKIP LOCKED"),
    };
    diesel::sql_query(text).into_boxed().bind::<Array<BigInt>, _>(events.to_vec()).prepared()
}

/// Marks the events' active holds past their time as expired (as of the transaction's
/// start); run after the locks are granted.
fn expire_query(events: &[i64]) -> Statement {
    diesel::sql_query(
        "UPDATE holds SET status = 'expired' WHERE event_id = ANY($1) AND status = 'active' AND expires_at <= now() \
         RETURNING event_id, id, user_id",
    )
    .into_boxed()
    .bind::<Array<BigInt>, _>(events.to_vec())
    .prepared()
}

/// The events' tiers in event and id order, with the seats of their active, unexpired
/// holds and whether any active hold is past its time. Like the holdings, it must run as
/// a statement of its own after the locks are granted.
pub(super) fn stock_query(events: &[i64]) -> Statement {
    diesel::sql_query(
        "SELECT t.event_id, t.id, t.capacity, t.booked_seats, COALESCE(h.held, 0)::int AS held_seats, \
           COALESCE(h.expiring, false) AS expiring \
         FROM tiers t LEFT JOIN LATERAL (SELECT sum(seats) FILTER (WHERE expires_at > now()) AS held, \
             bool_or(expires_at <= now()) AS expiring \
           FROM holds WHERE event_id = t.event_id AND tier_id = t.id AND status = 'active') h ON true \
         WHERE t.event_id = ANY($1) ORDER BY t.event_id, t.id",
    )
    .into_boxed()
    .bind::<Array<BigInt>, _>(events.to_vec())
    .prepared()
}

/// The row [`lock_query`] returned, as the rules see it; `Ok(None)` when there is no
/// such event.
pub(super) fn into_locked<E: From<StoreError>>(
    row: diesel::QueryResult<LockedRow>,
    stock: diesel::QueryResult<Vec<StockRow>>,
    seats: Seats,
    caller: Caller,
) -> Result<Option<Locked>, TxError<E>> {
    let Some(row) = row.map(Some).or_else(not_found_as_none).map_err(store_failure)? else { return Ok(None) };
    let corrupt = |what: &str| store_failure(StoreError::Unknown(anyhow::anyhow!("corrupt event row: {what}")));
    let capacity = Capacity::new(i64::from(row.capacity)).map_err(|_| corrupt("capacity"))?;
    let status = EventStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let promotion = Promotion::parse(&row.waitlist_promotion).ok_or_else(|| corrupt("waitlist_promotion"))?;
    let hold_ttl = HoldTtl::new(i64::from(row.hold_ttl_seconds)).map_err(|_| corrupt("hold_ttl_seconds"))?;
    let max = rows::seats(row.max_seats_per_booking).map_err(store_failure)?;
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
                held: unsigned(t.held_seats).map_err(store_failure)?,
            })
        })
        .collect::<Result<Vec<_>, TxError<E>>>()?;
    let mut inventory = Inventory::new(capacity, max, status, promotion, tiers).map_err(|e| corrupt(&e.to_string()))?;
    if row.queued {
        inventory = inventory.queued();
    }
    if let Some(plan) = seats.plan {
        let claimed = seats.claimed?.ok_or_else(|| corrupt("claimed seats not read"))?;
        let map = map(plan, claimed).map_err(store_failure)?;
        inventory = inventory.seated(map).map_err(|e| corrupt(&e.to_string()))?;
    }
    if unsigned(row.booked_seats).map_err(store_failure)? != inventory.booked() {
        return Err(corrupt("booked seats differ from the tiers' sum"));
    }
    Ok(Some(Locked { name: row.name, inventory, caller, hold_ttl, settled: Vec::new() }))
}

/// The tiers' booked seats, as arrays for `unnest($ids::bigint[], $booked::int[])`.
pub(super) fn tier_counts(inventory: &Inventory) -> (Vec<i64>, Vec<i32>) {
    inventory.tiers().iter().map(|t| (t.id.get(), seat_count(t.booked))).unzip()
}

/// What `user` holds for `event`. It must run as a statement of its own after the lock
/// is granted: a statement that waited for the lock still reads from the snapshot it
/// started with, and would miss what the lock's previous holder committed.
fn holding_query(event: EventId, user: UserId) -> Statement {
    diesel::sql_query(
        "SELECT \
           EXISTS (SELECT 1 FROM bookings WHERE event_id = $1 AND user_id = $2 AND status = 'confirmed') AS booked, \
           EXISTS (SELECT 1 FROM holds WHERE event_id = $1 AND user_id = $2 AND status = 'active') AS holding, \
           EXISTS (SELECT 1 FROM waitlist_entries WHERE event_id = $1 AND user_id = $2 AND status = 'waiting') AS waiting, \
           EXISTS (SELECT 1 FROM queue_tickets WHERE event_id = $1 AND user_id = $2 AND status = 'admitted' \
                   AND expires_at > now()) AS admitted",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .bind::<BigInt, _>(user.get())
    .prepared()
}

fn holding_from(row: &HoldingRow) -> Holding {
    match (row.booked, row.holding, row.waiting) {
        (true, _, _) => Holding::Booked,
        (false, true, _) => Holding::Holding,
        (false, false, true) => Holding::Waiting,
        (false, false, false) => Holding::Nothing,
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
    conn: &AsyncPgConnection,
    event: EventId,
) -> Result<Vec<Queued>, TxError<E>> {
    let rows: Vec<QueuedRow> = diesel::sql_query(
        "SELECT id, user_id, seats, tier_id FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting' \
         ORDER BY joined_at, id",
    )
    .bind::<BigInt, _>(event.get())
    .prepared()
    .load(&mut &*conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Queued {
                entry: id(row.id, WaitlistEntryId::new)?,
                user: id(row.user_id, UserId::new)?,
                seats: rows::seats(row.seats)?,
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

/// Gives promoted entries what the event's promotion mode says (a confirmed booking, or
/// an offer: a hold for the event's hold time), at their tier's price now; stores the
/// event's and its tiers' new seat counts and writes every notice owed (the promotions'
/// and `notices`).
pub(super) async fn settle<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    event: EventId,
    locked: &Locked,
    promoted: &[Promoted],
    mut notices: Vec<Notice>,
) -> Result<(), TxError<E>> {
    // Pipelined: the counts go with the first promotion (or the notices).
    let promote = async {
        for promoted in promoted {
            let entry = &promoted.entry;
            let notice = match locked.inventory.promotion() {
                Promotion::Book => {
                    let booking = promote_to_booking(conn, event, promoted).await?;
                    Notice::promoted(entry.user, event, &locked.name, booking, entry.seats)
                }
                Promotion::Offer => {
                    let hold = offer(conn, event, promoted, locked.hold_ttl).await?;
                    Notice::offered(entry.user, event, &locked.name, hold, entry.seats)
                }
            };
            notices.push(notice);
        }
        write_notices(conn, &notices).await?;
        Ok::<_, TxError<E>>(())
    };
    let (counts, promoted) = tokio::join!(write_counts(conn, event, &locked.inventory), promote);
    counts.and(promoted)
}

/// Stores the event's and its tiers' booked seats as `inventory` has them.
pub(super) async fn write_counts<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    event: EventId,
    inventory: &Inventory,
) -> Result<(), TxError<E>> {
    let (tiers, booked) = tier_counts(inventory);
    diesel::sql_query(
        "WITH t AS (UPDATE tiers SET booked_seats = c.b FROM unnest($3::bigint[], $4::int[]) AS c(id, b) \
                    WHERE tiers.id = c.id AND tiers.booked_seats <> c.b) \
         UPDATE events SET booked_seats = $2 WHERE id = $1 AND booked_seats <> $2",
    )
    .bind::<BigInt, _>(event.get())
    .bind::<Integer, _>(seat_count(inventory.booked()))
    .bind::<Array<BigInt>, _>(&tiers)
    .bind::<Array<Integer>, _>(&booked)
    .prepared()
    .execute(&mut &*conn)
    .await?;
    Ok(())
}

async fn promote_to_booking<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    event: EventId,
    promoted: &Promoted,
) -> Result<BookingId, TxError<E>> {
    let entry = &promoted.entry;
    let booking: NewId = diesel::sql_query(
        "WITH b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency, \
                      seat_numbers, seat_labels) \
                    SELECT $1, $2, $3, 'waitlist', t.id, t.price_cents, e.currency, $6, $7 \
                    FROM tiers t JOIN events e ON e.id = t.event_id WHERE t.id = $5 RETURNING id) \
         UPDATE waitlist_entries SET status = 'promoted', booking_id = (SELECT id FROM b) \
         WHERE id = $4 AND status = 'waiting' RETURNING booking_id AS id",
    )
    .bind::<BigInt, _>(event.get())
    .bind::<BigInt, _>(entry.user.get())
    .bind::<Integer, _>(seat_count(entry.seats.get()))
    .bind::<BigInt, _>(entry.entry.get())
    .bind::<BigInt, _>(entry.tier.get())
    .bind::<Nullable<Array<Integer>>, _>(numbers(promoted.placement.as_ref()))
    .bind::<Nullable<Array<Text>>, _>(labels(promoted.placement.as_ref()))
    .prepared()
    .get_result(&mut &*conn)
    .await?;
    id(booking.id, BookingId::new).map_err(store_failure)
}

async fn offer<E: From<StoreError>>(
    conn: &AsyncPgConnection,
    event: EventId,
    promoted: &Promoted,
    ttl: HoldTtl,
) -> Result<HoldId, TxError<E>> {
    let entry = &promoted.entry;
    let hold: NewId = diesel::sql_query(
        "WITH h AS (INSERT INTO holds (event_id, user_id, tier_id, seats, source, expires_at, unit_price_cents, currency, \
                      seat_numbers, seat_labels) \
                    SELECT $1, $2, t.id, $3, 'waitlist', clock_timestamp() + make_interval(secs => $6), \
                      t.price_cents, e.currency, $7, $8 \
                    FROM tiers t JOIN events e ON e.id = t.event_id WHERE t.id = $5 RETURNING id) \
         UPDATE waitlist_entries SET status = 'promoted', hold_id = (SELECT id FROM h) \
         WHERE id = $4 AND status = 'waiting' RETURNING hold_id AS id",
    )
    .bind::<BigInt, _>(event.get())
    .bind::<BigInt, _>(entry.user.get())
    .bind::<Integer, _>(seat_count(entry.seats.get()))
    .bind::<BigInt, _>(entry.entry.get())
    .bind::<BigInt, _>(entry.tier.get())
    .bind::<Integer, _>(seat_count(ttl.seconds()))
    .bind::<Nullable<Array<Integer>>, _>(numbers(promoted.placement.as_ref()))
    .bind::<Nullable<Array<Text>>, _>(labels(promoted.placement.as_ref()))
    .prepared().get_result(&mut &*conn)
    .await?;
    id(hold.id, HoldId::new).map_err(store_failure)
}

pub(super) use super::rows::seat_count;
