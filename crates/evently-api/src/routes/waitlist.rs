use crate::Backend;
use actix_web::{HttpResponse, web};

use super::{State, detached, event_id};
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::{PageDto, PageQuery, SeatsBody, StandingDto, WaitlistEntryDto};
use crate::error::ApiError;

/// Joins a full event's waitlist, at the back of the queue.
#[utoipa::path(post, path = "/api/v1/events/{id}/waitlist", tag = "waitlist", operation_id = "join_waitlist",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    request_body(content = Option<SeatsBody>, description = "May be left out: one seat"),
    responses(
        (status = 201, description = "The waiting entry with its position", body = WaitlistEntryDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`not_admitted`: the event sells through its queue and the caller holds no current admission"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`event_not_full`, `already_booked`, `already_holding`, `already_waitlisted`, `event_cancelled`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn join<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<Option<SeatsBody>>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    let body = body.parse()?.unwrap_or_default();
    let (seats, tier) = (body.seats()?, body.tier()?);
    let entry =
        detached(state.changes.clone(), async move { state.waitlists.join(id, auth.user_id, seats, tier).await })
            .await?;
    Ok(HttpResponse::Created().json(WaitlistEntryDto::from(entry)))
}

/// The caller's waiting entry for an event and the queue's length.
#[utoipa::path(get, path = "/api/v1/events/{id}/waitlist/me", tag = "waitlist", operation_id = "get_my_waitlist_entry",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The waiting entry", body = StandingDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`: not waiting for this event"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn standing<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let standing = state
        .waitlists
        .standing(event_id(id.into_inner())?, auth.user_id)
        .await?
        .ok_or(ApiError::NotFound("you are not on this waitlist"))?;
    Ok(HttpResponse::Ok().json(StandingDto::from(standing)))
}

/// Leaves an event's waitlist.
#[utoipa::path(delete, path = "/api/v1/events/{id}/waitlist/me", tag = "waitlist", operation_id = "leave_waitlist",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 204, description = "Left the queue"),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`: not waiting for this event"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn leave<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    detached(state.changes.clone(), async move { state.waitlists.leave(id, auth.user_id).await }).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An event's waiting entries in queue order (admin).
#[utoipa::path(get, path = "/api/v1/events/{id}/waitlist", tag = "waitlist", operation_id = "list_waitlist",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id"), PageQuery),
    responses(
        (status = 200, description = "A page of waiting entries", body = PageDto<WaitlistEntryDto>),
        (status = 400, description = "Unparsable query"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn queue<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = event_id(id.into_inner())?;
    state.events.find(id).await?.ok_or(ApiError::NotFound("no such event"))?;
    let entries = state.waitlists.queue(admin, id, query.request()?).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(entries, WaitlistEntryDto::from)))
}
