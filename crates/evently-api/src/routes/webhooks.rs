use actix_web::{HttpResponse, web};
use chrono::Utc;
use evently_domain::webhook::Secret;
use evently_domain::{DeliveryId, EndpointId};

use super::State;
use crate::Backend;
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::pages::page_request;
use crate::dto::{
    CreateEndpointBody, DeliveriesQuery, DeliveryDto, EndpointDto, PageDto, PageQuery, PatchEndpointBody,
};
use crate::error::ApiError;

fn endpoint_id(raw: i64) -> Result<EndpointId, ApiError> {
    EndpointId::new(raw).ok_or(ApiError::NotFound("no such webhook endpoint"))
}

/// A fresh secret of 32 random bytes.
fn new_secret() -> Result<Secret, ApiError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(Secret::from_bytes(bytes))
}

/// Registers a webhook endpoint (admin). Messages of its `event_types` are signed by
/// the Standard Webhooks scheme with the `secret` in this answer (shown only here and
/// on rotation). The URL must be http(s) and resolve to public addresses only.
#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "webhooks", operation_id = "create_webhook",
    security(("bearer" = [])), request_body = CreateEndpointBody,
    responses(
        (status = 201, description = "The endpoint, with its secret", body = EndpointDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`webhook_url_refused`, `validation_failed` (event_types, description)"),
        (status = 503, description = "`unavailable`: nothing was registered"),
    ))]
pub async fn create<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    body: JsonBody<CreateEndpointBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let endpoint = body.parse()?.validate()?;
    let secret = new_secret()?;
    let created = state.webhooks.create(admin, endpoint, secret.clone()).await?;
    Ok(HttpResponse::Created().json(EndpointDto::new(created, Some(&secret))))
}

/// Webhook endpoints in id order (admin).
#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of endpoints", body = PageDto<EndpointDto>),
        (status = 400, description = "Unparsable query string"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`validation_failed` (limit, offset)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn list<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let endpoints = state.webhooks.list(admin, query.request()?).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(endpoints, |e| EndpointDto::new(e, None))))
}

/// One webhook endpoint (admin).
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "get_webhook",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn get<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let endpoint = state.webhooks.get(admin, endpoint_id(id.into_inner())?).await?;
    Ok(HttpResponse::Ok().json(EndpointDto::new(endpoint, None)))
}

/// Changes a webhook endpoint (admin): any of `url`, `event_types`, `description`,
/// `enabled`. A disabled endpoint gets no messages made for it.
#[utoipa::path(patch, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The endpoint's id")),
    request_body(content = Option<PatchEndpointBody>, description = "May be left out: nothing changes"),
    responses(
        (status = 200, description = "The endpoint", body = EndpointDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`webhook_url_refused`, `validation_failed`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
pub async fn update<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<Option<PatchEndpointBody>>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = endpoint_id(id.into_inner())?;
    let patch = body.parse()?.unwrap_or_default().validate()?;
    let endpoint = state.webhooks.update(admin, id, patch).await?;
    Ok(HttpResponse::Ok().json(EndpointDto::new(endpoint, None)))
}

/// Deletes a webhook endpoint and its delivery log (admin).
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
pub async fn delete<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    state.webhooks.delete(admin, endpoint_id(id.into_inner())?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives an endpoint a new secret (admin), shown in this answer only. For 24 hours the
/// old secret signs too: messages carry two signatures, space-separated.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/rotate-secret", tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint, with its new secret", body = EndpointDto),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
pub async fn rotate<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let secret = new_secret()?;
    let endpoint = state.webhooks.rotate(admin, endpoint_id(id.into_inner())?, secret.clone(), Utc::now()).await?;
    Ok(HttpResponse::Ok().json(EndpointDto::new(endpoint, Some(&secret))))
}

/// An endpoint's delivery log, newest first (admin).
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = PageDto<DeliveryDto>),
        (status = 400, description = "Unparsable query string"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`validation_failed` (limit, offset)"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn deliveries<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let page = page_request(query.limit, query.offset)?;
    let status = query.status.map(Into::into);
    let deliveries = state.webhooks.deliveries(admin, endpoint_id(id.into_inner())?, status, page).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(deliveries, DeliveryDto::from)))
}

/// Queues a delivery for an attempt now, whatever its status (admin).
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    operation_id = "retry_webhook_delivery",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 202, description = "Queued for an attempt now"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 503, description = "`unavailable`: nothing changed"),
    ))]
pub async fn retry<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let (id, delivery) = path.into_inner();
    let delivery = DeliveryId::new(delivery).ok_or(ApiError::NotFound("no such delivery"))?;
    state.webhooks.retry(admin, endpoint_id(id)?, delivery).await?;
    Ok(HttpResponse::Accepted().finish())
}
