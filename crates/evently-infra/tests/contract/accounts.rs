use evently_domain::user::{CreateUserError, Email, NewUser, PasswordHash, Role, SetRoleError, UserName};
use evently_domain::{PageRequest, Store, UserId};

use crate::fixtures::user;

pub async fn emails_are_unique_and_roles_change<S: Store>(store: S) {
    let id = user(&store, 1).await;
    let again = NewUser {
        name: UserName::new("Other").unwrap(),
        email: Email::new("USER1@example.org").unwrap(),
        password_hash: PasswordHash::new("x".into()),
        role: Role::User,
    };
    assert!(matches!(store.create_user(again).await, Err(CreateUserError::EmailTaken)));
    let found = store.find_credentials(Email::new("user1@example.org").unwrap()).await.unwrap().unwrap();
    assert_eq!(found.user.id, id);
    assert_eq!(found.password_hash.as_str(), "$argon2id$fake");
    assert!(store.find_credentials(Email::new("nobody@example.org").unwrap()).await.unwrap().is_none());
    let admin = store.set_role(id, Role::Admin).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(store.find_user(id).await.unwrap().unwrap().role, Role::Admin);
    let missing = UserId::new(9_999).unwrap();
    assert!(matches!(store.set_role(missing, Role::Admin).await, Err(SetRoleError::NotFound)));
    assert!(store.find_user(missing).await.unwrap().is_none());
}

pub async fn users_are_listed_by_id<S: Store>(store: S) {
    let ids = crate::fixtures::users(&store, 5).await;
    let page = store.list_users(PageRequest::new(2, 1).unwrap()).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.items.iter().map(|u| u.id).collect::<Vec<_>>(), ids[1..3].to_vec());
    let past = store.list_users(PageRequest::new(2, 7).unwrap()).await.unwrap();
    assert_eq!((past.items.len(), past.total), (0, 5), "a page past the last row still counts them");
}
