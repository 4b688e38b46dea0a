use chrono::{DateTime, Utc};
use evently_domain::booking::{
    BookError, BookOutcome, Booking, BookingRepository, BookingRequest, BookingSource, CancelBookingError,
    IdempotencyKey,
};
use evently_domain::inventory::{BookingStatus, Caller};
use evently_domain::notification::Notice;
use evently_domain::{BookingId, Page, PageRequest, StoreError, UserId};

use super::MemoryStore;
use super::index;
use super::state::StoredKey;

impl BookingRepository for MemoryStore {
    async fn book(&self, request: BookingRequest) -> Result<BookOutcome, BookError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let key = request.idempotency_key.as_ref().map(|k| (request.user_id, k.as_str().to_owned()));
        if let Some(stored) =
            key.as_ref().and_then(|k| state.keys.get(k)).filter(|s| now - s.created_at < IdempotencyKey::LIFETIME)
        {
            if stored.event != request.event_id || stored.pick != request.pick || stored.tier != request.tier {
                return Err(BookError::IdempotencyMismatch);
            }
            let booking = state
                .bookings
                .get(index(stored.booking.get()))
                .cloned()
                .ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("idempotency key without booking")))?;
            return Ok(BookOutcome { booking: booking.as_first_confirmed(), replayed: true });
        }
        let event = state.open(request.event_id)?.ok_or(BookError::EventNotFound)?;
        if state.accounts.get(index(request.user_id.get())).is_none() {
            return Err(BookError::UnknownUser);
        }
        let holding = state.holding(request.event_id, request.user_id);
        let mut inventory = state.inventory(&event)?;
        let caller = Caller { holding, admitted: state.admitted(request.event_id, request.user_id, now) };
        let claim = inventory.book(request.tier, &request.pick, caller)?;
        let booking =
            state.insert_booking(request.event_id, request.user_id, claim, request.seats(), BookingSource::Direct)?;
        state.store_inventory(request.event_id, &inventory);
        if let Some(key) = key {
            let stored = StoredKey {
                event: request.event_id,
                pick: request.pick,
                tier: request.tier,
                booking: booking.id,
                created_at: now,
            };
            state.keys.insert(key, stored);
        }
        Ok(BookOutcome { booking, replayed: false })
    }

    async fn find_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        Ok(self.lock()?.bookings.get(index(id.get())).cloned())
    }

    async fn cancel_booking(&self, id: BookingId) -> Result<Booking, CancelBookingError> {
        let mut state = self.lock()?;
        let booking = state.bookings.get(index(id.get())).cloned().ok_or(CancelBookingError::NotFound)?;
        let event = state.open(booking.event_id)?.ok_or(CancelBookingError::NotFound)?;
        let queue = state.queue(event.id);
        let mut inventory = state.inventory(&event)?;
        let promoted = inventory.cancel_booking(booking.status, booking.given(), &queue)?;
        let stored = state.bookings.get_mut(index(id.get())).ok_or(CancelBookingError::NotFound)?;
        stored.status = BookingStatus::Cancelled;
        stored.cancelled_at = Some(Utc::now());
        let cancelled = stored.clone();
        state.booking_cancelled(id, Utc::now());
        let notice = Notice::booking_cancelled(cancelled.user_id, event.id, event.name.as_str(), id);
        state.settle(event.id, &inventory, promoted, vec![notice])?;
        Ok(cancelled)
    }

    async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        // Bookings' and holds' keys alike.
        let before = state.keys.len() + state.hold_keys.len();
        state.keys.retain(|_, key| now - key.created_at < IdempotencyKey::LIFETIME);
        state.hold_keys.retain(|_, key| now - key.created_at < IdempotencyKey::LIFETIME);
        Ok(u64::try_from(before - state.keys.len() - state.hold_keys.len()).unwrap_or(u64::MAX))
    }

    async fn list_user_bookings(
        &self,
        user: UserId,
        status: Option<BookingStatus>,
        page: PageRequest,
    ) -> Result<Page<Booking>, StoreError> {
        let state = self.lock()?;
        let mine = state
            .bookings
            .iter()
            .rev()
            .filter(|b| b.user_id == user && status.is_none_or(|s| b.status == s))
            .cloned()
            .collect();
        Ok(super::page_of(mine, page))
    }
}
