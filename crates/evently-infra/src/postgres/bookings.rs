use chrono::{DateTime, Utc};
use diesel::result::Error;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRepository, BookingRequest, CancelBookingError};
use evently_domain::inventory::{BookingStatus, CancelConflict, EventStatus};
use evently_domain::notification::Notice;
use evently_domain::{BookingId, EventId, Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::direct::{Take, Taken};
use super::error::{TxError, classify};
use super::inventory::{load_queue, lock_event, settle, store_failure};
use super::keys::key_lifetime;
use super::prepared::Prepare as _;
use super::rows::{Answer, BOOKING_COLUMNS, BookingRow, Counted, counted_page};
use super::users::{not_found_as_none, offset};

async fn fetch(conn: &AsyncPgConnection, id: BookingId) -> diesel::QueryResult<BookingRow> {
    diesel::sql_query(format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE id = $1"))
        .bind::<BigInt, _>(id.get())
        .prepared()
        .get_result(&mut &*conn)
        .await
}

/// `event`'s status.
async fn event_status(conn: &AsyncPgConnection, event: EventId) -> diesel::QueryResult<EventStatus> {
    let cancelled: Answer = diesel::sql_query("SELECT status = 'cancelled' AS answer FROM events WHERE id = $1")
        .bind::<BigInt, _>(event.get())
        .prepared()
        .get_result(&mut &*conn)
        .await?;
    Ok(if cancelled.answer { EventStatus::Cancelled } else { EventStatus::Scheduled })
}

impl BookingRepository for PgStore {
    #[tracing::instrument(skip_all, fields(event.id = %request.event_id, seats = request.seats().get()))]
    async fn book(&self, request: BookingRequest) -> Result<BookOutcome, BookError> {
        match self.take(Take::Book(request)).await {
            Taken::Book(answer) => answer,
            _ => Err(BookError::Store(StoreError::Unknown(anyhow::anyhow!("a booking answered otherwise")))),
        }
    }

    async fn find_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        let conn = self.conn().await?;
        let row = fetch(&conn, id).await.map(Some).or_else(not_found_as_none)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(booking.id = %booking_id))]
    async fn cancel_booking(&self, booking_id: BookingId) -> Result<Booking, CancelBookingError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let before = fetch(conn, booking_id).await.map_err(|e| match e {
                    Error::NotFound => TxError::Domain(CancelBookingError::NotFound),
                    e => TxError::Db(e),
                })?;
                let before = Booking::try_from(before).map_err(store_failure)?;
                let event = before.event_id;
                // A cancellation is final: a booking found cancelled is refused without
                // waiting for its event's lock, by the rule the lock's holder applies.
                if before.status == BookingStatus::Cancelled {
                    let conflict = CancelConflict::of(event_status(conn, event).await?, before.status);
                    if let Some(conflict) = conflict {
                        return Err(TxError::Domain(conflict.into()));
                    }
                }
                // Behind the event's lock (every status change of a booking takes it) and in
                // its round trip: the booking as it is now and the event's queue.
                let (locked, current, queue) = tokio::join!(
                    lock_event(conn, &plans, event, None),
                    fetch(conn, booking_id),
                    load_queue(conn, event)
                );
                let mut locked = locked?.ok_or(TxError::Domain(CancelBookingError::NotFound))?;
                let current = Booking::try_from(current?).map_err(store_failure)?;
                let mut queue = queue?;
                // Entries promoted as the lock settled expired holds wait no longer.
                queue.retain(|queued| !locked.settled.contains(&queued.entry));
                let promoted = locked
                    .inventory
                    .cancel_booking(current.status, current.given(), &queue)
                    .map_err(|c| TxError::Domain(c.into()))?;
                // The cancellation first (its triggers free the seats and revoke the tickets),
                // the counts, promotions and notices pipelined behind it.
                let notice = Notice::booking_cancelled(current.user_id, event, &locked.name, booking_id);
                let (row, settled) = tokio::join!(
                    diesel::sql_query(format!(
                        "UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE id = $1 \
                         RETURNING {BOOKING_COLUMNS}"
                    ))
                    .bind::<BigInt, _>(booking_id.get())
                    .prepared()
                    .get_result::<BookingRow>(&mut &*conn),
                    settle(conn, event, &locked, &promoted, vec![notice]),
                );
                let cancelled = Booking::try_from(row?).map_err(store_failure)?;
                settled?;
                Ok(cancelled)
            })
        })
        .await
    }

    async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        // Bookings' and holds' keys alike.
        let purged = diesel::sql_query(format!(
            "WITH h AS (DELETE FROM hold_keys WHERE created_at < $1::timestamptz - interval '{lifetime}' RETURNING 1) \
             DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - interval '{lifetime}'",
            lifetime = key_lifetime()
        ))
        .bind::<Timestamptz, _>(now)
        .prepared()
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
        let filter = "user_id = $1 AND ($2::text IS NULL OR status = $2)";
        let counting = format!("SELECT count(*) AS total FROM bookings WHERE {filter}");
        let rows: Vec<Counted<BookingRow>> = diesel::sql_query(format!(
            "SELECT {BOOKING_COLUMNS}, ({counting}) AS total FROM bookings \
             WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<Text>, _>(status)
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(counting)
            .bind::<BigInt, _>(user.get())
            .bind::<Nullable<Text>, _>(status)
            .prepared()
            .get_result(&mut conn);
        counted_page(rows, page, apart).await
    }
}
