use chrono::Utc;
use evently_domain::booking::BookingStatus;
use evently_domain::event::{
    CancelEventError, Event, EventFilter, EventPatch, EventRepository, EventStatus, NewEvent, UpdateEventError,
};
use evently_domain::notification::Notice;
use evently_domain::waitlist::WaitlistStatus;
use evently_domain::{EventId, Page, PageRequest, StoreError};

use super::MemoryStore;
use super::state::next_id;

impl EventRepository for MemoryStore {
    async fn create_event(&self, new: NewEvent) -> Result<Event, StoreError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let event = Event {
            id: next_id(state.events.len(), EventId::new)?,
            name: new.name,
            venue: new.venue,
            description: new.description,
            starts_at: new.starts_at,
            capacity: new.capacity,
            max_seats_per_booking: new.max_seats_per_booking,
            booked_seats: 0,
            waitlist_length: 0,
            status: EventStatus::Scheduled,
            created_at: now,
            updated_at: now,
        };
        state.events.push(event.clone());
        Ok(event)
    }

    async fn find_event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        Ok(self.lock()?.event(id))
    }

    async fn list_events(&self, filter: EventFilter, page: PageRequest) -> Result<Page<Event>, StoreError> {
        let state = self.lock()?;
        let mut matching: Vec<Event> =
            state.events.iter().filter_map(|e| state.event(e.id)).filter(|e| filter.matches(e)).collect();
        matching.sort_by_key(|e| (e.starts_at, e.id));
        Ok(Page::slice(matching, page))
    }

    async fn update_event(&self, id: EventId, patch: EventPatch) -> Result<Event, UpdateEventError> {
        let mut state = self.lock()?;
        let current = state.event(id).ok_or(UpdateEventError::NotFound)?;
        let inventory = state.inventory(&current)?;
        let capacity = patch.capacity.unwrap_or(current.capacity);
        let max = patch.max_seats_per_booking.unwrap_or(current.max_seats_per_booking);
        let released = inventory.resize(capacity, max, &state.queue(id))?;
        let details_changed = patch.changes_details();
        let stored = state.event_mut(id).ok_or(UpdateEventError::NotFound)?;
        let EventPatch { name, venue, description, starts_at, .. } = patch;
        stored.name = name.unwrap_or_else(|| stored.name.clone());
        stored.venue = venue.unwrap_or_else(|| stored.venue.clone());
        stored.description = description.unwrap_or_else(|| stored.description.clone());
        stored.starts_at = starts_at.unwrap_or(stored.starts_at);
        stored.capacity = capacity;
        stored.max_seats_per_booking = max;
        stored.updated_at = Utc::now();
        let name = stored.name.as_str().to_owned();
        let notices = if details_changed {
            let booked = state
                .bookings
                .iter()
                .filter(|b| b.event_id == id && b.status == BookingStatus::Confirmed)
                .map(|b| Notice::event_changed(b.user_id, id, &name, Some(b.id)));
            let waiting = state.waiting(id).map(|e| Notice::event_changed(e.user_id, id, &name, None));
            booked.chain(waiting).collect()
        } else {
            Vec::new()
        };
        state.settle(id, released.inventory, &released.promoted, notices)?;
        state.event(id).ok_or(UpdateEventError::NotFound)
    }

    async fn cancel_event(&self, id: EventId) -> Result<Event, CancelEventError> {
        let mut state = self.lock()?;
        let current = state.event(id).ok_or(CancelEventError::NotFound)?;
        let cancelled = state.inventory(&current)?.cancel_event()?;
        let name = current.name.as_str();
        let now = Utc::now();
        let mut notices = Vec::new();
        for booking in state.bookings.iter_mut().filter(|b| b.event_id == id && b.status == BookingStatus::Confirmed) {
            booking.status = BookingStatus::Cancelled;
            booking.cancelled_at = Some(now);
            notices.push(Notice::event_cancelled(booking.user_id, id, name, Some(booking.id)));
        }
        for entry in state.entries.iter_mut().filter(|e| e.event_id == id && e.status == WaitlistStatus::Waiting) {
            entry.status = WaitlistStatus::Cancelled;
            notices.push(Notice::event_cancelled(entry.user_id, id, name, None));
        }
        if let Some(stored) = state.event_mut(id) {
            stored.status = cancelled.status();
            stored.booked_seats = cancelled.booked();
            stored.updated_at = now;
        }
        state.notify(notices)?;
        state.event(id).ok_or(CancelEventError::NotFound)
    }
}
