use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    Attempt, AttemptResult, Claim, Delivery, DeliveryStatus, Destination, Due, Endpoint, EndpointPatch, EventType,
    NewEndpoint, RetrySchedule, Secret, WebhookError, WebhookRepository, signature_header,
};
use crate::user::Admin;
use crate::{DeliveryId, EndpointId, Page, PageRequest, StoreError};

/// How long a rotated-out secret keeps signing.
const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// The longest description accepted.
const DESCRIPTION_MAX: usize = 500;

/// Registering endpoints (admins only) and attempting deliveries.
#[derive(Debug, Clone)]
pub struct WebhookService<R, D> {
    store: R,
    destination: D,
    schedule: RetrySchedule,
}

/// Checks a set of types: at least one, no repeats.
fn check_types(types: &[EventType]) -> Result<(), WebhookError> {
    let mut sorted = types.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if types.is_empty() || sorted.len() != types.len() {
        let detail = "must name at least one type, each once".to_owned();
        return Err(WebhookError::Invalid { field: "event_types", detail });
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), WebhookError> {
    if description.chars().count() > DESCRIPTION_MAX || description.chars().any(|c| c.is_control() && c != '\n') {
        let detail = format!("at most {DESCRIPTION_MAX} characters, no control characters");
        return Err(WebhookError::Invalid { field: "description", detail });
    }
    Ok(())
}

impl<R: WebhookRepository, D: Destination> WebhookService<R, D> {
    /// Builds the service; failed deliveries are retried after `schedule`'s delays.
    pub fn new(store: R, destination: D, schedule: RetrySchedule) -> Self {
        Self { store, destination, schedule }
    }

    /// Registers an endpoint that signs with `secret`.
    ///
    /// # Errors
    /// [`WebhookError::Url`] for a destination that is not public, `Invalid` types or
    /// description.
    pub async fn create(&self, _admin: Admin, endpoint: NewEndpoint, secret: Secret) -> Result<Endpoint, WebhookError> {
        check_types(&endpoint.event_types)?;
        check_description(&endpoint.description)?;
        self.destination.admit(&endpoint.url).await?;
        Ok(self.store.create_endpoint(endpoint, secret).await?)
    }

    /// Endpoints in id order.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(&self, _admin: Admin, page: PageRequest) -> Result<Page<Endpoint>, StoreError> {
        self.store.list_endpoints(page).await
    }

    /// One endpoint.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn get(&self, _admin: Admin, id: EndpointId) -> Result<Endpoint, WebhookError> {
        self.store.find_endpoint(id).await?.ok_or(WebhookError::NotFound)
    }

    /// Changes an endpoint; a new URL is checked as at registration.
    ///
    /// # Errors
    /// As [`Self::create`], and [`WebhookError::NotFound`].
    pub async fn update(&self, _admin: Admin, id: EndpointId, patch: EndpointPatch) -> Result<Endpoint, WebhookError> {
        if let Some(types) = &patch.event_types {
            check_types(types)?;
        }
        if let Some(description) = &patch.description {
            check_description(description)?;
        }
        if self.store.find_endpoint(id).await?.is_none() {
            return Err(WebhookError::NotFound);
        }
        if let Some(url) = &patch.url {
            self.destination.admit(url).await?;
        }
        self.store.update_endpoint(id, patch).await?.ok_or(WebhookError::NotFound)
    }

    /// Deletes an endpoint and its deliveries.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn delete(&self, _admin: Admin, id: EndpointId) -> Result<(), WebhookError> {
        if self.store.delete_endpoint(id).await? { Ok(()) } else { Err(WebhookError::NotFound) }
    }

    /// Signs with `secret` from now on; the old secret signs too for 24 hours.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn rotate(
        &self,
        _admin: Admin,
        id: EndpointId,
        secret: Secret,
        now: DateTime<Utc>,
    ) -> Result<Endpoint, WebhookError> {
        self.store.rotate_secret(id, secret, now + ROTATION_OVERLAP).await?.ok_or(WebhookError::NotFound)
    }

    /// An endpoint's delivery log, newest first.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn deliveries(
        &self,
        _admin: Admin,
        id: EndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> Result<Page<Delivery>, WebhookError> {
        self.store.list_deliveries(id, status, page).await?.ok_or(WebhookError::NotFound)
    }

    /// Queues a delivery for an attempt now.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn retry(&self, _admin: Admin, id: EndpointId, delivery: DeliveryId) -> Result<(), WebhookError> {
        if self.store.retry_delivery(id, delivery).await? { Ok(()) } else { Err(WebhookError::NotFound) }
    }

    /// Claims due deliveries (see [`WebhookRepository::claim_due`]).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn claim(&self, claim: Claim) -> Result<Vec<Due>, StoreError> {
        self.store.claim_due(claim).await
    }

    /// Deliveries open now, for the queue-depth gauge.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn open_deliveries(&self) -> Result<u64, StoreError> {
        self.store.open_deliveries().await
    }

    /// Records attempts (see [`Self::attempt`]): until then their deliveries stay
    /// claimed, and due again once their lease ends.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn record(&self, attempts: Vec<(Due, Attempt)>) -> Result<(), StoreError> {
        self.store.record_attempts(attempts).await
    }

    /// Makes one attempt of `due` with `body` (the message as the contract shows it),
    /// signed now; what becomes of the delivery is for [`Self::record`] to store.
    /// `jitter` in `0.0..1.0` spreads retries over ±10 % of their delay.
    pub async fn attempt(&self, due: &Due, body: Vec<u8>, jitter: f64) -> Attempt {
        let at = Utc::now();
        let id = format!("msg_{}", due.message.id);
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            ("webhook-signature", signature_header(&due.secrets, &id, at.timestamp(), &body)),
            ("webhook-timestamp", at.timestamp().to_string()),
            ("webhook-id", id),
        ];
        let started = Instant::now();
        let result = self.destination.post(&due.url, headers, body).await;
        self.judge(due.attempts + 1, at, started.elapsed(), result, jitter)
    }

    /// What becomes of a delivery after its `attempts`-th attempt got `result`.
    fn judge(&self, attempts: u32, at: DateTime<Utc>, took: Duration, result: AttemptResult, jitter: f64) -> Attempt {
        let mut attempt =
            Attempt { at, took, result, status: DeliveryStatus::Dead, next_attempt_at: None, disable_endpoint: false };
        let retry_after = match &attempt.result {
            AttemptResult::Answered { status: 200..=299, .. } => {
                attempt.status = DeliveryStatus::Succeeded;
                return attempt;
            }
            AttemptResult::Answered { status: 410, .. } => {
                attempt.disable_endpoint = true;
                return attempt;
            }
            AttemptResult::Refused(_) => return attempt,
            AttemptResult::Answered { status: 429 | 503, retry_after } => *retry_after,
            AttemptResult::Answered { .. } | AttemptResult::Failed(_) => None,
        };
        let Some(delay) = self.schedule.delay_after(attempts) else { return attempt };
        // Retry-After is honoured, within the longest delay of the schedule.
        let longest = self.schedule.delays().iter().max().copied().unwrap_or(delay);
        let delay = match retry_after {
            Some(asked) => asked.min(longest).max(delay),
            None => delay.mul_f64(0.9 + 0.2 * jitter.clamp(0.0, 1.0)),
        };
        attempt.status = DeliveryStatus::Failed;
        attempt.next_attempt_at = Some(at + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX));
        attempt
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::booking::{Booking, BookingSource};
    use crate::inventory::{BookingStatus, Seats};
    use crate::money::{Currency, Price};
    use crate::webhook::{Message, MessageData, MockDestination, MockWebhookRepository, WebhookUrl};
    use crate::{BookingId, DeliveryId, EventId, MessageId, TierId, UserId};

    fn service(result: AttemptResult) -> WebhookService<MockWebhookRepository, MockDestination> {
        let mut destination = MockDestination::new();
        destination.expect_post().returning(move |_, headers, _| {
            let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
            assert!(["webhook-id", "webhook-timestamp", "webhook-signature"].iter().all(|h| names.contains(h)));
            let result = result.clone();
            Box::pin(async move { result })
        });
        WebhookService::new(MockWebhookRepository::new(), destination, "1s,1m".parse().unwrap_or_default())
    }

    fn due(attempts: u32) -> Due {
        let booking = Booking {
            id: BookingId::new(9).unwrap(),
            event_id: EventId::new(1).unwrap(),
            user_id: UserId::new(2).unwrap(),
            seats: Seats::ONE,
            tier_id: TierId::new(1).unwrap(),
            unit_price: Price::FREE,
            currency: Currency::EUR,
            status: BookingStatus::Confirmed,
            source: BookingSource::Direct,
            payment_reference: None,
            placement: None,
            created_at: Utc::now(),
            cancelled_at: None,
        };
        Due {
            delivery: DeliveryId::new(1).unwrap_or_else(|| unreachable!()),
            endpoint: EndpointId::new(1).unwrap_or_else(|| unreachable!()),
            url: WebhookUrl::new("https://hooks.example.org/x").unwrap_or_else(|_| unreachable!()),
            secrets: vec![Secret::from_bytes([1; 32])],
            attempts,
            message: Message {
                id: MessageId::new(9).unwrap_or_else(|| unreachable!()),
                event_type: EventType::BookingConfirmed,
                created_at: Utc.timestamp_opt(1_800_000_000, 0).single().unwrap_or_default(),
                data: MessageData::Booking(booking),
            },
        }
    }

    async fn outcome(result: AttemptResult, attempts: u32) -> Attempt {
        service(result).attempt(&due(attempts), b"{}".to_vec(), 0.5).await
    }

    #[test]
    fn attempts_follow_the_schedule_then_die() {
        futures_executor::block_on(async {
            let ok = outcome(AttemptResult::Answered { status: 204, retry_after: None }, 0).await;
            assert_eq!((ok.status, ok.next_attempt_at), (DeliveryStatus::Succeeded, None));
            let first = outcome(AttemptResult::Answered { status: 500, retry_after: None }, 0).await;
            assert_eq!(first.status, DeliveryStatus::Failed);
            assert_eq!(first.next_attempt_at.map(|t| t - first.at), Some(TimeDelta::seconds(1)));
            let second = outcome(AttemptResult::Failed("timeout".into()), 1).await;
            assert_eq!(second.next_attempt_at.map(|t| t - second.at), Some(TimeDelta::minutes(1)));
            let last = outcome(AttemptResult::Answered { status: 500, retry_after: None }, 2).await;
            assert_eq!((last.status, last.next_attempt_at), (DeliveryStatus::Dead, None));
        });
    }

    #[test]
    fn gone_refused_and_retry_after_are_honoured() {
        futures_executor::block_on(async {
            let gone = outcome(AttemptResult::Answered { status: 410, retry_after: None }, 0).await;
            assert_eq!((gone.status, gone.disable_endpoint), (DeliveryStatus::Dead, true));
            let refused = outcome(AttemptResult::Refused("private".into()), 0).await;
            assert_eq!((refused.status, refused.disable_endpoint), (DeliveryStatus::Dead, false));
            let busy = AttemptResult::Answered { status: 429, retry_after: Some(Duration::from_secs(30)) };
            let later = outcome(busy, 0).await;
            assert_eq!(later.next_attempt_at.map(|t| t - later.at), Some(TimeDelta::seconds(30)));
            let too_long = AttemptResult::Answered { status: 503, retry_after: Some(Duration::from_secs(86_400)) };
            let capped = outcome(too_long, 0).await;
            assert_eq!(capped.next_attempt_at.map(|t| t - capped.at), Some(TimeDelta::minutes(1)));
        });
    }
}
