use chrono::{DateTime, NaiveDate, Utc};
use evently_domain::analytics::{DailyFigure, EventStats, Overview, StatsSort, TopEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whole-system figures (admin).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewDto {
    /// Confirmed bookings.
    pub total_bookings: u64,
    /// Cancelled bookings.
    pub cancelled_bookings: u64,
    /// `cancelled_bookings / (total_bookings + cancelled_bookings)`, 0 when there are none.
    pub cancellation_rate: f64,
    /// Seats held by confirmed bookings.
    pub seats_booked: u64,
    /// Seats of scheduled events.
    pub total_capacity: u64,
    /// `seats_booked / total_capacity`, 0 without capacity.
    pub utilization: f64,
    /// Waitlist entries waiting now.
    pub waitlist_waiting: u64,
    /// Waitlist entries ever promoted.
    pub waitlist_promotions: u64,
    /// Up to 10 scheduled events by booked seats, ties by id.
    pub top_events: Vec<TopEventDto>,
    /// The last 30 UTC days, oldest first, today included.
    pub daily: Vec<DailyDto>,
    /// When these figures were computed (they may be up to a few seconds old).
    pub generated_at: DateTime<Utc>,
}

impl From<Overview> for OverviewDto {
    fn from(o: Overview) -> Self {
        Self {
            cancellation_rate: o.cancellation_rate(),
            utilization: o.utilization(),
            total_bookings: o.total_bookings,
            cancelled_bookings: o.cancelled_bookings,
            seats_booked: o.seats_booked,
            total_capacity: o.total_capacity,
            waitlist_waiting: o.waitlist_waiting,
            waitlist_promotions: o.waitlist_promotions,
            top_events: o.top_events.into_iter().map(TopEventDto::from).collect(),
            daily: o.daily.into_iter().map(DailyDto::from).collect(),
            generated_at: o.generated_at,
        }
    }
}

/// One of the top events.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopEventDto {
    /// The event's id.
    pub event_id: i64,
    /// Its name.
    pub name: String,
    /// Seats booked.
    pub booked_seats: u32,
    /// Seats in all.
    pub capacity: u32,
    /// `booked_seats / capacity`.
    pub utilization: f64,
}

impl From<TopEvent> for TopEventDto {
    fn from(t: TopEvent) -> Self {
        Self {
            utilization: t.utilization(),
            event_id: t.event_id.get(),
            name: t.name,
            booked_seats: t.booked_seats,
            capacity: t.capacity,
        }
    }
}

/// One UTC day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyDto {
    /// The day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2027-03-01")]
    pub date: NaiveDate,
    /// Bookings made (directly or by promotion).
    pub bookings: u64,
    /// Bookings cancelled.
    pub cancellations: u64,
}

impl From<DailyFigure> for DailyDto {
    fn from(d: DailyFigure) -> Self {
        Self { date: d.date, bookings: d.bookings, cancellations: d.cancellations }
    }
}

/// One event's figures (admin).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventStatsDto {
    /// The event's id.
    pub event_id: i64,
    /// Its name.
    pub name: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Seats in all.
    pub capacity: u32,
    /// Seats booked.
    pub booked_seats: u32,
    /// `booked_seats / capacity`.
    pub utilization: f64,
    /// Entries waiting.
    pub waitlist_length: u32,
    /// Cancelled bookings.
    pub cancellations: u32,
}

impl From<EventStats> for EventStatsDto {
    fn from(s: EventStats) -> Self {
        Self {
            utilization: s.utilization(),
            event_id: s.event_id.get(),
            name: s.name,
            starts_at: s.starts_at,
            capacity: s.capacity,
            booked_seats: s.booked_seats,
            waitlist_length: s.waitlist_length,
            cancellations: s.cancellations,
        }
    }
}

/// How to order per-event figures: descending, ties by event id.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    /// By `booked_seats / capacity` (the default).
    #[default]
    Utilization,
    /// By seats booked.
    BookedSeats,
    /// By entries waiting.
    WaitlistLength,
}

impl From<SortParam> for StatsSort {
    fn from(sort: SortParam) -> Self {
        match sort {
            SortParam::Utilization => Self::Utilization,
            SortParam::BookedSeats => Self::BookedSeats,
            SortParam::WaitlistLength => Self::WaitlistLength,
        }
    }
}

/// Order and pagination of per-event figures.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `utilization` (default), `booked_seats` or `waitlist_length`.
    pub sort: Option<SortParam>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}
