use actix_web::{HttpResponse, web};

use crate::Backend;

use super::State;
use crate::auth::Authenticated;
use crate::dto::pages::page_request;
use crate::dto::{BookingDto, BookingsQuery, NotificationDto, PageDto, PageQuery, UserDto, WaitlistEntryDto};
use crate::error::ApiError;

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", operation_id = "get_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserDto),
        (status = 401, description = "`unauthorized`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn profile<B: Backend>(state: State<B>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.find(auth.user_id).await?.ok_or(ApiError::Unauthorized)?;
    Ok(HttpResponse::Ok().json(UserDto::from(user)))
}

/// The caller's bookings, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/bookings", tag = "users", operation_id = "list_my_bookings",
    security(("bearer" = [])), params(BookingsQuery),
    responses(
        (status = 200, description = "A page of bookings", body = PageDto<BookingDto>),
        (status = 400, description = "Unparsable query"),
        (status = 401, description = "`unauthorized`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn bookings<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<BookingsQuery>,
) -> Result<HttpResponse, ApiError> {
    // A token outlives a deleted account: answer as for any invalid token.
    let actor = state.actor(&auth).await?;
    let page = page_request(query.limit, query.offset)?;
    let found = state.bookings.list(actor, query.status.map(Into::into), page).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(found, BookingDto::from)))
}

/// The caller's waitlist entries of every status, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/waitlist", tag = "users", operation_id = "list_my_waitlist_entries",
    security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of waitlist entries", body = PageDto<WaitlistEntryDto>),
        (status = 400, description = "Unparsable query"),
        (status = 401, description = "`unauthorized`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn waitlist<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    // A token outlives a deleted account: answer as for any invalid token.
    let actor = state.actor(&auth).await?;
    let found = state.waitlists.entries_of(actor, query.request()?).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(found, WaitlistEntryDto::from)))
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/notifications", tag = "users", operation_id = "list_my_notifications",
    security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of notifications", body = PageDto<NotificationDto>),
        (status = 400, description = "Unparsable query"),
        (status = 401, description = "`unauthorized`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn notifications<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    // A token outlives a deleted account: answer as for any invalid token.
    let actor = state.actor(&auth).await?;
    let found = state.notifications.list(actor, query.request()?).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(found, NotificationDto::from)))
}
