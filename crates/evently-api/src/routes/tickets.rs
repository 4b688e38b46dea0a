use actix_web::{HttpResponse, web};
use chrono::Utc;
use evently_domain::TicketId;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::{State, booking_id, detached, event_id};
use crate::Backend;
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::pages::page_request;
use crate::dto::{
    BatchBody, BatchDto, CheckInBody, CheckInDto, CheckInStatsDto, PageDto, PageQuery, RevocationsDto,
    RevocationsQuery, TicketDto, TicketKeysDto,
};
use crate::error::ApiError;

/// The public keys that verify ticket codes, the active one first. Codes signed by a
/// retired key stay valid while it is listed (`active: false`). A scanner caches this
/// and verifies offline.
#[utoipa::path(get, path = "/api/v1/ticket-keys", tag = "tickets", operation_id = "get_ticket_keys",
    responses((status = 200, description = "The keys", body = TicketKeysDto)))]
pub async fn keys<B: Backend>(state: State<B>) -> HttpResponse {
    HttpResponse::Ok().json(TicketKeysDto::from(state.tickets.keys()))
}

/// A booking's tickets, one per seat, in id order (owner or admin; others get 404).
/// Each carries its signed `code`; a cancelled booking's tickets read `revoked`.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/tickets", tag = "tickets", operation_id = "list_booking_tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The booking's id"), PageQuery),
    responses(
        (status = 200, description = "A page of tickets", body = PageDto<TicketDto>),
        (status = 400, description = "Unparsable query string"),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`validation_failed` (limit, offset)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn list<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let page = page_request(query.limit, query.offset)?;
    let tickets = state
        .tickets
        .for_booking(actor, booking_id(id.into_inner())?, page)
        .await?
        .ok_or(ApiError::NotFound("no such booking"))?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(tickets, TicketDto::from)))
}

/// A ticket's QR code (error correction M) encoding exactly its `code`, as SVG (owner
/// or admin; others get 404).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/qr.svg", tag = "tickets", operation_id = "get_ticket_qr",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 401, description = "`unauthorized`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn qr<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = state.actor(&auth).await?;
    let not_found = ApiError::NotFound("no such ticket");
    let Some(id) = TicketId::new(id.into_inner()) else { return Err(not_found) };
    let issued = state.tickets.get(actor, id).await?.ok_or(not_found)?;
    let code = QrCode::with_error_correction_level(issued.code.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a ticket code does not fit a QR code: {e}")))?;
    let image = code.render::<svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build();
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(image))
}

/// Scans a ticket at the door (staff or admin): the code is verified (signature, key,
/// event, validity window now) and the ticket checked in. Among concurrent scans of one
/// code exactly one gets 200; the others `409 already_checked_in` with `checked_in_at`
/// and `gate`.
#[utoipa::path(post, path = "/api/v1/events/{id}/checkins", tag = "tickets", operation_id = "check_in",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    request_body = CheckInBody,
    responses(
        (status = 200, description = "First scan: checked in", body = CheckInDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`: needs the staff or admin role"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`already_checked_in`, `ticket_revoked`"),
        (status = 422, description = "`invalid_ticket`, `validation_failed` (gate)"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn check_in<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<CheckInBody>,
) -> Result<HttpResponse, ApiError> {
    let staff = state.staff(&auth).await?;
    let event = event_id(id.into_inner())?;
    let body = body.parse()?;
    let gate = body.gate()?;
    let issued = detached(state.changes.clone(), async move {
        state.tickets.check_in(staff, event, &body.code, gate, Utc::now()).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(CheckInDto { ticket: issued.into(), first_scan: true }))
}

/// An offline scanner's upload (staff or admin), up to 500 scans (bodies up to 640 KiB).
/// Each code is verified at its `scanned_at`; per ticket the earliest scan wins, and a
/// ticket already checked in on the server stays so. Results in upload order.
#[utoipa::path(post, path = "/api/v1/events/{id}/checkins/batch", tag = "tickets", operation_id = "check_in_batch",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    request_body = BatchBody,
    responses(
        (status = 200, description = "One result per scan", body = BatchDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`: needs the staff or admin role"),
        (status = 404, description = "`not_found`"),
        (status = 413, description = "`payload_too_large`"),
        (status = 422, description = "`validation_failed` (scans, gate)"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
#[tracing::instrument(skip_all, fields(event.id = %id))]
pub async fn check_in_batch<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<BatchBody>,
) -> Result<HttpResponse, ApiError> {
    let staff = state.staff(&auth).await?;
    let event = event_id(id.into_inner())?;
    let scans = body.parse()?.validate()?;
    let codes = scans.iter().map(|scan| scan.code.clone()).collect();
    let results =
        detached(state.changes.clone(), async move { state.tickets.check_in_batch(staff, event, scans).await })
            .await?
            .ok_or(ApiError::NotFound("no such event"))?;
    Ok(HttpResponse::Ok().json(BatchDto::new(codes, results)))
}

/// The event's revoked tickets in the order they were revoked (staff or admin). Pass
/// the answer's `cursor` back as `after` to get only newer ones.
#[utoipa::path(get, path = "/api/v1/events/{id}/revocations", tag = "tickets", operation_id = "list_revocations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id"), RevocationsQuery),
    responses(
        (status = 200, description = "Revocations after the cursor", body = RevocationsDto),
        (status = 400, description = "Unparsable query string"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`: needs the staff or admin role"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`validation_failed` (after, limit)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn revocations<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    query: web::Query<RevocationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let staff = state.staff(&auth).await?;
    let event = event_id(id.into_inner())?;
    let (after, limit) = query.validate()?;
    let page =
        state.tickets.revocations(staff, event, after, limit).await?.ok_or(ApiError::NotFound("no such event"))?;
    Ok(HttpResponse::Ok().json(RevocationsDto::from(page)))
}

/// The event's door figures (staff or admin): tickets valid, checked in and revoked,
/// and check-ins per gate.
#[utoipa::path(get, path = "/api/v1/events/{id}/checkins/stats", tag = "tickets", operation_id = "get_checkin_stats",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The figures", body = CheckInStatsDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`: needs the staff or admin role"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn stats<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let staff = state.staff(&auth).await?;
    let event = event_id(id.into_inner())?;
    let stats = state.tickets.stats(staff, event).await?.ok_or(ApiError::NotFound("no such event"))?;
    Ok(HttpResponse::Ok().json(CheckInStatsDto::from(stats)))
}
