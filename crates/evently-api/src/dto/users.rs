use chrono::{DateTime, Utc};
use evently_domain::user::{Email, Password, Role, User, UserName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::body::field;
use crate::error::ApiError;

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// The user's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Lower-cased email.
    pub email: String,
    /// `user`, `staff` (scans tickets) or `admin`.
    #[schema(example = "user")]
    pub role: &'static str,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(user: User) -> Self {
        Self {
            id: user.id.get(),
            name: user.name.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            role: user.role.as_str(),
            created_at: user.created_at,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    /// Display name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Email; trimmed and lower-cased.
    #[schema(max_length = 254, example = "ada@example.org")]
    pub email: String,
    /// At least 8 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

impl RegisterBody {
    /// The validated values (422 naming the first bad field).
    pub fn validate(self) -> Result<(UserName, Email, Password), ApiError> {
        Ok((
            field("name", UserName::new(&self.name))?,
            field("email", Email::new(&self.email))?,
            field("password", Password::new(&self.password))?,
        ))
    }
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// The account's email, any case.
    pub email: String,
    /// The password.
    pub password: String,
}

impl LoginBody {
    /// Well-formed credentials, or `None` when they cannot belong to any account (such
    /// a login is refused like any other bad one).
    pub fn credentials(self) -> Option<(Email, Password)> {
        Some((Email::new(&self.email).ok()?, Password::new(&self.password).ok()?))
    }
}

/// An access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// A role change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleBody {
    /// `user`, `staff` or `admin`.
    #[schema(example = "staff")]
    pub role: String,
}

impl RoleBody {
    /// The validated role.
    pub fn role(&self) -> Result<Role, ApiError> {
        Role::parse(&self.role)
            .ok_or_else(|| ApiError::Validation("role: must be \"user\", \"staff\" or \"admin\"".into()))
    }
}
