use chrono::Utc;
use evently_domain::user::{CreateUserError, Credentials, Email, NewUser, Role, SetRoleError, User, UserRepository};
use evently_domain::{Page, PageRequest, StoreError, UserId};

use super::MemoryStore;
use super::state::Account;
use super::{index, next_id};

impl UserRepository for MemoryStore {
    async fn create_user(&self, new: NewUser) -> Result<User, CreateUserError> {
        let mut state = self.lock()?;
        if state.accounts.iter().any(|a| a.user.email == new.email) {
            return Err(CreateUserError::EmailTaken);
        }
        let user = User {
            id: next_id(state.accounts.len(), UserId::new)?,
            name: new.name,
            email: new.email,
            role: new.role,
            created_at: Utc::now(),
        };
        state.accounts.push(Account { user: user.clone(), password_hash: new.password_hash });
        Ok(user)
    }

    async fn find_credentials(&self, email: Email) -> Result<Option<Credentials>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .accounts
            .iter()
            .find(|a| a.user.email == email)
            .map(|a| Credentials { user: a.user.clone(), password_hash: a.password_hash.clone() }))
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.accounts.get(index(id.get())).map(|a| a.user.clone()))
    }

    async fn list_users(&self, page: PageRequest) -> Result<Page<User>, StoreError> {
        let state = self.lock()?;
        Ok(super::page_of(state.accounts.iter().map(|a| a.user.clone()).collect(), page))
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<User, SetRoleError> {
        let mut state = self.lock()?;
        let mut admins = state.accounts.iter().filter(|a| a.user.role == Role::Admin).map(|a| a.user.id);
        if role != Role::Admin && admins.next() == Some(id) && admins.next().is_none() {
            return Err(SetRoleError::LastAdmin);
        }
        let account = state.accounts.get_mut(index(id.get())).ok_or(SetRoleError::NotFound)?;
        account.user.role = role;
        Ok(account.user.clone())
    }
}
