use crate::Backend;
use actix_web::{HttpRequest, HttpResponse, web};
use evently_domain::booking::{BookingRequest, IdempotencyKey};

use super::{State, booking_id, detached, event_id};
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::{BookingDto, PickBody};
use crate::error::ApiError;

/// The header that makes a booking request safe to retry.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let invalid = || ApiError::Validation("Idempotency-Key: must be 1 to 255 visible ASCII characters".into());
    let raw = raw.to_str().map_err(|_| invalid())?;
    IdempotencyKey::new(raw).map(Some).map_err(|_| invalid())
}

/// Books seats; on a seated event named seats (`seat_labels`) or the best available.
/// With an `Idempotency-Key` (kept 24 hours per user), a repeat of the same request
/// answers the first booking again and books nothing more; the same key with another
/// event, seat count, tier, seat labels or `adjacent` is `422 idempotency_mismatch`. Only bookings are
/// remembered: a refused request (`409`, `404`, `422`) changed nothing and stores nothing,
/// so a retry under its key is judged afresh.
#[utoipa::path(post, path = "/api/v1/events/{id}/bookings", tag = "bookings", operation_id = "create_booking",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The event's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body(content = Option<PickBody>, description = "May be left out: one seat (on a seated event, the best available)"),
    responses(
        (status = 201, description = "The booking (or the first answer to this key)", body = BookingDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`not_admitted`: the event sells through its queue and the caller holds no current admission"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`sold_out`, `seat_unavailable`, `no_adjacent_seats`, `already_booked`, `already_holding`, `already_waitlisted`, `event_cancelled`"),
        (status = 422, description = "`validation_failed` (seats, tier_id, seat_labels), `idempotency_mismatch`"),
        (status = 503, description = "`unavailable`: nothing was booked"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn book<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<Option<PickBody>>,
) -> Result<HttpResponse, ApiError> {
    let event_id = event_id(id.into_inner())?;
    let body = body.parse()?.unwrap_or_default();
    let request = BookingRequest {
        event_id,
        user_id: auth.user_id,
        pick: body.pick()?,
        tier: body.tier()?,
        idempotency_key: idempotency_key(&req)?,
    };
    let outcome = detached(state.changes.clone(), async move { state.bookings.book(request).await }).await?;
    Ok(HttpResponse::Created().json(BookingDto::from(outcome.booking)))
}

/// One booking: its owner's or, for admins, anyone's. Others get 404.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", operation_id = "get_booking",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The booking's id")),
    responses(
        (status = 200, description = "The booking", body = BookingDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn get<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let booking = state.bookings.get(actor, booking_id(id.into_inner())?).await?;
    Ok(HttpResponse::Ok().json(BookingDto::from(booking)))
}

/// Cancels a booking (owner or admin). The freed seats go to the waitlist at once.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", operation_id = "cancel_booking",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The booking's id")),
    responses(
        (status = 200, description = "The cancelled booking", body = BookingDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`already_cancelled`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
#[tracing::instrument(skip_all, fields(booking.id = %id))]
pub async fn cancel<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let id = booking_id(id.into_inner())?;
    let booking = detached(state.changes.clone(), async move { state.bookings.cancel(actor, id).await }).await?;
    Ok(HttpResponse::Ok().json(BookingDto::from(booking)))
}
