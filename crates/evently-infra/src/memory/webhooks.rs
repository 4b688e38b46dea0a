//! Webhooks in memory: the same outbox, written by each change under the store's lock.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use evently_domain::webhook::{
    Attempt, Claim, Delivery, DeliveryStatus, Due, Endpoint, EndpointPatch, EventType, Message, MessageData,
    NewEndpoint, Secret, WebhookRepository,
};
use evently_domain::{DeliveryId, EndpointId, MessageId, Page, PageRequest, StoreError};

use super::{MemoryStore, index, next_id, page_of};

#[derive(Debug)]
struct StoredEndpoint {
    endpoint: Endpoint,
    secret: Secret,
    previous: Option<(Secret, DateTime<Utc>)>,
}

#[derive(Debug)]
struct StoredDelivery {
    delivery: Delivery,
    endpoint: EndpointId,
    due_at: Option<DateTime<Utc>>,
}

/// Endpoints (`None` once deleted; ids are positions plus one), messages and deliveries.
#[derive(Debug, Default)]
pub(super) struct Webhooks {
    endpoints: Vec<Option<StoredEndpoint>>,
    messages: Vec<Message>,
    deliveries: Vec<StoredDelivery>,
}

impl Webhooks {
    /// Writes a message of `event_type` and a delivery per enabled endpoint subscribed
    /// to it; nothing when there is none.
    pub fn publish(&mut self, event_type: EventType, data: MessageData) {
        let now = Utc::now();
        let subscribed: Vec<EndpointId> = self
            .endpoints
            .iter()
            .flatten()
            .filter(|s| s.endpoint.enabled && s.endpoint.event_types.contains(&event_type))
            .map(|s| s.endpoint.id)
            .collect();
        if subscribed.is_empty() {
            return;
        }
        let Ok(message) = next_id(self.messages.len(), MessageId::new) else { return };
        self.messages.push(Message { id: message, event_type, created_at: now, data });
        for endpoint in subscribed {
            let Ok(id) = next_id(self.deliveries.len(), DeliveryId::new) else { return };
            let delivery = Delivery {
                id,
                message_id: message,
                event_type,
                status: DeliveryStatus::Pending,
                attempts: 0,
                last_status_code: None,
                next_attempt_at: None,
                created_at: now,
            };
            self.deliveries.push(StoredDelivery { delivery, endpoint, due_at: Some(now) });
        }
    }

    fn endpoint_mut(&mut self, id: EndpointId) -> Option<&mut StoredEndpoint> {
        self.endpoints.get_mut(index(id.get())).and_then(Option::as_mut)
    }
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX)
}

impl WebhookRepository for MemoryStore {
    async fn create_endpoint(&self, new: NewEndpoint, secret: Secret) -> Result<Endpoint, StoreError> {
        let mut state = self.lock()?;
        let webhooks = &mut state.webhooks;
        let endpoint = Endpoint {
            id: next_id(webhooks.endpoints.len(), EndpointId::new)?,
            url: new.url,
            event_types: new.event_types,
            description: new.description,
            enabled: true,
            created_at: Utc::now(),
        };
        webhooks.endpoints.push(Some(StoredEndpoint { endpoint: endpoint.clone(), secret, previous: None }));
        Ok(endpoint)
    }

    async fn list_endpoints(&self, page: PageRequest) -> Result<Page<Endpoint>, StoreError> {
        let state = self.lock()?;
        Ok(page_of(state.webhooks.endpoints.iter().flatten().map(|s| s.endpoint.clone()).collect(), page))
    }

    async fn find_endpoint(&self, id: EndpointId) -> Result<Option<Endpoint>, StoreError> {
        let mut state = self.lock()?;
        Ok(state.webhooks.endpoint_mut(id).map(|s| s.endpoint.clone()))
    }

    async fn update_endpoint(&self, id: EndpointId, patch: EndpointPatch) -> Result<Option<Endpoint>, StoreError> {
        let mut state = self.lock()?;
        let Some(stored) = state.webhooks.endpoint_mut(id) else { return Ok(None) };
        let endpoint = &mut stored.endpoint;
        let EndpointPatch { url, event_types, description, enabled } = patch;
        endpoint.url = url.unwrap_or_else(|| endpoint.url.clone());
        endpoint.event_types = event_types.unwrap_or_else(|| endpoint.event_types.clone());
        endpoint.description = description.unwrap_or_else(|| endpoint.description.clone());
        endpoint.enabled = enabled.unwrap_or(endpoint.enabled);
        Ok(Some(endpoint.clone()))
    }

    async fn delete_endpoint(&self, id: EndpointId) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let deleted = state.webhooks.endpoints.get_mut(index(id.get())).and_then(Option::take).is_some();
        if deleted {
            for delivery in state.webhooks.deliveries.iter_mut().filter(|d| d.endpoint == id) {
                delivery.due_at = None;
            }
        }
        Ok(deleted)
    }

    async fn rotate_secret(
        &self,
        id: EndpointId,
        secret: Secret,
        previous_until: DateTime<Utc>,
    ) -> Result<Option<Endpoint>, StoreError> {
        let mut state = self.lock()?;
        let Some(stored) = state.webhooks.endpoint_mut(id) else { return Ok(None) };
        let previous = std::mem::replace(&mut stored.secret, secret);
        stored.previous = Some((previous, previous_until));
        Ok(Some(stored.endpoint.clone()))
    }

    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> Result<Option<Page<Delivery>>, StoreError> {
        let mut state = self.lock()?;
        if state.webhooks.endpoint_mut(endpoint).is_none() {
            return Ok(None);
        }
        let deliveries = state.webhooks.deliveries.iter().rev().filter(|d| d.endpoint == endpoint);
        let shown = deliveries
            .map(|d| Delivery {
                next_attempt_at: d.due_at.filter(|_| d.delivery.status == DeliveryStatus::Failed),
                ..d.delivery.clone()
            })
            .filter(|d| status.is_none_or(|s| d.status == s))
            .collect();
        Ok(Some(page_of(shown, page)))
    }

    async fn retry_delivery(&self, endpoint: EndpointId, delivery: DeliveryId) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        if state.webhooks.endpoint_mut(endpoint).is_none() {
            return Ok(false);
        }
        let Some(stored) = state.webhooks.deliveries.get_mut(index(delivery.get())).filter(|d| d.endpoint == endpoint)
        else {
            return Ok(false);
        };
        stored.due_at = Some(Utc::now());
        stored.delivery.status =
            if stored.delivery.attempts == 0 { DeliveryStatus::Pending } else { DeliveryStatus::Failed };
        Ok(true)
    }

    async fn claim_due(&self, claim: Claim) -> Result<Vec<Due>, StoreError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let deferred = TimeDelta::from_std(claim.deferred).unwrap_or(TimeDelta::MAX);
        let cutoff = now.checked_sub_signed(deferred).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let webhooks = &mut state.webhooks;
        let mut due: Vec<(usize, DateTime<Utc>)> = webhooks
            .deliveries
            .iter()
            .enumerate()
            .filter_map(|(at, d)| d.due_at.filter(|due| *due <= cutoff).map(|due| (at, due)))
            .filter(|(at, _)| {
                let endpoint = webhooks.deliveries[*at].endpoint;
                let enabled = webhooks.endpoints.get(index(endpoint.get())).and_then(Option::as_ref);
                enabled.is_some_and(|e| e.endpoint.enabled)
            })
            .collect();
        due.sort_by_key(|(at, due)| (*due, *at));
        let mut taken: std::collections::HashMap<EndpointId, u32> = claim.in_flight.iter().copied().collect();
        let crowded: HashSet<EndpointId> = claim
            .in_flight
            .iter()
            .filter(|(_, n)| claim.per_endpoint.saturating_sub(*n) < claim.min_free.get())
            .map(|(endpoint, _)| *endpoint)
            .collect();
        due.retain(|(at, _)| !crowded.contains(&webhooks.deliveries[*at].endpoint));
        due.retain(|(at, _)| {
            let count = taken.entry(webhooks.deliveries[*at].endpoint).or_default();
            *count += 1;
            *count <= claim.per_endpoint
        });
        due.truncate(claim.limit as usize);
        let mut claimed = Vec::with_capacity(due.len());
        for (at, _) in due {
            let stored = &mut webhooks.deliveries[at];
            stored.due_at = Some(lease_end(now, claim.lease));
            let endpoint = webhooks.endpoints.get(index(stored.endpoint.get())).and_then(Option::as_ref);
            let message = webhooks.messages.get(index(stored.delivery.message_id.get()));
            let (Some(endpoint), Some(message)) = (endpoint, message) else { continue };
            let previous = endpoint.previous.iter().filter(|(_, until)| *until > now).map(|(s, _)| s.clone());
            claimed.push(Due {
                delivery: stored.delivery.id,
                endpoint: endpoint.endpoint.id,
                url: endpoint.endpoint.url.clone(),
                secrets: std::iter::once(endpoint.secret.clone()).chain(previous).collect(),
                attempts: stored.delivery.attempts,
                message: message.clone(),
            });
        }
        Ok(claimed)
    }

    async fn record_attempts(&self, attempts: Vec<(Due, Attempt)>) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for (due, attempt) in &attempts {
            state.webhooks.record(due, attempt);
        }
        Ok(())
    }

    async fn open_deliveries(&self) -> Result<u64, StoreError> {
        let state = self.lock()?;
        Ok(state.webhooks.deliveries.iter().filter(|d| d.due_at.is_some()).count() as u64)
    }
}

impl Webhooks {
    /// Stores an attempt's outcome.
    fn record(&mut self, due: &Due, attempt: &Attempt) {
        let webhooks = self;
        if let Some(stored) = webhooks.deliveries.get_mut(index(due.delivery.get())) {
            stored.delivery.status = attempt.status;
            stored.delivery.attempts += 1;
            stored.delivery.last_status_code = match attempt.result {
                evently_domain::webhook::AttemptResult::Answered { status, .. } => Some(status),
                _ => None,
            };
            stored.due_at = attempt.next_attempt_at.filter(|_| attempt.status == DeliveryStatus::Failed);
        }
        if attempt.disable_endpoint
            && let Some(endpoint) = webhooks.endpoint_mut(due.endpoint)
        {
            endpoint.endpoint.enabled = false;
        }
    }
}
