use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::UserId;
use crate::text::text_type;

text_type!(
    /// A display name: 1 to 100 characters.
    UserName, max = 100, clean, multiline = false
);

/// A trimmed, lower-cased email address with a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an email address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be a valid email address of at most {max} characters", max = Email::MAX_CHARS)]
pub struct EmailError;

impl Email {
    /// The longest address accepted (RFC 5321).
    pub const MAX_CHARS: usize = 254;

    /// Trims, lower-cases and checks `raw`: one `@`, a non-empty local part, a domain
    /// with a dot, no spaces or control characters.
    ///
    /// # Errors
    /// [`EmailError`] when the address has no plausible shape.
    pub fn new(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        let plausible = email.chars().count() <= Self::MAX_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        plausible.then_some(Self(email)).ok_or(EmailError)
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plain-text password that meets the length policy. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between {min} and {max} characters", min = Password::MIN_CHARS, max = Password::MAX_CHARS)]
pub struct PasswordError;

impl Password {
    /// The shortest password accepted.
    pub const MIN_CHARS: usize = 8;
    /// The longest password accepted (bounds hashing work).
    pub const MAX_CHARS: usize = 256;

    /// Checks the length policy; the text is kept as given (no trimming).
    ///
    /// # Errors
    /// [`PasswordError`] when the length is outside the policy.
    pub fn new(raw: &str) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars).then(|| Self(raw.to_owned())).ok_or(PasswordError)
    }

    /// The secret itself, for hashing or verifying.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password hash in PHC string format. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by a [`PasswordHasher`](super::PasswordHasher).
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storing or verifying.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Books seats and joins waitlists.
    User,
    /// Also scans tickets and reads check-in figures.
    Staff,
    /// Also does all staff do, and manages events and users and reads analytics.
    Admin,
}

impl Role {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// An account, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Display name.
    pub name: UserName,
    /// Normalised email.
    pub email: Email,
    /// Current role.
    pub role: Role,
    /// When it registered.
    pub created_at: DateTime<Utc>,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Display name.
    pub name: UserName,
    /// Normalised email, unique among accounts.
    pub email: Email,
    /// The hash of the chosen password.
    pub password_hash: PasswordHash,
    /// The role to start with.
    pub role: Role,
}

/// An account together with its password hash, for logging in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// Its stored password hash.
    pub password_hash: PasswordHash,
}

/// Who performs an action: an existing account and the role it holds now. Only
/// [`AccountService::current_actor`](super::AccountService::current_actor) makes one, so
/// an actor cannot claim a role the store does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    id: UserId,
    role: Role,
}

/// The proof that an [`Actor`] holds the admin role, which every admin-only operation
/// takes: it cannot be called without the check. Made only by [`Actor::admin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin(Actor);

/// The proof that an [`Actor`] may work the door (staff or admin), which check-in
/// operations take. Made only by [`Actor::staff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff(Actor);

/// The actor lacks the role an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("this action needs a role the account does not hold")]
pub struct Forbidden;

impl Actor {
    pub(crate) fn new(id: UserId, role: Role) -> Self {
        Self { id, role }
    }

    /// The account's id.
    pub fn id(self) -> UserId {
        self.id
    }

    /// The role the account holds now.
    pub fn role(self) -> Role {
        self.role
    }

    /// Whether this actor may see or change something owned by `owner`.
    pub fn may_access(self, owner: UserId) -> bool {
        self.id == owner || self.role == Role::Admin
    }

    /// This actor as an admin.
    ///
    /// # Errors
    /// [`Forbidden`] unless the account holds the admin role now.
    pub fn admin(self) -> Result<Admin, Forbidden> {
        match self.role {
            Role::Admin => Ok(Admin(self)),
            Role::User | Role::Staff => Err(Forbidden),
        }
    }

    /// This actor as door staff (admins may do all staff may).
    ///
    /// # Errors
    /// [`Forbidden`] unless the account holds the staff or admin role now.
    pub fn staff(self) -> Result<Staff, Forbidden> {
        match self.role {
            Role::Staff | Role::Admin => Ok(Staff(self)),
            Role::User => Err(Forbidden),
        }
    }
}

impl Staff {
    /// The staff member (or admin) acting.
    pub fn actor(self) -> Actor {
        self.0
    }
}

impl Admin {
    /// The admin acting.
    pub fn actor(self) -> Actor {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn staff_and_admins_work_the_door() {
        let id = UserId::new(4).unwrap();
        assert_eq!(Actor::new(id, Role::User).staff(), Err(Forbidden));
        assert!(Actor::new(id, Role::Staff).staff().is_ok());
        assert_eq!(Actor::new(id, Role::Admin).staff().map(Staff::actor), Ok(Actor::new(id, Role::Admin)));
    }

    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::new("  Ada@Example.ORG ").map(|e| e.as_str().to_owned()), Ok("ada@example.org".to_owned()));
        for bad in ["", "ada", "ada@", "@example.org", "a b@example.org", "a@b@c.org", "a@org", "a@.org"] {
            assert_eq!(Email::new(bad), Err(EmailError), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters_and_never_print() {
        assert_eq!(Password::new("short"), Err(PasswordError));
        let password = Password::new("long enough");
        assert!(password.is_ok());
        assert!(!format!("{password:?}").contains("long enough"));
    }

    #[test]
    fn owners_and_admins_may_access() {
        let (owner, other) = (UserId::new(1).unwrap(), UserId::new(2).unwrap());
        let user = Actor::new(other, Role::User);
        let admin = Actor::new(other, Role::Admin);
        assert!(!user.may_access(owner));
        assert!(user.may_access(other));
        assert!(admin.may_access(owner));
    }

    #[test]
    fn only_admins_pass_the_admin_check() {
        let id = UserId::new(3).unwrap();
        assert_eq!(Actor::new(id, Role::User).admin(), Err(Forbidden));
        assert_eq!(Actor::new(id, Role::Staff).admin(), Err(Forbidden));
        assert_eq!(Actor::new(id, Role::Admin).admin().map(Admin::actor), Ok(Actor::new(id, Role::Admin)));
    }
}
