use chrono::{DateTime, Utc};
use evently_domain::booking::{BookingSource, IdempotencyKey, PaymentReference};
use evently_domain::hold::{
    ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRepository, HoldRequest, HoldSource, HoldStatus,
    ReleaseHoldError,
};
use evently_domain::inventory::{Caller, Claim};
use evently_domain::{EventId, HoldId, Page, PageRequest, StoreError, UserId};

use super::MemoryStore;
use super::index;
use super::state::StoredHoldKey;

impl HoldRepository for MemoryStore {
    async fn create_hold(&self, request: HoldRequest) -> Result<HoldOutcome, HoldError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let event = state.open(request.event_id)?.ok_or(HoldError::EventNotFound)?;
        let key = request.idempotency_key.as_ref().map(|k| (request.user_id, k.as_str().to_owned()));
        if let Some(stored) =
            key.as_ref().and_then(|k| state.hold_keys.get(k)).filter(|s| now - s.created_at < IdempotencyKey::LIFETIME)
        {
            if stored.event != request.event_id || stored.pick != request.pick || stored.tier != request.tier {
                return Err(HoldError::IdempotencyMismatch);
            }
            let hold = state.holds.get(index(stored.hold.get())).cloned();
            let hold = hold.ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("hold key without hold")))?;
            return Ok(HoldOutcome { hold: hold.as_first_made(), replayed: true });
        }
        if state.accounts.get(index(request.user_id.get())).is_none() {
            return Err(HoldError::UnknownUser);
        }
        let holding = state.holding(request.event_id, request.user_id);
        let caller = Caller { holding, admitted: state.admitted(request.event_id, request.user_id, now) };
        let claim = state.inventory(&event)?.hold(request.tier, &request.pick, caller)?;
        let hold = state.insert_hold(request.event_id, request.user_id, claim, request.seats(), HoldSource::Direct)?;
        if let Some(key) = key {
            let stored = StoredHoldKey {
                event: request.event_id,
                pick: request.pick,
                tier: request.tier,
                hold: hold.id,
                created_at: now,
            };
            state.hold_keys.insert(key, stored);
        }
        Ok(HoldOutcome { hold, replayed: false })
    }

    async fn find_hold(&self, id: HoldId) -> Result<Option<Hold>, StoreError> {
        Ok(self.lock()?.holds.get(index(id.get())).cloned())
    }

    async fn confirm_hold(
        &self,
        id: HoldId,
        holder: UserId,
        payment_reference: Option<PaymentReference>,
    ) -> Result<Confirmation, ConfirmHoldError> {
        let mut state = self.lock()?;
        let before = state.holds.get(index(id.get())).cloned().ok_or(ConfirmHoldError::NotFound)?;
        if before.user_id != holder {
            return Err(ConfirmHoldError::NotFound);
        }
        let event = state.open(before.event_id)?.ok_or(ConfirmHoldError::NotFound)?;
        let hold = state.holds.get(index(id.get())).cloned().ok_or(ConfirmHoldError::NotFound)?;
        match hold.status {
            HoldStatus::Active => {}
            HoldStatus::Expired => return Err(ConfirmHoldError::Expired),
            HoldStatus::Released => return Err(ConfirmHoldError::Released),
            HoldStatus::Confirmed => {
                let booking = hold.booking_id.and_then(|b| state.bookings.get(index(b.get())).cloned());
                let booking = booking
                    .ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("a confirmed hold without a booking")))?;
                return Ok(Confirmation { booking, first: false });
            }
        }
        let mut inventory = state.inventory(&event)?;
        inventory.confirm_hold(hold.tier_id, hold.seats);
        let claim = Claim { tier: hold.tier_id, placement: hold.placement.clone() };
        let mut booking = state.insert_booking(hold.event_id, hold.user_id, claim, hold.seats, BookingSource::Hold)?;
        booking.unit_price = hold.unit_price;
        booking.currency = hold.currency;
        booking.payment_reference = payment_reference;
        if let Some(stored) = state.bookings.get_mut(index(booking.id.get())) {
            *stored = booking.clone();
        }
        if let Some(stored) = state.holds.get_mut(index(id.get())) {
            stored.status = HoldStatus::Confirmed;
            stored.booking_id = Some(booking.id);
        }
        if let Some(entry) = state.entries.iter_mut().find(|e| e.hold_id == Some(id)) {
            entry.booking_id = Some(booking.id);
        }
        state.store_inventory(hold.event_id, &inventory);
        Ok(Confirmation { booking, first: true })
    }

    async fn release_hold(&self, id: HoldId) -> Result<Hold, ReleaseHoldError> {
        let mut state = self.lock()?;
        let before = state.holds.get(index(id.get())).cloned().ok_or(ReleaseHoldError::NotFound)?;
        let event = state.open(before.event_id)?.ok_or(ReleaseHoldError::NotFound)?;
        let hold = state.holds.get(index(id.get())).cloned().ok_or(ReleaseHoldError::NotFound)?;
        if hold.status != HoldStatus::Active {
            return Err(ReleaseHoldError::NotActive);
        }
        let mut inventory = state.inventory(&event)?;
        let queue = state.queue(hold.event_id);
        let promoted = inventory.release_holds(&[hold.given()], &queue);
        let stored = state.holds.get_mut(index(id.get())).ok_or(ReleaseHoldError::NotFound)?;
        stored.status = HoldStatus::Released;
        let released = stored.clone();
        state.settle(hold.event_id, &inventory, promoted, Vec::new())?;
        Ok(released)
    }

    async fn list_user_holds(
        &self,
        user: UserId,
        status: Option<HoldStatus>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Hold>, StoreError> {
        let state = self.lock()?;
        let mine = state
            .holds
            .iter()
            .rev()
            .filter(|h| h.user_id == user && status.is_none_or(|s| h.status_at(now) == s))
            .cloned()
            .collect();
        Ok(super::page_of(mine, page))
    }

    async fn sweep_expired_holds(&self, events: u32) -> Result<Vec<EventId>, StoreError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let mut due: Vec<EventId> = state
            .holds
            .iter()
            .filter(|h| h.status == HoldStatus::Active && h.status_at(now) == HoldStatus::Expired)
            .map(|h| h.event_id)
            .collect();
        due.sort();
        due.dedup();
        due.truncate(usize::try_from(events).unwrap_or(usize::MAX));
        for event in &due {
            state.open(*event)?;
        }
        Ok(due)
    }
}
