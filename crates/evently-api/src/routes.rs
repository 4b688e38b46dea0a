//! The routes of the HTTP contract.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod analytics;
pub(crate) mod bookings;
pub(crate) mod events;
pub(crate) mod me;
pub(crate) mod ops;
pub(crate) mod waitlist;

use actix_web::web;
use tracing::Instrument as _;

use evently_domain::{BookingId, EventId, UserId};

use crate::Backend;
use crate::error::ApiError;
use crate::state::AppState;

pub use ops::docs;

/// The shared state as handlers receive it.
type State<B> = web::Data<AppState<B>>;

/// Registers every route of the contract, with problem documents for unparsable query
/// strings (400) and path ids (404).
pub fn configure<B: Backend>(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("no such resource").into()))
        .service(resource("/health", "GET").route(web::get().to(ops::health)))
        .service(resource("/ready", "GET").route(web::get().to(ops::ready::<B>)))
        .service(resource("/metrics", "GET").route(web::get().to(ops::metrics)))
        .service(
            web::scope("/api/v1")
                .service(resource("/auth/register", "POST").route(web::post().to(accounts::register::<B>)))
                .service(resource("/auth/login", "POST").route(web::post().to(accounts::login::<B>)))
                .service(resource("/users/me", "GET").route(web::get().to(me::profile::<B>)))
                .service(resource("/users/me/bookings", "GET").route(web::get().to(me::bookings::<B>)))
                .service(resource("/users/me/waitlist", "GET").route(web::get().to(me::waitlist::<B>)))
                .service(resource("/users/me/notifications", "GET").route(web::get().to(me::notifications::<B>)))
                .service(resource("/admin/users", "GET").route(web::get().to(admin::list_users::<B>)))
                .service(resource("/admin/users/{id}", "PATCH").route(web::patch().to(admin::set_role::<B>)))
                .service(resource("/admin/analytics", "GET").route(web::get().to(analytics::overview::<B>)))
                .service(resource("/admin/analytics/events", "GET").route(web::get().to(analytics::events::<B>)))
                .service(
                    resource("/events", "GET, POST")
                        .route(web::get().to(events::list::<B>))
                        .route(web::post().to(events::create::<B>)),
                )
                .service(
                    resource("/events/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(events::get::<B>))
                        .route(web::patch().to(events::update::<B>))
                        .route(web::delete().to(events::cancel::<B>)),
                )
                .service(resource("/events/{id}/bookings", "POST").route(web::post().to(bookings::book::<B>)))
                .service(resource("/bookings/{id}", "GET").route(web::get().to(bookings::get::<B>)))
                .service(resource("/bookings/{id}/cancel", "POST").route(web::post().to(bookings::cancel::<B>)))
                .service(
                    resource("/events/{id}/waitlist", "GET, POST")
                        .route(web::post().to(waitlist::join::<B>))
                        .route(web::get().to(waitlist::queue::<B>)),
                )
                .service(
                    resource("/events/{id}/waitlist/me", "GET, DELETE")
                        .route(web::get().to(waitlist::standing::<B>))
                        .route(web::delete().to(waitlist::leave::<B>)),
                ),
        );
}

/// A path whose other methods answer `405 method_not_allowed` with `Allow: allow`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path)
        .default_service(web::to(move || async move { Err::<&str, _>(ApiError::MethodNotAllowed(allow)) }))
}

/// Runs a change to completion on its own task: a client that hangs up drops its
/// handler, but neither the change nor the cache invalidation that follows its commit.
async fn detached<T, E>(change: impl Future<Output = Result<T, E>> + 'static) -> Result<T, ApiError>
where
    T: 'static,
    E: Into<ApiError> + 'static,
{
    actix_web::rt::spawn(change.instrument(tracing::Span::current()))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the task of a change failed: {e}")))?
        .map_err(Into::into)
}

/// Ids in paths: anything not positive names no resource.
fn event_id(raw: i64) -> Result<EventId, ApiError> {
    EventId::new(raw).ok_or(ApiError::NotFound("no such event"))
}

fn booking_id(raw: i64) -> Result<BookingId, ApiError> {
    BookingId::new(raw).ok_or(ApiError::NotFound("no such booking"))
}

fn user_id(raw: i64) -> Result<UserId, ApiError> {
    UserId::new(raw).ok_or(ApiError::NotFound("no such user"))
}
