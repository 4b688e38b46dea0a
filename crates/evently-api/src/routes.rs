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
        .route("/health", web::get().to(ops::health))
        .route("/ready", web::get().to(ops::ready::<B>))
        .route("/metrics", web::get().to(ops::metrics))
        .service(
            web::scope("/api/v1")
                .route("/auth/register", web::post().to(accounts::register::<B>))
                .route("/auth/login", web::post().to(accounts::login::<B>))
                .route("/users/me", web::get().to(me::profile::<B>))
                .route("/users/me/bookings", web::get().to(me::bookings::<B>))
                .route("/users/me/waitlist", web::get().to(me::waitlist::<B>))
                .route("/users/me/notifications", web::get().to(me::notifications::<B>))
                .route("/admin/users", web::get().to(admin::list_users::<B>))
                .route("/admin/users/{id}", web::patch().to(admin::set_role::<B>))
                .route("/admin/analytics", web::get().to(analytics::overview::<B>))
                .route("/admin/analytics/events", web::get().to(analytics::events::<B>))
                .route("/events", web::get().to(events::list::<B>))
                .route("/events", web::post().to(events::create::<B>))
                .route("/events/{id}", web::get().to(events::get::<B>))
                .route("/events/{id}", web::patch().to(events::update::<B>))
                .route("/events/{id}", web::delete().to(events::cancel::<B>))
                .route("/events/{id}/bookings", web::post().to(bookings::book::<B>))
                .route("/bookings/{id}", web::get().to(bookings::get::<B>))
                .route("/bookings/{id}/cancel", web::post().to(bookings::cancel::<B>))
                .route("/events/{id}/waitlist", web::post().to(waitlist::join::<B>))
                .route("/events/{id}/waitlist", web::get().to(waitlist::queue::<B>))
                .route("/events/{id}/waitlist/me", web::get().to(waitlist::standing::<B>))
                .route("/events/{id}/waitlist/me", web::delete().to(waitlist::leave::<B>)),
        );
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
