//! How each domain error reads over HTTP: through its [`Refusal`], which the domain
//! crate derives by an exhaustive match, so no variant can fall through into a 500.

use evently_domain::Refusal;
use evently_domain::booking::{BookError, CancelBookingError, GetBookingError};
use evently_domain::event::{CancelEventError, TierError, UpdateEventError};
use evently_domain::hold::{ConfirmHoldError, HoldError, ReleaseHoldError};
use evently_domain::page::PageRequestError;
use evently_domain::queue::JoinQueueError;
use evently_domain::ticket::CheckInError;
use evently_domain::user::{Forbidden, LoginError, RegisterError, SetRoleError};
use evently_domain::waitlist::{JoinWaitlistError, LeaveWaitlistError};
use evently_domain::webhook::WebhookError;

use super::ApiError;

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound(what) => Self::NotFound(what),
            Refusal::Conflict { code, detail } => Self::Conflict { code, detail },
            Refusal::Invalid { field, detail } => Self::Validation(format!("{field}: {detail}")),
            Refusal::Unauthenticated => Self::Unauthorized,
            Refusal::Forbidden => Self::Forbidden,
            Refusal::NotAdmitted => Self::NotAdmitted,
            Refusal::InvalidCredentials => Self::InvalidCredentials,
            Refusal::IdempotencyMismatch => Self::IdempotencyMismatch,
            Refusal::InvalidTicket(detail) => Self::InvalidTicket(detail),
            Refusal::UrlRefused(detail) => Self::WebhookUrlRefused(detail),
            Refusal::CheckedIn { checked_in_at, gate } => Self::AlreadyCheckedIn { checked_in_at, gate },
            Refusal::Store(e) => e.into(),
        }
    }
}

/// Domain errors reach HTTP through their [`Refusal`].
macro_rules! through_refusal {
    ($($error:ty),* $(,)?) => {
        $(
            impl From<$error> for ApiError {
                fn from(error: $error) -> Self {
                    Refusal::from(error).into()
                }
            }
        )*
    };
}

through_refusal!(
    Forbidden,
    JoinQueueError,
    RegisterError,
    LoginError,
    SetRoleError,
    UpdateEventError,
    CancelEventError,
    TierError,
    BookError,
    CancelBookingError,
    GetBookingError,
    JoinWaitlistError,
    HoldError,
    ConfirmHoldError,
    ReleaseHoldError,
    LeaveWaitlistError,
    CheckInError,
    WebhookError,
);

impl From<PageRequestError> for ApiError {
    fn from(error: PageRequestError) -> Self {
        let field = match error {
            PageRequestError::Limit => "limit",
            PageRequestError::Offset => "offset",
        };
        Self::Validation(format!("{field}: {error}"))
    }
}
