use std::sync::Arc;

use chrono::Utc;
use evently_domain::event::{
    CancelEventError, Event, EventFilter, EventPatch, EventRepository, NewEvent, NewTier, Tier, TierError, TierPatch,
    UpdateEventError,
};
use evently_domain::hold::HoldStatus;
use evently_domain::inventory::BookingStatus;
use evently_domain::inventory::EventStatus;
use evently_domain::notification::Notice;
use evently_domain::seating::SeatChart;
use evently_domain::waitlist::WaitlistStatus;
use evently_domain::webhook::{EventType, MessageData};
use evently_domain::{EventId, Page, PageRequest, StoreError, TierId};

use super::MemoryStore;
use super::next_id;
use super::state::QueueState;

impl EventRepository for MemoryStore {
    async fn create_event(&self, new: NewEvent) -> Result<Event, StoreError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let tiers = new
            .tiers
            .tiers()
            .iter()
            .map(|tier| {
                let NewTier { name, price, capacity } = tier.clone();
                Ok(Tier { id: state.next_tier_id()?, name, price, capacity, booked_seats: 0, held_seats: 0 })
            })
            .collect::<Result<Vec<Tier>, StoreError>>()?;
        let id = next_id(state.events.len(), EventId::new)?;
        if let Some(seating) = new.seating {
            let ids: Vec<TierId> = tiers.iter().map(|t| t.id).collect();
            if seating.sections().iter().any(|s| s.tier >= ids.len()) {
                return Err(StoreError::Unknown(anyhow::anyhow!("a section of an unknown tier")));
            }
            state.plans.insert(id, Arc::new(seating.map_tiers(|&i| ids[i])));
        }
        let event = Event {
            id,
            seated: state.plans.contains_key(&id),
            on_sale_at: new.on_sale_at,
            queue: new.queue,
            name: new.name,
            venue: new.venue,
            description: new.description,
            starts_at: new.starts_at,
            capacity: new.capacity,
            max_seats_per_booking: new.max_seats_per_booking,
            booked_seats: 0,
            held_seats: 0,
            holds_lapse_at: None,
            waitlist_length: 0,
            hold_ttl: new.hold_ttl,
            waitlist_promotion: new.waitlist_promotion,
            currency: new.currency,
            tiers,
            status: EventStatus::Scheduled,
            created_at: now,
            updated_at: now,
        };
        if new.queue.is_some() {
            state.queues.insert(id, QueueState::new(new.on_sale_at, now));
        }
        state.events.push(event.clone());
        Ok(event)
    }

    async fn find_event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        Ok(self.lock()?.event(id))
    }

    async fn find_seats(&self, id: EventId) -> Result<Option<SeatChart>, StoreError> {
        self.lock()?.chart(id)
    }

    async fn list_events(&self, filter: EventFilter, page: PageRequest) -> Result<Page<Event>, StoreError> {
        let state = self.lock()?;
        let mut matching: Vec<Event> =
            state.events.iter().filter_map(|e| state.event(e.id)).filter(|e| matches(&filter, e)).collect();
        matching.sort_by_key(|e| (e.starts_at, e.id));
        Ok(super::page_of(matching, page))
    }

    async fn update_event(&self, id: EventId, patch: EventPatch) -> Result<Event, UpdateEventError> {
        let mut state = self.lock()?;
        let current = state.open(id)?.ok_or(UpdateEventError::NotFound)?;
        let mut inventory = state.inventory(&current)?;
        let capacity = patch.capacity.unwrap_or(current.capacity);
        let max = patch.max_seats_per_booking.unwrap_or(current.max_seats_per_booking);
        let promoted = inventory.resize(capacity, max, &state.queue(id))?;
        let details_changed = patch.changes_details();
        let stored = state.event_mut(id).ok_or(UpdateEventError::NotFound)?;
        let EventPatch { name, venue, description, starts_at, .. } = patch.clone();
        stored.name = name.unwrap_or_else(|| stored.name.clone());
        stored.venue = venue.unwrap_or_else(|| stored.venue.clone());
        stored.description = description.unwrap_or_else(|| stored.description.clone());
        stored.starts_at = starts_at.unwrap_or(stored.starts_at);
        stored.hold_ttl = patch.hold_ttl.unwrap_or(stored.hold_ttl);
        stored.waitlist_promotion = patch.waitlist_promotion.unwrap_or(stored.waitlist_promotion);
        stored.on_sale_at = patch.on_sale_at.or(stored.on_sale_at);
        stored.queue = patch.queue.or(stored.queue);
        let now = Utc::now();
        stored.updated_at = now;
        let (on_sale_at, queued) = (stored.on_sale_at, stored.queue.is_some());
        match state.queues.get_mut(&id) {
            // A new on-sale instant moves a queue that has not begun admitting.
            Some(queue) if queue.starts_at > now => *queue = QueueState::new(on_sale_at, now),
            Some(_) => {}
            None if queued => {
                state.queues.insert(id, QueueState::new(on_sale_at, now));
            }
            None => {}
        }
        let name = state.event_mut(id).ok_or(UpdateEventError::NotFound)?.name.as_str().to_owned();
        let notices = if details_changed {
            let booked = state
                .bookings
                .iter()
                .filter(|b| b.event_id == id && b.status == BookingStatus::Confirmed)
                .map(|b| Notice::event_changed(b.user_id, id, &name, Some(b.id)));
            let now = Utc::now();
            let holding =
                state.holds.iter().filter(|h| h.event_id == id && h.status_at(now) == HoldStatus::Active).map(|h| {
                    let mut notice = Notice::event_changed(h.user_id, id, &name, None);
                    notice.hold = Some(h.id);
                    notice
                });
            let waiting = state.waiting(id).map(|e| Notice::event_changed(e.user_id, id, &name, None));
            booked.chain(holding).chain(waiting).collect()
        } else {
            Vec::new()
        };
        state.settle(id, &inventory, promoted, notices)?;
        let updated = state.event(id).ok_or(UpdateEventError::NotFound)?;
        state.webhooks.publish(EventType::EventUpdated, MessageData::Event(updated.clone()));
        Ok(updated)
    }

    async fn cancel_event(&self, id: EventId) -> Result<Event, CancelEventError> {
        let mut state = self.lock()?;
        let current = state.open(id)?.ok_or(CancelEventError::NotFound)?;
        let mut inventory = state.inventory(&current)?;
        inventory.cancel_event()?;
        let name = current.name.as_str();
        let now = Utc::now();
        let mut notices = Vec::new();
        let mut cancelled = Vec::new();
        for booking in state.bookings.iter_mut().filter(|b| b.event_id == id && b.status == BookingStatus::Confirmed) {
            booking.status = BookingStatus::Cancelled;
            booking.cancelled_at = Some(now);
            notices.push(Notice::event_cancelled(booking.user_id, id, name, Some(booking.id)));
            cancelled.push(booking.id);
        }
        for booking in cancelled {
            state.booking_cancelled(booking, now);
        }
        for hold in state.holds.iter_mut().filter(|h| h.event_id == id && h.status == HoldStatus::Active) {
            hold.status = HoldStatus::Released;
            let mut notice = Notice::event_cancelled(hold.user_id, id, name, None);
            notice.hold = Some(hold.id);
            notices.push(notice);
        }
        for entry in state.entries.iter_mut().filter(|e| e.event_id == id && e.status == WaitlistStatus::Waiting) {
            entry.status = WaitlistStatus::Cancelled;
            notices.push(Notice::event_cancelled(entry.user_id, id, name, None));
        }
        state.store_inventory(id, &inventory);
        if let Some(stored) = state.event_mut(id) {
            stored.updated_at = now;
        }
        state.notify(notices)?;
        let cancelled = state.event(id).ok_or(CancelEventError::NotFound)?;
        state.webhooks.publish(EventType::EventCancelled, MessageData::Event(cancelled.clone()));
        Ok(cancelled)
    }

    async fn create_tier(&self, event: EventId, tier: NewTier) -> Result<Tier, TierError> {
        let mut state = self.lock()?;
        let current = state.open(event)?.ok_or(TierError::NotFound)?;
        state.inventory(&current)?.admits_tier(tier.capacity)?;
        if current.tiers.iter().any(|t| t.name == tier.name) {
            return Err(TierError::NameTaken(tier.name.as_str().to_owned()));
        }
        let NewTier { name, price, capacity } = tier;
        let created = Tier { id: state.next_tier_id()?, name, price, capacity, booked_seats: 0, held_seats: 0 };
        state.event_mut(event).ok_or(TierError::NotFound)?.tiers.push(created.clone());
        Ok(created)
    }

    async fn update_tier(&self, event: EventId, tier: TierId, patch: TierPatch) -> Result<Tier, TierError> {
        let mut state = self.lock()?;
        let current = state.open(event)?.ok_or(TierError::NotFound)?;
        let before = current.tiers.iter().find(|t| t.id == tier).ok_or(TierError::NotFound)?;
        let mut inventory = state.inventory(&current)?;
        let promoted = inventory.resize_tier(tier, patch.capacity.unwrap_or(before.capacity), &state.queue(event))?;
        if let Some(name) = &patch.name
            && current.tiers.iter().any(|t| t.id != tier && t.name == *name)
        {
            return Err(TierError::NameTaken(name.as_str().to_owned()));
        }
        let stored = state.event_mut(event).ok_or(TierError::NotFound)?;
        let changed = stored.tiers.iter_mut().find(|t| t.id == tier).ok_or(TierError::NotFound)?;
        if let Some(name) = patch.name {
            changed.name = name;
        }
        if let Some(price) = patch.price {
            changed.price = price;
        }
        state.settle(event, &inventory, promoted, Vec::new())?;
        let updated = state.event(event).and_then(|e| e.tiers.into_iter().find(|t| t.id == tier));
        updated.ok_or(TierError::NotFound)
    }
}

/// Whether `event` passes `filter`, as the PostgreSQL store's query decides it.
fn matches(filter: &EventFilter, event: &Event) -> bool {
    let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(needle);
    filter.status.is_none_or(|s| s == event.status)
        && filter.from.is_none_or(|from| event.starts_at >= from)
        && filter.to.is_none_or(|to| event.starts_at <= to)
        && filter.query.as_ref().is_none_or(|q| {
            let needle = q.as_str().to_lowercase();
            contains(event.name.as_str(), &needle) || contains(event.venue.as_str(), &needle)
        })
}

#[cfg(test)]
mod tests {
    use evently_domain::event::{Description, EventName, SearchText, Venue};
    use evently_domain::inventory::{Capacity, Seats};

    use super::*;

    #[test]
    fn filter_matches_name_or_venue_ignoring_case() {
        let now = Utc::now();
        let event = Event {
            id: EventId::new(1).unwrap(),
            name: EventName::new("Rust Conf").unwrap(),
            venue: Venue::new("Grand Hall").unwrap(),
            description: Description::new("").unwrap(),
            starts_at: now,
            capacity: Capacity::new(10).unwrap(),
            max_seats_per_booking: Seats::new(2).unwrap(),
            booked_seats: 3,
            held_seats: 0,
            holds_lapse_at: None,
            waitlist_length: 0,
            hold_ttl: evently_domain::hold::HoldTtl::DEFAULT,
            waitlist_promotion: evently_domain::inventory::Promotion::Book,
            currency: evently_domain::money::Currency::EUR,
            tiers: Vec::new(),
            seated: false,
            on_sale_at: None,
            queue: None,
            status: EventStatus::Scheduled,
            created_at: now,
            updated_at: now,
        };
        let by = |q: &str| EventFilter { query: Some(SearchText::new(q).unwrap()), ..EventFilter::default() };
        assert!(matches(&by("rust"), &event));
        assert!(matches(&by("HALL"), &event));
        assert!(!matches(&by("python"), &event));
        let cancelled = EventFilter { status: Some(EventStatus::Cancelled), ..EventFilter::default() };
        assert!(!matches(&cancelled, &event));
    }
}
