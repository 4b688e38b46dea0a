//! Every failure as an RFC 9457 problem document with a machine-readable `code`.

mod from_domain;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use evently_domain::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "https://evently.dev/problems/sold_out", "title": "Sold out",
    "status": 409, "detail": "only 2 seats are available", "code": "sold_out"}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The machine-readable code clients switch on.
    pub code: String,
    /// With `already_checked_in`: when the ticket was checked in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// With `already_checked_in`: where (`null` when that scan named no gate).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub gate: Option<Option<String>>,
}

/// Why a request failed, as clients see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Unparsable body, wrong JSON types, missing fields, bad query string.
    #[error("{0}")]
    BadRequest(String),
    /// No, malformed, badly signed or expired token.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// Login refused.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Needs the admin role.
    #[error("this action needs the admin role")]
    Forbidden,
    /// A queued event's seats need a current admission from its on-sale queue.
    #[error("this event sells through its queue: take a queue ticket and wait to be admitted")]
    NotAdmitted,
    /// No such resource (or not yours).
    #[error("{0}")]
    NotFound(&'static str),
    /// The route exists but not with this method; the methods it allows.
    #[error("method not allowed on this resource; allowed: {0}")]
    MethodNotAllowed(String),
    /// A conflict with the current state; `code` names it.
    #[error("{detail}")]
    Conflict {
        /// The contract's code.
        code: &'static str,
        /// What conflicts.
        detail: String,
    },
    /// Well-typed but invalid values.
    #[error("{0}")]
    Validation(String),
    /// An idempotency key reused with another request.
    #[error("the Idempotency-Key was used with a different request")]
    IdempotencyMismatch,
    /// A webhook URL that is not http(s) or not a public destination.
    #[error("{0}")]
    WebhookUrlRefused(String),
    /// A ticket code that does not admit to this event now.
    #[error("{0}")]
    InvalidTicket(String),
    /// A ticket scanned a second time; when and where it was checked in.
    #[error("the ticket was checked in at {checked_in_at}")]
    AlreadyCheckedIn {
        /// When.
        checked_in_at: DateTime<Utc>,
        /// Where.
        gate: Option<String>,
    },
    /// Body over [`crate::BODY_LIMIT`].
    #[error(
        "the request body is larger than {} bytes ({} for scanner uploads)",
        crate::BODY_LIMIT,
        crate::BATCH_BODY_LIMIT
    )]
    PayloadTooLarge,
    /// The body did not arrive in time.
    #[error("the request body did not arrive within 10 s")]
    RequestTimeout,
    /// Too many attempts from this client.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// A dependency is down; nothing changed.
    #[error("a dependency is unavailable; the request had no effect")]
    Unavailable(#[source] anyhow::Error),
    /// A bug.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Any other status produced by the framework itself.
    #[error("{1}")]
    Other(StatusCode, &'static str),
}

impl ApiError {
    /// The contract's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotAdmitted => "not_admitted",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::IdempotencyMismatch => "idempotency_mismatch",
            Self::InvalidTicket(_) => "invalid_ticket",
            Self::WebhookUrlRefused(_) => "webhook_url_refused",
            Self::AlreadyCheckedIn { .. } => "already_checked_in",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
            Self::Other(_, code) => code,
        }
    }

    /// A conflict with its code and detail.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    /// The problem a bare framework status stands for.
    fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound("no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => Self::Other(status, "method_not_allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::BAD_REQUEST => Self::BadRequest("the request could not be parsed".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::Other(status, "unsupported_media_type"),
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(anyhow::anyhow!("service unavailable")),
            s if s.is_server_error() => Self::Internal(anyhow::anyhow!("framework error {s}")),
            s => Self::Other(s, "client_error"),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Conflict { .. } | Self::AlreadyCheckedIn { .. } => "Conflict",
            Self::Other(status, _) => status.canonical_reason().unwrap_or("Error"),
            other => other.status_code().canonical_reason().unwrap_or("Error"),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let detail = match self {
            // 5xx details stay opaque; the cause is logged instead.
            Self::Internal(_) => "an internal error occurred".to_owned(),
            other => other.to_string(),
        };
        let mut problem = Problem {
            kind: format!("https://evently.dev/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            code: self.code().to_owned(),
            checked_in_at: None,
            gate: None,
        };
        if let Self::AlreadyCheckedIn { checked_in_at, gate } = self {
            problem.checked_in_at = Some(*checked_in_at);
            problem.gate = Some(gate.clone());
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::NotAdmitted => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::AlreadyCheckedIn { .. } => StatusCode::CONFLICT,
            Self::Validation(_) | Self::IdempotencyMismatch | Self::InvalidTicket(_) | Self::WebhookUrlRefused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Other(status, _) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(cause) => {
                tracing::warn!(error = %format!("{cause:#}"), "dependency unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            Self::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            Self::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) | StoreError::Transient(cause) => Self::Unavailable(cause),
            other => Self::Internal(other.into()),
        }
    }
}

/// Rewrites every error response the framework produced on its own (unknown routes,
/// wrong methods, oversized bodies) into a problem document.
pub fn problem_handlers<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render_problem)
}

fn render_problem<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers (problem documents, and JSON such as `/ready`'s) stay as they are.
    let is_ours = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v == HeaderValue::from_static(PROBLEM_JSON) || v == HeaderValue::from_static("application/json")
    });
    if is_ours {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let (request, _) = response.into_parts();
    let problem = ApiError::from_status(status).error_response();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(request, problem).map_into_right_body()))
}
