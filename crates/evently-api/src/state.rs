use evently_domain::Store;
use evently_domain::booking::BookingService;
use evently_domain::event::EventService;
use evently_domain::user::{AccountService, Actor, PasswordHasher, Role};
use evently_domain::waitlist::WaitlistService;

use crate::auth::{Authenticated, TokenKeys};
use crate::error::ApiError;
use crate::rate_limit::AuthRateLimit;

/// Everything handlers share: the services over one store, token keys and limits.
#[derive(Debug)]
pub struct AppState<S, H> {
    /// Registration, login, account administration.
    pub accounts: AccountService<S, H>,
    /// Publishing and reading events.
    pub events: EventService<S>,
    /// Taking and cancelling bookings.
    pub bookings: BookingService<S>,
    /// Waitlists.
    pub waitlists: WaitlistService<S>,
    /// The store itself, for readiness and plain reads.
    pub store: S,
    /// JWT signing and verification.
    pub tokens: TokenKeys,
    /// Per-IP limit on register and login.
    pub auth_rate: AuthRateLimit,
}

impl<S: Store, H: PasswordHasher> AppState<S, H> {
    /// Wires the services over `store` and `hasher`.
    pub fn new(store: S, hasher: H, tokens: TokenKeys, auth_rate: AuthRateLimit) -> Self {
        Self {
            accounts: AccountService::new(store.clone(), hasher),
            events: EventService::new(store.clone()),
            bookings: BookingService::new(store.clone()),
            waitlists: WaitlistService::new(store.clone()),
            store,
            tokens,
            auth_rate,
        }
    }

    /// The actor behind a token, with the role the store holds now: a demoted admin
    /// loses admin rights at once, and a token of a vanished account stops working.
    pub async fn actor(&self, auth: &Authenticated) -> Result<Actor, ApiError> {
        self.accounts
            .current_actor(auth.user_id)
            .await?
            .ok_or(ApiError::Unauthorized)
    }

    /// Like [`Self::actor`], but the actor must be an admin now.
    pub async fn admin(&self, auth: &Authenticated) -> Result<Actor, ApiError> {
        let actor = self.actor(auth).await?;
        if actor.role != Role::Admin {
            return Err(ApiError::Forbidden);
        }
        Ok(actor)
    }
}
