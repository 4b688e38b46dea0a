//! The OpenAPI 3.1 document of every route.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{PathItem, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{PROBLEM_JSON, Problem};
use crate::routes::RouteDoc;

/// The OpenAPI document, served at `/openapi.json`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Evently", description = "Event ticketing that never oversells. Errors are RFC 9457 problem \
        documents (`application/problem+json`) whose `code` clients switch on. Every request body is a JSON \
        object (anything else is `400 bad_request`) and must arrive within 10 s of the request head, or the \
        answer is `408 request_timeout` and the connection is closed. Instants are RFC 3339 in the years \
        0001 to 9999 (UTC)."),
    components(schemas(
        Problem,
        crate::dto::StatusFilter,
        crate::dto::BookingStatusFilter,
        crate::dto::HoldStatusFilter,
        crate::dto::SortParam,
    )),
    modifiers(&Routes, &ProblemResponses, &BearerAuth),
    tags(
        (name = "auth", description = "Registration and login"),
        (name = "users", description = "The caller's account, bookings, waitlist entries and notifications"),
        (name = "events", description = "Events: public reads, admin writes"),
        (name = "bookings", description = "Booking and cancelling seats"),
        (name = "waitlist", description = "Waiting for seats of full events"),
        (name = "queue", description = "Fair on-sale queues: a random draw among early arrivals, paced admission"),
        (name = "seating", description = "Seated events: their seats and seat map"),
        (name = "holds", description = "Reserving seats while paying: hold, then confirm before the timer runs out"),
        (name = "tickets", description = "Tickets with signed codes, and checking them in at the door"),
        (name = "webhooks", description = "Standard Webhooks: endpoints, signed messages from a transactional outbox, the delivery log. \
            A change writes its messages in its own transaction; the delivery worker makes their deliveries, to the endpoints \
            enabled at the change, so a delivery shows in the log from the worker's next look (0.2 s when idle). \
            Deliveries give way to writes: while an instance answers 16 or more state-changing requests, it delivers only \
            messages due at least 30 s ago, so a burst's messages go out when it ends (at most 30 s late while it lasts)."),
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

/// Adds the operations of the route table.
struct Routes;

impl Modify for Routes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(RouteDoc::openapi());
    }
}

/// Every error response is a problem document: operations name their error statuses and
/// codes, and this gives each of them the [`Problem`] body.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for (status, response) in &mut operation.responses.responses {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(response)) = (is_error, response)
                        && response.content.is_empty()
                    {
                        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
                        response.content.insert(PROBLEM_JSON.to_owned(), body);
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Swagger UI at `/docs` (assets embedded: no network needed) and the OpenAPI document
/// at `/openapi.json`.
pub fn docs(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/docs",
        web::get()
            .to(|| async { HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish() }),
    )
    .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}

#[cfg(test)]
mod tests {
    use evently_domain::PageRequest;
    use evently_domain::event::{Description, EventName, Venue};
    use evently_domain::inventory::{Capacity, Seats};
    use evently_domain::seating::{RowLabel, RowPlan, SectionName};
    use evently_domain::ticket::Gate;
    use evently_domain::user::{Email, Password, UserName};
    use serde_json::Value;

    use super::*;
    use crate::dto::{BatchBody, RevocationsQuery};

    /// utoipa takes only literals for bounds: this holds the literals to the domain's
    /// constants, so a changed rule cannot leave the document behind.
    #[test]
    fn documented_bounds_are_the_domain_rules() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schema = |name: &str, field: &str| doc["components"]["schemas"][name]["properties"][field].clone();
        let number = |value: &Value| value.as_f64().map(|n| n as u64);
        let max_len = |name: &str, field: &str| number(&schema(name, field)["maxLength"]);
        for body in ["CreateEventBody", "PatchEventBody"] {
            assert_eq!(max_len(body, "name"), Some(EventName::MAX_CHARS as u64), "{body}.name");
            assert_eq!(max_len(body, "venue"), Some(Venue::MAX_CHARS as u64), "{body}.venue");
            assert_eq!(max_len(body, "description"), Some(Description::MAX_CHARS as u64), "{body}.description");
            assert_eq!(number(&schema(body, "capacity")["maximum"]), Some(u64::from(Capacity::MAX)), "{body}.capacity");
            let max_seats = schema(body, "max_seats_per_booking");
            assert_eq!(number(&max_seats["maximum"]), Some(u64::from(Seats::MAX)), "{body}.max_seats_per_booking");
        }
        let default = number(&schema("CreateEventBody", "max_seats_per_booking")["default"]);
        assert_eq!(default, Some(u64::from(Seats::DEFAULT_LIMIT.get())));
        assert_eq!(number(&schema("SeatsBody", "seats")["maximum"]), Some(u64::from(Seats::MAX)));
        assert_eq!(number(&schema("PickBody", "seats")["maximum"]), Some(u64::from(Seats::MAX)));
        assert_eq!(number(&schema("PickBody", "seat_labels")["maxItems"]), Some(u64::from(Seats::MAX)));
        assert_eq!(max_len("SectionBody", "name"), Some(SectionName::MAX_CHARS as u64));
        assert_eq!(max_len("RowBody", "label"), Some(RowLabel::MAX_CHARS as u64));
        assert_eq!(number(&schema("RowBody", "seats")["maximum"]), Some(u64::from(RowPlan::MAX_SEATS)));
        assert_eq!(max_len("RegisterBody", "name"), Some(UserName::MAX_CHARS as u64));
        assert_eq!(max_len("RegisterBody", "email"), Some(Email::MAX_CHARS as u64));
        assert_eq!(max_len("RegisterBody", "password"), Some(Password::MAX_CHARS as u64));
        assert_eq!(max_len("CheckInBody", "gate"), Some(Gate::MAX_CHARS as u64));
        assert_eq!(max_len("ScanBody", "gate"), Some(Gate::MAX_CHARS as u64));
        assert_eq!(number(&schema("BatchBody", "scans")["maxItems"]), Some(BatchBody::MAX_SCANS as u64));
        let limits = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .flat_map(|operation| {
                let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
                parameters.into_iter().map(|p| (operation["operationId"].clone(), p))
            })
            .filter(|(_, parameter)| parameter["name"] == "limit")
            .collect::<Vec<_>>();
        assert!(limits.len() > 1);
        for (operation, limit) in limits {
            let (max, default) = if operation == "list_revocations" {
                (RevocationsQuery::MAX_LIMIT, RevocationsQuery::MAX_LIMIT)
            } else {
                (PageRequest::MAX_LIMIT, PageRequest::DEFAULT_LIMIT)
            };
            assert_eq!(number(&limit["schema"]["maximum"]), Some(u64::from(max)), "{operation}");
            assert_eq!(number(&limit["schema"]["default"]), Some(u64::from(default)), "{operation}");
        }
    }
}
