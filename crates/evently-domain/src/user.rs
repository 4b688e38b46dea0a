//! Accounts: who may use Evently, and with which role.

mod models;
mod ports;
mod service;

pub use models::{
    Actor, Admin, Credentials, Email, EmailError, Forbidden, NewUser, Password, PasswordError, PasswordHash, Role,
    Staff, User, UserName,
};
pub use ports::{CreateUserError, PasswordHasher, SetRoleError, UserRepository};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockPasswordHasher, MockUserRepository};
pub use service::{AccountService, EnsureAdminError, ExistingAccount, LoginError, RegisterError};
