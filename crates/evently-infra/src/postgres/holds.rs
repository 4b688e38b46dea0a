//! Holds: made, confirmed and released under the event's lock (which settles expired
//! holds first), and swept when nobody touches their event.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::result::Error;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl as _;
use evently_domain::booking::PaymentReference;
use evently_domain::hold::{
    ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRepository, HoldRequest, HoldStatus,
    ReleaseHoldError,
};
use evently_domain::{EventId, HoldId, Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::direct::{Take, Taken};
use super::error::{TxError, classify};
use super::hold_writes::fetch_hold as fetch;
use super::inventory::{load_queue, lock_event, settle, store_failure, try_lock_event};
use super::prepared::Prepare as _;
use super::rows::{Counted, HOLD_COLUMNS, HoldRow, counted_page, id};
use super::users::{not_found_as_none, offset};

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
}

impl HoldRepository for PgStore {
    #[tracing::instrument(skip_all, fields(event.id = %request.event_id, seats = request.seats().get()))]
    async fn create_hold(&self, request: HoldRequest) -> Result<HoldOutcome, HoldError> {
        match self.take(Take::Hold(request)).await {
            Taken::Hold(answer) => answer,
            _ => Err(HoldError::Store(StoreError::Unknown(anyhow::anyhow!("a hold answered otherwise")))),
        }
    }

    async fn find_hold(&self, id: HoldId) -> Result<Option<Hold>, StoreError> {
        let conn = self.conn().await?;
        let row = fetch(&conn, id).await.map(Some).or_else(not_found_as_none)?;
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
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let not_found = |e: Error| match e {
                    Error::NotFound => TxError::Domain(ReleaseHoldError::NotFound),
                    e => TxError::Db(e),
                };
                let before = Hold::try_from(fetch(conn, id).await.map_err(not_found)?).map_err(store_failure)?;
                let mut locked = lock_event(conn, &plans, before.event_id, None)
                    .await?
                    .ok_or(TxError::Domain(ReleaseHoldError::NotFound))?;
                // Re-read under the lock, which settled the event's expired holds; the
                // queue in the same round trip.
                let (hold, queue) = tokio::join!(fetch(conn, id), load_queue(conn, before.event_id));
                let (hold, queue) = (Hold::try_from(hold?).map_err(store_failure)?, queue?);
                if hold.status != HoldStatus::Active {
                    return Err(TxError::Domain(ReleaseHoldError::NotActive));
                }
                let row: HoldRow = diesel::sql_query(format!(
                    "UPDATE holds SET status = 'released' WHERE id = $1 RETURNING {HOLD_COLUMNS}"
                ))
                .bind::<BigInt, _>(id.get())
                .prepared()
                .get_result(conn)
                .await?;
                let promoted = locked.inventory.release_holds(&[hold.given()], &queue);
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
        let counting = format!("SELECT count(*) AS total FROM holds WHERE {filter}");
        let rows: Vec<Counted<HoldRow>> = diesel::sql_query(format!(
            "SELECT {HOLD_COLUMNS}, ({counting}) AS total FROM holds WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<Nullable<Text>, _>(status.map(HoldStatus::as_str))
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(counting)
            .bind::<BigInt, _>(user.get())
            .bind::<Nullable<Text>, _>(status.map(HoldStatus::as_str))
            .bind::<Timestamptz, _>(now)
            .prepared()
            .get_result(&mut conn);
        counted_page(rows, page, apart).await
    }

    async fn sweep_expired_holds(&self, events: u32) -> Result<Vec<EventId>, StoreError> {
        let mut conn = self.conn().await?;
        let due: Vec<EventIdRow> = diesel::sql_query(
            "SELECT DISTINCT event_id FROM holds WHERE status = 'active' AND expires_at <= now() LIMIT $1",
        )
        .bind::<BigInt, _>(i64::from(events))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        drop(conn);
        let mut settled = Vec::new();
        for row in due {
            let event = id(row.event_id, EventId::new)?;
            // An event locked elsewhere is skipped: whoever holds its lock settles it.
            let plans = self.plans.clone();
            let swept = self
                .write(move |conn| {
                    Box::pin(async move {
                        Ok::<_, TxError<StoreError>>(try_lock_event(conn, &plans, event).await?.is_some())
                    })
                })
                .await?;
            if swept {
                settled.push(event);
            }
        }
        Ok(settled)
    }
}
