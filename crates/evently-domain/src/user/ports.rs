use std::future::Future;

use thiserror::Error;

use super::{Credentials, Email, NewUser, Password, PasswordHash, Role, User};
use crate::{Page, PageRequest, Refusal, StoreError, UserId};

/// Why an account could not be created.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CreateUserError {
    /// Another account has this email.
    #[error("an account with this email exists")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a role could not be changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SetRoleError {
    /// No such account.
    #[error("no such user")]
    NotFound,
    /// The account is the last admin: demoting it would leave nobody to administer.
    #[error("the last admin cannot be demoted")]
    LastAdmin,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Persistence of accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait UserRepository: Send + Sync + 'static {
    /// Creates an account.
    ///
    /// # Errors
    /// [`CreateUserError::EmailTaken`] when the email is in use (compared lower-cased).
    fn create_user(&self, user: NewUser) -> impl Future<Output = Result<User, CreateUserError>> + Send;

    /// Finds an account and its password hash by email.
    ///
    /// # Errors
    /// [`StoreError`] only; an unknown email is `Ok(None)`.
    fn find_credentials(&self, email: Email) -> impl Future<Output = Result<Option<Credentials>, StoreError>> + Send;

    /// Finds an account by id.
    ///
    /// # Errors
    /// [`StoreError`] only; an unknown id is `Ok(None)`.
    fn find_user(&self, id: UserId) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Lists accounts by id.
    ///
    /// # Errors
    /// [`StoreError`] only.
    fn list_users(&self, page: PageRequest) -> impl Future<Output = Result<Page<User>, StoreError>> + Send;

    /// Changes an account's role.
    ///
    /// # Errors
    /// [`SetRoleError::NotFound`] for an unknown id; [`SetRoleError::LastAdmin`] when the
    /// change would leave no admin (decided atomically: two admins demoting each other
    /// at once leave one).
    fn set_role(&self, id: UserId, role: Role) -> impl Future<Output = Result<User, SetRoleError>> + Send;
}

/// Slow, salted password hashing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a password with a fresh salt.
    ///
    /// # Errors
    /// [`StoreError::Unknown`] when hashing fails (it should not).
    fn hash(&self, password: Password) -> impl Future<Output = Result<PasswordHash, StoreError>> + Send;

    /// Checks a password against a hash, taking as long whether or not it matches.
    ///
    /// # Errors
    /// [`StoreError::Unknown`] when the hash cannot be read.
    fn verify(&self, password: Password, hash: PasswordHash) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A hash of a random password, verified against when an email is unknown so that
    /// login takes the same time either way.
    fn dummy_hash(&self) -> PasswordHash;
}

impl From<SetRoleError> for Refusal {
    fn from(error: SetRoleError) -> Self {
        match error {
            SetRoleError::NotFound => Self::NotFound("no such user"),
            SetRoleError::LastAdmin => Self::Conflict {
                code: "last_admin",
                detail: "the last admin cannot be demoted; make another admin first".to_owned(),
            },
            SetRoleError::Store(e) => Self::Store(e),
        }
    }
}
