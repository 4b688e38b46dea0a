use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use evently_domain::analytics::{
    AnalyticsRepository, DailyFigure, EventStats, Overview, StatsSort, TOP_EVENTS, TopEvent, daily_window,
};
use evently_domain::inventory::BookingStatus;
use evently_domain::inventory::EventStatus;
use evently_domain::waitlist::WaitlistStatus;
use evently_domain::{Page, PageRequest, StoreError};

use super::MemoryStore;

fn per_day(dates: impl Iterator<Item = DateTime<Utc>>) -> HashMap<NaiveDate, u64> {
    let mut days = HashMap::new();
    for date in dates {
        *days.entry(date.date_naive()).or_default() += 1;
    }
    days
}

impl AnalyticsRepository for MemoryStore {
    async fn overview(&self, now: DateTime<Utc>) -> Result<Overview, StoreError> {
        let state = self.lock()?;
        let count_bookings = |status| state.bookings.iter().filter(|b| b.status == status).count() as u64;
        let count_entries = |status| state.entries.iter().filter(|e| e.status == status).count() as u64;
        let scheduled: Vec<_> = state.events.iter().filter(|e| e.status == EventStatus::Scheduled).collect();
        let mut top: Vec<_> = scheduled.clone();
        top.sort_by_key(|e| (std::cmp::Reverse(e.booked_seats), e.id));
        let booked = per_day(state.bookings.iter().map(|b| b.created_at));
        let cancelled = per_day(state.bookings.iter().filter_map(|b| b.cancelled_at));
        Ok(Overview {
            total_bookings: count_bookings(BookingStatus::Confirmed),
            cancelled_bookings: count_bookings(BookingStatus::Cancelled),
            seats_booked: scheduled.iter().map(|e| u64::from(e.booked_seats)).sum(),
            total_capacity: scheduled.iter().map(|e| u64::from(e.capacity.get())).sum(),
            waitlist_waiting: count_entries(WaitlistStatus::Waiting),
            waitlist_promotions: count_entries(WaitlistStatus::Promoted),
            top_events: top
                .into_iter()
                .take(TOP_EVENTS as usize)
                .map(|e| TopEvent {
                    event_id: e.id,
                    name: e.name.as_str().to_owned(),
                    booked_seats: e.booked_seats,
                    capacity: e.capacity.get(),
                })
                .collect(),
            daily: daily_window(now.date_naive())
                .into_iter()
                .map(|date| DailyFigure {
                    date,
                    bookings: booked.get(&date).copied().unwrap_or(0),
                    cancellations: cancelled.get(&date).copied().unwrap_or(0),
                })
                .collect(),
            generated_at: now,
        })
    }

    async fn event_stats(&self, sort: StatsSort, page: PageRequest) -> Result<Page<EventStats>, StoreError> {
        let state = self.lock()?;
        let mut stats: Vec<EventStats> = state
            .events
            .iter()
            .filter_map(|e| state.event(e.id))
            .map(|e| EventStats {
                event_id: e.id,
                cancellations: u32::try_from(
                    state
                        .bookings
                        .iter()
                        .filter(|b| b.event_id == e.id && b.status == BookingStatus::Cancelled)
                        .count(),
                )
                .unwrap_or(u32::MAX),
                name: e.name.as_str().to_owned(),
                starts_at: e.starts_at,
                capacity: e.capacity.get(),
                booked_seats: e.booked_seats,
                waitlist_length: e.waitlist_length,
            })
            .collect();
        stats.sort_by(|a, b| {
            let key = |s: &EventStats| match sort {
                StatsSort::Utilization => s.utilization(),
                StatsSort::BookedSeats => f64::from(s.booked_seats),
                StatsSort::WaitlistLength => f64::from(s.waitlist_length),
            };
            key(b).total_cmp(&key(a)).then(a.event_id.cmp(&b.event_id))
        });
        Ok(super::page_of(stats, page))
    }
}
