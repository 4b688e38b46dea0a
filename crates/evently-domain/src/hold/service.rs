use chrono::{DateTime, Utc};

use super::ReleaseHoldError;
use super::{ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRepository, HoldRequest, HoldStatus};
use crate::booking::PaymentReference;
use crate::cache::{Cache, invalidate_event};
use crate::failure::retry_transient;
use crate::user::Actor;
use crate::{HoldId, Page, PageRequest, StoreError};

/// Making, reading, confirming and releasing holds; every change invalidates the cached
/// answers it affects.
#[derive(Debug, Clone)]
pub struct HoldService<R, C> {
    holds: R,
    cache: C,
}

impl<R: HoldRepository, C: Cache> HoldService<R, C> {
    /// Builds the service over its ports.
    pub fn new(holds: R, cache: C) -> Self {
        Self { holds, cache }
    }

    /// Holds seats, retrying an operation the store aborted (a keyed retry replays).
    ///
    /// # Errors
    /// See [`HoldRepository::create_hold`].
    pub async fn create(&self, request: HoldRequest) -> Result<HoldOutcome, HoldError> {
        let outcome = retry_transient(|| self.holds.create_hold(request.clone())).await?;
        if !outcome.replayed {
            invalidate_event(&self.cache, request.event_id).await;
        }
        Ok(outcome)
    }

    /// A hold its owner or an admin may see; `None` for anyone else.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn get(&self, actor: Actor, id: HoldId) -> Result<Option<Hold>, StoreError> {
        Ok(self.holds.find_hold(id).await?.filter(|hold| actor.may_access(hold.user_id)))
    }

    /// Confirms the actor's own hold (admins included: only the holder confirms).
    ///
    /// # Errors
    /// See [`HoldRepository::confirm_hold`].
    pub async fn confirm(
        &self,
        actor: Actor,
        id: HoldId,
        payment_reference: Option<PaymentReference>,
    ) -> Result<Confirmation, ConfirmHoldError> {
        let confirmation =
            retry_transient(|| self.holds.confirm_hold(id, actor.id(), payment_reference.clone())).await?;
        if confirmation.first {
            invalidate_event(&self.cache, confirmation.booking.event_id).await;
        }
        Ok(confirmation)
    }

    /// Releases a hold of its owner's or, for admins, anyone's.
    ///
    /// # Errors
    /// [`ReleaseHoldError::NotFound`] when it does not exist or `actor` may not see it,
    /// else see [`HoldRepository::release_hold`].
    pub async fn release(&self, actor: Actor, id: HoldId) -> Result<Hold, ReleaseHoldError> {
        match self.holds.find_hold(id).await? {
            Some(hold) if actor.may_access(hold.user_id) => {
                let released = retry_transient(|| self.holds.release_hold(id)).await?;
                invalidate_event(&self.cache, released.event_id).await;
                Ok(released)
            }
            _ => Err(ReleaseHoldError::NotFound),
        }
    }

    /// The actor's own holds, newest first, by their status at `now`.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(
        &self,
        actor: Actor,
        status: Option<HoldStatus>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Hold>, StoreError> {
        self.holds.list_user_holds(actor.id(), status, now, page).await
    }

    /// Settles events whose holds expired, at most `events` per call, and makes their
    /// cached answers stale; the number of events settled.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn sweep(&self, events: u32) -> Result<usize, StoreError> {
        let settled = self.holds.sweep_expired_holds(events).await?;
        for event in &settled {
            invalidate_event(&self.cache, *event).await;
        }
        Ok(settled.len())
    }
}
