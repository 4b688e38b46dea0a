use crate::Backend;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use evently_domain::EventId;
use evently_domain::cache::CacheTag;

use super::{State, detached, event_id};
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::cache::{Cached, Coding, Fresh, Listing};
use crate::dto::{CreateEventBody, EventDto, EventsQuery, PageDto, PatchEventBody, SeatsDto};
use crate::error::ApiError;
use crate::seatmap;

/// How long a cached event answer may live. Writes make it stale at once (versioned
/// keys); the limit only bounds what a lost invalidation could leave behind.
const EVENT_TTL_SECS: u64 = 30;

/// Lists events by `starts_at`, then id. Public; served from the cache while neither
/// the events it holds nor which events it holds changed.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", operation_id = "list_events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events", body = PageDto<EventDto>),
        (status = 400, description = "Unparsable query (unknown status, bad timestamp, non-numeric limit)"),
        (status = 422, description = "`validation_failed` (limit or offset out of range)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn list<B: Backend>(state: State<B>, query: web::Query<EventsQuery>) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.validate()?;
    let key = format!("events:list:{}", query.cache_key());
    state
        .responses
        .listing(key, EVENT_TTL_SECS, || async {
            let events = state.events.list(filter.clone(), page).await?;
            let members = events.items.iter().map(|event| event.id).collect();
            // Stale by itself when the first of its events' holds lapses.
            let until = events.items.iter().filter_map(|event| event.holds_lapse_at).min();
            Ok(Listing { answer: PageDto::from_page(events, EventDto::from), members, until })
        })
        .await
}

/// One event. Public; served from the cache when current.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", operation_id = "get_event",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The event", body = EventDto),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn get<B: Backend>(state: State<B>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    state
        .responses
        .json_until(event_answer(format!("events:{id}"), id, "application/json", Coding::Plain), || async {
            let event = state.events.find(id).await?.ok_or(ApiError::NotFound("no such event"))?;
            let until = event.holds_lapse_at;
            Ok((EventDto::from(event), until))
        })
        .await
}

/// Publishes an event (admin).
#[utoipa::path(post, path = "/api/v1/events", tag = "events", operation_id = "create_event",
    security(("bearer" = [])), request_body = CreateEventBody,
    responses(
        (status = 201, description = "The event", body = EventDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn create<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    body: JsonBody<CreateEventBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let event = body.parse()?.validate()?;
    let event = detached(state.changes.clone(), async move { state.events.create(admin, event).await }).await?;
    Ok(HttpResponse::Created().json(EventDto::from(event)))
}

/// Changes an event (admin). Raising `capacity` promotes waiting entries at once;
/// changing name, venue, description or start tells every holder (`event_changed`).
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", operation_id = "update_event",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    request_body(content = Option<PatchEventBody>, description = "The fields to change; none changes nothing"),
    responses(
        (status = 200, description = "The updated event", body = EventDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`event_cancelled`, `capacity_below_booked`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn update<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<PatchEventBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = event_id(id.into_inner())?;
    let patch = body.parse()?.validate()?;
    let event = detached(state.changes.clone(), async move { state.events.update(admin, id, patch).await }).await?;
    Ok(HttpResponse::Ok().json(EventDto::from(event)))
}

/// Cancels an event (admin): its confirmed bookings and waiting entries are cancelled
/// and every affected user is told (`event_cancelled`). Cancelling twice is `409
/// event_cancelled`.
#[utoipa::path(delete, path = "/api/v1/events/{id}", tag = "events", operation_id = "cancel_event",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The cancelled event", body = EventDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`event_cancelled`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn cancel<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = event_id(id.into_inner())?;
    let event = detached(state.changes.clone(), async move { state.events.cancel(admin, id).await }).await?;
    Ok(HttpResponse::Ok().json(EventDto::from(event)))
}

/// A seated event's seats and what each is now (`available`, `held`, `booked`; a hold past
/// its `expires_at` frees its seats at once). Public; cached and made stale like the
/// event; gzip-compressed for a client that sends `Accept-Encoding: gzip`. An event that
/// is not seated is `404`.
#[utoipa::path(get, path = "/api/v1/events/{id}/seats", tag = "seating", operation_id = "get_seats",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The seats, section by section, row by row", body = SeatsDto),
        (status = 404, description = "`not_found`: no such event, or it is not seated"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn seats<B: Backend>(
    state: State<B>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    let cached = event_answer(format!("events:{id}:seats"), id, "application/json", Coding::negotiated(&req));
    state
        .responses
        .json_until(cached, || async {
            let chart = state.events.seats(id).await?.ok_or(ApiError::NotFound(NOT_SEATED))?;
            Ok((SeatsDto::from(&chart), chart.holds_lapse_at()))
        })
        .await
}

/// A seated event's map: every seat drawn and coloured by status (green available,
/// amber held, grey booked), sections and rows labelled. Public; cached and made stale
/// like the event; gzip-compressed for a client that sends `Accept-Encoding: gzip`. An
/// event that is not seated is `404`.
#[utoipa::path(get, path = "/api/v1/events/{id}/seatmap.svg", tag = "seating", operation_id = "get_seatmap",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The seat map", content_type = "image/svg+xml", body = String),
        (status = 404, description = "`not_found`: no such event, or it is not seated"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn seatmap<B: Backend>(
    state: State<B>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    let cached = event_answer(format!("events:{id}:seatmap"), id, "image/svg+xml", Coding::negotiated(&req));
    state
        .responses
        .body(cached, || async {
            let (event, chart) = tokio::try_join!(state.events.find(id), state.events.seats(id))?;
            let (Some(event), Some(chart)) = (event, chart) else { return Err(ApiError::NotFound(NOT_SEATED)) };
            let body = Bytes::from(seatmap::render(&chart, event.name.as_str()));
            Ok(Fresh { body, until: chart.holds_lapse_at() })
        })
        .await
}

/// An answer about event `id` under `key`: made stale by the event's writes, kept
/// [`EVENT_TTL_SECS`] at most (and, by its loader, no longer than until a hold lapses).
fn event_answer(key: String, id: EventId, content_type: &'static str, coding: Coding) -> Cached {
    Cached { key, tags: vec![CacheTag::Event(id)], ttl_secs: EVENT_TTL_SECS, content_type, coding }
}

/// What an unseated or unknown event answers to its seats.
const NOT_SEATED: &str = "no such seated event";
