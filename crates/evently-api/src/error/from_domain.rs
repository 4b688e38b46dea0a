//! How each domain error reads over HTTP.

use evently_domain::booking::{BookError, CancelBookingError, GetBookingError};
use evently_domain::event::{CancelEventError, UpdateEventError};
use evently_domain::page::PageRequestError;
use evently_domain::user::{LoginError, RegisterError, SetRoleError};
use evently_domain::waitlist::{JoinWaitlistError, LeaveWaitlistError};

use super::ApiError;

const EVENT_CANCELLED: &str = "the event is cancelled";

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::EmailTaken => Self::conflict("email_taken", "an account with this email exists"),
            RegisterError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::InvalidCredentials => Self::InvalidCredentials,
            LoginError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<SetRoleError> for ApiError {
    fn from(error: SetRoleError) -> Self {
        match error {
            SetRoleError::NotFound => Self::NotFound("no such user"),
            SetRoleError::LastAdmin => {
                Self::conflict("last_admin", "the last admin cannot be demoted; make another admin first")
            }
            SetRoleError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<UpdateEventError> for ApiError {
    fn from(error: UpdateEventError) -> Self {
        match error {
            UpdateEventError::NotFound => Self::NotFound("no such event"),
            UpdateEventError::EventCancelled => Self::conflict("event_cancelled", EVENT_CANCELLED),
            e @ UpdateEventError::CapacityBelowBooked { .. } => Self::conflict("capacity_below_booked", e.to_string()),
            UpdateEventError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<CancelEventError> for ApiError {
    fn from(error: CancelEventError) -> Self {
        match error {
            CancelEventError::NotFound => Self::NotFound("no such event"),
            CancelEventError::EventCancelled => Self::conflict("event_cancelled", "the event is already cancelled"),
            CancelEventError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<BookError> for ApiError {
    fn from(error: BookError) -> Self {
        match error {
            BookError::EventNotFound => Self::NotFound("no such event"),
            BookError::EventCancelled => Self::conflict("event_cancelled", EVENT_CANCELLED),
            e @ BookError::SeatsAboveLimit { .. } => Self::Validation(format!("seats: {e}")),
            e @ BookError::AlreadyBooked => Self::conflict("already_booked", e.to_string()),
            e @ BookError::AlreadyWaitlisted => Self::conflict("already_waitlisted", e.to_string()),
            e @ BookError::SoldOut { .. } => Self::conflict("sold_out", e.to_string()),
            BookError::IdempotencyMismatch => Self::IdempotencyMismatch,
            BookError::UnknownUser => Self::Unauthorized,
            BookError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<CancelBookingError> for ApiError {
    fn from(error: CancelBookingError) -> Self {
        match error {
            CancelBookingError::NotFound => Self::NotFound("no such booking"),
            e @ CancelBookingError::EventCancelled => Self::conflict("event_cancelled", e.to_string()),
            e @ CancelBookingError::AlreadyCancelled => Self::conflict("already_cancelled", e.to_string()),
            CancelBookingError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<GetBookingError> for ApiError {
    fn from(error: GetBookingError) -> Self {
        match error {
            GetBookingError::NotFound => Self::NotFound("no such booking"),
            GetBookingError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<JoinWaitlistError> for ApiError {
    fn from(error: JoinWaitlistError) -> Self {
        match error {
            JoinWaitlistError::EventNotFound => Self::NotFound("no such event"),
            JoinWaitlistError::EventCancelled => Self::conflict("event_cancelled", EVENT_CANCELLED),
            e @ JoinWaitlistError::SeatsAboveLimit { .. } => Self::Validation(format!("seats: {e}")),
            e @ JoinWaitlistError::AlreadyBooked => Self::conflict("already_booked", e.to_string()),
            e @ JoinWaitlistError::AlreadyWaitlisted => Self::conflict("already_waitlisted", e.to_string()),
            e @ JoinWaitlistError::EventNotFull { .. } => Self::conflict("event_not_full", e.to_string()),
            JoinWaitlistError::UnknownUser => Self::Unauthorized,
            JoinWaitlistError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<LeaveWaitlistError> for ApiError {
    fn from(error: LeaveWaitlistError) -> Self {
        match error {
            LeaveWaitlistError::NotWaiting => Self::NotFound("you are not on this waitlist"),
            LeaveWaitlistError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<PageRequestError> for ApiError {
    fn from(error: PageRequestError) -> Self {
        let field = match error {
            PageRequestError::Limit => "limit",
            PageRequestError::Offset => "offset",
        };
        Self::Validation(format!("{field}: {error}"))
    }
}
