//! Admin analytics: figures aggregated by the store, ratios derived here.

use std::future::Future;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::user::Admin;
use crate::{EventId, Page, PageRequest, StoreError};

/// How many days `daily` covers, today included.
pub const DAILY_WINDOW_DAYS: u64 = 30;

/// How many events `top_events` lists.
pub const TOP_EVENTS: u32 = 10;

/// `part / whole`, or 0 when `whole` is 0.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    // Counts stay far below 2^52, where f64 is exact.
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let value = part as f64 / whole as f64;
    value.clamp(0.0, 1.0)
}

/// The days of the daily window ending `today` (UTC), oldest first.
pub fn daily_window(today: NaiveDate) -> Vec<NaiveDate> {
    (0..DAILY_WINDOW_DAYS).rev().filter_map(|back| today.checked_sub_days(Days::new(back))).collect()
}

/// The whole-system figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// Confirmed bookings.
    pub total_bookings: u64,
    /// Cancelled bookings.
    pub cancelled_bookings: u64,
    /// Seats held by confirmed bookings.
    pub seats_booked: u64,
    /// Seats of scheduled events.
    pub total_capacity: u64,
    /// Entries waiting now.
    pub waitlist_waiting: u64,
    /// Entries ever promoted.
    pub waitlist_promotions: u64,
    /// Scheduled events with the most booked seats (ties by id).
    pub top_events: Vec<TopEvent>,
    /// Bookings and cancellations per UTC day of the window, oldest first.
    pub daily: Vec<DailyFigure>,
    /// When these figures were computed.
    pub generated_at: DateTime<Utc>,
}

impl Overview {
    /// `cancelled / (confirmed + cancelled)`.
    pub fn cancellation_rate(&self) -> f64 {
        ratio(self.cancelled_bookings, self.total_bookings + self.cancelled_bookings)
    }

    /// `seats_booked / total_capacity`.
    pub fn utilization(&self) -> f64 {
        ratio(self.seats_booked, self.total_capacity)
    }
}

/// One of the top events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEvent {
    /// Its id.
    pub event_id: EventId,
    /// Its name.
    pub name: String,
    /// Seats booked.
    pub booked_seats: u32,
    /// Seats in all.
    pub capacity: u32,
}

impl TopEvent {
    /// `booked_seats / capacity`.
    pub fn utilization(&self) -> f64 {
        ratio(u64::from(self.booked_seats), u64::from(self.capacity))
    }
}

/// One day's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyFigure {
    /// The UTC day.
    pub date: NaiveDate,
    /// Bookings made that day (directly or by promotion).
    pub bookings: u64,
    /// Bookings cancelled that day.
    pub cancellations: u64,
}

/// One event's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStats {
    /// Its id.
    pub event_id: EventId,
    /// Its name.
    pub name: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Seats in all.
    pub capacity: u32,
    /// Seats booked.
    pub booked_seats: u32,
    /// Entries waiting.
    pub waitlist_length: u32,
    /// Cancelled bookings.
    pub cancellations: u32,
}

impl EventStats {
    /// `booked_seats / capacity`.
    pub fn utilization(&self) -> f64 {
        ratio(u64::from(self.booked_seats), u64::from(self.capacity))
    }
}

/// The order of per-event figures: descending, ties by event id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum StatsSort {
    /// By `booked_seats / capacity`.
    #[default]
    Utilization,
    /// By seats booked.
    BookedSeats,
    /// By entries waiting.
    WaitlistLength,
}

/// Aggregation in the store (never by loading every row into the server).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AnalyticsRepository: Send + Sync + 'static {
    /// The whole-system figures as of `now`.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn overview(&self, now: DateTime<Utc>) -> impl Future<Output = Result<Overview, StoreError>> + Send;

    /// Per-event figures, every event, in `sort` order.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn event_stats(
        &self,
        sort: StatsSort,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<EventStats>, StoreError>> + Send;
}

/// Figures for admins, straight from the store.
#[derive(Debug, Clone)]
pub struct AnalyticsService<R> {
    analytics: R,
}

impl<R: AnalyticsRepository> AnalyticsService<R> {
    /// Builds the service over its port.
    pub fn new(analytics: R) -> Self {
        Self { analytics }
    }

    /// Whole-system figures as of `now` (admin).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn overview(&self, _admin: Admin, now: DateTime<Utc>) -> Result<Overview, StoreError> {
        self.analytics.overview(now).await
    }

    /// Per-event figures (admin).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn event_stats(
        &self,
        _admin: Admin,
        sort: StatsSort,
        page: PageRequest,
    ) -> Result<Page<EventStats>, StoreError> {
        self.analytics.event_stats(sort, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_fractions_and_zero_without_a_whole() {
        assert!((ratio(1, 4) - 0.25).abs() < f64::EPSILON);
        assert!(ratio(0, 0).abs() < f64::EPSILON);
        assert!((ratio(5, 5) - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn the_daily_window_ends_today() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let days = daily_window(today);
        assert_eq!(days.len(), 30);
        assert_eq!(days.first(), NaiveDate::from_ymd_opt(2027, 1, 31).as_ref());
        assert_eq!(days.last(), Some(&today));
    }
}
