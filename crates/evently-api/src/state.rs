use std::sync::Arc;

use evently_domain::analytics::AnalyticsService;
use evently_domain::booking::BookingService;
use evently_domain::event::EventService;
use evently_domain::hold::HoldService;
use evently_domain::notification::NotificationService;
use evently_domain::queue::QueueService;
use evently_domain::ticket::{TicketKeys, TicketService};
use evently_domain::user::{AccountService, Actor, Admin, Staff};
use evently_domain::waitlist::WaitlistService;
use evently_domain::webhook::{RetrySchedule, WebhookService};

use crate::Backend;
use crate::auth::{Authenticated, TokenKeys};
use crate::cache::ResponseCache;
use crate::error::ApiError;
use crate::rate_limit::{AuthRateLimit, PollRateLimit};

/// Everything handlers share: the services over one store and cache, token keys, limits.
#[derive(Debug)]
pub struct AppState<B: Backend> {
    /// Registration, login, account administration.
    pub accounts: AccountService<B::Store, B::Hasher>,
    /// Publishing and reading events.
    pub events: EventService<B::Store, B::Cache>,
    /// Taking and cancelling bookings.
    pub bookings: BookingService<B::Store, B::Cache>,
    /// Waitlists.
    pub waitlists: WaitlistService<B::Store, B::Cache>,
    /// Holds.
    pub holds: HoldService<B::Store, B::Cache>,
    /// Each user's notifications.
    pub notifications: NotificationService<B::Store>,
    /// Figures for admins.
    pub analytics: AnalyticsService<B::Store>,
    /// Tickets and check-in.
    pub tickets: TicketService<B::Store>,
    /// Webhook endpoints and deliveries.
    pub webhooks: WebhookService<B::Store, B::Destination>,
    /// On-sale queues.
    pub queues: QueueService<B::Store>,
    /// Per-user limit on reading queue positions.
    pub queue_polls: PollRateLimit,
    /// The store itself, for readiness.
    pub store: B::Store,
    /// Cached answers of public reads and analytics.
    pub responses: ResponseCache<B::Cache>,
    /// Whether the cache is shared (Redis), and so part of readiness.
    pub shared_cache: bool,
    /// JWT signing and verification.
    pub tokens: TokenKeys,
    /// Per-IP limit on register and login.
    pub auth_rate: AuthRateLimit,
    /// The runtime changes run on, apart from the HTTP workers: a write waits for the
    /// store and the cache several times, and each time it would otherwise queue behind
    /// every read the busy worker has in hand.
    pub changes: tokio::runtime::Handle,
}

/// The adapters and settings an [`AppState`] is built from.
#[derive(Debug)]
pub struct Parts<B: Backend> {
    /// The store.
    pub store: B::Store,
    /// The password hasher.
    pub hasher: B::Hasher,
    /// The cache.
    pub cache: B::Cache,
    /// Whether the cache is shared by instances.
    pub shared_cache: bool,
    /// Token keys.
    pub tokens: TokenKeys,
    /// The auth rate limit.
    pub auth_rate: AuthRateLimit,
    /// The keys that sign and verify ticket codes.
    pub ticket_keys: Arc<TicketKeys>,
    /// Where webhook messages go.
    pub destination: B::Destination,
    /// Delays between webhook attempts.
    pub retry_schedule: RetrySchedule,
    /// Where changes run to completion (see [`AppState::changes`]).
    pub changes: tokio::runtime::Handle,
}

impl<B: Backend> AppState<B> {
    /// Wires the services over the adapters; cache counters go to `metrics`.
    pub fn new(parts: Parts<B>, metrics: &crate::Metrics) -> Self {
        let Parts {
            store,
            hasher,
            cache,
            shared_cache,
            tokens,
            auth_rate,
            ticket_keys,
            destination,
            retry_schedule,
            changes,
        } = parts;
        Self {
            accounts: AccountService::new(store.clone(), hasher),
            events: EventService::new(store.clone(), cache.clone()),
            bookings: BookingService::new(store.clone(), cache.clone()),
            waitlists: WaitlistService::new(store.clone(), cache.clone()),
            holds: HoldService::new(store.clone(), cache.clone()),
            notifications: NotificationService::new(store.clone()),
            analytics: AnalyticsService::new(store.clone()),
            tickets: TicketService::new(store.clone(), ticket_keys),
            webhooks: WebhookService::new(store.clone(), destination, retry_schedule),
            queues: QueueService::new(store.clone()),
            queue_polls: PollRateLimit::default(),
            responses: ResponseCache::new(cache, metrics),
            store,
            shared_cache,
            tokens,
            auth_rate,
            changes,
        }
    }

    /// The actor behind a token, with the role the store holds now: a demoted admin
    /// loses admin rights at once, and a token of a vanished account stops working.
    pub async fn actor(&self, auth: &Authenticated) -> Result<Actor, ApiError> {
        self.accounts.current_actor(auth.user_id).await?.ok_or(ApiError::Unauthorized)
    }

    /// Like [`Self::actor`], with the domain's proof that the actor is staff (or an
    /// admin) now.
    pub async fn staff(&self, auth: &Authenticated) -> Result<Staff, ApiError> {
        Ok(self.actor(auth).await?.staff()?)
    }

    /// Like [`Self::actor`], with the domain's proof that the actor is an admin now.
    pub async fn admin(&self, auth: &Authenticated) -> Result<Admin, ApiError> {
        Ok(self.actor(auth).await?.admin()?)
    }
}
