use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::analytics::{
    AnalyticsRepository, DailyFigure, EventStats, Overview, StatsSort, TOP_EVENTS, TopEvent, daily_window,
};
use evently_domain::{EventId, Page, PageRequest, StoreError};

use super::PgStore;
use super::error::classify;
use super::prepared::Prepare as _;
use super::rows::{Counted, count, counted_page, id, unsigned};
use super::users::offset;

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    total_bookings: i64,
    #[diesel(sql_type = BigInt)]
    cancelled_bookings: i64,
    #[diesel(sql_type = BigInt)]
    seats_booked: i64,
    #[diesel(sql_type = BigInt)]
    total_capacity: i64,
    #[diesel(sql_type = BigInt)]
    waitlist_waiting: i64,
    #[diesel(sql_type = BigInt)]
    waitlist_promotions: i64,
}

#[derive(QueryableByName)]
struct TopRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    booked_seats: i32,
    #[diesel(sql_type = Integer)]
    capacity: i32,
}

#[derive(QueryableByName)]
struct DayCount {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct StatsRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    capacity: i32,
    #[diesel(sql_type = Integer)]
    booked_seats: i32,
    #[diesel(sql_type = BigInt)]
    waitlist_length: i64,
    #[diesel(sql_type = BigInt)]
    cancellations: i64,
}

/// Counts per UTC day of `column` since `since`.
async fn per_day(
    conn: &mut AsyncPgConnection,
    column: &str,
    since: DateTime<Utc>,
) -> Result<HashMap<NaiveDate, u64>, StoreError> {
    let rows: Vec<DayCount> = diesel::sql_query(format!(
        "SELECT ({column} AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM bookings \
         WHERE {column} >= $1 GROUP BY 1"
    ))
    .bind::<Timestamptz, _>(since)
    .prepared()
    .load(conn)
    .await
    .map_err(classify)?;
    Ok(rows.into_iter().map(|r| (r.day, r.n.unsigned_abs())).collect())
}

impl AnalyticsRepository for PgStore {
    #[tracing::instrument(skip_all)]
    async fn overview(&self, now: DateTime<Utc>) -> Result<Overview, StoreError> {
        let mut conn = self.conn().await?;
        let totals: Totals = diesel::sql_query(
            "SELECT \
               (SELECT count(*) FROM bookings WHERE status = 'confirmed') AS total_bookings, \
               (SELECT count(*) FROM bookings WHERE status = 'cancelled') AS cancelled_bookings, \
               (SELECT COALESCE(sum(booked_seats), 0) FROM events WHERE status = 'scheduled')::bigint AS seats_booked, \
               (SELECT COALESCE(sum(capacity), 0) FROM events WHERE status = 'scheduled')::bigint AS total_capacity, \
               (SELECT count(*) FROM waitlist_entries WHERE status = 'waiting') AS waitlist_waiting, \
               (SELECT count(*) FROM waitlist_entries WHERE status = 'promoted') AS waitlist_promotions",
        )
        .prepared()
        .get_result(&mut conn)
        .await
        .map_err(classify)?;
        let top: Vec<TopRow> = diesel::sql_query(
            "SELECT id, name, booked_seats, capacity FROM events WHERE status = 'scheduled' \
             ORDER BY booked_seats DESC, id LIMIT $1",
        )
        .bind::<BigInt, _>(i64::from(TOP_EVENTS))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let window = daily_window(now.date_naive());
        let since = <[NaiveDate]>::first(&window)
            .copied()
            .unwrap_or_else(|| now.date_naive())
            .and_time(NaiveTime::MIN)
            .and_utc();
        let bookings = per_day(&mut conn, "created_at", since).await?;
        let cancellations = per_day(&mut conn, "cancelled_at", since).await?;
        let top_events = top
            .into_iter()
            .map(|row| {
                Ok(TopEvent {
                    event_id: id(row.id, EventId::new)?,
                    name: row.name,
                    booked_seats: unsigned(row.booked_seats)?,
                    capacity: unsigned(row.capacity)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let daily = window
            .into_iter()
            .map(|date| DailyFigure {
                date,
                bookings: bookings.get(&date).copied().unwrap_or(0),
                cancellations: cancellations.get(&date).copied().unwrap_or(0),
            })
            .collect();
        Ok(Overview {
            total_bookings: totals.total_bookings.unsigned_abs(),
            cancelled_bookings: totals.cancelled_bookings.unsigned_abs(),
            seats_booked: totals.seats_booked.unsigned_abs(),
            total_capacity: totals.total_capacity.unsigned_abs(),
            waitlist_waiting: totals.waitlist_waiting.unsigned_abs(),
            waitlist_promotions: totals.waitlist_promotions.unsigned_abs(),
            top_events,
            daily,
            generated_at: now,
        })
    }

    async fn event_stats(&self, sort: StatsSort, page: PageRequest) -> Result<Page<EventStats>, StoreError> {
        const COUNTING: &str = "SELECT count(*) AS total FROM events";
        let mut conn = self.conn().await?;
        let order = match sort {
            StatsSort::Utilization => "e.booked_seats::float8 / e.capacity",
            StatsSort::BookedSeats => "e.booked_seats",
            StatsSort::WaitlistLength => "waitlist_length",
        };
        let rows: Vec<Counted<StatsRow>> = diesel::sql_query(format!(
            "SELECT e.id, e.name, e.starts_at, e.capacity, e.booked_seats, \
               (SELECT count(*) FROM waitlist_entries w WHERE w.event_id = e.id AND w.status = 'waiting') AS waitlist_length, \
               (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'cancelled') AS cancellations, \
               ({COUNTING}) AS total \
             FROM events e ORDER BY {order} DESC, e.id LIMIT $1 OFFSET $2"
        ))
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared().load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(COUNTING).prepared().get_result(&mut conn);
        counted_page(rows, page, apart).await
    }
}

impl TryFrom<StatsRow> for EventStats {
    type Error = StoreError;

    fn try_from(row: StatsRow) -> Result<Self, StoreError> {
        Ok(EventStats {
            event_id: id(row.id, EventId::new)?,
            name: row.name,
            starts_at: row.starts_at,
            capacity: unsigned(row.capacity)?,
            booked_seats: unsigned(row.booked_seats)?,
            waitlist_length: count(row.waitlist_length),
            cancellations: count(row.cancellations),
        })
    }
}
