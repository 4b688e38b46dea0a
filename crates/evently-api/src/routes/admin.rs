use crate::Backend;
use actix_web::{HttpResponse, web};

use super::{State, user_id};
use crate::auth::Authenticated;
use crate::body::JsonBody;
use crate::dto::{PageDto, PageQuery, RoleBody, UserDto};
use crate::error::ApiError;

/// Every account, by id (admin).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", operation_id = "list_users",
    security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, description = "A page of accounts", body = PageDto<UserDto>),
        (status = 400, description = "Unparsable query"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn list_users<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let users = state.accounts.list(admin, query.request()?).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(users, UserDto::from)))
}

/// Changes an account's role (admin). Takes effect on the account's next request. The
/// last admin cannot be demoted (`409 last_admin`), so an instance always has one.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", operation_id = "update_user_role",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The user's id")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The updated account", body = UserDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`last_admin`: demoting the only admin"),
        (status = 422, description = "`validation_failed`"),
        (status = 503, description = "`unavailable`"),
    ))]
pub async fn set_role<B: Backend>(
    state: State<B>,
    auth: Authenticated,
    id: web::Path<i64>,
    body: JsonBody<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    let admin = state.admin(&auth).await?;
    let id = user_id(id.into_inner())?;
    let user = state.accounts.set_role(admin, id, body.parse()?.role()?).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(user)))
}
