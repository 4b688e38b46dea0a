//! The routes of the HTTP contract.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod bookings;
pub(crate) mod events;
pub(crate) mod me;
pub(crate) mod ops;
pub(crate) mod waitlist;

use actix_web::web;
use evently_domain::user::PasswordHasher;
use evently_domain::{BookingId, EventId, Store, UserId};

use crate::error::ApiError;
use crate::state::AppState;

pub use ops::docs;

/// The shared state as handlers receive it.
type State<S, H> = web::Data<AppState<S, H>>;

/// Registers every route of the contract, with problem documents for unparsable query
/// strings (400) and path ids (404).
pub fn configure<S: Store, H: PasswordHasher>(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, _| ApiError::NotFound("no such resource").into()),
    )
    .route("/health", web::get().to(ops::health))
    .route("/ready", web::get().to(ops::ready::<S, H>))
    .route("/metrics", web::get().to(ops::metrics))
    .service(
        web::scope("/api/v1")
            .route("/auth/register", web::post().to(accounts::register::<S, H>))
            .route("/auth/login", web::post().to(accounts::login::<S, H>))
            .route("/users/me", web::get().to(me::profile::<S, H>))
            .route("/users/me/bookings", web::get().to(me::bookings::<S, H>))
            .route("/users/me/waitlist", web::get().to(me::waitlist::<S, H>))
            .route(
                "/users/me/notifications",
                web::get().to(me::notifications::<S, H>),
            )
            .route("/admin/users", web::get().to(admin::list_users::<S, H>))
            .route(
                "/admin/users/{id}",
                web::patch().to(admin::set_role::<S, H>),
            )
            .route("/events", web::get().to(events::list::<S, H>))
            .route("/events", web::post().to(events::create::<S, H>))
            .route("/events/{id}", web::get().to(events::get::<S, H>))
            .route("/events/{id}", web::patch().to(events::update::<S, H>))
            .route("/events/{id}", web::delete().to(events::cancel::<S, H>))
            .route(
                "/events/{id}/bookings",
                web::post().to(bookings::book::<S, H>),
            )
            .route("/bookings/{id}", web::get().to(bookings::get::<S, H>))
            .route(
                "/bookings/{id}/cancel",
                web::post().to(bookings::cancel::<S, H>),
            )
            .route(
                "/events/{id}/waitlist",
                web::post().to(waitlist::join::<S, H>),
            )
            .route(
                "/events/{id}/waitlist",
                web::get().to(waitlist::queue::<S, H>),
            )
            .route(
                "/events/{id}/waitlist/me",
                web::get().to(waitlist::standing::<S, H>),
            )
            .route(
                "/events/{id}/waitlist/me",
                web::delete().to(waitlist::leave::<S, H>),
            ),
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
