use thiserror::Error;

use super::{
    Actor, Admin, CreateUserError, Email, NewUser, Password, PasswordHasher, Role, SetRoleError, User, UserName,
    UserRepository,
};
use crate::{Page, PageRequest, Refusal, StoreError, UserId};

/// Why registration failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// Another account has this email.
    #[error("an account with this email exists")]
    EmailTaken,
    /// The store or hasher failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CreateUserError> for RegisterError {
    fn from(error: CreateUserError) -> Self {
        match error {
            CreateUserError::EmailTaken => Self::EmailTaken,
            CreateUserError::Store(e) => Self::Store(e),
        }
    }
}

/// Why a login failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown email or wrong password; deliberately indistinguishable.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The store or hasher failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why the bootstrap admin could not be ensured.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EnsureAdminError {
    /// An account that is not an admin has the email, and promoting it was not asked for:
    /// whoever registered that address first would become admin.
    #[error("an account that is not an admin already has this email")]
    TakenByUser,
    /// The store or hasher failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do with an existing non-admin account that has the bootstrap admin's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingAccount {
    /// Refuse ([`EnsureAdminError::TakenByUser`]).
    Refuse,
    /// Raise it to admin, keeping its password.
    Promote,
}

/// Registration, login and account administration.
#[derive(Debug, Clone)]
pub struct AccountService<R, H> {
    users: R,
    hasher: H,
}

impl<R: UserRepository, H: PasswordHasher> AccountService<R, H> {
    /// Builds the service over its ports.
    pub fn new(users: R, hasher: H) -> Self {
        Self { users, hasher }
    }

    /// Creates a `user` account.
    ///
    /// # Errors
    /// [`RegisterError::EmailTaken`] when the email is in use.
    pub async fn register(&self, name: UserName, email: Email, password: Password) -> Result<User, RegisterError> {
        let password_hash = self.hasher.hash(password).await?;
        let user = NewUser { name, email, password_hash, role: Role::User };
        Ok(self.users.create_user(user).await?)
    }

    /// Checks an email and password. An unknown email costs one hash verification too.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown email or a wrong password alike.
    pub async fn login(&self, email: Email, password: Password) -> Result<User, LoginError> {
        match self.users.find_credentials(email).await? {
            Some(found) => {
                let matches = self.hasher.verify(password, found.password_hash).await?;
                matches.then_some(found.user).ok_or(LoginError::InvalidCredentials)
            }
            None => {
                self.hasher.verify(password, self.hasher.dummy_hash()).await?;
                Err(LoginError::InvalidCredentials)
            }
        }
    }

    /// Makes sure an admin account with this email exists: creates it, or finds it. An
    /// existing account that is not an admin is raised only when `existing` says so (its
    /// password is left unchanged).
    ///
    /// # Errors
    /// [`EnsureAdminError::TakenByUser`] for an existing non-admin account with
    /// [`ExistingAccount::Refuse`]; [`EnsureAdminError::Store`] when the store or hasher
    /// fails.
    pub async fn ensure_admin(
        &self,
        name: UserName,
        email: Email,
        password: Password,
        existing: ExistingAccount,
    ) -> Result<User, EnsureAdminError> {
        if let Some(found) = self.users.find_credentials(email.clone()).await? {
            return self.promote(found.user, existing).await;
        }
        let password_hash = self.hasher.hash(password).await?;
        let admin = NewUser { name, email: email.clone(), password_hash, role: Role::Admin };
        match self.users.create_user(admin).await {
            Ok(user) => Ok(user),
            // Another instance created it in the meantime.
            Err(CreateUserError::EmailTaken) => match self.users.find_credentials(email).await? {
                Some(found) => self.promote(found.user, existing).await,
                None => Err(StoreError::Unknown(anyhow::anyhow!("admin account vanished")).into()),
            },
            Err(CreateUserError::Store(e)) => Err(e.into()),
        }
    }

    async fn promote(&self, user: User, existing: ExistingAccount) -> Result<User, EnsureAdminError> {
        match (user.role, existing) {
            (Role::Admin, _) => Ok(user),
            (_, ExistingAccount::Refuse) => Err(EnsureAdminError::TakenByUser),
            (_, ExistingAccount::Promote) => self.users.set_role(user.id, Role::Admin).await.map_err(|e| match e {
                SetRoleError::Store(e) => e.into(),
                other => StoreError::Unknown(anyhow::anyhow!("cannot raise the admin: {other}")).into(),
            }),
        }
    }

    /// The account behind an id, if it still exists.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn find(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.users.find_user(id).await
    }

    /// The actor an authenticated user id acts as, with the role the store holds now
    /// (so that demoted admins lose their rights at once).
    ///
    /// # Errors
    /// [`StoreError`] only; `Ok(None)` when the account no longer exists.
    pub async fn current_actor(&self, id: UserId) -> Result<Option<Actor>, StoreError> {
        Ok(self.users.find_user(id).await?.map(|user| Actor::new(user.id, user.role)))
    }

    /// Lists accounts (admin).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(&self, _admin: Admin, page: PageRequest) -> Result<Page<User>, StoreError> {
        self.users.list_users(page).await
    }

    /// Changes an account's role (admin).
    ///
    /// # Errors
    /// [`SetRoleError::NotFound`] for an unknown id, [`SetRoleError::LastAdmin`] when
    /// it would leave no admin.
    pub async fn set_role(&self, _admin: Admin, id: UserId, role: Role) -> Result<User, SetRoleError> {
        self.users.set_role(id, role).await
    }
}

impl From<RegisterError> for Refusal {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::EmailTaken => Self::conflict("email_taken", &error),
            RegisterError::Store(e) => Self::Store(e),
        }
    }
}

impl From<LoginError> for Refusal {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::InvalidCredentials => Self::InvalidCredentials,
            LoginError::Store(e) => Self::Store(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use futures_executor::block_on;
    use mockall::predicate::eq;

    use super::*;
    use crate::user::{Credentials, MockPasswordHasher, MockUserRepository, PasswordHash};

    fn user(role: Role) -> User {
        User {
            id: UserId::new(1).unwrap(),
            name: UserName::new("Ada").unwrap(),
            email: Email::new("ada@example.org").unwrap(),
            role,
            created_at: Utc::now(),
        }
    }

    fn creds() -> (Email, Password) {
        (Email::new("ada@example.org").unwrap(), Password::new("correct horse").unwrap())
    }

    fn hasher_answering(matches: bool) -> MockPasswordHasher {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_dummy_hash().returning(|| PasswordHash::new("dummy".into()));
        hasher.expect_verify().times(1).returning(move |_, _| Box::pin(async move { Ok(matches) }));
        hasher
    }

    #[test]
    fn login_with_unknown_email_still_verifies_a_hash() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| Box::pin(async { Ok(None) }));
        let service = AccountService::new(users, hasher_answering(false));
        let (email, password) = creds();
        let result = block_on(service.login(email, password));
        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }

    #[test]
    fn login_with_wrong_password_is_the_same_error() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| {
            Box::pin(async {
                Ok(Some(Credentials { user: user(Role::User), password_hash: PasswordHash::new("h".into()) }))
            })
        });
        let service = AccountService::new(users, hasher_answering(false));
        let (email, password) = creds();
        assert!(matches!(block_on(service.login(email, password)), Err(LoginError::InvalidCredentials)));
    }

    #[test]
    fn login_with_right_password_returns_the_user() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| {
            Box::pin(async {
                Ok(Some(Credentials { user: user(Role::User), password_hash: PasswordHash::new("h".into()) }))
            })
        });
        let service = AccountService::new(users, hasher_answering(true));
        let (email, password) = creds();
        assert!(matches!(block_on(service.login(email, password)), Ok(u) if u.role == Role::User));
    }

    #[test]
    fn register_maps_a_taken_email() {
        let mut users = MockUserRepository::new();
        users.expect_create_user().returning(|_| Box::pin(async { Err(CreateUserError::EmailTaken) }));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().returning(|_| Box::pin(async { Ok(PasswordHash::new("h".into())) }));
        let service = AccountService::new(users, hasher);
        let (email, password) = creds();
        let name = UserName::new("Ada").unwrap();
        assert!(matches!(block_on(service.register(name, email, password)), Err(RegisterError::EmailTaken)));
    }

    #[test]
    fn ensure_admin_refuses_an_existing_user_unless_told_to_promote() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| {
            Box::pin(async {
                Ok(Some(Credentials { user: user(Role::User), password_hash: PasswordHash::new("h".into()) }))
            })
        });
        users.expect_set_role().never();
        let service = AccountService::new(users, MockPasswordHasher::new());
        let (email, password) = creds();
        let name = UserName::new("Admin").unwrap();
        let refused = block_on(service.ensure_admin(name, email, password, ExistingAccount::Refuse));
        assert!(matches!(refused, Err(EnsureAdminError::TakenByUser)));
    }

    #[test]
    fn ensure_admin_promotes_an_existing_user_without_rehashing() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| {
            Box::pin(async {
                Ok(Some(Credentials { user: user(Role::User), password_hash: PasswordHash::new("h".into()) }))
            })
        });
        users
            .expect_set_role()
            .with(eq(user(Role::User).id), eq(Role::Admin))
            .times(1)
            .returning(|_, _| Box::pin(async { Ok(user(Role::Admin)) }));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().never();
        let service = AccountService::new(users, hasher);
        let (email, password) = creds();
        let name = UserName::new("Admin").unwrap();
        let ensured = block_on(service.ensure_admin(name, email, password, ExistingAccount::Promote));
        assert!(matches!(ensured, Ok(u) if u.role == Role::Admin));
    }

    #[test]
    fn ensure_admin_creates_a_missing_admin() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().returning(|_| Box::pin(async { Ok(None) }));
        users
            .expect_create_user()
            .withf(|new| new.role == Role::Admin)
            .times(1)
            .returning(|_| Box::pin(async { Ok(user(Role::Admin)) }));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().times(1).returning(|_| Box::pin(async { Ok(PasswordHash::new("h".into())) }));
        let service = AccountService::new(users, hasher);
        let (email, password) = creds();
        let name = UserName::new("Admin").unwrap();
        assert!(block_on(service.ensure_admin(name, email, password, ExistingAccount::Refuse)).is_ok());
    }
}
