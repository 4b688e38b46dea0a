use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{
    BookError, BookOutcome, Booking, BookingRepository, BookingRequest, BookingStatus, CancelBookingError,
    IdempotencyKey,
};
use evently_domain::notification::Notice;
use evently_domain::{BookingId, EventId, Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::error::{TxError, classify};
use super::inventory::{load_queue, lock_event, seat_count, settle, store_failure};
use super::rows::{BOOKING_COLUMNS, BookingRow, Total, convert, id, seats};
use super::users::{not_found_as_none, offset};

/// How long an idempotency key answers replays.
const KEY_TTL: &str = "24 hours";

#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Integer)]
    seats: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    booking_id: Option<i64>,
}

/// What claiming an idempotency key found.
enum Claim {
    /// The key is ours: go on and book.
    Fresh,
    /// An earlier request with the same key booked this.
    Replay(Booking),
}

/// Claims `key` for this request. A concurrent request holding the same key makes this
/// wait until it commits or rolls back, so duplicates never book twice.
async fn claim_key(
    conn: &mut AsyncPgConnection,
    request: &BookingRequest,
    key: &IdempotencyKey,
) -> Result<Claim, TxError<BookError>> {
    let inserted = diesel::sql_query(format!(
        "INSERT INTO idempotency_keys (user_id, key, event_id, seats) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, key) DO UPDATE \
           SET event_id = EXCLUDED.event_id, seats = EXCLUDED.seats, booking_id = NULL, created_at = now() \
           WHERE idempotency_keys.created_at < now() - interval '{KEY_TTL}'"
    ))
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Text, _>(key.as_str())
    .bind::<BigInt, _>(request.event_id.get())
    .bind::<Integer, _>(seat_count(request.seats.get()))
    .execute(conn)
    .await
    .map_err(missing_parent)?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let stored: StoredKey =
        diesel::sql_query("SELECT event_id, seats, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2")
            .bind::<BigInt, _>(request.user_id.get())
            .bind::<Text, _>(key.as_str())
            .get_result(conn)
            .await?;
    if stored.event_id != request.event_id.get() || seats(stored.seats).ok() != Some(request.seats) {
        return Err(TxError::Domain(BookError::IdempotencyMismatch));
    }
    let booking = stored.booking_id.ok_or_else(|| {
        store_failure(StoreError::Unknown(anyhow::anyhow!("committed idempotency key without booking")))
    })?;
    let row = fetch(conn, id(booking, BookingId::new).map_err(store_failure)?).await?;
    let booking = Booking::try_from(row).map_err(store_failure)?;
    Ok(Claim::Replay(booking.as_first_confirmed()))
}

async fn fetch(conn: &mut AsyncPgConnection, id: BookingId) -> diesel::QueryResult<BookingRow> {
    diesel::sql_query(format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = $1"))
        .bind::<BigInt, _>(id.get())
        .get_result(conn)
        .await
}

/// A foreign key that failed: the user's account is gone, or the event is.
fn missing_parent(error: Error) -> TxError<BookError> {
    match &error {
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            if info.constraint_name().is_some_and(|c| c.contains("user_id")) {
                TxError::Domain(BookError::UnknownUser)
            } else {
                TxError::Domain(BookError::EventNotFound)
            }
        }
        _ => TxError::Db(error),
    }
}

/// One booking in the caller's transaction: claim the idempotency key if any, lock the
/// event, decide with the rule, write the booking and the seat count.
pub(super) async fn book_one(
    conn: &mut AsyncPgConnection,
    request: BookingRequest,
) -> Result<BookOutcome, TxError<BookError>> {
    if let Some(key) = &request.idempotency_key
        && let Claim::Replay(booking) = claim_key(conn, &request, key).await?
    {
        return Ok(BookOutcome { booking, replayed: true });
    }
    let locked = lock_event(conn, request.event_id, Some(request.user_id))
        .await?
        .ok_or(TxError::Domain(BookError::EventNotFound))?;
    let after = locked.inventory.book(request.seats, locked.holding).map_err(TxError::Domain)?;
    let row: BookingRow = diesel::sql_query(format!(
        "WITH e AS (UPDATE events SET booked_seats = $4 WHERE id = $1) \
             INSERT INTO bookings (event_id, user_id, seats, source) VALUES ($1, $2, $3, 'direct') \
             RETURNING {BOOKING_COLUMNS}"
    ))
    .bind::<BigInt, _>(request.event_id.get())
    .bind::<BigInt, _>(request.user_id.get())
    .bind::<Integer, _>(seat_count(request.seats.get()))
    .bind::<Integer, _>(seat_count(after.booked()))
    .get_result(conn)
    .await
    .map_err(missing_parent)?;
    if let Some(key) = &request.idempotency_key {
        diesel::sql_query("UPDATE idempotency_keys SET booking_id = $3 WHERE user_id = $1 AND key = $2")
            .bind::<BigInt, _>(request.user_id.get())
            .bind::<Text, _>(key.as_str())
            .bind::<BigInt, _>(row.id)
            .execute(conn)
            .await?;
    }
    let booking = Booking::try_from(row).map_err(store_failure)?;
    Ok(BookOutcome { booking, replayed: false })
}

impl BookingRepository for PgStore {
    #[tracing::instrument(skip_all, fields(event.id = %request.event_id, seats = request.seats.get()))]
    async fn book(&self, request: BookingRequest) -> Result<BookOutcome, BookError> {
        if let (Some(batches), None) = (&self.batches, &request.idempotency_key) {
            return self.book_batched(batches, request).await;
        }
        self.write(move |conn| Box::pin(book_one(conn, request))).await
    }

    async fn find_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        let mut conn = self.conn().await?;
        let row = fetch(&mut conn, id).await.map(Some).or_else(not_found_as_none)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(booking.id = %booking_id))]
    async fn cancel_booking(&self, booking_id: BookingId) -> Result<Booking, CancelBookingError> {
        self.write(move |conn| {
            Box::pin(async move {
                let before = fetch(conn, booking_id).await.map_err(|e| match e {
                    Error::NotFound => TxError::Domain(CancelBookingError::NotFound),
                    e => TxError::Db(e),
                })?;
                let event = id(before.event_id, EventId::new).map_err(store_failure)?;
                let locked = lock_event(conn, event, None).await?.ok_or(TxError::Domain(CancelBookingError::NotFound))?;
                // Re-read under the event's lock: every status change of a booking takes it.
                let current = Booking::try_from(fetch(conn, booking_id).await?).map_err(store_failure)?;
                let queue = load_queue(conn, event).await?;
                let released = locked
                    .inventory
                    .cancel_booking(current.status, current.seats, &queue)
                    .map_err(TxError::Domain)?;
                let row: BookingRow = diesel::sql_query(format!(
                    "UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $1 RETURNING {BOOKING_COLUMNS}"
                ))
                .bind::<BigInt, _>(booking_id.get())
                .get_result(conn)
                .await?;
                let cancelled = Booking::try_from(row).map_err(store_failure)?;
                let notice = Notice::booking_cancelled(cancelled.user_id, event, &locked.name, booking_id);
                settle(conn, event, &locked.name, released.inventory, &released.promoted, vec![notice]).await?;
                Ok(cancelled)
            })
        })
        .await
    }

    async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let purged = diesel::sql_query(format!(
            "DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - interval '{KEY_TTL}'"
        ))
        .bind::<Timestamptz, _>(now)
        .execute(&mut conn)
        .await
        .map_err(classify)?;
        Ok(u64::try_from(purged).unwrap_or(u64::MAX))
    }

    async fn list_user_bookings(
        &self,
        user: UserId,
        status: Option<BookingStatus>,
        page: PageRequest,
    ) -> Result<Page<Booking>, StoreError> {
        let mut conn = self.conn().await?;
        let status = status.map(BookingStatus::as_str);
        let rows: Vec<BookingRow> = diesel::sql_query(format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings WHERE user_id = $1 AND ($2::text IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<Text>, _>(status)
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let total: Total = diesel::sql_query(
            "SELECT count(*) AS total FROM bookings WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)",
        )
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<Text>, _>(status)
        .get_result(&mut conn)
        .await
        .map_err(classify)?;
        Ok(Page { items: convert(rows)?, total: total.total.unsigned_abs(), request: page })
    }
}
