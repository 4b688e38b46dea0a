use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use evently_domain::HoldId;
use evently_domain::hold::HoldRequest;

use super::bookings::idempotency_key;
use super::{State, detached, event_id};
use crate::Backend;
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::pages::page_request;
use crate::dto::{BookingDto, ConfirmBody, HoldDto, HoldsQuery, PageDto, PickBody};
use crate::error::ApiError;

fn hold_id(raw: i64) -> Result<HoldId, ApiError> {
    HoldId::new(raw).ok_or(ApiError::NotFound("no such hold"))
}

/// Holds seats until now plus the event's `hold_ttl_seconds`: they count as taken until
/// the hold is confirmed, released or expires (the timer cannot be extended). The same
/// refusals as a booking, plus `409 already_holding`. With an `Idempotency-Key` (kept
/// 24 hours per user, apart from booking keys) a repeat answers the first hold again.
#[utoipa::path(post, path = "/api/v1/events/{id}/holds", tag = "holds", operation_id = "create_hold",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The event's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters"),
    ),
    request_body(content = Option<PickBody>, description = "May be left out: one seat of the first tier (on a seated event, the best available)"),
    responses(
        (status = 201, description = "The hold (or the first answer to this key)", body = HoldDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`not_admitted`: the event sells through its queue and the caller holds no current admission"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`sold_out`, `seat_unavailable`, `no_adjacent_seats`, `already_booked`, `already_holding`, `already_waitlisted`, `event_cancelled`"),
        (status = 422, description = "`validation_failed` (seats, tier_id, seat_labels), `idempotency_mismatch`"),
        (status = 503, description = "`unavailable`: nothing was held"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn create<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<Option<PickBody>>,
) -> Result<HttpResponse, ApiError> {
    let event_id = event_id(id.into_inner())?;
    let body = body.parse()?.unwrap_or_default();
    let (pick, tier) = (body.pick()?, body.tier()?);
    let request = HoldRequest { event_id, user_id: auth.user_id, pick, tier, idempotency_key: idempotency_key(&req)? };
    let outcome = detached(state.changes.clone(), async move { state.holds.create(request).await }).await?;
    Ok(HttpResponse::Created().json(HoldDto::at(outcome.hold, Utc::now())))
}

/// One hold: its owner's or, for admins, anyone's; others get 404. A hold past its
/// `expires_at` reads `expired` even before the server has swept it.
#[utoipa::path(get, path = "/api/v1/holds/{id}", tag = "holds", operation_id = "get_hold",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The hold's id")),
    responses(
        (status = 200, description = "The hold", body = HoldDto),
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
    let hold = state.holds.get(actor, hold_id(id.into_inner())?).await?.ok_or(ApiError::NotFound("no such hold"))?;
    Ok(HttpResponse::Ok().json(HoldDto::at(hold, Utc::now())))
}

/// Confirms the caller's own hold (admins included: only the holder confirms) into a
/// booking (`source: "hold"`) at the hold's tier, seats and prices: 201 the first time,
/// 200 with the same booking on a retry. After `expires_at`: `409 hold_expired`;
/// released: `409 hold_released`.
#[utoipa::path(post, path = "/api/v1/holds/{id}/confirm", tag = "holds", operation_id = "confirm_hold",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The hold's id")),
    request_body(content = Option<ConfirmBody>, description = "May be left out"),
    responses(
        (status = 201, description = "The booking made", body = BookingDto),
        (status = 200, description = "The booking made by an earlier confirmation", body = BookingDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found` (no such hold, or another user's)"),
        (status = 409, description = "`hold_expired`, `hold_released`"),
        (status = 422, description = "`validation_failed` (payment_reference)"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
#[tracing::instrument(skip_all, fields(hold.id = %id))]
pub async fn confirm<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<Option<ConfirmBody>>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let id = hold_id(id.into_inner())?;
    let reference = body.parse()?.unwrap_or_default().validate()?;
    let confirmation =
        detached(state.changes.clone(), async move { state.holds.confirm(actor, id, reference).await }).await?;
    let booking = BookingDto::from(confirmation.booking);
    Ok(if confirmation.first { HttpResponse::Created().json(booking) } else { HttpResponse::Ok().json(booking) })
}

/// Releases a hold (owner or admin); its seats go to the waitlist at once. A hold that
/// is no longer active: `409 hold_not_active`.
#[utoipa::path(delete, path = "/api/v1/holds/{id}", tag = "holds", operation_id = "release_hold",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The hold's id")),
    responses(
        (status = 200, description = "The released hold", body = HoldDto),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`hold_not_active`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
#[tracing::instrument(skip_all, fields(hold.id = %id))]
pub async fn release<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let id = hold_id(id.into_inner())?;
    let hold = detached(state.changes.clone(), async move { state.holds.release(actor, id).await }).await?;
    Ok(HttpResponse::Ok().json(HoldDto::at(hold, Utc::now())))
}

/// The caller's holds, newest first, filtered by the status they read now.
#[utoipa::path(get, path = "/api/v1/users/me/holds", tag = "users", operation_id = "list_my_holds",
    security(("bearer" = [])), params(HoldsQuery),
    responses(
        (status = 200, description = "A page of holds", body = PageDto<HoldDto>),
        (status = 400, description = "Unparsable query (unknown status)"),
        (status = 401, description = "`unauthorized`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn mine<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<HoldsQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let page = page_request(query.limit, query.offset)?;
    let now = Utc::now();
    let found = state.holds.list(actor, query.status.map(Into::into), now, page).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(found, |hold| HoldDto::at(hold, now))))
}
