use super::{JoinWaitlistError, LeaveWaitlistError, QueueStanding, WaitlistEntry, WaitlistRepository};
use crate::cache::Cache;
use crate::cache::invalidate_event;
use crate::failure::retry_transient;
use crate::inventory::Seats;
use crate::user::{Actor, Admin};
use crate::{EventId, Page, PageRequest, StoreError, TierId, UserId};

/// Joining, leaving and reading waitlists; every change invalidates the cached answers
/// it affects (queue lengths show in event reads).
#[derive(Debug, Clone)]
pub struct WaitlistService<R, C> {
    waitlists: R,
    cache: C,
}

impl<R: WaitlistRepository, C: Cache> WaitlistService<R, C> {
    /// Builds the service over its ports.
    pub fn new(waitlists: R, cache: C) -> Self {
        Self { waitlists, cache }
    }

    /// Joins an event's waitlist, retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`WaitlistRepository::join_waitlist`].
    pub async fn join(
        &self,
        event: EventId,
        user: UserId,
        seats: Seats,
        tier: Option<TierId>,
    ) -> Result<WaitlistEntry, JoinWaitlistError> {
        let entry = retry_transient(|| self.waitlists.join_waitlist(event, user, seats, tier)).await?;
        invalidate_event(&self.cache, event).await;
        Ok(entry)
    }

    /// Leaves an event's waitlist, retrying an operation the store aborted.
    ///
    /// # Errors
    /// See [`WaitlistRepository::leave_waitlist`].
    pub async fn leave(&self, event: EventId, user: UserId) -> Result<(), LeaveWaitlistError> {
        retry_transient(|| self.waitlists.leave_waitlist(event, user)).await?;
        invalidate_event(&self.cache, event).await;
        Ok(())
    }

    /// A user's standing in an event's queue.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn standing(&self, event: EventId, user: UserId) -> Result<Option<QueueStanding>, StoreError> {
        self.waitlists.find_standing(event, user).await
    }

    /// An event's queue (admin).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn queue(
        &self,
        _admin: Admin,
        event: EventId,
        page: PageRequest,
    ) -> Result<Page<WaitlistEntry>, StoreError> {
        self.waitlists.list_queue(event, page).await
    }

    /// The actor's own entries.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn entries_of(&self, actor: Actor, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError> {
        self.waitlists.list_user_entries(actor.id(), page).await
    }
}

#[cfg(test)]
mod tests {
    use futures_executor::block_on;

    use super::*;
    use crate::cache::MockCache;
    use crate::waitlist::MockWaitlistRepository;

    #[test]
    fn join_retries_then_succeeds_after_a_transient_failure() {
        let mut waitlists = MockWaitlistRepository::new();
        let mut seq = mockall::Sequence::new();
        waitlists.expect_join_waitlist().times(1).in_sequence(&mut seq).returning(|_, _, _, _| {
            Box::pin(async { Err(JoinWaitlistError::Store(StoreError::Transient(anyhow::anyhow!("serialization")))) })
        });
        waitlists
            .expect_join_waitlist()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Box::pin(async { Err(JoinWaitlistError::EventNotFull { available: 3 }) }));
        let service = WaitlistService::new(waitlists, MockCache::new());
        let result = block_on(service.join(EventId::new(1).unwrap(), UserId::new(2).unwrap(), Seats::ONE, None));
        assert!(matches!(result, Err(JoinWaitlistError::EventNotFull { available: 3 })));
    }

    #[test]
    fn leave_does_not_retry_unavailability() {
        let mut waitlists = MockWaitlistRepository::new();
        waitlists.expect_leave_waitlist().times(1).returning(|_, _| {
            Box::pin(async { Err(LeaveWaitlistError::Store(StoreError::Unavailable(anyhow::anyhow!("down")))) })
        });
        let service = WaitlistService::new(waitlists, MockCache::new());
        let result = block_on(service.leave(EventId::new(1).unwrap(), UserId::new(2).unwrap()));
        assert!(matches!(result, Err(LeaveWaitlistError::Store(StoreError::Unavailable(_)))));
    }
}
