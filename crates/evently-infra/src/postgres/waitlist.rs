use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::inventory::Seats;
use evently_domain::waitlist::{
    JoinWaitlistError, LeaveWaitlistError, QueueStanding, WaitlistEntry, WaitlistRepository,
};
use evently_domain::{EventId, Page, PageRequest, StoreError, TierId, UserId};

use super::PgStore;
use super::error::{TxError, classify};
use super::inventory::{lock_event, seat_count, store_failure};
use super::prepared::Prepare as _;
use super::rows::{Answer, Counted, ENTRY_COLUMNS, EntryRow, Total, count, counted_page};
use super::users::{not_found_as_none, offset};

/// How many entries wait in the queue of event `$1`.
const WAITING: &str = "SELECT count(*) AS total FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting'";

async fn waiting_count(conn: &mut AsyncPgConnection, event: EventId) -> diesel::QueryResult<i64> {
    let total: Total = diesel::sql_query(WAITING).bind::<BigInt, _>(event.get()).prepared().get_result(conn).await?;
    Ok(total.total)
}

impl WaitlistRepository for PgStore {
    #[tracing::instrument(skip_all, fields(event.id = %event, seats = seats.get()))]
    async fn join_waitlist(
        &self,
        event: EventId,
        user: UserId,
        seats: Seats,
        tier: Option<TierId>,
    ) -> Result<WaitlistEntry, JoinWaitlistError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let locked = lock_event(conn, &plans, event, Some(user))
                    .await?
                    .ok_or(TxError::Domain(JoinWaitlistError::EventNotFound))?;
                let tier = locked
                    .inventory
                    .join_waitlist(tier, seats, locked.caller)
                    .map_err(|c| TxError::Domain(c.into()))?;
                let row: EntryRow = diesel::sql_query(
                    "WITH w AS (INSERT INTO waitlist_entries (event_id, user_id, seats, tier_id) VALUES ($1, $2, $3, $4) \
                       RETURNING *) \
                     SELECT w.id, w.event_id, w.user_id, w.seats, w.status, w.booking_id, w.joined_at, w.tier_id, w.hold_id, \
                       (SELECT count(*) + 1 FROM waitlist_entries o WHERE o.event_id = w.event_id AND o.status = 'waiting') AS position \
                     FROM w",
                )
                .bind::<BigInt, _>(event.get())
                .bind::<BigInt, _>(user.get())
                .bind::<Integer, _>(seat_count(seats.get()))
                .bind::<BigInt, _>(tier.get())
                .prepared().get_result(conn)
                .await
                .map_err(|e| match e {
                    diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
                        TxError::Domain(JoinWaitlistError::UnknownUser)
                    }
                    e => TxError::Db(e),
                })?;
                WaitlistEntry::try_from(row).map_err(store_failure)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(event.id = %event))]
    async fn leave_waitlist(&self, event: EventId, user: UserId) -> Result<(), LeaveWaitlistError> {
        // Under the event's lock, like every promotion: once this commits, no transaction
        // that freed seats can still be holding the entry in the queue it loaded.
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                // Not waiting now is an answer in itself, given without queueing for the lock.
                let waiting: Answer = diesel::sql_query(
                    "SELECT EXISTS (SELECT 1 FROM waitlist_entries \
                     WHERE event_id = $1 AND user_id = $2 AND status = 'waiting') AS answer",
                )
                .bind::<BigInt, _>(event.get())
                .bind::<BigInt, _>(user.get())
                .prepared()
                .get_result(conn)
                .await?;
                if !waiting.answer {
                    return Err(TxError::Domain(LeaveWaitlistError::NotWaiting));
                }
                lock_event(conn, &plans, event, None).await?.ok_or(TxError::Domain(LeaveWaitlistError::NotWaiting))?;
                let left = diesel::sql_query(
                    "UPDATE waitlist_entries SET status = 'left' \
                     WHERE event_id = $1 AND user_id = $2 AND status = 'waiting'",
                )
                .bind::<BigInt, _>(event.get())
                .bind::<BigInt, _>(user.get())
                .prepared()
                .execute(conn)
                .await?;
                if left == 0 {
                    return Err(TxError::Domain(LeaveWaitlistError::NotWaiting));
                }
                Ok(())
            })
        })
        .await
    }

    async fn find_standing(&self, event: EventId, user: UserId) -> Result<Option<QueueStanding>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<EntryRow> = diesel::sql_query(format!(
            "SELECT {ENTRY_COLUMNS} FROM waitlist_entries w WHERE w.event_id = $1 AND w.user_id = $2 AND w.status = 'waiting'"
        ))
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(user.get())
        .prepared().get_result(&mut conn)
        .await
        .map(Some)
        .or_else(not_found_as_none)?;
        let Some(row) = row else { return Ok(None) };
        let total_waiting = count(waiting_count(&mut conn, event).await.map_err(classify)?);
        Ok(Some(QueueStanding { entry: row.try_into()?, total_waiting }))
    }

    async fn list_queue(&self, event: EventId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<Counted<EntryRow>> = diesel::sql_query(format!(
            "SELECT {ENTRY_COLUMNS}, ({WAITING}) AS total \
             FROM waitlist_entries w WHERE w.event_id = $1 AND w.status = 'waiting' \
             ORDER BY w.joined_at, w.id LIMIT $2 OFFSET $3"
        ))
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = async { waiting_count(&mut conn, event).await.map(|total| Total { total }) };
        counted_page(rows, page, apart).await
    }

    async fn list_user_entries(&self, user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError> {
        const COUNTING: &str = "SELECT count(*) AS total FROM waitlist_entries WHERE user_id = $1";
        let mut conn = self.conn().await?;
        let rows: Vec<Counted<EntryRow>> = diesel::sql_query(format!(
            "SELECT {ENTRY_COLUMNS}, ({COUNTING}) AS total \
             FROM waitlist_entries w WHERE w.user_id = $1 \
             ORDER BY w.joined_at DESC, w.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(COUNTING).bind::<BigInt, _>(user.get()).prepared().get_result(&mut conn);
        counted_page(rows, page, apart).await
    }
}
