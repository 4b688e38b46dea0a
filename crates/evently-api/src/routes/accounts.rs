use crate::Backend;
use actix_web::{HttpRequest, HttpResponse};

use super::State;
use crate::auth::TOKEN_TTL;
use crate::body::JsonBody;
use crate::dto::{LoginBody, RegisterBody, TokenDto, UserDto};
use crate::error::ApiError;

/// Creates a `user` account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", operation_id = "register_user",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Account created", body = UserDto),
        (status = 400, description = "Unparsable body"),
        (status = 409, description = "`email_taken`"),
        (status = 422, description = "`validation_failed`"),
        (status = 429, description = "`rate_limited`, with `Retry-After`"),
        (status = 503, description = "`unavailable`"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn register<B: Backend>(
    state: State<B>,
    req: HttpRequest,
    body: JsonBody<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    state.auth_rate.check(req.peer_addr().map(|a| a.ip()))?;
    let (name, email, password) = body.parse()?.validate()?;
    let user = state.accounts.register(name, email, password).await?;
    Ok(HttpResponse::Created().json(UserDto::from(user)))
}

/// Exchanges email and password for a bearer token. Unknown emails and wrong passwords
/// get the same answer in about the same time.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login_user",
    request_body = LoginBody,
    responses(
        (status = 200, description = "A bearer token", body = TokenDto),
        (status = 400, description = "Unparsable body"),
        (status = 401, description = "`invalid_credentials`"),
        (status = 429, description = "`rate_limited`, with `Retry-After`"),
        (status = 503, description = "`unavailable`"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login<B: Backend>(
    state: State<B>,
    req: HttpRequest,
    body: JsonBody<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    state.auth_rate.check(req.peer_addr().map(|a| a.ip()))?;
    let (email, password) = body.parse()?.credentials().ok_or(ApiError::InvalidCredentials)?;
    let user = state.accounts.login(email, password).await?;
    let token =
        TokenDto { access_token: state.tokens.issue(&user)?, token_type: "Bearer", expires_in: TOKEN_TTL.as_secs() };
    Ok(HttpResponse::Ok().json(token))
}
