use std::future::Future;

use chrono::{DateTime, Utc};

use super::{ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRequest, HoldStatus, ReleaseHoldError};
use crate::booking::PaymentReference;
use crate::{EventId, HoldId, Page, PageRequest, StoreError, UserId};

/// Persistence of holds. Every change runs under the event's lock, applying
/// [`Inventory`](crate::inventory::Inventory)'s rules, after settling the event's expired
/// holds (marking them, telling their holders, promoting waiting entries).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait HoldRepository: Send + Sync + 'static {
    /// Holds seats until now plus the event's hold time; a repeated key answers as the
    /// first time.
    ///
    /// # Errors
    /// [`HoldError`]'s variants.
    fn create_hold(&self, request: HoldRequest) -> impl Future<Output = Result<HoldOutcome, HoldError>> + Send;

    /// Finds a hold by id, as stored.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn find_hold(&self, id: HoldId) -> impl Future<Output = Result<Option<Hold>, StoreError>> + Send;

    /// Turns `holder`'s active, unexpired hold into a booking at the hold's price; a
    /// confirmed hold answers its booking again.
    ///
    /// # Errors
    /// [`ConfirmHoldError::NotFound`] (no such hold, or another user's),
    /// [`ConfirmHoldError::Expired`], [`ConfirmHoldError::Released`].
    fn confirm_hold(
        &self,
        id: HoldId,
        holder: UserId,
        payment_reference: Option<PaymentReference>,
    ) -> impl Future<Output = Result<Confirmation, ConfirmHoldError>> + Send;

    /// Releases an active, unexpired hold; its seats go to the waitlist at once.
    ///
    /// # Errors
    /// [`ReleaseHoldError::NotFound`], [`ReleaseHoldError::NotActive`].
    fn release_hold(&self, id: HoldId) -> impl Future<Output = Result<Hold, ReleaseHoldError>> + Send;

    /// A user's holds, newest first, filtered by their status at `now`.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_user_holds(
        &self,
        user: UserId,
        status: Option<HoldStatus>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Hold>, StoreError>> + Send;

    /// Settles up to `events` events whose active holds expired (each hold once, however
    /// many instances sweep); the events settled.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn sweep_expired_holds(&self, events: u32) -> impl Future<Output = Result<Vec<EventId>, StoreError>> + Send;
}
