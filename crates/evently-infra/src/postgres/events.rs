use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::event::{
    CancelEventError, Event, EventFilter, EventPatch, EventRepository, NewEvent, NewTier, Tier, TierError, TierName,
    TierPatch, UpdateEventError,
};
use evently_domain::money::Price;
use evently_domain::notification::NotificationKind;
use evently_domain::seating::SeatChart;
use evently_domain::{EventId, Page, PageRequest, StoreError, TierId};

use super::PgStore;
use super::error::{TxError, classify};
use super::inventory::{load_queue, lock_event, seat_count, settle, store_failure};
use super::prepared::Prepare as _;
use super::rows::{Counted, EVENT_COLUMNS, EventRow, TIER_COLUMNS, TierRow, counted_page, id};
use super::seating::{chart, insert_plan};
use super::users::{not_found_as_none, offset};

/// Moves an edited event's `updated_at` to now, and always forward: two edits whose
/// transactions began in the same microsecond (or out of order) still differ, which is
/// how the webhook trigger tells an edit from a booking's counter change.
const LATER: &str = "updated_at = GREATEST(now(), updated_at + interval '1 microsecond')";

/// The filter of an event listing, with `NULL` meaning "any".
const LIST_FILTER: &str = "($1::text IS NULL OR e.status = $1) \
     AND ($2::timestamptz IS NULL OR e.starts_at >= $2) \
     AND ($3::timestamptz IS NULL OR e.starts_at <= $3) \
     AND ($4::text IS NULL OR lower(e.name) LIKE $4 OR lower(e.venue) LIKE $4)";

/// A `LIKE` pattern matching `text` anywhere, lower-cased, wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Reads an event inside or outside a transaction.
async fn fetch(conn: &mut AsyncPgConnection, id: EventId) -> diesel::QueryResult<EventRow> {
    diesel::sql_query(format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1"))
        .bind::<BigInt, _>(id.get())
        .prepared()
        .get_result(conn)
        .await
}

impl EventRepository for PgStore {
    #[tracing::instrument(skip_all)]
    async fn create_event(&self, event: NewEvent) -> Result<Event, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let tiers = event.tiers.tiers();
                let names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
                let prices: Vec<i64> = tiers.iter().map(|t| cents(t.price)).collect();
                let quotas: Vec<Option<i32>> = tiers.iter().map(|t| t.capacity.map(|c| seat_count(c.get()))).collect();
                // The tiers get their ids in the order given: the first is the default.
                let created: Created = diesel::sql_query(
                    "WITH e AS (INSERT INTO events (name, venue, description, starts_at, capacity, \
                                max_seats_per_booking, currency, hold_ttl_seconds, waitlist_promotion, seated, \
                                on_sale_at, queue_admit_per_minute, queue_admission_ttl_seconds) \
                                VALUES ($1, $2, $3, $4, $5, $6, $7, $11, $12, $13, $14, $15, $16) RETURNING id), \
                     q AS (INSERT INTO queues (event_id, starts_at) \
                           SELECT e.id, GREATEST(COALESCE($14, now()), now()) FROM e WHERE $15::int IS NOT NULL), \
                     t AS (INSERT INTO tiers (event_id, name, price_cents, capacity) \
                           SELECT e.id, x.n, x.p, x.c FROM e, \
                             unnest($8::text[], $9::bigint[], $10::int[]) WITH ORDINALITY AS x(n, p, c, o) ORDER BY x.o \
                           RETURNING id) \
                     SELECT e.id, ARRAY(SELECT id FROM t ORDER BY id) AS tiers FROM e",
                )
                .bind::<Text, _>(event.name.as_str())
                .bind::<Text, _>(event.venue.as_str())
                .bind::<Text, _>(event.description.as_str())
                .bind::<Timestamptz, _>(event.starts_at)
                .bind::<Integer, _>(seat_count(event.capacity.get()))
                .bind::<Integer, _>(seat_count(event.max_seats_per_booking.get()))
                .bind::<Text, _>(event.currency.as_str())
                .bind::<Array<Text>, _>(&names)
                .bind::<Array<BigInt>, _>(&prices)
                .bind::<Array<Nullable<Integer>>, _>(&quotas)
                .bind::<Integer, _>(seat_count(event.hold_ttl.seconds()))
                .bind::<Text, _>(event.waitlist_promotion.as_str())
                .bind::<Bool, _>(event.seating.is_some())
                .bind::<Nullable<Timestamptz>, _>(event.on_sale_at)
                .bind::<Nullable<Integer>, _>(event.queue.map(|q| seat_count(q.admit_per_minute.get())))
                .bind::<Nullable<Integer>, _>(event.queue.map(|q| seat_count(q.admission_ttl.get())))
                .prepared().get_result(conn)
                .await?;
                if let Some(plan) = &event.seating {
                    insert_plan(conn, created.id, plan, &created.tiers).await?;
                }
                let id = id(created.id, EventId::new).map_err(store_failure)?;
                Event::try_from(fetch(conn, id).await?).map_err(store_failure)
            })
        })
        .await
    }

    async fn find_seats(&self, id: EventId) -> Result<Option<SeatChart>, StoreError> {
        let mut conn = self.conn().await?;
        chart(&mut conn, id).await
    }

    async fn find_event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        let mut conn = self.conn().await?;
        let row = fetch(&mut conn, id).await.map(Some).or_else(not_found_as_none)?;
        row.map(Event::try_from).transpose()
    }

    async fn list_events(&self, filter: EventFilter, page: PageRequest) -> Result<Page<Event>, StoreError> {
        let mut conn = self.conn().await?;
        let status = filter.status.map(|s| s.as_str());
        let pattern = filter.query.as_ref().map(|q| contains_pattern(q.as_str()));
        let counting = format!("SELECT count(*) AS total FROM events e WHERE {LIST_FILTER}");
        let rows: Vec<Counted<EventRow>> = diesel::sql_query(format!(
            "SELECT {EVENT_COLUMNS}, ({counting}) AS total \
             FROM events e WHERE {LIST_FILTER} ORDER BY e.starts_at, e.id LIMIT $5 OFFSET $6"
        ))
        .bind::<Nullable<Text>, _>(status)
        .bind::<Nullable<Timestamptz>, _>(filter.from)
        .bind::<Nullable<Timestamptz>, _>(filter.to)
        .bind::<Nullable<Text>, _>(pattern.as_deref())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(counting)
            .bind::<Nullable<Text>, _>(status)
            .bind::<Nullable<Timestamptz>, _>(filter.from)
            .bind::<Nullable<Timestamptz>, _>(filter.to)
            .bind::<Nullable<Text>, _>(pattern.as_deref())
            .prepared()
            .get_result(&mut conn);
        counted_page(rows, page, apart).await
    }

    #[tracing::instrument(skip_all, fields(event.id = %id))]
    async fn update_event(&self, id: EventId, patch: EventPatch) -> Result<Event, UpdateEventError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let mut locked =
                    lock_event(conn, &plans, id, None).await?.ok_or(TxError::Domain(UpdateEventError::NotFound))?;
                let queue = load_queue(conn, id).await?;
                let capacity = patch.capacity.unwrap_or(locked.inventory.capacity());
                let max = patch.max_seats_per_booking.unwrap_or(locked.inventory.max_per_booking());
                let promoted = locked.inventory.resize(capacity, max, &queue).map_err(|c| TxError::Domain(c.into()))?;
                let row: EventRow = diesel::sql_query(format!(
                    "WITH e AS (UPDATE events SET name = COALESCE($2, name), venue = COALESCE($3, venue), \
                       description = COALESCE($4, description), starts_at = COALESCE($5, starts_at), \
                       capacity = $6, max_seats_per_booking = $7, hold_ttl_seconds = COALESCE($8, hold_ttl_seconds), \
                       waitlist_promotion = COALESCE($9, waitlist_promotion), on_sale_at = COALESCE($10, on_sale_at), \
                       queue_admit_per_minute = COALESCE($11, queue_admit_per_minute), \
                       queue_admission_ttl_seconds = COALESCE($12, queue_admission_ttl_seconds), {LATER} \
                       WHERE id = $1 RETURNING *), \
                     q AS (INSERT INTO queues (event_id, starts_at) \
                           SELECT e.id, GREATEST(COALESCE(e.on_sale_at, now()), now()) FROM e \
                           WHERE e.queue_admit_per_minute IS NOT NULL \
                           ON CONFLICT (event_id) DO UPDATE SET starts_at = EXCLUDED.starts_at \
                           WHERE queues.starts_at > now() AND $10::timestamptz IS NOT NULL) \
                     SELECT {EVENT_COLUMNS} FROM e"
                ))
                .bind::<BigInt, _>(id.get())
                .bind::<Nullable<Text>, _>(patch.name.as_ref().map(|n| n.as_str()))
                .bind::<Nullable<Text>, _>(patch.venue.as_ref().map(|v| v.as_str()))
                .bind::<Nullable<Text>, _>(patch.description.as_ref().map(|d| d.as_str()))
                .bind::<Nullable<Timestamptz>, _>(patch.starts_at)
                .bind::<Integer, _>(seat_count(capacity.get()))
                .bind::<Integer, _>(seat_count(max.get()))
                .bind::<Nullable<Integer>, _>(patch.hold_ttl.map(|t| seat_count(t.seconds())))
                .bind::<Nullable<Text>, _>(patch.waitlist_promotion.map(|p| p.as_str()))
                .bind::<Nullable<Timestamptz>, _>(patch.on_sale_at)
                .bind::<Nullable<Integer>, _>(patch.queue.map(|q| seat_count(q.admit_per_minute.get())))
                .bind::<Nullable<Integer>, _>(patch.queue.map(|q| seat_count(q.admission_ttl.get())))
                .prepared()
                .get_result(conn)
                .await?;
                if patch.changes_details() {
                    broadcast(conn, id, NotificationKind::EventChanged, &row.name).await?;
                }
                locked.name = row.name.clone();
                // Offers made by this change last the hold time it sets, as in memory.
                locked.hold_ttl = patch.hold_ttl.unwrap_or(locked.hold_ttl);
                settle(conn, id, &locked, &promoted, Vec::new()).await?;
                let row = fetch(conn, id).await?;
                Event::try_from(row).map_err(store_failure)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(event.id = %id))]
    async fn cancel_event(&self, id: EventId) -> Result<Event, CancelEventError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let mut locked =
                    lock_event(conn, &plans, id, None).await?.ok_or(TxError::Domain(CancelEventError::NotFound))?;
                locked.inventory.cancel_event().map_err(|c| TxError::Domain(c.into()))?;
                broadcast(conn, id, NotificationKind::EventCancelled, &locked.name).await?;
                diesel::sql_query(
                    "UPDATE bookings SET status = 'cancelled', cancelled_at = now() \
                     WHERE event_id = $1 AND status = 'confirmed'",
                )
                .bind::<BigInt, _>(id.get())
                .prepared()
                .execute(conn)
                .await?;
                diesel::sql_query(
                    "WITH h AS (UPDATE holds SET status = 'released' WHERE event_id = $1 AND status = 'active') \
                     UPDATE waitlist_entries SET status = 'cancelled' WHERE event_id = $1 AND status = 'waiting'",
                )
                .bind::<BigInt, _>(id.get())
                .prepared()
                .execute(conn)
                .await?;
                diesel::sql_query(format!(
                    "WITH t AS (UPDATE tiers SET booked_seats = 0 WHERE event_id = $1) \
                     UPDATE events SET status = 'cancelled', booked_seats = $2, {LATER} WHERE id = $1"
                ))
                .bind::<BigInt, _>(id.get())
                .bind::<Integer, _>(seat_count(locked.inventory.booked()))
                .prepared()
                .execute(conn)
                .await?;
                let row = fetch(conn, id).await?;
                Event::try_from(row).map_err(store_failure)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(event.id = %event))]
    async fn create_tier(&self, event: EventId, tier: NewTier) -> Result<Tier, TierError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let locked =
                    lock_event(conn, &plans, event, None).await?.ok_or(TxError::Domain(TierError::NotFound))?;
                locked.inventory.admits_tier(tier.capacity).map_err(|c| TxError::Domain(c.into()))?;
                let row: TierRow = diesel::sql_query(format!(
                    "WITH t AS (INSERT INTO tiers (event_id, name, price_cents, capacity) VALUES ($1, $2, $3, $4) \
                     RETURNING *) SELECT {TIER_COLUMNS} FROM t"
                ))
                .bind::<BigInt, _>(event.get())
                .bind::<Text, _>(tier.name.as_str())
                .bind::<BigInt, _>(cents(tier.price))
                .bind::<Nullable<Integer>, _>(tier.capacity.map(|c| seat_count(c.get())))
                .prepared()
                .get_result(conn)
                .await
                .map_err(|e| name_taken(e, &tier.name))?;
                Tier::try_from(row).map_err(store_failure)
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(event.id = %event, tier.id = %tier))]
    async fn update_tier(&self, event: EventId, tier: TierId, patch: TierPatch) -> Result<Tier, TierError> {
        let plans = self.plans.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let mut locked = lock_event(conn, &plans, event, None).await?.ok_or(TxError::Domain(TierError::NotFound))?;
                let current = locked.inventory.tiers().iter().find(|t| t.id == tier).copied();
                let current = current.ok_or(TxError::Domain(TierError::NotFound))?;
                let capacity = patch.capacity.unwrap_or(current.capacity);
                let queue = load_queue(conn, event).await?;
                let promoted =
                    locked.inventory.resize_tier(tier, capacity, &queue).map_err(|c| TxError::Domain(c.into()))?;
                diesel::sql_query(
                    "UPDATE tiers SET name = COALESCE($2, name), price_cents = COALESCE($3, price_cents), capacity = $4 \
                     WHERE id = $1",
                )
                .bind::<BigInt, _>(tier.get())
                .bind::<Nullable<Text>, _>(patch.name.as_ref().map(|n| n.as_str()))
                .bind::<Nullable<BigInt>, _>(patch.price.map(cents))
                .bind::<Nullable<Integer>, _>(capacity.map(|c| seat_count(c.get())))
                .prepared().execute(conn)
                .await
                .map_err(|e| match &patch.name {
                    Some(name) => name_taken(e, name),
                    None => TxError::Db(e),
                })?;
                settle(conn, event, &locked, &promoted, Vec::new()).await?;
                let row: TierRow = diesel::sql_query(format!("SELECT {TIER_COLUMNS} FROM tiers t WHERE t.id = $1"))
                    .bind::<BigInt, _>(tier.get())
                    .prepared().get_result(conn)
                    .await?;
                Tier::try_from(row).map_err(store_failure)
            })
        })
        .await
    }
}

/// Tells every holder of a confirmed booking, active hold or waiting entry of the event
/// (call before their states change).
async fn broadcast<E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    kind: NotificationKind,
    event_name: &str,
) -> Result<(), TxError<E>> {
    diesel::sql_query(
        "INSERT INTO notifications (user_id, kind, event_id, booking_id, hold_id, message) \
         SELECT user_id, $2, event_id, id, NULL, $3 FROM bookings WHERE event_id = $1 AND status = 'confirmed' \
         UNION ALL \
         SELECT user_id, $2, event_id, NULL, id, $3 FROM holds \
           WHERE event_id = $1 AND status = 'active' AND expires_at > now() \
         UNION ALL \
         SELECT user_id, $2, event_id, NULL, NULL, $3 FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting'",
    )
    .bind::<BigInt, _>(event.get())
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(kind.broadcast_message(event_name))
    .prepared()
    .execute(conn)
    .await?;
    Ok(())
}

/// A price as the database's integer (prices are bounded by [`Price::MAX`]).
fn cents(price: Price) -> i64 {
    i64::try_from(price.cents()).unwrap_or(i64::MAX)
}

/// A unique violation on the tier's name is the domain's `NameTaken`.
fn name_taken(error: diesel::result::Error, name: &TierName) -> TxError<TierError> {
    match error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            TxError::Domain(TierError::NameTaken(name.as_str().to_owned()))
        }
        e => TxError::Db(e),
    }
}

/// A new event's id and its tiers' ids, in order.
#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Array<BigInt>)]
    tiers: Vec<i64>,
}
