//! The OpenAPI 3.1 document of every route.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

/// The OpenAPI document, served at `/openapi.json`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Evently", description = "Event ticketing that never oversells. Errors are RFC 9457 problem \
        documents (`application/problem+json`) whose `code` clients switch on. Every request body is a JSON \
        object (anything else is `400 bad_request`) and must arrive within 10 s of the request head, or the \
        answer is `408 request_timeout` and the connection is closed. Instants are RFC 3339 in the years \
        0001 to 9999 (UTC)."),
    paths(
        routes::accounts::register, routes::accounts::login,
        routes::me::profile, routes::me::bookings, routes::me::waitlist, routes::me::notifications,
        routes::admin::list_users, routes::admin::set_role,
        routes::analytics::overview, routes::analytics::events,
        routes::events::list, routes::events::get, routes::events::create, routes::events::update, routes::events::cancel,
        routes::bookings::book, routes::bookings::get, routes::bookings::cancel,
        routes::waitlist::join, routes::waitlist::standing, routes::waitlist::leave, routes::waitlist::queue,
        routes::ops::health, routes::ops::ready, routes::ops::metrics,
    ),
    components(schemas(
        crate::dto::StatusFilter,
        crate::dto::BookingStatusFilter,
        crate::dto::SortParam,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Registration and login"),
        (name = "users", description = "The caller's account, bookings, waitlist entries and notifications"),
        (name = "events", description = "Events: public reads, admin writes"),
        (name = "bookings", description = "Booking and cancelling seats"),
        (name = "waitlist", description = "Waiting for seats of full events"),
        (name = "admin", description = "Account administration and analytics"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}
