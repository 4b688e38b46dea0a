use crate::Backend;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::{State, detached, event_id};
use crate::auth::Authenticated;
use crate::dto::{QueueFiguresDto, QueueTicketDto};
use crate::error::ApiError;

/// Takes a ticket in an event's on-sale queue: `201` with a new one, `200` with the
/// caller's own when they have one. Tickets taken before `on_sale_at` are put in a
/// uniformly random order at `on_sale_at` (arriving early buys no advantage); later ones
/// queue behind them by arrival. The front is admitted at `admit_per_minute`, paced
/// evenly; an admission lets its holder book, hold or join the waitlist for
/// `admission_ttl_seconds`.
#[utoipa::path(post, path = "/api/v1/events/{id}/queue", tag = "queue", operation_id = "join_queue",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 201, description = "A new queue ticket", body = QueueTicketDto),
        (status = 200, description = "The caller's ticket, taken earlier", body = QueueTicketDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`no_queue`, `event_cancelled`, `sold_out` (the queue closed)"),
        (status = 503, description = "`unavailable`"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn join<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    let actor = state.actor(&auth).await?;
    let (ticket, created) = detached(state.changes.clone(), async move { state.queues.join(actor, id).await }).await?;
    let body = QueueTicketDto::at(ticket, Utc::now());
    Ok(if created { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
}

/// The caller's queue ticket, with its position (from a ranking at most a second old)
/// and estimated wait. Polling more than once a second (beyond a burst of 3) is `429`
/// with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/events/{id}/queue/me", tag = "queue", operation_id = "get_my_queue_ticket",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The caller's ticket", body = QueueTicketDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`: no ticket"),
        (status = 429, description = "`rate_limited`, with `Retry-After`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn mine<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = event_id(id.into_inner())?;
    state.queue_polls.check(auth.user_id.get(), id.get())?;
    let ticket =
        state.queues.mine(auth.user_id, id).await?.ok_or(ApiError::NotFound("no queue ticket for this event"))?;
    Ok(HttpResponse::Ok().json(QueueTicketDto::at(ticket, Utc::now())))
}

/// An event's queue in figures (admin): waiting tickets, current and lapsed admissions,
/// closed tickets, the pace and the on-sale instant.
#[utoipa::path(get, path = "/api/v1/events/{id}/queue", tag = "queue", operation_id = "get_queue",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The queue's figures", body = QueueFiguresDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`: no such event, or it has no queue"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn figures<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = event_id(id.into_inner())?;
    let figures = state.queues.figures(admin, id).await?.ok_or(ApiError::NotFound("no queue for this event"))?;
    Ok(HttpResponse::Ok().json(QueueFiguresDto::from(figures)))
}
