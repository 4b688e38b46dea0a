use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::user::{CreateUserError, Credentials, Email, NewUser, Role, SetRoleError, User, UserRepository};
use evently_domain::{Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::error::{TxError, classify};
use super::prepared::Prepare as _;
use super::rows::{Counted, CredentialsRow, USER_COLUMNS, UserRow, counted_page};

impl UserRepository for PgStore {
    #[tracing::instrument(skip_all)]
    async fn create_user(&self, user: NewUser) -> Result<User, CreateUserError> {
        let mut conn = self.conn().await?;
        let row: UserRow = diesel::sql_query(format!(
            "INSERT INTO users (name, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        ))
        .bind::<Text, _>(user.name.as_str())
        .bind::<Text, _>(user.email.as_str())
        .bind::<Text, _>(user.password_hash.as_str())
        .bind::<Text, _>(user.role.as_str())
        .prepared()
        .get_result(&mut conn)
        .await
        .map_err(|e| match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => CreateUserError::EmailTaken,
            e => classify(e).into(),
        })?;
        Ok(row.try_into()?)
    }

    async fn find_credentials(&self, email: Email) -> Result<Option<Credentials>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<CredentialsRow> =
            diesel::sql_query(format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"))
                .bind::<Text, _>(email.as_str())
                .prepared()
                .get_result(&mut conn)
                .await
                .map(Some)
                .or_else(not_found_as_none)?;
        row.map(Credentials::try_from).transpose()
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<UserRow> = diesel::sql_query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind::<BigInt, _>(id.get())
            .prepared()
            .get_result(&mut conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        row.map(User::try_from).transpose()
    }

    async fn list_users(&self, page: PageRequest) -> Result<Page<User>, StoreError> {
        let mut conn = self.conn().await?;
        table_page::<UserRow, _>(&mut conn, USER_COLUMNS, "users", page).await
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<User, SetRoleError> {
        self.write(move |conn| {
            Box::pin(async move {
                // Every admin's row, locked in id order: concurrent demotions take turns and
                // each sees the admins the others left.
                let admins: Vec<AdminId> =
                    diesel::sql_query("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE")
                        .prepared()
                        .load(conn)
                        .await?;
                if role != Role::Admin && admins.len() == 1 && admins.iter().all(|a| a.id == id.get()) {
                    return Err(TxError::Domain(SetRoleError::LastAdmin));
                }
                let row: UserRow =
                    diesel::sql_query(format!("UPDATE users SET role = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"))
                        .bind::<BigInt, _>(id.get())
                        .bind::<Text, _>(role.as_str())
                        .prepared()
                        .get_result(conn)
                        .await
                        .map_err(|e| match e {
                            Error::NotFound => TxError::Domain(SetRoleError::NotFound),
                            e => TxError::Db(e),
                        })?;
                User::try_from(row).map_err(|e| TxError::Domain(e.into()))
            })
        })
        .await
    }
}

#[derive(QueryableByName)]
struct AdminId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Turns diesel's `NotFound` into `Ok(None)`.
pub(super) fn not_found_as_none<T>(error: Error) -> Result<Option<T>, StoreError> {
    match error {
        Error::NotFound => Ok(None),
        e => Err(classify(e)),
    }
}

/// A page of every row of `table` (a name in the code, never input) in id order, read
/// with its total in one statement.
pub(super) async fn table_page<R, T>(
    conn: &mut AsyncPgConnection,
    columns: &str,
    table: &str,
    page: PageRequest,
) -> Result<Page<T>, StoreError>
where
    R: QueryableByName<Pg> + Send + 'static,
    T: TryFrom<R, Error = StoreError>,
{
    let counting = format!("SELECT count(*) AS total FROM {table}");
    let rows: Vec<Counted<R>> = diesel::sql_query(format!(
        "SELECT {columns}, ({counting}) AS total FROM {table} ORDER BY id LIMIT $1 OFFSET $2"
    ))
    .bind::<BigInt, _>(i64::from(page.limit()))
    .bind::<BigInt, _>(offset(page))
    .prepared()
    .load(conn)
    .await
    .map_err(classify)?;
    let apart = diesel::sql_query(counting).prepared().get_result(conn);
    counted_page(rows, page, apart).await
}

/// A page's offset as the database's integer type (bounded by [`PageRequest::MAX_OFFSET`]).
pub(super) fn offset(page: PageRequest) -> i64 {
    i64::try_from(page.offset()).unwrap_or(i64::MAX)
}
