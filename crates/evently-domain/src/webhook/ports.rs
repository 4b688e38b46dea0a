use chrono::{DateTime, Utc};
use std::future::Future;

use super::{
    Attempt, AttemptResult, Claim, Delivery, DeliveryStatus, Due, Endpoint, EndpointPatch, NewEndpoint, Secret,
};
use super::{UrlError, WebhookUrl};
use crate::{DeliveryId, EndpointId, Page, PageRequest, StoreError};

/// Persistence of endpoints, the outbox and the delivery log. Messages are written by
/// the store itself, in the transaction of the change they describe, one delivery per
/// enabled endpoint subscribed to their type.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookRepository: Send + Sync + 'static {
    /// Registers an endpoint signing with `secret`.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn create_endpoint(
        &self,
        endpoint: NewEndpoint,
        secret: Secret,
    ) -> impl Future<Output = Result<Endpoint, StoreError>> + Send;

    /// Endpoints in id order.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_endpoints(&self, page: PageRequest) -> impl Future<Output = Result<Page<Endpoint>, StoreError>> + Send;

    /// Finds an endpoint.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn find_endpoint(&self, id: EndpointId) -> impl Future<Output = Result<Option<Endpoint>, StoreError>> + Send;

    /// Changes an endpoint; `None` when there is no such endpoint.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn update_endpoint(
        &self,
        id: EndpointId,
        patch: EndpointPatch,
    ) -> impl Future<Output = Result<Option<Endpoint>, StoreError>> + Send;

    /// Deletes an endpoint and its deliveries; whether there was one.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn delete_endpoint(&self, id: EndpointId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Signs with `secret` from now on; the secret it replaces signs too until
    /// `previous_until`. `None` when there is no such endpoint.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn rotate_secret(
        &self,
        id: EndpointId,
        secret: Secret,
        previous_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Endpoint>, StoreError>> + Send;

    /// An endpoint's deliveries, newest first, optionally of one status; `None` when
    /// there is no such endpoint.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> impl Future<Output = Result<Option<Page<Delivery>>, StoreError>> + Send;

    /// Makes a delivery of `endpoint` due now (whatever its status); whether there was one.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn retry_delivery(
        &self,
        endpoint: EndpointId,
        delivery: DeliveryId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Claims due deliveries of enabled endpoints, oldest first, for one attempt each:
    /// none is claimed twice within the lease, however many instances claim, and one
    /// whose attempt is never recorded (its instance died) is due again after it. A
    /// store that makes deliveries after their change makes those of messages written
    /// at least [`Claim::deferred`] ago first.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn claim_due(&self, claim: Claim) -> impl Future<Output = Result<Vec<Due>, StoreError>> + Send;

    /// Records attempts and their deliveries' new states in one go (disabling endpoints
    /// that answered 410).
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn record_attempts(&self, attempts: Vec<(Due, Attempt)>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deliveries open now (pending or failed), of every endpoint; a message whose
    /// deliveries are still to be made counts as one.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn open_deliveries(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Where messages go: checks destinations and posts to them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Destination: Send + Sync + 'static {
    /// Refuses a URL whose host resolves to an address that is not public (unless the
    /// deployment allows private destinations).
    ///
    /// # Errors
    /// [`UrlError::NotPublic`], [`UrlError::Unresolved`].
    fn admit(&self, url: &WebhookUrl) -> impl Future<Output = Result<(), UrlError>> + Send;

    /// Posts `body` with `headers` to `url`, checking the destination again, following
    /// no redirect, within the time allowed.
    fn post(
        &self,
        url: &WebhookUrl,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> impl Future<Output = AttemptResult> + Send;
}
