use actix_web::{HttpResponse, web};

use super::{State, detached, event_id};
use crate::Backend;
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::{PatchTierBody, TierBody, TierDto};
use crate::error::ApiError;

/// Adds a tier to an event (admin). Its quota may not exceed the event's capacity.
#[utoipa::path(post, path = "/api/v1/events/{id}/tiers", tag = "events", operation_id = "create_tier",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    request_body = TierBody,
    responses(
        (status = 201, description = "The tier", body = TierDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`event_cancelled`"),
        (status = 422, description = "`validation_failed` (a name the event's tiers already use, a quota above the event's capacity, a negative price, ...)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn create<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<TierBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = event_id(id.into_inner())?;
    let tier = body.parse()?.validate()?;
    let state = state.into_inner();
    let (tier, available) = detached(state.changes.clone(), async move {
        let tier = state.events.add_tier(admin, id, tier).await?;
        let available = state.events.find(id).await?.map_or(0, |e| e.available_seats());
        Ok::<_, ApiError>((tier, available))
    })
    .await?;
    Ok(HttpResponse::Created().json(TierDto::new(tier, available)))
}

/// Changes a tier (admin). A changed price applies to later bookings only; raising the
/// quota promotes waiting entries at once; a quota below the tier's booked seats is
/// `409 capacity_below_booked`.
#[utoipa::path(patch, path = "/api/v1/events/{id}/tiers/{tier_id}", tag = "events", operation_id = "update_tier",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id"), ("tier_id" = i64, Path, description = "The tier's id")),
    request_body(content = Option<PatchTierBody>, description = "The fields to change; none changes nothing"),
    responses(
        (status = 200, description = "The updated tier", body = TierDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found` (no such event, or no such tier of it)"),
        (status = 409, description = "`event_cancelled`, `capacity_below_booked`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn update<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    path: web::Path<(i64, i64)>,
    body: JsonBody<PatchTierBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let (id, tier) = path.into_inner();
    let id = event_id(id)?;
    let tier = evently_domain::TierId::new(tier).ok_or(ApiError::NotFound("no such tier"))?;
    let patch = body.parse()?.validate()?;
    let state = state.into_inner();
    let (tier, available) = detached(state.changes.clone(), async move {
        let tier = state.events.update_tier(admin, id, tier, patch).await?;
        let available = state.events.find(id).await?.map_or(0, |e| e.available_seats());
        Ok::<_, ApiError>((tier, available))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TierDto::new(tier, available)))
}
