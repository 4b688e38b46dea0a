use chrono::Utc;
use evently_domain::inventory::{Caller, Seats};
use evently_domain::waitlist::{
    JoinWaitlistError, LeaveWaitlistError, QueueStanding, WaitlistEntry, WaitlistRepository, WaitlistStatus,
};
use evently_domain::{EventId, Page, PageRequest, StoreError, TierId, UserId};

use super::MemoryStore;

impl WaitlistRepository for MemoryStore {
    async fn join_waitlist(
        &self,
        event: EventId,
        user: UserId,
        seats: Seats,
        tier: Option<TierId>,
    ) -> Result<WaitlistEntry, JoinWaitlistError> {
        let mut state = self.lock()?;
        let found = state.open(event)?.ok_or(JoinWaitlistError::EventNotFound)?;
        if state.accounts.get(super::index(user.get())).is_none() {
            return Err(JoinWaitlistError::UnknownUser);
        }
        let caller = Caller { holding: state.holding(event, user), admitted: state.admitted(event, user, Utc::now()) };
        let tier = state.inventory(&found)?.join_waitlist(tier, seats, caller)?;
        let entry = WaitlistEntry {
            id: state.next_entry_id()?,
            event_id: event,
            user_id: user,
            seats,
            tier_id: tier,
            status: WaitlistStatus::Waiting,
            position: None,
            booking_id: None,
            hold_id: None,
            joined_at: Utc::now(),
        };
        state.entries.push(entry.clone());
        Ok(state.with_position(&entry))
    }

    async fn leave_waitlist(&self, event: EventId, user: UserId) -> Result<(), LeaveWaitlistError> {
        let mut state = self.lock()?;
        state.open(event)?;
        let entry = state
            .entries
            .iter_mut()
            .find(|e| e.event_id == event && e.user_id == user && e.status == WaitlistStatus::Waiting)
            .ok_or(LeaveWaitlistError::NotWaiting)?;
        entry.status = WaitlistStatus::Left;
        Ok(())
    }

    async fn find_standing(&self, event: EventId, user: UserId) -> Result<Option<QueueStanding>, StoreError> {
        let state = self.lock()?;
        let total_waiting = u32::try_from(state.waiting(event).count()).unwrap_or(u32::MAX);
        Ok(state
            .waiting(event)
            .find(|e| e.user_id == user)
            .map(|e| QueueStanding { entry: state.with_position(e), total_waiting }))
    }

    async fn list_queue(&self, event: EventId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError> {
        let state = self.lock()?;
        let queue = state.waiting(event).map(|e| state.with_position(e)).collect();
        Ok(super::page_of(queue, page))
    }

    async fn list_user_entries(&self, user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, StoreError> {
        let state = self.lock()?;
        let mine = state.entries.iter().rev().filter(|e| e.user_id == user).map(|e| state.with_position(e)).collect();
        Ok(super::page_of(mine, page))
    }
}
