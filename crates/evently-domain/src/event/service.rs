use super::{
    CancelEventError, Event, EventFilter, EventPatch, EventRepository, NewEvent, NewTier, Tier, TierError, TierPatch,
    UpdateEventError,
};
use crate::cache::{Cache, CacheTag};
use crate::cache::{invalidate_event, invalidate_listed_event};
use crate::failure::retry_transient;
use crate::seating::SeatChart;
use crate::user::Admin;
use crate::{EventId, Page, PageRequest, StoreError, TierId};

/// Publishing and reading events; every change invalidates the cached answers it
/// affects.
#[derive(Debug, Clone)]
pub struct EventService<R, C> {
    events: R,
    cache: C,
}

impl<R: EventRepository, C: Cache> EventService<R, C> {
    /// Builds the service over its ports.
    pub fn new(events: R, cache: C) -> Self {
        Self { events, cache }
    }

    /// Publishes an event (admin).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn create(&self, _admin: Admin, event: NewEvent) -> Result<Event, StoreError> {
        let event = self.events.create_event(event).await?;
        self.cache.invalidate(vec![CacheTag::EventList, CacheTag::Analytics]).await.ok();
        Ok(event)
    }

    /// Finds an event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn find(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        self.events.find_event(id).await
    }

    /// The seats of a seated event; `None` for an unknown or unseated event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn seats(&self, id: EventId) -> Result<Option<SeatChart>, StoreError> {
        self.events.find_seats(id).await
    }

    /// Lists events.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(&self, filter: EventFilter, page: PageRequest) -> Result<Page<Event>, StoreError> {
        self.events.list_events(filter, page).await
    }

    /// Edits an event (admin), retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`EventRepository::update_event`].
    pub async fn update(&self, _admin: Admin, id: EventId, patch: EventPatch) -> Result<Event, UpdateEventError> {
        let event = retry_transient(|| self.events.update_event(id, patch.clone())).await?;
        invalidate_listed_event(&self.cache, id).await;
        Ok(event)
    }

    /// Cancels an event (admin), retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`EventRepository::cancel_event`].
    pub async fn cancel(&self, _admin: Admin, id: EventId) -> Result<Event, CancelEventError> {
        let event = retry_transient(|| self.events.cancel_event(id)).await?;
        invalidate_listed_event(&self.cache, id).await;
        Ok(event)
    }

    /// Adds a tier to an event (admin), retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`EventRepository::create_tier`].
    pub async fn add_tier(&self, _admin: Admin, event: EventId, tier: NewTier) -> Result<Tier, TierError> {
        let tier = retry_transient(|| self.events.create_tier(event, tier.clone())).await?;
        invalidate_event(&self.cache, event).await;
        Ok(tier)
    }

    /// Changes a tier (admin), retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`EventRepository::update_tier`].
    pub async fn update_tier(
        &self,
        _admin: Admin,
        event: EventId,
        tier: TierId,
        patch: TierPatch,
    ) -> Result<Tier, TierError> {
        let tier = retry_transient(|| self.events.update_tier(event, tier, patch.clone())).await?;
        invalidate_event(&self.cache, event).await;
        Ok(tier)
    }
}

#[cfg(test)]
mod tests {
    use futures_executor::block_on;

    use super::*;
    use crate::cache::MockCache;
    use crate::event::MockEventRepository;
    use crate::user::{Actor, Role};

    fn admin() -> Admin {
        Actor::new(crate::UserId::new(1).unwrap(), Role::Admin).admin().unwrap()
    }

    #[test]
    fn update_retries_transient_failures_a_bounded_number_of_times() {
        let mut events = MockEventRepository::new();
        events.expect_update_event().times(3).returning(|_, _| {
            Box::pin(async { Err(UpdateEventError::Store(StoreError::Transient(anyhow::anyhow!("deadlock")))) })
        });
        let service = EventService::new(events, MockCache::new());
        let result = block_on(service.update(admin(), EventId::new(1).unwrap(), EventPatch::default()));
        assert!(matches!(result, Err(UpdateEventError::Store(StoreError::Transient(_)))));
    }

    #[test]
    fn cancel_does_not_retry_domain_errors() {
        let mut events = MockEventRepository::new();
        events.expect_cancel_event().times(1).returning(|_| Box::pin(async { Err(CancelEventError::EventCancelled) }));
        let service = EventService::new(events, MockCache::new());
        assert!(matches!(
            block_on(service.cancel(admin(), EventId::new(1).unwrap())),
            Err(CancelEventError::EventCancelled)
        ));
    }
}
